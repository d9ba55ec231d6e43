//! JSON Merge Patch (RFC 7396): apply, and diff (the smallest merge patch from one document to
//! another).
//!
//! ```
//! use iot_twin::{merge, serde_json::json};
//! let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
//! merge::apply(&mut doc, &json!({"a": "z", "c": {"f": null}}))?;
//! assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
//! let new = json!({"a": "z", "c": {"d": "e", "x": 1}});
//! let patch = merge::diff(&doc, &new)?;
//! assert_eq!(patch, json!({"c": {"x": 1}}));
//! # Ok::<(), iot_twin::Error>(())
//! ```

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::value::{depth, equal};

/// Deepest patch or document these functions recurse into; deeper input is [`Error::TooDeep`].
/// (serde_json's own parser stops at 128.)
pub const MAX_RECURSION: usize = 256;

/// [`Error::TooDeep`] when `v` nests deeper than [`MAX_RECURSION`]; every recursive walk over
/// untrusted documents calls this first.
pub(crate) fn guard(v: &Value) -> Result<()> {
    if deeper_than(v, MAX_RECURSION) { Err(Error::TooDeep { depth: depth(v), limit: MAX_RECURSION }) } else { Ok(()) }
}

/// [`Error::TooDeep`] when `v`, placed `at` levels down, would nest deeper than
/// [`MAX_RECURSION`] (a bounded check of a subtree about to be copied).
pub(crate) fn guard_at(v: &Value, at: usize) -> Result<()> {
    let room = MAX_RECURSION.saturating_sub(at);
    if deeper_than(v, room) {
        Err(Error::TooDeep { depth: at.saturating_add(depth(v)), limit: MAX_RECURSION })
    } else {
        Ok(())
    }
}

/// Whether `v` nests more than `limit` levels, without allocating; stops descending at the limit,
/// so its own recursion is bounded by `limit`.
fn deeper_than(v: &Value, limit: usize) -> bool {
    let is_container = matches!(v, Value::Array(_) | Value::Object(_));
    match (is_container, limit.checked_sub(1)) {
        (false, _) => false,
        (true, None) => true,
        (true, Some(rest)) => match v {
            Value::Array(a) => a.iter().any(|c| deeper_than(c, rest)),
            Value::Object(o) => o.values().any(|c| deeper_than(c, rest)),
            _ => false,
        },
    }
}

/// Applies `patch` to `target` (RFC 7396 section 2): objects merge member by member, `null`
/// deletes a member, anything else (arrays included) replaces the target value whole.
///
/// # Errors
/// [`Error::TooDeep`] if the patch nests deeper than [`MAX_RECURSION`]; `target` is then unchanged.
pub fn apply(target: &mut Value, patch: &Value) -> Result<()> {
    guard(patch)?;
    merge(target, patch);
    Ok(())
}

fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        assign(target, patch);
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else if let Some(existing) = t.get_mut(k) {
                merge(existing, v);
            } else {
                // A new member: build it from the patch value (objects merge into `{}`).
                let mut fresh = Value::Null;
                merge(&mut fresh, v);
                t.insert(k.clone(), fresh);
            }
        }
    }
}

/// `*target = value.clone()`, reusing `target`'s allocations where the kinds agree (a string
/// replacing a string keeps its buffer, an array replacing an array keeps its storage).
fn assign(target: &mut Value, value: &Value) {
    match (target, value) {
        (Value::String(t), Value::String(v)) => t.clone_from(v),
        (Value::Array(t), Value::Array(v)) => {
            t.truncate(v.len());
            for (slot, item) in t.iter_mut().zip(v) {
                assign(slot, item);
            }
            if let Some(rest) = v.get(t.len()..) {
                t.extend_from_slice(rest);
            }
        }
        (t, v) => *t = v.clone(),
    }
}

