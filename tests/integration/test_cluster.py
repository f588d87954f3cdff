"""A real cluster (2 shards, 2 frontends) answers announces, scrapes and HTTP like a tracker.

Clients bind to different loopback addresses (127.0.0.2, 127.0.0.3, ...) so the tracker sees
them as different hosts. Each test uses its own infohashes, so tests sharing a cluster do not
see each other's peers.
"""

import gzip
import hashlib
import re
import socket
import time
import unittest

import cluster
from cluster import (announce, announce_target, get, query_string, reply_peers, scrape,
                     wait_until, HttpConnection, peer_id)

LEFT = 1000  # a leecher's `left`


def source(n):
    """The n-th client address: 127.0.0.(n+1)."""
    return f"127.0.0.{n + 1}"


class Peer:
    """A client: its address, listen port and peer id."""

    def __init__(self, n, label):
        self.address = source(n)
        self.port = 6880 + n
        self.peer_id = peer_id(f"{label}/{n}")

    @property
    def endpoint(self):
        return (self.address, self.port)

    def announce(self, tracker_port, info_hash, **fields):
        fields.setdefault("left", LEFT)
        return announce(tracker_port, info_hash, self.peer_id, self.port, source=self.address,
                        **fields)


class SharedClusterTest(cluster.SharedClusterTestCase):
    """Base: one cluster of 2 shards and 2 frontends for the whole class."""

    shards = 2
    frontends = 2

    def fe(self, n):
        return self.cluster.port(n)

    def torrent(self, shard, name="t"):
        return self.cluster.hash_on_shard(shard, f"{self.id()}/{name}")

    def peers(self, count):
        return [Peer(n, self.id()) for n in range(1, count + 1)]

    def assertCounts(self, reply, complete, incomplete):
        self.assertNotIn(b"failure reason", reply)
        self.assertEqual((reply[b"complete"], reply[b"incomplete"]), (complete, incomplete),
                         f"(complete, incomplete) in {reply!r}")

    def assertPeers(self, reply, expected):
        self.assertEqual(sorted(reply_peers(reply)), sorted(p.endpoint for p in expected))


