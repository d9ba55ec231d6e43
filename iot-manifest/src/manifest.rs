//! `SUIT_Manifest` and `SUIT_Common`, decoded into borrowed views.

use crate::codes::{self, Section, common as cm, manifest as mk};
use crate::command::{CheckCtx, Sequence, check_sequence};
use crate::digest::SuitDigest;
use crate::error::{Error, Result};
use crate::limits::Limits;
use iot_cose::cbor::{Decoder, Type};

/// Depth bound for skipping members this version only carries (text, extension values).
const SKIP_DEPTH: usize = 16;

/// A manifest member that may be severed: absent, present inline, or replaced by its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// Not in the manifest.
    Absent,
    /// The member's bytes (the content of its bstr).
    Present(&'a [u8]),
    /// Severed: the manifest holds the digest of the bstr-wrapped member.
    Severed(SuitDigest<'a>),
}

impl Member<'_> {
    /// Whether the manifest names this member at all.
    #[must_use]
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}

/// One component identifier: `[* bstr]`, kept encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentId<'a> {
    raw: &'a [u8],
}

impl<'a> ComponentId<'a> {
    /// Wraps an encoded `[* bstr]`. Checked when the manifest was decoded.
    #[must_use]
    pub fn from_encoded(raw: &'a [u8]) -> Self {
        Self { raw }
    }

    /// The encoded identifier.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The identifier's segments.
    pub fn segments(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut d = Decoder::new(self.raw);
        let mut left = d.array().unwrap_or(0);
        core::iter::from_fn(move || {
            left = left.checked_sub(1)?;
            d.bytes().ok()
        })
    }
}

/// The `suit-components` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Components<'a> {
    raw: &'a [u8],
    count: usize,
}

impl<'a> Components<'a> {
    /// Number of components.
    #[must_use]
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The identifiers, in manifest order.
    pub fn iter(&self) -> impl Iterator<Item = ComponentId<'a>> + 'a {
        let mut d = Decoder::new(self.raw);
        let mut left = if self.raw.is_empty() { 0 } else { d.array().unwrap_or(0) };
        core::iter::from_fn(move || {
            left = left.checked_sub(1)?;
            d.raw_item(2).ok().map(ComponentId::from_encoded)
        })
    }

    /// The identifier at `index`.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<ComponentId<'a>> {
        self.iter().nth(index)
    }

    fn decode(raw: &'a [u8], limits: &Limits) -> Result<Self> {
        let mut d = Decoder::new(raw);
        let n = d.array()?;
        let count = usize::try_from(n)
            .map_err(|_| Error::LimitExceeded { what: "components", limit: limits.max_components })?;
        if count == 0 {
            return Err(Error::Malformed { what: "suit-components is empty" });
        }
        if count > limits.max_components {
            return Err(Error::LimitExceeded { what: "components", limit: limits.max_components });
        }
        for _ in 0..n {
            let segs = d.array()?;
            if usize::try_from(segs).map_or(true, |s| s > limits.max_component_segments) {
                return Err(Error::LimitExceeded {
                    what: "component identifier segments",
                    limit: limits.max_component_segments,
                });
            }
            for _ in 0..segs {
                d.bytes()?;
            }
        }
        d.finish()?;
        Ok(Self { raw, count })
    }
}

/// A decoded `SUIT_Manifest`. Sequences are validated structurally at decode time (every inline
/// one; severed ones when they are resolved), so the processor never starts on a malformed tree.
#[derive(Debug, Clone, Copy)]
pub struct Manifest<'a> {
    raw: &'a [u8],
    sequence_number: u64,
    reference_uri: Option<&'a str>,
    components: Components<'a>,
    shared: Option<Sequence<'a>>,
    dependencies: Option<&'a [u8]>,
    index_bound: usize,
    sections: [Member<'a>; 8],
    text: Member<'a>,
    extensions: u32,
}

fn section_slot(s: Section) -> Option<usize> {
    Section::SEQUENCES.iter().position(|x| *x == s)
}

