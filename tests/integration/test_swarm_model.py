"""Random announces, scrapes and restarts on 2 shards and 2 frontends, checked against an exact
model of the swarms.

Each step is an announce (HTTP compact or not, or UDP; from either frontend; any event, seeder
or leecher, numwant from none to past --max-give; a peer now and then moving to another port or
ip=, or taking over another's address), then a scrape of every torrent (multi-hash HTTP, full or
UDP, sometimes a single hash too). Now and then a shard is stopped with SIGTERM or killed with
kill -9 and started again over its files, or a frontend is restarted. Checked after every step:

- each torrent's complete / incomplete / downloaded (/ downloaders) against the model, and which
  torrents a full scrape lists (those with peers or a counted completion);
- an announce reply's counts, and its peers: no duplicates, never the requester, only the
  model's peers a requester may be given (a seeder or partial seed gets no seeders; the README's
  "Swarm rules"), as many as min(numwant, those eligible), the requester's family first;
- the completion rules: counted once per peer, not from a peer listed as a seeder, not again for
  a peer id counted on the torrent in the last 10 minutes (from any address), which a shard
  forgets on restart; and nothing a client was told is lost by kill -9 (docs/persistence.md).

No timing decides an outcome: the default --peer-timeout (nothing expires) and no stalls.
A failure names the seed, the step and the last operations; replay it with
SHARDTRACK_MODEL_SEED=<seed> (and SHARDTRACK_MODEL_STEPS=<steps>, default 1500).
"""

import ipaddress
import os
import random
import signal
import struct
import unittest

import cluster
from cluster import Frontend, Shard, bdecode, free_udp_port, hash_on_shard, peer_id
from test_udp import UdpClient, announce_fields

SEED = int(os.environ.get("SHARDTRACK_MODEL_SEED", "20261207"))
STEPS = int(os.environ.get("SHARDTRACK_MODEL_STEPS", "1500"))
TORRENTS = 12  # half on each shard; the first three get most announces
PEERS = 40
RESPONSE_SIZE, MAX_GIVE = 50, 200  # the defaults of --response-size and --max-give
FAULT_CHANCE = 0.01  # ~15 restarts in 1500 steps
HISTORY = 12  # operations a failure message lists
SHARD_TIMEOUT_MS = 10000  # a busy machine's slow reply is no failure reason (< --socket-timeout)
CLIENT_TIMEOUT = 20  # nor a client's timeout
EVENTS = ["started", "none", "completed", "completed", "stopped", "paused"]
UDP_EVENTS = {"none": 0, "completed": 1, "started": 2, "stopped": 3, "paused": 4}
NUMWANTS = [None, None, 0, 1, 3, 10, 500, -1]


class ModelMismatch(AssertionError):
    """A reply or a scrape that differs from the model, or an operation that failed."""


def family(ip):
    return ipaddress.ip_address(ip).version


def endpoint(ip, port):
    """A peer's identity in a swarm, its address written canonically."""
    return str(ipaddress.ip_address(ip)), port


class ModelPeer:
    def __init__(self, pid, seeder, partial, completed):
        self.pid, self.seeder, self.partial, self.completed = pid, seeder, partial, completed


class ModelTorrent:
    def __init__(self, shard):
        self.shard = shard
        self.peers = {}  # endpoint -> ModelPeer
        self.completed = 0

    def counts(self):
        """(complete, incomplete, downloaded, downloaders), as a scrape says them."""
        seeders = sum(p.seeder for p in self.peers.values())
        partial = sum(p.partial for p in self.peers.values())
        leechers = len(self.peers) - seeders
        return seeders, leechers, self.completed, leechers - partial

    def exists(self):
        return bool(self.peers) or self.completed > 0

    def eligible(self, requester, wants_nothing, ip_family):
        """The peers of `ip_family` an announce from `requester` may be given (after it)."""
        peers = {e: p for e, p in self.peers.items() if family(e[0]) == ip_family}
        leechers = [p for p in peers.values() if not p.seeder]
        partial = sum(p.partial for p in leechers)
        skip_partial = wants_nothing and partial <= len(leechers) // 4  # BEP 21, peer_family.cc
        return {e for e, p in peers.items() if e != requester and
                not (wants_nothing and p.seeder) and not (skip_partial and p.partial)}


