//! Organizations and the teams inside them (one table, one id space, as in Cal.com).

use crate::millis::Millis;
use crate::{Exec, StoreError, StoreResult, now_ms};
use convene_core::{TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct TeamRecord {
    pub id: TeamId,
    pub parent_id: Option<TeamId>,
    pub is_organization: bool,
    pub name: String,
    pub slug: String,
    pub bio: Option<String>,
    pub logo_url: Option<String>,
    pub banner_url: Option<String>,
    pub brand_color: Option<String>,
    pub dark_brand_color: Option<String>,
    pub theme: Option<String>,
    pub hide_branding: bool,
    pub is_private: bool,
    pub hide_book_a_team_member: bool,
    pub time_zone: String,
    pub week_start: String,
    pub time_format: Option<i64>,
    pub metadata: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

impl TeamRecord {
    pub fn team_id(&self) -> TeamId {
        self.id
    }

    /// A team outside any organization (neither an organization nor inside one).
    pub fn is_standalone(&self) -> bool {
        self.parent_id.is_none() && !self.is_organization
    }
}

const COLUMNS: &str = "id, parent_id, is_organization, name, slug, bio, logo_url, banner_url, brand_color, \
     dark_brand_color, theme, hide_branding, is_private, hide_book_a_team_member, time_zone, week_start, \
     time_format, metadata, created_at, updated_at";

/// The settable fields of a team or organization. On insert every field is used; on update
/// `None` keeps the stored value (nullable text fields can't be cleared through a patch, like Cal.com).
#[derive(Debug, Clone, Default)]
pub struct TeamFields {
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
    pub hide_book_a_team_member: Option<bool>,
    pub time_zone: Option<String>,
    pub week_start: Option<String>,
    pub time_format: Option<i64>,
    pub metadata: Option<String>,
}

const SLUG_TAKEN: &str = "the slug is already taken";

/// Inserts an organization (`parent = None`) or a team inside one. `name` and `slug` must be set.
pub async fn insert<'a>(exec: impl Into<Exec<'a>>, parent: Option<TeamId>, f: &TeamFields) -> StoreResult<TeamRecord> {
    insert_row(exec, parent, parent.is_none(), f).await
}

/// Inserts a team outside any organization (Cal.com's `/v2/teams`). `name` and `slug` must be set; the slug
/// shares one space with organizations' slugs.
pub async fn insert_standalone<'a>(exec: impl Into<Exec<'a>>, f: &TeamFields) -> StoreResult<TeamRecord> {
    insert_row(exec, None, false, f).await
}

async fn insert_row<'a>(
    exec: impl Into<Exec<'a>>,
    parent: Option<TeamId>,
    is_organization: bool,
    f: &TeamFields,
) -> StoreResult<TeamRecord> {
    let sql = format!(
        "INSERT INTO teams (parent_id, is_organization, name, slug, bio, logo_url, banner_url, brand_color, \
         dark_brand_color, theme, hide_branding, is_private, hide_book_a_team_member, time_zone, week_start, \
         time_format, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) \
         RETURNING {COLUMNS}"
    );
    let now = now_ms();
    on_conn!(exec, c => {
        sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql))
            .bind(parent.map(|p| p.0))
            .bind(is_organization)
            .bind(f.name.as_deref().unwrap_or_default())
            .bind(f.slug.as_deref().unwrap_or_default())
            .bind(&f.bio)
            .bind(&f.logo_url)
            .bind(&f.banner_url)
            .bind(&f.brand_color)
            .bind(&f.dark_brand_color)
            .bind(&f.theme)
            .bind(f.hide_branding.unwrap_or(false))
            .bind(f.is_private.unwrap_or(false))
            .bind(f.hide_book_a_team_member.unwrap_or(false))
            .bind(f.time_zone.as_deref().unwrap_or("Europe/London"))
            .bind(f.week_start.as_deref().unwrap_or("Sunday"))
            .bind(f.time_format)
            .bind(f.metadata.as_deref().unwrap_or("{}"))
            .bind(now)
            .fetch_one(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, SLUG_TAKEN))
}

pub async fn update<'a>(exec: impl Into<Exec<'a>>, id: TeamId, f: &TeamFields) -> StoreResult<Option<TeamRecord>> {
    let sql = format!(
        "UPDATE teams SET name = COALESCE($2, name), slug = COALESCE($3, slug), bio = COALESCE($4, bio), \
           logo_url = COALESCE($5, logo_url), banner_url = COALESCE($6, banner_url), \
           brand_color = COALESCE($7, brand_color), dark_brand_color = COALESCE($8, dark_brand_color), \
           theme = COALESCE($9, theme), hide_branding = COALESCE($10, hide_branding), \
           is_private = COALESCE($11, is_private), hide_book_a_team_member = COALESCE($12, hide_book_a_team_member), \
           time_zone = COALESCE($13, time_zone), week_start = COALESCE($14, week_start), \
           time_format = COALESCE($15, time_format), metadata = COALESCE($16, metadata), updated_at = $17 \
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_conn!(exec, c => {
        sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .bind(&f.name)
            .bind(&f.slug)
            .bind(&f.bio)
            .bind(&f.logo_url)
            .bind(&f.banner_url)
            .bind(&f.brand_color)
            .bind(&f.dark_brand_color)
            .bind(&f.theme)
            .bind(f.hide_branding)
            .bind(f.is_private)
            .bind(f.hide_book_a_team_member)
            .bind(&f.time_zone)
            .bind(&f.week_start)
            .bind(f.time_format)
            .bind(&f.metadata)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, SLUG_TAKEN))
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, id: TeamId) -> StoreResult<Option<TeamRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM teams WHERE id = $1");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&mut *c).await)?,
    )
}

