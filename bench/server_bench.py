#!/usr/bin/env python3
"""Load benchmark of `lanes serve`: webhook acknowledgements and commit pages under load.

    cargo build --release -p lanes && python3 bench/server_bench.py

What it does, in WORK (default /tmp/lanes-server-bench, made afresh):
  1. a git repository with 5 components (c00..c04) and a lane of 5 stages that pass (`true`);
  2. a ledger holding LANES generated lanes of 5 stages each (default 200,000 lanes =
     1,000,000 stage runs, 1.2 million events), appended through the store by
     `cargo bench -p lanes-server --bench server_load -- fill`;
  3. `lanes serve` on a loopback port over that ledger (GitHub secret from the environment);
  4. webhooks: signed GitHub `push` deliveries of the repository's commit, each with a new
     delivery id, open loop at --webhook-rate per second for --seconds (the load tool counts
     latency from when each request was due); every delivery is recorded in the ledger before
     it is answered, and each asks the dispatcher to run the commit's lanes;
  5. commit pages: the dashboard's page of random generated commits (5 lanes each), open loop
     at --page-rate per second for --seconds, signed in with a viewer token.

Targets (DESIGN.md): webhook p99 under 20 ms at 500 requests per second; commit page p99 under
50 ms with a million stage runs in the ledger. Standard library only (Python 3.11).
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-of-some-length"


def run(*args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs)


def load_tool(*args):
    out = run("cargo", "bench", "--quiet", "-p", "lanes-server", "--bench", "server_load", "--", *args, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/lanes-server-bench")
    parser.add_argument("--lanes-binary", default=str(ROOT / "target/release/lanes"))
    parser.add_argument("--lanes", type=int, default=200_000)
    parser.add_argument("--webhook-rate", type=int, default=500)
    parser.add_argument("--page-rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    repo = work / "repo"
    state = work / "state"
    repo.mkdir(parents=True)
    state.mkdir()
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               LANES_STATE_DIR=str(state), NO_COLOR="1")
    manifest = ["version: 1", "components:"]
    for c in range(5):
        manifest.append(f"  c{c:02}: {{ path: c{c:02} }}")
        (repo / f"c{c:02}").mkdir()
        (repo / f"c{c:02}" / "file.txt").write_text(f"{c}\n")
    manifest += ["environments:", "  test: {}", "  prod: {}", "stages:",
                 '  - { name: pr, run: ["true"] }',
                 '  - { name: acceptance, run: ["true"] }',
                 '  - { name: integration, environment: test, deploy: "true" }',
                 '  - { name: staging, run: ["true"] }',
                 '  - { name: production, environment: prod, deploy: "true" }']
    (repo / "lanes.yml").write_text("\n".join(manifest) + "\n")
    run("git", "init", "-q", "-b", "main", cwd=repo, env=env)
    run("git", "add", "-A", cwd=repo, env=env)
    run("git", "commit", "-q", "-m", "bench", cwd=repo, env=env)
    commit = run("git", "rev-parse", "HEAD", cwd=repo, env=env).stdout.strip()

    started = time.time()
    filled = load_tool("fill", str(state / "ledger.db"), str(args.lanes))
    print(f"ledger: {filled} in {time.time() - started:.0f} s", file=sys.stderr)
    token = run(args.lanes_binary, "-C", str(repo), "token", "add", "bench", "--role", "viewer", env=env).stdout.strip()

    payload = json.loads((ROOT / "tests/fixtures/webhooks/github/push.branch-update.go-playground.json").read_text())
    payload["after"] = commit
    payload["ref"] = "refs/heads/main"
    body = work / "push.json"
    body.write_text(json.dumps(payload))

    serve_env = dict(env, LANES_GITHUB_SECRET=SECRET)
    server = subprocess.Popen([args.lanes_binary, "-C", str(repo), "serve", "--bind", "127.0.0.1:0"],
                              env=serve_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        opened = time.time()
        url = server.stdout.readline().strip()
        print(f"server: {url} ready in {time.time() - opened:.1f} s (replaying the ledger)", file=sys.stderr)
        load_tool("webhooks", url, "50", "2", str(body), SECRET)  # warm-up
        webhook = load_tool("webhooks", url, str(args.webhook_rate), str(args.seconds), str(body), SECRET)
        commits = [f"{random.randrange(args.lanes // 5):040x}" for _ in range(1000)]
        load_tool("pages", url, "20", "2", token, *commits[:10])  # warm-up
        page = load_tool("pages", url, str(args.page_rate), str(args.seconds), token, *commits)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    rows = [("webhook acknowledgement (`POST /webhooks/github`, push)", args.webhook_rate, webhook, 20),
            ("commit page (`GET /commits/<id>`, 5 lanes)", args.page_rate, page, 50)]
    print("| what | asked rate/s | answered/s | errors | statuses | p50 ms | p90 ms | p99 ms | max ms | target p99 |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---|")
    for name, rate, r, target in rows:
        verdict = "met" if r["p99_ms"] < target and r["errors"] == 0 else "missed"
        print(f"| {name} | {rate} | {r['per_second']:.1f} | {r['errors']} | {r['statuses']} | {r['p50_ms']:.2f} | "
              f"{r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} | < {target} ms: {verdict} |")
    print(f"\nledger: {filled['lanes']} generated lanes, {filled['stage_runs']} stage runs, {filled['events']} events")


if __name__ == "__main__":
    main()
