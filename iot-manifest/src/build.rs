//! The cloud side: build manifests and envelopes, sign or MAC them, sever members.
//!
//! Encoding is deterministic (RFC 8949 section 4.2.1: definite lengths, shortest heads, map keys
//! in bytewise order of their encodings), so the same input always gives the same bytes, and
//! with an RFC 6979 signer the same envelope.
//!
//! ```
//! # #[cfg(feature = "p256")] {
//! use iot_manifest::build::{EnvelopeBuilder, Image, ManifestBuilder};
//! use iot_manifest::{Envelope, Sign1Key};
//! use iot_manifest::iot_cose::p256::ecdsa::SigningKey;
//!
//! let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
//! let firmware = b"new firmware image";
//! let manifest = ManifestBuilder::for_images(
//!     2,                      // sequence number
//!     [0xfa; 16],             // vendor id (UUID)
//!     [0x14; 16],             // class id (UUID)
//!     &[Image::new(&[b"app"], firmware).uri("https://example.com/app.bin")],
//! )
//! .build()
//! .unwrap();
//! let envelope = EnvelopeBuilder::new(manifest).sign(&key).unwrap().encode().unwrap();
//!
//! let verified = Envelope::decode(&envelope).unwrap().authenticate(&Sign1Key(*key.verifying_key())).unwrap();
//! assert_eq!(verified.sequence_number(), 2);
//! # }
//! ```

use crate::codes::{Section, condition as c, directive as d, parameter as p};
use crate::digest::sha256_bstr_wrapped;
use crate::error::{Error, Result};
use alloc::string::String;
use alloc::vec::Vec;
use iot_cose::cbor::{Decoder, Encoder, Type};
use iot_cose::{CoseSigner, Mac0Builder, MacKey, Sign1Builder};
use sha2::{Digest as _, Sha256};

fn enc(v: &mut Vec<u8>) -> Encoder<&mut Vec<u8>> {
    Encoder::new(v)
}

/// Appends a CBOR bstr holding `content`.
fn put_bytes(out: &mut Vec<u8>, content: &[u8]) {
    let _ = enc(out).bytes(content);
}

/// An encoded `SUIT_Digest` (SHA-256) of `data`.
#[must_use]
pub fn sha256_suit_digest(data: &[u8]) -> Vec<u8> {
    digest_of(&Sha256::digest(data))
}

fn digest_of(hash: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = enc(&mut v).array(2).and_then(|e| e.int(crate::codes::digest::SHA256)?.bytes(hash));
    v
}

/// A `SUIT_Parameters` map under construction. Entries are kept in deterministic key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(i64, Vec<u8>)>,
}

