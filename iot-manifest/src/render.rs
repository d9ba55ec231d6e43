//! Rendering for people and tools: any envelope as JSON or as CBOR diagnostic notation (RFC 8949
//! section 8, with `<< >>` for embedded CBOR), and a per-component summary of images.

use crate::codes::{Section, condition as c, directive as d, parameter as p};
use crate::command::{Command, IndexArg, Param, Sequence, VendorId};
use crate::envelope::Envelope;
use crate::error::Result;
use crate::limits::Limits;
use crate::manifest::{Manifest, Member};
use crate::{Error, SuitDigest};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;
use iot_cose::cbor::{Decoder, Type};
use serde_json::{Map, Value, json};

const MAX_DEPTH: usize = 24;

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// CBOR diagnostic notation of one encoded item, indented, with byte strings that hold exactly
/// one CBOR array, map or tag shown as `<< ... >>`.
///
/// # Errors
/// Malformed CBOR, trailing bytes, nesting deeper than 24.
pub fn diagnostic(bytes: &[u8]) -> Result<String> {
    let mut d = Decoder::new(bytes);
    let mut out = String::new();
    diag_item(&mut d, &mut out, 0)?;
    d.finish()?;
    Ok(out)
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn embedded(b: &[u8]) -> bool {
    matches!(b.first().map(|x| x >> 5), Some(4..=6)) && {
        let mut d = Decoder::new(b);
        d.skip(MAX_DEPTH).is_ok() && d.finish().is_ok()
    }
}

fn diag_item(d: &mut Decoder<'_>, out: &mut String, level: usize) -> Result<()> {
    if level > MAX_DEPTH {
        return Err(Error::LimitExceeded { what: "diagnostic nesting", limit: MAX_DEPTH });
    }
    let next = level.saturating_add(1);
    match d.peek_type()? {
        Type::UInt => {
            let _ = write!(out, "{}", d.uint()?);
        }
        Type::NInt | Type::Int => match d.int() {
            Ok(v) => {
                let _ = write!(out, "{v}");
            }
            Err(_) => out.push_str("<negative integer beyond i64>"),
        },
        Type::Bytes => {
            let b = d.bytes()?;
            if embedded(b) {
                out.push_str("<< ");
                let mut inner = Decoder::new(b);
                diag_item(&mut inner, out, next)?;
                out.push_str(" >>");
            } else {
                let _ = write!(out, "h'{}'", hex(b));
            }
        }
        Type::Text => {
            let s = d.str()?;
            out.push_str(&Value::String(s.into()).to_string());
        }
        Type::Array => {
            let n = d.array()?;
            diag_container(d, out, level, n, false)?;
        }
        Type::Map => {
            let n = d.map()?;
            diag_container(d, out, level, n, true)?;
        }
        Type::Tag => {
            let _ = write!(out, "{}(", d.tag()?);
            diag_item(d, out, next)?;
            out.push(')');
        }
        Type::Bool => out.push_str(if d.bool()? { "true" } else { "false" }),
        Type::Null => {
            d.null()?;
            out.push_str("null");
        }
        Type::Float => {
            let _ = write!(out, "{:?}", d.float()?);
        }
        _ => {
            d.skip(1)?;
            out.push_str("undefined");
        }
    }
    Ok(())
}

/// The `n` items (or key/value pairs) of an array or map, one per line.
fn diag_container(d: &mut Decoder<'_>, out: &mut String, level: usize, n: u64, map: bool) -> Result<()> {
    let (open, close) = if map { ('{', '}') } else { ('[', ']') };
    out.push(open);
    if n == 0 {
        out.push(close);
        return Ok(());
    }
    out.push('\n');
    let next = level.saturating_add(1);
    for i in 0..n {
        indent(out, next);
        diag_item(d, out, next)?;
        if map {
            out.push_str(": ");
            diag_item(d, out, next)?;
        }
        out.push_str(if i.saturating_add(1) < n { ",\n" } else { "\n" });
    }
    indent(out, level);
    out.push(close);
    Ok(())
}

fn condition_name(code: i64) -> Option<&'static str> {
    Some(match code {
        c::VENDOR_ID => "condition-vendor-identifier",
        c::CLASS_ID => "condition-class-identifier",
        c::IMAGE_MATCH => "condition-image-match",
        c::USE_BEFORE => "condition-use-before",
        c::COMPONENT_SLOT => "condition-component-slot",
        c::CHECK_CONTENT => "condition-check-content",
        c::DEPENDENCY_INTEGRITY => "condition-dependency-integrity",
        c::IS_DEPENDENCY => "condition-is-dependency",
        c::ABORT => "condition-abort",
        c::DEVICE_ID => "condition-device-identifier",
        c::IMAGE_NOT_MATCH => "condition-image-not-match",
        c::MINIMUM_BATTERY => "condition-minimum-battery",
        c::UPDATE_AUTHORIZED => "condition-update-authorized",
        c::VERSION => "condition-version",
        _ => return None,
    })
}

