//! A strict, borrowing DER reader and a DER writer into a caller's buffer (ITU-T X.690).
//!
//! The reader accepts only DER: definite lengths in the shortest form, single-byte tags, and
//! nothing after the last element it is asked for. Every value it returns borrows from the input.
//! The writer needs no allocator: a constructed element is opened, its contents written, and on
//! close the contents are moved to make room for the length header.

use crate::error::{DerError, Error, Result};

/// Universal and context tags used in certificates.
pub mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL.
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// UTF8String.
    pub const UTF8_STRING: u8 = 0x0c;
    /// PrintableString.
    pub const PRINTABLE_STRING: u8 = 0x13;
    /// IA5String.
    pub const IA5_STRING: u8 = 0x16;
    /// UTCTime.
    pub const UTC_TIME: u8 = 0x17;
    /// GeneralizedTime.
    pub const GENERALIZED_TIME: u8 = 0x18;
    /// ENUMERATED.
    pub const ENUMERATED: u8 = 0x0a;
    /// SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// SET (constructed).
    pub const SET: u8 = 0x31;

    /// A constructed context-specific tag `[n]`.
    #[must_use]
    pub const fn context(n: u8) -> u8 {
        0xa0 | (n & 0x1f)
    }

    /// A primitive context-specific tag `[n] IMPLICIT`.
    #[must_use]
    pub const fn context_primitive(n: u8) -> u8 {
        0x80 | (n & 0x1f)
    }
}

/// Reads DER elements from a borrowed slice, front to back.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    data: &'a [u8],
}

/// One element: its tag, its contents, and its whole encoding (header included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
    /// Header and contents, as they appear in the input.
    pub raw: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    #[must_use]
    pub const fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether everything has been read.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The tag of the next element, if any.
    #[must_use]
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Reads the next element, whatever its tag.
    ///
    /// # Errors
    /// [`DerError`] when the header is truncated, uses a multi-byte tag, an indefinite or
    /// non-minimal length, or a length past the end of the input.
    pub fn read_any(&mut self) -> Result<Tlv<'a>> {
        let (&tag, rest) = self.data.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::UnsupportedTag.into());
        }
        let (&first, rest) = rest.split_first().ok_or(DerError::Truncated)?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err(DerError::IndefiniteLength.into());
            }
            if n > 4 {
                return Err(DerError::TooLong.into());
            }
            let (bytes, rest) = rest.split_at_checked(n).ok_or(DerError::Truncated)?;
            if bytes.first() == Some(&0) {
                return Err(DerError::NonMinimalLength.into());
            }
            let mut len: usize = 0;
            for &b in bytes {
                len = len.checked_mul(256).and_then(|l| l.checked_add(usize::from(b))).ok_or(DerError::TooLong)?;
            }
            if len < 0x80 {
                return Err(DerError::NonMinimalLength.into());
            }
            (len, rest)
        };
        let (value, after) = rest.split_at_checked(len).ok_or(DerError::Truncated)?;
        let header_len = self.data.len().checked_sub(rest.len()).ok_or(DerError::Truncated)?;
        let total = header_len.checked_add(len).ok_or(DerError::TooLong)?;
        let raw = self.data.get(..total).ok_or(DerError::Truncated)?;
        self.data = after;
        Ok(Tlv { tag, value, raw })
    }

    /// Reads the next element, which must have tag `tag`, and returns its contents.
    ///
    /// # Errors
    /// [`DerError::UnexpectedTag`] for another tag, or any error of [`Reader::read_any`].
    pub fn read(&mut self, tag: u8) -> Result<&'a [u8]> {
        Ok(self.read_tlv(tag)?.value)
    }

    /// Like [`Reader::read`], returning the whole element.
    ///
    /// # Errors
    /// As [`Reader::read`].
    pub fn read_tlv(&mut self, tag: u8) -> Result<Tlv<'a>> {
        match self.peek_tag() {
            Some(t) if t == tag => self.read_any(),
            Some(actual) => Err(DerError::UnexpectedTag { expected: tag, actual }.into()),
            None => Err(DerError::Truncated.into()),
        }
    }

    /// Reads the next element only if it has tag `tag`.
    ///
    /// # Errors
    /// As [`Reader::read_any`].
    pub fn read_optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>> {
        if self.peek_tag() == Some(tag) { self.read(tag).map(Some) } else { Ok(None) }
    }

    /// Reads the next element, header included, only if it has tag `tag`.
    ///
    /// # Errors
    /// As [`Reader::read_any`].
    pub fn read_optional_tlv(&mut self, tag: u8) -> Result<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(tag) { self.read_any().map(Some) } else { Ok(None) }
    }

    /// Reads a nested element with tag `tag` and hands a reader over its contents to `f`, which
    /// must consume all of it.
    ///
    /// # Errors
    /// As [`Reader::read`], [`DerError::TrailingData`] when `f` leaves bytes unread, or `f`'s
    /// error.
    pub fn nested<T>(&mut self, tag: u8, f: impl FnOnce(&mut Reader<'a>) -> Result<T>) -> Result<T> {
        let mut inner = Reader::new(self.read(tag)?);
        let out = f(&mut inner)?;
        inner.finish()?;
        Ok(out)
    }

    /// Checks that everything was read.
    ///
    /// # Errors
    /// [`DerError::TrailingData`] otherwise.
    pub fn finish(&self) -> Result<()> {
        if self.data.is_empty() { Ok(()) } else { Err(DerError::TrailingData.into()) }
    }

    /// Reads a BOOLEAN (DER: 0x00 or 0xff only).
    ///
    /// # Errors
    /// [`DerError::InvalidBoolean`] or as [`Reader::read`].
    pub fn read_bool(&mut self) -> Result<bool> {
        match self.read(tag::BOOLEAN)? {
            [0x00] => Ok(false),
            [0xff] => Ok(true),
            _ => Err(DerError::InvalidBoolean.into()),
        }
    }

    /// Reads an INTEGER and returns its minimal two's-complement contents.
    ///
    /// # Errors
    /// [`DerError::InvalidInteger`] for an empty or non-minimal encoding.
    pub fn read_integer(&mut self) -> Result<&'a [u8]> {
        let v = self.read(tag::INTEGER)?;
        check_integer(v)?;
        Ok(v)
    }

    /// Reads a non-negative INTEGER that fits a `u64`.
    ///
    /// # Errors
    /// [`DerError::InvalidInteger`] for a negative, oversized or non-minimal one.
    pub fn read_u64(&mut self) -> Result<u64> {
        let v = self.read_integer()?;
        uint_value(v)
    }

    /// Reads a BIT STRING with no unused bits (keys and signatures).
    ///
    /// # Errors
    /// [`DerError::InvalidBitString`] when it has unused bits.
    pub fn read_bit_string_octets(&mut self) -> Result<&'a [u8]> {
        let v = self.read(tag::BIT_STRING)?;
        match v.split_first() {
            Some((0, rest)) => Ok(rest),
            _ => Err(DerError::InvalidBitString.into()),
        }
    }
}

