//! Profile rules layered on RFC 5280: IEEE 802.1AR DevID and Matter device attestation.
//!
//! The Matter rules are those of the Matter core specification section 6.2.2 ("Device Attestation
//! Certificate" / "Product Attestation Intermediate"), as the CSA commissioner test vectors exercise
//! them: many of the vectors break only these rules and pass a plain RFC 5280 validator.

use crate::cert::{Certificate, KeyAlgorithm, KeyUsage, Name, SignatureAlgorithm};
use crate::error::{Error, Result};
use crate::oid;

const fn devid(rule: &'static str) -> Error {
    Error::Profile { profile: "devid", rule }
}

const fn matter(rule: &'static str) -> Error {
    Error::Profile { profile: "matter", rule }
}

/// IEEE 802.1AR section 8: a DevID names its device, is not a CA, and its key signs.
pub(crate) fn devid_leaf(leaf: &Certificate<'_>) -> Result<()> {
    if leaf.subject.is_empty() {
        return Err(devid("the subject must not be empty"));
    }
    if leaf.extensions.key_usage.is_some_and(|(ku, _)| !ku.has(KeyUsage::DIGITAL_SIGNATURE)) {
        return Err(devid("keyUsage must include digitalSignature"));
    }
    Ok(())
}

/// The Matter vendor and product ids of a subject: the DN attributes, or the `Mvid:`/`Mpid:` CN
/// fallback encoding.
///
/// # Errors
/// [`Error::Profile`] when an id is present but not four upper-case hex digits.
pub fn matter_ids(name: &Name<'_>) -> Result<(Option<u16>, Option<u16>)> {
    let mut vid = None;
    let mut pid = None;
    for a in name.attributes() {
        match a.oid {
            oid::AT_MATTER_VID => vid = Some(hex4(a.value).ok_or(matter("VendorID attribute is not 4 hex digits"))?),
            oid::AT_MATTER_PID => pid = Some(hex4(a.value).ok_or(matter("ProductID attribute is not 4 hex digits"))?),
            _ => {}
        }
    }
    if let Some(cn) = name.common_name() {
        let cn = cn.as_bytes();
        if vid.is_none() {
            vid = fallback(cn, b"Mvid:")?;
        }
        if pid.is_none() {
            pid = fallback(cn, b"Mpid:")?;
        }
    }
    Ok((vid, pid))
}

fn fallback(cn: &[u8], prefix: &[u8]) -> Result<Option<u16>> {
    let Some(at) = cn.windows(prefix.len()).position(|w| w == prefix) else { return Ok(None) };
    let start = at.saturating_add(prefix.len());
    let digits = cn.get(start..start.saturating_add(4)).ok_or(matter("Mvid/Mpid fallback is not 4 hex digits"))?;
    hex4(digits).map(Some).ok_or(matter("Mvid/Mpid fallback is not 4 hex digits"))
}

fn hex4(v: &[u8]) -> Option<u16> {
    if v.len() != 4 {
        return None;
    }
    v.iter().try_fold(0u16, |acc, c| {
        let d = match c {
            b'0'..=b'9' => c.checked_sub(b'0')?,
            b'A'..=b'F' => c.checked_sub(b'A')?.checked_add(10)?,
            _ => return None,
        };
        acc.checked_mul(16)?.checked_add(u16::from(d))
    })
}

fn matter_common(cert: &Certificate<'_>) -> Result<()> {
    if cert.version != 3 {
        return Err(matter("certificates must be v3"));
    }
    if cert.signature_algorithm != SignatureAlgorithm::EcdsaSha256 {
        return Err(matter("signature must be ecdsa-with-SHA256"));
    }
    if cert.public_key.algorithm != KeyAlgorithm::EcP256 {
        return Err(matter("key must be on prime256v1"));
    }
    if cert.extensions.subject_key_id.is_none() || cert.extensions.authority_key_id.flatten().is_none() {
        return Err(matter("authority and subject key identifiers are required"));
    }
    Ok(())
}

/// The Device Attestation Certificate rules.
pub(crate) fn matter_dac(dac: &Certificate<'_>) -> Result<()> {
    matter_common(dac)?;
    match dac.extensions.basic_constraints {
        Some((bc, true)) if !bc.ca && bc.path_len.is_none() => {}
        _ => return Err(matter("DAC basicConstraints must be critical with cA FALSE and no pathLen")),
    }
    match dac.extensions.key_usage {
        Some((ku, true)) if ku.0 == KeyUsage::DIGITAL_SIGNATURE => {}
        _ => return Err(matter("DAC keyUsage must be critical digitalSignature only")),
    }
    match matter_ids(&dac.subject)? {
        (Some(_), Some(_)) => Ok(()),
        _ => Err(matter("DAC subject must carry VendorID and ProductID")),
    }
}

/// The Product Attestation Intermediate rules (the only intermediate of a Matter path).
pub(crate) fn matter_ca(pai: &Certificate<'_>) -> Result<()> {
    matter_common(pai)?;
    match pai.extensions.basic_constraints {
        Some((bc, true)) if bc.ca && bc.path_len == Some(0) => {}
        _ => return Err(matter("PAI basicConstraints must be critical with cA TRUE and pathLen 0")),
    }
    match pai.extensions.key_usage {
        Some((ku, true)) if ku.0 == KeyUsage::KEY_CERT_SIGN | KeyUsage::CRL_SIGN => {}
        _ => return Err(matter("PAI keyUsage must be critical keyCertSign and cRLSign only")),
    }
    match matter_ids(&pai.subject)? {
        (Some(_), _) => Ok(()),
        _ => Err(matter("PAI subject must carry VendorID")),
    }
}

