#!/usr/bin/python3
"""What a flood of info pages (GET /) costs: a node (two shards) with 38,000 torrents, then three
bursts of 200 connections from 127.0.0.2 each sending 32 GET / pipelined (6,400 pages), while
another address announces every 50 ms. Prints each burst's time to its last answer, the slowest
announce meanwhile and the announces that failed, and the node's RSS before and after each.

  /usr/bin/python3 bench/info_page_flood.py [BIN_DIR] [PORT] [-- NODE ARGS]

Run it against an older build's BIN_DIR to compare. Not run by ctest.
"""

import hashlib
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from server_ab import wait_listening

HERE = os.path.dirname(os.path.abspath(__file__))
SPLIT = sys.argv.index("--") if "--" in sys.argv else len(sys.argv)
ARGS, NODE_ARGS = sys.argv[1:SPLIT], sys.argv[SPLIT + 1:]
BIN_DIR = ARGS[0] if ARGS else os.path.join(HERE, "..", "build", "bin")
PORT = int(ARGS[1]) if len(ARGS) > 1 else 43200
TORRENTS, CONNECTIONS, PIPELINED, BURSTS = 38000, 200, 32, 3


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def announce_request(n):
    escaped = "".join(f"%{b:02X}" for b in hashlib.sha1(b"flood %d" % n).digest())
    return (f"GET /announce?info_hash={escaped}&peer_id=-XX0001-{n:012d}&port=6881"
            "&uploaded=0&downloaded=0&left=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


def announcer(stop, seconds, failures):
    """Announces every 50 ms from 127.0.0.250; notes each one's time and each failure."""
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=10,
                                          source_address=("127.0.0.250", 0)) as conn:
                conn.sendall(announce_request(n).encode())
                reply = b""
                while chunk := conn.recv(65536):
                    reply += chunk
        except OSError as error:
            reply = repr(error).encode()
        seconds.append(time.monotonic() - started)
        if b"200 OK" not in reply or b"failure reason" in reply:
            failures.append(reply[-100:])
        n += 1
        time.sleep(0.05)


def burst():
    """CONNECTIONS x PIPELINED GET /; returns (pages answered 200, seconds to the last)."""
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * (PIPELINED - 1)
    request += b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    started = time.monotonic()
    conns = [socket.create_connection(("127.0.0.1", PORT), source_address=("127.0.0.2", 0))
             for _ in range(CONNECTIONS)]
    for conn in conns:
        conn.sendall(request)
    received = {conn: b"" for conn in conns}
    open_conns = set(conns)
    while open_conns and time.monotonic() - started < 60:
        readable, _, _ = select.select(list(open_conns), [], [], 1)
        for conn in readable:
            try:
                chunk = conn.recv(1 << 20)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                received[conn] += chunk
            else:
                open_conns.discard(conn)
    for conn in conns:
        conn.close()
    return (sum(data.count(b"HTTP/1.1 200") for data in received.values()),
            time.monotonic() - started)


def main():
    data_dir = tempfile.mkdtemp(prefix="info-page-flood-")
    node = subprocess.Popen(
        [os.path.join(BIN_DIR, "shardtrack-node"), "--port", str(PORT), "--shards", "2",
         "--data-dir", data_dir, "--log-level", "warn", *NODE_ARGS])
    try:
        wait_listening(PORT)
        subprocess.run([os.path.join(BIN_DIR, "shardtrack-loadgen"), "--port", str(PORT), "--mode",
                        "populate", "--torrents", str(TORRENTS), "--peers", str(TORRENTS),
                        "--sources", "20", "--connections", "16"], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"populated: {TORRENTS} torrents, RSS {rss_mb(node.pid):.1f} MB")
        for round_number in range(1, BURSTS + 1):
            stop, seconds, failures = threading.Event(), [], []
            thread = threading.Thread(target=announcer, args=(stop, seconds, failures))
            thread.start()
            time.sleep(0.5)
            pages, took = burst()
            time.sleep(1)
            stop.set()
            thread.join()
            time.sleep(2)
            print(f"burst {round_number}: {pages} of {CONNECTIONS * PIPELINED} pages in "
                  f"{took:.2f} s; announces meanwhile {len(seconds)}, slowest "
                  f"{max(seconds) * 1000:.0f} ms, failed {len(failures)}; "
                  f"RSS {rss_mb(node.pid):.1f} MB")
    finally:
        node.terminate()
        node.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
