//! The AWS IoT Device Shadow model: `desired` / `reported` sections, the computed `delta`,
//! versions with optimistic locking, and the service's request rules.
//!
//! ```
//! use iot_twin::{aws::Shadow, serde_json::json};
//! let mut shadow = Shadow::new();
//! shadow.update(&json!({"state": {"desired": {"fw": "2.0", "led": "on"}}}))?;
//! shadow.update(&json!({"state": {"reported": {"fw": "1.0", "led": "on"}}}))?;
//! assert_eq!(shadow.delta(), Some(json!({"fw": "2.0"})));
//! // The device installs 2.0 and reports it: the delta empties.
//! shadow.update(&json!({"state": {"reported": {"fw": "2.0"}}, "version": 2}))?;
//! assert_eq!(shadow.delta(), None);
//! assert_eq!(shadow.version(), 3);
//!
//! // With timestamps: per-leaf metadata mirrors the state, as the service keeps it.
//! let accepted = shadow.update_at(&json!({"state": {"desired": {"led": "off"}}}), 1_700_000_000)?;
//! assert_eq!(accepted.metadata, json!({"desired": {"led": {"timestamp": 1_700_000_000}}}));
//! assert_eq!(shadow.metadata()["desired"]["led"], json!({"timestamp": 1_700_000_000}));
//! # Ok::<(), iot_twin::Error>(())
//! ```

use alloc::string::String;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::merge;
use crate::value::equal;

/// Longest `clientToken` the service accepts, in bytes.
pub const MAX_CLIENT_TOKEN: usize = 64;

/// One device shadow as the service stores it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shadow {
    desired: Option<Map<String, Value>>,
    reported: Option<Map<String, Value>>,
    /// Per-leaf `{"timestamp"}` trees mirroring `desired` and `reported`.
    meta_desired: Option<Value>,
    meta_reported: Option<Value>,
    version: u64,
    timestamp: i64,
    limits: Option<Limits>,
}

/// What an accepted update returns (the `/update/accepted` message).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Accepted {
    /// The `state` member of the request, echoed.
    pub state: Value,
    /// `{"desired": .., "reported": ..}` with a `{"timestamp": t}` for every leaf the request
    /// sent (deletions included; one per element for arrays).
    pub metadata: Value,
    /// The new document version.
    pub version: u64,
    /// The time of the update (seconds since the epoch, as given to [`Shadow::update_at`]).
    pub timestamp: i64,
    /// The request's `clientToken`, echoed.
    pub client_token: Option<String>,
}

impl Accepted {
    /// The `/update/accepted` message as the service sends it.
    #[must_use]
    pub fn to_message(&self) -> Value {
        let mut m = Map::new();
        m.insert("state".into(), self.state.clone());
        m.insert("metadata".into(), self.metadata.clone());
        m.insert("version".into(), Value::from(self.version));
        m.insert("timestamp".into(), Value::from(self.timestamp));
        if let Some(t) = &self.client_token {
            m.insert("clientToken".into(), Value::String(t.clone()));
        }
        Value::Object(m)
    }
}

impl Shadow {
    /// An absent shadow: no sections, version 0 (the first accepted update makes it 1).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses other limits than [`Limits::AWS`].
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    fn limits(&self) -> Limits {
        self.limits.unwrap_or(Limits::AWS)
    }

    /// The document version.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Forces the stored version (restoring persisted state, test fixtures).
    pub fn set_version(&mut self, version: u64) {
        self.version = version;
    }

    /// The `desired` section, if any.
    #[must_use]
    pub fn desired(&self) -> Option<&Map<String, Value>> {
        self.desired.as_ref()
    }

    /// The `reported` section, if any.
    #[must_use]
    pub fn reported(&self) -> Option<&Map<String, Value>> {
        self.reported.as_ref()
    }

    /// Applies an update request `{"state": {"desired": .., "reported": ..}, "version": N,
    /// "clientToken": ".."}`. Sections merge as RFC 7396 patches (`null` deletes a member; a
    /// section set to `null` is removed; a section left empty is not stored); the version goes up
    /// by one. A rejected request leaves the shadow unchanged.
    ///
    /// # Errors
    /// [`Error::Conflict`] (409) when `version` is given and differs; [`Error::InvalidRequest`]
    /// (400) for a missing or non-object `state`, a section that is neither object nor null, a
    /// `null` inside an array, a bad `version` or `clientToken`; [`Error::TooDeep`] (400) and
    /// [`Error::TooLarge`] (413) against the limits.
    pub fn update(&mut self, request: &Value) -> Result<Accepted> {
        self.update_at(request, self.timestamp)
    }