/// Checks the DER rules of INTEGER contents: not empty, no redundant leading byte.
pub(crate) fn check_integer(v: &[u8]) -> Result<()> {
    match v {
        [] => Err(DerError::InvalidInteger.into()),
        [0x00, next, ..] if *next < 0x80 => Err(DerError::InvalidInteger.into()),
        [0xff, next, ..] if *next >= 0x80 => Err(DerError::InvalidInteger.into()),
        _ => Ok(()),
    }
}

/// The envelope every signed X.509 structure shares (certificate, CRL, CSR):
/// `SEQUENCE { tbs SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }` filling `der`.
/// Returns the to-be-signed element, the algorithm element and the signature octets.
pub(crate) fn signed_envelope(der: &[u8]) -> Result<(Tlv<'_>, Tlv<'_>, &[u8])> {
    let mut outer = Reader::new(der);
    let body = outer.read(tag::SEQUENCE)?;
    outer.finish()?;
    let mut r = Reader::new(body);
    let tbs = r.read_tlv(tag::SEQUENCE)?;
    let alg = r.read_tlv(tag::SEQUENCE)?;
    let signature = r.read_bit_string_octets()?;
    r.finish()?;
    Ok((tbs, alg, signature))
}

/// Walks the contents of an Extensions SEQUENCE (certificate, CRL, CRL entry): each
/// `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`,
/// refusing an explicitly encoded FALSE, more than `N` extensions (`LimitExceeded(what)`) and
/// duplicates. `f` gets the OID, the criticality and a reader over extnValue, which it must
/// consume. Returns the number of extensions.
pub(crate) fn for_each_extension<'a, const N: usize>(
    contents: &'a [u8],
    what: &'static str,
    mut f: impl FnMut(&'a [u8], bool, &mut Reader<'a>) -> Result<()>,
) -> Result<usize> {
    let mut seen: [&[u8]; N] = [&[]; N];
    let mut count = 0usize;
    let mut r = Reader::new(contents);
    while !r.is_empty() {
        let (id, critical, value) = r.nested(tag::SEQUENCE, |e| {
            let id = e.read(tag::OID)?;
            let critical = if e.peek_tag() == Some(tag::BOOLEAN) {
                if !e.read_bool()? {
                    // DER: the DEFAULT FALSE value is never encoded.
                    return Err(Error::Malformed("extension: explicit critical FALSE"));
                }
                true
            } else {
                false
            };
            Ok((id, critical, e.read(tag::OCTET_STRING)?))
        })?;
        *seen.get_mut(count).ok_or(Error::LimitExceeded(what))? = id;
        if seen.iter().take(count).any(|s| *s == id) {
            return Err(Error::DuplicateExtension);
        }
        count = count.saturating_add(1);
        let mut v = Reader::new(value);
        f(id, critical, &mut v)?;
        v.finish()?;
    }
    Ok(count)
}

