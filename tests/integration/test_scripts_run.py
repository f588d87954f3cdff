"""scripts/run, the quick start's first command, as a newcomer runs it: from another directory,
in a terminal. Closing the terminal stops every process it started, as Ctrl-C does; bad options
are refused before anything is built or started.
"""

import fcntl
import os
import select
import shutil
import signal
import subprocess
import tempfile
import termios
import time
import unittest

import cluster

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN = os.path.join(REPO, "scripts", "run")
READY_DEADLINE = 120  # seconds: install-deps and a build that is up to date, then four starts


def processes_naming(text):
    """Pids of the processes whose command line contains `text`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def kill_processes_naming(text):
    """SIGKILL to each process processes_naming(text) finds; one gone since is no error."""
    for pid in processes_naming(text):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class ScriptsRunTest(cluster.LoggedTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="shardtrack-run-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.output = b""

    def logs(self):
        return self.output.decode(errors="replace")[-3000:]

    def start_in_a_terminal(self, *args):
        """scripts/run typed into an interactive bash whose controlling terminal is a pty of its
        own, as in a terminal window: closing the window hangs up the shell, which passes the
        hang-up on to the whole job (the script and its log tees)."""
        master, slave = os.openpty()

        def own_terminal():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        shell = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], stdin=slave,
                                 stdout=slave, stderr=slave, preexec_fn=own_terminal,
                                 cwd=self.tmp, env=cluster.clean_env())
        os.close(slave)
        self.addCleanup(lambda: shell.poll() is None and shell.kill())
        os.write(master, (" ".join([RUN, *args]) + "\n").encode())
        end = time.monotonic() + READY_DEADLINE
        while b"Ctrl-C stops the cluster." not in self.output:
            self.assertIsNone(shell.poll(), "the shell exited before scripts/run was ready")
            self.assertLess(time.monotonic(), end, "scripts/run was not ready in time")
            if select.select([master], [], [], 1)[0]:
                self.output += os.read(master, 65536)
        return shell, master

    def test_closing_its_terminal_stops_every_process_it_started(self):
        port, shard_port = cluster.free_port(), cluster.free_port()
        shell, terminal = self.start_in_a_terminal(
            "--port", str(port), "--shard-base-port", str(shard_port), "--bind", "::",
            "--data-dir", "data")  # relative: from where it is run
        data_dir = os.path.join(self.tmp, "data")
        self.addCleanup(kill_processes_naming, data_dir)
        printed = self.output.decode()
        self.assertIn(f"announce URL: http://[::1]:{port}/announce", printed)
        self.assertIn("use this host's name", printed)
        self.assertIn(f"data in {data_dir}", printed)
        reply = cluster.announce(port, cluster.hash_on_shard(0, 2, "run"), cluster.peer_id("run"),
                                 6881, left=1)  # over IPv4, to a frontend bound to ::
        self.assertNotIn(b"failure reason", reply)
        servers = [pid for pid in processes_naming(data_dir)
                   if b"bin/shardtrack-" in open(f"/proc/{pid}/cmdline", "rb").read()]
        self.assertEqual(len(servers), 3)  # 2 shards and a frontend, beside their log tees
        self.assertIn(f"shard metrics: http://127.0.0.1:{shard_port + 2}/metrics", printed)
        self.assertIn("shardtrack_peers", cluster.get(shard_port + 2, "/metrics").body.decode())
        self.assertIn(f"metrics:      http://[::1]:{port}/metrics", printed)

        # A second run over the same data fails, and leaves the running cluster's logs whole.
        second = subprocess.run([RUN, "--port", str(cluster.free_port()), "--shard-base-port",
                                 str(shard_port), "--data-dir", "data"], capture_output=True,
                                text=True, cwd=self.tmp, env=cluster.clean_env(), timeout=120)
        self.assertEqual(second.returncode, 1, second.stderr)
        self.assertIn("shard-0 exited", second.stderr)
        with open(os.path.join(data_dir, "logs", "shard-0.log")) as f:
            self.assertIn(f"ready: shard 0/2 listening on tcp://127.0.0.1:{shard_port}", f.read())
        # Nor does one of several frontends on its port, with shards and data of its own: they
        # would share the port (SO_REUSEPORT) and split the clients between two clusters.
        beside = subprocess.run([RUN, "--port", str(port), "--frontends", "2", "--data-dir",
                                 "other", "--shard-base-port", str(cluster.free_port())],
                                capture_output=True, text=True, cwd=self.tmp,
                                env=cluster.clean_env(), timeout=120)
        self.assertEqual(beside.returncode, 1, beside.stderr)
        self.assertIn(f"port {port} is in use", beside.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "other")))

        os.close(terminal)  # the window closes: the shell gets SIGHUP and passes it on
        shell.wait(timeout=30)
        end = time.monotonic() + 15
        while processes_naming(data_dir):
            self.assertLess(time.monotonic(), end, f"left running: {processes_naming(data_dir)}")
            time.sleep(0.1)
        for log in ("shard-0.log", "frontend-0.log"):  # their tees outlived the hang-up
            with open(os.path.join(data_dir, "logs", log)) as f:
                self.assertIn("stopped", f.read(), log)

    def test_several_frontends_each_serve_their_metrics_on_a_port_of_their_own(self):
        # On the port they share, the kernel picks one per connection: a scrape of it would see
        # one frontend's counts one time and another's the next.
        port, shard_port = cluster.free_port(), cluster.free_port()
        shell, terminal = self.start_in_a_terminal(
            "--port", str(port), "--shard-base-port", str(shard_port), "--frontends", "2",
            "--data-dir", "data")
        data_dir = os.path.join(self.tmp, "data")
        self.addCleanup(kill_processes_naming, data_dir)
        self.addCleanup(os.close, terminal)
        first = shard_port + 4  # after 2 shards' ports and their metrics ports
        self.assertRegex(self.output.decode(), rf"frontend metrics: http://127\.0\.0\.1:{first}"
                                               rf"/metrics \.\. +http://127\.0\.0\.1:{first + 1}/")
        for n in range(10):
            reply = cluster.announce(port, cluster.hash_on_shard(0, 2, f"run/{n}"),
                                     cluster.peer_id(f"run/{n}"), 6881, left=1)
            self.assertNotIn(b"failure reason", reply)
        key = 'shardtrack_http_requests_total{route="announce",outcome="ok"}'
        counts = [cluster.metrics(first + i).get(key, 0) for i in range(2)]
        self.assertEqual(sum(counts), 10, counts)

    def test_bad_options_are_refused_before_anything_starts(self):
        for args, said in ((["--port"], "--port needs a value"),
                           (["--shards", "abc"], "--shards takes a positive number, not 'abc'"),
                           (["--frontends", "0"], "--frontends takes a positive number"),
                           (["--data-dir"], "--data-dir needs a value"),
                           (["--bind", "--node"], "--bind needs a value")):
            done = subprocess.run([RUN, *args], capture_output=True, text=True, cwd=self.tmp,
                                  timeout=30)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(said, done.stderr)
            self.assertIn("usage: scripts/run", done.stderr)
            self.assertNotIn("building", done.stderr)


if __name__ == "__main__":
    unittest.main()
