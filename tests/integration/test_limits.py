"""The frontend's limits, as settings of a real process: --max-connections,
--max-connections-per-client, --client-request-rate, --socket-timeout, --defer-accept,
--max-give, --listen-backlog and --response-size; the most --shard endpoints.

One shard and one frontend started with small limits, spoken to over raw sockets.
"""

import json
import os
import socket
import subprocess
import time
import unittest

import cluster
from cluster import HttpConnection, peer_id
from test_udp import UdpClient

MAX_CONNECTIONS = 3
SOCKET_TIMEOUT = 1  # seconds
DEFER_ACCEPT = 30  # seconds: longer than any test, so a silent connection is never handed over
MAX_GIVE = 5
LISTEN_BACKLOG = 7


class LimitsTest(cluster.SharedClusterTestCase):

    frontend_args = ("--max-connections", str(MAX_CONNECTIONS),
                     "--socket-timeout", str(SOCKET_TIMEOUT),
                     "--shard-timeout-ms", "500",  # below the socket timeout, as required
                     "--defer-accept", str(DEFER_ACCEPT),
                     "--max-give", str(MAX_GIVE),
                     "--listen-backlog", str(LISTEN_BACKLOG))

    def port(self):
        return self.cluster.port()

    def open_served(self, count):
        """`count` keep-alive connections, each proven open by one answered request. A place
        the test's last connection (a metrics read) held may not be free yet: the frontend sees
        that client's close a moment later, so a refused one (503, or reset) is tried again for
        a while."""
        connections = []
        for _ in range(count):
            deadline = time.monotonic() + 5
            while True:
                conn = HttpConnection(self.port())
                try:
                    if conn.get("/healthz").status == 200:
                        break
                except (ConnectionError, socket.timeout):
                    pass
                conn.close()
                self.assertLess(time.monotonic(), deadline, "no place came free")
                time.sleep(0.05)
            connections.append(conn)
        return connections

    def test_a_connection_over_max_connections_is_answered_503_and_closed_at_once(self):
        closes = "shardtrack_connection_limit_closes_total"
        closed_before = cluster.metrics(self.port())[closes]
        held = self.open_served(MAX_CONNECTIONS)
        try:
            with HttpConnection(self.port()) as extra:
                extra.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                busy = extra.read_response()
                self.assertEqual(busy.status, 503)
                self.assertIn(b"too many connections open", busy.body)
                self.assertTrue(extra.closed_by_peer(), "kept open over --max-connections")
            for conn in held:  # the ones inside the limit are still served
                self.assertEqual(conn.get("/healthz").status, 200)
        finally:
            for conn in held:
                conn.close()
        # A slot freed by a client that left is usable again.
        deadline = time.monotonic() + 5
        while True:
            with HttpConnection(self.port()) as again:
                again.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    if again.read_response().status == 200:
                        break
                except (ConnectionError, OSError):
                    pass
            self.assertLess(time.monotonic(), deadline, "slots never freed")
            time.sleep(0.05)
        # Counted, and logged with what to do.
        self.assertGreaterEqual(cluster.metrics(self.port())[closes] - closed_before, 1)
        self.assertIn("raise --max-connections", self.cluster.frontends[0].log())

    def test_the_listen_backlog_is_the_setting(self):
        # For a listening socket, ss reports the backlog in Send-Q.
        listed = subprocess.run(["ss", "-ltnH", f"sport = :{self.port()}"], capture_output=True,
                                text=True, check=True).stdout.split()
        self.assertEqual(listed[0], "LISTEN", listed)
        self.assertEqual(int(listed[2]), LISTEN_BACKLOG, listed)

    def test_an_idle_connection_is_closed_after_socket_timeout(self):
        (conn,) = self.open_served(1)
        with conn:
            started = time.monotonic()
            self.assertTrue(conn.closed_by_peer(timeout=SOCKET_TIMEOUT * 3 + 1))
            waited = time.monotonic() - started
            self.assertGreaterEqual(waited, SOCKET_TIMEOUT * 0.9)

    def connections_held(self):
        """Connections the frontend holds, open or lingering: this read's own among them."""
        samples = cluster.metrics(self.port())
        return samples["shardtrack_open_connections"] + \
            samples["shardtrack_lingering_connections"]

    def test_silent_connections_take_no_slot_under_defer_accept(self):
        # No connection of an earlier test (an idle one, a refusal lingering) holds a slot.
        cluster.wait_until(lambda: self.connections_held() == 1,
                           "the frontend to hold no connection but the metrics read's")
        silent = [socket.create_connection(("127.0.0.1", self.port()))
                  for _ in range(MAX_CONNECTIONS + 2)]
        served = []
        try:
            # While the silent ones stay open, every slot is served at the first try: had they
            # been handed over, they would hold them all until --socket-timeout.
            for n in range(1, MAX_CONNECTIONS + 1):
                conn = HttpConnection(self.port())
                served.append(conn)
                try:
                    response = conn.get("/healthz")
                except (ConnectionError, OSError) as error:
                    self.fail(f"connection {n} of {MAX_CONNECTIONS}, beside {len(silent)} silent "
                              f"ones, was cut: {error!r}")
                self.assertEqual(response.status, 200,
                                 f"connection {n} of {MAX_CONNECTIONS}, beside {len(silent)} "
                                 f"silent ones: {response!r}")
        finally:
            for sock in served + silent:
                sock.close()

    def test_numwant_is_capped_by_max_give(self):
        info_hash = cluster.hash_on_shard(0, 1, self.id())
        for n in range(MAX_GIVE + 3):
            reply = cluster.announce(self.port(), info_hash, peer_id(f"{self.id()}/{n}"),
                                     7000 + n, left=100, numwant=200)
            self.assertNotIn(b"failure reason", reply)
        self.assertEqual(len(cluster.reply_peers(reply)), MAX_GIVE)


