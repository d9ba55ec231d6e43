//! Signature verification for certificates and CSRs, and the [`Signer`] trait that a software key,
//! a TPM or a secure element implements to sign them.

#[cfg(any(feature = "p256", feature = "ed25519", feature = "rsa"))]
use crate::cert::KeyAlgorithm;
use crate::cert::{PublicKeyInfo, SignatureAlgorithm};
#[cfg(any(feature = "p256", feature = "rsa"))]
use crate::der::check_integer;
use crate::der::{Reader, Writer, tag};
use crate::error::{Error, Result};

/// Checks `signature` (as it appears in the BIT STRING) over `msg` with `key`.
///
/// Only the combinations of the allow-list verify: ECDSA P-256 with SHA-256 (feature `p256`) and
/// Ed25519 (feature `ed25519`). Every other algorithm, key type or curve is
/// [`Error::UnsupportedAlgorithm`].
///
/// # Errors
/// [`Error::UnsupportedAlgorithm`] or [`Error::BadSignature`].
pub fn verify_signature(alg: SignatureAlgorithm, key: &PublicKeyInfo<'_>, msg: &[u8], signature: &[u8]) -> Result<()> {
    match (alg, key.algorithm) {
        #[cfg(feature = "p256")]
        (SignatureAlgorithm::EcdsaSha256, KeyAlgorithm::EcP256) => {
            use iot_cose::p256::ecdsa::{Signature, VerifyingKey};
            use iot_cose::signature::Verifier as _;
            let vk = VerifyingKey::from_sec1_bytes(key.key).map_err(|_| Error::BadSignature)?;
            let mut raw = [0u8; 64];
            ecdsa_der_to_raw(signature, &mut raw)?;
            let sig = Signature::from_slice(&raw).map_err(|_| Error::BadSignature)?;
            vk.verify(msg, &sig).map_err(|_| Error::BadSignature)
        }
        #[cfg(feature = "ed25519")]
        (SignatureAlgorithm::Ed25519, KeyAlgorithm::Ed25519) => {
            use iot_cose::ed25519_dalek::{Signature, VerifyingKey};
            let key: &[u8; 32] = key.key.try_into().map_err(|_| Error::BadSignature)?;
            let vk = VerifyingKey::from_bytes(key).map_err(|_| Error::BadSignature)?;
            let sig = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
            vk.verify_strict(msg, &sig).map_err(|_| Error::BadSignature)
        }
        #[cfg(feature = "rsa")]
        (SignatureAlgorithm::EcdsaSha384, KeyAlgorithm::EcP384) => {
            use iot_cose::signature::Verifier as _;
            use p384::ecdsa::{Signature, VerifyingKey};
            let vk = VerifyingKey::from_sec1_bytes(key.key).map_err(|_| Error::BadSignature)?;
            let mut raw = [0u8; 96];
            let (r, s) = raw.split_at_mut(48);
            ecdsa_der_to_halves(signature, r, s)?;
            let sig = Signature::from_slice(&raw).map_err(|_| Error::BadSignature)?;
            vk.verify(msg, &sig).map_err(|_| Error::BadSignature)
        }
        #[cfg(feature = "rsa")]
        (
            SignatureAlgorithm::RsaPkcs1Sha256
            | SignatureAlgorithm::RsaPkcs1Sha384
            | SignatureAlgorithm::RsaPkcs1Sha512,
            KeyAlgorithm::Rsa,
        ) => verify_rsa(alg, key.key, msg, signature),
        _ => {
            let _ = (msg, signature);
            Err(Error::UnsupportedAlgorithm)
        }
    }
}

/// RSASSA-PKCS1-v1_5 with a 2048 to 8192-bit modulus (the webpki range).
#[cfg(feature = "rsa")]
fn verify_rsa(alg: SignatureAlgorithm, key: &[u8], msg: &[u8], signature: &[u8]) -> Result<()> {
    use rsa::signature::Verifier as _;
    let (n, e) = rsa_public_key(key).ok_or(Error::UnsupportedAlgorithm)?;
    let bits = bit_len(n).ok_or(Error::UnsupportedAlgorithm)?;
    if !(2048..=8192).contains(&bits) {
        return Err(Error::UnsupportedAlgorithm);
    }
    let n_bits = u32::try_from(n.len().saturating_mul(8)).map_err(|_| Error::UnsupportedAlgorithm)?;
    let n = rsa::BoxedUint::from_be_slice(n, n_bits).map_err(|_| Error::UnsupportedAlgorithm)?;
    let pk = rsa::PublicKey::new(n, rsa::BoxedUint::from(e)).map_err(|_| Error::UnsupportedAlgorithm)?;
    let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| Error::BadSignature)?;
    let ok = match alg {
        SignatureAlgorithm::RsaPkcs1Sha256 => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(pk).verify(msg, &sig).is_ok()
        }
        SignatureAlgorithm::RsaPkcs1Sha384 => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(pk).verify(msg, &sig).is_ok()
        }
        SignatureAlgorithm::RsaPkcs1Sha512 => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(pk).verify(msg, &sig).is_ok()
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err(Error::BadSignature) }
}

