//! `/auth/signup`: open sign-up, when the instance allows it (`signup = "open"`); otherwise the page says that
//! people join by invitation. The account starts with the default schedule and lands in the app, signed in.

use super::form::Posted;
use super::onboarding::{Form, Typed, browser_lang, genuine, page};
use super::shell::message;
use crate::accounts::onboarding::OnboardingError;
use crate::accounts::signup::{SignUpError, sign_up};
use crate::i18n::Lang;
use crate::limits::{ClientAddress, LimitKey, PublicOperation};
use crate::state::AppState;
use crate::web::limited;
use crate::web::respond::internal;
use crate::web::session;
use axum::extract::rejection::RawFormRejection;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use convene_core::{EmailAddress, FieldError};

fn form(t: Lang) -> Form<'static> {
    Form {
        action: "/auth/signup",
        heading: t.text("onb-signup-title"),
        intro: t.text("onb-signup-intro"),
        submit: t.text("onb-signup-submit"),
        token: "",
        needs_profile: true,
        ask_email: true,
    }
}

fn closed(t: Lang) -> Response {
    message(
        StatusCode::NOT_FOUND,
        t,
        "onb-signup-closed-title",
        "onb-signup-closed-text",
    )
}

/// `GET /auth/signup`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let t = browser_lang(&headers);
    if !state.settings.open_signup {
        return closed(t);
    }
    let typed = Typed {
        time_zone: "UTC".to_owned(),
        ..Typed::default()
    };
    page(&state, jar, t, StatusCode::OK, &form(t), &typed, None)
}

/// `POST /auth/signup`.
pub async fn submit(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    body: Result<RawForm, RawFormRejection>,
) -> Response {
    let t = browser_lang(&headers);
    if !state.settings.open_signup {
        return closed(t);
    }
    let posted = Posted::parse(body);
    if !genuine(&headers, &jar, &posted) {
        return message(StatusCode::FORBIDDEN, t, "app-expired-title", "app-expired-text");
    }
    // Each sign-up can send emails later: count it like a request for a verification code.
    let key = LimitKey::Public {
        operation: PublicOperation::VerificationCode,
        client,
    };
    if let Err(refused) = limited::within(&state, key).await {
        let title = t.text("onb-too-many");
        return refused.page(&title, |status, text| {
            crate::web::respond::message(status, &title, text)
        });
    }
    let typed = Typed::from_form(&posted);
    let back = |jar: CookieJar, error: FieldError| {
        page(&state, jar, t, StatusCode::BAD_REQUEST, &form(t), &typed, Some(error))
    };
    let email = match EmailAddress::parse("email", &typed.email) {
        Ok(e) => e,
        Err(e) => return back(jar, e),
    };
    let profile = match typed.onboarding(&posted).check().await {
        Ok(p) => p,
        Err(OnboardingError::Field(e)) => return back(jar, e),
        Err(e) => return internal(e),
    };
    match sign_up(&state.db, state.settings.open_signup, &email, profile, t.code()).await {
        Ok(user) => match session::start(&state, jar, user.user_id()).await {
            Ok(jar) => (jar, Redirect::to("/event-types?notice=welcome")).into_response(),
            Err(e) => internal(e),
        },
        Err(SignUpError::EmailTaken) => back(jar, FieldError::new("email", t.text("onb-email-taken"))),
        Err(SignUpError::UsernameTaken) => back(jar, FieldError::new("username", t.text("onb-username-taken"))),
        Err(SignUpError::Closed) => closed(t),
        Err(e) => internal(e),
    }
}