class NoDefaultPeersTest(cluster.SharedClusterTestCase):

    frontend_args = ("--response-size", "0")

    def test_a_response_size_of_zero_is_warned_of_and_gives_peers_only_when_asked(self):
        frontend = self.cluster.frontends[0]
        self.assertTrue(frontend.logged("--response-size 0: an announce without numwant gets no "
                                        "peers"))
        info_hash = cluster.hash_on_shard(0, 1, self.id())
        cluster.announce(self.port(), info_hash, peer_id("seed"), 7000, left=0)
        reply = cluster.announce(self.port(), info_hash, peer_id("leech"), 7001, left=100)
        self.assertEqual(cluster.reply_peers(reply), [])
        reply = cluster.announce(self.port(), info_hash, peer_id("leech"), 7001, left=100,
                                 numwant=5)
        self.assertEqual(len(cluster.reply_peers(reply)), 1)

    def port(self):
        return self.cluster.port()


class ClientLimitTest(cluster.SharedClusterTestCase):

    PER_CLIENT = 2
    frontend_args = ("--max-connections-per-client", str(PER_CLIENT))

    def test_a_client_over_its_connections_gets_429_and_others_are_served(self):
        port = self.cluster.port()
        held = [HttpConnection(port, source="127.0.0.5") for _ in range(self.PER_CLIENT)]
        try:
            for conn in held:
                self.assertEqual(conn.get("/healthz").status, 200)
            with HttpConnection(port, source="127.0.0.5") as extra:
                response = extra.get("/healthz")
                self.assertEqual(response.status, 429)
                self.assertIn(b"too many connections", response.body)
                self.assertTrue(extra.closed_by_peer(), "kept open over the client's limit")
            with HttpConnection(port, source="127.0.0.6") as other:
                self.assertEqual(other.get("/healthz").status, 200)
            samples = cluster.metrics(port)
            self.assertEqual(samples["shardtrack_client_connection_limit_refusals_total"], 1)
        finally:
            for conn in held:
                conn.close()
        # The client's closed connections give it its places back.
        deadline = time.monotonic() + 5
        while True:
            with HttpConnection(port, source="127.0.0.5") as again:
                if again.get("/healthz").status == 200:
                    break
            self.assertLess(time.monotonic(), deadline, "places never given back")
            time.sleep(0.05)


