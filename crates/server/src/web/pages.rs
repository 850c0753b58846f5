//! Page handlers.

use super::limited::Refused;
use super::respond::{internal, message, render, said, same_origin, visitor_lang};
use super::session::{self, CSRF_COOKIE, tokens_match};
use crate::accounts::sign_in::{SignInError, sign_in};
use crate::i18n::Lang;
use crate::limits::ClientAddress;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use convene_core::Role;
use convene_store::{teams, users};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: Lang,
    csrf: &'a str,
    /// Where to go after signing in (a path of this site), or "".
    next: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    /// Whether to offer `/auth/signup` (open sign-up).
    signup: bool,
}

struct OrgRow {
    id: i64,
    name: String,
    slug: String,
    role: String,
    /// OWNER or ADMIN: the organization's settings are linked.
    manages: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: super::app::Nav,
    display_name: String,
    email: String,
    organizations: Vec<OrgRow>,
}

/// A path of this site to return to after sign-in; anything else (another site, `//host`) is dropped.
fn safe_next(next: Option<&str>) -> &str {
    super::site_path(next).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// `GET /` and `GET /settings`: the signed-in landing page, or a redirect to sign-in.
pub async fn home(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let session = match session::current(&state, &jar).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/auth/login").into_response(),
        Err(e) => return internal(e),
    };
    let user = match users::find(&state.db, session.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/auth/login").into_response(),
        Err(e) => return internal(e),
    };
    let organizations = match teams::organizations_of_user(&state.db, user.user_id()).await {
        Ok(list) => list
            .into_iter()
            .map(|(t, role)| OrgRow {
                id: t.id.0,
                name: t.name,
                slug: t.slug,
                manages: role.parse::<Role>().is_ok_and(Role::can_manage),
                role,
            })
            .collect(),
        Err(e) => return internal(e),
    };
    let t = super::app::language(&user, &headers);
    let nav = match super::app::Nav::new(
        &state,
        &user,
        session.csrf_token.clone(),
        t,
        Some(super::app::Section::Settings),
    )
    .await
    {
        Ok(nav) => nav,
        Err(e) => return internal(e),
    };
    render(
        StatusCode::OK,
        &HomePage {
            nav,
            display_name: user.name.clone().unwrap_or_else(|| user.username.clone()),
            email: user.email,
            organizations,
        },
    )
}

/// `GET /auth/login` (`?next=` a page to return to).
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let (next, lang) = query.map_or((None, None), |Query(q)| (q.next, q.lang));
    let t = visitor_lang(lang.as_deref(), &headers);
    if matches!(session::current(&state, &jar).await, Ok(Some(_))) {
        return Redirect::to("/").into_response();
    }
    let (jar, csrf) = session::login_csrf(&state, jar);
    (
        jar,
        render(
            StatusCode::OK,
            &LoginPage {
                t,
                csrf: &csrf,
                next: safe_next(next.as_deref()),
                email: "",
                error: None,
                signup: state.settings.open_signup,
            },
        ),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
    /// The language the form was shown in.
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /auth/login`.
pub async fn login_submit(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        let t = visitor_lang(None, &headers);
        return said(t, StatusCode::BAD_REQUEST, "auth-bad-request", "auth-login-incomplete");
    };
    let t = visitor_lang(form.lang.as_deref(), &headers);
    let cookie_token = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !same_origin(&headers) || !tokens_match(&cookie_token, &form.csrf) {
        return said(t, StatusCode::FORBIDDEN, "auth-expired-title", "auth-expired-login");
    }
    let email = form.email.trim().to_lowercase();
    let retry = |jar: CookieJar, status: StatusCode, error: &str| {
        let (jar, csrf) = session::login_csrf(&state, jar);
        (
            jar,
            render(
                status,
                &LoginPage {
                    t,
                    csrf: &csrf,
                    next: safe_next(form.next.as_deref()),
                    email: &email,
                    error: Some(error),
                    signup: state.settings.open_signup,
                },
            ),
        )
            .into_response()
    };
    match sign_in(&state.db, &state.limits, client, &email, form.password).await {
        Ok(user) => match session::start(&state, jar, user.user_id()).await {
            Ok(jar) => {
                let to = match safe_next(form.next.as_deref()) {
                    "" => "/",
                    path => path,
                };
                (jar, Redirect::to(to)).into_response()
            }
            Err(e) => internal(e),
        },
        Err(SignInError::Incorrect) => retry(jar, StatusCode::UNAUTHORIZED, &t.text("auth-incorrect")),
        Err(SignInError::AccountLimited(limited)) => {
            Refused::Wait(limited).page_in(t, &t.text("auth-account-limited"), |status, text| {
                retry(jar, status, text)
            })
        }
        Err(SignInError::AddressLimited(limited)) => {
            Refused::Wait(limited).page_in(t, &t.text("auth-address-limited"), |status, text| {
                retry(jar, status, text)
            })
        }
        Err(e @ SignInError::Store(_)) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /auth/logout`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let session = match session::current(&state, &jar).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/auth/login").into_response(),
        Err(e) => return internal(e),
    };
    let token = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if !same_origin(&headers) || !tokens_match(&session.csrf_token, &token) {
        return message(
            StatusCode::FORBIDDEN,
            "Session expired",
            "The form expired or came from another site.",
        );
    }
    match session::end(&state, jar).await {
        Ok(jar) => (jar, Redirect::to("/auth/login")).into_response(),
        Err(e) => internal(e),
    }
}
