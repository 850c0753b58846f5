//! A workflow step's subject and body with its `{VARIABLES}` filled in for one recipient: dates and times in the
//! recipient's zone, day and month names in their language (the booking pages' words, from the same Fluent files).
//!
//! Values are escaped for HTML in the HTML body; the plain-text body is the template with its tags removed and the
//! raw values; the subject is one line whatever the values hold (no header can be injected through it). Unknown
//! variables stay as written, so a typo shows in the email rather than vanishing.

use crate::i18n::Lang;
use askama::Template;
use convene_core::text::is_line_break_or_control;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use std::collections::HashMap;

/// What one recipient's copy says: the values of the variables, and the recipient's clock.
pub struct Variables {
    values: HashMap<String, String>,
    start: Timestamp,
    end: Timestamp,
    zone: TimeZone,
    lang: Lang,
}

/// The facts a step's text may use.
pub struct Facts<'a> {
    pub event_name: &'a str,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
    pub start: Timestamp,
    pub end: Timestamp,
    pub location: Option<&'a str>,
    pub notes: Option<&'a str>,
    /// The booking's own manage links (empty when it has none, e.g. once cancelled).
    pub cancel_url: &'a str,
    pub reschedule_url: &'a str,
    /// Booking question answers, by question slug.
    pub answers: &'a serde_json::Map<String, serde_json::Value>,
    /// The reader's zone (IANA name) and clock.
    pub time_zone: &'a str,
    pub twelve_hour: bool,
    /// The reader's language (a BCP 47 tag; English when it is not one of ours).
    pub locale: &'a str,
}

