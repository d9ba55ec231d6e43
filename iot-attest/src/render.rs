//! Claims as JSON, with the claim names of the RFCs and byte strings as lowercase hex.

use crate::claims::{ClaimKey, Claims, Items, OemId, Submod, Version};
use alloc::string::{String, ToString as _};
use alloc::vec::Vec;
use iot_cose::cbor::{Decoder, Type};
use serde_json::{Map, Value, json};

/// Lowercase hex, the form every byte string takes in the JSON.
fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

/// Any CBOR item as JSON: byte strings as hex, tags as `{"tag": n, "value": v}`, map keys as
/// strings. Depth-bounded; malformed input renders as `null`.
#[must_use]
pub fn cbor_to_json(raw: &[u8]) -> Value {
    item(&mut Decoder::new(raw), 16).unwrap_or(Value::Null)
}

fn item(d: &mut Decoder<'_>, depth: usize) -> Option<Value> {
    let depth = depth.checked_sub(1)?;
    Some(match d.peek_type().ok()? {
        Type::UInt => json!(d.uint().ok()?),
        // Below i64::MIN (CBOR reaches -2^64) there is no JSON number to give: null.
        Type::NInt => json!(d.int().ok()?),
        Type::Bytes => json!(hex(d.bytes().ok()?)),
        Type::Text => json!(d.str().ok()?),
        Type::Array => {
            let n = d.array().ok()?;
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(item(d, depth)?);
            }
            Value::Array(v)
        }
        Type::Map => {
            let n = d.map().ok()?;
            let mut m = Map::new();
            for _ in 0..n {
                let k = match item(d, depth)? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                m.insert(k, item(d, depth)?);
            }
            Value::Object(m)
        }
        Type::Tag => {
            let t = d.tag().ok()?;
            json!({"tag": t, "value": item(d, depth)?})
        }
        Type::Bool => json!(d.bool().ok()?),
        Type::Null => {
            d.null().ok()?;
            Value::Null
        }
        Type::Float => json!(d.float().ok()?),
        _ => {
            d.skip(1).ok()?;
            Value::Null
        }
    })
}

fn version(v: &Version<'_>) -> Value {
    match v.scheme {
        Some(s) => json!([v.version, s]),
        None => json!([v.version]),
    }
}

/// The claims as a JSON object keyed by claim name (`eat_nonce`, `ueid`, `psa-client-id`, ...).
/// Claims this crate does not know appear under their integer key, as JSON of their CBOR.
#[must_use]
pub fn claims_to_json(c: &Claims<'_>) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    if let Some(n) = &c.nonce {
        let all: Vec<String> = n.iter().map(hex).collect();
        put("eat_nonce", if all.len() == 1 { json!(all.first()) } else { json!(all) });
    }
    if let Some(v) = c.ueid {
        put("ueid", json!(hex(v)));
    }
    if let Some(v) = c.oemid {
        put(
            "oemid",
            match v {
                OemId::Pen(p) => json!(p),
                OemId::Ieee(b) | OemId::Random(b) => json!(hex(b)),
            },
        );
    }
    if let Some(v) = c.hwmodel {
        put("hwmodel", json!(hex(v)));
    }
    if let Some(v) = &c.hwversion {
        put("hwversion", version(v));
    }
    if let Some(v) = c.swname {
        put("swname", json!(v));
    }
    if let Some(v) = &c.swversion {
        put("swversion", version(v));
    }
    if let Some(v) = c.oemboot {
        put("oemboot", json!(v));
    }
    if let Some(v) = c.dbgstat {
        put("dbgstat", json!(v.name()));
    }
    if let Some(l) = &c.location {
        put("location", json!({"latitude": l.latitude, "longitude": l.longitude}));
    }
    for (name, v) in [("uptime", c.uptime), ("bootcount", c.bootcount)] {
        if let Some(v) = v {
            put(name, json!(v));
        }
    }
    if let Some(v) = c.bootseed {
        put("bootseed", json!(hex(v)));
    }
    for (name, v) in [("iat", c.iat), ("exp", c.exp), ("nbf", c.nbf), ("intuse", c.intuse)] {
        if let Some(v) = v {
            put(name, json!(v));
        }
    }
    for (name, v) in [("iss", c.iss), ("sub", c.sub), ("eat_profile", c.profile_id)] {
        if let Some(v) = v {
            put(name, json!(v));
        }
    }
    if let Some(v) = c.cti {
        put("cti", json!(hex(v)));
    }
    for (name, v) in
        [("aud", c.aud), ("sueids", c.sueids), ("dloas", c.dloas), ("manifests", c.manifests), ("measres", c.measres)]
    {
        if let Some(v) = v {
            put(name, cbor_to_json(v));
        }
    }
    if let Some(v) = c.client_id {
        put("psa-client-id", json!(v));
    }
    if let Some(v) = c.lifecycle {
        put("psa-security-lifecycle", json!(v));
    }
    if let Some(v) = c.implementation_id {
        put("psa-implementation-id", json!(hex(v)));
    }
    if let Some(v) = c.certification_reference {
        put("psa-certification-reference", json!(v));
    }
    if let Some(v) = c.vsi {
        put("psa-verification-service-indicator", json!(v));
    }
    let comps: Vec<Value> = c
        .components()
        .map(|x| {
            let mut o = Map::new();
            if let Some(n) = x.name {
                o.insert("name".into(), json!(n));
            }
            if let Some(v) = x.version {
                o.insert("version".into(), json!(v));
            }
            o.insert("measurement".into(), json!(hex(x.measurement)));
            if let Some(s) = x.signer_id {
                o.insert("signer-id".into(), json!(hex(s)));
            }
            Value::Object(o)
        })
        .collect();
    if c.sw_components.is_some() {
        put("psa-software-components", json!(comps));
    } else if let Some(raw) = c.measurements {
        let other = Items::new(raw).count() != comps.len();
        put("measurements", if other { cbor_to_json(raw) } else { json!(comps) });
    }
    if c.submods.is_some() {
        let mut s = Map::new();
        for (name, sub) in c.submods() {
            let v = match sub {
                Submod::Claims(inner) => claims_to_json(&inner),
                Submod::Token(t) => json!({"token": hex(t)}),
                Submod::JsonToken(t) => json!({"json-token": t}),
                Submod::Digest { alg, value } => json!({"digest": [alg, hex(value)]}),
            };
            s.insert(name.to_string(), v);
        }
        put("submods", Value::Object(s));
    }
    for (k, v) in c.unknown() {
        let key = match k {
            ClaimKey::Int(i) => i.to_string(),
            ClaimKey::Text(t) => t.to_string(),
        };
        put(&key, cbor_to_json(v));
    }
    Value::Object(m)
}
