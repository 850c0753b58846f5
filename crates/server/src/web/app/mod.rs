//! The host's web app: the pages a signed-in person uses every day — their event types, availability and bookings (settings
//! in a later stage) — inside one navigation that shows where they are, in the user's
//! language. Each page calls the same services as the API (`scheduling::event_type_input` for event types), so a
//! page and its API operation accept and refuse the same things.
//!
//! [`shell`] lets requests in (signed in; for forms also same origin and the session's CSRF token) and draws the
//! navigation, [`form`] reads posted fields, [`event_types`] and [`event_type_form`] are the event type pages,
//! [`availability`] and [`schedule_form`] the schedule pages, [`bookings`] the bookings list, [`booking_page`] one booking and
//! [`booking_actions`] its forms; [`account`] (profile, password, sessions), [`api_keys`], [`email_address`],
//! [`notifications`], [`webhooks`], [`calendars`] and [`verified`] (proven addresses and numbers) are settings
//! pages; [`workflows`] are the user's personal
//! workflows, [`routing_forms`] the routing forms they own and their responses,
//! [`routing_form_editor`] (over [`routing_form_rows`]) builds one; [`team_workflows`] are a team's workflows on
//! the personal pages' code.

mod account;
mod admin_orgs;
mod api_keys;
mod availability;
mod booking_actions;
mod booking_page;
mod bookings;
mod calendars;
mod email_address;
mod event_type_extras;
mod event_type_form;
mod event_type_questions;
mod event_types;
mod form;
mod invitations;
mod notifications;
mod onboarding;
mod org_access;
mod org_members;
mod org_notifications;
mod org_teams;
mod out_of_office;
mod routing_form_editor;
mod routing_form_rows;
mod routing_forms;
mod schedule_form;
mod shell;
mod signup;
mod team_event_types;
mod team_workflows;
mod troubleshoot;
mod verified;
mod webhooks;
mod workflow_verified;
mod workflows;

