//! The one shape of the four verified-resource tables (a user's and a team's email addresses and phone numbers):
//! a holder, the value proved, unique per holder and added idempotently, read by page, by id or by value. Each
//! public module (`verified_emails`, `team_verified_emails`, `verified_phones`) names its table here and keeps
//! its own typed record.

use crate::millis::ms;
use crate::{Exec, StoreResult};
use convene_core::UserId;
use jiff::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, FromRow};

/// A verified-resource table.
pub(crate) struct Table {
    pub name: &'static str,
    /// `user_id` or `team_id`.
    pub holder: &'static str,
    /// `email` or `phone_number`.
    pub value: &'static str,
    /// What its record reads (a user's phones add a null `team_id`, so one record serves both phone tables).
    pub columns: &'static str,
    /// Team tables keep the admin who entered the code in `user_id`.
    pub keeps_verifier: bool,
}

/// A record any of the tables' rows decode into, on either backend.
pub(crate) trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// Records `value` for `holder` (idempotent: the first verifier stays) and returns the row.
pub(crate) async fn add<'a, T: Row>(
    exec: impl Into<Exec<'a>>,
    table: &Table,
    holder: i64,
    verifier: UserId,
    value: &str,
    now: Timestamp,
) -> StoreResult<T> {
    let Table {
        name,
        holder: column,
        value: value_column,
        columns,
        keeps_verifier,
    } = *table;
    let insert = if keeps_verifier {
        format!(
            "INSERT INTO {name} ({column}, user_id, {value_column}, created_at) VALUES ($1, $4, $2, $3) \
             ON CONFLICT ({column}, {value_column}) DO NOTHING"
        )
    } else {
        format!(
            "INSERT INTO {name} ({column}, {value_column}, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT ({column}, {value_column}) DO NOTHING"
        )
    };
    let select = format!("SELECT {columns} FROM {name} WHERE {column} = $1 AND {value_column} = $2");
    Ok(on_conn!(exec, c => {
        let mut insert = sqlx::query(AssertSqlSafe(insert)).bind(holder).bind(value).bind(ms(now));
        if keeps_verifier {
            insert = insert.bind(verifier);
        }
        insert.execute(&mut *c).await?;
        sqlx::query_as::<_, T>(AssertSqlSafe(select)).bind(holder).bind(value).fetch_one(&mut *c).await
    })?)
}

/// `holder`'s rows, oldest first.
pub(crate) async fn list<'a, T: Row>(
    exec: impl Into<Exec<'a>>,
    table: &Table,
    holder: i64,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<T>> {
    let Table {
        name,
        holder: column,
        columns,
        ..
    } = *table;
    let sql = format!("SELECT {columns} FROM {name} WHERE {column} = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, T>(AssertSqlSafe(sql)).bind(holder).bind(take).bind(skip).fetch_all(&mut *c).await
    })?)
}

/// `holder`'s row with this id, if it is theirs.
pub(crate) async fn find<'a, T: Row>(
    exec: impl Into<Exec<'a>>,
    table: &Table,
    holder: i64,
    id: i64,
) -> StoreResult<Option<T>> {
    let Table {
        name,
        holder: column,
        columns,
        ..
    } = *table;
    let sql = format!("SELECT {columns} FROM {name} WHERE {column} = $1 AND id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, T>(AssertSqlSafe(sql)).bind(holder).bind(id).fetch_optional(&mut *c).await
    })?)
}

/// `holder`'s row for this value, if they proved it.
pub(crate) async fn find_value<'a, T: Row>(
    exec: impl Into<Exec<'a>>,
    table: &Table,
    holder: i64,
    value: &str,
) -> StoreResult<Option<T>> {
    let Table {
        name,
        holder: column,
        value: value_column,
        columns,
        ..
    } = *table;
    let sql = format!("SELECT {columns} FROM {name} WHERE {column} = $1 AND {value_column} = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, T>(AssertSqlSafe(sql)).bind(holder).bind(value).fetch_optional(&mut *c).await
    })?)
}
