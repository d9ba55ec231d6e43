//! Header maps (RFC 9052 section 3): borrowed, validated views.

use crate::alg::Algorithm;
use crate::cbor::{Decoder, Encoder, Type, Write};
use crate::error::{Error, Result};

/// Header parameter labels this crate interprets (RFC 9052 section 3.1).
pub mod label {
    /// `alg`: the algorithm.
    pub const ALG: i64 = 1;
    /// `crit`: labels the recipient must understand.
    pub const CRIT: i64 = 2;
    /// `content type`.
    pub const CONTENT_TYPE: i64 = 3;
    /// `kid`: key identifier.
    pub const KID: i64 = 4;
    /// `IV`.
    pub const IV: i64 = 5;
    /// `Partial IV`.
    pub const PARTIAL_IV: i64 = 6;
}

/// Bounds applied while decoding untrusted COSE input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most entries in one header map.
    pub max_header_entries: usize,
    /// Deepest nesting of a header value that is skipped over (arrays, maps, tags).
    pub max_depth: usize,
}

impl Limits {
    /// The defaults: 32 header entries, nesting depth 8.
    pub const DEFAULT: Self = Self { max_header_entries: 32, max_depth: 8 };

    /// Sets [`Limits::max_header_entries`].
    #[must_use]
    pub const fn with_max_header_entries(mut self, n: usize) -> Self {
        self.max_header_entries = n;
        self
    }

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub const fn with_max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A header label: an integer or a text string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label<'a> {
    /// Integer label.
    Int(i64),
    /// Text label.
    Text(&'a str),
}

impl<'a> Label<'a> {
    fn decode(d: &mut Decoder<'a>) -> Result<Self> {
        match d.peek_type()? {
            Type::Text => Ok(Label::Text(d.str()?)),
            _ => Ok(Label::Int(d.int()?)),
        }
    }

    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<()> {
        match *self {
            Label::Int(i) => e.int(i)?,
            Label::Text(t) => e.str(t)?,
        };
        Ok(())
    }

    fn as_int(&self) -> Option<i64> {
        match *self {
            Label::Int(i) => Some(i),
            Label::Text(_) => None,
        }
    }
}

/// The `content type` header value: a CoAP content-format number or a media-type string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType<'a> {
    /// CoAP Content-Format (RFC 7252 section 12.3).
    Format(u64),
    /// Media type text.
    Text(&'a str),
}

/// A validated header map, borrowed from the message.
///
/// Decoding checks structure only: well-formed, no duplicate labels, the right value type for every
/// label in [`label`], at most [`Limits::max_header_entries`] entries. Policy (`crit`, where `alg`
/// sits) is checked when verifying. The map keeps only its raw bytes; accessors find their entry
/// on demand, so code that never asks for a parameter carries no code for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderMap<'a> {
    raw: &'a [u8],
    entries: usize,
}

impl<'a> HeaderMap<'a> {
    /// Reads one header map from `d`.
    pub(crate) fn decode(d: &mut Decoder<'a>, limits: &Limits) -> Result<Self> {
        let start = d.position();
        let count = d.map()?;
        let entries = usize::try_from(count)
            .ok()
            .filter(|&n| n <= limits.max_header_entries)
            .ok_or(Error::LimitExceeded { limit: "header entries" })?;
        let map_body = d.position();
        let (mut iv, mut partial_iv) = (false, false);
        for i in 0..entries {
            let label = Label::decode(d)?;
            // Duplicate check: re-read the labels before this one (entries <= the limit, so O(n^2)
            // stays small and needs no storage).
            let mut again = Decoder::new(d.consumed_since(map_body));
            for _ in 0..i {
                if Label::decode(&mut again)? == label {
                    return Err(Error::DuplicateHeader);
                }
                again.skip(limits.max_depth)?;
            }
            let l = match label {
                Label::Int(l) => l,
                Label::Text(_) => 0,
            };
            let bad = || Error::InvalidHeader { label: l };
            let ty = d.peek_type()?;
            let ok = match l {
                label::ALG => matches!(ty, Type::Text | Type::UInt | Type::NInt),
                label::CRIT => ty == Type::Array,
                label::CONTENT_TYPE => matches!(ty, Type::Text | Type::UInt),
                label::KID | label::IV | label::PARTIAL_IV => ty == Type::Bytes,
                _ => true,
            };
            if !ok {
                return Err(bad());
            }
            if l == label::CRIT {
                // crit: a non-empty array of labels (RFC 9052 section 3.1).
                let n = d.array()?;
                if n == 0 || usize::try_from(n).map_or(true, |n| n > limits.max_header_entries) {
                    return Err(bad());
                }
                for _ in 0..n {
                    Label::decode(d).map_err(|_| bad())?;
                }
            } else {
                // Type checked above; skipping also reads (and bounds-checks) the value.
                if l == label::ALG && ty != Type::Text {
                    d.int().map_err(|_| bad())?;
                } else {
                    d.skip(limits.max_depth)?;
                }
                iv |= l == label::IV;
                partial_iv |= l == label::PARTIAL_IV;
            }
        }
        // RFC 9052 section 3.1: IV and Partial IV MUST NOT both be present.
        if iv && partial_iv {
            return Err(Error::InvalidHeader { label: label::PARTIAL_IV });
        }
        Ok(Self { raw: d.consumed_since(start), entries })
    }

