//! Webhook secrets at rest: sealed with the keyring, bound to the webhook's id and field, so a sealed secret
//! copied onto another webhook row does not open there.

use convene_keyring::{Binding, Keyring, KeyringError};
use secrecy::{ExposeSecret, SecretString};

const SCOPE: &str = "webhook";
const FIELD: &str = "secret";

/// Seals `secret` for webhook `webhook_id`.
pub fn seal_secret(keyring: &Keyring, webhook_id: i64, secret: &SecretString) -> Result<String, KeyringError> {
    let owner = webhook_id.to_string();
    keyring.seal(binding(&owner), secret.expose_secret())
}

/// Opens the sealed secret of webhook `webhook_id`.
pub fn open_secret(keyring: &Keyring, webhook_id: i64, sealed: &str) -> Result<SecretString, KeyringError> {
    let owner = webhook_id.to_string();
    keyring.open(binding(&owner), sealed)
}

/// Re-seals a webhook's secret under the active key.
pub fn reseal_secret(keyring: &Keyring, webhook_id: i64, sealed: &str) -> Result<String, KeyringError> {
    let owner = webhook_id.to_string();
    keyring.reseal(binding(&owner), sealed)
}

fn binding(owner: &str) -> Binding<'_> {
    Binding {
        scope: SCOPE,
        owner,
        field: FIELD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_only_for_its_own_webhook() {
        let keyring = Keyring::generate();
        let sealed = seal_secret(&keyring, 7, &SecretString::from("whsec")).expect("seal");
        assert_eq!(
            open_secret(&keyring, 7, &sealed).expect("open").expose_secret(),
            "whsec"
        );
        assert_eq!(open_secret(&keyring, 8, &sealed).err(), Some(KeyringError::Unauthentic));
    }
}
