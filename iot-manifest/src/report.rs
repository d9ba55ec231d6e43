//! SUIT reports (draft-ietf-suit-report-22): what the processor did, for the party that sent
//! the manifest.
//!
//! ```text
//! SUIT_Report = {
//!   suit-reference (99) => [manifest-uri: tstr, manifest-digest: SUIT_Digest],
//!   ? suit-report-nonce (2) => bstr,
//!   suit-report-records (3) => [* SUIT_Record],
//!   suit-report-result (4) => true / {
//!     suit-report-result-code (5) => int,
//!     suit-report-result-record (6) => SUIT_Record,
//!     suit-report-result-reason (7) => SUIT_Report_Reasons },
//! }
//! SUIT_Record = [manifest-id: [* uint], manifest-section: int, section-offset: uint,
//!                component-index: uint, properties: SUIT_Parameters]
//! ```
//!
//! On the device (no allocator): a [`Recorder`] receives the processor's records through
//! [`Platform::record`](crate::Platform::record) and keeps those the commands' reporting policy
//! asks for (bit 0: send the record on success, bit 1: on failure) plus the record of the failure,
//! in a fixed array; [`write_report`] writes the SUIT_Report into a caller buffer, and
//! [`sign_report`] wraps it in a COSE_Sign1 (`application/suit-report+cose`) with any `iot-cose`
//! signer. In the cloud ([`Report::decode`], [`Report::verify`]) the report is checked and read
//! back. The manifest id is `[]` (the root manifest); the shared sequence is reported as section 3
//! (`suit-common`, where it lives); records carry no properties.

#[cfg(feature = "alloc")]
use iot_cose::cbor::{Decoder, Type};
use iot_cose::cbor::{Encoder, SliceWriter};
use iot_cose::{CoseSigner, Sign1Builder};

use crate::codes::Section;
use crate::digest::SuitDigest;
use crate::error::{Error, Result};
use crate::processor::{Outcome, Record};

const REFERENCE: u64 = 99;
const NONCE: u64 = 2;
const RECORDS: u64 = 3;
const RESULT: u64 = 4;
const RESULT_CODE: u64 = 5;
const RESULT_RECORD: u64 = 6;
const RESULT_REASON: u64 = 7;
/// `suit-common`, where the shared sequence lives.
const COMMON: u64 = 3;
/// Reporting-policy bit: send the record when the command succeeds.
pub const SEND_RECORD_SUCCESS: u8 = 1;
/// Reporting-policy bit: send the record when the command fails.
pub const SEND_RECORD_FAILURE: u8 = 2;
/// The reason code for success.
pub const REASON_OK: u8 = 0;
/// The highest reason code the draft defines (invoke-pending).
pub const MAX_REASON: u8 = 12;

/// Keeps the records a report will carry, in a fixed array of `N`.
#[derive(Debug, Clone)]
pub struct Recorder<const N: usize> {
    kept: [Option<Record>; N],
    len: usize,
    dropped: usize,
    failure: Option<Record>,
}

impl<const N: usize> Default for Recorder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Recorder<N> {
    /// An empty recorder.
    #[must_use]
    pub const fn new() -> Self {
        Self { kept: [None; N], len: 0, dropped: 0, failure: None }
    }

    /// Takes one record: kept when its command's reporting policy asks for it; a failure is
    /// always remembered as the report's result record.
    pub fn record(&mut self, r: &Record) {
        let wanted = match r.outcome {
            Outcome::Success => r.policy & SEND_RECORD_SUCCESS != 0,
            Outcome::Failure(_) => {
                self.failure = Some(*r);
                r.policy & SEND_RECORD_FAILURE != 0
            }
        };
        if !wanted {
            return;
        }
        match self.kept.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(*r);
                self.len = self.len.saturating_add(1);
            }
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    /// The kept records, in order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.kept.iter().take(self.len).flatten()
    }

    /// Records the policy asked for that did not fit.
    #[must_use]
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The record of the command that failed, if one did.
    #[must_use]
    pub fn failure(&self) -> Option<&Record> {
        self.failure.as_ref()
    }
}

fn section_key(s: Section) -> u64 {
    s.key().unwrap_or(COMMON)
}

fn write_record<W: iot_cose::cbor::Write>(
    e: &mut Encoder<W>,
    r: Option<&Record>,
) -> core::result::Result<(), iot_cose::cbor::BufferTooSmall> {
    let (section, offset, component) = match r {
        Some(r) => (section_key(r.section), r.offset, r.component),
        None => (0, 0, 0),
    };
    e.array(5)?.array(0)?.uint(section)?;
    e.uint(u64::try_from(offset).unwrap_or(u64::MAX))?.uint(u64::try_from(component).unwrap_or(u64::MAX))?;
    e.map(0)?;
    Ok(())
}

