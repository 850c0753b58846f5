//! Instance admin → Organizations: every organization a page at a time with its feature flags, each turned on or
//! off as `PUT /v2/admin/organizations/{orgId}/features/{flag}` does (the sender cache learns at once). Only
//! instance admins see it; anyone else finds nothing.

use super::org_access::PAGE_SIZE;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{FeatureFlag, TeamId};
use convene_store::{features, teams};
use serde::Deserialize;

pub(super) struct FlagCell {
    pub flag: &'static str,
    pub enabled: bool,
}

pub(super) struct OrgRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub flags: Vec<FlagCell>,
}

#[derive(Template)]
#[template(path = "app/admin_orgs.html")]
struct OrgsPage {
    nav: Nav,
    t: Lang,
    rows: Vec<OrgRow>,
    page: i64,
    more: bool,
    notice: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    notice: Option<String>,
}

fn instance_admin(host: &Host) -> Result<(), Refusal> {
    if host.user.is_instance_admin {
        Ok(())
    } else {
        Err(Refusal::NotFound(host.t))
    }
}

/// `GET /admin/organizations?page=`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    instance_admin(&host)?;
    let q = query.map_or_else(|_| PageQuery::default(), |Query(q)| q);
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let mut found = teams::list_organizations(&state.db, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(usize::try_from(PAGE_SIZE).unwrap_or(25));
    let mut rows = Vec::with_capacity(found.len());
    for org in found {
        let set = features::list(&state.db, org.team_id()).await?;
        let flags = FeatureFlag::ALL
            .into_iter()
            .map(|f| FlagCell {
                flag: f.as_str(),
                enabled: set.iter().any(|r| r.flag == f.as_str() && r.enabled),
            })
            .collect();
        rows.push(OrgRow {
            id: org.id.0,
            name: org.name,
            slug: org.slug,
            flags,
        });
    }
    let view = OrgsPage {
        nav: host.nav(&state, Section::Admin).await?,
        t: host.t,
        rows,
        page,
        more,
        notice: (q.notice.as_deref() == Some("saved")).then(|| host.t.text("admin-flag-saved")),
    };
    Ok(render(StatusCode::OK, &view))
}

/// `POST /admin/organizations/{org_id}/features/{flag}` with `enabled` = `true` or `false`.
pub async fn set_flag(
    State(state): State<AppState>,
    Path((org_id, flag)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    instance_admin(host)?;
    let not_found = || Refusal::NotFound(host.t);
    let org: i64 = org_id.parse().map_err(|_| not_found())?;
    let flag: FeatureFlag = flag.parse().map_err(|()| not_found())?;
    let org = teams::find_organization(&state.db, TeamId(org))
        .await?
        .ok_or_else(not_found)?;
    let enabled = post.form.get("enabled") == "true";
    features::set(&state.db, org.team_id(), flag.as_str(), enabled, Some(host.id())).await?;
    // Routing reads the flag through the sender cache; this process sees the change at once.
    state.mailer.directory.invalidate(org.id);
    Ok(Redirect::to("/admin/organizations?notice=saved").into_response())
}
