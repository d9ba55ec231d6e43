//! JSON Patch (RFC 6902): parse, apply atomically, and diff.
//!
//! ```
//! use iot_twin::{Patch, serde_json::json};
//! let mut doc = json!({"fw": {"version": "1.0"}, "tags": ["a"]});
//! let patch = Patch::from_value(&json!([
//!     {"op": "test", "path": "/fw/version", "value": "1.0"},
//!     {"op": "replace", "path": "/fw/version", "value": "2.0"},
//!     {"op": "add", "path": "/tags/-", "value": "b"}
//! ]))?;
//! patch.apply(&mut doc)?;
//! assert_eq!(doc, json!({"fw": {"version": "2.0"}, "tags": ["a", "b"]}));
//! # Ok::<(), iot_twin::Error>(())
//! ```

use alloc::string::ToString as _;
use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::error::{Error, PatchError, PointerError, Result};
use crate::pointer::{Pointer, index};
use crate::value::{depth, equal};

/// One operation (RFC 6902 section 4).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Op {
    /// Insert or set a value.
    Add {
        /// Target location.
        path: Pointer,
        /// The value.
        value: Value,
    },
    /// Remove the value at `path`.
    Remove {
        /// Target location.
        path: Pointer,
    },
    /// Replace the value at `path`, which must exist.
    Replace {
        /// Target location.
        path: Pointer,
        /// The new value.
        value: Value,
    },
    /// Remove the value at `from` and add it at `path`.
    Move {
        /// Source location.
        from: Pointer,
        /// Target location.
        path: Pointer,
    },
    /// Add a copy of the value at `from` at `path`.
    Copy {
        /// Source location.
        from: Pointer,
        /// Target location.
        path: Pointer,
    },
    /// Check that the value at `path` equals `value`.
    Test {
        /// Location.
        path: Pointer,
        /// Expected value.
        value: Value,
    },
}

/// A sequence of operations, applied all or nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Patch(pub Vec<Op>);

fn malformed(op: usize, what: &'static str) -> Error {
    Error::Patch { op, kind: PatchError::Malformed { what } }
}

impl Patch {
    /// Reads a patch document: an array of operation objects. Members an operation does not use
    /// are ignored (section 4); missing or mistyped ones are errors.
    ///
    /// # Errors
    /// [`Error::Patch`] with [`PatchError::Malformed`] or a pointer syntax error, naming the
    /// operation.
    pub fn from_value(v: &Value) -> Result<Self> {
        let Value::Array(ops) = v else { return Err(malformed(0, "patch is not an array")) };
        let mut out = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let Value::Object(o) = op else { return Err(malformed(i, "operation is not an object")) };
            let ptr = |name: &'static str| -> Result<Pointer> {
                let s = o.get(name).and_then(Value::as_str).ok_or_else(|| malformed(i, name))?;
                Pointer::parse(s).map_err(|e| Error::Patch { op: i, kind: e.into() })
            };
            let value = || o.get("value").cloned().ok_or_else(|| malformed(i, "value"));
            let op = match o.get("op").and_then(Value::as_str) {
                Some("add") => Op::Add { path: ptr("path")?, value: value()? },
                Some("remove") => Op::Remove { path: ptr("path")? },
                Some("replace") => Op::Replace { path: ptr("path")?, value: value()? },
                Some("move") => Op::Move { from: ptr("from")?, path: ptr("path")? },
                Some("copy") => Op::Copy { from: ptr("from")?, path: ptr("path")? },
                Some("test") => Op::Test { path: ptr("path")?, value: value()? },
                _ => return Err(malformed(i, "op")),
            };
            out.push(op);
        }
        Ok(Self(out))
    }

    /// The patch as a JSON document.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let op = |name: &str, path: &Pointer| {
            let mut m = Map::new();
            m.insert("op".into(), Value::String(name.into()));
            m.insert("path".into(), Value::String(path.to_string()));
            m
        };
        Value::Array(
            self.0
                .iter()
                .map(|o| {
                    let m = match o {
                        Op::Add { path, value } | Op::Replace { path, value } | Op::Test { path, value } => {
                            let name = match o {
                                Op::Add { .. } => "add",
                                Op::Replace { .. } => "replace",
                                _ => "test",
                            };
                            let mut m = op(name, path);
                            m.insert("value".into(), value.clone());
                            m
                        }
                        Op::Remove { path } => op("remove", path),
                        Op::Move { from, path } | Op::Copy { from, path } => {
                            let mut m = op(if matches!(o, Op::Move { .. }) { "move" } else { "copy" }, path);
                            m.insert("from".into(), Value::String(from.to_string()));
                            m
                        }
                    };
                    Value::Object(m)
                })
                .collect(),
        )
    }

    /// Applies every operation in order. Atomic: if any operation fails, `doc` is left exactly
    /// as it was (section 5).
    ///
    /// # Errors
    /// [`Error::Patch`] naming the failing operation and why.
    pub fn apply(&self, doc: &mut Value) -> Result<()> {
        let mut work = doc.clone();
        for (i, op) in self.0.iter().enumerate() {
            apply_op(&mut work, op).map_err(|kind| Error::Patch { op: i, kind })?;
        }
        *doc = work;
        Ok(())
    }
}

