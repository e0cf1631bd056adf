//! `run_step` against real child processes in temporary directories.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanes_runner::{LogLine, RunnerError, StepOutcome, StepReport, StepSpec, Stream, run_step};
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::{Pid, getpgrp, getpid};
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Far longer than anything here should take, even on a loaded machine; only hangs fail it.
const PROMPTLY: Duration = Duration::from_secs(10);

/// A step to run in a fresh temporary directory: `work/` is its working directory and
/// `step.log` its log.
struct Step {
    tmp: TempDir,
    spec: StepSpec,
    cancel_on: Option<String>,
}

/// A finished step: its report, its log file and the lines the channel received.
struct Ran {
    tmp: TempDir,
    report: StepReport,
    log: String,
    lines: Vec<LogLine>,
    /// From the cancellation (if any) to the return of `run_step`.
    cancel_to_return: Option<Duration>,
}

impl Step {
    fn new(command: &str) -> Step {
        let tmp = tempfile::tempdir().expect("create a temporary directory");
        std::fs::create_dir(tmp.path().join("work")).unwrap();
        let mut spec = StepSpec::new(
            command,
            tmp.path().join("work"),
            tmp.path().join("step.log"),
        );
        spec.grace = Duration::from_secs(5);
        Step {
            tmp,
            spec,
            cancel_on: None,
        }
    }

    fn env(mut self, name: &str, value: &str) -> Step {
        self.spec.env.push((name.to_owned(), value.to_owned()));
        self
    }

    fn secret(mut self, value: &str) -> Step {
        self.spec.secrets.push(value.to_owned());
        self
    }

    fn timeout(mut self, timeout: Duration) -> Step {
        self.spec.timeout = Some(timeout);
        self
    }

    fn grace(mut self, grace: Duration) -> Step {
        self.spec.grace = grace;
        self
    }

    fn working_dir(mut self, dir: impl Into<PathBuf>) -> Step {
        self.spec.working_dir = dir.into();
        self
    }

    fn log_path(mut self, path: impl Into<PathBuf>) -> Step {
        self.spec.log_path = path.into();
        self
    }

    /// Cancels the step once it prints a line reading `text`.
    fn cancel_on(mut self, text: &str) -> Step {
        self.cancel_on = Some(text.to_owned());
        self
    }

    fn write(self, name: &str, content: &[u8]) -> Step {
        std::fs::write(self.tmp.path().join("work").join(name), content).unwrap();
        self
    }

    async fn run(self) -> Ran {
        match self.try_run().await {
            (Ok(report), ran) => ran(report),
            (Err(error), _) => panic!("run_step failed: {error}"),
        }
    }

    async fn fail(self) -> RunnerError {
        match self.try_run().await {
            (Ok(report), _) => panic!("expected an error, got {report:?}"),
            (Err(error), _) => error,
        }
    }

    /// Runs the step, collecting the channel's lines and cancelling when asked to.
    async fn try_run(
        self,
    ) -> (
        Result<StepReport, RunnerError>,
        impl FnOnce(StepReport) -> Ran,
    ) {
        let cancel = CancellationToken::new();
        let (sender, mut receiver) = mpsc::unbounded_channel::<LogLine>();
        let watcher = {
            let cancel = cancel.clone();
            let cancel_on = self.cancel_on.clone();
            async move {
                let mut lines = Vec::new();
                let mut canceled_at = None;
                while let Some(line) = receiver.recv().await {
                    if canceled_at.is_none() && cancel_on.as_deref() == Some(line.text.as_str()) {
                        cancel.cancel();
                        canceled_at = Some(Instant::now());
                    }
                    lines.push(line);
                }
                (lines, canceled_at)
            }
        };
        let run = async {
            let result = tokio::time::timeout(
                PROMPTLY * 3,
                run_step(&self.spec, cancel.clone(), Some(sender)),
            )
            .await
            .expect("run_step returns");
            (result, Instant::now())
        };
        let ((result, returned_at), (lines, canceled_at)) = tokio::join!(run, watcher);
        let log_path = self.spec.log_path.clone();
        let tmp = self.tmp;
        (result, move |report| Ran {
            log: std::fs::read_to_string(&log_path).expect("read the log"),
            tmp,
            report,
            lines,
            cancel_to_return: canceled_at.map(|at| returned_at - at),
        })
    }
}