/// Writes a SUIT_Report for the manifest at `uri` with `digest`, the records `recorder` kept and
/// the outcome of processing (`Err` with the error that stopped it) into `buf`; returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`].
pub fn write_report<const N: usize>(
    uri: &str,
    digest: &SuitDigest<'_>,
    nonce: Option<&[u8]>,
    recorder: &Recorder<N>,
    outcome: core::result::Result<(), &Error>,
    buf: &mut [u8],
) -> Result<usize> {
    let mut w = SliceWriter::new(buf);
    let mut e = Encoder::new(&mut w);
    let entries = if nonce.is_some() { 4 } else { 3 };
    let r = (|| {
        e.map(entries)?;
        if let Some(n) = nonce {
            e.uint(NONCE)?.bytes(n)?;
        }
        e.uint(RECORDS)?.array(recorder.len)?;
        for rec in recorder.records() {
            write_record(&mut e, Some(rec))?;
        }
        e.uint(RESULT)?;
        match outcome {
            Ok(()) => {
                e.bool(true)?;
            }
            Err(err) => {
                let reason = err.report_reason();
                e.map(3)?.uint(RESULT_CODE)?.int(i64::from(reason))?;
                e.uint(RESULT_RECORD)?;
                write_record(&mut e, recorder.failure())?;
                e.uint(RESULT_REASON)?.uint(u64::from(reason))?;
            }
        }
        e.uint(REFERENCE)?.array(2)?.str(uri)?;
        e.array(2)?.int(digest.alg)?.bytes(digest.bytes)?;
        Ok::<(), iot_cose::cbor::BufferTooSmall>(())
    })();
    r.map_err(|_| Error::BufferTooSmall)?;
    Ok(w.len())
}

/// Signs a SUIT_Report (from [`write_report`]) as a COSE_Sign1 into `buf`; returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`], or the signer's failure as [`Error::Signing`].
pub fn sign_report<S: CoseSigner + ?Sized>(report: &[u8], signer: &S, buf: &mut [u8]) -> Result<usize> {
    Sign1Builder::new(report).sign_into(signer, buf).map_err(|e| match e {
        iot_cose::Error::BufferTooSmall(_) => Error::BufferTooSmall,
        other => Error::Signing(other),
    })
}

/// One decoded SUIT_Record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportRecord {
    /// The manifest section key (3 for the shared sequence in `suit-common`).
    pub section: u64,
    /// Byte offset of the command in the section.
    pub offset: u64,
    /// The component index.
    pub component: u64,
}

/// The result of processing as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportResult {
    /// Success (`true`).
    Success,
    /// Failure.
    Failure {
        /// suit-report-result-code.
        code: i64,
        /// Where it failed.
        record: ReportRecord,
        /// The draft's reason code.
        reason: u8,
    },
}

/// A decoded SUIT_Report (cloud side).
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report<'a> {
    /// The manifest URI.
    pub uri: &'a str,
    /// The manifest digest.
    pub digest: SuitDigest<'a>,
    /// The nonce, when present.
    pub nonce: Option<&'a [u8]>,
    /// The records.
    pub records: alloc::vec::Vec<ReportRecord>,
    /// The result.
    pub result: ReportResult,
}

#[cfg(feature = "alloc")]
fn cbor<T>(r: core::result::Result<T, iot_cose::cbor::DecodeError>) -> Result<T> {
    r.map_err(|_| Error::Malformed { what: "SUIT report" })
}

#[cfg(feature = "alloc")]
fn read_record(d: &mut Decoder<'_>) -> Result<ReportRecord> {
    if cbor(d.array())? != 5 {
        return Err(Error::Malformed { what: "SUIT_Record" });
    }
    let ids = cbor(d.array())?;
    if ids > 16 {
        return Err(Error::Malformed { what: "SUIT_Record manifest id" });
    }
    for _ in 0..ids {
        cbor(d.uint())?;
    }
    let section = u64::try_from(cbor(d.int())?).map_err(|_| Error::Malformed { what: "SUIT_Record section" })?;
    let offset = cbor(d.uint())?;
    let component = cbor(d.uint())?;
    if cbor(d.peek_type())? != Type::Map {
        return Err(Error::Malformed { what: "SUIT_Record properties" });
    }
    cbor(d.skip(8))?;
    Ok(ReportRecord { section, offset, component })
}

