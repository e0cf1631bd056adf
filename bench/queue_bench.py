#!/usr/bin/env python3
"""Replay a day of changes through `lanes submit`: the queue split by component against one shared queue.

Run from anywhere (paths resolve against the repository this file lives in):

    cargo build --release -p lanes && python3 bench/queue_bench.py

Options (all optional):

    --changes N        branches submitted (default 200)
    --components N     components src/c0.. (default 8)
    --fail-rate F      share of the changes that fail their `pr` stage (default 0.05; rounded to
                       a whole number of changes)
    --rate R           changes arriving per minute, a Poisson process (default 60: busy but
                       not saturated on 2 cores; at 120 the split queue falls behind for good)
    --seed S           seeds the branches, the broken ones and the arrival times (default 1)
    --modes LIST       which queues, in order (default component,shared)
    --pr-sleep S       seconds the `pr` stage sleeps (default 0.2)
    --accept-sleep S   seconds the `acceptance` stage sleeps (default 0.3)
    --jobs N           `lanes submit -j N` (default 2)
    --work DIR         scratch directory, deleted and created afresh (default /tmp/lanes-queue-bench)
    --lanes PATH       the binary to measure (default target/release/lanes); it is copied into
                       WORK first, so a rebuild during the run does not change what is measured
    --timeout S        seconds one mode may take from its first arrival; then the submits still
                       running are ended and counted as unfinished (default 3600)
    --stall S          restart a submit that is stuck: nothing queued ahead of its change in the
                       ledger, and no output for S seconds, or for the two stages' sleeps and 5 s
                       when that is longer (a submit is silent while a stage runs) (default 5; 0
                       never restarts). Works
                       around the lost wake-up (bug 1 in BENCHMARKS.md, "lanes submit"); counted
                       as "stuck, restarted"
    --no-resubmit      do not start a submit again that exited 1 because another submit ran at
                       the same time (a ledger conflict, git's lock on refs/remotes/origin/*, or
                       another submit's `git worktree prune`: bugs 2 to 4 in BENCHMARKS.md); by
                       default it is, and counted as "exit 1 on a race, resubmitted"
    --json             machine-readable results instead of the markdown table

What it builds, once per mode, in WORK/<mode>: a bare repository `origin.git` and a clone `repo`
whose `main` (pushed to origin) holds `src/c0`..`src/cN` and this `lanes.yml`:

    version: 1
    branches: { default: main }
    components: { c0: { path: src/c0 }, ... }
    environments:
      accept: { instances: per-component }
    queue: { split: component }            # or shared
    stages:
      - name: pr
        run: ["sleep 0.2; for f in \"$LANES_COMPONENT_PATH\"/broken-*; do ...exit 1; done"]
      - name: acceptance
        environment: accept
        deploy: "true"
        run: ["sleep 0.3"]
        on_success: merge-default

and local branches `change-000`.. each made from that first `main`, each adding one new file
under 1 or 2 random components (so no two changes conflict). The broken ones add a file
`broken-NNN` too, which makes the `pr` stage of that component exit 1. The branches, which
ones are broken and the arrival times come from the seed only, so both modes replay the same
day. Git runs with HOME, the author and committer set by the script, so the machine's git
configuration does not matter.

What it runs: at each arrival time, `lanes -C repo submit --until-merged -j JOBS change-NNN`
in the background (its own process, as each developer would), then it waits for them all.
Exit status 0 means merged and 5 evicted. Anything else is reported as a PROBLEM (and makes the
script exit 1): another exit status, a change still queued at the end, a merged change that was
meant to fail or the other way round, or a `main` on origin whose files are not exactly those of
the merged changes. Two exceptions, counted: a submit that exits 1 on a race with another
submit is started again (see --no-resubmit), and one that is stuck is killed and started again
(see --stall). Submitting a branch again resumes its change, so its `submitted_at` stays.

Reported per mode, from the ledger (`.git/lanes/ledger.db`, table `changes`): merged and
evicted counts, the time from submit to merge of the merged changes (median, p90, max), from
submit to eviction of the evicted ones (median), the wall time from the first arrival to the
last exit, the restarts above, how many intermediate commits were built per change (`candidate_built` events), the
changes whose passed candidate was carried onto a moved `main` (`candidate_carried`), the time
changes spent accepted on top of a failing change touching none of their components (summed
over changes, and how many changes: from each `candidate_built`'s `includes`, standing until the
change's next candidate or its end), the CPU the submits used, and the CPU other processes used
meanwhile. Standard library only
(Python 3.11).
"""
import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = ("component", "shared")
# What a `lanes submit` that exits 1 because of another submit running at the same time says
# (bugs 2 to 4 in BENCHMARKS.md); the script submits the branch again.
RACES = {"ledger conflict": "another process appended since this store read it",
         "ref lock": "cannot lock ref 'refs/remotes/origin/",
         "worktree prune": "fatal: could not open '.git/worktrees/"}
