//! Line-level helpers of the fake server: bounded line reads, SMTP paths and keywords.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Longest command line accepted (including CRLF); longer ones get `500 5.5.2 Line too long`.
pub(super) const MAX_COMMAND_LINE: usize = 4096;

pub(super) enum LineRead {
    /// A whole line (with its line ending) is in the buffer.
    Complete,
    /// The line was longer than the limit; it was consumed and discarded.
    TooLong,
    /// The peer closed the connection (a partial last line is dropped).
    Eof,
}

/// Reads one `\n`-terminated line into `buf` (cleared first), never holding more than `max` bytes.
pub(super) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<LineRead> {
    buf.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(LineRead::Eof);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        if !too_long {
            if buf.len() + used > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        reader.consume(used);
        if done {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Complete
            });
        }
    }
}

pub(super) fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

pub(super) fn is_success(code: u16) -> bool {
    (200..300).contains(&code)
}

/// Splits `"<addr> PARAMS"` (after `FROM:`/`TO:`) into the address and the parameters.
pub(super) fn parse_path(rest: &str) -> Option<(String, String)> {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        let addr = &inner[..end];
        if addr.chars().any(char::is_whitespace) {
            return None;
        }
        Some((addr.to_owned(), inner[end + 1..].trim().to_owned()))
    } else {
        // Lenient: a bare address without angle brackets.
        let mut parts = rest.splitn(2, char::is_whitespace);
        let addr = parts.next().filter(|a| !a.is_empty())?;
        Some((addr.to_owned(), parts.next().unwrap_or("").trim().to_owned()))
    }
}

/// Strips a case-insensitive keyword prefix such as `FROM:`.
pub(super) fn strip_keyword<'a>(arg: &'a str, keyword: &str) -> Option<&'a str> {
    let head = arg.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword).then(|| &arg[keyword.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_path_handles_brackets_params_and_null_sender() {
        assert_eq!(
            parse_path("<a@b.test> SIZE=10 BODY=8BITMIME"),
            Some(("a@b.test".into(), "SIZE=10 BODY=8BITMIME".into()))
        );
        assert_eq!(parse_path(" <>"), Some((String::new(), String::new())));
        assert_eq!(parse_path("bare@b.test"), Some(("bare@b.test".into(), String::new())));
        assert_eq!(parse_path("<unterminated"), None);
        assert_eq!(parse_path(""), None);
    }

    #[test]
    fn strip_keyword_is_case_insensitive_and_utf8_safe() {
        assert_eq!(strip_keyword("from:<x>", "FROM:"), Some("<x>"));
        assert_eq!(strip_keyword("FRO", "FROM:"), None);
        assert_eq!(strip_keyword("fröm:<x>", "FROM:"), None);
    }
}
