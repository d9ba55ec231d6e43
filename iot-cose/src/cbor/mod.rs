//! A minimal, allocation-free CBOR (RFC 8949) reader and writer.
//!
//! This is the codec every crate of the family uses for its wire formats. It covers exactly what COSE,
//! SUIT and EAT need and nothing more, so that it stays small on a microcontroller:
//!
//! - [`Decoder`] reads borrowed items from a byte slice: integers, byte and text strings (zero copy),
//!   array and map heads, tags and simple values. It rejects indefinite lengths and reserved
//!   encodings, never panics and never reads out of bounds. Nesting is skipped with an explicit depth
//!   bound.
//! - [`Encoder`] writes definite-length, minimally encoded items into any [`Write`] sink: a caller's
//!   buffer ([`SliceWriter`]), a byte counter ([`Counter`]) or, with `alloc`, a `Vec<u8>`.
//!
//! ```
//! use iot_cose::cbor::{Decoder, Encoder, SliceWriter};
//!
//! let mut buf = [0u8; 16];
//! let mut w = SliceWriter::new(&mut buf);
//! let mut e = Encoder::new(&mut w);
//! e.array(2)?.int(-7)?.bytes(b"kid")?;
//! let len = w.len();
//!
//! let mut d = Decoder::new(&buf[..len]);
//! assert_eq!(d.array()?, 2);
//! assert_eq!(d.int()?, -7);
//! assert_eq!(d.bytes()?, b"kid");
//! d.finish()?;
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

#[cfg(test)]
mod tests;

use core::fmt;

/// The kind of a malformed-CBOR failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended inside an item.
    #[error("truncated input")]
    Truncated,
    /// An item of another major type was found.
    #[error("expected {expected}, found {found}")]
    UnexpectedType {
        /// What the reader asked for.
        expected: Type,
        /// What the input held.
        found: Type,
    },
    /// An indefinite-length string, array or map (not allowed here).
    #[error("indefinite length not allowed")]
    IndefiniteLength,
    /// A reserved additional-information value (28 to 30) or a malformed simple value.
    #[error("reserved encoding")]
    Reserved,
    /// An integer or length that does not fit the type asked for.
    #[error("integer out of range")]
    IntegerOverflow,
    /// A text string that is not UTF-8.
    #[error("text string is not utf-8")]
    InvalidUtf8,
    /// Nesting deeper than the configured bound.
    #[error("nesting too deep")]
    DepthExceeded,
    /// Bytes left after the last item.
    #[error("trailing bytes")]
    TrailingBytes,
}

/// Malformed CBOR: what went wrong and at which byte offset of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Offset of the item that failed, from the start of the decoder's input.
    pub offset: usize,
}

/// The major type of a CBOR data item (with major type 7 split into its useful kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Type {
    /// Unsigned integer (major 0).
    UInt,
    /// Negative integer (major 1).
    NInt,
    /// Integer of either sign.
    Int,
    /// Byte string (major 2).
    Bytes,
    /// Text string (major 3).
    Text,
    /// Array (major 4).
    Array,
    /// Map (major 5).
    Map,
    /// Tag (major 6).
    Tag,
    /// `false` or `true`.
    Bool,
    /// `null`.
    Null,
    /// `undefined` or another simple value.
    Simple,
    /// Half, single or double precision float.
    Float,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Type::UInt => "unsigned integer",
            Type::NInt => "negative integer",
            Type::Int => "integer",
            Type::Bytes => "byte string",
            Type::Text => "text string",
            Type::Array => "array",
            Type::Map => "map",
            Type::Tag => "tag",
            Type::Bool => "bool",
            Type::Null => "null",
            Type::Simple => "simple value",
            Type::Float => "float",
        };
        f.write_str(s)
    }
}

const MAJOR_UINT: u8 = 0;
const MAJOR_NINT: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;
const MAJOR_SIMPLE: u8 = 7;

