#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod aws;
pub mod azure;
pub mod cbor;
pub mod merge;
pub mod offline;
pub mod patch;
pub mod pointer;

mod error;
mod limits;
mod value;

pub use error::{Error, PatchError, PointerError, Result};
pub use limits::{Limits, SizeMetric, azure_size};
pub use patch::{Op, Patch};
pub use pointer::Pointer;
pub use serde_json;
pub use serde_json::{Map, Number, Value};
pub use value::{depth, equal};