/// An RSAPublicKey's modulus (leading zero octet dropped) and public exponent.
pub(crate) fn rsa_public_key(key: &[u8]) -> Option<(&[u8], u64)> {
    let mut r = Reader::new(key);
    let (n, e) = r.nested(tag::SEQUENCE, |s| Ok((s.read_integer()?, s.read_integer()?))).ok()?;
    r.finish().ok()?;
    let n = match n {
        [0, rest @ ..] => rest,
        _ => n,
    };
    Some((n, crate::der::uint_value(e).ok()?))
}

/// The bit length of a big-endian magnitude with no leading zero octet.
pub(crate) fn bit_len(n: &[u8]) -> Option<usize> {
    let lead = usize::try_from(n.first()?.leading_zeros()).ok()?;
    n.len().checked_mul(8)?.checked_sub(lead)
}

#[cfg(any(feature = "p256", feature = "rsa"))]
/// Splits a DER ECDSA-Sig-Value into left-padded `r` and `s` of the curve's size.
fn ecdsa_der_to_halves(der: &[u8], r_out: &mut [u8], s_out: &mut [u8]) -> Result<()> {
    let mut outer = Reader::new(der);
    outer.nested(tag::SEQUENCE, |s| {
        for dst in [r_out, s_out] {
            let v = s.read(tag::INTEGER)?;
            check_integer(v)?;
            if v.first().is_some_and(|b| *b >= 0x80) {
                return Err(Error::BadSignature);
            }
            let mag = match v {
                [0, rest @ ..] => rest,
                _ => v,
            };
            let pad = dst.len().checked_sub(mag.len()).ok_or(Error::BadSignature)?;
            dst.fill(0);
            dst.get_mut(pad..).ok_or(Error::BadSignature)?.copy_from_slice(mag);
        }
        Ok(())
    })?;
    outer.finish()
}

#[cfg(feature = "p256")]
/// Converts a DER ECDSA-Sig-Value (RFC 3279) for a 256-bit curve to `r || s`.
pub(crate) fn ecdsa_der_to_raw(der: &[u8], out: &mut [u8; 64]) -> Result<()> {
    let (r, s) = out.split_at_mut(32);
    ecdsa_der_to_halves(der, r, s)
}

#[cfg(feature = "p256")]
/// Writes `r || s` as a DER ECDSA-Sig-Value.
pub(crate) fn ecdsa_raw_to_der(raw: &[u8; 64], w: &mut Writer<'_>) {
    let (r, s) = raw.split_at(32);
    let seq = w.open(tag::SEQUENCE);
    w.uint(r);
    w.uint(s);
    w.close(seq);
}

