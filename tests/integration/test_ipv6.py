"""IPv6 end to end: a frontend bound to "::" serves IPv4 and IPv6 clients over HTTP and UDP;
IPv6 peers come back in `peers6` (BEP 7, 18-byte entries), IPv4 peers in `peers`, each to the
other family too. Over UDP (BEP 15) an IPv6 client gets 18-byte entries, an IPv4 one 6-byte."""

import os
import re
import socket
import struct
import unittest

import cluster
from cluster import HttpConnection, announce_target, compact_peers, free_udp_port, peer_id
from test_udp import UdpClient


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(has_ipv6_loopback(), "this machine has no IPv6 loopback")
class Ipv6Test(cluster.LoggedTestCase):

    def setUp(self):
        self.cluster = cluster.Cluster(shards=1, frontends=0)
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.udp_port = free_udp_port("::")  # the frontend binds ::
        frontend = cluster.Frontend(0, [s.endpoint for s in self.cluster.shards],
                                    ["--udp-port", str(self.udp_port)], env=self.cluster.env,
                                    bind="::")
        self.cluster.frontends.append(frontend)
        frontend.start()
        self.port = frontend.port

    def logs(self):
        return self.cluster.logs()

    def announce(self, host, info_hash, name, port, left):
        with HttpConnection(self.port, host=host) as conn:
            response = conn.get(announce_target(info_hash, peer_id(name), port, left=left,
                                                compact=1))
        self.assertEqual(response.status, 200)
        reply = response.bencoded()
        self.assertNotIn(b"failure reason", reply)
        return reply

    def test_ipv6_and_ipv4_peers_meet_through_a_dual_stack_frontend(self):
        info_hash = self.cluster.hash_on_shard(0, self.id())
        self.announce("::1", info_hash, "six", 6001, left=0)
        reply = self.announce("127.0.0.1", info_hash, "four", 4001, left=5)
        self.assertEqual(compact_peers(reply.get(b"peers6", b""), entry=18), [("::1", 6001)])
        self.assertEqual(compact_peers(reply[b"peers"]), [])
        self.assertEqual(reply[b"external ip"], socket.inet_aton("127.0.0.1"))

        reply = self.announce("::1", info_hash, "six", 6001, left=0)
        self.assertEqual(compact_peers(reply[b"peers"]), [("127.0.0.1", 4001)])
        self.assertEqual(reply[b"external ip"], socket.inet_pton(socket.AF_INET6, "::1"))

    def udp_client(self, family, host):
        client = UdpClient(self.udp_port, "127.0.0.1")
        client.sock.close()
        client.sock = socket.socket(family, socket.SOCK_DGRAM)
        client.sock.bind((host, 0))
        client.sock.settimeout(5)
        client.address = (host, self.udp_port)
        self.addCleanup(client.close)
        client.connect()
        return client

    def test_udp_clients_of_both_families_get_each_other_in_their_own_entry_size(self):
        info_hash = self.cluster.hash_on_shard(0, self.id())
        six = self.udp_client(socket.AF_INET6, "::1")
        four = self.udp_client(socket.AF_INET, "127.0.0.1")
        action, payload = six.announce(info_hash, peer_id("udp-six"), 6002, left=0)
        self.assertEqual(action, 1, payload)
        action, payload = four.announce(info_hash, peer_id("udp-four"), 4002, left=5)
        self.assertEqual(action, 1, payload)
        self.assertEqual(struct.unpack(">III", payload[:12])[1:], (1, 1))  # leechers, seeders
        self.assertEqual(payload[12:], b"")  # the IPv6 seeder has no 6-byte entry

        action, payload = six.announce(info_hash, peer_id("udp-six"), 6002, left=0)
        self.assertEqual(action, 1, payload)
        self.assertEqual(payload[12:], b"")  # no IPv6 peer but itself
        self.assertEqual(struct.unpack(">III", payload[:12])[1:], (1, 1))
        # An HTTP client over IPv6 sees both, each in its family's list.
        reply = self.announce("::1", info_hash, "http-six", 6003, left=5)
        self.assertEqual(compact_peers(reply[b"peers"]), [("127.0.0.1", 4002)])
        self.assertEqual(compact_peers(reply[b"peers6"], entry=18), [("::1", 6002)])
        action, payload = six.announce(info_hash, peer_id("udp-six"), 6002, left=0)
        self.assertEqual(len(payload[12:]), 18)
        self.assertEqual(payload[12:], socket.inet_pton(socket.AF_INET6, "::1") +
                         struct.pack(">H", 6003))

    def test_an_ipv6_udp_clients_ipv4_ip_field_does_not_cost_it_its_peers(self):
        # BEP 15: the field is IPv4 and an IPv6 client leaves it 0; one that fills it in is
        # still an IPv6 peer, given the IPv6 peers its 18-byte entries can carry.
        info_hash = self.cluster.hash_on_shard(0, self.id())
        self.announce("::1", info_hash, "http-six", 6004, left=0)
        six = self.udp_client(socket.AF_INET6, "::1")
        action, payload = six.announce(info_hash, peer_id("udp-six"), 6005, left=5,
                                       ip=socket.inet_aton("10.0.0.9"))
        self.assertEqual(action, 1, payload)
        self.assertEqual(payload[12:], socket.inet_pton(socket.AF_INET6, "::1") +
                         struct.pack(">H", 6004))


@unittest.skipUnless(has_ipv6_loopback(), "this machine has no IPv6 loopback")
class Ipv6ShardEndpointTest(cluster.ProcessTestCase):
    """A shard listening on an IPv6 literal, and a frontend reaching it there."""

    def test_a_shard_on_an_ipv6_endpoint_serves_its_frontend(self):
        env = cluster.clean_env()
        port = cluster.free_port()
        shard = cluster.Shard(0, 1, port, os.path.join(self.tmp, "data"), env=env)
        shard.endpoint = f"tcp://[::1]:{port}"
        shard.argv[shard.argv.index("--listen") + 1] = shard.endpoint
        shard.ready_pattern = re.compile(
            re.escape(f"ready: shard 0/1 listening on {shard.endpoint}"))
        self.start(shard)
        frontend = self.start(cluster.Frontend(0, [shard.endpoint], env=env))
        reply = cluster.announce(frontend.port, b"6" * 20, peer_id("v6"), 6881, left=0)
        self.assertNotIn(b"failure reason", reply)
        self.assertEqual(reply[b"complete"], 1)


if __name__ == "__main__":
    unittest.main()
