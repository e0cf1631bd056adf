//! The loop of `lanes serve` that runs lanes: each commit the server is told about (a
//! delivery, a decision, a poll of the remote, or unfinished work found at start) is driven by
//! a `lanes run` child, one at a time per commit and up to a limit at once. A delivery is
//! marked handled only when its run ended on its own; one cut short stays pending for the
//! next start. Every queued change no live process drives (its `lanes submit` stopped, or it
//! was queued before the server started) is driven by a `lanes queue drive` child.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use lanes_engine::World;
use lanes_server::{Notice, StatusReporter, now};
use lanes_store::Deliveries;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::failure::Failure;
use crate::flow::driving::Driving;
use crate::service::PARENT_VARIABLE;

pub(crate) struct Driver {
    pub(crate) exe: PathBuf,
    pub(crate) repo_dir: PathBuf,
    pub(crate) state_root: PathBuf,
    pub(crate) jobs: usize,
    /// How many commits are driven at once.
    pub(crate) parallel: usize,
    pub(crate) deliveries: Deliveries,
    /// Queues the statuses of the commits it drives, for their hosts.
    pub(crate) reporter: Arc<StatusReporter>,
    /// The driver's own reader of the ledger.
    pub(crate) ledger: tokio::sync::Mutex<lanes_store::Store>,
    /// Fetch `origin` this often and run the head of this remote branch when it moves.
    pub(crate) poll: Option<(Duration, String)>,
}

/// A `lanes run` that ended: its commit, the deliveries it handled, its exit status.
type Ended = (String, Vec<i64>, Option<i32>);

#[derive(Default)]
struct Schedule {
    /// Deliveries waiting for their commit's next run.
    deliveries: BTreeMap<String, Vec<i64>>,
    queue: VecDeque<String>,
    /// Commits being driven, with the pid of their run.
    running: BTreeMap<String, u32>,
    /// Commits told about while being driven: they run again after.
    again: BTreeSet<String>,
    /// Commits whose run ended on its own since the server started: candidates for skipping.
    finished: BTreeSet<String>,
    /// Runs of a commit that failed in a row, for the ones retried.
    tries: BTreeMap<String, u32>,
    /// Commits with a retry pending.
    retrying: BTreeSet<String>,
}

/// How often the statuses of the commits being driven are looked at while they run.
const REPORT_EVERY: Duration = Duration::from_secs(1);
/// How often the acceptance queue is looked at for changes nobody drives.
const QUEUE_EVERY: Duration = Duration::from_secs(2);

/// How often a commit whose `lanes run` failed is tried, and how long apart.
const RETRIES: u32 = 10;
const RETRY_AFTER: Duration = Duration::from_secs(2);

impl Schedule {
    fn add(&mut self, commit: String, delivery: Option<i64>) {
        if let Some(id) = delivery {
            self.deliveries.entry(commit.clone()).or_default().push(id);
        }
        if self.running.contains_key(&commit) {
            self.again.insert(commit);
        } else if !self.queue.contains(&commit) {
            self.queue.push_back(commit);
        }
    }
}

/// Commits with a lane the dispatcher can move without a person: its first stage that is not
/// green is running (its attempt was abandoned), pending, or waiting for anything but an
/// approval. Lanes that only wait for a person (an approval, an interrupted deploy) are left
/// alone: their decision tells the loop. Erring towards running is safe, only slower.
pub(crate) fn commits_to_resume(world: &World) -> Vec<String> {
    use lanes_engine::StageState;
    let mut commits = BTreeSet::new();
    for lane in world.lanes() {
        let movable = lane
            .stages
            .iter()
            .find(|stage| !stage.state.is_green())
            .is_some_and(|stage| match stage.state {
                StageState::Running | StageState::Pending => true,
                StageState::Waiting => !stage
                    .reason
                    .as_deref()
                    .is_some_and(|reason| reason.contains("approval")),
                _ => false,
            });
        if movable {
            commits.insert(lane.commit.clone());
        }
    }
    commits.into_iter().collect()
}

/// Whether `text` is a full commit id (SHA-1 or SHA-256 hex): what webhooks must carry.
fn is_commit_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Ctrl-C and SIGTERM, listened for before the server says where it is: a signal sent as soon
/// as the address is printed must stop it (in `lanes demo` an earlier run's handler would
/// swallow it otherwise).
pub(crate) struct Stops {
    interrupt: Signal,
    terminate: Signal,
}