/// The spec name of a command codepoint (`"directive-fetch"`, `"condition-image-match"`, ...).
#[must_use]
pub fn command_name(code: i64) -> String {
    if let Some(n) = condition_name(code) {
        return n.into();
    }
    let n = match code {
        d::PROCESS_DEPENDENCY => "directive-process-dependency",
        d::SET_COMPONENT_INDEX => "directive-set-component-index",
        d::TRY_EACH => "directive-try-each",
        d::WRITE => "directive-write",
        d::SET_PARAMETERS => "directive-set-parameters",
        d::OVERRIDE_PARAMETERS => "directive-override-parameters",
        d::FETCH => "directive-fetch",
        d::COPY => "directive-copy",
        d::INVOKE => "directive-invoke",
        d::WAIT => "directive-wait",
        d::SWAP => "directive-swap",
        d::RUN_SEQUENCE => "directive-run-sequence",
        d::UNLINK => "directive-unlink",
        d::OVERRIDE_MULTIPLE => "directive-override-multiple",
        d::COPY_PARAMS => "directive-copy-params",
        other => return format!("command({other})"),
    };
    n.into()
}

fn param_name(key: i64) -> String {
    let n = match key {
        p::VENDOR_ID => "vendor-id",
        p::CLASS_ID => "class-id",
        p::IMAGE_DIGEST => "image-digest",
        p::USE_BEFORE => "use-before",
        p::COMPONENT_SLOT => "component-slot",
        p::STRICT_ORDER => "strict-order",
        p::SOFT_FAILURE => "soft-failure",
        p::IMAGE_SIZE => "image-size",
        p::CONTENT => "content",
        p::ENCRYPTION_INFO => "encryption-info",
        p::URI => "uri",
        p::SOURCE_COMPONENT => "source-component",
        p::INVOKE_ARGS => "invoke-args",
        p::DEVICE_ID => "device-id",
        p::FETCH_ARGS => "fetch-arguments",
        p::MINIMUM_BATTERY => "minimum-battery",
        p::UPDATE_PRIORITY => "update-priority",
        p::VERSION => "version",
        p::WAIT_INFO => "wait-info",
        p::COMPONENT_METADATA => "component-metadata",
        other => return format!("parameter({other})"),
    };
    n.into()
}

fn digest_json(d: &SuitDigest<'_>) -> Value {
    json!({ "algorithm": d.alg, "bytes": hex(d.bytes) })
}

fn raw_json(raw: &[u8]) -> Value {
    diagnostic(raw).map_or_else(|_| Value::String(hex(raw)), Value::String)
}