impl Params {
    /// An empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets parameter `key` to an already encoded CBOR value (for custom and extension parameters).
    #[must_use]
    pub fn raw(mut self, key: i64, encoded: Vec<u8>) -> Self {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, encoded));
        self.entries.sort_by_key(|e| key_bytes(e.0));
        self
    }

    fn bytes(self, key: i64, b: &[u8]) -> Self {
        let mut v = Vec::new();
        put_bytes(&mut v, b);
        self.raw(key, v)
    }

    fn uint(self, key: i64, n: u64) -> Self {
        let mut v = Vec::new();
        let _ = enc(&mut v).uint(n);
        self.raw(key, v)
    }

    fn boolean(self, key: i64, b: bool) -> Self {
        let mut v = Vec::new();
        let _ = enc(&mut v).bool(b);
        self.raw(key, v)
    }

    /// vendor-id as a UUID.
    #[must_use]
    pub fn vendor_id(self, uuid: &[u8; 16]) -> Self {
        self.bytes(p::VENDOR_ID, uuid)
    }
    /// class-id.
    #[must_use]
    pub fn class_id(self, uuid: &[u8; 16]) -> Self {
        self.bytes(p::CLASS_ID, uuid)
    }
    /// device-id.
    #[must_use]
    pub fn device_id(self, uuid: &[u8; 16]) -> Self {
        self.bytes(p::DEVICE_ID, uuid)
    }
    /// image-digest: the SHA-256 of the image (written as a bstr-wrapped `SUIT_Digest`).
    #[must_use]
    pub fn image_digest(self, sha256: &[u8; 32]) -> Self {
        self.bytes(p::IMAGE_DIGEST, &digest_of(sha256))
    }
    /// image-size.
    #[must_use]
    pub fn image_size(self, size: u64) -> Self {
        self.uint(p::IMAGE_SIZE, size)
    }
    /// component-slot.
    #[must_use]
    pub fn component_slot(self, slot: u64) -> Self {
        self.uint(p::COMPONENT_SLOT, slot)
    }
    /// content (for the write directive).
    #[must_use]
    pub fn content(self, data: &[u8]) -> Self {
        self.bytes(p::CONTENT, data)
    }
    /// uri.
    #[must_use]
    pub fn uri(self, uri: &str) -> Self {
        let mut v = Vec::new();
        let _ = enc(&mut v).str(uri);
        self.raw(p::URI, v)
    }
    /// source-component.
    #[must_use]
    pub fn source_component(self, index: u64) -> Self {
        self.uint(p::SOURCE_COMPONENT, index)
    }
    /// invoke-args.
    #[must_use]
    pub fn invoke_args(self, args: &[u8]) -> Self {
        self.bytes(p::INVOKE_ARGS, args)
    }
    /// fetch-arguments.
    #[must_use]
    pub fn fetch_args(self, args: &[u8]) -> Self {
        self.bytes(p::FETCH_ARGS, args)
    }
    /// soft-failure (only valid inside try-each or run-sequence).
    #[must_use]
    pub fn soft_failure(self, yes: bool) -> Self {
        self.boolean(p::SOFT_FAILURE, yes)
    }
    /// strict-order.
    #[must_use]
    pub fn strict_order(self, yes: bool) -> Self {
        self.boolean(p::STRICT_ORDER, yes)
    }

    /// use-before (update management): seconds since 1970-01-01 UTC.
    #[must_use]
    pub fn use_before(self, time: u64) -> Self {
        self.uint(p::USE_BEFORE, time)
    }
    /// minimum-battery (update management), mWh.
    #[must_use]
    pub fn minimum_battery(self, mwh: u64) -> Self {
        self.uint(p::MINIMUM_BATTERY, mwh)
    }
    /// update-priority (update management), handed to the device's authorization.
    #[must_use]
    pub fn update_priority(self, priority: i64) -> Self {
        let mut v = Vec::new();
        let _ = enc(&mut v).int(priority);
        self.raw(p::UPDATE_PRIORITY, v)
    }
    #[cfg(feature = "update-management")]
    /// version (update management): the comparison and version the condition checks the
    /// installed version against (bstr-wrapped `SUIT_Parameter_Version_Match`).
    #[must_use]
    pub fn version(self, comparison: crate::update::VersionComparison, version: &[i64]) -> Self {
        use crate::update::VersionComparison as C;
        let cmp = match comparison {
            C::Greater => 1,
            C::GreaterEqual => 2,
            C::Equal => 3,
            C::LesserEqual => 4,
            C::Lesser => 5,
        };
        let mut m = Vec::new();
        let _ = enc(&mut m).array(2).and_then(|e| e.uint(cmp)?.array(version.len()));
        for n in version {
            let _ = enc(&mut m).int(*n);
        }
        self.bytes(p::VERSION, &m)
    }
    /// wait-info (update management): integer events by key (1 authorization, 2 power, 3 network,
    /// 5 time, 6 time of day, 7 day of week, 8 time of day UTC, 9 day of week UTC).
    #[must_use]
    pub fn wait_info(self, events: &[(u64, i64)]) -> Self {
        let mut m = Vec::new();
        let _ = enc(&mut m).map(events.len());
        for (k, v) in events {
            let _ = enc(&mut m).uint(*k).and_then(|e| e.int(*v));
        }
        self.bytes(p::WAIT_INFO, &m)
    }
    /// component-metadata (update management) from an encoded `SUIT_Component_Metadata` map.
    #[must_use]
    pub fn component_metadata(self, encoded: &[u8]) -> Self {
        self.bytes(p::COMPONENT_METADATA, encoded)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let _ = enc(out).map(self.entries.len());
        for (k, v) in &self.entries {
            let _ = enc(out).int(*k);
            out.extend_from_slice(v);
        }
    }
}