/// The value of minimal non-negative INTEGER contents that fit a `u64`.
pub(crate) fn uint_value(v: &[u8]) -> Result<u64> {
    if v.first().is_some_and(|b| *b >= 0x80) {
        return Err(DerError::InvalidInteger.into());
    }
    let digits = match v {
        [0x00, rest @ ..] => rest,
        _ => v,
    };
    if digits.len() > 8 {
        return Err(DerError::InvalidInteger.into());
    }
    Ok(digits.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Decodes a BIT STRING's contents (with its unused-bits octet) as flags, bit 0 first, the way
/// KeyUsage names them. DER forbids trailing zero bits.
pub(crate) fn bit_flags(v: &[u8]) -> Result<u16> {
    let (&unused, bits) = v.split_first().ok_or(DerError::InvalidBitString)?;
    if unused > 7 || (bits.is_empty() && unused != 0) || bits.len() > 2 {
        return Err(DerError::InvalidBitString.into());
    }
    if let Some(last) = bits.last() {
        let mask = (1u8 << unused).wrapping_sub(1);
        if last & mask != 0 {
            return Err(DerError::InvalidBitString.into());
        }
        // DER: the last content octet must have a set bit right after the unused bits.
        if (last >> unused) & 1 == 0 {
            return Err(DerError::InvalidBitString.into());
        }
    }
    let mut flags = 0u16;
    for (i, b) in bits.iter().enumerate() {
        for bit in 0..8u16 {
            if b & (0x80 >> bit) != 0 {
                let idx =
                    u16::try_from(i).map_err(|_| DerError::InvalidBitString)?.saturating_mul(8).saturating_add(bit);
                flags |= 1u16.checked_shl(u32::from(idx)).unwrap_or(0);
            }
        }
    }
    Ok(flags)
}

/// Writes DER into a caller's buffer without an allocator.
///
/// Constructed elements are written with [`Writer::open`] / [`Writer::close`]: the contents go
/// after a one-byte placeholder, and on close they are shifted right by the length bytes. Errors
/// are sticky: after the buffer runs out every call is a no-op and [`Writer::finish`] reports it.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
    overflow: bool,
}

/// Position of an open constructed element, returned by [`Writer::open`].
#[derive(Debug, Clone, Copy)]
#[must_use = "close the element"]
pub struct Open {
    start: usize,
}

impl<'b> Writer<'b> {
    /// A writer into `buf`.
    #[must_use]
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, pos: 0, overflow: false }
    }

    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pos
    }

    /// Whether nothing has been written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// The bytes written from `from` to the current end.
    #[must_use]
    pub fn written_since(&self, from: usize) -> &[u8] {
        self.buf.get(from..self.pos).unwrap_or(&[])
    }

    /// Appends raw bytes (an already-encoded element).
    pub fn raw(&mut self, bytes: &[u8]) {
        if self.overflow {
            return;
        }
        let Some(end) = self.pos.checked_add(bytes.len()) else {
            self.overflow = true;
            return;
        };
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.pos = end;
            }
            None => self.overflow = true,
        }
    }

    /// Writes a primitive element.
    pub fn primitive(&mut self, tag: u8, value: &[u8]) {
        self.raw(&[tag]);
        self.length(value.len());
        self.raw(value);
    }

    /// Writes an element whose contents are the concatenation of `parts`.
    pub fn primitive_parts(&mut self, tag: u8, parts: &[&[u8]]) {
        let len = parts.iter().fold(0usize, |a, p| a.saturating_add(p.len()));
        self.raw(&[tag]);
        self.length(len);
        for p in parts {
            self.raw(p);
        }
    }

    fn length(&mut self, len: usize) {
        if u32::try_from(len).is_err() {
            self.overflow = true;
            return;
        }
        let mut tmp = [0u8; 5];
        let n = encode_length(len, &mut tmp);
        self.raw(tmp.get(..n).unwrap_or(&[]));
    }

    /// Opens a constructed element with tag `tag`.
    pub fn open(&mut self, tag: u8) -> Open {
        self.raw(&[tag, 0]);
        Open { start: self.pos }
    }

    /// Closes an element opened with [`Writer::open`], writing its length.
    pub fn close(&mut self, open: Open) {
        if self.overflow {
            return;
        }
        let Some(len) = self.pos.checked_sub(open.start) else {
            self.overflow = true;
            return;
        };
        if u32::try_from(len).is_err() {
            self.overflow = true;
            return;
        }
        let mut tmp = [0u8; 5];
        let n = encode_length(len, &mut tmp);
        let extra = n.saturating_sub(1);
        let Some(new_end) = self.pos.checked_add(extra) else {
            self.overflow = true;
            return;
        };
        let Some(len_at) = open.start.checked_sub(1) else {
            self.overflow = true;
            return;
        };
        if new_end > self.buf.len() {
            self.overflow = true;
            return;
        }
        if extra > 0 {
            let Some(dest) = open.start.checked_add(extra) else {
                self.overflow = true;
                return;
            };
            self.buf.copy_within(open.start..self.pos, dest);
        }
        if let Some(dst) = self.buf.get_mut(len_at..len_at.saturating_add(n)) {
            dst.copy_from_slice(tmp.get(..n).unwrap_or(&[]));
        }
        self.pos = new_end;
    }

    /// Writes a non-negative INTEGER from big-endian magnitude bytes (leading zeros dropped, a
    /// zero byte added when the top bit is set).
    pub fn uint(&mut self, magnitude: &[u8]) {
        let trimmed = match magnitude.iter().position(|b| *b != 0) {
            Some(i) => magnitude.get(i..).unwrap_or(&[]),
            None => &[],
        };
        if trimmed.is_empty() {
            self.primitive(tag::INTEGER, &[0]);
        } else if trimmed.first().is_some_and(|b| *b >= 0x80) {
            self.primitive_parts(tag::INTEGER, &[&[0], trimmed]);
        } else {
            self.primitive(tag::INTEGER, trimmed);
        }
    }

    /// Writes a BIT STRING with no unused bits.
    pub fn bit_string(&mut self, octets: &[u8]) {
        self.primitive_parts(tag::BIT_STRING, &[&[0], octets]);
    }

    /// The encoding written so far.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when the buffer ran out.
    pub fn finish(self) -> Result<usize> {
        if self.overflow { Err(Error::BufferTooSmall) } else { Ok(self.pos) }
    }

    /// Whether the buffer has run out.
    #[must_use]
    pub fn overflowed(&self) -> bool {
        self.overflow
    }
}

/// Encodes a DER length (at most `u32::MAX`, which the callers check) into `out`, returning how
/// many bytes it took.
fn encode_length(len: usize, out: &mut [u8; 5]) -> usize {
    let bytes = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    if len < 0x80 {
        out.fill(0);
        if let Some(f) = out.first_mut() {
            *f = bytes.last().copied().unwrap_or(0);
        }
        return 1;
    }
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let sig = bytes.get(skip..).unwrap_or(&[]);
    let n = sig.len();
    if let Some(dst) = out.get_mut(1..=n) {
        dst.copy_from_slice(sig);
    }
    if let Some(f) = out.first_mut() {
        *f = 0x80 | u8::try_from(n).unwrap_or(4);
    }
    n.saturating_add(1)
}
