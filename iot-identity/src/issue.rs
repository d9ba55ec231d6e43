//! Writing certificates and certification requests (PKCS#10, RFC 2986) into a caller's buffer,
//! signed by any [`Signer`]: no allocator, so a device can build its CSR with its key in a secure
//! element, and a CA can issue with its key in an HSM.

use sha2::{Digest as _, Sha256};

use crate::cert::{Certificate, KeyUsage, Name, PublicKeyInfo, SignatureAlgorithm};
use crate::der::{Reader, Writer, tag};
use crate::error::{Error, Result};
use crate::oid;
use crate::sig::{Signer, verify_signature};
use crate::time::Time;

/// Largest signature a [`Signer`] may write (DER ECDSA P-256 is at most 72 bytes).
const MAX_SIGNATURE: usize = 80;

/// Subject attributes of a device identity (IEEE 802.1AR section 8.6: the subject names the
/// device by its serial number).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subject<'p> {
    /// commonName.
    pub common_name: Option<&'p str>,
    /// organizationName.
    pub organization: Option<&'p str>,
    /// serialNumber: the device serial (PrintableString characters only).
    pub serial_number: Option<&'p str>,
}

impl<'p> Subject<'p> {
    /// A subject with only a commonName.
    #[must_use]
    pub const fn common_name(cn: &'p str) -> Self {
        Self { common_name: Some(cn), organization: None, serial_number: None }
    }

    /// A device subject: serialNumber, and a commonName when given.
    #[must_use]
    pub const fn device(serial: &'p str, cn: Option<&'p str>) -> Self {
        Self { common_name: cn, organization: None, serial_number: Some(serial) }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        let seq = w.open(tag::SEQUENCE);
        let attrs = [
            (oid::AT_ORGANIZATION, tag::UTF8_STRING, self.organization),
            (oid::AT_COMMON_NAME, tag::UTF8_STRING, self.common_name),
            (oid::AT_SERIAL_NUMBER, tag::PRINTABLE_STRING, self.serial_number),
        ];
        for (id, string_tag, value) in attrs {
            let Some(v) = value else { continue };
            if v.is_empty() || v.len() > 64 {
                return Err(Error::Malformed("subject attribute length (1 to 64)"));
            }
            if string_tag == tag::PRINTABLE_STRING && !v.bytes().all(printable) {
                return Err(Error::Malformed("serialNumber must be a PrintableString"));
            }
            let set = w.open(tag::SET);
            let atv = w.open(tag::SEQUENCE);
            w.primitive(tag::OID, id);
            w.primitive(string_tag, v.as_bytes());
            w.close(atv);
            w.close(set);
        }
        w.close(seq);
        Ok(())
    }
}

const fn printable(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?')
}

/// Signs the bytes written since `start` and appends AlgorithmIdentifier and BIT STRING.
pub(crate) fn sign_tail<S: Signer + ?Sized>(w: &mut Writer<'_>, start: usize, signer: &S) -> Result<()> {
    let alg = signer.algorithm().to_der().ok_or(Error::UnsupportedAlgorithm)?;
    let mut sig = [0u8; MAX_SIGNATURE];
    let mut sw = Writer::new(&mut sig);
    if w.overflowed() {
        return Err(Error::BufferTooSmall);
    }
    signer.sign(w.written_since(start), &mut sw)?;
    let n = sw.finish()?;
    w.raw(alg);
    w.bit_string(sig.get(..n).unwrap_or(&[]));
    Ok(())
}

/// Writes a PKCS#10 certification request for `subject`, signed by `signer` (which proves
/// possession of the key), into `buf`. Returns the DER length.
///
/// ```
/// # #[cfg(feature = "p256")] {
/// use iot_identity::{Csr, issue::{Subject, write_csr}};
/// let key = iot_identity::iot_cose::p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
/// let mut buf = [0u8; 512];
/// let n = write_csr(&Subject::device("SN-0001", Some("sensor")), &key, &mut buf).unwrap();
/// let csr = Csr::from_der(&buf[..n]).unwrap();
/// csr.verify().unwrap();
/// assert_eq!(csr.subject.serial_number(), Some("SN-0001"));
/// # }
/// ```
///
/// # Errors
/// [`Error::BufferTooSmall`], [`Error::Malformed`] for a bad subject, or the signer's
/// [`Error::Signing`].
pub fn write_csr<S: Signer + ?Sized>(subject: &Subject<'_>, signer: &S, buf: &mut [u8]) -> Result<usize> {
    let mut w = Writer::new(buf);
    let outer = w.open(tag::SEQUENCE);
    let start = w.len();
    let info = w.open(tag::SEQUENCE);
    w.primitive(tag::INTEGER, &[0]);
    subject.write(&mut w)?;
    signer.write_public_key(&mut w);
    // attributes [0]: empty; the CA decides the extensions from its profile.
    w.raw(&[tag::context(0), 0]);
    w.close(info);
    sign_tail(&mut w, start, signer)?;
    w.close(outer);
    w.finish()
}

