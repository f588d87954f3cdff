"""deploy/systemd: the unit files pass `systemd-analyze verify`, name only settings the binaries
have, and configure a node through the environment alone, the way systemd starts it."""

import glob
import os
import re
import socket
import subprocess
import unittest

import cluster
from cluster import Process, announce, free_port, peer_id

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMD_DIR = os.path.join(HERE, "..", "..", "deploy", "systemd")
UNITS = sorted(glob.glob(os.path.join(SYSTEMD_DIR, "*.service")))
ENV_FILE = os.path.join(SYSTEMD_DIR, "shardtrack.env")


def unit_environment(path):
    """{name: value} of a unit's Environment= lines."""
    with open(path) as f:
        return dict(re.findall(r"^Environment=(SHARDTRACK_\w+)=(.*)$", f.read(), re.M))


def program_of(path):
    """The shardtrack binary a unit starts (directly or through /bin/sh)."""
    with open(path) as f:
        return re.search(r"^ExecStart=.*?/usr/local/bin/(shardtrack-[a-z]+)", f.read(),
                         re.M).group(1)


def flag_names(program):
    """The options a binary has: the first column of its --help-markdown table (not every --word
    of its help, whose descriptions name other programs' options too)."""
    out = subprocess.run([cluster.binary(program), "--help-markdown"], capture_output=True,
                         text=True, timeout=10, check=True)
    return set(re.findall(r"^\| `--([a-z0-9-]+)` \|", out.stdout, re.M))


def variable_to_flag(name):
    return name[len("SHARDTRACK_"):].lower().replace("_", "-")


class SystemdUnitTest(cluster.ProcessTestCase):
    def test_units_pass_systemd_analyze_verify(self):
        self.assertTrue(UNITS)
        for unit in UNITS:
            with open(unit) as f:
                text = f.read()
            # verify checks that ExecStart's binary exists: point it at this build's.
            local = os.path.join(self.tmp, os.path.basename(unit))
            with open(local, "w") as f:
                f.write(text.replace("/usr/local/bin/", cluster.bin_dir() + "/"))
            result = subprocess.run(["systemd-analyze", "verify", local], capture_output=True,
                                    text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertNotIn(os.path.basename(unit), result.stderr, result.stderr)

    def test_every_variable_names_a_setting_of_its_program(self):
        programs = {program_of(unit) for unit in UNITS}
        flags = {program: flag_names(program) for program in programs}
        for unit in UNITS:
            for name in unit_environment(unit):
                self.assertIn(variable_to_flag(name), flags[program_of(unit)], (unit, name))
        with open(ENV_FILE) as f:
            examples = re.findall(r"^#?(SHARDTRACK_\w+)=", f.read(), re.M)
        self.assertTrue(examples)
        for name in examples:
            self.assertTrue(any(variable_to_flag(name) in names for names in flags.values()),
                            name)

    def test_shard_i_listens_on_port_7000_plus_i(self):
        with open(os.path.join(SYSTEMD_DIR, "shardtrack-shard@.service")) as f:
            text = f.read().replace("\\\n", " ")
        command = re.search(r"^ExecStart=/bin/sh -c '(.*)'$", text, re.M).group(1)
        for instance in ("0", "12"):
            # systemd's rendering: %i is the instance, $$ a dollar; echo stands in for the binary.
            rendered = command.replace("%i", instance).replace("$$", "$").replace(
                "exec /usr/local/bin/shardtrack-shard", "echo")
            out = subprocess.run(["/bin/sh", "-c", rendered], capture_output=True, text=True,
                                 timeout=10).stdout.split()
            i = int(instance)
            self.assertEqual(out, ["--index", instance, "--listen", f"tcp://127.0.0.1:{7000 + i}",
                                   "--metrics-listen", f"127.0.0.1:{9100 + i}"])

    def test_the_node_unit_configures_a_node_through_the_environment_alone(self):
        unit = os.path.join(SYSTEMD_DIR, "shardtrack-node.service")
        env = cluster.clean_env(unit_environment(unit))
        port = free_port()
        self.assertEqual(env["SHARDTRACK_METRICS_LISTEN"], "127.0.0.1:9099")
        env.update({"SHARDTRACK_BIND": "127.0.0.1", "SHARDTRACK_PORT": str(port),
                    "SHARDTRACK_UDP_PORT": "0", "SHARDTRACK_DATA_DIR": self.tmp,
                    "SHARDTRACK_METRICS_LISTEN": "127.0.0.1:0"})
        node = self.start(Process("node", [cluster.binary("shardtrack-node")],
                                  r"ready: frontend listening on http://127\.0\.0\.1:(\d+)",
                                  env=env))
        self.assertEqual(int(node.ready_match.group(1)), port)
        info_hash = cluster.hash_on_shard(0, 1, "systemd")
        reply = announce(port, info_hash, peer_id("systemd"), 6881, left=0, event="started")
        self.assertEqual(reply[b"complete"], 1)
        # The metrics are on loopback only, not on the tracker's port.
        self.assertEqual(cluster.get(port, "/metrics").status, 404)
        samples = cluster.metrics(node.metrics_port())
        self.assertEqual(samples['shardtrack_http_requests_total{route="announce",outcome="ok"}'],
                         1)
        self.assertIn('shardtrack_peers{shard="0"}', samples)
        self.assertEqual(node.stop(), 0)
        self.assertIn("shard-0-of-1.snapshot", os.listdir(self.tmp))

    def test_settings_refused_exit_2_which_no_unit_restarts_and_a_port_in_use_1(self):
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        in_use = f"127.0.0.1:{taken.getsockname()[1]}"
        data = ["--data-dir", os.path.join(self.tmp, "data")]
        shard = ["shardtrack-shard", "--listen", f"tcp://127.0.0.1:{free_port()}", *data]
        frontend = ["shardtrack-frontend", "--port", "0", "--shard", "tcp://127.0.0.1:7999"]
        node = ["shardtrack-node", "--port", "0", *data]
        for argv, code, said in (
                (shard + ["--on-corrupt", "mend"], 2, "--on-corrupt must be refuse or"),
                (shard + ["--metrics-listen", "localhost:9100"], 2, "--metrics-listen: "),
                (["shardtrack-shard", "--listen", "tcp://localhost:7999", *data], 2,
                 "--listen: localhost is neither an IP address nor a network interface"),
                (shard + ["--data-dir", ""], 2, "--data-dir must name a directory"),
                (shard + ["--metrics-listen", in_use], 1, f"--metrics-listen: bind {in_use}"),
                (frontend + ["--metrics-listen", "localhost:9100"], 2, "--metrics-listen: "),
                (frontend + ["--metrics-listen", in_use], 1, f"--metrics-listen: bind {in_use}"),
                (node + ["--on-corrupt", "mend"], 2, "--on-corrupt must be refuse or"),
                (node + ["--metrics-listen", in_use], 1, f"--metrics-listen: bind {in_use}")):
            result = subprocess.run([cluster.binary(argv[0]), *argv[1:]], capture_output=True,
                                    text=True, timeout=30, env=cluster.clean_env())
            self.assertEqual(result.returncode, code, (argv, result.stderr))
            self.assertIn(said, result.stderr, argv)
        for unit in UNITS:  # and 3, a shard whose volume went (test_persistence), if it has one
            statuses = "2" if program_of(unit) == "shardtrack-frontend" else "2 3"
            with open(unit) as f:
                self.assertIn(f"\nRestartPreventExitStatus={statuses}\n", f.read(), unit)


if __name__ == "__main__":
    unittest.main()