impl Ran {
    fn outcome(&self) -> StepOutcome {
        self.report.outcome
    }

    /// The texts the channel received from `stream`.
    fn texts(&self, stream: Stream) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|line| line.stream == stream)
            .map(|line| line.text.as_str())
            .collect()
    }

    fn stdout(&self) -> Vec<&str> {
        self.texts(Stream::Stdout)
    }

    /// The texts of the log file's lines from `stream`, checking each line's shape.
    fn log_texts(&self, stream: Stream) -> Vec<&str> {
        let prefix = format!(" {stream} | ");
        self.log
            .lines()
            .filter_map(|line| {
                let (stamp, rest) = line.split_once(' ').expect("a timestamp, then the line");
                assert_rfc3339_millis(stamp);
                rest.strip_prefix(&prefix[1..])
            })
            .collect()
    }

    /// The runner's own lines in the log, without the command that heads them.
    fn notes(&self) -> Vec<&str> {
        self.log_texts(Stream::Runner)
            .into_iter()
            .filter(|text| !text.starts_with("$ "))
            .collect()
    }

    fn pgid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.report.pid).unwrap())
    }

    fn work(&self) -> PathBuf {
        self.tmp.path().join("work")
    }

    fn assert_promptly_canceled(&self) {
        assert_eq!(self.outcome(), StepOutcome::Canceled, "log:\n{}", self.log);
        let waited = self.cancel_to_return.expect("the step was canceled");
        assert!(waited < PROMPTLY, "cancel took {waited:?}");
    }

    /// Nothing of the step's group is left: no process, running or zombie.
    fn assert_group_gone(&self) {
        assert_group_gone(self.pgid());
    }
}

fn assert_rfc3339_millis(stamp: &str) {
    // 2026-11-24T06:20:01.123Z
    assert_eq!(stamp.len(), 24, "{stamp}");
    assert!(
        stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.',
        "{stamp}"
    );
    stamp
        .parse::<jiff::Timestamp>()
        .unwrap_or_else(|error| panic!("{stamp}: {error}"));
}

fn assert_group_gone(pgid: Pid) {
    assert_eq!(
        killpg(pgid, None),
        Err(Errno::ESRCH),
        "process group {pgid} still has processes: {:?}",
        processes_in_group(pgid)
    );
    let zombies: Vec<_> = processes_in_group(pgid)
        .into_iter()
        .filter(|process| process.state == 'Z' && process.parent == getpid().as_raw())
        .collect();
    assert!(zombies.is_empty(), "zombie children left: {zombies:?}");
}

#[derive(Debug)]
#[expect(dead_code, reason = "read through Debug in failure messages")]
struct Process {
    pid: i32,
    state: char,
    parent: i32,
    group: i32,
}

fn process(pid: i32) -> Option<Process> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    Some(Process {
        pid,
        state: fields.next()?.chars().next()?,
        parent: fields.next()?.parse().ok()?,
        group: fields.next()?.parse().ok()?,
    })
}

fn processes_in_group(pgid: Pid) -> Vec<Process> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(process)
        .filter(|process| process.group == pgid.as_raw())
        .collect()
}

/// Polls `condition` until it holds, for at most [`PROMPTLY`].
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < PROMPTLY, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Shell words that start the command that follows in a session of its own, leaving the step's
/// process group, and print its pid once it has left.
const ESCAPE: &str = "escape() { setsid \"$@\" & p=$!; \
    while [ -e /proc/$p ] && [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != $p ]; do sleep 0.01; done; \
    echo $p; }; escape";

fn pids_in(texts: &[&str]) -> Vec<i32> {
    texts.iter().filter_map(|text| text.parse().ok()).collect()
}

// --- processes, environment, exit statuses ---