fn key_bytes(k: i64) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = enc(&mut v).int(k);
    v
}

/// A `SUIT_Command_Sequence` under construction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceBuilder {
    count: usize,
    body: Vec<u8>,
}

impl SequenceBuilder {
    /// An empty sequence (a sequence must get at least one command before it is encoded).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn cmd(mut self, code: i64, arg: impl FnOnce(&mut Vec<u8>)) -> Self {
        let _ = enc(&mut self.body).int(code);
        arg(&mut self.body);
        self.count = self.count.saturating_add(1);
        self
    }

    /// set-component-index with one index.
    #[must_use]
    pub fn set_component_index(self, index: u64) -> Self {
        self.cmd(d::SET_COMPONENT_INDEX, |v| {
            let _ = enc(v).uint(index);
        })
    }

    /// set-component-index `true` (all components).
    #[must_use]
    pub fn set_component_index_all(self) -> Self {
        self.cmd(d::SET_COMPONENT_INDEX, |v| {
            let _ = enc(v).bool(true);
        })
    }

    /// set-component-index with a list.
    #[must_use]
    pub fn set_component_indices(self, indices: &[u64]) -> Self {
        self.cmd(d::SET_COMPONENT_INDEX, |v| {
            let _ = enc(v).array(indices.len());
            for i in indices {
                let _ = enc(v).uint(*i);
            }
        })
    }

    /// override-parameters.
    #[must_use]
    pub fn override_parameters(self, params: &Params) -> Self {
        self.cmd(d::OVERRIDE_PARAMETERS, |v| params.encode(v))
    }

    /// set-parameters (sets only what is unset).
    #[must_use]
    pub fn set_parameters(self, params: &Params) -> Self {
        self.cmd(d::SET_PARAMETERS, |v| params.encode(v))
    }

    /// A condition (vendor-id, class-id, image-match, ...) with a reporting policy.
    #[must_use]
    pub fn condition(self, code: i64, policy: u8) -> Self {
        self.cmd(code, |v| {
            let _ = enc(v).uint(u64::from(policy));
        })
    }

    /// A directive whose argument is a reporting policy (fetch, copy, write, invoke, swap).
    #[must_use]
    pub fn directive(self, code: i64, policy: u8) -> Self {
        self.condition(code, policy)
    }

    /// try-each over `branches`; with `or_else_succeed` a trailing `nil` makes it succeed anyway.
    #[must_use]
    pub fn try_each(self, branches: &[SequenceBuilder], or_else_succeed: bool) -> Self {
        self.cmd(d::TRY_EACH, |v| {
            let _ = enc(v).array(branches.len().saturating_add(usize::from(or_else_succeed)));
            for b in branches {
                put_bytes(v, &b.encode());
            }
            if or_else_succeed {
                let _ = enc(v).null();
            }
        })
    }

    /// run-sequence.
    #[must_use]
    pub fn run_sequence(self, seq: &SequenceBuilder) -> Self {
        self.cmd(d::RUN_SEQUENCE, |v| put_bytes(v, &seq.encode()))
    }

    /// override-multiple (update management): parameters for several components at once; the
    /// component index ends at the last one.
    #[must_use]
    pub fn override_multiple(self, entries: &[(u64, &Params)]) -> Self {
        self.cmd(d::OVERRIDE_MULTIPLE, |v| {
            let _ = enc(v).map(entries.len());
            for (i, params) in entries {
                let _ = enc(v).uint(*i);
                params.encode(v);
            }
        })
    }

    /// copy-params (update management): for each source component, the parameter keys to copy
    /// into the current component.
    #[must_use]
    pub fn copy_params(self, entries: &[(u64, &[i64])]) -> Self {
        self.cmd(d::COPY_PARAMS, |v| {
            let _ = enc(v).map(entries.len());
            for (i, keys) in entries {
                let _ = enc(v).uint(*i).and_then(|e| e.array(keys.len()));
                for k in *keys {
                    let _ = enc(v).int(*k);
                }
            }
        })
    }

    /// A custom command (negative codepoint) with an encoded argument.
    #[must_use]
    pub fn custom(self, code: i64, encoded_arg: &[u8]) -> Self {
        self.cmd(code, |v| v.extend_from_slice(encoded_arg))
    }

    /// Number of commands.
    #[must_use]
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no command was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded sequence.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.body.len().saturating_add(3));
        let _ = enc(&mut v).array(self.count.saturating_mul(2));
        v.extend_from_slice(&self.body);
        v
    }
}

