#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

#[cfg(any(feature = "alloc", test))]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod cbor;
#[cfg(all(feature = "p256-cortex-m4", target_arch = "arm", target_os = "none"))]
pub mod cortex_m4;

mod alg;
mod build;
mod crypto;
mod error;
mod header;
mod message;

#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
mod key;

#[cfg(feature = "aws-lc-rs")]
pub mod aws_lc;

pub use alg::{Algorithm, CoseAlgorithm};
pub use build::{Mac0Builder, Sign1Builder};
#[cfg(feature = "alloc")]
pub use crypto::Contiguous;
#[cfg(feature = "p256")]
pub use crypto::Prehashed;
pub use crypto::{CoseSigner, CoseVerifier, HmacKey, MacKey, Multipart, WithAlgorithm};
pub use error::{Error, KeyError, Result};
pub use header::{ContentType, HeaderMap, Headers, Label, Limits, ProtectedHeader, VerifyOptions, label};
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
pub use key::{CoseKey, KeyMaterial, PrivateKey, PublicKey, SymmetricKey};
pub use message::{CoseMac0, CoseSign1, MAC0_TAG, SIGN1_TAG, VerifiedMac0, VerifiedSign1};

#[cfg(feature = "p256")]
pub use p256;
pub use signature;
#[cfg(feature = "ed25519")]
pub use {ed25519, ed25519_dalek};