#[tokio::test]
async fn success_logs_both_streams_with_timestamps() {
    let ran = Step::new("echo out; echo err >&2; echo more").run().await;
    assert_eq!(ran.outcome(), StepOutcome::Succeeded);
    assert_eq!(ran.stdout(), ["out", "more"]);
    assert_eq!(ran.texts(Stream::Stderr), ["err"]);
    assert_eq!(ran.log_texts(Stream::Stdout), ["out", "more"]);
    assert_eq!(ran.log_texts(Stream::Stderr), ["err"]);
    assert_eq!(
        ran.log_texts(Stream::Runner),
        ["$ echo out; echo err >&2; echo more", "step succeeded"]
    );
    assert!(ran.report.started_at <= ran.report.finished_at);
}

#[tokio::test]
async fn runs_in_the_working_dir_with_inherited_and_added_env_and_null_stdin() {
    let ran = Step::new(
        r#"pwd; printf '%s\n' "$LANES_COMPONENT" "$HOME"; command -v cat; cat; echo end"#,
    )
    .env("LANES_COMPONENT", "fhir")
    .run()
    .await;
    assert_eq!(ran.outcome(), StepOutcome::Succeeded, "{}", ran.log);
    let work = ran.work().canonicalize().unwrap();
    let home = std::env::var("HOME").unwrap_or_default();
    let stdout = ran.stdout();
    assert_eq!(stdout[0], work.to_str().unwrap());
    assert_eq!(stdout[1..3], ["fhir", home.as_str()]);
    assert!(stdout[3].ends_with("/cat"), "PATH is inherited: {stdout:?}");
    // `cat` got end of file at once from /dev/null.
    assert_eq!(stdout[4..], ["end"]);
}

#[tokio::test]
async fn runs_in_a_process_group_of_its_own() {
    let ran =
        Step::new("echo $$; cut -d' ' -f5 /proc/$$/stat; sleep 5 & cut -d' ' -f5 /proc/$!/stat")
            .run()
            .await;
    let stdout = ran.stdout();
    let pid = ran.report.pid.to_string();
    assert_eq!(stdout, [pid.as_str(), pid.as_str(), pid.as_str()]);
    assert_ne!(getpgrp().as_raw().to_string(), pid);
    ran.assert_group_gone();
}

#[tokio::test]
async fn the_caller_learns_the_process_group_while_the_step_runs() {
    let (sender, mut spawned) = mpsc::unbounded_channel();
    let mut step = Step::new("echo started; sleep 0.2");
    step.spec.spawned = Some(sender);
    let (pid, ran) = tokio::join!(
        async {
            let pid = spawned.recv().await.expect("told the pid");
            // Told while the step still runs: its group exists.
            assert!(killpg(Pid::from_raw(i32::try_from(pid).unwrap()), None).is_ok());
            pid
        },
        step.run()
    );
    assert_eq!(pid, ran.report.pid);
}

#[tokio::test]
async fn non_zero_exit_is_a_failure_with_its_code() {
    let ran = Step::new("echo failing >&2; exit 3").run().await;
    assert_eq!(
        ran.outcome(),
        StepOutcome::Failed {
            exit_code: Some(3),
            signal: None
        }
    );
    assert_eq!(ran.notes(), ["step failed with exit code 3"]);
}

#[tokio::test]
async fn death_by_signal_is_a_failure_with_the_signal() {
    let ran = Step::new("kill -9 $$").run().await;
    assert_eq!(
        ran.outcome(),
        StepOutcome::Failed {
            exit_code: None,
            signal: Some(9)
        }
    );
    assert_eq!(ran.notes(), ["step killed by signal 9 (SIGKILL)"]);
}

#[tokio::test]
async fn command_not_found_is_a_failure_with_code_127() {
    let ran = Step::new("no-such-command-for-lanes").run().await;
    assert_eq!(
        ran.outcome(),
        StepOutcome::Failed {
            exit_code: Some(127),
            signal: None
        }
    );
    let stderr = ran.texts(Stream::Stderr).join("\n");
    assert!(stderr.contains("not found"), "{stderr}");
}

#[tokio::test]
async fn missing_working_dir_is_an_error_naming_it() {
    let step = Step::new("true");
    let missing = step.tmp.path().join("missing");
    let error = step.working_dir(&missing).fail().await;
    assert!(
        matches!(&error, RunnerError::WorkingDir { path, .. } if *path == missing),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("use {} as the step's working directory", missing.display())
    );
}

