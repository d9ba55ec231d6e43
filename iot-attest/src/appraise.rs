//! Appraisal: verified evidence against reference values, producing an AR4SI trust vector and
//! an EAR status (RFC 9334 section 8; RFC 9783 section 8.1 for the PSA mapping).

use crate::claims::{Claims, DebugStatus, Lifecycle};
use crate::ear::{Appraisal, TrustVector, tv};
use crate::error::{Error, Result};
use alloc::string::{String, ToString as _};
use alloc::vec::Vec;
use serde_json::Value;
use subtle::ConstantTimeEq as _;

/// Reference values for one component (matched by name; a reference without a name matches
/// any component).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferenceComponent {
    /// Component name (PSA measurement type / measured component name).
    pub name: Option<String>,
    /// Accepted measurements (digests).
    pub measurements: Vec<Vec<u8>>,
    /// Accepted signer ids: a component signed by one of them is accepted when `measurements`
    /// is empty (the signer endorses every release).
    pub signer_ids: Vec<Vec<u8>>,
    /// Lowest accepted version (dotted numbers, compared numerically).
    pub min_version: Option<String>,
    /// Measurements known to be bad: contraindicated.
    pub denied: Vec<Vec<u8>>,
    /// Whether evidence without this component is unrecognized.
    pub required: bool,
}

/// What the verifier accepts for a class of devices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferenceValues {
    /// Name of the attester in the EAR `submods` (default `"device"`).
    pub name: String,
    /// Policy id written into the EAR.
    pub policy_id: Option<String>,
    /// Accepted PSA implementation ids (hardware); empty means no hardware claim is made.
    pub implementation_ids: Vec<Vec<u8>>,
    /// Accepted `hwmodel` values; empty means none is checked.
    pub hwmodels: Vec<Vec<u8>>,
    /// Reference values per component.
    pub components: Vec<ReferenceComponent>,
    /// Whether components with no reference are tolerated (default no: unrecognized).
    pub allow_unknown_components: bool,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    hex::decode(s).ok()
}

fn hex_list(v: Option<&Value>, what: &'static str) -> Result<Vec<Vec<u8>>> {
    let bad = Error::Invalid { what: "reference values", problem: what };
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().and_then(unhex).ok_or(Error::Invalid { what: "reference values", problem: what }))
            .collect(),
        Some(Value::String(s)) => Ok(alloc::vec![unhex(s).ok_or(bad)?]),
        Some(_) => Err(bad),
    }
}

impl ReferenceValues {
    /// Reads the JSON form (documented in the crate README):
    ///
    /// ```json
    /// { "name": "device", "policy_id": "fleet-a/v3",
    ///   "implementation_ids": ["<hex>"], "hwmodels": ["<hex>"],
    ///   "allow_unknown_components": false,
    ///   "components": [ { "name": "BL2", "measurements": ["<hex>"], "signer_ids": ["<hex>"],
    ///                     "min_version": "1.2.0", "denied": ["<hex>"], "required": true } ] }
    /// ```
    ///
    /// # Errors
    /// [`Error::Invalid`] for malformed JSON or a field of the wrong type.
    pub fn from_json(text: &str) -> Result<Self> {
        let v: Value =
            serde_json::from_str(text).map_err(|_| Error::Invalid { what: "reference values", problem: "not JSON" })?;
        let o = v.as_object().ok_or(Error::Invalid { what: "reference values", problem: "must be an object" })?;
        let mut r = Self {
            name: o.get("name").and_then(Value::as_str).unwrap_or("device").to_string(),
            policy_id: o.get("policy_id").and_then(Value::as_str).map(str::to_string),
            implementation_ids: hex_list(o.get("implementation_ids"), "implementation_ids must be hex strings")?,
            hwmodels: hex_list(o.get("hwmodels"), "hwmodels must be hex strings")?,
            components: Vec::new(),
            allow_unknown_components: o.get("allow_unknown_components").and_then(Value::as_bool).unwrap_or(false),
        };
        if let Some(cs) = o.get("components") {
            let cs = cs
                .as_array()
                .ok_or(Error::Invalid { what: "reference values", problem: "components must be an array" })?;
            for c in cs {
                let c = c
                    .as_object()
                    .ok_or(Error::Invalid { what: "reference values", problem: "a component must be an object" })?;
                r.components.push(ReferenceComponent {
                    name: c.get("name").and_then(Value::as_str).map(str::to_string),
                    measurements: hex_list(c.get("measurements"), "measurements must be hex strings")?,
                    signer_ids: hex_list(c.get("signer_ids"), "signer_ids must be hex strings")?,
                    min_version: c.get("min_version").and_then(Value::as_str).map(str::to_string),
                    denied: hex_list(c.get("denied"), "denied must be hex strings")?,
                    required: c.get("required").and_then(Value::as_bool).unwrap_or(false),
                });
            }
        }
        Ok(r)
    }

    fn policy_ids(&self) -> Vec<String> {
        self.policy_id.iter().cloned().collect()
    }

    /// Appraises verified claims (the signature or MAC already checked, so instance-identity is
    /// affirmed) into an [`Appraisal`]: the worst trust claim sets the status.
    #[must_use]
    pub fn appraise(&self, claims: &Claims<'_>) -> Appraisal {
        let mut v = TrustVector { instance_identity: Some(tv::INSTANCE_RECOGNIZED), ..TrustVector::default() };
        v.hardware = self.hardware(claims);
        v.configuration = configuration(claims);
        v.executables = self.executables(claims);
        Appraisal::new(v, self.policy_ids())
    }

