#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod claims;
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
pub mod corim;
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
pub mod dice;
pub mod keys;
pub mod tpm;

mod error;
mod measure;
mod strict;
mod token;
mod write;

#[cfg(feature = "alloc")]
pub mod appraise;
#[cfg(feature = "alloc")]
pub mod ear;
#[cfg(feature = "std")]
mod fresh;
#[cfg(feature = "alloc")]
pub mod render;
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
mod verifier;

pub use claims::{Claims, Component, DebugStatus, Lifecycle, Nonce, OemId, Profile, Submod, Version};
pub use error::{Error, Result};
pub use measure::{MeasuredBoot, Measurement, extend};
pub use strict::Limits;
pub use token::{Bundle, CWT_TAG, DEB_TAG, Evidence, Kind, Options, Verified};
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
pub use write::sign_with_key;
pub use write::{ClaimsSet, Eat, MeasResult, Psa, SubmodOut, mac_into, sign_into};
#[cfg(feature = "alloc")]
pub use write::{mac, sign};

#[cfg(feature = "alloc")]
pub use appraise::{ReferenceComponent, ReferenceValues};
#[cfg(feature = "alloc")]
pub use ear::{Appraisal, Ear, Status, TrustVector};
#[cfg(feature = "std")]
pub use fresh::{MemoryNonceStore, NonceStore};
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
pub use iot_cose::KeyMaterial;
#[cfg(all(feature = "std", any(feature = "p256", feature = "ed25519")))]
pub use verifier::verify_fresh;
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
pub use verifier::{KeyId, KeyStore, MemoryKeyStore, verify};

pub use iot_cose;
