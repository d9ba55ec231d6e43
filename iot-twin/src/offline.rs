//! The device's side of a shadow across lost connectivity: reported changes queue up and go out
//! as one coalesced merge patch; desired updates apply in version order (stale ones ignored, a
//! gap asks for a full resync); on resync, state changed on both sides is reconciled by a
//! three-way merge with a per-path conflict policy.
//!
//! ```
//! use iot_twin::offline::{OfflineShadow, Step};
//! use iot_twin::serde_json::json;
//!
//! let mut dev = OfflineShadow::new(json!({"fw": "1.0", "temp": 20}));
//! // Offline: three local changes...
//! dev.report(&json!({"temp": 21}))?;
//! dev.report(&json!({"fw": "2.0"}))?;
//! dev.report(&json!({"temp": 22}))?;
//! // ...go out as one patch when the link is back.
//! assert_eq!(dev.outgoing()?, Some(json!({"fw": "2.0", "temp": 22})));
//! dev.acknowledge(&json!({"fw": "2.0", "temp": 22}))?;
//! assert_eq!(dev.outgoing()?, None);
//!
//! assert_eq!(dev.on_desired(1, &json!({"led": "on"}))?, Step::Applied);
//! assert_eq!(dev.on_desired(1, &json!({"led": "off"}))?, Step::Stale);
//! assert_eq!(dev.on_desired(3, &json!({"led": "off"}))?, Step::Gap);
//! # Ok::<(), iot_twin::Error>(())
//! ```

use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::merge;
use crate::pointer::Pointer;
use crate::value::equal;

pub use crate::azure::Step;

/// Which side wins when both changed the same value while apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Winner {
    /// The device's value.
    Local,
    /// The cloud's value.
    Cloud,
}

/// Per-path conflict rules: the longest matching prefix decides; otherwise the default.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictPolicy {
    default: Winner,
    rules: Vec<(Pointer, Winner)>,
}

impl ConflictPolicy {
    /// A policy where `default` wins everywhere.
    #[must_use]
    pub fn new(default: Winner) -> Self {
        Self { default, rules: Vec::new() }
    }

    /// `winner` wins at `prefix` and below (unless a longer rule says otherwise).
    #[must_use]
    pub fn prefer(mut self, prefix: Pointer, winner: Winner) -> Self {
        self.rules.push((prefix, winner));
        self
    }

    /// The winner at `path`.
    #[must_use]
    pub fn winner(&self, path: &Pointer) -> Winner {
        self.rules
            .iter()
            .filter(|(p, _)| p == path || p.is_proper_prefix_of(path))
            .max_by_key(|(p, _)| p.tokens().len())
            .map_or(self.default, |(_, w)| *w)
    }
}

/// The outcome of a three-way merge.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Merged {
    /// The reconciled document.
    pub value: Value,
    /// Paths changed on both sides to different values, resolved by the policy.
    pub conflicts: Vec<Pointer>,
}

/// Three-way merge of `local` and `cloud` against their common `base`: a value changed on one side
/// only takes that side's change; changed on both to the same value, that value; changed on both
/// differently, the policy's winner (recorded in [`Merged::conflicts`]). Objects merge member by
/// member; arrays and scalars are whole values.
///
/// # Errors
/// [`crate::Error::TooDeep`] when a document nests deeper than [`merge::MAX_RECURSION`].
pub fn merge3(base: &Value, local: &Value, cloud: &Value, policy: &ConflictPolicy) -> Result<Merged> {
    for v in [base, local, cloud] {
        merge::guard(v)?;
    }
    let mut conflicts = Vec::new();
    let value = merge3_at(Some(base), Some(local), Some(cloud), &Pointer::root(), policy, &mut conflicts)
        .unwrap_or(Value::Null);
    Ok(Merged { value, conflicts })
}

/// `None` stands for "absent" (deleted or never there).
fn merge3_at(
    base: Option<&Value>,
    local: Option<&Value>,
    cloud: Option<&Value>,
    path: &Pointer,
    policy: &ConflictPolicy,
    conflicts: &mut Vec<Pointer>,
) -> Option<Value> {
    let same = |a: Option<&Value>, b: Option<&Value>| match (a, b) {
        (Some(x), Some(y)) => equal(x, y),
        (None, None) => true,
        _ => false,
    };
    if same(local, cloud) {
        return local.cloned();
    }
    if same(base, local) {
        return cloud.cloned();
    }
    if same(base, cloud) {
        return local.cloned();
    }
    // Both changed, differently. Objects on both sides: reconcile member by member.
    if let (Some(Value::Object(l)), Some(Value::Object(c))) = (local, cloud) {
        let empty = Map::new();
        let b = match base {
            Some(Value::Object(b)) => b,
            _ => &empty,
        };
        let mut keys: Vec<&alloc::string::String> = l.keys().chain(c.keys()).chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut out = Map::new();
        for k in keys {
            let child = path.child(k);
            if let Some(v) = merge3_at(b.get(k), l.get(k), c.get(k), &child, policy, conflicts) {
                out.insert(k.clone(), v);
            }
        }
        return Some(Value::Object(out));
    }
    conflicts.push(path.clone());
    match policy.winner(path) {
        Winner::Local => local.cloned(),
        Winner::Cloud => cloud.cloned(),
    }
}

