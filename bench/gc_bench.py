#!/usr/bin/env python3
"""Benchmark the disk use of lanes' state directory over many runs, with and without `lanes gc`.

Run from anywhere (paths resolve against the repository this file lives in):

    cargo build --release -p lanes && python3 bench/gc_bench.py

Options (all optional):

    --work DIR          scratch directory, deleted and created afresh (default /tmp/lanes-gc-bench)
    --lanes PATH        the binary (default target/release/lanes)
    --components N      components c000.. (default 100)
    --commits N         commits, each changing a shared file so that every component gets a
                        lane (default 100: 100 x 100 = 10,000 lane runs)
    --hours-per-commit H  the time warp: after each commit every file lanes wrote is made H
                        hours older (mtimes set back), instead of waiting (default 4, so that
                        the 100 commits span 400 hours and `retention.days: 1`, the shortest
                        window there is, holds the last 6 commits)
    --samples N         disk-use samples over the run (default 20)
    --state-root DIR    where the state directories go (default WORK; a tmpfs such as /dev/shm
                        makes the ledger's fsyncs free and the run faster, not the disk use
                        different)
    --json              machine-readable results instead of the markdown table

What it builds, in WORK/repo: a repository with `cNNN/` for every component (a source file and a
64 KiB file, so that a worktree weighs what a small checkout does) and this lanes.yml:

    shared: [shared.txt]
    environments: { prod: {} }
    stages:
      - { name: build, run: ["echo building; head -c 65536 /dev/urandom > $LANES_ARTIFACTS/app.bin"] }
      - { name: production, environment: prod, deploy: "cp $LANES_ARTIFACTS/app.bin $LANES_PLACE/$LANES_COMPONENT.bin" }
    retention: { days: 1 }

Then, twice (without gc, then with gc, each with its own fresh state directory and the same
commits): for each commit, change shared.txt, commit, `lanes run`; with gc, make every item of
the state directory (worktrees, artifacts, logs, vectors) as old as the time warp says (mtime of
the item and of what it holds directly, which is what lanes reads) and run `lanes gc`, as
`lanes serve` does every hour. Disk use is `du -sk` of the state directory (the ledger shown
apart: it is the ledger's own growth, not garbage), sampled --samples times. The floor is the
disk use right after the first commit's runs; each sample is also given as a ratio to it.
Standard library only (Python 3.11).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYOUT = ("artifacts", "logs", "vectors", "worktrees")


def say(message):
    print(f"gc_bench: {message}", file=sys.stderr, flush=True)


def git(repo, *args):
    env = dict(os.environ,
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "-C", repo, *args], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def manifest(names):
    lines = ["version: 1", "shared: [shared.txt]", "components:"]
    lines += [f"  {name}: {{ path: {name} }}" for name in names]
    lines += [
        "environments:",
        "  prod: {}",
        "stages:",
        '  - { name: build, run: ["echo building; head -c 65536 /dev/urandom > $LANES_ARTIFACTS/app.bin"] }',
        '  - { name: production, environment: prod, deploy: "cp $LANES_ARTIFACTS/app.bin $LANES_PLACE/$LANES_COMPONENT.bin" }',
        "retention: { days: 1 }",
    ]
    return "\n".join(lines) + "\n"


def build_repo(repo, n_components):
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    names = [f"c{i:03d}" for i in range(n_components)]
    for name in names:
        os.makedirs(os.path.join(repo, name))
        with open(os.path.join(repo, name, "main.c"), "w") as f:
            f.write(f"int {name};\n")
        with open(os.path.join(repo, name, "data.bin"), "wb") as f:
            f.write(os.urandom(65536))
    with open(os.path.join(repo, "lanes.yml"), "w") as f:
        f.write(manifest(names))
    with open(os.path.join(repo, "shared.txt"), "w") as f:
        f.write("0\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "components")


def du_kib(path):
    if not os.path.exists(path):
        return 0
    out = subprocess.run(["du", "-sk", path], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[0])


def items(state):
    """Every item of the state directory's layout, as gc sees it."""
    found = []
    for kind in LAYOUT:
        top = os.path.join(state, kind)
        if not os.path.isdir(top):
            continue
        for name in os.listdir(top):
            path = os.path.join(top, name)
            if kind == "artifacts":
                found += [os.path.join(path, version) for version in os.listdir(path)]
            else:
                found.append(path)
    return found


