#!/usr/bin/python3
"""What a UDP tracker request (BEP 15) costs: server CPU per answered datagram, shardtrack
(one shard and one frontend with --udp-port) against Debian's opentracker, both pinned to one
CPU, a Python client on the other sending bursts of datagrams from several loopback addresses
and reading the answers. `connect` is answered by the frontend alone (the UDP path itself);
`announce` (of whitelisted torrents, for opentracker) goes through the shard. The servers take
turns, A B A B.

  SHARDTRACK_BIN_DIR=build/bin /usr/bin/python3 bench/udp_cost.py [--requests N] [--rounds R]

Prints, per server and kind, datagrams answered with the expected action, and microseconds of
server CPU (utime + stime of every server process and thread, from /proc) per answered datagram.
Not run by ctest.
"""

import argparse
import importlib.machinery
import importlib.util
import os
import random
import socket
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import cluster  # noqa: E402

PROTOCOL_ID = 0x41727101980
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def start(argv, log, ready, cpu):
    out = open(log, "wb")
    proc = subprocess.Popen(["taskset", "-c", str(cpu)] + argv, stdout=out,
                            stderr=subprocess.STDOUT, env=cluster.clean_env())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            if ready in f.read():
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{argv[0]} did not start; see {log}")


class Client:
    """One socket on its own loopback address."""

    def __init__(self, n, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((f"127.0.0.{n + 2}", 0))
        self.sock.settimeout(1.0)
        self.address = ("127.0.0.1", port)
        self.peer_id = (b"udp-cost-%d-" % n).ljust(20, b"x")
        self.tid = 0
        self.connection_id = 0

    def packet(self, kind, info_hash=None):
        self.tid = (self.tid + 1) & 0xffffffff
        if kind == "connect":
            return struct.pack(">QII", PROTOCOL_ID, 0, self.tid)
        return (struct.pack(">QII", self.connection_id, 1, self.tid) + info_hash + self.peer_id +
                struct.pack(">QQQIIIiH", 0, 100, 0, 0, 0, 7, 50, 6881))

    def connect(self):
        self.sock.sendto(self.packet("connect"), self.address)
        data = self.sock.recv(2048)
        self.connection_id = struct.unpack(">Q", data[8:16])[0]

    def burst(self, kind, count, hashes):
        for _ in range(count):
            self.sock.sendto(self.packet(kind, random.choice(hashes)), self.address)

    def drain(self, count, action):
        answered = 0
        try:
            for _ in range(count):
                if struct.unpack(">I", self.sock.recv(2048)[:4])[0] == action:
                    answered += 1
        except socket.timeout:
            pass
        return answered


def run(name, kind, clients, requests, burst, hashes, pids):
    """Returns microseconds of server CPU per answered datagram."""
    sent = answered = 0
    action = 0 if kind == "connect" else 1
    before = cpu_seconds(pids)
    started = time.perf_counter()
    while sent < requests:
        for client in clients:
            client.burst(kind, burst, hashes)
        for client in clients:
            answered += client.drain(burst, action)
        sent += burst * len(clients)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pids) - before
    per = cpu / max(answered, 1) * 1e6
    print(f"{name} {kind}: {answered} of {sent} answered in {seconds:.1f} s "
          f"({answered / seconds:.0f}/s); server CPU {cpu:.2f} s = {per:.1f} us per answered "
          f"datagram", flush=True)
    return per


def load_compare():
    """bench/compare as a module, for its OpenTracker launcher."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare")
    loader = importlib.machinery.SourceFileLoader("compare", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("compare", loader))
    loader.exec_module(module)
    return module


def start_shardtrack(bin_dir, root, cpu):
    """A shard and a frontend with --udp-port; returns (processes, UDP port)."""
    shard_port, http_port, udp_port = (cluster.free_port() for _ in range(3))
    shard = start([os.path.join(bin_dir, "shardtrack-shard"), "--index", "0", "--count", "1",
                   "--listen", f"tcp://127.0.0.1:{shard_port}", "--data-dir",
                   os.path.join(root, "data")], os.path.join(root, "shard.log"), b"ready:", cpu)
    frontend = start([os.path.join(bin_dir, "shardtrack-frontend"), "--port", str(http_port),
                      "--udp-port", str(udp_port), "--shard", f"tcp://127.0.0.1:{shard_port}"],
                     os.path.join(root, "frontend.log"), b"ready:", cpu)
    return [frontend, shard], udp_port


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100000, help="datagrams per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, default=32, help="datagrams per client per round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.client_cpu})
    bin_dir = cluster.bin_dir()
    compare = load_compare()
    root = os.path.join("/tmp", f"shardtrack-udp-cost-{os.getpid()}")
    os.makedirs(root)
    whitelist = subprocess.run([os.path.join(bin_dir, "shardtrack-loadgen"),
                                "--print-infohashes", "1000"], check=True, capture_output=True,
                               text=True).stdout
    hashes = [bytes.fromhex(line) for line in whitelist.split()]
    opentracker = compare.OpenTracker(root, args.server_cpu, whitelist)
    processes = list(opentracker.procs)
    try:
        opentracker.wait_ready(hashes[0])
        ours, udp_port = start_shardtrack(bin_dir, root, args.server_cpu)
        processes += ours
        servers = {"opentracker": (opentracker.port, [p.pid for p in opentracker.procs]),
                   "shardtrack": (udp_port, [p.pid for p in ours])}
        results = {}
        for _ in range(args.rounds):
            for name, (port, pids) in servers.items():
                clients = [Client(n, port) for n in range(args.clients)]
                for client in clients:
                    client.connect()
                for kind in ("connect", "announce"):
                    results.setdefault((name, kind), []).append(
                        run(name, kind, clients, args.requests, args.burst, hashes, pids))
        for kind in ("connect", "announce"):
            ot = statistics.median(results[("opentracker", kind)])
            st = statistics.median(results[("shardtrack", kind)])
            print(f"median {kind}: opentracker {ot:.1f} us, shardtrack {st:.1f} us per datagram "
                  f"(shardtrack/opentracker requests per CPU-second: {ot / st:.2f}x)")
    finally:
        for proc in reversed(processes):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
