//! What every page of the app shares: the extractors that let a request in ([`Host`], [`HostForm`]), the
//! navigation ([`Nav`]) and the pages shown instead of a page ([`Refusal`]).

use super::form::Posted;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::{back_to, render, same_origin, to_sign_in};
use crate::web::session::{self, tokens_match};
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, RawForm, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use convene_core::{Role, UserId};
use convene_store::users::{self, UserRecord};
use convene_store::{StoreError, teams};

/// The part of the app a page belongs to, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    EventTypes,
    Availability,
    Bookings,
    Workflows,
    RoutingForms,
    Settings,
    /// The organization's admin pages (members, teams).
    Organization,
    /// The organization's email senders and delivery log (`web::senders`).
    Senders,
    /// The instance admin's pages.
    Admin,
}

/// One link of the navigation.
pub(crate) struct NavItem {
    pub id: &'static str,
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// The navigation above every page: where the user is, and how to sign out.
pub(crate) struct Nav {
    pub t: Lang,
    pub csrf: String,
    pub current: Option<Section>,
    /// The email senders page of an organization the user manages (OWNER or ADMIN), if any.
    pub senders: Option<String>,
    /// The members page of that organization.
    pub organization: Option<String>,
    /// Whether the user is an instance admin (the organizations list).
    pub instance_admin: bool,
}

impl Nav {
    /// The navigation for `user` in `t`, with `current` marked.
    pub(crate) async fn new(
        state: &AppState,
        user: &UserRecord,
        csrf: String,
        t: Lang,
        current: Option<Section>,
    ) -> Result<Nav, StoreError> {
        let managed = teams::organizations_of_user(&state.db, user.user_id())
            .await?
            .into_iter()
            .find(|(_, role)| role.parse::<Role>().is_ok_and(Role::can_manage))
            .map(|(org, _)| org.id);
        Ok(Nav {
            t,
            csrf,
            current,
            senders: managed.map(|id| format!("/settings/organizations/{id}/email-senders")),
            organization: managed.map(|id| format!("/settings/organizations/{id}/members")),
            instance_admin: user.is_instance_admin,
        })
    }

    pub(crate) fn items(&self) -> Vec<NavItem> {
        let item = |id, href: &str, key, section| NavItem {
            id,
            href: href.to_owned(),
            label: self.t.text(key),
            current: self.current == Some(section),
        };
        let mut items = vec![
            item(
                "nav-event-types",
                "/event-types",
                "app-nav-event-types",
                Section::EventTypes,
            ),
            item(
                "nav-availability",
                "/availability",
                "app-nav-availability",
                Section::Availability,
            ),
            item("nav-bookings", "/bookings", "app-nav-bookings", Section::Bookings),
            item("nav-workflows", "/workflows", "app-nav-workflows", Section::Workflows),
            item(
                "nav-routing-forms",
                "/routing-forms",
                "app-nav-routing-forms",
                Section::RoutingForms,
            ),
            item("nav-settings", "/settings", "app-nav-settings", Section::Settings),
        ];
        if let Some(href) = &self.organization {
            items.push(item(
                "nav-organization",
                href,
                "app-nav-organization",
                Section::Organization,
            ));
        }
        if self.instance_admin {
            items.push(item(
                "nav-admin",
                "/admin/organizations",
                "app-nav-admin",
                Section::Admin,
            ));
        }
        if let Some(href) = &self.senders {
            items.push(NavItem {
                id: "nav-senders",
                href: href.clone(),
                label: self.t.text("app-nav-senders"),
                current: self.current == Some(Section::Senders),
            });
        }
        items
    }
}

/// The language of the app's pages: the user's own setting if we speak it, else the browser's.
pub(crate) fn language(user: &UserRecord, headers: &HeaderMap) -> Lang {
    Lang::from_tag(&user.locale)
        .unwrap_or_else(|| Lang::negotiate(None, headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())))
}

/// A signed-in user on a page of the app.
pub(crate) struct Host {
    pub user: UserRecord,
    /// The session's CSRF token, for the page's forms.
    pub csrf: String,
    /// The hash naming this session in the store (to keep it when signing out the others).
    pub session: String,
    pub t: Lang,
}

impl Host {
    pub(crate) fn id(&self) -> UserId {
        self.user.user_id()
    }

    /// The navigation with `section` marked.
    pub(crate) async fn nav(&self, state: &AppState, section: Section) -> Result<Nav, Refusal> {
        Ok(Nav::new(state, &self.user, self.csrf.clone(), self.t, Some(section)).await?)
    }
}

impl FromRequestParts<AppState> for Host {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let jar = CookieJar::from_headers(&parts.headers);
        let refuse = || Refusal::SignIn(back_to(parts));
        let session = session::current(state, &jar).await?.ok_or_else(refuse)?;
        let user = users::find(&state.db, session.user_id).await?.ok_or_else(refuse)?;
        let t = language(&user, &parts.headers);
        Ok(Host {
            user,
            csrf: session.csrf_token,
            session: session::current_hash(&jar).unwrap_or_default(),
            t,
        })
    }
}

/// A form posted by a [`Host`]: from this site, carrying the session's CSRF token.
pub(crate) struct HostForm {
    pub host: Host,
    pub form: Posted,
}

impl FromRequest<AppState> for HostForm {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Refusal> {
        let (mut parts, body) = request.into_parts();
        let host = Host::from_request_parts(&mut parts, state).await?;
        if !same_origin(&parts.headers) {
            return Err(Refusal::Expired(host.t));
        }
        let form = Posted::parse(RawForm::from_request(Request::from_parts(parts, body), state).await);
        if !tokens_match(&host.csrf, form.get("csrf")) {
            return Err(Refusal::Expired(host.t));
        }
        Ok(HostForm { host, form })
    }
}

/// Why a request gets a page of its own instead of the one asked for.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// No live session: to sign-in, then back to this page.
    SignIn(Option<String>),
    /// Cross-site, or the form's CSRF token is not the session's.
    Expired(Lang),
    /// No such thing among the user's own (another user's is the same: nothing is told about it).
    NotFound(Lang),
    /// The user belongs there but their role does not allow this (an organization's MEMBER on its admin pages).
    Forbidden(Lang),
    /// Anything else that failed: logged, never shown.
    Failed(String),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Failed(e.to_string())
    }
}

#[derive(Template)]
#[template(path = "app/message.html")]
struct MessagePage {
    t: Lang,
    title: String,
    text: String,
}

pub(super) fn message(status: StatusCode, t: Lang, title: &str, text: &str) -> Response {
    render(
        status,
        &MessagePage {
            t,
            title: t.text(title),
            text: t.text(text),
        },
    )
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn(back) => to_sign_in(back.as_deref()),
            Refusal::Expired(t) => message(StatusCode::FORBIDDEN, t, "app-expired-title", "app-expired-text"),
            Refusal::NotFound(t) => message(StatusCode::NOT_FOUND, t, "app-not-found-title", "app-not-found-text"),
            Refusal::Forbidden(t) => message(StatusCode::FORBIDDEN, t, "org-forbidden-title", "org-forbidden-text"),
            Refusal::Failed(e) => crate::web::respond::internal(e),
        }
    }
}
