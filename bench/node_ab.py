#!/usr/bin/python3
"""What a change costs per request: `shardtrack-node` A against B in alternating pairs, the
load generator driving each in turn. A and B differ by their binary (--a-bin, --b-bin: say this
build against one of an older commit built from `git archive`) or by their arguments (--b-args,
e.g. "--client-list FILE"). Each run starts a fresh node (`--shards 1`, data on /dev/shm) pinned
to CPU 1, runs `shardtrack-loadgen` pinned to CPU 0, and divides the node's CPU (utime + stime
from /proc, over the whole run, warm-up included) by every reply the load generator received.

  /usr/bin/python3 bench/node_ab.py [--pairs 3] [--keep-alive false] \\
      [--a-bin OLD/shardtrack-node] [--b-args "--client-list /tmp/clients"] [-- LOADGEN ARGS]

Prints one line per run and the medians. The machine is shared and noisy: compare the pairs of
one invocation only; a side whose load generator could not keep the node's core full (CPU well
under the run's length) costs more per request. Not run by ctest.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_BIN = os.path.join(HERE, "..", "build", "bin")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the node did not listen on {port} within {deadline} s")


def run(node_bin, node_args, loadgen_args):
    """One run: (replies, node CPU seconds)."""
    data_dir = tempfile.mkdtemp(prefix="node-ab-", dir="/dev/shm")
    port = free_port()
    node = subprocess.Popen(
        ["taskset", "-c", "1", node_bin, "--port", str(port), "--data-dir", data_dir,
         "--shards", "1", "--log-level", "warn", *node_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        before = cpu_seconds(node.pid)
        out = subprocess.run(
            ["taskset", "-c", "0", os.path.join(BUILD_BIN, "shardtrack-loadgen"), "--port",
             str(port), *loadgen_args], capture_output=True, text=True, check=True).stdout
        used = cpu_seconds(node.pid) - before
        summary = json.loads(out.strip().splitlines()[-1])
        return summary["requests_all"], used
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(30)
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--keep-alive", default="true", choices=("true", "false"))
    parser.add_argument("--a-bin", default=os.path.join(BUILD_BIN, "shardtrack-node"))
    parser.add_argument("--b-bin", default=os.path.join(BUILD_BIN, "shardtrack-node"))
    parser.add_argument("--a-args", default="", help="extra node arguments of A")
    parser.add_argument("--b-args", default="", help="extra node arguments of B")
    parser.add_argument("loadgen", nargs="*", help="more load generator arguments, after --")
    options = parser.parse_args()
    loadgen_args = ["--sources", "20", "--connections", "64", "--warmup", "2", "--duration", "4",
                    f"--keep-alive={options.keep_alive}", *options.loadgen]
    sides = {"A": (options.a_bin, shlex.split(options.a_args)),
             "B": (options.b_bin, shlex.split(options.b_args))}
    costs = {name: [] for name in sides}
    for pair in range(options.pairs):
        for name, (node_bin, node_args) in sides.items():
            replies, used = run(node_bin, node_args, loadgen_args)
            costs[name].append(1e6 * used / max(replies, 1))
            print(f"pair {pair} {name}: {replies} replies, node CPU {used:.2f} s, "
                  f"{costs[name][-1]:.2f} us per request", flush=True)
    for name, values in costs.items():
        print(f"{name}: median {statistics.median(values):.2f} us per request "
              f"({' / '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
