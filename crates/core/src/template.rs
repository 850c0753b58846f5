//! Custom webhook payload templates, as Cal.com has them: text, usually JSON, with `{{variable}}` placeholders
//! filled from the event that triggered the webhook, e.g.
//!
//! ```text
//! {"type": "{{type}}", "name": "{{title}}", "organizer": "{{organizer.name}}", "booker": "{{attendees.0.name}}"}
//! ```
//!
//! A placeholder is `{{`, optional whitespace, a path, optional whitespace, `}}`. A path is one or more segments
//! joined by `.`; a segment is letters, digits, `_`, `-` or `$`. A segment may end in `?`, which is ignored: Cal.com
//! documents `language?.locale` in JavaScript's optional-chaining style, and a missing value renders empty anyway.
//! Anything else between braces (`{{#if x}}`, `{{}}`) is not a placeholder and is copied as written.

use serde_json::Value;
use std::collections::HashSet;

/// Fills `{{ path }}` placeholders (whitespace inside the braces allowed) from `vars`, a JSON object, walking
/// dotted paths through objects and numeric segments through arrays (`attendees.0.email`).
///
/// Strings are inserted JSON-escaped but without quotes, because templates put placeholders inside JSON strings
/// and an attendee name containing a quote must not break the JSON. Numbers and booleans are inserted as their
/// JSON text and objects and arrays as compact JSON, so those belong outside quotes. Null and missing values
/// insert nothing. Text outside placeholders is copied unchanged, as is an unclosed `{{`. Never panics.
pub fn render(template: &str, vars: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    scan(template, |piece| match piece {
        Piece::Text(text) => out.push_str(text),
        Piece::Placeholder(path) => push_value(&mut out, lookup(vars, &path)),
    });
    out
}

/// The placeholder paths a template uses, each once, in order of first use, for validation at save time. Paths
/// are given as [`render`] reads them: without surrounding whitespace or `?` markers.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    scan(template, |piece| {
        if let Piece::Placeholder(path) = piece {
            let joined = path.join(".");
            if seen.insert(joined.clone()) {
                paths.push(joined);
            }
        }
    });
    paths
}

enum Piece<'t> {
    Text(&'t str),
    Placeholder(Vec<&'t str>),
}

/// Splits a template into literal text and placeholders, in order.
fn scan<'t>(template: &'t str, mut emit: impl FnMut(Piece<'t>)) {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        emit(Piece::Text(&rest[..start]));
        let candidate = &rest[start..];
        match placeholder_at(candidate) {
            Some((path, len)) => {
                emit(Piece::Placeholder(path));
                rest = &candidate[len..];
            }
            None => {
                // Not a placeholder: keep one brace and look again from the next, so `{{{x}}}` still finds `{{x}}`.
                emit(Piece::Text("{"));
                rest = &candidate[1..];
            }
        }
    }
    emit(Piece::Text(rest));
}

/// The path of the placeholder that `s` (which starts with `{{`) opens, and the placeholder's length in bytes.
fn placeholder_at(s: &str) -> Option<(Vec<&str>, usize)> {
    let body = s.strip_prefix("{{")?;
    // The body ends at the first character no placeholder can hold, rather than at the next `}}`: that keeps
    // scanning linear in the template's length however many `{{` it holds.
    let end = body
        .find(|c: char| !(c.is_whitespace() || is_segment_char(c) || c == '.' || c == '?'))
        .unwrap_or(body.len());
    #[cfg(test)]
    tests::EXAMINED.with(|examined| examined.set(examined.get() + end));
    if !body[end..].starts_with("}}") {
        return None;
    }
    let path = parse_path(body[..end].trim())?;
    Some((path, 2 + end + 2))
}

fn is_segment_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '$')
}

fn parse_path(path: &str) -> Option<Vec<&str>> {
    path.split('.')
        .map(|segment| {
            let segment = segment.strip_suffix('?').unwrap_or(segment);
            let valid = !segment.is_empty() && segment.chars().all(is_segment_char);
            valid.then_some(segment)
        })
        .collect()
}

fn lookup<'v>(vars: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(vars, |value, segment| match value {
        Value::Object(map) => map.get(*segment),
        Value::Array(items) => array_index(segment).and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A segment as an array index: canonical decimal only, as JavaScript reads `array["1"]`, so `01` and `+1` are
/// not indices.
fn array_index(segment: &str) -> Option<usize> {
    let canonical = segment == "0" || (!segment.starts_with('0') && segment.bytes().all(|b| b.is_ascii_digit()));
    if canonical { segment.parse().ok() } else { None }
}

fn push_value(out: &mut String, value: Option<&Value>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => push_json_escaped(out, s),
        // Display on a Value is compact JSON text.
        Some(other) => out.push_str(&other.to_string()),
    }
}

