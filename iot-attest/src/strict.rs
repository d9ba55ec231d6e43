//! A well-formedness pass over an untrusted claims set, before any claim is interpreted: every
//! item is complete and definite-length, text is UTF-8, nesting and map sizes are bounded, no map
//! repeats a key, and (reported, for the profiles that demand it) every head is in its shortest
//! form. Built on the shared `iot_cose::cbor` reader, without an allocator; key positions are kept
//! in a small fixed array per open map.

use crate::error::{Error, Result};
use iot_cose::cbor::{DecodeError, DecodeErrorKind, Decoder, Type};

/// Bounds for untrusted claims sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting of arrays, maps and tags (default 12; values above 64 count as 64).
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

/// Deepest nesting any [`Limits`] may allow: bounds the recursion of this pass and of the
/// iterators that re-read validated bytes.
pub(crate) const MAX_DEPTH: usize = 64;

struct Walker<'a> {
    d: Decoder<'a>,
    limits: Limits,
    report: Report,
}

impl Walker<'_> {
    fn item(&mut self, depth: usize) -> Result<()> {
        let at = self.d.position();
        if !self.d.is_shortest_head()? && self.report.first_non_preferred.is_none() {
            self.report.first_non_preferred = Some(at);
        }
        match self.d.peek_type()? {
            Type::Array => {
                let n = self.d.array()?;
                let depth = self.deeper(depth, at)?;
                if n > u64::try_from(self.limits.max_array_len).unwrap_or(u64::MAX) {
                    return Err(Error::LimitExceeded("array length"));
                }
                for _ in 0..n {
                    self.item(depth)?;
                }
                Ok(())
            }
            Type::Map => {
                let n = self.d.map()?;
                let depth = self.deeper(depth, at)?;
                self.map(n, depth)
            }
            Type::Tag => {
                self.d.tag()?;
                let depth = self.deeper(depth, at)?;
                self.item(depth)
            }
            // Scalars and strings: the shared reader checks lengths, UTF-8 and simple values.
            _ => Ok(self.d.skip(0)?),
        }
    }

    fn deeper(&self, depth: usize, at: usize) -> Result<usize> {
        if depth >= self.limits.max_depth.min(MAX_DEPTH) {
            return Err(Error::Cbor(DecodeError { kind: DecodeErrorKind::DepthExceeded, offset: at }));
        }
        Ok(depth.saturating_add(1))
    }

    fn map(&mut self, entries: u64, depth: usize) -> Result<()> {
        let max = self.limits.max_map_entries.min(KEYS);
        if entries > u64::try_from(max).unwrap_or(u64::MAX) {
            return Err(Error::LimitExceeded("map entries"));
        }
        // Positions of this map's keys so far, to find a repeated key without an allocator.
        let mut keys = [(0u32, 0u32); KEYS];
        let n = usize::try_from(entries).unwrap_or(0);
        for i in 0..n {
            let k0 = self.d.position();
            self.item(depth)?;
            let key = self.d.consumed_since(k0);
            let earlier = keys.iter().take(i).any(|&(p0, p1)| {
                let span = usize::try_from(p0).unwrap_or(0)..usize::try_from(p1).unwrap_or(0);
                self.d.consumed_since(0).get(span) == Some(key)
            });
            if earlier {
                return Err(Error::DuplicateKey { offset: k0 });
            }
            let span = (
                u32::try_from(k0).map_err(|_| Error::LimitExceeded("claims size"))?,
                u32::try_from(self.d.position()).map_err(|_| Error::LimitExceeded("claims size"))?,
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
    let mut w = Walker { d: Decoder::new(bytes), limits: *limits, report: Report::default() };
    w.item(0)?;
    w.d.finish()?;
    Ok(w.report)
}
