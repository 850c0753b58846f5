//! Settings → Profile, password and sessions: name, bio, time zone, clock, week start and language (read by
//! `accounts::profile` with the API's value types); a password change (`accounts::password_change`: the current
//! password, the reset's rule, other sessions end); and the live sessions, with signing out all but this one.

use super::booking_page::local_minute;
use super::form::Posted;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::accounts::password_change::{PasswordChangeError, change_password};
use crate::accounts::profile::{ProfileFields, profile_patch};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_store::{sessions, users};
use jiff::tz::TimeZone;
use serde::Deserialize;

const WEEK_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// The languages the pages speak (the API accepts more; a user's other locale is kept as offered).
const LANGUAGES: [&str; 4] = ["en", "de", "fr", "es"];

/// The profile form's values.
pub(crate) struct Profile {
    pub name: String,
    pub bio: String,
    pub time_zone: String,
    pub locale: String,
    pub week_start: String,
    pub time_format: String,
}

pub(crate) struct SessionRow {
    pub created: String,
    pub expires: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "app/profile.html")]
struct ProfilePage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    username: String,
    p: Profile,
    week_days: [&'static str; 7],
    languages: Vec<(String, String)>,
    sessions: Vec<SessionRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

impl Profile {
    fn of(host: &Host) -> Profile {
        let u = &host.user;
        Profile {
            name: u.name.clone().unwrap_or_default(),
            bio: u.bio.clone().unwrap_or_default(),
            time_zone: u.time_zone.clone(),
            locale: u.locale.clone(),
            week_start: u.week_start.clone(),
            time_format: u.time_format.to_string(),
        }
    }

    fn posted(form: &Posted) -> Profile {
        Profile {
            name: form.get("name").to_owned(),
            bio: form.get("bio").to_owned(),
            time_zone: form.get("timeZone").to_owned(),
            locale: form.get("locale").to_owned(),
            week_start: form.get("weekStart").to_owned(),
            time_format: form.get("timeFormat").to_owned(),
        }
    }
}

async fn page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    p: Profile,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, Refusal> {
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let sessions = sessions::live_for_user(&state.db, host.user.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            created: local_minute(s.created_at, &zone),
            expires: local_minute(s.expires_at, &zone),
            current: s.id_hash == host.session,
        })
        .collect();
    let mut languages: Vec<(String, String)> = LANGUAGES
        .iter()
        .filter_map(|code| Lang::from_tag(code).map(|l| ((*code).to_owned(), l.own_name().to_owned())))
        .collect();
    if !LANGUAGES.contains(&p.locale.as_str()) {
        languages.push((p.locale.clone(), p.locale.clone()));
    }
    let view = ProfilePage {
        nav: host.nav(state, Section::Settings).await?,
        t: host.t,
        tab: "profile",
        username: host.user.username.clone(),
        p,
        week_days: WEEK_DAYS,
        languages,
        sessions,
        notice,
        error,
    };
    Ok(render(status, &view))
}

/// `GET /settings/profile`.
pub async fn show(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let key = match query.ok().and_then(|Query(q)| q.notice).as_deref() {
        Some("saved") => Some("app-et-saved"),
        Some("password") => Some("app-profile-password-changed"),
        Some("signed-out") => Some("app-profile-signed-out"),
        _ => None,
    };
    let notice = key.map(|k| host.t.text(k));
    page(&state, &host, StatusCode::OK, Profile::of(&host), notice, None).await
}

/// `POST /settings/profile`.
pub async fn save(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let f = &post.form;
    let fields = ProfileFields {
        name: f.get("name"),
        bio: f.get("bio"),
        time_zone: f.get("timeZone"),
        locale: f.get("locale"),
        week_start: f.get("weekStart"),
        time_format: f.get("timeFormat"),
    };
    let patch = match profile_patch(&fields) {
        Ok(p) => p,
        Err(e) => {
            let kept = Profile::posted(f);
            return page(
                &state,
                &post.host,
                StatusCode::BAD_REQUEST,
                kept,
                None,
                Some(post.host.t.refusal(&e)),
            )
            .await;
        }
    };
    users::update(&state.db, post.host.id(), &patch)
        .await?
        .ok_or(Refusal::NotFound(post.host.t))?;
    Ok(Redirect::to("/settings/profile?notice=saved").into_response())
}

/// `POST /settings/password`.
pub async fn password(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let current = post.form.get("currentPassword").to_owned();
    let new = post.form.get("newPassword").to_owned();
    match change_password(&state.db, &host.user, current, new, &host.session).await {
        Ok(()) => Ok(Redirect::to("/settings/profile?notice=password").into_response()),
        Err(PasswordChangeError::Invalid(e)) => {
            page(
                &state,
                host,
                StatusCode::BAD_REQUEST,
                Profile::of(host),
                None,
                Some(host.t.refusal(&e)),
            )
            .await
        }
        Err(e) => Err(Refusal::Failed(e.to_string())),
    }
}

/// `POST /settings/sessions/sign-out-others`.
pub async fn sign_out_others(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    sessions::delete_others(&state.db, post.host.user.id, &post.host.session).await?;
    Ok(Redirect::to("/settings/profile?notice=signed-out").into_response())
}