pub(crate) use shell::{Nav, Section, language};

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// An organization's admin pages.
const ORG: &str = "/settings/organizations/{org_id}";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/invitation", get(invitations::show).post(invitations::accept))
        .route("/auth/signup", get(signup::show).post(signup::submit))
        .route("/admin/organizations", get(admin_orgs::list))
        .route(
            "/admin/organizations/{org_id}/features/{flag}",
            post(admin_orgs::set_flag),
        )
        .route(&format!("{ORG}/members"), get(org_members::list))
        .route(&format!("{ORG}/members/invite"), post(org_members::invite_member))
        .route(&format!("{ORG}/members/{{id}}/role"), post(org_members::change_role))
        .route(&format!("{ORG}/members/{{id}}/remove"), post(org_members::remove))
        .route(
            &format!("{ORG}/notifications"),
            get(org_notifications::show).post(org_notifications::save),
        )
        .route(&format!("{ORG}/teams"), get(org_teams::list).post(org_teams::create))
        .route(&format!("{ORG}/teams/{{team_id}}"), get(org_teams::show))
        .route(&format!("{ORG}/teams/{{team_id}}/members"), post(org_teams::add_member))
        .route(
            &format!("{ORG}/teams/{{team_id}}/members/{{id}}/remove"),
            post(org_teams::remove_member),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/event-types"),
            get(team_event_types::list).post(team_event_types::create),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/event-types/{{id}}"),
            get(team_event_types::edit).post(team_event_types::update),
        )
        // A team's workflows of each family: over event types (false) and over routing forms (true).
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows"),
            get(team_workflows::list::<false>).post(team_workflows::create::<false>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows/new"),
            get(team_workflows::new_page::<false>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows/{{id}}"),
            get(team_workflows::edit_page::<false>).post(team_workflows::update::<false>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows/{{id}}/delete"),
            post(team_workflows::delete::<false>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows/routing-form"),
            get(team_workflows::list::<true>).post(team_workflows::create::<true>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows/routing-form/new"),
            get(team_workflows::new_page::<true>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows/routing-form/{{id}}"),
            get(team_workflows::edit_page::<true>).post(team_workflows::update::<true>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/workflows/routing-form/{{id}}/delete"),
            post(team_workflows::delete::<true>),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/event-types/{{id}}/private-links"),
            post(team_event_types::create_link),
        )
        .route(
            &format!("{ORG}/teams/{{team_id}}/event-types/{{id}}/private-links/{{link_id}}/delete"),
            post(team_event_types::delete_link),
        )
        .route("/event-types", get(event_types::list).post(event_types::create))
        .route("/event-types/new", get(event_types::new_page))
        .route(
            "/event-types/{id}",
            get(event_types::edit_page).post(event_types::update),
        )
        .route("/event-types/{id}/duplicate", post(event_types::duplicate))
        .route("/event-types/{id}/private-links", post(event_types::create_link))
        .route(
            "/event-types/{id}/private-links/{link_id}/delete",
            post(event_types::delete_link),
        )
        .route(
            "/event-types/{id}/delete",
            get(event_types::delete_page).post(event_types::delete),
        )
        .route("/workflows", get(workflows::list).post(workflows::create))
        .route("/workflows/new", get(workflows::new_page))
        .route("/workflows/{id}", get(workflows::edit_page).post(workflows::update))
        .route("/workflows/{id}/delete", post(workflows::delete))
        .route(
            "/routing-forms",
            get(routing_forms::list).post(routing_form_editor::create),
        )
        .route("/routing-forms/new", get(routing_form_editor::new_page))
        .route(
            "/routing-forms/{id}",
            get(routing_form_editor::edit_page).post(routing_form_editor::update),
        )
        .route("/routing-forms/{id}/delete", post(routing_form_editor::delete))
        .route("/routing-forms/{id}/responses", get(routing_forms::responses))
        .route("/bookings", get(bookings::list))
        .route("/bookings/{uid}", get(booking_page::detail))
        .route("/bookings/{uid}/{action}", post(booking_actions::act))
        .route("/settings/profile", get(account::show).post(account::save))
        .route("/settings/password", post(account::password))
        .route("/settings/sessions/sign-out-others", post(account::sign_out_others))
        .route(
            "/settings/notifications",
            get(notifications::show).post(notifications::save),
        )
        .route("/settings/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/settings/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/settings/email", get(email_address::show).post(email_address::change))
        .route("/settings/verified", get(verified::show))
        .route("/settings/verified/email", post(verified::send_email_code))
        .route("/settings/verified/email/verify", post(verified::verify_email))
        .route("/settings/verified/phone", post(verified::send_phone_code))
        .route("/settings/verified/phone/verify", post(verified::verify_phone))
        .route("/settings/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/settings/webhooks/{id}", get(webhooks::edit).post(webhooks::update))
        .route("/settings/webhooks/{id}/ping", post(webhooks::ping))
        .route("/settings/webhooks/{id}/delete", post(webhooks::delete))
        .route("/settings/calendars", get(calendars::show))
        .route("/settings/calendars/ics", post(calendars::connect_ics))
        .route("/settings/calendars/caldav", post(calendars::connect_caldav))
        .route("/settings/calendars/apple", post(calendars::connect_apple))
        .route("/settings/calendars/destination", post(calendars::destination))
        .route("/settings/calendars/{id}/selected", post(calendars::select))
        .route("/settings/calendars/{id}/disconnect", post(calendars::disconnect))
        .route("/availability/troubleshoot", get(troubleshoot::show))
        .route(
            "/availability/out-of-office",
            get(out_of_office::list).post(out_of_office::create),
        )
        .route("/availability/out-of-office/{id}/delete", post(out_of_office::delete))
        .route("/availability", get(availability::list).post(availability::create))
        .route(
            "/availability/{id}",
            get(availability::edit_page).post(availability::update),
        )
        .route(
            "/availability/{id}/delete",
            get(availability::delete_page).post(availability::delete),
        )
}
