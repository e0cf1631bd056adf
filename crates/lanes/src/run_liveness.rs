//! Whether a recorded `lanes run` still has its process: a run whose process is gone left its
//! running attempts abandoned, for the next run of its commit to recover. Read from `/proc`.

use lanes_store::RunRecord;

/// How far the start of a run's process may seem to be after the run's record: the boot time
/// the kernel reports is whole seconds, and the clock may have been set since.
const START_SLACK_MS: i64 = 2_000;

/// Whether the process that began `run` is alive and still the same process: a pid taken by a
/// process that started after the run was recorded was given out again, after the run's
/// process died. A zombie is dead.
pub(crate) fn is_alive(run: &RunRecord) -> bool {
    if run.pid == std::process::id() {
        return true;
    }
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", run.pid)) else {
        return false;
    };
    // The command name may hold spaces and parentheses: the fields after it are what counts.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return false;
    };
    let fields: Vec<&str> = fields.split_whitespace().collect();
    if fields
        .first()
        .is_none_or(|state| *state == "Z" || *state == "X")
    {
        return false;
    }
    // Field 22 of stat, the 20th after the name: when the process started, in clock ticks
    // since boot.
    let started = fields.get(19).and_then(|ticks| ticks.parse::<i64>().ok());
    match (started, boot_time_ms(), clock_ticks_per_second()) {
        (Some(ticks), Some(boot), Some(hz)) => {
            boot + ticks * 1000 / hz <= run.started_at + START_SLACK_MS
        }
        // Without the clock of its start, the pid alone says it lives.
        _ => true,
    }
}

/// When the machine booted, in milliseconds since the epoch (`btime` of `/proc/stat`).
fn boot_time_ms() -> Option<i64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let seconds = stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse::<i64>()
        .ok()?;
    Some(seconds * 1000)
}

fn clock_ticks_per_second() -> Option<i64> {
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    (hz > 0).then_some(hz)
}