    /// The appraisal of evidence that failed verification.
    #[must_use]
    pub fn failed(&self) -> Appraisal {
        Appraisal::crypto_failed(self.policy_ids())
    }

    fn hardware(&self, c: &Claims<'_>) -> Option<i8> {
        let mut verdict = None;
        if !self.implementation_ids.is_empty() {
            let ok = c.implementation_id.is_some_and(|id| contains(&self.implementation_ids, id));
            verdict = Some(if ok { tv::HW_GENUINE } else { tv::HW_UNRECOGNIZED });
        }
        if !self.hwmodels.is_empty() {
            let ok = c.hwmodel.is_some_and(|m| contains(&self.hwmodels, m));
            let this = if ok { tv::HW_GENUINE } else { tv::HW_UNRECOGNIZED };
            verdict = Some(verdict.map_or(this, |v: i8| worst(v, this)));
        }
        verdict
    }

    fn executables(&self, c: &Claims<'_>) -> Option<i8> {
        if self.components.is_empty() {
            return None;
        }
        let mut verdict = tv::EXEC_APPROVED_RUNTIME;
        let mut seen = alloc::vec![false; self.components.len()];
        let mut any = false;
        for comp in c.components() {
            any = true;
            let refs: Vec<usize> = self
                .components
                .iter()
                .enumerate()
                .filter(|(_, r)| r.name.is_none() || r.name.as_deref() == comp.name)
                .map(|(i, _)| i)
                .collect();
            if refs.is_empty() {
                if !self.allow_unknown_components {
                    verdict = worst(verdict, tv::EXEC_UNRECOGNIZED);
                }
                continue;
            }
            let mut best: Option<i8> = None;
            for i in refs {
                let Some(r) = self.components.get(i) else { continue };
                let this = judge(r, comp.measurement, comp.signer_id, comp.version);
                if let Some(s) = seen.get_mut(i) {
                    *s |= this != tv::EXEC_UNRECOGNIZED;
                }
                best = Some(best.map_or(this, |b: i8| if severity(this) < severity(b) { this } else { b }));
            }
            verdict = worst(verdict, best.unwrap_or(tv::EXEC_UNRECOGNIZED));
        }
        if !any {
            return Some(tv::EXEC_UNRECOGNIZED);
        }
        for (r, s) in self.components.iter().zip(&seen) {
            if r.required && !s {
                verdict = worst(verdict, tv::EXEC_UNRECOGNIZED);
            }
        }
        Some(verdict)
    }
}

/// The verdict for one component against one reference.
fn judge(r: &ReferenceComponent, measurement: &[u8], signer: Option<&[u8]>, version: Option<&str>) -> i8 {
    if contains(&r.denied, measurement) {
        return tv::EXEC_CONTRAINDICATED;
    }
    let by_measurement = contains(&r.measurements, measurement);
    let by_signer = r.measurements.is_empty() && signer.is_some_and(|s| contains(&r.signer_ids, s));
    let signer_ok = r.signer_ids.is_empty() || signer.is_some_and(|s| contains(&r.signer_ids, s));
    if !(by_measurement || by_signer) || !signer_ok {
        return tv::EXEC_UNRECOGNIZED;
    }
    if let Some(min) = &r.min_version {
        if !version.is_some_and(|v| version_at_least(v, min)) {
            return tv::EXEC_VULNERABLE;
        }
    }
    tv::EXEC_APPROVED_RUNTIME
}

/// Compares dotted numeric versions (`1.10.0` > `1.9.3`); a non-numeric part compares as text.
#[must_use]
pub fn version_at_least(v: &str, min: &str) -> bool {
    let mut a = v.split(['.', '-', '+']);
    let mut b = min.split(['.', '-', '+']);
    loop {
        match (a.next(), b.next()) {
            (_, None) => return true,
            (None, Some(y)) => return y.chars().all(|c| c == '0'),
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q),
                    _ => x.cmp(y),
                };
                match ord {
                    core::cmp::Ordering::Greater => return true,
                    core::cmp::Ordering::Less => return false,
                    core::cmp::Ordering::Equal => {}
                }
            }
        }
    }
}

fn configuration(c: &Claims<'_>) -> Option<i8> {
    let dbg = c.dbgstat.map(|d| if d == DebugStatus::Enabled { tv::CONFIG_UNSAFE } else { tv::CONFIG_APPROVED });
    let life = c.lifecycle_state().map(|l| match l {
        Lifecycle::Secured => tv::CONFIG_APPROVED,
        Lifecycle::Decommissioned | Lifecycle::Unknown => tv::CONFIG_UNACCEPTABLE,
        _ => tv::CONFIG_UNSAFE,
    });
    match (dbg, life) {
        (Some(a), Some(b)) => Some(worst(a, b)),
        (a, b) => a.or(b),
    }
}

fn contains(list: &[Vec<u8>], v: &[u8]) -> bool {
    list.iter().fold(false, |f, x| f | bool::from(x.as_slice().ct_eq(v)))
}

fn severity(v: i8) -> crate::ear::Status {
    crate::ear::Status::of(v)
}

fn worst(a: i8, b: i8) -> i8 {
    if severity(b) > severity(a) { b } else { a }
}
