//! Reference values from CoRIM (draft-ietf-rats-corim): a signed (COSE_Sign1, tag 18) or unsigned
//! (tag 501) CoRIM, a CoMID (tag 506) or a bare concise-mid-tag, read into [`ReferenceValues`].
//!
//! The subset read is what PSA and device appraisal need (draft-ietf-rats-psa-endorsements):
//! `reference-triples` whose environment names a class (`class-id` as `560(bytes)`, the PSA
//! implementation id, or a `37(uuid)`), and whose measurements carry digests, a component name
//! (`mval` `name`, or the label of a `psa-refval-id` `mkey`) and signer ids (`cryptokeys`
//! `560(bytes)`, or the `signer-id` of a `psa-refval-id`). Triples for the same name merge into one
//! component. Endorsed values, conditional triples and other extensions are skipped (they add
//! claims, they never widen what is accepted). Everything is bounded: at most 64 tags, 256
//! triples, 64 measurements per triple and 16 digests or keys per measurement.
//!
//! ```
//! use iot_attest::corim;
//! // a bare CoMID whose triples map is empty: nothing is accepted
//! let refs = corim::reference_values(&[0xa1, 0x04, 0xa0], None)?;
//! assert!(refs.components.is_empty());
//! # Ok::<(), iot_attest::Error>(())
//! ```

use alloc::string::{String, ToString as _};

use iot_cose::cbor::{Decoder, Type};
use iot_cose::{CoseSign1, KeyMaterial, VerifyOptions};

use crate::appraise::{ReferenceComponent, ReferenceValues};
use crate::error::{Error, Result};

/// CBOR tag of an unsigned CoRIM map.
pub const UNSIGNED_CORIM_TAG: u64 = 501;
/// CBOR tag of a CoMID (bstr-wrapped concise-mid-tag) inside a CoRIM.
pub const COMID_TAG: u64 = 506;
const SIGN1_TAG: u64 = 18;
const TAGGED_BYTES: u64 = 560;
const UUID_TAG: u64 = 37;
const MAX_TAGS: u64 = 64;
const MAX_TRIPLES: u64 = 256;
const MAX_MEASUREMENTS: u64 = 64;
const MAX_LIST: u64 = 16;
const DEPTH: usize = 16;

fn cbor<T>(r: core::result::Result<T, iot_cose::cbor::DecodeError>) -> Result<T> {
    r.map_err(Error::Cbor)
}

fn bad(problem: &'static str) -> Error {
    Error::Invalid { what: "CoRIM", problem }
}

fn bounded(n: u64, max: u64, what: &'static str) -> Result<u64> {
    if n > max { Err(Error::LimitExceeded(what)) } else { Ok(n) }
}

/// Reads reference values from a CoRIM. A signed CoRIM (tag 18) is verified with `key` first and
/// refused without one; an unsigned one (tag 501), a CoMID (tag 506) or a bare concise-mid-tag is
/// read as it is (the caller vouches for its origin).
///
/// # Errors
/// [`Error::Cose`] for a bad signature, [`Error::UnknownKey`] for a signed CoRIM without a key,
/// [`Error::Cbor`] / [`Error::Invalid`] for a malformed CoRIM, [`Error::LimitExceeded`].
pub fn reference_values(bytes: &[u8], key: Option<&KeyMaterial>) -> Result<ReferenceValues> {
    let mut d = Decoder::new(bytes);
    let mut refs = ReferenceValues { name: String::from("device"), ..ReferenceValues::default() };
    match cbor(d.optional_tag())? {
        Some(SIGN1_TAG) => {
            let KeyMaterial::Public(k) = key.ok_or(Error::UnknownKey)? else {
                return Err(Error::KeyMismatch);
            };
            let msg = CoseSign1::decode(bytes)?;
            let verified = k.verify_sign1(&msg, None, &[], &VerifyOptions::default())?;
            let payload = verified.payload().ok_or(bad("detached payload"))?;
            let mut p = Decoder::new(payload);
            if cbor(p.optional_tag())? != Some(UNSIGNED_CORIM_TAG) {
                return Err(bad("signed payload is not a tagged unsigned CoRIM"));
            }
            corim_map(&mut p, &mut refs)?;
            cbor(p.finish())?;
            return Ok(refs);
        }
        Some(UNSIGNED_CORIM_TAG) => corim_map(&mut d, &mut refs)?,
        Some(COMID_TAG) => comid(&mut d, &mut refs)?,
        Some(_) => return Err(bad("not a CoRIM or CoMID")),
        None => comid(&mut d, &mut refs)?,
    }
    cbor(d.finish())?;
    Ok(refs)
}

