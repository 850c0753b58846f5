//! The words of the booking pages (and the emails they trigger) in English, German, French and Spanish, through
//! Mozilla's Fluent: one message file per language in `crates/server/locales/`, compiled into the binary.
//!
//! A page's language comes from `?lang=`, then the browser's `Accept-Language`, then English. A message missing
//! from a language falls back to English, so a half-translated file never shows a message id to a person.

use convene_core::FieldError;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::LazyLock;
use unic_langid::LanguageIdentifier;

/// A language the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
    Fr,
    Es,
}

const SOURCES: [(Lang, &str); 4] = [
    (Lang::En, include_str!("../locales/en.ftl")),
    (Lang::De, include_str!("../locales/de.ftl")),
    (Lang::Fr, include_str!("../locales/fr.ftl")),
    (Lang::Es, include_str!("../locales/es.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<(Lang, Bundle)>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, source)| {
            // A syntax error in a message file is a build defect (a unit test parses every file); whatever parsed
            // is still used.
            let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(partial, errors)| {
                tracing::error!(lang = lang.code(), ?errors, "message file has syntax errors");
                partial
            });
            let id: LanguageIdentifier = lang.code().parse().unwrap_or_default();
            let mut bundle = Bundle::new_concurrent(vec![id]);
            // Isolation marks would surround every argument with invisible characters; our arguments are names,
            // dates and times inside otherwise one-direction text.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                tracing::error!(lang = lang.code(), ?errors, "message file has duplicate messages");
            }
            (*lang, bundle)
        })
        .collect()
});

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::De, Lang::Fr, Lang::Es];

    /// The BCP 47 code, as stored on bookings and put in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The language of a tag such as `de`, `de-AT` or `fr_CA` (region ignored), if we speak it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// `?lang=` first, then the best `Accept-Language` entry we speak (by q-value, then order), else English.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = query.and_then(Lang::from_tag) {
            return lang;
        }
        let mut best: Option<(f32, Lang)> = None;
        for entry in accept_language.unwrap_or_default().split(',') {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    fn bundle(self) -> Option<&'static Bundle> {
        BUNDLES.iter().find(|(l, _)| *l == self).map(|(_, b)| b)
    }

    /// The message `id`, with `args` filled in.
    pub fn text_with(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        for bundle in [self.bundle(), Lang::En.bundle()].into_iter().flatten() {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, lang = self.code(), ?errors, "message formatted with errors");
                }
                return text.into_owned();
            }
        }
        tracing::warn!(id, "message missing in every language");
        id.to_owned()
    }

    /// The message `id` (no arguments).
    pub fn text(self, id: &str) -> String {
        self.text_with(id, &[])
    }

    /// A service's refusal in this language: its catalogue message with its arguments when this language has the
    /// id, else the English sentence the refusal carries (what the API answers).
    pub fn refusal(self, e: &FieldError) -> String {
        let Some((bundle, pattern)) =
            e.id.and_then(|id| Some((self.bundle()?, self.bundle()?.get_message(id)?.value()?)))
        else {
            return e.message.clone();
        };
        let mut args = FluentArgs::new();
        for (name, value) in &e.args {
            args.set(*name, FluentValue::from(value.as_str()));
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id = e.id, lang = self.code(), ?errors, "refusal formatted with errors");
        }
        text.into_owned()
    }

    /// The language's own name, for the language switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
            Lang::Fr => "Français",
            Lang::Es => "Español",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next().map(|s| s.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_message_file_parses_and_has_every_english_message() {
        let english = ids(SOURCES[0].1);
        assert!(english.len() > 20, "the English file lists the messages");
        for (lang, source) in SOURCES {
            assert!(
                FluentResource::try_new(source.to_owned()).is_ok(),
                "{} does not parse",
                lang.code()
            );
            let own = ids(source);
            let missing: Vec<_> = english.iter().filter(|id| !own.contains(id)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
        }
    }

    /// Every `"refusal-…"` literal in the workspace's source: the ids `FieldError::coded` is called with.
    fn refusal_ids_in_source() -> Vec<String> {
        fn walk(dir: &std::path::Path, ids: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, ids);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap_or_default();
                    for piece in source.split("\"refusal-").skip(1) {
                        let rest: String = piece.chars().take_while(|c| *c != '"').collect();
                        // The scan's own literals ("refusal-" alone, a format string) are not ids.
                        if !rest.is_empty()
                            && rest
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        {
                            ids.push(format!("refusal-{rest}"));
                        }
                    }
                }
            }
        }
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut ids = Vec::new();
        for krate in ["core", "server", "store"] {
            walk(&crates.join(krate).join("src"), &mut ids);
        }
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn every_refusal_id_in_the_source_is_in_every_message_file() {
        let used = refusal_ids_in_source();
        assert!(used.len() > 20, "the scan finds the catalogue's ids: {used:?}");
        for (lang, source) in SOURCES {
            let own = ids(source);
            let missing: Vec<_> = used.iter().filter(|id| !own.contains(id)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
        }
    }

    #[test]
    fn a_refusal_speaks_the_language_and_falls_back_to_its_english() {
        let taken = FieldError::coded("slug", "refusal-too-long", "must be at most 5 characters").arg("max", 5);
        assert_eq!(Lang::De.refusal(&taken), "Verwenden Sie höchstens 5 Zeichen.");
        let english_only = FieldError::new("slug", "is odd");
        assert_eq!(Lang::Fr.refusal(&english_only), "is odd");
        let unknown = FieldError::coded("slug", "refusal\u{2d}no-such-id", "is odd");
        assert_eq!(Lang::Fr.refusal(&unknown), "is odd");
    }

    #[test]
    fn the_query_wins_then_the_best_accepted_language() {
        assert_eq!(Lang::negotiate(Some("fr"), Some("de")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("xx"), Some("de-AT,de;q=0.9")), Lang::De);
        assert_eq!(Lang::negotiate(None, Some("nl, es;q=0.8, fr;q=0.9")), Lang::Fr);
        assert_eq!(Lang::negotiate(None, Some("es;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }

    #[test]
    fn arguments_fill_in_and_missing_messages_fall_back() {
        assert_eq!(Lang::De.text_with("test-greeting", &[("name", "Ada")]), "Hallo, Ada");
        assert_eq!(Lang::Es.text("no-such-message"), "no-such-message");
    }
}