/// One firmware image for [`ManifestBuilder::for_images`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Component identifier segments.
    pub id: Vec<Vec<u8>>,
    /// SHA-256 of the image.
    pub digest: [u8; 32],
    /// Size in bytes.
    pub size: u64,
    /// Where the device fetches it; `#name` for a payload integrated in the envelope.
    pub uri: Option<String>,
}

impl Image {
    /// An image for the component `id`, described by its bytes.
    #[must_use]
    pub fn new(id: &[&[u8]], bytes: &[u8]) -> Self {
        Self {
            id: id.iter().map(|s| s.to_vec()).collect(),
            digest: Sha256::digest(bytes).into(),
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            uri: None,
        }
    }

    /// An image described by digest and size only.
    #[must_use]
    pub fn from_digest(id: &[&[u8]], digest: [u8; 32], size: u64) -> Self {
        Self { id: id.iter().map(|s| s.to_vec()).collect(), digest, size, uri: None }
    }

    /// Sets the URI the device fetches the image from.
    #[must_use]
    pub fn uri(mut self, uri: &str) -> Self {
        self.uri = Some(uri.into());
        self
    }
}

/// How a member appears in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    Inline(Vec<u8>),
    Sever(Vec<u8>),
    /// Severed elsewhere: only the encoded `SUIT_Digest` is known.
    Digest(Vec<u8>),
}

/// A manifest under construction: components, the shared sequence, command sequences, text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestBuilder {
    sequence_number: u64,
    components: Vec<Vec<Vec<u8>>>,
    /// Dependencies (trust domains): component index and optional prefix.
    dependencies: Vec<(u64, Option<Vec<Vec<u8>>>)>,
    /// `suit-manifest-component-id` (trust domains).
    component_id: Option<Vec<Vec<u8>>>,
    shared: Option<Vec<u8>>,
    reference_uri: Option<String>,
    members: Vec<(u64, Body)>,
}

impl ManifestBuilder {
    /// An empty manifest with `sequence_number`.
    #[must_use]
    pub fn new(sequence_number: u64) -> Self {
        Self { sequence_number, ..Self::default() }
    }

    /// The standard update and boot manifest for `images` (spec section 7 templates):
    /// - shared: per component its vendor, class, digest and size, then check vendor and class;
    /// - validate: image-match on every component;
    /// - install (for images with a URI): set the URI, fetch, image-match;
    /// - invoke: invoke component 0.
    #[must_use]
    pub fn for_images(sequence_number: u64, vendor_id: [u8; 16], class_id: [u8; 16], images: &[Image]) -> Self {
        let many = images.len() > 1;
        let mut b = Self::new(sequence_number);
        let mut shared = SequenceBuilder::new();
        for img in images {
            let index = b.component(&img.id.iter().map(Vec::as_slice).collect::<Vec<_>>());
            if many {
                shared = shared.set_component_index(index);
            }
            shared = shared.override_parameters(
                &Params::new().vendor_id(&vendor_id).class_id(&class_id).image_digest(&img.digest).image_size(img.size),
            );
        }
        if many {
            shared = shared.set_component_index_all();
        }
        shared = shared.condition(c::VENDOR_ID, 15).condition(c::CLASS_ID, 15);
        b = b.shared_sequence(&shared);

        let mut validate = SequenceBuilder::new();
        if many {
            validate = validate.set_component_index_all();
        }
        b = b.sequence(Section::Validate, &validate.condition(c::IMAGE_MATCH, 15));

        let mut install = SequenceBuilder::new();
        for (i, img) in images.iter().enumerate() {
            if let Some(uri) = &img.uri {
                if many {
                    install = install.set_component_index(u64::try_from(i).unwrap_or(u64::MAX));
                }
                install = install
                    .override_parameters(&Params::new().uri(uri))
                    .directive(d::FETCH, 2)
                    .condition(c::IMAGE_MATCH, 15);
            }
        }
        if !install.is_empty() {
            b = b.sequence(Section::Install, &install);
        }
        let mut invoke = SequenceBuilder::new();
        if many {
            invoke = invoke.set_component_index(0);
        }
        b.sequence(Section::Invoke, &invoke.directive(d::INVOKE, 15))
    }

