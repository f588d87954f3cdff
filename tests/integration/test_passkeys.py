"""Members only: the frontend's --passkey-file on a real 2-shard cluster, over HTTP and UDP, and
the shards' accounting of what members uploaded and downloaded (--accounting-interval).

Announces and scrapes name a passkey in their path, /<passkey>/announce (UDP: in BEP 41's URL
data); a request without a listed one is refused before any shard is asked. The file is
reloaded like the access list: a new version is written beside it and renamed over it, and a
reload is awaited by polling the tracker's answers, bounded by RELOAD_DEADLINE.
"""

import contextlib
import fcntl
import glob
import importlib.machinery
import io
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
from unittest import mock

import cluster
from cluster import free_udp_port, peer_id, wait_until
from test_udp import EVENT_STARTED, UdpClient, announce_fields, bep41_url_data

ALICE = "0123456789abcdef0123456789abcdef"
BOB = "Bob-key_2.v~1"
MISSING = (b"this tracker needs your passkey: use the announce URL from your account, "
           b"/<passkey>/announce")
UDP_EVENT_STOPPED = 3
UNKNOWN = b"unknown passkey: download the torrent again from the site to get your current passkey"


def write_passkeys(path, lines):
    with open(path + ".new", "w") as f:
        f.write("# members: passkey, then the site's user id\n" + "".join(l + "\n" for l in lines))
    os.chmod(path + ".new", 0o640)  # passwords: as a site writes them
    os.replace(path + ".new", path)


class PasskeyCase(cluster.LoggedTestCase):
    """A cluster whose frontend admits the passkeys in self.path (ALICE and BOB at first)."""

    interval = "1"
    shard_args = ()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shardtrack-passkeys-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "passkeys")
        write_passkeys(self.path, [f"{ALICE} 1001", f"  {BOB}\t1002"])
        self.info_hash = cluster.hash_on_shard(1, 2, self.id())
        self.udp_port = free_udp_port()
        self.cluster = cluster.Cluster(shards=2, frontends=1, shard_args=self.shard_args,
                                       frontend_args=[
            "--passkey-file", self.path, "--passkey-file-interval", self.interval,
            "--udp-port", str(self.udp_port)])
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.port = self.cluster.port()
        self.frontend = self.cluster.frontends[0]

    def logs(self):
        return self.cluster.logs() if hasattr(self, "cluster") else ""

    def announce(self, passkey, label, left=1, source="127.0.0.1", **fields):
        """The decoded reply to an announce through `passkey` (None: the plain /announce)."""
        target = cluster.announce_target(self.info_hash, peer_id(label), 6881, left=left,
                                         **fields)
        if passkey is not None:
            target = f"/{passkey}{target}"
        response = cluster.get(self.port, target, source=source)
        self.assertEqual(response.status, 200, response)
        return response.bencoded()

    def admitted(self, passkey):
        return b"failure reason" not in self.announce(passkey, "probe")


