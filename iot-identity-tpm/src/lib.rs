//! A TPM 2.0 resident device key for `iot-identity` and `iot-cose`.
//!
//! [`TpmKey`] is an ECC P-256 signing key created inside a TPM (through
//! [`tss-esapi`](https://docs.rs/tss-esapi) and the system's tpm2-tss) with `fixedTPM`,
//! `fixedParent` and `sensitiveDataOrigin`: the TPM generated the private key and will never
//! export it. It implements
//!
//! - [`iot_identity::Signer`], so a PKCS#10 CSR ([`iot_identity::write_csr`]) or a certificate is
//!   signed by the TPM, and
//! - [`iot_cose::CoseSigner`] (ES256), so a claim proof ([`iot_identity::claim::respond`]), a
//!   provisioning token or any COSE_Sign1 is signed by the TPM.
//!
//! The message is hashed with SHA-256 on the host and the TPM signs the digest (TPM2_Sign,
//! ECDSA, null validation ticket: the key is unrestricted).
//!
//! The key is a **primary** key in the owner hierarchy: the TPM derives it from its owner seed
//! and the template, so [`TpmKey::create_primary`] returns the same key on every boot without
//! storing a blob anywhere, and a `TPM2_Clear` (owner change) destroys it.
//!
//! ```no_run
//! use iot_identity::{Subject, write_csr};
//! use iot_identity_tpm::TpmKey;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = TpmKey::create_primary("device:/dev/tpmrm0")?; // or "swtpm:host=127.0.0.1,port=2321"
//! let mut csr = [0u8; 512];
//! let n = write_csr(&Subject::device("SN-0001", None), &key, &mut csr)?;
//! # let _ = n;
//! # Ok(())
//! # }
//! ```
//!
//! This crate is outside the main workspace because tss-esapi links the C library tpm2-tss
//! (Debian: `libtss2-dev`); the main crates build on any machine without it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::str::FromStr as _;
use std::sync::Mutex;

use iot_cose::p256::ecdsa::{Signature, VerifyingKey};
use iot_identity::cert::SignatureAlgorithm;
use iot_identity::der::Writer;
use sha2::{Digest as _, Sha256};
use tss_esapi::Context;
use tss_esapi::attributes::ObjectAttributesBuilder;
use tss_esapi::constants::tss::{TPM2_RH_NULL, TPM2_ST_HASHCHECK};
use tss_esapi::handles::KeyHandle;
use tss_esapi::interface_types::algorithm::{HashingAlgorithm, PublicAlgorithm};
use tss_esapi::interface_types::ecc::EccCurve;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::structures::{
    EccPoint, EccScheme, HashScheme, KeyDerivationFunctionScheme, Public, PublicBuilder, PublicEccParametersBuilder,
    SignatureScheme, SymmetricDefinitionObject,
};
use tss_esapi::tcti_ldr::TctiNameConf;
use tss_esapi::tss2_esys::TPMT_TK_HASHCHECK;

/// What can go wrong talking to the TPM.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TpmError {
    /// The TCTI name (e.g. `device:/dev/tpmrm0`, `swtpm:host=...,port=...`) is not valid.
    #[error("tcti {0}: {1}")]
    Tcti(String, #[source] tss_esapi::Error),
    /// A TPM command failed.
    #[error("tpm: {0}")]
    Tpm(#[from] tss_esapi::Error),
    /// The TPM returned a public key or signature of an unexpected form.
    #[error("unexpected tpm output: {0}")]
    Unexpected(&'static str),
    /// The context lock was poisoned by a panic in another thread.
    #[error("tpm context unusable after a panic")]
    Poisoned,
}

/// An ECC P-256 signing key resident in a TPM (see the [crate docs](crate)).
pub struct TpmKey {
    ctx: Mutex<Context>,
    handle: KeyHandle,
    public: VerifyingKey,
}

impl core::fmt::Debug for TpmKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TpmKey").field("handle", &self.handle).field("public", &self.public).finish_non_exhaustive()
    }
}

/// The template: an unrestricted ECDSA-SHA256 P-256 signing key the TPM generated and keeps.
fn template() -> Result<Public, TpmError> {
    let attributes = ObjectAttributesBuilder::new()
        .with_fixed_tpm(true)
        .with_fixed_parent(true)
        .with_sensitive_data_origin(true)
        .with_user_with_auth(true)
        .with_sign_encrypt(true)
        .with_decrypt(false)
        .with_restricted(false)
        .build()?;
    let params = PublicEccParametersBuilder::new()
        .with_symmetric(SymmetricDefinitionObject::Null)
        .with_ecc_scheme(EccScheme::EcDsa(HashScheme::new(HashingAlgorithm::Sha256)))
        .with_curve(EccCurve::NistP256)
        .with_key_derivation_function_scheme(KeyDerivationFunctionScheme::Null)
        .with_is_signing_key(true)
        .with_is_decryption_key(false)
        .with_restricted(false)
        .build()?;
    Ok(PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(attributes)
        .with_ecc_parameters(params)
        .with_ecc_unique_identifier(EccPoint::default())
        .build()?)
}

/// A big-endian coordinate or scalar left-padded to 32 bytes.
fn pad32(v: &[u8]) -> Result<[u8; 32], TpmError> {
    let mut out = [0u8; 32];
    let start = 32usize.checked_sub(v.len()).ok_or(TpmError::Unexpected("value longer than 32 bytes"))?;
    out.get_mut(start..).ok_or(TpmError::Unexpected("value"))?.copy_from_slice(v);
    Ok(out)
}

