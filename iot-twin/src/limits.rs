//! Document limits, with the cloud services' defaults.

use alloc::string::String;
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
    /// Deepest nesting below the document root: the containers inside the root object are at
    /// level 1 (so `{"a": {"b": 1}}` nests 1 deep). This is how Azure documents its limit of 10.
    pub max_depth: usize,
    /// Longest member name, in UTF-8 bytes.
    pub max_key_bytes: usize,
    /// Characters a member name must not contain.
    pub forbidden_key_chars: &'static [char],
    /// Whether member names may contain C0 control characters (U+0000 to U+001F).
    pub control_chars_in_keys: bool,
    /// How [`Limits::max_bytes`] is measured.
    pub size_metric: SizeMetric,
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
        control_chars_in_keys: true,
        size_metric: SizeMetric::CompactJson,
        int_range: None,
        max_string_bytes: 8 * 1024,
        null_in_arrays: false,
    };

    /// Azure IoT Hub device twin `desired` or `reported` properties: 32 KB by Azure's size rule,
    /// depth 10, member names at most 1 KB without `.`, `$`, space or C0 controls, integers in
    /// -2^52 ..= 2^52 - 1, strings at most 4 KB.
    pub const AZURE: Self = Self {
        max_bytes: 32 * 1024,
        max_depth: 10,
        max_key_bytes: 1024,
        forbidden_key_chars: &['.', '$', ' '],
        control_chars_in_keys: false,
        size_metric: SizeMetric::AzureTwin,
        int_range: Some((-(1i64 << 52), (1i64 << 52) - 1)),
        max_string_bytes: 4 * 1024,
        null_in_arrays: true,
    };

    /// Azure IoT Hub device twin `tags`: as [`Limits::AZURE`] with 8 KB.
    pub const AZURE_TAGS: Self = Self { max_bytes: 8 * 1024, ..Self::AZURE };

    /// Generous bounds for documents that no service constrains: 1 MiB, depth 64.
    pub const GENERIC: Self = Self {
        max_bytes: 1024 * 1024,
        max_depth: 64,
        max_key_bytes: 64 * 1024,
        forbidden_key_chars: &[],
        control_chars_in_keys: true,
        size_metric: SizeMetric::CompactJson,
        int_range: None,
        max_string_bytes: 1024 * 1024,
        null_in_arrays: true,
    };

    /// Checks `v` against every bound.
    ///
    /// # Errors
    /// [`Error::TooDeep`], [`Error::TooLarge`], [`Error::BadKey`] or [`Error::BadValue`].
    pub fn check(&self, v: &Value) -> Result<()> {
        let d = depth(v).saturating_sub(1);
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
                        if k.len() > self.max_key_bytes
                            || k.contains(self.forbidden_key_chars)
                            || (!self.control_chars_in_keys && k.chars().any(|c| c < ' '))
                        {
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
        if self.size_metric == SizeMetric::AzureTwin {
            size = azure_size(v);
        }
        if size > self.max_bytes {
            return Err(Error::TooLarge { size, limit: self.max_bytes });
        }
        Ok(())
    }
}

/// How a document's size is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeMetric {
    /// Bytes of compact JSON (AWS counts the serialized `desired` and `reported`).
    CompactJson,
    /// Azure's documented rule: for every member, the UTF-8 length of its name plus its value's
    /// size, where a string counts its characters other than C0/C1 controls, a number 8, a boolean
    /// 4, an object the sum of its members (array elements count as values).
    AzureTwin,
}

/// The size of `v` by [`SizeMetric::AzureTwin`].
#[must_use]
pub fn azure_size(v: &Value) -> usize {
    let mut total = 0usize;
    let mut stack = alloc::vec![v];
    while let Some(v) = stack.pop() {
        let add = match v {
            Value::String(s) => s.chars().filter(|c| !c.is_control()).count(),
            Value::Number(_) => 8,
            Value::Bool(_) => 4,
            Value::Object(o) => {
                stack.extend(o.values());
                o.keys().map(String::len).fold(0usize, usize::saturating_add)
            }
            Value::Array(a) => {
                stack.extend(a.iter());
                0
            }
            Value::Null => 0,
        };
        total = total.saturating_add(add);
    }
    total
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
