//! User profile values with Cal.com's enumerations: time zone, locale, week start, time format.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// An IANA time zone name that exists in the bundled time zone database.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeZoneId(String);

impl TimeZoneId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match jiff::tz::TimeZone::get(raw) {
            Ok(_) if !raw.is_empty() => Ok(Self(raw.to_owned())),
            _ => Err(FieldError::coded(
                field,
                "refusal-time-zone",
                format!("'{raw}' is not a known IANA time zone (e.g. \"Europe/London\")"),
            )
            .arg("value", raw)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TimeZoneId {
    fn default() -> Self {
        Self("Europe/London".to_owned())
    }
}

/// The first day of a user's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum WeekStart {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    #[default]
    Sunday,
}

impl WeekStart {
    const ALL: [WeekStart; 7] = [
        WeekStart::Monday,
        WeekStart::Tuesday,
        WeekStart::Wednesday,
        WeekStart::Thursday,
        WeekStart::Friday,
        WeekStart::Saturday,
        WeekStart::Sunday,
    ];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw).ok_or_else(|| {
            FieldError::coded(
                field,
                "refusal-weekday",
                "must be one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday",
            )
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WeekStart::Monday => "Monday",
            WeekStart::Tuesday => "Tuesday",
            WeekStart::Wednesday => "Wednesday",
            WeekStart::Thursday => "Thursday",
            WeekStart::Friday => "Friday",
            WeekStart::Saturday => "Saturday",
            WeekStart::Sunday => "Sunday",
        }
    }
}

/// A locale from Cal.com's `enum-locale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Locale(&'static str);

impl Locale {
    const KNOWN: [&'static str; 43] = [
        "ar", "ca", "de", "es", "eu", "he", "id", "ja", "lv", "pl", "ro", "sr", "th", "vi", "az", "cs", "el", "es-419",
        "fi", "hr", "it", "km", "nl", "pt", "ru", "sv", "tr", "zh-CN", "bg", "da", "en", "et", "fr", "hu", "iw", "ko",
        "no", "pt-BR", "sk", "ta", "uk", "zh-TW", "bn",
    ];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::KNOWN.into_iter().find(|l| *l == raw).map(Self).ok_or_else(|| {
            FieldError::coded(
                field,
                "refusal-locale",
                format!("'{raw}' is not a supported locale (e.g. \"en\", \"de\", \"pt-BR\")"),
            )
            .arg("value", raw)
        })
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl Default for Locale {
    fn default() -> Self {
        Self("en")
    }
}

/// 12- or 24-hour clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeFormat(u8);

impl TimeFormat {
    pub fn parse(field: &str, raw: i64) -> Result<Self, FieldError> {
        match raw {
            12 | 24 => Ok(Self(raw as u8)),
            _ => Err(FieldError::coded(field, "refusal-time-format", "must be 12 or 24")),
        }
    }

    pub fn hours(self) -> i64 {
        i64::from(self.0)
    }
}

impl Default for TimeFormat {
    fn default() -> Self {
        Self(12)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_time_zones_parse_and_unknown_ones_name_the_field() {
        assert!(TimeZoneId::parse("timeZone", "Asia/Kolkata").is_ok());
        let err = TimeZoneId::parse("timeZone", "Mars/Olympus").expect_err("unknown zone");
        assert_eq!(err.field, "timeZone");
        assert!(TimeZoneId::parse("timeZone", "").is_err());
    }

    #[test]
    fn locales_and_week_starts_follow_the_spec_enums() {
        assert_eq!(Locale::parse("locale", "pt-BR").map(Locale::as_str), Ok("pt-BR"));
        assert!(Locale::parse("locale", "xx").is_err());
        assert_eq!(WeekStart::parse("weekStart", "Monday"), Ok(WeekStart::Monday));
        assert!(WeekStart::parse("weekStart", "monday").is_err());
        assert!(TimeFormat::parse("timeFormat", 13).is_err());
    }
}