impl TpmKey {
    /// Opens the TPM at `tcti` and creates (or re-derives) the device's primary signing key in
    /// the owner hierarchy.
    ///
    /// # Errors
    /// [`TpmError::Tcti`] for a bad TCTI name or an unreachable TPM, [`TpmError::Tpm`] when a
    /// command fails.
    pub fn create_primary(tcti: &str) -> Result<Self, TpmError> {
        let conf = TctiNameConf::from_str(tcti).map_err(|e| TpmError::Tcti(tcti.to_owned(), e))?;
        let mut ctx = Context::new(conf).map_err(|e| TpmError::Tcti(tcti.to_owned(), e))?;
        let public = template()?;
        let created =
            ctx.execute_with_nullauth_session(|c| c.create_primary(Hierarchy::Owner, public, None, None, None, None))?;
        let handle = created.key_handle;
        let point = match created.out_public {
            Public::Ecc { unique, .. } => {
                let mut sec1 = [4u8; 65];
                sec1.get_mut(1..33).ok_or(TpmError::Unexpected("point"))?.copy_from_slice(&pad32(unique.x().value())?);
                sec1.get_mut(33..).ok_or(TpmError::Unexpected("point"))?.copy_from_slice(&pad32(unique.y().value())?);
                sec1
            }
            _ => {
                let _ = ctx.flush_context(handle.into());
                return Err(TpmError::Unexpected("not an ECC public key"));
            }
        };
        let public = match VerifyingKey::from_sec1_bytes(&point) {
            Ok(k) => k,
            Err(_) => {
                let _ = ctx.flush_context(handle.into());
                return Err(TpmError::Unexpected("public point not on P-256"));
            }
        };
        Ok(Self { ctx: Mutex::new(ctx), handle, public })
    }

    /// The key's public half.
    #[must_use]
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// Signs a SHA-256 digest in the TPM; returns the (low-S normalised) ECDSA signature.
    ///
    /// # Errors
    /// [`TpmError::Tpm`] when the TPM refuses, [`TpmError::Unexpected`] for an odd signature.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Signature, TpmError> {
        let mut ctx = self.ctx.lock().map_err(|_| TpmError::Poisoned)?;
        let validation =
            TPMT_TK_HASHCHECK { tag: TPM2_ST_HASHCHECK, hierarchy: TPM2_RH_NULL, digest: Default::default() };
        let d = tss_esapi::structures::Digest::try_from(digest.to_vec())?;
        let scheme = SignatureScheme::EcDsa { hash_scheme: HashScheme::new(HashingAlgorithm::Sha256) };
        let handle = self.handle;
        let sig = ctx.execute_with_nullauth_session(|c| c.sign(handle, d, scheme, validation.try_into()?))?;
        let tss_esapi::structures::Signature::EcDsa(ecc) = sig else {
            return Err(TpmError::Unexpected("not an ECDSA signature"));
        };
        let r = pad32(ecc.signature_r().value())?;
        let s = pad32(ecc.signature_s().value())?;
        let sig = Signature::from_scalars(r, s).map_err(|_| TpmError::Unexpected("signature scalars"))?;
        Ok(sig.normalize_s())
    }

    fn sign_parts(&self, parts: &[&[u8]]) -> Result<Signature, TpmError> {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        self.sign_digest(&h.finalize().into())
    }
}

impl Drop for TpmKey {
    fn drop(&mut self) {
        // Without a resource manager a transient object stays loaded until flushed.
        if let Ok(mut ctx) = self.ctx.lock() {
            let _ = ctx.flush_context(self.handle.into());
        }
    }
}

impl iot_cose::signature::Keypair for TpmKey {
    type VerifyingKey = VerifyingKey;
    fn verifying_key(&self) -> VerifyingKey {
        self.public
    }
}

impl iot_cose::signature::Signer<Signature> for TpmKey {
    fn try_sign(&self, msg: &[u8]) -> Result<Signature, iot_cose::signature::Error> {
        self.sign_parts(&[msg]).map_err(iot_cose::signature::Error::from_source)
    }
}

impl iot_cose::CoseSigner for TpmKey {
    type Signature = Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Signature, iot_cose::signature::Error> {
        self.sign_parts(msg).map_err(iot_cose::signature::Error::from_source)
    }
}

/// Borrowed view so that `iot_identity::P256Signer` does the DER work.
struct Borrowed<'k>(&'k TpmKey);

impl iot_cose::signature::Keypair for Borrowed<'_> {
    type VerifyingKey = VerifyingKey;
    fn verifying_key(&self) -> VerifyingKey {
        self.0.public
    }
}

impl iot_cose::signature::Signer<Signature> for Borrowed<'_> {
    fn try_sign(&self, msg: &[u8]) -> Result<Signature, iot_cose::signature::Error> {
        iot_cose::signature::Signer::try_sign(self.0, msg)
    }
}

impl iot_identity::Signer for TpmKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaSha256
    }
    fn write_public_key(&self, w: &mut Writer<'_>) {
        iot_identity::P256Signer(Borrowed(self)).write_public_key(w);
    }
    fn sign(&self, msg: &[u8], w: &mut Writer<'_>) -> iot_identity::Result<()> {
        iot_identity::P256Signer(Borrowed(self)).sign(msg, w)
    }
}