/// A borrowed, bounds-checked CBOR reader over a byte slice.
///
/// Every method either consumes one item and returns it, or returns a [`DecodeError`] and leaves the
/// decoder in a failed state: later calls keep failing with the same error (sticky failure, so a
/// caller that ignores one error cannot read past it).
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    failed: Option<DecodeError>,
}

/// A decoded head: major type, additional information, argument.
#[derive(Clone, Copy)]
struct Head {
    major: u8,
    ai: u8,
    arg: u64,
}

impl<'a> Decoder<'a> {
    /// A decoder positioned at the start of `input`.
    #[must_use]
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0, failed: None }
    }

    /// Byte offset of the next item.
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not read yet.
    #[must_use]
    pub fn remaining(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// The input bytes from offset `start` up to the current position (empty if `start` is past it).
    ///
    /// Lets a caller capture the exact encoding of what it just read, for example a map whose bytes
    /// are covered by a signature.
    #[must_use]
    pub fn consumed_since(&self, start: usize) -> &'a [u8] {
        self.input.get(start..self.pos).unwrap_or_default()
    }

    /// Whether every byte was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Succeeds only when the whole input was consumed.
    ///
    /// # Errors
    /// [`DecodeErrorKind::TrailingBytes`] if bytes are left, or the sticky earlier failure.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.is_empty() { Ok(()) } else { Err(self.err_at(self.pos, DecodeErrorKind::TrailingBytes)) }
    }

    fn err_at(&self, offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { kind, offset }
    }

    fn fail(&mut self, offset: usize, kind: DecodeErrorKind) -> DecodeError {
        let e = self.err_at(offset, kind);
        self.failed = Some(e);
        e
    }

    fn take(&mut self, start: usize, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = match self.pos.checked_add(n) {
            Some(end) => end,
            None => return Err(self.fail(start, DecodeErrorKind::Truncated)),
        };
        match self.input.get(self.pos..end) {
            Some(s) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(self.fail(start, DecodeErrorKind::Truncated)),
        }
    }

    fn peek_head(&self) -> Result<(Head, usize), DecodeError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let start = self.pos;
        let Some(&ib) = self.input.get(start) else {
            return Err(self.err_at(start, DecodeErrorKind::Truncated));
        };
        let major = ib >> 5;
        let ai = ib & 0x1f;
        let n: usize = match ai {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Err(self.err_at(start, DecodeErrorKind::IndefiniteLength)),
            _ => return Err(self.err_at(start, DecodeErrorKind::Reserved)),
        };
        let arg = if n == 0 {
            u64::from(ai)
        } else {
            let bytes = start
                .checked_add(1)
                .and_then(|s| s.checked_add(n).map(|e| (s, e)))
                .and_then(|(s, e)| self.input.get(s..e))
                .ok_or(self.err_at(start, DecodeErrorKind::Truncated))?;
            let mut arg = 0u64;
            for &b in bytes {
                arg = (arg << 8) | u64::from(b);
            }
            arg
        };
        if major == MAJOR_SIMPLE && ai == 24 && arg < 32 {
            // RFC 8949 3.3: simple values below 32 must use the one-byte form.
            return Err(self.err_at(start, DecodeErrorKind::Reserved));
        }
        // 1 + n never overflows: n <= 8.
        Ok((Head { major, ai, arg }, n.saturating_add(1)))
    }

    fn head(&mut self) -> Result<(Head, usize), DecodeError> {
        match self.peek_head() {
            Ok((h, len)) => {
                let start = self.pos;
                self.pos = start.saturating_add(len);
                Ok((h, start))
            }
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    fn type_of(h: Head) -> Type {
        match h.major {
            MAJOR_UINT => Type::UInt,
            MAJOR_NINT => Type::NInt,
            MAJOR_BYTES => Type::Bytes,
            MAJOR_TEXT => Type::Text,
            MAJOR_ARRAY => Type::Array,
            MAJOR_MAP => Type::Map,
            MAJOR_TAG => Type::Tag,
            _ => match h.ai {
                20 | 21 => Type::Bool,
                22 => Type::Null,
                25..=27 => Type::Float,
                _ => Type::Simple,
            },
        }
    }

    /// The type of the next item, without consuming it.
    ///
    /// # Errors
    /// Malformed or missing head.
    pub fn peek_type(&self) -> Result<Type, DecodeError> {
        self.peek_head().map(|(h, _)| Self::type_of(h))
    }

    /// Whether the next head is in its shortest form (RFC 8949 section 4.2.1, "preferred
    /// serialization" for integers, lengths and tags), without consuming it. Floats are not
    /// judged here (their preferred form depends on the value) and report `true`.
    ///
    /// Readers accept non-shortest heads, as RFC 8949 asks of generic decoders; profiles that
    /// demand preferred serialization use this to refuse them.
    ///
    /// # Errors
    /// Malformed or missing head.
    pub fn is_shortest_head(&self) -> Result<bool, DecodeError> {
        let (h, len) = self.peek_head()?;
        Ok(match len {
            2 => h.arg >= 24,
            _ if h.major == MAJOR_SIMPLE => true,
            3 => h.arg > 0xff,
            5 => h.arg > 0xffff,
            9 => h.arg > 0xffff_ffff,
            _ => true,
        })
    }

    fn expect(&mut self, major: u8, expected: Type) -> Result<(u64, usize), DecodeError> {
        let (h, start) = self.head()?;
        if h.major == major {
            Ok((h.arg, start))
        } else {
            self.pos = start;
            Err(self.fail(start, DecodeErrorKind::UnexpectedType { expected, found: Self::type_of(h) }))
        }
    }

    /// Reads an unsigned integer.
    ///
    /// # Errors
    /// Not an unsigned integer, or malformed.
    pub fn uint(&mut self) -> Result<u64, DecodeError> {
        self.expect(MAJOR_UINT, Type::UInt).map(|(v, _)| v)
    }

    /// Reads an integer of either sign that fits an `i64`.
    ///
    /// # Errors
    /// Not an integer, out of `i64` range, or malformed.
    pub fn int(&mut self) -> Result<i64, DecodeError> {
        let (h, start) = self.head()?;
        let v = match h.major {
            MAJOR_UINT => i64::try_from(h.arg).ok(),
            // The value is -1 - arg, which for arg in 0..=i64::MAX is exactly `!arg`.
            MAJOR_NINT => i64::try_from(h.arg).ok().map(|a| !a),
            _ => {
                self.pos = start;
                return Err(
                    self.fail(start, DecodeErrorKind::UnexpectedType { expected: Type::Int, found: Self::type_of(h) })
                );
            }
        };
        v.ok_or_else(|| self.fail(start, DecodeErrorKind::IntegerOverflow))
    }

    fn len_of(&mut self, arg: u64, start: usize) -> Result<usize, DecodeError> {
        usize::try_from(arg).map_err(|_| self.fail(start, DecodeErrorKind::Truncated))
    }

    /// Reads a byte string and borrows its content from the input.
    ///
    /// # Errors
    /// Not a definite-length byte string, or truncated.
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let (len, start) = self.expect(MAJOR_BYTES, Type::Bytes)?;
        let len = self.len_of(len, start)?;
        self.take(start, len)
    }

    /// Reads a text string and borrows it from the input.
    ///
    /// # Errors
    /// Not a definite-length UTF-8 text string, or truncated.
    pub fn str(&mut self) -> Result<&'a str, DecodeError> {
        let (len, start) = self.expect(MAJOR_TEXT, Type::Text)?;
        let len = self.len_of(len, start)?;
        let b = self.take(start, len)?;
        core::str::from_utf8(b).map_err(|_| self.fail(start, DecodeErrorKind::InvalidUtf8))
    }

    /// Reads an array head and returns its item count (the items follow).
    ///
    /// # Errors
    /// Not a definite-length array.
    pub fn array(&mut self) -> Result<u64, DecodeError> {
        self.expect(MAJOR_ARRAY, Type::Array).map(|(v, _)| v)
    }

    /// Reads a map head and returns its number of pairs (the pairs follow).
    ///
    /// # Errors
    /// Not a definite-length map.
    pub fn map(&mut self) -> Result<u64, DecodeError> {
        self.expect(MAJOR_MAP, Type::Map).map(|(v, _)| v)
    }

    /// Reads a tag number (the tagged item follows).
    ///
    /// # Errors
    /// Not a tag.
    pub fn tag(&mut self) -> Result<u64, DecodeError> {
        self.expect(MAJOR_TAG, Type::Tag).map(|(v, _)| v)
    }

    /// Reads the next item if it is a tag, and returns its number.
    ///
    /// # Errors
    /// Malformed head.
    pub fn optional_tag(&mut self) -> Result<Option<u64>, DecodeError> {
        if self.peek_type()? == Type::Tag { self.tag().map(Some) } else { Ok(None) }
    }

    /// Reads `false` or `true`.
    ///
    /// # Errors
    /// Not a bool.
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        let (h, start) = self.head()?;
        match (h.major, h.ai) {
            (MAJOR_SIMPLE, 20) => Ok(false),
            (MAJOR_SIMPLE, 21) => Ok(true),
            _ => {
                self.pos = start;
                Err(self.fail(start, DecodeErrorKind::UnexpectedType { expected: Type::Bool, found: Self::type_of(h) }))
            }
        }
    }

    /// Reads a half, single or double precision float, widened to `f64` exactly.
    ///
    /// # Errors
    /// Not a float.
    pub fn float(&mut self) -> Result<f64, DecodeError> {
        let (h, start) = self.head()?;
        match (h.major, h.ai) {
            // The argument holds the float's bits; each narrowing below keeps exactly those bits.
            (MAJOR_SIMPLE, 25) => Ok(f16_to_f64(u16::try_from(h.arg).unwrap_or(0))),
            (MAJOR_SIMPLE, 26) => Ok(f64::from(f32::from_bits(u32::try_from(h.arg).unwrap_or(0)))),
            (MAJOR_SIMPLE, 27) => Ok(f64::from_bits(h.arg)),
            _ => {
                self.pos = start;
                Err(self
                    .fail(start, DecodeErrorKind::UnexpectedType { expected: Type::Float, found: Self::type_of(h) }))
            }
        }
    }

    /// Reads `null`.
    ///
    /// # Errors
    /// Not null.
    pub fn null(&mut self) -> Result<(), DecodeError> {
        let (h, start) = self.head()?;
        if h.major == MAJOR_SIMPLE && h.ai == 22 {
            Ok(())
        } else {
            self.pos = start;
            Err(self.fail(start, DecodeErrorKind::UnexpectedType { expected: Type::Null, found: Self::type_of(h) }))
        }
    }

    /// Skips one whole item, nested at most `max_depth` levels deep, and returns its raw encoding.
    ///
    /// Work is bounded by the input length: every item consumes at least one byte.
    ///
    /// # Errors
    /// Malformed CBOR or nesting deeper than `max_depth`.
    pub fn raw_item(&mut self, max_depth: usize) -> Result<&'a [u8], DecodeError> {
        let start = self.pos;
        self.skip(max_depth)?;
        Ok(self.input.get(start..self.pos).unwrap_or_default())
    }

    /// Skips one whole item (see [`Decoder::raw_item`]).
    ///
    /// # Errors
    /// Malformed CBOR or nesting deeper than `max_depth`.
    pub fn skip(&mut self, max_depth: usize) -> Result<(), DecodeError> {
        let (h, start) = self.head()?;
        match h.major {
            MAJOR_BYTES | MAJOR_TEXT => {
                let len = self.len_of(h.arg, start)?;
                let s = self.take(start, len)?;
                if h.major == MAJOR_TEXT && core::str::from_utf8(s).is_err() {
                    return Err(self.fail(start, DecodeErrorKind::InvalidUtf8));
                }
                Ok(())
            }
            MAJOR_ARRAY | MAJOR_MAP | MAJOR_TAG => {
                let Some(depth) = max_depth.checked_sub(1) else {
                    return Err(self.fail(start, DecodeErrorKind::DepthExceeded));
                };
                let count = match h.major {
                    MAJOR_MAP => h.arg.checked_mul(2),
                    MAJOR_TAG => Some(1),
                    _ => Some(h.arg),
                }
                .ok_or_else(|| self.fail(start, DecodeErrorKind::Truncated))?;
                for _ in 0..count {
                    // Each nested item consumes at least one byte, so a huge count ends in Truncated.
                    self.skip(depth)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// 2^k for k in -1022..=1023, built from its bit pattern (`powi` is not in `core`).
fn pow2(k: i32) -> f64 {
    let biased = u64::try_from(k.saturating_add(1023)).unwrap_or(0);
    f64::from_bits(biased << 52)
}

/// IEEE 754 binary16 to binary64 (exact).
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    let magnitude = match exp {
        0 => frac * pow2(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        // 2^(exp-15) * (1 + frac/1024), exp in 1..=30
        e => (1024.0 + frac) * pow2(e.saturating_sub(25)),
    };
    sign * magnitude
}

/// The binary16 encoding of `v` if it represents `v` exactly.
#[expect(clippy::arithmetic_side_effects, reason = "bit arithmetic on ranges checked just before")]
fn f64_to_f16_exact(v: f64) -> Option<u16> {
    if v.is_nan() {
        return Some(0x7e00);
    }
    let bits = v.to_bits();
    let sign = u16::from(bits >> 63 == 1) << 15;
    let biased = i32::try_from((bits >> 52) & 0x7ff).ok()?;
    let mant = bits & ((1u64 << 52) - 1);
    match biased {
        0x7ff => return Some(sign | 0x7c00), // infinity (NaN handled above)
        0 if mant == 0 => return Some(sign), // zero
        0 => return None,                    // f64 subnormals are far below binary16's range
        _ => {}
    }
    let e = biased - 1023;
    if (-14..=15).contains(&e) {
        // binary16 normal: 10 fraction bits, so the low 42 bits of the f64 fraction must be zero.
        if mant & ((1u64 << 42) - 1) != 0 {
            return None;
        }
        let frac = u16::try_from(mant >> 42).ok()?;
        let e16 = u16::try_from(e + 15).ok()?;
        return Some(sign | (e16 << 10) | frac);
    }
    if (-24..=-15).contains(&e) {
        // binary16 subnormal: value = frac * 2^-24, frac = significand >> (28 - e).
        let sig = (1u64 << 52) | mant;
        let shift = u32::try_from(28 - e).ok()?;
        if sig & ((1u64 << shift) - 1) != 0 {
            return None;
        }
        return Some(sign | u16::try_from(sig >> shift).ok()?);
    }
    None
}

/// The binary32 value equal to `v`, if there is one.
#[expect(clippy::as_conversions, clippy::cast_possible_truncation, reason = "checked: converted back and compared")]
fn f64_to_f32_exact(v: f64) -> Option<f32> {
    let s = v as f32;
    (f64::from(s) == v).then_some(s)
}

/// Where an [`Encoder`] writes.
pub trait Write {
    /// Appends all of `data`.
    ///
    /// # Errors
    /// [`BufferTooSmall`] when the sink is full.
    fn write_all(&mut self, data: &[u8]) -> Result<(), BufferTooSmall>;
}

/// The caller's buffer cannot hold the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("output buffer too small")]
pub struct BufferTooSmall;

impl<W: Write + ?Sized> Write for &mut W {
    fn write_all(&mut self, data: &[u8]) -> Result<(), BufferTooSmall> {
        (**self).write_all(data)
    }
}

#[cfg(any(feature = "alloc", test))]
impl Write for alloc::vec::Vec<u8> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), BufferTooSmall> {
        self.extend_from_slice(data);
        Ok(())
    }
}

/// Writes into a caller-provided buffer.
#[derive(Debug)]
pub struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> SliceWriter<'b> {
    /// A writer at the start of `buf`.
    #[must_use]
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }
    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether nothing was written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The bytes written so far.
    #[must_use]
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
    /// Gives the buffer back, with the number of bytes written.
    #[must_use]
    pub fn into_inner(self) -> (&'b mut [u8], usize) {
        (self.buf, self.len)
    }
}

