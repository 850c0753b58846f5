//! One SMTP session of the fake server: the command loop and every command but AUTH (see `auth.rs`), with the
//! replies [`Behavior`](super::Behavior) scripts.

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use super::conn::{Io, Next};
use super::lines::{LineRead, MAX_COMMAND_LINE, is_success, parse_path, read_line, strip_keyword, trim_line_ending};
use super::{HOSTNAME, HeldSend, MAX_MESSAGE_SIZE, Mode, Received, Shared};

pub(super) struct Session<'a> {
    pub(super) shared: &'a Shared,
    pub(super) id: u64,
    pub(super) tls: bool,
    pub(super) greeted: bool,
    pub(super) auth_user: Option<String>,
    pub(super) mail_from: Option<String>,
    pub(super) rcpt_to: Vec<String>,
    pub(super) line: Vec<u8>,
    /// The name given in the last EHLO/HELO.
    pub(super) client: String,
}

impl<'a> Session<'a> {
    pub(super) fn new(shared: &'a Shared, id: u64, tls: bool) -> Self {
        Session {
            shared,
            id,
            tls,
            greeted: false,
            auth_user: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            line: Vec::with_capacity(256),
            client: String::new(),
        }
    }

    pub(super) fn after_starttls(&mut self) {
        // RFC 3207 §4.2: forget everything learned before the handshake.
        self.tls = true;
        self.greeted = false;
        self.auth_user = None;
        self.reset_transaction();
    }

    pub(super) fn reset_transaction(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }

    pub(super) async fn reply(&self, io: &mut Io, code: u16, text: &str) -> io::Result<()> {
        let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
        self.reply_lines(io, code, &lines).await
    }

