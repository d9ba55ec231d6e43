//! JSON Pointer (RFC 6901).
//!
//! ```
//! use iot_twin::{Pointer, serde_json::json};
//! let doc = json!({"a/b": [10, 20], "m~n": true});
//! assert_eq!(Pointer::parse("/a~1b/1")?.get(&doc)?, &json!(20));
//! assert_eq!(Pointer::parse("/m~0n")?.get(&doc)?, &json!(true));
//! assert_eq!(Pointer::from_fragment("#/a~1b/0")?.get(&doc)?, &json!(10));
//! # Ok::<(), iot_twin::PointerError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde_json::Value;

use crate::error::PointerError;

/// A parsed JSON Pointer: the reference tokens, unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pointer {
    tokens: Vec<String>,
}

impl Pointer {
    /// The empty pointer: the whole document.
    #[must_use]
    pub fn root() -> Self {
        Self::default()
    }

    /// Parses the string form (section 3): `""` or `/`-separated tokens with `~1` for `/` and
    /// `~0` for `~`.
    ///
    /// # Errors
    /// [`PointerError::MissingSlash`], [`PointerError::BadEscape`].
    pub fn parse(s: &str) -> Result<Self, PointerError> {
        if s.is_empty() {
            return Ok(Self::root());
        }
        let rest = s.strip_prefix('/').ok_or(PointerError::MissingSlash)?;
        let mut tokens = Vec::new();
        let mut offset = 1usize;
        for raw in rest.split('/') {
            tokens.push(unescape(raw, offset)?);
            offset = offset.saturating_add(raw.len()).saturating_add(1);
        }
        Ok(Self { tokens })
    }

    /// Parses the URI fragment form (section 6): `#` followed by the percent-encoded pointer.
    ///
    /// # Errors
    /// [`PointerError::BadFragment`], and the errors of [`Pointer::parse`].
    pub fn from_fragment(s: &str) -> Result<Self, PointerError> {
        let body = s.strip_prefix('#').ok_or(PointerError::BadFragment)?;
        let mut bytes = Vec::with_capacity(body.len());
        let mut it = body.bytes();
        while let Some(b) = it.next() {
            if b == b'%' {
                let hi = it.next().and_then(hex_digit).ok_or(PointerError::BadFragment)?;
                let lo = it.next().and_then(hex_digit).ok_or(PointerError::BadFragment)?;
                bytes.push((hi << 4) | lo);
            } else {
                bytes.push(b);
            }
        }
        let text = String::from_utf8(bytes).map_err(|_| PointerError::BadFragment)?;
        Self::parse(&text)
    }

    /// A pointer from unescaped tokens.
    #[must_use]
    pub fn from_tokens(tokens: Vec<String>) -> Self {
        Self { tokens }
    }

    /// The unescaped reference tokens.
    #[must_use]
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Whether this is the whole-document pointer.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }

    /// This pointer with one more token.
    #[must_use]
    pub fn child(&self, token: &str) -> Self {
        let mut p = self.clone();
        p.tokens.push(token.into());
        p
    }

    /// The parent pointer and the last token, or `None` for the root.
    #[must_use]
    pub fn split_last(&self) -> Option<(Pointer, &str)> {
        let (last, init) = self.tokens.split_last()?;
        Some((Pointer { tokens: init.to_vec() }, last.as_str()))
    }

    /// Whether `self` is a proper prefix of `other` (a strict ancestor).
    #[must_use]
    pub fn is_proper_prefix_of(&self, other: &Pointer) -> bool {
        self.tokens.len() < other.tokens.len() && other.tokens.starts_with(&self.tokens)
    }

    /// Resolves against `doc` (section 4).
    ///
    /// # Errors
    /// [`PointerError::NotFound`], [`PointerError::OutOfRange`], [`PointerError::BadIndex`],
    /// [`PointerError::EndOfArray`], [`PointerError::NotContainer`].
    pub fn get<'v>(&self, doc: &'v Value) -> Result<&'v Value, PointerError> {
        let mut v = doc;
        for t in &self.tokens {
            v = match v {
                Value::Object(m) => m.get(t.as_str()).ok_or(PointerError::NotFound)?,
                Value::Array(a) => a.get(index(t, a.len())?).ok_or(PointerError::OutOfRange)?,
                _ => return Err(PointerError::NotContainer),
            };
        }
        Ok(v)
    }

    /// The value holding the last token (the root's parent does not exist: `NotFound`).
    pub(crate) fn parent_mut<'v>(&self, doc: &'v mut Value) -> Result<&'v mut Value, PointerError> {
        let (_, init) = self.tokens.split_last().ok_or(PointerError::NotFound)?;
        walk_mut(init, doc)
    }

    /// This pointer with its last token replaced.
    pub(crate) fn with_last(&self, token: &str) -> Self {
        let mut p = self.clone();
        if let Some(t) = p.tokens.last_mut() {
            *t = token.into();
        }
        p
    }

    /// Resolves against `doc` for writing.
    ///
    /// # Errors
    /// As [`Pointer::get`].
    pub fn get_mut<'v>(&self, doc: &'v mut Value) -> Result<&'v mut Value, PointerError> {
        walk_mut(&self.tokens, doc)
    }
}

fn walk_mut<'v>(tokens: &[String], doc: &'v mut Value) -> Result<&'v mut Value, PointerError> {
    let mut v = doc;
    for t in tokens {
        v = match v {
            Value::Object(m) => m.get_mut(t.as_str()).ok_or(PointerError::NotFound)?,
            Value::Array(a) => {
                let i = index(t, a.len())?;
                a.get_mut(i).ok_or(PointerError::OutOfRange)?
            }
            _ => return Err(PointerError::NotContainer),
        };
    }
    Ok(v)
}

/// An array index token (section 4): `0` or digits without a leading zero; `-` is
/// [`PointerError::EndOfArray`]. The result may equal `len` (callers that append allow it).
pub(crate) fn index(token: &str, len: usize) -> Result<usize, PointerError> {
    if token == "-" {
        return Err(PointerError::EndOfArray);
    }
    let valid =
        !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && (token == "0" || !token.starts_with('0'));
    if !valid {
        return Err(PointerError::BadIndex);
    }
    let i: usize = token.parse().map_err(|_| PointerError::OutOfRange)?;
    if i > len { Err(PointerError::OutOfRange) } else { Ok(i) }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => b.checked_sub(b'0'),
        b'a'..=b'f' => b.checked_sub(b'a' - 10),
        b'A'..=b'F' => b.checked_sub(b'A' - 10),
        _ => None,
    }
}

fn unescape(raw: &str, offset: usize) -> Result<String, PointerError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some((_, '0')) => out.push('~'),
                Some((_, '1')) => out.push('/'),
                _ => return Err(PointerError::BadEscape { offset: offset.saturating_add(i) }),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tokens {
            f.write_str("/")?;
            for c in t.chars() {
                match c {
                    '~' => f.write_str("~0")?,
                    '/' => f.write_str("~1")?,
                    c => fmt::Write::write_char(f, c)?,
                }
            }
        }
        Ok(())
    }
}

impl core::str::FromStr for Pointer {
    type Err = PointerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
