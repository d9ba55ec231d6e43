//! FIDO Device Onboard ownership vouchers (FDO 1.1, protocol version 101): parse and verify.
//!
//! A voucher hands a device from its manufacturer down a chain of owners:
//!
//! ```text
//! OwnershipVoucher = [101, bstr .cbor OVHeader, OVHeaderHMac, OVDevCertChain / null, [+ OVEntry]]
//! OVHeader         = [101, GUID (16 B), RendezvousInfo, DeviceInfo (tstr), ManufacturerPubKey,
//!                     OVDevCertChainHash / null]
//! OVEntry          = COSE_Sign1 over [HashPrevEntry, HashHdrInfo, Extra, NextOwnerPubKey]
//! ```
//!
//! [`Voucher::verify`] checks, with no allocator: entry 0 is signed by the manufacturer key in
//! the header and each later entry by the key in the entry before it; every `HashPrevEntry`
//! (entry 0: over the header's CBOR and the HMAC's encoding; later: over the whole previous
//! entry) and every `HashHdrInfo` (over GUID || DeviceInfo) matches, compared in constant time;
//! every owner key has the manufacturer key's type; the device certificate chain matches its
//! hash in the header. It yields the final owner's key. The header HMAC needs the device's
//! secret and is the device's check in TO2, not the verifier's.
//!
//! FDO 1.0 vouchers (protocol 100, header inline) are refused with
//! [`Error::UnsupportedProtocol`]. Supported keys: SECP256R1 (type 10) as X.509 SPKI (encoding 1)
//! or an X5CHAIN (encoding 2) signing ES256; hashes SHA-256 (-16) and SHA-384 (-43).
//!
//! ```
//! use iot_identity::fdo::Voucher;
//! # fn main() -> Result<(), iot_identity::Error> {
//! # let bytes: &[u8] = &[];
//! for voucher in Voucher::decode_all(bytes) {
//!     let verified = voucher?.verify()?;
//!     println!("device {:02x?} now belongs to {} bytes of owner key", verified.guid, verified.owner_key.body.len());
//! }
//! # Ok(())
//! # }
//! ```

use iot_cose::cbor::{Decoder, Type};
use sha2::{Digest as _, Sha256, Sha384};
use subtle::ConstantTimeEq;

use crate::cert::{Certificate, PublicKeyInfo};
use crate::provision::VerifyKey;
use crate::{Error, Result};

/// The protocol version this module reads (FDO 1.1).
pub const PROTOCOL_1_1: u64 = 101;
/// The most entries (owner hand-offs) a voucher may carry.
pub const MAX_ENTRIES: usize = 64;
/// CBOR nesting allowed when skipping over fields this module does not interpret.
const MAX_DEPTH: usize = 16;

/// COSE hash algorithm ids FDO uses.
const SHA256: i64 = -16;
const SHA384: i64 = -43;
/// FDO public key type SECP256R1 and encodings X509 / X5CHAIN.
const KEY_SECP256R1: u64 = 10;
const ENC_X509: u64 = 1;
const ENC_X5CHAIN: u64 = 2;

fn cbor<T>(r: core::result::Result<T, iot_cose::cbor::DecodeError>) -> Result<T> {
    r.map_err(|e| Error::Cose(e.into()))
}

/// A public key as FDO carries it: `[type, encoding, body]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FdoKey<'a> {
    /// Key type (10 = SECP256R1, 11 = SECP384R1, RSA types below 10).
    pub key_type: u64,
    /// Encoding (1 = X.509 SubjectPublicKeyInfo, 2 = COSE X5CHAIN, 3 = COSE_Key).
    pub encoding: u64,
    /// The encoded key (the DER SPKI for X.509; the raw CBOR array for X5CHAIN).
    pub body: &'a [u8],
}

impl<'a> FdoKey<'a> {
    fn decode(d: &mut Decoder<'a>) -> Result<Self> {
        if cbor(d.array())? != 3 {
            return Err(Error::Malformed("fdo public key"));
        }
        let key_type = cbor(d.uint())?;
        let encoding = cbor(d.uint())?;
        let body = match encoding {
            ENC_X5CHAIN => cbor(d.raw_item(2))?,
            _ => cbor(d.bytes())?,
        };
        Ok(Self { key_type, encoding, body })
    }

    /// The key's SubjectPublicKeyInfo (for X5CHAIN, the first certificate's).
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for other encodings; parse errors of the SPKI or
    /// certificate.
    pub fn public_key_info(&self) -> Result<PublicKeyInfo<'a>> {
        match self.encoding {
            ENC_X509 => PublicKeyInfo::from_der(self.body),
            ENC_X5CHAIN => {
                let mut d = Decoder::new(self.body);
                if cbor(d.array())? == 0 {
                    return Err(Error::Malformed("fdo x5chain: empty"));
                }
                Ok(Certificate::from_der(cbor(d.bytes())?)?.public_key)
            }
            _ => Err(Error::UnsupportedAlgorithm),
        }
    }

    fn verify_key(&self) -> Result<VerifyKey> {
        if self.key_type != KEY_SECP256R1 {
            return Err(Error::UnsupportedAlgorithm);
        }
        VerifyKey::from_public_key(&self.public_key_info()?)
    }
}

