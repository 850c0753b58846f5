//! Secrets users hold: API keys (random, stored as SHA-256) and passwords (argon2id).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The prefix Cal.com's clients expect on API keys.
pub const API_KEY_PREFIX: &str = "cal_";

/// A freshly generated API key: the secret (shown once) and what gets stored.
pub struct NewApiKey {
    pub secret: String,
    pub hash: String,
    pub hint: String,
}

/// `cal_` followed by 256 random bits in hex.
pub fn generate_api_key() -> NewApiKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{API_KEY_PREFIX}{}", hex::encode(bytes));
    let hint = secret[secret.len() - 4..].to_owned();
    NewApiKey {
        hash: hash_api_key(&secret),
        secret,
        hint,
    }
}

/// The stored form of a key: SHA-256, hex. A fast hash is right here: the key carries 256 bits
/// of entropy, so there is nothing to brute-force, and lookups stay indexable.
pub fn hash_api_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Random URL-safe token for sessions and CSRF.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A public identifier for bookings and holds: 88 random bits in hex, unguessable enough to act
/// as the capability Cal.com treats a booking uid as.
pub fn new_uid() -> String {
    random_token()[..22].to_owned()
}

/// A readable random password for bootstrapped accounts.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

/// Argon2id hash in PHC format. CPU-heavy: call from `spawn_blocking`.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Checks a password against a PHC hash. CPU-heavy: call from `spawn_blocking`.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Hashes on the blocking pool so request threads stay free.
pub async fn hash_password_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password).map_err(|e| anyhow::anyhow!("hashing password: {e}")))
        .await?
}

/// Verifies on the blocking pool. With no stored hash it still does the work of one check, so
/// response time does not tell whether an account exists.
pub async fn verify_password_async(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_are_prefixed_long_and_hashed() {
        let key = generate_api_key();
        assert!(key.secret.starts_with("cal_"));
        assert_eq!(key.secret.len(), 4 + 64);
        assert_eq!(key.hash, hash_api_key(&key.secret));
        assert_ne!(key.hash, key.secret);
        assert!(key.secret.ends_with(&key.hint));
        assert_ne!(generate_api_key().secret, key.secret);
    }

    #[test]
    fn passwords_verify_only_with_the_right_secret() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("correct horse", "not a phc string"));
    }
}