fn param_json(p: &Param<'_>) -> Value {
    match *p {
        Param::VendorId(VendorId::Uuid(b)) | Param::ClassId(b) | Param::DeviceId(b) => Value::String(hex(b)),
        Param::VendorId(VendorId::Pen(b)) => json!({ "pen": hex(b) }),
        Param::ImageDigest(dg) => digest_json(&dg),
        Param::ComponentSlot(v) | Param::ImageSize(v) | Param::SourceComponent(v) => json!(v),
        Param::StrictOrder(v) | Param::SoftFailure(v) => json!(v),
        Param::Content(b) | Param::InvokeArgs(b) | Param::FetchArgs(b) => Value::String(hex(b)),
        Param::Uri(u) => Value::String(u.into()),
        Param::Custom(_, raw) | Param::Extension(_, raw) => raw_json(raw),
        #[cfg(feature = "update-management")]
        Param::UseBefore(v) | Param::MinimumBattery(v) => json!(v),
        #[cfg(feature = "update-management")]
        Param::UpdatePriority(v) => json!(v),
        #[cfg(feature = "update-management")]
        Param::Version(v) => {
            use crate::update::VersionComparison as C;
            let cmp = match v.comparison {
                C::Greater => "greater",
                C::GreaterEqual => "greater-equal",
                C::Equal => "equal",
                C::LesserEqual => "lesser-equal",
                C::Lesser => "lesser",
            };
            json!({ "comparison": cmp, "version": v.version().collect::<Vec<_>>() })
        }
        #[cfg(feature = "update-management")]
        Param::WaitInfo(w) => raw_json(w.raw()),
        #[cfg(feature = "update-management")]
        Param::ComponentMetadata(m) => raw_json(m.raw()),
        #[cfg(feature = "encryption")]
        Param::EncryptionInfo(e) => raw_json(e.raw()),
    }
}

fn sequence_json(seq: &Sequence<'_>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::String("...".into());
    }
    let mut out = Vec::new();
    for item in seq.commands() {
        let (_, cmd) = match item {
            Ok(x) => x,
            Err(e) => {
                out.push(json!({ "error": e.to_string() }));
                break;
            }
        };
        let arg = match cmd {
            Command::Condition { policy, .. } | Command::Directive { policy, .. } => json!(policy),
            Command::SetComponentIndex(IndexArg::One(i)) => json!(i),
            Command::SetComponentIndex(IndexArg::All) => json!(true),
            Command::SetComponentIndex(list @ IndexArg::List(_)) => json!(list.indices(0).collect::<Vec<_>>()),
            Command::OverrideParameters(m) | Command::SetParameters(m) => {
                let mut o = Map::new();
                for entry in m.iter() {
                    match entry {
                        Ok(p) => o.insert(param_name(p.key()), param_json(&p)),
                        Err(e) => o.insert("error".into(), Value::String(e.to_string())),
                    };
                }
                Value::Object(o)
            }
            Command::TryEach(t) => Value::Array(
                t.branches()
                    .map(|b| match b {
                        Ok(Some(s)) => sequence_json(&s, depth.saturating_add(1)),
                        Ok(None) => Value::Null,
                        Err(e) => json!({ "error": e.to_string() }),
                    })
                    .collect(),
            ),
            Command::RunSequence(s) => sequence_json(&s, depth.saturating_add(1)),
            Command::Custom { arg, .. } | Command::Extension { arg, .. } => raw_json(arg),
        };
        let mut o = Map::new();
        o.insert(command_name(cmd.code()), arg);
        out.push(Value::Object(o));
    }
    Value::Array(out)
}

fn member_json(m: Member<'_>, body: impl Fn(&[u8]) -> Value) -> Option<Value> {
    match m {
        Member::Absent => None,
        Member::Present(b) => Some(body(b)),
        Member::Severed(dg) => Some(json!({ "severed": digest_json(&dg) })),
    }
}

