//! The forms of a booking's page (`POST /bookings/{uid}/{action}`), each calling the service the API's operation
//! calls: `scheduling::status` to confirm, decline and cancel, `scheduling::follow_up` to ask for a new time, mark
//! absences, add a guest and change the place. A refusal shows the booking's page again with why; success goes
//! back to it (or to the list, for a cancel made there) with a notice.

use super::booking_page::{Reached, page, reach, status_label};
use super::shell::{HostForm, Refusal};
use crate::i18n::Lang;
use crate::scheduling::booking::AttendeeInput;
use crate::scheduling::follow_up::{self, AbsenceMark, FollowUpError};
use crate::scheduling::status::{self, StatusError};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::FieldError;
use convene_store::bookings;
use serde_json::{Map, Value};

/// Why an action was refused, to show on the booking's page.
enum Refused {
    Page(StatusCode, String),
    Other(Refusal),
}

impl Refused {
    fn status(t: Lang, e: StatusError) -> Self {
        match e {
            StatusError::Settled(current) => Refused::Page(
                StatusCode::CONFLICT,
                t.text_with("app-bd-settled", &[("status", &status_label(t, current))]),
            ),
            StatusError::NotFound => Refused::Other(Refusal::NotFound(t)),
            other => Refused::Other(Refusal::Failed(other.to_string())),
        }
    }

    fn follow_up(t: Lang, e: FollowUpError) -> Self {
        match e {
            FollowUpError::Invalid(field) => Refused::Page(StatusCode::BAD_REQUEST, t.refusal(&field)),
            FollowUpError::NotAllowed(why) => Refused::Page(StatusCode::CONFLICT, why),
            FollowUpError::NotFound => Refused::Other(Refusal::NotFound(t)),
            other => Refused::Other(Refusal::Failed(other.to_string())),
        }
    }

    fn field(t: Lang, e: FieldError) -> Self {
        Refused::Page(StatusCode::BAD_REQUEST, t.refusal(&e))
    }
}

/// Actions a co-host may take too (as the API lets anyone involved cancel and add guests).
const SHARED: [&str; 2] = ["cancel", "guests"];

/// `POST /bookings/{uid}/{action}`.
pub async fn act(
    State(state): State<AppState>,
    Path((uid, action)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let reached = reach(&state, host, &uid).await?;
    if !reached.organizer && !SHARED.contains(&action.as_str()) {
        return Err(Refusal::NotFound(host.t));
    }
    let done = run(&state, &post, &reached, &action).await;
    match done {
        Ok(()) if action == "cancel" && post.form.get("from") == "list" => {
            Ok(Redirect::to("/bookings?notice=cancel").into_response())
        }
        Ok(()) => Ok(Redirect::to(&format!("/bookings/{}?notice={action}", reached.booking.uid)).into_response()),
        Err(Refused::Page(status, why)) => {
            // The page shows the booking as it is now, which the refused action did not change.
            let fresh = Reached {
                booking: bookings::find_by_uid(&state.db, &reached.booking.uid)
                    .await?
                    .ok_or(Refusal::NotFound(host.t))?,
                organizer: reached.organizer,
            };
            page(&state, host, status, &fresh, None, Some(why)).await
        }
        Err(Refused::Other(refusal)) => Err(refusal),
    }
}

async fn run(state: &AppState, post: &HostForm, reached: &Reached, action: &str) -> Result<(), Refused> {
    let (db, mailer) = (&state.db, &state.mailer);
    let (t, form, booking) = (post.host.t, &post.form, &reached.booking);
    let by = post.host.user.email.as_str();
    match action {
        "confirm" => status::confirm(db, mailer, &booking.uid)
            .await
            .map(drop)
            .map_err(|e| Refused::status(t, e)),
        "decline" | "cancel" => {
            let why = status::reason("reason", Some(form.get("reason"))).map_err(|e| Refused::field(t, e))?;
            let done = if action == "cancel" {
                status::cancel(db, mailer, &booking.uid, why.as_deref(), Some(by)).await
            } else {
                status::decline(db, mailer, &booking.uid, why.as_deref(), Some(by)).await
            };
            done.map(drop).map_err(|e| Refused::status(t, e))
        }
        "request-reschedule" => follow_up::request_reschedule(db, mailer, booking, form.text("reason"), by)
            .await
            .map(drop)
            .map_err(|e| Refused::follow_up(t, e)),
        "no-show" => {
            // Every attendee with an address is marked: ticked absent, unticked present.
            let people = bookings::attendees(db, &[booking.id])
                .await
                .map_err(|e| Refused::Other(e.into()))?;
            let marks: Vec<AbsenceMark> = people
                .iter()
                .filter(|a| !a.email.is_empty())
                .map(|a| AbsenceMark {
                    email: Some(a.email.clone()),
                    absent: Some(form.all("absent").any(|e| e == a.email)),
                })
                .collect();
            follow_up::mark_absent(db, mailer, booking, Some(form.ticked("host")), &marks)
                .await
                .map(drop)
                .map_err(|e| Refused::follow_up(t, e))
        }
        "guests" => {
            let guest = AttendeeInput {
                email: Some(form.get("email").trim().to_owned()),
                name: form.text("name").map(str::to_owned),
                ..AttendeeInput::default()
            };
            follow_up::add_guests(db, mailer, booking, Some(vec![guest]))
                .await
                .map(drop)
                .map_err(|e| Refused::follow_up(t, e))
        }
        "location" => {
            let mut place = Map::new();
            place.insert("type".to_owned(), Value::String(form.get("kind").to_owned()));
            if let Some(value) = form.text("value") {
                place.insert("location".to_owned(), Value::String(value.to_owned()));
            }
            follow_up::change_location(db, booking, Some(Value::Object(place)))
                .await
                .map(drop)
                .map_err(|e| Refused::follow_up(t, e))
        }
        _ => Err(Refused::Other(Refusal::NotFound(t))),
    }
}
