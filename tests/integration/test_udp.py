"""The UDP tracker (BEP 15) on a 2-shard cluster.

Clients speak raw BEP 15 datagrams from distinct loopback addresses (127.0.0.2, 127.0.0.3), so
each is its own peer. The frontend is started with --udp-port on a port that was free a moment
ago and logs it in its ready line. A killed shard must produce an error datagram within
FAILURE_DEADLINE (many times --shard-timeout-ms, so a slow machine does not make it flaky).
"""

import ipaddress
import os
import re
import signal
import socket
import struct
import time
import unittest

import cluster
from cluster import free_udp_port, peer_id

PROTOCOL_ID = 0x41727101980
SHARD_TIMEOUT_MS = 300
FAILURE_DEADLINE = 3.0
EVENT_STARTED = 2


class UdpClient:
    """One client socket on `source`; every request waits for the matching transaction id.
    `source` and `server` are addresses, or socket addresses (an IPv6 one with its scope)."""

    def __init__(self, port, source, timeout=FAILURE_DEADLINE + 2, server="127.0.0.1"):
        self.address = server if isinstance(server, tuple) else (server, port)
        family = socket.AF_INET6 if ":" in self.address[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(source if isinstance(source, tuple) else (source, 0))
        self.sock.settimeout(timeout)
        self.next_tid = 1000
        self.connection_id = None

    def close(self):
        self.sock.close()

    def exchange(self, connection_id, action, body=b""):
        """Sends a request; returns (action, payload after the header) of the reply."""
        self.next_tid += 1
        tid = self.next_tid
        self.sock.sendto(struct.pack(">QII", connection_id, action, tid) + body, self.address)
        while True:
            data, _ = self.sock.recvfrom(65536)
            reply_action, reply_tid = struct.unpack(">II", data[:8])
            if reply_tid == tid:
                return reply_action, data[8:]

    def unanswered(self, connection_id, action, body=b"", wait=1.0):
        """Sends a request; true when no reply comes within `wait` seconds."""
        self.sock.sendto(struct.pack(">QII", connection_id, action, 1) + body, self.address)
        self.sock.settimeout(wait)
        try:
            self.sock.recvfrom(65536)
            return False
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(FAILURE_DEADLINE + 2)

    def connect(self):
        action, payload = self.exchange(PROTOCOL_ID, 0)
        assert action == 0, (action, payload)
        self.connection_id = struct.unpack(">Q", payload)[0]
        return self.connection_id

    def announce(self, info_hash, pid, port, left, event=EVENT_STARTED, num_want=-1,
                 connection_id=None, options=b"", ip=b"\0\0\0\0"):
        """`options`: BEP 41 options after the announce (bep41_url_data makes them); `ip`: the
        4-byte IP address field."""
        body = (info_hash + pid + struct.pack(">QQQI", 0, left, 0, event) + ip +
                struct.pack(">IiH", 7, num_want, port) + options)
        cid = self.connection_id if connection_id is None else connection_id
        return self.exchange(cid, 1, body)

    def scrape(self, hashes):
        return self.exchange(self.connection_id, 2, b"".join(hashes))


def bep41_url_data(url):
    """BEP 41 URLData options carrying `url` (a path and query), 255 bytes an option."""
    data = url.encode()
    return b"".join(bytes([2, len(data[i:i + 255])]) + data[i:i + 255]
                    for i in range(0, len(data), 255))


def announce_fields(payload):
    interval, leechers, seeders = struct.unpack(">III", payload[:12])
    peers = [(socket.inet_ntoa(payload[i:i + 4]), struct.unpack(">H", payload[i + 4:i + 6])[0])
             for i in range(12, len(payload), 6)]
    return interval, leechers, seeders, peers


class UdpTrackerTest(cluster.LoggedTestCase):

    def setUp(self):
        self.cluster = cluster.Cluster(
            shards=2, frontends=1,
            frontend_args=["--udp-port", str(free_udp_port()),
                           "--shard-timeout-ms", str(SHARD_TIMEOUT_MS)])
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.udp_port = self.cluster.frontends[0].udp_port
        self.seeder = UdpClient(self.udp_port, "127.0.0.2")
        self.leecher = UdpClient(self.udp_port, "127.0.0.3")
        self.addCleanup(self.seeder.close)
        self.addCleanup(self.leecher.close)
        self.seeder.connect()
        self.leecher.connect()
        self.hashes = [self.cluster.hash_on_shard(s, self.id() + f"/{s}") for s in (0, 1)]

    def logs(self):
        return self.cluster.logs()

    def test_two_peers_see_each_other_on_each_shard(self):
        for h in self.hashes:
            action, payload = self.seeder.announce(h, peer_id("seeder"), 7001, left=0)
            self.assertEqual(action, 1, payload)
            interval, leechers, seeders, peers = announce_fields(payload)
            self.assertEqual((leechers, seeders), (0, 1))
            self.assertTrue(1710 <= interval <= 1890, interval)  # --interval-jitter 180
            action, payload = self.leecher.announce(h, peer_id("leecher"), 7002, left=10)
            self.assertEqual(action, 1, payload)
            _, leechers, seeders, peers = announce_fields(payload)
            self.assertEqual((leechers, seeders), (1, 1))
            self.assertEqual(peers, [("127.0.0.2", 7001)])
            _, _, _, peers = announce_fields(
                self.seeder.announce(h, peer_id("seeder"), 7001, left=0, event=0)[1])
            self.assertEqual(peers, [("127.0.0.3", 7002)])

    def test_scrape_counts_in_request_order_across_shards(self):
        self.seeder.announce(self.hashes[1], peer_id("seeder"), 7001, left=0)
        self.leecher.announce(self.hashes[1], peer_id("leecher"), 7002, left=10)
        self.leecher.announce(self.hashes[0], peer_id("leecher"), 7002, left=10)
        unknown = b"\x01" * 20
        action, payload = self.leecher.scrape([self.hashes[1], unknown, self.hashes[0]])
        self.assertEqual(action, 2, payload)
        counts = [struct.unpack(">III", payload[i:i + 12]) for i in range(0, len(payload), 12)]
        # seeders, completed, leechers
        self.assertEqual(counts, [(1, 0, 1), (0, 0, 0), (0, 0, 1)])

    def test_metrics_count_datagrams_by_kind(self):
        def samples():
            body = cluster.get(self.cluster.port(), "/metrics").body.decode()
            return {kind: float(value) for kind, value in re.findall(
                r'^shardtrack_udp_datagrams_total\{kind="(\w+)"\} (\S+)$', body, re.M)}
        before = samples()
        self.leecher.connect()
        self.leecher.announce(self.hashes[0], peer_id("leecher"), 7002, left=10)
        self.leecher.scrape([self.hashes[0]])
        self.leecher.exchange(self.leecher.connection_id, 2)  # a scrape without a hash
        self.assertTrue(self.leecher.unanswered(PROTOCOL_ID + 1, 0))
        self.assertTrue(self.leecher.unanswered(self.leecher.connection_id, 2, b"h" * 3000))
        after = samples()
        for kind in ("connect", "announce", "scrape", "error", "dropped", "oversized"):
            self.assertEqual(after[kind] - before[kind], 1, kind)
        metrics = cluster.metrics(self.cluster.port())
        self.assertEqual(metrics["shardtrack_udp_replies_unsent_total"], 0)  # all went out

    def test_bad_connection_id_gets_an_error(self):
        action, payload = self.leecher.announce(self.hashes[0], peer_id("leecher"), 7002, left=1,
                                                connection_id=self.seeder.connection_id ^ 1)
        self.assertEqual(action, 3)
        self.assertIn(b"connection id", payload)

    def test_an_id_is_good_from_every_port_of_its_address_and_no_other(self):
        # libtorrent keeps one id per tracker for all its sessions in a process, whatever their
        # sockets' ports; BEP 15's id proves the address only.
        other_port = UdpClient(self.udp_port, "127.0.0.3")
        self.addCleanup(other_port.close)
        action, payload = other_port.announce(self.hashes[0], peer_id("other port"), 7003,
                                              left=1, connection_id=self.leecher.connection_id)
        self.assertEqual(action, 1, payload)
        action, payload = self.seeder.announce(self.hashes[0], peer_id("seeder"), 7001, left=0,
                                               connection_id=self.leecher.connection_id)
        self.assertEqual(action, 3)
        self.assertIn(b"connection id", payload)

    def test_unproven_sources_get_no_error_longer_than_their_datagram(self):
        # Without one of our connection ids the source may be forged: an error of more bytes
        # than came would amplify. A well-formed scrape with a bad id still learns why.
        self.assertTrue(self.leecher.unanswered(PROTOCOL_ID + 1, 0))  # bad protocol id
        self.assertTrue(self.leecher.unanswered(12345, 2))  # a scrape without a hash, bad id
        self.leecher.sock.sendto(b"\x00" * 7, self.leecher.address)  # dropped, no reply
        action, payload = self.leecher.exchange(12345, 2, self.hashes[0])
        self.assertEqual((action, payload), (3, b"invalid connection id"))
        self.leecher.connect()  # still served

    def test_killed_shard_gets_an_error_within_the_deadline(self):
        self.cluster.shards[1].kill(signal.SIGKILL)
        started = time.monotonic()
        action, payload = self.leecher.announce(self.hashes[1], peer_id("leecher"), 7002, left=1)
        elapsed = time.monotonic() - started
        self.assertEqual(action, 3, payload)
        self.assertLess(elapsed, FAILURE_DEADLINE)
        action, _ = self.leecher.announce(self.hashes[0], peer_id("leecher"), 7002, left=1)
        self.assertEqual(action, 1)


class UdpDrainTest(cluster.LoggedTestCase):
    """SIGTERM on a frontend answers the UDP requests already in flight before it exits."""

    def test_an_announce_in_flight_is_answered_after_sigterm(self):
        with cluster.Cluster(shards=1, frontends=1, frontend_args=[
                "--udp-port", str(free_udp_port()), "--drain-grace-ms", "200",
                "--shard-timeout-ms", "5000"]) as tracker:
            self.logs = tracker.logs
            frontend, shard = tracker.frontends[0], tracker.shards[0]
            port = frontend.udp_port
            client = UdpClient(port, "127.0.0.2", timeout=10)
            self.addCleanup(client.close)
            client.connect()
            info_hash = cluster.hash_on_shard(0, 1, self.id())
            shard.popen.send_signal(signal.SIGSTOP)  # the announce waits for the shard
            self.addCleanup(lambda: shard.popen.send_signal(signal.SIGCONT))
            body = info_hash + peer_id("drain") + struct.pack(">QQQIIIiH", 0, 1, 0, 2, 0, 7, -1,
                                                              7003)
            client.sock.sendto(struct.pack(">QII", client.connection_id, 1, 4242) + body,
                               client.address)
            pending = 'shardtrack_shard_pending{shard="0"}'
            cluster.wait_until(lambda: cluster.metrics(tracker.port())[pending] == 1,
                               "the announce received and sent on to the stopped shard")
            frontend.popen.send_signal(signal.SIGTERM)
            # Past the grace period the frontend takes no new requests, and says what it waits for.
            self.assertTrue(frontend.logged("no new requests, finishing 1 in flight"))
            time.sleep(0.3)  # a drain that overlooked it would be gone by now (it polls each 20 ms)
            self.assertIsNone(frontend.popen.poll(), "exited with a UDP request in flight")
            shard.popen.send_signal(signal.SIGCONT)
            data, _ = client.sock.recvfrom(65536)
            action, tid = struct.unpack(">II", data[:8])
            self.assertEqual((action, tid), (1, 4242), data)
            frontend.popen.wait(10)
            self.assertEqual(frontend.popen.returncode, 0)


class SharedUdpSecretTest(cluster.ProcessTestCase):
    """Frontends given one --udp-secret-file accept each other's connection ids, also across a
    restart; without it each frontend knows only its own."""

    def setUp(self):
        super().setUp()
        self.secret = os.path.join(self.tmp, "udp-secret")
        with open(self.secret, "w") as f:
            f.write("c2hhcmR0cmFjayB0ZXN0IHNlY3JldA==\n")
        shard = self.start(cluster.Shard(0, 1, cluster.free_port(),
                                         os.path.join(self.tmp, "shard0")))
        self.shard_endpoint = shard.endpoint
        self.info_hash = cluster.hash_on_shard(0, 1, self.id())

    def frontend(self, number, udp_port, *extra):
        return self.start(cluster.Frontend(number, [self.shard_endpoint],
                                           ["--udp-port", str(udp_port), *extra]))

    def test_an_id_from_one_frontend_is_good_at_another_given_the_same_file(self):
        ports = [free_udp_port() for _ in range(3)]
        self.frontend(0, ports[0], "--udp-secret-file", self.secret)
        self.frontend(1, ports[1], "--udp-secret-file", self.secret)
        self.frontend(2, ports[2])
        client = UdpClient(ports[0], "127.0.0.2")  # one client socket, one id
        self.addCleanup(client.close)
        client.connect()
        client.address = ("127.0.0.1", ports[1])
        action, payload = client.announce(self.info_hash, peer_id("a"), 7001, left=5)
        self.assertEqual(action, 1, payload)
        client.address = ("127.0.0.1", ports[2])  # a frontend with a key of its own
        action, payload = client.announce(self.info_hash, peer_id("a"), 7001, left=5)
        self.assertEqual((action, payload), (3, b"invalid connection id"))

    def test_an_id_outlives_a_restart_of_its_frontend(self):
        port = free_udp_port()
        frontend = self.frontend(0, port, "--udp-secret-file", self.secret)
        client = UdpClient(port, "127.0.0.2")
        self.addCleanup(client.close)
        connection_id = client.connect()
        self.assertEqual(frontend.stop(), 0)
        frontend.start()
        action, payload = client.announce(self.info_hash, peer_id("a"), 7001, left=5,
                                          connection_id=connection_id)
        self.assertEqual(action, 1, payload)

    def test_frontends_sharing_a_port_without_the_file_are_warned(self):
        port = free_udp_port()
        frontend = self.frontend(0, port, "--reuse-port")
        self.assertTrue(frontend.logged(f"--reuse-port without --udp-secret-file: each frontend "
                                        f"sharing UDP port {port} keys connection ids"))
        given = self.frontend(1, free_udp_port(), "--reuse-port", "--udp-secret-file", self.secret)
        self.assertFalse(given.logged("--reuse-port without --udp-secret-file"))

    def test_a_short_secret_file_stops_the_frontend_at_start(self):
        with open(self.secret, "w") as f:
            f.write("short\n")
        self.assertIn(f"--udp-secret-file {self.secret}: the secret has 5 bytes, fewer than 16",
                      cluster.frontend_refused("--udp-secret-file", self.secret))


def host_ipv6_address(scope):
    """(address, interface index) of one of this host's IPv6 addresses of `scope` ("00" global,
    "20" link-local) on an interface other than lo, or None."""
    try:
        with open("/proc/net/if_inet6") as table:
            for line in table:
                raw, index, _, address_scope, flags, name = line.split()
                usable = int(flags, 16) & 0x60 == 0  # neither tentative nor deprecated
                if address_scope == scope and name != "lo" and usable:
                    return str(ipaddress.IPv6Address(bytes.fromhex(raw))), int(index, 16)
    except OSError:
        pass
    return None


class UdpReplyTest(cluster.ProcessTestCase):
    """What a reply is made of, frontend by frontend: from the address its client asked at (on
    every address: libtorrent drops a reply from another, and a connected socket never sees
    one), and no longer than --udp-max-reply-bytes."""

    def test_a_client_that_asked_another_local_address_hears_back_from_it(self):
        shard = self.start(cluster.Shard(0, 1, cluster.free_port(),
                                         os.path.join(self.tmp, "shard0")))
        for bind in ("0.0.0.0", "::"):
            with self.subTest(bind=bind):
                port = free_udp_port(bind)
                self.start(cluster.Frontend(0, [shard.endpoint], ["--udp-port", str(port)],
                                            bind=bind))
                client = UdpClient(port, "127.0.0.2", timeout=3, server="127.0.0.9")
                self.addCleanup(client.close)
                client.sock.connect(client.address)
                client.connect()
                action, payload = client.announce(cluster.hash_on_shard(0, 1, self.id()),
                                                  peer_id("asker"), 7001, left=5)
                self.assertEqual(action, 1, payload)

    def test_ipv6_clients_hear_back_from_global_and_link_local_addresses(self):
        # The kernel reports a request to a global address as come in on the interface owning
        # it, even one from the host itself over lo: a reply pinned to that interface was lost.
        # A link-local address needs its interface.
        shard = self.start(cluster.Shard(0, 1, cluster.free_port(),
                                         os.path.join(self.tmp, "shard0")))
        port = free_udp_port("::")
        self.start(cluster.Frontend(0, [shard.endpoint], ["--udp-port", str(port)], bind="::"))
        global_address, link_local = host_ipv6_address("00"), host_ipv6_address("20")
        if global_address is None and link_local is None:
            self.skipTest("this host has no IPv6 address but on lo")
        cases = []
        if global_address is not None:
            cases.append((("::1", 0), (global_address[0], port)))
        if link_local is not None:
            address, index = link_local
            cases.append(((address, 0, 0, index), (address, port, 0, index)))
        for source, server in cases:
            with self.subTest(source=source[0], server=server[0]):
                client = UdpClient(port, source, timeout=3, server=server)
                self.addCleanup(client.close)
                client.connect()
                action, payload = client.announce(cluster.hash_on_shard(0, 1, self.id()),
                                                  peer_id("asker"), 7001, left=5)
                self.assertEqual(action, 1, payload)

    def test_an_announce_gets_no_more_peers_than_fit_the_reply_limit(self):
        shard = self.start(cluster.Shard(0, 1, cluster.free_port(),
                                         os.path.join(self.tmp, "shard0")))
        port = free_udp_port()
        self.start(cluster.Frontend(0, [shard.endpoint],
                                    ["--udp-port", str(port), "--udp-max-reply-bytes", "38"]))
        info_hash = cluster.hash_on_shard(0, 1, self.id())
        for n in range(5):
            seeder = UdpClient(port, f"127.0.0.{10 + n}", timeout=3)
            self.addCleanup(seeder.close)
            seeder.connect()
            action, payload = seeder.announce(info_hash, peer_id(f"seeder{n}"), 7000 + n, left=0)
            self.assertEqual(action, 1, payload)
        leecher = UdpClient(port, "127.0.0.20", timeout=3)
        self.addCleanup(leecher.close)
        leecher.connect()
        action, payload = leecher.announce(info_hash, peer_id("leecher"), 7100, left=5,
                                           num_want=10)
        self.assertEqual(action, 1, payload)
        _, _, seeders, peers = announce_fields(payload)
        self.assertEqual(seeders, 5)
        self.assertEqual(len(peers), 3)  # (38 - 20) / 6


if __name__ == "__main__":
    unittest.main()
