//! Query strings and form bodies as ordered pairs (booking forms repeat names for multi-choice fields), and what
//! the booking pages carry from one step to the next: language, zone, clock, length, prefill and reschedule.

use crate::i18n::Lang;
use axum::http::{HeaderMap, header};

/// Parameters that travel with the invitee from the booker to the form (Cal.com's prefill names, and
/// `metadata[…]`), so a link such as `/{user}/{slug}?name=Ada&email=…` fills the form.
const PREFILL: [&str; 4] = ["name", "email", "notes", "guests"];
/// The booker's own settings, kept on every link and form.
/// `embed` (the namespace of Cal.com's embed, possibly empty) keeps the pages speaking to the embedding page.
/// `privateLink` lets the steps after a private link's booker book its (possibly hidden) event type.
/// `routingFormResponseId` records the booking on the routing form response that led to the booker.
const SETTINGS: [&str; 9] = [
    "routingFormResponseId",
    "lang",
    "tz",
    "clock",
    "duration",
    "rescheduleUid",
    "token",
    "embed",
    "privateLink",
];

#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: &[u8]) -> Params {
        Params(form_urlencoded::parse(raw).into_owned().take(500).collect())
    }

    pub fn from_query(query: Option<&str>) -> Params {
        Params::parse(query.unwrap_or_default().as_bytes())
    }

    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push((name.to_owned(), value.to_owned()));
    }

    /// `name` with this one value, whatever the query said.
    pub fn set(&mut self, name: &str, value: &str) {
        self.0.retain(|(k, _)| k != name);
        self.push(name, value);
    }

    /// The first value of `name`, when not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, blanks left out.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// What to pass on to the next step: settings, prefill and `metadata[…]` (prefill only when `with_prefill`;
    /// the form sends its own fields).
    pub fn carried(&self, with_prefill: bool) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, v)| {
                (!v.is_empty() || k == "embed")
                    && (SETTINGS.contains(&k.as_str())
                        || k.starts_with("metadata[")
                        || (with_prefill && PREFILL.contains(&k.as_str())))
            })
            .take(60)
            .cloned()
            .collect()
    }

    /// `metadata[key]=value` pairs as a map (Cal.com's way of passing metadata through a booking link).
    pub fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                Some((key.to_owned(), serde_json::Value::String(v.clone())))
            })
            .collect()
    }

    /// The page's language: `?lang=` then `Accept-Language`.
    pub fn lang(&self, headers: &HeaderMap) -> Lang {
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Lang::negotiate(self.get("lang"), accept)
    }
}

/// `base?k=v&…` with `pairs` (later pairs replace earlier ones of the same name).
pub fn href(base: &str, pairs: &[(String, String)], set: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !set.iter().any(|(name, _)| name == k) {
            out.append_pair(k, v);
        }
    }
    for (k, v) in set {
        if !v.is_empty() {
            out.append_pair(k, v);
        }
    }
    let query = out.finish();
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// A path on this site ([`crate::web::site_path`]) without a query or fragment, for the "back to the booker"
/// links that travel in forms.
pub fn local_path(raw: Option<&str>) -> Option<&str> {
    crate::web::site_path(raw).filter(|p| !p.contains(['?', '#']) && p.len() < 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carried_pairs_keep_settings_and_prefill_but_not_anything_else() {
        let p = Params::from_query(Some("lang=de&name=Ada&month=2030-01&metadata%5Bcrm%5D=7&evil=1"));
        let kept = p.carried(true);
        assert_eq!(
            kept,
            vec![
                ("lang".to_owned(), "de".to_owned()),
                ("name".to_owned(), "Ada".to_owned()),
                ("metadata[crm]".to_owned(), "7".to_owned())
            ]
        );
        assert_eq!(p.metadata()["crm"], "7");
        assert_eq!(
            href("/a", &kept, &[("lang", "fr")]),
            "/a?name=Ada&metadata%5Bcrm%5D=7&lang=fr"
        );
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/ada/intro")), Some("/ada/intro"));
        assert_eq!(local_path(Some("//evil.example")), None);
        assert_eq!(local_path(Some("https://evil.example")), None);
        assert_eq!(local_path(Some("/\\evil")), None);
        assert_eq!(local_path(Some("/\t/evil.example")), None);
    }
}