/// Applies `patch` to `target` (as [`apply`]) and returns what changed: the smallest merge patch
/// from the old document to the new one, equal to `diff(old, new)`, computed during the merge
/// without keeping a copy of the old document. This is the device's step: merge a desired-state
/// patch into the local state, report exactly what it changed.
///
/// ```
/// use iot_twin::{merge, serde_json::json};
/// let mut state = json!({"fw": "1.0", "led": "on", "net": {"ch": 6}});
/// let changed = merge::apply_reporting(&mut state, &json!({"fw": "2.0", "led": "on", "net": {"ch": 6, "x": null}}))?;
/// assert_eq!(changed, json!({"fw": "2.0"}));
/// # Ok::<(), iot_twin::Error>(())
/// ```
///
/// # Errors
/// [`Error::TooDeep`] if the patch nests deeper than [`MAX_RECURSION`]; `target` is then unchanged.
pub fn apply_reporting(target: &mut Value, patch: &Value) -> Result<Value> {
    guard(patch)?;
    match (target.is_object(), patch) {
        (true, Value::Object(_)) => Ok(merge_reporting(target, patch).unwrap_or_else(|| Value::Object(Map::new()))),
        // a non-object patch, or an object patch on a non-object target: the new value whole
        _ => {
            merge(target, patch);
            Ok(target.clone())
        }
    }
}

/// Merges `patch` into `target`; returns the change as a merge patch, `None` for no change.
fn merge_reporting(target: &mut Value, patch: &Value) -> Option<Value> {
    let Value::Object(p) = patch else {
        if equal(target, patch) {
            *target = patch.clone();
            return None;
        }
        *target = patch.clone();
        return Some(patch.clone());
    };
    let Value::Object(t) = target else {
        merge(target, patch);
        return Some(target.clone());
    };
    let mut out = Map::new();
    for (k, v) in p {
        if v.is_null() {
            if t.remove(k).is_some() {
                out.insert(k.clone(), Value::Null);
            }
        } else if let Some(existing) = t.get_mut(k) {
            if let Some(change) = merge_reporting(existing, v) {
                out.insert(k.clone(), change);
            }
        } else {
            let mut fresh = Value::Null;
            merge(&mut fresh, v);
            out.insert(k.clone(), fresh.clone());
            t.insert(k.clone(), fresh);
        }
    }
    if out.is_empty() { None } else { Some(Value::Object(out)) }
}

/// The smallest merge patch that turns `old` into `new`: members removed become `null`, changed
/// members are diffed recursively when both sides are objects and replaced otherwise, unchanged
/// members are left out. Numbers compare by value (`1` equals `1.0`).
///
/// # Errors
/// [`Error::NotRepresentable`] when `new` holds a `null` member that the patch would have to set
/// (RFC 7396 can only delete); [`Error::TooDeep`] past [`MAX_RECURSION`].
pub fn diff(old: &Value, new: &Value) -> Result<Value> {
    guard(old)?;
    guard(new)?;
    diff_value(old, new)
}

fn diff_value(old: &Value, new: &Value) -> Result<Value> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for k in o.keys() {
                if !n.contains_key(k) {
                    patch.insert(k.clone(), Value::Null);
                }
            }
            for (k, nv) in n {
                match (o.get(k), nv) {
                    // Both objects: recurse; an empty sub-patch means no change. (Comparing whole
                    // subtrees first would make the walk quadratic in depth.)
                    (Some(ov @ Value::Object(_)), Value::Object(_)) => {
                        let d = diff_value(ov, nv)?;
                        if d.as_object().is_none_or(|m| !m.is_empty()) {
                            patch.insert(k.clone(), d);
                        }
                    }
                    (Some(ov), _) if equal(ov, nv) => {}
                    // The patch would have to carry a null, which deletes instead of setting.
                    (_, Value::Null) => return Err(Error::NotRepresentable),
                    _ => {
                        patch.insert(k.clone(), whole(nv)?);
                    }
                }
            }
            Ok(Value::Object(patch))
        }
        // An object patch merges into a non-object target starting from `{}`; anything else
        // replaces it. Either way `new` must not need a null member.
        (_, new) => whole(new),
    }
}

/// `v` as a patch value that recreates it exactly when merged into anything.
fn whole(v: &Value) -> Result<Value> {
    if let Value::Object(m) = v {
        if m.values().any(Value::is_null) {
            return Err(Error::NotRepresentable);
        }
        for c in m.values() {
            whole(c)?;
        }
    }
    Ok(v.clone())
}
