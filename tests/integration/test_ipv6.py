"""IPv6 end to end: a frontend bound to "::" serves IPv4 and IPv6 clients; IPv6 peers come back
in `peers6` (BEP 7, 18-byte entries), IPv4 peers in `peers`, each to the other family too."""

import socket
import unittest

import cluster
from cluster import HttpConnection, announce_target, compact_peers, peer_id


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
        frontend = cluster.Frontend(0, [s.endpoint for s in self.cluster.shards],
                                    env=self.cluster.env, bind="::")
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


if __name__ == "__main__":
    unittest.main()
