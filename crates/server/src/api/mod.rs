//! The REST API under `/v2`, with Cal.com API v2 shapes. One module per resource.

mod account_emails;
mod admin;
mod api_keys;
pub mod auth;
mod bookings;
mod calendars;
pub mod caller;
pub mod cors;
pub mod dto;
mod email_deliveries;
pub mod envelope;
pub mod error;
mod event_type_output;
mod event_types;
pub mod extract;
mod legacy;
mod me;
mod memberships;
mod notification_preferences;
mod org_schedules;
mod org_teams;
mod org_users;
mod org_webhooks;
mod out_of_office;
mod private_links;
mod profile_input;
mod reservations;
mod routing_forms;
mod schedules;
mod slots;
mod smtp_configurations;
mod team_event_types;
mod team_input;
mod teams;
mod verified_resources;
pub mod version;
mod webhooks;
mod workflows;

pub use error::ApiError;

use crate::state::AppState;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "convene API",
        description = "Scheduling API compatible with Cal.com API v2. Authenticate with `Authorization: Bearer cal_…`."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("cal_…")
                    .build(),
            ),
        );
    }
}

/// Every API route, collected with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(me::router())
        .merge(api_keys::router())
        .merge(org_teams::router())
        .merge(memberships::router())
        .merge(org_users::router())
        .merge(admin::router())
        .merge(schedules::router())
        .merge(event_types::router())
        .merge(slots::router())
        .merge(bookings::router())
        .merge(reservations::router())
        .merge(private_links::router())
        .merge(out_of_office::router())
        .merge(team_event_types::router())
        .merge(teams::router())
        .merge(org_schedules::router())
        .merge(org_webhooks::router())
        .merge(workflows::router())
        .merge(routing_forms::router())
        .merge(webhooks::router())
        .merge(email_deliveries::router())
        .merge(account_emails::router())
        .merge(verified_resources::router())
        .merge(notification_preferences::router())
        .merge(smtp_configurations::router())
        .merge(calendars::router())
}
