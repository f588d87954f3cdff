"""kill -9 at random moments under load loses no completion a client was told of and counts none
twice.

2 shards (a snapshot every second) and a frontend. WORKERS threads each announce `completed` for a stream of new peers over
TORRENTS torrents; a peer whose announce was not answered (its shard was down, or died before
replying) asks again until it is, as a client does. Meanwhile a random shard is killed with SIGKILL
and restarted at random moments. Afterwards every torrent's completed count and seeders must equal
the peers answered on it, exactly: nothing a client was told is lost, no retry is counted twice,
and no half-written turn of the journal leaves a seeder without its completion.

SHARDTRACK_CHAOS_SECONDS runs the chaos longer (default 8), SHARDTRACK_CHAOS_WORKERS with more
clients at once (default 4; more make larger batches, so a kill cuts more turns in their middle),
and SHARDTRACK_CHAOS_SEED picks the kills' timing (default: a fresh seed, printed on failure).
"""

import collections
import os
import random
import re
import signal
import threading
import time
import unittest

import cluster
from cluster import announce, peer_id

WORKERS = int(os.environ.get("SHARDTRACK_CHAOS_WORKERS", "4"))
TORRENTS = 6
CHAOS_SECONDS = float(os.environ.get("SHARDTRACK_CHAOS_SECONDS", "8"))
SHARD_TIMEOUT_MS = 1000
SETTLE_DEADLINE = 30.0  # seconds for every pending peer to be answered once the kills stop


class ChaosTest(cluster.LoggedTestCase):

    def setUp(self):
        self.seed = int(os.environ.get("SHARDTRACK_CHAOS_SEED", random.randrange(1 << 30)))
        # A snapshot every second, so kills also land while a child writes one and while the
        # shard installs it and starts the journal that follows it.
        self.cluster = cluster.Cluster(
            shards=2, frontends=1, shard_args=["--save-dfile-interval", "1"],
            frontend_args=["--shard-timeout-ms", str(SHARD_TIMEOUT_MS)])
        self.cluster.__enter__()
        self.addCleanup(self.cluster.close)
        self.port = self.cluster.port()
        self.torrents = [self.cluster.hash_on_shard(n % 2, f"chaos/{n}") for n in range(TORRENTS)]
        self.answered = collections.Counter()  # torrent -> peers whose completion was answered
        self.lock = threading.Lock()
        self.chaos_over = threading.Event()
        self.attempts = 0
        self.unanswered = 0

    def logs(self):
        return f"chaos seed {self.seed}\n" + self.cluster.logs()

    def complete(self, worker, k):
        """Announces peer k of `worker` as completed until a reply says it was counted."""
        torrent = self.torrents[k % TORRENTS]
        deadline = None
        while True:
            if deadline is None and self.chaos_over.is_set():
                deadline = time.monotonic() + SETTLE_DEADLINE
            if deadline is not None and time.monotonic() > deadline:
                raise AssertionError(f"peer {worker}/{k} never answered after the chaos")
            with self.lock:
                self.attempts += 1
            try:
                reply = announce(self.port, torrent, peer_id(f"chaos/{worker}/{k}"), 10000 + k,
                                 source=f"127.0.0.{2 + worker}", left=0, event="completed",
                                 timeout=5.0)
                if b"failure reason" not in reply:
                    with self.lock:
                        self.answered[torrent] += 1
                    return
            except (OSError, AssertionError):
                pass
            with self.lock:
                self.unanswered += 1
            time.sleep(0.02)

    def worker(self, number, errors):
        try:
            k = 0
            while not self.chaos_over.is_set():
                self.complete(number, k)
                k += 1
        except BaseException as error:  # reported by the test's thread
            errors.append(error)

    def test_kill_9_under_load_loses_no_answered_completion_and_counts_none_twice(self):
        chance = random.Random(self.seed)
        errors = []
        workers = [threading.Thread(target=self.worker, args=(n, errors)) for n in range(WORKERS)]
        for thread in workers:
            thread.start()
        kills = 0
        end = time.monotonic() + CHAOS_SECONDS
        try:
            while time.monotonic() < end:
                time.sleep(chance.uniform(0.2, 1.0))
                shard = chance.choice(self.cluster.shards)
                shard.kill(signal.SIGKILL)
                shard.start()
                kills += 1
        finally:
            self.chaos_over.set()
            for thread in workers:
                thread.join()
        self.assertEqual(errors, [])
        self.assertGreater(kills, 1)
        self.assertGreater(self.unanswered, 0, "no announce met a dead shard: nothing was tested")

        files = cluster.scrape(self.port, self.torrents)
        for n, torrent in enumerate(self.torrents):
            entry = files[torrent]
            self.assertEqual(entry[b"downloaded"], self.answered[torrent], f"torrent {n}: {entry}")
            self.assertEqual(entry[b"complete"], self.answered[torrent], f"torrent {n}: {entry}")
        # Every start writes a snapshot and so does every periodic save: the generation a shard
        # last loaded, less the starts before the last, is about the periodic snapshots it made.
        periodic = 0
        for shard in self.cluster.shards:
            generations = re.findall(r"\(generation (\d+)", shard.log())
            starts = shard.log().count("----- start #")
            periodic += max(0, int(generations[-1]) - (starts - 1)) if generations else 0
        print(f"\nchaos: {kills} kills, {sum(self.answered.values())} completions answered, "
              f"{self.unanswered} of {self.attempts} attempts unanswered, about {periodic} "
              f"periodic snapshots (seed {self.seed})")


if __name__ == "__main__":
    unittest.main()