impl Write for SliceWriter<'_> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), BufferTooSmall> {
        let end = self.len.checked_add(data.len()).ok_or(BufferTooSmall)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(BufferTooSmall)?;
        dst.copy_from_slice(data);
        self.len = end;
        Ok(())
    }
}

/// Counts the bytes an encoding would take, writing nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counter(pub usize);

impl Write for Counter {
    fn write_all(&mut self, data: &[u8]) -> Result<(), BufferTooSmall> {
        self.0 = self.0.checked_add(data.len()).ok_or(BufferTooSmall)?;
        Ok(())
    }
}

/// An encoded CBOR head (initial byte and argument), at most 9 bytes.
#[derive(Debug, Clone, Copy)]
pub struct EncodedHead {
    buf: [u8; 9],
    len: u8,
}

impl EncodedHead {
    /// The minimal head for major type `major` (0 to 7) and argument `arg`.
    #[must_use]
    pub fn new(major: u8, arg: u64) -> Self {
        let mt = (major & 7) << 5;
        let be = arg.to_be_bytes();
        let mut buf = [0u8; 9];
        let (ai, n): (u8, usize) = match arg {
            0..=23 => (0, 0),
            24..=0xff => (24, 1),
            0x100..=0xffff => (25, 2),
            0x1_0000..=0xffff_ffff => (26, 4),
            _ => (27, 8),
        };
        let first = if n == 0 { be.get(7).copied().unwrap_or(0) } else { ai };
        buf[0] = mt | first;
        let src = be.get(8usize.saturating_sub(n)..).unwrap_or_default();
        if let Some(dst) = buf.get_mut(1..=src.len()) {
            dst.copy_from_slice(src);
        }
        Self { buf, len: u8::try_from(n.saturating_add(1)).unwrap_or(9) }
    }

