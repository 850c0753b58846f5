//! The AUTH command of [`Session`]: PLAIN and LOGIN, with or without an initial response, checked against the
//! configured credentials unless [`Behavior::auth`](super::Behavior::auth) forces a reply.

use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::Mode;
use super::conn::{Io, Next};
use super::lines::{LineRead, MAX_COMMAND_LINE, is_success, read_line, trim_line_ending};
use super::session::Session;

/// Outcome of one AUTH challenge round.
enum Challenge {
    Response(Vec<u8>),
    Aborted,
    Invalid,
    Eof,
}

impl Session<'_> {
    /// Sends a `334` challenge and reads the base64 response.
    async fn challenge(&mut self, io: &mut Io, challenge: &str) -> io::Result<Challenge> {
        self.reply(io, 334, challenge).await?;
        let mut line = std::mem::take(&mut self.line);
        let read = read_line(io, &mut line, MAX_COMMAND_LINE).await;
        let response = trim_line_ending(&line).trim_ascii().to_vec();
        self.line = line;
        Ok(match read? {
            LineRead::Eof => Challenge::Eof,
            LineRead::TooLong => Challenge::Invalid,
            LineRead::Complete if response == b"*" => Challenge::Aborted,
            LineRead::Complete => match BASE64.decode(&response) {
                Ok(decoded) => Challenge::Response(decoded),
                Err(_) => Challenge::Invalid,
            },
        })
    }

    pub(super) async fn auth(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        let Some((user, password)) = self.shared.credentials.clone() else {
            self.reply(io, 502, "5.5.1 AUTH not supported").await?;
            return Ok(None);
        };
        if !self.greeted {
            self.reply(io, 503, "5.5.1 Send EHLO first").await?;
            return Ok(None);
        }
        if self.shared.mode == Mode::StartTls && !self.tls {
            self.reply(
                io,
                538,
                "5.7.11 Encryption required for requested authentication mechanism",
            )
            .await?;
            return Ok(None);
        }
        if self.auth_user.is_some() {
            self.reply(io, 503, "5.5.1 Already authenticated").await?;
            return Ok(None);
        }
        if self.mail_from.is_some() {
            self.reply(io, 503, "5.5.1 AUTH not permitted during a mail transaction")
                .await?;
            return Ok(None);
        }
        let mut parts = arg.split_whitespace();
        let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
        let initial = parts.next();
        if parts.next().is_some() {
            self.reply(io, 501, "5.5.4 Too many AUTH parameters").await?;
            return Ok(None);
        }
        let initial = match initial {
            None => None,
            Some("=") => Some(Challenge::Response(Vec::new())),
            Some("*") => Some(Challenge::Aborted),
            Some(b64) => Some(match BASE64.decode(b64) {
                Ok(decoded) => Challenge::Response(decoded),
                Err(_) => Challenge::Invalid,
            }),
        };
        let (given_user, given_password) = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => self.challenge(io, "").await?,
                };
                let blob = match response {
                    Challenge::Response(blob) => blob,
                    other => return self.auth_failed_exchange(io, other).await,
                };
                // authzid NUL authcid NUL passwd
                let fields: Vec<&[u8]> = blob.split(|&b| b == 0).collect();
                let [_authzid, authcid, passwd] = fields.as_slice() else {
                    self.reply(io, 501, "5.5.2 Malformed AUTH PLAIN response").await?;
                    return Ok(None);
                };
                (
                    String::from_utf8_lossy(authcid).into_owned(),
                    String::from_utf8_lossy(passwd).into_owned(),
                )
            }
            "LOGIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => self.challenge(io, "VXNlcm5hbWU6").await?,
                };
                let login = match response {
                    Challenge::Response(login) => login,
                    other => return self.auth_failed_exchange(io, other).await,
                };
                let passwd = match self.challenge(io, "UGFzc3dvcmQ6").await? {
                    Challenge::Response(passwd) => passwd,
                    other => return self.auth_failed_exchange(io, other).await,
                };
                (
                    String::from_utf8_lossy(&login).into_owned(),
                    String::from_utf8_lossy(&passwd).into_owned(),
                )
            }
            "" => {
                self.reply(io, 501, "5.5.4 AUTH requires a mechanism").await?;
                return Ok(None);
            }
            _ => {
                self.reply(io, 504, "5.5.4 Unrecognized authentication type").await?;
                return Ok(None);
            }
        };
        if let Some((code, text)) = self.shared.behavior().auth.clone() {
            if is_success(code) {
                self.auth_user = Some(given_user);
            }
            self.reply(io, code, &text).await?;
        } else if given_user == user && given_password == password {
            self.auth_user = Some(given_user);
            self.reply(io, 235, "2.7.0 Authentication successful").await?;
        } else {
            self.reply(io, 535, "5.7.8 Authentication credentials invalid").await?;
        }
        Ok(None)
    }

    async fn auth_failed_exchange(&mut self, io: &mut Io, outcome: Challenge) -> io::Result<Option<Next>> {
        match outcome {
            Challenge::Eof => return Ok(Some(Next::Close)),
            Challenge::Aborted => self.reply(io, 501, "5.7.0 Authentication aborted").await?,
            Challenge::Invalid | Challenge::Response(_) => {
                self.reply(io, 501, "5.5.2 Cannot decode AUTH response").await?;
            }
        }
        Ok(None)
    }
}