class MembersTest(PasskeyCase):

    def test_members_announce_and_scrape_and_everyone_else_is_refused_before_any_shard(self):
        reply = self.announce(ALICE, "seeder", left=0, source="127.0.0.2")
        self.assertNotIn(b"failure reason", reply)
        self.assertEqual(reply[b"complete"], 1)
        reply = self.announce(BOB, "leecher", source="127.0.0.3")
        self.assertEqual((reply[b"complete"], reply[b"incomplete"]), (1, 1))
        self.assertEqual(len(cluster.reply_peers(reply)), 1)  # the seeder

        sent_before = cluster.shard_requests_sent(self.port)
        self.assertEqual(self.announce(None, "outsider"), {b"failure reason": MISSING})
        self.assertEqual(self.announce("", "outsider"), {b"failure reason": MISSING})
        self.assertEqual(self.announce("mallory", "outsider"), {b"failure reason": UNKNOWN})
        self.assertEqual(self.announce(ALICE.upper(), "outsider"), {b"failure reason": UNKNOWN})
        query = cluster.query_string([("info_hash", self.info_hash)])
        for target in (f"/scrape?{query}", f"/mallory/scrape?{query}", "/scrape"):
            reply = cluster.get(self.port, target).bencoded()
            self.assertIn(reply[b"failure reason"], (MISSING, UNKNOWN), target)
        self.assertEqual(cluster.shard_requests_sent(self.port), sent_before)

        # The other forms a site's existing torrents may carry: UNIT3D's, and TBDev's parameter.
        target = cluster.announce_target(self.info_hash, peer_id("leecher"), 6881, left=1)
        for other_form in (target.replace("/announce", f"/announce/{BOB}"),
                           f"{target}&passkey={BOB}"):
            reply = cluster.get(self.port, other_form, source="127.0.0.3").bencoded()
            self.assertNotIn(b"failure reason", reply, other_form)
        self.assertIn(b"failure reason",
                      cluster.get(self.port, f"{target}&passkey=mallory").bencoded())
        files = cluster.bdecode(cluster.get(self.port, f"/{BOB}/scrape?{query}").body)[b"files"]
        self.assertEqual(files[self.info_hash][b"complete"], 1)
        full = cluster.bdecode(cluster.get(self.port, f"/{ALICE}/scrape").body)[b"files"]
        self.assertIn(self.info_hash, full)
        for path in ("/", "/healthz", "/readyz", "/metrics"):  # no passkey needed
            self.assertEqual(cluster.get(self.port, path).status, 200, path)
        page = cluster.get(self.port, "/").body.decode()  # totals, but no torrent named
        self.assertIn("<td>1</td>", page)
        self.assertNotIn(self.info_hash.hex(), page)
        self.assertEqual(cluster.get(self.port, f"/{ALICE}/metrics").status, 404)

        samples = cluster.metrics(self.port)
        self.assertEqual(samples['shardtrack_passkey_refused_total{reason="missing"}'], 4)
        self.assertEqual(samples['shardtrack_passkey_refused_total{reason="unknown"}'], 4)
        self.assertEqual(samples["shardtrack_passkeys"], 2)

        self.assertNotIn("may be read by any user", self.frontend.log())  # its file is 640
        os.chmod(self.path, 0o644)
        self.frontend.restart()
        self.assertTrue(self.frontend.logged(
            f"--passkey-file: {self.path} may be read by any user of this machine (mode 644): "
            "whoever reads it can announce as any member; chmod o-rwx it"))
        os.chmod(self.path, 0o642)  # others may write it, not read it
        self.frontend.restart()
        self.assertTrue(self.frontend.logged(
            f"--passkey-file: {self.path} may be changed by any user of this machine (mode 642)"))

    def test_a_post_to_a_members_announce_is_405_allowing_get_alone(self):
        for path, allowed in ((f"/{ALICE}/announce", "GET"), (f"/announce/{ALICE}", "GET"),
                              (f"/{ALICE}/scrape", "GET, HEAD")):
            with self.subTest(path=path), cluster.HttpConnection(self.port) as conn:
                conn.request("POST", path, body=b"x")
                response = conn.read_response()
                self.assertEqual((response.status, response.header("allow")), (405, allowed))

    def test_a_udp_announce_carries_its_passkey_in_bep41_url_data_and_a_udp_scrape_is_refused(self):
        client = UdpClient(self.udp_port, "127.0.0.2")
        self.addCleanup(client.close)
        client.connect()
        pid = peer_id("udp")
        self.assertEqual(client.announce(self.info_hash, pid, 7001, left=0),
                         (3, MISSING))
        self.assertEqual(client.announce(self.info_hash, pid, 7001, left=0,
                                         options=bep41_url_data("/mallory/announce")),
                         (3, UNKNOWN))
        action, payload = client.announce(
            self.info_hash, pid, 7001, left=0,
            options=bep41_url_data(f"/{ALICE}/announce?x=" + "y" * 300))  # in two options
        self.assertEqual(action, 1, payload)
        self.assertEqual(announce_fields(payload)[2], 1)  # one seeder: this one
        reply = self.announce(BOB, "http leecher")
        self.assertEqual(cluster.reply_peers(reply), [("127.0.0.2", 7001)])
        action, payload = client.announce(self.info_hash, pid, 7001, left=0,
                                          options=bep41_url_data(f"/announce?passkey={BOB}"))
        self.assertEqual(action, 1, payload)
        action, payload = client.scrape([self.info_hash])
        self.assertEqual(action, 3)
        self.assertIn(b"scrape over HTTP", payload)

    def test_a_new_file_is_reloaded_and_a_malformed_one_keeps_the_passkeys_in_force(self):
        write_passkeys(self.path, [ALICE, "carol"])
        wait_until(lambda: self.admitted("carol"), "carol admitted after the file was rewritten")
        self.assertFalse(self.admitted(BOB))
        wait_until(lambda: "passkey file" in self.frontend.log() and
                   "reloaded: 2 passkeys" in self.frontend.log(), "the reload logged")

        write_passkeys(self.path, ["dave", "not/a/passkey"])
        wait_until(lambda: cluster.metric_sum(
            self.port, 'shardtrack_passkey_file_reloads_total{result="failed"}'),
            "the malformed file reported")
        self.assertRegex(self.frontend.log(), re.escape(self.path) +
                         r": line 3: character 4, '/', cannot be in a passkey")
        self.assertNotIn("dave", self.frontend.log())  # a member's secret is never logged
        self.assertTrue(self.admitted("carol"))  # the previous list stays in force
        self.assertFalse(self.admitted("dave"))

        write_passkeys(self.path, [])  # an export that failed: it would lock everyone out
        wait_until(lambda: cluster.metric_sum(
            self.port, 'shardtrack_passkey_file_reloads_total{result="failed"}') >= 2,
            "the empty file refused")
        self.assertTrue(self.frontend.logged("lists no passkey"))
        self.assertTrue(self.admitted("carol"))
        samples = cluster.metrics(self.port)
        self.assertEqual(samples["shardtrack_passkeys"], 2)
        self.assertEqual(samples['shardtrack_passkey_file_reloads_total{result="ok"}'], 1)


