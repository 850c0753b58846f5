//! The public booking pages: a host's profile, the booker, the booking form, the booking's own page and the
//! pages behind the links in booking emails. They call the scheduling services, as the API does, never the API.

mod away;
mod calendar_page;
mod fields;
mod form;
mod manage;
pub(in crate::web) mod month;
mod page;
mod params;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{username}",
            get(calendar_page::profile).fallback(|| async { page::not_ours() }),
        )
        .route(
            "/{username}/{event_slug}",
            get(calendar_page::user_event).fallback(|| async { page::not_ours() }),
        )
        // What Cal.com's embed snippet loads in its iframe: the same booker (it adds `?embed=<namespace>`).
        .route(
            "/{username}/{event_slug}/embed",
            get(calendar_page::user_event).fallback(|| async { page::not_ours() }),
        )
        .route("/team/{team_slug}/{event_slug}", get(calendar_page::team_event))
        .route("/d/{link_id}/{event_slug}", get(calendar_page::private_event))
        .route("/d/{link_id}/{event_slug}/embed", get(calendar_page::private_event))
        .route("/team/{team_slug}/{event_slug}/embed", get(calendar_page::team_event))
        // Organizations' addresses (Cal.com serves these on the organization's own subdomain).
        .route("/org/{org_slug}/{username}", get(calendar_page::org_profile))
        .route(
            "/org/{org_slug}/{username}/{event_slug}",
            get(calendar_page::org_user_event),
        )
        .route(
            "/org/{org_slug}/{username}/{event_slug}/embed",
            get(calendar_page::org_user_event),
        )
        .route(
            "/org/{org_slug}/team/{team_slug}/{event_slug}",
            get(calendar_page::org_team_event),
        )
        .route(
            "/org/{org_slug}/team/{team_slug}/{event_slug}/embed",
            get(calendar_page::org_team_event),
        )
        .route("/booking/hold", post(form::hold_slot))
        .route("/booking/form", get(form::form_page).post(form::submit))
        .route("/booking/{uid}", get(manage::result))
        .route("/booking/{uid}/ics", get(manage::ics))
        .route("/booking/{uid}/{action}", get(manage::action_page).post(manage::act))
}
