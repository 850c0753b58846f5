//! Calendar credentials at rest: a CalDAV password or the list of a connection's feed addresses (a feed's address
//! is its secret), sealed with the keyring and bound to the connection's id, so a sealed value copied onto another
//! connection does not open there.

use convene_keyring::{Binding, Keyring, KeyringError};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

const SCOPE: &str = "calendar";
const FIELD: &str = "credential";

pub fn seal(keyring: &Keyring, connection_id: i64, plain: &str) -> Result<String, KeyringError> {
    let owner = connection_id.to_string();
    keyring.seal(binding(&owner), plain)
}

pub fn open(keyring: &Keyring, connection_id: i64, sealed: &str) -> Result<SecretString, KeyringError> {
    let owner = connection_id.to_string();
    keyring.open(binding(&owner), sealed)
}

/// Re-seals under the active key (`convene keys rotate`).
pub fn reseal(keyring: &Keyring, connection_id: i64, sealed: &str) -> Result<String, KeyringError> {
    let owner = connection_id.to_string();
    keyring.reseal(binding(&owner), sealed)
}

fn binding(owner: &str) -> Binding<'_> {
    Binding {
        scope: SCOPE,
        owner,
        field: FIELD,
    }
}

/// The id a feed's calendar is known by: derived from its address, which itself stays secret.
pub fn feed_external_id(url: &Url) -> String {
    let digest = Sha256::digest(url.as_str().as_bytes());
    format!("ics-feed-{}", &hex::encode(digest)[..16])
}

/// The addresses a feed connection's secret holds.
pub fn feed_urls(secret: &SecretString) -> Vec<Url> {
    serde_json::from_str::<Vec<String>>(secret.expose_secret())
        .unwrap_or_default()
        .iter()
        .filter_map(|u| Url::parse(u).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_credential_opens_only_for_its_own_connection() {
        let keyring = Keyring::generate();
        let sealed = seal(&keyring, 3, "app-password").expect("seal");
        assert!(!sealed.contains("app-password"));
        assert_eq!(
            open(&keyring, 3, &sealed).expect("open").expose_secret(),
            "app-password"
        );
        assert_eq!(open(&keyring, 4, &sealed).err(), Some(KeyringError::Unauthentic));
    }
}
