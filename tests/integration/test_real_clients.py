"""Two different real BitTorrent clients meet only through the tracker and move a file.

libtorrent (python3-libtorrent, in this process) seeds a random file; aria2c downloads it.
DHT, PEX, local peer discovery, UPnP and NAT-PMP are off in both and the torrent is private,
so the tracker's peer list is the only way they can find each other.

OpentrackerReferenceTest runs the same scenario against Debian's opentracker: it proves the
client-side setup, so that when only the shardtrack test fails the tracker is at fault.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import cluster

try:
    import libtorrent as lt
except ImportError:  # reported as a skip, not an error
    lt = None

TRANSFER_TIMEOUT = 60.0  # seconds for the whole transfer
FILE_SIZE = 3 * 512 * 1024 + 12345  # several pieces and a short last one
PIECE_SIZE = 64 * 1024


class Seeder:
    """A libtorrent session seeding one torrent from `data_dir`, alerts kept as a log."""

    def __init__(self, torrent_bytes, data_dir, listen_port):
        alerts = lt.alert.category_t
        mask = (alerts.error_notification | alerts.tracker_notification |
                alerts.peer_notification | alerts.status_notification |
                alerts.connect_notification)
        settings = {
            "listen_interfaces": f"127.0.0.1:{listen_port}",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "allow_multiple_connections_per_ip": True,
            "enable_incoming_utp": False,
            "enable_outgoing_utp": False,
            "alert_mask": int(mask),
            "user_agent": "shardtrack-itest-libtorrent",
        }
        # flags=0: no default plugins, so no ut_pex (peer exchange) either.
        self.session = lt.session(settings, 0)
        self.info = lt.torrent_info(lt.bdecode(torrent_bytes))
        self.handle = self.session.add_torrent({"ti": self.info, "save_path": data_dir})
        self.log = []
        self.announced = False

    def pump(self):
        for alert in self.session.pop_alerts():
            self.log.append(f"{time.monotonic():.3f} {type(alert).__name__}: {alert.message()}")
            if isinstance(alert, lt.tracker_reply_alert):
                self.announced = True

    def wait_seeding_and_announced(self, deadline):
        while time.monotonic() < deadline:
            self.pump()
            if self.handle.status().is_seeding and self.announced:
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.pump()
        self.session.remove_torrent(self.handle)
        del self.handle
        del self.session


def make_torrent(path, announce_urls):
    """A private v1 torrent of the single file at `path`, each announce URL its own tier;
    returns (bytes, infohash)."""
    files = lt.file_storage()
    lt.add_files(files, path)
    creator = lt.create_torrent(files, PIECE_SIZE, lt.create_torrent.v1_only)
    for tier, url in enumerate(announce_urls):
        creator.add_tracker(url, tier)
    creator.set_priv(True)
    creator.set_creator("shardtrack integration test")
    lt.set_piece_hashes(creator, os.path.dirname(path))
    torrent_bytes = lt.bencode(creator.generate())
    info_hash = lt.torrent_info(lt.bdecode(torrent_bytes)).info_hashes().v1.to_bytes()
    return torrent_bytes, info_hash


class OpenTracker:
    """Debian's opentracker in whitelist mode on a loopback port, in its own temp dir."""

    def __init__(self, tmp, port, info_hash):
        self.dir = os.path.join(tmp, "opentracker")
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        whitelist = os.path.join(self.dir, "whitelist")
        with open(whitelist, "w") as f:
            f.write(info_hash.hex() + "\n")
        os.chmod(whitelist, 0o644)
        # As root it chroots into tracker.rootdir and drops to tracker.user, so the whitelist
        # path is then relative to the new root; without root it stays where it is.
        as_root = os.geteuid() == 0
        config = os.path.join(self.dir, "opentracker.conf")
        with open(config, "w") as f:
            f.write(f"listen.tcp 127.0.0.1:{port}\n"
                    f"listen.udp 127.0.0.1:{port}\n"
                    f"access.whitelist {'/whitelist' if as_root else whitelist}\n"
                    f"tracker.rootdir {self.dir}\n"
                    f"tracker.user {'nobody' if as_root else os.environ.get('USER', 'nobody')}\n")
        self.port = port
        self.log_path = os.path.join(self.dir, "log")
        self.log_file = open(self.log_path, "wb")
        self.popen = subprocess.Popen(["opentracker", "-f", config], stdin=subprocess.DEVNULL,
                                      stdout=self.log_file, stderr=subprocess.STDOUT)
        self._wait_listening()

    def _wait_listening(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"opentracker exited early:\n{self.logs()}")
            try:
                cluster.HttpConnection(self.port, timeout=1.0).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"opentracker did not listen within {timeout} s:\n{self.logs()}")

    def logs(self):
        self.log_file.flush()
        with open(self.log_path, "rb") as f:
            return "--- opentracker log ---\n" + f.read().decode("utf-8", "replace")[-4000:]

    def close(self):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self.log_file.close()


