"""Hostile input against a real cluster (2 shards, 1 frontend with a UDP port): random and
mutated HTTP requests, UDP datagrams, and ZeroMQ messages sent straight to the shards.

Honest peers first build two swarms, one per shard. Then the barrage, drawn from a seeded random
generator (set SHARDTRACK_HOSTILE_SEED to replay another run; a failure names its seed and case).
What must hold: every process is still running and answering, every HTTP answer is one
well-formed response (or, for input that never finished a request, a prompt close), a 200's body
is bencoded, no connection hangs, the logs grow by a few lines at most, and the honest swarms
are exactly as they were, also after every process restarted from its files. Garbage names only torrents of its own (random
infohashes), so anything it is allowed to change is elsewhere.
"""

import collections
import os
import random
import re
import socket
import struct
import time
import unittest

import zmq

import cluster
from cluster import free_udp_port, peer_id
from test_udp import PROTOCOL_ID, UdpClient

SEED = int(os.environ.get("SHARDTRACK_HOSTILE_SEED", "20261204"))
HTTP_CASES = 1500
UDP_CASES = 3000
ZMQ_CASES = 1500  # per shard
ANSWER_DEADLINE = 5.0  # seconds: a connection still open after this is a hang

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n")


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, value):
    """One protobuf field: an int as a varint, bytes as length-delimited."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


class Garbage:
    """The barrage's cases, each a function of one seeded generator."""

    def __init__(self, rng):
        self.rng = rng

    def blob(self, most=600):
        return self.rng.randbytes(self.rng.randint(0, most))

    def mutate(self, data):
        data = bytearray(data)
        for _ in range(self.rng.randint(1, 4)):
            kind = self.rng.randrange(5)
            at = self.rng.randint(0, len(data))
            if kind == 0 and data:  # flip a byte
                data[min(at, len(data) - 1)] = self.rng.getrandbits(8)
            elif kind == 1:  # cut the rest
                del data[at:]
            elif kind == 2:  # insert bytes
                data[at:at] = self.blob(40)
            elif kind == 3:  # repeat a piece
                piece = data[at:at + self.rng.randint(1, 80)]
                data[at:at] = piece * self.rng.randint(2, 50)
            else:  # a line break in the middle
                data[at:at] = self.rng.choice([b"\r\n", b"\n", b"\r", b"\r\n\r\n", b"\0"])
        return bytes(data)

    def hostile_value(self):
        return self.rng.choice([
            "", "-1", "99999999999999999999999", "0x10", "1e9", "%", "%G1", "%00", "%%41",
            "18446744073709551616", "4294967296", "65536", "0", " 1", "abc",
            cluster.quote(self.blob(60)), "x" * self.rng.randint(100, 9000)])

    def announce_target(self):
        params = {
            "info_hash": cluster.quote(self.rng.randbytes(20)),
            "peer_id": cluster.quote(self.rng.randbytes(20)),
            "port": str(self.rng.randint(1, 65535)),
            "uploaded": "0", "downloaded": "0", "left": str(self.rng.randint(0, 10**9)),
            "event": self.rng.choice(["started", "completed", "stopped", "", "paused"]),
            "compact": self.rng.choice(["0", "1"]),
            "numwant": str(self.rng.randint(0, 500)),
        }
        names = list(params)
        for _ in range(self.rng.randint(0, 3)):
            action = self.rng.randrange(3)
            name = self.rng.choice(names)
            if action == 0:
                params[name] = self.hostile_value()
            elif action == 1:
                params.pop(name, None)
            else:
                params[name + self.rng.choice(["", "[]", "\0"])] = self.hostile_value()
        query = "&".join(f"{k}={v}" for k, v in params.items())
        if self.rng.random() < 0.2:  # the same key twice
            query += f"&{self.rng.choice(names)}={self.hostile_value()}"
        if self.rng.random() < 0.1:  # a passkey's path, on a tracker that wants none
            return f"/{cluster.quote(self.blob(30))}/announce?" + query
        return "/announce?" + query

    def scrape_target(self):
        hashes = [cluster.quote(self.rng.randbytes(self.rng.choice([20, 20, 19, 21, 0, 40])))
                  for _ in range(self.rng.randint(0, 80))]
        return "/scrape?" + "&".join(f"info_hash={h}" for h in hashes)

    def http_request(self):
        target = self.rng.choice([self.announce_target, self.announce_target,
                                  self.scrape_target, lambda: "/"])()
        method = self.rng.choice(["GET"] * 30 + ["HEAD", "POST", "PUT", "get", "G ET", ""])
        version = self.rng.choice(["HTTP/1.1"] * 20 + ["HTTP/1.0", "HTTP/2.0", "HTTP/1", ""])
        headers = ["Host: t"]
        for _ in range(self.rng.choice([0, 0, 0, 1, 2, 4])):
            headers.append(self.rng.choice([
                "Connection: close", "Connection: keep-alive", "Content-Length: 5",
                "Content-Length: -1", "Content-Length: 99999999999", "Transfer-Encoding: chunked",
                "X-Forwarded-For: 1.2.3.4", "Expect: 100-continue", "Bad Header", ": empty",
                "Host: second", "X: " + "y" * self.rng.randint(0, 10000)]))
        request = f"{method} {target} {version}\r\n" + "\r\n".join(headers) + "\r\n\r\n"
        data = request.encode("latin-1")
        kind = self.rng.random()
        if kind < 0.15:
            return self.blob()
        if kind < 0.45:
            return self.mutate(data)
        return data

    def udp_datagram(self, connection_id):
        kind = self.rng.randrange(6)
        tid = self.rng.getrandbits(32)
        if kind == 0:
            return self.blob(200)
        if kind == 1:  # connect, possibly mangled
            return self.mutate(struct.pack(">QII", PROTOCOL_ID, 0, tid))
        header = struct.pack(">QII", self.rng.choice([connection_id, self.rng.getrandbits(64)]),
                             self.rng.choice([1, 1, 2, 3, 4, 0xFFFFFFFF]), tid)
        if kind in (2, 3):  # an announce of a garbage torrent, with random fields
            wild = self.rng.random() < 0.5
            event = self.rng.getrandbits(32) if wild else self.rng.randint(0, 3)
            num_want = self.rng.randint(-2**31, 2**31 - 1) if wild else self.rng.randint(-1, 300)
            body = self.rng.randbytes(40) + struct.pack(
                ">QQQIIIiH", *(self.rng.getrandbits(64) for _ in range(3)), event,
                self.rng.choice([0, self.rng.getrandbits(32)]), self.rng.getrandbits(32),
                num_want, self.rng.getrandbits(16))
            if self.rng.random() < 0.3:  # BEP 41 options: URL data, padding, anything
                body += self.rng.choice([b"\x02", b"\x01", b"\x00", b""]) + self.blob(60)
            return header + (self.mutate(body) if kind == 3 else body)
        if kind == 4:  # a scrape of whole infohashes or of any length
            length = self.rng.choice([20 * self.rng.randint(1, 74), self.rng.randint(0, 1500)])
            return header + self.rng.randbytes(length)
        return header + self.blob(100)

    def shard_message(self, shard, shard_count):
        """Frames for a shard's ROUTER socket: garbage, or a RequestBatch of hostile fields."""
        kind = self.rng.randrange(4)
        if kind == 0:
            return [self.blob(300)]
        if kind == 1:
            return [self.blob(50) for _ in range(self.rng.randint(0, 4))] or [b""]
        requests = b""
        for _ in range(self.rng.randint(0, 20)):
            announce = b"".join([
                field(1, self.rng.randbytes(self.rng.choice([20, 20, 0, 19, 32]))),
                field(2, self.rng.randbytes(self.rng.choice([20, 0, 7]))),
                field(3, self.rng.randbytes(self.rng.choice([4, 16, 0, 5]))),
                field(4, self.rng.getrandbits(self.rng.choice([16, 32]))),
                field(7, self.rng.getrandbits(64)),
                field(8, self.rng.randint(0, 7)),
                field(9, self.rng.getrandbits(self.rng.choice([8, 32]))),
                field(10, self.rng.randint(0, 1)),
                field(11, self.rng.choice([b"", b"member", self.blob(80)]))])
            scrape = b"".join(field(1, self.rng.randbytes(self.rng.choice([20, 3])))
                              for _ in range(self.rng.randint(0, 30)))
            scrape += field(2, self.rng.randint(0, 1)) + field(3, self.rng.getrandbits(32))
            body = self.rng.choice([field(2, announce), field(3, scrape),
                                    field(4, field(1, self.rng.getrandbits(32))),
                                    field(2, announce) + field(3, scrape)])
            requests += field(3, field(1, self.rng.getrandbits(64)) + body)
        index = shard if self.rng.random() < 0.8 else self.rng.getrandbits(32)
        count = shard_count if self.rng.random() < 0.8 else self.rng.getrandbits(32)
        batch = field(1, index) + field(2, count) + requests
        return [self.mutate(batch) if kind == 3 else batch]