    /// The encoded map as it appeared in the message.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the map has no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// A decoder positioned at the value of `label`.
    fn find(&self, label: Label<'_>) -> Option<Decoder<'a>> {
        let mut d = Decoder::new(self.raw);
        d.map().ok()?;
        for _ in 0..self.entries {
            if Label::decode(&mut d).ok()? == label {
                return Some(d);
            }
            // Nesting was bounded when the map was decoded.
            d.skip(usize::MAX).ok()?;
        }
        None
    }

    fn find_bytes(&self, l: i64) -> Option<&'a [u8]> {
        self.find(Label::Int(l))?.bytes().ok()
    }

    /// The `alg` value as found: an integer id or a text string.
    #[must_use]
    pub fn alg(&self) -> Option<Label<'a>> {
        Label::decode(&mut self.find(Label::Int(label::ALG))?).ok()
    }

    /// The `kid` value.
    #[must_use]
    pub fn kid(&self) -> Option<&'a [u8]> {
        self.find_bytes(label::KID)
    }

    /// The `content type` value.
    #[must_use]
    pub fn content_type(&self) -> Option<ContentType<'a>> {
        let mut d = self.find(Label::Int(label::CONTENT_TYPE))?;
        match d.peek_type().ok()? {
            Type::Text => d.str().ok().map(ContentType::Text),
            _ => d.uint().ok().map(ContentType::Format),
        }
    }

    /// The `IV` value.
    #[must_use]
    pub fn iv(&self) -> Option<&'a [u8]> {
        self.find_bytes(label::IV)
    }

    /// The `Partial IV` value.
    #[must_use]
    pub fn partial_iv(&self) -> Option<&'a [u8]> {
        self.find_bytes(label::PARTIAL_IV)
    }

    /// Whether the map has a `crit` parameter.
    #[must_use]
    pub fn has_crit(&self) -> bool {
        self.find(Label::Int(label::CRIT)).is_some()
    }

    /// The labels listed in `crit`.
    pub fn crit(&self) -> impl Iterator<Item = Label<'a>> + 'a {
        let mut d = self.find(Label::Int(label::CRIT));
        let n = d.as_mut().and_then(|d| d.array().ok()).unwrap_or(0);
        (0..n).map_while(move |_| Label::decode(d.as_mut()?).ok())
    }

    /// Every entry in order: the label and the raw CBOR encoding of its value.
    pub fn iter(&self) -> impl Iterator<Item = (Label<'a>, &'a [u8])> + 'a {
        let mut d = Decoder::new(self.raw);
        let n = if self.raw.is_empty() { 0 } else { d.map().unwrap_or(0) };
        (0..n).map_while(move |_| {
            let l = Label::decode(&mut d).ok()?;
            let v = d.raw_item(usize::MAX).ok()?;
            Some((l, v))
        })
    }

    /// The raw CBOR value of `label`, if present.
    #[must_use]
    pub fn get(&self, label: Label<'_>) -> Option<&'a [u8]> {
        self.find(label)?.raw_item(usize::MAX).ok()
    }

    /// Whether `label` is present.
    #[must_use]
    pub fn contains(&self, label: Label<'_>) -> bool {
        self.find(label).is_some()
    }
}

/// The protected bucket: the serialized map as it arrived (the bytes the signature covers) and
/// its decoded view.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProtectedHeader<'a> {
    /// The content of the `protected` byte string, exactly as received.
    pub original: &'a [u8],
    /// The decoded map (empty when `original` is empty).
    pub map: HeaderMap<'a>,
}

impl<'a> ProtectedHeader<'a> {
    pub(crate) fn decode(d: &mut Decoder<'a>, limits: &Limits) -> Result<Self> {
        let original = d.bytes()?;
        if original.is_empty() {
            return Ok(Self::default());
        }
        let mut inner = Decoder::new(original);
        let map = HeaderMap::decode(&mut inner, limits)?;
        inner.finish()?;
        Ok(Self { original, map })
    }

    /// The bytes that go into the Sig_structure / MAC_structure: the original serialization, or
    /// the zero-length string when the map is empty (RFC 9052 section 3: an empty map, even when
    /// sent as `h'a0'`, is represented by `h''` in the cryptographic computation).
    #[must_use]
    pub fn for_signing(&self) -> &'a [u8] {
        if self.map.is_empty() { &[] } else { self.original }
    }
}

/// Header-level policy applied when verifying.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct VerifyOptions<'o> {
    /// Require `alg` in the protected bucket. Off by default: RFC 9052 allows it in either, and the
    /// key binding (the algorithm must match the key) already stops algorithm substitution.
    pub require_protected_alg: bool,
    /// Labels the application processes itself and therefore accepts in `crit`, besides the ones
    /// this crate understands (`alg`, `content type`, `kid`, `IV`, `Partial IV`).
    pub critical: &'o [Label<'o>],
}

