//! Request extractors whose failures are API errors naming the offending field.

use super::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A JSON body. Bad JSON, a wrong type or a missing field → 400 that names the field;
/// a non-JSON content type → 415. An empty body reads as `{}`, so required fields are reported
/// by name rather than as "no body".
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            // The body limit surfaces here; keep its status (413) through the envelope.
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(format!("could not read the request body: {rejection}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return parse(b"{}").map(ApiJson);
        }
        if is_json != Some(true) {
            return Err(ApiError::UnsupportedMediaType("Content-Type must be application/json"));
        }
        parse(&bytes).map(ApiJson)
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(field_error)
}

/// Deserializes an already-parsed JSON value, with the same field-naming errors as [`ApiJson`].
/// Useful where a body is split in parts (serde's `flatten` loses the field path).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(field_error)
}

/// Takes `keys` out of a JSON body into a body of their own, so a request made of two parts can
/// be deserialized part by part with [`from_value`] (serde's `flatten` loses field paths).
pub fn split_off(body: &mut serde_json::Map<String, serde_json::Value>, keys: &[&str]) -> serde_json::Value {
    let part: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .filter_map(|k| body.remove(*k).map(|v| ((*k).to_owned(), v)))
        .collect();
    serde_json::Value::Object(part)
}

fn field_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        // serde reports a missing field on the parent object: name the field itself.
        let field = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(missing) if path == "." => missing.to_owned(),
            Some(missing) => format!("{path}.{missing}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let message = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("is not valid JSON ({message})")
            }
            _ => strip_position(&message),
        };
        ApiError::field(&field, message)
    }
}

/// serde_json appends " at line 1 column 17"; useful for syntax errors only.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The raw query string as key/value pairs (repeated keys kept), parsed per endpoint with
/// field-naming errors.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(QueryPairs(
            form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        ))
    }
}

impl QueryPairs {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// All values of `key`, accepting `key=a&key=b`, `key[]=a` and `key=a,b`.
    pub fn all(&self, key: &str) -> Vec<String> {
        let bracketed = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == key || *k == bracketed)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// An optional integer parameter within bounds.
    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.get(key) else { return Ok(None) };
        let value: i64 = raw
            .trim()
            .parse()
            .map_err(|_| ApiError::field(key, format!("must be an integer, got '{raw}'")))?;
        if value < min || value > max {
            return Err(ApiError::field(key, format!("must be between {min} and {max}")));
        }
        Ok(Some(value))
    }
}

/// `take` / `skip` paging, as the spec's list endpoints use it.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub take: i64,
    pub skip: i64,
}

impl Paging {
    pub fn from_query(q: &QueryPairs, default_take: i64, max_take: i64) -> Result<Self, ApiError> {
        Ok(Paging {
            take: q.int("take", 1, max_take)?.unwrap_or(default_take),
            skip: q.int("skip", 0, i64::from(i32::MAX))?.unwrap_or(0),
        })
    }
}

/// The path's parameters; numeric ids are parsed on use so a bad one is a 400 naming it.
pub struct PathIds(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(map) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("bad path: {e}")))?;
        Ok(PathIds(map))
    }
}

impl PathIds {
    /// A positive integer path parameter, e.g. `orgId`.
    pub fn id<T: From<i64>>(&self, name: &str) -> Result<T, ApiError> {
        let raw = self.0.get(name).map(String::as_str).unwrap_or_default();
        raw.parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(T::from)
            .ok_or_else(|| ApiError::field(name, format!("must be a positive integer, got '{raw}'")))
    }

    /// [`id`](Self::id) for a parameter only some of the routes sharing a handler have (`orgId` of a team).
    pub fn optional_id<T: From<i64>>(&self, name: &str) -> Result<Option<T>, ApiError> {
        if self.0.contains_key(name) {
            self.id(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A string path parameter, e.g. a feature flag name.
    pub fn text(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}
