//! Claiming a device with proof of physical possession.
//!
//! At the factory a random **claim code** is printed on the device's label (or in its QR code)
//! and the device keeps only its hash ([`code_hash`]). To claim the device for an account, the
//! owner presents the code to the cloud; the cloud sends the device a one-time challenge naming
//! the account; the device answers ([`respond`]) with a COSE_Sign1, signed by its DevID key,
//! over the challenge, the account, its serial number and
//! `HMAC-SHA-256(key = code hash, "iot-identity claim v1" || nonce || account || serial)`.
//! The cloud ([`verify_response`], or [`Claims`] which also keeps the challenges and counts
//! failures) recomputes the HMAC from the code the owner presented and checks both:
//!
//! - the signature (with the DevID key of a certificate the caller validated) proves the answer
//!   comes from that device;
//! - the HMAC proves the owner's code is the one on that device's label, so only someone who saw
//!   the device (or its box) can claim it;
//! - the nonce and the account are signed, so an answer cannot be replayed or moved to another
//!   account.
//!
//! The device needs no allocator: [`respond`] writes into a caller buffer.
//!
//! ```
//! # #[cfg(all(feature = "p256", feature = "std"))] {
//! use iot_identity::claim::{Challenge, code_hash, respond, verify_response};
//! use iot_identity::iot_cose::p256::ecdsa::SigningKey;
//! use iot_identity::provision::VerifyKey;
//!
//! let code = "7KQ2-M9XW-4T8B-ZR1D-6HVN-3CPA-XY";
//! let device_key = SigningKey::from_slice(&[7; 32]).unwrap();
//! let stored = code_hash(code).unwrap(); // kept on the device at the factory
//!
//! let challenge = Challenge { nonce: [1; 16], account: "acct-42" };
//! let mut buf = [0u8; 256];
//! let n = respond(&stored, &challenge, "SN-1", &device_key, &mut buf).unwrap();
//!
//! let key = VerifyKey::P256(*device_key.verifying_key());
//! let proof = verify_response(&buf[..n], &key, code, &challenge).unwrap();
//! assert_eq!(proof.serial, "SN-1");
//! assert!(verify_response(&buf[..n], &key, "7KQ2-M9XW-4T8B-ZR1D-6HVN-3CPA-XZ", &challenge).is_err());
//! # }
//! ```

use hmac::{KeyInit, Mac};
use iot_cose::cbor::{Decoder, Encoder, SliceWriter};
use iot_cose::{CoseSigner, Sign1Builder};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::provision::VerifyKey;
use crate::{Error, Result};

/// Domain separation for the code hash and the binding.
const CONTEXT: &[u8] = b"iot-identity claim v1";
/// Crockford base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The longest account name accepted.
pub const MAX_ACCOUNT: usize = 128;

/// A claim challenge: a one-time nonce and the account that claims the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// 16 random bytes, used once.
    pub nonce: [u8; 16],
    /// The account claiming the device.
    pub account: &'a str,
}

/// What a verified claim response establishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClaimProof<'a> {
    /// The serial number the device signed.
    pub serial: &'a str,
    /// The account it was claimed for.
    pub account: &'a str,
}

/// Encodes 16 random bytes as a claim code: 26 Crockford base32 characters in groups of four
/// (`XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX`), for a label or a QR code.
#[must_use]
pub fn format_code(random: &[u8; 16]) -> [u8; 32] {
    let mut out = [b'-'; 32];
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut chars = 0usize;
    let mut push = |v: u32, chars: &mut usize| {
        let pos = chars.saturating_add(*chars / 4);
        if let (Some(slot), Some(c)) = (out.get_mut(pos), ALPHABET.get(usize::try_from(v & 31).unwrap_or(0))) {
            *slot = *c;
        }
        *chars = chars.saturating_add(1);
    };
    for b in random {
        acc = (acc << 8) | u32::from(*b);
        bits = bits.saturating_add(8);
        while bits >= 5 {
            bits = bits.saturating_sub(5);
            push(acc >> bits, &mut chars);
        }
    }
    if bits > 0 {
        push(acc << (5u32.saturating_sub(bits)), &mut chars);
    }
    out
}

/// A new random claim code (see [`format_code`]).
///
/// # Errors
/// [`Error::NotUsable`] when the OS RNG fails.
#[cfg(feature = "std")]
pub fn generate_code() -> Result<alloc::string::String> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|_| Error::NotUsable("os rng"))?;
    let code = format_code(&random);
    Ok(code.iter().map(|b| char::from(*b)).collect())
}