#[tokio::test]
async fn unwritable_log_path_is_an_error_naming_it() {
    let step = Step::new("true").write("file", b"");
    // Under a regular file: fails even for root.
    let log = step.tmp.path().join("work/file/step.log");
    let error = step.log_path(&log).fail().await;
    assert!(
        matches!(&error, RunnerError::OpenLog { path, .. } if *path == log),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("open the step log {}", log.display())
    );
}

#[tokio::test]
async fn failing_log_writes_end_the_step_with_an_error() {
    let started = Instant::now();
    let error = Step::new("echo $$; exec sleep 300")
        .log_path("/dev/full")
        .fail()
        .await;
    assert!(
        matches!(&error, RunnerError::WriteLog { path, .. } if path == Path::new("/dev/full")),
        "{error:?}"
    );
    assert!(started.elapsed() < PROMPTLY);
}

#[tokio::test]
async fn the_log_is_appended_to() {
    let step = Step::new("echo second");
    std::fs::write(&step.spec.log_path, "earlier\n").unwrap();
    let ran = step.run().await;
    assert!(ran.log.starts_with("earlier\n"), "{}", ran.log);
    assert!(ran.log.contains(" stdout | second\n"), "{}", ran.log);
}

// --- timeout, cancellation, cleanup ---

#[tokio::test]
async fn cancel_kills_the_whole_group_and_leaves_no_zombies() {
    let ran = Step::new("sleep 300 & echo $!; sleep 300 & echo $!; echo ready; wait")
        .cancel_on("ready")
        .run()
        .await;
    ran.assert_promptly_canceled();
    ran.assert_group_gone();
    let sleeps = pids_in(&ran.stdout());
    assert_eq!(sleeps.len(), 2, "{}", ran.log);
    for pid in sleeps {
        // Gone, or its pid already reused by a process outside the group.
        if let Some(process) = process(pid) {
            assert_ne!(process.group, ran.pgid().as_raw(), "{process:?}");
        }
    }
    assert_eq!(
        ran.notes(),
        [
            "canceled: sending SIGTERM to the process group, SIGKILL in 5s",
            "step canceled"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_on_a_multi_thread_runtime_leaves_no_zombies() {
    let ran = Step::new("(sleep 300 & sleep 300 & wait) & sleep 300 & echo ready; wait")
        .cancel_on("ready")
        .run()
        .await;
    ran.assert_promptly_canceled();
    ran.assert_group_gone();
}

#[tokio::test]
async fn a_step_that_traps_term_keeps_logging_during_the_grace_period_then_is_killed() {
    let ran = Step::new(
        "trap 'echo got TERM; while :; do echo draining; sleep 0.1; done' TERM; \
         echo ready; while :; do sleep 0.1; done",
    )
    .grace(Duration::from_secs(2))
    .cancel_on("ready")
    .run()
    .await;
    ran.assert_promptly_canceled();
    let stdout = ran.log_texts(Stream::Stdout);
    assert_eq!(stdout[..2], ["ready", "got TERM"], "{}", ran.log);
    assert!(stdout[2..].iter().all(|text| *text == "draining"));
    assert!(
        stdout.len() > 2,
        "output in the grace period is logged:\n{}",
        ran.log
    );
    assert_eq!(
        ran.notes(),
        [
            "canceled: sending SIGTERM to the process group, SIGKILL in 2s",
            "still running 2s after SIGTERM: sending SIGKILL to the process group",
            "step canceled"
        ]
    );
    ran.assert_group_gone();
}

#[tokio::test]
async fn a_step_past_its_timeout_is_terminated() {
    let started = Instant::now();
    let ran = Step::new("echo start; sleep 300 & wait")
        .timeout(Duration::from_millis(300))
        .run()
        .await;
    assert_eq!(ran.outcome(), StepOutcome::TimedOut, "{}", ran.log);
    assert!(started.elapsed() < PROMPTLY);
    assert_eq!(ran.stdout(), ["start"]);
    assert_eq!(
        ran.notes(),
        [
            "timed out after 300ms: sending SIGTERM to the process group, SIGKILL in 5s",
            "step timed out"
        ]
    );
    ran.assert_group_gone();
}

#[tokio::test]
async fn a_step_within_its_timeout_succeeds() {
    let ran = Step::new("echo quick").timeout(Duration::MAX).run().await;
    assert_eq!(ran.outcome(), StepOutcome::Succeeded);
}

#[tokio::test]
async fn processes_left_running_when_the_shell_exits_are_killed() {
    // The background sleep holds the output pipes: the step must not wait for it.
    let started = Instant::now();
    let ran = Step::new("sleep 300 & echo $!").run().await;
    assert_eq!(ran.outcome(), StepOutcome::Succeeded);
    assert!(started.elapsed() < PROMPTLY);
    assert_eq!(
        ran.notes(),
        [
            "killed the processes the step left running",
            "step succeeded"
        ]
    );
    ran.assert_group_gone();
}

#[tokio::test]
async fn a_process_that_left_the_group_holding_the_pipes_does_not_hang_the_step() {
    let started = Instant::now();
    let ran = Step::new(&format!("{ESCAPE} sleep 300")).run().await;
    assert_eq!(ran.outcome(), StepOutcome::Succeeded);
    assert!(started.elapsed() < PROMPTLY);
    assert!(
        ran.notes()[0].starts_with("output pipes still open"),
        "{}",
        ran.log
    );
    let escaped = Pid::from_raw(pids_in(&ran.stdout())[0]);
    kill(escaped, Signal::SIGKILL).unwrap();
}

#[tokio::test]
async fn orphans_that_left_the_group_are_reaped_by_a_later_step() {
    let ran = Step::new(&format!("{ESCAPE} sh -c 'exec sleep 2 >/dev/null 2>&1'"))
        .run()
        .await;
    let escaped = pids_in(&ran.stdout())[0];
    let ours = |process: &Process| process.parent == getpid().as_raw() && process.group == escaped;
    if let Some(process) = process(escaped).filter(|process| process.group == escaped) {
        assert!(ours(&process), "adopted by this subreaper: {process:?}");
    }
    eventually("the escaped process has ended", || {
        process(escaped).is_none_or(|process| process.state == 'Z' || !ours(&process))
    })
    .await;
    let our_zombie =
        || process(escaped).is_some_and(|process| process.state == 'Z' && ours(&process));
    let start = Instant::now();
    while our_zombie() {
        assert!(start.elapsed() < PROMPTLY, "the zombie was never reaped");
        Step::new("true").run().await;
    }
}

#[tokio::test]
async fn dropping_the_run_kills_the_group() {
    let step = Step::new("sleep 300 & echo $!; echo ready; wait");
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let mut pid = None;
    tokio::select! {
        result = run_step(&step.spec, CancellationToken::new(), Some(sender)) => {
            panic!("the step ended: {result:?}")
        }
        () = async {
            while let Some(line) = receiver.recv().await {
                if line.text == "ready" {
                    return;
                }
                pid = line.text.parse::<i32>().ok();
            }
        } => {}
    }
    let sleep = pid.expect("the sleep's pid");
    let group = Pid::from_raw(process(sleep).expect("the sleep runs").group);
    // Later steps reap the remains once the killed processes have died.
    let start = Instant::now();
    while killpg(group, None) != Err(Errno::ESRCH) {
        assert!(
            start.elapsed() < PROMPTLY,
            "{:?}",
            processes_in_group(group)
        );
        Step::new("true").run().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_steps_run_concurrently() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tasks = Vec::new();
    for n in 0..24 {
        let mut spec = StepSpec::new(
            r#"echo "step $LANES_N"; sleep 0.05; echo "done $LANES_N" >&2"#,
            tmp.path(),
            tmp.path().join(format!("{n}.log")),
        );
        spec.env.push(("LANES_N".to_owned(), n.to_string()));
        let spec = Arc::new(spec);
        tasks.push(tokio::spawn(async move {
            run_step(&spec, CancellationToken::new(), None).await
        }));
    }
    for (n, task) in tasks.into_iter().enumerate() {
        let report = task.await.unwrap().unwrap();
        assert_eq!(report.outcome, StepOutcome::Succeeded);
        let log = std::fs::read_to_string(tmp.path().join(format!("{n}.log"))).unwrap();
        assert!(log.contains(&format!(" stdout | step {n}\n")), "{log}");
        assert!(log.contains(&format!(" stderr | done {n}\n")), "{log}");
        assert_group_gone(Pid::from_raw(i32::try_from(report.pid).unwrap()));
    }
}

// --- logs ---

#[tokio::test]
async fn lines_reach_the_log_while_the_step_runs() {
    let step = Step::new("echo first; while [ ! -e go ]; do sleep 0.02; done; echo second");
    let log_path = step.spec.log_path.clone();
    let go = step.tmp.path().join("work/go");
    let run = tokio::spawn(step.run());
    eventually("the first line is in the log", || {
        std::fs::read_to_string(&log_path).is_ok_and(|log| log.contains(" stdout | first\n"))
    })
    .await;
    assert!(!run.is_finished());
    std::fs::write(go, "").unwrap();
    let ran = run.await.unwrap();
    assert_eq!(ran.log_texts(Stream::Stdout), ["first", "second"]);
}

#[tokio::test]
async fn a_last_line_without_a_line_break_is_logged() {
    let ran = Step::new("printf 'one\\ntwo'; printf 'three' >&2")
        .run()
        .await;
    assert_eq!(ran.log_texts(Stream::Stdout), ["one", "two"]);
    assert_eq!(ran.log_texts(Stream::Stderr), ["three"]);
}

#[tokio::test]
async fn invalid_utf8_is_logged_lossily() {
    let ran = Step::new(r"printf 'a\377b\n'").run().await;
    assert_eq!(ran.stdout(), ["a\u{fffd}b"]);
    assert_eq!(ran.log_texts(Stream::Stdout), ["a\u{fffd}b"]);
}

#[tokio::test]
async fn long_lines_are_split() {
    let ran = Step::new("head -c 200000 /dev/zero | tr '\\0' x; echo; echo after")
        .run()
        .await;
    let lengths: Vec<usize> = ran.stdout().iter().map(|text| text.len()).collect();
    assert_eq!(lengths, [65536, 65536, 65536, 200_000 - 3 * 65536, 5]);
}

// --- secrets ---

#[tokio::test]
async fn secrets_are_masked_in_the_log_and_the_channel() {
    let ran = Step::new("echo token=hunter2 and hunter2; echo hunter2 >&2")
        .secret("hunter2")
        .run()
        .await;
    assert_eq!(ran.stdout(), ["token=*** and ***"]);
    assert_eq!(ran.log_texts(Stream::Stdout), ["token=*** and ***"]);
    assert_eq!(ran.log_texts(Stream::Stderr), ["***"]);
    assert!(!ran.log.contains("hunter"), "{}", ran.log);
}

#[tokio::test]
async fn a_secret_split_across_writes_is_masked() {
    let ran = Step::new("printf 'pass: hun'; sleep 0.2; printf 'ter2'; sleep 0.2; printf '!\\n'")
        .secret("hunter2")
        .run()
        .await;
    assert_eq!(ran.stdout(), ["pass: ***!"]);
    assert_eq!(ran.log_texts(Stream::Stdout), ["pass: ***!"]);
}

#[tokio::test]
async fn the_command_heads_the_output_masked_line_by_line() {
    let ran = Step::new("echo one\necho hunter2")
        .secret("hunter2")
        .run()
        .await;
    assert_eq!(
        ran.log_texts(Stream::Runner),
        ["$ echo one", "$ echo ***", "step succeeded"]
    );
    assert_eq!(ran.texts(Stream::Runner)[..2], ["$ echo one", "$ echo ***"]);
    assert_eq!(ran.stdout(), ["one", "***"]);
}

#[tokio::test]
async fn a_secret_spanning_lines_is_masked() {
    let ran = Step::new(
        "printf 'before\\n-----BEGIN KEY-----\\n'; sleep 0.2; \
         printf 'abc\\n-----END KEY-----\\nafter\\n'; printf '%s\\n' '-----BEGIN KEY-----' 'not it'",
    )
    .secret("-----BEGIN KEY-----\nabc\n-----END KEY-----")
    .run()
    .await;
    assert_eq!(
        ran.stdout(),
        ["before", "***", "after", "-----BEGIN KEY-----", "not it"]
    );
    assert_eq!(ran.log_texts(Stream::Stdout), ran.stdout());
}

#[tokio::test]
async fn empty_secrets_are_ignored() {
    let ran = Step::new("echo visible").secret("").run().await;
    assert_eq!(ran.stdout(), ["visible"]);
}

#[tokio::test]
async fn many_secrets_are_masked_across_every_read_boundary() {
    let secrets: Vec<String> = (0..50)
        .map(|n| format!("s3cret-{n:02}-{}", "x".repeat(n % 7)))
        .chain(["multi\nline secret".to_owned()])
        .collect();
    // Filler lines, with a secret straddling every 4096-byte boundary.
    let mut output = String::new();
    let mut line = 0;
    for boundary in (1..=256).map(|n| n * 4096) {
        while output.len() + 30 < boundary - 5 {
            let _ = writeln!(output, "filler line {line:08}");
            line += 1;
        }
        while output.len() < boundary - 5 {
            output.push('.');
        }
        output.push_str(&secrets[boundary / 4096 % secrets.len()]);
    }
    output.push('\n');
    let mut expected = output.clone();
    for secret in &secrets {
        expected = expected.replace(secret.as_str(), "***");
    }
    let expected: Vec<&str> = expected.lines().collect();

    // dd writes in blocks of its size; the pipe and the reader cut elsewhere again.
    for block in ["4096", "4093", "61"] {
        let mut step = Step::new(&format!("dd if=output bs={block} status=none"))
            .write("output", output.as_bytes());
        for secret in &secrets {
            step = step.secret(secret);
        }
        let ran = step.run().await;
        assert_eq!(ran.outcome(), StepOutcome::Succeeded);
        assert!(ran.stdout() == expected, "dd bs={block}: output differs");
        assert_eq!(ran.log_texts(Stream::Stdout), expected);
        assert!(!ran.log.contains("s3cret"), "dd bs={block}");
        assert!(!ran.log.contains("line secret"), "dd bs={block}");
    }
}

// --- untrusted input ---

#[tokio::test]
async fn untrusted_values_reach_the_step_only_as_data() {
    let values = [
        ("LANES_BRANCH", r#"zzz";echo${IFS}"hello";#"#),
        ("LANES_COMPONENT", "$(touch pwned)"),
        ("LANES_COMMIT_MESSAGE", "`touch pwned2`"),
        ("LANES_VERSION", "'; touch pwned3; '"),
    ];
    let mut step = Step::new(
        r#"printf '%s\n' "$LANES_BRANCH" "$LANES_COMPONENT" "$LANES_COMMIT_MESSAGE" "$LANES_VERSION""#,
    );
    for (name, value) in values {
        step = step.env(name, value);
    }
    let ran = step.run().await;
    assert_eq!(ran.outcome(), StepOutcome::Succeeded);
    let expected: Vec<&str> = values.iter().map(|(_, value)| *value).collect();
    assert_eq!(ran.stdout(), expected);
    assert_eq!(ran.log_texts(Stream::Stdout), expected);
    for file in ["pwned", "pwned2", "pwned3"] {
        assert!(!ran.work().join(file).exists(), "{file} was created");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_that_exit_at_once_keep_their_status_while_orphans_are_swept() {
    // A shell that exits before its group is registered used to look like an orphan to the
    // sweep, which reaped it and took its exit status.
    let tmp = tempfile::tempdir().unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let next = Arc::clone(&next);
            let dir = tmp.path().to_path_buf();
            tokio::spawn(async move {
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 400 {
                    let spec = StepSpec::new("exit 7", &dir, dir.join("steps.log"));
                    let report = run_step(&spec, CancellationToken::new(), None)
                        .await
                        .unwrap();
                    assert_eq!(
                        report.outcome,
                        StepOutcome::Failed {
                            exit_code: Some(7),
                            signal: None
                        }
                    );
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
}