BROKEN_CHECK = ('for f in "$LANES_COMPONENT_PATH"/broken-*; do '
                'if [ -e "$f" ]; then echo "broken: $f"; exit 1; fi; done')


def die(message):
    print(f"queue_bench: {message}", file=sys.stderr)
    sys.exit(1)


def say(message):
    print(f"queue_bench: {message}", file=sys.stderr, flush=True)


def base_env(home):
    """The environment of every git and lanes process: no machine or user git configuration."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "LANES_")) and k not in ("NO_COLOR", "CLICOLOR_FORCE")}
    env.update(HOME=home, NO_COLOR="1", GIT_CONFIG_NOSYSTEM="1",
               GIT_CONFIG_GLOBAL=os.path.join(home, ".gitconfig"),
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


def git(env, cwd, *args, stdin=None):
    done = subprocess.run(["git", *args], cwd=cwd, env=env, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if done.returncode != 0:
        die(f"git {' '.join(args)} in {cwd} failed:\n{done.stderr.decode(errors='replace')}")
    return done.stdout.decode()


def manifest(n_components, split, pr_sleep, accept_sleep):
    lines = ["version: 1", "branches: { default: main }", "components:"]
    lines += [f"  c{i}: {{ path: src/c{i} }}" for i in range(n_components)]
    lines += [
        "environments:",
        "  accept: { instances: per-component }",
        f"queue: {{ split: {split} }}",
        "stages:",
        "  - name: pr",
        f"    run: [{json.dumps(f'sleep {pr_sleep}; ' + BROKEN_CHECK)}]",
        "  - name: acceptance",
        "    environment: accept",
        '    deploy: "true"',
        f'    run: ["sleep {accept_sleep}"]',
        "    on_success: merge-default",
    ]
    return "\n".join(lines) + "\n"


def plan_day(n_changes, n_components, fail_rate, rate_per_min, seed):
    """The day, from the seed alone: per change its components, whether it is broken, and its
    arrival time in seconds after the first."""
    rng = random.Random(seed)
    changes = []
    for i in range(n_changes):
        k = rng.choice((1, 2)) if n_components > 1 else 1
        changes.append({"index": i, "branch": f"change-{i:03d}",
                        "components": sorted(rng.sample(range(n_components), k)),
                        "broken": False})
    n_broken = round(n_changes * fail_rate)
    for i in rng.sample(range(n_changes), n_broken):
        changes[i]["broken"] = True
    t = 0.0
    for change in changes:
        change["arrival"] = t
        t += rng.expovariate(rate_per_min / 60.0)
    return changes


def fast_import_stream(changes, n_components, lanes_yml):
    """A `git fast-import` stream: `main` with the components, then one branch per change."""
    out = []

    def blob(text):
        data = text.encode()
        out.append(b"data %d\n" % len(data) + data + b"\n")

    def commit(ref, mark, message, files, parent=None):
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(b"author Bench <bench@example.com> 1767225600 +0000\n")
        out.append(b"committer Bench <bench@example.com> 1767225600 +0000\n")
        blob(message)
        if parent is not None:
            out.append(f"from :{parent}\n".encode())
        for path, text in files:
            out.append(f"M 100644 inline {path}\n".encode())
            blob(text)

    files = [("lanes.yml", lanes_yml)]
    files += [(f"src/c{i}/README", f"component c{i}\n") for i in range(n_components)]
    commit("refs/heads/main", 1, "components\n", files)
    for change in changes:
        i = change["index"]
        files = [(f"src/c{c}/change-{i:03d}.txt", f"change {i}\n") for c in change["components"]]
        if change["broken"]:
            files.append((f"src/c{change['components'][0]}/broken-{i:03d}", "fails pr\n"))
        commit(f"refs/heads/{change['branch']}", i + 2, f"change {i}\n", files, parent=1)
    return b"".join(out)


def build_repo(work, env, changes, n_components, lanes_yml):
    origin = os.path.join(work, "origin.git")
    repo = os.path.join(work, "repo")
    os.makedirs(repo)
    git(env, work, "init", "-q", "--bare", "-b", "main", origin)
    git(env, repo, "init", "-q", "-b", "main")
    git(env, repo, "fast-import", "--quiet",
        stdin=fast_import_stream(changes, n_components, lanes_yml))
    git(env, repo, "reset", "-q", "--hard", "main")
    git(env, repo, "remote", "add", "origin", origin)
    git(env, repo, "push", "-q", "origin", "main")
    return repo, origin


def cpu_seconds():
    """(seconds the machine's CPUs were busy, seconds this process and its children used)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    busy = sum(fields[:8]) - fields[3] - fields[4]        # everything but idle and iowait
    t = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), t.user + t.system + t.children_user + t.children_system


