//! What a limit counts: one typed key per limit, so two limits can never share an allowance (an "email" typed
//! into the sign-in form is never the key of a password reset), and emails are parsed before they become keys.

use super::client::ClientAddress;
use super::settings::LimitSettings;
use convene_core::rate::Rate;
use convene_core::{ApiKeyId, EmailAddress, UserId};

/// The public operations limited per client address for callers without an API key (and, for operations that
/// send email to addresses the caller chooses, for every caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicOperation {
    /// `GET /v2/slots`.
    Slots,
    /// Creating a booking, or reading, moving or cancelling one with its uid.
    Booking,
    /// Holding a slot (`/v2/slots/reservations`).
    Reservation,
    /// A sign-in that failed (the owner's successful one is given back).
    SignIn,
    /// Asking for a password reset, or using its token.
    PasswordReset,
    /// Sending a verification code or an email-change confirmation, or using a confirmation link.
    VerificationCode,
}

/// One key of one limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// Requests made with an API key.
    ApiKey(ApiKeyId),
    /// A public operation from a client address.
    Public {
        operation: PublicOperation,
        client: ClientAddress,
    },
    /// Anonymous bookings that email this address (the attendee or a guest).
    BookingRecipient(EmailAddress),
    /// Anonymous bookings of this event type.
    BookingEventType(i64),
    /// Failed sign-ins to one account from one client address: a stranger elsewhere never uses up the owner's.
    SignInFailures {
        account: EmailAddress,
        client: ClientAddress,
    },
    /// Password reset emails to this address.
    PasswordResetEmail(EmailAddress),
    /// Verification and email-change codes one user sends to one address.
    VerificationEmail { user: UserId, email: EmailAddress },
    /// Verification codes one user texts to one number (E.164); each costs the instance a message.
    VerificationPhone { user: UserId, phone: String },
}

impl LimitKey {
    /// The limit's name: the key space in shared storage, the label in metrics and logs.
    pub fn limiter(&self) -> &'static str {
        match self {
            LimitKey::ApiKey(_) => "api_key",
            LimitKey::Public { operation, .. } => match operation {
                PublicOperation::Slots => "slots_per_address",
                PublicOperation::Booking => "bookings_per_address",
                PublicOperation::Reservation => "reservations_per_address",
                PublicOperation::SignIn => "sign_in_failures_per_address",
                PublicOperation::PasswordReset => "password_resets_per_address",
                PublicOperation::VerificationCode => "verification_codes_per_address",
            },
            LimitKey::BookingRecipient(_) => "bookings_per_attendee_email",
            LimitKey::BookingEventType(_) => "bookings_per_event_type",
            LimitKey::SignInFailures { .. } => "sign_in_failures_per_account_and_address",
            LimitKey::PasswordResetEmail(_) => "password_resets_per_email",
            LimitKey::VerificationEmail { .. } => "verification_codes_per_email",
            LimitKey::VerificationPhone { .. } => "verification_codes_per_phone",
        }
    }

    /// The key within its limit, as text for shared storage. Within one limit the text is unambiguous: an
    /// address never contains a space, so "address email" and "user email" split one way only.
    pub fn subject(&self) -> String {
        match self {
            LimitKey::ApiKey(id) => id.to_string(),
            LimitKey::Public { client, .. } => client.to_string(),
            LimitKey::BookingRecipient(email) | LimitKey::PasswordResetEmail(email) => email.to_string(),
            LimitKey::BookingEventType(id) => id.to_string(),
            LimitKey::SignInFailures { account, client } => format!("{client} {account}"),
            LimitKey::VerificationEmail { user, email } => format!("{user} {email}"),
            LimitKey::VerificationPhone { user, phone } => format!("{user} {phone}"),
        }
    }

    /// The rate this key is held to.
    pub fn rate(&self, settings: &LimitSettings, api_key_rate: &Rate) -> Rate {
        match self {
            LimitKey::ApiKey(_) => *api_key_rate,
            LimitKey::Public { operation, .. } => match operation {
                PublicOperation::Slots => settings.slots_per_address,
                PublicOperation::Booking => settings.bookings_per_address,
                PublicOperation::Reservation => settings.reservations_per_address,
                PublicOperation::SignIn => settings.sign_in_failures_per_address,
                PublicOperation::PasswordReset => settings.password_resets_per_address,
                PublicOperation::VerificationCode => settings.verification_codes_per_address,
            },
            LimitKey::BookingRecipient(_) => settings.bookings_per_attendee_email,
            LimitKey::BookingEventType(_) => settings.bookings_per_event_type,
            LimitKey::SignInFailures { .. } => settings.sign_in_failures_per_account_and_address,
            LimitKey::PasswordResetEmail(_) => settings.password_resets_per_email,
            // A number gets the allowance an address gets.
            LimitKey::VerificationEmail { .. } | LimitKey::VerificationPhone { .. } => {
                settings.verification_codes_per_email
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(raw: &str) -> EmailAddress {
        EmailAddress::parse("email", raw).expect("email")
    }

    #[test]
    fn keys_of_different_limits_never_meet_even_with_the_same_text() {
        let client = ClientAddress::new("192.0.2.1".parse().expect("ip"));
        let keys = [
            LimitKey::PasswordResetEmail(email("admin@example.test")),
            LimitKey::BookingRecipient(email("admin@example.test")),
            LimitKey::SignInFailures {
                account: email("admin@example.test"),
                client,
            },
            LimitKey::VerificationEmail {
                user: UserId(1),
                email: email("admin@example.test"),
            },
            LimitKey::VerificationPhone {
                user: UserId(1),
                phone: "admin@example.test".to_owned(),
            },
            LimitKey::ApiKey(ApiKeyId(1)),
            LimitKey::BookingEventType(1),
        ];
        let mut seen = std::collections::HashSet::new();
        for key in &keys {
            assert!(seen.insert((key.limiter(), key.subject())), "{key:?} collides");
        }
    }

    #[test]
    fn every_public_operation_has_its_own_limit() {
        let client = ClientAddress::new("192.0.2.1".parse().expect("ip"));
        let names: std::collections::HashSet<_> = [
            PublicOperation::Slots,
            PublicOperation::Booking,
            PublicOperation::Reservation,
            PublicOperation::SignIn,
            PublicOperation::PasswordReset,
            PublicOperation::VerificationCode,
        ]
        .into_iter()
        .map(|operation| LimitKey::Public { operation, client }.limiter())
        .collect();
        assert_eq!(names.len(), 6);
    }
}