    /// Adds a component and returns its index.
    pub fn component(&mut self, id: &[&[u8]]) -> u64 {
        self.components.push(id.iter().map(|s| s.to_vec()).collect());
        u64::try_from(self.components.len().saturating_sub(1)).unwrap_or(u64::MAX)
    }

    /// Declares a dependency manifest (trust domains) at component `index`, which may lie past the
    /// end of the components, with an optional dependency-prefix for its components.
    #[must_use]
    pub fn dependency(mut self, index: u64, prefix: Option<&[&[u8]]>) -> Self {
        self.dependencies.retain(|(i, _)| *i != index);
        self.dependencies.push((index, prefix.map(|p| p.iter().map(|s| s.to_vec()).collect())));
        self.dependencies.sort_by_key(|(i, _)| *i);
        self
    }

    /// Sets `suit-manifest-component-id` (trust domains): the identifier a dependent names this
    /// manifest by.
    #[must_use]
    pub fn manifest_component_id(mut self, id: &[&[u8]]) -> Self {
        self.component_id = Some(id.iter().map(|s| s.to_vec()).collect());
        self
    }

    /// Sets the shared sequence.
    #[must_use]
    pub fn shared_sequence(mut self, seq: &SequenceBuilder) -> Self {
        self.shared = Some(seq.encode());
        self
    }

    /// Sets the shared sequence from encoded bytes.
    #[must_use]
    pub fn shared_sequence_bytes(mut self, encoded: &[u8]) -> Self {
        self.shared = Some(encoded.to_vec());
        self
    }

    /// Sets a command sequence (validate, load, invoke, payload-fetch, install).
    #[must_use]
    pub fn sequence(self, section: Section, seq: &SequenceBuilder) -> Self {
        self.sequence_bytes(section, &seq.encode())
    }

    /// Sets a command sequence from encoded bytes.
    #[must_use]
    pub fn sequence_bytes(self, section: Section, encoded: &[u8]) -> Self {
        match section.key() {
            Some(k) => self.member(k, encoded.to_vec()),
            None => self.shared_sequence_bytes(encoded),
        }
    }

    /// Removes a command sequence or the text (by member key; the shared sequence with `None`).
    #[must_use]
    pub fn without(mut self, key: Option<u64>) -> Self {
        match key {
            Some(k) => self.members.retain(|(m, _)| *m != k),
            None => self.shared = None,
        }
        self
    }

    /// Sets `suit-text` from an encoded text map (see [`text_map`]).
    #[must_use]
    pub fn text(self, encoded: &[u8]) -> Self {
        self.member(crate::codes::TEXT, encoded.to_vec())
    }

    /// Sets `suit-reference-uri`.
    #[must_use]
    pub fn reference_uri(mut self, uri: &str) -> Self {
        self.reference_uri = Some(uri.into());
        self
    }

    fn member(self, key: u64, body: Vec<u8>) -> Self {
        self.put(key, Body::Inline(body))
    }

