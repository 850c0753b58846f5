//! The `2024-04-15` shapes Cal.com serves to requests without (or with another resource's)
//! `cal-api-version`: the resource modules pick these when [`super::version::Requested`] is not
//! their current version. Shapes only; the work is the current handlers' own.

pub mod bookings;
pub mod event_types;
pub mod schedules;
pub mod slots;
