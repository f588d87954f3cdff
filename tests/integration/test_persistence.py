"""Shards persist their share of the dfile: kill -9, corruption and a change of shard count lose
nothing, and shardtrack-dfile moves state to and from the original tracker's dfile format.

Every cluster here shares one data directory between its shards, as a deployment does, and is
restarted over it at the same or another shard count. Waits are bounded polls, never sleeps.
"""

import fcntl
import glob
import hashlib
import os
import signal
import subprocess
import tempfile
import shutil
import socket
import struct
import time
import unittest

import cluster
from cluster import Frontend, Shard, announce, free_port, peer_id

SERVE_DEADLINE = 15.0  # seconds a restarted cluster may take to answer through the frontend
SEEDERS = "127.0.0.2"  # source addresses: seeders and leechers come from different loopbacks
LEECHERS = "127.0.0.3"
MEMBER = "0123456789abcdef0123456789abcdef"  # a passkey: the shards credit its announces


def bencode(value):
    """Python's bencoding of the original tracker (sorted keys), for the dfile fixture."""
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(type(value))


class SharedDirCluster:
    """Shards over one data directory plus one frontend; stop and start at any shard count."""

    def __init__(self, root):
        self.data_dir = os.path.join(root, "data")
        self.env = cluster.clean_env()
        self.shards = []
        self.frontend = None

    def start(self, count, shard_args=(), frontend_args=()):
        self.shards = [Shard(index, count, free_port(), self.data_dir, shard_args, self.env)
                       for index in range(count)]
        for shard in self.shards:
            shard.start()
        self.frontend = Frontend(0, [s.endpoint for s in self.shards], frontend_args,
                                 env=self.env)
        self.frontend.start()

    def stop(self):
        """SIGTERM everything; every shard must exit 0 (its final snapshot written)."""
        codes = [p.stop() for p in [self.frontend, *self.shards] if p is not None]
        self.frontend = None
        return codes

    def kill_shards(self):
        for shard in self.shards:
            shard.kill(signal.SIGKILL)

    def restart_shards(self):
        for shard in self.shards:
            shard.start()

    @property
    def port(self):
        return self.frontend.port

    def logs(self):
        processes = [p for p in [self.frontend, *self.shards] if p is not None]
        return "\n".join(p.log_tail() for p in processes)


class Swarm:
    """One torrent driven through the tracker: seeders that completed, and one leecher."""

    def __init__(self, label, seeders):
        self.label = label
        self.info_hash = hashlib.sha1(label.encode()).digest()
        self.seeders = [(f"{label}/s{k}", 7000 + k) for k in range(seeders)]
        self.leecher = (f"{label}/l", 7100)
        self.completed = 0

    def populate(self, port):
        for name, peer_port in self.seeders:
            self.complete(port, name, peer_port)
        announce(port, self.info_hash, peer_id(self.leecher[0]), self.leecher[1],
                 source=LEECHERS, left=1000, event="started")

    def complete(self, port, name, peer_port):
        reply = announce(port, self.info_hash, peer_id(name), peer_port, source=SEEDERS, left=0,
                         event="completed")
        if b"failure reason" in reply:
            raise AssertionError(f"completed announce refused: {reply!r}")
        self.completed += 1

    def expected_peers(self):
        """What the leecher is told: every seeder (it never gets itself)."""
        return sorted((SEEDERS, p) for _, p in self.seeders)


