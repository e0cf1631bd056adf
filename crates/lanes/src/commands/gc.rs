//! `lanes gc`: removes what the retention policy does not keep from the state directory, and
//! says what it removed, how much that freed, and (with `--verbose` or `--json`) why the rest
//! stays.

use std::path::Path;

use lanes_engine::KeepReason;

use crate::cli::GcArgs;
use crate::dispatch::now;
use crate::failure::Failure;
use crate::ledger::block_on;
use crate::output::{Output, escaped};
use crate::state_dir::StateDir;
use crate::state_gc::{GcEntry, GcReport, collect};
use crate::workspace::{repository, required_manifest_at};

pub(crate) fn gc(directory: &Path, args: &GcArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let head = repo.resolve_commit("HEAD")?;
    let manifest = required_manifest_at(&repo, head, "HEAD")?;
    let state = StateDir::locate(&repo, args.state.state_dir.as_deref())?;
    let report = block_on(collect(&repo, &state, &manifest, args.dry_run, now()))?;
    if args.json {
        output.json(&report);
    } else {
        print(&report, args.verbose, output);
    }
    for (path, error) in &report.failed {
        output.error(&format!("{error} ({})", escaped(path)), None);
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Reported(1))
    }
}

fn print(report: &GcReport, verbose: bool, output: &Output) {
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for entry in &report.removed {
        output.data(&format!(
            "{verb}  {}  {}",
            entry_path(entry),
            bytes(entry.bytes)
        ));
    }
    if verbose {
        for entry in &report.kept {
            let reasons: Vec<String> = entry.kept.iter().map(KeepReason::describe).collect();
            output.data(&format!(
                "kept  {}  {}  {}",
                entry_path(entry),
                bytes(entry.bytes),
                escaped(&reasons.join(", "))
            ));
        }
    }
    let freed = if report.dry_run {
        "would free"
    } else {
        "freed"
    };
    output.say(&format!(
        "{verb} {} items, {freed} {}; kept {} items ({}), by retention.days = {}",
        report.removed.len(),
        bytes(report.bytes_freed),
        report.kept.len(),
        bytes(report.bytes_kept),
        report.retention_days
    ));
    if report.dry_run && !report.removed.is_empty() {
        output.hint("run `lanes gc` without --dry-run to remove them");
    }
}

fn entry_path(entry: &GcEntry) -> String {
    escaped(&entry.path)
}

/// `512 B`, `12.3 KiB`, `4.0 MiB`, `1.2 GiB`.
fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut value = count;
    let mut unit = 0;
    while value >= 1024 * 1024 && unit + 1 < UNITS.len() {
        value /= 1024;
        unit += 1;
    }
    // One decimal, from integers: `value` is in units of the unit below.
    let tenths = value * 10 / 1024;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}
