//! `x-cal-signature-256`: how a subscriber checks that a delivery came from us, unaltered.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// What Cal.com sends in `x-cal-signature-256` when the webhook has no secret. It is a present header that
/// proves nothing: subscribers that need authenticity must set a secret and reject this value.
pub const NO_SECRET_SIGNATURE: &str = "no-secret-provided";

/// Lowercase hex HMAC-SHA256 of the exact body bytes, keyed with the webhook's secret.
pub fn sign(secret: Option<&SecretString>, body: &[u8]) -> String {
    let Some(secret) = secret else {
        return NO_SECRET_SIGNATURE.to_owned();
    };
    // HMAC takes keys of any length (RFC 2104 §3), so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return NO_SECRET_SIGNATURE.to_owned();
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_4231_test_vector() {
        // RFC 4231 §4.3, test case 2.
        let secret = SecretString::from("Jefe");
        assert_eq!(
            sign(Some(&secret), b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn without_a_secret_the_cal_com_placeholder_is_sent() {
        assert_eq!(sign(None, b"{}"), "no-secret-provided");
    }
}
