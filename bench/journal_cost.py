#!/usr/bin/python3
"""What the journal costs: the fdatasync floor, and announce latency and throughput through a
real frontend and shard with and without a `completed` event (only those wait for fdatasync).

  SHARDTRACK_BIN_DIR=build/bin /usr/bin/python3 bench/journal_cost.py [--announces N]

Writes its scratch data directory under $TMPDIR (the disk being measured). Not run by ctest.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import cluster  # noqa: E402
from cluster import HttpConnection, announce_target, peer_id  # noqa: E402


def fdatasync_floor(directory, count):
    """Mean microseconds of append 60 bytes + fdatasync, the least a durable commit costs."""
    path = os.path.join(directory, "sync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        started = time.perf_counter()
        for _ in range(count):
            os.write(fd, b"x" * 60)
            os.fdatasync(fd)
        return (time.perf_counter() - started) / count * 1e6
    finally:
        os.close(fd)
        os.unlink(path)


def sequential(port, label, count, event):
    """Mean and p99 microseconds per announce on one keep-alive connection."""
    info_hash = cluster.hash_on_shard(0, 1, label)
    times = []
    with HttpConnection(port) as conn:
        for n in range(count):
            target = announce_target(info_hash, peer_id(f"{label}/{n}"), 10000 + n % 50000,
                                     left=0, event=event)
            started = time.perf_counter()
            response = conn.get(target)
            times.append(time.perf_counter() - started)
            assert response.status == 200 and b"failure" not in response.body, response
    times.sort()
    return statistics.mean(times) * 1e6, times[int(len(times) * 0.99) - 1] * 1e6


def concurrent(port, label, count, event, clients):
    """Announces per second with `clients` connections announcing in parallel."""
    def run(client):
        info_hash = cluster.hash_on_shard(0, 1, f"{label}/{client % 4}")
        with HttpConnection(port) as conn:
            for n in range(count // clients):
                conn.get(announce_target(info_hash, peer_id(f"{label}/{client}/{n}"),
                                         10000 + n % 50000, left=0, event=event))
    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--announces", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="shardtrack-journal-cost-")
    try:
        print(f"disk: {root}")
        print(f"append 60 B + fdatasync: {fdatasync_floor(root, 500):.0f} us")
        env = cluster.clean_env()
        shard = cluster.Shard(0, 1, cluster.free_port(), os.path.join(root, "data"), env=env)
        shard.start()
        frontend = cluster.Frontend(0, [shard.endpoint], env=env)
        frontend.start()
        try:
            port = frontend.port
            for name, event in (("plain announce (journal written, no fsync)", None),
                                ("completed announce (journal fdatasynced)", "completed")):
                mean, p99 = sequential(port, f"seq/{event}", args.announces, event)
                rate = concurrent(port, f"par/{event}", args.announces, event, args.clients)
                print(f"{name}: one client mean {mean:.0f} us, p99 {p99:.0f} us; "
                      f"{args.clients} clients {rate:.0f} announces/s")
        finally:
            frontend.stop()
            shard.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