class AnnounceTest(SharedClusterTest):

    def test_peers_meet_through_either_frontend_on_both_shards(self):
        for shard in range(self.shards):
            with self.subTest(shard=shard):
                h = self.torrent(shard)
                a, b, c, d = self.peers(4)
                reply = a.announce(self.fe(0), h, event="started")
                self.assertCounts(reply, 0, 1)
                self.assertPeers(reply, [])

                reply = b.announce(self.fe(1), h, event="started")
                self.assertCounts(reply, 0, 2)
                self.assertPeers(reply, [a])

                # A seeder is given leechers only.
                reply = c.announce(self.fe(0), h, event="started", left=0)
                self.assertCounts(reply, 1, 2)
                self.assertPeers(reply, [a, b])
                reply = d.announce(self.fe(1), h, event="started", left=0)
                self.assertCounts(reply, 2, 2)
                self.assertPeers(reply, [a, b])

                # A leecher gets everyone but itself.
                reply = a.announce(self.fe(1), h)
                self.assertCounts(reply, 2, 2)
                self.assertPeers(reply, [b, c, d])

    def test_reply_carries_intervals_and_the_external_ip(self):
        (a,) = self.peers(1)
        reply = a.announce(self.fe(0), self.torrent(0), event="started")
        self.assertIsInstance(reply[b"interval"], int)
        self.assertGreater(reply[b"interval"], 0)
        # Spread over --interval-jitter (180) around --announce-interval (1800).
        intervals = {a.announce(self.fe(0), self.torrent(0))[b"interval"] for _ in range(20)}
        self.assertTrue(all(1710 <= i <= 1890 for i in intervals), intervals)
        self.assertGreater(len(intervals), 1, intervals)
        self.assertIsInstance(reply[b"min interval"], int)
        self.assertGreater(reply[b"min interval"], 0)
        self.assertLessEqual(reply[b"min interval"], reply[b"interval"])
        self.assertEqual(reply[b"external ip"], socket.inet_aton(a.address))

    def test_completion_is_counted_once_per_peer(self):
        h = self.torrent(1)
        a, b = self.peers(2)
        a.announce(self.fe(0), h, event="started")
        reply = a.announce(self.fe(0), h, event="completed", left=0)
        self.assertCounts(reply, 1, 0)
        self.assertEqual(reply[b"downloaded"], 1)
        a.announce(self.fe(1), h, event="completed", left=0)  # a client repeating itself
        a.announce(self.fe(1), h, left=0)
        # A peer that was a seeder from the start downloaded nothing.
        reply = b.announce(self.fe(0), h, event="started", left=0)
        self.assertCounts(reply, 2, 0)
        self.assertEqual(reply[b"downloaded"], 1)
        self.assertEqual(scrape(self.fe(1), [h]),
                         {h: {b"complete": 2, b"downloaded": 1, b"downloaders": 0,
                              b"incomplete": 0}})

    def test_stopped_removes_the_peer(self):
        h = self.torrent(0)
        a, b, c = self.peers(3)
        a.announce(self.fe(0), h, event="started")
        b.announce(self.fe(0), h, event="started")
        c.announce(self.fe(0), h, event="started", left=0)
        self.assertNotIn(b"failure reason", b.announce(self.fe(1), h, event="stopped"))
        self.assertNotIn(b"failure reason", c.announce(self.fe(1), h, event="stopped", left=0))
        reply = a.announce(self.fe(0), h)
        self.assertCounts(reply, 0, 1)
        self.assertPeers(reply, [])
        self.assertEqual(scrape(self.fe(1), [h])[h][b"incomplete"], 1)
        self.assertEqual(scrape(self.fe(1), [h])[h][b"complete"], 0)

    def test_compact_reply_packs_six_bytes_per_peer(self):
        h = self.torrent(1)
        a, b, c = self.peers(3)
        a.announce(self.fe(0), h, event="started")
        b.announce(self.fe(0), h, event="started")
        for compact in ("1", None):  # compact is the default
            with self.subTest(compact=compact):
                reply = c.announce(self.fe(1), h, compact=compact)
                self.assertIsInstance(reply[b"peers"], bytes)
                self.assertEqual(len(reply[b"peers"]), 12)
                self.assertPeers(reply, [a, b])

    def test_non_compact_reply_lists_peer_dicts(self):
        h = self.torrent(0)
        a, b = self.peers(2)
        a.announce(self.fe(0), h, event="started")
        # The shard kept no ids (--store-peer-ids=asked) until b asked: a's is not known yet.
        reply = b.announce(self.fe(1), h, event="started", compact="0")
        self.assertEqual(reply[b"peers"], [{b"ip": a.address.encode(), b"port": a.port}])
        a.announce(self.fe(0), h)
        reply = b.announce(self.fe(1), h, compact="0")
        self.assertEqual(reply[b"peers"], [
            {b"ip": a.address.encode(), b"peer id": a.peer_id, b"port": a.port}])
        reply = b.announce(self.fe(1), h, compact="0", no_peer_id="1")
        self.assertEqual(reply[b"peers"], [{b"ip": a.address.encode(), b"port": a.port}])

    def test_numwant_limits_the_peer_list(self):
        h = self.torrent(1)
        peers = self.peers(5)
        for p in peers:
            p.announce(self.fe(0), h, event="started")
        reply = peers[0].announce(self.fe(1), h, numwant="2")
        got = reply_peers(reply)
        self.assertEqual(len(got), 2)
        self.assertLessEqual(set(got), {p.endpoint for p in peers[1:]})
        self.assertEqual(len(reply_peers(peers[0].announce(self.fe(1), h, numwant="0"))), 0)

    def test_ip_parameter_from_a_loopback_client_is_believed(self):
        h = self.torrent(0)
        a, b = self.peers(2)
        a.announce(self.fe(0), h, event="started", ip="10.20.30.40")
        reply = b.announce(self.fe(1), h, event="started")
        self.assertEqual(reply_peers(reply), [("10.20.30.40", a.port)])

    def test_invalid_fields_give_a_failure_reason_naming_the_field(self):
        h = self.torrent(0)
        pid = peer_id(self.id())
        good = {"info_hash": h, "peer_id": pid, "port": "6881", "uploaded": "0",
                "downloaded": "0", "left": "0"}
        cases = [
            ("info_hash", None), ("info_hash", h[:19]), ("info_hash", h + b"x"),
            ("peer_id", None), ("peer_id", b"short"), ("peer_id", pid + b"x"),
            ("port", None), ("port", "abc"), ("port", "70000"), ("port", "-1"),
            ("left", "-1"), ("left", "lots"), ("uploaded", "x"), ("downloaded", "1.5"),
            ("event", "exploded"), ("numwant", "many"),
        ]
        for field, value in cases:
            with self.subTest(field=field, value=value):
                params = dict(good)
                params[field] = value
                response = get(self.fe(0), "/announce?" + cluster.query_string(params))
                self.assertEqual(response.status, 200, response)
                reason = response.bencoded().get(b"failure reason")
                self.assertIsNotNone(reason, response)
                self.assertIn(field, reason.decode("utf-8", "replace"))


