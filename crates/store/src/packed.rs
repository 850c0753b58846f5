//! Integer columns handed over as one comma-separated list per column, in a single row.
//!
//! sqlx's SQLite driver hands every row across threads with its own wake-up, which dominated the slot queries over
//! busy calendars (measured: ~1,000 rows cost more than everything else in the request). So the hot busy-time
//! queries aggregate each column with `string_agg(CAST(col AS TEXT), ',')` and read the lists back here. Every
//! aggregate of one query is fed the same rows in the same order (on both backends), so the lists line up; no
//! aggregate may have its own `ORDER BY`, which could order ties differently from its neighbours. A NULL would be
//! skipped and shift its list, so nullable columns are packed through `COALESCE`.

/// The integers of one packed column; an empty or absent list gives none, and a malformed entry reads as 0 (the
/// database wrote the list from integers, so that does not happen).
pub(crate) fn ints(list: Option<&str>) -> Vec<i64> {
    match list {
        None | Some("") => Vec::new(),
        Some(list) => list.split(',').map(|v| v.parse::<i64>().unwrap_or(0)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_back_in_order() {
        assert_eq!(ints(Some("3,-1,1700000000000")), vec![3, -1, 1_700_000_000_000]);
        assert!(ints(None).is_empty());
        assert!(ints(Some("")).is_empty());
    }
}
