//! Instants and dates as text, the way Cal.com writes them: shared by the API, the web pages, email bodies and
//! webhook payloads, and the parsers the API and pages read them with (errors name the field).

use convene_core::FieldError;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// A stored epoch-milliseconds instant. Stored values are always in range; an impossible one
/// reads as the epoch rather than failing a request.
pub fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `2050-09-05T09:00:00.000+02:00`: local time in `tz` with milliseconds, as Cal.com shows slots.
pub fn local_iso(at: Timestamp, tz: &TimeZone) -> String {
    local_date_and_iso(at, tz).1
}

/// The local date (`2050-09-05`) and [`local_iso`] text of one instant, from one zone lookup.
/// Written by hand rather than with `strftime`: slot lists format thousands of instants per
/// request, and this is several times cheaper than interpreting a format string each time.
pub fn local_date_and_iso(at: Timestamp, tz: &TimeZone) -> (String, String) {
    use std::fmt::Write;
    let offset = tz.to_offset(at);
    let dt = offset.to_datetime(at);
    let date = format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day());
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.unsigned_abs() / 3600, seconds.unsigned_abs() % 3600 / 60);
    let mut iso = String::with_capacity(29);
    let _ = write!(
        iso,
        "{date}T{:02}:{:02}:{:02}.{:03}{sign}{h:02}:{m:02}",
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    );
    (date, iso)
}

/// `2050-09-05T07:00:00.000Z`: UTC with milliseconds, as Cal.com shows booking times.
pub fn utc_iso(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An instant with an offset (`2024-08-13T09:00:00Z`, `…+02:00`). Naive date-times are refused:
/// a booking time must not depend on the server's zone.
pub fn parse_instant(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    raw.trim().parse::<Timestamp>().map_err(|_| {
        FieldError::new(
            field,
            format!("'{raw}' must be an ISO 8601 instant with a zone, e.g. 2050-09-05T09:00:00Z"),
        )
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
            date.tomorrow().map_err(|_| FieldError::new(field, "is out of range"))?
        } else {
            date
        };
        return day
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| FieldError::new(field, format!("'{raw}' is out of range")));
    }
    raw.parse::<Timestamp>().map_err(|_| {
        FieldError::new(
            field,
            format!("'{raw}' must be a date (2050-09-05) or an ISO 8601 instant (2050-09-05T09:00:00Z)"),
        )
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
