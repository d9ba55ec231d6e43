//! TPM 2.0 quotes (TPM 2.0 Library Part 2: TPMS_ATTEST, TPMT_PUBLIC, TPMT_SIGNATURE): parse
//! without an allocator, verify the attestation key's signature, the nonce (`extraData`) and the
//! PCR digest against PCR values replayed from an event log.
//!
//! ECDSA P-256 / SHA-256 keys verify with the `p256` feature; RSA keys (RSASSA-PKCS1-v1_5 with
//! SHA-1 or SHA-256) and SHA-1 PCR banks need the `tpm-rsa` feature.

use crate::error::{Error, Result};
use subtle::ConstantTimeEq as _;

/// `TPM_GENERATED_VALUE`: every structure the TPM signs starts with it.
pub const TPM_GENERATED: u32 = 0xff54_4347;
/// `TPM_ST_ATTEST_QUOTE`.
pub const ST_ATTEST_QUOTE: u16 = 0x8018;

/// TPM algorithm ids (TPM 2.0 Part 2, table 9).
pub mod alg {
    /// RSA key.
    pub const RSA: u16 = 0x0001;
    /// SHA-1.
    pub const SHA1: u16 = 0x0004;
    /// SHA-256.
    pub const SHA256: u16 = 0x000b;
    /// Null.
    pub const NULL: u16 = 0x0010;
    /// RSASSA-PKCS1-v1_5 signature.
    pub const RSASSA: u16 = 0x0014;
    /// ECDSA signature.
    pub const ECDSA: u16 = 0x0018;
    /// ECC key.
    pub const ECC: u16 = 0x0023;
    /// `TPM_ECC_NIST_P256`.
    pub const NIST_P256: u16 = 0x0003;
}

const fn bad(what: &'static str) -> Error {
    Error::Invalid { what: "TPM structure", problem: what }
}

/// Big-endian reader over a TPM structure.
struct R<'a> {
    b: &'a [u8],
}

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (h, t) = self.b.split_at_checked(n).ok_or(bad("truncated"))?;
        self.b = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8> {
        self.take(1).map(|b| b.first().copied().unwrap_or(0))
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes(b.try_into().map_err(|_| bad("truncated"))?))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes(b.try_into().map_err(|_| bad("truncated"))?))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_be_bytes(b.try_into().map_err(|_| bad("truncated"))?))
    }
    /// A TPM2B: u16 size, then the bytes.
    fn sized(&mut self) -> Result<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn done(&self) -> Result<()> {
        if self.b.is_empty() { Ok(()) } else { Err(bad("trailing bytes")) }
    }
}

/// A parsed `TPMS_ATTEST` of type quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quote<'a> {
    /// The signed bytes.
    pub raw: &'a [u8],
    /// Name of the signing key.
    pub qualified_signer: &'a [u8],
    /// The caller's nonce.
    pub extra_data: &'a [u8],
    /// TPM clock, milliseconds.
    pub clock: u64,
    /// TPM resets.
    pub reset_count: u32,
    /// TPM restarts.
    pub restart_count: u32,
    /// Whether the clock value is safe.
    pub safe: bool,
    /// Firmware version.
    pub firmware_version: u64,
    selection: &'a [u8],
    selections: u32,
    /// Digest of the selected PCR values.
    pub pcr_digest: &'a [u8],
}

impl<'a> Quote<'a> {
    /// Parses a quote.
    ///
    /// # Errors
    /// [`Error::Invalid`]: not a TPM-generated quote, truncated, trailing bytes, too many banks.
    pub fn parse(raw: &'a [u8]) -> Result<Self> {
        let mut r = R { b: raw };
        if r.u32()? != TPM_GENERATED {
            return Err(bad("not TPM-generated (magic)"));
        }
        if r.u16()? != ST_ATTEST_QUOTE {
            return Err(bad("not a quote"));
        }
        let qualified_signer = r.sized()?;
        let extra_data = r.sized()?;
        let clock = r.u64()?;
        let reset_count = r.u32()?;
        let restart_count = r.u32()?;
        let safe = r.u8()? != 0;
        let firmware_version = r.u64()?;
        let selections = r.u32()?;
        if selections > 16 {
            return Err(bad("too many PCR banks"));
        }
        let start = r.b;
        for _ in 0..selections {
            r.u16()?;
            let n = r.u8()?;
            r.take(usize::from(n))?;
        }
        let used = start.len().saturating_sub(r.b.len());
        let selection = start.get(..used).unwrap_or_default();
        let pcr_digest = r.sized()?;
        r.done()?;
        Ok(Self {
            raw,
            qualified_signer,
            extra_data,
            clock,
            reset_count,
            restart_count,
            safe,
            firmware_version,
            selection,
            selections,
            pcr_digest,
        })
    }

