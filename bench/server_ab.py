#!/usr/bin/python3
"""What a change costs per request: shardtrack A against B in alternating pairs, the load
generator driving each in turn. A and B differ by their binaries (--a-bin, --b-bin: say this
build's directory against one of an older commit built from `git archive`) or by their
arguments (--b-args, e.g. "--client-list FILE"). Each run starts a fresh server pinned to CPU 1
(`shardtrack-node --shards 1`, or with --cluster one `shardtrack-shard` and one
`shardtrack-frontend`, whose own arguments --a-shard-args and --b-shard-args add to), data on
/dev/shm (or under --data-parent: a disk, for what syncs cost), runs `shardtrack-loadgen` pinned to CPU 0, and divides the servers' CPU (utime + stime
from /proc, all threads, over the whole run, warm-up included) by every reply the load generator
received.

  /usr/bin/python3 bench/server_ab.py [--pairs 3] [--keep-alive false] [--cluster] \\
      [--a-bin OLD/build/bin] [--b-args "--client-list /tmp/clients"] [-- LOADGEN ARGS]

Prints one line per run and the medians. The machine is shared and noisy: compare the pairs of
one invocation only; a side whose load generator could not keep the server's core full (CPU well
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
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from cluster import free_port  # noqa: E402  (never the same port twice in one run)

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_BIN = os.path.join(HERE, "..", "build", "bin")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_listening(port, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on {port} within {deadline} s")


def start(argv, data_dir):
    return subprocess.Popen(["taskset", "-c", "1", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=data_dir)


def start_servers(bin_dir, args, shard_args, cluster, data_dir, port):
    """The server processes, the HTTP port listening."""
    if not cluster:
        return [start([os.path.join(bin_dir, "shardtrack-node"), "--port", str(port),
                       "--data-dir", data_dir, "--shards", "1", "--log-level", "warn", *args],
                      data_dir)]
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    shard = start([os.path.join(bin_dir, "shardtrack-shard"), "--listen", endpoint,
                   "--data-dir", data_dir, "--log-level", "warn", *shard_args], data_dir)
    frontend = start([os.path.join(bin_dir, "shardtrack-frontend"), "--port", str(port),
                      "--shard", endpoint, "--log-level", "warn", *args], data_dir)
    return [shard, frontend]


def run(bin_dir, args, shard_args, cluster, loadgen_args, data_parent):
    """One run: (replies, servers' CPU seconds, the load generator's summary)."""
    data_dir = tempfile.mkdtemp(prefix="server-ab-", dir=data_parent)
    port = free_port()
    servers = start_servers(bin_dir, args, shard_args, cluster, data_dir, port)
    try:
        wait_listening(port)
        before = sum(cpu_seconds(p.pid) for p in servers)
        out = subprocess.run(
            ["taskset", "-c", "0", os.path.join(BUILD_BIN, "shardtrack-loadgen"), "--port",
             str(port), *loadgen_args], capture_output=True, text=True, check=True).stdout
        used = sum(cpu_seconds(p.pid) for p in servers) - before
        summary = json.loads(out.strip().splitlines()[-1])
        if summary["errors"]:
            raise RuntimeError(f"{summary['errors']} replies were errors or invalid: {summary}")
        return summary["requests_all"], used, summary
    finally:
        for server in reversed(servers):
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--keep-alive", default="true", choices=("true", "false"))
    parser.add_argument("--cluster", action="store_true",
                        help="a shard and a frontend instead of shardtrack-node")
    parser.add_argument("--a-bin", default=BUILD_BIN, help="A's binaries' directory")
    parser.add_argument("--b-bin", default=BUILD_BIN, help="B's binaries' directory")
    parser.add_argument("--a-args", default="", help="A's node (or frontend) arguments")
    parser.add_argument("--b-args", default="", help="B's node (or frontend) arguments")
    parser.add_argument("--a-shard-args", default="", help="A's shard arguments (--cluster)")
    parser.add_argument("--b-shard-args", default="", help="B's shard arguments (--cluster)")
    parser.add_argument("--data-parent", default="/dev/shm",
                        help="where each run's data directory goes")
    parser.add_argument("loadgen", nargs="*", help="more load generator arguments, after --")
    options = parser.parse_args()
    loadgen_args = ["--sources", "20", "--connections", "64", "--warmup", "2", "--duration", "4",
                    f"--keep-alive={options.keep_alive}", *options.loadgen]
    # Absolute: each server runs in its own data directory.
    sides = {"A": (os.path.abspath(options.a_bin), shlex.split(options.a_args),
                   shlex.split(options.a_shard_args)),
             "B": (os.path.abspath(options.b_bin), shlex.split(options.b_args),
                   shlex.split(options.b_shard_args))}
    costs = {name: [] for name in sides}
    for pair in range(options.pairs):
        for name, (bin_dir, args, shard_args) in sides.items():
            replies, used, summary = run(bin_dir, args, shard_args, options.cluster,
                                         loadgen_args, options.data_parent)
            costs[name].append(1e6 * used / max(replies, 1))
            print(f"pair {pair} {name}: {replies} replies, server CPU {used:.2f} s, "
                  f"{costs[name][-1]:.2f} us per request, p50 {summary['p50_us']} us, "
                  f"p99 {summary['p99_us']} us", flush=True)
    for name, values in costs.items():
        print(f"{name}: median {statistics.median(values):.2f} us per request "
              f"({' / '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
