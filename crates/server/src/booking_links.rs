//! Links that manage one booking without signing in — Cancel and Reschedule for attendees, Confirm and Decline
//! for a host asked to approve — as sent in booking emails and shown on the booking's page.
//!
//! Each link carries a token sealed with the instance's keyring and bound to the booking's uid and the action
//! (the keyring's associated data), so it is unguessable and useless for any other booking or action, and keeps
//! working across key rotation while the old key is listed. A token carries no expiry of its own: what makes a
//! link outdated is the booking itself (cancelled, moved, decided, or over), and the page says which.

use convene_keyring::{Binding, Keyring};

/// What a booking link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    Cancel,
    Reschedule,
    Confirm,
    Decline,
}

impl LinkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAction::Cancel => "cancel",
            LinkAction::Reschedule => "reschedule",
            LinkAction::Confirm => "confirm",
            LinkAction::Decline => "decline",
        }
    }
}

fn binding(uid: &str, action: LinkAction) -> Binding<'_> {
    Binding {
        scope: "booking-link",
        owner: uid,
        field: action.as_str(),
    }
}

/// A token for `action` on booking `uid` (`None` only if the keyring fails to seal, which it does not for
/// configured keys).
pub fn token(keyring: &Keyring, uid: &str, action: LinkAction) -> Option<String> {
    keyring
        .seal(binding(uid, action), action.as_str())
        .inspect_err(|e| tracing::error!(error = %e, "could not seal a booking link"))
        .ok()
}

/// Whether `token` was made for `action` on booking `uid`.
pub fn verify(keyring: &Keyring, uid: &str, action: LinkAction, token: &str) -> bool {
    token.len() <= 512 && keyring.open(binding(uid, action), token).is_ok()
}

/// The path (below the public URL) of `action`'s page for booking `uid`, token included.
pub fn path(keyring: &Keyring, uid: &str, action: LinkAction) -> Option<String> {
    token(keyring, uid, action).map(|t| format!("/booking/{uid}/{}?token={t}", action.as_str()))
}

/// The full address of `action`'s page for booking `uid` under `public_url`, as emails carry it.
pub fn url(public_url: &str, keyring: &Keyring, uid: &str, action: LinkAction) -> Option<String> {
    path(keyring, uid, action).map(|path| format!("{}{path}", public_url.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_for_its_own_booking_and_action() {
        let keyring = Keyring::generate();
        let t = token(&keyring, "abc", LinkAction::Cancel).expect("token");
        assert!(verify(&keyring, "abc", LinkAction::Cancel, &t));
        assert!(!verify(&keyring, "abd", LinkAction::Cancel, &t));
        assert!(!verify(&keyring, "abc", LinkAction::Reschedule, &t));
        assert!(!verify(&Keyring::generate(), "abc", LinkAction::Cancel, &t));
        assert!(!verify(&keyring, "abc", LinkAction::Cancel, "v1.x.garbage"));
    }
}
