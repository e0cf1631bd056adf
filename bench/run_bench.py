#!/usr/bin/env python3
"""Benchmark the overhead per step of `lanes run` against spawning the same processes with xargs.

Run from anywhere (paths resolve against the repository this file lives in):

    cargo build --release -p lanes && python3 bench/run_bench.py

Options (all optional):

    --work DIR         scratch directory, deleted and created afresh on every run of the script
                       (default /tmp/lanes-run-bench)
    --lanes PATH       the binary to measure (default target/release/lanes)
    --jobs P           parallelism of both sides: `lanes run --jobs P` and `xargs -P P` (default 2)
    --components N     components c000.. (default 500)
    --steps N          `true` steps in the single stage `pr` (default 20): N x components steps
    --rounds N         timed rounds (default 3); each round times both sides once, in an order
                       that alternates from round to round
    --warmup N         untimed rounds first (default 0)
    --state-root DIR   where the per-round state directories go (default WORK/state). Pointing
                       it at a tmpfs (/dev/shm/...) makes fsync free: the difference to the
                       default is what durability costs
    --timeout S        seconds one run may take before the script gives up (default 900)
    --quiet SHARE      before each timed run, wait until other processes use less than SHARE
                       of a CPU over one second (default 0.3) ...
    --quiet-wait S     ... but at most S seconds (default 60; 0 disables the wait), so that the
                       script stays bounded: at most rounds x 2 x (S + the run) seconds
    --syscalls         after timing, one more `lanes run` under `strace -f -c` (seccomp filtered
                       to the syscalls that matter here): how many fsync/fdatasync calls it made
    --json             machine-readable results instead of the markdown table

What it builds, in WORK/repo: a git repository with one commit (a root commit, so every
component gets a lane) holding `cNNN/file.txt` for every component and a `lanes.yml` with
`cNNN: { path: cNNN }` for each and a single stage

    stages:
      - name: pr
        run: ["true", "true", ...]        # --steps times

so that `lanes run` walks components x steps trivial steps (500 x 20 = 10,000 by default).

What it times, each side as one process tree from spawn to exit (wall clock, output to
/dev/null):

    lanes:  LANES_STATE_DIR=STATE_ROOT/round-N  lanes -C WORK/repo run --jobs P
    xargs:  bash -c "printf 'true\\n%.0s' \\$(seq STEPS) | xargs -P P -I{} /bin/sh -c true"

Every lanes round gets a fresh, empty state directory (ledger, logs, working tree), so every
round runs every step; each round's ledger is checked afterwards (every lane done, STEPS
`step_finished` events that passed) and the state directory is removed. lanes runs each step as
`/bin/sh -c <command>` with piped output into a log file; xargs runs the same `/bin/sh -c true`
with the output inherited, so the difference is what lanes adds per step: scheduling, the
runner (process group, pipes, log lines), the ledger (SQLite, WAL, synchronous=FULL) and its
fixed costs (start-up, fingerprints, the working tree, creating the lanes).

Reported: medians (and min/max) of both sides, the overhead per step
(median lanes - median xargs) / STEPS in ms, the ratio of medians, the ledger of the first
round (events by kind, events per step, ledger and WAL size), and the share of a CPU other
processes used during each timed run (from /proc/stat less this script's children; above ~0.1
the machine was not quiet). Target (the project's issue): under 1 ms of overhead per step,
ledger writes included. Standard library only (Python 3.11).
"""
import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_MS_PER_STEP = 1.0
# Syscalls counted by --syscalls (seccomp-filtered, so that the trace stays cheap).
TRACED = ("fsync,fdatasync,sync_file_range,pwrite64,pread64,write,openat,"
          "clone,clone3,execve,wait4,waitid,rename,unlink")


def die(message):
    print(f"run_bench: {message}", file=sys.stderr)
    sys.exit(1)


def say(message):
    print(f"run_bench: {message}", file=sys.stderr, flush=True)


