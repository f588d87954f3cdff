"""Two different real BitTorrent clients meet only through the tracker and move a file.

libtorrent (python3-libtorrent, in this process) seeds a random file; aria2c, or Transmission
(transmission-cli), downloads it. DHT, PEX, local peer discovery, uTP, UPnP and NAT-PMP are off
and the torrent is private, so the tracker's peer list is the only way they can find each other.

Transmission never connects to a loopback peer, so its scenario runs on this machine's first
non-loopback IPv4 address (tracker, seeder and all), and is skipped where there is none.

The passkey tests run the scenarios on a members-only tracker: every announce URL is
/<passkey>/announce, over UDP carried in BEP 41's URL data; over HTTPS through Debian's haproxy
running deploy/haproxy.cfg (test_deploy's topology) with a fresh self-signed certificate, which
aria2c checks and libtorrent is told not to.

OpentrackerReferenceTest runs the aria2 scenario against Debian's opentracker: it proves the
client-side setup, so that when only the shardtrack test fails the tracker is at fault. There is
no such reference for Transmission: opentracker lists a client in its own peer list, and
Transmission, handed its own address, never reaches the seeder that shares it (tried: over HTTP
and UDP it downloads nothing in 60 s, where shardtrack's replies take it to the end).
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import cluster
import test_deploy

try:
    import libtorrent as lt
except ImportError:  # reported as a skip, not an error
    lt = None

TRANSFER_TIMEOUT = 60.0  # seconds for the whole transfer
FILE_SIZE = 3 * 512 * 1024 + 12345  # several pieces and a short last one
PIECE_SIZE = 64 * 1024
PASSKEY = "5f0c1e2d3b4a69788796a5b4c3d2e1f0"


class Seeder:
    """A libtorrent session seeding one torrent from `data_dir`, alerts kept as a log."""

    def __init__(self, torrent_bytes, data_dir, host, listen_port):
        alerts = lt.alert.category_t
        mask = (alerts.error_notification | alerts.tracker_notification |
                alerts.peer_notification | alerts.status_notification |
                alerts.connect_notification)
        settings = {
            "listen_interfaces": f"{host}:{listen_port}",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "allow_multiple_connections_per_ip": True,
            "enable_incoming_utp": False,
            "enable_outgoing_utp": False,
            "alert_mask": int(mask),
            "user_agent": "shardtrack-itest-libtorrent",
            "validate_https_trackers": False,  # the tests' certificates are self-signed
            # Else libtorrent asks a tracker on loopback only at /announce, not /<passkey>/...
            "ssrf_mitigation": False,
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


def make_torrent(path, announce_urls, hybrid=False):
    """A private v1 torrent of the single file at `path` (a v1 and v2 hybrid with `hybrid`),
    each announce URL its own tier; returns (bytes, v1 infohash)."""
    files = lt.file_storage()
    lt.add_files(files, path)
    creator = lt.create_torrent(files, PIECE_SIZE, 0 if hybrid else lt.create_torrent.v1_only)
    for tier, url in enumerate(announce_urls):
        creator.add_tracker(url, tier)
    creator.set_priv(True)
    creator.set_creator("shardtrack integration test")
    lt.set_piece_hashes(creator, os.path.dirname(path))
    torrent_bytes = lt.bencode(creator.generate())
    info_hash = lt.torrent_info(lt.bdecode(torrent_bytes)).info_hashes().v1.to_bytes()
    return torrent_bytes, info_hash


def host_ipv4():
    """This machine's first non-loopback IPv4 address, or None."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            return fields[fields.index("inet") + 1].split("/")[0]
    return None


