"""The frontend's access list (--access-list, --access-mode, --access-list-interval) on a real
2-shard cluster, over HTTP and UDP; as a list file, and as a directory of .torrent files (the
original tracker's allowed_dir), whose infohashes Python's hashlib computes here.

Each test writes its own list file and starts a cluster on it. A new version of the file is
written beside it and renamed over it (what an operator should do); a reload is awaited by
polling the tracker's answers, bounded by RELOAD_DEADLINE, never by a fixed sleep alone.
"""

import hashlib
import contextlib
import os
import re
import shutil
import signal
import struct
import tempfile
import threading
import time
import unittest

import cluster
from cluster import free_udp_port, metric_sum, peer_id, shard_requests_sent, wait_until
from test_persistence import bencode
from test_udp import UdpClient

NOT_SERVED = b"torrent not served by this tracker"
RELOAD_DEADLINE = cluster.WAIT_DEADLINE  # seconds (wait_until's): many times the 1 s interval


def sighup_blocked(pid):
    """Whether process `pid` blocks SIGHUP (bit 0 of its SigBlk mask)."""
    with open(f"/proc/{pid}/status") as f:
        mask = next(line.split()[1] for line in f if line.startswith("SigBlk:"))
    return int(mask, 16) & 1 != 0


def write_list(path, hashes, extra=""):
    """Writes `hashes` (in both cases, after a comment and a blank line), then `extra`, beside
    `path` and renames the file over it."""
    lines = [h.hex().upper() if i % 2 else h.hex() for i, h in enumerate(hashes)]
    with open(path + ".new", "w") as f:
        f.write("# torrents this tracker serves\n\n" + "".join(l + "\n" for l in lines) + extra)
    os.replace(path + ".new", path)


def announce_raw(port, info_hash, label, left=1):
    response = cluster.get(port, cluster.announce_target(info_hash, peer_id(label), 6881,
                                                         left=left))
    assert response.status == 200, response
    return response.bencoded()


def served(port, info_hash):
    return b"failure reason" not in announce_raw(port, info_hash, "probe")


def write_torrent(directory, name, v1=True, v2=False):
    """A .torrent file for a one-file torrent called `name` (v1, v2 or both: a hybrid), written
    beside its place and renamed in; returns the infohashes its clients announce under."""
    info = {"name": name, "piece length": 16384, "length": 1024}
    if v1:
        info["pieces"] = hashlib.sha1(name.encode()).digest()
    if v2:
        info["meta version"] = 2
        info["file tree"] = {name: {"": {"length": 1024, "pieces root": b"r" * 32}}}
    raw_info = bencode(info)
    path = os.path.join(directory, name + ".torrent")
    with open(path + ".part", "wb") as f:
        f.write(bencode({"announce": "http://127.0.0.1/announce", "info": info}))
    os.replace(path + ".part", path)
    return ([hashlib.sha1(raw_info).digest()] if v1 else []) + \
        ([hashlib.sha256(raw_info).digest()[:20]] if v2 else [])


