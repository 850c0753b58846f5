//! External calendars for convene, as a library the server calls: pure data in, pure data out, HTTP through a
//! client the caller provides.
//!
//! - [`ical`]: iCalendar data → busy intervals in a window, recurrences expanded, each naming its event.
//! - [`caldav`]: RFC 4791 / RFC 6764 client (discovery, calendars, busy time, events, change detection).
//! - [`feed`]: read-only ICS feeds with conditional GET.
//! - [`google`] and [`microsoft`]: Google Calendar and Microsoft Graph over OAuth 2 ([`oauth`]).
//! - [`booking`]: the event a destination calendar receives for a booking.
//!
//! Every failure is a [`CalendarError`]; no credential, token or calendar URL ever appears in one.

pub mod booking;
pub mod busy;
pub mod caldav;
pub mod error;
pub mod feed;
pub mod google;
pub mod http;
pub mod ical;
pub mod microsoft;
pub mod oauth;
pub mod provider;

pub use booking::BookingEvent;
pub use busy::{BusyInterval, BusyKind, BusyReport, BusySource, BusyWarning, BusyWindow};
pub use error::CalendarError;
pub use feed::{FeedFetch, FeedValidators, feed_url, fetch_feed};
pub use google::GoogleCalendar;
pub use http::Http;
pub use ical::{IcsLimits, busy_from_ics, busy_from_objects};
pub use microsoft::GraphCalendar;
pub use oauth::{OAuthApp, OAuthSession, TokenSet};
pub use provider::{CalendarBusy, EventChanges, EventDetails, EventPerson, RemoteCalendar, RemoteEvent};
