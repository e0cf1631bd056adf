//! Connections that stall or idle: they cannot keep the server from answering, and the server
//! closes them once the header timeout passed.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::{TestServer, read_answer, request};

/// How many connections stall at once.
const STALLED: usize = 300;

/// The start of a request that a stalling client never finishes: nothing, half a request line,
/// headers without their end.
fn stalled_start(n: usize) -> &'static [u8] {
    match n % 3 {
        0 => b"",
        1 => b"GET /heal",
        _ => b"GET /healthz HTTP/1.1\r\nHost: lanes\r\nX-Slow: ",
    }
}

/// Waits for the server to close `stream`: what it read until the end of the stream. The
/// minute is only there to fail the test rather than hang it.
async fn closed_by_the_server(mut stream: TcpStream) -> Vec<u8> {
    let mut read = Vec::new();
    tokio::time::timeout(Duration::from_mins(1), stream.read_to_end(&mut read))
        .await
        .expect("the server closes the connection")
        .expect("the connection ends without an error");
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_neither_hold_the_server_nor_stay_open() {
    let server =
        TestServer::start_with(|config| config.header_timeout = Duration::from_secs(3)).await;
    let mut stalled = Vec::new();
    for n in 0..STALLED {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream.write_all(stalled_start(n)).await.unwrap();
        stalled.push(stream);
    }
    let health = request(server.address, "GET", "/healthz", &[], b"").await;
    assert_eq!(health.status, 200, "{}", health.body);
    // Answered while every stalled connection is still open, so not thanks to their closing.
    let mut buffer = [0_u8; 64];
    for stream in &stalled {
        assert_eq!(
            stream.try_read(&mut buffer).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock,
            "the stalled connection is still open and unanswered"
        );
    }
    for stream in stalled {
        closed_by_the_server(stream).await;
    }
}

#[tokio::test]
async fn a_connection_idle_after_its_answer_is_closed() {
    let server =
        TestServer::start_with(|config| config.header_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: lanes\r\n\r\n")
        .await
        .unwrap();
    // Kept alive after its answer, and then idle.
    let answer = String::from_utf8(closed_by_the_server(stream).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
}

/// Past `max_connections` a connection waits to be served; it is once the stalled ones closed.
#[tokio::test]
async fn past_the_connection_limit_a_request_waits_for_a_free_connection() {
    let server = TestServer::start_with(|config| {
        config.header_timeout = Duration::from_secs(1);
        config.max_connections = 4;
    })
    .await;
    let mut stalled = Vec::new();
    for n in 0..4 {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream.write_all(stalled_start(n + 1)).await.unwrap();
        stalled.push(stream);
    }
    let mut waiting = TcpStream::connect(server.address).await.unwrap();
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: lanes\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    for stream in stalled {
        closed_by_the_server(stream).await;
    }
    assert_eq!(read_answer(waiting).await.status, 200);
}
