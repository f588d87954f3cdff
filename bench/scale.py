#!/usr/bin/python3
"""Scale run: one shard and one frontend filled with many peers, then snapshots and restarts.

Steps, all against real processes on loopback (servers pinned to --server-cpu, the load
generator to --loadgen-cpu, as bench/compare does):
  1. start the shard (no periodic snapshot) and the frontend; RSS empty;
  2. populate P peers over T torrents (shardtrack-loadgen --mode populate); time, rate, RSS,
     bytes per peer; the shard's torrent and peer counts;
  3. a paced keep-alive announce load (--rate, --duration) without snapshots: latency;
  4. kill -9 the shard (every change since start is in the journal), start it, kill -9 it again
     while it loads, start it again: time to "ready:", counts must equal those before the kill,
     the peak RSS of the load (VmHWM read at "ready:") and the RSS after it;
     this start runs with --save-dfile-interval --snapshot-interval;
  5. the same paced load across periodic snapshots: latency, and every snapshot's fork pause,
     duration and size (polled from the metrics endpoint);
  6. SIGTERM (time to write the final snapshot), start again: load time, peak and RSS as in 4
     (from the snapshot alone), counts must match.
With --memory-only only steps 1-2 run. Prints one JSON object on stdout, progress on stderr.

Usage: bench/scale.py --peers 10000000 --torrents 1000000 [--shard-arg=--store-peer-ids=never]
See docs/benchmarks.md, "10 million peers".
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from cluster import free_port  # noqa: E402  (never the same port twice in one run)

# shardtrack-loadgen tells apart at most this many peers per source address (by their ports).
PORTS_PER_SOURCE = 64000


def sources_for(peers, least):
    """Source addresses for `peers` distinct peers: `least`, or more when the peers need them."""
    return max(least, -(-peers // PORTS_PER_SOURCE))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(message):
    print(time.strftime("%H:%M:%S ") + message, file=sys.stderr, flush=True)


def rss_kib(pid, field="VmRSS"):
    """A /proc/<pid>/status memory field in KiB: VmRSS now, or VmHWM (the process's peak)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def metrics(port):
    """The shard's Prometheus text as {name: value} (labels dropped; one shard)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(\{[^}]*\})? ([-0-9.e+naif]+)$", line)
        if match:
            out[match.group(1)] = float(match.group(3))
    return out


def add_process_arguments(parser):
    """The options of every bench/*.py run that starts the servers and the load generator."""
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--loadgen-cpu", type=int, default=0)
    parser.add_argument("--bin-dir", default=os.path.join(ROOT, "build", "bin"))


def run_in_fresh_dir(script, runner_class, args):
    """Refuses a --dir holding another run's data; runs, stops the processes, prints the JSON."""
    if os.path.exists(os.path.join(args.dir, "data")):
        sys.exit(f"bench/{script}: {args.dir}/data exists; give a fresh --dir")
    runner = runner_class(args)
    try:
        out = runner.run()
    finally:
        runner.close()
    print(json.dumps(out))


class Process:
    """One server process, its log file, and the time it took to log "ready:"."""

    def __init__(self, name, argv, log_path, cpu, timeout=900.0):
        self.name = name
        self.log_path = log_path
        self.log_offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        self.log_file = open(log_path, "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHARDTRACK_")}
        self.started = time.monotonic()
        self.proc = subprocess.Popen(["taskset", "-c", str(cpu)] + argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT, env=env)
        self.timeout = timeout
        self.ready_seconds = None

    @property
    def pid(self):
        return self.proc.pid

    def new_log(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset)
            return f.read().decode(errors="replace")

    def wait_ready(self):
        deadline = self.started + self.timeout
        while time.monotonic() < deadline:
            if "ready:" in self.new_log():
                self.ready_seconds = time.monotonic() - self.started
                return self.ready_seconds
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not log ready: in time; see {self.log_path}")

    def stop(self, sig=signal.SIGTERM, timeout=600):
        """Sends `sig` and waits; returns the seconds until the process exited."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log_file.close()
        return time.monotonic() - started


class Cluster:
    """One shard (serving /metrics) and one frontend on free loopback ports, both pinned to
    --server-cpu, logging into --dir: what bench/scale.py, bench/expiry.py and
    bench/thread_cpu.py start."""

    def __init__(self, args):
        self.args = args
        os.makedirs(args.dir, exist_ok=True)
        self.data_dir = os.path.join(args.dir, "data")
        self.shard_endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.processes = {}

    @property
    def shard(self):
        return self.processes.get("shard")

    @property
    def frontend(self):
        return self.processes.get("frontend")

    def start_shard(self, shard_args=()):
        """Starts a shard (replacing the one before, which must have stopped); does not wait."""
        a = self.args
        argv = [os.path.join(a.bin_dir, "shardtrack-shard"), "--listen", self.shard_endpoint,
                "--data-dir", self.data_dir, "--metrics-listen", f"127.0.0.1:{self.metrics_port}",
                *shard_args]
        self.processes["shard"] = Process("shard", argv, os.path.join(a.dir, "shard.log"),
                                          a.server_cpu)
        return self.shard

    def start_frontend(self, frontend_args=()):
        a = self.args
        argv = [os.path.join(a.bin_dir, "shardtrack-frontend"), "--port", str(self.http_port),
                "--shard", self.shard_endpoint, *frontend_args]
        self.processes["frontend"] = Process("frontend", argv,
                                             os.path.join(a.dir, "frontend.log"), a.server_cpu)
        self.frontend.wait_ready()

    def start(self, shard_args=(), frontend_args=()):
        self.start_shard(shard_args).wait_ready()
        self.start_frontend(frontend_args)

    def loadgen(self, flags):
        """shardtrack-loadgen on --loadgen-cpu against the frontend; logs its summary sentence
        and returns its JSON line."""
        a = self.args
        argv = ["taskset", "-c", str(a.loadgen_cpu), os.path.join(a.bin_dir, "shardtrack-loadgen"),
                "--port", str(self.http_port)] + flags
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"loadgen failed ({done.returncode}): {done.stderr}")
        log("  " + done.stderr.strip().splitlines()[0])
        return json.loads(done.stdout.strip().splitlines()[-1])

    def close(self):
        for process in reversed(list(self.processes.values())):
            process.stop()


class Scale(Cluster):
    def __init__(self, args):
        super().__init__(args)
        self.out = {"peers": args.peers, "torrents": args.torrents, "shard_args": args.shard_arg}
        self.sources = sources_for(args.peers, 20)  # 10M peers: 157

    def start_shard(self, interval):
        return super().start_shard(["--index", "0", "--count", "1", "--save-dfile-interval",
                                    str(interval), *self.args.shard_arg])

    def loadgen(self, flags, label):
        return super().loadgen(["--label", label, "--torrents", str(self.args.torrents),
                                "--peers", str(self.args.peers)] + flags)

    def counts(self):
        m = metrics(self.metrics_port)
        return {"torrents": int(m["shardtrack_torrents"]), "peers": int(m["shardtrack_peers"]),
                "completed": int(m.get("shardtrack_completed", 0))}

    def settled_counts(self):
        """counts() once two reads 0.3 s apart agree: requests the load generator left in flight
        when it stopped still reach the shard after it exits (a restart then found 13-56 more
        peers than a read taken at once)."""
        last = self.counts()
        for _ in range(50):
            time.sleep(0.3)
            now = self.counts()
            if now == last:
                return now
            last = now
        raise RuntimeError(f"the shard's counts did not settle: {last}")

    def paced(self, label):
        """The paced announce load; with snapshots on, polls each snapshot's figures meanwhile."""
        seen, stop = [], threading.Event()

        def poll():
            last = metrics(self.metrics_port).get("shardtrack_snapshots_total", 0)
            while not stop.is_set():
                m = metrics(self.metrics_port)
                if m.get("shardtrack_snapshots_total", 0) > last:
                    last = m["shardtrack_snapshots_total"]
                    seen.append({k: m.get("shardtrack_snapshot_" + k) for k in
                                 ("fork_seconds", "duration_seconds", "bytes")})
                    log(f"  snapshot: {seen[-1]}")
                stop.wait(0.2)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            result = self.loadgen(["--mode", "announce", "--rate", str(self.args.rate),
                                   "--duration", str(self.args.duration), "--warmup", "1",
                                   "--sources", str(self.sources),
                                   "--connections", str(max(64, self.sources))], label)
        finally:
            stop.set()
            poller.join()
        result["snapshots"] = seen
        return result

    def restart_shard(self, interval, label):
        shard = self.start_shard(interval)
        shard.wait_ready()
        # VmHWM is per process: read right after "ready:" it is the peak of the load (and of
        # writing the first snapshot), before serving adds anything.
        peak = rss_kib(shard.pid, "VmHWM")
        summary = re.search(r"recovered [^\n]*", shard.new_log())
        rss = rss_kib(shard.pid)
        log(f"  {label}: ready after {shard.ready_seconds:.2f} s, peak RSS (VmHWM) {peak} KiB, "
            f"RSS {rss} KiB: {summary.group(0) if summary else '?'}")
        return {"ready_seconds": shard.ready_seconds,
                "recovery": summary.group(0) if summary else None,
                "peak_rss_kib": peak, "rss_kib": rss, "counts": self.counts()}

    def run(self):
        a, out = self.args, self.out
        log(f"== {a.peers} peers over {a.torrents} torrents, shard args {a.shard_arg}")
        self.start_shard(a.no_snapshot_interval).wait_ready()
        self.start_frontend()
        time.sleep(0.5)
        out["rss_empty_kib"] = {"shard": rss_kib(self.shard.pid),
                                "frontend": rss_kib(self.frontend.pid)}
        result = self.loadgen(["--mode", "populate", "--sources", str(self.sources),
                               "--connections", "64"], "populate")
        time.sleep(0.5)
        out["populate"] = {"seconds": result["seconds"], "rps": result["rps"],
                           "errors": result["errors"], "invalid": result["invalid"]}
        out["rss_filled_kib"] = {"shard": rss_kib(self.shard.pid),
                                 "frontend": rss_kib(self.frontend.pid)}
        grown = out["rss_filled_kib"]["shard"] - out["rss_empty_kib"]["shard"]
        out["shard_bytes_per_peer"] = grown * 1024 / a.peers
        out["counts_populated"] = self.counts()
        log(f"  RSS {out['rss_empty_kib']} -> {out['rss_filled_kib']} KiB: "
            f"{out['shard_bytes_per_peer']:.1f} bytes/peer; {out['counts_populated']}")
        if a.memory_only:
            return out

        out["paced_without_snapshots"] = self.paced("paced, no snapshots")
        before = self.settled_counts()
        journal = os.path.join(self.data_dir, "shard-0-of-1.journal")
        out["journal_bytes_at_kill"] = os.path.getsize(journal)
        self.shard.stop(signal.SIGKILL)
        log(f"  kill -9 at {before}; journal {out['journal_bytes_at_kill']} bytes")
        shard = self.start_shard(a.snapshot_interval)
        time.sleep(a.kill_during_load_after)
        out["killed_during_load_was_ready"] = "ready:" in shard.new_log()
        shard.stop(signal.SIGKILL)
        log(f"  kill -9 {a.kill_during_load_after} s into loading "
            f"(ready: {out['killed_during_load_was_ready']})")
        out["restart_after_kill"] = self.restart_shard(a.snapshot_interval, "after kill -9")
        out["restart_after_kill"]["counts_before"] = before
        out["restart_after_kill"]["match"] = out["restart_after_kill"]["counts"] == before

        out["paced_with_snapshots"] = self.paced("paced, snapshots")
        snapshot = os.path.join(self.data_dir, "shard-0-of-1.snapshot")
        out["snapshot_file_bytes"] = os.path.getsize(snapshot)
        time.sleep(2)  # let a running snapshot child finish on its own
        before = self.settled_counts()
        out["sigterm_seconds"] = self.shard.stop(signal.SIGTERM)
        log(f"  SIGTERM: exited after {out['sigterm_seconds']:.2f} s at {before}")
        out["restart_after_sigterm"] = self.restart_shard(a.no_snapshot_interval, "after SIGTERM")
        out["restart_after_sigterm"]["counts_before"] = before
        out["restart_after_sigterm"]["match"] = out["restart_after_sigterm"]["counts"] == before
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", type=int, default=10000000)
    parser.add_argument("--torrents", type=int, default=1000000)
    parser.add_argument("--dir", default="/tmp/shardtrack-scale",
                        help="data dir and logs; must not hold another run's files")
    parser.add_argument("--shard-arg", action="append", default=[],
                        help="extra shard argument, e.g. --shard-arg=--store-peer-ids=never")
    parser.add_argument("--memory-only", action="store_true", help="populate and RSS only")
    parser.add_argument("--rate", type=int, default=5000, help="paced announces per second")
    parser.add_argument("--duration", type=float, default=40, help="seconds per paced run")
    parser.add_argument("--snapshot-interval", type=int, default=10,
                        help="--save-dfile-interval while measuring snapshots")
    parser.add_argument("--no-snapshot-interval", type=int, default=100000,
                        help="--save-dfile-interval when no periodic snapshot should run")
    parser.add_argument("--kill-during-load-after", type=float, default=3.0,
                        help="seconds after start to kill -9 the loading shard")
    add_process_arguments(parser)
    run_in_fresh_dir("scale.py", Scale, parser.parse_args())


if __name__ == "__main__":
    main()