    /// [`Shadow::update`] at time `now` (seconds since the epoch): the leaves the request sets get
    /// `{"timestamp": now}` in the shadow's metadata, deleted members lose theirs.
    ///
    /// # Errors
    /// As [`Shadow::update`].
    pub fn update_at(&mut self, request: &Value, now: i64) -> Result<Accepted> {
        let invalid = |what| Error::InvalidRequest { what };
        let req = request.as_object().ok_or(invalid("request is not an object"))?;
        let client_token = match req.get("clientToken") {
            None => None,
            Some(Value::String(t)) if t.len() <= MAX_CLIENT_TOKEN => Some(t.clone()),
            Some(_) => return Err(invalid("invalid clientToken")),
        };
        if let Some(v) = req.get("version") {
            let v = v.as_u64().ok_or(invalid("invalid version"))?;
            if v != self.version {
                return Err(Error::Conflict { expected: v, actual: self.version });
            }
        }
        let state = req.get("state").and_then(Value::as_object).ok_or(invalid("missing state"))?;
        let limits = self.limits();
        let mut next = self.clone();
        let mut accepted_meta = Map::new();
        for (name, section, meta) in [
            ("desired", &mut next.desired, &mut next.meta_desired),
            ("reported", &mut next.reported, &mut next.meta_reported),
        ] {
            match state.get(name) {
                None => {}
                Some(Value::Null) => {
                    *section = None;
                    *meta = None;
                    accepted_meta.insert(name.into(), stamp(&Value::Null, now));
                }
                Some(patch @ Value::Object(_)) => {
                    if !limits.null_in_arrays && has_null_in_array(patch) {
                        return Err(invalid("null in an array"));
                    }
                    let d = crate::value::depth(patch).saturating_sub(1);
                    if d > limits.max_depth {
                        return Err(Error::TooDeep { depth: d, limit: limits.max_depth });
                    }
                    let mut v = Value::Object(section.take().unwrap_or_default());
                    merge::apply(&mut v, patch)?;
                    *section = match v {
                        Value::Object(m) if !m.is_empty() => Some(m),
                        _ => None,
                    };
                    *meta =
                        section.as_ref().map(|s| restamp(&Value::Object(s.clone()), meta.as_ref(), Some(patch), now));
                    accepted_meta.insert(name.into(), stamp(patch, now));
                }
                Some(_) => return Err(invalid("section is not an object")),
            }
        }
        // Size counts desired + reported only (metadata does not count).
        let mut both = Map::new();
        if let Some(d) = &next.desired {
            both.insert("desired".into(), Value::Object(d.clone()));
        }
        if let Some(r) = &next.reported {
            both.insert("reported".into(), Value::Object(r.clone()));
        }
        let mut size_only = Limits::GENERIC;
        size_only.max_bytes = limits.max_bytes;
        size_only.max_depth = usize::MAX;
        size_only.check(&Value::Object(both))?;
        next.version = self.version.checked_add(1).ok_or(invalid("version overflow"))?;
        next.timestamp = now;
        *self = next;
        Ok(Accepted {
            state: Value::Object(state.clone()),
            metadata: Value::Object(accepted_meta),
            version: self.version,
            timestamp: now,
            client_token,
        })
    }

    /// The `metadata` member of a GET: `{"desired": .., "reported": ..}`, each a tree with the
    /// state's shape and a `{"timestamp": t}` at every leaf (an array of them for an array).
    #[must_use]
    pub fn metadata(&self) -> Value {
        let mut m = Map::new();
        if let Some(d) = &self.meta_desired {
            m.insert("desired".into(), d.clone());
        }
        if let Some(r) = &self.meta_reported {
            m.insert("reported".into(), r.clone());
        }
        Value::Object(m)
    }

    /// The metadata of the delta's leaves (from `desired`), as the `/update/delta` message
    /// carries it; `None` when there is no delta.
    #[must_use]
    pub fn delta_metadata(&self) -> Option<Value> {
        let delta = self.delta()?;
        Some(project(&delta, self.meta_desired.as_ref()))
    }

