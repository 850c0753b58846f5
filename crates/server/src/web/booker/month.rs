//! The month grid and the words for dates and times in the invitee's language, zone and clock.

use crate::i18n::Lang;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::BTreeSet;

/// One day of the grid: a link only when the day has a free slot.
pub struct Cell {
    pub day: i8,
    pub href: Option<String>,
    pub selected: bool,
    /// "Tuesday, January 8, 2030", the link's accessible name.
    pub label: String,
    /// The host is away that day and a teammate takes their bookings (the link opens the offer).
    pub away: bool,
}

/// Weeks (Monday first) of `first`'s month; `None` pads the first and last week.
pub fn grid(
    lang: Lang,
    first: Date,
    free_days: &BTreeSet<Date>,
    selected: Option<Date>,
    href_for: impl Fn(Date) -> String,
) -> Vec<Vec<Option<Cell>>> {
    let mut weeks = Vec::new();
    let mut week: Vec<Option<Cell>> = (1..first.weekday().to_monday_one_offset()).map(|_| None).collect();
    let mut day = first;
    while day.month() == first.month() {
        week.push(Some(Cell {
            day: day.day(),
            href: free_days.contains(&day).then(|| href_for(day)),
            selected: selected == Some(day),
            label: day_label(lang, day),
            away: false,
        }));
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    if !week.is_empty() {
        week.resize_with(7, || None);
        weeks.push(week);
    }
    weeks
}

/// Short weekday names, Monday first, for the grid's header.
pub fn weekday_heads(lang: Lang) -> Vec<(String, String)> {
    (1..=7)
        .map(|i| (lang.text(&format!("wds-{i}")), lang.text(&format!("wd-{i}"))))
        .collect()
}

pub fn month_label(lang: Lang, first: Date) -> String {
    lang.text_with(
        "month-heading",
        &[
            ("month", &lang.text(&format!("month-{}", first.month()))),
            ("year", &first.year().to_string()),
        ],
    )
}

pub fn day_label(lang: Lang, day: Date) -> String {
    lang.text_with(
        "day-heading",
        &[
            (
                "weekday",
                &lang.text(&format!("wd-{}", day.weekday().to_monday_one_offset())),
            ),
            ("day", &day.day().to_string()),
            ("month", &lang.text(&format!("month-{}", day.month()))),
            ("year", &day.year().to_string()),
        ],
    )
}

/// `14:30` or `2:30pm`.
pub fn time_label(at: Timestamp, tz: &TimeZone, h24: bool) -> String {
    let t = tz.to_datetime(at);
    if h24 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        let (h, suffix) = match t.hour() {
            0 => (12, "am"),
            h @ 1..=11 => (h, "am"),
            12 => (12, "pm"),
            h => (h - 12, "pm"),
        };
        format!("{h}:{:02}{suffix}", t.minute())
    }
}

/// "Tuesday, January 8, 2030, 09:00 – 09:30 (Europe/Berlin)".
pub fn span_label(lang: Lang, start: Timestamp, end: Timestamp, tz: &TimeZone, zone: &str, h24: bool) -> String {
    format!(
        "{}, {} – {} ({zone})",
        day_label(lang, tz.to_datetime(start).date()),
        time_label(start, tz, h24),
        time_label(end, tz, h24)
    )
}

/// Every zone of jiff's bundled database worth offering (regions, plus UTC), sorted.
pub fn zone_names() -> &'static [String] {
    static ZONES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.to_string())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
            .collect();
        names.push("UTC".into());
        names.sort();
        names.dedup();
        names
    });
    &ZONES
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_month_grid_starts_on_monday_and_links_only_free_days() {
        // January 2030 starts on a Tuesday.
        let free: BTreeSet<Date> = [date(2030, 1, 8)].into_iter().collect();
        let weeks = grid(Lang::En, date(2030, 1, 1), &free, None, |d| format!("/x?date={d}"));
        assert!(weeks[0][0].is_none());
        assert_eq!(weeks[0][1].as_ref().map(|c| c.day), Some(1));
        let linked: Vec<i8> = weeks
            .iter()
            .flatten()
            .flatten()
            .filter(|c| c.href.is_some())
            .map(|c| c.day)
            .collect();
        assert_eq!(linked, vec![8]);
        assert!(weeks.iter().all(|w| w.len() == 7));
    }

    #[test]
    fn times_follow_the_clock_and_zone() {
        let at: Timestamp = "2030-01-08T13:05:00Z".parse().expect("instant");
        let berlin = TimeZone::get("Europe/Berlin").expect("zone");
        assert_eq!(time_label(at, &berlin, true), "14:05");
        assert_eq!(time_label(at, &berlin, false), "2:05pm");
        assert_eq!(day_label(Lang::De, date(2030, 1, 8)), "Dienstag, 8. Januar 2030");
    }
}
