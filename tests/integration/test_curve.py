"""CURVE between frontends and shards (--curve-secret-file, --frontend-keys-file,
--shard-public-key-file), as across machines: keys made by shardtrack-curve-keys, 2 shards that
admit one frontend's key, that frontend served by both, and a frontend with another key, or
with none, refused by the shards' handshake (its clients get a failure reason with `retry in`).
"""

import os
import resource
import shutil
import signal
import subprocess
import time
import unittest

import cluster
from cluster import announce, peer_id

WAIT = 15.0  # seconds a frontend may take to connect and answer


def make_keys(directory, name):
    result = subprocess.run([cluster.binary("shardtrack-curve-keys"), os.path.join(directory, name)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return os.path.join(directory, name)


def served_announce(port, info_hash, label):
    """An announce, polled while the frontend connects until it is served (within WAIT)."""
    return cluster.served_announce(port, info_hash, peer_id(label), 7000, left=5, deadline=WAIT)


class CurveTest(cluster.ProcessTestCase):
    def setUp(self):
        super().setUp()
        self.env = cluster.clean_env()
        self.dir = self.tmp
        self.shard_keys = make_keys(self.dir, "shards")
        self.admitted = make_keys(self.dir, "frontend-a")
        self.stranger = make_keys(self.dir, "frontend-b")
        self.frontend_list = os.path.join(self.dir, "frontends")
        with open(self.admitted + ".public") as key, open(self.frontend_list, "w") as out:
            out.write("# frontends that may connect\n" + key.read().strip() + "  frontend-a\n")
        self.shards = [self.start(cluster.Shard(
            index, 2, cluster.free_port(), os.path.join(self.dir, f"data{index}"),
            ["--curve-secret-file", self.shard_keys + ".secret", "--frontend-keys-file",
             self.frontend_list, "--frontend-keys-interval", str(3600 if index == 0 else 1),
             "--metrics-listen", "127.0.0.1:0"], self.env))
            for index in range(2)]

    def frontend(self, number, *curve_args):
        return self.start(cluster.Frontend(
            number, [s.endpoint for s in self.shards], ["--shard-timeout-ms", "300", *curve_args],
            self.env))

    def curve_args(self, keys):
        return ["--curve-secret-file", keys + ".secret",
                "--shard-public-key-file", self.shard_keys + ".public"]

    def handshakes(self, result):
        return sum(cluster.metrics(s.metrics_port())[
            f'shardtrack_curve_handshakes_total{{shard="{s.index}",result="{result}"}}']
            for s in self.shards)

    def test_an_admitted_frontend_is_served_by_every_shard(self):
        port = self.frontend(0, *self.curve_args(self.admitted)).port
        for shard in range(2):
            info_hash = cluster.hash_on_shard(shard, 2, f"curve/{shard}")
            served_announce(port, info_hash, f"curve/{shard}")
        self.assertEqual(self.handshakes("admitted"), 2)
        self.assertEqual(self.handshakes("refused"), 0)
        self.assertEqual(self.handshakes("failed"), 0)

    def test_a_frontend_with_another_key_or_none_is_refused(self):
        for number, args in ((1, self.curve_args(self.stranger)), (2, [])):
            port = self.frontend(number, *args).port
            reply = announce(port, cluster.hash_on_shard(0, 2, "stranger"), peer_id("stranger"),
                             7001, left=5)
            self.assertIn(b"failure reason", reply)
            self.assertEqual(reply[b"retry in"], 1)
        deadline = time.monotonic() + WAIT
        # The stranger's key is refused by each shard; the plain frontend fails before any key.
        while self.handshakes("refused") < 2 or self.handshakes("failed") < 2:
            self.assertLess(time.monotonic(), deadline, "the failed handshakes not counted")
            time.sleep(0.1)
        self.assertEqual(self.handshakes("admitted"), 0)
        self.assertIn("is not in --frontend-keys-file", self.shards[0].log())
        self.assertIn("failed its CURVE handshake before showing a key", self.shards[0].log())

    def test_a_frontend_with_keys_meeting_a_shard_without_them_is_told_where_to_look(self):
        plain = self.start(cluster.Shard(0, 1, cluster.free_port(), os.path.join(self.dir, "p"),
                                         env=self.env))
        frontend = self.start(cluster.Frontend(
            3, [plain.endpoint], ["--shard-timeout-ms", "300", *self.curve_args(self.admitted)],
            self.env))
        reply = announce(frontend.port, cluster.hash_on_shard(0, 1, "plain"), peer_id("plain"),
                         7003, left=5)
        self.assertEqual(reply[b"retry in"], 1, reply)
        self.assertTrue(frontend.logged("may run without --curve-secret-file"))

    def test_a_frontend_whose_key_is_added_is_admitted_without_a_restart(self):
        port = self.frontend(1, *self.curve_args(self.stranger)).port
        hashes = [cluster.hash_on_shard(shard, 2, f"joins/{shard}") for shard in range(2)]
        self.assertIn(b"failure reason", announce(port, hashes[0], peer_id("joins"), 7002, left=5))
        with open(self.admitted + ".public") as a, open(self.stranger + ".public") as b:
            keys = a.read().strip() + "\n" + b.read().strip() + "  frontend-b, added\n"
        with open(self.frontend_list + ".new", "w") as f:
            f.write(keys)
        os.replace(self.frontend_list + ".new", self.frontend_list)
        # Shard 0 checks the file hourly: SIGHUP; shard 1 finds the change within a second.
        self.shards[0].popen.send_signal(signal.SIGHUP)
        for shard, info_hash in enumerate(hashes):
            served_announce(port, info_hash, f"joins/{shard}")
        for shard in self.shards:
            samples = cluster.metrics(shard.metrics_port())
            self.assertEqual(samples[f'shardtrack_frontend_keys{{shard="{shard.index}"}}'], 2)
            self.assertEqual(samples['shardtrack_frontend_keys_reloads_total'
                                     f'{{shard="{shard.index}",result="ok"}}'], 1)

    def test_a_frontend_whose_key_is_taken_off_is_cut_off_at_once(self):
        port = self.frontend(0, *self.curve_args(self.admitted)).port
        hashes = [cluster.hash_on_shard(shard, 2, f"revoked/{shard}") for shard in range(2)]
        for shard, info_hash in enumerate(hashes):
            served_announce(port, info_hash, f"r/{shard}")
        with open(self.stranger + ".public") as b, open(self.frontend_list + ".new", "w") as f:
            f.write(b.read().strip() + "  frontend-b replaces frontend-a\n")
        os.replace(self.frontend_list + ".new", self.frontend_list)
        self.shards[0].popen.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WAIT
        # Its connections stay open (ZeroMQ cannot close one), but nothing it sends is applied.
        for shard in self.shards:
            while self.reload_samples(shard, "ok") < 1:
                self.assertLess(time.monotonic(), deadline, "the keys file not reloaded")
                time.sleep(0.1)
        for shard, info_hash in enumerate(hashes):
            reply = announce(port, info_hash, peer_id(f"late/{shard}"), 7003, left=5)
            self.assertIn(b"failure reason", reply, shard)
            self.assertEqual(reply[b"retry in"], 1)
            samples = cluster.metrics(self.shards[shard].metrics_port())
            self.assertEqual(samples[f'shardtrack_revoked_requests_total{{shard="{shard}"}}'], 1)
            self.assertEqual(samples[f'shardtrack_peers{{shard="{shard}"}}'], 1)
        self.assertTrue(self.shards[0].logged("was taken off --frontend-keys-file after it "
                                              "connected"))

    def reload_samples(self, shard, result):
        return cluster.metrics(shard.metrics_port())[
            f'shardtrack_frontend_keys_reloads_total{{shard="{shard.index}",result="{result}"}}']

    def test_a_malformed_keys_file_keeps_the_keys_in_force(self):
        # The stranger's key comes before the bad line: a file is used whole or not at all.
        with open(self.stranger + ".public") as key, open(self.frontend_list + ".new", "w") as f:
            f.write(key.read().strip() + "  frontend-b\nnot-a-key\n")
        os.replace(self.frontend_list + ".new", self.frontend_list)
        # Shard 0 checks the file hourly: SIGHUP; shard 1 finds the change within a second.
        self.shards[0].popen.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WAIT
        while any(self.reload_samples(s, "failed") < 1 for s in self.shards):
            self.assertLess(time.monotonic(), deadline, "the failed reloads not counted")
            time.sleep(0.1)
        port = self.frontend(0, *self.curve_args(self.admitted)).port
        for shard in range(2):
            served_announce(port, cluster.hash_on_shard(shard, 2, f"kept/{shard}"), f"kept/{shard}")
        port = self.frontend(1, *self.curve_args(self.stranger)).port
        self.assertIn(b"failure reason", announce(port, cluster.hash_on_shard(0, 2, "kept"),
                                                  peer_id("kept"), 7003, left=5))
        for shard in self.shards:
            self.assertEqual(self.reload_samples(shard, "failed"), 1, shard.index)
            self.assertEqual(self.reload_samples(shard, "ok"), 0, shard.index)
            samples = cluster.metrics(shard.metrics_port())
            self.assertEqual(samples[f'shardtrack_frontend_keys{{shard="{shard.index}"}}'], 1)
            self.assertIn("frontend keys file not reloaded, the previous one (1 keys) stays in "
                          f'force: {self.frontend_list}: line 2 "not-a-key": a CURVE key is 64 '
                          "hex digits", shard.log())

    def test_half_a_curve_setting_or_a_bad_key_file_stops_the_process_at_start(self):
        shard = subprocess.run(
            [cluster.binary("shardtrack-shard"), "--data-dir", os.path.join(self.dir, "x"),
             "--listen", f"tcp://127.0.0.1:{cluster.free_port()}",
             "--curve-secret-file", self.shard_keys + ".secret"],
            capture_output=True, text=True, timeout=30, env=self.env)
        self.assertEqual(shard.returncode, 2, shard.stderr)  # settings refused, as a frontend's
        self.assertIn("--curve-secret-file and --frontend-keys-file go together", shard.stderr)
        shard = subprocess.run(
            [cluster.binary("shardtrack-shard"), "--data-dir", os.path.join(self.dir, "y"),
             "--listen", f"tcp://127.0.0.1:{cluster.free_port()}",
             "--curve-secret-file", self.shard_keys + ".secret",
             "--frontend-keys-file", self.frontend_list, "--frontend-keys-interval", "0"],
            capture_output=True, text=True, timeout=30, env=self.env)
        self.assertEqual(shard.returncode, 2, shard.stderr)
        self.assertIn("--frontend-keys-interval must be at least 1, not 0", shard.stderr)
        junk = os.path.join(self.dir, "junk")
        with open(junk, "w") as f:
            f.write("not a key\n")
        for args, mentions in (
                (["--curve-secret-file", self.admitted + ".secret"],
                 "--curve-secret-file and --shard-public-key-file go together"),
                (["--curve-secret-file", self.admitted + ".secret",
                  "--shard-public-key-file", junk],
                 f"--shard-public-key-file: {junk}: line 1")):
            frontend = subprocess.run(
                [cluster.binary("shardtrack-frontend"), "--port", "0", "--shard",
                 self.shards[0].endpoint, *args],
                capture_output=True, text=True, timeout=30, env=self.env)
            self.assertEqual(frontend.returncode, 2, frontend.stderr)
            self.assertIn(mentions, frontend.stderr)

    def test_a_secret_key_file_others_may_read_is_warned_of(self):
        shared = os.path.join(self.dir, "shared.secret")
        shutil.copy(self.admitted + ".secret", shared)
        os.chmod(shared, 0o644)
        frontend = self.start(cluster.Frontend(
            0, [s.endpoint for s in self.shards],
            ["--curve-secret-file", shared, "--shard-public-key-file",
             self.shard_keys + ".public"], self.env))
        self.assertTrue(frontend.logged(
            f"--curve-secret-file: {shared} may be read by any user of this machine (mode 644)"))
        self.assertNotIn("may be read by any user", self.shards[0].log())  # its file is 600

    def test_the_key_tool_never_replaces_a_file(self):
        result = subprocess.run([cluster.binary("shardtrack-curve-keys"), self.shard_keys],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("File exists", result.stderr)
        self.assertEqual(os.stat(self.shard_keys + ".secret").st_mode & 0o777, 0o600)
        for kind in ("secret", "public"):  # each key marked with its kind, as its note
            with open(f"{self.shard_keys}.{kind}") as key:
                self.assertRegex(key.read(), f"^[0-9a-f]{{64}} {kind}\n$")

    def test_the_key_tool_leaves_no_half_pair_and_helps_on_stdout(self):
        name = os.path.join(self.dir, "half")
        open(name + ".public", "w").close()
        tool = cluster.binary("shardtrack-curve-keys")
        result = subprocess.run([tool, name], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"cannot create {name}.public: File exists", result.stderr)
        self.assertFalse(os.path.exists(name + ".secret"), "a secret with no public half left")
        os.remove(name + ".public")
        self.assertEqual(subprocess.run([tool, name], capture_output=True, timeout=30).returncode, 0)
        for argv, code, out in (([tool, "--help"], 0, "stdout"), ([tool], 2, "stderr")):
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, code)
            self.assertIn("usage: shardtrack-curve-keys NAME", getattr(result, out))

    def test_the_key_tool_removes_a_file_it_could_not_write_and_refuses_a_directory(self):
        name = os.path.join(self.dir, "full")
        tool = cluster.binary("shardtrack-curve-keys")

        def no_file_may_grow():  # writes then fail with EFBIG, as on a full disk
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

        result = subprocess.run([tool, name], capture_output=True, text=True, timeout=30,
                                preexec_fn=no_file_may_grow)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"cannot write {name}.secret: File too large", result.stderr)
        self.assertFalse(os.path.exists(name + ".secret"), "an empty secret left behind")
        self.assertEqual(subprocess.run([tool, name], capture_output=True, timeout=30).returncode, 0)

        for name in (self.dir + "/", self.dir + "/.", ""):
            result = subprocess.run([tool, name], capture_output=True, text=True, timeout=30,
                                    cwd=self.dir)
            self.assertEqual(result.returncode, 2, name)
            self.assertIn("names a directory", result.stderr)
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith(".")], [])


if __name__ == "__main__":
    unittest.main()