/// A key that signs certificates, CSRs and proofs: software, TPM, secure element or HSM.
///
/// Implemented for `p256::ecdsa::SigningKey` and `ed25519_dalek::SigningKey`. A hardware key
/// implements `signature::Signer<p256::ecdsa::Signature>` and `signature::Keypair` and is used
/// through [`P256Signer`]; or it implements this trait directly.
pub trait Signer {
    /// The signature algorithm, which fixes the key type.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// Writes the public key's DER SubjectPublicKeyInfo.
    fn write_public_key(&self, w: &mut Writer<'_>);
    /// Signs `msg` and writes the signature as it goes in the BIT STRING (DER ECDSA-Sig-Value for
    /// ECDSA, 64 raw bytes for Ed25519). Never panics: a hardware failure is an error.
    ///
    /// # Errors
    /// [`Error::Signing`] when the key or device fails.
    fn sign(&self, msg: &[u8], w: &mut Writer<'_>) -> Result<()>;
}

impl<T: Signer + ?Sized> Signer for &T {
    fn algorithm(&self) -> SignatureAlgorithm {
        (**self).algorithm()
    }
    fn write_public_key(&self, w: &mut Writer<'_>) {
        (**self).write_public_key(w);
    }
    fn sign(&self, msg: &[u8], w: &mut Writer<'_>) -> Result<()> {
        (**self).sign(msg, w)
    }
}

#[cfg(feature = "p256")]
/// The SubjectPublicKeyInfo of a P-256 key from its uncompressed SEC1 point.
pub(crate) fn write_p256_spki(point: &[u8], w: &mut Writer<'_>) {
    let seq = w.open(tag::SEQUENCE);
    let alg = w.open(tag::SEQUENCE);
    w.primitive(tag::OID, crate::oid::EC_PUBLIC_KEY);
    w.primitive(tag::OID, crate::oid::P256);
    w.close(alg);
    w.bit_string(point);
    w.close(seq);
}

#[cfg(feature = "ed25519")]
/// The SubjectPublicKeyInfo of an Ed25519 key.
pub(crate) fn write_ed25519_spki(key: &[u8], w: &mut Writer<'_>) {
    let seq = w.open(tag::SEQUENCE);
    let alg = w.open(tag::SEQUENCE);
    w.primitive(tag::OID, crate::oid::ED25519);
    w.close(alg);
    w.bit_string(key);
    w.close(seq);
}

/// Signs `msg` with any P-256 signer and writes the DER ECDSA-Sig-Value.
#[cfg(feature = "p256")]
fn p256_sign<S: iot_cose::signature::Signer<iot_cose::p256::ecdsa::Signature> + ?Sized>(
    signer: &S,
    msg: &[u8],
    w: &mut Writer<'_>,
) -> Result<()> {
    let sig = signer.try_sign(msg).map_err(Error::Signing)?;
    let raw: [u8; 64] = sig.to_bytes().into();
    ecdsa_raw_to_der(&raw, w);
    Ok(())
}

/// Adapts any P-256 `signature::Signer` + `Keypair` (a TPM or secure element handle) to [`Signer`].
#[cfg(feature = "p256")]
#[derive(Debug, Clone)]
pub struct P256Signer<S>(pub S);

#[cfg(feature = "p256")]
impl<S> Signer for P256Signer<S>
where
    S: iot_cose::signature::Signer<iot_cose::p256::ecdsa::Signature>
        + iot_cose::signature::Keypair<VerifyingKey = iot_cose::p256::ecdsa::VerifyingKey>,
{
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaSha256
    }
    fn write_public_key(&self, w: &mut Writer<'_>) {
        write_p256_spki(self.0.verifying_key().to_sec1_point(false).as_bytes(), w);
    }
    fn sign(&self, msg: &[u8], w: &mut Writer<'_>) -> Result<()> {
        p256_sign(&self.0, msg, w)
    }
}

#[cfg(feature = "p256")]
impl Signer for iot_cose::p256::ecdsa::SigningKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaSha256
    }
    fn write_public_key(&self, w: &mut Writer<'_>) {
        write_p256_spki(self.verifying_key().to_sec1_point(false).as_bytes(), w);
    }
    fn sign(&self, msg: &[u8], w: &mut Writer<'_>) -> Result<()> {
        p256_sign(self, msg, w)
    }
}

#[cfg(feature = "ed25519")]
impl Signer for iot_cose::ed25519_dalek::SigningKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Ed25519
    }
    fn write_public_key(&self, w: &mut Writer<'_>) {
        write_ed25519_spki(self.verifying_key().as_bytes(), w);
    }
    fn sign(&self, msg: &[u8], w: &mut Writer<'_>) -> Result<()> {
        use iot_cose::signature::Signer as _;
        let sig = self.try_sign(msg).map_err(Error::Signing)?;
        w.raw(&sig.to_bytes());
        Ok(())
    }
}

#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
impl Signer for iot_cose::PrivateKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(_) => SignatureAlgorithm::EcdsaSha256,
            #[cfg(feature = "ed25519")]
            Self::Ed25519(_) => SignatureAlgorithm::Ed25519,
            #[allow(unreachable_patterns, reason = "iot-cose may add key types")]
            _ => SignatureAlgorithm::Unknown,
        }
    }
    fn write_public_key(&self, w: &mut Writer<'_>) {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => k.write_public_key(w),
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => k.write_public_key(w),
            #[allow(unreachable_patterns, reason = "iot-cose may add key types")]
            _ => {}
        }
    }
    fn sign(&self, msg: &[u8], w: &mut Writer<'_>) -> Result<()> {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => Signer::sign(k, msg, w),
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => Signer::sign(k, msg, w),
            #[allow(unreachable_patterns, reason = "iot-cose may add key types")]
            _ => Err(Error::UnsupportedAlgorithm),
        }
    }
}

/// Writes a signer's SubjectPublicKeyInfo into `buf` and returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`].
pub fn public_key_der<S: Signer + ?Sized>(signer: &S, buf: &mut [u8]) -> Result<usize> {
    let mut w = Writer::new(buf);
    signer.write_public_key(&mut w);
    w.finish()
}