    /// Head of a byte string of `len` bytes.
    #[must_use]
    pub fn bytes(len: usize) -> Self {
        Self::new(MAJOR_BYTES, u64::try_from(len).unwrap_or(u64::MAX))
    }

    /// The encoded bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// A CBOR writer: definite lengths and minimal heads only (RFC 8949 4.2.1 core deterministic rules
/// for everything it writes; map key order is the caller's).
#[derive(Debug)]
pub struct Encoder<W: Write> {
    w: W,
}

impl<W: Write> Encoder<W> {
    /// An encoder writing to `w`.
    #[must_use]
    pub fn new(w: W) -> Self {
        Self { w }
    }

    /// Gives the sink back.
    #[must_use]
    pub fn into_inner(self) -> W {
        self.w
    }

    fn head(&mut self, major: u8, arg: u64) -> Result<&mut Self, BufferTooSmall> {
        self.w.write_all(EncodedHead::new(major, arg).as_bytes())?;
        Ok(self)
    }

    fn len_arg(len: usize) -> u64 {
        u64::try_from(len).unwrap_or(u64::MAX)
    }

    /// Writes an unsigned integer.
    ///
    /// # Errors
    /// The sink is full.
    pub fn uint(&mut self, v: u64) -> Result<&mut Self, BufferTooSmall> {
        self.head(MAJOR_UINT, v)
    }

