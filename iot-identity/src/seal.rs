//! Sealed credential storage for the device: `#![no_std]`, no allocator.
//!
//! A credential (an LDevID private key, a provisioning token, a claim code hash) is kept in
//! ordinary flash encrypted and authenticated with XChaCha20-Poly1305 under a key that exists
//! only while it is used: HKDF-SHA-256 (RFC 5869) derives it from the platform's
//! hardware-unique secret (an OTP/eFuse key, a PUF output, a secure element's derived secret),
//! the credential's **label** and a **version** counter. So a blob
//!
//! - opens only on the device whose secret sealed it,
//! - opens only under its own label (a sealed Wi-Fi password cannot be presented as the device
//!   key),
//! - opens only at the version it was sealed at: when the platform advances its monotonic
//!   counter (after a credential rotation, an ownership transfer or a factory reset), every
//!   blob sealed before no longer opens, so an attacker who restores an old flash image does
//!   not get old credentials back.
//!
//! The 24-byte XChaCha nonce is large enough to be drawn at random for every seal; it must
//! never repeat for the same secret, label and version, and a random draw makes that certain.
//!
//! Blob layout (all integers big-endian), [`OVERHEAD`] = 45 bytes plus the plaintext:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | format, [`FORMAT_V1`] = 1 |
//! | 1 | 4 | version counter at sealing |
//! | 5 | 24 | nonce |
//! | 29 | n | ciphertext |
//! | 29 + n | 16 | Poly1305 tag |
//!
//! Key derivation: `PRK = HKDF-Extract(salt = "iot-identity seal v1", IKM = secret)`,
//! `key = HKDF-Expand(PRK, info = u16 label length || label || u32 version, 32)`; the
//! associated data is the 5-byte header (the label is bound through the key).
//!
//! ```
//! use iot_identity::seal::{Sealer, OVERHEAD};
//!
//! # fn main() -> Result<(), iot_identity::Error> {
//! let sealer = Sealer::new(&[0x5a; 32])?; // the platform's hardware-unique secret
//! let nonce = [7u8; 24]; // from the device's RNG
//! let mut blob = [0u8; 32 + OVERHEAD];
//! let sealed = sealer.seal(b"ldevid-key", 3, &nonce, &[0x42; 32], &mut blob)?;
//!
//! let mut plain = [0u8; 32];
//! assert_eq!(sealer.open(b"ldevid-key", 3, sealed, &mut plain)?, &[0x42; 32]);
//! // another label, or the counter advanced: the blob does not open
//! assert!(sealer.open(b"wifi-psk", 3, sealed, &mut plain).is_err());
//! assert!(sealer.open(b"ldevid-key", 4, sealed, &mut plain).is_err());
//! # Ok(())
//! # }
//! ```

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The blob format this module writes and reads.
pub const FORMAT_V1: u8 = 1;
/// Bytes a sealed blob adds to its plaintext: header (5), nonce (24), tag (16).
pub const OVERHEAD: usize = HEADER + NONCE + TAG;
/// The shortest hardware-unique secret accepted (128 bits).
pub const MIN_SECRET: usize = 16;
/// The longest label accepted.
pub const MAX_LABEL: usize = 255;

const HEADER: usize = 5;
const NONCE: usize = 24;
const TAG: usize = 16;
const SALT: &[u8] = b"iot-identity seal v1";

/// Seals and opens credentials under a key derived from a hardware-unique secret.
///
/// Holds only the HKDF pseudo-random key (32 bytes, wiped on drop); per-credential keys are
/// derived for each call and wiped after it. `Debug` shows no key material.
pub struct Sealer {
    hkdf: Hkdf<Sha256>,
}

impl core::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Sealer { .. }")
    }
}

impl Sealer {
    /// A sealer over the platform's hardware-unique secret.
    ///
    /// # Errors
    /// [`Error::WrongBinding`] when the secret is shorter than [`MIN_SECRET`] bytes.
    pub fn new(hardware_secret: &[u8]) -> Result<Self> {
        if hardware_secret.len() < MIN_SECRET {
            return Err(Error::WrongBinding("hardware secret shorter than 16 bytes"));
        }
        Ok(Self { hkdf: Hkdf::<Sha256>::new(Some(SALT), hardware_secret) })
    }

