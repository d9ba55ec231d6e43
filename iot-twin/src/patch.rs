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

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::string::ToString as _;
use alloc::vec::Vec;
use serde_json::{Map, Value};

use crate::error::{Error, PatchError, PointerError, Result};
use crate::pointer::{Pointer, index};
use crate::value::equal;
use core::cmp::Ordering;

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
        // In place, recording how to undo each change; on failure the log is replayed backwards.
        let mut undo = Vec::new();
        for (i, op) in self.0.iter().enumerate() {
            if let Err(kind) = apply_op(doc, op, &mut undo) {
                while let Some(u) = undo.pop() {
                    u.revert(doc);
                }
                return Err(Error::Patch { op: i, kind });
            }
        }
        Ok(())
    }
}

/// How to take back one change. Locations borrow the operation's own pointer (copying it cost one
/// allocation per token on every operation); only an append (`-`) records a new one.
enum Undo<'a> {
    /// Put this value back at this existing location.
    Set(Cow<'a, Pointer>, Value),
    /// Remove the value that was added here.
    Remove(Cow<'a, Pointer>),
    /// Re-insert a removed value (object member or array element) here.
    Insert(Cow<'a, Pointer>, Value),
    /// Restore the whole document.
    Whole(Value),
    /// Take the moved value back out (undoing `added`) and re-insert it at `from`.
    MoveBack {
        /// Where the value came from.
        from: Cow<'a, Pointer>,
        /// The undo of adding it at the target.
        added: Box<Undo<'a>>,
    },
}

impl Undo<'_> {
    fn revert(self, doc: &mut Value) {
        // Each step restores a state that existed, so these cannot fail; if one did, the rest of
        // the log still runs.
        match self {
            Undo::Set(p, v) => {
                if let Ok(t) = p.get_mut(doc) {
                    *t = v;
                }
            }
            Undo::Remove(p) => {
                let _ = remove(doc, &p);
            }
            Undo::Insert(p, v) => {
                let _ = try_add(doc, &p, v);
            }
            Undo::Whole(v) => *doc = v,
            Undo::MoveBack { from, added } => {
                let moved = match *added {
                    Undo::Remove(p) => remove(doc, &p).ok(),
                    Undo::Set(p, old) => p.get_mut(doc).ok().map(|t| core::mem::replace(t, old)),
                    Undo::Whole(old) => Some(core::mem::replace(doc, old)),
                    _ => None,
                };
                if let Some(v) = moved {
                    let _ = try_add(doc, &from, v);
                }
            }
        }
    }
}

fn apply_op<'a>(doc: &mut Value, op: &'a Op, undo: &mut Vec<Undo<'a>>) -> Result<(), PatchError> {
    match op {
        Op::Add { path, value } => undo.push(add(doc, path, value.clone())?),
        Op::Remove { path } => {
            let v = remove(doc, path)?;
            undo.push(Undo::Insert(Cow::Borrowed(path), v));
        }
        Op::Replace { path, value } => {
            let old = core::mem::replace(path.get_mut(doc)?, value.clone());
            undo.push(if path.is_root() { Undo::Whole(old) } else { Undo::Set(Cow::Borrowed(path), old) });
        }
        Op::Move { from, path } => {
            if from == path {
                return path.get(doc).map(drop).map_err(Into::into);
            }
            if from.is_proper_prefix_of(path) {
                return Err(PatchError::MoveIntoChild);
            }
            let v = remove(doc, from)?;
            match try_add(doc, path, v) {
                Ok(added) => undo.push(Undo::MoveBack { from: Cow::Borrowed(from), added: Box::new(added) }),
                Err((e, v)) => {
                    // Nothing was added: put the value back where it was.
                    let _ = try_add(doc, from, v);
                    return Err(e);
                }
            }
        }
        Op::Copy { from, path } => {
            let v = from.get(doc)?.clone();
            undo.push(add(doc, path, v)?);
        }
        Op::Test { path, value } => {
            if !equal(path.get(doc)?, value) {
                return Err(PatchError::TestFailed);
            }
        }
    }
    Ok(())
}

/// Adds `value` at `path`; returns how to undo it.
fn add<'a>(doc: &mut Value, path: &'a Pointer, value: Value) -> Result<Undo<'a>, PatchError> {
    try_add(doc, path, value).map_err(|(e, _)| e)
}

/// As [`add`], handing `value` back when nothing was added.
fn try_add<'a>(doc: &mut Value, path: &'a Pointer, value: Value) -> Result<Undo<'a>, (PatchError, Value)> {
    let Some(last) = path.tokens().last() else {
        return Ok(Undo::Whole(core::mem::replace(doc, value)));
    };
    let container = match path.parent_mut(doc) {
        Ok(c) => c,
        Err(e) => return Err((e.into(), value)),
    };
    match container {
        Value::Object(m) => Ok(match m.insert(last.into(), value) {
            Some(old) => Undo::Set(Cow::Borrowed(path), old),
            None => Undo::Remove(Cow::Borrowed(path)),
        }),
        Value::Array(a) => {
            let i = if last == "-" { Ok(a.len()) } else { index(last, a.len()) };
            match i {
                Ok(i) => {
                    a.insert(i, value);
                    let at = if last == "-" { Cow::Owned(path.with_last(&i.to_string())) } else { Cow::Borrowed(path) };
                    Ok(Undo::Remove(at))
                }
                Err(e) => Err((e.into(), value)),
            }
        }
        _ => Err((PointerError::NotContainer.into(), value)),
    }
}

