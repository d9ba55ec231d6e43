#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::std_instead_of_alloc,
    reason = "test code"
)]

use super::*;

fn hex(s: &str) -> std::vec::Vec<u8> {
    hex::decode(s).unwrap()
}

/// RFC 8949 Appendix A examples for the integer forms this codec handles.
#[test]
fn rfc8949_appendix_a_integers_round_trip() {
    let cases: &[(i64, &str)] = &[
        (0, "00"),
        (1, "01"),
        (10, "0a"),
        (23, "17"),
        (24, "1818"),
        (25, "1819"),
        (100, "1864"),
        (1000, "1903e8"),
        (1_000_000, "1a000f4240"),
        (1_000_000_000_000, "1b000000e8d4a51000"),
        (-1, "20"),
        (-10, "29"),
        (-100, "3863"),
        (-1000, "3903e7"),
        (i64::MIN, "3b7fffffffffffffff"),
        (i64::MAX, "1b7fffffffffffffff"),
    ];
    for &(v, h) in cases {
        let bytes = hex(h);
        let mut d = Decoder::new(&bytes);
        assert_eq!(d.int().unwrap(), v, "{h}");
        d.finish().unwrap();
        let mut out = std::vec::Vec::new();
        Encoder::new(&mut out).int(v).unwrap();
        assert_eq!(out, bytes, "{v}");
    }
}

#[test]
fn strings_arrays_maps_tags() {
    // RFC 8949 Appendix A: h'01020304', "IETF", [1, [2, 3]], {1: 2}, 1(1363896240)
    let b = hex("4401020304");
    assert_eq!(Decoder::new(&b).bytes().unwrap(), &[1, 2, 3, 4]);
    let b = hex("6449455446");
    assert_eq!(Decoder::new(&b).str().unwrap(), "IETF");
    let b = hex("8201820203");
    let mut d = Decoder::new(&b);
    assert_eq!(d.array().unwrap(), 2);
    assert_eq!(d.raw_item(4).unwrap(), &[1]);
    assert_eq!(d.raw_item(4).unwrap(), &hex("820203")[..]);
    d.finish().unwrap();
    let b = hex("a10102");
    assert_eq!(Decoder::new(&b).map().unwrap(), 1);
    let b = hex("c11a514b67b0");
    let mut d = Decoder::new(&b);
    assert_eq!(d.tag().unwrap(), 1);
    assert_eq!(d.uint().unwrap(), 1_363_896_240);
}

#[test]
fn rejections_are_typed_with_offsets() {
    let cases: &[(&str, DecodeErrorKind, usize)] = &[
        ("", DecodeErrorKind::Truncated, 0),
        ("18", DecodeErrorKind::Truncated, 0),         // uint8 missing its byte
        ("1b00000000", DecodeErrorKind::Truncated, 0), // uint64 cut short
        ("5f", DecodeErrorKind::IndefiniteLength, 0),  // indefinite bstr
        ("9f", DecodeErrorKind::IndefiniteLength, 0),  // indefinite array
        ("bf", DecodeErrorKind::IndefiniteLength, 0),  // indefinite map
        ("1c", DecodeErrorKind::Reserved, 0),          // ai 28
        ("f818", DecodeErrorKind::Reserved, 0),        // simple value < 32 in two bytes
        ("45010203", DecodeErrorKind::Truncated, 0),   // bstr longer than input
        ("5bffffffffffffffff", DecodeErrorKind::Truncated, 0), // absurd length
        ("62c328", DecodeErrorKind::InvalidUtf8, 0),   // invalid UTF-8
        ("8181818181818101", DecodeErrorKind::DepthExceeded, 4),
        ("9bffffffffffffffff", DecodeErrorKind::Truncated, 9), // huge count ends at input end
        ("bbffffffffffffffff", DecodeErrorKind::Truncated, 0), // count*2 overflows
        ("0000", DecodeErrorKind::TrailingBytes, 1),
    ];
    for &(h, kind, offset) in cases {
        let b = hex(h);
        let mut d = Decoder::new(&b);
        let r = d.skip(4).and_then(|()| d.finish());
        assert_eq!(r, Err(DecodeError { kind, offset }), "{h}");
    }
}

#[test]
fn type_mismatch_and_sticky_failure() {
    let b = hex("4100");
    let mut d = Decoder::new(&b);
    let e = d.int().unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnexpectedType { expected: Type::Int, found: Type::Bytes });
    // Sticky: the decoder does not continue after a failure.
    assert_eq!(d.bytes().unwrap_err(), e);
    assert_eq!(d.finish().unwrap_err(), e);
    // Out-of-range integers.
    let b = hex("1bffffffffffffffff");
    assert_eq!(Decoder::new(&b).int().unwrap_err().kind, DecodeErrorKind::IntegerOverflow);
    let b = hex("3b8000000000000000");
    assert_eq!(Decoder::new(&b).int().unwrap_err().kind, DecodeErrorKind::IntegerOverflow);
}