    /// Writes a signed integer.
    ///
    /// # Errors
    /// The sink is full.
    pub fn int(&mut self, v: i64) -> Result<&mut Self, BufferTooSmall> {
        match u64::try_from(v) {
            Ok(u) => self.head(MAJOR_UINT, u),
            // v < 0: -1 - v is in 0..=i64::MAX; `!v` computes it without overflow.
            Err(_) => self.head(MAJOR_NINT, u64::try_from(!v).unwrap_or(0)),
        }
    }

    /// Writes a byte string.
    ///
    /// # Errors
    /// The sink is full.
    pub fn bytes(&mut self, b: &[u8]) -> Result<&mut Self, BufferTooSmall> {
        self.head(MAJOR_BYTES, Self::len_arg(b.len()))?;
        self.w.write_all(b)?;
        Ok(self)
    }

    /// Writes a text string.
    ///
    /// # Errors
    /// The sink is full.
    pub fn str(&mut self, s: &str) -> Result<&mut Self, BufferTooSmall> {
        self.head(MAJOR_TEXT, Self::len_arg(s.len()))?;
        self.w.write_all(s.as_bytes())?;
        Ok(self)
    }

    /// Writes an array head for `len` items (write the items next).
    ///
    /// # Errors
    /// The sink is full.
    pub fn array(&mut self, len: usize) -> Result<&mut Self, BufferTooSmall> {
        self.head(MAJOR_ARRAY, Self::len_arg(len))
    }

