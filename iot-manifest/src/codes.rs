//! SUIT codepoints (IANA "SUIT" registries, draft-ietf-suit-manifest-34/-37 and the extension drafts).

/// CBOR tag of `SUIT_Envelope_Tagged`.
pub const ENVELOPE_TAG: u64 = 107;
/// CBOR tag of `SUIT_Manifest_Tagged`.
pub const MANIFEST_TAG: u64 = 1070;
/// CBOR tag of a CBOR-PEN relative OID in `vendor-id`.
pub const PEN_TAG: u64 = 112;

/// Envelope member keys.
pub mod envelope {
    /// `suit-authentication-wrapper`.
    pub const AUTHENTICATION: u64 = 2;
    /// `suit-manifest`.
    pub const MANIFEST: u64 = 3;
}

/// Manifest member keys.
pub mod manifest {
    /// `suit-manifest-version`.
    pub const VERSION: u64 = 1;
    /// `suit-manifest-sequence-number`.
    pub const SEQUENCE_NUMBER: u64 = 2;
    /// `suit-common`.
    pub const COMMON: u64 = 3;
    /// `suit-reference-uri`.
    pub const REFERENCE_URI: u64 = 4;
    /// `suit-manifest-component-id` (trust domains).
    pub const MANIFEST_COMPONENT_ID: u64 = 5;
    /// `suit-set-version` (update management).
    pub const SET_VERSION: u64 = 6;
    /// `suit-coswid` (update management, severable).
    pub const COSWID: u64 = 14;
    /// `suit-uninstall` (trust domains).
    pub const UNINSTALL: u64 = 24;
}

/// `SUIT_Common` member keys.
pub mod common {
    /// `suit-dependencies` (trust domains).
    pub const DEPENDENCIES: u64 = 1;
    /// `suit-components`.
    pub const COMPONENTS: u64 = 2;
    /// `suit-shared-sequence`.
    pub const SHARED_SEQUENCE: u64 = 4;
}

/// Condition codepoints.
pub mod condition {
    /// `suit-condition-vendor-identifier`.
    pub const VENDOR_ID: i64 = 1;
    /// `suit-condition-class-identifier`.
    pub const CLASS_ID: i64 = 2;
    /// `suit-condition-image-match`.
    pub const IMAGE_MATCH: i64 = 3;
    /// `suit-condition-use-before` (update management).
    pub const USE_BEFORE: i64 = 4;
    /// `suit-condition-component-slot`.
    pub const COMPONENT_SLOT: i64 = 5;
    /// `suit-condition-check-content`.
    pub const CHECK_CONTENT: i64 = 6;
    /// `suit-condition-dependency-integrity` (trust domains).
    pub const DEPENDENCY_INTEGRITY: i64 = 7;
    /// `suit-condition-is-dependency` (trust domains).
    pub const IS_DEPENDENCY: i64 = 8;
    /// `suit-condition-abort`.
    pub const ABORT: i64 = 14;
    /// `suit-condition-device-identifier`.
    pub const DEVICE_ID: i64 = 24;
    /// `suit-condition-image-not-match` (update management).
    pub const IMAGE_NOT_MATCH: i64 = 25;
    /// `suit-condition-minimum-battery` (update management).
    pub const MINIMUM_BATTERY: i64 = 26;
    /// `suit-condition-update-authorized` (update management).
    pub const UPDATE_AUTHORIZED: i64 = 27;
    /// `suit-condition-version` (update management).
    pub const VERSION: i64 = 28;
}