class ScrapeAndInfoPageTest(SharedClusterTest):

    def test_scrape_of_several_hashes_across_both_shards(self):
        h0, h1 = self.torrent(0), self.torrent(1)
        unknown = self.torrent(1, "never announced")
        a, b, c = self.peers(3)
        a.announce(self.fe(0), h0, event="started")
        b.announce(self.fe(1), h0, event="started", left=0)
        a.announce(self.fe(1), h1, event="started")
        b.announce(self.fe(0), h1, event="started")
        c.announce(self.fe(0), h1, event="started")
        c.announce(self.fe(1), h1, event="completed", left=0)
        for fe in (0, 1):
            with self.subTest(frontend=fe):
                files = scrape(self.fe(fe), [h0, h1, unknown])
                self.assertEqual(files[h0], {b"complete": 1, b"downloaded": 0,
                                             b"downloaders": 1, b"incomplete": 1})
                self.assertEqual(files[h1], {b"complete": 1, b"downloaded": 1,
                                             b"downloaders": 2, b"incomplete": 2})
                # A torrent nobody announced is left out or all zero.
                self.assertIn(files.get(unknown, {}), ({}, cluster.NO_COUNTS))
                self.assertLessEqual(set(files), {h0, h1, unknown})


    def test_scrape_width_is_capped_by_max_scrape_hashes(self):
        # Hashes of random-looking bytes escape to ~60 characters each: 64 of them must still
        # fit in the default request-line limit, and the 65th is refused by name.
        hashes = [hashlib.sha1(f"{self.id()}/{n}".encode()).digest() for n in range(65)]
        files = scrape(self.fe(0), hashes[:64])
        self.assertLessEqual(len(files), 64)
        target = "/scrape?" + cluster.query_string([("info_hash", h) for h in hashes])
        reply = cluster.get(self.fe(0), target).bencoded()
        self.assertIn(b"failure reason", reply)
        self.assertIn(b"info_hash", reply[b"failure reason"])


class FreshClusterTotalsTest(SharedClusterTest):
    """Its own cluster, so the full scrape and the info page hold only this test's torrents."""

    def test_full_scrape_and_info_page_add_up(self):
        # Torrent A on shard 0: 3 leechers, 2 seeders that completed.
        # Torrent B on shard 1: 4 leechers, 3 seeders that completed. Totals 5, 7, 5.
        # In each, the first leecher is a partial seed (BEP 21), no downloader.
        expected = {}
        peers = self.peers(7)
        for shard, leechers, seeders in ((0, 3, 2), (1, 4, 3)):
            h = self.torrent(shard)
            for p in peers[:leechers + seeders]:
                p.announce(self.fe(shard), h, event="started")
            for p in peers[leechers:leechers + seeders]:
                p.announce(self.fe(1 - shard), h, event="completed", left=0)
            peers[0].announce(self.fe(shard), h, event="paused")
            expected[h] = {b"complete": seeders, b"downloaded": seeders,
                           b"downloaders": leechers - 1, b"incomplete": leechers}
        for fe in (0, 1):
            with self.subTest(frontend=fe):
                self.assertEqual(scrape(self.fe(fe)), expected)

        page = get(self.fe(0), "/")
        self.assertEqual(page.status, 200)
        self.assertIn("text/html", page.header("content-type", ""))
        html = page.body.decode("utf-8", "replace")
        for h in expected:
            self.assertIn(h.hex(), html.lower())
        text = re.sub(r"<[^>]*>", " ", html)
        for h in expected:
            text = re.sub(h.hex(), " ", text, flags=re.IGNORECASE)
        numbers = set(re.findall(r"\b\d+\b", text))
        self.assertIn("5", numbers, "total complete/downloaded (5) not on the page")
        self.assertIn("7", numbers, "total incomplete (7) not on the page")
        # Both shards' partial seeds in the totals (other tests of the class may add more).
        totals = re.search(r"<th>leechers</th><th>partial seeds</th><th>completed</th></tr>\n"
                           r"<tr><td>\d+</td><td>\d+</td><td>\d+</td><td>\d+</td><td>(\d+)</td>",
                           html)
        self.assertIsNotNone(totals, html)
        self.assertGreaterEqual(int(totals.group(1)), 2)


