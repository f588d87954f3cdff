#!/usr/bin/env bash
# How long shardtrack-node takes from its start to "ready: frontend" over a data directory, in
# seconds, one line a run; it is stopped (SIGINT) after each, saving its files as in production.
#
#   bench/node_start_time.sh BIN_DIR DATA_DIR SHARDS [RUNS]
#
# Run it once over an empty DATA_DIR to make its files, then compare builds (BIN_DIR) over the
# same directory, alternating: the machine is shared and noisy. Not run by ctest.
set -euo pipefail
bin_dir=$1 data_dir=$2 shards=$3 runs=${4:-1}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for _ in $(seq "$runs"); do
  port=$(shuf -i 30000-40000 -n 1)
  start=$(date +%s.%N)
  "$bin_dir/shardtrack-node" --bind 127.0.0.1 --port "$port" --data-dir "$data_dir" \
    --shards "$shards" > "$log" 2>&1 &
  pid=$!
  until grep -q "ready: frontend" "$log"; do
    if ! kill -0 "$pid" 2> /dev/null; then cat "$log" >&2; exit 1; fi
    sleep 0.02
  done
  printf "%.3f\n" "$(echo "$(date +%s.%N) - $start" | bc)"
  kill -INT "$pid"
  wait "$pid"
done
