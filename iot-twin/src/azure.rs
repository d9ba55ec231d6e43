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
//!
//! The service side, [`Twin`]: `tags`, `properties.desired` and `properties.reported`, a
//! `$version` per properties section, `$metadata` with `$lastUpdated` on every object level and
//! leaf (kept for deleted members' parents, as the service does), and the twin's `etag` for
//! `If-Match`:
//!
//! ```
//! use iot_twin::{azure::Twin, serde_json::json};
//! let mut twin = Twin::new("sensor-1");
//! let etag = twin.etag();
//! twin.update_desired(&json!({"fw": "2.0"}), Some(&etag), "2026-11-26T10:00:00.000Z")?;
//! // A back end still holding the old etag is refused (412).
//! assert!(twin.update_desired(&json!({"fw": "3.0"}), Some(&etag), "2026-11-26T10:00:01.000Z").is_err());
//! twin.update_reported(&json!({"fw": "2.0"}), "2026-11-26T10:05:00.000Z")?;
//! let doc = twin.document();
//! assert_eq!(doc["properties"]["desired"]["$version"], 2);
//! assert_eq!(doc["properties"]["reported"]["$metadata"]["fw"]["$lastUpdated"], "2026-11-26T10:05:00.000Z");
//! # Ok::<(), iot_twin::Error>(())
//! ```

use alloc::string::{String, ToString};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::limits::{Limits, azure_size};
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

/// One section of properties: the values, their `$version` and `$metadata`.
#[derive(Debug, Clone, PartialEq)]
struct Section {
    values: Map<String, Value>,
    version: u64,
    metadata: Map<String, Value>,
}

impl Section {
    fn new(now: &str) -> Self {
        let mut metadata = Map::new();
        metadata.insert("$lastUpdated".into(), Value::String(now.to_string()));
        Self { values: Map::new(), version: 1, metadata }
    }

    fn to_value(&self) -> Value {
        let mut m = self.values.clone();
        m.insert("$metadata".into(), Value::Object(self.metadata.clone()));
        m.insert("$version".into(), Value::from(self.version));
        Value::Object(m)
    }
}

/// The metadata tree after `patch` was merged at `now` (section `$version` `version`): every
/// object level the patch touches gets `$lastUpdated`, leaves also `$lastUpdatedVersion`;
/// deleted members lose their entry, their parent's `$lastUpdated` records the deletion.
fn stamp_metadata(meta: &mut Map<String, Value>, patch: &Map<String, Value>, now: &str, version: u64) {
    meta.insert("$lastUpdated".into(), Value::String(now.to_string()));
    for (k, v) in patch {
        match v {
            Value::Null => {
                meta.remove(k);
            }
            Value::Object(p) => {
                let child = meta.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()));
                if !child.is_object() {
                    *child = Value::Object(Map::new());
                }
                if let Value::Object(c) = child {
                    // a leaf replaced by an object drops the leaf's version stamp
                    c.remove("$lastUpdatedVersion");
                    stamp_metadata(c, p, now, version);
                }
            }
            _ => {
                let mut leaf = Map::new();
                leaf.insert("$lastUpdated".into(), Value::String(now.to_string()));
                leaf.insert("$lastUpdatedVersion".into(), Value::from(version));
                meta.insert(k.clone(), Value::Object(leaf));
            }
        }
    }
}

/// Azure's etag text for a twin version: base64 of the 8-byte big-endian counter
/// (`AAAAAAAAAAE=` for 1), as IoT Hub shows it.
fn etag_for(version: u64) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = version.to_be_bytes();
    let mut out = String::with_capacity(12);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4usize {
            if i > chunk.len() {
                out.push('=');
            } else {
                let shift = 18u32.saturating_sub(6u32.saturating_mul(u32::try_from(i).unwrap_or(0)));
                let idx = usize::try_from((n >> shift) & 63).unwrap_or(0);
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'A')));
            }
        }
    }
    out
}

/// A device twin as IoT Hub keeps it (see the [module docs](self)). Updates merge as RFC 7396
/// patches (`null` deletes), are checked against [`Limits::AZURE`] (tags: [`Limits::AZURE_TAGS`])
/// and the documented size rule, and leave the twin unchanged when refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Twin {
    device_id: String,
    tags: Map<String, Value>,
    desired: Section,
    reported: Section,
    version: u64,
}

impl Twin {
    /// A new twin: empty sections at `$version` 1, twin version 1.
    #[must_use]
    pub fn new(device_id: &str) -> Self {
        let epoch = "0001-01-01T00:00:00Z";
        Self {
            device_id: device_id.to_string(),
            tags: Map::new(),
            desired: Section::new(epoch),
            reported: Section::new(epoch),
            version: 1,
        }
    }

    /// The twin's etag (changes with every update of any part).
    #[must_use]
    pub fn etag(&self) -> String {
        etag_for(self.version)
    }

    /// The twin version (every update of any part increments it).
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// `properties.desired` without `$metadata` and `$version`.
    #[must_use]
    pub fn desired(&self) -> &Map<String, Value> {
        &self.desired.values
    }

    /// `properties.reported` without `$metadata` and `$version`.
    #[must_use]
    pub fn reported(&self) -> &Map<String, Value> {
        &self.reported.values
    }

    /// The `tags`.
    #[must_use]
    pub fn tags(&self) -> &Map<String, Value> {
        &self.tags
    }

