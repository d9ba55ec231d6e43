//! Object identifiers this crate reads and writes, as DER contents octets.

/// ecdsa-with-SHA256 (1.2.840.10045.4.3.2, RFC 5758).
pub const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
/// ecdsa-with-SHA384 (1.2.840.10045.4.3.3).
pub const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
/// id-ecPublicKey (1.2.840.10045.2.1, RFC 5480).
pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / secp256r1 (1.2.840.10045.3.1.7).
pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 (1.3.132.0.34).
pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// id-Ed25519 (1.3.101.112, RFC 8410).
pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// rsaEncryption (1.2.840.113549.1.1.1).
pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// sha256WithRSAEncryption (1.2.840.113549.1.1.11).
pub const RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
/// sha384WithRSAEncryption (1.2.840.113549.1.1.12).
pub const RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
/// sha512WithRSAEncryption (1.2.840.113549.1.1.13).
pub const RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];

/// subjectKeyIdentifier (2.5.29.14).
pub const EXT_SKI: &[u8] = &[0x55, 0x1d, 0x0e];
/// keyUsage (2.5.29.15).
pub const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
/// subjectAltName (2.5.29.17).
pub const EXT_SAN: &[u8] = &[0x55, 0x1d, 0x11];
/// issuerAltName (2.5.29.18).
pub const EXT_IAN: &[u8] = &[0x55, 0x1d, 0x12];
/// basicConstraints (2.5.29.19).
pub const EXT_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
/// cRLNumber (2.5.29.20).
pub const EXT_CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
/// reasonCode (2.5.29.21).
pub const EXT_REASON_CODE: &[u8] = &[0x55, 0x1d, 0x15];
/// deltaCRLIndicator (2.5.29.27).
pub const EXT_DELTA_CRL: &[u8] = &[0x55, 0x1d, 0x1b];
/// issuingDistributionPoint (2.5.29.28).
pub const EXT_ISSUING_DP: &[u8] = &[0x55, 0x1d, 0x1c];
/// nameConstraints (2.5.29.30).
pub const EXT_NAME_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x1e];
/// cRLDistributionPoints (2.5.29.31).
pub const EXT_CRL_DP: &[u8] = &[0x55, 0x1d, 0x1f];
/// certificatePolicies (2.5.29.32).
pub const EXT_CERT_POLICIES: &[u8] = &[0x55, 0x1d, 0x20];
/// policyMappings (2.5.29.33).
pub const EXT_POLICY_MAPPINGS: &[u8] = &[0x55, 0x1d, 0x21];
/// authorityKeyIdentifier (2.5.29.35).
pub const EXT_AKI: &[u8] = &[0x55, 0x1d, 0x23];
/// policyConstraints (2.5.29.36).
pub const EXT_POLICY_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x24];
/// extKeyUsage (2.5.29.37).
pub const EXT_EKU: &[u8] = &[0x55, 0x1d, 0x25];
/// inhibitAnyPolicy (2.5.29.54).
pub const EXT_INHIBIT_ANY_POLICY: &[u8] = &[0x55, 0x1d, 0x36];
/// authorityInfoAccess (1.3.6.1.5.5.7.1.1).
pub const EXT_AIA: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];

/// id-kp-serverAuth (1.3.6.1.5.5.7.3.1).
pub const KP_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
/// id-kp-clientAuth (1.3.6.1.5.5.7.3.2).
pub const KP_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
/// anyExtendedKeyUsage (2.5.29.37.0).
pub const KP_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// commonName (2.5.4.3).
pub const AT_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// serialNumber (2.5.4.5), the 802.1AR device serial.
pub const AT_SERIAL_NUMBER: &[u8] = &[0x55, 0x04, 0x05];
/// countryName (2.5.4.6).
pub const AT_COUNTRY: &[u8] = &[0x55, 0x04, 0x06];
/// organizationName (2.5.4.10).
pub const AT_ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];
/// Matter VendorID DN attribute (1.3.6.1.4.1.37244.2.1).
pub const AT_MATTER_VID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xa2, 0x7c, 0x02, 0x01];
/// Matter ProductID DN attribute (1.3.6.1.4.1.37244.2.2).
pub const AT_MATTER_PID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xa2, 0x7c, 0x02, 0x02];

/// PKCS#9 extensionRequest (1.2.840.113549.1.9.14), the CSR attribute carrying extensions.
pub const PKCS9_EXTENSION_REQUEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e];
/// id-on-hardwareModuleName (1.3.6.1.5.5.7.8.4, RFC 4108), the 802.1AR SAN otherName.
pub const ON_HARDWARE_MODULE_NAME: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x04];