/// A parsed PKCS#10 certification request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csr<'a> {
    /// The whole DER request.
    pub raw: &'a [u8],
    /// The signed CertificationRequestInfo.
    pub info: &'a [u8],
    /// The requested subject.
    pub subject: Name<'a>,
    /// The key to certify.
    pub public_key: PublicKeyInfo<'a>,
    /// The attributes' contents (the extensionRequest, a challengePassword, ...).
    pub attributes: &'a [u8],
    /// The signature algorithm.
    pub signature_algorithm: SignatureAlgorithm,
    /// The signature.
    pub signature: &'a [u8],
}

impl<'a> Csr<'a> {
    /// Parses a DER certification request (version 0).
    ///
    /// # Errors
    /// [`Error::Der`], [`Error::Malformed`] or [`Error::UnsupportedVersion`].
    pub fn from_der(der: &'a [u8]) -> Result<Self> {
        let (info, alg, signature) = crate::der::signed_envelope(der)?;
        let alg = alg.value;
        let mut i = Reader::new(info.value);
        if i.read_u64()? != 0 {
            return Err(Error::UnsupportedVersion);
        }
        let subject = Name::from_der(i.read_tlv(tag::SEQUENCE)?.raw)?;
        let public_key = PublicKeyInfo::from_der(i.read_tlv(tag::SEQUENCE)?.raw)?;
        let attributes = i.read(tag::context(0))?;
        i.finish()?;
        let mut a = Reader::new(attributes);
        while !a.is_empty() {
            a.nested(tag::SEQUENCE, |at| {
                at.read(tag::OID)?;
                at.read(tag::SET)?;
                Ok(())
            })?;
        }
        Ok(Self {
            raw: der,
            info: info.raw,
            subject,
            public_key,
            attributes,
            signature_algorithm: SignatureAlgorithm::from_der(alg),
            signature,
        })
    }

    /// Checks the request's signature with its own key: proof that the requester holds the
    /// private key.
    ///
    /// # Errors
    /// [`Error::BadSignature`] or [`Error::UnsupportedAlgorithm`].
    pub fn verify(&self) -> Result<()> {
        verify_signature(self.signature_algorithm, &self.public_key, self.info, self.signature)
    }
}

/// What a certificate is for, which fixes its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertProfile {
    /// A CA: basicConstraints critical cA with an optional pathLenConstraint, keyUsage critical
    /// keyCertSign and cRLSign.
    Ca {
        /// pathLenConstraint.
        path_len: Option<u8>,
    },
    /// An IEEE 802.1AR DevID: basicConstraints critical cA FALSE, keyUsage critical
    /// digitalSignature, extendedKeyUsage clientAuth.
    DevId,
}

/// The fields of a certificate to issue.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CertParams<'p> {
    /// Serial number magnitude (big-endian, at most 20 bytes; the top bit is cleared).
    pub serial: &'p [u8],
    /// notBefore.
    pub not_before: Time,
    /// notAfter ([`Time::NO_EXPIRY`] for a DevID with no expiry).
    pub not_after: Time,
    /// The extensions profile.
    pub profile: CertProfile,
}

impl<'p> CertParams<'p> {
    /// Parameters for `profile`, valid from `not_before` to `not_after`.
    #[must_use]
    pub const fn new(serial: &'p [u8], not_before: Time, not_after: Time, profile: CertProfile) -> Self {
        Self { serial, not_before, not_after, profile }
    }
}

/// The key identifier this crate writes: the leftmost 160 bits of the SHA-256 of the
/// subjectPublicKey bits (RFC 7093 section 2 method 1).
///
/// # Errors
/// [`Error::Der`] when `spki` is not a SubjectPublicKeyInfo.
pub fn key_identifier(spki: &[u8]) -> Result<[u8; 20]> {
    let info = PublicKeyInfo::from_der(spki)?;
    let digest = Sha256::digest(info.key);
    let mut out = [0u8; 20];
    out.copy_from_slice(digest.get(..20).unwrap_or(&[0; 20]));
    Ok(out)
}

fn key_usage_bits(flags: u16) -> ([u8; 3], usize) {
    // BIT STRING contents: unused-bits octet then up to two octets, bit 0 = MSB.
    let mut octets = [0u8; 2];
    let mut highest = 0u16;
    for bit in 0..9u16 {
        if flags & (1 << bit) != 0 {
            highest = bit;
            let byte = usize::from(bit / 8);
            if let Some(o) = octets.get_mut(byte) {
                *o |= 0x80 >> (bit % 8);
            }
        }
    }
    let used_octets = usize::from(highest / 8).saturating_add(1);
    let unused = 7u16.saturating_sub(highest % 8);
    let unused = u8::try_from(unused).unwrap_or(0);
    let [a, b] = octets;
    ([unused, a, b], used_octets.saturating_add(1))
}

