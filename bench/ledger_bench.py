#!/usr/bin/env python3
"""Benchmark what the everyday commands cost on a long ledger against the same commands on an
empty one: opening the ledger must cost what is active, not all history.

Run from anywhere (paths resolve against the repository this file lives in):

    cargo build --release -p lanes && cargo build --release -p lanes-server --bench server_load \\
        && python3 bench/ledger_bench.py

Options (all optional):

    --work DIR       scratch directory, deleted and created afresh (default /tmp/lanes-ledger-bench)
    --lanes PATH     the binary to measure (default target/release/lanes)
    --sizes N,...    ledger sizes in lanes of the filler, 6 events each (default 0,2000,20000,200000:
                     up to 1.2 M events)
    --rounds N       timed runs of each command per size (default 5); medians are reported
    --json           machine-readable results instead of the markdown table

What it builds, per size, in WORK/SIZE: a git repository with five components c00..c04 and the
five stages `pr`, `acceptance`, `integration`, `staging` and `production` (the last gated by an
approval) whose steps are `true`, and a ledger filled by `server_load fill LEDGER LANES`: LANES
lanes of 5 stages, all ended, of commits that are not in the repository (the tool writes real
engine events through the store). Then it opens the ledger once (the first open of a ledger
without a snapshot replays it whole and writes one: reported as `first open`), and times, each
as one process from spawn to exit:

    run       lanes run C          a new commit touching c00: one lane, up to the approval gate
    approve   lanes approve c00 production --as bench
    status    lanes status C --json
    board     lanes board --json
    token     lanes token add reader-N --role viewer
    serve     lanes serve until GET /healthz answers; then its RSS (VmRSS) after one commit page

The ratio column is each size against the empty ledger (size 0) measured in the same run. Standard
library only (Python 3.11).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MANIFEST = """version: 1
identities: { bench: [bench@example.com] }
components:
  c00: { path: c00, approvers: [bench] }
  c01: { path: c01, approvers: [bench] }
  c02: { path: c02, approvers: [bench] }
  c03: { path: c03, approvers: [bench] }
  c04: { path: c04, approvers: [bench] }
environments:
  acceptance: { instances: per-component }
  integration: {}
  staging: {}
  production: { approval: { required: 1, self_approval: true } }
stages:
  - { name: pr, run: ["true"] }
  - { name: acceptance, environment: acceptance, deploy: "true", run: ["true"] }
  - { name: integration, environment: integration, deploy: "true", run: ["true"] }
  - { name: staging, environment: staging, deploy: "true" }
  - { name: production, environment: production, deploy: "true", gate: approval }
"""


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(repo):
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "user.email", "bench@example.com")
    (repo / "lanes.yml").write_text(MANIFEST)
    for n in range(5):
        (repo / f"c{n:02}").mkdir()
        (repo / f"c{n:02}" / "file.txt").write_text("0\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")


def new_commit(repo, n):
    (repo / "c00" / "file.txt").write_text(f"change {n}\n")
    git(repo, "commit", "-q", "-am", f"change {n}")
    out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def timed(argv, env=None, ok=(0,)):
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"{' '.join(argv)} exited with {done.returncode}: {done.stderr.decode()[-2000:]}")
    return took


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def serve_once(lanes, repo, commit):
    """Seconds until /healthz answers, and the RSS after a commit page."""
    port = free_port()
    env = dict(os.environ, LANES_GITHUB_SECRET="bench-secret")
    start = time.perf_counter()
    child = subprocess.Popen([lanes, "-C", str(repo), "serve", "--bind", f"127.0.0.1:{port}"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if child.poll() is not None:
                    sys.exit(f"lanes serve exited with {child.returncode}")
                time.sleep(0.002)
        answered = time.perf_counter() - start
        # One page of the commit (without a token it is refused, but the route reads nothing
        # before that); the RSS is read after the server settled.
        time.sleep(0.5)
        return answered, rss_kb(child.pid)
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)


def measure(args, lanes, work, size):
    repo = work / f"size-{size}" / "repo"
    make_repo(repo)
    ledger = repo / ".git" / "lanes" / "ledger.db"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    filled = {"events": 0, "seconds": 0.0}
    if size:
        load = ROOT / "target" / "release"
        tools = sorted(load.glob("deps/server_load-*"), key=lambda p: p.stat().st_mtime)
        tools = [t for t in tools if os.access(t, os.X_OK) and t.suffix == ""]
        if not tools:
            sys.exit("build the filler first: cargo build --release -p lanes-server --bench server_load")
        out = subprocess.run([str(tools[-1]), "fill", str(ledger), str(size)], check=True,
                             capture_output=True, text=True)
        filled = json.loads(out.stdout.strip().splitlines()[-1])
    # The first open of a ledger without a snapshot replays it whole and writes one.
    first_open = timed([lanes, "-C", str(repo), "board", "--json"])
    result = {"size": size, "events": filled["events"], "first_open": first_open}
    times = {name: [] for name in ["run", "approve", "status", "board", "token"]}
    commits = []
    for n in range(args.rounds):
        commit = new_commit(repo, n)
        commits.append(commit)
        # The lane waits at the approval gate: lanes run exits 0 with it waiting.
        times["run"].append(timed([lanes, "-C", str(repo), "run", commit]))
        times["approve"].append(timed([lanes, "-C", str(repo), "approve", "c00", "production",
                                       "--as", "bench", "--commit", commit]))
        times["status"].append(timed([lanes, "-C", str(repo), "status", commit, "--json"]))
        times["board"].append(timed([lanes, "-C", str(repo), "board", "--json"]))
        times["token"].append(timed([lanes, "-C", str(repo), "token", "add", f"reader-{n}",
                                     "--role", "viewer"]))
    for name, values in times.items():
        result[name] = statistics.median(values)
    serves = [serve_once(lanes, repo, commits[-1]) for _ in range(args.rounds)]
    result["serve"] = statistics.median(s[0] for s in serves)
    result["serve_rss_mb"] = max(s[1] for s in serves) / 1024
    shutil.rmtree(repo.parent)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="/tmp/lanes-ledger-bench")
    parser.add_argument("--lanes", default=str(ROOT / "target" / "release" / "lanes"))
    parser.add_argument("--sizes", default="0,2000,20000,200000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes[0] != 0:
        sizes.insert(0, 0)
    results = [measure(args, args.lanes, work, size) for size in sizes]
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    floor = results[0]
    names = ["run", "approve", "status", "board", "token", "serve"]
    print("| command | " + " | ".join(f"{r['events']:,} events" for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    for name in names:
        cells = []
        for r in results:
            ms = r[name] * 1000
            cells.append(f"{ms:.1f} ms" if r is floor else f"{ms:.1f} ms ({r[name] / floor[name]:.2f}x)")
        print(f"| `{name}` | " + " | ".join(cells) + " |")
    print("| `serve` RSS | " + " | ".join(f"{r['serve_rss_mb']:.0f} MB" for r in results) + " |")
    print("| first open (writes the snapshot) | " +
          " | ".join(f"{r['first_open'] * 1000:.0f} ms" for r in results) + " |")


if __name__ == "__main__":
    main()