/// Directive codepoints.
pub mod directive {
    /// `suit-directive-process-dependency` (trust domains).
    pub const PROCESS_DEPENDENCY: i64 = 11;
    /// `suit-directive-set-component-index`.
    pub const SET_COMPONENT_INDEX: i64 = 12;
    /// `suit-directive-try-each`.
    pub const TRY_EACH: i64 = 15;
    /// `suit-directive-write`.
    pub const WRITE: i64 = 18;
    /// `suit-directive-set-parameters` (trust domains; set only what is unset).
    pub const SET_PARAMETERS: i64 = 19;
    /// `suit-directive-override-parameters`.
    pub const OVERRIDE_PARAMETERS: i64 = 20;
    /// `suit-directive-fetch`.
    pub const FETCH: i64 = 21;
    /// `suit-directive-copy`.
    pub const COPY: i64 = 22;
    /// `suit-directive-invoke`.
    pub const INVOKE: i64 = 23;
    /// `suit-directive-wait` (update management).
    pub const WAIT: i64 = 29;
    /// `suit-directive-swap`.
    pub const SWAP: i64 = 31;
    /// `suit-directive-run-sequence`.
    pub const RUN_SEQUENCE: i64 = 32;
    /// `suit-directive-unlink` (trust domains).
    pub const UNLINK: i64 = 33;
    /// `suit-directive-override-multiple` (update management).
    pub const OVERRIDE_MULTIPLE: i64 = 34;
    /// `suit-directive-copy-params` (update management).
    pub const COPY_PARAMS: i64 = 35;
}

/// Parameter codepoints.
pub mod parameter {
    /// `suit-parameter-vendor-identifier`.
    pub const VENDOR_ID: i64 = 1;
    /// `suit-parameter-class-identifier`.
    pub const CLASS_ID: i64 = 2;
    /// `suit-parameter-image-digest`.
    pub const IMAGE_DIGEST: i64 = 3;
    /// `suit-parameter-use-before` (update management).
    pub const USE_BEFORE: i64 = 4;
    /// `suit-parameter-component-slot`.
    pub const COMPONENT_SLOT: i64 = 5;
    /// `suit-parameter-strict-order`.
    pub const STRICT_ORDER: i64 = 12;
    /// `suit-parameter-soft-failure`.
    pub const SOFT_FAILURE: i64 = 13;
    /// `suit-parameter-image-size`.
    pub const IMAGE_SIZE: i64 = 14;
    /// `suit-parameter-content`.
    pub const CONTENT: i64 = 18;
    /// `suit-parameter-encryption-info` (firmware encryption).
    pub const ENCRYPTION_INFO: i64 = 19;
    /// `suit-parameter-uri`.
    pub const URI: i64 = 21;
    /// `suit-parameter-source-component`.
    pub const SOURCE_COMPONENT: i64 = 22;
    /// `suit-parameter-invoke-args`.
    pub const INVOKE_ARGS: i64 = 23;
    /// `suit-parameter-device-identifier`.
    pub const DEVICE_ID: i64 = 24;
    /// `suit-parameter-fetch-arguments`.
    pub const FETCH_ARGS: i64 = 25;
    /// `suit-parameter-minimum-battery` (update management), mWh.
    pub const MINIMUM_BATTERY: i64 = 26;
    /// `suit-parameter-update-priority` (update management).
    pub const UPDATE_PRIORITY: i64 = 27;
    /// `suit-parameter-version` (update management).
    pub const VERSION: i64 = 28;
    /// `suit-parameter-wait-info` (update management).
    pub const WAIT_INFO: i64 = 29;
    /// `suit-parameter-component-metadata` (update management).
    pub const COMPONENT_METADATA: i64 = 30;
}

/// Text map keys.
pub mod text {
    /// `suit-text-manifest-description`.
    pub const MANIFEST_DESCRIPTION: i64 = 1;
    /// `suit-text-update-description`.
    pub const UPDATE_DESCRIPTION: i64 = 2;
    /// `suit-text-manifest-json-source`.
    pub const JSON_SOURCE: i64 = 3;
    /// `suit-text-manifest-yaml-source`.
    pub const YAML_SOURCE: i64 = 4;
    /// `suit-text-vendor-name` (per component).
    pub const VENDOR_NAME: i64 = 1;
    /// `suit-text-model-name` (per component).
    pub const MODEL_NAME: i64 = 2;
    /// `suit-text-vendor-domain` (per component).
    pub const VENDOR_DOMAIN: i64 = 3;
    /// `suit-text-model-info` (per component).
    pub const MODEL_INFO: i64 = 4;
    /// `suit-text-component-description` (per component).
    pub const COMPONENT_DESCRIPTION: i64 = 5;
    /// `suit-text-component-version` (per component).
    pub const COMPONENT_VERSION: i64 = 6;
}

