//! The measured-boot log: what each boot stage measured, in order, and a hash-extend register
//! over it (the way a TPM PCR accumulates measurements).

use crate::error::{Error, Result};
use sha2::{Digest as _, Sha256};

/// One measured component: what was loaded, which version, who signed it, and its SHA-256.
///
/// `name` and `version` borrow from the caller (typically strings in the boot stage's flash or
/// in the image header), so the log needs no allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement<'a> {
    /// Component name, stable across releases (PSA "measurement type", e.g. `"BL2"`, `"NSPE"`).
    pub name: &'a str,
    /// Version string (empty when unknown).
    pub version: &'a str,
    /// Hash of the key that signed the component (PSA "signer id"); all zeros when unsigned.
    pub signer_id: [u8; 32],
    /// SHA-256 of the component as loaded.
    pub value: [u8; 32],
}

impl<'a> Measurement<'a> {
    /// Measures `image`: its SHA-256 becomes [`Measurement::value`].
    #[must_use]
    pub fn of(name: &'a str, version: &'a str, signer_id: [u8; 32], image: &[u8]) -> Self {
        Self { name, version, signer_id, value: Sha256::digest(image).into() }
    }
}

/// A fixed-capacity measured-boot log of up to `N` components with an extend register.
///
/// Each [`MeasuredBoot::record`] appends the entry and sets `register = SHA-256(register ||
/// value)`, starting from 32 zero bytes, so the register commits to every measurement and its
/// order. A verifier replays the log with [`MeasuredBoot::replay`] and compares.
///
/// ```
/// use iot_attest::{MeasuredBoot, Measurement};
///
/// let mut log: MeasuredBoot<'_, 4> = MeasuredBoot::new();
/// log.record(Measurement::of("BL2", "1.0.0", [0; 32], b"bootloader image"))?;
/// log.record(Measurement::of("app", "2.1.0", [7; 32], b"application image"))?;
/// assert_eq!(log.len(), 2);
/// assert_eq!(MeasuredBoot::<4>::replay(log.entries()), *log.register());
/// # Ok::<(), iot_attest::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MeasuredBoot<'a, const N: usize> {
    entries: [Option<Measurement<'a>>; N],
    len: usize,
    register: [u8; 32],
}

impl<const N: usize> Default for MeasuredBoot<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, const N: usize> MeasuredBoot<'a, N> {
    /// An empty log with a zero register.
    #[must_use]
    pub const fn new() -> Self {
        Self { entries: [None; N], len: 0, register: [0; 32] }
    }

    /// Appends a measurement and extends the register.
    ///
    /// # Errors
    /// [`Error::Full`] when `N` entries are already recorded (the register is not extended).
    pub fn record(&mut self, m: Measurement<'a>) -> Result<()> {
        let slot = self.entries.get_mut(self.len).ok_or(Error::Full("measured-boot log"))?;
        *slot = Some(m);
        self.len = self.len.saturating_add(1);
        self.register = extend(&self.register, &m.value);
        Ok(())
    }

    /// The recorded measurements, in boot order.
    pub fn entries(&self) -> impl Iterator<Item = &Measurement<'a>> + '_ {
        self.entries.iter().flatten()
    }

    /// How many measurements are recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The extend register: SHA-256 chained over every value in order.
    #[must_use]
    pub fn register(&self) -> &[u8; 32] {
        &self.register
    }

    /// Recomputes the register a log would produce (for the verifier's side).
    #[must_use]
    pub fn replay<'m>(entries: impl IntoIterator<Item = &'m Measurement<'m>>) -> [u8; 32] {
        entries.into_iter().fold([0; 32], |r, m| extend(&r, &m.value))
    }
}

/// `SHA-256(register || value)`.
#[must_use]
pub fn extend(register: &[u8; 32], value: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(register);
    h.update(value);
    h.finalize().into()
}
