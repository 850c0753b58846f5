//! Output shapes shared by several resources, with Cal.com's field names, and input helpers.

use super::ApiError;
use convene_store::memberships::MembershipRecord;
use convene_store::teams::TeamRecord;
use convene_store::users::UserRecord;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// An instant as RFC 3339 text with no more fraction than it has, as the API shows these times.
pub fn iso(at: jiff::Timestamp) -> String {
    at.to_string()
}

/// Stored metadata text → JSON object (an unreadable value reads as empty, never a 500).
pub fn metadata_value(stored: &str) -> Value {
    serde_json::from_str::<Value>(stored)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Optional free text (bio, …): trimmed, bounded, empty → none.
pub fn optional_text(field: &str, value: Option<&str>, max_chars: usize) -> Result<Option<String>, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max_chars {
        return Err(ApiError::field(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(Some(v.to_owned()))
}

/// An http(s) URL for avatars, logos and banners.
pub fn optional_url(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(v) = optional_text(field, value, 2048)? else {
        return Ok(None);
    };
    if !(v.starts_with("https://") || v.starts_with("http://")) || v.chars().any(char::is_whitespace) {
        return Err(ApiError::field(field, "must be an http(s) URL"));
    }
    Ok(Some(v))
}

/// A `#rrggbb` colour.
pub fn optional_color(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let ok = v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit());
    if !ok {
        return Err(ApiError::field(field, "must be a hex colour like #292929"));
    }
    Ok(Some(v.to_owned()))
}

/// `MeOrgOutput`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeOrgOutput {
    pub is_platform: bool,
    pub id: i64,
}

/// `MeOutput`, plus `locale`, `emailVerified` and `emailChangeWaitingForVerification`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeOutput {
    pub id: i64,
    pub username: String,
    /// The account's current address; a requested change shows here only once it is confirmed.
    pub email: String,
    /// Our addition (as on Cal.com's user objects): when `email` was proved, or null. Bookings attended are
    /// visible only through a verified address.
    pub email_verified: Option<String>,
    /// Our addition, named after the user-metadata key Cal.com uses for the same thing: the address the user asked
    /// to move to, until the code or link sent there confirms it. Absent when no change is pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_change_waiting_for_verification: Option<String>,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
    pub time_format: i64,
    pub default_schedule_id: Option<i64>,
    pub week_start: String,
    pub time_zone: String,
    pub locale: String,
    pub organization_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<MeOrgOutput>,
}

impl MeOutput {
    pub fn new(u: &UserRecord, default_schedule_id: Option<i64>, pending_email: Option<String>) -> Self {
        MeOutput {
            id: u.id.0,
            username: u.username.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified_at.map(iso),
            email_change_waiting_for_verification: pending_email,
            name: u.name.clone(),
            avatar_url: u.avatar_url.clone(),
            bio: u.bio.clone(),
            time_format: u.time_format,
            default_schedule_id,
            week_start: u.week_start.clone(),
            time_zone: u.time_zone.clone(),
            locale: u.locale.clone(),
            organization_id: u.organization_id.map(|id| id.0),
            organization: u.organization_id.map(|id| MeOrgOutput {
                is_platform: false,
                id: id.0,
            }),
        }
    }
}

/// `OrgTeamOutputDto` (organizations use the same shape with `isOrganization: true`). Unset optional
/// fields are left out: the schema has no `null` for them.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamOutput {
    pub id: i64,
    /// Left out for organizations and teams outside them (the schema has no `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dark_brand_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    pub hide_branding: bool,
    pub is_organization: bool,
    pub is_private: bool,
    pub hide_book_a_team_member: bool,
    #[schema(value_type = Object)]
    pub metadata: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_format: Option<i64>,
    pub time_zone: String,
    pub week_start: String,
}

impl From<&TeamRecord> for TeamOutput {
    fn from(t: &TeamRecord) -> Self {
        TeamOutput {
            id: t.id.0,
            parent_id: t.parent_id.map(|id| id.0),
            name: t.name.clone(),
            slug: t.slug.clone(),
            bio: t.bio.clone(),
            logo_url: t.logo_url.clone(),
            banner_url: t.banner_url.clone(),
            brand_color: t.brand_color.clone(),
            dark_brand_color: t.dark_brand_color.clone(),
            theme: t.theme.clone(),
            hide_branding: t.hide_branding,
            is_organization: t.is_organization,
            is_private: t.is_private,
            hide_book_a_team_member: t.hide_book_a_team_member,
            metadata: metadata_value(&t.metadata),
            time_format: t.time_format,
            time_zone: t.time_zone.clone(),
            week_start: t.week_start.clone(),
        }
    }
}

/// `MembershipUserOutputDto` (unset `avatarUrl`/`bio` left out: the schema has no `null`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipUserOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    pub username: String,
    pub name: Option<String>,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Value,
}

/// `OrganizationMembershipOutput` / `TeamMembershipOutput` (the latter without `attributes`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipOutput {
    pub id: i64,
    pub user_id: i64,
    pub team_id: i64,
    pub accepted: bool,
    pub role: String,
    pub disable_impersonation: bool,
    pub user: MembershipUserOutput,
    /// Organization memberships only: attribute assignments (none yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub attributes: Option<Vec<Value>>,
}

impl MembershipOutput {
    pub fn for_org(m: &MembershipRecord) -> Self {
        Self {
            attributes: Some(Vec::new()),
            ..Self::for_team(m)
        }
    }

    pub fn for_team(m: &MembershipRecord) -> Self {
        MembershipOutput {
            id: m.id.0,
            user_id: m.user_id.0,
            team_id: m.team_id.0,
            accepted: m.accepted,
            role: m.role.clone(),
            disable_impersonation: m.disable_impersonation,
            user: MembershipUserOutput {
                avatar_url: m.user_avatar_url.clone(),
                username: m.user_username.clone(),
                name: m.user_name.clone(),
                email: m.user_email.clone(),
                bio: m.user_bio.clone(),
                metadata: metadata_value(&m.user_metadata),
            },
            attributes: None,
        }
    }
}

/// `ProfileOutput`: the user within the organization (its id is the org membership's).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileOutput {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    pub username: String,
}

/// `GetOrgUsersWithProfileOutput`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgUserOutput {
    pub id: i64,
    pub username: String,
    pub name: Option<String>,
    pub email: String,
    pub email_verified: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub time_zone: String,
    pub week_start: String,
    pub default_schedule_id: Option<i64>,
    pub locale: String,
    pub time_format: i64,
    pub hide_branding: bool,
    pub created_date: String,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub profile: ProfileOutput,
}

impl OrgUserOutput {
    pub fn new(u: &UserRecord, org_id: i64, membership_id: i64) -> Self {
        OrgUserOutput {
            id: u.id.0,
            username: u.username.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified_at.map(iso),
            bio: u.bio.clone(),
            avatar_url: u.avatar_url.clone(),
            time_zone: u.time_zone.clone(),
            week_start: u.week_start.clone(),
            default_schedule_id: None,
            locale: u.locale.clone(),
            time_format: u.time_format,
            hide_branding: false,
            created_date: iso(u.created_at),
            metadata: metadata_value(&u.metadata),
            profile: ProfileOutput {
                id: membership_id,
                organization_id: org_id,
                user_id: u.id.0,
                username: u.username.clone(),
            },
        }
    }
}