    fn put(mut self, key: u64, body: Body) -> Self {
        self.members.retain(|(k, _)| *k != key);
        self.members.push((key, body));
        self.members.sort_by_key(|(k, _)| *k);
        self
    }

    /// Records a member (16, 20, 23) that was severed elsewhere, by its encoded `SUIT_Digest`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a member that is not severable; decode errors of the digest.
    pub fn severed_digest(self, key: u64, encoded_digest: &[u8]) -> Result<Self> {
        if !matches!(key, 16 | 20 | 23) {
            return Err(Error::Unsupported { what: "severable member", code: i64::try_from(key).unwrap_or(0) });
        }
        crate::SuitDigest::decode(encoded_digest)?;
        Ok(self.put(key, Body::Digest(encoded_digest.to_vec())))
    }

    /// Severs a member (payload-fetch 16, install 20, text 23): the manifest keeps its digest and
    /// the envelope carries the member until someone removes it ([`sever`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a member that is not severable; [`Error::Missing`] if it is absent.
    pub fn sever(mut self, key: u64) -> Result<Self> {
        if !matches!(key, 16 | 20 | 23) {
            return Err(Error::Unsupported { what: "severable member", code: i64::try_from(key).unwrap_or(0) });
        }
        let m = self.members.iter_mut().find(|(k, _)| *k == key).ok_or(Error::Missing { what: "member to sever" })?;
        if let Body::Inline(body) = &mut m.1 {
            m.1 = Body::Sever(core::mem::take(body));
        }
        Ok(self)
    }

    /// Encodes the manifest.
    ///
    /// # Errors
    /// [`Error::Missing`] without components; [`Error::Malformed`] for an empty sequence.
    pub fn build(&self) -> Result<BuiltManifest> {
        if self.components.is_empty() {
            return Err(Error::Missing { what: "components" });
        }
        let mut common = Vec::new();
        let entries = 1usize
            .saturating_add(usize::from(self.shared.is_some()))
            .saturating_add(usize::from(!self.dependencies.is_empty()));
        let _ = enc(&mut common).map(entries);
        if !self.dependencies.is_empty() {
            let _ = enc(&mut common).uint(crate::codes::common::DEPENDENCIES);
            let _ = enc(&mut common).map(self.dependencies.len());
            for (index, prefix) in &self.dependencies {
                let _ = enc(&mut common).uint(*index);
                match prefix {
                    Some(p) => {
                        let _ = enc(&mut common).map(1).and_then(|e| e.uint(1)?.array(p.len()));
                        for seg in p {
                            put_bytes(&mut common, seg);
                        }
                    }
                    None => {
                        let _ = enc(&mut common).map(0);
                    }
                }
            }
        }
        let _ = enc(&mut common).uint(crate::codes::common::COMPONENTS);
        let _ = enc(&mut common).array(self.components.len());
        for id in &self.components {
            let _ = enc(&mut common).array(id.len());
            for seg in id {
                put_bytes(&mut common, seg);
            }
        }
        if let Some(shared) = &self.shared {
            check_not_empty(shared)?;
            let _ = enc(&mut common).uint(crate::codes::common::SHARED_SEQUENCE);
            put_bytes(&mut common, shared);
        }
        let mut m = Vec::new();
        let n = 3usize
            .saturating_add(usize::from(self.reference_uri.is_some()))
            .saturating_add(usize::from(self.component_id.is_some()))
            .saturating_add(self.members.len());
        let _ = enc(&mut m).map(n).and_then(|e| e.uint(1)?.uint(1)?.uint(2)?.uint(self.sequence_number)?.uint(3));
        put_bytes(&mut m, &common);
        if let Some(uri) = &self.reference_uri {
            let _ = enc(&mut m).uint(4).and_then(|e| e.str(uri));
        }
        if let Some(id) = &self.component_id {
            let _ = enc(&mut m).uint(5).and_then(|e| e.array(id.len()));
            for seg in id {
                put_bytes(&mut m, seg);
            }
        }
        let mut severed = Vec::new();
        for (k, body) in &self.members {
            let _ = enc(&mut m).uint(*k);
            match body {
                Body::Inline(b) | Body::Sever(b) if *k != crate::codes::TEXT => check_not_empty(b)?,
                _ => {}
            }
            match body {
                Body::Inline(b) => put_bytes(&mut m, b),
                Body::Sever(b) => {
                    m.extend_from_slice(&digest_of(&sha256_bstr_wrapped(b)));
                    severed.push((*k, b.clone()));
                }
                Body::Digest(d) => m.extend_from_slice(d),
            }
        }
        Ok(BuiltManifest { manifest: m, members: severed })
    }
}

