//! The words of every email, in the recipient's language and time zone, rendered through one HTML and one
//! plain-text template per family (booking, account). Booking emails take their words from the Fluent message
//! files (`crates/server/locales/`), so an attendee reads them in the language they booked in.

use crate::i18n::Lang;
use askama::Template;
use convene_core::email::EmailKind;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A rendered email.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a booking email shows.
pub struct BookingView {
    pub lang: &'static str,
    pub heading: String,
    pub intro: String,
    pub rows: Vec<(String, String)>,
    pub note: Option<String>,
    /// Buttons (label, absolute URL): Reschedule and Cancel for attendees, Confirm and Decline for a host asked
    /// to approve.
    pub links: Vec<(String, String)>,
    pub footer: String,
}

#[derive(Template)]
#[template(path = "email/booking.txt")]
struct BookingText<'a> {
    v: &'a BookingView,
}

#[derive(Template)]
#[template(path = "email/booking.html")]
struct BookingHtml<'a> {
    v: &'a BookingView,
}

pub struct AccountView {
    pub lang: &'static str,
    pub heading: String,
    pub intro: String,
    pub code: String,
    pub link: Option<String>,
    pub note: String,
    pub footer: &'static str,
}

#[derive(Template)]
#[template(path = "email/account.txt")]
struct AccountText<'a> {
    v: &'a AccountView,
}

#[derive(Template)]
#[template(path = "email/account.html")]
struct AccountHtml<'a> {
    v: &'a AccountView,
}

/// The facts of a booking an email needs.
pub struct BookingFacts<'a> {
    pub title: &'a str,
    pub start: Timestamp,
    pub end: Timestamp,
    pub location: Option<&'a str>,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    /// Everyone attending, "Name <email>".
    pub attendees: Vec<String>,
    /// The first attendee's name (the booker).
    pub booker_name: &'a str,
    pub description: &'a str,
    pub reason: Option<&'a str>,
    /// The earlier time, for reschedules.
    pub previous_start: Option<Timestamp>,
    /// Names of guests just added / attendees marked absent.
    pub people: Vec<String>,
    pub uid: &'a str,
}

/// How a recipient reads dates.
pub struct Reader<'a> {
    pub locale: &'a str,
    pub time_zone: &'a str,
    pub twelve_hour: bool,
}

/// The language of account emails: English until their words move to the message files too.
fn account_lang(_locale: &str) -> &'static str {
    "en"
}

/// "Tuesday, 8 January 2030, 09:00 – 09:30 (Europe/London)" in the reader's zone and language.
fn booking_when(lang: Lang, reader: &Reader<'_>, start: Timestamp, end: Timestamp) -> String {
    let tz = TimeZone::get(reader.time_zone).unwrap_or(TimeZone::UTC);
    let (start, end) = (start.to_zoned(tz.clone()), end.to_zoned(tz));
    let clock = if reader.twelve_hour { "%-I:%M %p" } else { "%H:%M" };
    let date = lang.text_with(
        "email-date",
        &[
            (
                "weekday",
                &lang.text(&format!("wd-{}", start.weekday().to_monday_one_offset())),
            ),
            ("day", &start.day().to_string()),
            ("month", &lang.text(&format!("month-{}", start.month()))),
            ("year", &start.year().to_string()),
        ],
    );
    format!(
        "{date}, {} – {} ({})",
        start.strftime(clock),
        end.strftime(clock),
        reader.time_zone
    )
}

