//! Telling a connection pooler from PostgreSQL itself, with no round trip.
//!
//! When a client connects, PostgreSQL announces the process id of the backend that serves
//! it (in the cancel key, `BackendKeyData`), and `pg_backend_pid()` returns that same number
//! for the life of the session. A pooler (PgBouncer, Odyssey, pgcat, RDS Proxy, Supavisor)
//! announces a cancel key of its own making, because the backends behind it change: through
//! one, `pg_backend_pid()` differs from the announced id. The announced id is read here, from
//! the driver's cancel token, without a network round trip; the query that compares it with
//! `pg_backend_pid()` is the one that takes the lock, so the comparison costs nothing.
//!
//! tokio-postgres does not expose the id, but it writes it into a cancel request; this module
//! lets it write that request into an in-memory pipe and reads the id back.

use std::future::Ready;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect, TlsStream};
use tokio_postgres::Client;

/// The protocol code of an `SSLRequest`.
const SSL_REQUEST: u32 = 80_877_103;
/// The protocol code of a `CancelRequest`.
const CANCEL_REQUEST: u32 = 80_877_102;

/// The backend process id announced when `client` connected: PostgreSQL's own, or one a
/// pooler made up. `None` if it could not be read (never expected).
pub(crate) async fn announced_pid(client: &Client) -> Option<i32> {
    let token = client.cancel_token();
    let (ours, theirs) = tokio::io::duplex(64);
    let read = async {
        let (pid, _) = tokio::join!(read_cancel_request(theirs), async {
            // The request is written to memory, never sent: its outcome is of no interest.
            let _ = token.cancel_query_raw(ours, PassThrough).await;
        });
        pid
    };
    tokio::time::timeout(Duration::from_secs(1), read)
        .await
        .ok()
        .flatten()
}

/// Plays the server's side of a cancel request: accepts TLS when asked (see
/// [`PassThrough`]), then reads the process id out of the request.
async fn read_cancel_request(mut stream: DuplexStream) -> Option<i32> {
    loop {
        let mut header = [0u8; 8];
        stream.read_exact(&mut header).await.ok()?;
        let code = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        match code {
            SSL_REQUEST => stream.write_all(b"S").await.ok()?,
            CANCEL_REQUEST => {
                let mut key = [0u8; 8];
                stream.read_exact(&mut key).await.ok()?;
                return Some(i32::from_be_bytes([key[0], key[1], key[2], key[3]]));
            }
            _ => return None,
        }
    }
}

/// A "TLS" connector that leaves the in-memory pipe as it is, so that the driver writes its
/// cancel request in clear whatever `sslmode` the client connected with.
struct PassThrough;

impl TlsConnect<DuplexStream> for PassThrough {
    type Stream = Plain;
    type Error = io::Error;
    type Future = Ready<Result<Plain, io::Error>>;

    fn connect(self, stream: DuplexStream) -> Self::Future {
        std::future::ready(Ok(Plain(stream)))
    }
}

/// The in-memory pipe, seen as a TLS stream.
struct Plain(DuplexStream);

impl AsyncRead for Plain {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Plain {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl TlsStream for Plain {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends what tokio-postgres sends for a cancel request (after an `SSLRequest` when
    /// `tls`) into the reader.
    async fn read_after(tls: bool, pid: i32) -> Option<i32> {
        let (mut client, server) = tokio::io::duplex(64);
        let reader = tokio::spawn(read_cancel_request(server));
        if tls {
            let mut request = 8u32.to_be_bytes().to_vec();
            request.extend(SSL_REQUEST.to_be_bytes());
            client.write_all(&request).await.unwrap();
            let mut answer = [0u8; 1];
            client.read_exact(&mut answer).await.unwrap();
            assert_eq!(&answer, b"S");
        }
        let mut cancel = 16u32.to_be_bytes().to_vec();
        cancel.extend(CANCEL_REQUEST.to_be_bytes());
        cancel.extend(pid.to_be_bytes());
        cancel.extend(7i32.to_be_bytes());
        client.write_all(&cancel).await.unwrap();
        reader.await.unwrap()
    }

    #[tokio::test]
    async fn the_process_id_is_read_from_a_cancel_request_in_clear_or_after_tls() {
        assert_eq!(read_after(false, 4242).await, Some(4242));
        assert_eq!(read_after(true, -17).await, Some(-17));
    }
}
