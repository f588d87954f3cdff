"""shardtrack-node: a frontend and its shards in one process (node/main.cc). It serves torrents
of every shard over HTTP and UDP, keeps them across a restart and a kill -9, and its data
directory is a cluster's: shard processes started over it serve the same swarms."""

import hashlib
import os
import re
import resource
import signal
import socket
import subprocess
import time
import unittest

import cluster
from cluster import (Frontend, Node, ProcessTestCase, Shard, announce, free_port,
                     free_udp_port, hash_on_shard, metrics, peer_id, reply_peers, scrape)
from test_udp import UdpClient, announce_fields

SHARDS = 2


class NodeTest(ProcessTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = os.path.join(self.tmp, "data")
        self.env = cluster.clean_env()
        # One torrent on each shard, so both of the node's shards are exercised.
        self.torrents = [hash_on_shard(shard, SHARDS, f"node-{shard}") for shard in range(SHARDS)]

    def start_node(self, *args):
        return self.start(Node(SHARDS, self.data_dir, args, env=self.env))

    def seed_and_leech(self, port):
        """A seeder and a leecher on each torrent; the leecher's reply lists the seeder."""
        for number, torrent in enumerate(self.torrents):
            announce(port, torrent, peer_id(f"seed{number}"), 7000 + number, left=0,
                     event="started", compact=1)
            reply = announce(port, torrent, peer_id(f"leech{number}"), 8000 + number, left=10,
                             event="started", compact=1)
            self.assertIn(("127.0.0.1", 7000 + number), reply_peers(reply))

    def assertCounts(self, port, complete, incomplete, downloaded=0):
        files = scrape(port, self.torrents)
        for torrent in self.torrents:
            self.assertEqual(files[torrent][b"complete"], complete, torrent.hex())
            self.assertEqual(files[torrent][b"incomplete"], incomplete, torrent.hex())
            self.assertEqual(files[torrent][b"downloaded"], downloaded, torrent.hex())

    def test_serves_every_shard_and_keeps_its_swarms_across_restarts(self):
        node = self.start_node()
        self.seed_and_leech(node.port)
        self.assertCounts(node.port, 1, 1)
        samples = metrics(node.port)
        for shard in range(SHARDS):
            self.assertEqual(samples[f'shardtrack_torrents{{shard="{shard}"}}'], 1)
            self.assertEqual(samples[f'shardtrack_peers{{shard="{shard}"}}'], 2)

        self.assertEqual(node.stop(), 0, node.log_tail())
        node.start()
        self.assertCounts(node.port, 1, 1)

        # A completion written only to the journal survives kill -9.
        for number, torrent in enumerate(self.torrents):
            announce(node.port, torrent, peer_id(f"leech{number}"), 8000 + number, left=0,
                     event="completed", compact=1)
        node.kill(signal.SIGKILL)
        node.start()
        self.assertCounts(node.port, 2, 0, downloaded=1)

    def test_members_only_with_every_shard_accounting_into_one_directory(self):
        passkeys = os.path.join(self.tmp, "passkeys")
        with open(passkeys, "w") as f:
            f.write("node-member\n")
        node = self.start_node("--passkey-file", passkeys)
        for number, torrent in enumerate(self.torrents):
            for uploaded in (0, 1000 * (number + 1)):
                target = "/node-member" + cluster.announce_target(
                    torrent, peer_id(f"seed{number}"), 7000 + number, uploaded=uploaded, left=0)
                self.assertNotIn(b"failure reason", cluster.get(node.port, target).bencoded())
        self.assertIn(b"failure reason", cluster.get(node.port, cluster.announce_target(
            self.torrents[0], peer_id("outsider"), 7100)).bencoded())
        self.assertEqual(node.stop(), 0, node.log_tail())
        accounting = os.path.join(self.data_dir, "accounting")
        lines = {}
        names = sorted(os.listdir(accounting))
        self.assertIn("shard0-of-2.baselines", names)  # each shard's peers' counters, for its
        self.assertIn("shard1-of-2.baselines", names)  # restart
        for name in (n for n in names if n.endswith(".tsv")):
            self.assertRegex(name, r"^shard[01]-\d+-\d+\.tsv$")
            with open(os.path.join(accounting, name)) as f:
                lines[name[:6]] = f.read().splitlines()[1:]
        for shard, line in lines.items():  # one line each: the member on that shard's torrent
            self.assertEqual(len(line), 1, line)
            lines[shard] = line[0].split("\t")
            del lines[shard][5]  # seconds seeded: the second announce came within a second or so
        self.assertEqual(lines, {
            "shard0": ["node-member", self.torrents[0].hex(), "1000", "0", "0", "2"],
            "shard1": ["node-member", self.torrents[1].hex(), "2000", "0", "0", "2"]})

    def test_a_start_that_fails_after_its_shards_opened_keeps_their_saved_counters(self):
        passkeys = os.path.join(self.tmp, "passkeys")
        with open(passkeys, "w") as f:
            f.write("node-member\n")
        node = self.start_node("--passkey-file", passkeys)
        member_announce = lambda uploaded: cluster.get(node.port, "/node-member" + (
            cluster.announce_target(self.torrents[0], peer_id("seed0"), 7000, uploaded=uploaded,
                                    left=0))).bencoded()
        for uploaded in (0, 1000):
            self.assertNotIn(b"failure reason", member_announce(uploaded))
        self.assertEqual(node.stop(), 0, node.log_tail())
        accounting = os.path.join(self.data_dir, "accounting")
        baselines = os.path.join(accounting, "shard0-of-2.baselines")
        self.assertTrue(os.path.exists(baselines))

        # Shard 1 cannot load (its snapshot damaged), after shard 0 opened.
        snapshot = os.path.join(self.data_dir, f"shard-1-of-{SHARDS}.snapshot")
        with open(snapshot, "rb") as f:
            intact = f.read()
        with open(snapshot, "wb") as f:
            f.write(intact[:-3])
        result = subprocess.run(
            [cluster.binary("shardtrack-node"), "--bind", "127.0.0.1", "--port", "0",
             "--shards", str(SHARDS), "--data-dir", self.data_dir, "--passkey-file", passkeys],
            capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("accounting goes on from 1 peers' saved counters", result.stderr)
        self.assertIn("shard 1:", result.stderr)
        self.assertTrue(os.path.exists(baselines), result.stderr)
        with open(snapshot, "wb") as f:
            f.write(intact)

        node.start()  # the counters saved by the first stop: the next announce is credited
        self.assertNotIn(b"failure reason", member_announce(3000))
        self.assertEqual(node.stop(), 0, node.log_tail())
        uploaded = 0
        for name in (n for n in os.listdir(accounting) if re.match(r"shard0-.*\.tsv$", n)):
            with open(os.path.join(accounting, name)) as f:
                uploaded += sum(int(line.split("\t")[2]) for line in f.read().splitlines()[1:])
        self.assertEqual(uploaded, 3000)

    def test_a_port_taken_is_found_before_the_shards_load(self):
        node = self.start_node()
        self.seed_and_leech(node.port)
        self.assertEqual(node.stop(), 0, node.log_tail())
        snapshots = {name: os.stat(os.path.join(self.data_dir, name)).st_mtime_ns
                     for name in os.listdir(self.data_dir) if name.endswith(".snapshot")}
        for kind, flag in ((socket.SOCK_STREAM, "--port"), (socket.SOCK_DGRAM, "--udp-port")):
            with socket.socket(type=kind) as taken:
                taken.bind(("127.0.0.1", 0))
                if kind == socket.SOCK_STREAM:
                    taken.listen()
                port = str(taken.getsockname()[1])
                ports = [flag, port] if flag == "--port" else ["--port", "0", flag, port]
                result = subprocess.run(
                    [cluster.binary("shardtrack-node"), "--bind", "127.0.0.1", *ports, "--shards",
                     str(SHARDS), "--data-dir", self.data_dir],
                    capture_output=True, text=True, env=self.env, timeout=30)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn(flag + ":", result.stderr)
            self.assertNotIn("recovered", result.stderr)  # no shard loaded
        self.assertEqual(snapshots, {name: os.stat(os.path.join(self.data_dir, name)).st_mtime_ns
                                     for name in snapshots}, "no snapshot written again")

    def test_a_stop_waits_for_its_answers_to_leave(self):
        # Answers a slow reader has not taken yet are still sent after SIGTERM, not cut short;
        # a client that reads nothing holds the stop up only so long (twice the shard timeout
        # and 5 s).
        node = self.start_node("--drain-grace-ms", "0", "--max-output-bytes", str(16 << 20),
                               "--shard-timeout-ms", "200")
        requests = b"".join(
            cluster.announce_target(hashlib.sha1(b"drain %d" % n).digest(),
                                    peer_id(f"d{n}"), 6881, left=0).encode().join(
                [b"GET ", b" HTTP/1.1\r\nHost: x\r\n\r\n"]) for n in range(6000))
        with socket.create_connection(("127.0.0.1", node.port), timeout=30) as conn:
            conn.sendall(requests)
            received = b""
            while received.count(b"HTTP/1.1 200") < 6000:
                received += conn.recv(1 << 20)
        with socket.socket() as client, socket.socket() as idle:
            for conn in (client, idle):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                conn.connect(("127.0.0.1", node.port))
                conn.sendall(b"GET /scrape HTTP/1.1\r\nHost: x\r\n\r\n" * 20)  # 6 MB
            time.sleep(1.0)  # answered, and waiting for the clients to read
            node.popen.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            time.sleep(0.5)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # now it reads fast
            client.settimeout(20)
            received = b""
            while chunk := client.recv(1 << 20):
                received += chunk
            self.assertEqual(node.popen.wait(20), 0, node.log_tail())
            self.assertLess(time.monotonic() - stopping, 10)  # `idle` never read
        self.assertEqual(node.stop(), 0, node.log_tail())
        answers = received.split(b"HTTP/1.1 200 OK\r\n")[1:]
        self.assertEqual(len(answers), 20, node.log_tail())
        for answer in answers:
            head, _, body = answer.partition(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            self.assertEqual(len(body), length)

    def test_a_second_signal_stops_at_once_and_says_what_it_drops(self):
        grace = 10.0  # seconds: the drain the second signal cuts short
        node = self.start_node("--drain-grace-ms", str(int(grace * 1000)))
        node.popen.send_signal(signal.SIGTERM)
        self.assertTrue(node.logged("draining: /readyz fails now"), "the first signal not taken")
        signalled = time.monotonic()
        node.popen.send_signal(signal.SIGINT)
        try:
            node.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.fail(f"still running {grace} s after the second signal")
        took = time.monotonic() - signalled
        self.assertLess(took, 2.0, f"exited {took:.2f} s after the second signal")
        self.assertEqual(node.stop(), 0)  # joins its log's reader
        self.assertIn("again: stopping now, without the drain", node.log_tail())

    def test_its_data_directory_serves_a_cluster_of_as_many_shards(self):
        node = self.start_node()
        self.seed_and_leech(node.port)
        self.assertEqual(node.stop(), 0, node.log_tail())

        shards = [self.start(Shard(index, SHARDS, free_port(), self.data_dir, env=self.env))
                  for index in range(SHARDS)]
        frontend = self.start(Frontend(0, [s.endpoint for s in shards], env=self.env))
        self.assertCounts(frontend.port, 1, 1)

    def test_a_layout_that_cannot_start_whole_is_refused_before_any_shard_writes(self):
        node = self.start_node()
        self.seed_and_leech(node.port)
        self.assertEqual(node.stop(), 0, node.log_tail())
        aside = os.path.join(self.tmp, "aside")  # a copy that left shard 1 of 2 out
        os.makedirs(aside)
        for name in os.listdir(self.data_dir):
            if name.startswith(f"shard-1-of-{SHARDS}."):
                os.rename(os.path.join(self.data_dir, name), os.path.join(aside, name))
        before = sorted(os.listdir(self.data_dir))
        result = subprocess.run(
            [cluster.binary("shardtrack-node"), "--data-dir", self.data_dir, "--shards", "3",
             "--bind", "127.0.0.1", "--port", "0"],
            capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(f"no file of shard 1 of {SHARDS} is in", result.stderr)
        self.assertIn("so no shard of 3 starts and nothing is written", result.stderr)
        self.assertEqual(sorted(os.listdir(self.data_dir)), before)

    def test_udp_announces_reach_every_shard(self):
        node = self.start_node("--udp-port", str(free_udp_port()))
        udp_port = node.udp_port
        seeder, leecher = UdpClient(udp_port, "127.0.0.2"), UdpClient(udp_port, "127.0.0.3")
        self.addCleanup(seeder.close)
        self.addCleanup(leecher.close)
        seeder.connect()
        leecher.connect()
        for torrent in self.torrents:
            self.assertEqual(seeder.announce(torrent, peer_id("seeder"), 7001, left=0)[0], 1)
            action, payload = leecher.announce(torrent, peer_id("leecher"), 7002, left=10)
            self.assertEqual(action, 1, payload)
            _, leechers, seeders, peers = announce_fields(payload)
            self.assertEqual((leechers, seeders, peers), (1, 1, [("127.0.0.2", 7001)]))
        self.assertCounts(node.port, 1, 1)

    def test_a_log_reader_that_goes_away_does_not_stop_the_final_snapshots(self):
        # As with Ctrl-C on `scripts/run`, whose tee dies with the terminal's signal.
        node = subprocess.Popen(
            [cluster.binary("shardtrack-node"), "--bind", "127.0.0.1", "--port", "0",
             "--shards", str(SHARDS), "--data-dir", self.data_dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env)
        try:
            for line in node.stderr:
                if b"ready:" in line:
                    break
            node.stderr.close()
            node.terminate()
            self.assertEqual(node.wait(10), 0)
        finally:
            if node.poll() is None:
                node.kill()
                node.wait()
        files = os.listdir(self.data_dir)
        for shard in range(SHARDS):  # a final snapshot retires the first one to .prev
            self.assertIn(f"shard-{shard}-of-{SHARDS}.snapshot.prev", files)

    def run_refused(self, program, *args):
        """Runs `program` with settings it must refuse; returns its stderr."""
        result = subprocess.run([cluster.binary(program), "--data-dir", self.data_dir, *args],
                                capture_output=True, text=True, env=self.env, timeout=10)
        self.assertNotEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(self.data_dir) and os.listdir(self.data_dir))
        return result

    def test_refuses_a_shard_count_outside_1_to_256(self):
        for shards in ("0", "257"):
            result = self.run_refused("shardtrack-node", "--shards", shards)
            self.assertEqual(result.returncode, 2)
            self.assertIn(f"shardtrack-node: --shards must be 1 to 256 (each costs descriptors), "
                          f"not {shards}", result.stderr)

    def test_a_start_refused_is_said_even_with_logging_off(self):
        for level in ("critical", "off"):
            # Refused as it is read, before logging is set up, and at start, after.
            result = self.run_refused("shardtrack-node", "--log-level", level, "--shards", "0")
            self.assertEqual(result.returncode, 2)
            self.assertIn("--shards must be 1 to 256 (each costs descriptors), not 0",
                          result.stderr)
            result = self.run_refused("shardtrack-node", "--log-level", level,
                                      "--snapshot-cpus", "first")
            self.assertEqual(result.returncode, 2)
            self.assertIn("shard 0: --snapshot-cpus must be CPU numbers", result.stderr)

    def test_an_unknown_log_level_is_refused_naming_the_levels(self):
        result = self.run_refused("shardtrack-node", "--log-level", "loud")
        self.assertEqual(result.returncode, 2)
        self.assertIn("shardtrack-node: --log-level must be trace, debug, info, warn, error, "
                      "critical or off, not 'loud'", result.stderr)

    def test_one_port_for_http_and_metrics_is_refused_before_the_shards_load(self):
        port = str(cluster.free_port())
        result = self.run_refused("shardtrack-node", "--bind", "127.0.0.1", "--port", port,
                                  "--metrics-listen", "0.0.0.0:" + port)
        self.assertEqual(result.returncode, 2)  # a setting refused: a restart would not help
        self.assertIn(f"--metrics-listen 0.0.0.0:{port} takes the port of --port "
                      f"(127.0.0.1:{port}): give each its own port", result.stderr)
        self.assertNotIn("recovered", result.stderr)  # no shard loaded

    def test_peers_told_to_come_back_after_they_expire_are_warned_of(self):
        node = self.start_node("--peer-timeout", "600")
        self.assertTrue(node.logged("--peer-timeout 600 s is not over the longest interval "
                                    "clients are given (1890 s"), node.log_tail())
        self.assertEqual(node.stop(), 0)
        # The jitter (180 s by default) is cut to the interval: the longest given is 90 s here.
        node = self.start_node("--announce-interval", "60", "--min-interval", "30",
                               "--peer-timeout", "120")
        self.assertNotIn("is not over the longest interval", node.log())

    def test_refuses_a_batch_window_over_10_ms(self):
        result = self.run_refused("shardtrack-node", "--batch-window-us", "10001")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--batch-window-us must be 0 to 10000 (10 ms: a longer wait is felt), "
                      "not 10001", result.stderr)

    def test_refuses_a_request_burst_of_zero(self):
        result = self.run_refused("shardtrack-node", "--client-request-rate", "5",
                                  "--client-request-burst", "0")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--client-request-burst must be at least 1, not 0", result.stderr)

    def test_too_low_an_open_file_limit_is_refused_not_a_crash(self):
        # Below ~20 descriptors libzmq would abort the process; each refuses up front instead.
        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))

        for program, args, status, needed in (
                ("shardtrack-node", ("--port", "0"), 2, 76),
                ("shardtrack-shard", ("--listen", "tcp://127.0.0.1:0"), 2, 64),
                ("shardtrack-frontend", ("--port", "0", "--shard", "tcp://127.0.0.1:7000"), 2, 68)):
            data = ("--data-dir", self.data_dir) if program != "shardtrack-frontend" else ()
            result = subprocess.run([cluster.binary(program), *data, *args], capture_output=True,
                                    text=True, env=self.env, timeout=10, preexec_fn=low_limit)
            self.assertEqual(result.returncode, status, result.stderr)
            self.assertIn(f"the open-file limit is 32, below the {needed}", result.stderr)
            self.assertFalse(os.path.exists(self.data_dir) and os.listdir(self.data_dir))

    def test_a_frontend_counts_its_shards_descriptors_before_it_starts(self):
        # 80 shard sockets need some 160 descriptors beside the listener: with 100 the frontend
        # used to fail at its listener, blaming the port.
        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))

        shards = [arg for port in range(7000, 7080) for arg in ("--shard", f"tcp://127.0.0.1:{port}")]
        result = subprocess.run([cluster.binary("shardtrack-frontend"), "--port", "0", *shards],
                                capture_output=True, text=True, env=self.env, timeout=10,
                                preexec_fn=low_limit)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("the open-file limit is 100, below the 384 this process needs: raise it "
                      "(ulimit -n, LimitNOFILE=) for 80 shards", result.stderr)
        self.assertNotIn("another tracker", result.stderr)

    def test_a_node_makes_room_for_its_shards_descriptors_beside_max_connections(self):
        # 256 shards hold some 1,800 descriptors: a limit raised to --max-connections and the
        # frontend's own left about 300 connections, with no warning.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < 4000:
            self.skipTest(f"the hard open-file limit, {hard}, leaves no room to raise")
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # the node inherits it
        try:
            node = self.start(Node(256, os.path.join(self.data_dir, "many"),
                                   ("--max-connections", "1000"), env=self.env))
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        with open(f"/proc/{node.popen.pid}/limits") as f:
            soft = int(next(l for l in f if l.startswith("Max open files")).split()[3])
        self.assertGreaterEqual(soft, 1000 + 256 * 7 + 64)
        self.assertNotIn("below --max-connections", node.log())
        # Each of 256 shards syncs its final snapshot in turn: ~20 ms each on a busy machine.
        self.assertEqual(node.stop(timeout=60), 0, node.log_tail())

    def test_a_frontend_starts_with_more_shards_than_libzmqs_default_socket_cap(self):
        # libzmq allows 1023 sockets a context unless told otherwise ("Too many open files").
        endpoints = [f"tcp://127.0.0.1:{port}" for port in range(20000, 21100)]
        frontend = self.start(Frontend(0, endpoints, ("--max-connections", "100"), env=self.env))
        self.assertIn("for 1100 shards (/readyz: whether they answer)", frontend.log())
        self.assertEqual(frontend.stop(), 0, frontend.log_tail())

    def test_a_shard_endpoint_zeromq_cannot_use_is_refused_not_a_crash(self):
        result = subprocess.run([cluster.binary("shardtrack-frontend"), "--port", "0", "--shard",
                                 "tcp://127.0.0.1:7000", "--shard", "localhost-7001"],
                                capture_output=True, text=True, env=self.env, timeout=10)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--shard must be a ZeroMQ endpoint: tcp://HOST:PORT with a port from 1 to "
                      "65535", result.stderr)
        self.assertIn("not 'localhost-7001'", result.stderr)
        for args, said in ((["--shard", "tcp://::1:7000"],
                            "--shard: an IPv6 address goes in brackets"),
                           (["--shard", "tcp://127.0.0.1:7000", "--shard", "tcp://127.0.0.1:7001",
                             "--shard", "tcp://127.0.0.1:7000"],
                            "--shard tcp://127.0.0.1:7000 is listed twice, as shard 0 and "
                            "shard 2"),
                           (["--shard", "tcp://127.0.0.1:7000", "--bind", "localhost"],
                            "--bind must be an IPv4 or IPv6 address literal")):
            result = subprocess.run(
                [cluster.binary("shardtrack-frontend"), "--port", "0", *args],
                capture_output=True, text=True, env=self.env, timeout=10)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(said, result.stderr)

    def test_bad_shard_settings_are_refused_before_any_file_is_written(self):
        result = self.run_refused("shardtrack-node", "--on-corrupt", "ignore")
        self.assertEqual(result.returncode, 2)
        self.assertIn("shardtrack-node: --on-corrupt must be refuse or quarantine, not 'ignore'",
                      result.stderr)
        result = self.run_refused("shardtrack-shard", "--index", "2", "--count", "2")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--index 2 must be below --count 2", result.stderr)
        result = self.run_refused("shardtrack-shard", "--expire-slice", "0")
        self.assertIn("--expire-slice must be at least 1, not 0", result.stderr)
        result = self.run_refused("shardtrack-shard", "--count", "0")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--count must be 1 to 65536 (a frontend holds a socket to each), not 0",
                      result.stderr)
        result = self.run_refused("shardtrack-node", "--count", "2")
        self.assertEqual(result.returncode, 2)
        self.assertIn("shardtrack-node: --count is not an option here (its shards are its own, "
                      "in this process: give --shards N)", result.stderr)
        result = self.run_refused("shardtrack-node", "--shard", "tcp://127.0.0.1:7000")
        self.assertEqual(result.returncode, 2)  # a frontend's own, found from its settings
        self.assertIn("--shard is not an option here (its frontend asks its own shards, inside "
                      "the process)", result.stderr)
        result = self.run_refused("shardtrack-shard", "--accounting-interval", "0")
        self.assertIn("--accounting-interval must be 1 to 315360000 (ten years), not 0",
                      result.stderr)
        result = self.run_refused("shardtrack-shard", "--save-dfile-interval", "9300000000")
        self.assertIn("--save-dfile-interval must be 1 to 315360000 (ten years), not 9300000000",
                      result.stderr)


if __name__ == "__main__":
    unittest.main()