/// `corim-map = { 0: id, 1: [+ tags], ? 2: dependent-rims, ? 3: profile, ... }`.
fn corim_map(d: &mut Decoder<'_>, refs: &mut ReferenceValues) -> Result<()> {
    let n = bounded(cbor(d.map())?, 16, "CoRIM map entries")?;
    let mut tags_seen = false;
    for _ in 0..n {
        match cbor(d.int())? {
            1 => {
                tags_seen = true;
                let tags = bounded(cbor(d.array())?, MAX_TAGS, "CoRIM tags")?;
                for _ in 0..tags {
                    if cbor(d.tag())? == COMID_TAG {
                        let body = cbor(d.bytes())?;
                        let mut c = Decoder::new(body);
                        comid(&mut c, refs)?;
                        cbor(c.finish())?;
                    } else {
                        // CoSWID (505) and CoTL (508) tags carry no reference triples.
                        cbor(d.skip(DEPTH))?;
                    }
                }
            }
            _ => cbor(d.skip(DEPTH))?,
        }
    }
    if tags_seen { Ok(()) } else { Err(bad("CoRIM without tags")) }
}

/// `concise-mid-tag = { ? 0: language, 1: tag-identity, ? 2: entities, ? 3: linked-tags,
/// 4: triples }`.
fn comid(d: &mut Decoder<'_>, refs: &mut ReferenceValues) -> Result<()> {
    let n = bounded(cbor(d.map())?, 16, "CoMID entries")?;
    let mut triples = false;
    for _ in 0..n {
        match cbor(d.int())? {
            4 => {
                triples = true;
                let m = bounded(cbor(d.map())?, 16, "CoMID triples")?;
                for _ in 0..m {
                    match cbor(d.int())? {
                        0 => reference_triples(d, refs)?,
                        _ => cbor(d.skip(DEPTH))?,
                    }
                }
            }
            _ => cbor(d.skip(DEPTH))?,
        }
    }
    if triples { Ok(()) } else { Err(bad("CoMID without triples")) }
}

fn reference_triples(d: &mut Decoder<'_>, refs: &mut ReferenceValues) -> Result<()> {
    let n = bounded(cbor(d.array())?, MAX_TRIPLES, "reference triples")?;
    for _ in 0..n {
        if cbor(d.array())? != 2 {
            return Err(bad("reference triple is not [environment, measurements]"));
        }
        environment(d, refs)?;
        let m = bounded(cbor(d.array())?, MAX_MEASUREMENTS, "measurements")?;
        for _ in 0..m {
            let c = measurement(d)?;
            merge(refs, c);
        }
    }
    Ok(())
}