pub(crate) fn extension(w: &mut Writer<'_>, id: &[u8], critical: bool, body: impl FnOnce(&mut Writer<'_>)) {
    let e = w.open(tag::SEQUENCE);
    w.primitive(tag::OID, id);
    if critical {
        w.primitive(tag::BOOLEAN, &[0xff]);
    }
    let o = w.open(tag::OCTET_STRING);
    body(w);
    w.close(o);
    w.close(e);
}

/// Writes a certificate for `subject_name` (DER Name) and `subject_key` (DER SPKI), issued by
/// `issuer` (or self-signed when `None`, with `subject_key` being `signer`'s key), signed by
/// `signer`. Returns the DER length.
///
/// # Errors
/// [`Error::BufferTooSmall`], [`Error::Malformed`] for bad parameters, [`Error::Signing`].
pub fn write_certificate<S: Signer + ?Sized>(
    params: &CertParams<'_>,
    subject_name: &[u8],
    subject_key: &[u8],
    issuer: Option<&Certificate<'_>>,
    signer: &S,
    buf: &mut [u8],
) -> Result<usize> {
    if params.serial.is_empty() || params.serial.len() > 20 {
        return Err(Error::Malformed("serial number length (1 to 20)"));
    }
    if params.not_before > params.not_after {
        return Err(Error::InvalidValidity);
    }
    Name::from_der(subject_name)?;
    let ski = key_identifier(subject_key)?;
    let aki = match issuer {
        Some(i) => match i.extensions.subject_key_id {
            Some(k) => Some(k),
            None => return Err(Error::Malformed("issuer without subjectKeyIdentifier")),
        },
        None => None,
    };
    let issuer_name = issuer.map_or(subject_name, |i| i.subject.raw);
    let alg = signer.algorithm().to_der().ok_or(Error::UnsupportedAlgorithm)?;
    let mut serial = [0u8; 20];
    let serial = serial.get_mut(..params.serial.len()).ok_or(Error::BufferTooSmall)?;
    serial.copy_from_slice(params.serial);
    if let Some(first) = serial.first_mut() {
        *first &= 0x7f;
        if serial.iter().all(|b| *b == 0) {
            return Err(Error::Malformed("serial number zero"));
        }
    }

    let mut w = Writer::new(buf);
    let outer = w.open(tag::SEQUENCE);
    let start = w.len();
    let tbs = w.open(tag::SEQUENCE);
    let v = w.open(tag::context(0));
    w.primitive(tag::INTEGER, &[2]);
    w.close(v);
    w.uint(serial);
    w.raw(alg);
    w.raw(issuer_name);
    let validity = w.open(tag::SEQUENCE);
    params.not_before.write(&mut w);
    params.not_after.write(&mut w);
    w.close(validity);
    w.raw(subject_name);
    w.raw(subject_key);
    let exts = w.open(tag::context(3));
    let list = w.open(tag::SEQUENCE);
    match params.profile {
        CertProfile::Ca { path_len } => {
            extension(&mut w, oid::EXT_BASIC_CONSTRAINTS, true, |w| {
                let s = w.open(tag::SEQUENCE);
                w.primitive(tag::BOOLEAN, &[0xff]);
                if let Some(n) = path_len {
                    w.uint(&[n]);
                }
                w.close(s);
            });
            let (ku, n) = key_usage_bits(KeyUsage::KEY_CERT_SIGN | KeyUsage::CRL_SIGN);
            extension(&mut w, oid::EXT_KEY_USAGE, true, |w| w.primitive(tag::BIT_STRING, ku.get(..n).unwrap_or(&[])));
        }
        CertProfile::DevId => {
            extension(&mut w, oid::EXT_BASIC_CONSTRAINTS, true, |w| w.raw(&[tag::SEQUENCE, 0]));
            let (ku, n) = key_usage_bits(KeyUsage::DIGITAL_SIGNATURE);
            extension(&mut w, oid::EXT_KEY_USAGE, true, |w| w.primitive(tag::BIT_STRING, ku.get(..n).unwrap_or(&[])));
            extension(&mut w, oid::EXT_EKU, false, |w| {
                let s = w.open(tag::SEQUENCE);
                w.primitive(tag::OID, oid::KP_CLIENT_AUTH);
                w.close(s);
            });
        }
    }
    extension(&mut w, oid::EXT_SKI, false, |w| w.primitive(tag::OCTET_STRING, &ski));
    extension(&mut w, oid::EXT_AKI, false, |w| {
        let s = w.open(tag::SEQUENCE);
        w.primitive(tag::context_primitive(0), aki.unwrap_or(&ski));
        w.close(s);
    });
    w.close(list);
    w.close(exts);
    w.close(tbs);
    sign_tail(&mut w, start, signer)?;
    w.close(outer);
    w.finish()
}

/// Writes a subject Name for `subject` into `buf`; returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`] or [`Error::Malformed`].
pub fn write_name(subject: &Subject<'_>, buf: &mut [u8]) -> Result<usize> {
    let mut w = Writer::new(buf);
    subject.write(&mut w)?;
    w.finish()
}
