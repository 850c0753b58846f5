//! Scheduling services shared by the API handlers: availability models, slot computation and
//! booking rules. Handlers parse and authorize; the work happens here.

pub mod answers;
pub mod availability;
pub mod booking;
pub mod calendar;
pub mod event_settings;
pub mod event_type_input;
pub mod explain;
pub mod follow_up;
pub mod hold;
pub mod ooo_input;
pub mod ooo_redirect;
pub mod private_links;
pub mod reassign;
pub mod recurring;
pub mod reschedule;
pub mod resolve;
pub mod schedule_input;
pub mod seats;
pub mod slot_work;
pub mod slots;
pub mod status;