class SlowRequestTest(SharedClusterTest):
    """Its own cluster, whose frontend gives a request 1 s to arrive whole."""

    frontends = 1
    frontend_args = ("--request-timeout", "1", "--socket-timeout", "30")

    def malformed(self):
        return cluster.metrics(self.fe(0))["shardtrack_http_malformed_requests_total"]

    def test_a_request_trickled_past_its_timeout_gets_408_and_a_closed_connection(self):
        before = self.malformed()  # the class's other tests count too
        with HttpConnection(self.fe(0)) as conn:
            started = time.monotonic()
            conn.send(b"GET /announce?info_hash=")
            for _ in range(8):  # a byte every 0.25 s: never idle for the 30 s socket timeout
                time.sleep(0.25)
                if conn.closed_by_peer(timeout=0.01):
                    break
                conn.send(b"a")
            response = conn.read_response()
            self.assertEqual(response.status, 408, response)
            self.assertLess(time.monotonic() - started, 1.9)
            self.assertTrue(conn.closed_by_peer(), "connection left open after 408")
        self.assertEqual(self.malformed() - before, 1)

    def test_a_refused_request_drains_as_a_lingering_connection_the_metrics_show(self):
        def lingering():
            return cluster.metrics(self.fe(0))["shardtrack_lingering_connections"]
        with HttpConnection(self.fe(0)) as conn:
            conn.send(b"BAD / HTTP/1.1\r\nHost: x\r\n\r\nmore bytes")
            self.assertGreaterEqual(conn.read_response().status, 400)
            self.assertEqual(lingering(), 1)  # counts towards --max-connections meanwhile
            wait_until(lambda: lingering() == 0, "the lingering connection drained", 5)


class FullScrapeCacheTest(SharedClusterTest):
    """Its own cluster, with a full scrape's reply reused for 2 s and the info page for 30 s."""

    frontend_args = ("--full-scrape-cache", "2", "--info-page-cache", "30")

    def test_the_info_page_is_reused_within_its_cache(self):
        self.assertEqual(get(self.fe(0), "/").status, 200)  # asks the shards, then is kept
        before = cluster.shard_requests_sent(self.fe(0))
        for _ in range(5):
            page = get(self.fe(0), "/")
            self.assertEqual(page.status, 200)
            self.assertIn("text/html", page.header("content-type", ""))
        self.assertEqual(cluster.shard_requests_sent(self.fe(0)) - before, 0)

    def test_a_full_scrape_is_reused_until_the_cache_runs_out(self):
        first, later = self.torrent(0, "first"), self.torrent(1, "later")
        peer = self.peers(1)[0]
        peer.announce(self.fe(0), first, event="started")
        self.assertEqual(set(scrape(self.fe(0))), {first})
        asked = time.monotonic()
        peer.announce(self.fe(0), later, event="started")
        listed = set(scrape(self.fe(0)))
        if time.monotonic() - asked < 1.5:  # still within the 2 s: the same reply
            self.assertEqual(listed, {first})
        deadline = time.monotonic() + 10
        while later not in listed:
            self.assertLess(time.monotonic(), deadline, "the full scrape was never asked again")
            time.sleep(0.2)
            listed = set(scrape(self.fe(0)))
        self.assertGreater(time.monotonic() - asked, 1.9)  # asked: just after the cached ask
        self.assertEqual(set(scrape(self.fe(1))), {first, later})  # each frontend has its own



class FullScrapeGzipTest(SharedClusterTest):
    """Its own cluster (a full scrape's reply reused for 2 s), gzipping full scrapes."""

    frontends = 1
    frontend_args = ("--full-scrape-cache", "2")

    def test_a_full_scrape_goes_gzipped_to_clients_that_take_it(self):
        self.peers(1)[0].announce(self.fe(0), self.torrent(0, "gzipped"), event="started")
        takes_gzip = {"Accept-Encoding": "deflate, gzip"}
        with HttpConnection(self.fe(0)) as conn:
            for _ in range(3):  # the same cached reply, unless its 2 s ran out in between
                plain = conn.get("/scrape")
                gzipped = conn.get("/scrape", takes_gzip)
                refused = conn.get("/scrape", {"Accept-Encoding": "gzip;q=0, identity"})
                if plain.body == refused.body:
                    break
            conn.request("HEAD", "/scrape", takes_gzip)
            head = conn.read_response(head_request=True)
        for response in (plain, gzipped, refused, head):
            self.assertEqual(response.status, 200)
            self.assertEqual(response.header("vary"), "Accept-Encoding")
        self.assertIsNone(plain.header("content-encoding"))
        self.assertIsNone(refused.header("content-encoding"))
        self.assertEqual(gzipped.header("content-encoding"), "gzip")
        self.assertEqual(head.header("content-encoding"), "gzip")
        self.assertEqual(int(head.header("content-length")), len(gzipped.body))
        self.assertEqual(gzip.decompress(gzipped.body), plain.body)
        self.assertIn(self.torrent(0, "gzipped"), plain.bencoded()[b"files"])