    /// Writes a map head for `len` pairs (write the pairs next).
    ///
    /// # Errors
    /// The sink is full.
    pub fn map(&mut self, len: usize) -> Result<&mut Self, BufferTooSmall> {
        self.head(MAJOR_MAP, Self::len_arg(len))
    }

    /// Writes a tag number (write the tagged item next).
    ///
    /// # Errors
    /// The sink is full.
    pub fn tag(&mut self, tag: u64) -> Result<&mut Self, BufferTooSmall> {
        self.head(MAJOR_TAG, tag)
    }

    /// Writes `false` or `true`.
    ///
    /// # Errors
    /// The sink is full.
    pub fn bool(&mut self, b: bool) -> Result<&mut Self, BufferTooSmall> {
        self.w.write_all(&[if b { 0xf5 } else { 0xf4 }])?;
        Ok(self)
    }

    /// Writes a float in its shortest exact form (half, single or double; RFC 8949 section 4.2.2
    /// preferred serialization). NaN is written as the half-precision quiet NaN.
    ///
    /// # Errors
    /// The sink is full.
    pub fn float(&mut self, v: f64) -> Result<&mut Self, BufferTooSmall> {
        if let Some(h) = f64_to_f16_exact(v) {
            let [a, b] = h.to_be_bytes();
            self.w.write_all(&[0xf9, a, b])?;
        } else if let Some(single) = f64_to_f32_exact(v) {
            let [a, b, c, d] = single.to_bits().to_be_bytes();
            self.w.write_all(&[0xfa, a, b, c, d])?;
        } else {
            self.w.write_all(&[0xfb])?;
            self.w.write_all(&v.to_bits().to_be_bytes())?;
        }
        Ok(self)
    }

    /// Writes `null`.
    ///
    /// # Errors
    /// The sink is full.
    pub fn null(&mut self) -> Result<&mut Self, BufferTooSmall> {
        self.w.write_all(&[0xf6])?;
        Ok(self)
    }

    /// Writes already-encoded CBOR as is (the caller vouches that it is one or more whole items).
    ///
    /// # Errors
    /// The sink is full.
    pub fn raw(&mut self, encoded: &[u8]) -> Result<&mut Self, BufferTooSmall> {
        self.w.write_all(encoded)?;
        Ok(self)
    }
}
