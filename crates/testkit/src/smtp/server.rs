//! The fake server's connections: the accept loop, the stream before and after TLS, and the driver that runs a
//! [`Session`] over it (switching to TLS on STARTTLS).

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::conn::{Conn, Next};
use super::session::Session;
use super::{Greeting, HOSTNAME, Mode, Shared};

pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Dropping the JoinSet (when this task is aborted) aborts every connection task.
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    let id = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
                    // Best effort; replies are flushed as whole lines anyway.
                    let _ = tcp.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    tasks.spawn(async move {
                        // I/O errors (client went away, bad TLS) just end the connection.
                        let _ = serve(&shared, tcp, id).await;
                    });
                }
                // E.g. out of file descriptors under a load test: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

async fn serve(shared: &Shared, tcp: TcpStream, id: u64) -> io::Result<()> {
    let greeting = shared.behavior().greeting.clone();
    match greeting {
        Greeting::CloseImmediately => return Ok(()),
        Greeting::Silent => {
            black_hole(tcp).await;
            return Ok(());
        }
        Greeting::Normal | Greeting::Reply(..) => {}
    }
    let (conn, tls) = match (&shared.acceptor, shared.mode) {
        (Some(acceptor), Mode::Implicit) => (Conn::Tls(Box::new(acceptor.accept(tcp).await?)), true),
        _ => (Conn::Plain(tcp), false),
    };
    let mut io = BufStream::new(conn);
    let mut session = Session::new(shared, id, tls);
    match greeting {
        Greeting::Reply(code, text) => {
            session.reply(&mut io, code, &text).await?;
            if code >= 400 {
                let _ = io.shutdown().await;
                return Ok(());
            }
        }
        _ => session.reply(&mut io, 220, &format!("{HOSTNAME} ESMTP")).await?,
    }
    loop {
        match session.run(&mut io).await? {
            Next::Close => {
                let _ = io.shutdown().await;
                return Ok(());
            }
            Next::Drop => return Ok(()),
            Next::StartTls => {
                // Anything the client pipelined after STARTTLS is discarded with the buffer (RFC 3207 §4.2).
                let (Conn::Plain(tcp), Some(acceptor)) = (io.into_inner(), &shared.acceptor) else {
                    return Ok(());
                };
                let tls = acceptor.accept(tcp).await?;
                io = BufStream::new(Conn::Tls(Box::new(tls)));
                session.after_starttls();
            }
        }
    }
}

/// Reads and discards until the peer closes.
async fn black_hole(mut tcp: TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = tcp.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}
