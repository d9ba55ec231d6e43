#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod cert;
#[cfg(any(feature = "p256", feature = "ed25519"))]
pub mod claim;
pub mod crl;
pub mod der;
#[cfg(any(feature = "p256", feature = "ed25519"))]
pub mod fdo;
pub mod issue;
pub mod oid;
pub mod path;
pub mod policy;
#[cfg(any(feature = "p256", feature = "ed25519"))]
pub mod provision;
#[cfg(feature = "seal")]
pub mod seal;

#[cfg(feature = "alloc")]
pub mod ca;
mod conform;
mod error;
mod names;
mod profile;
mod sig;
mod time;

#[cfg(feature = "alloc")]
pub use ca::Ca;
pub use cert::{
    BasicConstraints, Certificate, GeneralName, KeyAlgorithm, KeyUsage, Name, PublicKeyInfo, SignatureAlgorithm,
};
pub use crl::{Crl, CrlSet};
pub use error::{DerError, Error, Result};
pub use issue::{Csr, Subject, write_csr};
pub use names::{ExpectedName, check_name};
pub use path::{Budget, Options, Profile, RevocationCheck, ValidPath, validate};
#[cfg(feature = "alloc")]
pub use policy::DenyList;
pub use policy::{Operation, PinSet, Renewal, RenewalPolicy, spki_sha256};
pub use profile::{matter_ids, verify_certification_declaration};
#[cfg(feature = "p256")]
pub use sig::P256Signer;
pub use sig::{Signer, public_key_der, verify_signature};
pub use time::Time;

pub use iot_cose;