/// An organization by id; `None` when the id is a plain team or unknown.
pub async fn find_organization<'a>(exec: impl Into<Exec<'a>>, id: TeamId) -> StoreResult<Option<TeamRecord>> {
    Ok(find(exec, id).await?.filter(|t| t.is_organization))
}

/// An organization by its slug (organizations and teams outside them share one slug space; teams inside an
/// organization have slugs of their own).
pub async fn find_organization_by_slug<'a>(exec: impl Into<Exec<'a>>, slug: &str) -> StoreResult<Option<TeamRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM teams WHERE parent_id IS NULL AND slug = $1");
    let found = on_conn!(exec, c => sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(&mut *c).await)?;
    Ok(found.filter(|t| t.is_organization))
}

/// A team outside any organization; `None` for organizations, teams inside one, and unknown ids.
pub async fn find_standalone<'a>(exec: impl Into<Exec<'a>>, id: TeamId) -> StoreResult<Option<TeamRecord>> {
    Ok(find(exec, id).await?.filter(TeamRecord::is_standalone))
}

/// A team inside `org`; `None` for teams of other organizations.
pub async fn find_in_organization<'a>(
    exec: impl Into<Exec<'a>>,
    org: TeamId,
    id: TeamId,
) -> StoreResult<Option<TeamRecord>> {
    Ok(find(exec, id).await?.filter(|t| t.parent_id == Some(org)))
}

pub async fn list_organizations<'a>(exec: impl Into<Exec<'a>>, skip: i64, take: i64) -> StoreResult<Vec<TeamRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM teams WHERE is_organization = $3 ORDER BY id LIMIT $1 OFFSET $2");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql)).bind(take).bind(skip).bind(true).fetch_all(&mut *c).await)?,
    )
}

pub async fn list_teams<'a>(
    exec: impl Into<Exec<'a>>,
    org: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<TeamRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM teams WHERE parent_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql)).bind(org.0).bind(take).bind(skip).fetch_all(&mut *c).await
    })?)
}

/// Teams of `org` that `user` is a member of.
pub async fn list_teams_of_user<'a>(
    exec: impl Into<Exec<'a>>,
    org: TeamId,
    user: UserId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<TeamRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM teams t JOIN memberships m ON m.team_id = t.id AND m.user_id = $2 \
         WHERE t.parent_id = $1 ORDER BY t.id LIMIT $3 OFFSET $4"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql))
            .bind(org.0)
            .bind(user.0)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// Teams outside organizations that `user` is a member of (accepted or not), oldest first.
pub async fn list_standalone_of_user<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<TeamRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM teams t JOIN memberships m ON m.team_id = t.id AND m.user_id = $1 \
         WHERE t.parent_id IS NULL AND t.is_organization = $2 ORDER BY t.id LIMIT $3 OFFSET $4"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(false)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// Teams `user` manages — as the team's ADMIN or OWNER, or as the ADMIN or OWNER of its organization — by name;
/// at most `take` of them.
pub async fn managed_by<'a>(exec: impl Into<Exec<'a>>, user: UserId, take: i64) -> StoreResult<Vec<TeamRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let manages =
        "SELECT 1 FROM memberships m WHERE m.user_id = $1 AND m.accepted = $2 AND m.role IN ('ADMIN', 'OWNER')";
    let sql = format!(
        "SELECT {cols} FROM teams t WHERE t.is_organization = $3 \
         AND (EXISTS ({manages} AND m.team_id = t.id) OR EXISTS ({manages} AND m.team_id = t.parent_id)) \
         ORDER BY t.name, t.id LIMIT $4"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, TeamRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(true)
            .bind(false)
            .bind(take)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// Organizations `user` belongs to, with their role there, for the signed-in landing page.
pub async fn organizations_of_user<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
) -> StoreResult<Vec<(TeamRecord, String)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        team: TeamRecord,
        role: String,
    }
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols}, m.role FROM teams t JOIN memberships m ON m.team_id = t.id \
         WHERE m.user_id = $1 AND t.is_organization = $2 ORDER BY t.name"
    );
    let rows = on_conn!(exec, c => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(user.0).bind(true).fetch_all(&mut *c).await
    })?;
    Ok(rows.into_iter().map(|r| (r.team, r.role)).collect())
}

/// Deletes a team (its memberships cascade).
pub async fn delete<'a>(exec: impl Into<Exec<'a>>, id: TeamId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => sqlx::query("DELETE FROM teams WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}
