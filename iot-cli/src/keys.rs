//! Reading and writing key files: PEM or COSE_Key, told apart by content.

use crate::Failure;
use iot_cose::KeyMaterial;
use iot_cose::{CoseKey, PrivateKey, PublicKey};
use std::path::Path;

/// Reads a whole file, naming it in the error.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN")
}

/// A private key from a PEM (PKCS#8) or COSE_Key file.
pub(crate) fn private(path: &Path) -> Result<PrivateKey, Failure> {
    let bytes = read(path)?;
    if is_pem(&bytes) {
        let text = std::str::from_utf8(&bytes).map_err(|_| Failure(format!("{}: not text", path.display())))?;
        return PrivateKey::from_pem(text).map_err(|e| Failure(format!("{}: {e}", path.display())));
    }
    match CoseKey::decode(&bytes).map_err(|e| Failure(format!("{}: {e}", path.display())))?.material {
        KeyMaterial::Private(k) => Ok(k),
        _ => Err(Failure(format!("{}: not a private key", path.display()))),
    }
}

/// A public key from a PEM (SPKI) or COSE_Key file; a private key file yields its public key.
pub(crate) fn public(path: &Path) -> Result<PublicKey, Failure> {
    let bytes = read(path)?;
    if is_pem(&bytes) {
        let text = std::str::from_utf8(&bytes).map_err(|_| Failure(format!("{}: not text", path.display())))?;
        if let Ok(k) = PublicKey::from_pem(text) {
            return Ok(k);
        }
        return PrivateKey::from_pem(text)
            .map(|k| k.public_key())
            .map_err(|e| Failure(format!("{}: {e}", path.display())));
    }
    match CoseKey::decode(&bytes).map_err(|e| Failure(format!("{}: {e}", path.display())))?.material {
        KeyMaterial::Public(k) => Ok(k),
        KeyMaterial::Private(k) => Ok(k.public_key()),
        _ => Err(Failure(format!("{}: not an asymmetric key", path.display()))),
    }
}

/// Writes a file, creating parent folders.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Failure(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(path, bytes).map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))
}

/// Any key: PEM (public or private), COSE_Key (public, private or symmetric), or else a raw
/// symmetric key file of 16 to 128 bytes (an HMAC key as platforms provision it).
pub(crate) fn material(path: &Path) -> Result<KeyMaterial, Failure> {
    let bytes = read(path)?;
    let named = |e: &dyn std::fmt::Display| Failure(format!("{}: {e}", path.display()));
    if is_pem(&bytes) {
        let text = std::str::from_utf8(&bytes).map_err(|_| Failure(format!("{}: not text", path.display())))?;
        return match PublicKey::from_pem(text) {
            Ok(k) => Ok(KeyMaterial::Public(k)),
            Err(_) => PrivateKey::from_pem(text).map(KeyMaterial::Private).map_err(|e| named(&e)),
        };
    }
    match CoseKey::decode(&bytes) {
        Ok(k) => Ok(k.material),
        Err(_) if (16..=128).contains(&bytes.len()) => Ok(KeyMaterial::Symmetric(iot_cose::SymmetricKey::new(&bytes))),
        Err(e) => Err(named(&e)),
    }
}
