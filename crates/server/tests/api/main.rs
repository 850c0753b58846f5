//! Integration tests: the real server over real HTTP, on SQLite or (with
//! CONVENE_TEST_DATABASE_URL) PostgreSQL.

mod helpers;

mod admin;
mod auth;
mod booking_actions;
mod bookings;
mod bootstrap;
mod conformance;
mod conventions;
mod cors;
mod email;
mod email_api;
mod email_change;
mod limits_public;
mod limits_shared;
mod limits_sign_in;
mod line_separators;
mod me;
mod memberships;
mod npm;
mod org_users;
mod out_of_office;
mod rate_limit;
mod readiness;
mod reservations;
mod role_matrix;
mod scheduling;
mod sender_caps;
mod slots;
mod team_events;
mod teams;
mod web_a11y;
mod web_app;
mod web_booking;
mod web_booking_browser;
mod web_browser;
mod web_embed;
mod web_forms;
mod web_reset;
mod web_reset_browser;
mod web_senders;
mod web_senders_browser;
mod webhook_worker_lifecycle;
mod webhooks;
mod worker_leases;
