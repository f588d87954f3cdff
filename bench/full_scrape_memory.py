#!/usr/bin/python3
"""What large full scrapes leave in a frontend's memory: one shard and one frontend
(--max-output-bytes 16 MiB, --full-scrape-limit 0, --full-scrape-cache 1), 100,000 torrents (an
8.7 MB full scrape), then 20 full scrapes a second or more apart (each a fan-out: the cache has
gone stale), then 5 s of announces only. Prints the frontend's RSS after each phase and its
mappings over 2 MB (the heap, and each large buffer glibc mapped on its own).

  /usr/bin/python3 bench/full_scrape_memory.py [BIN_DIR]

Run it against an older build's BIN_DIR to compare. Not run by ctest.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ["SHARDTRACK_BIN_DIR"] = os.path.abspath(
    sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "bin"))
import cluster  # noqa: E402  (finds the binaries through SHARDTRACK_BIN_DIR)

TORRENTS, SCRAPES = 100_000, 20


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


def large_mappings(pid):
    """Resident kB of each mapping over 2 MB, by name ("(anon)" for a buffer mapped alone)."""
    found, name = [], ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:
                name = fields[5] if len(fields) > 5 else "(anon)"
            elif fields[0] == "Rss:" and int(fields[1]) > 2048:
                found.append(f"{name} {fields[1]} kB")
    return found


def loadgen(port, *args):
    subprocess.run([cluster.binary("shardtrack-loadgen"), "--port", str(port), *args],
                   stdout=subprocess.DEVNULL, check=True)


def main():
    root = tempfile.mkdtemp(prefix="full-scrape-memory-")
    shard = cluster.Shard(0, 1, cluster.free_port(), os.path.join(root, "data"))
    frontend = cluster.Frontend(0, [shard.endpoint], [
        "--max-output-bytes", "16777216", "--full-scrape-limit", "0", "--full-scrape-cache", "1",
        "--max-connections-per-client", "0", "--client-request-rate", "0"])
    try:
        shard.start()
        frontend.start()
        pid = frontend.popen.pid
        loadgen(frontend.port, "--mode", "populate", "--torrents", str(TORRENTS), "--peers",
                str(TORRENTS), "--distribution", "uniform")
        print(f"frontend RSS after {TORRENTS} torrents announced: {rss_kb(pid)} kB")
        for _ in range(SCRAPES):
            url = f"http://127.0.0.1:{frontend.port}/scrape"
            size = len(urllib.request.urlopen(url, timeout=60).read())
            time.sleep(1.1)  # past --full-scrape-cache: the next one is a fan-out
        print(f"after {SCRAPES} full scrapes of {size} bytes: {rss_kb(pid)} kB")
        loadgen(frontend.port, "--torrents", str(TORRENTS), "--peers", "1000", "--duration", "5",
                "--connections", "16")
        print(f"after 5 s of announces: {rss_kb(pid)} kB; mappings over 2 MB:")
        for mapping in large_mappings(pid):
            print("  ", mapping)
    finally:
        frontend.stop()
        shard.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
