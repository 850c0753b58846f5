//! Limits as the pages show them: a refused form comes back with its input, a sentence saying how long to wait,
//! status 429 and `Retry-After`, as the API answers.

use super::respond::internal;
use crate::i18n::Lang;
use crate::limits::{LimitError, LimitKey, Limited};
use crate::state::AppState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// Why a page's request was not let through.
pub(super) enum Refused {
    Wait(Limited),
    Broken(LimitError),
}

/// Counts one request against `key`.
pub(super) async fn within(state: &AppState, key: LimitKey) -> Result<(), Refused> {
    state.limits.take(key).await.map_err(Refused::from)
}

impl From<LimitError> for Refused {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::Limited(limited) => Refused::Wait(limited),
            broken @ LimitError::Store(_) => Refused::Broken(broken),
        }
    }
}

impl Refused {
    /// The answer: `form` rendered again (with status 429) and `what` followed by the wait as its message.
    pub(super) fn page(self, what: &str, form: impl FnOnce(StatusCode, &str) -> Response) -> Response {
        self.page_in(Lang::En, what, form)
    }

    /// [`Refused::page`] with the wait said in `t`'s language (`what` already in it).
    pub(super) fn page_in(self, t: Lang, what: &str, form: impl FnOnce(StatusCode, &str) -> Response) -> Response {
        match self {
            Refused::Wait(limited) => {
                let wait = wait_text_in(t, limited.retry_after_secs);
                let text = t.text_with("limit-try-again", &[("what", what), ("wait", &wait)]);
                with_retry_after(form(StatusCode::TOO_MANY_REQUESTS, &text), limited.retry_after_secs)
            }
            Refused::Broken(e) => internal(e),
        }
    }
}

/// A refused page carries `Retry-After` like the API's 429s.
pub(super) fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// "45 seconds", "3 minutes": how long to wait, for people.
pub(super) fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

/// [`wait_text`] in `t`'s language.
pub(super) fn wait_text_in(t: Lang, seconds: u64) -> String {
    match seconds {
        0..=1 => t.text("limit-wait-second"),
        2..=90 => t.text_with("limit-wait-seconds", &[("n", &seconds.to_string())]),
        _ => t.text_with("limit-wait-minutes", &[("n", &seconds.div_ceil(60).to_string())]),
    }
}

#[cfg(test)]
mod tests {
    use super::{wait_text, wait_text_in};
    use crate::i18n::Lang;

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait_text(1), "a second");
        assert_eq!(wait_text(45), "45 seconds");
        assert_eq!(wait_text(91), "2 minutes");
        assert_eq!(wait_text(900), "15 minutes");
    }

    #[test]
    fn waits_are_said_in_the_page_language() {
        assert_eq!(wait_text_in(Lang::En, 45), wait_text(45));
        assert_eq!(wait_text_in(Lang::En, 900), wait_text(900));
        assert_eq!(wait_text_in(Lang::De, 1), "einer Sekunde");
        assert_eq!(wait_text_in(Lang::Fr, 91), "2 minutes");
        assert_eq!(wait_text_in(Lang::Es, 30), "30 segundos");
    }
}
