//! Sending requests to the real server and keeping every answer with the reference operation it belongs to.

use super::reference::{Operation, Reference};
use crate::helpers::{Answer, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// One request and its answer, tied to the reference operation it exercised.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub operation: Operation,
    /// `POST /v2/bookings/abc/cancel` as sent (query included).
    pub request: String,
    pub status: u16,
    pub body: Value,
}

/// Sends requests through the test server and records the ones that belong to a reference operation.
pub struct Recorder<'a> {
    pub app: &'a TestApp,
    pub exchanges: Vec<Exchange>,
}

impl<'a> Recorder<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Recorder {
            app,
            exchanges: Vec::new(),
        }
    }

    /// Sends a request (with `cal-api-version` when `version` is given) and records the answer when the
    /// path is one of the reference's. Panics when the path is not: every call of the journey is meant to
    /// exercise a Cal.com operation.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
        version: Option<&str>,
    ) -> Answer {
        let operation = match_operation(Reference::get(), &method, path)
            .unwrap_or_else(|| panic!("{method} {path} is not an operation of Cal.com's reference"));
        let answer = self.app.versioned(method.clone(), path, key, body, version).await;
        self.exchanges.push(Exchange {
            operation,
            request: format!("{method} {path}"),
            status: answer.status.as_u16(),
            body: answer.body.clone(),
        });
        answer
    }

    /// [`Self::send`], then the `data` of a success envelope with `status`; anything else stops the journey
    /// with the answer, since later steps depend on this one.
    pub async fn ok(
        &mut self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
        version: Option<&str>,
        status: StatusCode,
    ) -> Value {
        let answer = self.send(method.clone(), path, key, body, version).await;
        assert_eq!(
            answer.status, status,
            "the conformance journey needs {method} {path} to succeed; it answered {}",
            answer.body
        );
        answer.body["data"].clone()
    }
}

/// The reference operation a concrete request belongs to: same method, same number of segments, literal
/// segments equal; when several templates fit (`/teams/me` and `/teams/{teamId}`), the most literal wins.
pub fn match_operation(reference: &Reference, method: &Method, path: &str) -> Option<Operation> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    reference
        .operations()
        .filter_map(|operation| {
            let (op_method, template) = operation.key.split_once(' ')?;
            if op_method != method.as_str() {
                return None;
            }
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    continue;
                }
                if part != segment {
                    return None;
                }
                literal += 1;
            }
            Some((literal, operation))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, operation)| operation.clone())
}
