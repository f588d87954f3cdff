"""The frontend's IP list (--ip-list, --ip-mode, --ip-list-interval) on a real 2-shard cluster,
over HTTP and UDP: a refused address gets nothing from the tracker (announce, scrape, info page,
UDP connect), while other addresses are served as before. Loopback addresses 127.0.0.2-127.0.0.5
stand for hosts on the Internet.

Each test writes its own list and starts a cluster on it; a new version is written beside it and
renamed over it, and a reload is awaited by polling, bounded by RELOAD_DEADLINE.
"""

import os
import unittest

import cluster
from cluster import wait_until
from test_access_list import FrontendCase
from test_client_list import write_list
from test_udp import PROTOCOL_ID, UdpClient

REFUSED = b"your address is not allowed on this tracker"


class IpListCase(FrontendCase):
    """A cluster whose frontend reads the IP list at self.list_path."""

    list_text = ""
    frontend_args = ()

    def setUp(self):
        super().setUp()
        self.list_path = os.path.join(self.dir, "ips")
        write_list(self.list_path, self.list_text)
        self.udp_port = cluster.free_udp_port()
        self.start_cluster("--ip-list", self.list_path, "--udp-port", str(self.udp_port),
                           *self.frontend_args)
        self.info_hash = cluster.hash_on_shard(1, 2, self.id())

    def announce(self, source):
        return cluster.announce(self.port, self.info_hash, cluster.peer_id(source), 6881,
                                source=source, left=1)

    def served(self, source):
        return b"failure reason" not in self.announce(source)


class DenyModeTest(IpListCase):
    list_text = "# abusive hosts\n127.0.0.2  one host\n127.0.0.4-127.0.0.5  a range\n"
    frontend_args = ("--ip-list-interval", "1")

    def test_a_listed_address_gets_nothing_over_http_or_udp_and_others_are_served(self):
        sent_before = cluster.shard_requests_sent(self.port)
        self.assertEqual(self.announce("127.0.0.2"), {b"failure reason": REFUSED})
        scrape = cluster.get(self.port, "/scrape?info_hash=" + "%41" * 20, source="127.0.0.2")
        self.assertEqual(scrape.bencoded(), {b"failure reason": REFUSED})
        page = cluster.get(self.port, "/", source="127.0.0.4")
        self.assertEqual((page.status, page.body), (403, REFUSED + b"\n"))
        self.assertEqual(cluster.shard_requests_sent(self.port), sent_before)

        banned = UdpClient(self.udp_port, "127.0.0.5")
        self.addCleanup(banned.close)
        # Its connect is not answered, even one with room for the refusal: the address may be
        # forged, and it gets no id to announce with.
        self.assertTrue(banned.unanswered(PROTOCOL_ID, 0))
        self.assertTrue(banned.unanswered(PROTOCOL_ID, 0, body=bytes(60)))

        self.assertTrue(self.served("127.0.0.3"))
        other = UdpClient(self.udp_port, "127.0.0.3")
        self.addCleanup(other.close)
        other.connect()
        samples = cluster.metrics(self.port)
        self.assertEqual(samples["shardtrack_ip_refused_total"], 5)
        self.assertEqual(samples["shardtrack_ip_list_entries"], 2)

    def test_a_rewritten_file_is_reloaded_and_a_malformed_one_keeps_the_list(self):
        write_list(self.list_path, "127.0.0.3\n")
        wait_until(lambda: self.served("127.0.0.2"), "127.0.0.2 served after the rewrite")
        self.assertFalse(self.served("127.0.0.3"))
        write_list(self.list_path, "127.0.0.0/33\n")
        wait_until(lambda: cluster.metric_sum(
            self.port, 'shardtrack_ip_list_reloads_total{result="failed"}'),
                   "the malformed file reported")
        self.assertIn("line 1", self.frontend.log())
        self.assertFalse(self.served("127.0.0.3"))  # the previous list stays in force


class AllowModeTest(IpListCase):
    """A LAN tracker: only its own network is served."""
    list_text = "127.0.0.0/30\n"
    frontend_args = ("--ip-mode", "allow")

    def test_only_listed_addresses_are_served(self):
        self.assertTrue(self.served("127.0.0.2"))
        self.assertEqual(self.announce("127.0.0.4"), {b"failure reason": REFUSED})


class StartUpTest(FrontendCase):

    def refused(self, text, *args):
        """The frontend's stderr once it refused to start on an IP list of `text` (status 2)."""
        path = os.path.join(self.dir, "ips")
        write_list(path, text)
        return cluster.frontend_refused("--ip-list", path, *args)

    def test_a_malformed_file_or_a_bad_mode_stops_the_frontend(self):
        stderr = self.refused("10.0.0.1\nnot-an-address\n")
        self.assertIn("line 2", stderr)
        self.assertIn("not an IPv4 or IPv6 address", stderr)
        stderr = self.refused("10.0.0.1\n", "--ip-mode", "ban")
        self.assertIn("--ip-mode must be allow or deny", stderr)


if __name__ == "__main__":
    unittest.main()
