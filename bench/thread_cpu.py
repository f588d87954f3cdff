#!/usr/bin/python3
"""Thread CPU run: where a cluster's CPU goes, per thread, per request.

Starts one shard and one frontend (both pinned to --server-cpu, as bench/compare does), warms
them with one load generator run, then for each of --runs runs reads utime+stime of every
thread of both processes (/proc/<pid>/task/*/stat) and the shard's batch count (/metrics)
before and after a load generator run on --loadgen-cpu, and reports microseconds of CPU per
request for each thread (the process's main thread is its loop; ZeroMQ names its I/O thread
ZMQbg/IO/0; other threads are background workers) and the requests per shard batch.
Load generator options go after `--`, e.g.

  bench/thread_cpu.py                       # keep-alive announces, unpaced
  bench/thread_cpu.py -- --rate 25000       # paced
  bench/thread_cpu.py -- --keep-alive=false # a new connection per request

Prints one JSON object on stdout and a table on stderr. See docs/benchmarks.md, "2026-12-03".
"""
import argparse
import json
import os
import subprocess

from scale import Process, add_process_arguments, free_port, log, metrics, run_in_fresh_dir

CLK_TCK = os.sysconf("SC_CLK_TCK")


def thread_ticks(name, pid):
    """{thread role: utime + stime clock ticks} of every thread of one process."""
    out = {}
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        role = "loop" if int(tid) == pid else ("ZeroMQ I/O" if comm.startswith("ZMQbg/IO")
                                                else "ZeroMQ reaper" if comm.startswith("ZMQbg")
                                                else "worker")
        key = f"{name} {role}"
        out[key] = out.get(key, 0) + int(fields[11]) + int(fields[12])
    return out


class ThreadCpu:
    def __init__(self, args):
        self.args = args
        os.makedirs(args.dir, exist_ok=True)
        self.shard_endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.processes = {}

    def start(self):
        a = self.args
        shard = [os.path.join(a.bin_dir, "shardtrack-shard"), "--listen", self.shard_endpoint,
                 "--data-dir", os.path.join(a.dir, "data"),
                 "--metrics-listen", f"127.0.0.1:{self.metrics_port}", *a.shard_arg]
        frontend = [os.path.join(a.bin_dir, "shardtrack-frontend"), "--port",
                    str(self.http_port), "--shard", self.shard_endpoint, *a.frontend_arg]
        for name, argv in (("shard", shard), ("frontend", frontend)):
            self.processes[name] = Process(name, argv, os.path.join(a.dir, name + ".log"),
                                           a.server_cpu)
            self.processes[name].wait_ready()

    def loadgen(self, seconds):
        argv = ["taskset", "-c", str(self.args.loadgen_cpu),
                os.path.join(self.args.bin_dir, "shardtrack-loadgen"), "--port",
                str(self.http_port), "--warmup", "0", "--duration", str(seconds),
                *self.args.loadgen_args]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"loadgen failed ({done.returncode}): {done.stderr}")
        log("  " + done.stderr.strip().splitlines()[0])
        return json.loads(done.stdout.strip().splitlines()[-1])

    def sample(self):
        ticks = {}
        for name, process in self.processes.items():
            ticks.update(thread_ticks(name, process.pid))
        return ticks, metrics(self.metrics_port)["shardtrack_batches_total"]

    def run(self):
        self.start()
        self.loadgen(self.args.warmup)
        runs = []
        for _ in range(self.args.runs):
            ticks_before, batches_before = self.sample()
            result = self.loadgen(self.args.duration)
            ticks_after, batches_after = self.sample()
            requests = result["requests_all"]
            per_thread = {key: (ticks_after[key] - ticks_before.get(key, 0)) / CLK_TCK * 1e6 /
                          requests for key in ticks_after}
            runs.append({"rps": result["rps"], "requests": requests,
                         "errors": result["errors"] + result["invalid"],
                         "requests_per_batch": requests / max(batches_after - batches_before, 1),
                         "us_per_request": per_thread,
                         "total_us_per_request": sum(per_thread.values())})
            log(f"  {result['rps']:.0f} req/s, {runs[-1]['requests_per_batch']:.1f} requests "
                f"per batch, {runs[-1]['total_us_per_request']:.2f} us of CPU per request: " +
                ", ".join(f"{key} {us:.2f}" for key, us in per_thread.items() if us > 0))
        return {"loadgen_args": self.args.loadgen_args, "runs": runs}

    def close(self):
        for process in self.processes.values():
            process.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of load before")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/shardtrack-thread-cpu",
                        help="data dir and logs; must not hold another run's files")
    parser.add_argument("--shard-arg", action="append", default=[])
    parser.add_argument("--frontend-arg", action="append", default=[])
    parser.add_argument("loadgen_args", nargs="*", help="shardtrack-loadgen options, after --")
    add_process_arguments(parser)
    run_in_fresh_dir("thread_cpu.py", ThreadCpu, parser.parse_args())


if __name__ == "__main__":
    main()
