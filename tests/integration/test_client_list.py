"""The frontend's client list (--client-list, --client-mode, --client-list-interval) on a real
2-shard cluster, over HTTP and UDP: announces from clients the list refuses fail before any
shard is asked, by the first bytes of their peer ids.

Each test writes its own list file and starts a cluster on it; a new version is written beside
it and renamed over it. Reloads are awaited by polling the tracker's answers, bounded by
RELOAD_DEADLINE.
"""

import hashlib
import os
import re
import shutil
import signal
import tempfile
import unittest

import cluster
from cluster import wait_until
from test_udp import UdpClient, announce_fields

REFUSED = (b"your BitTorrent client is not allowed on this tracker: see the site's list of "
           b"allowed clients, or update yours")
XUNLEI = b"-XL0012-"
QBITTORRENT = b"-qB4630-"
TRANSMISSION = b"-TR3000-"


def client_peer_id(prefix, label):
    return (prefix + hashlib.sha1(label.encode()).digest())[:20]


def write_list(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


class ClientListCase(cluster.LoggedTestCase):
    """A cluster whose frontend reads the client list at self.list_path."""

    list_text = ""
    frontend_args = ()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shardtrack-clients-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.list_path = os.path.join(self.dir, "clients")
        write_list(self.list_path, self.list_text)
        self.udp_port = cluster.free_udp_port()
        self.cluster = cluster.Cluster(shards=2, frontends=1, frontend_args=[
            "--client-list", self.list_path, "--udp-port", str(self.udp_port),
            *self.frontend_args])
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.port = self.cluster.port()
        self.frontend = self.cluster.frontends[0]
        self.info_hash = cluster.hash_on_shard(1, 2, self.id())

    def logs(self):
        return self.cluster.logs() if hasattr(self, "cluster") else ""

    def announce(self, prefix, label, port, source="127.0.0.1"):
        return cluster.announce(self.port, self.info_hash, client_peer_id(prefix, label), port,
                                source=source, left=1)

    def admitted(self, prefix):
        return b"failure reason" not in self.announce(prefix, "probe", 6999)


class DenyModeTest(ClientListCase):
    list_text = ("# clients that report uploads they never made\n"
                 "-XL0012-  Xunlei\n"
                 "-SD%30100-\n")  # "-SD0100-", written with an escape
    frontend_args = ("--client-mode", "deny", "--client-list-interval", "1")

    def test_a_listed_client_is_refused_over_http_and_udp_before_any_shard(self):
        sent_before = cluster.shard_requests_sent(self.port)
        self.assertEqual(self.announce(XUNLEI, "x", 7001, "127.0.0.2"),
                         {b"failure reason": REFUSED})
        self.assertEqual(self.announce(b"-SD0100-", "s", 7002, "127.0.0.3"),
                         {b"failure reason": REFUSED})
        udp = UdpClient(self.udp_port, "127.0.0.4")
        self.addCleanup(udp.close)
        udp.connect()
        self.assertEqual(udp.announce(self.info_hash, client_peer_id(XUNLEI, "u"), 7003, left=1),
                         (3, REFUSED))
        self.assertEqual(cluster.shard_requests_sent(self.port), sent_before)
        samples = cluster.metrics(self.port)
        self.assertEqual(samples["shardtrack_client_refused_total"], 3)
        self.assertEqual(samples["shardtrack_client_list_entries"], 2)

        # Others are served, and the refused ones never joined the swarm.
        reply = self.announce(QBITTORRENT, "q", 7004, "127.0.0.5")
        self.assertNotIn(b"failure reason", reply)
        self.assertEqual(cluster.reply_peers(reply), [])
        action, payload = udp.announce(self.info_hash, client_peer_id(TRANSMISSION, "t"), 7005,
                                       left=1)
        self.assertEqual(action, 1, payload)
        self.assertEqual(announce_fields(payload)[3], [("127.0.0.5", 7004)])

    def test_a_rewritten_file_is_reloaded_and_a_malformed_one_keeps_the_list(self):
        self.assertTrue(self.admitted(QBITTORRENT))
        write_list(self.list_path, "-XL\n-qB4  a version that cheats\n")
        wait_until(lambda: not self.admitted(QBITTORRENT), "-qB4 refused after the rewrite")
        wait_until(lambda: "client list" in self.frontend.log() and
                   "reloaded: 2 peer id prefixes" in self.frontend.log(), "the reload logged")
        self.assertTrue(self.admitted(b"-qB5000-"))

        write_list(self.list_path, "-XL\n-qB%4\n")
        wait_until(lambda: cluster.metric_sum(
            self.port, 'shardtrack_client_list_reloads_total{result="failed"}'),
                   "the malformed file reported")
        self.assertRegex(self.frontend.log(),
                         re.escape(self.list_path) + r": line 2 .*two hex digits")
        self.assertFalse(self.admitted(QBITTORRENT))  # the previous list stays in force
        self.assertEqual(
            cluster.metrics(self.port)['shardtrack_client_list_reloads_total{result="ok"}'], 1)


class AllowModeAndSighupTest(ClientListCase):
    list_text = "-qB\n-TR3\n"
    frontend_args = ("--client-list-interval", "3600")

    def test_only_listed_clients_may_announce_and_scrapes_need_no_client(self):
        self.assertTrue(self.admitted(QBITTORRENT))
        self.assertTrue(self.admitted(TRANSMISSION))
        self.assertFalse(self.admitted(b"-TR4000-"))
        self.assertFalse(self.admitted(b"-lt0D60-"))
        self.assertIn(self.info_hash, cluster.scrape(self.port, [self.info_hash]))

    def test_sighup_reloads_the_list_at_once(self):
        write_list(self.list_path, "-lt\n")
        self.frontend.popen.send_signal(signal.SIGHUP)
        wait_until(lambda: self.admitted(b"-lt0D60-"), "-lt admitted after SIGHUP")
        self.assertFalse(self.admitted(QBITTORRENT))
        self.assertTrue(self.frontend.running())


class StartUpTest(cluster.LoggedTestCase):
    """A frontend whose client list cannot be used does not start: exit status 2."""

    def refused(self, text, *args):
        """(the list's path, the frontend's stderr) once it refused to start on a client list of
        `text` (exit status 2)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "clients")
            with open(path, "w") as f:
                f.write(text)
            return path, cluster.frontend_refused("--client-list", path, *args)

    def test_a_malformed_file_stops_the_frontend_naming_the_line(self):
        path, stderr = self.refused("-qB\n-a-peer-id-prefix-longer-than-20\n")
        self.assertIn(f"--client-list: {path}: line 2", stderr)
        self.assertIn("a peer id has 20", stderr)

    def test_a_bad_mode_stops_the_frontend(self):
        _, stderr = self.refused("-qB\n", "--client-mode", "block")
        self.assertIn("--client-mode must be allow or deny", stderr)


if __name__ == "__main__":
    unittest.main()