def p90(xs):
    s = sorted(xs)
    return s[max(0, -(-9 * len(s) // 10) - 1)]   # nearest rank


def queued_ahead(rows, change_id, split):
    """The queued changes the engine makes `change_id` wait for (`queue_plan`: earlier, still
    queued, sharing a component, or any earlier one in a shared queue)."""
    mine = rows.get(change_id)
    if mine is None:
        return None
    return [i for i, (state, comps) in rows.items()
            if i < change_id and state == "queued"
            and (split == "shared" or comps & mine[1])]


def ledger_rows(repo):
    """{change id: (state, set of components)} and {branch: change id}, read while lanes runs."""
    path = os.path.join(repo, ".git", "lanes", "ledger.db")
    if not os.path.exists(path):
        return {}, {}
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = con.execute("SELECT id, branch, state, components FROM changes").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}, {}
    return ({r[0]: (r[2], set(json.loads(r[3]))) for r in rows},
            {r[1]: r[0] for r in rows if r[2] == "queued"})


def tail(path, size=2000):
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - size))
        return f.read().decode(errors="replace")


def replay(lanes, repo, env, changes, jobs, timeout, logs, split, stall, resubmit):
    """Starts every submit at its arrival time and waits for all; returns per branch the exit
    status (None: ended by the timeout), the branches restarted as stuck, those submitted again
    after exiting 1 on a race, and the wall time.

    With `stall` > 0, a submit whose change has nothing queued ahead of it in the ledger but
    whose output has not grown for `stall` seconds is stuck (bug 1 in BENCHMARKS.md: it
    waits for a change that has already merged and never wakes up; bug 5: it ignores SIGINT
    and SIGTERM by then). It is killed (SIGKILL: it runs no step while it waits) and the same
    `lanes submit` started again, which resumes the change where it stood. With `resubmit`, a
    submit that exits 1 on a race with another submit (RACES) is started again the same way."""
    os.makedirs(logs)
    running, status, restarted, crashed = {}, {}, [], []
    start = time.monotonic()
    pending = list(changes)
    deadline = start + timeout
    last_check = start

    def spawn(branch):
        log = open(os.path.join(logs, branch + ".log"), "ab")
        argv = [lanes, "-C", repo, "submit", "--until-merged", "-j", str(jobs), branch]
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        # [process, log, log size seen last, when it last grew]
        running[branch] = [proc, log, 0, time.monotonic()]

    while pending or running:
        now = time.monotonic()
        while pending and now - start >= pending[0]["arrival"]:
            spawn(pending.pop(0)["branch"])
        for branch, entry in list(running.items()):
            proc, log = entry[0], entry[1]
            if proc.poll() is None:
                continue
            log.close()
            del running[branch]
            race = None
            if proc.returncode == 1 and resubmit:
                last = tail(log.name)
                race = next((name for name, text in RACES.items() if text in last), None)
            if race:
                say(f"{split}: {branch}: `lanes submit` exited 1 ({race}): submitting again")
                with open(log.name, "ab") as f:
                    f.write(f"[queue_bench: exit 1 ({race}), submitting again]\n".encode())
                crashed.append((branch, race))
                spawn(branch)
            else:
                status[branch] = proc.returncode
        if stall > 0 and running and now - last_check >= 0.5:
            last_check = now
            rows, ids = ledger_rows(repo)
            for branch, entry in list(running.items()):
                size = os.fstat(entry[1].fileno()).st_size
                if size != entry[2]:
                    entry[2], entry[3] = size, now
                    continue
                change = ids.get(branch)
                if change is None or now - entry[3] < stall:
                    continue
                if queued_ahead(rows, change, split) == []:
                    say(f"{split}: change {change} ({branch}) has nothing ahead and has been "
                        f"silent for {now - entry[3]:.1f} s: restarting its submit")
                    entry[0].kill()
                    entry[0].wait()
                    entry[1].write(b"\n[queue_bench: killed as stuck, submitting again]\n")
                    entry[1].close()
                    restarted.append(branch)
                    spawn(branch)
        if now > deadline:
            say(f"--timeout {timeout} s reached: ending {len(running)} submits still running")
            for branch, entry in running.items():
                entry[0].kill()      # SIGKILL: a waiting submit ignores SIGINT and SIGTERM
                entry[0].wait()
                status[branch] = None
                entry[1].close()
            for change in pending:
                status[change["branch"]] = None
            break
        next_arrival = start + pending[0]["arrival"] if pending else now + 0.05
        time.sleep(max(0.005, min(0.05, next_arrival - time.monotonic())))
    return status, restarted, crashed, time.monotonic() - start


