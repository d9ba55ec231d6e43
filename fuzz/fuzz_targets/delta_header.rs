#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| iot_fuzz::delta_header(data));
