#!/usr/bin/env python3
"""Process start-up: interleaved spawns of each command, median wall time and CPU time.

    python3 bench/startup_bench.py [N] "target/release/lanes --version" "git --version" ...

Each of N rounds (default 1000) runs every command once, in an order rotated every round, with
stdout and stderr on /dev/null; a run is one posix_spawn and wait4. Prints, per command, the
median and minimum wall time and the median CPU time (user + system of the child), in ms. CPU
time is less disturbed than wall time by other work on a shared machine. Standard library only.
"""
import os
import shutil
import statistics
import sys
import time


def run(argv, devnull):
    path = argv[0] if os.sep in argv[0] else shutil.which(argv[0])
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    start = time.perf_counter_ns()
    pid = os.posix_spawn(path, argv, os.environ, file_actions=actions)
    _, _, usage = os.wait4(pid, 0)
    return (time.perf_counter_ns() - start) / 1e6, (usage.ru_utime + usage.ru_stime) * 1e3


def main():
    args = sys.argv[1:]
    rounds = int(args.pop(0)) if args and args[0].isdigit() else 1000
    commands = [command.split() for command in args]
    if not commands:
        sys.exit(__doc__)
    devnull = os.open(os.devnull, os.O_WRONLY)
    wall = [[] for _ in commands]
    cpu = [[] for _ in commands]
    order = list(range(len(commands)))
    for r in range(rounds):
        shift = r % len(order)
        for i in order[shift:] + order[:shift]:
            w, c = run(commands[i], devnull)
            wall[i].append(w)
            cpu[i].append(c)
    for i, command in enumerate(commands):
        print(f"wall median {statistics.median(wall[i]):.3f} ms, min {min(wall[i]):.3f} ms; "
              f"cpu median {statistics.median(cpu[i]):.3f} ms: {' '.join(command)}")


if __name__ == "__main__":
    main()