    async fn reply_lines(&self, io: &mut Io, code: u16, lines: &[&str]) -> io::Result<()> {
        let delay = self.shared.behavior().reply_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut out = String::with_capacity(64);
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{code}{sep}{line}\r\n"));
        }
        if lines.is_empty() {
            out.push_str(&format!("{code} \r\n"));
        }
        io.write_all(out.as_bytes()).await?;
        io.flush().await
    }

    pub(super) async fn run(&mut self, io: &mut Io) -> io::Result<Next> {
        loop {
            let mut line = std::mem::take(&mut self.line);
            let read = read_line(io, &mut line, MAX_COMMAND_LINE).await;
            let text = String::from_utf8_lossy(trim_line_ending(&line)).into_owned();
            self.line = line;
            match read? {
                LineRead::Eof => return Ok(Next::Close),
                LineRead::TooLong => {
                    self.shared.log_command("<line too long>".to_owned());
                    self.reply(io, 500, "5.5.2 Line too long").await?;
                    continue;
                }
                LineRead::Complete => {}
            }
            let (verb, arg) = match text.split_once(' ') {
                Some((verb, arg)) => (verb.to_ascii_uppercase(), arg.trim()),
                None => (text.trim().to_ascii_uppercase(), ""),
            };
            let logged = if verb == "AUTH" {
                "AUTH <redacted>".to_owned()
            } else {
                text.clone()
            };
            self.shared.log_command(logged);
            let next = match verb.as_str() {
                "EHLO" => self.ehlo(io, arg).await?,
                "HELO" => self.helo(io, arg).await?,
                "STARTTLS" => self.starttls(io, arg).await?,
                "AUTH" => self.auth(io, arg).await?,
                "MAIL" => self.mail(io, arg).await?,
                "RCPT" => self.rcpt(io, arg).await?,
                "DATA" => self.data(io).await?,
                "RSET" => {
                    self.reset_transaction();
                    self.reply(io, 250, "2.0.0 OK").await?;
                    None
                }
                "NOOP" => {
                    self.reply(io, 250, "2.0.0 OK").await?;
                    None
                }
                "QUIT" => {
                    self.reply(io, 221, &format!("2.0.0 {HOSTNAME} closing connection"))
                        .await?;
                    Some(Next::Close)
                }
                "" => {
                    self.reply(io, 500, "5.5.2 Syntax error, empty command").await?;
                    None
                }
                _ => {
                    self.reply(io, 502, "5.5.2 Command not recognized").await?;
                    None
                }
            };
            if let Some(next) = next {
                return Ok(next);
            }
        }
    }

    async fn ehlo(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if arg.is_empty() {
            self.reply(io, 501, "5.5.4 EHLO requires a domain or address literal")
                .await?;
            return Ok(None);
        }
        arg.clone_into(&mut self.client);
        if let Some((code, text)) = self.shared.behavior().ehlo.clone() {
            if is_success(code) {
                self.greeted = true;
                self.reset_transaction();
            }
            self.reply(io, code, &text).await?;
            return Ok(None);
        }
        self.greeted = true;
        self.reset_transaction();
        let size = format!("SIZE {MAX_MESSAGE_SIZE}");
        let mut lines = vec![HOSTNAME, "8BITMIME", size.as_str(), "ENHANCEDSTATUSCODES"];
        if self.shared.mode == Mode::StartTls && !self.tls {
            lines.push("STARTTLS");
        }
        if self.shared.credentials.is_some() && (self.shared.mode != Mode::StartTls || self.tls) {
            lines.push("AUTH PLAIN LOGIN");
        }
        lines.push("SMTPUTF8");
        self.reply_lines(io, 250, &lines).await?;
        Ok(None)
    }

    async fn helo(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if arg.is_empty() {
            self.reply(io, 501, "5.5.4 HELO requires a domain").await?;
            return Ok(None);
        }
        arg.clone_into(&mut self.client);
        self.greeted = true;
        self.reset_transaction();
        self.reply(io, 250, HOSTNAME).await?;
        Ok(None)
    }

    async fn starttls(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if self.shared.mode != Mode::StartTls {
            self.reply(io, 502, "5.5.1 STARTTLS not supported").await?;
        } else if self.tls {
            self.reply(io, 503, "5.5.1 TLS already active").await?;
        } else if !arg.is_empty() {
            self.reply(io, 501, "5.5.4 STARTTLS takes no parameters").await?;
        } else {
            self.reply(io, 220, "2.0.0 Ready to start TLS").await?;
            return Ok(Some(Next::StartTls));
        }
        Ok(None)
    }

    async fn mail(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if !self.greeted {
            self.reply(io, 503, "5.5.1 Send EHLO/HELO first").await?;
            return Ok(None);
        }
        if self.shared.mode == Mode::StartTls && !self.tls {
            self.reply(io, 530, "5.7.0 Must issue a STARTTLS command first").await?;
            return Ok(None);
        }
        if self.shared.credentials.is_some() && self.auth_user.is_none() {
            self.reply(io, 530, "5.7.0 Authentication required").await?;
            return Ok(None);
        }
        if self.mail_from.is_some() {
            self.reply(io, 503, "5.5.1 Nested MAIL command").await?;
            return Ok(None);
        }
        let Some((from, params)) = strip_keyword(arg, "FROM:").and_then(parse_path) else {
            self.reply(io, 501, "5.5.4 Syntax: MAIL FROM:<address> [parameters]")
                .await?;
            return Ok(None);
        };
        let declared_size = params
            .split_whitespace()
            .find_map(|p| strip_keyword(p, "SIZE="))
            .and_then(|s| s.parse::<u64>().ok());
        if declared_size.is_some_and(|s| s > MAX_MESSAGE_SIZE as u64) {
            self.reply(io, 552, "5.3.4 Message size exceeds fixed maximum message size")
                .await?;
            return Ok(None);
        }
        if let Some((code, text)) = self.shared.behavior().mail_from.clone() {
            if is_success(code) {
                self.mail_from = Some(from);
                self.rcpt_to.clear();
            }
            self.reply(io, code, &text).await?;
            return Ok(None);
        }
        self.mail_from = Some(from);
        self.rcpt_to.clear();
        self.reply(io, 250, "2.1.0 Sender OK").await?;
        Ok(None)
    }

    async fn rcpt(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if self.mail_from.is_none() {
            self.reply(io, 503, "5.5.1 Need MAIL before RCPT").await?;
            return Ok(None);
        }
        let Some((to, _params)) = strip_keyword(arg, "TO:").and_then(parse_path) else {
            self.reply(io, 501, "5.5.4 Syntax: RCPT TO:<address> [parameters]")
                .await?;
            return Ok(None);
        };
        if to.is_empty() {
            self.reply(io, 501, "5.1.3 Empty recipient address").await?;
            return Ok(None);
        }
        let behavior = self.shared.behavior();
        let scripted = behavior
            .rcpt_reject
            .iter()
            .find(|(addr, _, _)| addr.eq_ignore_ascii_case(&to))
            .map(|(_, code, text)| (*code, text.as_str()))
            .or_else(|| behavior.rcpt_all.as_ref().map(|(code, text)| (*code, text.as_str())));
        let (code, text) = scripted.unwrap_or((250, "2.1.5 Recipient OK"));
        if is_success(code) {
            self.rcpt_to.push(to);
        }
        self.reply(io, code, text).await?;
        Ok(None)
    }

    async fn data(&mut self, io: &mut Io) -> io::Result<Option<Next>> {
        let Some(mail_from) = self.mail_from.clone() else {
            self.reply(io, 503, "5.5.1 Need MAIL command").await?;
            return Ok(None);
        };
        if self.rcpt_to.is_empty() {
            self.reply(io, 554, "5.5.1 No valid recipients").await?;
            return Ok(None);
        }
        let drop_mid_data = self.shared.behavior().drop_mid_data;
        self.reply(io, 354, "End data with <CR><LF>.<CR><LF>").await?;
        if !self.shared.behavior().delayed_ack {
            io.get_ref().quick_ack();
        }

        let mut data = Vec::with_capacity(4096);
        let mut too_big = false;
        let mut line = std::mem::take(&mut self.line);
        let mut longest_wait = Duration::ZERO;
        let result = loop {
            let waiting = Instant::now();
            match read_line(io, &mut line, MAX_MESSAGE_SIZE + 2).await {
                Err(e) => break Err(e),
                Ok(LineRead::Eof) => break Ok(Some(Next::Close)),
                Ok(LineRead::TooLong) => too_big = true,
                Ok(LineRead::Complete) => {
                    longest_wait = longest_wait.max(waiting.elapsed());
                    if drop_mid_data {
                        break Ok(Some(Next::Drop));
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break Ok(None);
                    }
                    let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
                    if data.len() + unstuffed.len() > MAX_MESSAGE_SIZE {
                        too_big = true;
                        data = Vec::new();
                    }
                    if !too_big {
                        data.extend_from_slice(unstuffed);
                    }
                }
            }
        };
        self.line = line;
        if let Some(next) = result? {
            return Ok(Some(next));
        }

        if self.shared.behavior().stall_after_data {
            self.shared.stalled.fetch_add(1, Ordering::SeqCst);
            loop {
                match read_line(io, &mut self.line, MAX_COMMAND_LINE).await {
                    Ok(LineRead::Eof) | Err(_) => return Ok(Some(Next::Close)),
                    Ok(_) => {}
                }
            }
        }
        let rcpt_to = std::mem::take(&mut self.rcpt_to);
        self.reset_transaction();
        if too_big {
            self.reply(io, 552, "5.3.4 Message too big").await?;
            return Ok(None);
        }
        self.shared
            .wait_while_held(HeldSend {
                connection: self.id,
                client: self.client.clone(),
            })
            .await;
        let scripted = self.shared.behavior().data_end.clone();
        let (code, text) = match scripted {
            Some(reply) => reply,
            None => {
                let queue_id = self.shared.queue_ids.fetch_add(1, Ordering::SeqCst) + 1;
                (250, format!("2.0.0 queued as {queue_id}"))
            }
        };
        if is_success(code) {
            self.shared.record(Received {
                mail_from,
                rcpt_to,
                data,
                tls: self.tls,
                auth_user: self.auth_user.clone(),
                connection: self.id,
                longest_data_wait: Some(longest_wait),
            });
        }
        self.reply(io, code, &text).await?;
        Ok(None)
    }
}