    /// The whole GET response: `state`, `metadata`, `version` and `timestamp`.
    #[must_use]
    pub fn document(&self) -> Value {
        let mut m = Map::new();
        m.insert("state".into(), self.state());
        m.insert("metadata".into(), self.metadata());
        m.insert("version".into(), Value::from(self.version));
        m.insert("timestamp".into(), Value::from(self.timestamp));
        Value::Object(m)
    }

    /// The computed delta: members of `desired` that `reported` lacks or holds differently
    /// (nested objects keep the path down to each differing leaf; arrays and other values are
    /// compared and copied whole). `None` when there is nothing to do.
    #[must_use]
    pub fn delta(&self) -> Option<Value> {
        let desired = Value::Object(self.desired.clone()?);
        let reported = self.reported.clone().map(Value::Object);
        delta(&desired, reported.as_ref())
    }

    /// The `state` member of a GET: `desired`, `reported` and `delta`, each only when present.
    #[must_use]
    pub fn state(&self) -> Value {
        let mut m = Map::new();
        if let Some(d) = &self.desired {
            m.insert("desired".into(), Value::Object(d.clone()));
        }
        if let Some(r) = &self.reported {
            m.insert("reported".into(), Value::Object(r.clone()));
        }
        if let Some(d) = self.delta() {
            m.insert("delta".into(), d);
        }
        Value::Object(m)
    }
}

/// The AWS delta of `desired` against `reported` (see [`Shadow::delta`]).
#[must_use]
pub fn delta(desired: &Value, reported: Option<&Value>) -> Option<Value> {
    match (desired, reported) {
        (Value::Object(d), Some(Value::Object(r))) => {
            let mut out = Map::new();
            for (k, dv) in d {
                let part = match r.get(k) {
                    None => Some(dv.clone()),
                    Some(rv) => delta(dv, Some(rv)),
                };
                if let Some(p) = part {
                    out.insert(k.clone(), p);
                }
            }
            if out.is_empty() { None } else { Some(Value::Object(out)) }
        }
        (d, Some(r)) if equal(d, r) => None,
        (d, _) => Some(d.clone()),
    }
}

fn leaf_stamp(now: i64) -> Value {
    let mut m = Map::new();
    m.insert("timestamp".into(), Value::from(now));
    Value::Object(m)
}

/// Metadata for everything `v` sets: its shape, with a stamp at each leaf and array element.
fn stamp(v: &Value, now: i64) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), stamp(x, now))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|_| leaf_stamp(now)).collect()),
        _ => leaf_stamp(now),
    }
}

/// The metadata of `state` after a merge: leaves the `patch` touched get `now`, the others keep
/// their stamp from `old` (and anything without one gets `now`). Recursion is bounded by the
/// state's depth, which the limits checked.
fn restamp(state: &Value, old: Option<&Value>, patch: Option<&Value>, now: i64) -> Value {
    match state {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                let sub_patch = match patch {
                    Some(Value::Object(p)) => p.get(k),
                    // a non-object patch replaced this whole level
                    Some(p) => Some(p),
                    None => None,
                };
                let sub_old = old.and_then(Value::as_object).and_then(|m| m.get(k));
                out.insert(k.clone(), restamp(v, sub_old, sub_patch, now));
            }
            Value::Object(out)
        }
        Value::Array(_) if patch.is_none() && old.is_some_and(Value::is_array) => old.cloned().unwrap_or(Value::Null),
        Value::Array(a) => Value::Array(a.iter().map(|_| leaf_stamp(now)).collect()),
        _ if patch.is_none() && old.is_some_and(|o| o.get("timestamp").is_some()) => {
            old.cloned().unwrap_or(Value::Null)
        }
        _ => leaf_stamp(now),
    }
}

/// The part of the `meta` tree that `shape` covers.
fn project(shape: &Value, meta: Option<&Value>) -> Value {
    match (shape, meta) {
        (Value::Object(s), Some(Value::Object(m))) => {
            Value::Object(s.iter().map(|(k, v)| (k.clone(), project(v, m.get(k)))).collect())
        }
        (_, Some(m)) => m.clone(),
        (v, None) => stamp(v, 0),
    }
}

fn has_null_in_array(v: &Value) -> bool {
    let mut stack = alloc::vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => {
                if a.iter().any(Value::is_null) {
                    return true;
                }
                stack.extend(a.iter());
            }
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    false
}