    fn cipher(&self, label: &[u8], version: u32) -> Result<XChaCha20Poly1305> {
        let len = u8::try_from(label.len()).map_err(|_| Error::WrongBinding("label longer than 255 bytes"))?;
        let mut key = Zeroizing::new([0u8; 32]);
        self.hkdf
            .expand_multi_info(&[&[0, len], label, &version.to_be_bytes()], key.as_mut_slice())
            .map_err(|_| Error::WrongBinding("key derivation"))?;
        XChaCha20Poly1305::new_from_slice(key.as_slice()).map_err(|_| Error::WrongBinding("key derivation"))
    }

    /// Seals `plaintext` under `label` at `version` into `out`, returning the blob (the first
    /// `plaintext.len() + OVERHEAD` bytes of `out`).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `out` is too short; [`Error::WrongBinding`] for a label
    /// longer than [`MAX_LABEL`].
    pub fn seal<'o>(
        &self,
        label: &[u8],
        version: u32,
        nonce: &[u8; NONCE],
        plaintext: &[u8],
        out: &'o mut [u8],
    ) -> Result<&'o [u8]> {
        let cipher = self.cipher(label, version)?;
        let total = plaintext.len().checked_add(OVERHEAD).ok_or(Error::BufferTooSmall)?;
        let out = out.get_mut(..total).ok_or(Error::BufferTooSmall)?;
        let (head, rest) = out.split_at_mut(HEADER);
        let (nonce_out, rest) = rest.split_at_mut(NONCE);
        let (body, tag_out) = rest.split_at_mut(plaintext.len());
        head.copy_from_slice(&header(version));
        nonce_out.copy_from_slice(nonce);
        body.copy_from_slice(plaintext);
        let tag = cipher
            .encrypt_inout_detached(&XNonce::from(*nonce), &aad_buf(head)?, body.into())
            .map_err(|_| Error::BufferTooSmall)?;
        tag_out.copy_from_slice(&tag);
        Ok(out)
    }

    /// Opens a blob sealed under `label` at the platform's current `version`, writing the
    /// plaintext into `out` and returning it.
    ///
    /// # Errors
    /// - [`Error::Malformed`] when the blob is shorter than [`OVERHEAD`] or not [`FORMAT_V1`];
    /// - [`Error::NotUsable`] when it was sealed at another version (the counter moved on, or
    ///   an old blob was restored);
    /// - [`Error::WrongBinding`] when it does not authenticate: another device's secret,
    ///   another label, or a modified blob (the cases are indistinguishable by design);
    /// - [`Error::BufferTooSmall`] when `out` is shorter than the plaintext.
    ///
    /// On any error `out` holds no plaintext.
    pub fn open<'o>(&self, label: &[u8], version: u32, blob: &[u8], out: &'o mut [u8]) -> Result<&'o [u8]> {
        let (head, nonce, body, tag) = split(blob)?;
        check_header(head, version)?;
        let cipher = self.cipher(label, version)?;
        let out = out.get_mut(..body.len()).ok_or(Error::BufferTooSmall)?;
        out.copy_from_slice(body);
        let result =
            cipher.decrypt_inout_detached(&XNonce::from(*nonce), &aad_buf(head)?, (&mut *out).into(), &Tag::from(*tag));
        if result.is_err() {
            out.fill(0);
            return Err(Error::WrongBinding("sealed credential does not authenticate"));
        }
        Ok(out)
    }

    /// Like [`open`](Self::open), decrypting in the blob's own buffer (no second buffer: the
    /// RAM a device needs is the blob). Returns the plaintext, a sub-slice of `blob`; on error
    /// the ciphertext area is wiped.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_in_place<'b>(&self, label: &[u8], version: u32, blob: &'b mut [u8]) -> Result<&'b [u8]> {
        let (head, nonce, body, tag) = split(blob)?;
        check_header(head, version)?;
        let aad = aad_buf(head)?;
        let nonce = XNonce::from(*nonce);
        let tag = Tag::from(*tag);
        let body_len = body.len();
        let cipher = self.cipher(label, version)?;
        let body = blob
            .get_mut(HEADER.saturating_add(NONCE)..)
            .and_then(|b| b.get_mut(..body_len))
            .ok_or(Error::Malformed("sealed credential"))?;
        if cipher.decrypt_inout_detached(&nonce, &aad, (&mut *body).into(), &tag).is_err() {
            body.fill(0);
            return Err(Error::WrongBinding("sealed credential does not authenticate"));
        }
        Ok(body)
    }
}