class OpenTracker:
    """Debian's opentracker in whitelist mode on `host`:`port`, in its own temp dir."""

    def __init__(self, tmp, host, port, info_hash):
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
            f.write(f"listen.tcp {host}:{port}\n"
                    f"listen.udp {host}:{port}\n"
                    f"access.whitelist {'/whitelist' if as_root else whitelist}\n"
                    f"tracker.rootdir {self.dir}\n"
                    f"tracker.user {'nobody' if as_root else os.environ.get('USER', 'nobody')}\n")
        self.host, self.port = host, port
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
                cluster.HttpConnection(self.port, host=self.host, timeout=1.0).close()
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
    """A shardtrack cluster (2 shards, 1 frontend) whose frontend listens on `host`:`port`
    (HTTP, and UDP too with `udp`); with `passkey`, for members only, PASSKEY the one member;
    with `client_list`, only the clients that file's text names may announce; with
    `torrent_dir`, only the torrent of the scenario's .torrent file, from a directory."""

    udp = False
    passkey = None
    client_list = None
    torrent_dir = False

    def __init__(self, tmp, host, port, info_hash):
        del info_hash  # the cluster has its own temp dir and serves every torrent
        self.cluster = cluster.Cluster(shards=2, frontends=0)
        self.cluster.__enter__()
        try:
            endpoints = [shard.endpoint for shard in self.cluster.shards]
            extra_args = ["--udp-port", str(port)] if self.udp else []
            if self.passkey:
                passkey_file = os.path.join(tmp, "passkeys")
                with open(passkey_file, "w") as f:
                    f.write(f"{self.passkey} 1001\n")
                extra_args += ["--passkey-file", passkey_file]
            if self.client_list:
                client_file = os.path.join(tmp, "clients")
                with open(client_file, "w") as f:
                    f.write(self.client_list)
                extra_args += ["--client-list", client_file]
            if self.torrent_dir:
                allowed = os.path.join(tmp, "allowed")
                os.makedirs(allowed)
                shutil.copy(os.path.join(tmp, "payload.torrent"), allowed)
                extra_args += ["--access-list", allowed]
            frontend = cluster.Frontend(0, endpoints, extra_args, env=self.cluster.env,
                                        port=port, bind=host)
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


class ShardtrackPasskeyTracker(ShardtrackTracker):
    passkey = PASSKEY


class ShardtrackPasskeyUdpTracker(ShardtrackPasskeyTracker):
    udp = True


class ShardtrackClientListTracker(ShardtrackTracker):
    """A client whitelist naming the three clients by the peer id prefixes they send."""
    client_list = "-LT  libtorrent\nA2-  aria2\n-TR  Transmission\n"


class ShardtrackTorrentDirTracker(ShardtrackTracker):
    torrent_dir = True


class ShardtrackHttpsTracker:
    """test_deploy's topology (haproxy, 2 frontends, 2 shards) for members only, with HTTPS on
    `host`:`port` under a fresh self-signed certificate (`ca_file`)."""

    passkey = PASSKEY

    def __init__(self, tmp, host, port, info_hash):
        del info_hash
        pem, self.ca_file = cluster.self_signed_certificate(tmp, host)
        passkey_file = os.path.join(tmp, "passkeys")
        with open(passkey_file, "w") as f:
            f.write(f"{self.passkey} 1001\n")
        self.topology = test_deploy.Topology(
            frontend_args=["--passkey-file", passkey_file],
            haproxy_variables={"TLS_BIND": f"{host}:{port}", "TLS_CERT": pem})

    def logs(self):
        return self.topology.logs()

    def close(self):
        self.topology.close()


def read_tail(path, limit=6000):
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")[-limit:]