fn check_not_empty(seq: &[u8]) -> Result<()> {
    let mut d = Decoder::new(seq);
    match d.array() {
        Ok(n) if n > 0 => Ok(()),
        _ => Err(Error::Malformed { what: "empty command sequence" }),
    }
}

/// Text for one component in [`text_map`]: its identifier segments and `(key, text)` entries.
pub type ComponentText<'a> = (&'a [&'a [u8]], &'a [(i64, &'a str)]);

/// An encoded `suit-text` map for one language: `{lang: {1: description, component-id: {key: text}}}`.
#[must_use]
pub fn text_map(lang: &str, description: Option<&str>, components: &[ComponentText<'_>]) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = enc(&mut v).map(1).and_then(|e| e.str(lang));
    let _ = enc(&mut v).map(usize::from(description.is_some()).saturating_add(components.len()));
    if let Some(text) = description {
        let _ = enc(&mut v).int(crate::codes::text::MANIFEST_DESCRIPTION).and_then(|e| e.str(text));
    }
    for (id, entries) in components {
        let _ = enc(&mut v).array(id.len());
        for seg in *id {
            put_bytes(&mut v, seg);
        }
        let _ = enc(&mut v).map(entries.len());
        for (k, text) in *entries {
            let _ = enc(&mut v).int(*k).and_then(|e| e.str(text));
        }
    }
    v
}

/// An encoded manifest plus the severed members it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltManifest {
    /// The encoded `SUIT_Manifest`.
    pub manifest: Vec<u8>,
    /// Severed members as `(key, encoded member)`; the envelope carries them.
    pub members: Vec<(u64, Vec<u8>)>,
}

impl BuiltManifest {
    /// A manifest given as encoded bytes (for example taken from an existing envelope).
    #[must_use]
    pub fn from_bytes(manifest: &[u8]) -> Self {
        Self { manifest: manifest.to_vec(), members: Vec::new() }
    }
}

/// An envelope under construction: manifest, authentication blocks, members, integrated payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeBuilder {
    manifest: BuiltManifest,
    auth: Vec<Vec<u8>>,
    payloads: Vec<(String, Vec<u8>)>,
    tagged: bool,
}

impl EnvelopeBuilder {
    /// An envelope for `manifest`, tagged (107), not yet signed.
    #[must_use]
    pub fn new(manifest: BuiltManifest) -> Self {
        Self { manifest, auth: Vec::new(), payloads: Vec::new(), tagged: true }
    }

    /// Writes the envelope without tag 107 (as TEEP does).
    #[must_use]
    pub fn tagged(mut self, yes: bool) -> Self {
        self.tagged = yes;
        self
    }

    /// Carries a member (16, 20, 23 ...) whose digest the manifest holds.
    #[must_use]
    pub fn member(mut self, key: u64, encoded: Vec<u8>) -> Self {
        self.manifest.members.retain(|(k, _)| *k != key);
        self.manifest.members.push((key, encoded));
        self
    }

    /// Integrates a payload under `name` (fetch it with the URI `name`, usually `#something`).
    #[must_use]
    pub fn integrated_payload(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.payloads.retain(|(n, _)| n != name);
        self.payloads.push((name.into(), bytes));
        self
    }

    /// The encoded `SUIT_Digest` of the manifest: the detached COSE payload every signer signs.
    #[must_use]
    pub fn digest_payload(&self) -> Vec<u8> {
        digest_of(&sha256_bstr_wrapped(&self.manifest.manifest))
    }

    /// Adds a COSE_Sign1 by `signer` (any number of signatures, for algorithm transition).
    ///
    /// # Errors
    /// [`Error::Signing`] when the signer fails.
    pub fn sign<S: CoseSigner + ?Sized>(mut self, signer: &S) -> Result<Self> {
        let payload = self.digest_payload();
        let block = Sign1Builder::new(&payload).detached(true).sign(signer).map_err(Error::Signing)?;
        self.auth.push(block);
        Ok(self)
    }

    /// Adds a COSE_Mac0 (HMAC 256/256) with `key`.
    ///
    /// # Errors
    /// [`Error::Signing`] when the key fails.
    pub fn mac<K: MacKey + ?Sized>(mut self, key: &K) -> Result<Self> {
        let payload = self.digest_payload();
        let block = Mac0Builder::new(&payload).detached(true).mac(key).map_err(Error::Signing)?;
        self.auth.push(block);
        Ok(self)
    }

    /// Adds an authentication block made elsewhere (a remote signer).
    #[must_use]
    pub fn with_block(mut self, cose: Vec<u8>) -> Self {
        self.auth.push(cose);
        self
    }

    /// Encodes the envelope: keys 2 and 3 first (section 8.3), then members by key, then
    /// integrated payloads by name.
    ///
    /// # Errors
    /// None today; reserved for limits.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut auth = Vec::new();
        let _ = enc(&mut auth).array(self.auth.len().saturating_add(1));
        put_bytes(&mut auth, &self.digest_payload());
        for block in &self.auth {
            put_bytes(&mut auth, block);
        }
        let mut members = self.manifest.members.clone();
        members.sort_by_key(|(k, _)| *k);
        let mut payloads = self.payloads.clone();
        payloads.sort_by_key(|p| text_key(&p.0));
        let mut v = Vec::new();
        if self.tagged {
            let _ = enc(&mut v).tag(crate::codes::ENVELOPE_TAG);
        }
        let _ = enc(&mut v).map(2usize.saturating_add(members.len()).saturating_add(payloads.len()));
        let _ = enc(&mut v).uint(2);
        put_bytes(&mut v, &auth);
        let _ = enc(&mut v).uint(3);
        put_bytes(&mut v, &self.manifest.manifest);
        for (k, body) in &members {
            let _ = enc(&mut v).uint(*k);
            put_bytes(&mut v, body);
        }
        for (name, body) in &payloads {
            let _ = enc(&mut v).str(name);
            put_bytes(&mut v, body);
        }
        Ok(v)
    }
}

fn text_key(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = enc(&mut v).str(s);
    v
}

/// Removes members (severable ones, or integrated payloads when `payloads` is set) from an encoded
/// envelope. The signature covers only the manifest, so the result stays valid; a device that
/// needs a removed member must get it another way. Every other byte is kept as it was.
///
/// # Errors
/// The envelope does not decode; [`Error::Unsupported`] when asked to remove key 2 or 3.
pub fn sever(envelope: &[u8], keys: &[u64], payloads: bool) -> Result<Vec<u8>> {
    if keys.iter().any(|k| *k == 2 || *k == 3) {
        return Err(Error::Unsupported { what: "severing a mandatory member", code: 2 });
    }
    crate::Envelope::decode(envelope)?;
    let mut d = Decoder::new(envelope);
    let mut out = Vec::new();
    if let Some(tag) = d.optional_tag()? {
        let _ = enc(&mut out).tag(tag);
    }
    let n = d.map()?;
    let mut kept: Vec<&[u8]> = Vec::new();
    for _ in 0..n {
        let start = d.position();
        let drop = match d.peek_type()? {
            Type::UInt => keys.contains(&d.uint()?),
            _ => {
                d.skip(1)?;
                payloads
            }
        };
        d.skip(2)?;
        if !drop {
            kept.push(d.consumed_since(start));
        }
    }
    let _ = enc(&mut out).map(kept.len());
    for entry in kept {
        out.extend_from_slice(entry);
    }
    Ok(out)
}