/// The version counter a blob was sealed at, read without opening it (for storage that keeps
/// several generations).
///
/// # Errors
/// [`Error::Malformed`] when it is not a [`FORMAT_V1`] blob.
pub fn sealed_version(blob: &[u8]) -> Result<u32> {
    let (head, ..) = split(blob)?;
    let (format, version) = parse_header(head)?;
    if format != FORMAT_V1 {
        return Err(Error::Malformed("sealed credential format"));
    }
    Ok(version)
}

fn header(version: u32) -> [u8; HEADER] {
    let v = version.to_be_bytes();
    [FORMAT_V1, v[0], v[1], v[2], v[3]]
}

fn parse_header(head: &[u8]) -> Result<(u8, u32)> {
    match *head {
        [format, a, b, c, d] => Ok((format, u32::from_be_bytes([a, b, c, d]))),
        _ => Err(Error::Malformed("sealed credential")),
    }
}

fn check_header(head: &[u8], version: u32) -> Result<()> {
    let (format, sealed) = parse_header(head)?;
    if format != FORMAT_V1 {
        return Err(Error::Malformed("sealed credential format"));
    }
    if sealed != version {
        return Err(Error::NotUsable("sealed at another version"));
    }
    Ok(())
}

/// The associated data is the header alone: the label is bound through the key derivation.
fn aad_buf(head: &[u8]) -> Result<[u8; HEADER]> {
    head.try_into().map_err(|_| Error::Malformed("sealed credential"))
}

type Parts<'a> = (&'a [u8], &'a [u8; NONCE], &'a [u8], &'a [u8; TAG]);

fn split(blob: &[u8]) -> Result<Parts<'_>> {
    let body_len = blob.len().checked_sub(OVERHEAD).ok_or(Error::Malformed("sealed credential too short"))?;
    let (head, rest) = blob.split_at_checked(HEADER).ok_or(Error::Malformed("sealed credential"))?;
    let (nonce, rest) = rest.split_at_checked(NONCE).ok_or(Error::Malformed("sealed credential"))?;
    let (body, tag) = rest.split_at_checked(body_len).ok_or(Error::Malformed("sealed credential"))?;
    let nonce = nonce.try_into().map_err(|_| Error::Malformed("sealed credential"))?;
    let tag = tag.try_into().map_err(|_| Error::Malformed("sealed credential"))?;
    Ok((head, nonce, body, tag))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    #[test]
    fn header_is_authenticated() {
        let s = Sealer::new(&[1; 32]).unwrap();
        let mut blob = [0u8; 4 + OVERHEAD];
        s.seal(b"l", 9, &[3; 24], b"abcd", &mut blob).unwrap();
        let mut out = [0u8; 4];
        assert_eq!(s.open(b"l", 9, &blob, &mut out).unwrap(), b"abcd");
        // format byte
        let mut bad = blob;
        bad[0] = 2;
        assert!(matches!(s.open(b"l", 9, &bad, &mut out), Err(Error::Malformed(_))));
        // every byte after the header: nonce, ciphertext, tag
        for i in HEADER..blob.len() {
            let mut bad = blob;
            bad[i] ^= 0x80;
            assert!(matches!(s.open(b"l", 9, &bad, &mut out), Err(Error::WrongBinding(_))), "byte {i}");
            assert_eq!(out, [0; 4]);
        }
    }
}