class HostileInputTest(cluster.LoggedTestCase):

    def setUp(self):
        self.cluster = cluster.Cluster(shards=2, frontends=1,
                                       shard_args=["--metrics-listen", "127.0.0.1:0"],
                                       frontend_args=["--udp-port", str(free_udp_port())])
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.rng = random.Random(SEED)
        self.garbage = Garbage(self.rng)
        self.honest = [self.cluster.hash_on_shard(s, f"honest/{s}") for s in (0, 1)]
        # What the barrage met, so that a barrage that stopped reaching the tracker fails.
        self.seen = collections.Counter()

    def udp_port(self):
        return self.cluster.frontends[0].udp_port

    def build_honest_swarms(self):
        for info_hash in self.honest:
            for n, left in enumerate((0, 500, 500)):
                cluster.announce(self.cluster.port(), info_hash, peer_id(f"honest/{n}"),
                                 7000 + n, left=left, event="started")
            cluster.announce(self.cluster.port(), info_hash, peer_id("honest/1"), 7001,
                             left=0, event="completed")

    def honest_state(self):
        files = cluster.scrape(self.cluster.port(), self.honest)
        return {h: files[h] for h in self.honest}

    def assert_all_running(self, case):
        for process in self.cluster.frontends + self.cluster.shards:
            self.assertTrue(process.running(), f"seed {SEED}, {case}: {process.name} died")

    def send_http(self, data, case):
        try:
            sock = socket.create_connection(("127.0.0.1", self.cluster.port()), timeout=5)
        except ConnectionRefusedError:
            self.assert_all_running(case)  # names the process that died
            raise
        with sock:
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                return  # refused mid-send (431, 413): what it read back is checked below
            answer = b""
            deadline = time.monotonic() + ANSWER_DEADLINE
            while True:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    self.fail(f"seed {SEED}, {case}: no close within {ANSWER_DEADLINE} s; "
                              f"sent {data[:200]!r}")
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                answer += chunk
        self.check_http_answer(data, answer, case)

    def check_http_answer(self, data, answer, case):
        if not answer:
            self.seen["http closed"] += 1
            return  # input that never made a request: closed at its end, which is right
        match = STATUS_LINE.match(answer)
        self.assertIsNotNone(match, f"seed {SEED}, {case}: not a response {answer[:200]!r} "
                                    f"to {data[:200]!r}")
        self.seen[f"http {match.group(1).decode()}"] += 1
        head, sep, body = answer.partition(b"\r\n\r\n")
        self.assertTrue(sep, f"seed {SEED}, {case}: headers never ended: {answer[:300]!r}")
        if match.group(1) == b"200" and (b"/announce" in data or b"/scrape" in data):
            length = re.search(rb"\r\nContent-Length: (\d+)", head, re.I)
            if length and not data.startswith(b"HEAD"):
                try:
                    reply = cluster.bdecode(body[:int(length.group(1))])
                except cluster.BencodeError as error:
                    self.fail(f"seed {SEED}, {case}: a 200 that is not bencoded ({error}): "
                              f"{body[:200]!r}")
                self.seen["tracker failure" if b"failure reason" in reply else "tracker ok"] += 1

    def barrage_http(self):
        for case in range(HTTP_CASES):
            self.send_http(self.garbage.http_request(), f"HTTP case {case}")

    def barrage_udp(self):
        client = UdpClient(self.udp_port(), "127.0.0.9")
        self.addCleanup(client.close)
        connection_id = client.connect()
        client.sock.setblocking(False)
        for case in range(UDP_CASES):
            client.sock.sendto(self.garbage.udp_datagram(connection_id), client.address)
            if case % 50 == 0:
                time.sleep(0.002)  # a burst at a time: the socket buffers are finite
            while True:
                try:
                    reply, _ = client.sock.recvfrom(65536)
                except BlockingIOError:
                    break
                self.assertGreaterEqual(len(reply), 8, f"seed {SEED}, UDP case {case}")
                action = struct.unpack(">I", reply[:4])[0]
                self.assertIn(action, (0, 1, 2, 3), f"seed {SEED}, UDP case {case}: {reply!r}")
                self.seen[f"udp action {action}"] += 1
        client.sock.settimeout(ANSWER_DEADLINE)
        client.connect()  # still answering

    def barrage_shards(self):
        context = zmq.Context()
        self.addCleanup(context.term)
        for shard in self.cluster.shards:
            dealer = context.socket(zmq.DEALER)
            dealer.setsockopt(zmq.LINGER, 0)
            dealer.connect(shard.endpoint)
            for case in range(ZMQ_CASES):
                dealer.send_multipart(self.garbage.shard_message(shard.index, shard.count))
                while dealer.poll(0):
                    dealer.recv_multipart()
                    self.seen["shard reply"] += 1
            # A well-formed empty batch is still answered: the shard's loop is alive.
            dealer.send(field(1, shard.index) + field(2, shard.count))
            deadline = time.monotonic() + ANSWER_DEADLINE
            answered = False
            while not answered and time.monotonic() < deadline:
                if dealer.poll(100):
                    answered = dealer.recv_multipart() == [b""]
            self.assertTrue(answered, f"seed {SEED}: shard {shard.index} stopped answering")
            dealer.close()

    def test_nothing_crashes_hangs_or_changes_an_honest_swarm(self):
        self.build_honest_swarms()
        before = self.honest_state()
        self.assertEqual(before[self.honest[0]],
                         {b"complete": 2, b"incomplete": 1, b"downloaded": 1,
                          b"downloaders": 1})

        processes = self.cluster.frontends + self.cluster.shards
        log_lines = {p.name: len(p.log().splitlines()) for p in processes}

        self.barrage_http()
        self.assert_all_running("after HTTP")
        self.barrage_udp()
        self.assert_all_running("after UDP")
        self.barrage_shards()
        self.assert_all_running("after ZeroMQ")

        self.assertEqual(self.honest_state(), before)
        for process in processes:  # bad input must not flood the logs (a disk is finite too)
            grown = len(process.log().splitlines()) - log_lines[process.name]
            self.assertLessEqual(grown, 5, f"{process.name} logged {grown} lines:\n"
                                           f"{process.log_tail()}")
        for outcome in ("http 200", "http 400", "http closed", "tracker failure", "tracker ok",
                        "udp action 1", "udp action 2", "udp action 3", "shard reply"):
            self.assertGreater(self.seen[outcome], 0, f"seed {SEED}: never met {outcome}: "
                                                      f"{dict(self.seen)}")
        samples = cluster.metrics(self.cluster.port())
        self.assertGreater(samples["shardtrack_http_malformed_requests_total"], 0)
        for shard in self.cluster.shards:  # counted, and logged once, not once a message
            dropped = f'shardtrack_malformed_messages_total{{shard="{shard.index}"}}'
            self.assertGreater(cluster.metrics(shard.metrics_port())[dropped], 0)
            self.assertEqual(shard.log().count("dropped a message"), 1, shard.log_tail())

        # What the shards wrote to their files through all this still loads, unchanged.
        for process in self.cluster.shards + self.cluster.frontends:
            process.restart()
        self.assertEqual(self.honest_state(), before)
        reply = cluster.announce(self.cluster.port(), self.honest[0], peer_id("observer"), 7100,
                                 left=100, numwant=50)
        self.assertEqual(sorted(port for _, port in cluster.reply_peers(reply)),
                         [7000, 7001, 7002])


if __name__ == "__main__":
    unittest.main()