/// The manifest as JSON: version, sequence number, components, every sequence as a list of
/// named commands with decoded arguments, severed members as their digests, text as diagnostic
/// notation.
#[must_use]
pub fn manifest_json(m: &Manifest<'_>) -> Value {
    let components: Vec<Value> =
        m.components().iter().map(|c| Value::Array(c.segments().map(|s| Value::String(hex(s))).collect())).collect();
    let mut o = Map::new();
    o.insert("manifest-version".into(), json!(1));
    o.insert("manifest-sequence-number".into(), json!(m.sequence_number()));
    let mut common = Map::new();
    if let Some(deps) = m.dependencies() {
        common.insert("dependencies".into(), raw_json(deps));
    }
    common.insert("components".into(), Value::Array(components));
    if let Some(s) = m.shared_sequence() {
        common.insert("shared-sequence".into(), sequence_json(&s, 0));
    }
    o.insert("common".into(), Value::Object(common));
    if let Some(uri) = m.reference_uri() {
        o.insert("reference-uri".into(), Value::String(uri.into()));
    }
    for s in Section::SEQUENCES {
        if let Some(v) = member_json(m.member(s), |b| sequence_json(&Sequence::new(b), 0)) {
            o.insert(s.name().into(), v);
        }
    }
    if let Some(v) = member_json(m.text(), raw_json) {
        o.insert("text".into(), v);
    }
    Value::Object(o)
}

/// The whole envelope as JSON, without verifying anything: the caller must label it as such.
/// Severed members carried in the envelope and integrated payloads (name, size, SHA-256) are
/// listed; the manifest is decoded with `limits`, and a decode failure is reported in place.
#[must_use]
pub fn envelope_json(env: &Envelope<'_>, limits: &Limits) -> Value {
    let mut o = Map::new();
    o.insert("tagged".into(), json!(env.is_tagged()));
    o.insert("manifest_digest".into(), Value::String(hex(&env.manifest_digest())));
    let mut auth = Map::new();
    match env.unverified_digest() {
        Ok(dg) => auth.insert("digest".into(), digest_json(&dg)),
        Err(e) => auth.insert("digest".into(), json!({ "error": e.to_string() })),
    };
    let blocks: Vec<Value> = env.authentication_blocks().map(block_json).collect();
    auth.insert("blocks".into(), Value::Array(blocks));
    o.insert("authentication".into(), Value::Object(auth));
    match env.unverified_manifest(limits) {
        Ok(m) => o.insert("manifest".into(), manifest_json(&m)),
        Err(e) => o.insert("manifest".into(), json!({ "error": e.to_string() })),
    };
    let members: Vec<Value> = crate::codes::SEVERABLE_KEYS
        .iter()
        .filter_map(|k| env.member(*k).map(|b| json!({ "key": k, "size": b.len() })))
        .collect();
    if !members.is_empty() {
        o.insert("members".into(), Value::Array(members));
    }
    let payloads: Vec<Value> = env
        .integrated_payloads()
        .map(|(n, b)| {
            use sha2::Digest as _;
            json!({ "name": n, "size": b.len(), "sha256": hex(&sha2::Sha256::digest(b)) })
        })
        .collect();
    if !payloads.is_empty() {
        o.insert("integrated_payloads".into(), Value::Array(payloads));
    }
    Value::Object(o)
}

fn block_json(block: &[u8]) -> Value {
    let mut d = Decoder::new(block);
    let tag = d.optional_tag().ok().flatten();
    let kind = match tag {
        Some(18) => "COSE_Sign1",
        Some(17) => "COSE_Mac0",
        Some(98) => "COSE_Sign",
        Some(97) => "COSE_Mac",
        _ => "unknown",
    };
    let mut o = Map::new();
    o.insert("type".into(), Value::String(kind.into()));
    if let Ok(msg) = iot_cose::CoseSign1::decode(block) {
        if let Some(iot_cose::Label::Int(a)) = msg.protected().map.alg() {
            o.insert("alg".into(), json!(a));
        }
        if let Some(k) = msg.kid() {
            o.insert("kid".into(), Value::String(hex(k)));
        }
    } else if let Ok(msg) = iot_cose::CoseMac0::decode(block) {
        if let Some(iot_cose::Label::Int(a)) = msg.protected().map.alg() {
            o.insert("alg".into(), json!(a));
        }
    }
    Value::Object(o)
}

