//! A certificate authority for a device fleet: root and intermediate CAs, and DevID certificates
//! issued from CSRs after checking the requester's proof of possession.

use alloc::vec;
use alloc::vec::Vec;

use sha2::{Digest as _, Sha256};

use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::issue::{CertParams, CertProfile, Csr, Subject, write_certificate, write_name};
use crate::sig::{Signer, public_key_der};
use crate::time::Time;

/// Room for one certificate; ours are about 500 bytes.
const CERT_CAPACITY: usize = 4096;

/// A CA: its certificate and its signing key (software, HSM, TPM: any [`Signer`]).
#[derive(Debug)]
pub struct Ca<S> {
    cert: Vec<u8>,
    signer: S,
}

fn serial_for(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(u64::try_from(p.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(d.get(..16).unwrap_or(&[0; 16]));
    if let Some(first) = out.first_mut() {
        // Positive and never zero.
        *first = (*first & 0x7f) | 0x40;
    }
    out
}

/// The DER subject Name and the signer's SPKI, written into the two buffers.
fn name_and_key<'b, S: Signer + ?Sized>(
    subject: &Subject<'_>,
    signer: &S,
    name: &'b mut [u8],
    key: &'b mut [u8],
) -> Result<(&'b [u8], &'b [u8])> {
    let name_len = write_name(subject, name)?;
    let key_len = public_key_der(signer, key)?;
    Ok((name.get(..name_len).ok_or(Error::BufferTooSmall)?, key.get(..key_len).ok_or(Error::BufferTooSmall)?))
}

fn build<S: Signer + ?Sized>(
    params: &CertParams<'_>,
    name: &[u8],
    key: &[u8],
    issuer: Option<&Certificate<'_>>,
    signer: &S,
) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; CERT_CAPACITY];
    let n = write_certificate(params, name, key, issuer, signer, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

impl<S: Signer> Ca<S> {
    /// Creates a self-signed root CA valid from `not_before` to `not_after`.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a bad subject, [`Error::Signing`] when the key fails.
    pub fn root(
        subject: &Subject<'_>,
        signer: S,
        not_before: Time,
        not_after: Time,
        path_len: Option<u8>,
    ) -> Result<Self> {
        let (mut name, mut key) = ([0u8; 512], [0u8; 128]);
        let (name, key) = name_and_key(subject, &signer, &mut name, &mut key)?;
        let serial = serial_for(&[name, key, &not_before.unix().to_be_bytes()]);
        let params = CertParams::new(&serial, not_before, not_after, CertProfile::Ca { path_len });
        let cert = build(&params, name, key, None, &signer)?;
        Ok(Self { cert, signer })
    }

    /// Creates an intermediate CA whose key is `signer`, certified by `parent`.
    ///
    /// # Errors
    /// As [`Ca::root`].
    pub fn intermediate<P: Signer>(
        subject: &Subject<'_>,
        signer: S,
        parent: &Ca<P>,
        not_before: Time,
        not_after: Time,
        path_len: Option<u8>,
    ) -> Result<Self> {
        let (mut name, mut key) = ([0u8; 512], [0u8; 128]);
        let (name, key) = name_and_key(subject, &signer, &mut name, &mut key)?;
        let parent_cert = parent.certificate()?;
        let serial = serial_for(&[parent.certificate_der(), name, key, &not_before.unix().to_be_bytes()]);
        let params = CertParams::new(&serial, not_before, not_after, CertProfile::Ca { path_len });
        let cert = build(&params, name, key, Some(&parent_cert), &parent.signer)?;
        Ok(Self { cert, signer })
    }

    /// A CA from its DER certificate and its key, checking that they belong together.
    ///
    /// # Errors
    /// [`Error::Der`] / [`Error::Malformed`] for a bad certificate, [`Error::WrongBinding`] when
    /// the key is not the certificate's, [`Error::IssuerNotCa`] when it is not a CA certificate.
    pub fn from_parts(cert_der: Vec<u8>, signer: S) -> Result<Self> {
        let mut key = [0u8; 128];
        let key_len = public_key_der(&signer, &mut key)?;
        {
            let cert = Certificate::from_der(&cert_der)?;
            if Some(cert.public_key.raw) != key.get(..key_len) {
                return Err(Error::WrongBinding("the key is not the certificate's"));
            }
            if !cert.is_ca() {
                return Err(Error::IssuerNotCa);
            }
        }
        Ok(Self { cert: cert_der, signer })
    }

    /// The CA certificate, DER.
    #[must_use]
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert
    }

    /// The CA certificate, parsed.
    ///
    /// # Errors
    /// Never for a CA built by this type; [`Error::Der`] otherwise.
    pub fn certificate(&self) -> Result<Certificate<'_>> {
        Certificate::from_der(&self.cert)
    }

    /// The CA's key.
    #[must_use]
    pub fn signer(&self) -> &S {
        &self.signer
    }

    /// Issues an IEEE 802.1AR DevID certificate for the key and subject of `csr_der`, after
    /// checking the CSR's signature (proof of possession) and that its subject names the device
    /// by serialNumber.
    ///
    /// # Errors
    /// [`Error::BadSignature`] when the CSR's proof of possession fails,
    /// [`Error::Profile`] when its subject has no serialNumber, [`Error::Der`] for a bad CSR.
    pub fn issue_devid(&self, csr_der: &[u8], not_before: Time, not_after: Time) -> Result<Vec<u8>> {
        let csr = Csr::from_der(csr_der)?;
        csr.verify()?;
        if csr.subject.serial_number().is_none() {
            return Err(Error::Profile { profile: "devid", rule: "the subject must carry serialNumber" });
        }
        let issuer = self.certificate()?;
        let serial = serial_for(&[&self.cert, csr_der, &not_before.unix().to_be_bytes()]);
        let params = CertParams::new(&serial, not_before, not_after, CertProfile::DevId);
        build(&params, csr.subject.raw, csr.public_key.raw, Some(&issuer), &self.signer)
    }

    /// Issues CRL number `number` listing `revoked`, valid from `this_update` to `next_update`.
    ///
    /// # Errors
    /// As [`write_crl`](crate::crl::write_crl).
    pub fn crl(
        &self,
        number: u64,
        this_update: Time,
        next_update: Time,
        revoked: &[crate::crl::Revoked<'_>],
    ) -> Result<Vec<u8>> {
        let issuer = self.certificate()?;
        let params = crate::crl::CrlParams::new(number, this_update, next_update, revoked);
        // about 40 bytes per entry beyond a certificate's worth of header and signature
        let capacity = revoked.len().saturating_mul(48).saturating_add(CERT_CAPACITY);
        let mut buf = vec![0u8; capacity];
        let n = crate::crl::write_crl(&params, &issuer, &self.signer, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }
}