/// A hash as FDO carries it: `[alg, bytes]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdoHash<'a> {
    /// COSE algorithm id: -16 SHA-256, -43 SHA-384 (HMACs: 5 HMAC-SHA256, 6 HMAC-SHA384).
    pub alg: i64,
    /// The digest.
    pub value: &'a [u8],
}

impl<'a> FdoHash<'a> {
    fn decode(d: &mut Decoder<'a>) -> Result<Self> {
        if cbor(d.array())? != 2 {
            return Err(Error::Malformed("fdo hash"));
        }
        Ok(Self { alg: cbor(d.int())?, value: cbor(d.bytes())? })
    }

    /// Whether this is the hash of the concatenation of `parts`, compared in constant time.
    fn matches(&self, parts: &[&[u8]]) -> Result<bool> {
        let ok = match self.alg {
            SHA256 => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().as_slice().ct_eq(self.value)
            }
            SHA384 => {
                let mut h = Sha384::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().as_slice().ct_eq(self.value)
            }
            _ => return Err(Error::UnsupportedAlgorithm),
        };
        Ok(ok.into())
    }
}

/// A decoded, not yet verified, FDO 1.1 ownership voucher. Everything borrows from the input.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Voucher<'a> {
    /// The whole encoded voucher.
    pub raw: &'a [u8],
    /// The OVHeader's CBOR (the contents of its bstr): what the HMAC and entry 0 cover.
    pub header: &'a [u8],
    /// The device GUID.
    pub guid: [u8; 16],
    /// The rendezvous information (raw CBOR).
    pub rendezvous: &'a [u8],
    /// The device description.
    pub device_info: &'a str,
    /// The manufacturer's key (signs entry 0).
    pub manufacturer_key: FdoKey<'a>,
    /// The hash of the device certificate chain, when the header carries one.
    pub cert_chain_hash: Option<FdoHash<'a>>,
    /// The header HMAC (keyed by the device's secret).
    pub hmac: FdoHash<'a>,
    hmac_raw: &'a [u8],
    /// The device certificate chain (raw CBOR array of bstr), when present.
    pub cert_chain: Option<&'a [u8]>,
    entries: &'a [u8],
    entry_count: usize,
}

/// What [`Voucher::verify`] established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedVoucher<'a> {
    /// The device GUID.
    pub guid: [u8; 16],
    /// The device description.
    pub device_info: &'a str,
    /// How many entries (hand-offs) verified.
    pub entries: usize,
    /// The key of the current owner (the last entry's).
    pub owner_key: FdoKey<'a>,
}