def read_ledger(repo):
    path = os.path.join(repo, ".git", "lanes", "ledger.db")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT id, branch, state, submitted_at, finished_at, reason, "
                           "components FROM changes ORDER BY id").fetchall()
        try:
            built = dict(con.execute(
                "SELECT json_extract(body, '$.group[0]'), COUNT(*) FROM events "
                "WHERE kind = 'candidate_built' GROUP BY 1").fetchall())
            candidates = con.execute(
                "SELECT json_extract(body, '$.group'), json_extract(body, '$.includes'), "
                "json_extract(body, '$.at') FROM events WHERE kind = 'candidate_built' "
                "ORDER BY id").fetchall()
            carried = dict(con.execute(
                "SELECT json_extract(body, '$.group[0]'), COUNT(*) FROM events "
                "WHERE kind = 'candidate_carried' GROUP BY 1").fetchall())
        except sqlite3.Error:
            built, candidates, carried = {}, [], {}
    finally:
        con.close()
    ledger = [{"id": r[0], "branch": r[1], "state": r[2], "submitted_at": r[3],
               "finished_at": r[4], "reason": r[5], "components": set(json.loads(r[6])),
               "candidates": built.get(r[0], 0), "carried": carried.get(r[0], 0)}
              for r in rows]
    waited_on_unrelated_failures(ledger, candidates)
    return ledger


def waited_on_unrelated_failures(ledger, candidates):
    """Sets, per change, `unrelated_wait_ms`: how long it was being accepted on top of a
    change that failed (was evicted) and touches none of its components. Measured from the
    ledger: each `candidate_built` of the change stands from when it was built until the next
    one (or the change's end), and counts when the changes it was built on (`includes`) hold
    such a failing change."""
    by_id = {row["id"]: row for row in ledger}
    per_change = {}
    for group, includes, at in candidates:
        for member in json.loads(group):
            per_change.setdefault(member, []).append((at, json.loads(includes)))
    for row in ledger:
        total = 0
        built = per_change.get(row["id"], [])
        for i, (at, includes) in enumerate(built):
            end = built[i + 1][0] if i + 1 < len(built) else row["finished_at"]
            if end is None:
                continue
            if any(by_id.get(other, {}).get("state") == "evicted"
                   and not (by_id[other]["components"] & row["components"])
                   for other in includes):
                total += max(0, end - at)
        row["unrelated_wait_ms"] = total


