//! Integration tests of convene-calendar against real servers on 127.0.0.1: Radicale for CalDAV, local HTTP
//! servers for ICS feeds, and fakes of Google Calendar and Microsoft Graph that follow their documented contracts.

mod caldav;
mod feeds;
mod fixtures;
mod google;
mod microsoft;
mod radicale;
