//! Instants at the store boundary. Columns hold INTEGER epoch milliseconds on both backends; records and store
//! functions speak `jiff::Timestamp`. Reading goes through [`Millis`] / [`OptMillis`] (`#[sqlx(try_from = …)]`),
//! writing through [`ms`], so the conversion lives here once.

use jiff::Timestamp;

/// A stored instant as read from a column. A value outside jiff's range (a row written by hand, a corrupt file)
/// becomes a decode error of that column rather than a panic or a silently different time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct Millis(pub i64);

/// A nullable stored instant. Its own type because `Option<Millis>` is not local, and the orphan rule wants a
/// local type on one side of `TryFrom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct OptMillis(pub Option<i64>);

impl TryFrom<Millis> for Timestamp {
    type Error = jiff::Error;
    fn try_from(m: Millis) -> Result<Self, Self::Error> {
        Timestamp::from_millisecond(m.0)
    }
}

impl TryFrom<OptMillis> for Option<Timestamp> {
    type Error = jiff::Error;
    fn try_from(m: OptMillis) -> Result<Self, Self::Error> {
        m.0.map(Timestamp::from_millisecond).transpose()
    }
}

impl Millis {
    /// For values read outside a record (tuples, scalars): the same refusal as a record's column.
    pub fn instant(self) -> Result<Timestamp, sqlx::Error> {
        Timestamp::try_from(self).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
}

impl OptMillis {
    /// The nullable form of [`Millis::instant`].
    pub fn instant(self) -> Result<Option<Timestamp>, sqlx::Error> {
        Option::<Timestamp>::try_from(self).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
}

/// Now, at the precision a column keeps: an instant held in memory (an attempt's start, say) then equals the
/// one read back after it was stored.
pub fn now() -> Timestamp {
    let now = Timestamp::now();
    // Dropping what lies below the millisecond cannot leave jiff's range.
    Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}

/// The column value of an instant. Stored instants are whole milliseconds: anything finer is dropped, so a value
/// read back may be earlier than the one written by less than a millisecond.
pub fn ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_survives_a_round_trip_through_its_column_value() {
        let at: Timestamp = "2030-01-07T09:15:30.123Z".parse().expect("instant");
        assert_eq!(Timestamp::try_from(Millis(ms(at))).expect("in range"), at);
    }

    #[test]
    fn a_column_value_keeps_only_whole_milliseconds() {
        let at: Timestamp = "2030-01-07T09:15:30.123456789Z".parse().expect("instant");
        let back = Timestamp::try_from(Millis(ms(at))).expect("in range");
        assert_eq!(back.to_string(), "2030-01-07T09:15:30.123Z");
    }

    #[test]
    fn now_is_already_what_a_column_gives_back() {
        let at = now();
        assert_eq!(Timestamp::try_from(Millis(ms(at))).expect("in range"), at);
    }

    #[test]
    fn a_value_outside_jiffs_range_is_refused_not_clamped() {
        assert!(Timestamp::try_from(Millis(i64::MAX)).is_err());
        assert!(Timestamp::try_from(Millis(i64::MIN)).is_err());
        assert!(Millis(i64::MAX).instant().is_err());
        assert!(OptMillis(Some(i64::MIN)).instant().is_err());
    }

    /// A record as the store declares them, read through SQLite itself: the decoding path the repositories use.
    #[derive(Debug, sqlx::FromRow)]
    struct Row {
        #[sqlx(try_from = "Millis")]
        at: Timestamp,
        #[sqlx(try_from = "OptMillis")]
        maybe: Option<Timestamp>,
    }

    async fn read(at: i64, maybe: Option<i64>) -> Result<Row, sqlx::Error> {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect("sqlite::memory:").await?;
        sqlx::query_as::<_, Row>("SELECT $1 AS at, $2 AS maybe")
            .bind(at)
            .bind(maybe)
            .fetch_one(&mut c)
            .await
    }

    #[tokio::test]
    async fn a_column_reads_back_as_the_instant_written_and_null_as_none() {
        let at: Timestamp = "2030-01-07T09:15:30.123Z".parse().expect("instant");
        let row = read(ms(at), None).await.expect("a row");
        assert_eq!((row.at, row.maybe), (at, None));
        let row = read(0, Some(ms(at))).await.expect("a row");
        assert_eq!((row.at, row.maybe), (Timestamp::UNIX_EPOCH, Some(at)));
    }

    #[tokio::test]
    async fn a_column_out_of_range_is_a_decode_error_of_that_column() {
        let err = read(i64::MAX, None).await.expect_err("refused");
        assert!(
            matches!(&err, sqlx::Error::ColumnDecode { index, .. } if index.contains("at")),
            "{err:?}"
        );
        let err = read(0, Some(i64::MIN)).await.expect_err("refused");
        assert!(
            matches!(&err, sqlx::Error::ColumnDecode { index, .. } if index.contains("maybe")),
            "{err:?}"
        );
    }

    #[test]
    fn null_reads_as_none_and_a_value_as_some() {
        assert_eq!(Option::<Timestamp>::try_from(OptMillis(None)).expect("null"), None);
        assert_eq!(
            OptMillis(Some(0)).instant().expect("in range"),
            Some(Timestamp::UNIX_EPOCH)
        );
    }
}
