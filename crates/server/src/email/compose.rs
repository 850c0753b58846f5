//! The words of every email, in the recipient's language and time zone, rendered through one HTML and one
//! plain-text template per family (booking, account). Adding a language means adding a [`Words`] table.

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
    pub rows: Vec<(&'static str, String)>,
    pub note: Option<String>,
    /// Buttons (label, absolute URL): Reschedule and Cancel for attendees, Confirm and Decline for a host asked
    /// to approve.
    pub links: Vec<(String, String)>,
    pub footer: &'static str,
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

/// Labels and sentences of one language.
struct Words {
    lang: &'static str,
    what: &'static str,
    when: &'static str,
    who: &'static str,
    where_: &'static str,
    description: &'static str,
    reason: &'static str,
    previously: &'static str,
    reference: &'static str,
    footer: &'static str,
}

const ENGLISH: Words = Words {
    lang: "en",
    what: "What",
    when: "When",
    who: "Who",
    where_: "Where",
    description: "Additional notes",
    reason: "Reason",
    previously: "Previously",
    reference: "Booking reference",
    footer: "Sent by convene on behalf of the organizer.",
};

/// The table for a locale (`en`, `en-GB`, `de`…); English until more are written.
fn words(_locale: &str) -> &'static Words {
    &ENGLISH
}

/// "Monday, 7 September 2026, 09:00 – 09:30 (Europe/Berlin)" in the reader's zone.
fn when(reader: &Reader<'_>, start: Timestamp, end: Timestamp) -> String {
    let tz = TimeZone::get(reader.time_zone).unwrap_or(TimeZone::UTC);
    let (start, end) = (start.to_zoned(tz.clone()), end.to_zoned(tz));
    let clock = if reader.twelve_hour { "%-I:%M %p" } else { "%H:%M" };
    format!(
        "{}, {} – {} ({})",
        start.strftime("%A, %-d %B %Y"),
        start.strftime(clock),
        end.strftime(clock),
        reader.time_zone
    )
}

/// Subject, heading and intro of a booking email kind (English).
fn booking_lines(kind: EmailKind, f: &BookingFacts<'_>) -> (String, String, String) {
    let with_organizer = format!("{} with {}", f.title, f.organizer_name);
    let with_booker = format!("{} with {}", f.title, f.booker_name);
    match kind {
        EmailKind::BookingScheduledAttendee => (
            format!("Confirmed: {with_organizer}"),
            "Your booking is confirmed".into(),
            format!(
                "You are scheduled with {}. A calendar invitation is attached.",
                f.organizer_name
            ),
        ),
        EmailKind::BookingScheduledOrganizer => (
            format!("New booking: {with_booker}"),
            "A new event has been scheduled".into(),
            format!("{} booked time with you.", f.booker_name),
        ),
        EmailKind::BookingRequestedAttendee => (
            format!("Request sent: {with_organizer}"),
            "Your booking request was submitted".into(),
            format!(
                "{} needs to confirm it; you will get another email when they do.",
                f.organizer_name
            ),
        ),
        EmailKind::BookingAwaitingApprovalOrganizer => (
            format!("Action needed: {} requested {}", f.booker_name, f.title),
            "A booking is waiting for your approval".into(),
            format!("{} asked to book this time. Confirm or decline it.", f.booker_name),
        ),
        EmailKind::BookingDeclinedAttendee => (
            format!("Declined: {with_organizer}"),
            "Your booking request was declined".into(),
            format!("{} could not accept this request.", f.organizer_name),
        ),
        EmailKind::BookingCancelledAttendee => (
            format!("Cancelled: {with_organizer}"),
            "This event has been cancelled".into(),
            "The booking below no longer takes place.".into(),
        ),
        EmailKind::BookingCancelledOrganizer => (
            format!("Cancelled: {with_booker}"),
            "This event has been cancelled".into(),
            "The booking below no longer takes place.".into(),
        ),
        EmailKind::BookingRescheduledAttendee => (
            format!("Rescheduled: {with_organizer}"),
            "Your booking has been rescheduled".into(),
            "The event moved to a new time. The attached invitation updates your calendar.".into(),
        ),
        EmailKind::BookingRescheduledOrganizer => (
            format!("Rescheduled: {with_booker}"),
            "A booking has been rescheduled".into(),
            "The event moved to a new time. The attached invitation updates your calendar.".into(),
        ),
        EmailKind::BookingRescheduleRequestedAttendee => (
            format!("Please pick a new time: {with_organizer}"),
            format!("{} asked you to reschedule", f.organizer_name),
            format!(
                "This booking was cancelled so you can choose another time. Please book again with {}.",
                f.organizer_name
            ),
        ),
        EmailKind::BookingRescheduleRequestedOrganizer => (
            format!("Reschedule requested: {with_booker}"),
            "You asked for a new time".into(),
            format!(
                "{} has been asked to book another time; this booking is cancelled.",
                f.booker_name
            ),
        ),
        EmailKind::BookingGuestInvited => (
            format!("Invitation: {with_organizer}"),
            "You have been added to an event".into(),
            "You were added as a guest. A calendar invitation is attached.".to_owned(),
        ),
        EmailKind::BookingGuestsAdded => (
            format!("Guests added: {}", f.title),
            "New guests joined this event".into(),
            format!("Added: {}.", f.people.join(", ")),
        ),
        EmailKind::BookingNoShowMarkedOrganizer => (
            format!("Attendance updated: {with_booker}"),
            "Attendance was recorded".into(),
            if f.people.is_empty() {
                "Everyone is marked as present.".to_owned()
            } else {
                format!("Marked as absent: {}.", f.people.join(", "))
            },
        ),
        // Workflow emails are written by the team (`workflows::render`); account emails have their own family.
        EmailKind::WorkflowEmail
        | EmailKind::PasswordReset
        | EmailKind::EmailVerificationCode
        | EmailKind::EmailChangeConfirmation
        | EmailKind::EmailChanged
        | EmailKind::SenderFailing => (String::new(), String::new(), String::new()),
    }
}

