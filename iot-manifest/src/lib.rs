#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod codes;
pub mod command;

mod digest;
#[cfg(feature = "encryption")]
pub mod encryption;
mod envelope;
mod error;
mod limits;
mod manifest;
mod processor;
pub mod report;
#[cfg(feature = "update-management")]
pub mod update;

#[cfg(feature = "alloc")]
pub mod build;
#[cfg(feature = "alloc")]
pub mod render;

pub use codes::Section;
pub use digest::{SuitDigest, sha256_bstr_wrapped};
pub use envelope::{Authenticator, Envelope, Mac0Key, Sign1Key, VerifiedManifest};
pub use error::{Error, PlatformError, Result};
pub use limits::Limits;
pub use manifest::{ComponentId, Components, Manifest, Member};
#[cfg(feature = "trust-domains")]
pub use processor::Dependencies;
pub use processor::{
    Component, MemoryCounter, Outcome, Parameters, Platform, Processor, Record, RollbackCounter, Summary,
};

pub use iot_cose;
