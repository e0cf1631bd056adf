//! Running one step: spawning its shell in a process group of its own, reading its output as it
//! comes, ending it on timeout or cancellation, and leaving nothing behind.

use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use jiff::Timestamp;
use nix::sys::signal::Signal;
use tokio::net::unix::pipe::Receiver;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::line_splitter::{LINE_CAP, LineSplitter};
use crate::log_sink::LogSink;
use crate::masker::Secrets;
use crate::output_stream::OutputStream;
use crate::process_group::ProcessGroup;
use crate::{LogLine, RunnerError, StepOutcome, StepReport, StepSpec, Stream, reaper};

/// How often process state is checked even without a SIGCHLD, in case one is missed.
const POLL: Duration = Duration::from_millis(100);
/// How often a killed group is checked for being gone: its members need not be our children,
/// and then their end sends us no SIGCHLD.
const POLL_KILLED: Duration = Duration::from_millis(10);
/// How long a group gets to disappear after SIGKILL before the runner gives up on it (processes
/// stuck in uninterruptible sleep).
const KILL_SETTLE: Duration = Duration::from_secs(2);
/// How long the output pipes may stay open once the group is gone: only a process that left
/// the group (`setsid`) can hold them then.
const PIPE_LINGER: Duration = Duration::from_millis(500);
const READ_BUFFER: usize = 32 * 1024;

/// Runs `spec` as `/bin/sh -c <command>` in a process group of its own and waits until it has
/// ended and its group is gone.
///
/// The step inherits the runner's environment plus [`StepSpec::env`], runs in
/// [`StepSpec::working_dir`] with stdin from `/dev/null`, and its stdout and stderr are appended
/// line by line to [`StepSpec::log_path`] as they are read, each line timestamped, secrets
/// masked; `lines`, when given, receives the same lines.
///
/// On timeout or when `cancel` fires the whole group gets SIGTERM, then SIGKILL once the grace
/// period passes or the step's shell exits, whichever is first; output keeps being logged
/// meanwhile. Processes a step leaves running after its shell exits are killed too. The first
/// call makes this process a child subreaper (Linux), so that the orphans of a killed group are
/// reaped here rather than left as zombies under a PID 1 that may not reap them.
///
/// Must run inside a tokio runtime with I/O and time enabled. A non-zero exit, a signal, a
/// timeout or a cancellation is a [`StepOutcome`]; errors are for a step that could not be
/// started or logged. Dropping the future kills the step's group.
pub async fn run_step(
    spec: &StepSpec,
    cancel: CancellationToken,
    lines: Option<UnboundedSender<LogLine>>,
) -> Result<StepReport, RunnerError> {
    reaper::become_subreaper();
    let secrets = Secrets::new(&spec.secrets)?;
    check_working_dir(&spec.working_dir)?;
    let mut log = LogSink::open(&spec.log_path, lines)?;
    // Listening before the spawn, so that an exit right after it still wakes us.
    let mut child_exits =
        signal(SignalKind::child()).map_err(|source| RunnerError::Watch { source })?;

    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(&spec.command)
        .current_dir(&spec.working_dir);
    for name in &spec.withheld {
        command.env_remove(name);
    }
    command
        .envs(spec.env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let started_at = Timestamp::now();
    let started = Instant::now();
    let mut group = ProcessGroup::spawn(&mut command).map_err(|source| RunnerError::Spawn {
        working_dir: spec.working_dir.clone(),
        source,
    })?;
    let pid = group.pid();
    if let Some(spawned) = &spec.spawned {
        // A caller that stopped listening does not stop the step.
        let _ = spawned.send(pid);
    }
    // The command heads its output, as in any CI log; masked too, should it hold a secret.
    let command_lines = secrets.mask(&spec.command);
    let command_lines = command_lines.lines().map(|line| format!("$ {line}"));
    log.write(Stream::Runner, command_lines, started_at)?;
    let (stdout, stderr) = group.take_pipes().expect("stdout and stderr are piped");
    // On an error here `group` is dropped, which kills it.
    let watch = |source| RunnerError::Watch { source };
    let stdout = Receiver::from_owned_fd(stdout.into()).map_err(watch)?;
    let stderr = Receiver::from_owned_fd(stderr.into()).map_err(watch)?;

    let mut run = StepRun {
        group,
        outputs: [
            OutputStream::new(
                Stream::Stdout,
                stdout,
                secrets.masker(),
                LineSplitter::new(LINE_CAP),
            ),
            OutputStream::new(
                Stream::Stderr,
                stderr,
                secrets.masker(),
                LineSplitter::new(LINE_CAP),
            ),
        ],
        log,
        phase: Phase::Running,
        ending: None,
        timeout: spec.timeout,
        deadline: spec.timeout.map(|timeout| later(started, timeout)),
        grace: spec.grace,
        group_gone_at: None,
        reaped_at_exit: None,
        buffer: vec![0; READ_BUFFER],
        lines: Vec::new(),
    };
    run.drive(&mut child_exits, &cancel).await?;
    let outcome = run.outcome();
    run.log.note(format!("step {outcome}"))?;
    drop(run);
    reaper::sweep_orphans();
    Ok(StepReport {
        outcome,
        started_at,
        finished_at: Timestamp::now(),
        duration: started.elapsed(),
        pid,
    })
}

/// `duration` after `instant`, saturating at a century: a timeout of `Duration::MAX` means none.
fn later(instant: Instant, duration: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_hours(100 * 365 * 24);
    instant + duration.min(CENTURY)
}

fn check_working_dir(path: &Path) -> Result<(), RunnerError> {
    let error = |source| RunnerError::WorkingDir {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => Err(error(io::ErrorKind::NotADirectory.into())),
        Err(source) => Err(error(source)),
    }
}

/// Where a running step is on its way to the end.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// The shell runs.
    Running,
    /// The group got SIGTERM; SIGKILL follows at `kill_at` or when the shell exits.
    Terminating { kill_at: Instant },
    /// The group got SIGKILL (or the shell exited and the group got it for what it left
    /// running): reaping it and reading the output to its end.
    Killed { give_up_at: Instant },
}

