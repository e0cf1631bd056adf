//! Measures what `run_step` costs per step above spawning the same shell directly with tokio.
//!
//! ```text
//! cargo run --release -p lanes-runner --example spawn_overhead -- [STEPS] [PARALLELISM]
//! ```
//!
//! Runs STEPS (default 2000) trivial steps (`true`) at PARALLELISM (default 2) twice: through
//! `run_step`, each with its own log file, and as `/bin/sh -c true` spawned with
//! `tokio::process` and waited for. Both run on the same runtime, after a warm-up, in alternating
//! rounds; the best round of each is reported, as wall time per step and as this process's CPU
//! time per step (the children's own time is not counted in either).

use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lanes_runner::{StepSpec, run_step};
use tokio_util::sync::CancellationToken;

const ROUNDS: usize = 3;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |index: usize, default: usize| {
        args.get(index)
            .map_or(Ok(default), |arg| arg.parse::<usize>())
    };
    let (Ok(steps), Ok(parallelism)) = (parse(0, 2000), parse(1, 2)) else {
        eprintln!("usage: spawn_overhead [STEPS] [PARALLELISM]");
        return ExitCode::FAILURE;
    };
    let parallelism = parallelism.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let dir = Arc::new(tmp.path().to_path_buf());

    runtime.block_on(async {
        run(Mode::Direct, 50, parallelism, &dir).await;
        run(Mode::Runner, 50, parallelism, &dir).await;
        let mut direct = Measure::worst();
        let mut runner = Measure::worst();
        for _ in 0..ROUNDS {
            direct = direct.best(run(Mode::Direct, steps, parallelism, &dir).await);
            runner = runner.best(run(Mode::Runner, steps, parallelism, &dir).await);
        }
        println!("{steps} steps of `true` at parallelism {parallelism}, best of {ROUNDS} rounds");
        println!("                      wall/step   cpu/step (this process)");
        direct.print("sh -c true (tokio)", steps);
        runner.print("run_step", steps);
        println!(
            "overhead per step:    {:.3} ms    {:.3} ms",
            millis_per_step(runner.wall, steps) - millis_per_step(direct.wall, steps),
            millis_per_step(runner.cpu, steps) - millis_per_step(direct.cpu, steps)
        );
    });
    ExitCode::SUCCESS
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Direct,
    Runner,
}

#[derive(Debug, Clone, Copy)]
struct Measure {
    wall: Duration,
    cpu: Duration,
}

impl Measure {
    fn worst() -> Measure {
        Measure {
            wall: Duration::MAX,
            cpu: Duration::MAX,
        }
    }

    fn best(self, other: Measure) -> Measure {
        Measure {
            wall: self.wall.min(other.wall),
            cpu: self.cpu.min(other.cpu),
        }
    }

    fn print(self, name: &str, steps: usize) {
        println!(
            "{name:<20}  {:.3} ms    {:.3} ms",
            millis_per_step(self.wall, steps),
            millis_per_step(self.cpu, steps)
        );
    }
}

fn millis_per_step(total: Duration, steps: usize) -> f64 {
    total.as_secs_f64() * 1e3 / f64::from(u32::try_from(steps).unwrap_or(u32::MAX))
}

/// Runs `steps` trivial steps in `mode`, `parallelism` at a time.
async fn run(
    mode: Mode,
    steps: usize,
    parallelism: usize,
    dir: &Arc<std::path::PathBuf>,
) -> Measure {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let workers: Vec<_> = (0..parallelism)
        .map(|_| {
            let next = Arc::clone(&next);
            let dir = Arc::clone(dir);
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= steps {
                        return;
                    }
                    match mode {
                        Mode::Direct => direct(&dir).await,
                        Mode::Runner => through_runner(&dir, index).await,
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker panicked");
    }
    Measure {
        wall: started.elapsed(),
        cpu: process_cpu_time().saturating_sub(cpu_before),
    }
}

async fn direct(dir: &std::path::Path) {
    let status = tokio::process::Command::new("/bin/sh")
        .args(["-c", "true"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .expect("spawn sh");
    assert!(status.success());
}

async fn through_runner(dir: &std::path::Path, index: usize) {
    let spec = StepSpec::new("true", dir, dir.join(format!("{index}.log")));
    let report = run_step(&spec, CancellationToken::new(), None)
        .await
        .expect("run the step");
    assert!(report.outcome.is_success());
}

/// User and system time of this process so far, from `/proc/self/stat` (in clock ticks of
/// 10 ms, the usual `USER_HZ`).
fn process_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rfind(')').map_or("", |end| &stat[end + 1..]);
    // Fields 14 and 15 of the whole line: utime and stime.
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}