    fn check_etag(&self, if_match: Option<&str>) -> Result<()> {
        match if_match {
            None | Some("*") => Ok(()),
            Some(tag) if tag.trim_matches('"') == self.etag() => Ok(()),
            Some(_) => Err(Error::PreconditionFailed),
        }
    }

    fn merged(current: &Map<String, Value>, patch: &Value, limits: &Limits) -> Result<Map<String, Value>> {
        if !patch.is_object() {
            return Err(Error::InvalidRequest { what: "patch is not an object" });
        }
        let mut v = Value::Object(current.clone());
        merge::apply(&mut v, patch)?;
        limits.check(&v)?;
        let size = azure_size(&v);
        if size > limits.max_bytes {
            return Err(Error::TooLarge { size, limit: limits.max_bytes });
        }
        match v {
            Value::Object(m) => Ok(m),
            _ => Err(Error::InvalidRequest { what: "patch is not an object" }),
        }
    }

    /// Back end: merges `patch` into `properties.desired` at time `now` (ISO 8601, as IoT Hub
    /// stamps `$lastUpdated`); returns the new desired `$version`.
    ///
    /// # Errors
    /// [`Error::PreconditionFailed`] (412) when `if_match` is not the current etag (`*` matches
    /// any); [`Error::BadKey`], [`Error::BadValue`], [`Error::TooDeep`], [`Error::TooLarge`] and
    /// [`Error::InvalidRequest`] for what the service refuses.
    pub fn update_desired(&mut self, patch: &Value, if_match: Option<&str>, now: &str) -> Result<u64> {
        self.check_etag(if_match)?;
        let values = Self::merged(&self.desired.values, patch, &Limits::AZURE)?;
        Ok(Self::commit(&mut self.desired, &mut self.version, values, patch, now))
    }

    /// Back end: replaces `properties.desired` whole; returns the new desired `$version`.
    ///
    /// # Errors
    /// As [`Twin::update_desired`].
    pub fn replace_desired(&mut self, desired: &Value, if_match: Option<&str>, now: &str) -> Result<u64> {
        self.check_etag(if_match)?;
        let values = Self::merged(&Map::new(), desired, &Limits::AZURE)?;
        // as a patch: every old member deleted, every new one set
        let mut patch: Map<String, Value> = self.desired.values.keys().map(|k| (k.clone(), Value::Null)).collect();
        patch.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.desired.metadata = Map::new();
        Ok(Self::commit(&mut self.desired, &mut self.version, values, &Value::Object(patch), now))
    }

    /// Device: merges `patch` into `properties.reported`; returns the new reported `$version`
    /// (what IoT Hub answers in the 204's `$version`). The device has no etag.
    ///
    /// # Errors
    /// As [`Twin::update_desired`], without the etag.
    pub fn update_reported(&mut self, patch: &Value, now: &str) -> Result<u64> {
        let values = Self::merged(&self.reported.values, patch, &Limits::AZURE)?;
        Ok(Self::commit(&mut self.reported, &mut self.version, values, patch, now))
    }

    /// Back end: merges `patch` into `tags` (8 KB, no metadata or version of their own).
    ///
    /// # Errors
    /// As [`Twin::update_desired`].
    pub fn update_tags(&mut self, patch: &Value, if_match: Option<&str>) -> Result<()> {
        self.check_etag(if_match)?;
        self.tags = Self::merged(&self.tags, patch, &Limits::AZURE_TAGS)?;
        self.version = self.version.saturating_add(1);
        Ok(())
    }

    fn commit(
        section: &mut Section,
        twin_version: &mut u64,
        values: Map<String, Value>,
        patch: &Value,
        now: &str,
    ) -> u64 {
        section.version = section.version.saturating_add(1);
        if let Value::Object(p) = patch {
            stamp_metadata(&mut section.metadata, p, now, section.version);
        }
        section.values = values;
        *twin_version = twin_version.saturating_add(1);
        section.version
    }

    /// The desired-properties notification a device receives for the last desired update:
    /// `patch` with the section's `$version`.
    #[must_use]
    pub fn desired_notification(&self, patch: &Value) -> Value {
        let mut m = patch.as_object().cloned().unwrap_or_default();
        m.insert("$version".into(), Value::from(self.desired.version));
        Value::Object(m)
    }

    /// What a device's twin GET returns: `desired` and `reported`, each with its `$version`
    /// (the form [`DesiredSync::from_full_get`] reads).
    #[must_use]
    pub fn device_view(&self) -> Value {
        let section = |s: &Section| {
            let mut m = s.values.clone();
            m.insert("$version".into(), Value::from(s.version));
            Value::Object(m)
        };
        let mut m = Map::new();
        m.insert("desired".into(), section(&self.desired));
        m.insert("reported".into(), section(&self.reported));
        Value::Object(m)
    }

    /// The whole twin as the service API returns it: `deviceId`, `etag`, `version`, `tags` and
    /// `properties` with `$metadata` and `$version`.
    #[must_use]
    pub fn document(&self) -> Value {
        let mut props = Map::new();
        props.insert("desired".into(), self.desired.to_value());
        props.insert("reported".into(), self.reported.to_value());
        let mut m = Map::new();
        m.insert("deviceId".into(), Value::String(self.device_id.clone()));
        m.insert("etag".into(), Value::String(self.etag()));
        m.insert("version".into(), Value::from(self.version));
        m.insert("tags".into(), Value::Object(self.tags.clone()));
        m.insert("properties".into(), Value::Object(props));
        Value::Object(m)
    }
}
