#!/usr/bin/python3
"""What a UDP tracker request (BEP 15) costs the cluster: server CPU per answered datagram.

One shard and one frontend (--udp-port) pinned to one CPU, a Python client on the other sending
bursts of datagrams from several loopback addresses and reading the answers. `connect` is
answered by the frontend alone (the UDP path itself); `announce` goes through the shard.

  SHARDTRACK_BIN_DIR=build/bin /usr/bin/python3 bench/udp_cost.py [--requests N] [--burst B]

Prints, per kind, datagrams answered and lost, and microseconds of server CPU (utime + stime of
both processes, all threads, from /proc) per answered datagram. Not run by ctest.
"""

import argparse
import os
import random
import socket
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

    def drain(self, count):
        answered = 0
        try:
            for _ in range(count):
                self.sock.recv(2048)
                answered += 1
        except socket.timeout:
            pass
        return answered


def run(kind, clients, requests, burst, hashes, pids):
    sent = answered = 0
    before = cpu_seconds(pids)
    started = time.perf_counter()
    while sent < requests:
        for client in clients:
            client.burst(kind, burst, hashes)
        for client in clients:
            answered += client.drain(burst)
        sent += burst * len(clients)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pids) - before
    print(f"{kind}: {answered} of {sent} answered in {seconds:.1f} s "
          f"({answered / seconds:.0f}/s); server CPU {cpu:.2f} s = "
          f"{cpu / max(answered, 1) * 1e6:.1f} us per answered datagram", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200000)
    parser.add_argument("--burst", type=int, default=32, help="datagrams per client per round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.client_cpu})
    bin_dir = cluster.bin_dir()
    root = os.path.join("/tmp", f"shardtrack-udp-cost-{os.getpid()}")
    os.makedirs(root)
    shard_port, http_port, udp_port = (cluster.free_port() for _ in range(3))
    shard = start([os.path.join(bin_dir, "shardtrack-shard"), "--index", "0", "--count", "1",
                   "--listen", f"tcp://127.0.0.1:{shard_port}", "--data-dir",
                   os.path.join(root, "data")], os.path.join(root, "shard.log"), b"ready:",
                  args.server_cpu)
    frontend = start([os.path.join(bin_dir, "shardtrack-frontend"), "--port", str(http_port),
                      "--udp-port", str(udp_port), "--shard",
                      f"tcp://127.0.0.1:{shard_port}"], os.path.join(root, "frontend.log"),
                     b"ready:", args.server_cpu)
    try:
        clients = [Client(n, udp_port) for n in range(args.clients)]
        for client in clients:
            client.connect()
        hashes = [os.urandom(20) for _ in range(1000)]
        pids = [shard.pid, frontend.pid]
        for kind in ("connect", "announce"):
            run(kind, clients, args.requests, args.burst, hashes, pids)
    finally:
        for proc in (frontend, shard):
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