def check(changes, status, ledger, env, origin):
    """Everything that should hold after a replay; returns the problems found."""
    problems = []
    by_branch = {row["branch"]: row for row in ledger}
    for change in changes:
        branch, code = change["branch"], status.get(change["branch"])
        row = by_branch.get(branch)
        if code not in (0, 5):
            problems.append(f"{branch}: `lanes submit` exited with {code} (logs/{branch}.log)")
        if row is None:
            problems.append(f"{branch}: not in the ledger")
            continue
        expected = "evicted" if change["broken"] else "merged"
        if row["state"] != expected:
            problems.append(f"{branch} (change {row['id']}): {row['state']}, expected "
                            f"{expected}" + (f" ({row['reason']})" if row["reason"] else ""))
        if code in (0, 5) and (code == 0) != (row["state"] == "merged"):
            problems.append(f"{branch}: exit {code} but the ledger says {row['state']}")
    files = set(git(env, origin, "ls-tree", "-r", "--name-only", "main").split())
    want = {"lanes.yml"} | {p for p in files if p.endswith("/README")}
    for change in changes:
        row = by_branch.get(change["branch"])
        if row and row["state"] == "merged":
            i = change["index"]
            want |= {f"src/c{c}/change-{i:03d}.txt" for c in change["components"]}
    if files != want:
        problems.append(f"origin main holds {len(files - want)} files of unmerged changes and "
                        f"misses {len(want - files)} of merged ones")
    return problems


def run_mode(args, mode, changes, lanes):
    work = os.path.join(args.work, mode)
    home = os.path.join(work, "home")
    os.makedirs(home)
    env = base_env(home)
    lanes_yml = manifest(args.components, mode, args.pr_sleep, args.accept_sleep)
    repo, origin = build_repo(work, env, changes, args.components, lanes_yml)
    say(f"{mode}: {len(changes)} changes over {changes[-1]['arrival']:.0f} s of arrivals")
    before = cpu_seconds()
    t0 = os.times()
    stall = max(args.stall, args.pr_sleep + args.accept_sleep + 5) if args.stall > 0 else 0
    status, restarted, crashed, wall = replay(
        lanes, repo, env, changes, args.jobs, args.timeout, os.path.join(work, "logs"), mode,
        stall, not args.no_resubmit)
    t1 = os.times()
    after = cpu_seconds()
    own_cpu = (t1.children_user + t1.children_system) - (t0.children_user + t0.children_system)
    others = None
    if before and after:
        others = max(0.0, ((after[0] - before[0]) - (after[1] - before[1])) / wall)
    ledger = read_ledger(repo)
    problems = check(changes, status, ledger, env, origin)
    merged = [r for r in ledger if r["state"] == "merged"]
    evicted = [r for r in ledger if r["state"] == "evicted"]
    to_merge = [(r["finished_at"] - r["submitted_at"]) / 1000 for r in merged]
    to_evict = [(r["finished_at"] - r["submitted_at"]) / 1000 for r in evicted]
    result = {
        "mode": mode,
        "changes": len(changes),
        "merged": len(merged),
        "evicted": len(evicted),
        "restarted": len(restarted),
        "restarted_branches": restarted,
        "resubmitted": {name: sum(1 for _, r in crashed if r == name) for name in RACES},
        "resubmitted_branches": crashed,
        "unfinished": sum(1 for c in changes if status.get(c["branch"]) is None),
        "exit_codes": {str(k): v for k, v in sorted(
            ((code, sum(1 for s in status.values() if s == code)) for code in
             set(status.values())), key=lambda kv: str(kv[0]))},
        "merge_s": {"median": statistics.median(to_merge), "p90": p90(to_merge),
                    "max": max(to_merge), "mean": statistics.fmean(to_merge)} if to_merge else None,
        "evict_s_median": statistics.median(to_evict) if to_evict else None,
        "wall_s": wall,
        "candidates_per_change": (sum(r["candidates"] for r in ledger) / len(ledger)
                                  if ledger else None),
        "carried": sum(r["carried"] for r in ledger),
        "unrelated_failure_wait_s": sum(r["unrelated_wait_ms"] for r in ledger) / 1000,
        "unrelated_failure_waiters": sum(1 for r in ledger if r["unrelated_wait_ms"] > 0),
        "submit_cpu_s": own_cpu,
        "others_cpu_share": others,
        "problems": problems,
        "work": work,
        "samples_merge_s": to_merge,
    }
    for problem in problems:
        say(f"{mode}: PROBLEM: {problem}")
    return result