class SighupTest(PasskeyCase):
    interval = "3600"

    def test_sighup_reloads_the_passkeys_at_once(self):
        self.assertTrue(self.admitted(BOB))
        write_passkeys(self.path, [ALICE])
        self.frontend.popen.send_signal(signal.SIGHUP)
        wait_until(lambda: not self.admitted(BOB), "bob refused after SIGHUP")
        self.assertTrue(self.admitted(ALICE))
        self.assertTrue(self.frontend.running())


ACCOUNTING_HEADER = ("# passkey\tinfo_hash\tuploaded\tdownloaded\tcompleted\tseeding_seconds\t"
                     "announces")


def accounting(shards):
    """Summed over every accounting file the shards wrote: ({passkey: [uploaded, downloaded,
    completed, announces]}, the files' names, {passkey: seconds seeded}, the infohashes named)."""
    totals, names, seeding, torrents = {}, [], {}, set()
    for shard in shards:
        for path in sorted(glob.glob(os.path.join(shard.data_dir, "accounting", "*.tsv"))):
            names.append(os.path.basename(path))
            with open(path) as f:
                lines = f.read().splitlines()
            assert lines[0] == ACCOUNTING_HEADER, lines
            for line in lines[1:]:
                passkey, info_hash, up, down, completed, seeded, announces = line.split("\t")
                torrents.add(info_hash)
                numbers = [int(up), int(down), int(completed), int(announces)]
                totals[passkey] = [a + b for a, b in zip(totals.get(passkey, [0] * 4), numbers)]
                seeding[passkey] = seeding.get(passkey, 0) + int(seeded)
    return totals, names, seeding, torrents


