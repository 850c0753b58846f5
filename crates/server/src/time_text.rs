//! Instants and dates as text, the way Cal.com writes them: shared by the API, the web pages, email bodies and
//! webhook payloads, and the parsers the API and pages read them with (errors name the field).

use convene_core::FieldError;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// A stored epoch-milliseconds instant. Stored values are always in range; an impossible one
/// reads as the epoch rather than failing a request.
pub fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `at` moved by `by`, held at the ends of jiff's range rather than overflowing (a window near year 9999 widened
/// by its margins).
pub fn shifted(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(if by.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// `at` moved on by `by`, held at the end of jiff's range rather than overflowing (a cool-down or a retry delay
/// configured absurdly long).
pub fn advanced(at: Timestamp, by: std::time::Duration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

/// `2050-09-05T09:00:00.000+02:00`: local time in `tz` with milliseconds, as Cal.com shows slots.
pub fn local_iso(at: Timestamp, tz: &TimeZone) -> String {
    let mut iso = String::with_capacity(29);
    push_local_iso(&mut iso, at, tz.to_offset(at));
    iso
}

/// The local date (`2050-09-05`) and [`local_iso`] text of one instant, from one zone lookup.
pub fn local_date_and_iso(at: Timestamp, tz: &TimeZone) -> (String, String) {
    let mut iso = String::with_capacity(29);
    push_local_iso(&mut iso, at, tz.to_offset(at));
    (iso[..iso.find('T').unwrap_or(iso.len())].to_owned(), iso)
}

/// Appends [`local_iso`] text of `at` at `offset` (the zone's offset there, looked up by the caller, who
/// usually needs it for the date too). Digits are written by hand rather than with `strftime` or `write!`:
/// slot lists format thousands of instants per request, and this is several times cheaper.
pub fn push_local_iso(out: &mut String, at: Timestamp, offset: Offset) {
    let dt = offset.to_datetime(at);
    push_date(out, dt.date());
    out.push('T');
    push_digits(out, i64::from(dt.hour()), 2);
    out.push(':');
    push_digits(out, i64::from(dt.minute()), 2);
    out.push(':');
    push_digits(out, i64::from(dt.second()), 2);
    out.push('.');
    push_digits(out, i64::from(dt.subsec_nanosecond() / 1_000_000), 3);
    let seconds = offset.seconds();
    out.push(if seconds < 0 { '-' } else { '+' });
    let seconds = i64::from(seconds.unsigned_abs());
    push_digits(out, seconds / 3600, 2);
    out.push(':');
    push_digits(out, seconds % 3600 / 60, 2);
}

/// Appends `2050-09-05`.
pub fn push_date(out: &mut String, date: Date) {
    let year = i64::from(date.year());
    if (0..=9999).contains(&year) {
        push_digits(out, year, 4);
    } else {
        // Years before 0 exist only at the edge of jiff's range; `format!` writes their sign.
        out.push_str(&format!("{year:04}"));
    }
    out.push('-');
    push_digits(out, i64::from(date.month()), 2);
    out.push('-');
    push_digits(out, i64::from(date.day()), 2);
}

/// Appends the last `width` decimal digits of a non-negative `n`, zero-padded.
fn push_digits(out: &mut String, n: i64, width: u32) {
    let mut div = 10_i64.pow(width - 1);
    while div > 0 {
        out.push(char::from(b'0' + u8::try_from(n / div % 10).unwrap_or(0)));
        div /= 10;
    }
}

/// `2050-09-05T07:00:00.000Z`: UTC with milliseconds, as Cal.com shows booking times.
pub fn utc_iso(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An instant with an offset (`2024-08-13T09:00:00Z`, `…+02:00`). Naive date-times are refused:
/// a booking time must not depend on the server's zone.
pub fn parse_instant(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    raw.trim().parse::<Timestamp>().map_err(|_| {
        FieldError::coded(
            field,
            "refusal-instant",
            format!("'{raw}' must be an ISO 8601 instant with a zone, e.g. 2050-09-05T09:00:00Z"),
        )
        .arg("value", raw)
    })
}

/// A window bound: a date (`2050-09-05`, read in `tz`: its start, or with `end_of_day` the next
/// midnight) or an instant.
pub fn parse_bound(field: &str, raw: &str, tz: &TimeZone, end_of_day: bool) -> Result<Timestamp, FieldError> {
    let raw = raw.trim();
    if raw.len() == 10
        && let Ok(date) = raw.parse::<Date>()
    {
        let day = if end_of_day {
            date.tomorrow()
                .map_err(|_| FieldError::coded(field, "refusal-out-of-range", "is out of range"))?
        } else {
            date
        };
        return day
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| FieldError::coded(field, "refusal-out-of-range", format!("'{raw}' is out of range")));
    }
    raw.parse::<Timestamp>().map_err(|_| {
        FieldError::coded(
            field,
            "refusal-date",
            format!("'{raw}' must be a date (2050-09-05) or an ISO 8601 instant (2050-09-05T09:00:00Z)"),
        )
        .arg("value", raw)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_carry_milliseconds_and_offset() {
        let tz = TimeZone::get("Europe/Rome").expect("zone");
        let at: Timestamp = "2050-09-05T07:00:00Z".parse().expect("instant");
        assert_eq!(local_iso(at, &tz), "2050-09-05T09:00:00.000+02:00");
        let kolkata = TimeZone::get("Asia/Kolkata").expect("zone");
        assert_eq!(
            local_date_and_iso(at, &kolkata),
            ("2050-09-05".into(), "2050-09-05T12:30:00.000+05:30".into())
        );
        let la = TimeZone::get("America/Los_Angeles").expect("zone");
        assert_eq!(
            local_date_and_iso(at, &la),
            ("2050-09-05".into(), "2050-09-05T00:00:00.000-07:00".into())
        );
        // The hand-written form matches jiff's own formatting.
        let st_johns = TimeZone::get("America/St_Johns").expect("zone");
        let expected = at
            .to_zoned(st_johns.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string();
        assert_eq!(local_iso(at, &st_johns), expected);
        assert_eq!(utc_iso(at), "2050-09-05T07:00:00.000Z");
    }

    #[test]
    fn date_bounds_are_read_in_the_requested_zone() {
        let tz = TimeZone::get("America/New_York").expect("zone");
        let start = parse_bound("start", "2026-03-08", &tz, false).expect("start");
        let end = parse_bound("end", "2026-03-08", &tz, true).expect("end");
        assert_eq!(start.to_string(), "2026-03-08T05:00:00Z");
        // The spring-forward day is 23 hours long.
        assert_eq!(end.as_second() - start.as_second(), 23 * 3600);
        assert!(parse_bound("start", "yesterday", &tz, false).is_err());
        assert!(
            parse_instant("start", "2026-03-08T09:00:00").is_err(),
            "no zone, no booking"
        );
    }
}