def interface_without_ipv4():
    """The name of a network interface of this machine with no IPv4 address, or None."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _, name in socket.if_nameindex():
            try:  # SIOCGIFADDR: the interface's IPv4 address
                fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
            except OSError:
                return name
    finally:
        probe.close()
    return None


def files_under(directory):
    """Every file below `directory`, by its path relative to it."""
    return sorted(os.path.relpath(os.path.join(parent, name), directory)
                  for parent, _, names in os.walk(directory) for name in names)


def uploaded_by_torrent(data_dir):
    """What the accounting files handed over credit each torrent with: {hex info hash: bytes}."""
    totals = {}
    for path in glob.glob(os.path.join(data_dir, "accounting", "*.tsv")):
        with open(path) as f:
            for line in f.read().splitlines()[1:]:
                _, info_hash, uploaded, *_ = line.split("\t")
                totals[info_hash] = totals.get(info_hash, 0) + int(uploaded)
    return totals


def served(port, swarm, deadline=SERVE_DEADLINE):
    """(scrape entry, peers the leecher is given), polling while shards come back. Each try
    scrapes before the leecher announces: the entry counts what the shards kept."""
    scraped = {}

    def scrape_then_announce():
        scraped["files"] = cluster.scrape(port, [swarm.info_hash])
        return announce(port, swarm.info_hash, peer_id(swarm.leecher[0]), swarm.leecher[1],
                        source=LEECHERS, left=1000, numwant=50)
    reply = cluster.first_served(scrape_then_announce, swarm.label, deadline, retry_errors=True)
    return scraped["files"][swarm.info_hash], sorted(cluster.reply_peers(reply))


class SmallFileSystem:
    """A tmpfs of `size` at `path` (needs root; None when it cannot be mounted), that can grow."""

    def __init__(self, path, size):
        os.makedirs(path)
        self.path = path
        self.mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                       path], capture_output=True).returncode == 0

    def grow(self, size):
        subprocess.run(["mount", "-o", f"remount,size={size}", self.path], check=True)

    def close(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], check=False)


def stop_process(pid):
    """SIGSTOPs `pid`; whether it is now stopped (not one that exited first, a zombie)."""
    try:
        os.kill(pid, signal.SIGSTOP)
        for _ in range(100):
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rpartition(")")[2].split()[0]
            if state in "Tt":
                return True
            if state in "ZX":
                return False
            time.sleep(0.001)
    except (ProcessLookupError, FileNotFoundError):
        pass
    return False


class PersistenceTest(cluster.LoggedTestCase):

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="shardtrack-persist-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.cluster = SharedDirCluster(self.root)
        self.addCleanup(self.cluster.stop)

    def logs(self):
        return self.cluster.logs()

    def assertServedExactly(self, swarms):
        for swarm in swarms:
            entry, peers = served(self.cluster.port, swarm)
            self.assertEqual(entry[b"downloaded"], swarm.completed, swarm.label)
            self.assertEqual(entry[b"complete"], len(swarm.seeders), swarm.label)
            self.assertEqual(entry[b"incomplete"], 1, swarm.label)
            self.assertEqual(peers, swarm.expected_peers(), swarm.label)

    def dfile_tool(self, *args):
        return subprocess.run([cluster.binary("shardtrack-dfile"), *args], capture_output=True,
                              env=cluster.clean_env(), timeout=30)

    def test_the_dfile_tool_helps_on_stdout_and_refuses_a_wrong_use_on_stderr(self):
        helped = self.dfile_tool("--help")
        self.assertEqual(helped.returncode, 0)
        self.assertIn(b"inspect", helped.stdout)
        wrong = self.dfile_tool("inspect")  # no --data-dir
        self.assertEqual(wrong.returncode, 2)
        self.assertEqual(wrong.stdout, b"")
        self.assertTrue(wrong.stderr.startswith(b"shardtrack-dfile: inspect needs --data-dir\n"))
        self.assertIn(b"usage: shardtrack-dfile inspect", wrong.stderr)
        wrong = self.dfile_tool("export", "--peer-timeout", "60")
        self.assertEqual(wrong.returncode, 2)
        self.assertIn(b"shardtrack-dfile: export needs --data-dir and --out\n", wrong.stderr)
        wrong = self.dfile_tool("export", "--data-dir", self.root, "--out", "-",
                                "--peer-timeout", "-1")
        self.assertEqual(wrong.returncode, 2)
        self.assertIn(b"--peer-timeout must be 0 to 604800", wrong.stderr)
        wrong = self.dfile_tool("--data-dir", self.root, "inspect")
        self.assertEqual(wrong.returncode, 2)
        self.assertIn(b"shardtrack-dfile: the command comes first, then its options\n",
                      wrong.stderr)
        wrong = self.dfile_tool("inspekt", "--data-dir", self.root)
        self.assertEqual(wrong.returncode, 2)
        self.assertIn(b"shardtrack-dfile: no command 'inspekt'\n", wrong.stderr)
        wrong = self.dfile_tool("retire", "--data-dir", self.root, "--count", "0")
        self.assertEqual(wrong.returncode, 2)
        self.assertIn(b"shardtrack-dfile: retire needs --count (at least 1)\n", wrong.stderr)
        missing = self.dfile_tool("inspect", "--data-dir", os.path.join(self.root, "absent"))
        self.assertEqual(missing.returncode, 1)
        self.assertEqual(missing.stdout, b"")
        self.assertEqual(missing.stderr, b"shardtrack-dfile: list directory " +
                         os.path.join(self.root, "absent").encode() +
                         b": No such file or directory\n")

    def test_sigkill_loses_no_completed_count_and_no_peer(self):
        self.cluster.start(2)
        swarms = [Swarm(f"kill/{n}", seeders=n + 1) for n in range(6)]
        for swarm in swarms:
            swarm.populate(self.cluster.port)
        self.cluster.kill_shards()
        self.cluster.restart_shards()
        self.assertServedExactly(swarms)
        for shard in self.cluster.shards:
            self.assertRegex(shard.log(), r"recovered \d+ torrents and \d+ peers.*replayed")

    def test_partial_seeds_survive_kill_9_and_a_clean_restart(self):
        """BEP 21: a leecher that announces `paused` is a partial seed; a scrape's downloaders
        leave it out, from the journal after kill -9 and from the snapshot after SIGTERM."""
        self.cluster.start(1, shard_args=("--metrics-listen", "127.0.0.1:0"))
        info_hash = hashlib.sha1(b"partial/seed").digest()
        for name, peer_port, event in (("partial", 7200, "paused"), ("leecher", 7201, None)):
            reply = announce(self.cluster.port, info_hash, peer_id(name), peer_port,
                             source=LEECHERS, left=1000, event=event)
            self.assertNotIn(b"failure reason", reply)
        announce(self.cluster.port, info_hash, peer_id("seed"), 7202, source=SEEDERS, left=0)

        def expect_counts(when):
            files = cluster.first_served(lambda: cluster.scrape(self.cluster.port, [info_hash]),
                                         "a scrape " + when, retry_errors=True)
            entry = files[info_hash]
            self.assertEqual((entry[b"complete"], entry[b"incomplete"], entry[b"downloaders"]),
                             (1, 2, 1), when)
        expect_counts("served")
        self.assertEqual(cluster.metrics(self.cluster.shards[0].metrics_port())
                         ["shardtrack_partial_seeds{shard=\"0\"}"], 1)
        self.cluster.kill_shards()
        self.cluster.restart_shards()
        expect_counts("after kill -9")
        self.assertEqual(self.cluster.stop(), [0, 0])
        self.cluster.start(1)
        expect_counts("after SIGTERM")

    def run_to_exit(self, argv):
        """Runs a process expected to stop at once; returns (exit code, its output)."""
        done = subprocess.run(argv, capture_output=True, text=True, env=cluster.clean_env(),
                              timeout=30)
        return done.returncode, done.stdout + done.stderr

    def test_a_shard_of_another_count_beside_a_layout_half_started_is_told_it_is_in_use(self):
        # Shard 1 of 2 has written nothing yet: its files are not missing, the layout runs.
        first = Shard(0, 2, free_port(), self.cluster.data_dir, env=self.cluster.env)
        self.cluster.shards = [first]
        first.start()
        code, output = self.run_to_exit([
            cluster.binary("shardtrack-shard"), "--index", "0", "--count", "3",
            "--listen", f"tcp://127.0.0.1:{free_port()}", "--data-dir", self.cluster.data_dir])
        self.assertEqual(code, 1, output)
        self.assertIn("in use by the shards of a 2-shard layout", output)
        self.assertNotIn("on-corrupt", output)

    def test_a_second_process_on_a_running_shards_files_is_refused_and_changes_nothing(self):
        self.cluster.start(2)
        swarms = [Swarm(f"locked/{n}", seeders=2) for n in range(4)]
        for swarm in swarms[:2]:
            swarm.populate(self.cluster.port)
        data_dir = self.cluster.data_dir
        shard = cluster.binary("shardtrack-shard")
        listen = ["--listen", f"tcp://127.0.0.1:{free_port()}", "--data-dir", data_dir]
        # A double start of shard 0, a shard of another count, a node: each would load the
        # files and write a newer generation that outranks the running shards' next ones.
        for argv, said in (
                ([shard, "--index", "0", "--count", "2", *listen], "shard 0 of 2 already runs"),
                ([shard, *listen], "in use by the shards of a 2-shard layout"),
                ([cluster.binary("shardtrack-node"), "--port", "0", "--data-dir", data_dir],
                 "in use by the shards of a 2-shard layout")):
            code, output = self.run_to_exit(argv)
            self.assertNotEqual(code, 0, output)
            self.assertIn(said, output)
        code, output = self.run_to_exit([cluster.binary("shardtrack-dfile"), "retire",
                                         "--data-dir", data_dir, "--count", "1"])
        self.assertNotEqual(code, 0, output)
        self.assertIn("2-shard layout", output)
        self.assertEqual(sorted(n for n in os.listdir(data_dir) if "-of-1." in n), [])

        for swarm in swarms[2:]:  # acknowledged after the refused starts, kept after kill -9
            swarm.populate(self.cluster.port)
        swarms[0].complete(self.cluster.port, "locked/0/late", 7050)
        swarms[0].seeders.append(("locked/0/late", 7050))
        self.cluster.kill_shards()
        self.cluster.restart_shards()
        self.assertServedExactly(swarms)

    def test_a_port_in_use_is_refused_before_the_data_directory_is_touched(self):
        self.cluster.start(1)
        taken = self.cluster.shards[0].endpoint
        held = socket.socket()
        self.addCleanup(held.close)
        held.bind(("127.0.0.1", 0))
        held.listen()
        fresh = os.path.join(self.root, "fresh")
        shard = cluster.binary("shardtrack-shard")
        same = free_port()  # for both --listen and --metrics-listen
        for argv, said in (
                ([shard, "--listen", taken], f"--listen: bind {taken[len('tcp://'):]}: Address "
                                             "already in use (another process listens there"),
                ([shard, "--listen", f"tcp://127.0.0.1:{free_port()}", "--metrics-listen",
                  f"127.0.0.1:{held.getsockname()[1]}"], "--metrics-listen: bind"),
                ([shard, "--listen", f"tcp://lo:{taken.rsplit(':', 1)[1]}"],
                 "--listen: bind 127.0.0.1:"),  # an interface by the address ZeroMQ binds
                ([shard, "--listen", "ipc:///nonexistent/dir/shard.sock"],
                 "--listen: the directory of /nonexistent/dir/shard.sock does not exist")):
            code, output = self.run_to_exit([*argv, "--data-dir", fresh])
            self.assertEqual(code, 1, output)
            self.assertIn(said, output)
            self.assertFalse(os.path.exists(fresh), "a refused start wrote files")
        code, output = self.run_to_exit([shard, "--listen", f"tcp://*:{same}", "--metrics-listen",
                                         f"127.0.0.1:{same}", "--data-dir", fresh])
        self.assertEqual(code, 2, output)  # a setting refused: a restart would not help
        self.assertIn(f"--metrics-listen 127.0.0.1:{same} takes the port of --listen "
                      f"(0.0.0.0:{same}): give each its own port", output)
        self.assertFalse(os.path.exists(fresh), "a refused start wrote files")
        code, output = self.run_to_exit([shard, "--listen", f"tcp://lo:{same}", "--metrics-listen",
                                         f"127.0.0.1:{same}", "--data-dir", fresh])
        self.assertEqual(code, 2, output)
        self.assertIn(f"--metrics-listen 127.0.0.1:{same} takes the port of --listen "
                      f"(127.0.0.1:{same})", output)
        self.assertFalse(os.path.exists(fresh), "a refused start wrote files")

    def test_an_interface_without_an_ipv4_address_is_refused_before_the_load(self):
        interface = interface_without_ipv4()
        if interface is None:
            self.skipTest("every interface of this machine has an IPv4 address")
        fresh = os.path.join(self.root, "fresh")
        code, output = self.run_to_exit([cluster.binary("shardtrack-shard"), "--listen",
                                         f"tcp://{interface}:{free_port()}", "--data-dir", fresh])
        self.assertEqual(code, 1, output)
        self.assertIn(f"--listen: interface {interface} has no IPv4 address", output)
        self.assertFalse(os.path.exists(fresh), "a refused start wrote files")

    def test_files_over_a_lowered_limit_load_whole_and_the_shard_says_so(self):
        self.cluster.start(1)
        swarm = Swarm("limits/over", seeders=2)  # 3 peers
        swarm.populate(self.cluster.port)
        self.assertEqual(self.cluster.stop(), [0, 0])
        self.cluster.start(1, shard_args=["--max-peers", "2"])
        self.assertTrue(self.cluster.shards[0].logged("its files hold 1 torrents with peers and "
                                                      "3 peers, reaching --max-torrents"))
        self.assertServedExactly([swarm])  # nothing dropped; listed peers go on
        reply = announce(self.cluster.port, swarm.info_hash, peer_id("limits/new"), 7300,
                         source=SEEDERS, left=5)
        self.assertIn(b"tracker full", reply[b"failure reason"])

    def test_a_full_disk_stops_the_shard_saying_what_to_do_and_loses_nothing(self):
        disk = SmallFileSystem(os.path.join(self.root, "small"), "128k")
        self.addCleanup(disk.close)
        self.addCleanup(self.cluster.stop)  # before the file system goes
        if not disk.mounted:
            self.skipTest("cannot mount a tmpfs here (needs root)")
        self.cluster.data_dir = os.path.join(disk.path, "data")
        self.cluster.start(1)
        swarms = [Swarm(f"full/{n}", seeders=0) for n in range(4)]
        told = 0  # completions whose clients got an answer
        for k in range(20000):
            swarm = swarms[k % len(swarms)]
            reply = announce(self.cluster.port, swarm.info_hash, peer_id(f"full/{k}"),
                             10000 + k, source=SEEDERS, left=0, event="completed")
            if b"failure reason" in reply:
                break
            swarm.completed += 1
            told += 1
        self.assertGreater(told, 100)
        shard = self.cluster.shards[0]
        self.assertFalse(shard.running())
        self.assertRegex(shard.log(), r"critical: journal .*No space left on device \(free space "
                         r"or inodes on that file system, see df -h and df -i; then start the "
                         r"shard again if this stopped it\); stopping the shard")

        with self.assertRaises(RuntimeError):  # still full: it says so and does not start
            shard.start()
        self.assertRegex(shard.log(), r"cannot start from .*No space left on device \(free space")
        disk.grow("16m")
        shard.start()
        # The failed write was taken back whole: no torn record, and no seeder without its count.
        self.assertRegex(shard.log(), r"replayed \d+ of \d+ records\n.*ready:")
        for swarm in swarms:
            entry = cluster.scrape(self.cluster.port, [swarm.info_hash])[swarm.info_hash]
            self.assertEqual(entry[b"downloaded"], swarm.completed, swarm.label)
            self.assertEqual(entry[b"complete"], swarm.completed, swarm.label)

    def test_a_volume_unmounted_under_the_shard_stops_it_and_loses_nothing(self):
        # A tmpfs (another device than the directory below it) at `volume`, seen by the shard
        # through a bind mount that is then taken away; `volume` keeps the files meanwhile.
        volume, mount_point = os.path.join(self.root, "volume"), os.path.join(self.root, "mnt")
        disk = SmallFileSystem(volume, "16m")
        self.addCleanup(disk.close)
        if not disk.mounted:
            self.skipTest("cannot mount here (needs root)")
        os.makedirs(mount_point)
        subprocess.run(["mount", "--bind", volume, mount_point], check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", mount_point], capture_output=True)
        self.addCleanup(self.cluster.stop)  # before the volume goes
        self.cluster.data_dir = os.path.join(mount_point, "data")
        self.cluster.start(1)
        swarm = Swarm("unmounted", seeders=3)
        swarm.populate(self.cluster.port)
        shard = self.cluster.shards[0]
        # The same directory mounted over itself (a common hardening) is still its files.
        data = self.cluster.data_dir
        subprocess.run(["mount", "--bind", data, data], check=True)
        time.sleep(6)  # a files check (every 5 s) passes it
        subprocess.run(["umount", data], check=True)
        self.assertTrue(shard.running())
        # Lazily, as an orchestrator detaching it: the shard's open files stay on the volume.
        subprocess.run(["umount", "-l", mount_point], check=True)
        self.assertTrue(shard.logged(f"the data directory {data} is gone and its parent "
                                     f"{mount_point} is on another filesystem than before", 15),
                        shard.log_tail())
        shard.popen.wait(30)
        self.assertEqual(shard.popen.returncode, 3)  # which no unit restarts
        self.assertIn("no final snapshot", shard.log())
        self.assertFalse(os.path.exists(data), "made again off the volume")
        subprocess.run(["mount", "--bind", volume, mount_point], check=True)
        self.cluster.restart_shards()
        self.assertServedExactly([swarm])

    def test_a_retired_torrent_stays_forgotten_after_kill_9(self):
        # Peers expire after 1 s; a torrent without any keeps its count 2 s after its last
        # announce. Expiry runs every second.
        self.cluster.start(1, ["--metrics-listen", "127.0.0.1:0", "--peer-timeout", "1",
                               "--expire-interval", "1", "--torrent-retention", "2"])
        old, fresh = Swarm("retire/old", seeders=2), Swarm("retire/fresh", seeders=1)
        old.populate(self.cluster.port)
        metrics_port = self.cluster.shards[0].metrics_port()
        deadline = time.monotonic() + SERVE_DEADLINE
        while cluster.metrics(metrics_port)['shardtrack_retired_torrents_total{shard="0"}'] < 1:
            self.assertLess(time.monotonic(), deadline, "the idle torrent was never retired")
            time.sleep(0.1)
        samples = cluster.metrics(metrics_port)
        self.assertEqual(samples['shardtrack_torrents{shard="0"}'], 0)
        self.assertEqual(samples['shardtrack_completed{shard="0"}'], 0)  # the count left with it
        self.assertEqual(samples['shardtrack_completions_total{shard="0"}'], 2)  # never goes down
        fresh.populate(self.cluster.port)  # journaled after the retirement
        self.assertEqual(cluster.scrape(self.cluster.port, [old.info_hash])[old.info_hash],
                         cluster.NO_COUNTS)

        self.cluster.kill_shards()
        self.cluster.restart_shards()
        entry, _ = served(self.cluster.port, fresh)
        self.assertEqual(entry[b"downloaded"], 1)
        self.assertEqual(cluster.scrape(self.cluster.port, [old.info_hash])[old.info_hash],
                         cluster.NO_COUNTS)
        inspected = self.dfile_tool("inspect", "--data-dir", self.cluster.data_dir)
        self.assertEqual(inspected.returncode, 0, inspected.stdout + inspected.stderr)
        self.assertIn(b" 1 torrents forgotten,", inspected.stdout)

    def test_corrupt_snapshot_is_refused_by_name_and_quarantine_recovers(self):
        self.cluster.start(1)
        swarm = Swarm("corrupt", seeders=2)
        swarm.populate(self.cluster.port)
        self.assertEqual(self.cluster.stop(), [0, 0])
        path = os.path.join(self.cluster.data_dir, "shard-0-of-1.snapshot")
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0x20
            f.seek(0)
            f.write(data)

        shard = Shard(0, 1, free_port(), self.cluster.data_dir, env=self.cluster.env)
        with self.assertRaises(RuntimeError) as refused:
            shard.start()
        self.assertNotEqual(shard.popen.returncode, 0)
        message = str(refused.exception)
        self.assertIn(path, message)
        self.assertIn("--on-corrupt=refuse", message)
        self.assertIn("--on-corrupt=quarantine", message)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), bytes(data), "a corrupt file must never be overwritten")

        self.cluster.start(1, shard_args=["--on-corrupt", "quarantine"])
        self.assertServedExactly([swarm])
        moved = [n for n in os.listdir(self.cluster.data_dir)
                 if n.startswith("shard-0-of-1.snapshot.corrupt-")]
        self.assertEqual(len(moved), 1, os.listdir(self.cluster.data_dir))
        self.assertRegex(self.cluster.shards[0].log(), r"warning: shard 0: .*quarantined "
                         r"shard-0-of-1.snapshot .*may be lost")

    def test_resizing_two_to_three_to_one_shards_serves_every_count_and_peer(self):
        self.cluster.start(2)
        swarms = [Swarm(f"resize/{n}", seeders=1 + n % 3) for n in range(12)]
        for swarm in swarms:
            swarm.populate(self.cluster.port)
        self.assertEqual(self.cluster.stop(), [0, 0, 0])

        accounting = os.path.join(self.cluster.data_dir, "accounting")
        os.makedirs(accounting)
        # Accounting baselines of shard counts this directory no longer has files of: unread.
        for name in ("shard5-of-6.baselines", "shard7-of-8.baselines"):
            with open(os.path.join(accounting, name), "w") as f:
                f.write("not read")
        waiting = self.dfile_tool("retire", "--data-dir", self.cluster.data_dir, "--count", "3")
        self.assertEqual(waiting.returncode, 3, waiting.stdout)  # no shard of 3 has started yet
        self.assertIn(b"every shard of the new layout must start first", waiting.stdout)
        self.assertEqual(len(os.listdir(accounting)), 2)
        self.cluster.start(3)
        self.assertServedExactly(swarms)
        retired = self.dfile_tool("retire", "--data-dir", self.cluster.data_dir, "--count", "3")
        self.assertEqual(retired.returncode, 0, retired.stderr)
        self.assertIn(b"removed shard-1-of-2.snapshot", retired.stdout)
        self.assertIn(b"removed accounting/shard5-of-6.baselines", retired.stdout)
        self.assertIn(b"removed accounting/shard7-of-8.baselines", retired.stdout)
        self.assertEqual(os.listdir(accounting), [])
        left = [n for n in os.listdir(self.cluster.data_dir) if "-of-2." in n]
        self.assertEqual(left, [], "every file of the 2-shard layout is retired")
        moved = [s for s in swarms if cluster.shard_for(s.info_hash, 3) == 2]
        self.assertTrue(moved, "some torrents must move to the new shard")
        for swarm in swarms[:6]:  # changes made at three shards, then a crash
            name, peer_port = f"{swarm.label}/late", 7200
            swarm.complete(self.cluster.port, name, peer_port)
            swarm.seeders.append((name, peer_port))
        self.cluster.kill_shards()
        self.cluster.stop()

        self.cluster.start(1)
        self.assertServedExactly(swarms)

    def test_retire_keeps_another_counts_credits_until_every_current_shard_outranks_them(self):
        passkeys = os.path.join(self.root, "passkeys")
        with open(passkeys, "w") as f:
            f.write(f"{MEMBER} 1001\n")
        members = ["--passkey-file", passkeys]
        self.cluster.start(2, frontend_args=members)
        self.assertEqual(self.cluster.stop(), [0, 0, 0])
        # At 3 shards a member uploads on every shard, which are killed before any accounting
        # file: their credit logs are all that holds it.
        torrents = [cluster.hash_on_shard(index, 3, "credited") for index in range(3)]
        self.cluster.start(3, frontend_args=members)
        for info_hash in torrents:
            for uploaded, event in ((0, "started"), (1000, None)):
                target = cluster.announce_target(info_hash, peer_id("member"), 6881, left=0,
                                                 uploaded=uploaded, event=event)
                self.assertEqual(cluster.get(self.cluster.port, f"/{MEMBER}{target}").status, 200)
        self.cluster.kill_shards()
        self.cluster.stop()
        accounting = os.path.join(self.cluster.data_dir, "accounting")
        logs = sorted(n.partition("-of-3-")[0] for n in os.listdir(accounting)
                      if n.endswith(".credits"))
        self.assertEqual(logs, ["shard0", "shard1", "shard2"])

        before = files_under(self.cluster.data_dir)
        wrong = self.dfile_tool("retire", "--data-dir", self.cluster.data_dir, "--count", "2")
        self.assertEqual(wrong.returncode, 3, wrong.stdout + wrong.stderr)
        self.assertIn(b"--count 2 looks older than the files of 3 shards", wrong.stdout)
        self.assertEqual(files_under(self.cluster.data_dir), before, "a wrong count removes nothing")

        # Back at 2 shards, only shard 1 started since: shard 0 of 2 has yet to finish what the
        # credit logs of shards 0 and 2 of 3 hold.
        shard = Shard(1, 2, free_port(), self.cluster.data_dir, env=self.cluster.env)
        self.addCleanup(shard.stop)
        shard.start()
        self.assertEqual(shard.stop(), 0)
        waiting = self.dfile_tool("retire", "--data-dir", self.cluster.data_dir, "--count", "2")
        self.assertEqual(waiting.returncode, 3, waiting.stdout + waiting.stderr)
        self.assertIn(b"waiting for shard 0 of 2:", waiting.stdout)
        self.assertFalse([l for l in waiting.stdout.splitlines() if l.startswith(b"removed")])
        left = os.listdir(accounting)
        for index in (0, 2):
            self.assertIn(f"shard{index}-of-3-1.credits", left)
        self.assertTrue(os.path.exists(os.path.join(self.cluster.data_dir,
                                                    "shard-0-of-3.snapshot")))

        self.cluster.start(2, frontend_args=members)
        self.assertEqual(self.cluster.stop(), [0, 0, 0])
        retired = self.dfile_tool("retire", "--data-dir", self.cluster.data_dir, "--count", "2")
        self.assertEqual(retired.returncode, 0, retired.stdout + retired.stderr)
        self.assertIn(b"removed shard-2-of-3.snapshot", retired.stdout)
        self.assertEqual(glob.glob(os.path.join(accounting, "*.credits")), [])
        self.assertEqual(uploaded_by_torrent(self.cluster.data_dir),
                         {info_hash.hex(): 1000 for info_hash in torrents})

    def test_a_shard_refuses_part_of_an_old_layout_and_starts_once_it_is_whole(self):
        data_dir = self.cluster.data_dir
        self.cluster.start(2)
        swarms = [Swarm(f"partial/{n}", seeders=1 + n % 2) for n in range(12)]
        for swarm in swarms:
            swarm.populate(self.cluster.port)
        self.assertEqual(self.cluster.stop(), [0, 0, 0])
        self.assertTrue(any(cluster.shard_for(s.info_hash, 2) == 1 and
                            cluster.shard_for(s.info_hash, 3) == 2 for s in swarms))
        aside = os.path.join(self.root, "aside")  # a copy that left shard 1 of 2 out
        os.makedirs(aside)
        for name in glob.glob(os.path.join(data_dir, "shard-1-of-2.*")):
            shutil.move(name, aside)

        before = files_under(data_dir)
        shard = Shard(2, 3, free_port(), data_dir, env=self.cluster.env)
        with self.assertRaises(RuntimeError) as refused:
            shard.start()
        message = str(refused.exception)
        self.assertIn(f"no file of shard 1 of 2 is in {data_dir} though shard 0 of 2's are",
                      message)
        self.assertIn("--on-corrupt=quarantine", message)
        self.assertEqual(files_under(data_dir), before, "a refused start writes nothing")
        # Shard 0 of 3 owns no torrent shard 1 of 2 held (jump hash), but its layout cannot start
        # whole: it writes nothing either, so that going back to 2 shards needs no choice.
        shard = Shard(0, 3, free_port(), data_dir, env=self.cluster.env)
        with self.assertRaises(RuntimeError) as refused:
            shard.start()
        self.assertIn("will refuse to start: no file of shard 1 of 2 is in",
                      str(refused.exception))
        self.assertIn("so no shard of 3 starts and nothing is written", str(refused.exception))
        self.assertEqual(files_under(data_dir), before)
        waiting = self.dfile_tool("retire", "--data-dir", data_dir, "--count", "3")
        self.assertEqual(waiting.returncode, 3, waiting.stdout + waiting.stderr)
        self.assertIn(b"no file of shard 1 of 2 is in", waiting.stdout)

        # Going on without it is a choice: then the tools report the gap that the shard took.
        chosen = os.path.join(self.root, "chosen")
        shutil.copytree(data_dir, chosen)
        shard = Shard(2, 3, free_port(), chosen, ["--on-corrupt", "quarantine"], self.cluster.env)
        self.addCleanup(shard.stop)
        shard.start()
        self.assertRegex(shard.log(), r"warning: shard 2: .*no file of shard 1 of 2 is in .*"
                         r"may be lost")
        self.assertEqual(shard.stop(), 0)
        inspected = self.dfile_tool("inspect", "--data-dir", chosen)
        self.assertEqual(inspected.returncode, 1, inspected.stdout + inspected.stderr)
        self.assertIn(b"cannot merge: no file of shard 1 of 2 is in", inspected.stdout)
        exported = self.dfile_tool("export", "--data-dir", chosen, "--out", "-")
        self.assertEqual(exported.returncode, 1, exported.stdout[:200] + exported.stderr)
        self.assertIn(b"no file of shard 1 of 2 is in", exported.stderr)

        for name in os.listdir(aside):  # put back
            shutil.move(os.path.join(aside, name), data_dir)
        self.cluster.start(3)
        self.assertServedExactly(swarms)
        self.assertEqual(self.cluster.stop(), [0, 0, 0, 0])
        # A retire cut short leaves part of a layout that a newer complete one speaks for.
        for name in glob.glob(os.path.join(data_dir, "shard-1-of-2.*")):
            os.remove(name)
        inspected = self.dfile_tool("inspect", "--data-dir", data_dir)
        self.assertEqual(inspected.returncode, 0, inspected.stdout + inspected.stderr)
        self.cluster.start(1)
        self.assertServedExactly(swarms)

    def test_dfile_import_serves_the_original_state_and_export_gives_it_back(self):
        hashes = [hashlib.sha1(f"dfile/{n}".encode()).digest() for n in range(5)]
        original = {
            "peers": {h: {peer_id(f"dfile/{n}/{k}"): {"ip": f"10.1.{n}.{k + 1}",
                                                       "port": 6881 + k, "left": k, "nat": 0}
                          for k in range(n + 1)}
                      for n, h in enumerate(hashes)},
            "completed": {h: 10 * n + 1 for n, h in enumerate(hashes)},
            "allowed": {},
        }
        dfile = os.path.join(self.root, "bttrack.dfile")
        with open(dfile, "wb") as f:
            f.write(bencode(original))
        imported = self.dfile_tool("import", "--data-dir", self.cluster.data_dir, "--in", dfile)
        self.assertEqual(imported.returncode, 0, imported.stderr)
        self.assertIn(b"imported 5 torrents, 15 peers", imported.stdout)

        # Ids are kept through a restart with `always` only: the original tracker kept every id.
        self.cluster.start(2, shard_args=["--store-peer-ids", "always"])
        for n, h in enumerate(hashes):
            files = cluster.scrape(self.cluster.port, [h])
            self.assertEqual(files[h][b"downloaded"], 10 * n + 1)
            self.assertEqual(files[h][b"complete"], 1)  # the peer with left 0
            self.assertEqual(files[h][b"incomplete"], n)
        self.assertEqual(self.cluster.stop(), [0, 0, 0])

        inspected = self.dfile_tool("inspect", "--data-dir", self.cluster.data_dir)
        self.assertEqual(inspected.returncode, 0, inspected.stdout + inspected.stderr)
        self.assertIn(b"shard-1-of-2.snapshot: snapshot of shard 1 of 2", inspected.stdout)
        self.assertIn(b"checksums OK", inspected.stdout)
        exported_path = os.path.join(self.root, "exported.dfile")
        exported = self.dfile_tool("export", "--data-dir", self.cluster.data_dir,
                                   "--out", exported_path)
        self.assertEqual(exported.returncode, 0, exported.stderr)
        with open(exported_path, "rb") as f:
            back = cluster.bdecode(f.read())
        self.assertEqual(back[b"completed"], {h: 10 * n + 1 for n, h in enumerate(hashes)})
        for n, h in enumerate(hashes):
            want = {pid: (info["ip"].encode(), info["port"], info["left"] == 0)
                    for pid, info in original["peers"][h].items()}
            got = {pid: (info[b"ip"], info[b"port"], info[b"left"] == 0)
                   for pid, info in back[b"peers"][h].items()}
            self.assertEqual(got, want)
            # Reachable: without it the original tracker hands a peer out only once re-checked.
            self.assertEqual({info[b"nat"] for info in back[b"peers"][h].values()}, {0})

    def test_a_failed_export_says_so_and_leaves_the_old_dfile_whole(self):
        hashes = [hashlib.sha1(f"export/{n}".encode()).digest() for n in range(400)]
        dfile = os.path.join(self.root, "bttrack.dfile")
        with open(dfile, "wb") as f:
            f.write(bencode({"peers": {h: {peer_id(f"export/{n}"): {"ip": "10.2.0.1",
                                                                    "port": 6881, "left": 0}}
                                       for n, h in enumerate(hashes)},
                             "completed": {h: 1 for h in hashes}}))
        imported = self.dfile_tool("import", "--data-dir", self.cluster.data_dir, "--in", dfile)
        self.assertEqual(imported.returncode, 0, imported.stderr)

        # The original tracker's dfile, replaced: its owner and mode stay; a link is followed.
        old_dfile = os.path.join(self.root, "owned.dfile")
        with open(old_dfile, "wb") as f:
            f.write(b"de")
        os.chmod(old_dfile, 0o640)
        if os.geteuid() == 0:
            os.chown(old_dfile, 65534, 65534)
        link = os.path.join(self.root, "link.dfile")
        os.symlink(old_dfile, link)
        for target in (old_dfile, link):
            exported = self.dfile_tool("export", "--data-dir", self.cluster.data_dir,
                                       "--out", target)
            self.assertEqual(exported.returncode, 0, exported.stderr)
        self.assertTrue(os.path.islink(link))
        owned = os.stat(old_dfile)
        self.assertEqual(owned.st_mode & 0o7777, 0o640)
        if os.geteuid() == 0:
            self.assertEqual((owned.st_uid, owned.st_gid), (65534, 65534))
        with open(old_dfile, "rb") as f:
            self.assertEqual(len(cluster.bdecode(f.read())[b"completed"]), 400)

        with open("/dev/full", "wb") as full:  # every write to it fails with ENOSPC
            to_stdout = subprocess.run([cluster.binary("shardtrack-dfile"), "export",
                                        "--data-dir", self.cluster.data_dir, "--out", "-"],
                                       stdout=full, stderr=subprocess.PIPE, timeout=30)
        self.assertNotEqual(to_stdout.returncode, 0)
        self.assertIn(b"standard output failed", to_stdout.stderr)

        disk = SmallFileSystem(os.path.join(self.root, "small"), "40k")
        self.addCleanup(disk.close)
        if not disk.mounted:
            self.skipTest("mounting a tmpfs needs root")
        old = os.path.join(disk.path, "dfile")
        with open(old, "wb") as f:
            f.write(b"d5:peersdee" + b" " * 20000)  # what an export would replace
        exported = self.dfile_tool("export", "--data-dir", self.cluster.data_dir, "--out", old)
        self.assertNotEqual(exported.returncode, 0)
        self.assertIn(b"No space left on device", exported.stderr)
        with open(old, "rb") as f:
            self.assertEqual(f.read(), b"d5:peersdee" + b" " * 20000)
        self.assertEqual(os.listdir(disk.path), ["dfile"])  # no temp file left behind

    def test_periodic_snapshot_takes_the_journal_in(self):
        self.cluster.start(1, shard_args=["--save-dfile-interval", "1"])
        swarm = Swarm("periodic", seeders=2)
        swarm.populate(self.cluster.port)
        deadline = time.monotonic() + SERVE_DEADLINE
        while True:  # a snapshot after the announces holds them, and its journal is empty
            out = self.dfile_tool("inspect", "--data-dir", self.cluster.data_dir).stdout
            if (b"shard-0-of-1.snapshot: snapshot of shard 0 of 1" in out
                    and b"1 torrents, 3 peers, 2 completed" in out
                    and b"0 completed, 0 peer updates, 0 peer removals, 0 torrents forgotten"
                    in out):
                break
            self.assertLess(time.monotonic(), deadline, out.decode())
            time.sleep(0.2)
        self.cluster.kill_shards()
        self.cluster.restart_shards()
        self.assertServedExactly([swarm])

    def test_a_data_directory_removed_while_running_is_written_again_from_memory(self):
        self.cluster.start(2)
        swarms = [Swarm(f"gone/{n}", seeders=n + 1) for n in range(4)]
        for swarm in swarms:
            swarm.populate(self.cluster.port)
        shutil.rmtree(self.cluster.data_dir)
        for shard in self.cluster.shards:
            self.assertTrue(shard.logged("vanished from under the running shard", timeout=15),
                            shard.log_tail())
        deadline = time.monotonic() + SERVE_DEADLINE
        names = [f"shard-{i}-of-2.{kind}" for i in range(2) for kind in ("snapshot", "journal")]
        while not all(os.path.exists(os.path.join(self.cluster.data_dir, n)) for n in names):
            self.assertLess(time.monotonic(), deadline, os.listdir(self.cluster.data_dir))
            time.sleep(0.1)
        swarms[0].complete(self.cluster.port, "gone/after", 7999)  # into the new journal
        swarms[0].seeders.append(("gone/after", 7999))
        self.cluster.kill_shards()
        self.cluster.restart_shards()
        self.assertServedExactly(swarms)

    def test_a_stopped_snapshot_child_does_not_hold_up_sigterm(self):
        self.cluster.start(1, shard_args=["--save-dfile-interval", "1"])
        swarm = Swarm("stuck", seeders=2)
        swarm.populate(self.cluster.port)
        shard = self.cluster.shards[0]
        deadline = time.monotonic() + SERVE_DEADLINE
        tasks = f"/proc/{shard.popen.pid}/task"
        stopped = False
        while not stopped:  # a snapshot child caught while it runs (a few ms), and stopped
            self.assertLess(time.monotonic(), deadline, "no snapshot child caught running")
            for task in os.listdir(tasks):
                with open(f"{tasks}/{task}/children") as listed:
                    for child in listed.read().split():
                        stopped = stopped or stop_process(int(child))
        started = time.monotonic()
        self.assertEqual(shard.stop(), 0, shard.log_tail())
        self.assertLess(time.monotonic() - started, 10)
        shard.start()
        self.assertServedExactly([swarm])

    def test_inspect_reports_a_corrupt_file_and_fails(self):
        self.cluster.start(1)
        Swarm("inspect", seeders=1).populate(self.cluster.port)
        self.assertEqual(self.cluster.stop(), [0, 0])
        path = os.path.join(self.cluster.data_dir, "shard-0-of-1.snapshot")
        with open(path, "ab") as f:
            f.write(b"\0")
        inspected = self.dfile_tool("inspect", "--data-dir", self.cluster.data_dir)
        self.assertEqual(inspected.returncode, 1)
        self.assertIn(b"shard-0-of-1.snapshot: snapshot, CORRUPT", inspected.stdout)

    def test_a_journal_removed_while_down_is_refused_and_inspect_fails(self):
        self.cluster.start(1)
        self.assertRegex(self.cluster.shards[0].log(),
                         r"warning: shard 0: recovered 0 torrents and 0 peers \(no files: a "
                         r"fresh start\): expected at its first start")
        swarm = Swarm("journal-removed", seeders=2)
        swarm.populate(self.cluster.port)
        self.cluster.kill_shards()
        journal = os.path.join(self.cluster.data_dir, "shard-0-of-1.journal")
        os.remove(journal)
        inspected = self.dfile_tool("inspect", "--data-dir", self.cluster.data_dir)
        self.assertEqual(inspected.returncode, 1, inspected.stdout)
        self.assertIn(b"cannot merge: no journal of shard 0 of 1", inspected.stdout)

        shard = Shard(0, 1, free_port(), self.cluster.data_dir, env=self.cluster.env)
        with self.assertRaises(RuntimeError) as refused:
            shard.start()
        self.assertIn("no journal of shard 0 of 1 is in " + self.cluster.data_dir +
                      " though its snapshot is: someone removed it", str(refused.exception))
        self.assertFalse(os.path.exists(journal), "a refused start writes nothing")

    def test_a_torn_journal_tail_is_warned_of(self):
        self.cluster.start(1)
        Swarm("torn", seeders=3).populate(self.cluster.port)
        self.cluster.kill_shards()
        journal = os.path.join(self.cluster.data_dir, "shard-0-of-1.journal")
        os.truncate(journal, os.path.getsize(journal) - 3)
        self.cluster.restart_shards()
        self.assertRegex(self.cluster.shards[0].log(),
                         r"warning: shard 0: recovered .*ignored a torn tail of \d+ bytes \(the "
                         r"end of a journal was cut")


if __name__ == "__main__":
    unittest.main()
