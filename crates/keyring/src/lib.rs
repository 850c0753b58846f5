//! Encryption at rest for the secrets convene must be able to read back (webhook signing secrets, SMTP
//! passwords): AES-256-GCM under named keys, so keys can be rotated without re-encrypting everything at once.
//!
//! A sealed value is text, `v1.<kid>.<base64url(nonce ‖ ciphertext ‖ tag)>`, safe to store in any column. The
//! associated data binds the key id and a [`Binding`] — scope, owner and field — so a value copied to another row
//! or another column fails to open instead of silently becoming that row's secret.
//!
//! Keys come from configuration as `kid:base64(32 bytes)`. The first key of a [`Keyring`] is active and seals;
//! every key opens. To rotate: put a new key first, keep the old ones listed until every value has been re-sealed
//! ([`Keyring::needs_reseal`], [`Keyring::reseal`]), then drop them.

mod key;

pub use key::{KEY_LEN, KeyId, NamedKey};

use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, Payload};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The format tag in front of every sealed value; a future format gets a new one.
const FORMAT: &str = "v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// What a sealed value belongs to. All three parts must match when opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    /// The kind of thing that owns the secret, e.g. `"webhook"`.
    pub scope: &'a str,
    /// Which one: the owning row's id.
    pub owner: &'a str,
    /// Which of its secrets, e.g. `"secret"` or `"password"`.
    pub field: &'a str,
}

/// Why a key could not be loaded or a value could not be sealed or opened. Never carries key material or
/// plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    #[error("no encryption key is configured")]
    NoKeys,
    #[error("encryption key #{position}: {reason}")]
    BadKey { position: usize, reason: String },
    #[error("encryption key id '{0}' is listed twice")]
    DuplicateKeyId(String),
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the value was sealed with key '{0}', which is not configured")]
    UnknownKey(String),
    #[error("the sealed value does not open: wrong key, moved from another owner or field, or tampered with")]
    Unauthentic,
    #[error("encryption failed")]
    Encrypt,
}

/// Named AES-256 keys; the first seals, all open.
pub struct Keyring {
    keys: Vec<NamedKey>,
}

impl Keyring {
    /// A keyring whose first key is active. Refuses an empty list and repeated key ids.
    pub fn new(keys: Vec<NamedKey>) -> Result<Self, KeyringError> {
        if keys.is_empty() {
            return Err(KeyringError::NoKeys);
        }
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.id() == key.id()) {
                return Err(KeyringError::DuplicateKeyId(key.id().to_string()));
            }
        }
        Ok(Self { keys })
    }

    /// Parses configuration entries `kid:base64(32 bytes)`, the first being active.
    pub fn from_config<S: AsRef<str>>(entries: &[S]) -> Result<Self, KeyringError> {
        let keys = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                NamedKey::parse(entry.as_ref()).map_err(|reason| KeyringError::BadKey {
                    position: i + 1,
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(keys)
    }

    /// A keyring of one freshly generated key.
    pub fn generate() -> Self {
        Self {
            keys: vec![NamedKey::generate()],
        }
    }

    /// The id of the key that seals.
    pub fn active_key_id(&self) -> &KeyId {
        self.active().id()
    }

    /// Every configured key id, the active one first.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(NamedKey::id)
    }

    /// Encrypts `plaintext` with the active key, bound to `binding`.
    pub fn seal(&self, binding: Binding<'_>, plaintext: &str) -> Result<String, KeyringError> {
        let key = self.active();
        let mut nonce = [0u8; NONCE_LEN];
        // ThreadRng is a CSPRNG seeded from the OS. 96-bit random nonces are safe for far more values than one
        // key will ever seal (NIST SP 800-38D §8.3 bounds it at 2^32 invocations).
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(key.id(), binding);
        let sealed = key
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| KeyringError::Encrypt)?;
        let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        Ok(format!("{FORMAT}.{}.{}", key.id(), URL_SAFE_NO_PAD.encode(raw)))
    }

    /// Decrypts a value sealed for `binding` by any configured key.
    pub fn open(&self, binding: Binding<'_>, sealed: &str) -> Result<SecretString, KeyringError> {
        let (kid, raw) = split(sealed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id().as_str() == kid)
            .ok_or_else(|| KeyringError::UnknownKey(kid.to_owned()))?;
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let aad = associated_data(key.id(), binding);
        let mut plaintext = key
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyringError::Unauthentic)?;
        match String::from_utf8(plaintext) {
            Ok(text) => Ok(SecretString::from(text)),
            Err(not_text) => {
                plaintext = not_text.into_bytes();
                plaintext.zeroize();
                Err(KeyringError::Malformed)
            }
        }
    }

    /// Whether `sealed` was sealed by a key other than the active one (so rotation should re-seal it).
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        split(sealed).is_ok_and(|(kid, _)| kid != self.active_key_id().as_str())
    }

    /// Opens `sealed` and seals it again with the active key.
    pub fn reseal(&self, binding: Binding<'_>, sealed: &str) -> Result<String, KeyringError> {
        let plaintext = self.open(binding, sealed)?;
        self.seal(binding, plaintext.expose_secret())
    }

    fn active(&self) -> &NamedKey {
        // `new` refuses an empty list, and nothing removes keys afterwards.
        &self.keys[0]
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key ids only: the keys themselves never reach a log.
        f.debug_struct("Keyring")
            .field("active", &self.active_key_id().as_str())
            .field("keys", &self.key_ids().map(KeyId::as_str).collect::<Vec<_>>())
            .finish()
    }
}

/// `v1.<kid>.<payload>` → (kid, nonce ‖ ciphertext ‖ tag), checking the shape but not the contents.
fn split(sealed: &str) -> Result<(&str, Vec<u8>), KeyringError> {
    let mut parts = sealed.splitn(3, '.');
    let (Some(FORMAT), Some(kid), Some(payload)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyringError::Malformed);
    };
    let raw = URL_SAFE_NO_PAD.decode(payload).map_err(|_| KeyringError::Malformed)?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err(KeyringError::Malformed);
    }
    Ok((kid, raw))
}

/// The associated data: format, key id and binding, each length-prefixed so no two different bindings can
/// serialize to the same bytes (`("ab", "c")` vs `("a", "bc")`).
fn associated_data(kid: &KeyId, binding: Binding<'_>) -> Vec<u8> {
    let parts = [FORMAT, kid.as_str(), binding.scope, binding.owner, binding.field];
    let mut aad = Vec::with_capacity(parts.iter().map(|p| 4 + p.len()).sum());
    for part in parts {
        // Parts are short identifiers; a length past u32 would be a bug upstream, and saturating keeps it total.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests;