/// Renders a booking email of `kind` for `reader`, in the reader's language (English when it is not one of the
/// pages' languages): the words come from the same Fluent files as the booking pages.
pub fn booking(
    kind: EmailKind,
    facts: &BookingFacts<'_>,
    reader: &Reader<'_>,
    links: Vec<(String, String)>,
) -> Result<Rendered, askama::Error> {
    let lang = Lang::from_tag(reader.locale).unwrap_or_default();
    let people = facts.people.join(", ");
    let args = [
        ("title", facts.title),
        ("organizer", facts.organizer_name),
        ("booker", facts.booker_name),
        ("people", people.as_str()),
    ];
    let line = |part: &str| lang.text_with(&format!("email-{}-{part}", kind.as_str()), &args);
    let intro = if kind == EmailKind::BookingNoShowMarkedOrganizer && facts.people.is_empty() {
        line("intro-none")
    } else {
        line("intro")
    };
    let label = |id: &str| lang.text(id);
    let mut rows = vec![
        (label("email-what"), facts.title.to_owned()),
        (label("email-when"), booking_when(lang, reader, facts.start, facts.end)),
    ];
    if let Some(previous) = facts.previous_start {
        let duration = facts.end.duration_since(facts.start);
        let previous_end = previous.checked_add(duration).unwrap_or(previous);
        rows.push((
            label("email-previously"),
            booking_when(lang, reader, previous, previous_end),
        ));
    }
    let mut who = vec![lang.text_with(
        "email-organizer",
        &[("name", facts.organizer_name), ("email", facts.organizer_email)],
    )];
    who.extend(facts.attendees.iter().cloned());
    rows.push((label("email-who"), who.join(", ")));
    if let Some(location) = facts.location.filter(|l| !l.is_empty()) {
        rows.push((label("email-where"), location.to_owned()));
    }
    if !facts.description.is_empty() {
        rows.push((label("email-description"), facts.description.to_owned()));
    }
    if let Some(reason) = facts.reason.filter(|r| !r.is_empty()) {
        rows.push((label("email-reason"), reason.to_owned()));
    }
    rows.push((label("email-reference"), facts.uid.to_owned()));
    let view = BookingView {
        lang: lang.code(),
        heading: line("heading"),
        intro,
        rows,
        note: None,
        links,
        footer: label("email-footer"),
    };
    Ok(Rendered {
        subject: line("subject"),
        text: BookingText { v: &view }.render()?,
        html: BookingHtml { v: &view }.render()?,
    })
}

/// To a routing form's owner (or the addresses the form names): the answers of one response, labelled as the form
/// labels them, and where the response was sent.
pub fn routing_form_response(
    form_name: &str,
    answers: &[(String, String)],
    routed_to: Option<&str>,
    locale: &str,
) -> Result<Rendered, askama::Error> {
    let lang = Lang::from_tag(locale).unwrap_or_default();
    let args = [("form", form_name)];
    let mut rows = answers.to_vec();
    if let Some(routed_to) = routed_to {
        rows.push((lang.text("email-routing-form-routed-to"), routed_to.to_owned()));
    }
    let view = BookingView {
        lang: lang.code(),
        heading: lang.text_with("email-routing-form-response-heading", &args),
        intro: lang.text_with("email-routing-form-response-intro", &args),
        rows,
        note: None,
        links: Vec::new(),
        footer: lang.text("email-routing-form-footer"),
    };
    Ok(Rendered {
        subject: lang.text_with("email-routing-form-response-subject", &args),
        text: BookingText { v: &view }.render()?,
        html: BookingHtml { v: &view }.render()?,
    })
}

/// A password reset email carrying `token` and a link to the reset page.
pub fn password_reset(token: &str, link: &str, valid_minutes: i64, locale: &str) -> Result<Rendered, askama::Error> {
    let view = AccountView {
        lang: account_lang(locale),
        heading: "Reset your password".into(),
        intro: "Someone asked to reset the password of your convene account. Use this token, or open the link:".into(),
        code: token.to_owned(),
        link: Some(link.to_owned()),
        note: format!(
            "It works once, for {valid_minutes} minutes. If you did not ask for this, ignore this email; \
             your password stays as it is."
        ),
        footer: "convene",
    };
    Ok(Rendered {
        subject: "Reset your convene password".into(),
        text: AccountText { v: &view }.render()?,
        html: AccountHtml { v: &view }.render()?,
    })
}

