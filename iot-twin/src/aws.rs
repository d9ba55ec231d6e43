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
    version: u64,
    limits: Option<Limits>,
}

/// What an accepted update returns (the `/update/accepted` message without metadata).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Accepted {
    /// The `state` member of the request, echoed.
    pub state: Value,
    /// The new document version.
    pub version: u64,
    /// The request's `clientToken`, echoed.
    pub client_token: Option<String>,
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
        for (name, section) in [("desired", &mut next.desired), ("reported", &mut next.reported)] {
            match state.get(name) {
                None => {}
                Some(Value::Null) => *section = None,
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
        *self = next;
        Ok(Accepted { state: Value::Object(state.clone()), version: self.version, client_token })
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
