//! One named key, and its configuration form `kid:base64(32 bytes)`.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use rand::RngCore;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::fmt;

/// Bytes in an AES-256 key.
pub const KEY_LEN: usize = 32;

/// A key id: 1 to 32 ASCII letters, digits, `-` or `_`, so it can sit between the dots of a sealed value and
/// before the colon of a configuration entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid =
            (1..=32).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("key id '{raw}' must be 1 to 32 letters, digits, '-' or '_'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An AES-256 key and the id sealed values name it by.
pub struct NamedKey {
    id: KeyId,
    key: SecretBox<[u8; KEY_LEN]>,
}

impl NamedKey {
    /// Parses `kid:base64`, where the base64 (standard or URL-safe, padded or not) holds exactly 32 bytes. The
    /// error names what is wrong without repeating the key.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let (kid, encoded) = entry
            .trim()
            .split_once(':')
            .ok_or_else(|| "must be written kid:base64 (e.g. as printed by `convene keys generate`)".to_owned())?;
        let id = KeyId::parse(kid.trim())?;
        let encoded = encoded.trim();
        let mut bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(encoded).ok())
            .ok_or_else(|| format!("key '{id}' is not valid base64"))?;
        let key = <[u8; KEY_LEN]>::try_from(bytes.as_slice());
        let len = bytes.len();
        bytes.zeroize();
        let key = key.map_err(|_| format!("key '{id}' must decode to {KEY_LEN} bytes, not {len}"))?;
        Ok(Self {
            id,
            key: SecretBox::new(Box::new(key)),
        })
    }

    /// A fresh random key with a random id (`k` and eight hex digits).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let id = KeyId(format!("k{:08x}", rng.next_u32()));
        let key = SecretBox::init_with_mut(|k: &mut [u8; KEY_LEN]| rng.fill_bytes(k));
        Self { id, key }
    }

    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The configuration form `kid:base64`, for an operator to store (and for nothing else).
    pub fn to_config_entry(&self) -> SecretString {
        SecretString::from(format!("{}:{}", self.id, STANDARD.encode(self.key.expose_secret())))
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.key.expose_secret().into())
    }
}

impl fmt::Debug for NamedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedKey").field("id", &self.id).finish_non_exhaustive()
    }
}