class RequestRateTest(cluster.SharedClusterTestCase):
    """Each test speaks from its own source address, so each client starts with its burst."""

    RATE = 1  # a second
    BURST = 4
    PROXY = "127.0.0.40"
    REFUSALS = "shardtrack_client_request_limit_refusals_total"

    @classmethod
    def setUpClass(cls):
        cls.udp_port = cluster.free_udp_port()  # chosen when the class runs, not at import
        cls.frontend_args = ("--client-request-rate", str(cls.RATE),
                             "--client-request-burst", str(cls.BURST),
                             "--udp-port", str(cls.udp_port), "--trusted-proxy", cls.PROXY,
                             "--trust-x-forwarded-for", "--retry-in", "3")
        super().setUpClass()

    def assert_over_rate(self, reply):
        self.assertIn(b"too many requests", reply.get(b"failure reason", b""), reply)
        self.assertEqual(reply.get(b"retry in"), 3)  # BEP 31, minutes: --retry-in

    def test_an_http_client_over_its_rate_is_refused_and_changes_nothing(self):
        port, source = self.cluster.port(), "127.0.0.41"
        refused_before = cluster.metrics(port)[self.REFUSALS]
        info_hash = cluster.hash_on_shard(0, 1, self.id())
        for n in range(self.BURST):
            reply = cluster.announce(port, info_hash, peer_id(f"{self.id()}/{n}"), 7000 + n,
                                     source=source, left=100)
            self.assertNotIn(b"failure reason", reply)
        self.assert_over_rate(cluster.announce(port, info_hash, peer_id(f"{self.id()}/x"), 7100,
                                               source=source, left=100))
        scrape = "/scrape?" + cluster.query_string([("info_hash", info_hash)])
        self.assert_over_rate(cluster.get(port, scrape, source).bencoded())
        self.assertEqual(cluster.get(port, "/", source).status, 429)
        self.assertEqual(cluster.get(port, "/healthz", source).status, 200)  # never limited
        # The refused announce added no peer; another client is served meanwhile.
        files = cluster.scrape(port, [info_hash], source="127.0.0.42")
        self.assertEqual(files[info_hash][b"incomplete"], self.BURST)
        self.assertEqual(cluster.metrics(port)[self.REFUSALS] - refused_before, 3)
        time.sleep(1.05 / self.RATE)  # one request earned back
        reply = cluster.announce(port, info_hash, peer_id(f"{self.id()}/y"), 7200, source=source,
                                 left=100)
        self.assertNotIn(b"failure reason", reply)

    def test_a_udp_client_over_its_rate_gets_an_error_datagram(self):
        client = UdpClient(self.udp_port, "127.0.0.43")
        try:
            for _ in range(self.BURST + 2):
                client.connect()  # connects are not counted: anyone can send one
            info_hash = cluster.hash_on_shard(0, 1, self.id())
            for n in range(self.BURST):
                action, payload = client.announce(info_hash, peer_id(f"{self.id()}/{n}"),
                                                  7000 + n, left=100)
                self.assertEqual(action, 1, payload)
            action, payload = client.announce(info_hash, peer_id(f"{self.id()}/x"), 7100,
                                              left=100)
            self.assertEqual(action, 3)
            self.assertIn(b"too many requests", payload)
        finally:
            client.close()

    def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate(self):
        port = self.cluster.port()
        info_hash = cluster.hash_on_shard(0, 1, self.id())

        def announce_for(client, n):
            with HttpConnection(port, source=self.PROXY) as conn:
                target = cluster.announce_target(info_hash, peer_id(f"{client}/{n}"), 7000 + n,
                                                 left=100)
                return conn.get(target, headers={"X-Forwarded-For": client}).bencoded()

        for n in range(self.BURST):
            self.assertNotIn(b"failure reason", announce_for("203.0.113.5", n))
        self.assert_over_rate(announce_for("203.0.113.5", self.BURST))
        self.assertNotIn(b"failure reason", announce_for("203.0.113.6", 0))

    def test_a_flooding_client_is_refused_while_a_polite_one_is_served(self):
        # The load generator floods from 127.0.0.1 on 16 connections for 3 s; nearly all of it
        # is refused (and it reconnects after each refusal). A client on another address
        # announces meanwhile and gets real answers.
        port = self.cluster.port()
        refused_before = cluster.metrics(port)[self.REFUSALS]
        flood = subprocess.Popen(
            [cluster.binary("shardtrack-loadgen"), "--port", str(port), "--sources", "1",
             "--peers", "1000", "--connections", "16", "--warmup", "0", "--duration", "3",
             "--timeout", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            time.sleep(0.5)
            info_hash = cluster.hash_on_shard(0, 1, self.id())
            for n in range(self.BURST):
                reply = cluster.announce(port, info_hash, peer_id(f"{self.id()}/{n}"), 7000 + n,
                                         source="127.0.0.44", left=100)
                self.assertNotIn(b"failure reason", reply)
                self.assertEqual(reply[b"incomplete"], n + 1)
            out, _ = flood.communicate(timeout=30)
        finally:
            flood.kill()
            flood.wait()
        result = json.loads(out.strip().splitlines()[-1])
        self.assertGreater(result["requests_all"], 1000, result)
        self.assertEqual(result["timeouts"], 0, result)  # every flood request was answered
        self.assertGreater(result["invalid"], result["requests_all"] * 0.9, result)
        refused = cluster.metrics(port)[self.REFUSALS] - refused_before
        self.assertGreaterEqual(refused, result["invalid"])
        # Logged, but not once each: a line a minute at most.
        warnings = [line for line in self.cluster.frontends[0].log().splitlines()
                    if "over --client-request-rate" in line]
        self.assertEqual(len(warnings), 1, warnings)


class ShardLimitsTest(cluster.SharedClusterTestCase):
    """--max-torrents and --max-peers of a real shard, over HTTP and UDP."""

    shard_args = ("--max-torrents", "2", "--max-peers", "3", "--metrics-listen", "127.0.0.1:0")

    @classmethod
    def setUpClass(cls):
        cls.udp_port = cluster.free_udp_port()  # chosen when the class runs, not at import
        cls.frontend_args = ("--udp-port", str(cls.udp_port))
        super().setUpClass()

    def test_a_full_shard_refuses_new_torrents_and_peers_and_changes_nothing(self):
        port = self.cluster.port()
        first, second, third = (cluster.hash_on_shard(0, 1, f"{self.id()}/{n}") for n in range(3))

        def announce(info_hash, n):
            return cluster.announce(port, info_hash, peer_id(f"{self.id()}/{n}"), 7000 + n,
                                    left=100)

        for info_hash, n in ((first, 0), (first, 1), (second, 2)):
            self.assertNotIn(b"failure reason", announce(info_hash, n))
        for refused in (announce(third, 3), announce(first, 4)):  # a new torrent, a new peer
            self.assertIn(b"tracker full", refused[b"failure reason"])
            self.assertEqual(refused[b"retry in"], 1)  # BEP 31: expiry makes room
        client = UdpClient(self.udp_port, "127.0.0.1")
        try:
            client.connect()
            action, payload = client.announce(second, peer_id(f"{self.id()}/5"), 7005, left=100)
            self.assertEqual(action, 3)
            self.assertIn(b"tracker full", payload)
        finally:
            client.close()

        # Listed peers go on; the refused ones left no trace.
        reply = announce(first, 1)
        self.assertEqual(len(reply[b"peers"]), 6)
        files = cluster.scrape(port, [first, second, third])
        self.assertEqual([files[h][b"incomplete"] for h in (first, second, third)], [2, 1, 0])
        samples = cluster.metrics(self.cluster.shards[0].metrics_port())
        refusals = 'shardtrack_full_refusals_total{shard="0",limit="%s"}'
        self.assertEqual(samples[refusals % "max-torrents"], 1)
        self.assertEqual(samples[refusals % "max-peers"], 2)
        self.assertEqual(samples['shardtrack_torrent_limit{shard="0"}'], 2)
        self.assertTrue(self.cluster.shards[0].logged("refusing announces that would add to it"))


class ExpiryLapTest(cluster.ProcessTestCase):

    def test_a_lap_longer_than_the_peer_timeout_is_warned_of(self):
        # Only the sweep removes a silent peer: it may stay listed for a lap past its time.
        shard = self.start(cluster.Shard(0, 1, cluster.free_port(),
                                         os.path.join(self.tmp, "shard0"),
                                         ["--peer-timeout", "60", "--expire-lap", "600"]))
        self.assertTrue(shard.logged("--expire-lap 600 s is longer than --peer-timeout 60 s: a "
                                     "silent peer may stay listed and handed out for up to 660 s"))


class ShardCountTest(unittest.TestCase):

    def test_a_frontend_refuses_more_shards_than_a_cluster_runs(self):
        # One --shard is given by frontend_refused; these make one more than the most. The same
        # endpoint throughout: the count is checked before the endpoints, not after 65,537 of them.
        stderr = cluster.frontend_refused(*["--shard=ipc://x"] * 65536)
        self.assertIn("65537 --shard endpoints: a cluster runs at most 65536 shards", stderr)


if __name__ == "__main__":
    unittest.main()