    /// The PCR selection: (hash algorithm, selected PCR indices in order).
    pub fn selected(&self) -> impl Iterator<Item = (u16, impl Iterator<Item = u32> + 'a)> + 'a {
        let mut r = R { b: self.selection };
        (0..self.selections).map_while(move |_| {
            let hash = r.u16().ok()?;
            let n = r.u8().ok()?;
            let bitmap = r.take(usize::from(n)).ok()?;
            let pcrs = (0u32..).zip(bitmap.iter().flat_map(|byte| (0..8).map(move |bit| byte >> bit & 1 == 1)));
            Some((hash, pcrs.filter(|&(_, on)| on).map(|(i, _)| i)))
        })
    }
}

/// The attestation key from a `TPMT_PUBLIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AkPublic<'a> {
    /// RSA: modulus and public exponent.
    Rsa {
        /// Modulus, big-endian.
        modulus: &'a [u8],
        /// Public exponent.
        exponent: u32,
    },
    /// ECC on NIST P-256.
    P256 {
        /// X coordinate.
        x: &'a [u8],
        /// Y coordinate.
        y: &'a [u8],
    },
}

impl<'a> AkPublic<'a> {
    /// Parses a `TPMT_PUBLIC` holding an RSA or NIST P-256 signing key.
    ///
    /// # Errors
    /// [`Error::Invalid`] for other key types, curves or malformed bytes.
    pub fn parse(b: &'a [u8]) -> Result<Self> {
        let mut r = R { b };
        let ty = r.u16()?;
        let _name_alg = r.u16()?;
        let _attributes = r.u32()?;
        let _policy = r.sized()?;
        let symmetric = r.u16()?;
        if symmetric != alg::NULL {
            return Err(bad("a signing key has no symmetric algorithm"));
        }
        let scheme = r.u16()?;
        if scheme != alg::NULL {
            r.u16()?; // scheme hash
        }
        let key = match ty {
            alg::RSA => {
                let _bits = r.u16()?;
                let e = r.u32()?;
                let modulus = r.sized()?;
                AkPublic::Rsa { modulus, exponent: if e == 0 { 65_537 } else { e } }
            }
            alg::ECC => {
                if r.u16()? != alg::NIST_P256 {
                    return Err(bad("only NIST P-256 ECC keys are supported"));
                }
                if r.u16()? != alg::NULL {
                    return Err(bad("a signing key has no KDF"));
                }
                AkPublic::P256 { x: r.sized()?, y: r.sized()? }
            }
            _ => return Err(bad("unsupported key type")),
        };
        r.done()?;
        Ok(key)
    }
}

/// A `TPMT_SIGNATURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TpmSignature<'a> {
    /// RSASSA-PKCS1-v1_5.
    RsaSsa {
        /// Hash algorithm.
        hash: u16,
        /// The signature.
        sig: &'a [u8],
    },
    /// ECDSA.
    Ecdsa {
        /// Hash algorithm.
        hash: u16,
        /// r.
        r: &'a [u8],
        /// s.
        s: &'a [u8],
    },
}

impl<'a> TpmSignature<'a> {
    /// Parses a `TPMT_SIGNATURE`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for other schemes or malformed bytes.
    pub fn parse(b: &'a [u8]) -> Result<Self> {
        let mut rd = R { b };
        let s = match rd.u16()? {
            alg::RSASSA => TpmSignature::RsaSsa { hash: rd.u16()?, sig: rd.sized()? },
            alg::ECDSA => TpmSignature::Ecdsa { hash: rd.u16()?, r: rd.sized()?, s: rd.sized()? },
            _ => return Err(bad("unsupported signature scheme")),
        };
        rd.done()?;
        Ok(s)
    }

    fn hash(&self) -> u16 {
        match *self {
            Self::RsaSsa { hash, .. } | Self::Ecdsa { hash, .. } => hash,
        }
    }
}

