//! The fields of `CreateOrgTeamDto` / `UpdateOrgTeamDto`, shared by teams and organizations.

use super::ApiError;
use super::dto::{optional_color, optional_text, optional_url};
use convene_core::metadata::metadata_text;
use convene_core::{HeaderText, Slug, TimeFormat, TimeZoneId, WeekStart};
use convene_store::teams::TeamFields;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub bio: Option<String>,
    pub logo_url: Option<String>,
    pub banner_url: Option<String>,
    pub brand_color: Option<String>,
    pub dark_brand_color: Option<String>,
    pub theme: Option<String>,
    pub hide_branding: Option<bool>,
    pub is_private: Option<bool>,
    #[serde(rename = "hideBookATeamMember")]
    pub hide_book_a_team_member: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub time_format: Option<i64>,
    pub time_zone: Option<String>,
    pub week_start: Option<String>,
    /// Create only: make the creator an accepted OWNER of the new team (default true).
    pub auto_accept_creator: Option<bool>,
}

impl TeamInput {
    /// Fields for a new team: `name` is required, `slug` derived from it when absent.
    pub fn for_create(self) -> Result<TeamFields, ApiError> {
        let Some(name) = self.name.as_deref() else {
            return Err(ApiError::field("name", "is required"));
        };
        let name = HeaderText::parse("name", name)?;
        let slug = match self.slug.as_deref() {
            Some(s) => Slug::parse("slug", s)?,
            None => Slug::from_name(name.as_str())
                .ok_or_else(|| ApiError::field("slug", "could not be derived from the name; please provide one"))?,
        };
        let mut fields = self.for_update()?;
        fields.name = Some(name.as_str().to_owned());
        fields.slug = Some(slug.as_str().to_owned());
        Ok(fields)
    }

    /// Fields for an update: only what is present.
    pub fn for_update(self) -> Result<TeamFields, ApiError> {
        Ok(TeamFields {
            name: self
                .name
                .map(|n| HeaderText::parse("name", &n).map(|n| n.as_str().to_owned()))
                .transpose()?,
            slug: self
                .slug
                .map(|s| Slug::parse("slug", &s).map(|s| s.as_str().to_owned()))
                .transpose()?,
            bio: optional_text("bio", self.bio.as_deref(), 2000)?,
            logo_url: optional_url("logoUrl", self.logo_url.as_deref())?,
            banner_url: optional_url("bannerUrl", self.banner_url.as_deref())?,
            brand_color: optional_color("brandColor", self.brand_color.as_deref())?,
            dark_brand_color: optional_color("darkBrandColor", self.dark_brand_color.as_deref())?,
            theme: optional_text("theme", self.theme.as_deref(), 32)?,
            hide_branding: self.hide_branding,
            is_private: self.is_private,
            hide_book_a_team_member: self.hide_book_a_team_member,
            time_zone: self
                .time_zone
                .map(|z| TimeZoneId::parse("timeZone", &z).map(|z| z.as_str().to_owned()))
                .transpose()?,
            week_start: self
                .week_start
                .map(|w| WeekStart::parse("weekStart", &w).map(|w| w.as_str().to_owned()))
                .transpose()?,
            time_format: self
                .time_format
                .map(|t| TimeFormat::parse("timeFormat", t).map(TimeFormat::hours))
                .transpose()?,
            metadata: self.metadata.map(|m| metadata_text("metadata", &m)).transpose()?,
        })
    }
}
