//! A webhook subscription's settings as clients send them, checked field by field; errors name the field.

use super::{PAYLOAD_VERSION, Trigger};
use convene_core::FieldError;
use convene_core::net_guard::{HttpUrl, PrivatePolicy};
use convene_core::text::is_line_break_or_control;
use secrecy::SecretString;

/// Longest accepted `payloadTemplate`, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 64 * 1024;
/// Longest accepted `secret`, in characters.
pub const MAX_SECRET_CHARS: usize = 512;
const MAX_URL_CHARS: usize = 2048;

/// `subscriberUrl`: http(s) only, never a metadata service, and — unless the instance allows private targets —
/// never a loopback, private or link-local address or `localhost`.
///
/// Host names are not resolved here: DNS answers change, so the check that counts happens at delivery time,
/// against the address actually connected to. Saving only refuses what is wrong whatever DNS says.
pub fn subscriber_url(raw: &str, policy: PrivatePolicy) -> Result<String, FieldError> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(FieldError::coded(
            "subscriberUrl",
            "refusal-too-long",
            format!("must be at most {MAX_URL_CHARS} characters"),
        )
        .arg("max", MAX_URL_CHARS));
    }
    Ok(HttpUrl::parse("subscriberUrl", raw, policy)?.as_str().to_owned())
}

/// `triggers`: at least one, each one of the 19 names; repeats are dropped.
pub fn triggers(names: &[String]) -> Result<Vec<Trigger>, FieldError> {
    if names.is_empty() {
        return Err(FieldError::coded(
            "triggers",
            "refusal-no-triggers",
            "must name at least one trigger",
        ));
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let trigger = Trigger::parse("triggers", name.trim())?;
        if !out.contains(&trigger) {
            out.push(trigger);
        }
    }
    Ok(out)
}

/// `payloadTemplate`: text of bounded length without control characters other than tab and line breaks
/// (it becomes a request body). Blank means no template.
pub fn payload_template(raw: &str) -> Result<Option<String>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    if raw.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(FieldError::coded(
            "payloadTemplate",
            "refusal-too-long",
            format!("must be at most {MAX_TEMPLATE_CHARS} characters"),
        )
        .arg("max", MAX_TEMPLATE_CHARS));
    }
    if raw.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(FieldError::coded(
            "payloadTemplate",
            "refusal-template-text",
            "must be text: control characters other than tab and line breaks are not allowed",
        ));
    }
    Ok(Some(raw.to_owned()))
}

/// `secret`: blank means none (signatures then read `no-secret-provided`, as in Cal.com).
pub fn secret(raw: &str) -> Result<Option<SecretString>, FieldError> {
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.chars().count() > MAX_SECRET_CHARS {
        return Err(FieldError::coded(
            "secret",
            "refusal-too-long",
            format!("must be at most {MAX_SECRET_CHARS} characters"),
        )
        .arg("max", MAX_SECRET_CHARS));
    }
    if raw.chars().any(is_line_break_or_control) {
        return Err(FieldError::coded(
            "secret",
            "refusal-control-chars",
            "must not contain line breaks or control characters",
        ));
    }
    Ok(Some(SecretString::from(raw)))
}

/// `version`: only the one payload version there is.
pub fn version(raw: &str) -> Result<&'static str, FieldError> {
    if raw.trim() == PAYLOAD_VERSION {
        Ok(PAYLOAD_VERSION)
    } else {
        Err(FieldError::new("version", format!("must be {PAYLOAD_VERSION}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn urls_are_normalised_and_checked_under_the_policy() {
        assert_eq!(
            subscriber_url(" https://Hooks.Example.COM/in ", PrivatePolicy::PublicOnly),
            Ok("https://hooks.example.com/in".to_owned())
        );
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "http://169.254.169.254/",
            "not a url",
        ] {
            let err = subscriber_url(bad, PrivatePolicy::AllowPrivate).expect_err(bad);
            assert_eq!(err.field, "subscriberUrl");
        }
        assert!(subscriber_url("http://127.0.0.1:8080/", PrivatePolicy::PublicOnly).is_err());
        assert!(subscriber_url("http://127.0.0.1:8080/", PrivatePolicy::AllowPrivate).is_ok());
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert!(subscriber_url(&long, PrivatePolicy::PublicOnly).is_err());
    }

    #[test]
    fn triggers_must_be_known_and_present_and_repeats_collapse() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            triggers(&names(&["BOOKING_CREATED", "BOOKING_CREATED", "MEETING_ENDED"])),
            Ok(vec![Trigger::BookingCreated, Trigger::MeetingEnded])
        );
        assert!(triggers(&[]).is_err());
        assert!(triggers(&names(&["BOOKING_CREATED", "BOOKING_CONFIRMED"])).is_err());
    }

    #[test]
    fn templates_must_be_bounded_text() {
        assert_eq!(payload_template("  "), Ok(None));
        assert_eq!(
            payload_template("{\"t\": \"{{title}}\"}\r\n\t"),
            Ok(Some("{\"t\": \"{{title}}\"}\r\n\t".into()))
        );
        assert!(payload_template("a\u{0}b").is_err());
        assert!(payload_template("a\u{1b}[31mred").is_err());
        assert!(payload_template(&"x".repeat(MAX_TEMPLATE_CHARS + 1)).is_err());
    }

    #[test]
    fn secrets_may_be_blank_but_not_control_characters() {
        assert!(secret("").expect("blank").is_none());
        assert_eq!(
            secret("s3cr3t with spaces")
                .expect("ok")
                .map(|s| s.expose_secret().to_owned()),
            Some("s3cr3t with spaces".into())
        );
        assert!(secret("line\nbreak").is_err());
        assert!(secret(&"x".repeat(MAX_SECRET_CHARS + 1)).is_err());
    }

    #[test]
    fn only_the_one_payload_version_is_accepted() {
        assert_eq!(version("2021-10-20"), Ok("2021-10-20"));
        assert_eq!(version("2024-08-13").map_err(|e| e.field), Err("version".to_owned()));
    }
}