class ShardtrackTracker:
    """A shardtrack cluster (2 shards, 1 frontend) whose frontend listens on `port` (HTTP, and
    UDP too with `udp`)."""

    udp = False

    def __init__(self, tmp, port, info_hash):
        del tmp, info_hash  # the cluster has its own temp dir and serves every torrent
        self.cluster = cluster.Cluster(shards=2, frontends=0)
        self.cluster.__enter__()
        try:
            endpoints = [shard.endpoint for shard in self.cluster.shards]
            extra_args = ["--udp-port", str(port)] if self.udp else []
            frontend = cluster.Frontend(0, endpoints, extra_args, env=self.cluster.env,
                                        port=port)
            self.cluster.frontends.append(frontend)
            frontend.start()
        except BaseException:
            self.cluster.close()
            raise

    def logs(self):
        return self.cluster.logs()

    def close(self):
        self.cluster.close()


class ShardtrackUdpTracker(ShardtrackTracker):
    udp = True


class RealClientsScenario:
    """The scenario; subclasses say which tracker (`tracker_class`) to run and the torrent's
    announce tiers (`schemes`). libtorrent announces to the first tier that answers; aria2c
    (Debian's, whose UDP tracker support needs DHT) skips udp:// and takes the next."""

    tracker_class = None
    schemes = ("http",)

    def setUp(self):
        if lt is None:
            self.skipTest("python3-libtorrent is not installed")
        if shutil.which("aria2c") is None:
            self.skipTest("aria2c is not installed")
        self.tmp = tempfile.mkdtemp(prefix="shardtrack-clients-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_libtorrent_seeds_a_file_that_aria2_downloads(self):
        seed_dir = os.path.join(self.tmp, "seed")
        download_dir = os.path.join(self.tmp, "download")
        os.makedirs(seed_dir)
        os.makedirs(download_dir)
        content = os.urandom(FILE_SIZE)
        source_path = os.path.join(seed_dir, "payload.bin")
        with open(source_path, "wb") as f:
            f.write(content)

        tracker_port = cluster.free_port()
        urls = [f"{scheme}://127.0.0.1:{tracker_port}/announce" for scheme in self.schemes]
        torrent_bytes, info_hash = make_torrent(source_path, urls)
        torrent_path = os.path.join(self.tmp, "payload.torrent")
        with open(torrent_path, "wb") as f:
            f.write(torrent_bytes)

        tracker = self.tracker_class(self.tmp, tracker_port, info_hash)
        self.addCleanup(tracker.close)
        deadline = time.monotonic() + TRANSFER_TIMEOUT

        seeder = Seeder(torrent_bytes, seed_dir, cluster.free_listen_port())
        self.addCleanup(seeder.close)
        aria2_log = os.path.join(self.tmp, "aria2.log")

        def logs():
            seeder.pump()
            aria2 = ""
            if os.path.exists(aria2_log):
                with open(aria2_log, "rb") as f:
                    aria2 = f.read().decode("utf-8", "replace")[-6000:]
            return ("\n--- libtorrent alerts ---\n" + "\n".join(seeder.log[-60:]) +
                    "\n--- aria2c log (tail) ---\n" + aria2 + "\n" + tracker.logs())

        self.assertTrue(seeder.wait_seeding_and_announced(deadline),
                        "libtorrent did not start seeding and announce" + logs())
        first = f"tracker_reply_alert: payload.bin ({urls[0]})"
        self.assertTrue(any(first in line for line in seeder.log),
                        f"libtorrent's announce was not answered through {urls[0]}" + logs())

        aria2 = subprocess.Popen(
            ["aria2c", f"--dir={download_dir}", "--enable-dht=false", "--enable-dht6=false",
             "--enable-peer-exchange=false", "--bt-enable-lpd=false", "--seed-time=0",
             "--disable-ipv6=true", f"--listen-port={cluster.free_listen_port()}",
             "--bt-require-crypto=false", "--file-allocation=none",
             "--summary-interval=0", "--console-log-level=warn",
             f"--log={aria2_log}", "--log-level=info", "--bt-stop-timeout=0",
             "--check-integrity=true", torrent_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def stop_aria2():
            if aria2.poll() is None:
                aria2.kill()
                aria2.wait(5)
            if not aria2.stdout.closed:
                aria2.stdout.close()
        self.addCleanup(stop_aria2)

        while aria2.poll() is None and time.monotonic() < deadline:
            seeder.pump()
            time.sleep(0.1)
        if aria2.poll() is None:
            stop_aria2()
            self.fail(f"aria2c did not finish within {TRANSFER_TIMEOUT} s" + logs())
        console = aria2.stdout.read().decode("utf-8", "replace")
        aria2.stdout.close()
        self.assertEqual(aria2.returncode, 0, f"aria2c failed:\n{console}" + logs())

        with open(os.path.join(download_dir, "payload.bin"), "rb") as f:
            downloaded = f.read()
        self.assertEqual(len(downloaded), len(content))
        self.assertTrue(downloaded == content, "downloaded bytes differ from the seeded ones")


@unittest.skipIf(shutil.which("opentracker") is None, "opentracker is not installed")
class OpentrackerReferenceTest(RealClientsScenario, unittest.TestCase):
    tracker_class = OpenTracker


class ShardtrackRealClientsTest(RealClientsScenario, unittest.TestCase):
    tracker_class = ShardtrackTracker


class ShardtrackUdpRealClientsTest(RealClientsScenario, unittest.TestCase):
    """libtorrent seeds announcing over UDP (BEP 15); aria2c finds it over HTTP."""
    tracker_class = ShardtrackUdpTracker
    schemes = ("udp", "http")


if __name__ == "__main__":
    unittest.main()