class AccountingTest(PasskeyCase):
    shard_args = ("--accounting-interval", "1")

    def test_members_are_credited_what_their_counters_grew_between_announces(self):
        started = time.monotonic()
        seeder = dict(label="seeder", left=0, source="127.0.0.2")
        self.announce(ALICE, event="started", uploaded=50, **seeder)  # where it stands
        self.announce(ALICE, uploaded=1050, **seeder)
        self.announce(ALICE, uploaded=3050, **seeder)
        leecher = dict(label="leecher", source="127.0.0.3")
        self.announce(BOB, event="started", **leecher)
        self.announce(BOB, downloaded=500, left=1500, **leecher)
        self.announce(BOB, event="completed", downloaded=2000, left=0, **leecher)
        self.announce(BOB, event="started", uploaded=100, downloaded=10, left=0,
                      **leecher)  # restarted: where it stands, only
        self.announce(BOB, uploaded=400, downloaded=10, left=0, **leecher)
        self.announce(ALICE, event="stopped", uploaded=3550, **seeder)
        self.announce(ALICE, event="stopped", uploaded=9999, **seeder)  # gone: nothing written

        client = UdpClient(self.udp_port, "127.0.0.4")
        self.addCleanup(client.close)
        client.connect()
        url = bep41_url_data(f"/{BOB}/announce")
        for event, left in ((EVENT_STARTED, 10), (0, 5), (UDP_EVENT_STOPPED, 0)):
            action, payload = client.announce(self.info_hash, peer_id("udp"), 7002, left,
                                              event=event, options=url)
            self.assertEqual(action, 1, payload)

        expected = {ALICE: [3500, 0, 0, 4], BOB: [300, 2000, 1, 8]}
        wait_until(lambda: accounting(self.cluster.shards)[0] == expected,
                   f"accounting files adding up to {expected}")
        totals, names, seeding, torrents = accounting(self.cluster.shards)
        self.assertEqual(torrents, {self.info_hash.hex()})
        for member in (ALICE, BOB):  # seeders, announcing again within the test's seconds
            self.assertLessEqual(seeding[member], time.monotonic() - started + 1)
        self.assertTrue(all(re.fullmatch(r"shard1-\d+-\d+\.tsv", n) for n in names), names)
        samples = cluster.metrics(self.port)  # the frontend's, for the passkeys' refusals
        self.assertEqual(cluster.metric_sum(self.port, "shardtrack_passkey_refused_total"), 0,
                         samples)


    def test_a_client_is_its_peer_id_whatever_address_it_announces_from(self):
        # A client that moves (or announces over both families) takes up where it left off;
        # another member on the same address and port is another client.
        moves = (("127.0.0.30", 0, "started"), ("127.0.0.30", 100, None),
                 ("127.0.0.31", 200, None), ("127.0.0.31", 300, None), ("127.0.0.30", 400, None))
        for source, uploaded, event in moves:
            self.announce(ALICE, "mover", left=0, uploaded=uploaded, event=event, source=source)
        self.announce(BOB, "neighbour", left=0, uploaded=5000, source="127.0.0.30")
        self.announce(BOB, "neighbour", left=0, uploaded=5100, source="127.0.0.30")
        expected = {ALICE: [400, 0, 0, 5], BOB: [100, 0, 0, 2]}
        wait_until(lambda: accounting(self.cluster.shards)[0] == expected,
                   f"accounting files adding up to {expected}")


class AccountingBoundTest(PasskeyCase):
    shard_args = ("--accounting-interval", "1", "--max-clients-per-member", "2",
                  "--metrics-listen", "127.0.0.1:0")

    def test_a_member_making_up_peer_ids_is_followed_for_a_few_only(self):
        for label in ("made-up 1", "made-up 2", "made-up 3"):
            self.announce(ALICE, label, left=0, event="started", uploaded=0)
            self.announce(ALICE, label, left=0, uploaded=100)
        self.announce(BOB, "honest", left=0, event="started", uploaded=0)
        self.announce(BOB, "honest", left=0, uploaded=300)
        expected = {ALICE: [200, 0, 0, 6], BOB: [300, 0, 0, 2]}
        wait_until(lambda: accounting(self.cluster.shards)[0] == expected,
                   f"accounting files adding up to {expected}")
        shard = self.cluster.shards[1]  # the torrent's
        samples = cluster.metrics(shard.metrics_port())
        self.assertEqual(samples['shardtrack_accounting_full_total{shard="1"}'], 2)  # made-up 3's
        self.assertEqual(samples['shardtrack_accounting_peers{shard="1"}'], 3)
        self.assertEqual(samples['shardtrack_accounting_capped_total{shard="1"}'], 0)


class AccountingRateTest(PasskeyCase):
    shard_args = ("--accounting-interval", "1", "--max-credit-rate", "1000",
                  "--metrics-listen", "127.0.0.1:0")

    def test_a_client_is_credited_no_faster_than_the_credit_rate(self):
        started = time.monotonic()
        self.announce(ALICE, "cheat", left=0, event="started", uploaded=0)
        time.sleep(1.1)  # credit comes a second at a time
        self.announce(ALICE, "cheat", left=0, uploaded=10**12)  # a terabyte in a second
        wait_until(lambda: accounting(self.cluster.shards)[0].get(ALICE, [0, 0, 0, 0])[3] == 2,
                   "two announces in the accounting files")
        uploaded = accounting(self.cluster.shards)[0][ALICE][0]
        seconds = time.monotonic() - started
        self.assertGreaterEqual(uploaded, 1000)
        self.assertLessEqual(uploaded, 1000 * (seconds + 1))
        samples = cluster.metrics(self.cluster.shards[1].metrics_port())
        self.assertEqual(samples['shardtrack_accounting_capped_total{shard="1"}'], 1)