impl<'a> Manifest<'a> {
    /// Decodes and checks a manifest (the content of envelope member 3).
    ///
    /// Call this only on authenticated bytes on a device ([`Envelope::authenticate`] does);
    /// the spec requires authentication before parsing.
    ///
    /// [`Envelope::authenticate`]: crate::Envelope::authenticate
    ///
    /// # Errors
    /// Malformed or unsupported content, limits exceeded, `manifest-version` other than 1.
    pub fn decode(raw: &'a [u8], limits: &Limits) -> Result<Self> {
        let mut d = Decoder::new(raw);
        if d.peek_type()? == Type::Tag {
            let tag = d.tag()?;
            if tag != codes::MANIFEST_TAG {
                return Err(Error::UnexpectedTag { tag });
            }
        }
        let n = d.map()?;
        let mut seen: u32 = 0;
        let mut version = None;
        let mut sequence_number = None;
        let mut common = None;
        let mut reference_uri = None;
        let mut sections = [Member::Absent; 8];
        let mut text = Member::Absent;
        let mut extensions = 0u32;
        for _ in 0..n {
            let key = match d.peek_type()? {
                Type::UInt => d.uint()?,
                _ => {
                    let k = d.int().unwrap_or(i64::MIN);
                    return Err(Error::Unsupported { what: "manifest member", code: k });
                }
            };
            // Every member this crate knows has a key below 32; larger ones are unknown.
            let bit = u32::try_from(key)
                .ok()
                .and_then(|k| 1u32.checked_shl(k))
                .ok_or(Error::Unsupported { what: "manifest member", code: i64::try_from(key).unwrap_or(i64::MAX) })?;
            if seen & bit != 0 {
                return Err(Error::DuplicateKey { what: "SUIT_Manifest", key: i64::try_from(key).unwrap_or(i64::MAX) });
            }
            seen |= bit;
            match key {
                mk::VERSION => version = Some(d.uint()?),
                mk::SEQUENCE_NUMBER => sequence_number = Some(d.uint()?),
                mk::COMMON => common = Some(d.bytes()?),
                mk::REFERENCE_URI => reference_uri = Some(d.str()?),
                codes::TEXT => text = member(&mut d)?,
                k => match Section::from_key(k) {
                    Some(s) => {
                        let slot = section_slot(s)
                            .and_then(|i| sections.get_mut(i))
                            .ok_or(Error::Malformed { what: "manifest section" })?;
                        *slot = if s.is_severable() { member(&mut d)? } else { Member::Present(d.bytes()?) };
                    }
                    None => match k {
                        mk::MANIFEST_COMPONENT_ID | mk::SET_VERSION | mk::COSWID => {
                            d.skip(SKIP_DEPTH)?;
                            extensions |= bit;
                        }
                        other => {
                            return Err(Error::Unsupported {
                                what: "manifest member",
                                code: i64::try_from(other).unwrap_or(i64::MAX),
                            });
                        }
                    },
                },
            }
        }
        d.finish()?;
        let version = version.ok_or(Error::Missing { what: "manifest-version" })?;
        if version != 1 {
            return Err(Error::UnsupportedVersion(version));
        }
        let sequence_number = sequence_number.ok_or(Error::Missing { what: "manifest-sequence-number" })?;
        let common = common.ok_or(Error::Missing { what: "common" })?;
        let (components, shared, dependencies, index_bound) = decode_common(common, limits)?;
        let m = Self {
            raw,
            sequence_number,
            reference_uri,
            components,
            shared,
            dependencies,
            index_bound,
            sections,
            text,
            extensions,
        };
        let mut ctx = m.check_ctx(limits, true);
        if let Some(s) = m.shared {
            check_sequence(&s, &mut ctx, limits.max_depth, limits.max_commands)?;
        }
        ctx.shared = false;
        for member in m.sections {
            if let Member::Present(bytes) = member {
                check_sequence(&Sequence::new(bytes), &mut ctx, limits.max_depth, limits.max_commands)?;
            }
        }
        Ok(m)
    }

    pub(crate) fn check_ctx(&self, limits: &Limits, shared: bool) -> CheckCtx {
        CheckCtx { components: self.index_bound, budget: limits.max_commands, depth: limits.max_depth, shared }
    }

    /// The encoded manifest (the content of envelope member 3).
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// `suit-manifest-sequence-number`: the anti-rollback counter value.
    #[must_use]
    pub fn sequence_number(&self) -> u64 {
        self.sequence_number
    }