/// Appends `s` escaped as the inside of a JSON string (RFC 8259 §7): quote, backslash and the control characters
/// U+0000..U+001F, which are the characters a JSON string may not hold as they are.
fn push_json_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c < '\u{20}' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn booking() -> Value {
        json!({
            "triggerEvent": "BOOKING_CREATED",
            "createdAt": "2025-12-01T15:23:30.323Z",
            "type": "30min",
            "title": "30 min between Ada and Bob",
            "startTime": "2025-12-02T04:00:00.000Z",
            "length": 30,
            "requiresConfirmation": false,
            "location": null,
            "organizer": {"name": "Ada Lovelace", "email": "ada@example.com", "language": {"locale": "en"}},
            "attendees": [
                {"name": "Bob \"The Builder\" O'Neil", "email": "bob@example.com"},
                {"name": "Zoë 🎉", "email": "zoe@example.com"}
            ],
            "team": {"name": "Sales", "members": ["Ada", "Eve"]},
            "responses": {"what-to-discuss": {"label": "Agenda", "value": "Line 1\nLine 2\t\\ end"}}
        })
    }

    #[test]
    fn renders_the_example_template_from_the_cal_com_docs() {
        let template = r#"{
"content": "A new event has been scheduled",
"type": "{{type}}",
"name": "{{title}}",
"organizer": "{{organizer.name}}",
"booker": "{{attendees.0.name}}"
}"#;
        let rendered: Value = serde_json::from_str(&render(template, &booking())).expect("renders to JSON");
        assert_eq!(
            rendered,
            json!({
                "content": "A new event has been scheduled",
                "type": "30min",
                "name": "30 min between Ada and Bob",
                "organizer": "Ada Lovelace",
                "booker": "Bob \"The Builder\" O'Neil"
            })
        );
    }

    #[test]
    fn whitespace_inside_the_braces_is_allowed() {
        assert_eq!(
            render("{{ title }}|{{\ttype\n}}", &booking()),
            "30 min between Ada and Bob|30min"
        );
    }

    #[test]
    fn dotted_paths_walk_nested_objects() {
        assert_eq!(
            render("{{organizer.email}} {{team.name}}", &booking()),
            "ada@example.com Sales"
        );
        assert_eq!(render("{{responses.what-to-discuss.label}}", &booking()), "Agenda");
    }

    #[test]
    fn numeric_segments_index_arrays() {
        assert_eq!(render("{{attendees.1.email}}", &booking()), "zoe@example.com");
        assert_eq!(render("{{team.members.1}}", &booking()), "Eve");
        assert_eq!(render("[{{attendees.2.email}}]", &booking()), "[]", "out of range");
        assert_eq!(render("[{{attendees.01.email}}]", &booking()), "[]", "not canonical");
        assert_eq!(render("[{{attendees.first.email}}]", &booking()), "[]", "not a number");
    }

    #[test]
    fn numeric_segments_also_name_object_keys() {
        let vars = json!({"codes": {"0": "zero"}});
        assert_eq!(render("{{codes.0}}", &vars), "zero");
    }

    #[test]
    fn optional_chaining_marks_from_the_docs_are_ignored() {
        assert_eq!(render("{{organizer.language?.locale}}", &booking()), "en");
        assert_eq!(render("[{{attendees.0.language?.locale}}]", &booking()), "[]");
    }

    #[test]
    fn strings_are_json_escaped_without_quotes() {
        let template = r#"{"booker": "{{attendees.0.name}}", "notes": "{{responses.what-to-discuss.value}}"}"#;
        let out = render(template, &booking());
        assert_eq!(
            out,
            r#"{"booker": "Bob \"The Builder\" O'Neil", "notes": "Line 1\nLine 2\t\\ end"}"#
        );
        let parsed: Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(parsed["notes"], "Line 1\nLine 2\t\\ end");
    }

    #[test]
    fn control_characters_are_escaped_as_json_requires() {
        let vars = json!({"s": "a\u{0}b\u{1f}c\u{8}\u{c}\r"});
        assert_eq!(render("{{s}}", &vars), r"a\u0000b\u001fc\b\f\r");
    }

    #[test]
    fn numbers_booleans_objects_and_arrays_are_inserted_as_json() {
        let out = render(
            r#"{"length": {{length}}, "confirm": {{requiresConfirmation}}, "team": {{team}}, "who": {{attendees}}}"#,
            &booking(),
        );
        let parsed: Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(parsed["length"], 30);
        assert_eq!(parsed["confirm"], false);
        assert_eq!(parsed["team"], booking()["team"]);
        assert_eq!(parsed["who"], booking()["attendees"]);
        assert!(
            out.contains(r#""team": {"name":"Sales","members":["Ada","Eve"]}"#),
            "compact: {out}"
        );
    }

    #[test]
    fn null_and_missing_values_insert_nothing() {
        assert_eq!(render("[{{location}}]", &booking()), "[]");
        assert_eq!(
            render("[{{nope}}][{{organizer.nope.deeper}}][{{title.length}}]", &booking()),
            "[][][]"
        );
        assert_eq!(render("[{{title}}]", &Value::Null), "[]");
        assert_eq!(render("[{{0}}]", &json!(["first"])), "[first]");
    }

    #[test]
    fn text_outside_placeholders_is_copied_unchanged() {
        let template = "{\"a\": {\"b\": \"{{type}}\"}}} { } }} {x} Ünïcødé 🎉\r\n";
        assert_eq!(
            render(template, &booking()),
            "{\"a\": {\"b\": \"30min\"}}} { } }} {x} Ünïcødé 🎉\r\n"
        );
        assert_eq!(render("", &booking()), "");
    }

    #[test]
    fn unclosed_or_malformed_braces_are_copied_literally() {
        let vars = booking();
        assert_eq!(render("hello {{ title", &vars), "hello {{ title");
        assert_eq!(render("{{", &vars), "{{");
        assert_eq!(render("{{}}", &vars), "{{}}");
        assert_eq!(render("{{ }}", &vars), "{{ }}");
        assert_eq!(render("{{#if title}}x{{/if}}", &vars), "{{#if title}}x{{/if}}");
        assert_eq!(render("{{a..b}} {{.a}} {{a.}}", &vars), "{{a..b}} {{.a}} {{a.}}");
        assert_eq!(render("{{ two words }}", &vars), "{{ two words }}");
        assert_eq!(render("{{ {{type}}", &vars), "{{ 30min");
        assert_eq!(render("{{{type}}}", &vars), "{30min}");
        assert_eq!(render("{{type}", &vars), "{{type}");
    }

    thread_local! {
        /// Bytes of would-be placeholder bodies `placeholder_at` examined on this thread: the work that would grow
        /// quadratically if each `{{` were matched by searching ahead for the next `}}`.
        pub(super) static EXAMINED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Renders `template` and returns the bytes examined for placeholders.
    fn examined_rendering(template: &str) -> usize {
        EXAMINED.with(|examined| examined.set(0));
        assert_eq!(render(template, &booking()), template, "rendered unchanged");
        EXAMINED.with(std::cell::Cell::get)
    }

    #[test]
    fn brace_heavy_templates_render_in_linear_time() {
        // Searching for `}}` from every `{{` would examine about n²/2 bytes of these; the scan must stay within a
        // small multiple of n, at every size.
        for n in [1_000, 10_000, 100_000] {
            for template in [
                format!("{}}}}}", "{".repeat(4 * n)),
                "{{ a".repeat(n),
                format!("{}{}}}}}", "{{ a.b ".repeat(n), "x"),
            ] {
                let examined = examined_rendering(&template);
                assert!(
                    examined <= 2 * template.len(),
                    "{examined} bytes examined for a template of {} bytes",
                    template.len()
                );
            }
        }
    }

    #[test]
    fn unicode_in_paths_and_values_is_kept() {
        let vars = json!({"café": {"naïve": "日本語 — Zoë 🎉"}});
        assert_eq!(render("«{{ café.naïve }}»", &vars), "«日本語 — Zoë 🎉»");
        assert_eq!(render("{{attendees.1.name}}", &booking()), "Zoë 🎉");
    }

    #[test]
    fn placeholders_lists_each_path_once_in_order_of_use() {
        let template = "{{ title }} {{attendees.0.email}} {{title}} {{organizer.language?.locale}} {{ }} {{unclosed";
        assert_eq!(
            placeholders(template),
            vec!["title", "attendees.0.email", "organizer.language.locale"]
        );
        assert!(placeholders("no placeholders {here}").is_empty());
    }

    proptest! {
        #[test]
        fn render_never_panics_on_any_template(template in any::<String>()) {
            let _ = render(&template, &booking());
            let _ = placeholders(&template);
        }

        #[test]
        fn render_never_panics_on_brace_heavy_templates(template in "[{} .a0?\u{e9}\u{1f389}]{0,40}") {
            let _ = render(&template, &json!({"a": [{"a": "x"}]}));
            let _ = placeholders(&template);
        }

        #[test]
        fn any_string_value_round_trips_through_a_json_template(value in any::<String>()) {
            let out = render(r#"{"v": "{{ v }}"}"#, &json!({ "v": value }));
            let parsed: Value = serde_json::from_str(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parsed["v"].as_str(), Some(value.as_str()));
        }

        #[test]
        fn templates_without_placeholders_render_as_themselves(template in "[^{]*") {
            prop_assert_eq!(render(&template, &booking()), template);
        }
    }
}
