#!/usr/bin/python3
"""What clients that ask for a full scrape and never read it cost a frontend: a node (one shard)
with 12,000 torrents (a 730 KB full scrape), then 1,000 connections from 5 loopback addresses
each sending GET /scrape with a 4 KB receive buffer and reading nothing, while /healthz is asked
every 100 ms on a connection of its own. Prints the node's RSS before, during and after, its
peak (VmHWM), and the /healthz latencies (the loop's stalls).

  /usr/bin/python3 bench/unread_full_scrapes.py [BIN_DIR] [PORT] [--behind-announce N]

With --behind-announce N, each connection sends an announce first and then N full scrapes, all
pipelined: the scrapes' answers wait behind the announce's, which the shard answers on a later
turn (100 connections then, as 1,000 of them would hold a GiB before the fix of 2026-12-06).

Run it against an older build's BIN_DIR to compare. Not run by ctest.
"""

import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
BEHIND = (int(sys.argv[sys.argv.index("--behind-announce") + 1])
          if "--behind-announce" in sys.argv else 0)
if BEHIND:
    ARGS.remove(str(BEHIND))
BIN_DIR = ARGS[0] if ARGS else os.path.join(HERE, "..", "build", "bin")
PORT = int(ARGS[1]) if len(ARGS) > 1 else 43100
TORRENTS, CLIENTS = 12000, (100 if BEHIND else 1000)


def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) // 1024


def announce(n, peer):
    escaped = "".join(f"%{b:02X}" for b in hashlib.sha1(str(n).encode()).digest())
    return (f"GET /announce?info_hash={escaped}&peer_id=-XX0001-{peer:012d}&port=6881"
            "&uploaded=0&downloaded=0&left=0 HTTP/1.1\r\nHost: x\r\n\r\n").encode()


def populate():
    """One seeder on each of TORRENTS torrents, pipelined on one connection."""
    requests = b"".join(announce(n, n) for n in range(TORRENTS))
    with socket.create_connection(("127.0.0.1", PORT), timeout=30) as conn:
        conn.sendall(requests)
        received = b""
        while received.count(b"HTTP/1.1 200") < TORRENTS:
            received += conn.recv(1 << 20)


def healthz_ms():
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", PORT), timeout=30) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.recv(100)
    return (time.monotonic() - started) * 1000


def main():
    data_dir = tempfile.mkdtemp(prefix="shardtrack-unread-")
    node = subprocess.Popen([os.path.join(BIN_DIR, "shardtrack-node"), "--port", str(PORT),
                             "--data-dir", data_dir, "--max-connections", "3000",
                             "--max-connections-per-client", "3000"],
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        populate()
        print(f"RSS with {TORRENTS} torrents: {rss_mb(node.pid)} MB")
        clients = []
        for n in range(CLIENTS):
            client = socket.socket()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.bind((f"127.0.5.{10 + n % 5}", 0))
            client.connect(("127.0.0.1", PORT))
            scrape = b"GET /scrape HTTP/1.1\r\nHost: x\r\n\r\n"
            client.send(announce(n, TORRENTS + n) + scrape * BEHIND if BEHIND else scrape)
            clients.append(client)
        latencies = []
        for _ in range(30):
            latencies.append(healthz_ms())
            time.sleep(0.1)
        print("healthz ms:", " ".join(f"{x:.0f}" for x in latencies))
        print(f"RSS with {CLIENTS} connections of unread full scrapes: {rss_mb(node.pid)} MB, "
              f"peak {rss_mb(node.pid, 'VmHWM')} MB; /healthz median "
              f"{statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms")
        for client in clients:
            client.close()
        time.sleep(1)
        print(f"RSS once they closed: {rss_mb(node.pid)} MB")
    finally:
        node.terminate()
        node.wait()
        shutil.rmtree(data_dir, True)


if __name__ == "__main__":
    main()
