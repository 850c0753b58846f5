//! Expansion edge cases, each against times worked out by hand.

use super::*;
use jiff::tz::TimeZone;
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn window(from: &str, to: &str, zone: &str) -> BusyWindow {
    BusyWindow::new(ts(from), ts(to), TimeZone::get(zone).expect("zone")).expect("window")
}

fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}

fn busy(ics: &str, w: &BusyWindow) -> BusyReport {
    busy_from_ics(ics, "Work", w, &IcsLimits::default()).expect("busy")
}

/// `(start, end)` in RFC 3339 UTC, for comparing against hand-computed values.
fn spans(report: &BusyReport) -> Vec<(String, String)> {
    report
        .busy
        .iter()
        .map(|b| (b.interval.start.to_string(), b.interval.end.to_string()))
        .collect()
}

const WEEKLY_BERLIN: &str = "BEGIN:VEVENT\r\nUID:standup@example.com\r\nSUMMARY:Standup\r\n\
    DTSTART;TZID=Europe/Berlin:20250317T090000\r\nDTEND;TZID=Europe/Berlin:20250317T093000\r\n\
    RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:VEVENT\r\n";

#[test]
fn weekly_event_keeps_its_local_time_across_the_dst_change() {
    let w = window("2025-03-16T00:00:00Z", "2025-04-08T00:00:00Z", "UTC");
    let report = busy(&cal(WEEKLY_BERLIN), &w);
    // Berlin moves to CEST on 30 March: 09:00 local is 08:00Z before and 07:00Z after.
    assert_eq!(
        spans(&report),
        vec![
            ("2025-03-17T08:00:00Z".into(), "2025-03-17T08:30:00Z".into()),
            ("2025-03-24T08:00:00Z".into(), "2025-03-24T08:30:00Z".into()),
            ("2025-03-31T07:00:00Z".into(), "2025-03-31T07:30:00Z".into()),
            ("2025-04-07T07:00:00Z".into(), "2025-04-07T07:30:00Z".into()),
        ]
    );
    let source = &report.busy[0].source;
    assert_eq!(source.uid.as_deref(), Some("standup@example.com"));
    assert_eq!(source.summary.as_deref(), Some("Standup"));
    assert_eq!(source.calendar, "Work");
    assert_eq!(source.kind, BusyKind::Event);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn exdate_removes_one_occurrence_whatever_zone_it_is_written_in() {
    let event = WEEKLY_BERLIN.replace(
        "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n",
        "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEXDATE;TZID=Europe/Berlin:20250324T090000\r\nEXDATE:20250407T070000Z\r\n",
    );
    let w = window("2025-03-16T00:00:00Z", "2025-04-08T00:00:00Z", "UTC");
    let starts: Vec<_> = spans(&busy(&cal(&event), &w)).into_iter().map(|s| s.0).collect();
    assert_eq!(starts, vec!["2025-03-17T08:00:00Z", "2025-03-31T07:00:00Z"]);
}

#[test]
fn an_override_moves_one_occurrence_and_another_cancels_one() {
    let body = format!(
        "{WEEKLY_BERLIN}BEGIN:VEVENT\r\nUID:standup@example.com\r\nSUMMARY:Standup (moved)\r\n\
         RECURRENCE-ID;TZID=Europe/Berlin:20250324T090000\r\n\
         DTSTART;TZID=Europe/Berlin:20250325T140000\r\nDTEND;TZID=Europe/Berlin:20250325T150000\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:standup@example.com\r\nRECURRENCE-ID:20250331T070000Z\r\nSTATUS:CANCELLED\r\n\
         DTSTART;TZID=Europe/Berlin:20250331T090000\r\nDTEND;TZID=Europe/Berlin:20250331T093000\r\nEND:VEVENT\r\n"
    );
    let w = window("2025-03-16T00:00:00Z", "2025-04-08T00:00:00Z", "UTC");
    let report = busy(&cal(&body), &w);
    assert_eq!(
        spans(&report),
        vec![
            ("2025-03-17T08:00:00Z".into(), "2025-03-17T08:30:00Z".into()),
            ("2025-03-25T13:00:00Z".into(), "2025-03-25T14:00:00Z".into()),
            ("2025-04-07T07:00:00Z".into(), "2025-04-07T07:30:00Z".into()),
        ]
    );
    assert_eq!(report.busy[1].source.summary.as_deref(), Some("Standup (moved)"));
}

#[test]
fn an_occurrence_moved_into_the_window_from_outside_it_blocks() {
    let body = format!(
        "{WEEKLY_BERLIN}BEGIN:VEVENT\r\nUID:standup@example.com\r\n\
         RECURRENCE-ID;TZID=Europe/Berlin:20250414T090000\r\n\
         DTSTART;TZID=Europe/Berlin:20250402T090000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"
    );
    let w = window("2025-04-01T00:00:00Z", "2025-04-05T00:00:00Z", "UTC");
    assert_eq!(
        spans(&busy(&cal(&body), &w)),
        vec![("2025-04-02T07:00:00Z".into(), "2025-04-02T08:00:00Z".into())]
    );
}

#[test]
fn all_day_events_block_the_whole_day_in_the_hosts_zone() {
    let body = "BEGIN:VEVENT\r\nUID:holiday\r\nSUMMARY:Holiday\r\nDTSTART;VALUE=DATE:20250310\r\n\
                DTEND;VALUE=DATE:20250311\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:trip\r\nSUMMARY:Trip\r\nDTSTART;VALUE=DATE:20250312\r\n\
                DTEND;VALUE=DATE:20250315\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:no-end\r\nDTSTART;VALUE=DATE:20250320\r\nEND:VEVENT\r\n";
    let w = window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", "America/New_York");
    let report = busy(&cal(body), &w);
    // New York is on EDT (UTC-4) from 9 March 2025.
    assert_eq!(
        spans(&report),
        vec![
            ("2025-03-10T04:00:00Z".into(), "2025-03-11T04:00:00Z".into()),
            ("2025-03-12T04:00:00Z".into(), "2025-03-15T04:00:00Z".into()),
            ("2025-03-20T04:00:00Z".into(), "2025-03-21T04:00:00Z".into()),
        ]
    );
    assert!(report.busy.iter().all(|b| b.source.kind == BusyKind::AllDay));
}

#[test]
fn an_all_day_event_on_a_dst_day_lasts_that_days_23_hours() {
    let body = "BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20250309\r\nEND:VEVENT\r\n";
    let w = window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", "America/New_York");
    assert_eq!(
        spans(&busy(&cal(body), &w)),
        vec![("2025-03-09T05:00:00Z".into(), "2025-03-10T04:00:00Z".into())]
    );
}

#[test]
fn a_recurring_all_day_event_lands_on_the_hosts_days() {
    let body = "BEGIN:VEVENT\r\nUID:gym\r\nDTSTART;VALUE=DATE:20250303\r\nDTEND;VALUE=DATE:20250304\r\n\
                RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;VALUE=DATE:20250310\r\nEND:VEVENT\r\n";
    let w = window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", "Asia/Tokyo");
    assert_eq!(
        spans(&busy(&cal(body), &w)),
        vec![
            ("2025-03-02T15:00:00Z".into(), "2025-03-03T15:00:00Z".into()),
            ("2025-03-16T15:00:00Z".into(), "2025-03-17T15:00:00Z".into()),
        ]
    );
}

#[test]
fn transparent_cancelled_and_free_events_do_not_block() {
    let body = "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20250310T100000Z\r\nDTEND:20250310T110000Z\r\n\
                TRANSP:TRANSPARENT\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20250310T120000Z\r\nDTEND:20250310T130000Z\r\n\
                STATUS:CANCELLED\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20250310T140000Z\r\nDTEND:20250310T150000Z\r\n\
                X-MICROSOFT-CDO-BUSYSTATUS:FREE\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20250310T160000Z\r\nDTEND:20250310T170000Z\r\n\
                STATUS:TENTATIVE\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n";
    let w = window("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", "UTC");
    let report = busy(&cal(body), &w);
    assert_eq!(
        spans(&report),
        vec![("2025-03-10T16:00:00Z".into(), "2025-03-10T17:00:00Z".into())]
    );
    assert_eq!(report.busy[0].source.kind, BusyKind::Tentative);
}

#[test]
fn a_cancelled_series_blocks_nothing_but_its_opaque_override_does() {
    let body = "BEGIN:VEVENT\r\nUID:s\r\nDTSTART:20250310T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
                TRANSP:TRANSPARENT\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20250312T100000Z\r\nDTSTART:20250312T100000Z\r\n\
                DURATION:PT2H\r\nEND:VEVENT\r\n";
    let w = window("2025-03-10T00:00:00Z", "2025-03-20T00:00:00Z", "UTC");
    assert_eq!(
        spans(&busy(&cal(body), &w)),
        vec![("2025-03-12T10:00:00Z".into(), "2025-03-12T12:00:00Z".into())]
    );
}

#[test]
fn floating_times_are_the_hosts_wall_clock() {
    let body = "BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20250710T090000\r\nDTEND:20250710T100000\r\nEND:VEVENT\r\n";
    let w = window("2025-07-01T00:00:00Z", "2025-08-01T00:00:00Z", "Europe/London");
    assert_eq!(
        spans(&busy(&cal(body), &w)),
        vec![("2025-07-10T08:00:00Z".into(), "2025-07-10T09:00:00Z".into())]
    );
}

#[test]
fn unknown_zones_are_read_in_the_hosts_zone_with_a_warning() {
    let body = "BEGIN:VEVENT\r\nUID:u\r\nDTSTART;TZID=Mars/Olympus:20250710T090000\r\nDURATION:PT30M\r\nEND:VEVENT\r\n";
    let w = window("2025-07-01T00:00:00Z", "2025-08-01T00:00:00Z", "Europe/Paris");
    let report = busy(&cal(body), &w);
    assert_eq!(
        spans(&report),
        vec![("2025-07-10T07:00:00Z".into(), "2025-07-10T07:30:00Z".into())]
    );
    assert_eq!(
        report.warnings,
        vec![BusyWarning::UnknownTimeZone {
            tzid: "Mars/Olympus".into()
        }]
    );
}

#[test]
fn vtimezone_definitions_and_windows_names_are_understood() {
    let body = "BEGIN:VTIMEZONE\r\nTZID:/citadel.org/20190914_1/Europe/Madrid\r\n\
                X-LIC-LOCATION:Europe/Madrid\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
                TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
                BEGIN:VEVENT\r\nUID:m\r\nDTSTART;TZID=/citadel.org/20190914_1/Europe/Madrid:20250710T090000\r\n\
                DURATION:PT1H\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Tokyo Standard Time:20250710T090000\r\n\
                DURATION:PT1H\r\nEND:VEVENT\r\n";
    let w = window("2025-07-01T00:00:00Z", "2025-08-01T00:00:00Z", "UTC");
    let report = busy(&cal(body), &w);
    assert_eq!(
        spans(&report),
        vec![
            ("2025-07-10T00:00:00Z".into(), "2025-07-10T01:00:00Z".into()),
            ("2025-07-10T07:00:00Z".into(), "2025-07-10T08:00:00Z".into()),
        ]
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn duration_nominal_days_and_multi_day_timed_events() {
    let body = "BEGIN:VEVENT\r\nUID:conf\r\nDTSTART;TZID=Europe/Berlin:20250328T090000\r\nDURATION:P3DT2H\r\n\
                END:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:trip\r\nDTSTART:20250401T220000Z\r\nDTEND:20250403T060000Z\r\nEND:VEVENT\r\n";
    let w = window("2025-03-30T00:00:00Z", "2025-04-02T12:00:00Z", "UTC");
    assert_eq!(
        spans(&busy(&cal(body), &w)),
        vec![
            // 28 March 09:00 CET + 3 days = 31 March 09:00 CEST, + 2h.
            ("2025-03-28T08:00:00Z".into(), "2025-03-31T09:00:00Z".into()),
            ("2025-04-01T22:00:00Z".into(), "2025-04-03T06:00:00Z".into()),
        ]
    );
}

#[test]
fn until_in_utc_ends_a_zoned_series_and_rdates_add_occurrences() {
    let body = "BEGIN:VEVENT\r\nUID:r\r\nDTSTART;TZID=America/New_York:20250303T170000\r\n\
                DTEND;TZID=America/New_York:20250303T180000\r\nRRULE:FREQ=DAILY;UNTIL=20250305T220000Z\r\n\
                RDATE;TZID=America/New_York:20250308T120000\r\n\
                RDATE;VALUE=PERIOD:20250309T150000Z/20250309T153000Z\r\nEND:VEVENT\r\n";
    let w = window("2025-03-01T00:00:00Z", "2025-03-31T00:00:00Z", "UTC");
    assert_eq!(
        spans(&busy(&cal(body), &w)),
        vec![
            ("2025-03-03T22:00:00Z".into(), "2025-03-03T23:00:00Z".into()),
            ("2025-03-04T22:00:00Z".into(), "2025-03-04T23:00:00Z".into()),
            ("2025-03-05T22:00:00Z".into(), "2025-03-05T23:00:00Z".into()),
            ("2025-03-08T17:00:00Z".into(), "2025-03-08T18:00:00Z".into()),
            ("2025-03-09T15:00:00Z".into(), "2025-03-09T15:30:00Z".into()),
        ]
    );
}

#[test]
fn vfreebusy_periods_block_unless_free() {
    let body = "BEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTART:20250310T000000Z\r\nDTEND:20250311T000000Z\r\n\
                FREEBUSY:20250310T090000Z/20250310T100000Z,20250310T110000Z/PT30M\r\n\
                FREEBUSY;FBTYPE=FREE:20250310T120000Z/20250310T130000Z\r\n\
                FREEBUSY;FBTYPE=BUSY-TENTATIVE:20250310T140000Z/20250310T150000Z\r\nEND:VFREEBUSY\r\n";
    let w = window("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", "UTC");
    let report = busy(&cal(body), &w);
    assert_eq!(
        spans(&report),
        vec![
            ("2025-03-10T09:00:00Z".into(), "2025-03-10T10:00:00Z".into()),
            ("2025-03-10T11:00:00Z".into(), "2025-03-10T11:30:00Z".into()),
            ("2025-03-10T14:00:00Z".into(), "2025-03-10T15:00:00Z".into()),
        ]
    );
    assert_eq!(report.busy[0].source.kind, BusyKind::FreeBusy);
    assert_eq!(report.busy[2].source.kind, BusyKind::Tentative);
}

#[test]
fn only_what_overlaps_the_window_is_returned_and_zero_length_events_block_nothing() {
    let body = "BEGIN:VEVENT\r\nUID:before\r\nDTSTART:20250309T230000Z\r\nDTEND:20250310T000000Z\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:across\r\nDTSTART:20250309T230000Z\r\nDTEND:20250310T003000Z\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:point\r\nDTSTART:20250310T120000Z\r\nEND:VEVENT\r\n";
    let w = window("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", "UTC");
    let report = busy(&cal(body), &w);
    assert_eq!(report.busy.len(), 1);
    assert_eq!(report.busy[0].source.uid.as_deref(), Some("across"));
}

#[test]
fn long_running_rules_stop_at_the_cap_with_a_warning() {
    let body =
        "BEGIN:VEVENT\r\nUID:daily\r\nDTSTART:19900101T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n";
    let w = window("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", "UTC");
    let limits = IcsLimits {
        max_occurrences_per_event: 1_000,
        ..IcsLimits::default()
    };
    let report = busy_from_ics(&cal(body), "c", &w, &limits).expect("busy");
    assert!(report.busy.is_empty());
    assert_eq!(
        report.warnings,
        vec![BusyWarning::RecurrenceTruncated {
            uid: Some("daily".into()),
            limit: 1_000
        }]
    );
    // With the default cap the same rule reaches 2025 (about 12,800 occurrences).
    let report = busy(&cal(body), &w);
    assert_eq!(
        spans(&report),
        vec![("2025-03-10T09:00:00Z".into(), "2025-03-10T10:00:00Z".into())]
    );
}

#[test]
fn input_larger_than_the_limit_is_refused_before_parsing() {
    let w = window("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", "UTC");
    let limits = IcsLimits {
        max_bytes: 100,
        ..IcsLimits::default()
    };
    let err = busy_from_ics(&cal(WEEKLY_BERLIN), "c", &w, &limits).expect_err("too large");
    assert_eq!(err, CalendarError::TooLarge { limit: 100 });
}

#[test]
fn data_without_a_calendar_is_a_protocol_error() {
    let w = window("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", "UTC");
    let err = busy_from_ics("<html>Sign in</html>", "c", &w, &IcsLimits::default()).expect_err("not ics");
    assert!(matches!(err, CalendarError::Protocol(_)), "{err:?}");
}

#[test]
fn broken_components_are_skipped_and_named() {
    let body = "BEGIN:VEVENT\r\nUID:nostart\r\nSUMMARY:x\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:backwards\r\nDTSTART:20250310T100000Z\r\nDTEND:20250310T090000Z\r\nEND:VEVENT\r\n\
                BEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20250310T100000Z\r\nDTEND:20250310T110000Z\r\nEND:VEVENT\r\n";
    let w = window("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", "UTC");
    let report = busy(&cal(body), &w);
    assert_eq!(report.busy.len(), 1);
    let skipped: Vec<_> = report
        .warnings
        .iter()
        .filter_map(|w| match w {
            BusyWarning::SkippedComponent { uid, .. } => uid.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, vec!["nostart".to_owned(), "backwards".to_owned()]);
}

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "UTC",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A weekly rule in any zone: every occurrence is on the same weekday at the same local time, a week apart,
    /// and COUNT of them (none dropped or doubled by DST changes).
    #[test]
    fn weekly_rules_keep_weekday_and_local_time(
        zone in prop::sample::select(ZONES),
        day in 0i64..3650,
        hour in 0i8..24,
        minute in prop::sample::select(&[0i8, 15, 30, 45][..]),
        count in 1u32..60,
    ) {
        let tz = TimeZone::get(zone).expect("zone");
        let start = jiff::civil::date(2020, 1, 1).checked_add(jiff::Span::new().days(day)).expect("date")
            .at(hour, minute, 0, 0);
        let body = format!(
            "BEGIN:VEVENT\r\nUID:p\r\nDTSTART;TZID={zone}:{}\r\nDURATION:PT45M\r\nRRULE:FREQ=WEEKLY;COUNT={count}\r\nEND:VEVENT\r\n",
            start.strftime("%Y%m%dT%H%M%S")
        );
        let w = BusyWindow::new(ts("2019-12-01T00:00:00Z"), ts("2032-01-01T00:00:00Z"), TimeZone::UTC).expect("w");
        let report = busy(&cal(&body), &w);
        // A start inside a DST gap moves forward by the gap; every other one keeps its wall-clock time.
        let starts: Vec<_> = report.busy.iter().map(|b| b.interval.start.to_zoned(tz.clone())).collect();
        prop_assert_eq!(starts.len(), count as usize);
        for (i, z) in starts.iter().enumerate() {
            let expected = start.checked_add(jiff::Span::new().weeks(i as i64)).expect("add");
            let want = tz.to_ambiguous_zoned(expected).compatible().expect("zoned");
            prop_assert_eq!(z, &want);
        }
        for b in &report.busy {
            prop_assert_eq!(b.interval.duration(), jiff::SignedDuration::from_mins(45));
        }
    }

    /// Whatever bytes arrive, parsing returns (busy time or an error) without panicking.
    #[test]
    fn arbitrary_input_never_panics(noise in ".{0,400}", rule in "[A-Z=;,0-9-]{0,60}") {
        let w = BusyWindow::new(ts("2025-01-01T00:00:00Z"), ts("2025-12-31T00:00:00Z"), TimeZone::UTC).expect("w");
        let body = format!(
            "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250101T000000Z\r\nRRULE:{rule}\r\n{noise}\r\nEND:VEVENT\r\n"
        );
        let _ = busy_from_ics(&cal(&body), "c", &w, &IcsLimits::default());
        let _ = busy_from_ics(&noise, "c", &w, &IcsLimits::default());
    }
}