/// Why the runner ended a step.
#[derive(Debug, Clone, Copy)]
enum Ending {
    TimedOut,
    Canceled,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    /// An output pipe is readable (or failed to wait for it, `false`).
    Output(usize, bool),
    /// A SIGCHLD, or time to look again.
    Wake,
    Cancel,
}

/// The state of one running step; only [`run_step`] drives it.
struct StepRun {
    group: ProcessGroup,
    outputs: [OutputStream; 2],
    log: LogSink,
    phase: Phase,
    ending: Option<Ending>,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    grace: Duration,
    /// When the killed group was found empty, zombies included.
    group_gone_at: Option<Instant>,
    /// When the shell exited by itself: how many members had been reaped by then. Members
    /// reaped after that were left running by the step and killed.
    reaped_at_exit: Option<usize>,
    buffer: Vec<u8>,
    lines: Vec<String>,
}

impl StepRun {
    /// Reacts to output, exits, time and cancellation until the group is gone and its output
    /// read.
    async fn drive(
        &mut self,
        child_exits: &mut tokio::signal::unix::Signal,
        cancel: &CancellationToken,
    ) -> Result<(), RunnerError> {
        let mut listening = true;
        loop {
            let now = Instant::now();
            if self.is_finished(now)? {
                return Ok(());
            }
            let wake_at = self.wake_at(now);
            let running = matches!(self.phase, Phase::Running);
            let [stdout, stderr] = &self.outputs;
            let event = tokio::select! {
                ready = stdout.readable() => Event::Output(0, ready.is_ok()),
                ready = stderr.readable() => Event::Output(1, ready.is_ok()),
                received = child_exits.recv(), if listening => {
                    // The signal driver is gone: polling alone will have to do.
                    listening = received.is_some();
                    Event::Wake
                }
                () = cancel.cancelled(), if running => Event::Cancel,
                () = tokio::time::sleep_until(wake_at) => Event::Wake,
            };
            match event {
                Event::Output(index, true) => self.read(index)?,
                Event::Output(index, false) => self.close(index)?,
                Event::Cancel => self.terminate(Ending::Canceled)?,
                Event::Wake => {}
            }
            // Output alone does not change the processes, but a busy step must still time out.
            if !matches!(event, Event::Output(..)) || Instant::now() >= wake_at {
                self.check(Instant::now())?;
            }
        }
    }

    /// When to look at the processes again without being woken.
    fn wake_at(&self, now: Instant) -> Instant {
        match self.phase {
            Phase::Running => {
                let poll = now + POLL;
                self.deadline.map_or(poll, |deadline| deadline.min(poll))
            }
            Phase::Terminating { kill_at } => kill_at.min(now + POLL),
            Phase::Killed { give_up_at } => match self.group_gone_at {
                Some(gone_at) => gone_at + PIPE_LINGER,
                None => give_up_at.min(now + POLL_KILLED),
            },
        }
    }

    /// Moves on when the shell exited or a deadline passed.
    fn check(&mut self, now: Instant) -> Result<(), RunnerError> {
        match self.phase {
            Phase::Running => {
                if self.group.leader_exited() {
                    self.kill(now)?;
                } else if self.deadline.is_some_and(|deadline| now >= deadline) {
                    self.terminate(Ending::TimedOut)?;
                }
            }
            Phase::Terminating { kill_at } => {
                if self.group.leader_exited() || now >= kill_at {
                    self.kill(now)?;
                }
            }
            Phase::Killed { .. } => self.reap(now)?,
        }
        Ok(())
    }