/// Renders a booking email of `kind` for `reader`.
pub fn booking(
    kind: EmailKind,
    facts: &BookingFacts<'_>,
    reader: &Reader<'_>,
    links: Vec<(String, String)>,
) -> Result<Rendered, askama::Error> {
    let w = words(reader.locale);
    let (subject, heading, intro) = booking_lines(kind, facts);
    let mut rows = vec![
        (w.what, facts.title.to_owned()),
        (w.when, when(reader, facts.start, facts.end)),
    ];
    if let Some(previous) = facts.previous_start {
        let duration = facts.end.duration_since(facts.start);
        let previous_end = previous.checked_add(duration).unwrap_or(previous);
        rows.push((w.previously, when(reader, previous, previous_end)));
    }
    let mut who = vec![format!(
        "{} <{}> (organizer)",
        facts.organizer_name, facts.organizer_email
    )];
    who.extend(facts.attendees.iter().cloned());
    rows.push((w.who, who.join(", ")));
    if let Some(location) = facts.location.filter(|l| !l.is_empty()) {
        rows.push((w.where_, location.to_owned()));
    }
    if !facts.description.is_empty() {
        rows.push((w.description, facts.description.to_owned()));
    }
    if let Some(reason) = facts.reason.filter(|r| !r.is_empty()) {
        rows.push((w.reason, reason.to_owned()));
    }
    rows.push((w.reference, facts.uid.to_owned()));
    let view = BookingView {
        lang: w.lang,
        heading,
        intro,
        rows,
        note: None,
        links,
        footer: w.footer,
    };
    Ok(Rendered {
        subject,
        text: BookingText { v: &view }.render()?,
        html: BookingHtml { v: &view }.render()?,
    })
}

/// A password reset email carrying `token` and a link to the reset page.
pub fn password_reset(token: &str, link: &str, valid_minutes: i64, locale: &str) -> Result<Rendered, askama::Error> {
    let w = words(locale);
    let view = AccountView {
        lang: w.lang,
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
    let w = words(locale);
    let view = AccountView {
        lang: w.lang,
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
    let w = words(locale);
    let view = AccountView {
        lang: w.lang,
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
    let w = words(locale);
    let view = AccountView {
        lang: w.lang,
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
    let w = words("en");
    let view = AccountView {
        lang: w.lang,
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
