//! Puts memory.x where cortex-m-rt's link.x finds it (only the QEMU bin links with it), and turns
//! `FOOTPRINT_SOLO=<entry>` into the cfgs `footprint_solo` and `footprint_entry = "<entry>"`.
fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    // FOOTPRINT_SOLO=<entry> exports that entry alone (run.sh builds each entry so): the other
    // entries then never reach LTO, so they cannot change its inlining, outlining or constant pools.
    println!("cargo:rustc-check-cfg=cfg(footprint_solo)");
    println!("cargo:rustc-check-cfg=cfg(footprint_entry, values(any()))");
    println!("cargo:rerun-if-env-changed=FOOTPRINT_SOLO");
    if let Some(entry) = std::env::var_os("FOOTPRINT_SOLO") {
        println!("cargo:rustc-cfg=footprint_solo");
        println!("cargo:rustc-cfg=footprint_entry=\"{}\"", entry.to_string_lossy());
    }
}