/// The hash a device stores for its claim code: SHA-256 over the context and the code
/// normalised (dashes and spaces dropped, upper case, Crockford's O -> 0 and I/L -> 1).
///
/// # Errors
/// [`Error::Malformed`] when the code has other characters or fewer than 26 symbols.
pub fn code_hash(code: &str) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(CONTEXT);
    let mut n = 0usize;
    for c in code.bytes() {
        let c = match c.to_ascii_uppercase() {
            b'-' | b' ' => continue,
            b'O' => b'0',
            b'I' | b'L' => b'1',
            c if ALPHABET.contains(&c) => c,
            _ => return Err(Error::Malformed("claim code character")),
        };
        h.update([c]);
        n = n.saturating_add(1);
    }
    if n < 26 {
        return Err(Error::Malformed("claim code shorter than 26 symbols"));
    }
    Ok(h.finalize().into())
}

fn binding(code_hash: &[u8; 32], challenge: &Challenge<'_>, serial: &str) -> Result<[u8; 32]> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(code_hash).map_err(|_| Error::Malformed("claim key"))?;
    mac.update(CONTEXT);
    mac.update(&challenge.nonce);
    for part in [challenge.account.as_bytes(), serial.as_bytes()] {
        let len = u16::try_from(part.len()).map_err(|_| Error::Malformed("claim field length"))?;
        mac.update(&len.to_be_bytes());
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
}

/// The device's answer to a claim challenge, signed by its DevID key, written into `buf`;
/// returns its length. About 150 bytes plus the account and serial.
///
/// # Errors
/// [`Error::Malformed`] for an account longer than [`MAX_ACCOUNT`], [`Error::BufferTooSmall`],
/// [`Error::Cose`] when the signer fails.
pub fn respond<S: CoseSigner + ?Sized>(
    code_hash: &[u8; 32],
    challenge: &Challenge<'_>,
    serial: &str,
    signer: &S,
    buf: &mut [u8],
) -> Result<usize> {
    if challenge.account.len() > MAX_ACCOUNT || serial.len() > MAX_ACCOUNT {
        return Err(Error::Malformed("claim account or serial too long"));
    }
    let mac = binding(code_hash, challenge, serial)?;
    let mut payload = [0u8; 2 * MAX_ACCOUNT + 96];
    let mut w = SliceWriter::new(&mut payload);
    let mut e = Encoder::new(&mut w);
    e.map(4)
        .and_then(|e| e.uint(1)?.bytes(&challenge.nonce)?.uint(2)?.str(challenge.account))
        .and_then(|e| e.uint(3)?.str(serial)?.uint(4)?.bytes(&mac))
        .map_err(|_| Error::BufferTooSmall)?;
    let n = w.len();
    let payload = payload.get(..n).ok_or(Error::BufferTooSmall)?;
    Ok(Sign1Builder::new(payload).sign_into(signer, buf)?)
}

/// Verifies a claim response with the device's key (from a DevID certificate the caller has
/// validated), against the code the owner presented and the challenge the cloud sent.
///
/// # Errors
/// [`Error::Cose`] for a bad message or signature, [`Error::Malformed`] for a bad payload or
/// code, [`Error::WrongBinding`] for another nonce or account, or a code that is not the
/// device's.
pub fn verify_response<'m>(
    response: &'m [u8],
    device_key: &VerifyKey,
    code: &str,
    challenge: &Challenge<'_>,
) -> Result<ClaimProof<'m>> {
    let verified = device_key.verify_sign1(response)?;
    let payload = verified.payload().ok_or(Error::Malformed("claim: detached payload"))?;
    let mut d = Decoder::new(payload);
    let cose = iot_cose::Error::from;
    if d.map().map_err(cose)? != 4 {
        return Err(Error::Malformed("claim payload"));
    }
    field(&mut d, 1)?;
    let nonce = d.bytes().map_err(cose)?;
    field(&mut d, 2)?;
    let account = d.str().map_err(cose)?;
    field(&mut d, 3)?;
    let serial = d.str().map_err(cose)?;
    field(&mut d, 4)?;
    let mac = d.bytes().map_err(cose)?;
    d.finish().map_err(cose)?;
    if nonce != challenge.nonce || account != challenge.account {
        return Err(Error::WrongBinding("claim answers another challenge"));
    }
    let expected = binding(&code_hash(code)?, challenge, serial)?;
    if !bool::from(expected.as_slice().ct_eq(mac)) {
        return Err(Error::WrongBinding("claim code is not the device's"));
    }
    Ok(ClaimProof { serial, account })
}

fn field(d: &mut Decoder<'_>, key: u64) -> Result<()> {
    if d.uint().map_err(iot_cose::Error::from)? == key { Ok(()) } else { Err(Error::Malformed("claim payload")) }
}