def git(repo, *args):
    env = dict(os.environ,
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "-C", repo, *args], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def manifest(components, steps):
    lines = ["version: 1", "components:"]
    lines += [f"  {name}: {{ path: {name} }}" for name in components]
    lines += ["stages:", "  - name: pr", "    run: [" + ", ".join(['"true"'] * steps) + "]"]
    return "\n".join(lines) + "\n"


def build_repo(repo, n_components, steps):
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    names = [f"c{i:03d}" for i in range(n_components)]
    for name in names:
        os.makedirs(os.path.join(repo, name))
        with open(os.path.join(repo, name, "file.txt"), "w") as f:
            f.write(f"{name}\n")
    with open(os.path.join(repo, "lanes.yml"), "w") as f:
        f.write(manifest(names, steps))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "components")


def cpu_seconds():
    """(seconds the machine's CPUs were busy, seconds this process and its children used), or
    None where /proc/stat is missing: their difference is other work competing for the CPUs."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    busy = sum(fields[:8]) - fields[3] - fields[4]        # everything but idle and iowait
    t = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), t.user + t.system + t.children_user + t.children_system


def wait_quiet(threshold, max_wait):
    """Waits (at most max_wait seconds) until other processes used under `threshold` of a CPU
    over one second; returns the share seen last (None without /proc/stat)."""
    deadline = time.monotonic() + max_wait
    while True:
        before, start = cpu_seconds(), time.monotonic()
        if before is None:
            return None
        time.sleep(1)
        after = cpu_seconds()
        share = max(0.0, ((after[0] - before[0]) - (after[1] - before[1]))
                    / (time.monotonic() - start))
        if share < threshold or time.monotonic() >= deadline:
            return share
        say(f"other processes use {share:.2f} of a CPU: waiting (at most "
            f"{max(0, deadline - time.monotonic()):.0f} s more, --quiet-wait)")


def timed(argv, env, timeout):
    """Runs argv to its end; returns (wall ms, share of a CPU other processes used meanwhile,
    CPU seconds (user + system) of the process tree)."""
    before = cpu_seconds()
    t0 = os.times()
    start = time.perf_counter_ns()
    try:
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        die(f"`{' '.join(argv)}` took more than {timeout} s (--timeout)")
    ms = (time.perf_counter_ns() - start) / 1e6
    after = cpu_seconds()
    t1 = os.times()
    tree_cpu = (t1.children_user + t1.children_system) - (t0.children_user + t0.children_system)
    if done.returncode != 0:
        die(f"`{' '.join(argv)}` failed with status {done.returncode}:\n"
            f"{done.stderr.decode(errors='replace')[-2000:]}")
    others = (None if before is None or after is None else
              max(0.0, ((after[0] - before[0]) - (after[1] - before[1])) / (ms / 1000)))
    return ms, others, tree_cpu


def ledger_stats(state, n_components, steps_total):
    """Checks that the run did every step and returns what its ledger holds."""
    path = os.path.join(state, "ledger.db")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        kinds = dict(con.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind ORDER BY kind"))
        passed = con.execute(
            "SELECT COUNT(*) FROM events WHERE kind = 'step_finished' "
            "AND json_extract(body, '$.passed')").fetchone()[0]
        succeeded = con.execute(
            "SELECT COUNT(*) FROM stage_runs WHERE state = 'succeeded'").fetchone()[0]
        page = con.execute("PRAGMA page_size").fetchone()[0]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
    finally:
        con.close()
    if passed != steps_total or succeeded != n_components:
        die(f"the ledger in {state} holds {passed} passed steps and {succeeded} succeeded "
            f"stages, expected {steps_total} and {n_components}")
    wal = path + "-wal"
    return {
        "events_by_kind": kinds,
        "events": sum(kinds.values()),
        "events_per_step": sum(kinds.values()) / steps_total,
        "ledger_bytes": pages * page,
        "wal_bytes_left": os.path.getsize(wal) if os.path.exists(wal) else 0,
    }


def syscall_profile(lanes, repo, state, jobs, timeout):
    """One `lanes run` under strace -f -c, filtered by seccomp to TRACED: {syscall: calls}."""
    if shutil.which("strace") is None:
        say("--syscalls: no strace on PATH, skipped")
        return None
    out = os.path.join(os.path.dirname(state), "strace.txt")
    env = dict(os.environ, LANES_STATE_DIR=state)
    argv = ["strace", "-f", "--seccomp-bpf", "-c", "-o", out, "-e", f"trace={TRACED}",
            lanes, "-C", repo, "run", "--jobs", str(jobs)]
    ms, _, _ = timed(argv, env, timeout)
    calls = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                calls[m.group(2)] = int(m.group(1))
    return {"wall_ms_under_strace": ms, "calls": calls}


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "samples": xs}


def markdown(r):
    lanes, xargs = r["lanes_ms"], r["xargs_ms"]
    n, p = r["steps_total"], r["jobs"]
    verdict = "met" if r["overhead_ms_per_step"] < TARGET_MS_PER_STEP else "MISSED"
    out = [
        f"{r['components']} components x {r['steps']} steps = {n:,} steps of `true`, "
        f"parallelism {p}, {r['rounds']} interleaved rounds (after {r['warmup']} warm-up), "
        f"state in `{r['state_root']}`:",
        "",
        "| side | median s | min s | max s | wall per step ms | CPU s (median) "
        "| CPU per step ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, wall, cpu in ((f"`lanes run --jobs {p}`", lanes, r["lanes_cpu_ms"]),
                             (f"`xargs -P {p} -I{{}} /bin/sh -c true`", xargs,
                              r["xargs_cpu_ms"])):
        out.append(f"| {label} | {wall['median'] / 1000:.2f} | {wall['min'] / 1000:.2f} "
                   f"| {wall['max'] / 1000:.2f} | {wall['median'] / n:.3f} "
                   f"| {cpu['median'] / 1000:.2f} | {cpu['median'] / n:.3f} |")
    out += [
        "",
        f"**Overhead per step: {r['overhead_ms_per_step']:.3f} ms** "
        f"((median lanes - median xargs) / {n:,}); **ratio {r['ratio']:.2f}x**. "
        f"Target < {TARGET_MS_PER_STEP:g} ms per step: {verdict}. CPU (user + system, the "
        f"whole process tree) added per step: {r['cpu_overhead_ms_per_step']:.3f} ms.",
        "",
    ]
    led = r["ledger"]
    kinds = ", ".join(f"{k} {v:,}" for k, v in led["events_by_kind"].items())
    out.append(f"Ledger of one run: {led['events']:,} events ({led['events_per_step']:.2f} per "
               f"step): {kinds}; {led['ledger_bytes'] / 1e6:.1f} MB.")
    others = [x for x in r["others_cpu_share"] if x is not None]
    if others:
        out.append(f"Other processes used {min(others):.2f}-{max(others):.2f} of a CPU during the "
                   f"timed runs (median {statistics.median(others):.2f}).")
    if r.get("syscalls"):
        s = r["syscalls"]
        calls = ", ".join(f"{k} {v:,}" for k, v in sorted(s["calls"].items()))
        out.append(f"One run under `strace -f -c` ({s['wall_ms_under_strace'] / 1000:.1f} s): "
                   f"{calls}.")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/lanes-run-bench")
    ap.add_argument("--lanes", default=os.path.join(ROOT, "target", "release", "lanes"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--components", type=int, default=500)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--state-root")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--quiet", type=float, default=0.3)
    ap.add_argument("--quiet-wait", type=float, default=60)
    ap.add_argument("--syscalls", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    lanes = os.path.abspath(a.lanes)
    if not os.access(lanes, os.X_OK):
        die(f"no lanes binary at {lanes}: run `cargo build --release -p lanes` first")
    if a.rounds < 1 or a.jobs < 1 or not 1 <= a.components <= 1000 or a.steps < 1:
        die("--rounds, --jobs and --steps must be at least 1, --components 1..1000")
    if shutil.which("xargs") is None:
        die("no xargs on PATH")

    work = os.path.abspath(a.work)
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    state_root = os.path.abspath(a.state_root or os.path.join(work, "state"))
    os.makedirs(state_root, exist_ok=True)
    repo = os.path.join(work, "repo")
    say(f"building {a.components} components x {a.steps} steps in {repo}")
    build_repo(repo, a.components, a.steps)
    steps_total = a.components * a.steps

    lanes_argv = [lanes, "-C", repo, "run", "--jobs", str(a.jobs)]
    xargs_argv = ["bash", "-c",
                  f"printf 'true\\n%.0s' $(seq {steps_total}) | "
                  f"xargs -P {a.jobs} -I{{}} /bin/sh -c true"]
    samples = {"lanes": [], "xargs": []}
    cpu_samples = {"lanes": [], "xargs": []}
    others = []
    ledger = None
    load_before = os.getloadavg()
    for r in range(a.warmup + a.rounds):
        timed_round = r >= a.warmup
        order = ["lanes", "xargs"] if r % 2 == 0 else ["xargs", "lanes"]
        for side in order:
            if a.quiet_wait > 0:
                wait_quiet(a.quiet, a.quiet_wait)
            if side == "lanes":
                state = tempfile.mkdtemp(prefix=f"round-{r}-", dir=state_root)
                env = dict(os.environ, LANES_STATE_DIR=state)
                ms, busy, cpu = timed(lanes_argv, env, a.timeout)
                stats = ledger_stats(state, a.components, steps_total)
                if ledger is None and timed_round:
                    ledger = stats
                shutil.rmtree(state)
            else:
                ms, busy, cpu = timed(xargs_argv, dict(os.environ), a.timeout)
            label = "round" if timed_round else "warm-up"
            say(f"{label} {r + 1}: {side} {ms / 1000:.2f} s, CPU {cpu:.2f} s "
                f"(other processes: {'?' if busy is None else f'{busy:.2f}'} CPU)")
            if timed_round:
                samples[side].append(ms)
                cpu_samples[side].append(cpu * 1000)
                others.append(busy)
    syscalls = None
    if a.syscalls:
        state = tempfile.mkdtemp(prefix="strace-", dir=state_root)
        syscalls = syscall_profile(lanes, repo, state, a.jobs, a.timeout)
        shutil.rmtree(state)

    lanes_ms, xargs_ms = summary(samples["lanes"]), summary(samples["xargs"])
    lanes_cpu, xargs_cpu = summary(cpu_samples["lanes"]), summary(cpu_samples["xargs"])
    result = {
        "lanes": lanes,
        "jobs": a.jobs,
        "components": a.components,
        "steps": a.steps,
        "steps_total": steps_total,
        "rounds": a.rounds,
        "warmup": a.warmup,
        "state_root": state_root,
        "commands": {"lanes": "LANES_STATE_DIR=<fresh> " + " ".join(lanes_argv),
                     "xargs": xargs_argv[2]},
        "machine": {"nproc": os.cpu_count(), "platform": platform.platform(),
                    "bin_sh": os.path.realpath("/bin/sh")},
        "loadavg_before_after": (load_before, os.getloadavg()),
        "others_cpu_share": others,
        "lanes_ms": lanes_ms,
        "xargs_ms": xargs_ms,
        "lanes_cpu_ms": lanes_cpu,
        "xargs_cpu_ms": xargs_cpu,
        "overhead_ms_per_step": (lanes_ms["median"] - xargs_ms["median"]) / steps_total,
        "cpu_overhead_ms_per_step": (lanes_cpu["median"] - xargs_cpu["median"]) / steps_total,
        "ratio": lanes_ms["median"] / xargs_ms["median"],
        "target_ms_per_step": TARGET_MS_PER_STEP,
        "ledger": ledger,
        "syscalls": syscalls,
    }
    if a.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        print(markdown(result))


if __name__ == "__main__":
    main()
