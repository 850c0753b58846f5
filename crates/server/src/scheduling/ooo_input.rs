//! An out-of-office entry's input (`CreateOutOfOfficeEntryDto` and its update twin) checked and merged into the fields
//! stored: what `/v2/me/ooo`, the organization's OOO endpoints and the availability pages all accept.

use crate::time_text::parse_instant;
use convene_core::{FieldError, TeamId, UserId};
use convene_store::out_of_office::{OooFields, OooRecord};
use convene_store::{Db, StoreError, memberships};
use serde::Deserialize;
use utoipa::ToSchema;

/// The reasons an entry may give.
pub const REASONS: [&str; 5] = ["unspecified", "vacation", "travel", "sick", "public_holiday"];
/// The longest single absence accepted (two years).
const MAX_SPAN_MS: i64 = 2 * 366 * 86_400_000;

/// Why an entry's input was refused.
#[derive(Debug, thiserror::Error)]
pub enum OooInputError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error("storage failed")]
    Store(#[from] StoreError),
}

fn invalid(e: FieldError) -> OooInputError {
    OooInputError::Invalid(e)
}

/// `CreateOutOfOfficeEntryDto` / its update twin.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OooInput {
    pub start: Option<String>,
    pub end: Option<String>,
    pub notes: Option<String>,
    pub to_user_id: Option<i64>,
    /// `unspecified`, `vacation`, `travel`, `sick` or `public_holiday`.
    pub reason: Option<String>,
}

/// Merges `input` over `base` (everything required for a create) and validates. A cover
/// (`toUserId`) must be someone else in `org` (or anyone else without an organization).
pub async fn fields(
    db: &Db,
    user: UserId,
    org: Option<TeamId>,
    input: OooInput,
    base: Option<&OooRecord>,
) -> Result<OooFields, OooInputError> {
    let start = match (&input.start, base) {
        (Some(s), _) => parse_instant("start", s)?,
        (None, Some(b)) => b.start_at,
        (None, None) => return Err(invalid(FieldError::coded("start", "refusal-required", "is required"))),
    };
    let end = match (&input.end, base) {
        (Some(e), _) => parse_instant("end", e)?,
        (None, Some(b)) => b.end_at,
        (None, None) => return Err(invalid(FieldError::coded("end", "refusal-required", "is required"))),
    };
    if end <= start {
        return Err(invalid(FieldError::coded(
            "end",
            "refusal-end-after-start",
            "must be after start",
        )));
    }
    if end.duration_since(start) > jiff::SignedDuration::from_millis(MAX_SPAN_MS) {
        return Err(invalid(FieldError::coded(
            "end",
            "refusal-ooo-two-years",
            "an entry may span at most two years",
        )));
    }
    let reason = match (&input.reason, base) {
        (Some(r), _) if REASONS.contains(&r.as_str()) => r.clone(),
        (Some(_), _) => {
            return Err(invalid(
                FieldError::coded(
                    "reason",
                    "refusal-one-of",
                    format!("must be one of {}", REASONS.join(", ")),
                )
                .arg("choices", REASONS.join(", ")),
            ));
        }
        (None, Some(b)) => b.reason.clone(),
        (None, None) => "unspecified".to_owned(),
    };
    let notes = match (&input.notes, base) {
        (Some(n), _) if n.chars().count() > 500 => {
            return Err(invalid(
                FieldError::coded("notes", "refusal-too-long", "must be at most 500 characters").arg("max", 500),
            ));
        }
        (Some(n), _) => Some(n.clone()).filter(|n| !n.trim().is_empty()),
        (None, Some(b)) => b.notes.clone(),
        (None, None) => None,
    };
    let to_user_id = match (input.to_user_id.map(UserId), base) {
        (Some(id), _) if id == user => {
            return Err(invalid(FieldError::coded(
                "toUserId",
                "refusal-ooo-self",
                "can't be the absent user",
            )));
        }
        (Some(id), _) => {
            let ok = match org {
                Some(org) => memberships::of_user(db, org, id).await?.is_some(),
                None => convene_store::users::find(db, id).await?.is_some(),
            };
            if !ok {
                return Err(invalid(FieldError::coded(
                    "toUserId",
                    "refusal-ooo-not-in-org",
                    format!("user {id} not found in this organization"),
                )));
            }
            Some(id)
        }
        (None, Some(b)) => b.to_user_id,
        (None, None) => None,
    };
    Ok(OooFields {
        start_at: start,
        end_at: end,
        notes,
        reason,
        to_user_id,
    })
}