class AccountingAtStopTest(PasskeyCase):
    shard_args = ("--accounting-interval", "3600")

    def test_a_stopping_shard_writes_what_it_holds_and_counting_goes_on_after_it(self):
        self.announce(ALICE, event="started", uploaded=0, left=0, label="seeder")
        self.announce(ALICE, uploaded=4096, left=0, label="seeder")
        self.assertEqual(accounting(self.cluster.shards)[0], {})  # the first tick is an hour away
        shard = self.cluster.shards[1]
        shard.stop()  # SIGTERM
        self.assertEqual(accounting(self.cluster.shards)[0], {ALICE: [4096, 0, 0, 2]})
        # The files name passkeys: no other user of the machine may read them.
        directory = os.path.join(shard.data_dir, "accounting")
        for path in [directory] + glob.glob(os.path.join(directory, "*")):
            self.assertEqual(os.stat(path).st_mode & 0o007, 0, path)
        os.chmod(directory, 0o755)  # as an older build or a careless hand left it

        shard.start()  # loads the peer's saved counters: its next announce is credited
        self.assertIn("accounting goes on from 1 peers' saved counters", shard.log())
        self.assertTrue(shard.logged(f"{directory} may be read by any user of this machine "
                                     "(mode 755): the accounting files in it name members' "
                                     "passkeys; chmod o-rwx it"))
        self.announce(ALICE, uploaded=5000, left=0, label="seeder")
        shard.stop()
        self.assertEqual(accounting(self.cluster.shards)[0], {ALICE: [5000, 0, 0, 3]})

        shard.start()  # loads the counters again, saved with the last file (by that stop)
        self.announce(ALICE, uploaded=5100, left=0, label="seeder")  # +100, in the credit log
        shard.kill(signal.SIGKILL)
        shard.start()  # the counters saved with the last file, and the log since: nothing lost
        this_start = shard.log().split("----- start #")[-1]
        self.assertIn("accounting goes on from 1 peers' saved counters", this_start)
        self.assertIn("credited 1 announces again from 1 credit logs", this_start)
        self.announce(ALICE, uploaded=5200, left=0, label="seeder")  # +100 more
        shard.stop()
        self.assertEqual(accounting(self.cluster.shards)[0], {ALICE: [5200, 0, 0, 5]})


class AccountingAfterFilesVanishTest(PasskeyCase):
    shard_args = ("--accounting-interval", "3600")

    def test_a_data_directory_removed_by_hand_loses_no_credit_through_a_kill(self):
        self.announce(ALICE, event="started", uploaded=0, label="leecher")
        self.announce(ALICE, uploaded=1000, label="leecher")
        shard = self.cluster.shards[1]
        shutil.rmtree(shard.data_dir)
        self.assertTrue(shard.logged("vanished from under the running shard", timeout=15))
        # A kill before the rescue snapshot is in place loses what the deleted files held, the
        # accounting's baselines included (docs/persistence.md): wait for it.
        rescued = [os.path.join(shard.data_dir, name) for name in
                   ("accounting", "shard-1-of-2.snapshot", "shard-1-of-2.journal")]
        wait_until(lambda: all(os.path.exists(path) for path in rescued),
                   "the snapshot, the journal and the accounting written again")
        self.announce(ALICE, uploaded=2000, label="leecher")  # in the new credit log
        shard.kill(signal.SIGKILL)
        shard.start()
        shard.stop()
        self.assertEqual(accounting([shard])[0], {ALICE: [2000, 0, 0, 3]})


class AccountingThroughKillsTest(PasskeyCase):
    """A file a second, and the shard killed (-9) at random moments between announces, twice:
    each member is credited exactly what its clients' counters grew, every announce and the
    completion once."""
    shard_args = ("--accounting-interval", "1")
    ROUNDS = 9
    KILLED_AFTER = (2, 5)  # rounds

    def wait_until_served(self):
        query = cluster.query_string([("info_hash", self.info_hash)])
        wait_until(lambda: b"failure reason" not in cluster.get(
            self.port, f"/{ALICE}/scrape?{query}").bencoded(), "the restarted shard answers")

    def test_nothing_credited_is_lost_or_credited_twice(self):
        clients = [(ALICE, "a1", "127.0.0.2"), (ALICE, "a2", "127.0.0.3"), (BOB, "b1", "127.0.0.4")]
        rng = random.Random(self.id())
        shard = self.cluster.shards[1]
        for r in range(self.ROUNDS):
            for passkey, label, source in clients:
                completes = label == "b1" and r == 4
                reply = self.announce(passkey, label, source=source, uploaded=1000 * r,
                                      downloaded=10 * r, left=0 if r >= 4 else 100,
                                      event="started" if r == 0 else
                                      "completed" if completes else None)
                self.assertNotIn(b"failure reason", reply)
            if r in self.KILLED_AFTER:
                time.sleep(rng.uniform(0, 1.5))  # anywhere in a file's write, or between
                shard.kill(signal.SIGKILL)
                shard.start()
                self.wait_until_served()
        self.assertEqual(shard.stop(), 0)
        last = self.ROUNDS - 1
        self.assertEqual(accounting(self.cluster.shards)[0], {
            ALICE: [2 * 1000 * last, 2 * 10 * last, 0, 2 * self.ROUNDS],
            BOB: [1000 * last, 10 * last, 1, self.ROUNDS]})