def fmt(x, digits=1):
    return "-" if x is None else f"{x:.{digits}f}"


def markdown(results, args, last_arrival):
    lines = [f"{args.changes} changes over {args.components} components, "
             f"{round(args.changes * args.fail_rate)} failing, Poisson arrivals at {args.rate:g} "
             f"per minute (the last at {last_arrival:.0f} s), seed {args.seed}, `-j {args.jobs}`; "
             "times in seconds:", "",
             "| queue | merged | evicted | other exits | exit 1 on a race, resubmitted "
             "| stuck, restarted | submit→merge median | p90 | max | submit→evict median "
             "| intermediate commits per change | carried | waited on unrelated failures "
             "(s, changes) | wall | CPU of the submits | other CPU |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        m = r["merge_s"] or {}
        races = " + ".join(f"{n} {name}" for name, n in r["resubmitted"].items() if n) or "0"
        other_exits = ", ".join(f"{k}: {v}" for k, v in r["exit_codes"].items()
                                if k not in ("0", "5")) or "none"
        lines.append(
            f"| `split: {r['mode']}` | {r['merged']} | {r['evicted']} | {other_exits} | "
            f"{races} | {r['restarted']} | "
            f"**{fmt(m.get('median'))}** | **{fmt(m.get('p90'))}** | {fmt(m.get('max'))} | "
            f"{fmt(r['evict_s_median'])} | {fmt(r['candidates_per_change'], 2)} | "
            f"{r['carried']} | {fmt(r['unrelated_failure_wait_s'])}, "
            f"{r['unrelated_failure_waiters']} | "
            f"{fmt(r['wall_s'], 0)} | {fmt(r['submit_cpu_s'], 0)} | "
            f"{fmt(r['others_cpu_share'], 2)} |")
    problems = [f"- {r['mode']}: {p}" for r in results for p in r["problems"]]
    if problems:
        lines += ["", "PROBLEMS:", *problems]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--changes", type=int, default=200)
    ap.add_argument("--components", type=int, default=8)
    ap.add_argument("--fail-rate", type=float, default=0.05)
    ap.add_argument("--rate", type=float, default=60.0, help="changes per minute")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--pr-sleep", type=float, default=0.2)
    ap.add_argument("--accept-sleep", type=float, default=0.3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", default="/tmp/lanes-queue-bench")
    ap.add_argument("--lanes", default=os.path.join(ROOT, "target", "release", "lanes"))
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--stall", type=float, default=5.0)
    ap.add_argument("--no-resubmit", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        die(f"--modes takes {', '.join(MODES)}")
    if args.changes < 1 or args.components < 1 or args.rate <= 0:
        die("--changes, --components and --rate must be positive")
    if not os.access(args.lanes, os.X_OK):
        die(f"no lanes binary at {args.lanes}: cargo build --release -p lanes")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    lanes = os.path.join(args.work, "lanes")
    shutil.copy2(args.lanes, lanes)
    version = subprocess.run([lanes, "--version"], capture_output=True, text=True).stdout.strip()
    changes = plan_day(args.changes, args.components, args.fail_rate, args.rate, args.seed)
    results = [run_mode(args, mode, changes, lanes) for mode in modes]
    if args.json:
        print(json.dumps({"lanes": version, "args": vars(args), "machine": {
            "nproc": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}, "results": results}, indent=2))
    else:
        print(markdown(results, args, changes[-1]["arrival"]))
    sys.exit(1 if any(r["problems"] for r in results) else 0)


if __name__ == "__main__":
    main()