/// `environment-map = { ? 0: class-map, ? 1: instance, ? 2: group }`; a class id that is
/// `560(bytes)` is a PSA implementation id.
fn environment(d: &mut Decoder<'_>, refs: &mut ReferenceValues) -> Result<()> {
    let n = bounded(cbor(d.map())?, 8, "environment entries")?;
    for _ in 0..n {
        match cbor(d.int())? {
            0 => {
                let m = bounded(cbor(d.map())?, 8, "class entries")?;
                for _ in 0..m {
                    match cbor(d.int())? {
                        0 => match cbor(d.tag())? {
                            TAGGED_BYTES => {
                                let id = cbor(d.bytes())?.to_vec();
                                if !refs.implementation_ids.contains(&id) {
                                    refs.implementation_ids.push(id);
                                }
                            }
                            UUID_TAG => {
                                cbor(d.bytes())?;
                            }
                            _ => cbor(d.skip(DEPTH))?,
                        },
                        _ => cbor(d.skip(DEPTH))?,
                    }
                }
            }
            _ => cbor(d.skip(DEPTH))?,
        }
    }
    Ok(())
}

/// `measurement-map = { ? 0: mkey, 1: mval, ? 2: authorized-by }`.
fn measurement(d: &mut Decoder<'_>) -> Result<ReferenceComponent> {
    let n = bounded(cbor(d.map())?, 8, "measurement entries")?;
    let mut c = ReferenceComponent::default();
    let mut has_mval = false;
    for _ in 0..n {
        match cbor(d.int())? {
            0 => match cbor(d.peek_type())? {
                // psa-refval-id = { ? 0: label, 1: version, 2: signer-id, ... }
                Type::Map => {
                    let m = bounded(cbor(d.map())?, 8, "psa-refval-id entries")?;
                    for _ in 0..m {
                        match cbor(d.int())? {
                            0 => c.name = Some(cbor(d.str())?.to_string()),
                            2 => c.signer_ids.push(cbor(d.bytes())?.to_vec()),
                            _ => cbor(d.skip(DEPTH))?,
                        }
                    }
                }
                _ => cbor(d.skip(DEPTH))?,
            },
            1 => {
                has_mval = true;
                mval(d, &mut c)?;
            }
            _ => cbor(d.skip(DEPTH))?,
        }
    }
    if !has_mval {
        return Err(bad("measurement without mval"));
    }
    Ok(c)
}

/// `measurement-values-map = { ? 0: version, ? 1: svn, ? 2: digests, ..., ? 11: name,
/// ? 13: cryptokeys, ... }`.
fn mval(d: &mut Decoder<'_>, c: &mut ReferenceComponent) -> Result<()> {
    let n = bounded(cbor(d.map())?, 32, "mval entries")?;
    for _ in 0..n {
        match cbor(d.int())? {
            2 => {
                let k = bounded(cbor(d.array())?, MAX_LIST, "digests")?;
                for _ in 0..k {
                    if cbor(d.array())? != 2 {
                        return Err(bad("digest is not [alg, value]"));
                    }
                    // hash-alg-id: a COSE/IANA number or a name; the value is what evidence matches.
                    cbor(d.skip(1))?;
                    let v = cbor(d.bytes())?;
                    if v.is_empty() {
                        return Err(bad("empty digest"));
                    }
                    c.measurements.push(v.to_vec());
                }
            }
            11 => c.name = Some(cbor(d.str())?.to_string()),
            13 => {
                let k = bounded(cbor(d.array())?, MAX_LIST, "cryptokeys")?;
                for _ in 0..k {
                    match cbor(d.optional_tag())? {
                        Some(TAGGED_BYTES) => c.signer_ids.push(cbor(d.bytes())?.to_vec()),
                        _ => cbor(d.skip(DEPTH))?,
                    }
                }
            }
            _ => cbor(d.skip(DEPTH))?,
        }
    }
    Ok(())
}

/// Adds a measurement to the component of the same name (or a new one).
fn merge(refs: &mut ReferenceValues, c: ReferenceComponent) {
    match refs.components.iter_mut().find(|r| r.name == c.name) {
        Some(r) => {
            for m in c.measurements {
                if !r.measurements.contains(&m) {
                    r.measurements.push(m);
                }
            }
            for s in c.signer_ids {
                if !r.signer_ids.contains(&s) {
                    r.signer_ids.push(s);
                }
            }
        }
        None => refs.components.push(c),
    }
}