fn remove(doc: &mut Value, path: &Pointer) -> Result<Value, PatchError> {
    let Some(last) = path.tokens().last() else {
        return Err(PatchError::Malformed { what: "cannot remove the whole document" });
    };
    match path.parent_mut(doc)? {
        Value::Object(m) => m.remove(last.as_str()).ok_or(PointerError::NotFound.into()),
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
    let mut ops = Vec::new();
    // The walk bounds its own recursion by the path length (no separate depth pass).
    let join = maps_iterate_sorted();
    diff_into(old, new, &mut Vec::new(), &mut ops, join)?;
    Ok(Patch(ops))
}

/// One step of the path during a diff walk, borrowed from the document.
#[derive(Clone, Copy)]
enum Tok<'a> {
    Key(&'a str),
    Index(usize),
}

fn ptr(tokens: &[Tok<'_>]) -> Pointer {
    Pointer::from_tokens(
        tokens
            .iter()
            .map(|t| match t {
                Tok::Key(k) => String::from(*k),
                Tok::Index(i) => i.to_string(),
            })
            .collect(),
    )
}

/// Whether `serde_json::Map` iterates in sorted key order in this build (its default `BTreeMap`),
/// rather than insertion order (when some crate turns on serde_json's `preserve_order`).
fn maps_iterate_sorted() -> bool {
    let mut m = Map::new();
    m.insert(String::from("b"), Value::Null);
    m.insert(String::from("a"), Value::Null);
    m.keys().next().is_some_and(|k| k == "a")
}

/// Walks both trees once: containers recurse, only leaves (and array ends) are compared, and the
/// path is a stack of borrowed tokens turned into a pointer only when an operation is emitted.
/// Objects are joined in key order (one pass over both, no lookups) when maps iterate sorted.
fn diff_into<'a>(old: &'a Value, new: &'a Value, path: &mut Vec<Tok<'a>>, ops: &mut Vec<Op>, join: bool) -> Result<()> {
    if path.len() >= crate::merge::MAX_RECURSION {
        return Err(Error::TooDeep { depth: path.len(), limit: crate::merge::MAX_RECURSION });
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) if join => {
            // One pass over both maps in key order, each step comparing two keys once. Removals
            // go before this object's other operations (as the lookup walk below emits them).
            let start = ops.len();
            let mut removes = Vec::new();
            let mut x = a.iter().peekable();
            let mut remove = |k: &'a String, path: &mut Vec<Tok<'a>>| {
                path.push(Tok::Key(k));
                removes.push(Op::Remove { path: ptr(path) });
                path.pop();
            };
            for (k, v) in b {
                let mut old_value = None;
                while let Some((ka, o)) = x.peek() {
                    match ka.as_str().cmp(k.as_str()) {
                        Ordering::Less => {
                            remove(ka, path);
                            x.next();
                        }
                        Ordering::Equal => {
                            old_value = Some(*o);
                            x.next();
                            break;
                        }
                        Ordering::Greater => break,
                    }
                }
                path.push(Tok::Key(k));
                match old_value {
                    Some(o) => diff_into(o, v, path, ops, join)?,
                    None => {
                        crate::merge::guard_at(v, path.len())?;
                        ops.push(Op::Add { path: ptr(path), value: v.clone() });
                    }
                }
                path.pop();
            }
            for (ka, _) in x {
                remove(ka, path);
            }
            if !removes.is_empty() {
                ops.splice(start..start, removes);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                path.push(Tok::Key(k));
                ops.push(Op::Remove { path: ptr(path) });
                path.pop();
            }
            for (k, v) in b {
                path.push(Tok::Key(k));
                match a.get(k) {
                    Some(o) => diff_into(o, v, path, ops, join)?,
                    None => {
                        crate::merge::guard_at(v, path.len())?;
                        ops.push(Op::Add { path: ptr(path), value: v.clone() });
                    }
                }
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            // `equal` below recurses into elements: bound them first.
            crate::merge::guard_at(old, path.len())?;
            crate::merge::guard_at(new, path.len())?;
            let pre = a.iter().zip(b).take_while(|(x, y)| equal(x, y)).count();
            let (a_rest, b_rest) = (a.get(pre..).unwrap_or_default(), b.get(pre..).unwrap_or_default());
            let suf = a_rest.iter().rev().zip(b_rest.iter().rev()).take_while(|(x, y)| equal(x, y)).count();
            let a_mid = a_rest.get(..a_rest.len().saturating_sub(suf)).unwrap_or_default();
            let b_mid = b_rest.get(..b_rest.len().saturating_sub(suf)).unwrap_or_default();
            let at = |i: usize, path: &mut Vec<Tok<'a>>| {
                path.push(Tok::Index(pre.saturating_add(i)));
                let p = ptr(path);
                path.pop();
                p
            };
            for (i, (x, y)) in a_mid.iter().zip(b_mid).enumerate() {
                path.push(Tok::Index(pre.saturating_add(i)));
                diff_into(x, y, path, ops, join)?;
                path.pop();
            }
            let common = a_mid.len().min(b_mid.len());
            // Extra old elements: remove from the highest index down so indices stay valid.
            for i in (common..a_mid.len()).rev() {
                ops.push(Op::Remove { path: at(i, path) });
            }
            // Extra new elements: insert in order before the common suffix.
            for (i, v) in b_mid.iter().enumerate().skip(common) {
                crate::merge::guard_at(v, path.len())?;
                ops.push(Op::Add { path: at(i, path), value: v.clone() });
            }
        }
        _ => {
            if !equal(old, new) {
                crate::merge::guard_at(new, path.len())?;
                ops.push(Op::Replace { path: ptr(path), value: new.clone() });
            }
        }
    }
    Ok(())
}
