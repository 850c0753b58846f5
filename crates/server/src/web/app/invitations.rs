//! `/auth/invitation?token=…`, the page an invitation email links to: a newcomer chooses name, username, password
//! and time zone and lands in the app, signed in; someone who already has a password confirms and signs in as
//! usual. The work is [`crate::accounts::invitations`]'s; the link's token is checked again on the post.

use super::form::Posted;
use super::onboarding::{Form, Typed, browser_lang, genuine, page};
use super::shell::message;
use crate::accounts::invitations::{self, AcceptError, Invitation};
use crate::accounts::onboarding::OnboardingError;
use crate::i18n::Lang;
use crate::limits::{ClientAddress, LimitKey, PublicOperation};
use crate::state::AppState;
use crate::web::limited;
use crate::web::respond::internal;
use crate::web::session;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use convene_core::FieldError;
use serde::Deserialize;

const ACTION: &str = "/auth/invitation";

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn form_for<'a>(t: Lang, invitation: &Invitation, token: &'a str) -> Form<'a> {
    let groups = invitation.groups.join(", ");
    Form {
        action: ACTION,
        heading: t.text("onb-invitation-title"),
        intro: if groups.is_empty() {
            String::new()
        } else {
            t.text_with("onb-invitation-intro", &[("groups", &groups)])
        },
        submit: t.text(if invitation.needs_profile {
            "onb-invitation-accept"
        } else {
            "onb-invitation-join"
        }),
        token,
        needs_profile: invitation.needs_profile,
        ask_email: false,
    }
}

fn invalid(t: Lang) -> Response {
    message(
        StatusCode::BAD_REQUEST,
        t,
        "onb-invitation-invalid-title",
        "onb-invitation-invalid-text",
    )
}

/// `GET /auth/invitation?token=…`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let t = browser_lang(&headers);
    let token = query.ok().and_then(|Query(q)| q.token).unwrap_or_default();
    match invitations::open(&state.db, &token).await {
        Ok(invitation) => {
            let typed = Typed {
                name: invitation.user.name.clone().unwrap_or_default(),
                username: invitation.user.username.clone(),
                time_zone: "UTC".to_owned(),
                ..Typed::default()
            };
            page(
                &state,
                jar,
                t,
                StatusCode::OK,
                &form_for(t, &invitation, &token),
                &typed,
                None,
            )
        }
        Err(AcceptError::Invalid) => invalid(t),
        Err(e) => internal(e),
    }
}

/// `POST /auth/invitation`: accepts; a newcomer is signed in and lands on their event types.
pub async fn accept(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    body: Result<RawForm, axum::extract::rejection::RawFormRejection>,
) -> Response {
    let t = browser_lang(&headers);
    let form = Posted::parse(body);
    if !genuine(&headers, &jar, &form) {
        return message(StatusCode::FORBIDDEN, t, "app-expired-title", "app-expired-text");
    }
    // Guessing tokens is as slow as guessing reset tokens.
    let key = LimitKey::Public {
        operation: PublicOperation::PasswordReset,
        client,
    };
    if let Err(refused) = limited::within(&state, key).await {
        let title = t.text("onb-too-many");
        return refused.page(&title, |status, text| {
            crate::web::respond::message(status, &title, text)
        });
    }
    let token = form.get("token").to_owned();
    let invitation = match invitations::open(&state.db, &token).await {
        Ok(invitation) => invitation,
        Err(AcceptError::Invalid) => return invalid(t),
        Err(e) => return internal(e),
    };
    let typed = Typed::from_form(&form);
    let back = |jar: CookieJar, error: FieldError| {
        page(
            &state,
            jar,
            t,
            StatusCode::BAD_REQUEST,
            &form_for(t, &invitation, &token),
            &typed,
            Some(error),
        )
    };
    let profile = if invitation.needs_profile {
        match typed.onboarding(&form).check().await {
            Ok(p) => Some(p),
            Err(OnboardingError::Field(e)) => return back(jar, e),
            Err(e) => return internal(e),
        }
    } else {
        None
    };
    match invitations::accept(&state.db, &token, profile).await {
        Ok(user) if invitation.needs_profile => match session::start(&state, jar, user.user_id()).await {
            Ok(jar) => (jar, Redirect::to("/event-types?notice=welcome")).into_response(),
            Err(e) => internal(e),
        },
        Ok(_) => Redirect::to("/auth/login?next=%2Fevent-types").into_response(),
        Err(AcceptError::UsernameTaken) => back(jar, FieldError::new("username", t.text("onb-username-taken"))),
        Err(AcceptError::Onboarding(OnboardingError::Field(e))) => back(jar, e),
        Err(AcceptError::Invalid) => invalid(t),
        Err(e) => internal(e),
    }
}
