//! Process-wide bookkeeping that keeps killed steps from leaving zombies.
//!
//! When a step's shell dies before its children, the kernel re-parents them to the nearest
//! "child subreaper", else to PID 1. In a container PID 1 is often a process that never calls
//! `wait` (or lanes itself), so those orphans would stay zombies forever. The runner therefore
//! makes this process a subreaper and reaps what it adopts itself.
//!
//! Reaping must never take a child that other code waits for: tokio, `std::process` and the git
//! commands of `lanes-git` each wait for their own pid, and a `waitpid(-1)` here would steal
//! their exit statuses. So nothing here ever waits for "any child". Each step reaps only its own
//! process group (see [`ProcessGroup`](crate::process_group::ProcessGroup)), and the sweep below
//! reaps only zombie children that are in neither this process's group (where children of
//! other code live) nor a running step's group. Those are processes that escaped a step's group
//! (`setsid` daemons) and died after being adopted, or remains of a step whose run was dropped.

use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard, Once, PoisonError, RwLock};
use std::time::{Duration, Instant};

use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::{Pid, getpgrp};

/// Process group ids of the steps running now.
static RUNNING_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Held for reading from a step's spawn until its group is registered, and for writing by the
/// sweep: a step whose shell exits at once would otherwise be an unregistered zombie to the
/// sweep, which would take its exit status.
static SPAWNING: RwLock<()> = RwLock::new(());

/// How often at most the sweep looks for orphans: it reads `/proc`, which after every step would
/// double the runner's overhead on a trivial one.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// When the last sweep ran.
static LAST_SWEEP: Mutex<Option<Instant>> = Mutex::new(None);

/// Makes this process a child subreaper, once; where that is unsupported, orphans go to PID 1
/// as usual.
pub(crate) fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        let _ = nix::sys::prctl::set_child_subreaper(true);
    });
}

/// A running step's process group, registered until dropped.
#[derive(Debug)]
pub(crate) struct Registration {
    pgid: i32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut groups = running_groups();
        if let Some(index) = groups.iter().position(|&pgid| pgid == self.pgid) {
            groups.swap_remove(index);
        }
    }
}

/// Spawns `command`, which must put the child in a new process group of its own, and registers
/// that group before any sweep can look at the child.
pub(crate) fn spawn_registered(command: &mut Command) -> std::io::Result<(Child, Registration)> {
    let _spawning = SPAWNING.read().unwrap_or_else(PoisonError::into_inner);
    let child = command.spawn()?;
    let pgid = i32::try_from(child.id()).expect("a pid fits in pid_t");
    running_groups().push(pgid);
    Ok((child, Registration { pgid }))
}

/// Reaps zombie children that belong to no running step and not to this process's own group,
/// unless a sweep ran less than [`SWEEP_INTERVAL`] ago. Without `/proc` (not Linux) it does
/// nothing.
pub(crate) fn sweep_orphans() {
    {
        let Ok(mut last) = LAST_SWEEP.try_lock() else {
            // Another step sweeps right now.
            return;
        };
        let now = Instant::now();
        if last.is_some_and(|last| now.duration_since(last) < SWEEP_INTERVAL) {
            return;
        }
        *last = Some(now);
    }
    let own_group = getpgrp().as_raw();
    let _no_spawns = SPAWNING.write().unwrap_or_else(PoisonError::into_inner);
    let groups = running_groups();
    for pid in children() {
        let Some((state, group)) = state_and_group(pid) else {
            continue;
        };
        if state == 'Z' && group != own_group && !groups.contains(&group) {
            // Ours alone to reap (see the module docs), so its pid cannot have been reused.
            let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
        }
    }
}

fn running_groups() -> MutexGuard<'static, Vec<i32>> {
    RUNNING_GROUPS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// The children of every thread of this process (adopted orphans go to any of them).
fn children() -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(
                list.split_whitespace()
                    .filter_map(|pid| pid.parse::<i32>().ok()),
            );
        }
    }
    pids
}

/// The state letter and process group of `pid`, from `/proc/<pid>/stat`.
fn state_and_group(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may hold spaces and parentheses: parse after the last ')'.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _parent = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, group))
}