    /// Sends SIGTERM to the group and starts the grace period.
    fn terminate(&mut self, ending: Ending) -> Result<(), RunnerError> {
        self.ending = Some(ending);
        let why = match (ending, self.timeout) {
            (Ending::TimedOut, Some(timeout)) => format!("timed out after {timeout:?}"),
            (Ending::TimedOut, None) => "timed out".to_owned(),
            (Ending::Canceled, _) => "canceled".to_owned(),
        };
        self.log.note(format!(
            "{why}: sending SIGTERM to the process group, SIGKILL in {:?}",
            self.grace
        ))?;
        self.signal(Signal::SIGTERM)?;
        self.phase = Phase::Terminating {
            kill_at: later(Instant::now(), self.grace),
        };
        Ok(())
    }

    /// Sends SIGKILL to the group, whose shell has exited or whose grace period is over, and
    /// starts reaping it.
    fn kill(&mut self, now: Instant) -> Result<(), RunnerError> {
        let shell_exited = self.group.leader_exited();
        if !shell_exited {
            self.log.note(format!(
                "still running {:?} after SIGTERM: sending SIGKILL to the process group",
                self.grace
            ))?;
        }
        self.signal(Signal::SIGKILL)?;
        if matches!(self.phase, Phase::Running) {
            self.reaped_at_exit = Some(self.group.members_reaped());
        }
        self.phase = Phase::Killed {
            give_up_at: now + KILL_SETTLE,
        };
        self.reap(now)
    }

    fn signal(&mut self, signal: Signal) -> Result<(), RunnerError> {
        if let Err(errno) = self.group.signal(signal) {
            // Only processes that changed their user (sudo) can refuse; the rest got it.
            self.log.note(format!(
                "could not send {signal} to the whole process group: {}",
                errno.desc()
            ))?;
        }
        Ok(())
    }

    fn reap(&mut self, now: Instant) -> Result<(), RunnerError> {
        self.group.reap();
        if self.group_gone_at.is_some() || !self.group.is_empty() {
            return Ok(());
        }
        self.group_gone_at = Some(now);
        if self
            .reaped_at_exit
            .is_some_and(|reaped| self.group.members_reaped() > reaped)
        {
            self.log
                .note("killed the processes the step left running".to_owned())?;
        }
        Ok(())
    }

    /// Whether the run is over: the group gone and its output read to the end, or the runner
    /// has waited long enough for either.
    fn is_finished(&mut self, now: Instant) -> Result<bool, RunnerError> {
        let Phase::Killed { give_up_at } = self.phase else {
            return Ok(false);
        };
        let reading = self.outputs.iter().any(OutputStream::is_open);
        let note = match self.group_gone_at {
            Some(_) if !reading => return Ok(true),
            Some(gone_at) if now >= gone_at + PIPE_LINGER => {
                "output pipes still open after the process group ended, held by a process that \
                 left the group: stopped reading them"
            }
            None if now >= give_up_at => {
                "processes of the group survived SIGKILL (stuck in the kernel?): stopped waiting \
                 for them"
            }
            _ => return Ok(false),
        };
        for index in 0..self.outputs.len() {
            self.close(index)?;
        }
        self.log.note(note.to_owned())?;
        Ok(true)
    }

    fn read(&mut self, index: usize) -> Result<(), RunnerError> {
        let output = &mut self.outputs[index];
        output.read(&mut self.buffer, &mut self.lines);
        let stream = output.stream();
        self.write_lines(stream)
    }

    fn close(&mut self, index: usize) -> Result<(), RunnerError> {
        let output = &mut self.outputs[index];
        if output.is_open() {
            output.close(&mut self.lines);
        }
        let stream = output.stream();
        self.write_lines(stream)
    }

    fn write_lines(&mut self, stream: Stream) -> Result<(), RunnerError> {
        if self.lines.is_empty() {
            return Ok(());
        }
        self.log
            .write(stream, self.lines.drain(..), Timestamp::now())
    }

    fn outcome(&self) -> StepOutcome {
        match self.ending {
            Some(Ending::TimedOut) => StepOutcome::TimedOut,
            Some(Ending::Canceled) => StepOutcome::Canceled,
            None => match self.group.leader_status() {
                Some(status) if status.success() => StepOutcome::Succeeded,
                _ => {
                    let (exit_code, signal) = self.group.leader_code_and_signal();
                    StepOutcome::Failed { exit_code, signal }
                }
            },
        }
    }
}
