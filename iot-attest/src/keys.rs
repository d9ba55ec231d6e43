//! Claim keys (CBOR map labels) from the CWT, EAT and PSA registries.
//!
//! Values are from RFC 8392 section 4, RFC 9711 section 4 (IANA "CBOR Web Token Claims") and RFC
//! 9783 section 4; the legacy PSA keys from RFC 9783 section 4.6 (`PSA_IOT_PROFILE_1`).

/// CWT `iss` (RFC 8392).
pub const ISS: i64 = 1;
/// CWT `sub`.
pub const SUB: i64 = 2;
/// CWT `aud`.
pub const AUD: i64 = 3;
/// CWT `exp`.
pub const EXP: i64 = 4;
/// CWT `nbf`.
pub const NBF: i64 = 5;
/// CWT `iat` (RFC 9711 section 4.3.1: integer only).
pub const IAT: i64 = 6;
/// CWT `cti`.
pub const CTI: i64 = 7;
/// `eat_nonce` (RFC 9711 section 4.1).
pub const NONCE: i64 = 10;
/// `ueid` (4.2.1).
pub const UEID: i64 = 256;
/// `sueids` (4.2.2).
pub const SUEIDS: i64 = 257;
/// `oemid` (4.2.3).
pub const OEMID: i64 = 258;
/// `hwmodel` (4.2.4).
pub const HWMODEL: i64 = 259;
/// `hwversion` (4.2.5).
pub const HWVERSION: i64 = 260;
/// `uptime` (4.2.11).
pub const UPTIME: i64 = 261;
/// `oemboot` (4.2.8).
pub const OEMBOOT: i64 = 262;
/// `dbgstat` (4.2.9).
pub const DBGSTAT: i64 = 263;
/// `location` (4.2.10).
pub const LOCATION: i64 = 264;
/// `eat_profile` (4.3.2).
pub const PROFILE: i64 = 265;
/// `submods` (4.2.18).
pub const SUBMODS: i64 = 266;
/// `bootcount` (4.2.12).
pub const BOOTCOUNT: i64 = 267;
/// `bootseed` (4.2.13).
pub const BOOTSEED: i64 = 268;
/// `dloas` (4.2.14).
pub const DLOAS: i64 = 269;
/// `swname` (4.2.6).
pub const SWNAME: i64 = 270;
/// `swversion` (4.2.7).
pub const SWVERSION: i64 = 271;
/// `manifests` (4.2.15).
pub const MANIFESTS: i64 = 272;
/// `measurements` (4.2.16).
pub const MEASUREMENTS: i64 = 273;
/// `measres` (4.2.17).
pub const MEASRES: i64 = 274;
/// `intuse` (4.3.3).
pub const INTUSE: i64 = 275;

/// PSA client id (RFC 9783 section 4.2.1).
pub const PSA_CLIENT_ID: i64 = 2394;
/// PSA security lifecycle (4.3.1).
pub const PSA_LIFECYCLE: i64 = 2395;
/// PSA implementation id (4.2.2).
pub const PSA_IMPLEMENTATION_ID: i64 = 2396;
/// PSA boot seed in draft 09 and earlier (`http://arm.com/psa/2.0.0`); RFC 9783 uses [`BOOTSEED`].
pub const PSA_BOOT_SEED_V2: i64 = 2397;
/// PSA certification reference (4.2.3).
pub const PSA_CERTIFICATION_REFERENCE: i64 = 2398;
/// PSA software components (4.4.1).
pub const PSA_SW_COMPONENTS: i64 = 2399;
/// PSA verification service indicator (4.5.1).
pub const PSA_VSI: i64 = 2400;

/// Legacy `PSA_IOT_PROFILE_1` keys (RFC 9783 section 4.6), mapped onto the current ones when decoding.
pub mod legacy {
    /// Profile.
    pub const PROFILE: i64 = -75000;
    /// Client id.
    pub const CLIENT_ID: i64 = -75001;
    /// Security lifecycle.
    pub const LIFECYCLE: i64 = -75002;
    /// Implementation id.
    pub const IMPLEMENTATION_ID: i64 = -75003;
    /// Boot seed.
    pub const BOOT_SEED: i64 = -75004;
    /// Hardware version (certification reference, EAN-13).
    pub const HARDWARE_VERSION: i64 = -75005;
    /// Software components.
    pub const SW_COMPONENTS: i64 = -75006;
    /// "No software measurements" (retired).
    pub const NO_SW_MEASUREMENTS: i64 = -75007;
    /// Challenge (nonce).
    pub const NONCE: i64 = -75008;
    /// Instance id.
    pub const INSTANCE_ID: i64 = -75009;
    /// Verification service indicator.
    pub const VSI: i64 = -75010;
}

/// Keys inside a PSA software component map (RFC 9783 section 4.4.1).
pub mod sw {
    /// Measurement type (tstr).
    pub const MEASUREMENT_TYPE: i64 = 1;
    /// Measurement value (hash).
    pub const MEASUREMENT_VALUE: i64 = 2;
    /// Version (tstr).
    pub const VERSION: i64 = 4;
    /// Signer id (hash).
    pub const SIGNER_ID: i64 = 5;
    /// Measurement description (tstr, usually the hash algorithm name).
    pub const MEASUREMENT_DESC: i64 = 6;
}

/// Keys inside a measured component (draft-ietf-rats-eat-measured-component).
pub mod mc {
    /// `id`: `[name, ? version]`.
    pub const ID: i64 = 1;
    /// `measurement`: `[alg, digest]`.
    pub const MEASUREMENT: i64 = 2;
    /// `authorities` / `signers`: `[+ bstr]`.
    pub const AUTHORITIES: i64 = 3;
    /// `flags`: 8-byte bstr.
    pub const FLAGS: i64 = 4;
    /// Raw measurement (bstr).
    pub const RAW: i64 = 5;
    /// Content format of a measured component in the EAT `measurements` claim. The draft's
    /// `application/measured-component+cbor` number (TBD1) is not assigned by IANA yet, so this
    /// crate writes 65000, the first value of the CoAP experimental range, until it is.
    pub const CONTENT_FORMAT: u64 = 65000;
    /// Named-information hash algorithm id of SHA-256 (IANA "Named Information Hash Algorithm").
    pub const SHA256: i64 = 1;
}

/// EAR and AR4SI keys (draft-ietf-rats-ear, draft-ietf-rats-ar4si).
pub mod ear {
    /// `ear_status`.
    pub const STATUS: i64 = 1000;
    /// `ear_trustworthiness_vector`.
    pub const TRUST_VECTOR: i64 = 1001;
    /// `ear_raw_evidence`.
    pub const RAW_EVIDENCE: i64 = 1002;
    /// `ear_appraisal_policy_ids`.
    pub const POLICY_IDS: i64 = 1003;
    /// `ear_verifier_id`.
    pub const VERIFIER_ID: i64 = 1004;
}