/// Verifies a quote: the attestation key's signature over `attest`, `extraData == nonce`
/// (constant time), and `pcrDigest == H(pcr_values...)` where `pcr_values` are the selected PCRs'
/// values in selection order and H is the signature's hash algorithm.
///
/// # Errors
/// [`Error::Invalid`] for malformed structures or an unsupported algorithm,
/// [`Error::Cose`]`(BadSignature)` for a bad signature, [`Error::NonceMismatch`], and
/// [`Error::Invalid`] with "PCR digest" when the values do not match.
pub fn verify_quote<'a>(
    attest: &'a [u8],
    signature: &[u8],
    ak_public: &[u8],
    nonce: &[u8],
    pcr_values: &[&[u8]],
) -> Result<Quote<'a>> {
    let quote = Quote::parse(attest)?;
    let sig = TpmSignature::parse(signature)?;
    let ak = AkPublic::parse(ak_public)?;
    check_signature(attest, &sig, &ak)?;
    if !bool::from(quote.extra_data.ct_eq(nonce)) {
        return Err(Error::NonceMismatch);
    }
    let selected: usize = quote.selected().map(|(_, pcrs)| pcrs.count()).sum();
    if selected != pcr_values.len() {
        return Err(bad("PCR values do not match the selection"));
    }
    let digest_ok = match sig.hash() {
        alg::SHA256 => {
            use sha2::Digest as _;
            let mut h = sha2::Sha256::new();
            pcr_values.iter().for_each(|v| h.update(v));
            bool::from(h.finalize().as_slice().ct_eq(quote.pcr_digest))
        }
        #[cfg(feature = "tpm-rsa")]
        alg::SHA1 => {
            use sha1::Digest as _;
            let mut h = sha1::Sha1::new();
            pcr_values.iter().for_each(|v| h.update(v));
            bool::from(h.finalize().as_slice().ct_eq(quote.pcr_digest))
        }
        _ => return Err(bad("unsupported PCR digest algorithm")),
    };
    if !digest_ok {
        return Err(bad("PCR digest does not match the PCR values"));
    }
    Ok(quote)
}

fn check_signature(attest: &[u8], sig: &TpmSignature<'_>, ak: &AkPublic<'_>) -> Result<()> {
    let bad_sig = Error::Cose(iot_cose::Error::BadSignature);
    match (sig, ak) {
        #[cfg(feature = "p256")]
        (TpmSignature::Ecdsa { hash: alg::SHA256, r, s }, AkPublic::P256 { x, y }) => {
            use iot_cose::p256::ecdsa::{Signature, VerifyingKey};
            use iot_cose::signature::Verifier as _;
            let mut point = [0u8; 65];
            point[0] = 4;
            left_pad(point.get_mut(1..33), x)?;
            left_pad(point.get_mut(33..), y)?;
            let key = VerifyingKey::from_sec1_bytes(&point).map_err(|_| bad("invalid P-256 point"))?;
            let mut rs = [0u8; 64];
            left_pad(rs.get_mut(..32), r)?;
            left_pad(rs.get_mut(32..), s)?;
            let sig = Signature::from_slice(&rs).map_err(|_| bad_sig)?;
            key.verify(attest, &sig).map_err(|_| Error::Cose(iot_cose::Error::BadSignature))
        }
        #[cfg(feature = "tpm-rsa")]
        (TpmSignature::RsaSsa { hash, sig }, AkPublic::Rsa { modulus, exponent }) => {
            use rsa::signature::Verifier as _;
            let bits = u32::try_from(modulus.len().saturating_mul(8)).map_err(|_| bad("RSA modulus too large"))?;
            let n = rsa::BoxedUint::from_be_slice(modulus, bits).map_err(|_| bad("invalid RSA modulus"))?;
            let e = rsa::BoxedUint::from(u64::from(*exponent));
            let key = rsa::PublicKey::new(n, e).map_err(|_| bad("invalid RSA key"))?;
            let s = rsa::pkcs1v15::Signature::try_from(*sig).map_err(|_| bad_sig)?;
            let ok = match *hash {
                alg::SHA1 => rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key).verify(attest, &s).is_ok(),
                alg::SHA256 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key).verify(attest, &s).is_ok(),
                _ => return Err(bad("unsupported RSA signature hash")),
            };
            if ok { Ok(()) } else { Err(Error::Cose(iot_cose::Error::BadSignature)) }
        }
        _ => {
            let _ = (attest, bad_sig);
            Err(bad("unsupported key and signature combination (RSA needs the tpm-rsa feature)"))
        }
    }
}

#[cfg(feature = "p256")]
fn left_pad(dst: Option<&mut [u8]>, src: &[u8]) -> Result<()> {
    let dst = dst.ok_or(bad("coordinate"))?;
    let src = src.get(src.len().saturating_sub(dst.len())..).unwrap_or_default();
    if src.len() > dst.len() {
        return Err(bad("coordinate too long"));
    }
    let at = dst.len().saturating_sub(src.len());
    dst.get_mut(at..).ok_or(bad("coordinate"))?.copy_from_slice(src);
    Ok(())
}