/// Whole-path rules: exactly PAA -> PAI -> DAC, vendor ids that agree down the path, and a
/// product id in the DAC that matches the PAI's when the PAI names one.
pub(crate) fn matter_chain(
    dac: &Certificate<'_>,
    pai: Option<&Certificate<'_>>,
    paa: &Certificate<'_>,
    depth: usize,
) -> Result<()> {
    let Some(pai) = pai else { return Err(matter("a path is DAC, PAI and PAA")) };
    if depth != 1 {
        return Err(matter("a path is DAC, PAI and PAA"));
    }
    let (dac_vid, dac_pid) = matter_ids(&dac.subject)?;
    let (pai_vid, pai_pid) = matter_ids(&pai.subject)?;
    let (paa_vid, paa_pid) = matter_ids(&paa.subject)?;
    if paa_pid.is_some() {
        return Err(matter("PAA must not carry a ProductID"));
    }
    if dac_vid != pai_vid {
        return Err(matter("DAC and PAI VendorIDs differ"));
    }
    if pai_pid.is_some() && dac_pid != pai_pid {
        return Err(matter("DAC and PAI ProductIDs differ"));
    }
    if paa_vid.is_some() && paa_vid != pai_vid {
        return Err(matter("PAI and PAA VendorIDs differ"));
    }
    Ok(())
}

/// pkcs7-signedData (1.2.840.113549.1.7.2).
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// pkcs7-data (1.2.840.113549.1.7.1).
const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
/// id-sha256 (2.16.840.1.101.3.4.2.1).
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

/// Verifies a Matter Certification Declaration (Matter core specification 6.3.1): a CMS
/// SignedData v3 over pkcs7-data with SHA-256, no signed attributes, one signer identified by the
/// subjectKeyIdentifier of `signer` and signing with ecdsa-with-SHA256. Returns the eContent (the
/// Matter TLV declaration) once the signature verifies.
///
/// # Errors
/// [`Error::Der`] / [`Error::Malformed`] for another structure, [`Error::WrongBinding`] when the
/// signer identifier is not `signer`'s key id, [`Error::BadSignature`].
pub fn verify_certification_declaration<'a>(cms: &'a [u8], signer: &Certificate<'_>) -> Result<&'a [u8]> {
    use crate::der::{Reader, tag};
    let mut outer = Reader::new(cms);
    let (content, signer_info) = outer.nested(tag::SEQUENCE, |ci| {
        if ci.read(tag::OID)? != OID_SIGNED_DATA {
            return Err(matter("Certification Declaration is not CMS SignedData"));
        }
        ci.nested(tag::context(0), |explicit| {
            explicit.nested(tag::SEQUENCE, |sd| {
                if sd.read_u64()? != 3 {
                    return Err(Error::UnsupportedVersion);
                }
                sd.nested(tag::SET, |digests| {
                    digests.nested(tag::SEQUENCE, |alg| {
                        if alg.read(tag::OID)? != OID_SHA256 {
                            return Err(Error::UnsupportedAlgorithm);
                        }
                        alg.read_optional(tag::NULL)?;
                        Ok(())
                    })
                })?;
                let content = sd.nested(tag::SEQUENCE, |eci| {
                    if eci.read(tag::OID)? != OID_DATA {
                        return Err(matter("Certification Declaration content is not pkcs7-data"));
                    }
                    eci.nested(tag::context(0), |c| c.read(tag::OCTET_STRING))
                })?;
                // No certificates or CRLs: the signer is known by its key id.
                let signer_info = sd.nested(tag::SET, |infos| infos.read(tag::SEQUENCE))?;
                Ok((content, signer_info))
            })
        })
    })?;
    outer.finish()?;
    let mut si = Reader::new(signer_info);
    if si.read_u64()? != 3 {
        return Err(Error::UnsupportedVersion);
    }
    let skid = si.read(tag::context_primitive(0))?;
    let digest_alg = si.read(tag::SEQUENCE)?;
    if Reader::new(digest_alg).read(tag::OID)? != OID_SHA256 {
        return Err(Error::UnsupportedAlgorithm);
    }
    if si.peek_tag() == Some(tag::context(0)) {
        return Err(matter("Certification Declaration must not have signed attributes"));
    }
    let sig_alg = SignatureAlgorithm::from_der(si.read(tag::SEQUENCE)?);
    let signature = si.read(tag::OCTET_STRING)?;
    si.finish()?;
    if Some(skid) != signer.extensions.subject_key_id {
        return Err(Error::WrongBinding("the declaration's signer is not the given certificate"));
    }
    if sig_alg != SignatureAlgorithm::EcdsaSha256 {
        return Err(Error::UnsupportedAlgorithm);
    }
    crate::sig::verify_signature(sig_alg, &signer.public_key, content, signature)?;
    Ok(content)
}