    /// `suit-reference-uri`, if present.
    #[must_use]
    pub fn reference_uri(&self) -> Option<&'a str> {
        self.reference_uri
    }

    /// `suit-components`.
    #[must_use]
    pub fn components(&self) -> Components<'a> {
        self.components
    }

    /// `suit-shared-sequence`, if present.
    #[must_use]
    pub fn shared_sequence(&self) -> Option<Sequence<'a>> {
        self.shared
    }

    /// One past the highest component index the manifest may name: its components and its
    /// dependencies, which may lie past the end of `suit-components`.
    #[must_use]
    pub fn index_bound(&self) -> usize {
        self.index_bound
    }

    /// The dependency-prefix of the dependency at component `index`: `Some(None)` for a
    /// dependency without a prefix, `None` when `index` is not a dependency.
    #[must_use]
    pub fn dependency(&self, index: u64) -> Option<Option<ComponentId<'a>>> {
        let mut d = Decoder::new(self.dependencies?);
        let n = d.map().ok()?;
        for _ in 0..n {
            let key = d.uint().ok()?;
            let value = d.raw_item(SKIP_DEPTH).ok()?;
            if key != index {
                continue;
            }
            let mut v = Decoder::new(value);
            let m = v.map().ok()?;
            for _ in 0..m {
                let k = v.int().ok()?;
                let raw = v.raw_item(SKIP_DEPTH).ok()?;
                if k == 1 {
                    return Some(Some(ComponentId::from_encoded(raw)));
                }
            }
            return Some(None);
        }
        None
    }

    /// `suit-dependencies` (trust domains), encoded, if present.
    #[must_use]
    pub fn dependencies(&self) -> Option<&'a [u8]> {
        self.dependencies
    }

    /// A command sequence member as the manifest holds it (inline, severed or absent). The shared
    /// sequence is [`Manifest::shared_sequence`].
    #[must_use]
    pub fn member(&self, section: Section) -> Member<'a> {
        section_slot(section).and_then(|i| self.sections.get(i)).copied().unwrap_or(Member::Absent)
    }

    /// `suit-text` as the manifest holds it.
    #[must_use]
    pub fn text(&self) -> Member<'a> {
        self.text
    }

    /// Whether the manifest carries a member of an extension (trust domains, update management)
    /// whose key is `key`.
    #[must_use]
    pub fn has_extension(&self, key: u64) -> bool {
        u32::try_from(key).ok().and_then(|k| 1u32.checked_shl(k)).is_some_and(|b| self.extensions & b != 0)
    }
}

fn member<'a>(d: &mut Decoder<'a>) -> Result<Member<'a>> {
    Ok(match d.peek_type()? {
        Type::Bytes => Member::Present(d.bytes()?),
        Type::Array => Member::Severed(SuitDigest::decode_from(d)?),
        _ => return Err(Error::Malformed { what: "severable member (bstr or SUIT_Digest)" }),
    })
}

type CommonParts<'a> = (Components<'a>, Option<Sequence<'a>>, Option<&'a [u8]>, usize);

fn decode_common<'a>(raw: &'a [u8], limits: &Limits) -> Result<CommonParts<'a>> {
    let mut d = Decoder::new(raw);
    let n = d.map()?;
    let mut components = None;
    let mut shared = None;
    let mut dependencies = None;
    let mut index_bound = 0usize;
    for _ in 0..n {
        let key = d.int()?;
        match u64::try_from(key) {
            Ok(cm::COMPONENTS) if components.is_none() => {
                components = Some(Components::decode(d.raw_item(4)?, limits)?);
            }
            Ok(cm::SHARED_SEQUENCE) if shared.is_none() => shared = Some(Sequence::new(d.bytes()?)),
            Ok(cm::DEPENDENCIES) if dependencies.is_none() => {
                let raw = d.raw_item(SKIP_DEPTH)?;
                let mut dd = Decoder::new(raw);
                let count = dd.map()?;
                if usize::try_from(count).map_or(true, |c| c > limits.max_dependencies) {
                    return Err(Error::LimitExceeded { what: "dependencies", limit: limits.max_dependencies });
                }
                for _ in 0..count {
                    let index = dd.uint()?;
                    dd.skip(SKIP_DEPTH)?;
                    let next = usize::try_from(index).ok().and_then(|i| i.checked_add(1));
                    index_bound = index_bound.max(next.ok_or(Error::ComponentIndex { index })?);
                }
                dd.finish()?;
                dependencies = Some(raw);
            }
            Ok(cm::COMPONENTS | cm::SHARED_SEQUENCE | cm::DEPENDENCIES) => {
                return Err(Error::DuplicateKey { what: "SUIT_Common", key });
            }
            _ => return Err(Error::Unsupported { what: "common member", code: key }),
        }
    }
    d.finish()?;
    let components: Components<'a> = components.ok_or(Error::Missing { what: "suit-components" })?;
    Ok((components, shared, dependencies, index_bound.max(components.len())))
}