class FullScrapeWithoutCacheTest(SharedClusterTest):
    """Its own cluster, with --full-scrape-cache 0: every full scrape asks the shards (and every
    info page: --info-page-cache 0); and --full-scrape-gzip=false."""

    frontend_args = ("--full-scrape-cache", "0", "--full-scrape-gzip=false", "--info-page-cache",
                     "0")

    def test_without_full_scrape_gzip_a_client_taking_gzip_gets_the_plain_reply(self):
        with HttpConnection(self.fe(0)) as conn:
            reply = conn.get("/scrape", {"Accept-Encoding": "gzip"})
        self.assertEqual(reply.status, 200)
        self.assertIsNone(reply.header("content-encoding"))
        self.assertIsNone(reply.header("vary"))  # the reply does not depend on it
        self.assertIn(b"files", reply.bencoded())

    def shard_requests_for_a_burst(self, path, check_reply):
        """Sends 50 GETs of `path` at once (5 pipelined on each of 10 connections), passes each
        reply to `check_reply`, and returns how many requests the frontend sent its shards."""
        before = cluster.shard_requests_sent(self.fe(0))
        connections = [HttpConnection(self.fe(0)) for _ in range(10)]
        try:
            for conn in connections:
                conn.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * 5)
            for conn in connections:
                for _ in range(5):
                    check_reply(conn.read_response())
        finally:
            for conn in connections:
                conn.close()
        return cluster.shard_requests_sent(self.fe(0)) - before

    def test_full_scrapes_asked_together_share_one_trip_to_the_shards(self):
        self.peers(1)[0].announce(self.fe(0), self.torrent(0, "shared"), event="started")

        def check(reply):
            self.assertEqual(reply.status, 200)
            self.assertIn(self.torrent(0, "shared"), reply.bencoded()[b"files"])
        # Two shards: 100 requests without sharing; one trip per burst that arrives together.
        self.assertLess(self.shard_requests_for_a_burst("/scrape", check), 25)

    def test_info_pages_asked_together_share_one_trip_to_the_shards(self):
        def check(reply):
            self.assertEqual(reply.status, 200)
            self.assertIn("text/html", reply.header("content-type", ""))
        self.assertLess(self.shard_requests_for_a_burst("/", check), 25)

    def test_readiness_checks_asked_together_share_one_trip_to_the_shards(self):
        def check(reply):
            self.assertEqual(reply.status, 200)
        self.assertLess(self.shard_requests_for_a_burst("/readyz", check), 25)

    def test_a_full_scrape_right_after_another_sees_what_came_between(self):
        first, later = self.torrent(0, "first"), self.torrent(1, "later")
        peer = self.peers(1)[0]
        earlier = set(scrape(self.fe(0)))  # what other tests on this cluster announced
        self.assertFalse(earlier & {first, later}, earlier)
        peer.announce(self.fe(0), first, event="started")
        self.assertEqual(set(scrape(self.fe(0))), earlier | {first})
        peer.announce(self.fe(0), later, event="started")
        self.assertEqual(set(scrape(self.fe(0))), earlier | {first, later})


