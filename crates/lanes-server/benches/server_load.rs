//! The server's load tool (see BENCHMARKS.md; `bench/server_bench.py` drives it).
//!
//! `fill LEDGER LANES` appends LANES lanes of 5 stages (5 stage runs each) to a ledger, with
//! real engine events through the store, in batches.
//!
//! `webhooks URL RATE SECONDS BODY_FILE SECRET` sends signed GitHub `push` deliveries, each
//! with a new delivery id, open loop at RATE per second for SECONDS; `pages URL RATE SECONDS
//! TOKEN COMMIT...` reads commit pages the same way. Latency is counted from when a request was
//! due (not when it was sent), so a server that falls behind shows it. Prints one JSON line.
#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "a load tool's counts and percentiles are far from the limits of these casts"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use lanes_engine::{Event, LaneId};
use lanes_store::Store;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const STAGES: [&str; 5] = ["pr", "acceptance", "integration", "staging", "production"];
const COMPONENTS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    match args.first().map(String::as_str) {
        Some("fill") => runtime.block_on(fill(&args[1], args[2].parse().unwrap())),
        Some("webhooks") => runtime.block_on(webhooks(&args[1..])),
        Some("pages") => runtime.block_on(pages(&args[1..])),
        _ => eprintln!(
            "usage: server_load fill LEDGER LANES | webhooks URL RATE SECONDS BODY SECRET | pages URL RATE SECONDS TOKEN COMMIT..."
        ),
    }
}

/// The commit of the `n`th generated commit: 40 hex digits.
fn commit_id(n: usize) -> String {
    format!("{n:040x}")
}

async fn fill(ledger: &str, lanes: usize) {
    let mut store = Store::open(std::path::Path::new(ledger)).await.unwrap();
    let started = Instant::now();
    let mut next = store.world().next_lane_id().0;
    let first = next;
    let batch = 2000;
    while (next - first) < lanes as u64 {
        let mut events = Vec::new();
        for _ in 0..batch.min(lanes - (next - first) as usize) {
            let index = (next - 1) as usize;
            let lane = LaneId(next);
            let at = 1_700_000_000_000 + i64::try_from(index).unwrap() * 1000;
            events.push(Event::LaneCreated {
                lane,
                commit: commit_id(index / COMPONENTS),
                component: format!("c{:02}", index % COMPONENTS),
                fingerprint: format!("{index:064x}"),
                author: "Bench <bench@example.com>".to_owned(),
                stages: STAGES.iter().map(|name| (*name).to_owned()).collect(),
                role: lanes_engine::Role::Default,
                depth: 0,
                at,
            });
            for stage in 0..STAGES.len() {
                events.push(Event::StageUnchanged {
                    lane,
                    stage,
                    provenance: commit_id(index / COMPONENTS),
                    reason: "the same version passed this stage".to_owned(),
                    at: at + 1,
                });
            }
            next += 1;
        }
        store.append(&events).await.unwrap();
    }
    let stage_runs = lanes * STAGES.len();
    println!(
        "{{\"lanes\": {lanes}, \"stage_runs\": {stage_runs}, \"events\": {}, \"seconds\": {:.1}}}",
        store.last_event_id(),
        started.elapsed().as_secs_f64()
    );
    store.close().await;
}

/// A keep-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    async fn open(address: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
        })
    }

    /// Sends a request and reads the whole answer; its status.
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.reader.get_mut().write_all(request).await?;
        let mut status = 0;
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let trimmed = line.trim_end();
            if status == 0 {
                status = trimmed
                    .split(' ')
                    .nth(1)
                    .and_then(|code| code.parse().ok())
                    .unwrap_or(0);
            } else if trimmed.is_empty() {
                break;
            } else if let Some((name, value)) = trimmed.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).await?;
        Ok(status)
    }
}

/// Sends `requests(n)` at `rate` per second for `seconds`, over a pool of connections; prints
/// the achieved rate and latency percentiles.
async fn drive(load: Load, requests: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>) {
    let Load {
        address,
        rate,
        seconds,
    } = load;
    let pool: Arc<Mutex<Vec<Connection>>> = Arc::new(Mutex::new(Vec::new()));
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let total = u64::from(rate) * seconds;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..total {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let pool = pool.clone();
        let address = address.clone();
        let request = requests(n);
        tasks.spawn(async move {
            let mut connection = match pool.lock().await.pop() {
                Some(connection) => connection,
                None => Connection::open(&address).await.ok()?,
            };
            let status = connection.exchange(&request).await.ok()?;
            let latency = due.elapsed();
            pool.lock().await.push(connection);
            Some((status, latency))
        });
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut statuses = std::collections::BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        match done.ok().flatten() {
            Some((status, latency)) => {
                *statuses.entry(status).or_insert(0u64) += 1;
                latencies.push(latency);
            }
            None => errors += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
    };
    println!(
        "{{\"requests\": {total}, \"answered\": {}, \"errors\": {errors}, \"statuses\": {:?}, \"seconds\": {elapsed:.2}, \"per_second\": {:.1}, \"p50_ms\": {:.2}, \"p90_ms\": {:.2}, \"p99_ms\": {:.2}, \"max_ms\": {:.2}}}",
        latencies.len(),
        format!("{statuses:?}"),
        latencies.len() as f64 / elapsed,
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        percentile(1.0),
    );
}

fn address_of(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// `URL RATE SECONDS`: where, how fast and how long to send.
struct Load {
    address: String,
    rate: u32,
    seconds: u64,
}

impl Load {
    fn parse(args: &[String]) -> Self {
        Self {
            address: address_of(&args[0]),
            rate: args[1]
                .parse()
                .expect("RATE is a number of requests per second"),
            seconds: args[2].parse().expect("SECONDS is a number"),
        }
    }
}

async fn webhooks(args: &[String]) {
    let load = Load::parse(args);
    let body = std::fs::read(&args[3]).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(args[4].as_bytes()).unwrap();
    mac.update(&body);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let host = load.address.clone();
    drive(
        load,
        Arc::new(move |n| {
            let mut request = format!(
                "POST /webhooks/github HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: bench-{run}-{}-{n}\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\n\r\n",
                std::process::id(),
                body.len()
            )
            .into_bytes();
            request.extend_from_slice(&body);
            request
        }),
    )
    .await;
}

async fn pages(args: &[String]) {
    let load = Load::parse(args);
    let token = args[3].clone();
    let commits: Vec<String> = args[4..].to_vec();
    let host = load.address.clone();
    drive(
        load,
        Arc::new(move |n| {
            let commit = &commits[usize::try_from(n).unwrap() % commits.len()];
            format!(
                "GET /commits/{commit} HTTP/1.1\r\nHost: {host}\r\nCookie: lanes_token={token}\r\n\r\n"
            )
            .into_bytes()
        }),
    )
    .await;
}