impl<'a> Voucher<'a> {
    /// Decodes one voucher that fills `bytes`.
    ///
    /// # Errors
    /// [`Error::UnsupportedProtocol`] for FDO 1.0 (protocol 100) and any other version,
    /// [`Error::Cose`] / [`Error::Malformed`] for bad structure, [`Error::LimitExceeded`] for more
    /// than [`MAX_ENTRIES`] entries.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(bytes);
        let v = Self::decode_next(&mut d)?;
        cbor(d.finish())?;
        Ok(v)
    }

    /// Decodes every voucher of a concatenation (as fdo-rs writes several to one file).
    pub fn decode_all(bytes: &'a [u8]) -> impl Iterator<Item = Result<Self>> + 'a {
        let mut d = Decoder::new(bytes);
        let mut failed = false;
        core::iter::from_fn(move || {
            if failed || d.is_empty() {
                return None;
            }
            let r = Self::decode_next(&mut d);
            failed = r.is_err();
            Some(r)
        })
    }

    fn decode_next(d: &mut Decoder<'a>) -> Result<Self> {
        let start = d.position();
        let n = cbor(d.array())?;
        // FDO 1.0: [OVHeader inline (an array starting with 100), ...]
        if cbor(d.peek_type())? == Type::Array {
            let mut inner = Decoder::new(d.remaining());
            let _ = cbor(inner.array())?;
            let version = cbor(inner.uint())?;
            return Err(protocol(version));
        }
        let version = cbor(d.uint())?;
        if version != PROTOCOL_1_1 {
            return Err(protocol(version));
        }
        if n != 5 {
            return Err(Error::Malformed("fdo voucher: expected 5 fields"));
        }
        let header = cbor(d.bytes())?;
        let hmac_raw_start = d.position();
        let hmac = FdoHash::decode(d)?;
        let hmac_raw = d.consumed_since(hmac_raw_start);
        let cert_chain = if cbor(d.peek_type())? == Type::Null {
            cbor(d.null())?;
            None
        } else {
            let raw = cbor(d.raw_item(2))?;
            let mut c = Decoder::new(raw);
            let k = cbor(c.array())?;
            for _ in 0..k {
                cbor(c.bytes())?;
            }
            Some(raw)
        };
        let entries = cbor(d.raw_item(MAX_DEPTH))?;
        let mut e = Decoder::new(entries);
        let entry_count = usize::try_from(cbor(e.array())?).unwrap_or(usize::MAX);
        if entry_count > MAX_ENTRIES {
            return Err(Error::LimitExceeded("fdo voucher entries"));
        }
        let raw = d.consumed_since(start);

        // The header.
        let mut h = Decoder::new(header);
        if cbor(h.array())? != 6 {
            return Err(Error::Malformed("fdo voucher header: expected 6 fields"));
        }
        let hv = cbor(h.uint())?;
        if hv != PROTOCOL_1_1 {
            return Err(protocol(hv));
        }
        let guid = <[u8; 16]>::try_from(cbor(h.bytes())?).map_err(|_| Error::Malformed("fdo guid"))?;
        let rendezvous = cbor(h.raw_item(MAX_DEPTH))?;
        let device_info = cbor(h.str())?;
        let manufacturer_key = FdoKey::decode(&mut h)?;
        let cert_chain_hash = if cbor(h.peek_type())? == Type::Null {
            cbor(h.null())?;
            None
        } else {
            Some(FdoHash::decode(&mut h)?)
        };
        cbor(h.finish())?;
        Ok(Self {
            raw,
            header,
            guid,
            rendezvous,
            device_info,
            manufacturer_key,
            cert_chain_hash,
            hmac,
            hmac_raw,
            cert_chain,
            entries,
            entry_count,
        })
    }

    /// The number of entries.
    #[must_use]
    pub fn entry_count(&self) -> usize {
        self.entry_count
    }

    /// The device certificates (DER), leaf first.
    pub fn device_certificates(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut d = Decoder::new(self.cert_chain.unwrap_or(&[0x80]));
        let n = d.array().unwrap_or(0);
        (0..n).map_while(move |_| d.bytes().ok())
    }

    /// Verifies the chain of entries and hashes (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::Malformed`] for a voucher with no entries or a bad entry, [`Error::Cose`] for a
    /// bad signature, [`Error::WrongBinding`] for a hash that does not match,
    /// [`Error::UnsupportedAlgorithm`] for keys or hashes this module does not verify.
    pub fn verify(&self) -> Result<VerifiedVoucher<'a>> {
        if self.entry_count == 0 {
            return Err(Error::Malformed("fdo voucher without entries"));
        }
        if let (Some(hash), Some(chain)) = (self.cert_chain_hash, self.cert_chain) {
            // FDO 1.1: the hash of the certificates' concatenation. Early fdo-rs vouchers hashed
            // the X5Chain array's encoding instead; both bind the same certificates.
            let mut parts: [&[u8]; 8] = [&[]; 8];
            let mut n = 0usize;
            for cert in self.device_certificates() {
                *parts.get_mut(n).ok_or(Error::LimitExceeded("fdo device certificates"))? = cert;
                n = n.saturating_add(1);
            }
            let concatenation = parts.get(..n).unwrap_or(&[]);
            if !hash.matches(concatenation)? && !hash.matches(&[chain])? {
                return Err(Error::WrongBinding("fdo device certificate chain hash"));
            }
        } else if self.cert_chain_hash.is_some() != self.cert_chain.is_some() {
            return Err(Error::WrongBinding("fdo device certificate chain without its hash"));
        }

        let mut d = Decoder::new(self.entries);
        let _ = cbor(d.array())?;
        let mut key = self.manufacturer_key;
        let mut prev: &[u8] = &[];
        for i in 0..self.entry_count {
            let entry = cbor(d.raw_item(MAX_DEPTH))?;
            let verified = key.verify_key()?.verify_sign1(entry)?;
            let payload = verified.payload().ok_or(Error::Malformed("fdo entry: detached payload"))?;
            let mut p = Decoder::new(payload);
            if cbor(p.array())? != 4 {
                return Err(Error::Malformed("fdo entry: expected 4 fields"));
            }
            let hash_prev = FdoHash::decode(&mut p)?;
            let hash_hdr = FdoHash::decode(&mut p)?;
            cbor(p.skip(MAX_DEPTH))?; // OVEExtra
            let next = FdoKey::decode(&mut p)?;
            cbor(p.finish())?;
            let prev_ok =
                if i == 0 { hash_prev.matches(&[self.header, self.hmac_raw])? } else { hash_prev.matches(&[prev])? };
            if !prev_ok {
                return Err(Error::WrongBinding("fdo entry: HashPrevEntry"));
            }
            if !hash_hdr.matches(&[&self.guid, self.device_info.as_bytes()])? {
                return Err(Error::WrongBinding("fdo entry: HashHdrInfo"));
            }
            if next.key_type != self.manufacturer_key.key_type {
                return Err(Error::WrongBinding("fdo entry: owner key of another type"));
            }
            key = next;
            prev = entry;
        }
        cbor(d.finish())?;
        Ok(VerifiedVoucher {
            guid: self.guid,
            device_info: self.device_info,
            entries: self.entry_count,
            owner_key: key,
        })
    }
}

fn protocol(version: u64) -> Error {
    Error::UnsupportedProtocol {
        major: u8::try_from(version / 100).unwrap_or(u8::MAX),
        minor: u8::try_from(version % 100).unwrap_or(u8::MAX),
    }
}