class SharedFullScrapeGzipTest(SharedClusterTest):
    """Its own cluster, with --full-scrape-cache 0 and gzip on: full scrapes asked together
    share one trip to the shards, and each asker is answered and counted as its own."""

    frontends = 1
    frontend_args = ("--full-scrape-cache", "0")

    def test_each_asker_of_a_shared_full_scrape_gets_its_encoding_and_is_counted_once(self):
        listed = self.torrent(0, "shared/gzip")
        self.peers(1)[0].announce(self.fe(0), listed, event="started")
        ok = 'shardtrack_http_requests_total{route="scrape",outcome="ok"}'
        latency = 'shardtrack_http_request_duration_seconds_count{route="scrape"}'
        before = cluster.metrics(self.fe(0))
        trips_before = cluster.shard_requests_sent(self.fe(0))
        # 5 pipelined on each of 10 connections; every other connection takes gzip.
        connections = [HttpConnection(self.fe(0)) for _ in range(10)]
        try:
            for n, conn in enumerate(connections):
                takes_gzip = "Accept-Encoding: gzip\r\n" if n % 2 else ""
                conn.send(f"GET /scrape HTTP/1.1\r\nHost: x\r\n{takes_gzip}\r\n".encode() * 5)
            replies = [(n % 2 == 1, conn.read_response())
                       for n, conn in enumerate(connections) for _ in range(5)]
        finally:
            for conn in connections:
                conn.close()
        # Two shards: 100 requests to them without sharing, so most askers waited on another's.
        self.assertLess(cluster.shard_requests_sent(self.fe(0)) - trips_before, 25)
        for took_gzip, reply in replies:
            self.assertEqual(reply.status, 200)
            if took_gzip:
                self.assertEqual(reply.header("content-encoding"), "gzip")
                files = cluster.bdecode(gzip.decompress(reply.body))[b"files"]
            else:
                self.assertIsNone(reply.header("content-encoding"))
                files = reply.bencoded()[b"files"]
            self.assertIn(listed, files)
        after = cluster.metrics(self.fe(0))
        self.assertEqual(after[ok] - before.get(ok, 0), 50)
        self.assertEqual(after[latency] - before.get(latency, 0), 50)


class FullScrapeLimitTest(SharedClusterTest):
    """Its own cluster, with --full-scrape-limit 1: a full scrape lists one torrent a shard."""

    frontend_args = ("--full-scrape-limit", "1", "--full-scrape-cache", "0")

    def test_a_truncated_full_scrape_is_counted_and_logged(self):
        for label in ("cut/a", "cut/b"):
            self.peers(1)[0].announce(self.fe(0), self.torrent(0, label), event="started")
        files = cluster.scrape(self.fe(0))
        self.assertEqual(len(files), 1)  # both torrents are shard 0's; shard 1 holds none
        self.assertGreaterEqual(
            cluster.metrics(self.fe(0))["shardtrack_full_scrapes_truncated_total"], 1)
        self.assertTrue(self.cluster.frontends[0].logged(
            "a full scrape listed only 1 torrents of a shard that holds more"))


class FullScrapeDisabledTest(SharedClusterTest):
    """Its own cluster, with --full-scrape=false: a scrape without info_hash gets a failure reason
    and reaches no shard; a scrape naming torrents is answered as ever."""

    frontend_args = ("--full-scrape=false",)

    def test_a_full_scrape_is_refused_and_a_named_one_answered(self):
        torrent = self.torrent(0, "named")
        self.peers(1)[0].announce(self.fe(0), torrent, event="started")
        sent_before = cluster.metrics(self.fe(0))['shardtrack_shard_sent_total{shard="0"}']
        reply = cluster.get(self.fe(0), "/scrape").bencoded()
        self.assertEqual(reply, {b"failure reason": b"full scrape is disabled"})
        self.assertEqual(
            cluster.metrics(self.fe(0))['shardtrack_shard_sent_total{shard="0"}'], sent_before)
        self.assertEqual(cluster.scrape(self.fe(0), [torrent])[torrent][b"incomplete"], 1)


class ExpiryTest(SharedClusterTest):
    """Its own cluster with a 2 s peer timeout: the shard's timer expires peers, end to end."""

    shard_args = ("--peer-timeout", "2", "--expire-interval", "1", "--metrics-listen",
                  "127.0.0.1:0")

    def test_a_silent_peer_expires_and_the_shard_counts_it(self):
        h = self.torrent(0)
        quiet, active = self.peers(2)
        quiet.announce(self.fe(0), h, event="started")
        active.announce(self.fe(0), h, event="started")
        self.assertEqual(scrape(self.fe(0), [h])[h][b"incomplete"], 2)
        deadline = time.monotonic() + 10
        while scrape(self.fe(0), [h])[h][b"incomplete"] == 2:
            self.assertLess(time.monotonic(), deadline, "the silent peer never expired")
            active.announce(self.fe(0), h)  # keeps this one alive
            time.sleep(0.2)
        reply = active.announce(self.fe(1), h)
        self.assertCounts(reply, 0, 1)
        self.assertPeers(reply, [])  # the expired peer is not handed out

        samples = cluster.metrics(self.cluster.shards[0].metrics_port())
        shard = '{shard="0"}'
        self.assertGreaterEqual(samples["shardtrack_expired_peers_total" + shard], 1)
        self.assertEqual(samples["shardtrack_expiry_gap_seconds" + shard], 1.0)
        self.assertGreater(samples["shardtrack_expiry_lap_seconds" + shard], 0)
        self.assertGreater(samples["shardtrack_expiry_slice_seconds" + shard], 0)
        self.assertLess(samples["shardtrack_expiry_slice_seconds" + shard], 1)  # a few torrents