impl Stops {
    pub(crate) fn listen() -> Result<Self, Failure> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())
                .map_err(|error| Failure::io("listen for Ctrl-C", error))?,
            terminate: signal(SignalKind::terminate())
                .map_err(|error| Failure::io("listen for SIGTERM", error))?,
        })
    }

    async fn received(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

impl Driver {
    /// Drives commits until SIGINT or SIGTERM, then stops the runs (they abandon their
    /// attempts cleanly) and waits for them.
    pub(crate) async fn run(
        self,
        mut notices: mpsc::UnboundedReceiver<Notice>,
        resume: Vec<String>,
        mut stops: Stops,
    ) -> Result<(), Failure> {
        let mut schedule = Schedule::default();
        for delivery in self.deliveries.pending().await.map_err(Failure::store)? {
            if let Some(commit) = delivery.said.commit {
                schedule.add(commit, Some(delivery.id));
            }
        }
        for commit in resume {
            schedule.add(commit, None);
        }
        let mut tasks: JoinSet<Ended> = JoinSet::new();
        let mut retries: JoinSet<String> = JoinSet::new();
        let mut poll = tokio::time::interval(
            self.poll
                .as_ref()
                .map_or(Duration::from_hours(1), |(every, _)| *every),
        );
        let mut polled_head: Option<String> = None;
        let mut report = tokio::time::interval(REPORT_EVERY);
        let mut queue_tick = tokio::time::interval(QUEUE_EVERY);
        let mut queue_drives: BTreeMap<u64, tokio::process::Child> = BTreeMap::new();
        loop {
            self.start_ready(&mut schedule, &mut tasks).await;
            tokio::select! {
                _ = queue_tick.tick() => self.drive_queue(&mut queue_drives).await,
                Some(notice) = notices.recv() => match notice {
                    Notice::Delivery { id, commit } => schedule.add(commit, Some(id)),
                    Notice::Decision { commit } => schedule.add(commit, None),
                },
                Some(ended) = tasks.join_next() => {
                    if let Ok(ended) = ended {
                        self.ended(&mut schedule, &mut retries, ended).await;
                    }
                }
                Some(Ok(commit)) = retries.join_next() => {
                    schedule.retrying.remove(&commit);
                    schedule.add(commit, None);
                }
                _ = poll.tick(), if self.poll.is_some() => {
                    if let Some(head) = self.poll_remote().await
                        && polled_head.as_ref() != Some(&head)
                    {
                        polled_head = Some(head.clone());
                        schedule.add(head, None);
                    }
                }
                _ = report.tick(), if !schedule.running.is_empty() => {
                    for commit in schedule.running.keys() {
                        self.report(commit).await;
                    }
                }
                () = stops.received() => break,
            }
        }
        eprintln!("lanes serve: stopping; running steps are handed back to the ledger");
        for pid in schedule.running.values() {
            if let Ok(pid) = i32::try_from(*pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
        for child in queue_drives.values_mut() {
            if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
        while tasks.join_next().await.is_some() {}
        for child in queue_drives.values_mut() {
            let _ = child.wait().await;
        }
        Ok(())
    }

    /// Starts a `lanes queue drive` child for each queued batch that no live process drives
    /// and no child of this server drives already; forgets the children that ended.
    async fn drive_queue(&self, drives: &mut BTreeMap<u64, tokio::process::Child>) {
        drives.retain(|_, child| matches!(child.try_wait(), Ok(None)));
        let batches: Vec<Vec<u64>> = {
            let mut ledger = self.ledger.lock().await;
            if ledger.refresh().await.is_err() {
                return;
            }
            let mut batches: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
            for change in ledger.world().flow().changes().filter(|c| c.is_queued()) {
                batches.entry(change.batch.0).or_default().push(change.id.0);
            }
            batches.into_values().collect()
        };
        let dir = crate::state_dir::StateDir::at(self.state_root.clone());
        for batch in batches {
            if drives.contains_key(&batch[0]) {
                continue;
            }
            let ids: Vec<lanes_engine::ChangeId> =
                batch.iter().map(|&id| lanes_engine::ChangeId(id)).collect();
            if !matches!(Driving::try_take(&dir, &ids), Ok(Some(_))) {
                continue;
            }
            let mut command = tokio::process::Command::new(&self.exe);
            command
                .arg("-C")
                .arg(&self.repo_dir)
                .args(["queue", "drive", "--jobs", &self.jobs.to_string()])
                .args(batch.iter().map(ToString::to_string))
                .env("LANES_STATE_DIR", &self.state_root)
                .env(PARENT_VARIABLE, std::process::id().to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            match command.spawn() {
                Ok(child) => {
                    drives.insert(batch[0], child);
                }
                Err(error) => {
                    eprintln!("lanes serve: failed to start lanes queue drive: {error}");
                    return;
                }
            }
        }
    }

    async fn start_ready(&self, schedule: &mut Schedule, tasks: &mut JoinSet<Ended>) {
        while schedule.running.len() < self.parallel.max(1) {
            let Some(commit) = schedule.queue.pop_front() else {
                return;
            };
            let deliveries = schedule.deliveries.remove(&commit).unwrap_or_default();
            if !is_commit_id(&commit) || !self.has_commit(&commit).await {
                let _ = self
                    .deliveries
                    .finish(
                        &deliveries,
                        "failed: the commit is not in the served repository",
                        now(),
                    )
                    .await;
                continue;
            }
            if schedule.finished.contains(&commit) && self.lanes_finished(&commit).await {
                // Every lane of the commit is done or stopped: a run would change nothing (and
                // would read the whole ledger to find that out). A new delivery may name a new
                // place for its statuses (a pull request of a pushed commit): they go there too.
                self.report(&commit).await;
                let _ = self
                    .deliveries
                    .finish(
                        &deliveries,
                        "ran before: every lane is done or stopped",
                        now(),
                    )
                    .await;
                continue;
            }
            let mut command = tokio::process::Command::new(&self.exe);
            command
                .arg("-C")
                .arg(&self.repo_dir)
                .args(["run", "--push", "--jobs", &self.jobs.to_string(), &commit])
                .env("LANES_STATE_DIR", &self.state_root)
                .env(PARENT_VARIABLE, std::process::id().to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            match command.spawn() {
                Ok(mut child) => {
                    self.report(&commit).await;
                    schedule
                        .running
                        .insert(commit.clone(), child.id().unwrap_or_default());
                    tasks.spawn(async move {
                        let status = child.wait().await.ok().and_then(|status| status.code());
                        (commit, deliveries, status)
                    });
                }
                Err(error) => {
                    eprintln!("lanes serve: failed to start lanes run: {error}");
                    schedule.deliveries.insert(commit, deliveries);
                    return;
                }
            }
        }
    }

    async fn ended(
        &self,
        schedule: &mut Schedule,
        retries: &mut JoinSet<String>,
        (commit, deliveries, status): Ended,
    ) {
        schedule.running.remove(&commit);
        self.report(&commit).await;
        let tries = if status == Some(1) {
            let tries = schedule.tries.entry(commit.clone()).or_default();
            *tries += 1;
            *tries
        } else {
            0
        };
        let outcome = match status {
            Some(0) => Some("ran: every lane is done or waiting".to_owned()),
            Some(5) => Some("ran: a lane failed or needs a decision".to_owned()),
            // Cut short (the server stopping, or killed): the next start runs it again.
            Some(130) | None => None,
            // Most often another `lanes run` still holds the commit (the run of a server that
            // was killed, finishing its stop): try again a little later.
            Some(1) if tries < RETRIES => {
                // One retry pending per commit, however many runs of it failed meanwhile.
                if schedule.retrying.insert(commit.clone()) {
                    let again = commit.clone();
                    retries.spawn(async move {
                        tokio::time::sleep(RETRY_AFTER).await;
                        again
                    });
                }
                None
            }
            Some(other) => Some(format!(
                "failed: lanes run exited with {other} ({tries} tries)"
            )),
        };
        if outcome.is_some() {
            schedule.tries.remove(&commit);
        }
        match outcome {
            Some(outcome) => {
                let _ = self.deliveries.finish(&deliveries, &outcome, now()).await;
                schedule.finished.insert(commit.clone());
            }
            None => schedule
                .deliveries
                .entry(commit.clone())
                .or_default()
                .extend(deliveries),
        }
        if schedule.again.remove(&commit) {
            schedule.add(commit, None);
        }
    }

    /// Queues the commit's statuses that changed; a failure is said and tried again at the
    /// next report (the outbox is the ledger: nothing queued is lost).
    async fn report(&self, commit: &str) {
        if let Err(error) = self.reporter.report(commit).await {
            eprintln!("lanes serve: failed to {error}");
        }
    }

    /// Whether every lane of the commit is done or stopped (failed, canceled). A proposed lane
    /// is never finished: its commit may have reached a shared branch since, and walks on.
    async fn lanes_finished(&self, commit: &str) -> bool {
        let mut ledger = self.ledger.lock().await;
        if ledger.refresh_and_forget().await.is_err() || ledger.focus(commit).await.is_err() {
            return false;
        }
        let mut lanes = ledger.world().lanes_of_commit(commit).peekable();
        lanes.peek().is_some()
            && lanes.all(|lane| {
                (lane.is_done() && lane.role != lanes_engine::Role::Proposed)
                    || lane.stages.iter().any(|stage| {
                        matches!(
                            stage.state,
                            lanes_engine::StageState::Failed | lanes_engine::StageState::Canceled
                        )
                    })
            })
    }

    /// Whether the commit is in the repository, fetching `origin` once if it is not.
    async fn has_commit(&self, commit: &str) -> bool {
        let object = format!("{commit}^{{commit}}");
        if self.git(&["cat-file", "-e", &object]).await.is_some() {
            return true;
        }
        self.git(&["fetch", "--quiet", "origin"]).await;
        if self.git(&["cat-file", "-e", &object]).await.is_some() {
            return true;
        }
        // A pull request from a fork is on no branch of `origin`; hosts serve it by its id.
        self.git(&["fetch", "--quiet", "origin", commit]).await;
        self.git(&["cat-file", "-e", &object]).await.is_some()
    }

    /// Fetches `origin` and returns the head of the polled branch.
    async fn poll_remote(&self) -> Option<String> {
        let (_, branch) = self.poll.as_ref()?;
        self.git(&["fetch", "--quiet", "origin"]).await;
        let reference = format!("refs/remotes/origin/{branch}");
        self.git(&["rev-parse", "--verify", "--quiet", &reference])
            .await
            .map(|out| out.trim().to_owned())
    }

    /// Runs git in the repository; its stdout when it succeeded.
    async fn git(&self, args: &[&str]) -> Option<String> {
        let output = tokio::process::Command::new("git")
            .arg("-C")
            .arg(&self.repo_dir)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .await
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }
}
