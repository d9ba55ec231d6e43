//! Documents as CBOR (RFC 8949): deterministic encoding (section 4.2.1: shortest heads, definite
//! lengths, map keys sorted by their encoded bytes) and bounded decoding.
//!
//! `null` is CBOR `null` (0xf6), so a merge patch carried in CBOR deletes members exactly as its
//! JSON form does.
//!
//! ```
//! use iot_twin::{cbor, serde_json::json};
//! let doc = json!({"fw": "2.0", "on": true, "t": 21.5});
//! let bytes = cbor::to_vec(&doc);
//! assert_eq!(cbor::from_slice(&bytes)?, doc);
//! # Ok::<(), iot_twin::Error>(())
//! ```

use alloc::string::ToString as _;
use alloc::vec::Vec;
use iot_cose::cbor::{Decoder, Encoder, Type};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Result};

/// Default nesting bound for [`from_slice`].
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Encodes `v` deterministically.
#[must_use]
pub fn to_vec(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode(v, &mut out);
    out
}

fn encode(v: &Value, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let mut e = Encoder::new(&mut *out);
    let _ = match v {
        Value::Null => e.null(),
        Value::Bool(b) => e.bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => e.uint(u),
            (None, Some(i), _) => e.int(i),
            (_, _, Some(f)) => e.float(f),
            _ => e.null(),
        },
        Value::String(s) => e.str(s),
        Value::Array(a) => {
            let _ = e.array(a.len());
            for x in a {
                encode(x, out);
            }
            return;
        }
        Value::Object(m) => {
            let _ = e.map(m.len());
            let mut entries: Vec<(Vec<u8>, &Value)> = m
                .iter()
                .map(|(k, v)| {
                    let mut kb = Vec::new();
                    let _ = Encoder::new(&mut kb).str(k);
                    (kb, v)
                })
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in entries {
                out.extend_from_slice(&k);
                encode(v, out);
            }
            return;
        }
    };
}

/// Decodes one CBOR item into a document, nesting at most [`DEFAULT_MAX_DEPTH`] levels.
///
/// # Errors
/// [`Error::Cbor`] for malformed input or trailing bytes, [`Error::TooDeep`], and
/// [`Error::UnsupportedCbor`] for items with no JSON equivalent (byte strings, tags, simple values,
/// non-text map keys, duplicate keys, NaN or infinite floats, integers below -2^63).
pub fn from_slice(bytes: &[u8]) -> Result<Value> {
    from_slice_with_depth(bytes, DEFAULT_MAX_DEPTH)
}

/// As [`from_slice`] with an explicit nesting bound, capped at [`crate::merge::MAX_RECURSION`]
/// because decoding recurses once per level.
///
/// # Errors
/// As [`from_slice`].
pub fn from_slice_with_depth(bytes: &[u8], max_depth: usize) -> Result<Value> {
    let max_depth = max_depth.min(crate::merge::MAX_RECURSION);
    let mut d = Decoder::new(bytes);
    let v = decode(&mut d, max_depth, 0)?;
    d.finish()?;
    Ok(v)
}

fn decode(d: &mut Decoder<'_>, max_depth: usize, depth: usize) -> Result<Value> {
    let ty = d.peek_type()?;
    let nested = || {
        let n = depth.saturating_add(1);
        if n > max_depth { Err(Error::TooDeep { depth: n, limit: max_depth }) } else { Ok(n) }
    };
    Ok(match ty {
        Type::UInt => Value::Number(Number::from(d.uint()?)),
        Type::NInt => {
            Value::Number(Number::from(d.int().map_err(|_| Error::UnsupportedCbor { what: "integer below -2^63" })?))
        }
        Type::Float => {
            Value::Number(Number::from_f64(d.float()?).ok_or(Error::UnsupportedCbor { what: "NaN or infinite float" })?)
        }
        Type::Text => Value::String(d.str()?.to_string()),
        Type::Bool => Value::Bool(d.bool()?),
        Type::Null => {
            d.null()?;
            Value::Null
        }
        Type::Array => {
            let depth = nested()?;
            let n = d.array()?;
            // No capacity from the input: each element takes at least one byte, so growth is
            // bounded by the input length.
            let mut a = Vec::new();
            for _ in 0..n {
                a.push(decode(d, max_depth, depth)?);
            }
            Value::Array(a)
        }
        Type::Map => {
            let depth = nested()?;
            let n = d.map()?;
            let mut m = Map::new();
            for _ in 0..n {
                if d.peek_type()? != Type::Text {
                    return Err(Error::UnsupportedCbor { what: "map key that is not a text string" });
                }
                let k = d.str()?.to_string();
                let v = decode(d, max_depth, depth)?;
                if m.insert(k, v).is_some() {
                    return Err(Error::UnsupportedCbor { what: "duplicate map key" });
                }
            }
            Value::Object(m)
        }
        Type::Bytes => return Err(Error::UnsupportedCbor { what: "byte string" }),
        Type::Tag => return Err(Error::UnsupportedCbor { what: "tag" }),
        _ => return Err(Error::UnsupportedCbor { what: "simple value" }),
    })
}
