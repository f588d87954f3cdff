"""A shard that dies or hangs fails only its own torrents, quickly, and comes back.

2 shards, 1 frontend with --shard-timeout-ms 300. The deadline asserted for a failure reply
(FAILURE_DEADLINE) is many times the timeout, so a slow machine does not make it flaky, but a
frontend that waits for a dead shard forever (or for its default timeout) fails it.
"""

import signal
import socket
import struct
import time
import unittest

import cluster
from cluster import HttpConnection, announce, announce_target, peer_id, wait_until

SHARD_TIMEOUT_MS = 300
FAILURE_DEADLINE = 3.0  # seconds within which a request to a lost shard must fail
RECOVERY_DEADLINE = 15.0  # seconds within which a restarted shard must serve again
METRICS = ["--metrics-listen", "127.0.0.1:0"]


class ShardFailureTest(cluster.LoggedTestCase):

    def setUp(self):
        self.cluster = cluster.Cluster(
            shards=2, frontends=1,
            frontend_args=["--shard-timeout-ms", str(SHARD_TIMEOUT_MS)])
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.port = self.cluster.port(0)
        self.seeder = peer_id("seeder")
        self.leecher = peer_id("leecher")
        self.h0 = self.cluster.hash_on_shard(0, self.id() + "/0")
        self.h1 = self.cluster.hash_on_shard(1, self.id() + "/1")
        for h in (self.h0, self.h1):
            reply = announce(self.port, h, self.seeder, 7001, source="127.0.0.2", left=0,
                             event="started")
            self.assertNotIn(b"failure reason", reply)

    def logs(self):
        return self.cluster.logs()

    def leecher_announce(self, info_hash, timeout=FAILURE_DEADLINE + 2):
        return announce(self.port, info_hash, self.leecher, 7002, source="127.0.0.3",
                        left=100, timeout=timeout)

    def assertFailsQuickly(self, info_hash):
        started = time.monotonic()
        reply = self.leecher_announce(info_hash)
        elapsed = time.monotonic() - started
        self.assertIn(b"failure reason", reply)
        self.assertEqual(reply[b"retry in"], 1, reply)  # BEP 31: come back in a minute
        self.assertLess(elapsed, FAILURE_DEADLINE, f"failure reply took {elapsed:.2f} s")

    def assertServes(self, info_hash):
        reply = self.leecher_announce(info_hash)
        self.assertNotIn(b"failure reason", reply)
        self.assertEqual(cluster.reply_peers(reply), [("127.0.0.2", 7001)])

    def wait_until_served(self, info_hash):
        """Polls the leecher's announce on `info_hash` until it is served; returns the reply."""
        return cluster.first_served(lambda: self.leecher_announce(info_hash),
                                    f"{info_hash.hex()} after recovery", RECOVERY_DEADLINE)

    def assertOtherShardNotBlocked(self):
        """While a request waits on the lost shard 1, shard 0's torrent is answered."""
        with HttpConnection(self.port, source="127.0.0.4",
                            timeout=FAILURE_DEADLINE + 2) as waiting:
            waiting.request("GET", announce_target(self.h1, peer_id("w"), 7003, left=1))
            self.assertServes(self.h0)
            self.assertIn(b"failure reason", waiting.read_response().bencoded())

    def test_killed_shard_fails_fast_and_serves_again_after_restart(self):
        shard = self.cluster.shards[1]
        shard.kill(signal.SIGKILL)
        frontend = self.cluster.frontends[0]
        down = f"shard 1 at {shard.endpoint} is unreachable; its requests fail until it is back"
        self.assertFailsQuickly(self.h1)
        if not frontend.logged(down, timeout=1.0):
            # The frontend's ZeroMQ I/O thread learns of the closed connection on its own time;
            # a request sent before then goes into the dying connection and times out instead
            # ("answered nothing"). The next one finds the shard unreachable.
            self.assertTrue(frontend.logged(f"shard 1 at {shard.endpoint} answered nothing"))
            self.assertFailsQuickly(self.h1)
        self.assertTrue(frontend.logged(down), "a lone request's failure reports the shard down")
        self.assertServes(self.h0)
        self.assertOtherShardNotBlocked()
        for _ in range(3):
            self.assertFailsQuickly(self.h1)
        self.assertEqual(frontend.log().count(down), 1, "one outage, one warning")
        samples = cluster.metrics(self.port)
        self.assertEqual(samples['shardtrack_shard_reachable{shard="1"}'], 0)
        self.assertEqual(samples['shardtrack_shard_reachable{shard="0"}'], 1)

        shard.start()  # the same endpoint and data dir; the frontend is not restarted
        reply = self.wait_until_served(self.h1)
        # What the killed shard had not saved may be gone, and requests that timed out may
        # still reach the new process, so only the reply's shape is certain.
        self.assertGreaterEqual(reply[b"incomplete"], 1, reply)
        self.assertNotIn(("127.0.0.3", 7002), cluster.reply_peers(reply))
        self.assertServes(self.h0)
        self.assertTrue(frontend.running())
        self.assertEqual(cluster.metrics(self.port)['shardtrack_shard_reachable{shard="1"}'], 1)
        back = f"shard 1 at {shard.endpoint} is accepting requests again"
        self.assertTrue(frontend.logged(back))
        self.assertEqual(frontend.log().count(back), 1)

    def test_hung_shard_fails_fast_and_its_late_replies_are_ignored(self):
        shard = self.cluster.shards[1]
        shard.kill(signal.SIGSTOP)
        try:
            self.assertFailsQuickly(self.h1)
            self.assertServes(self.h0)
            self.assertOtherShardNotBlocked()
            full = cluster.get(self.port, "/scrape", timeout=FAILURE_DEADLINE + 2).bencoded()
            self.assertIn(b"failure reason", full)  # a full scrape needs every shard
            # A scrape naming torrents of both shards gets the live shard's: the other's are
            # left out, as a tracker leaves out what it cannot answer for.
            both = cluster.get(self.port, "/scrape?" + cluster.query_string(
                [("info_hash", self.h0), ("info_hash", self.h1)]),
                timeout=FAILURE_DEADLINE + 2).bencoded()
            self.assertNotIn(b"failure reason", both)
            self.assertEqual(set(both[b"files"]), {self.h0})
            alone = cluster.get(self.port, "/scrape?" + cluster.query_string(
                [("info_hash", self.h1)]), timeout=FAILURE_DEADLINE + 2).bencoded()
            self.assertEqual(alone[b"retry in"], 1, alone)
            self.assertEqual(full[b"retry in"], 1, full)
            # The operator is told, once for the lot.
            warned = [line for line in self.cluster.frontends[0].log().splitlines()
                      if "did not answer a request within --shard-timeout-ms" in line]
            self.assertEqual(len(warned), 1, warned)
            self.assertIn("shard 1", warned[0])
        finally:
            shard.kill(signal.SIGCONT)
        # The shard now answers the requests that already timed out; the frontend must drop
        # those replies and still match new requests to their own replies.
        reply = self.wait_until_served(self.h1)
        peers = cluster.reply_peers(reply)
        self.assertIn(("127.0.0.2", 7001), peers)  # the paused shard kept its swarm
        self.assertNotIn(("127.0.0.3", 7002), peers)
        self.assertServes(self.h0)
        # Within --full-scrape-cache of the failed one: a failure is never reused.
        self.assertEqual(set(cluster.scrape(self.port)), {self.h0, self.h1})
        self.assertTrue(self.cluster.frontends[0].running())
        self.assertTrue(shard.running())

    def test_readiness_checks_waiting_together_all_fail_while_a_shard_hangs(self):
        # Checks that come while one is under way wait for its answer: a failure is theirs too,
        # each answered 503, none left waiting.
        shard = self.cluster.shards[1]
        shard.kill(signal.SIGSTOP)
        connections = [HttpConnection(self.port, timeout=FAILURE_DEADLINE + 2) for _ in range(10)]
        try:
            started = time.monotonic()
            for conn in connections:
                conn.send(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
            statuses = [conn.read_response().status for conn in connections for _ in range(3)]
            self.assertEqual(statuses, [503] * 30)
            self.assertLess(time.monotonic() - started, FAILURE_DEADLINE)
        finally:
            for conn in connections:
                conn.close()
            shard.kill(signal.SIGCONT)
        wait_until(lambda: cluster.get(self.port, "/readyz").status == 200, "ready again",
                   RECOVERY_DEADLINE)

    def test_a_readiness_check_whose_shards_answer_after_draining_began_fails(self):
        shard = self.cluster.shards[1]
        frontend = self.cluster.frontends[0]
        shard.kill(signal.SIGSTOP)
        try:
            with HttpConnection(self.port, timeout=FAILURE_DEADLINE + 2) as check:
                sent = cluster.shard_requests_sent(self.port)
                check.send(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
                wait_until(lambda: cluster.shard_requests_sent(self.port) == sent + 2,
                           "the check asked both shards")
                frontend.popen.send_signal(signal.SIGTERM)
                self.assertTrue(frontend.logged("draining"))
                shard.kill(signal.SIGCONT)  # both answer now, within the timeout
                self.assertEqual(check.read_response().status, 503)
        finally:
            shard.kill(signal.SIGCONT)

    def test_a_hung_shards_requests_fail_at_once_once_it_has_been_silent_for_a_timeout(self):
        # Each would otherwise hold its client's connection for the whole timeout: under load,
        # one hung shard would take every connection the frontend has from the other shards.
        shard = self.cluster.shards[1]
        frontend = self.cluster.frontends[0]
        shard.kill(signal.SIGSTOP)
        try:
            self.assertFailsQuickly(self.h1)  # waits out the timeout: it was sent
            self.assertTrue(frontend.logged("shard 1 at " + shard.endpoint +
                                            " answered nothing for --shard-timeout-ms"))
            self.assertEqual(cluster.metrics(self.port)['shardtrack_shard_reachable{shard="1"}'],
                             0)
            with HttpConnection(self.port, source="127.0.0.4",
                                timeout=FAILURE_DEADLINE + 2) as probe:
                # The shard gets one batch at a time: while this one waits, the others fail
                # before they could reach it.
                sent = 'shardtrack_shard_sent_total{shard="1"}'
                before = cluster.metrics(self.port)[sent]
                probe.request("GET", announce_target(self.h1, peer_id("probe"), 7099, left=1))
                wait_until(lambda: cluster.metrics(self.port)[sent] > before, "the probe sent")
                reasons = [self.leecher_announce(self.h1)[b"failure reason"] for _ in range(20)]
                self.assertServes(self.h0)
                self.assertEqual(probe.read_response().bencoded()[b"failure reason"],
                                 b"shard 1 did not answer in time, retry later")
            # A probe now and then if the machine stalls past the timeout, but most at once.
            self.assertGreater(reasons.count(b"shard 1 is not answering, retry later"), 10,
                               reasons)
        finally:
            shard.kill(signal.SIGCONT)
        self.wait_until_served(self.h1)
        self.assertTrue(frontend.logged(f"shard 1 at {shard.endpoint} answers again"))
        self.assertEqual(cluster.metrics(self.port)['shardtrack_shard_reachable{shard="1"}'], 1)

    def test_a_hung_shard_drops_what_its_frontend_gave_up_on(self):
        # A `completed` told "retry later" must not be applied once the shard wakes: behind the
        # client's retry (and its `stopped`) it would count the completion twice and list the
        # peer again.
        shard = self.cluster.shards[1]
        shard.kill(signal.SIGSTOP)
        try:
            reply = announce(self.port, self.h1, peer_id("late"), 7009, source="127.0.0.5",
                             left=0, event="completed", timeout=FAILURE_DEADLINE + 2)
            self.assertEqual(reply[b"retry in"], 1, reply)
            # Well past the timeout: a batch read just at it may still be applied (its delay is
            # measured from the quickest delivery, so the shard errs on the side of applying).
            time.sleep(SHARD_TIMEOUT_MS / 1000)
        finally:
            shard.kill(signal.SIGCONT)
        self.wait_until_served(self.h1)
        entry = cluster.scrape(self.port, [self.h1])[self.h1]
        self.assertEqual((entry[b"downloaded"], entry[b"complete"]), (0, 1))  # the seeder only
        self.assertTrue(shard.logged("dropped a batch of 1 requests unapplied"))


    def test_a_frontend_with_its_shard_list_reversed_tells_clients_to_retry_and_the_log_why(self):
        reversed_list = [s.endpoint for s in reversed(self.cluster.shards)]
        wrong = cluster.Frontend(9, reversed_list)
        self.cluster.frontends.append(wrong)  # stopped with the cluster
        wrong.start()
        reply = announce(wrong.port, self.h0, self.leecher, 7002, left=100)
        self.assertEqual(reply[b"failure reason"], b"tracker misconfigured, retry later")
        self.assertEqual(reply[b"retry in"], 1)
        self.assertTrue(wrong.logged(
            "misrouted batch: this is shard 1 of 2, the frontend believes shard 0 of 2"))
        self.assertEqual(cluster.get(wrong.port, "/readyz").status, 503)
        self.assertServes(self.h0)  # through the right frontend

    def test_a_scrape_that_meets_a_misrouted_shard_fails_whole(self):
        shard0 = self.cluster.shards[0].endpoint
        # Shard 1's torrents go to shard 0, named another way: the same string twice is refused
        # at start.
        wrong = cluster.Frontend(9, [shard0, shard0.replace("127.0.0.1", "localhost")])
        self.cluster.frontends.append(wrong)  # stopped with the cluster
        wrong.start()
        reply = cluster.get(wrong.port, "/scrape?" + cluster.query_string(
            [("info_hash", self.h0), ("info_hash", self.h1)])).bencoded()
        self.assertEqual(reply[b"failure reason"], b"tracker misconfigured, retry later")


class ShardHeartbeatTest(cluster.LoggedTestCase):
    """A stopped shard answers no ZeroMQ ping, as a host cut off without a FIN would not."""

    def test_a_connection_whose_shard_answers_no_ping_is_dropped_and_made_again(self):
        self.cluster = cluster.Cluster(shards=1, frontends=1, frontend_args=[
            "--shard-heartbeat-ms", "100", "--shard-timeout-ms", str(SHARD_TIMEOUT_MS)])
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        port = self.cluster.port()
        torrent = self.cluster.hash_on_shard(0, self.id())
        seeded = announce(port, torrent, peer_id("seeder"), 7001, left=0, event="started")
        self.assertNotIn(b"failure reason", seeded)
        shard = self.cluster.shards[0]
        shard.kill(signal.SIGSTOP)
        try:
            time.sleep(1.0)  # three pings unanswered, and then some
            reply = announce(port, torrent, peer_id("leecher"), 7002, left=1,
                             timeout=FAILURE_DEADLINE + 2)
            # Not sent into a connection that answers nothing, to time out: there is none.
            self.assertEqual(reply[b"failure reason"], b"shard 0 is unavailable, retry later")
            self.assertTrue(self.cluster.frontends[0].logged(
                "shard 0 at " + shard.endpoint + " is unreachable"))
        finally:
            shard.kill(signal.SIGCONT)
        cluster.first_served(
            lambda: announce(port, torrent, peer_id("leecher"), 7002, left=1),
            "served again over a new connection", RECOVERY_DEADLINE)

    def logs(self):
        return self.cluster.logs() if hasattr(self, "cluster") else ""


class StrangersAtTheShardPortTest(cluster.ProcessTestCase):
    """Anyone who reaches a shard's --listen can open connections that send nothing: each is
    closed after --handshake-timeout, and the shard takes the open-file limit it may, so that
    such connections cannot keep its frontends (or its snapshot's pipe) out; and it says so, in
    its log and its metrics. Nor can one claim a message of any size: past --max-message-bytes
    its connection is closed."""

    def test_a_message_over_max_message_bytes_closes_its_connection_at_its_header(self):
        # A claim between the setting and the 16 MiB default: a shard that kept the default
        # would take all of it.
        limit, claimed, chunk = 2 << 20, 4 << 20, 64 << 10
        shard = self.start(cluster.Shard(0, 1, cluster.free_port(), self.tmp,
                                         ["--max-message-bytes", str(limit)]))
        stranger = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(stranger.close)
        # A small send buffer: what the kernel takes from us before the shard's close is seen is
        # little more than the shard's receive window.
        stranger.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, chunk)
        stranger.settimeout(10)
        stranger.connect(("127.0.0.1", shard.port))
        # ZMTP 3.0 (RFC 23): greeting (NULL mechanism), READY as a DEALER, then a message
        # frame whose header claims `claimed` bytes.
        stranger.sendall(b"\xff" + bytes(8) + b"\x7f\x03\x00" + b"NULL".ljust(20, b"\0") +
                         bytes(32))
        ready = b"\x05READY\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
        stranger.sendall(b"\x04" + bytes([len(ready)]) + ready)
        stranger.sendall(b"\x02" + struct.pack(">Q", claimed))
        sent = 0
        with self.assertRaises((ConnectionResetError, BrokenPipeError),
                               msg=f"all {claimed} bytes taken: --max-message-bytes {limit} "
                                   "was not applied"):
            while sent < claimed:
                stranger.sendall(bytes(chunk))
                sent += chunk
        self.assertLess(sent, limit, "closed at the frame's header, not after reading it")

    def test_a_connection_that_sends_nothing_is_closed_after_the_handshake_timeout(self):
        shard = self.start(cluster.Shard(0, 1, cluster.free_port(), self.tmp,
                                         ["--handshake-timeout", "1", *METRICS]))
        silent = socket.create_connection(("127.0.0.1", shard.port), timeout=10)
        self.addCleanup(silent.close)
        started = time.monotonic()
        while silent.recv(4096):  # the shard's greeting, then its close (libzmq's default: 30 s)
            pass
        self.assertLess(time.monotonic() - started, 5, "not closed by the handshake timeout")
        self.assertTrue(shard.logged("a connection to --listen failed its ZeroMQ handshake (1 so"))
        self.assertEqual(self.connection_failures(shard, "handshake"), 1)

    def test_a_shard_out_of_descriptors_says_so(self):
        shard = cluster.Shard(0, 1, cluster.free_port(), self.tmp, METRICS)
        shard.argv = ["prlimit", "--nofile=64:64", *shard.argv]  # the least a shard starts with
        self.start(shard)
        silent = []
        self.addCleanup(lambda: [connection.close() for connection in silent])
        for _ in range(64):  # each holds one of the shard's descriptors until the handshake ends
            silent.append(socket.create_connection(("127.0.0.1", shard.port), timeout=10))
        self.assertTrue(shard.logged(
            "cannot accept connections on --listen: Too many open files", timeout=10))
        for connection in silent:  # so that the metrics port may accept again
            connection.close()
        self.assertGreater(self.connection_failures(shard, "accept"), 0)

    @staticmethod
    def connection_failures(shard, stage):
        return cluster.metrics(shard.metrics_port())[
            f'shardtrack_shard_connection_failures_total{{shard="0",stage="{stage}"}}']

    def test_the_shard_raises_its_open_file_limit_as_far_as_the_hard_limit(self):
        shard = cluster.Shard(0, 1, cluster.free_port(), self.tmp)
        shard.argv = ["prlimit", "--nofile=128:4096", *shard.argv]
        self.start(shard)
        with open(f"/proc/{shard.popen.pid}/limits") as f:
            limit = next(line for line in f if line.startswith("Max open files")).split()
        self.assertEqual(limit[3:5], ["4096", "4096"])
        self.assertTrue(shard.logged("the open-file limit is 4096 (the hard limit)"))


class BusyShardTest(cluster.LoggedTestCase):
    """--max-pending-per-shard: past it a shard's requests fail at once, and clients are asked
    to come back in a minute."""

    def test_requests_past_the_pending_cap_fail_at_once_with_retry_in(self):
        with cluster.Cluster(shards=2, frontends=1, frontend_args=[
                "--max-pending-per-shard", "1",
                "--shard-timeout-ms", str(SHARD_TIMEOUT_MS * 10)]) as tracker:
            self.logs = tracker.logs
            h1 = tracker.hash_on_shard(1, "busy")
            tracker.shards[1].kill(signal.SIGSTOP)
            try:
                with HttpConnection(tracker.port(), timeout=FAILURE_DEADLINE * 3) as waiting:
                    waiting.request("GET", announce_target(h1, peer_id("w"), 7003, left=1))
                    pending = 'shardtrack_shard_pending{shard="1"}'
                    wait_until(lambda: cluster.metrics(tracker.port())[pending] == 1,
                               "the waiting request to be the one pending")
                    started = time.monotonic()
                    reply = announce(tracker.port(), h1, peer_id("x"), 7004, left=1,
                                     timeout=FAILURE_DEADLINE)
                    self.assertLess(time.monotonic() - started, FAILURE_DEADLINE / 3)
                    self.assertEqual(reply, {b"failure reason": b"tracker busy, retry later",
                                             b"retry in": 1})
            finally:
                tracker.shards[1].kill(signal.SIGCONT)


if __name__ == "__main__":
    unittest.main()
