//! The profile fields a signed-in person edits on the settings page, read into a store patch with the same value
//! types `PATCH /v2/me` uses (`HeaderText`, `TimeZoneId`, `Locale`, `WeekStart`, `TimeFormat`), so both accept and
//! refuse the same values. Errors name the field as the API does.

use convene_core::{FieldError, HeaderText, Locale, TimeFormat, TimeZoneId, WeekStart};
use convene_store::users::UserPatch;

/// Longest bio, in characters (as the API's `bio`).
pub const MAX_BIO_CHARS: usize = 2000;

/// The profile form as posted.
#[derive(Debug, Default)]
pub struct ProfileFields<'a> {
    pub name: &'a str,
    pub bio: &'a str,
    pub time_zone: &'a str,
    pub locale: &'a str,
    pub week_start: &'a str,
    pub time_format: &'a str,
}

/// The patch for `f`; a blank name or bio clears it.
pub fn profile_patch(f: &ProfileFields<'_>) -> Result<UserPatch, FieldError> {
    let name = match f.name.trim() {
        "" => None,
        n => Some(HeaderText::parse("name", n)?.as_str().to_owned()),
    };
    let bio = match f.bio.trim() {
        "" => None,
        b if b.chars().count() > MAX_BIO_CHARS => {
            return Err(FieldError::coded(
                "bio",
                "refusal-too-long",
                format!("must be at most {MAX_BIO_CHARS} characters"),
            )
            .arg("max", MAX_BIO_CHARS));
        }
        b => Some(b.to_owned()),
    };
    let hours: i64 = f
        .time_format
        .trim()
        .parse()
        .map_err(|_| FieldError::coded("timeFormat", "refusal-time-format", "must be 12 or 24"))?;
    Ok(UserPatch {
        name: Some(name),
        bio: Some(bio),
        time_zone: Some(TimeZoneId::parse("timeZone", f.time_zone.trim())?.as_str().to_owned()),
        locale: Some(Locale::parse("locale", f.locale.trim())?.as_str().to_owned()),
        week_start: Some(WeekStart::parse("weekStart", f.week_start.trim())?.as_str().to_owned()),
        time_format: Some(TimeFormat::parse("timeFormat", hours)?.hours()),
        ..UserPatch::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>() -> ProfileFields<'a> {
        ProfileFields {
            name: " Ada ",
            bio: "",
            time_zone: "Europe/Berlin",
            locale: "de",
            week_start: "Monday",
            time_format: "12",
        }
    }

    #[test]
    fn a_good_form_becomes_a_patch_and_blank_texts_clear() {
        let patch = profile_patch(&fields()).expect("valid");
        assert_eq!(patch.name, Some(Some("Ada".to_owned())));
        assert_eq!(patch.bio, Some(None));
        assert_eq!(patch.time_format, Some(12));
        assert_eq!(patch.locale.as_deref(), Some("de"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(&str, ProfileFields<'_>); 5] = [
            (
                "timeZone",
                ProfileFields {
                    time_zone: "Mars/Base",
                    ..fields()
                },
            ),
            (
                "locale",
                ProfileFields {
                    locale: "xx",
                    ..fields()
                },
            ),
            (
                "weekStart",
                ProfileFields {
                    week_start: "Someday",
                    ..fields()
                },
            ),
            (
                "timeFormat",
                ProfileFields {
                    time_format: "13",
                    ..fields()
                },
            ),
            (
                "name",
                ProfileFields {
                    name: "a\nb",
                    ..fields()
                },
            ),
        ];
        for (field, f) in cases {
            assert_eq!(profile_patch(&f).expect_err(field).field, field);
        }
    }
}