class FrontendCase(cluster.LoggedTestCase):
    """A temp dir (self.dir), and a 2-shard cluster whose frontend start_cluster starts."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shardtrack-access-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start_cluster(self, *frontend_args):
        self.cluster = cluster.Cluster(shards=2, frontends=1, frontend_args=list(frontend_args))
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.port = self.cluster.port()
        self.frontend = self.cluster.frontends[0]

    def logs(self):
        return self.cluster.logs() if hasattr(self, "cluster") else ""


class AccessListCase(FrontendCase):
    """A cluster whose frontend reads the list at self.list_path."""

    frontend_args = ()

    def setUp(self):
        super().setUp()
        self.list_path = os.path.join(self.dir, "torrents.list")
        self.a, self.b, self.c = (cluster.hash_on_shard(s % 2, 2, f"{self.id()}/{s}")
                                  for s in range(3))
        write_list(self.list_path, [self.a, self.c])
        self.udp_port = free_udp_port()
        self.start_cluster("--access-list", self.list_path, "--udp-port", str(self.udp_port),
                           *self.frontend_args)


class AllowModeTest(AccessListCase):
    frontend_args = ("--access-list-interval", "1")

    def test_a_listed_torrent_is_served_and_an_unlisted_one_refused_before_any_shard(self):
        reply = announce_raw(self.port, self.a, "seeder", left=0)
        self.assertNotIn(b"failure reason", reply)
        self.assertEqual(reply[b"complete"], 1)
        sent_before = shard_requests_sent(self.port)
        reply = announce_raw(self.port, self.b, "leecher")
        self.assertEqual(reply, {b"failure reason": NOT_SERVED})
        samples = cluster.metrics(self.port)
        self.assertEqual(shard_requests_sent(self.port), sent_before)
        self.assertEqual(samples['shardtrack_access_refused_total{kind="announce"}'], 1)
        self.assertEqual(samples["shardtrack_access_list_entries"], 2)
        self.assertEqual(samples['shardtrack_http_requests_total{route="announce",'
                                 'outcome="failure"}'], 1)

    def test_a_scrape_answers_refused_torrents_as_unknown(self):
        announce_raw(self.port, self.a, "seeder", left=0)
        files = cluster.scrape(self.port, [self.b, self.a])
        self.assertEqual(files[self.a], {**cluster.NO_COUNTS, b"complete": 1})
        self.assertEqual(files[self.b], cluster.NO_COUNTS)
        self.assertEqual(
            cluster.metrics(self.port)['shardtrack_access_refused_total{kind="scrape"}'], 1)

    def test_a_torrent_taken_off_the_list_leaves_the_full_scrape_and_the_info_page(self):
        announce_raw(self.port, self.a, "seeder", left=0)
        announce_raw(self.port, self.c, "seeder", left=0)
        self.assertEqual(set(cluster.scrape(self.port)), {self.a, self.c})
        write_list(self.list_path, [self.a], extra="# c is gone\n")
        wait_until(lambda: not served(self.port, self.c), "c refused after the reload")
        self.assertEqual(set(cluster.scrape(self.port)), {self.a})
        files = cluster.scrape(self.port, [self.c])  # still in its shard, answered as unknown
        self.assertEqual(files[self.c], cluster.NO_COUNTS)
        page = cluster.get(self.port, "/").body.decode()
        self.assertIn(self.a.hex(), page)
        self.assertNotIn(self.c.hex(), page)

    def test_a_rewritten_file_is_reloaded_and_a_malformed_one_keeps_the_list(self):
        self.assertFalse(served(self.port, self.b))
        write_list(self.list_path, [self.a, self.b, self.c])
        wait_until(lambda: served(self.port, self.b), "b served after the file was rewritten")
        wait_until(lambda: "access list" in self.frontend.log() and
                   "reloaded: 3 torrents" in self.frontend.log(), "the reload logged")

        write_list(self.list_path, [self.a], extra="0123 not a hash\n")
        wait_until(lambda: metric_sum(self.port,
                                      'shardtrack_access_list_reloads_total{result="failed"}'),
                   "the malformed file reported")
        # The log reaches us through a reader thread, maybe after the metric: wait for it.
        bad_line = re.escape(self.list_path) + r": line 4 .*40 hex digits"
        wait_until(lambda: re.search(bad_line, self.frontend.log()), "the bad line logged")
        self.assertTrue(served(self.port, self.b))  # the previous list stays in force
        self.assertTrue(served(self.port, self.c))
        samples = cluster.metrics(self.port)
        self.assertEqual(samples["shardtrack_access_list_entries"], 3)
        self.assertEqual(samples['shardtrack_access_list_reloads_total{result="ok"}'], 1)
        self.assertEqual(samples["shardtrack_access_list_stale"], 1)  # until the file is fixed

        os.remove(self.list_path)
        wait_until(lambda: metric_sum(
            self.port, 'shardtrack_access_list_reloads_total{result="failed"}') == 2,
            "the missing file reported")
        self.assertTrue(served(self.port, self.b))
        self.assertEqual(cluster.metrics(self.port)["shardtrack_access_list_stale"], 1)
        write_list(self.list_path, [self.a])
        wait_until(lambda: cluster.metrics(self.port)["shardtrack_access_list_stale"] == 0,
                   "a fixed file is in force again")

    def test_udp_refuses_an_unlisted_announce_and_scrapes_it_as_zeros(self):
        client = UdpClient(self.udp_port, "127.0.0.2")
        self.addCleanup(client.close)
        client.connect()
        action, payload = client.announce(self.b, peer_id("udp"), 7001, left=1)
        self.assertEqual((action, payload), (3, NOT_SERVED))
        action, _ = client.announce(self.a, peer_id("udp"), 7001, left=1)
        self.assertEqual(action, 1)
        action, payload = client.scrape([self.b, self.a, self.b])
        self.assertEqual(action, 2, payload)
        counts = [struct.unpack(">III", payload[i:i + 12]) for i in range(0, len(payload), 12)]
        self.assertEqual(counts, [(0, 0, 0), (0, 0, 1), (0, 0, 0)])  # seeders, completed, leechers


class InfoPageOfAListTest(AccessListCase):
    frontend_args = ("--access-list-interval", "1", "--info-page-torrents", "1",
                     "--info-page-cache", "0")

    def test_torrents_taken_off_the_list_push_no_served_one_out_of_the_info_page(self):
        # a and c share shard 0; c has more peers, and keeps them once off the list.
        cluster.announce(self.port, self.a, peer_id("a0"), 7000, left=0)
        for n in range(3):
            cluster.announce(self.port, self.c, peer_id(f"c{n}"), 7100 + n, left=0)
        write_list(self.list_path, [self.a], extra="# c is gone\n")
        wait_until(lambda: not served(self.port, self.c), "c refused after the reload")
        page = cluster.get(self.port, "/").body.decode()
        self.assertIn(self.a.hex(), page)
        self.assertNotIn(self.c.hex(), page)


class DenyModeAndSighupTest(AccessListCase):
    frontend_args = ("--access-mode", "deny", "--access-list-interval", "3600")

    def test_deny_mode_refuses_listed_torrents_only(self):
        self.assertFalse(served(self.port, self.a))
        self.assertTrue(served(self.port, self.b))

    def test_sighup_reloads_the_list_at_once(self):
        write_list(self.list_path, [self.b])
        self.frontend.popen.send_signal(signal.SIGHUP)
        wait_until(lambda: not served(self.port, self.b), "b denied after SIGHUP")
        self.assertTrue(served(self.port, self.a))
        self.assertTrue(self.frontend.running())


class FullScrapeAcrossAReloadTest(AccessListCase):
    frontend_args = ("--access-mode", "deny", "--access-list-interval", "3600",
                     "--shard-timeout-ms", "20000", "--socket-timeout", "40")

    def test_full_scrapes_asked_under_a_new_list_wait_for_the_one_under_way_then_share_one(self):
        announce_raw(self.port, self.b, "seed", left=0)
        full = b"GET /scrape HTTP/1.1\r\nHost: x\r\n\r\n"
        for shard in self.cluster.shards:
            shard.popen.send_signal(signal.SIGSTOP)
            self.addCleanup(shard.popen.send_signal, signal.SIGCONT)
        sent = shard_requests_sent(self.port)
        first = cluster.HttpConnection(self.port, timeout=30)
        first.send(full)
        wait_until(lambda: shard_requests_sent(self.port) == sent + 2, "the first fan-out asked")
        reloads = metric_sum(self.port, "shardtrack_access_list_reloads_total")
        write_list(self.list_path, [self.a, self.b, self.c])  # b leaves the listing
        self.frontend.popen.send_signal(signal.SIGHUP)
        wait_until(lambda: metric_sum(self.port, "shardtrack_access_list_reloads_total") > reloads,
                   "the list reloaded")
        later = [cluster.HttpConnection(self.port, timeout=30) for _ in range(2)]
        for connection in later:
            connection.send(full)
        # Both held (the /metrics request itself is in flight too), none sent to a shard yet.
        wait_until(lambda: metric_sum(self.port, "shardtrack_requests_in_flight") == 4,
                   "the later full scrapes held")
        self.assertEqual(shard_requests_sent(self.port), sent + 2)
        for shard in self.cluster.shards:
            shard.popen.send_signal(signal.SIGCONT)
        listings = []
        for connection in [first] + later:
            response = connection.read_response()
            connection.close()
            self.assertEqual(response.status, 200, response)
            listings.append(response.bencoded())
        for listing in listings:  # the shards' replies came under the new list: b is left out
            self.assertNotIn(b"failure reason", listing)
            self.assertEqual(listing[b"files"], {})
        # One fan-out more, asked under the new list once the first ended, for both.
        self.assertEqual(shard_requests_sent(self.port), sent + 4)


class SignalDuringStartTest(FrontendCase):
    """`systemctl reload` is accepted at once (Type=simple), so a SIGHUP may come while a large
    list still loads; its default action would end the process, which systemd then leaves down.
    A SIGTERM then must stop it as one at any other time does: exit 0, saying so."""

    def start_loading_a_large_list(self, sent, node=False):
        """A frontend (or a node) reading a large access list, sent signal `sent` once it holds
        SIGHUP (the first thing main does, with SIGTERM; before it, the default action would end
        the process, as it would any program's); returns the process, its starting thread and
        the hash served."""
        list_path = os.path.join(self.dir, "large.list")
        served_hash = cluster.hash_on_shard(0, 1, self.id())
        write_list(list_path, [served_hash] + [os.urandom(20) for _ in range(300_000)])
        if node:
            process = cluster.Node(1, os.path.join(self.dir, "data"), ["--access-list", list_path])
        else:
            self.cluster = cluster.Cluster(shards=1, frontends=0)
            self.cluster.__enter__()
            self.addCleanup(self.cluster.close)
            process = cluster.Frontend(0, [s.endpoint for s in self.cluster.shards],
                                       ["--access-list", list_path])
            self.cluster.frontends.append(process)
        self.addCleanup(process.stop)

        def start():  # a process stopped before it is ready raises: each test asks what it wants
            with contextlib.suppress(RuntimeError):
                process.start()

        starting = threading.Thread(target=start, daemon=True)
        starting.start()
        while process.popen is None:
            time.sleep(0.001)
        while not sighup_blocked(process.popen.pid):
            time.sleep(0.001)
        process.popen.send_signal(sent)
        return process, starting, served_hash

    def test_a_sighup_before_the_loop_runs_is_held_and_the_frontend_starts(self):
        frontend, starting, served_hash = self.start_loading_a_large_list(signal.SIGHUP)
        starting.join(30)
        self.assertTrue(frontend.running(), frontend.log_tail())
        self.assertIsNotNone(frontend.ready_match)
        self.assertTrue(served(frontend.port, served_hash))

    def test_a_sigterm_before_the_loop_runs_stops_the_frontend_or_node_cleanly(self):
        for node in (False, True):
            with self.subTest(node=node):
                process, starting, _ = self.start_loading_a_large_list(signal.SIGTERM, node)
                self.assertEqual(process.popen.wait(30), 0, process.log_tail())
                starting.join(30)
                self.assertIn("asked to stop during the load: stopping without serving",
                              process.log())


class TorrentDirectoryTest(FrontendCase):
    """--access-list names a directory: the torrent files under it are the torrents served."""

    def setUp(self):
        super().setUp()
        self.torrents = os.path.join(self.dir, "torrents")
        os.makedirs(os.path.join(self.torrents, "2026"))
        self.v1 = write_torrent(self.torrents, "one")
        self.hybrid = write_torrent(os.path.join(self.torrents, "2026"), "both", v2=True)
        self.v2 = write_torrent(self.torrents, "two", v1=False, v2=True)
        with open(os.path.join(self.torrents, "broken.torrent"), "wb") as f:
            f.write(b"d4:infod4:name")
        with open(os.path.join(self.torrents, "README"), "w") as f:
            f.write("not a torrent, not read\n")
        self.start_cluster("--access-list", self.torrents, "--access-list-interval", "1")

    def test_the_torrents_of_every_file_are_served_and_a_broken_file_is_named(self):
        served_hashes = self.v1 + self.hybrid + self.v2
        self.assertEqual(len(served_hashes), 4)
        for info_hash in served_hashes:
            self.assertTrue(served(self.port, info_hash), info_hash.hex())
        self.assertFalse(served(self.port, hashlib.sha1(b"not in the directory").digest()))
        self.assertEqual(cluster.metrics(self.port)["shardtrack_access_list_entries"], 4)
        self.assertRegex(self.frontend.log(), re.escape(
            os.path.join(self.torrents, "broken.torrent")) + " left out of the access list: bad")

    def test_scrapes_and_the_info_page_name_the_torrents(self):
        announce_raw(self.port, self.hybrid[1], "seeder", left=0)  # a swarm for the info page
        unknown = hashlib.sha1(b"not in the directory").digest()
        files = cluster.scrape(self.port, [self.v1[0], self.hybrid[1], unknown])
        self.assertEqual(files[self.v1[0]][b"name"], b"one")
        self.assertEqual(files[self.hybrid[1]],
                         {**cluster.NO_COUNTS, b"complete": 1, b"name": b"both"})
        self.assertNotIn(b"name", files[unknown])
        full = cluster.scrape(self.port)  # as the original tracker's full scrape
        self.assertEqual(full[self.hybrid[1]][b"name"], b"both")
        self.assertNotIn(b"name", full.get(unknown, {}))
        page = cluster.get(self.port, "/").body.decode()
        self.assertIn(f"<td>{self.hybrid[1].hex()}</td><td>both</td>", page)

    def test_a_torrent_added_or_removed_is_seen_at_the_next_check(self):
        added = write_torrent(os.path.join(self.torrents, "2026"), "three")
        wait_until(lambda: served(self.port, added[0]), "the added torrent served")
        os.remove(os.path.join(self.torrents, "one.torrent"))
        wait_until(lambda: not served(self.port, self.v1[0]), "the removed torrent refused")
        self.assertTrue(served(self.port, self.hybrid[1]))
        self.assertEqual(cluster.metrics(self.port)["shardtrack_access_list_entries"], 4)


class ModeWithoutListTest(FrontendCase):
    """A mode other than the default, given without its list, is said to do nothing."""

    def test_each_mode_without_its_list_is_warned_of_and_every_torrent_served(self):
        self.start_cluster("--access-mode", "deny", "--client-mode", "deny", "--ip-mode", "allow")
        for warning in ("--access-mode deny does nothing without --access-list",
                        "--client-mode deny does nothing without --client-list",
                        "--ip-mode allow does nothing without --ip-list"):
            self.assertTrue(self.frontend.logged(warning), warning)
        reply = cluster.first_served(lambda: cluster.announce(
            self.port, cluster.hash_on_shard(0, 2, "mode/a"), peer_id("m0"), 6881), "an announce")
        self.assertIn(b"peers", reply)


class StartUpTest(FrontendCase):
    """A frontend whose list cannot be used does not start: exit status 2, naming file and line."""

    def setUp(self):
        super().setUp()
        self.list_path = os.path.join(self.dir, "torrents.list")

    def refused(self, *args):
        """The frontend's stderr, once it refused to start on the list (exit status 2)."""
        return cluster.frontend_refused("--access-list", self.list_path, *args)

    def test_a_malformed_file_stops_the_frontend_naming_the_line(self):
        with open(self.list_path, "w") as f:
            f.write("# ok\n" + "ab" * 20 + "\n" + "ab" * 19 + "\n")
        stderr = self.refused()
        self.assertIn(f"{self.list_path}: line 3", stderr)
        self.assertIn("found 38 characters", stderr)

    def test_a_missing_file_stops_the_frontend_naming_it(self):
        stderr = self.refused()
        self.assertIn(self.list_path, stderr)
        self.assertIn("No such file", stderr)

    def test_a_bad_mode_stops_the_frontend(self):
        with open(self.list_path, "w") as f:
            f.write("ab" * 20 + "\n")
        self.assertIn("--access-mode must be allow or deny", self.refused("--access-mode", "block"))


if __name__ == "__main__":
    unittest.main()