impl Variables {
    pub fn new(f: &Facts<'_>) -> Self {
        let zone = TimeZone::get(f.time_zone).unwrap_or(TimeZone::UTC);
        let lang = Lang::from_tag(f.locale).unwrap_or_default();
        let time = if f.twelve_hour { "%-I:%M%P" } else { "%H:%M" };
        let local = |at: Timestamp, fmt: &str| at.to_zoned(zone.clone()).strftime(fmt).to_string();
        let (first, last) = f.attendee_name.split_once(' ').unwrap_or((f.attendee_name, ""));
        let location = f.location.unwrap_or_default();
        let meeting_url = if location.starts_with("https://") || location.starts_with("http://") {
            location
        } else {
            ""
        };
        let mut values: HashMap<String, String> = [
            ("EVENT_NAME", f.event_name.to_owned()),
            ("ORGANIZER", f.organizer_name.to_owned()),
            ("ORGANIZER_NAME", f.organizer_name.to_owned()),
            ("ORGANIZER_EMAIL", f.organizer_email.to_owned()),
            ("ATTENDEE", f.attendee_name.to_owned()),
            ("ATTENDEE_NAME", f.attendee_name.to_owned()),
            ("ATTENDEE_FIRST_NAME", first.to_owned()),
            ("ATTENDEE_LAST_NAME", last.to_owned()),
            ("ATTENDEE_EMAIL", f.attendee_email.to_owned()),
            ("EVENT_DATE", long_date(&f.start.to_zoned(zone.clone()), lang)),
            ("EVENT_TIME", local(f.start, time)),
            ("START_TIME", local(f.start, time)),
            ("EVENT_END_TIME", local(f.end, time)),
            ("TIMEZONE", f.time_zone.to_owned()),
            ("LOCATION", location.to_owned()),
            ("MEETING_URL", meeting_url.to_owned()),
            ("ADDITIONAL_NOTES", f.notes.unwrap_or_default().to_owned()),
            ("CANCEL_URL", f.cancel_url.to_owned()),
            ("RESCHEDULE_URL", f.reschedule_url.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        // Answers to booking questions, as Cal.com names them: the question's slug in capitals, `-` as `_`.
        for (slug, answer) in f.answers {
            let text = match answer {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            values.entry(slug.to_uppercase().replace('-', "_")).or_insert(text);
        }
        Variables {
            values,
            start: f.start,
            end: f.end,
            zone,
            lang,
        }
    }

    /// The value of `{name}`, if it is a variable: a plain one, or a date or time with a custom format
    /// (`{EVENT_DATE_ddd, MMM D, YYYY h:mma}`, day.js tokens as Cal.com takes them).
    fn value(&self, name: &str) -> Option<String> {
        if let Some(v) = self.values.get(&name.to_uppercase()) {
            return Some(v.clone());
        }
        let formatted = |at: Timestamp, fmt: &str| {
            let local = at.to_zoned(self.zone.clone());
            let spec = strftime_of(fmt, &Names::of(&local, self.lang));
            local.strftime(&spec).to_string()
        };
        for (prefix, at) in [
            ("EVENT_DATE_", self.start),
            ("EVENT_TIME_", self.start),
            ("START_TIME_", self.start),
            ("EVENT_END_TIME_", self.end),
        ] {
            if let Some(fmt) = name.strip_prefix(prefix) {
                return Some(formatted(at, fmt));
            }
        }
        None
    }

    /// `template` with every known `{VARIABLE}` replaced by `escape(value)`.
    fn fill(&self, template: &str, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find(['}', '{']) {
                Some(close) if after.as_bytes()[close] == b'}' => {
                    let name = &after[..close];
                    match self.value(name) {
                        Some(v) => out.push_str(&escape(&v)),
                        None => {
                            out.push('{');
                            out.push_str(name);
                            out.push('}');
                        }
                    }
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// "Monday, 7 January 2030" in the reader's language, as booking emails write dates.
fn long_date(at: &Zoned, lang: Lang) -> String {
    let names = Names::of(at, lang);
    lang.text_with(
        "email-date",
        &[
            ("weekday", &names.weekday),
            ("day", &at.day().to_string()),
            ("month", &names.month),
            ("year", &at.year().to_string()),
        ],
    )
}

/// A day's weekday and month names in one language.
struct Names {
    weekday: String,
    month: String,
}

impl Names {
    fn of(at: &Zoned, lang: Lang) -> Names {
        Names {
            weekday: lang.text(&format!("wd-{}", at.weekday().to_monday_one_offset())),
            month: lang.text(&format!("month-{}", at.month())),
        }
    }
}

/// day.js format tokens → strftime, with weekday and month names written out from `names` (short ones are their
/// first three letters). Anything that is not a token is kept literally.
fn strftime_of(dayjs: &str, names: &Names) -> String {
    let literal = |text: &str| text.replace('%', "%%");
    let short = |text: &str| literal(&text.chars().take(3).collect::<String>());
    let (weekday, weekday_short) = (literal(&names.weekday), short(&names.weekday));
    let (month, month_short) = (literal(&names.month), short(&names.month));
    let tokens: [(&str, &str); 19] = [
        ("YYYY", "%Y"),
        ("YY", "%y"),
        ("MMMM", &month),
        ("MMM", &month_short),
        ("MM", "%m"),
        ("M", "%-m"),
        ("DD", "%d"),
        ("D", "%-d"),
        ("dddd", &weekday),
        ("ddd", &weekday_short),
        ("HH", "%H"),
        ("H", "%-H"),
        ("hh", "%I"),
        ("h", "%-I"),
        ("mm", "%M"),
        ("ss", "%S"),
        ("A", "%p"),
        ("a", "%P"),
        ("Z", "%:z"),
    ];
    let mut out = String::new();
    let mut rest = dayjs;
    'outer: while let Some(c) = rest.chars().next() {
        for (token, spec) in tokens {
            if let Some(after) = rest.strip_prefix(token) {
                out.push_str(spec);
                rest = after;
                continue 'outer;
            }
        }
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line: line breaks (U+2028/2029 included) and control characters become spaces, runs of spaces shrink, at
/// most 255 characters.
fn one_line(raw: &str) -> String {
    let spaced: String = raw
        .chars()
        .map(|c| if is_line_break_or_control(c) { ' ' } else { c })
        .collect();
    let line = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(255).collect()
}

/// The text of an HTML fragment: block ends and `<br>` become line breaks, other tags go, the common entities
/// are decoded.
fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if tag.starts_with("br") || tag.starts_with("/p") || tag.starts_with("/div") || tag.starts_with("/li") {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[derive(Template)]
#[template(path = "email/workflow.html")]
struct WorkflowHtml<'a> {
    subject: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "email/workflow.txt")]
struct WorkflowText<'a> {
    body: &'a str,
}

/// A rendered copy: subject, plain text, HTML.
pub struct Copy {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders a step's subject and HTML body for one recipient.
pub fn render(subject: &str, html: &str, vars: &Variables) -> Result<Copy, askama::Error> {
    let subject = one_line(&vars.fill(subject, str::to_owned));
    let body_html = vars.fill(html, escape_html);
    let body_text = vars.fill(&text_of(html), str::to_owned);
    Ok(Copy {
        html: WorkflowHtml {
            subject: &subject,
            body: &body_html,
        }
        .render()?,
        text: WorkflowText { body: &body_text }.render()?,
        subject,
    })
}

/// A text message's subject and body: variables filled in as they are, no HTML anywhere.
pub fn render_text(subject: &str, body: &str, vars: &Variables) -> (String, String) {
    (
        one_line(&vars.fill(subject, str::to_owned)),
        vars.fill(body, str::to_owned),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(zone: &str, name: &str) -> Variables {
        let answers = serde_json::json!({ "company-name": "Acme <b>", "notes": "bring slides" });
        Variables::new(&Facts {
            event_name: "Intro",
            organizer_name: "Olga Organizer",
            organizer_email: "olga@example.test",
            attendee_name: name,
            attendee_email: "ada@example.test",
            start: "2030-01-07T09:00:00Z".parse().expect("an instant"),
            end: "2030-01-07T09:30:00Z".parse().expect("an instant"),
            location: Some("https://meet.example.test/abc"),
            notes: Some("bring slides"),
            cancel_url: "",
            reschedule_url: "",
            answers: answers.as_object().expect("an object"),
            time_zone: zone,
            twelve_hour: false,
            locale: "en",
        })
    }

    #[test]
    fn times_are_in_the_readers_zone() {
        let copy = render(
            "{EVENT_TIME} {TIMEZONE}",
            "<p>{EVENT_DATE_ddd, MMM D, YYYY h:mma}</p>",
            &vars("Asia/Tokyo", "Ada"),
        )
        .expect("renders");
        assert_eq!(copy.subject, "18:00 Asia/Tokyo");
        assert!(copy.text.contains("Mon, Jan 7, 2030 6:00pm"), "{}", copy.text);
    }

    #[test]
    fn values_are_escaped_in_html_and_subjects_stay_one_line() {
        let copy = render(
            "Hi {ATTENDEE}",
            "<p>{ATTENDEE} from {COMPANY_NAME} {unknown}</p>",
            &vars("UTC", "Eve\r\nBcc: x@y.z <script>"),
        )
        .expect("renders");
        assert_eq!(copy.subject, "Hi Eve Bcc: x@y.z <script>");
        assert!(
            copy.html
                .contains("Eve\r\nBcc: x@y.z &lt;script&gt; from Acme &lt;b&gt; {unknown}"),
            "{}",
            copy.html
        );
        assert!(!copy.html.contains("<script>"));
        assert!(copy.text.contains("from Acme <b> {unknown}"), "{}", copy.text);
    }

    #[test]
    fn dayjs_tokens_translate() {
        let names = Names {
            weekday: "Monday".into(),
            month: "January".into(),
        };
        assert_eq!(
            strftime_of("ddd, MMM D, YYYY h:mma", &names),
            "Mon, Jan %-d, %Y %-I:%M%P"
        );
        assert_eq!(strftime_of("dddd MMMM 100%", &names), "Monday January 100%%");
    }

    #[test]
    fn dates_are_in_the_readers_language() {
        let answers = serde_json::Map::new();
        let vars = |locale: &'static str| {
            Variables::new(&Facts {
                event_name: "Intro",
                organizer_name: "Olga",
                organizer_email: "olga@example.test",
                attendee_name: "Ada",
                attendee_email: "ada@example.test",
                start: "2030-01-07T09:00:00Z".parse().expect("an instant"),
                end: "2030-01-07T09:30:00Z".parse().expect("an instant"),
                location: None,
                notes: None,
                cancel_url: "",
                reschedule_url: "",
                answers: &answers,
                time_zone: "Europe/Berlin",
                twelve_hour: false,
                locale,
            })
        };
        let de = render(
            "{EVENT_DATE} {EVENT_TIME}",
            "<p>{EVENT_DATE_dddd, D. MMMM}</p>",
            &vars("de"),
        )
        .expect("de");
        assert_eq!(de.subject, "Montag, 7. Januar 2030 10:00");
        assert!(de.text.contains("Montag, 7. Januar"), "{}", de.text);
        let fr = render("{EVENT_DATE}", "<p>{EVENT_DATE_ddd D MMM}</p>", &vars("fr-CA")).expect("fr");
        assert_eq!(fr.subject, "lundi 7 janvier 2030");
        assert!(fr.text.contains("lun 7 jan"), "{}", fr.text);
        let fallback = render("{EVENT_DATE}", "<p></p>", &vars("xx")).expect("en");
        assert_eq!(fallback.subject, "Monday, 7 January 2030");
    }
}