impl<'o> VerifyOptions<'o> {
    /// Sets [`VerifyOptions::require_protected_alg`].
    #[must_use]
    pub fn require_protected_alg(mut self, yes: bool) -> Self {
        self.require_protected_alg = yes;
        self
    }

    /// Sets [`VerifyOptions::critical`].
    #[must_use]
    pub fn critical(mut self, labels: &'o [Label<'o>]) -> Self {
        self.critical = labels;
        self
    }
}

/// Checks the rules that span both buckets and returns the algorithm to verify with.
pub(crate) fn check_headers(
    protected: &HeaderMap<'_>,
    unprotected: &HeaderMap<'_>,
    opts: &VerifyOptions<'_>,
) -> Result<Algorithm> {
    // crit only in the protected bucket (RFC 9052 section 3.1).
    if unprotected.has_crit() {
        return Err(Error::InvalidHeader { label: label::CRIT });
    }
    // No label in both buckets.
    for (l, _) in unprotected.iter() {
        if protected.contains(l) {
            return Err(Error::DuplicateHeader);
        }
    }
    for c in protected.crit() {
        let understood =
            matches!(c, Label::Int(label::ALG | label::CONTENT_TYPE | label::KID | label::IV | label::PARTIAL_IV))
                || opts.critical.contains(&c);
        if !understood {
            return Err(Error::UnsupportedCriticalHeader { label: c.as_int() });
        }
        // A label listed in crit must be present in the protected map.
        if !protected.contains(c) {
            return Err(Error::InvalidHeader { label: label::CRIT });
        }
    }
    let alg = match (protected.alg(), unprotected.alg()) {
        (Some(a), _) => a,
        (None, Some(_)) if opts.require_protected_alg => return Err(Error::UnprotectedAlgorithm),
        (None, Some(a)) => a,
        (None, None) => return Err(Error::MissingAlgorithm),
    };
    match alg {
        Label::Int(i) => Ok(Algorithm(i)),
        Label::Text(_) => Err(Error::UnsupportedAlgorithm { alg: None }),
    }
}

/// Header parameters for building a message.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Headers<'a> {
    /// `kid`.
    pub kid: Option<&'a [u8]>,
    /// `content type`.
    pub content_type: Option<ContentType<'a>>,
    /// Further parameters: label and the value's raw CBOR encoding (written as given, in order).
    pub other: &'a [(Label<'a>, &'a [u8])],
}

impl<'a> Headers<'a> {
    /// Sets `kid`.
    #[must_use]
    pub fn kid(mut self, kid: &'a [u8]) -> Self {
        self.kid = Some(kid);
        self
    }

    /// Sets `content type`.
    #[must_use]
    pub fn content_type(mut self, ct: ContentType<'a>) -> Self {
        self.content_type = Some(ct);
        self
    }

    /// Sets further parameters (label, raw CBOR value).
    #[must_use]
    pub fn other(mut self, other: &'a [(Label<'a>, &'a [u8])]) -> Self {
        self.other = other;
        self
    }

    /// Whether this set (with `alg` when `with_alg`) shares a label with `other` (RFC 9052
    /// section 3: a label must not appear in both buckets).
    pub(crate) fn overlaps(&self, with_alg: bool, other: &Headers<'_>) -> bool {
        let mine = |l: Label<'_>| match l {
            Label::Int(label::ALG) => with_alg,
            Label::Int(label::CONTENT_TYPE) => self.content_type.is_some(),
            Label::Int(label::KID) => self.kid.is_some(),
            l => self.other.iter().any(|(o, _)| *o == l),
        };
        (other.content_type.is_some() && mine(Label::Int(label::CONTENT_TYPE)))
            || (other.kid.is_some() && mine(Label::Int(label::KID)))
            || other.other.iter().any(|(l, _)| mine(*l))
    }

    /// Writes the map, with `alg` first when given. Labels in `other` that clash with the typed
    /// fields are rejected.
    pub(crate) fn encode<W: Write>(&self, alg: Option<Algorithm>, e: &mut Encoder<W>) -> Result<()> {
        let typed =
            [alg.map(|_| label::ALG), self.content_type.map(|_| label::CONTENT_TYPE), self.kid.map(|_| label::KID)];
        for (i, (l, _)) in self.other.iter().enumerate() {
            if l.as_int().is_some_and(|l| typed.contains(&Some(l))) || self.other.iter().take(i).any(|(p, _)| p == l) {
                return Err(Error::DuplicateHeader);
            }
        }
        let n = typed.iter().flatten().count().saturating_add(self.other.len());
        e.map(n)?;
        if let Some(a) = alg {
            e.int(label::ALG)?.int(a.0)?;
        }
        match self.content_type {
            Some(ContentType::Format(f)) => {
                e.int(label::CONTENT_TYPE)?.uint(f)?;
            }
            Some(ContentType::Text(t)) => {
                e.int(label::CONTENT_TYPE)?.str(t)?;
            }
            None => {}
        }
        if let Some(k) = self.kid {
            e.int(label::KID)?.bytes(k)?;
        }
        for (l, v) in self.other {
            l.encode(e)?;
            e.raw(v)?;
        }
        Ok(())
    }
}
