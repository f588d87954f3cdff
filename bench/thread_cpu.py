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
import os

from scale import Cluster, add_process_arguments, log, metrics, run_in_fresh_dir

CLK_TCK = os.sysconf("SC_CLK_TCK")


def thread_role(pid, tid, comm):
    if tid == pid:
        return "loop"
    return "ZeroMQ I/O" if comm.startswith("ZMQbg/IO") else "worker"  # ZMQbg/Reaper: a worker


def thread_ticks(name, pid):
    """{thread role: utime + stime clock ticks} of every thread of one process."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        key = f"{name} {thread_role(pid, int(tid), comm)}"
        out[key] = out.get(key, 0) + int(fields[11]) + int(fields[12])
    return out


class ThreadCpu(Cluster):
    def timed_load(self, seconds):
        return self.loadgen(["--warmup", "0", "--duration", str(seconds), *self.args.loadgen_args])

    def sample(self):
        ticks = {}
        for name, process in self.processes.items():
            ticks.update(thread_ticks(name, process.pid))
        return ticks, metrics(self.metrics_port)["shardtrack_batches_total"]

    def run(self):
        self.start(self.args.shard_arg, self.args.frontend_arg)
        self.timed_load(self.args.warmup)
        runs = []
        for _ in range(self.args.runs):
            ticks_before, batches_before = self.sample()
            result = self.timed_load(self.args.duration)
            ticks_after, batches_after = self.sample()
            requests = result["requests_all"]
            per_thread = {key: (ticks_after[key] - ticks_before.get(key, 0)) / CLK_TCK * 1e6 /
                          requests for key in ticks_after}
            runs.append({"rps": result["rps"], "requests": requests,
                         "errors": result["errors"],  # invalid replies included
                         "requests_per_batch": requests / max(batches_after - batches_before, 1),
                         "us_per_request": per_thread,
                         "total_us_per_request": sum(per_thread.values())})
            log(f"  {result['rps']:.0f} req/s, {runs[-1]['requests_per_batch']:.1f} requests "
                f"per batch, {runs[-1]['total_us_per_request']:.2f} us of CPU per request: " +
                ", ".join(f"{key} {us:.2f}" for key, us in per_thread.items() if us > 0))
        return {"loadgen_args": self.args.loadgen_args, "runs": runs}


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
