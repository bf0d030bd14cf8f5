#!/usr/bin/env bash
# The bench suite in one command: the Google Benchmark micro benchmarks, then
# blendroute-load closed and open against a fresh server under journal.sync=batch. Every
# result lands in var/bench/ (JSON per part, summary.txt for people).
# usage: scripts/bench-suite.sh [--full]   (--full adds the million-conversation memory and
#                                          recovery benchmarks: minutes and over 2 GiB)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/server.sh

full=0
[ "${1:-}" = "--full" ] && full=1
out=var/bench
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
trap stop_server EXIT

say() { echo "$@" | tee -a "$summary"; }

say "# blendroute bench suite, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

# Micro benchmarks. The million-actor memory benchmarks run one per process: memory freed by
# one stays with the process and would hide the next one's growth.
quick='-BM_(ConversationActor|OpenConversationActor|BareStatefulActor)_ResidentMemory|BM_Router_RecoveryAndBreachLateness|BM_SlaClock_FireLatenessWithManyArmed'
"$build_dir/bench/blendroute_bench" --benchmark_filter="$quick" --benchmark_min_time=0.2 \
  --benchmark_out="$out/micro.json" --benchmark_out_format=json | tee -a "$summary"
if [ "$full" = 1 ]; then
  for heavy in BM_ConversationActor_ResidentMemory/1000000 BM_OpenConversationActor_ResidentMemory/1000000 \
    BM_BareStatefulActor_ResidentMemory/1000000 BM_SlaClock_FireLatenessWithManyArmed \
    BM_Router_RecoveryAndBreachLateness; do
    "$build_dir/bench/blendroute_bench" --benchmark_filter="^$heavy\$" \
      --benchmark_out="$out/micro-${heavy%%/*}.json" --benchmark_out_format=json | tee -a "$summary"
  done
fi

# End to end, one fresh server per run so that one run's journal does not slow the next.
start_server bench-closed
"$build_dir/bench/blendroute-load" closed --quiet --addr "127.0.0.1:$server_port" \
  --http-addr "127.0.0.1:$server_http_port" --conversations 2000 --connections 8 --duration 10s --json "$out/closed.json" | tee -a "$summary"
stop_server

start_server bench-open
"$build_dir/bench/blendroute-load" open --quiet --addr "127.0.0.1:$server_port" \
  --http-addr "127.0.0.1:$server_http_port" --rate 5000 --conversations 4000 --connections 8 \
  --escalate 0.1 --agents 50 --capacity 40 --bots 2 --tier-mix standard=0.8,priority=0.2 \
  --duration 10s --json "$out/open.json" | tee -a "$summary" || say "open: the router or the tool could not keep 5,000/s (see above)"
stop_server

say "results: $out/micro.json $out/closed.json $out/open.json, this summary: $summary"