class AccountingAcrossAResizeTest(cluster.LoggedTestCase):
    """Shards over one data directory, from 1 shard to 2: a torrent that stays on shard 0 keeps
    its clients' counters; one that moves to the new shard 1 starts them again; what a shard
    killed just before the resize had credited is written by the new shard of its index."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shardtrack-resize-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.data_dir = os.path.join(self.dir, "data")
        self.passkeys = os.path.join(self.dir, "passkeys")
        write_passkeys(self.passkeys, [ALICE])
        self.processes = []

    def logs(self):
        return "\n".join(p.log_tail() for p in self.processes)

    def start(self, count):
        self.processes = [cluster.Shard(index, count, cluster.free_port(), self.data_dir)
                          for index in range(count)]
        endpoints = [shard.endpoint for shard in self.processes]
        self.processes.append(cluster.Frontend(0, endpoints, ["--passkey-file", self.passkeys]))
        for process in self.processes:
            process.start()
            self.addCleanup(process.stop)
        return self.processes[-1].port

    def totals(self):
        """Summed over the accounting files: {info_hash: [uploaded, downloaded, completed,
        seeding seconds, announces]}."""
        totals = {}
        for path in glob.glob(os.path.join(self.data_dir, "accounting", "*.tsv")):
            with open(path) as f:
                for line in f.read().splitlines()[1:]:
                    _, info_hash, *counts = line.split("\t")
                    summed = totals.setdefault(info_hash, [0] * len(counts))
                    for i, count in enumerate(counts):
                        summed[i] += int(count)
        return totals


    def test_a_torrent_that_stays_on_its_shard_keeps_its_clients_counters(self):
        kept, moved = cluster.hash_on_shard(0, 2, "kept"), cluster.hash_on_shard(1, 2, "moved")
        port = self.start(1)
        for info_hash in (kept, moved):
            for uploaded, event in ((0, "started"), (100, None)):
                target = cluster.announce_target(info_hash, peer_id("alice"), 6881, left=0,
                                                 uploaded=uploaded, event=event)
                self.assertEqual(cluster.get(port, f"/{ALICE}{target}").status, 200)
        for process in self.processes:
            self.assertEqual(process.stop(), 0)

        port = self.start(2)
        for info_hash in (kept, moved):
            target = cluster.announce_target(info_hash, peer_id("alice"), 6881, left=0,
                                             uploaded=250)
            self.assertEqual(cluster.get(port, f"/{ALICE}{target}").status, 200)
        self.assertIn("accounting goes on from 1 peers' saved counters", self.processes[0].log())
        for process in self.processes:
            self.assertEqual(process.stop(), 0)
        self.assertEqual({info_hash: counts[0] for info_hash, counts in self.totals().items()},
                         {kept.hex(): 250, moved.hex(): 100})
        saved = glob.glob(os.path.join(self.data_dir, "accounting", "*.baselines"))
        self.assertEqual(sorted(map(os.path.basename, saved)),
                         ["shard0-of-2.baselines", "shard1-of-2.baselines"])

    def test_a_shard_killed_just_before_a_resize_loses_nothing_it_credited(self):
        kept = cluster.hash_on_shard(0, 2, "kept")
        port = self.start(1)
        for uploaded, left, event in ((0, 100, "started"), (100, 0, "completed")):
            target = cluster.announce_target(kept, peer_id("alice"), 6881, left=left,
                                             uploaded=uploaded, event=event)
            self.assertEqual(cluster.get(port, f"/{ALICE}{target}").status, 200)
        self.processes[0].kill(signal.SIGKILL)  # before its first accounting file
        self.assertEqual(self.processes[1].stop(), 0)

        port = self.start(2)
        target = cluster.announce_target(kept, peer_id("alice"), 6881, left=0, uploaded=250)
        self.assertEqual(cluster.get(port, f"/{ALICE}{target}").status, 200)
        self.assertIn("credited 2 announces that shard 0 of 1 had logged",
                      self.processes[0].log())
        for process in self.processes:
            self.assertEqual(process.stop(), 0)
        uploaded, _, completed, _, announces = self.totals()[kept.hex()]
        self.assertEqual((uploaded, completed, announces), (250, 1, 3))
        self.assertEqual(glob.glob(os.path.join(self.data_dir, "accounting", "*.credits")), [])


IMPORTER = os.path.join(cluster.HERE, "..", "..", "scripts", "accounting-import")


class AccountingImportTest(PasskeyCase):
    """scripts/accounting-import: each file into SQLite exactly once."""
    shard_args = ("--accounting-interval", "3600")

    def run_importer(self, directory, database):
        return subprocess.run([IMPORTER, directory, database], capture_output=True, text=True,
                              timeout=60)

    def test_files_are_added_once_even_when_a_run_stopped_before_deleting_them(self):
        self.announce(ALICE, event="started", uploaded=0, left=0, label="seeder")
        self.announce(ALICE, uploaded=700, left=0, label="seeder")
        self.announce(BOB, event="completed", downloaded=300, left=0, label="leecher",
                      source="127.0.0.3")
        shard = self.cluster.shards[1]
        shard.stop()
        directory = os.path.join(shard.data_dir, "accounting")
        [name] = [n for n in os.listdir(directory) if n.endswith(".tsv")]
        with open(os.path.join(directory, name)) as f:
            kept = f.read()
        database = os.path.join(self.dir, "accounting.sqlite")

        held = os.open(directory, os.O_RDONLY)  # as a run that cron started earlier
        try:
            fcntl.flock(held, fcntl.LOCK_EX)
            result = self.run_importer(directory, database)
        finally:
            os.close(held)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"another run is importing {directory}", result.stdout)
        self.assertIn(name, os.listdir(directory))

        result = self.run_importer(directory, database)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("imported 1 accounting files", result.stdout)
        self.assertEqual(os.stat(database).st_mode & 0o007, 0)  # it names passkeys
        self.assertEqual(sorted(os.listdir(directory)), ["shard1-of-2.baselines"])
        # As if a run had stopped between its commit and the delete: the file is back.
        with open(os.path.join(directory, name), "w") as f:
            f.write(kept)
        result = self.run_importer(directory, database)
        self.assertIn("imported 0 accounting files", result.stdout)
        self.assertIn("imported before", result.stderr)
        self.assertEqual(sorted(os.listdir(directory)), ["shard1-of-2.baselines"])
        with open(os.path.join(directory, "shard1-1-0000000000.tsv"), "w") as f:
            f.write("not an accounting file\n")
        result = self.run_importer(directory, database)
        self.assertEqual(result.returncode, 1)
        self.assertIn("not an accounting file", result.stderr)
        missing = self.run_importer(os.path.join(self.dir, "no-such-dir"), database)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("accounting-import: [Errno 2] No such file or directory", missing.stderr)

        with sqlite3.connect(database) as db:
            members = db.execute("SELECT passkey, uploaded, downloaded, completed, announces "
                                 "FROM members ORDER BY passkey").fetchall()
            torrents = db.execute("SELECT DISTINCT info_hash FROM member_torrents").fetchall()
        self.assertEqual(members, [(ALICE, 700, 0, 0, 2), (BOB, 0, 0, 1, 1)])
        self.assertEqual(torrents, [(self.info_hash.hex(),)])

    def test_a_file_imported_but_not_deleted_is_said_to_be_imported_and_the_next_goes_on(self):
        directory = os.path.join(self.dir, "import")
        os.mkdir(directory)
        database = os.path.join(self.dir, "accounting.sqlite")
        for n in range(2):
            with open(os.path.join(directory, f"shard0-1-000000000{n}.tsv"), "w") as f:
                f.write(ACCOUNTING_HEADER + f"\n{ALICE}\t{'ab' * 20}\t5\t0\t0\t0\t1\n")
        importer = importlib.machinery.SourceFileLoader("accounting_import", IMPORTER).load_module()
        refused = PermissionError(13, "Permission denied")  # run as a user who may not delete
        stderr = io.StringIO()
        with mock.patch("os.remove", side_effect=refused), contextlib.redirect_stderr(stderr), \
                contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(importer.main(["accounting-import", directory, database]), 1)
        self.assertIn("imported, but could not delete shard0-1-0000000000.tsv: Permission "
                      "denied; shard0-1-0000000001.tsv: Permission denied", stderr.getvalue())
        self.assertNotIn("nothing of that file was imported", stderr.getvalue())
        result = self.run_importer(directory, database)  # as the shard's user: deleted, not added
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("imported 0 accounting files", result.stdout)
        self.assertEqual(os.listdir(directory), [])
        with sqlite3.connect(database) as db:
            self.assertEqual(db.execute("SELECT uploaded, announces FROM members").fetchall(),
                             [(10, 2)])

    def test_counts_past_what_sql_holds_stop_there_and_a_bad_line_is_not_shown(self):
        directory = os.path.join(self.dir, "import")
        os.mkdir(directory)
        database = os.path.join(self.dir, "accounting.sqlite")
        huge = 2**64 - 1  # claimed by a member's client, or an older build's sum
        for n in range(2):
            with open(os.path.join(directory, f"shard0-1-000000000{n}.tsv"), "w") as f:
                f.write(ACCOUNTING_HEADER + f"\n{ALICE}\t{'ab' * 20}\t{huge}\t5\t0\t0\t1\n")
        result = self.run_importer(directory, database)
        self.assertEqual(result.returncode, 0, result.stderr)
        with sqlite3.connect(database) as db:
            self.assertEqual(db.execute("SELECT uploaded, downloaded FROM members").fetchall(),
                             [(2**63 - 1, 10)])
        with open(os.path.join(directory, "shard0-1-0000000009.tsv"), "w") as f:
            f.write(ACCOUNTING_HEADER + f"\n{BOB}\t{'ab' * 20}\t1,5\t0\t0\t0\t1\n")
        result = self.run_importer(directory, database)
        self.assertEqual(result.returncode, 1)
        self.assertIn("line 2 is malformed", result.stderr)
        self.assertNotIn(BOB, result.stderr)  # cron mails stderr: no member's secret in it


    def test_imported_names_are_forgotten_after_the_days_asked(self):
        directory = os.path.join(self.dir, "import")
        os.mkdir(directory)
        database = os.path.join(self.dir, "accounting.sqlite")
        names = [f"shard0-1-000000000{n}.tsv" for n in range(3)]
        for name in names:
            with open(os.path.join(directory, name), "w") as f:
                f.write(ACCOUNTING_HEADER + f"\n{ALICE}\t{'ab' * 20}\t1\t0\t0\t0\t1\n")
        self.assertEqual(self.run_importer(directory, database).returncode, 0)
        day = 86400
        with sqlite3.connect(database) as db:  # as if imported 31, 29 and 0 days ago
            for name, age in zip(names, (31 * day, 29 * day, 0)):
                db.execute("UPDATE imported_files SET imported_at = imported_at - ? "
                           "WHERE name = ?", (age, name))
        self.assertEqual(self.run_importer(directory, database).returncode, 0)
        with sqlite3.connect(database) as db:
            kept = db.execute("SELECT name FROM imported_files ORDER BY name").fetchall()
        self.assertEqual(kept, [(names[1],), (names[2],)])

        result = subprocess.run([IMPORTER, "--forget-after", "0", directory, database],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        with sqlite3.connect(database) as db:
            kept = db.execute("SELECT name FROM imported_files ORDER BY name").fetchall()
            members = db.execute("SELECT passkey, uploaded FROM members").fetchall()
        self.assertEqual(kept, [])
        self.assertEqual(members, [(ALICE, 3)])
        refused = subprocess.run([IMPORTER, "--forget-after", "-1", directory, database],
                                 capture_output=True, text=True, timeout=60)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("--forget-after must be 0 or more days", refused.stderr)


class StartUpTest(cluster.LoggedTestCase):
    """A frontend whose passkey file cannot be used does not start: exit status 2, naming it."""

    def test_a_malformed_or_missing_file_stops_the_frontend_naming_it(self):
        tmp = tempfile.mkdtemp(prefix="shardtrack-passkeys-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "passkeys")

        stderr = cluster.frontend_refused("--passkey-file", path)
        self.assertIn(f"--passkey-file: cannot read {path}", stderr)
        write_passkeys(path, ["fine", "x" * 65])
        stderr = cluster.frontend_refused("--passkey-file", path)
        self.assertIn(f"{path}: line 3", stderr)
        self.assertIn("at most 64 characters", stderr)


if __name__ == "__main__":
    unittest.main()