/// Removes object members whose value is `null`, at every level (arrays are values, kept whole).
fn strip_null_members(v: &mut Value) {
    let mut stack = alloc::vec![v];
    while let Some(v) = stack.pop() {
        if let Value::Object(m) = v {
            m.retain(|_, c| !c.is_null());
            stack.extend(m.values_mut());
        }
    }
}

/// The device's view of its shadow.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineShadow {
    local: Value,
    acked: Value,
    desired: Value,
    desired_version: u64,
}

impl OfflineShadow {
    /// Starts from the device's current reported state, taken as already acknowledged.
    #[must_use]
    pub fn new(reported: Value) -> Self {
        Self { acked: reported.clone(), local: reported, desired: Value::Object(Map::new()), desired_version: 0 }
    }

    /// The device's current reported state.
    #[must_use]
    pub fn local(&self) -> &Value {
        &self.local
    }

    /// The desired state applied so far, and its version.
    #[must_use]
    pub fn desired(&self) -> (&Value, u64) {
        (&self.desired, self.desired_version)
    }

    /// Records a local change (a merge patch over the reported state).
    ///
    /// # Errors
    /// [`crate::Error::TooDeep`] from the merge.
    pub fn report(&mut self, patch: &Value) -> Result<()> {
        merge::apply(&mut self.local, patch)
    }

    /// Everything not yet acknowledged, as one merge patch (`None` when in sync). Changes that
    /// cancel out while offline send nothing. A member whose value is `null` locally cannot be set
    /// by a merge patch (RFC 7396 reads `null` as delete), so it is sent as a deletion.
    ///
    /// # Errors
    /// [`crate::Error::TooDeep`] when the state nests deeper than [`merge::MAX_RECURSION`].
    pub fn outgoing(&self) -> Result<Option<Value>> {
        let mut local = self.local.clone();
        strip_null_members(&mut local);
        let p = merge::diff(&self.acked, &local)?;
        Ok(if p.as_object().is_some_and(Map::is_empty) { None } else { Some(p) })
    }

    /// The cloud accepted `sent` (as returned by [`OfflineShadow::outgoing`]): it becomes part of
    /// the acknowledged base. Changes made since `outgoing` stay queued.
    ///
    /// # Errors
    /// [`crate::Error::TooDeep`] from the merge.
    pub fn acknowledge(&mut self, sent: &Value) -> Result<()> {
        merge::apply(&mut self.acked, sent)
    }

    /// A desired-state update with its version: applied when it is the next version, ignored when
    /// not newer, and reported as [`Step::Gap`] (nothing applied; call
    /// [`OfflineShadow::resync`]) when versions were skipped.
    ///
    /// # Errors
    /// [`crate::Error::TooDeep`] from the merge.
    pub fn on_desired(&mut self, version: u64, patch: &Value) -> Result<Step> {
        if version <= self.desired_version {
            return Ok(Step::Stale);
        }
        if version != self.desired_version.saturating_add(1) {
            return Ok(Step::Gap);
        }
        merge::apply(&mut self.desired, patch)?;
        self.desired_version = version;
        Ok(Step::Applied)
    }

    /// After a gap or a reconnection, with the cloud's full document: desired state and version
    /// are taken from the cloud; the reported state is the three-way merge of the acknowledged
    /// base, the device's state and the cloud's copy (someone may have written it meanwhile).
    /// Returns the conflicts; what remains to send is [`OfflineShadow::outgoing`]. On error the
    /// shadow is unchanged.
    ///
    /// # Errors
    /// [`crate::Error::TooDeep`] when a document nests deeper than [`merge::MAX_RECURSION`].
    pub fn resync(
        &mut self,
        version: u64,
        desired: Value,
        cloud_reported: Value,
        policy: &ConflictPolicy,
    ) -> Result<Vec<Pointer>> {
        merge::guard(&desired)?;
        let m = merge3(&self.acked, &self.local, &cloud_reported, policy)?;
        self.desired = desired;
        self.desired_version = version;
        self.local = m.value;
        self.acked = cloud_reported;
        Ok(m.conflicts)
    }
}