#[test]
fn slice_writer_reports_full_buffer() {
    let mut buf = [0u8; 3];
    let mut w = SliceWriter::new(&mut buf);
    assert_eq!(Encoder::new(&mut w).bytes(b"abc").err(), Some(BufferTooSmall));
    let mut buf = [0u8; 4];
    let mut w = SliceWriter::new(&mut buf);
    Encoder::new(&mut w).bytes(b"abc").unwrap();
    assert_eq!(w.written(), b"\x43abc");
}

#[test]
fn heads_are_minimal() {
    for (arg, len) in [
        (0u64, 1usize),
        (23, 1),
        (24, 2),
        (255, 2),
        (256, 3),
        (65535, 3),
        (65536, 5),
        (u64::from(u32::MAX), 5),
        (u64::MAX, 9),
    ] {
        let h = EncodedHead::new(MAJOR_BYTES, arg);
        assert_eq!(h.as_bytes().len(), len, "{arg}");
        let d = Decoder::new(h.as_bytes());
        assert_eq!(d.peek_type().unwrap(), Type::Bytes);
    }
}

/// RFC 8949 Appendix A floats: decode each width, and encode in the shortest exact form.
#[test]
fn rfc8949_appendix_a_floats() {
    let cases: &[(f64, &str)] = &[
        (0.0, "f90000"),
        (-0.0, "f98000"),
        (1.0, "f93c00"),
        (1.5, "f93e00"),
        (65504.0, "f97bff"),
        (100000.0, "fa47c35000"),
        (3.4028234663852886e+38, "fa7f7fffff"),
        (1.0e+300, "fb7e37e43c8800759c"),
        (5.960464477539063e-8, "f90001"),
        (0.00006103515625, "f90400"),
        (-4.0, "f9c400"),
        (-4.1, "fbc010666666666666"),
        (f64::INFINITY, "f97c00"),
        (f64::NEG_INFINITY, "f9fc00"),
        (1.1, "fb3ff199999999999a"),
    ];
    for &(v, h) in cases {
        let bytes = hex(h);
        assert_eq!(Decoder::new(&bytes).float().unwrap().to_bits(), v.to_bits(), "{h}");
        let mut out = alloc::vec::Vec::new();
        Encoder::new(&mut out).float(v).unwrap();
        assert_eq!(out, bytes, "{v}");
    }
    // wider encodings of the same values decode too
    assert_eq!(Decoder::new(&hex("fa3fc00000")).float().unwrap(), 1.5);
    assert_eq!(Decoder::new(&hex("fb3ff8000000000000")).float().unwrap(), 1.5);
    assert!(Decoder::new(&hex("f97e00")).float().unwrap().is_nan());
    assert!(Decoder::new(&hex("01")).float().is_err());
}

mod props {
    use super::super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn int_round_trip(v: i64) {
            let mut out = std::vec::Vec::new();
            Encoder::new(&mut out).int(v).unwrap();
            let mut d = Decoder::new(&out);
            prop_assert_eq!(d.int().unwrap(), v);
            prop_assert!(d.finish().is_ok());
        }

        #[test]
        fn bytes_round_trip(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut out = std::vec::Vec::new();
            Encoder::new(&mut out).bytes(&b).unwrap();
            prop_assert_eq!(Decoder::new(&out).bytes().unwrap(), &b[..]);
        }

        #[test]
        fn float_round_trip(v: f64) {
            let mut out = alloc::vec::Vec::new();
            Encoder::new(&mut out).float(v).unwrap();
            let back = Decoder::new(&out).float().unwrap();
            prop_assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()));
        }

        #[test]
        fn arbitrary_input_never_panics(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut d = Decoder::new(&b);
            let start = d.position();
            if let Ok(raw) = d.raw_item(16) {
                // raw_item returns exactly the bytes it consumed
                prop_assert_eq!(raw.len(), d.position() - start);
            }
        }
    }
}

#[test]
fn shortest_heads_are_told_apart() {
    // (encoding, shortest?)
    for (h, want) in [
        ("0a", true),
        ("180a", false),
        ("1818", true),
        ("190018", false),
        ("190100", true),
        ("1a0000ffff", false),
        ("1a00010000", true),
        ("1b00000000ffffffff", false),
        ("1b0000000100000000", true),
        ("3818", true),
        ("3900ff", false),
        ("5800", false),
        ("d9003d", false),
        ("d83d", true),
        ("f93c00", true),
        ("fa3f800000", true),
        ("f820", true),
    ] {
        let b = hex(h);
        let d = Decoder::new(&b);
        assert_eq!(d.is_shortest_head().unwrap(), want, "{h}");
        assert_eq!(d.position(), 0, "peeking consumes nothing");
    }
    assert!(Decoder::new(&[]).is_shortest_head().is_err());
    assert!(Decoder::new(&[0x19, 0x01]).is_shortest_head().is_err());
}