class MetricsPortTest(SharedClusterTest):
    """--metrics-listen's server, on a shard and on a frontend: one request per connection, read
    with the tracker port's HTTP parser."""

    shards = 1
    frontends = 1
    shard_args = ("--metrics-listen", "127.0.0.1:0")
    frontend_args = ("--metrics-listen", "127.0.0.1:0")

    def metrics_ports(self):
        return {"shard": self.cluster.shards[0].metrics_port(),
                "frontend": self.cluster.frontends[0].metrics_port()}

    def test_answers_metrics_healthz_and_head_once_then_closes(self):
        for name, port in self.metrics_ports().items():
            with self.subTest(process=name):
                self.assertGreater(len(cluster.metrics(port)), 10)
                with HttpConnection(port) as conn:
                    response = conn.get("/healthz")  # HTTP/1.1: it would keep alive; this closes
                    self.assertEqual((response.status, response.body), (200, b"ok\n"))
                    self.assertEqual(response.header("connection"), "close")
                    self.assertTrue(conn.closed_by_peer())
                with HttpConnection(port) as conn:
                    conn.request("HEAD", "/metrics")
                    head = conn.read_response(head_request=True)
                    self.assertEqual(head.status, 200)
                    self.assertGreater(int(head.header("content-length")), 0)
                    self.assertTrue(conn.closed_by_peer())
                    self.assertEqual(conn.buffer, b"", "a HEAD answered with a body")

    def test_a_request_split_across_sends_is_answered(self):
        for name, port in self.metrics_ports().items():
            with self.subTest(process=name):
                with HttpConnection(port) as conn:
                    for part in (b"GET /heal", b"thz HTTP/1.1\r\nHo", b"st: x\r\n", b"\r\n"):
                        conn.send(part)
                        time.sleep(0.05)
                    self.assertEqual(conn.read_response().status, 200)

    def test_malformed_requests_get_the_parsers_status_and_a_closed_connection(self):
        cases = [
            (b"GARBAGE\r\n\r\n", 400),
            (b"GET /metrics\r\n\r\n", 400),  # no version
            (b"GET /metrics HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
            (b"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            (b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", 405),
            (b"GET /" + b"m" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            (b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 10000 + b"\r\n\r\n", 431),
        ]
        for name, port in self.metrics_ports().items():
            for raw, status in cases:
                with self.subTest(process=name, request=raw[:40]):
                    with HttpConnection(port) as conn:
                        conn.send(raw)
                        response = conn.read_response()
                        self.assertEqual(response.status, status, response)
                        if status == 405:
                            self.assertEqual(response.header("allow"), "GET, HEAD")
                        self.assertTrue(conn.closed_by_peer(), "connection left open after error")


class HttpTest(SharedClusterTest):
    frontends = 1

    def test_unknown_path_is_404(self):
        self.assertEqual(get(self.fe(0), "/nothing-here").status, 404)
        self.assertEqual(get(self.fe(0), "/announcer").status, 404)

    def test_older_trackers_paths_announce_and_scrape(self):
        # Torrents published by TBDev-era sites name /announce.php; some add a trailing slash.
        h = self.torrent(0, "old paths")
        a, b = self.peers(2)
        a.announce(self.fe(0), h, event="started")
        target = announce_target(h, b.peer_id, b.port, left=LEFT, event="started")
        for path in ("/announce.php", "/announce/"):
            with self.subTest(path=path):
                reply = get(self.fe(0), target.replace("/announce", path, 1),
                            source=b.address).bencoded()
                self.assertPeers(reply, [a])
        for path in ("/scrape.php", "/scrape/"):
            with self.subTest(path=path):
                response = get(self.fe(0), path + "?" + query_string([("info_hash", h)]))
                self.assertEqual(response.bencoded()[b"files"][h][b"incomplete"], 2)

    def test_post_is_405_allowing_what_its_target_takes(self):
        # An announce takes GET alone (a HEAD of one is refused: it would join the swarm).
        for path, allowed in (("/announce", "GET"), ("/announce.php?x=1", "GET"),
                              ("/scrape", "GET, HEAD"), ("/", "GET, HEAD"),
                              ("/key/announce", "GET, HEAD")):  # a 404: no passkeys here
            with self.subTest(path=path), HttpConnection(self.fe(0)) as conn:
                conn.request("POST", path, body=b"info_hash=x")
                response = conn.read_response()
                self.assertEqual((response.status, response.header("allow")), (405, allowed))

    def test_head_of_an_announce_is_405_and_joins_no_swarm(self):
        h = self.torrent(0, "head")
        probe, leecher = self.peers(2)
        with HttpConnection(self.fe(0), source=probe.address) as conn:
            conn.request("HEAD", announce_target(h, probe.peer_id, probe.port, left=0))
            head = conn.read_response(head_request=True)
            self.assertEqual(conn.get("/healthz").status, 200)  # the connection goes on
        self.assertEqual((head.status, head.header("allow"), head.body), (405, "GET", b""))
        self.assertCounts(leecher.announce(self.fe(0), h), complete=0, incomplete=1)

    def test_malformed_requests_get_4xx_and_a_closed_connection(self):
        cases = [
            (b"GARBAGE\r\n\r\n", {400}),
            (b"\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n", {400}),
            (b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", {400}),
            (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n", {400}),
            (b"GET / HTTP/7.0\r\nHost: x\r\n\r\n", {400, 505}),
            (b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {414}),
            (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Filler: " + b"b" * 20000 + b"\r\n\r\n",
             {431}),
            (b"GET /scrape HTTP/1.1\r\n\r\n", {400}),
            (b"GET /scrape HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", {400}),
            (b"GET /scrape HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", {400}),
        ]
        for raw, statuses in cases:
            with self.subTest(request=raw[:40]):
                with HttpConnection(self.fe(0)) as conn:
                    conn.send(raw)
                    response = conn.read_response()
                    self.assertIn(response.status, statuses, response)
                    self.assertTrue(conn.closed_by_peer(), "connection left open after error")

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        h = self.torrent(0)
        (a,) = self.peers(1)
        with HttpConnection(self.fe(0), source=a.address) as conn:
            target = cluster.announce_target(h, a.peer_id, a.port, left=LEFT)
            for _ in range(3):
                response = conn.get(target)
                self.assertEqual(response.status, 200)
                self.assertCounts(response.bencoded(), 0, 1)
            self.assertEqual(conn.get("/scrape?info_hash=" + cluster.quote(h)).status, 200)
            self.assertEqual(conn.get("/nope").status, 404)
            self.assertEqual(conn.get("/").status, 200)

    def test_connection_close_and_http10_close_after_the_reply(self):
        for version, headers in (("HTTP/1.1", {"Connection": "close"}), ("HTTP/1.0", {})):
            with self.subTest(version=version, headers=headers):
                with HttpConnection(self.fe(0)) as conn:
                    conn.request("GET", "/nope", headers, version=version)
                    self.assertEqual(conn.read_response().status, 404)
                    self.assertTrue(conn.closed_by_peer())

    def test_a_later_http_1_minor_version_is_served_as_http_11(self):
        with HttpConnection(self.fe(0)) as conn:
            for _ in range(2):  # kept alive, as 1.1 is
                conn.request("GET", "/nope", version="HTTP/1.2")
                response = conn.read_response()
                self.assertEqual(response.status, 404)
                self.assertEqual(response.version, "HTTP/1.1")

    def test_pipelined_requests_are_answered_in_order(self):
        h0, h1 = self.torrent(0), self.torrent(1)
        a, b = self.peers(2)
        b.announce(self.fe(0), h1, event="started", left=0)
        requests = [
            cluster.announce_target(h0, a.peer_id, a.port, left=LEFT, event="started"),
            "/nope",
            "/scrape?info_hash=" + cluster.quote(h1),
            cluster.announce_target(h1, a.peer_id, a.port, left=LEFT, event="started"),
            "/scrape?info_hash=" + cluster.quote(h0),
            "/",
        ]
        raw = b"".join(f"GET {t} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for t in requests)
        with HttpConnection(self.fe(0), source=a.address) as conn:
            conn.send(raw)
            responses = [conn.read_response() for _ in requests]
        self.assertEqual([r.status for r in responses], [200, 404, 200, 200, 200, 200])
        self.assertCounts(responses[0].bencoded(), 0, 1)
        self.assertEqual(responses[2].bencoded()[b"files"][h1][b"complete"], 1)
        self.assertCounts(responses[3].bencoded(), 1, 1)
        self.assertPeers(responses[3].bencoded(), [b])
        self.assertEqual(responses[4].bencoded()[b"files"][h0][b"incomplete"], 1)
        self.assertIn("html", responses[5].header("content-type", ""))


if __name__ == "__main__":
    unittest.main()
