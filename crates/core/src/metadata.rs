//! Free-form `metadata` objects (bookings, event types, users, teams) with Cal.com's limits.

use crate::FieldError;
use serde_json::{Map, Value};

/// Validates `metadata` with the spec's limits (at most 50 keys, keys up to 40 characters,
/// string values up to 500) and returns its stored text. Errors name `field` or `field.key`.
pub fn metadata_text(field: &str, value: &Map<String, Value>) -> Result<String, FieldError> {
    if value.len() > 50 {
        return Err(FieldError::coded(field, "refusal-too-many-keys", "must have at most 50 keys").arg("max", 50));
    }
    for (key, v) in value {
        if key.chars().count() > 40 {
            return Err(FieldError::coded(
                format!("{field}.{key}"),
                "refusal-key-too-long",
                "keys must be at most 40 characters",
            )
            .arg("max", 40));
        }
        let too_long = match v {
            Value::String(s) => s.chars().count() > 500,
            Value::Object(_) | Value::Array(_) => v.to_string().chars().count() > 500,
            _ => false,
        };
        if too_long {
            return Err(FieldError::coded(
                format!("{field}.{key}"),
                "refusal-value-too-long",
                "values must be at most 500 characters",
            )
            .arg("max", 500));
        }
    }
    Ok(Value::Object(value.clone()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn limits_name_the_offending_key() {
        assert_eq!(
            metadata_text("metadata", &map(json!({"a": "b"}))).as_deref(),
            Ok(r#"{"a":"b"}"#)
        );
        let long_key = "k".repeat(41);
        let e = metadata_text("metadata", &map(json!({ long_key.clone(): 1 }))).expect_err("key too long");
        assert_eq!(e.field, format!("metadata.{long_key}"));
        let e = metadata_text("metadata", &map(json!({"a": "x".repeat(501)}))).expect_err("value too long");
        assert_eq!(e.field, "metadata.a");
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(
            metadata_text("metadata", &many).expect_err("too many").field,
            "metadata"
        );
    }
}
