//! Instants and dates as the API reads and writes them.

use crate::api::ApiError;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// `2050-09-05T09:00:00.000+02:00`: local time in `tz` with milliseconds, as Cal.com shows slots.
pub fn local_iso(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

/// `2050-09-05T07:00:00.000Z`: UTC with milliseconds, as Cal.com shows booking times.
pub fn utc_iso(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An instant with an offset (`2024-08-13T09:00:00Z`, `…+02:00`). Naive date-times are refused:
/// a booking time must not depend on the server's zone.
pub fn parse_instant(field: &str, raw: &str) -> Result<Timestamp, ApiError> {
    raw.trim().parse::<Timestamp>().map_err(|_| {
        ApiError::field(
            field,
            format!("'{raw}' must be an ISO 8601 instant with a zone, e.g. 2050-09-05T09:00:00Z"),
        )
    })
}

/// A window bound: a date (`2050-09-05`, read in `tz`: its start, or with `end_of_day` the next
/// midnight) or an instant.
pub fn parse_bound(field: &str, raw: &str, tz: &TimeZone, end_of_day: bool) -> Result<Timestamp, ApiError> {
    let raw = raw.trim();
    if raw.len() == 10
        && let Ok(date) = raw.parse::<Date>()
    {
        let day = if end_of_day {
            date.tomorrow().map_err(|_| ApiError::field(field, "is out of range"))?
        } else {
            date
        };
        return day
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::field(field, format!("'{raw}' is out of range")));
    }
    raw.parse::<Timestamp>().map_err(|_| {
        ApiError::field(
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
