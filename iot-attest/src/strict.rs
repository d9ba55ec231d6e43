//! A well-formedness pass over an untrusted claims set, before any claim is interpreted: every
//! item is complete and definite-length, text is UTF-8, nesting and map sizes are bounded, no map
//! repeats a key, and (reported, for the profiles that demand it) every head is in its shortest
//! form. Works on the bytes directly, without an allocator; key positions are kept in a small
//! fixed array per open map.

use crate::error::{Error, Result};
use iot_cose::cbor::{DecodeError, DecodeErrorKind};

/// Bounds for untrusted claims sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting of arrays, maps and tags (default 12).
    pub max_depth: usize,
    /// Most entries in one map (default 64). Also bounds the duplicate-key check.
    pub max_map_entries: usize,
    /// Most elements in one array (default 256).
    pub max_array_len: usize,
    /// Deepest nesting of `submods` (default 4).
    pub max_submod_depth: usize,
}

impl Limits {
    /// The defaults.
    pub const DEFAULT: Self = Self { max_depth: 12, max_map_entries: 64, max_array_len: 256, max_submod_depth: 4 };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Most keys remembered per map for the duplicate check; [`Limits::max_map_entries`] is capped by it.
const KEYS: usize = 64;

/// Result of the pass: where the first non-preferred head is, if any.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Report {
    pub(crate) first_non_preferred: Option<usize>,
}

struct Walker<'a> {
    b: &'a [u8],
    pos: usize,
    limits: Limits,
    report: Report,
}

fn cbor_err(offset: usize, kind: DecodeErrorKind) -> Error {
    Error::Cbor(DecodeError { kind, offset })
}

impl Walker<'_> {
    fn byte(&self, at: usize) -> Result<u8> {
        self.b.get(at).copied().ok_or(cbor_err(at, DecodeErrorKind::Truncated))
    }

    /// Reads a head: (major, argument, start offset).
    fn head(&mut self) -> Result<(u8, u64, usize)> {
        let start = self.pos;
        let ib = self.byte(start)?;
        let major = ib >> 5;
        let ai = ib & 0x1f;
        let n: usize = match ai {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Err(cbor_err(start, DecodeErrorKind::IndefiniteLength)),
            _ => return Err(cbor_err(start, DecodeErrorKind::Reserved)),
        };
        let mut arg = u64::from(ai);
        if n > 0 {
            let s = start.saturating_add(1);
            let bytes = self.b.get(s..s.saturating_add(n)).ok_or(cbor_err(start, DecodeErrorKind::Truncated))?;
            arg = bytes.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
            let shortest = match n {
                1 => arg >= 24,
                2 => arg > 0xff,
                4 => arg > 0xffff,
                _ => arg > 0xffff_ffff,
            };
            // Floats (major 7, ai 25..27) have their own preferred rules; not judged here.
            if !shortest && major != 7 && self.report.first_non_preferred.is_none() {
                self.report.first_non_preferred = Some(start);
            }
            if major == 7 && n == 1 && arg < 32 {
                return Err(cbor_err(start, DecodeErrorKind::Reserved));
            }
        }
        self.pos = start.saturating_add(1).saturating_add(n);
        Ok((major, arg, start))
    }

    fn take(&mut self, len: u64, start: usize) -> Result<&[u8]> {
        let len = usize::try_from(len).map_err(|_| cbor_err(start, DecodeErrorKind::Truncated))?;
        let end = self.pos.checked_add(len).ok_or(cbor_err(start, DecodeErrorKind::Truncated))?;
        let s = self.b.get(self.pos..end).ok_or(cbor_err(start, DecodeErrorKind::Truncated))?;
        self.pos = end;
        Ok(s)
    }

    fn item(&mut self, depth: usize) -> Result<()> {
        let (major, arg, start) = self.head()?;
        match major {
            0 | 1 | 7 => Ok(()),
            2 => self.take(arg, start).map(|_| ()),
            3 => {
                let s = self.take(arg, start)?;
                core::str::from_utf8(s).map(|_| ()).map_err(|_| cbor_err(start, DecodeErrorKind::InvalidUtf8))
            }
            4 => {
                let depth = self.deeper(depth, start)?;
                if arg > u64::try_from(self.limits.max_array_len).unwrap_or(u64::MAX) {
                    return Err(Error::LimitExceeded("array length"));
                }
                for _ in 0..arg {
                    self.item(depth)?;
                }
                Ok(())
            }
            5 => {
                let depth = self.deeper(depth, start)?;
                self.map(arg, depth)
            }
            _ => {
                let depth = self.deeper(depth, start)?;
                self.item(depth)
            }
        }
    }

    fn deeper(&self, depth: usize, at: usize) -> Result<usize> {
        if depth >= self.limits.max_depth {
            return Err(cbor_err(at, DecodeErrorKind::DepthExceeded));
        }
        Ok(depth.saturating_add(1))
    }

    fn map(&mut self, entries: u64, depth: usize) -> Result<()> {
        let max = self.limits.max_map_entries.min(KEYS);
        if entries > u64::try_from(max).unwrap_or(u64::MAX) {
            return Err(Error::LimitExceeded("map entries"));
        }
        let mut keys = [(0u32, 0u32); KEYS];
        let n = usize::try_from(entries).unwrap_or(0);
        for i in 0..n {
            let k0 = self.pos;
            self.item(depth)?;
            let k1 = self.pos;
            let key = self.b.get(k0..k1).unwrap_or_default();
            for &(p0, p1) in keys.iter().take(i) {
                let earlier = self.b.get(usize::try_from(p0).unwrap_or(0)..usize::try_from(p1).unwrap_or(0));
                if earlier == Some(key) {
                    return Err(Error::DuplicateKey { offset: k0 });
                }
            }
            let span = (
                u32::try_from(k0).map_err(|_| Error::LimitExceeded("claims size"))?,
                u32::try_from(k1).map_err(|_| Error::LimitExceeded("claims size"))?,
            );
            if let Some(slot) = keys.get_mut(i) {
                *slot = span;
            }
            self.item(depth)?;
        }
        Ok(())
    }
}

/// Checks one complete item (normally the claims map) and nothing after it.
pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<Report> {
    let mut w = Walker { b: bytes, pos: 0, limits: *limits, report: Report::default() };
    w.item(0)?;
    if w.pos != bytes.len() {
        return Err(cbor_err(w.pos, DecodeErrorKind::TrailingBytes));
    }
    Ok(w.report)
}