/// What the manifest says about one component's image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentInfo {
    /// Identifier segments.
    pub id: Vec<Vec<u8>>,
    /// SHA-256 the image must have.
    pub image_digest: Option<Vec<u8>>,
    /// Its size.
    pub image_size: Option<u64>,
    /// Where it is fetched from.
    pub uri: Option<String>,
}

/// The image digest, size and URI set for each component, found by following set-component-index
/// and override-parameters through the shared sequence, then payload-fetch, install, validate,
/// load and invoke (inline members only). In try-each only the first branch is followed, so for
/// A/B manifests this shows the first alternative.
#[must_use]
pub fn components(m: &Manifest<'_>) -> Vec<ComponentInfo> {
    let mut out: Vec<ComponentInfo> = m
        .components()
        .iter()
        .map(|c| ComponentInfo { id: c.segments().map(<[u8]>::to_vec).collect(), ..ComponentInfo::default() })
        .collect();
    let mut scan = |seq: Option<Sequence<'_>>| {
        if let Some(s) = seq {
            scan_seq(&s, &mut out, IndexArg::One(0), 0);
        }
    };
    scan(m.shared_sequence());
    for s in Section::SEQUENCES {
        if let Member::Present(b) = m.member(s) {
            scan(Some(Sequence::new(b)));
        }
    }
    out
}

fn scan_seq<'a>(seq: &Sequence<'a>, out: &mut [ComponentInfo], mut sel: IndexArg<'a>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let count = out.len();
    for item in seq.commands() {
        let Ok((_, cmd)) = item else { return };
        match cmd {
            Command::SetComponentIndex(a) => sel = a,
            Command::OverrideParameters(map) | Command::SetParameters(map) => {
                let overwrite = matches!(cmd, Command::OverrideParameters(_));
                for i in sel.indices(count) {
                    let Some(info) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) else { continue };
                    for entry in map.iter().flatten() {
                        match entry {
                            Param::ImageDigest(dg) if overwrite || info.image_digest.is_none() => {
                                info.image_digest = Some(dg.bytes.to_vec());
                            }
                            Param::ImageSize(s) if overwrite || info.image_size.is_none() => {
                                info.image_size = Some(s);
                            }
                            Param::Uri(u) if overwrite || info.uri.is_none() => info.uri = Some(u.into()),
                            _ => {}
                        }
                    }
                }
            }
            Command::TryEach(t) => {
                if let Some(Ok(Some(first))) = t.branches().next() {
                    for i in sel.indices(count) {
                        scan_seq(&first, out, IndexArg::One(i), depth.saturating_add(1));
                    }
                }
            }
            Command::RunSequence(s) => {
                for i in sel.indices(count) {
                    scan_seq(&s, out, IndexArg::One(i), depth.saturating_add(1));
                }
            }
            _ => {}
        }
    }
}

/// [`components`] as JSON objects: `id` (hex segments), `image_digest` (hex), `image_size`, and
/// `uri` when present.
#[must_use]
pub fn components_json(m: &Manifest<'_>) -> Value {
    Value::Array(
        components(m)
            .into_iter()
            .map(|c| {
                let mut o = Map::new();
                o.insert("id".into(), Value::Array(c.id.iter().map(|s| Value::String(hex(s))).collect()));
                o.insert("image_digest".into(), c.image_digest.map_or(Value::Null, |d| Value::String(hex(&d))));
                o.insert("image_size".into(), c.image_size.map_or(Value::Null, |s| json!(s)));
                if let Some(u) = c.uri {
                    o.insert("uri".into(), Value::String(u));
                }
                Value::Object(o)
            })
            .collect(),
    )
}

/// Names of the sections a manifest has, in processing order (for summaries).
#[must_use]
pub fn section_names(m: &Manifest<'_>) -> BTreeMap<&'static str, &'static str> {
    let mut o = BTreeMap::new();
    for s in Section::SEQUENCES {
        match m.member(s) {
            Member::Absent => {}
            Member::Present(_) => {
                o.insert(s.name(), "present");
            }
            Member::Severed(_) => {
                o.insert(s.name(), "severed");
            }
        }
    }
    o
}
