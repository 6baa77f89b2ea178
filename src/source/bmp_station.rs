//! The BMP station: listens for routers (RFC 7854), every monitored peer of every router a
//! vantage point. A router that disconnects takes its peers down with it. A connection sending
//! something that is not BMP is dropped with a logged reason; other routers are unaffected.

use super::bmp::{check_header, BmpSession, COMMON_HEADER_LEN};
use super::live::SourceHandle;
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;

/// A router must send its first message (Initiation) within this time.
pub const FIRST_MESSAGE_TIMEOUT: Duration = Duration::from_secs(30);
/// Once a message has begun, the rest of it must arrive within this time.
pub const MESSAGE_TIMEOUT: Duration = Duration::from_secs(60);
/// Bytes of partly received messages held over all connections at once: bounds the station's
/// memory whatever the number of senders.
pub const MAX_BUFFERED_BYTES: usize = 64 << 20;
/// Connections at once; more are refused with a logged reason.
pub const MAX_CONNECTIONS: usize = 1024;
/// Largest first message of a connection (a router opens with an Initiation message, a few
/// hundred bytes): connections not yet known to speak BMP can hold at most this much of
/// [`MAX_BUFFERED_BYTES`] each, so a crowd of them claiming 1 MiB messages and sending them
/// slowly cannot starve the routers (1,024 of them hold 16 MiB at most).
pub const MAX_FIRST_MESSAGE_LEN: usize = 16 << 10;

/// Limits shared by every connection of one station.
#[derive(Clone)]
struct Limits {
    bytes: Arc<Semaphore>,
    connections: Arc<Semaphore>,
}

/// Accepts routers until shutdown. Binding happens before, so a busy port fails at start.
pub async fn run(listener: TcpListener, handle: SourceHandle) {
    let mut shutdown = handle.shutdown.clone();
    let limits = Limits {
        bytes: Arc::new(Semaphore::new(MAX_BUFFERED_BYTES)),
        connections: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(slot) = limits.connections.clone().try_acquire_owned() else {
                        handle.telemetry.input_rejected(&handle.name, &peer.ip().to_string(), &format!("more than {MAX_CONNECTIONS} connections; refused"));
                        continue;
                    };
                    let handle = handle.clone();
                    let limits = limits.clone();
                    tokio::spawn(async move {
                        router_session(stream, peer, handle, limits).await;
                        drop(slot);
                    });
                }
                Err(e) => {
                    handle.telemetry.input_rejected(&handle.name, "listener", &format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

async fn router_session(
    mut stream: TcpStream,
    peer: SocketAddr,
    handle: SourceHandle,
    limits: Limits,
) {
    let router = peer.ip().to_string();
    let mut session = BmpSession::new(Arc::from(format!("bmp {router}").as_str()));
    let mut counted = false;
    let reason = read_messages(
        &mut stream,
        &router,
        &mut session,
        &handle,
        &limits,
        &mut counted,
    )
    .await;
    let now = chrono::Utc::now();
    let batch = handle.decode(&router, |ctx| session.close(now, &reason, ctx));
    handle.send(batch).await;
    // Only a connection that sent valid BMP was ever counted as a router.
    if counted {
        handle
            .health
            .session_closed(&handle.name, &format!("router {router}: {reason}"));
        if handle
            .health
            .snapshot()
            .get(&*handle.name)
            .is_some_and(|f| f.sessions == 0)
        {
            handle.telemetry.feed_disconnected(
                &handle.name,
                &format!("last router {router} left: {reason}"),
            );
        }
    }
}

/// Reads and forwards messages until the router leaves or misbehaves; returns why it ended.
async fn read_messages(
    stream: &mut TcpStream,
    router: &str,
    session: &mut BmpSession,
    handle: &SourceHandle,
    limits: &Limits,
    counted: &mut bool,
) -> String {
    let mut shutdown = handle.shutdown.clone();
    let mut first = true;
    loop {
        let mut header = [0u8; COMMON_HEADER_LEN];
        let read_header = stream.read_exact(&mut header);
        let header_result = tokio::select! {
            r = async {
                if first {
                    timeout(FIRST_MESSAGE_TIMEOUT, read_header).await.map_err(|_| "sent nothing within the first-message timeout".to_string())
                } else {
                    Ok(read_header.await)
                }
            } => r,
            _ = shutdown.changed() => return "shutting down".to_string(),
        };
        match header_result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return "router closed the session".to_string()
            }
            Ok(Err(e)) => return format!("read error: {e}"),
            Err(reason) => {
                handle
                    .telemetry
                    .input_rejected(&handle.name, router, &reason);
                return reason;
            }
        }
        let length = match check_header(&header) {
            Ok(length) if !*counted && length as usize > MAX_FIRST_MESSAGE_LEN => Err(format!(
                "first message claims {length} bytes (a router opens with an Initiation message \
                 of at most {MAX_FIRST_MESSAGE_LEN})"
            )),
            checked => checked.map(|length| length as usize),
        };
        let length = match length {
            Ok(length) => length,
            Err(reason) => {
                handle
                    .telemetry
                    .input_rejected(&handle.name, router, &reason);
                return format!("dropped: {reason}");
            }
        };
        // Wait for room in the station-wide budget before holding the message.
        let budget = timeout(
            MESSAGE_TIMEOUT,
            limits.bytes.clone().acquire_many_owned(length as u32),
        )
        .await;
        let Ok(Ok(_permit)) = budget else {
            let reason = format!(
                "no buffer room for a {length}-byte message within {} s",
                MESSAGE_TIMEOUT.as_secs()
            );
            handle
                .telemetry
                .input_rejected(&handle.name, router, &reason);
            return format!("dropped: {reason}");
        };
        let mut message = vec![0u8; length];
        message[..COMMON_HEADER_LEN].copy_from_slice(&header);
        match timeout(
            MESSAGE_TIMEOUT,
            stream.read_exact(&mut message[COMMON_HEADER_LEN..]),
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return format!("session ended inside a {length}-byte message: {e}"),
            Err(_) => {
                let reason = format!(
                    "a {length}-byte message did not arrive within {} s",
                    MESSAGE_TIMEOUT.as_secs()
                );
                handle
                    .telemetry
                    .input_rejected(&handle.name, router, &reason);
                return format!("dropped: {reason}");
            }
        }
        first = false;
        let mut failure = None;
        let batch = handle.decode(router, |ctx| {
            ctx.stats.records += 1;
            if let Err(reason) = session.handle(Bytes::from(message), ctx) {
                failure = Some(reason);
            }
        });
        if let Some(reason) = failure {
            handle.telemetry.input_rejected(
                &handle.name,
                router,
                &format!("undecodable BMP message: {reason}"),
            );
            if !*counted {
                return format!("dropped: first message is not valid BMP: {reason}");
            }
        } else if !*counted {
            *counted = true;
            handle.health.session_opened(&handle.name);
            handle.telemetry.feed_connected(&handle.name, router);
        }
        handle.health.data(&handle.name);
        if !handle.send(batch).await {
            return "pipeline stopped".to_string();
        }
    }
}
