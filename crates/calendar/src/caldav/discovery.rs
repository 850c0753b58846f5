//! Finding an account's calendars from the address a user typed (RFC 6764 §6, RFC 5397, RFC 4791 §6.2.1).

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use url::Url;

use super::xml::{CALDAV, DAV, XmlBody, multistatus};
use super::{CalDavClient, dav_method, resolve};
use crate::error::CalendarError;
use crate::http::status_error;

/// Where an account's calendars live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalDavAccount {
    /// The user's principal resource.
    pub principal: Url,
    /// The collections holding the user's calendars (usually one).
    pub calendar_homes: Vec<Url>,
    /// The user's calendar addresses (`mailto:` URIs), as the server knows them.
    pub addresses: Vec<String>,
    pub display_name: Option<String>,
}

impl CalDavClient {
    /// Discovers the account behind the credentials, starting from `server`: a bare host (`https://caldav.icloud.com`)
    /// goes through `/.well-known/caldav` first; a full address (`https://cloud.example.com/remote.php/dav`) is asked
    /// first and the well-known URL tried after. Redirects are followed (each target checked by the URL policy).
    ///
    /// Wrong credentials are [`CalendarError::Unauthorized`]; a server that can't be reached is that error (not
    /// "no calendars"); an answer without a principal or calendar home is [`CalendarError::NoCalendarService`].
    #[tracing::instrument(skip_all, fields(host = server.host_str()))]
    pub async fn discover(&self, server: &Url) -> Result<CalDavAccount, CalendarError> {
        self.http.check_url(server)?;
        let well_known = server
            .join("/.well-known/caldav")
            .map_err(|_| CalendarError::UrlRejected("not a valid address".into()))?;
        let candidates = if server.path() == "/" || server.path().is_empty() {
            vec![well_known, server.clone()]
        } else {
            vec![server.clone(), well_known]
        };

        let mut failure: Option<CalendarError> = None;
        let mut principal = None;
        for candidate in &candidates {
            match self.find_principal(candidate).await {
                Ok(Some(found)) => {
                    principal = Some(found);
                    break;
                }
                Ok(None) => {}
                Err(e @ (CalendarError::Unauthorized | CalendarError::UrlRejected(_))) => return Err(e),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        let Some(principal) = principal else {
            return Err(match failure {
                Some(e) if e.is_transient() || matches!(e, CalendarError::TooLarge { .. }) => e,
                _ => CalendarError::NoCalendarService,
            });
        };
        self.http.check_url(&principal)?;

        let mut body = XmlBody::new("d:propfind");
        body.open("d:prop", &[])
            .empty("c:calendar-home-set", &[])
            .empty("c:calendar-user-address-set", &[])
            .empty("d:displayname", &[]);
        let text = self.multistatus("PROPFIND", &principal, "0", body.finish()).await?;
        let (responses, _) = multistatus(&text)?;
        let mut homes = Vec::new();
        let mut addresses = Vec::new();
        let mut display_name = None;
        for response in &responses {
            if let Some(set) = response.prop(CALDAV, "calendar-home-set") {
                for href in set.hrefs() {
                    let home = resolve(&principal, &href)?;
                    self.http.check_url(&home)?;
                    homes.push(home);
                }
            }
            if let Some(set) = response.prop(CALDAV, "calendar-user-address-set") {
                addresses.extend(set.hrefs());
            }
            display_name = display_name.or_else(|| {
                response
                    .prop(DAV, "displayname")
                    .map(|d| d.trimmed().to_owned())
                    .filter(|d| !d.is_empty())
            });
        }
        if homes.is_empty() {
            return Err(CalendarError::NoCalendarService);
        }
        Ok(CalDavAccount {
            principal,
            calendar_homes: homes,
            addresses,
            display_name,
        })
    }

    /// `current-user-principal` at `url` (after redirects), `None` when the answer doesn't name one.
    async fn find_principal(&self, url: &Url) -> Result<Option<Url>, CalendarError> {
        let mut body = XmlBody::new("d:propfind");
        body.open("d:prop", &[])
            .empty("d:current-user-principal", &[])
            .empty("d:resourcetype", &[]);
        let body = body.finish();
        let (final_url, response) = self
            .http
            .send_following(url, |target, same_origin| {
                self.request(
                    dav_method("PROPFIND"),
                    target,
                    same_origin || target.scheme() == "https",
                )
                .header("Depth", "0")
                .header(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"))
                .body(body.clone())
            })
            .await?;
        match response.status() {
            StatusCode::MULTI_STATUS => {}
            StatusCode::UNAUTHORIZED => return Err(CalendarError::Unauthorized),
            // Not a DAV resource (404, 405, a web page): try the next candidate.
            s if s.is_client_error() || s.is_success() => return Ok(None),
            s => return Err(status_error(s, response.headers())),
        }
        let text = self.http.text(response).await?;
        let Ok((responses, _)) = multistatus(&text) else {
            return Ok(None);
        };
        for response in &responses {
            if let Some(href) = response
                .prop(DAV, "current-user-principal")
                .and_then(|p| p.hrefs().into_iter().next())
            {
                return Ok(Some(resolve(&final_url, &href)?));
            }
        }
        Ok(None)
    }
}
