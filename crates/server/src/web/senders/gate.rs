//! Extractors that let a request into the settings pages: a signed-in user, an OWNER or ADMIN of the organization
//! in the path (with its custom-smtp feature on), and such an admin's form post — same origin and the session's
//! CSRF token — with its fields. Each refuses with the page to show instead ([`Refusal`]), in the language of the
//! rest of the app: the user's setting, else the browser's (before anyone is signed in, the browser's).

use super::form::FormData;
use super::refusal::Refusal;
use crate::email::sender_admin::SenderOrg;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::app::language;
use crate::web::respond::{back_to, same_origin, visitor_lang};
use crate::web::session::{self, tokens_match};
use axum::extract::{FromRequest, FromRequestParts, RawForm, RawPathParams, Request};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use convene_core::TeamId;
use convene_store::sessions::SessionRecord;
use convene_store::users::{self, UserRecord};

/// The signed-in user, their session and the language of their pages.
pub(crate) struct SignedIn {
    pub session: SessionRecord,
    pub user: UserRecord,
    pub t: Lang,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let jar = CookieJar::from_headers(&parts.headers);
        let refuse = || Refusal::SignIn(back_to(parts));
        let session = session::current(state, &jar).await?.ok_or_else(refuse)?;
        let user = users::find(&state.db, session.user_id).await?.ok_or_else(refuse)?;
        let t = language(&user, &parts.headers);
        Ok(SignedIn { session, user, t })
    }
}

/// A number from the path, by name; anything else is no page (said in the browser's language: nobody is known
/// yet).
async fn path_id(parts: &mut Parts, state: &AppState, name: &str) -> Result<i64, Refusal> {
    let t = visitor_lang(None, &parts.headers);
    let no_page = || Refusal::BadPath(t);
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| no_page())?;
    params
        .iter()
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| value.parse().ok())
        .ok_or_else(no_page)
}

/// `{org_id}` of the path.
pub(crate) struct OrgId(pub i64);

impl FromRequestParts<AppState> for OrgId {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        path_id(parts, state, "org_id").await.map(OrgId)
    }
}

/// `{id}` of the path: the sender (or email) a page is about.
pub(crate) struct PathId(pub i64);

impl FromRequestParts<AppState> for PathId {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        path_id(parts, state, "id").await.map(PathId)
    }
}

/// An OWNER or ADMIN of the organization in the path (`{org_id}`), whose custom-smtp feature is on.
pub(crate) struct OrgAdmin {
    pub user: UserRecord,
    /// The session's CSRF token, for the page's forms.
    pub csrf: String,
    pub org: SenderOrg,
    pub t: Lang,
}

impl FromRequestParts<AppState> for OrgAdmin {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let org_id = path_id(parts, state, "org_id").await?;
        let SignedIn { session, user, t } = SignedIn::from_request_parts(parts, state).await?;
        let org = SenderOrg::for_admin(&state.mailer, &user, TeamId(org_id))
            .await
            .map_err(|e| Refusal::sender(t, e))?;
        Ok(OrgAdmin {
            user,
            csrf: session.csrf_token,
            org,
            t,
        })
    }
}

/// A form posted by an [`OrgAdmin`]: from this site, carrying the session's CSRF token. Checked in that order —
/// origin, session, token, then the organization — so a forged post learns nothing about it.
pub(crate) struct AdminForm {
    pub admin: OrgAdmin,
    pub form: FormData,
}

impl FromRequest<AppState> for AdminForm {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Refusal> {
        let (mut parts, body) = request.into_parts();
        let org_id = path_id(&mut parts, state, "org_id").await?;
        if !same_origin(&parts.headers) {
            return Err(Refusal::Expired(visitor_lang(None, &parts.headers)));
        }
        let SignedIn { session, user, t } = SignedIn::from_request_parts(&mut parts, state).await?;
        let form = FormData::parse(RawForm::from_request(Request::from_parts(parts, body), state).await);
        if !tokens_match(&session.csrf_token, form.get("csrf")) {
            return Err(Refusal::Expired(t));
        }
        let org = SenderOrg::for_admin(&state.mailer, &user, TeamId(org_id))
            .await
            .map_err(|e| Refusal::sender(t, e))?;
        Ok(AdminForm {
            admin: OrgAdmin {
                user,
                csrf: session.csrf_token,
                org,
                t,
            },
            form,
        })
    }
}
