//! Document limits, with the cloud services' defaults.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::value::depth;

/// Bounds a document must respect. Every operation that takes untrusted input checks them;
/// defaults match the services people use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most bytes of the document as compact JSON.
    pub max_bytes: usize,
    /// Deepest nesting (a scalar is 0, each array or object level adds 1).
    pub max_depth: usize,
    /// Longest member name, in UTF-8 bytes.
    pub max_key_bytes: usize,
    /// Characters a member name must not contain.
    pub forbidden_key_chars: &'static [char],
    /// Smallest and largest integer allowed (`None`: any JSON number).
    pub int_range: Option<(i64, i64)>,
    /// Longest string value, in UTF-8 bytes.
    pub max_string_bytes: usize,
    /// Whether `null` may appear inside arrays (AWS rejects it).
    pub null_in_arrays: bool,
}

impl Limits {
    /// AWS IoT Device Shadow: 8 KB, depth 6 (counted within `desired` / `reported`), no `null`
    /// in arrays.
    pub const AWS: Self = Self {
        max_bytes: 8 * 1024,
        max_depth: 6,
        max_key_bytes: 8 * 1024,
        forbidden_key_chars: &[],
        int_range: None,
        max_string_bytes: 8 * 1024,
        null_in_arrays: false,
    };

    /// Azure IoT Hub device twin properties: 32 KB, depth 10, member names at most 1 KB without
    /// `.`, `$` or space, integers within ±2^52, strings at most 4 KB.
    pub const AZURE: Self = Self {
        max_bytes: 32 * 1024,
        max_depth: 10,
        max_key_bytes: 1024,
        forbidden_key_chars: &['.', '$', ' '],
        int_range: Some((-(1i64 << 52), 1i64 << 52)),
        max_string_bytes: 4 * 1024,
        null_in_arrays: true,
    };

    /// Generous bounds for documents that no service constrains: 1 MiB, depth 64.
    pub const GENERIC: Self = Self {
        max_bytes: 1024 * 1024,
        max_depth: 64,
        max_key_bytes: 64 * 1024,
        forbidden_key_chars: &[],
        int_range: None,
        max_string_bytes: 1024 * 1024,
        null_in_arrays: true,
    };

    /// Checks `v` against every bound.
    ///
    /// # Errors
    /// [`Error::TooDeep`], [`Error::TooLarge`], [`Error::BadKey`] or [`Error::BadValue`].
    pub fn check(&self, v: &Value) -> Result<()> {
        let d = depth(v);
        if d > self.max_depth {
            return Err(Error::TooDeep { depth: d, limit: self.max_depth });
        }
        let mut size = 0usize;
        let mut stack = alloc::vec![v];
        while let Some(v) = stack.pop() {
            size = size.saturating_add(scalar_len(v));
            match v {
                Value::Array(a) => {
                    // brackets and commas
                    size = size.saturating_add(a.len().max(1).saturating_add(1));
                    if !self.null_in_arrays && a.iter().any(Value::is_null) {
                        return Err(Error::BadValue);
                    }
                    stack.extend(a.iter());
                }
                Value::Object(o) => {
                    size = size.saturating_add(o.len().max(1).saturating_add(1));
                    for k in o.keys() {
                        if k.len() > self.max_key_bytes || k.contains(self.forbidden_key_chars) {
                            return Err(Error::BadKey);
                        }
                        // "key": (quotes and colon)
                        size = size.saturating_add(string_len(k)).saturating_add(1);
                    }
                    stack.extend(o.values());
                }
                Value::String(s) if s.len() > self.max_string_bytes => return Err(Error::BadValue),
                Value::Number(n) => {
                    if let Some((lo, hi)) = self.int_range {
                        let out = match (n.as_i64(), n.as_u64()) {
                            (Some(i), _) => i < lo || i > hi,
                            (None, Some(_)) => true,
                            _ => false,
                        };
                        if out {
                            return Err(Error::BadValue);
                        }
                    }
                }
                _ => {}
            }
        }
        if size > self.max_bytes {
            return Err(Error::TooLarge { size, limit: self.max_bytes });
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::GENERIC
    }
}

/// Compact-JSON length of a scalar (containers count their punctuation in `check`).
fn scalar_len(v: &Value) -> usize {
    match v {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(n) => {
            use core::fmt::Write as _;
            let mut c = Count(0);
            let _ = write!(c, "{n}");
            c.0
        }
        Value::String(s) => string_len(s),
        _ => 0,
    }
}

/// Length of a JSON string literal as serde_json writes it, quotes included.
fn string_len(s: &str) -> usize {
    s.bytes().fold(2usize, |n, b| {
        n.saturating_add(match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
    })
}

struct Count(usize);

impl core::fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}