fn apply_op(doc: &mut Value, op: &Op) -> Result<(), PatchError> {
    match op {
        Op::Add { path, value } => add(doc, path, value.clone()),
        Op::Remove { path } => remove(doc, path).map(drop),
        Op::Replace { path, value } => {
            *path.get_mut(doc)? = value.clone();
            Ok(())
        }
        Op::Move { from, path } => {
            if from == path {
                return path.get(doc).map(drop).map_err(Into::into);
            }
            if from.is_proper_prefix_of(path) {
                return Err(PatchError::MoveIntoChild);
            }
            let v = remove(doc, from)?;
            add(doc, path, v)
        }
        Op::Copy { from, path } => {
            let v = from.get(doc)?.clone();
            add(doc, path, v)
        }
        Op::Test { path, value } => {
            if equal(path.get(doc)?, value) {
                Ok(())
            } else {
                Err(PatchError::TestFailed)
            }
        }
    }
}

fn add(doc: &mut Value, path: &Pointer, value: Value) -> Result<(), PatchError> {
    let Some((parent, last)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent.get_mut(doc)? {
        Value::Object(m) => {
            m.insert(last.into(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" { a.len() } else { index(last, a.len())? };
            a.insert(i, value);
            Ok(())
        }
        _ => Err(PointerError::NotContainer.into()),
    }
}

fn remove(doc: &mut Value, path: &Pointer) -> Result<Value, PatchError> {
    let Some((parent, last)) = path.split_last() else {
        return Err(PatchError::Malformed { what: "cannot remove the whole document" });
    };
    match parent.get_mut(doc)? {
        Value::Object(m) => m.remove(last).ok_or(PointerError::NotFound.into()),
        Value::Array(a) => {
            let i = index(last, a.len())?;
            if i < a.len() { Ok(a.remove(i)) } else { Err(PointerError::OutOfRange.into()) }
        }
        _ => Err(PointerError::NotContainer.into()),
    }
}

/// A patch that turns `old` into `new`: members are added, removed or diffed recursively; arrays
/// keep their common prefix and suffix and edit the middle element by element; any other change
/// is a `replace`. Numbers compare by value.
///
/// # Errors
/// [`Error::TooDeep`] when either document nests deeper than [`crate::merge::MAX_RECURSION`].
pub fn diff(old: &Value, new: &Value) -> Result<Patch> {
    for v in [old, new] {
        let d = depth(v);
        if d > crate::merge::MAX_RECURSION {
            return Err(Error::TooDeep { depth: d, limit: crate::merge::MAX_RECURSION });
        }
    }
    let mut ops = Vec::new();
    diff_into(old, new, &Pointer::root(), &mut ops);
    Ok(Patch(ops))
}

fn diff_into(old: &Value, new: &Value, path: &Pointer, ops: &mut Vec<Op>) {
    if equal(old, new) {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                ops.push(Op::Remove { path: path.child(k) });
            }
            for (k, v) in b {
                match a.get(k) {
                    Some(o) => diff_into(o, v, &path.child(k), ops),
                    None => ops.push(Op::Add { path: path.child(k), value: v.clone() }),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let pre = a.iter().zip(b).take_while(|(x, y)| equal(x, y)).count();
            let (a_rest, b_rest) = (a.get(pre..).unwrap_or_default(), b.get(pre..).unwrap_or_default());
            let suf = a_rest.iter().rev().zip(b_rest.iter().rev()).take_while(|(x, y)| equal(x, y)).count();
            let a_mid = a_rest.get(..a_rest.len().saturating_sub(suf)).unwrap_or_default();
            let b_mid = b_rest.get(..b_rest.len().saturating_sub(suf)).unwrap_or_default();
            let at = |i: usize| path.child(&pre.saturating_add(i).to_string());
            for (i, (x, y)) in a_mid.iter().zip(b_mid).enumerate() {
                diff_into(x, y, &at(i), ops);
            }
            let common = a_mid.len().min(b_mid.len());
            // Extra old elements: remove from the highest index down so indices stay valid.
            for i in (common..a_mid.len()).rev() {
                ops.push(Op::Remove { path: at(i) });
            }
            // Extra new elements: insert in order before the common suffix.
            for (i, v) in b_mid.iter().enumerate().skip(common) {
                ops.push(Op::Add { path: at(i), value: v.clone() });
            }
        }
        _ => ops.push(Op::Replace { path: path.clone(), value: new.clone() }),
    }
}
