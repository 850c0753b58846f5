//! The fake server's connection (plain or after STARTTLS) and what a session asks of the code driving it; shared
//! by the accept loop and the SMTP session so neither depends on the other.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, BufStream, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// The connection, before or after TLS.
pub(super) enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Conn {
    #[cfg(target_os = "linux")]
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref().0,
        }
    }

    /// Asks Linux to acknowledge the next incoming segments at once instead of delaying the ACK.
    ///
    /// Clients that write the message and the final ".\r\n" separately without TCP_NODELAY (lettre does) otherwise
    /// wait for our delayed ACK (~40 ms) before Nagle lets the terminator out, once per message.
    pub(super) fn quick_ack(&self) {
        #[cfg(target_os = "linux")]
        {
            // Best effort: purely a latency optimisation.
            let _ = self.tcp().set_quickack(true);
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

pub(super) type Io = BufStream<Conn>;

/// What a session asks of the connection driver.
pub(super) enum Next {
    /// Close gracefully (QUIT, EOF, fatal reply).
    Close,
    /// Close abruptly, without flushing or shutting down (fault injection).
    Drop,
    /// Replace the plain stream with TLS and carry on.
    StartTls,
}