class SwarmModel:
    def __init__(self, shard_of):
        self.torrents = {h: ModelTorrent(s) for h, s in shard_of.items()}
        self.counted = [set(), set()]  # per shard: (info hash, peer id) of counted completions

    def announce(self, info_hash, peer, pid, event, seeder):
        torrent = self.torrents[info_hash]
        current = torrent.peers.get(peer)
        if event == "stopped":
            torrent.peers.pop(peer, None)
            return
        completed = current.completed if current else False
        if (event == "completed" and not completed and not (current and current.seeder)
                and (info_hash, pid) not in self.counted[torrent.shard]):
            completed = True
            torrent.completed += 1
            self.counted[torrent.shard].add((info_hash, pid))
        partial = event == "paused" and not seeder
        torrent.peers[peer] = ModelPeer(pid, seeder, partial, completed)

    def shard_restarted(self, shard):
        self.counted[shard].clear()


class SwarmModelTest(cluster.ProcessTestCase):

    def start_cluster(self):
        self.rng = random.Random(SEED)
        self.step, self.history = 0, []
        env = cluster.clean_env()
        self.shards = [self.start(Shard(i, 2, cluster.free_port(),
                                        os.path.join(self.tmp, f"shard{i}"),
                                        ["--save-dfile-interval", "3"], env)) for i in range(2)]
        args = ["--full-scrape-cache", "0", "--shard-timeout-ms", str(SHARD_TIMEOUT_MS)]
        self.frontends = [self.start(Frontend(n, [s.endpoint for s in self.shards],
                                              args + ["--udp-port", str(free_udp_port())], env))
                          for n in range(2)]
        shard_of = {hash_on_shard(i % 2, 2, f"model/{SEED}/{i}"): i % 2 for i in range(TORRENTS)}
        self.hashes = list(shard_of)
        self.weights = [20 if i < 3 else 3 for i in range(TORRENTS)]
        self.model = SwarmModel(shard_of)
        self.peers = [{"name": f"peer{k}", "pid": peer_id(f"model/{SEED}/{k}"),
                       "source": f"127.0.1.{k + 2}", "ip": None, "port": 6000 + k}
                      for k in range(PEERS)]
        self.wait_served()

    # --- reporting

    def note(self, text):
        self.history.append(f"step {self.step}: {text}")

    def mismatch(self, what, expected, actual, torrent=None):
        last = "\n  ".join(self.history[-HISTORY:])
        peers = f"model's peers: {self.describe(torrent)}\n" if torrent else ""
        raise ModelMismatch(
            f"seed {SEED}, step {self.step}: {what}\n  expected {expected!r}\n"
            f"  actual   {actual!r}\n{peers}last operations:\n  {last}\n"
            f"replay: SHARDTRACK_MODEL_SEED={SEED} SHARDTRACK_MODEL_STEPS={STEPS}")

    def expect(self, what, expected, actual, torrent=None):
        if expected != actual:
            self.mismatch(what, expected, actual, torrent)

    def torrent_name(self, info_hash):
        return f"t{self.hashes.index(info_hash)}"

    # --- the run

    def test_swarms_match_the_model_through_restarts(self):
        self.start_cluster()
        for step in range(1, STEPS + 1):
            self.step = step
            try:
                if self.rng.random() < FAULT_CHANCE:
                    self.fault()
                else:
                    self.announce()
                self.scrape_every_torrent(self.rng.choice(["http", "http", "full", "udp"]))
                if self.rng.random() < 0.15:
                    self.scrape_one()
            except ModelMismatch:
                raise
            except Exception as error:  # a timeout, a malformed reply, a restart that failed
                self.mismatch("an operation failed", "success", f"{type(error).__name__}: {error}")

    def fault(self):
        kind = self.rng.choice(["sigterm", "kill -9", "kill -9", "frontend"])
        index = self.rng.randrange(2)
        self.note(f"{kind} and restart of {'frontend' if kind == 'frontend' else 'shard'}{index}")
        if kind == "frontend":
            self.frontends[index].restart()
        else:
            shard = self.shards[index]
            if kind == "sigterm":
                shard.stop()
            else:
                shard.kill(signal.SIGKILL)
            shard.start()
            self.model.shard_restarted(index)
        self.wait_served()

    def wait_served(self):
        """Polls a scrape of a torrent of each shard through each frontend until both answer."""
        probe = self.hashes[:2]

        def served(port):
            try:
                return set(cluster.scrape(port, probe)) == set(probe)
            except (AssertionError, OSError):
                return False
        for f in self.frontends:
            cluster.wait_until(lambda: served(f.port), f"{f.name} serves both shards",
                               cluster.SERVE_DEADLINE)

    # --- announces

    def move_peer(self, peer):
        """Now and then a peer changes port or ip=, or takes over another's address."""
        roll = self.rng.random()
        if roll < 0.04:
            peer["port"] = self.rng.randrange(1024, 65536)
        elif roll < 0.08:
            peer["ip"] = self.rng.choice([None, "10.9.0.1", "10.9.0.2", "fd00::1", "fd00::2"])
            if peer["ip"]:
                peer["port"] = 7000 + self.rng.randrange(2)  # collisions, on purpose
        elif roll < 0.10:
            other = self.rng.choice(self.peers)
            peer.update(source=other["source"], ip=other["ip"], port=other["port"])

    def announce(self):
        rng = self.rng
        peer = rng.choice(self.peers)
        self.move_peer(peer)
        info_hash = rng.choices(self.hashes, self.weights)[0]
        event = rng.choice(EVENTS)
        left = 0 if rng.random() < 0.45 else rng.randrange(1, 10 ** 9)
        numwant = rng.choice(NUMWANTS)
        frontend = self.frontends[rng.randrange(2)]
        udp = rng.random() < 0.35 and (peer["ip"] is None or family(peer["ip"]) == 4)
        compact, no_peer_id = rng.choice([None, 0, 1]), rng.choice([None, 1])
        requester = endpoint(peer["ip"] or peer["source"], peer["port"])
        how = "udp" if udp else f"http compact={compact} no_peer_id={no_peer_id}"
        self.note(f"{peer['name']} {requester} announces {self.torrent_name(info_hash)} to "
                  f"{frontend.name} over {how}: event={event} left={left} numwant={numwant}")
        if udp:
            counts, peers = self.udp_announce(frontend, peer, info_hash, event, left, numwant)
        else:
            counts, peers = self.http_announce(frontend, peer, info_hash, event, left, numwant,
                                               compact, no_peer_id)
        self.model.announce(info_hash, requester, peer["pid"], event, left == 0)
        torrent = self.model.torrents[info_hash]
        self.expect("announce reply counts (seeders, leechers[, downloaded])",
                    torrent.counts()[:len(counts)], counts, torrent)
        self.check_peers(torrent, requester, event, left == 0, numwant, udp, peers)

    def http_announce(self, frontend, peer, info_hash, event, left, numwant, compact, no_peer_id):
        target = cluster.announce_target(
            info_hash, peer["pid"], peer["port"], left=left,
            event="empty" if event == "none" else event, compact=compact, numwant=numwant,
            no_peer_id=no_peer_id, ip=peer["ip"])
        reply = bdecode(cluster.get(frontend.port, target, peer["source"], CLIENT_TIMEOUT).body)
        if b"failure reason" in reply:
            self.mismatch("an HTTP announce failed", "peers", reply)
        counts = (reply[b"complete"], reply[b"incomplete"], reply[b"downloaded"])
        if isinstance(reply[b"peers"], bytes):
            peers = [(ip, port, None) for ip, port in cluster.compact_peers(reply[b"peers"])]
            peers += [(ip, port, None)
                      for ip, port in cluster.compact_peers(reply.get(b"peers6", b""), 18)]
            if compact == 0:
                self.mismatch("the reply to compact=0", "a list of peers", reply[b"peers"])
        else:
            self.expect("the reply is compact unless compact=0", 0, compact)
            peers = [(p[b"ip"].decode(), p[b"port"], p.get(b"peer id")) for p in reply[b"peers"]]
            if no_peer_id == 1:
                self.expect("no_peer_id=1 gives no peer ids", [], [p for p in peers if p[2]])
        return counts, peers

    def udp_announce(self, frontend, peer, info_hash, event, left, numwant):
        client = UdpClient(frontend.udp_port, peer["source"], CLIENT_TIMEOUT)
        try:
            client.connect()
            ip = ipaddress.ip_address(peer["ip"]).packed if peer["ip"] else b"\0\0\0\0"
            action, payload = client.announce(info_hash, peer["pid"], peer["port"], left,
                                              UDP_EVENTS[event], -1 if numwant is None
                                              else min(numwant, 2 ** 31 - 1), ip=ip)
        finally:
            client.close()
        self.expect("UDP announce action", 1, (action, payload) if action != 1 else action)
        _, leechers, seeders, peers = announce_fields(payload)
        return (seeders, leechers), [(ip, port, None) for ip, port in peers]

    def check_peers(self, torrent, requester, event, seeder, numwant, udp, peers):
        given = [endpoint(ip, port) for ip, port, _ in peers]
        self.expect("no duplicate peers", len(set(given)), len(given))
        if event == "stopped":
            return self.expect("peers given to a stopped peer", [], given)
        wants_nothing = seeder or event == "paused"
        wanted = RESPONSE_SIZE if numwant is None or numwant < 0 else min(numwant, MAX_GIVE)
        own = family(requester[0])
        for ip_family in (own, 6 if own == 4 else 4):  # the requester's family first
            eligible = torrent.eligible(requester, wants_nothing, ip_family)
            of_family = [e for e in given if family(e[0]) == ip_family]
            self.expect(f"IPv{ip_family} peers given that the model does not allow", [],
                        [e for e in of_family if e not in eligible], torrent)
            count = 0 if udp and ip_family != own else min(wanted, len(eligible))
            self.expect(f"how many IPv{ip_family} peers are given (numwant {numwant}, "
                        f"eligible {sorted(eligible)})", count, len(of_family), torrent)
            wanted -= count
        for ip, port, pid in peers:
            if pid is not None:
                self.expect(f"peer id of {ip}:{port}", torrent.peers[endpoint(ip, port)].pid,
                            pid)

    def describe(self, torrent):
        return {f"{ip}:{port}": ("seeder" if p.seeder else "partial" if p.partial else "leecher")
                + (" completed" if p.completed else "") for (ip, port), p in torrent.peers.items()}

    # --- scrapes

    def scrape_every_torrent(self, kind):
        frontend = self.frontends[self.rng.randrange(2)]
        if kind == "udp":
            return self.udp_scrape(frontend, self.rng.sample(self.hashes, len(self.hashes)))
        if kind == "full":
            files = cluster.scrape(frontend.port, timeout=CLIENT_TIMEOUT)
            self.expect("torrents a full scrape lists",
                        sorted(self.torrent_name(h) for h, t in self.model.torrents.items()
                               if t.exists()),
                        sorted(self.torrent_name(h) for h in files))
            return self.check_files(files, list(files), "full scrape")
        asked = self.rng.sample(self.hashes, len(self.hashes))
        files = cluster.scrape(frontend.port, asked, timeout=CLIENT_TIMEOUT)
        self.check_files(files, asked, "multi-hash scrape")

    def scrape_one(self):
        info_hash = self.rng.choice(self.hashes)
        frontend = self.frontends[self.rng.randrange(2)]
        files = cluster.scrape(frontend.port, [info_hash], timeout=CLIENT_TIMEOUT)
        self.check_files(files, [info_hash], "single-hash scrape")

    def check_files(self, files, hashes, kind):
        self.expect(f"torrents a {kind} answers", sorted(map(self.torrent_name, hashes)),
                    sorted(map(self.torrent_name, files)))
        for h in hashes:
            entry = files[h]
            torrent = self.model.torrents[h]
            self.expect(f"{kind} of {self.torrent_name(h)} (shard{torrent.shard}): complete, "
                        f"incomplete, downloaded, downloaders", torrent.counts(),
                        (entry[b"complete"], entry[b"incomplete"], entry[b"downloaded"],
                         entry[b"downloaders"]), torrent)

    def udp_scrape(self, frontend, hashes):
        client = UdpClient(frontend.udp_port, "127.0.0.1", CLIENT_TIMEOUT)
        try:
            client.connect()
            action, payload = client.scrape(hashes)
        finally:
            client.close()
        self.expect("UDP scrape action", 2, (action, payload) if action != 2 else action)
        for i, h in enumerate(hashes):
            seeders, completed, leechers = struct.unpack(">III", payload[12 * i:12 * i + 12])
            torrent = self.model.torrents[h]
            self.expect(f"UDP scrape of {self.torrent_name(h)} (shard{torrent.shard}): "
                        f"seeders, leechers, completed", torrent.counts()[:3],
                        (seeders, leechers, completed), torrent)


if __name__ == "__main__":
    unittest.main()
