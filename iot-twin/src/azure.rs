//! Azure IoT Hub device twin rules: the device's view of `desired` properties across
//! notifications and reconnections, and validation of keys, values and sizes
//! ([`crate::Limits::AZURE`], [`crate::azure_size`]).
//!
//! ```
//! use iot_twin::{azure::{DesiredSync, Step}, serde_json::json};
//! let mut sync = DesiredSync::from_full_get(&json!({"$version": 5, "desired": {"fw": "1.0"}}))?;
//! assert_eq!(sync.on_notification(&json!({"$version": 5, "fw": "0.9"}))?, Step::Stale);
//! assert_eq!(sync.on_notification(&json!({"$version": 6, "fw": "2.0"}))?, Step::Applied);
//! assert_eq!(sync.on_notification(&json!({"$version": 8, "fw": "3.0"}))?, Step::Gap);
//! assert_eq!(sync.desired(), &json!({"fw": "2.0"}));
//! # Ok::<(), iot_twin::Error>(())
//! ```

use alloc::string::String;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::merge;

/// What a desired-properties notification did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Its `$version` was the next one: merged.
    Applied,
    /// Its `$version` was not newer than the state held: ignored (the reconnection rule).
    Stale,
    /// Its `$version` skipped versions: not applied; fetch the full twin and call
    /// [`DesiredSync::from_full_get`] again.
    Gap,
}

/// The device's copy of the twin's `desired` properties and their `$version`.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredSync {
    version: u64,
    desired: Value,
}

fn version_of(v: &Map<String, Value>) -> Result<u64> {
    v.get("$version").and_then(Value::as_u64).ok_or(Error::InvalidRequest { what: "missing $version" })
}

impl DesiredSync {
    /// From a full twin GET of the desired properties: `{"$version": N, "desired": {...}}` or the
    /// desired object itself with its `$version` member.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without a numeric `$version`.
    pub fn from_full_get(get: &Value) -> Result<Self> {
        let obj = get.as_object().ok_or(Error::InvalidRequest { what: "twin is not an object" })?;
        let version = version_of(obj)?;
        let mut desired = match obj.get("desired") {
            Some(d) => d.clone(),
            None => Value::Object(obj.clone()),
        };
        strip_read_only(&mut desired);
        Ok(Self { version, desired })
    }

    /// The desired properties held, without `$version` / `$metadata`.
    #[must_use]
    pub fn desired(&self) -> &Value {
        &self.desired
    }

    /// The `$version` held.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Handles a desired-properties notification (a merge patch carrying `$version`).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without a numeric `$version` or when the patch is not an object.
    pub fn on_notification(&mut self, note: &Value) -> Result<Step> {
        let obj = note.as_object().ok_or(Error::InvalidRequest { what: "notification is not an object" })?;
        let v = version_of(obj)?;
        if v <= self.version {
            return Ok(Step::Stale);
        }
        if v != self.version.saturating_add(1) {
            return Ok(Step::Gap);
        }
        let mut patch = obj.get("patch").cloned().unwrap_or_else(|| Value::Object(obj.clone()));
        strip_read_only(&mut patch);
        merge::apply(&mut self.desired, &patch)?;
        self.version = v;
        Ok(Step::Applied)
    }
}

fn strip_read_only(v: &mut Value) {
    if let Value::Object(m) = v {
        m.remove("$version");
        m.remove("$metadata");
    }
}