/// An email verification code.
pub fn verification_code(code: &str, valid_minutes: i64, locale: &str) -> Result<Rendered, askama::Error> {
    let view = AccountView {
        lang: account_lang(locale),
        heading: "Verify your email address".into(),
        intro: "Enter this code to confirm that this address is yours:".into(),
        code: code.to_owned(),
        link: None,
        note: format!("The code is valid for {valid_minutes} minutes. If you did not ask for it, ignore this email."),
        footer: "convene",
    };
    Ok(Rendered {
        subject: format!("Your verification code: {code}"),
        text: AccountText { v: &view }.render()?,
        html: AccountHtml { v: &view }.render()?,
    })
}

/// To the address a user asked to change to: a code for the API and a link for a browser, either of which
/// confirms the change.
pub fn email_change_confirmation(
    code: &str,
    link: &str,
    valid_minutes: i64,
    locale: &str,
) -> Result<Rendered, askama::Error> {
    let view = AccountView {
        lang: account_lang(locale),
        heading: "Confirm your new email address".into(),
        intro: "Someone asked to use this address for a convene account. Enter this code, or open the link, to \
                confirm that it is yours:"
            .into(),
        code: code.to_owned(),
        link: Some(link.to_owned()),
        note: format!(
            "Until you confirm, the account keeps its current address. The code and link work for \
             {valid_minutes} minutes. If you did not ask for this, ignore this email."
        ),
        footer: "convene",
    };
    Ok(Rendered {
        subject: format!("Confirm your new email address: {code}"),
        text: AccountText { v: &view }.render()?,
        html: AccountHtml { v: &view }.render()?,
    })
}

/// To a user's previous address once a new one was confirmed.
pub fn email_changed(new_email: &str, locale: &str) -> Result<Rendered, askama::Error> {
    let view = AccountView {
        lang: account_lang(locale),
        heading: "Your email address was changed".into(),
        intro: "The email address of your convene account is now:".into(),
        code: new_email.to_owned(),
        link: None,
        note: "Emails about the account now go to that address. If you did not make this change, contact your \
               administrator at once: someone else may be using your account."
            .into(),
        footer: "convene",
    };
    Ok(Rendered {
        subject: "Your convene email address was changed".into(),
        text: AccountText { v: &view }.render()?,
        html: AccountHtml { v: &view }.render()?,
    })
}

/// To an organization's admins: a sender of theirs is failing and emails fall back to the platform.
pub fn sender_failing(from_email: &str, error: &str, settings_link: &str) -> Result<Rendered, askama::Error> {
    let view = AccountView {
        lang: account_lang("en"),
        heading: "An email sender is failing".into(),
        intro: format!(
            "Emails from {from_email} could not be sent through your organization's server, so they are going out \
             through the platform's default transport (From the platform, Reply-To {from_email}). The last error was:"
        ),
        code: error.to_owned(),
        link: Some(settings_link.to_owned()),
        note: "convene keeps trying the sender now and then and switches back as soon as it works. You get this \
               email at most once a day per sender."
            .into(),
        footer: "convene",
    };
    Ok(Rendered {
        subject: format!("Email sender {from_email} is failing"),
        text: AccountText { v: &view }.render()?,
        html: AccountHtml { v: &view }.render()?,
    })
}

/// To someone an admin invited into `group` (an organization or a team): the link that sets up their account.
pub fn invitation(
    inviter: &str,
    group: &str,
    link: &str,
    valid_days: i64,
    locale: &str,
) -> Result<Rendered, askama::Error> {
    let view = AccountView {
        lang: account_lang(locale),
        heading: format!("You are invited to {group}"),
        intro: format!("{inviter} invited you to join {group} on convene, to schedule meetings together. You join:"),
        code: group.to_owned(),
        link: Some(link.to_owned()),
        note: format!(
            "Open the link to choose your name, username, password and time zone. It works once, for {valid_days} \
             days. If you did not expect this, ignore this email."
        ),
        footer: "convene",
    };
    Ok(Rendered {
        subject: format!("{inviter} invited you to {group} on convene"),
        text: AccountText { v: &view }.render()?,
        html: AccountHtml { v: &view }.render()?,
    })
}