class RealClientsScenario:
    """The scenario; subclasses say which tracker (`tracker_class`) to run, the torrent's
    announce tiers (`schemes`), and mix in a downloader. libtorrent announces to the first tier
    that answers."""

    tracker_class = None
    schemes = ("http",)
    host = "127.0.0.1"
    hybrid = False  # a v1 torrent, or a v1 and v2 hybrid

    def setUp(self):
        if lt is None:
            self.skipTest("python3-libtorrent is not installed")
        self.tmp = tempfile.mkdtemp(prefix="shardtrack-clients-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log_sources = []  # callables, each returning a titled log for a failure message

    def logs(self):
        return "".join(source() for source in self.log_sources)

    def seed_through_the_tracker(self):
        """A random file, seeded by libtorrent once the tracker answered its announce; returns
        (torrent path, content)."""
        seed_dir = os.path.join(self.tmp, "seed")
        os.makedirs(seed_dir)
        content = os.urandom(FILE_SIZE)
        source_path = os.path.join(seed_dir, "payload.bin")
        with open(source_path, "wb") as f:
            f.write(content)

        tracker_port = cluster.free_port(self.host)
        passkey = getattr(self.tracker_class, "passkey", None)
        path = f"/{passkey}/announce" if passkey else "/announce"
        self.urls = [f"{scheme}://{self.host}:{tracker_port}{path}" for scheme in self.schemes]
        torrent_bytes, info_hash = make_torrent(source_path, self.urls, self.hybrid)
        torrent_path = os.path.join(self.tmp, "payload.torrent")
        with open(torrent_path, "wb") as f:
            f.write(torrent_bytes)

        tracker = self.tracker = self.tracker_class(self.tmp, self.host, tracker_port, info_hash)
        self.addCleanup(tracker.close)
        self.deadline = time.monotonic() + TRANSFER_TIMEOUT
        self.seeder = Seeder(torrent_bytes, seed_dir, self.host, cluster.free_listen_port())
        self.addCleanup(self.seeder.close)

        def seeder_log():
            self.seeder.pump()
            return "\n--- libtorrent alerts ---\n" + "\n".join(self.seeder.log[-60:])
        self.log_sources += [seeder_log, lambda: "\n" + tracker.logs()]

        self.assertTrue(self.seeder.wait_seeding_and_announced(self.deadline),
                        "libtorrent did not start seeding and announce" + self.logs())
        first = f"tracker_reply_alert: payload.bin ({self.urls[0]})"
        self.assertTrue(any(first in line for line in self.seeder.log),
                        f"libtorrent's announce was not answered through {self.urls[0]}" +
                        self.logs())
        return torrent_path, content

    def check_announces(self):
        """What the tracker can tell of the announces; nothing by default."""

    def assert_downloaded(self, download_dir, content):
        with open(os.path.join(download_dir, "payload.bin"), "rb") as f:
            downloaded = f.read()
        self.assertEqual(len(downloaded), len(content))
        self.assertTrue(downloaded == content, "downloaded bytes differ from the seeded ones")


class Aria2Downloads:
    """aria2c downloads. Debian's aria2c tracks over UDP only with DHT on, so it skips udp://
    tiers and takes the next."""

    def aria2_tls_args(self):
        ca_file = getattr(self.tracker, "ca_file", None)
        return [f"--ca-certificate={ca_file}"] if ca_file else []

    def test_libtorrent_seeds_a_file_that_aria2_downloads(self):
        if shutil.which("aria2c") is None:
            self.skipTest("aria2c is not installed")
        torrent_path, content = self.seed_through_the_tracker()
        download_dir = os.path.join(self.tmp, "download")
        os.makedirs(download_dir)
        aria2_log = os.path.join(self.tmp, "aria2.log")
        self.log_sources.append(lambda: "\n--- aria2c log (tail) ---\n" + read_tail(aria2_log))

        aria2 = subprocess.Popen(
            ["aria2c", f"--dir={download_dir}", "--enable-dht=false", "--enable-dht6=false",
             "--enable-peer-exchange=false", "--bt-enable-lpd=false", "--seed-time=0",
             "--disable-ipv6=true", f"--listen-port={cluster.free_listen_port()}",
             "--bt-require-crypto=false", "--file-allocation=none",
             "--summary-interval=0", "--console-log-level=warn",
             f"--log={aria2_log}", "--log-level=info", "--bt-stop-timeout=0",
             "--check-integrity=true", *self.aria2_tls_args(), torrent_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def stop_aria2():
            if aria2.poll() is None:
                aria2.kill()
                aria2.wait(5)
            if not aria2.stdout.closed:
                aria2.stdout.close()
        self.addCleanup(stop_aria2)

        while aria2.poll() is None and time.monotonic() < self.deadline:
            self.seeder.pump()
            time.sleep(0.1)
        if aria2.poll() is None:
            stop_aria2()
            self.fail(f"aria2c did not finish within {TRANSFER_TIMEOUT} s" + self.logs())
        console = aria2.stdout.read().decode("utf-8", "replace")
        aria2.stdout.close()
        self.assertEqual(aria2.returncode, 0, f"aria2c failed:\n{console}" + self.logs())
        self.assert_downloaded(download_dir, content)
        self.check_announces()


class TransmissionDownloads:
    """transmission-cli downloads; it announces to the first tier too, over UDP as well."""

    def setUp(self):
        super().setUp()
        if shutil.which("transmission-cli") is None:
            self.skipTest("transmission-cli is not installed")
        self.host = host_ipv4()
        if self.host is None:
            self.skipTest("no non-loopback IPv4 address: Transmission ignores loopback peers")

    def test_libtorrent_seeds_a_file_that_transmission_downloads(self):
        torrent_path, content = self.seed_through_the_tracker()
        download_dir = os.path.join(self.tmp, "download")
        config_dir = os.path.join(self.tmp, "transmission")
        os.makedirs(download_dir)
        os.makedirs(config_dir)
        with open(os.path.join(config_dir, "settings.json"), "w") as f:
            json.dump({"dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
                       "utp-enabled": False, "port-forwarding-enabled": False,
                       "blocklist-enabled": False, "message-level": 3}, f)
        finished = os.path.join(self.tmp, "finished")
        script = os.path.join(self.tmp, "on-finish.sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\ntouch '{finished}'\n")
        os.chmod(script, 0o755)
        log_path = os.path.join(self.tmp, "transmission.log")
        log = open(log_path, "wb")
        self.addCleanup(log.close)

        def transmission_log():  # its progress line, rewritten with \r, left out
            lines = read_tail(log_path, 200000).replace("\r", "\n").splitlines()
            kept = [line for line in lines if not line.startswith("Progress:")]
            return "\n--- transmission-cli log (tail) ---\n" + "\n".join(kept[-60:])
        self.log_sources.append(transmission_log)

        # It runs on (seeding) after the download: the finish script says when it is done.
        transmission = subprocess.Popen(
            ["transmission-cli", "--config-dir", config_dir, "--download-dir", download_dir,
             "--port", str(cluster.free_listen_port()), "--no-portmap", "--no-blocklist",
             "--encryption-preferred", "--finish", script, torrent_path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

        def stop_transmission():
            if transmission.poll() is None:
                transmission.kill()
                transmission.wait(5)
        self.addCleanup(stop_transmission)

        while not os.path.exists(finished) and time.monotonic() < self.deadline:
            self.assertIsNone(transmission.poll(), "transmission-cli exited" + self.logs())
            self.seeder.pump()
            time.sleep(0.1)
        self.assertTrue(os.path.exists(finished),
                        f"transmission-cli did not finish within {TRANSFER_TIMEOUT} s" +
                        self.logs())
        stop_transmission()
        self.assert_downloaded(download_dir, content)
        self.check_announces()


class AllAnnouncesHadThePasskey:
    """Every announce named the member's passkey (over UDP, in BEP 41's URL data), and each
    client's got through: `udp_announces` or more over UDP, one or more over HTTP."""

    udp_announces = 0

    def check_announces(self):
        samples = cluster.metrics(self.tracker.cluster.frontends[0].port, host=self.host)
        self.assertEqual(samples['shardtrack_passkey_refused_total{reason="missing"}'], 0)
        self.assertEqual(samples['shardtrack_passkey_refused_total{reason="unknown"}'], 0)
        self.assertGreaterEqual(samples.get('shardtrack_udp_datagrams_total{kind="announce"}', 0),
                                self.udp_announces)  # no such series without --udp-port
        self.assertGreaterEqual(
            samples['shardtrack_http_requests_total{route="announce",outcome="ok"}'], 1)


@unittest.skipIf(shutil.which("opentracker") is None, "opentracker is not installed")
class OpentrackerReferenceTest(Aria2Downloads, RealClientsScenario, unittest.TestCase):
    tracker_class = OpenTracker


class ShardtrackRealClientsTest(Aria2Downloads, RealClientsScenario, unittest.TestCase):
    tracker_class = ShardtrackTracker


class ShardtrackUdpRealClientsTest(Aria2Downloads, RealClientsScenario, unittest.TestCase):
    """libtorrent seeds announcing over UDP (BEP 15); aria2c finds it over HTTP."""
    tracker_class = ShardtrackUdpTracker
    schemes = ("udp", "http")


class ShardtrackPasskeyRealClientsTest(AllAnnouncesHadThePasskey, Aria2Downloads,
                                       RealClientsScenario, unittest.TestCase):
    """Members only: libtorrent seeds announcing over UDP, aria2c downloads over HTTP."""
    tracker_class = ShardtrackPasskeyUdpTracker
    schemes = ("udp", "http")
    udp_announces = 1
    # libtorrent keeps UDP connection ids per tracker address for the whole process, so a
    # tracker that comes after this one on the same address would be sent this one's id.
    host = "127.0.0.2"


class ShardtrackHttpsPasskeyRealClientsTest(Aria2Downloads, RealClientsScenario,
                                            unittest.TestCase):
    """Members only over HTTPS, ended at haproxy: libtorrent seeds, aria2c downloads."""
    tracker_class = ShardtrackHttpsTracker
    schemes = ("https",)

    def check_announces(self):
        samples = [cluster.metrics(f.port, host=f.bind) for f in self.tracker.topology.frontends]
        ok = 'shardtrack_http_requests_total{route="announce",outcome="ok"}'
        self.assertGreaterEqual(sum(s[ok] for s in samples), 2)  # the seeder's and aria2c's
        for reason in ("missing", "unknown"):
            self.assertEqual(
                sum(s[f'shardtrack_passkey_refused_total{{reason="{reason}"}}'] for s in samples),
                0)


class ShardtrackClientListRealClientsTest(Aria2Downloads, RealClientsScenario,
                                          unittest.TestCase):
    """A private tracker's client whitelist: the real clients' peer ids start as it says."""
    tracker_class = ShardtrackClientListTracker

    def check_announces(self):
        samples = cluster.metrics(self.tracker.cluster.frontends[0].port, host=self.host)
        self.assertEqual(samples["shardtrack_client_list_entries"], 3)
        self.assertEqual(samples["shardtrack_client_refused_total"], 0)
        self.assertGreaterEqual(
            samples['shardtrack_http_requests_total{route="announce",outcome="ok"}'], 2)


class ShardtrackTorrentDirRealClientsTest(Aria2Downloads, RealClientsScenario, unittest.TestCase):
    """The original tracker's allowed_dir: only the torrent whose file libtorrent made is
    served, to libtorrent and aria2c."""
    tracker_class = ShardtrackTorrentDirTracker

    def check_announces(self):
        samples = cluster.metrics(self.tracker.cluster.frontends[0].port, host=self.host)
        self.assertEqual(samples["shardtrack_access_list_entries"], 1)
        self.assertEqual(samples['shardtrack_access_refused_total{kind="announce"}'], 0)
        self.assertGreaterEqual(
            samples['shardtrack_http_requests_total{route="announce",outcome="ok"}'], 2)


class ShardtrackTorrentDirHybridTest(RealClientsScenario, unittest.TestCase):
    """A v1 and v2 hybrid in the directory: libtorrent announces it under both infohashes, and
    both are served. (No downloader: aria2c 1.36 announces a hybrid under an infohash of its own
    making, and Transmission 3.00 refuses the file.)"""
    tracker_class = ShardtrackTorrentDirTracker
    hybrid = True

    def test_libtorrent_announces_a_hybrid_under_both_infohashes(self):
        torrent_path, _ = self.seed_through_the_tracker()
        hashes = lt.torrent_info(torrent_path).info_hashes()
        both = [hashes.v1.to_bytes(), hashes.v2.to_bytes()[:20]]
        port = self.tracker.cluster.frontends[0].port

        def seeders():
            files = cluster.scrape(port, both)
            return [files[h][b"complete"] for h in both]
        while seeders() != [1, 1] and time.monotonic() < self.deadline:
            self.seeder.pump()
            time.sleep(0.1)
        self.assertEqual(seeders(), [1, 1], self.logs())
        samples = cluster.metrics(port, host=self.host)
        self.assertEqual(samples["shardtrack_access_list_entries"], 2)
        self.assertEqual(samples['shardtrack_access_refused_total{kind="announce"}'], 0)


class PartialSeedScenario(RealClientsScenario):
    """A partial seed (BEP 21): libtorrent with one of a torrent's two files deselected and the
    other whole says `paused` in its announces (over UDP as event 4, which the tracker once
    refused as an invalid event). It stays a leecher, and a scrape's `downloaders` leave it
    out."""
    scheme = None

    def test_libtorrent_announces_paused_and_is_no_downloader(self):
        payload = os.path.join(self.tmp, "seed", "payload")
        os.makedirs(payload)
        for name, size in (("a.bin", 4 * PIECE_SIZE), ("b.bin", PIECE_SIZE)):
            with open(os.path.join(payload, name), "wb") as f:
                f.write(os.urandom(size))
        port = cluster.free_port(self.host)
        torrent_bytes, info_hash = make_torrent(payload,
                                                [f"{self.scheme}://{self.host}:{port}/announce"])
        os.remove(os.path.join(payload, "b.bin"))
        tracker = self.tracker_class(self.tmp, self.host, port, info_hash)
        self.addCleanup(tracker.close)
        seeder = Seeder(torrent_bytes, os.path.dirname(payload), self.host,
                        cluster.free_listen_port())
        self.addCleanup(seeder.close)
        files = seeder.info.files()
        seeder.handle.prioritize_files(
            [0 if files.file_path(i).endswith("b.bin") else 1 for i in range(files.num_files())])
        self.log_sources += [lambda: "\n--- libtorrent alerts ---\n" + "\n".join(seeder.log[-60:]),
                             lambda: "\n" + tracker.logs()]

        def answered_paused():
            seeder.pump()
            paused = [n for n, line in enumerate(seeder.log) if "(paused)" in line]
            return paused and any("tracker_reply_alert" in line
                                  for line in seeder.log[paused[0]:])
        deadline = time.monotonic() + TRANSFER_TIMEOUT
        while not answered_paused() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(answered_paused(), "no answered paused announce" + self.logs())
        self.assertFalse(any("tracker_error_alert" in line for line in seeder.log), self.logs())
        files = cluster.scrape(port, [info_hash], host=self.host)
        self.assertEqual(files[info_hash][b"incomplete"], 1, self.logs())
        self.assertEqual(files[info_hash][b"downloaders"], 0, self.logs())


class ShardtrackUdpPartialSeedTest(PartialSeedScenario, unittest.TestCase):
    tracker_class = ShardtrackUdpTracker
    scheme = "udp"
    host = "127.0.0.3"  # libtorrent keeps UDP connection ids per tracker address (see above)


class ShardtrackHttpPartialSeedTest(PartialSeedScenario, unittest.TestCase):
    tracker_class = ShardtrackTracker
    scheme = "http"
    host = "127.0.0.4"


class ShardtrackTransmissionClientListTest(TransmissionDownloads, RealClientsScenario,
                                           unittest.TestCase):
    tracker_class = ShardtrackClientListTracker
    check_announces = ShardtrackClientListRealClientsTest.check_announces


class ShardtrackTransmissionPasskeyTest(AllAnnouncesHadThePasskey, TransmissionDownloads,
                                        RealClientsScenario, unittest.TestCase):
    """Members only, over HTTP."""
    tracker_class = ShardtrackPasskeyTracker


class ShardtrackTransmissionHttpTest(TransmissionDownloads, RealClientsScenario,
                                     unittest.TestCase):
    tracker_class = ShardtrackTracker


class ShardtrackTransmissionUdpTest(TransmissionDownloads, RealClientsScenario,
                                    unittest.TestCase):
    """Both clients announce over UDP (BEP 15) only: the HTTP tier is never needed."""
    tracker_class = ShardtrackUdpTracker
    schemes = ("udp", "http")

    def check_announces(self):
        frontend = self.tracker.cluster.frontends[0]
        samples = cluster.metrics(frontend.port, host=self.host)
        self.assertGreaterEqual(samples['shardtrack_udp_datagrams_total{kind="announce"}'], 2)
        self.assertEqual(
            samples['shardtrack_http_requests_total{route="announce",outcome="ok"}'], 0)


if __name__ == "__main__":
    unittest.main()
