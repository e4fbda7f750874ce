//! A TCP proxy that delays every byte by half a round trip each way, in front of the
//! server's unix socket: a distant server, on one machine. Bytes keep their order, and
//! whatever is in flight stays in flight (a delay, not a bandwidth limit), so a client that
//! pipelines gains as it would on a real network.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Starts the proxy on `runtime`, in front of the unix socket `upstream`; returns the local
/// TCP port it listens on. Each direction is delayed by `round_trip / 2`.
pub fn start(runtime: &tokio::runtime::Runtime, upstream: &Path, round_trip: Duration) -> u16 {
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("binding the delay proxy");
    let port = listener.local_addr().expect("the proxy's address").port();
    let upstream: PathBuf = upstream.to_path_buf();
    runtime.spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let _ = client.set_nodelay(true);
            let Ok(server) = UnixStream::connect(&upstream).await else {
                continue;
            };
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(delayed(client_read, server_write, round_trip / 2));
            tokio::spawn(delayed(server_read, client_write, round_trip / 2));
        }
    });
    port
}

/// Copies `from` to `to`, each chunk `delay` after it was read.
async fn delayed(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin + Send + 'static,
    delay: Duration,
) {
    let (send, mut receive) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((due, chunk)) = receive.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0
            || send
                .send((Instant::now() + delay, buffer[..n].to_vec()))
                .is_err()
        {
            break;
        }
    }
    drop(send);
    let _ = writer.await;
}