#[cfg(feature = "alloc")]
impl<'a> Report<'a> {
    /// Decodes a SUIT_Report (unsigned; see [`Report::verify`]).
    ///
    /// # Errors
    /// [`Error::Malformed`] for anything that is not the structure above (duplicate or missing
    /// members, a reason outside the draft's codes), [`Error::LimitExceeded`] past 256 records.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(bytes);
        let n = cbor(d.map())?;
        if n > 8 {
            return Err(Error::Malformed { what: "SUIT report" });
        }
        let (mut reference, mut nonce, mut records, mut result) = (None, None, None, None);
        for _ in 0..n {
            let key = cbor(d.uint())?;
            let dup = match key {
                REFERENCE => reference.is_some(),
                NONCE => nonce.is_some(),
                RECORDS => records.is_some(),
                RESULT => result.is_some(),
                _ => false,
            };
            if dup {
                return Err(Error::Malformed { what: "SUIT report: duplicate member" });
            }
            match key {
                REFERENCE => {
                    if cbor(d.array())? != 2 {
                        return Err(Error::Malformed { what: "SUIT_Reference" });
                    }
                    let uri = cbor(d.str())?;
                    if cbor(d.array())? != 2 {
                        return Err(Error::Malformed { what: "SUIT_Digest" });
                    }
                    let alg = cbor(d.int())?;
                    let bytes = cbor(d.bytes())?;
                    reference = Some((uri, SuitDigest { alg, bytes }));
                }
                NONCE => nonce = Some(cbor(d.bytes())?),
                RECORDS => {
                    let k = cbor(d.array())?;
                    if k > 256 {
                        return Err(Error::LimitExceeded { what: "SUIT report records", limit: 256 });
                    }
                    let mut v = alloc::vec::Vec::new();
                    for _ in 0..k {
                        v.push(read_record(&mut d)?);
                    }
                    records = Some(v);
                }
                RESULT => {
                    result = Some(if cbor(d.peek_type())? == Type::Bool {
                        if !cbor(d.bool())? {
                            return Err(Error::Malformed { what: "SUIT report result" });
                        }
                        ReportResult::Success
                    } else {
                        if cbor(d.map())? != 3 {
                            return Err(Error::Malformed { what: "SUIT report result" });
                        }
                        let (mut code, mut record, mut reason) = (None, None, None);
                        for _ in 0..3 {
                            match cbor(d.uint())? {
                                RESULT_CODE if code.is_none() => code = Some(cbor(d.int())?),
                                RESULT_RECORD if record.is_none() => record = Some(read_record(&mut d)?),
                                RESULT_REASON if reason.is_none() => {
                                    reason = Some(
                                        u8::try_from(cbor(d.uint())?)
                                            .ok()
                                            .filter(|r| *r <= MAX_REASON)
                                            .ok_or(Error::Malformed { what: "SUIT report reason" })?,
                                    );
                                }
                                _ => return Err(Error::Malformed { what: "SUIT report result" }),
                            }
                        }
                        match (code, record, reason) {
                            (Some(code), Some(record), Some(reason)) => ReportResult::Failure { code, record, reason },
                            _ => return Err(Error::Malformed { what: "SUIT report result" }),
                        }
                    });
                }
                _ => cbor(d.skip(16))?,
            }
        }
        cbor(d.finish())?;
        let (uri, digest) = reference.ok_or(Error::Malformed { what: "SUIT report: suit-reference missing" })?;
        Ok(Self {
            uri,
            digest,
            nonce,
            records: records.ok_or(Error::Malformed { what: "SUIT report: records missing" })?,
            result: result.ok_or(Error::Malformed { what: "SUIT report: result missing" })?,
        })
    }

    /// Verifies a signed report (COSE_Sign1) with the device's key and decodes it.
    #[cfg(any(feature = "p256", feature = "ed25519"))]
    ///
    /// # Errors
    /// [`Error::Authentication`] for a bad signature or message, then as [`Report::decode`].
    pub fn verify(signed: &'a [u8], key: &iot_cose::PublicKey) -> Result<Self> {
        let msg = iot_cose::CoseSign1::decode(signed).map_err(Error::Authentication)?;
        let v =
            key.verify_sign1(&msg, None, &[], &iot_cose::VerifyOptions::default()).map_err(Error::Authentication)?;
        Self::decode(v.payload().ok_or(Error::Malformed { what: "SUIT report: detached" })?)
    }
}