/// Digest algorithm ids (COSE algorithms).
pub mod digest {
    /// SHA-256, the one every processor must implement.
    pub const SHA256: i64 = -16;
    /// SHAKE128.
    pub const SHAKE128: i64 = -18;
    /// SHA-384.
    pub const SHA384: i64 = -43;
    /// SHA-512.
    pub const SHA512: i64 = -44;
    /// SHAKE256.
    pub const SHAKE256: i64 = -45;
}

/// Reporting-policy bits (`SUIT_Rep_Policy`).
pub mod policy {
    /// `suit-send-record-on-success`.
    pub const RECORD_ON_SUCCESS: u8 = 1;
    /// `suit-send-record-on-failure`.
    pub const RECORD_ON_FAILURE: u8 = 2;
    /// `suit-send-sysinfo-success`.
    pub const SYSINFO_SUCCESS: u8 = 4;
    /// `suit-send-sysinfo-failure`.
    pub const SYSINFO_FAILURE: u8 = 8;
}

/// A command sequence of the manifest, named by its member key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Section {
    /// `suit-shared-sequence` in `suit-common` (runs before every other sequence).
    Shared,
    /// `suit-dependency-resolution` (15, trust domains).
    DependencyResolution,
    /// `suit-payload-fetch` (16, severable).
    PayloadFetch,
    /// `suit-candidate-verification` (18, severable, trust domains): checks of the staged
    /// candidate before install.
    CandidateVerification,
    /// `suit-install` (20, severable).
    Install,
    /// `suit-validate` (7).
    Validate,
    /// `suit-load` (8).
    Load,
    /// `suit-invoke` (9).
    Invoke,
    /// `suit-uninstall` (24, trust domains): run by [`Processor::uninstall`](crate::Processor::uninstall).
    Uninstall,
}

impl Section {
    /// Every command sequence that is a manifest member (all but the shared sequence), in the order
    /// the update and then the invocation procedure run them.
    pub const SEQUENCES: [Self; 8] = [
        Self::DependencyResolution,
        Self::PayloadFetch,
        Self::CandidateVerification,
        Self::Install,
        Self::Validate,
        Self::Load,
        Self::Invoke,
        Self::Uninstall,
    ];

    /// The member key in the manifest (`None` for the shared sequence, which lives in common).
    #[must_use]
    pub fn key(self) -> Option<u64> {
        Some(match self {
            Self::Shared => return None,
            Self::DependencyResolution => 15,
            Self::PayloadFetch => 16,
            Self::CandidateVerification => 18,
            Self::Install => 20,
            Self::Validate => 7,
            Self::Load => 8,
            Self::Invoke => 9,
            Self::Uninstall => 24,
        })
    }

    /// The section with member key `key`, if it is a command sequence.
    #[must_use]
    pub fn from_key(key: u64) -> Option<Self> {
        Some(match key {
            15 => Self::DependencyResolution,
            16 => Self::PayloadFetch,
            18 => Self::CandidateVerification,
            20 => Self::Install,
            7 => Self::Validate,
            8 => Self::Load,
            9 => Self::Invoke,
            24 => Self::Uninstall,
            _ => return None,
        })
    }

    /// Whether the member may be severed (replaced by its digest) in the manifest.
    #[must_use]
    pub fn is_severable(self) -> bool {
        matches!(self, Self::DependencyResolution | Self::PayloadFetch | Self::CandidateVerification | Self::Install)
    }

    /// The name used in JSON output and in the spec (`"install"`, `"payload-fetch"`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Shared => "shared-sequence",
            Self::DependencyResolution => "dependency-resolution",
            Self::PayloadFetch => "payload-fetch",
            Self::CandidateVerification => "candidate-verification",
            Self::Install => "install",
            Self::Validate => "validate",
            Self::Load => "load",
            Self::Invoke => "invoke",
            Self::Uninstall => "uninstall",
        }
    }
}

/// Keys of envelope members that the spec and its extensions allow to be severed.
pub const SEVERABLE_KEYS: [u64; 6] = [14, 15, 16, 18, 20, 23];

/// `suit-text` member key.
pub const TEXT: u64 = 23;