#[cfg(feature = "alloc")]
pub use ledger::{CHALLENGE_SECS, Claims, MAX_FAILURES};

#[cfg(feature = "alloc")]
mod ledger {
    use alloc::collections::BTreeMap;
    use alloc::string::{String, ToString};

    use super::{Challenge, ClaimProof, verify_response};
    use crate::provision::VerifyKey;
    use crate::{Certificate, Error, Result, Time};

    /// Failed attempts after which a device refuses further claims until [`Claims::unlock`].
    pub const MAX_FAILURES: u32 = 5;
    /// How long a challenge stays valid.
    pub const CHALLENGE_SECS: i64 = 300;

    #[derive(Debug)]
    struct Pending {
        serial: String,
        account: String,
        expires: Time,
    }

    /// The cloud's claim state: outstanding challenges (one-time, expiring), failures per device
    /// (a device locks after [`MAX_FAILURES`] wrong codes, so a code cannot be guessed online),
    /// and which account owns which device.
    #[derive(Debug, Default)]
    pub struct Claims {
        pending: BTreeMap<[u8; 16], Pending>,
        failures: BTreeMap<String, u32>,
        owners: BTreeMap<String, String>,
    }

    impl Claims {
        /// An empty ledger.
        #[must_use]
        pub fn new() -> Self {
            Self::default()
        }

        /// Opens a challenge for `account` to claim device `serial`; `nonce` must be fresh random
        /// bytes. Send the returned challenge to the device.
        ///
        /// # Errors
        /// [`Error::NotUsable`] when the device is locked or already owned.
        pub fn challenge(&mut self, serial: &str, account: &str, nonce: [u8; 16], now: Time) -> Result<()> {
            if self.failures.get(serial).is_some_and(|f| *f >= MAX_FAILURES) {
                return Err(Error::NotUsable("device locked after failed claims"));
            }
            if self.owners.contains_key(serial) {
                return Err(Error::NotUsable("device already claimed"));
            }
            self.pending.retain(|_, p| p.expires > now);
            let pending = Pending {
                serial: serial.to_string(),
                account: account.to_string(),
                expires: Time(now.0.saturating_add(CHALLENGE_SECS)),
            };
            self.pending.insert(nonce, pending);
            Ok(())
        }

        /// Completes a claim: the device's `response` to the challenge `nonce`, the code the owner
        /// presented and the device's DevID certificate (already validated by the caller). The
        /// challenge is consumed whatever the outcome; a wrong code counts as a failure.
        ///
        /// # Errors
        /// [`Error::NotUsable`] for an unknown, used or expired challenge or a locked device;
        /// [`Error::WrongBinding`] when the certificate is not the challenged device's, and
        /// the errors of [`verify_response`].
        pub fn complete(
            &mut self,
            nonce: [u8; 16],
            response: &[u8],
            device_cert: &Certificate<'_>,
            code: &str,
            now: Time,
        ) -> Result<String> {
            let p = self.pending.remove(&nonce).ok_or(Error::NotUsable("unknown or used challenge"))?;
            if now >= p.expires {
                return Err(Error::NotUsable("challenge expired"));
            }
            if device_cert.subject.serial_number() != Some(p.serial.as_str()) {
                return Err(Error::WrongBinding("certificate of another device"));
            }
            if self.failures.get(&p.serial).is_some_and(|f| *f >= MAX_FAILURES) {
                return Err(Error::NotUsable("device locked after failed claims"));
            }
            let key = VerifyKey::from_public_key(&device_cert.public_key)?;
            let challenge = Challenge { nonce, account: &p.account };
            let result = verify_response(response, &key, code, &challenge).and_then(|proof: ClaimProof<'_>| {
                if proof.serial == p.serial { Ok(()) } else { Err(Error::WrongBinding("response from another device")) }
            });
            match result {
                Ok(()) => {
                    self.failures.remove(&p.serial);
                    self.owners.insert(p.serial.clone(), p.account.clone());
                    Ok(p.account)
                }
                Err(e) => {
                    let f = self.failures.entry(p.serial).or_insert(0);
                    *f = f.saturating_add(1);
                    Err(e)
                }
            }
        }

        /// The account that owns `serial`, if claimed.
        #[must_use]
        pub fn owner(&self, serial: &str) -> Option<&str> {
            self.owners.get(serial).map(String::as_str)
        }

        /// Releases a device (ownership transfer, factory reset): it can be claimed again.
        pub fn release(&mut self, serial: &str) {
            self.owners.remove(serial);
        }

        /// Clears a device's failure count (after support has checked the owner).
        pub fn unlock(&mut self, serial: &str) {
            self.failures.remove(serial);
        }
    }
}
