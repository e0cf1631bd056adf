//! A step's process group: the shell that leads it and everything it starts. Signals go to the
//! whole group; every member that becomes this process's child is reaped.
//!
//! Group ids are pids, and pids are reused (`pid_max` is often only 32768), so the group id is
//! only used while it is reserved. The leader is not reaped until the group has had its last
//! signal: while the leader is a zombie its pid cannot be reused, so `killpg` can never hit an
//! unrelated group. Its exit is first noticed with `waitid(WNOWAIT)`, which leaves it a zombie.
//! After the leader is reaped the id stays reserved as long as any member exists; once the group
//! is found empty it is neither signalled nor waited for again, as by then it may name another
//! step's group. (Linux hands out pids cyclically, so a reuse within the few microseconds between
//! checks would need the whole pid space allocated meanwhile.)

use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::Pid;

use crate::reaper::{self, Registration};

/// Bounds each reaping loop: every round reaps one zombie, and a step that forks faster than
/// this is reaped on the next wake-up.
const MAX_REAPS: usize = 1024;

/// A running step's process group.
#[derive(Debug)]
pub(crate) struct ProcessGroup {
    leader: Child,
    pgid: Pid,
    leader_reaped: bool,
    leader_status: Option<ExitStatus>,
    /// Found empty: from then on the group id may be reused, even by another step's group,
    /// so it is not waited for nor signalled any more.
    gone: bool,
    /// How many members other than the leader this process has reaped.
    members_reaped: usize,
    _registration: Registration,
}

impl ProcessGroup {
    /// Spawns `command`, which must start a new process group (`process_group(0)`) and pipe
    /// stdout and stderr.
    pub(crate) fn spawn(command: &mut Command) -> io::Result<ProcessGroup> {
        let (leader, registration) = reaper::spawn_registered(command)?;
        let pgid = Pid::from_raw(i32::try_from(leader.id()).expect("a pid fits in pid_t"));
        Ok(ProcessGroup {
            leader,
            pgid,
            leader_reaped: false,
            leader_status: None,
            gone: false,
            members_reaped: 0,
            _registration: registration,
        })
    }

    /// The leader's pid, which is the group id.
    pub(crate) fn pid(&self) -> u32 {
        self.leader.id()
    }

    /// The read ends of the leader's stdout and stderr pipes; `None` after the first call.
    pub(crate) fn take_pipes(&mut self) -> Option<(ChildStdout, ChildStderr)> {
        Some((self.leader.stdout.take()?, self.leader.stderr.take()?))
    }

    /// Sends `signal` to every process in the group. Once the leader is reaped the group id
    /// may name another group, so nothing is sent any more.
    pub(crate) fn signal(&self, signal: Signal) -> Result<(), Errno> {
        if self.leader_reaped {
            return Ok(());
        }
        match killpg(self.pgid, signal) {
            Err(Errno::ESRCH) => Ok(()),
            result => result,
        }
    }

    /// Whether the leader has exited, without reaping it. Reaps the other members that are
    /// zombie children of this process by now (orphans adopted as subreaper).
    pub(crate) fn leader_exited(&mut self) -> bool {
        if self.leader_reaped {
            return true;
        }
        self.reap_members_while_leader_unreaped();
        loop {
            let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
            match waitid(Id::Pid(self.pgid), flags) {
                Ok(WaitStatus::StillAlive) => return false,
                Err(Errno::EINTR) => {}
                // Exited; or killed by a signal nix has no name for (EINVAL); or reaped behind
                // our back (ECHILD), which only a `waitpid(-1)` elsewhere can do.
                _ => return true,
            }
        }
    }

    /// Reaps zombie members other than the leader. `waitid(WNOWAIT)` names a zombie of the
    /// group without reaping it; it is then reaped by pid unless it is the leader.
    fn reap_members_while_leader_unreaped(&mut self) {
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        for _ in 0..MAX_REAPS {
            match waitid(Id::PGid(self.pgid), flags) {
                Ok(status) => match status.pid() {
                    Some(pid) if pid != self.pgid => {
                        let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
                        self.members_reaped += 1;
                    }
                    // None alive-and-exited, or the leader: it waits for `reap`.
                    _ => return,
                },
                Err(Errno::EINTR) => {}
                Err(_) => return,
            }
        }
    }

    /// Reaps the leader once it has exited, then every zombie member. Call only after the
    /// group's last signal.
    pub(crate) fn reap(&mut self) {
        if self.gone {
            return;
        }
        if !self.leader_reaped {
            match self.leader.try_wait() {
                Ok(Some(status)) => self.leader_status = Some(status),
                Ok(None) => return,
                // Reaped behind our back: the status is lost, the leader is gone all the same.
                Err(_) => {}
            }
            self.leader_reaped = true;
        }
        for _ in 0..MAX_REAPS {
            match waitid(
                Id::PGid(self.pgid),
                WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG,
            ) {
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
                // EINVAL: reaped, with a status nix cannot represent.
                Ok(_) | Err(Errno::EINVAL) => self.members_reaped += 1,
                Err(Errno::EINTR) => {}
                Err(_) => return,
            }
        }
    }

    /// Whether the leader is reaped and no process, zombies included, is left in the group.
    pub(crate) fn is_empty(&mut self) -> bool {
        if !self.gone && self.leader_reaped {
            self.gone = killpg(self.pgid, None) == Err(Errno::ESRCH);
        }
        self.gone
    }

    /// How many members other than the leader this process has reaped so far: orphans adopted
    /// as subreaper.
    pub(crate) fn members_reaped(&self) -> usize {
        self.members_reaped
    }

    /// How the leader exited, once reaped; `None` before, or if someone else reaped it.
    pub(crate) fn leader_status(&self) -> Option<ExitStatus> {
        self.leader_status
    }

    /// The leader's exit code or signal, as the outcome reports them.
    pub(crate) fn leader_code_and_signal(&self) -> (Option<i32>, Option<i32>) {
        self.leader_status
            .map_or((None, None), |status| (status.code(), status.signal()))
    }
}

/// A run that ends early (an error, or its future dropped) still takes its group down; the
/// zombies left then are reaped by a later sweep, once the group is unregistered.
impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let _ = self.signal(Signal::SIGKILL);
    }
}
