//! Value helpers: numeric equality and nesting depth.

use serde_json::{Number, Value};

/// JSON equality as RFC 6902 section 4.6 defines it: numbers are equal when their values are
/// mathematically equal (`1 == 1.0`), strings and member names compare by code points, arrays
/// element by element, objects by the same set of members with equal values.
#[must_use]
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn numbers_equal(x: &Number, y: &Number) -> bool {
    if let (Some(p), Some(q)) = (x.as_i64(), y.as_i64()) {
        return p == q;
    }
    if let (Some(p), Some(q)) = (x.as_u64(), y.as_u64()) {
        return p == q;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(p), Some(q)) => p == q,
        _ => false,
    }
}

/// Nesting depth: a scalar is 0, an array or object is 1 more than its deepest element.
/// Iterative, so a hostile document cannot overflow the stack here.
#[must_use]
pub fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack: alloc::vec::Vec<(&Value, usize)> = alloc::vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(a) => {
                let d = d.saturating_add(1);
                max = max.max(d);
                stack.extend(a.iter().map(|c| (c, d)));
            }
            Value::Object(o) => {
                let d = d.saturating_add(1);
                max = max.max(d);
                stack.extend(o.values().map(|c| (c, d)));
            }
            _ => {}
        }
    }
    max
}
