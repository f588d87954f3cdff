"""A data directory written by an earlier build is read whole by this one: an upgrade loses
nothing. Each tests/data/files-*/ holds one shard's files as a build left them after a kill -9
(a snapshot, the journal after it, the accounting's baselines, credit log and a handed-over
accounting file), from the same announces; each test reads a copy of each, through
shardtrack-dfile and a started shard.

The files are made by running this file with --write-fixture DIR against the binaries of
SHARDTRACK_BIN_DIR; they are made again only for a new directory (a new name), never over an
old one, since the old one is what a deployment of that build left behind.
"""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import cluster
from cluster import Frontend, Shard, free_port, peer_id
from test_persistence import uploaded_by_torrent

FIXTURES = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                         "files-*")))
MEMBER = "0123456789abcdef0123456789abcdef"  # a passkey; the shard credits its announces
T1, T2, T3 = (bytes([n]) * 20 for n in (1, 2, 3))

# (torrent, peer label, ip, port, left, uploaded, event): before the stop, then before the kill.
BEFORE_STOP = [
    (T1, "seed", "10.0.0.1", 6881, 0, 0, "started"),
    (T1, "member", "10.0.0.2", 6882, 500, 0, "started"),
    (T1, "member", "10.0.0.2", 6882, 500, 1000, None),
    (T1, "done", "10.0.0.3", 6883, 0, 0, "completed"),
    (T2, "lone", "10.0.0.4", 6884, 700, 0, "started"),
]
BEFORE_KILL = [
    (T1, "member", "10.0.0.2", 6882, 0, 3000, "completed"),
    (T1, "seed", "10.0.0.1", 6881, 0, 0, "stopped"),
    (T2, "late", "10.0.0.5", 6885, 0, 0, "completed"),
    (T3, "member", "10.0.0.2", 6886, 900, 0, "started"),
    (T3, "member", "10.0.0.2", 6886, 900, 500, None),
]
# What the files hold: each torrent's peers as (ip, port, seeder), and its completions.
PEERS = {
    T1: {("10.0.0.2", 6882, True), ("10.0.0.3", 6883, True)},
    T2: {("10.0.0.4", 6884, False), ("10.0.0.5", 6885, True)},
    T3: {("10.0.0.2", 6886, False)},
}
COMPLETED = {T1: 2, T2: 1, T3: 0}
UPLOADED = {T1: 3000, T2: 0, T3: 500}  # credited to the member (every announce is its), by torrent


def passkey_file(directory):
    path = os.path.join(directory, "passkeys")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(f"{MEMBER} 1001\n")
    return path


def announce_all(port, announces):
    for info_hash, label, ip, peer_port, left, uploaded, event in announces:
        target = cluster.announce_target(info_hash, peer_id(label), peer_port, left=left,
                                          uploaded=uploaded, event=event, ip=ip)
        response = cluster.get(port, f"/{MEMBER}{target}")
        if response.status != 200 or b"failure reason" in response.body:
            raise AssertionError(f"announce refused: {response.status} {response.body!r}")


def start(data_dir, passkeys):
    shard = Shard(0, 1, free_port(), data_dir, ["--peer-timeout", "604800"])
    shard.start()
    frontend = Frontend(0, [shard.endpoint], ["--passkey-file", passkeys])
    frontend.start()
    return shard, frontend


def write_fixture(directory):
    """Drives a shard through BEFORE_STOP, a stop, BEFORE_KILL and a kill -9, then keeps its
    files in `directory`."""
    work = tempfile.mkdtemp(prefix="shardtrack-fixture-")
    data_dir = os.path.join(work, "data")
    passkeys = passkey_file(work)
    shard, frontend = start(data_dir, passkeys)
    announce_all(frontend.port, BEFORE_STOP)
    assert frontend.stop() == 0 and shard.stop() == 0
    shard, frontend = start(data_dir, passkeys)
    announce_all(frontend.port, BEFORE_KILL)
    shard.kill(signal.SIGKILL)
    frontend.stop()
    os.remove(os.path.join(data_dir, "shardtrack.lock"))
    shutil.copytree(data_dir, directory)
    shutil.rmtree(work)


class FileFormatTest(cluster.LoggedTestCase):
    """Each test reads a copy of every directory in tests/data/files-*."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="shardtrack-format-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.processes = []
        self.assertTrue(FIXTURES, "no tests/data/files-* directory")

    def logs(self):
        return "\n".join(p.log_tail() for p in self.processes)

    def copies(self):
        """(name, a fresh copy's path) of each fixture, each in a subTest."""
        for fixture in FIXTURES:
            name = os.path.basename(fixture)
            with self.subTest(fixture=name):
                copy = os.path.join(self.root, name)
                shutil.copytree(fixture, copy)
                yield copy

    def dfile_tool(self, *args):
        done = subprocess.run([cluster.binary("shardtrack-dfile"), *args], capture_output=True,
                              env=cluster.clean_env(), timeout=30)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def test_the_files_pass_inspection(self):
        for data_dir in self.copies():
            self.assertIn(b"checksums OK", self.dfile_tool("inspect", "--data-dir", data_dir))

    def test_every_peer_and_completion_is_read_back(self):
        for data_dir in self.copies():
            out = data_dir + ".dfile"
            self.dfile_tool("export", "--data-dir", data_dir, "--out", out, "--peer-timeout", "0")
            with open(out, "rb") as f:
                exported = cluster.bdecode(f.read())
            self.assertEqual(exported[b"completed"], COMPLETED)
            peers = {info_hash: {(p[b"ip"].decode(), p[b"port"], p[b"left"] == 0)
                                 for p in listed.values()}
                     for info_hash, listed in exported[b"peers"].items()}
            self.assertEqual(peers, PEERS)

    def test_a_shard_serves_the_counts_and_hands_over_every_credit(self):
        self.addCleanup(lambda: [p.stop() for p in self.processes])
        query = cluster.query_string([("info_hash", h) for h in (T1, T2, T3)])
        for data_dir in self.copies():
            shard, frontend = start(data_dir, passkey_file(self.root))
            self.processes += [shard, frontend]
            files = cluster.get(frontend.port, f"/{MEMBER}/scrape?{query}").bencoded()[b"files"]
            self.assertEqual({h: files[h][b"downloaded"] for h in files}, COMPLETED)
            self.assertEqual(frontend.stop(), 0)
            self.assertEqual(shard.stop(), 0)  # its last accounting file: the replayed credits
            credited = {info_hash.hex(): uploaded for info_hash, uploaded in UPLOADED.items()}
            self.assertEqual(uploaded_by_torrent(data_dir), credited)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write-fixture"]:
        write_fixture(sys.argv[2])
    else:
        unittest.main()
