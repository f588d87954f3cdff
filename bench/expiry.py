#!/usr/bin/python3
"""Expiry run: how fast a shard forgets dead peers when it holds millions of torrents.

Steps, against real processes on loopback (servers pinned to --server-cpu, the load generator to
--loadgen-cpu, as bench/scale.py does):
  1. start the shard with a short --peer-timeout (so --expire-lap, a tenth of it, is short too)
     and the frontend;
  2. populate T torrents with one peer each (shardtrack-loadgen --mode populate): the most
     torrents per peer, so expiry has the largest table to walk and most torrents to forget;
  3. while a paced keep-alive announce load keeps --live-torrents torrents alive, poll the
     shard's /metrics until only those are left: when the populated peers were gone, against
     the bound (each peer's last announce + --peer-timeout + the last lap), the lap, the
     longest slice (the loop's pause), the gap between slices, and the paced load's latency.
Prints one JSON object on stdout, progress on stderr. See docs/benchmarks.md, "Expiry".
"""
import argparse
import threading
import time

from scale import (Cluster, add_process_arguments, log, metrics, run_in_fresh_dir,
                   sources_for)

class Expiry(Cluster):
    def start(self):
        a = self.args
        super().start(shard_args=["--save-dfile-interval", "100000",
                                  "--peer-timeout", str(a.peer_timeout), *a.shard_arg])

    def run(self):
        a = self.args
        log(f"== {a.torrents} torrents of one peer, --peer-timeout {a.peer_timeout}, "
            f"shard args {a.shard_arg}")
        self.start()
        populate_started = time.monotonic()
        sources = sources_for(a.torrents, 20)  # 2M peers need 32
        populated = self.loadgen(["--mode", "populate", "--torrents", str(a.torrents),
                                  "--peers", str(a.torrents), "--sources", str(sources)])
        populate_ended = time.monotonic()
        full = metrics(self.metrics_port)
        out = {"torrents": a.torrents, "peer_timeout": a.peer_timeout, "shard_args": a.shard_arg,
               "populate_seconds": populate_ended - populate_started,
               "populate_errors": populated["errors"],  # invalid included
               "torrents_filled": int(full["shardtrack_torrents"])}

        samples, stop = [], threading.Event()

        def poll():
            while not stop.is_set():
                m = metrics(self.metrics_port)
                samples.append({"t": time.monotonic() - populate_ended,
                                **{k: m.get("shardtrack_" + k) for k in
                                   ("torrents", "peers", "expired_peers_total", "expiry_lap_seconds",
                                    "expiry_slice_seconds", "expiry_gap_seconds")}})
                stop.wait(0.5)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            # The live torrents are the first --live-torrents of the populated ones (torrent k's
            # infohash depends only on k), so they stay; every other one must be forgotten. Each
            # live peer announces about four times per --peer-timeout, so none of them expires.
            live_peers = max(100, a.rate * a.peer_timeout // 4)
            paced = self.loadgen(["--mode", "announce", "--rate", str(a.rate),
                                  "--torrents", str(a.live_torrents), "--peers", str(live_peers),
                                  "--stopped-percent", "0", "--warmup", "1",
                                  "--duration", str(a.peer_timeout + a.wait_after)])
        finally:
            stop.set()
            poller.join()
        out["paced"] = {k: paced[k] for k in ("rps", "p50_us", "p99_us", "p999_us", "max_us",
                                              "errors", "invalid", "first_errors")}
        gone = next((s for s in samples if s["torrents"] <= a.live_torrents), None)
        out["all_dead_gone_after_populate_s"] = gone["t"] if gone else None
        last = samples[-1]
        out["torrents_left"] = int(last["torrents"])
        out["expired_peers"] = int(last["expired_peers_total"])
        out["last_lap_s"] = last["expiry_lap_seconds"]
        out["longest_slice_s"] = max(s["expiry_slice_seconds"] for s in samples)
        out["gap_s_full_table"] = samples[0]["expiry_gap_seconds"]
        out["gap_s_end"] = last["expiry_gap_seconds"]
        # Peers are stamped in whole seconds, and the samples come every 0.5 s.
        out["bound_after_populate_s"] = a.peer_timeout + 1.5 + max(s["expiry_lap_seconds"]
                                                                   for s in samples)
        out["samples"] = samples
        log(f"  dead peers gone {out['all_dead_gone_after_populate_s']} s after populate "
            f"(bound {out['bound_after_populate_s']:.1f} s); lap {out['last_lap_s']:.2f} s, "
            f"longest slice {out['longest_slice_s'] * 1000:.1f} ms, gap "
            f"{out['gap_s_full_table']:.3f} -> {out['gap_s_end']:.3f} s; "
            f"{out['torrents_left']} torrents left")
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torrents", type=int, default=2000000)
    parser.add_argument("--peer-timeout", type=int, default=120)
    parser.add_argument("--live-torrents", type=int, default=1000,
                        help="torrents the paced load keeps alive")
    parser.add_argument("--rate", type=int, default=2000, help="paced announces per second")
    parser.add_argument("--wait-after", type=int, default=40,
                        help="seconds the paced load runs past --peer-timeout")
    parser.add_argument("--dir", default="/tmp/shardtrack-expiry",
                        help="data dir and logs; must not hold another run's files")
    parser.add_argument("--shard-arg", action="append", default=[],
                        help="extra shard argument, e.g. --shard-arg=--expire-slice=5000")
    add_process_arguments(parser)
    run_in_fresh_dir("expiry.py", Expiry, parser.parse_args())


if __name__ == "__main__":
    main()