def warp(state, born, commit, hours_per_commit, now):
    """Makes each item as old as the commits since it first appeared say."""
    for path in items(state):
        first = born.setdefault(path, commit)
        when = now - (commit - first) * hours_per_commit * 3600
        try:
            for child in os.listdir(path):
                os.utime(os.path.join(path, child), (when, when), follow_symlinks=False)
            os.utime(path, (when, when))
        except FileNotFoundError:
            pass


def run_day(args, repo, state, with_gc):
    env = dict(os.environ, LANES_STATE_DIR=state, NO_COLOR="1")
    shutil.rmtree(state, ignore_errors=True)
    born = {}
    samples = []
    every = max(1, args.commits // args.samples)
    started = time.monotonic()
    for commit in range(args.commits):
        with open(os.path.join(repo, "shared.txt"), "w") as f:
            f.write(f"{commit + 1}\n")
        git(repo, "commit", "-q", "-am", f"change {commit + 1}")
        run = subprocess.run([args.lanes, "-C", repo, "run", "--jobs", "2"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if run.returncode != 0:
            sys.exit(f"gc_bench: lanes run failed ({run.returncode}): {run.stderr}")
        if with_gc:
            warp(state, born, commit, args.hours_per_commit, time.time())
            gc = subprocess.run([args.lanes, "-C", repo, "gc", "--json"], env=env,
                                capture_output=True, text=True)
            if gc.returncode != 0:
                sys.exit(f"gc_bench: lanes gc failed ({gc.returncode}): {gc.stderr}")
        if commit == 0 or (commit + 1) % every == 0 or commit + 1 == args.commits:
            ledger = sum(du_kib(os.path.join(state, name))
                         for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"))
            total = du_kib(state)
            samples.append({"commit": commit + 1, "lane_runs": (commit + 1) * args.components,
                            "kib": total - ledger, "ledger_kib": ledger,
                            "seconds": round(time.monotonic() - started, 1)})
            say(f"{'gc' if with_gc else 'no gc'}: {samples[-1]}")
    git(repo, "worktree", "prune")
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="/tmp/lanes-gc-bench")
    parser.add_argument("--lanes", default=os.path.join(ROOT, "target/release/lanes"))
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--hours-per-commit", type=float, default=4.0)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--state-root")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not os.access(args.lanes, os.X_OK):
        sys.exit(f"gc_bench: no binary at {args.lanes} (cargo build --release -p lanes)")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    state_root = args.state_root or args.work
    results = {}
    for with_gc in (False, True):
        repo = os.path.join(args.work, "repo-gc" if with_gc else "repo")
        build_repo(repo, args.components)
        state = os.path.join(state_root, "state-gc" if with_gc else "state")
        results["gc" if with_gc else "no_gc"] = run_day(args, repo, state, with_gc)
        shutil.rmtree(state, ignore_errors=True)
    shutil.rmtree(args.work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    floor = {name: samples[0]["kib"] for name, samples in results.items()}
    print(f"floor (after the first commit's {args.components} lane runs): "
          f"{floor['no_gc'] / 1024:.1f} MiB without gc, {floor['gc'] / 1024:.1f} MiB with gc\n")
    print("| lane runs | without gc | ratio | with gc | ratio | ledger (gc) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for plain, collected in zip(results["no_gc"], results["gc"]):
        print(f"| {plain['lane_runs']:,} | {plain['kib'] / 1024:.1f} MiB "
              f"| {plain['kib'] / floor['no_gc']:.1f}x "
              f"| {collected['kib'] / 1024:.1f} MiB | {collected['kib'] / floor['gc']:.1f}x "
              f"| {collected['ledger_kib'] / 1024:.1f} MiB |")
    print(f"\nwall clock: {results['no_gc'][-1]['seconds']} s without gc, "
          f"{results['gc'][-1]['seconds']} s with gc")


if __name__ == "__main__":
    main()
