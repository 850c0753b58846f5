//! The user-profile fields accepted by `PATCH /v2/me` and the organization user endpoints,
//! parsed into a store patch with errors that name each field.

use super::ApiError;
use super::dto::{double_option, optional_text, optional_url};
use convene_core::metadata::metadata_text;
use convene_core::{EmailAddress, HeaderText, Locale, TimeFormat, TimeZoneId, Username, WeekStart};
use convene_store::users::UserPatch;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Profile fields; all optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInput {
    pub email: Option<String>,
    pub username: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub week_start: Option<String>,
    /// Cal.com's organization-user input calls the week start "weekday".
    pub weekday: Option<String>,
    pub time_format: Option<i64>,
    /// `PATCH /v2/me` only: make this schedule of yours the default.
    pub default_schedule_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
}

impl ProfileInput {
    /// Validates every present field (`defaultScheduleId` is the caller's to handle).
    pub fn into_patch(self) -> Result<UserPatch, ApiError> {
        let name = match self.name {
            Some(Some(n)) if !n.trim().is_empty() => Some(Some(HeaderText::parse("name", &n)?.as_str().to_owned())),
            Some(_) => Some(None),
            None => None,
        };
        Ok(UserPatch {
            email: self
                .email
                .map(|e| EmailAddress::parse("email", &e).map(|e| e.as_str().to_owned()))
                .transpose()?,
            username: self
                .username
                .map(|u| Username::parse("username", &u).map(|u| u.as_str().to_owned()))
                .transpose()?,
            name,
            bio: self.bio.map(|b| optional_text("bio", b.as_deref(), 2000)).transpose()?,
            avatar_url: self
                .avatar_url
                .map(|a| optional_url("avatarUrl", a.as_deref()))
                .transpose()?,
            time_zone: self
                .time_zone
                .map(|z| TimeZoneId::parse("timeZone", &z).map(|z| z.as_str().to_owned()))
                .transpose()?,
            locale: self
                .locale
                .map(|l| Locale::parse("locale", &l).map(|l| l.as_str().to_owned()))
                .transpose()?,
            week_start: match (self.week_start, self.weekday) {
                (Some(w), _) => Some(WeekStart::parse("weekStart", &w)?.as_str().to_owned()),
                (None, Some(w)) => Some(WeekStart::parse("weekday", &w)?.as_str().to_owned()),
                (None, None) => None,
            },
            time_format: self
                .time_format
                .map(|t| TimeFormat::parse("timeFormat", t).map(TimeFormat::hours))
                .transpose()?,
            metadata: self.metadata.map(|m| metadata_text("metadata", &m)).transpose()?,
            password_hash: None,
        })
    }
}
