#!/usr/bin/env bash
# blendroute beside the durable message backbones a contact center might put in its place,
# in one run on this machine: Redis streams (XADD, pipelined) with appendfsync always and
# everysec, RocksDB's own db_bench as the storage ceiling, and blendroute-load closed against
# blendroute with journal.sync = batch and none. Prints msgs/s for each and the ratios at
# matching durability; writes var/peers/peers.txt. Installs redis-server and rocksdb-tools
# when missing (Debian packages). Everything listens on 127.0.0.1 and is bounded in time.
# usage: scripts/bench-peers.sh [SECONDS_PER_RUN]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/server.sh

seconds=${1:-10}
out=var/peers
mkdir -p "$out"
report="$out/peers.txt"
: >"$report"

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v db_bench >/dev/null || missing+=(rocksdb-tools)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

redis_pid=
cleanup() {
  stop_server
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
}
trap cleanup EXIT

value=$(head -c 200 /dev/zero | tr '\0' 'x')  # 200 B, the journal benchmarks' record size

# redis_xadd FSYNC: XADD msgs/s with appendonly and `appendfsync FSYNC`, 64 commands
# pipelined per connection, 8 connections (as many as blendroute-load uses).
redis_xadd() {
  local fsync=$1 dir="$out/redis-$1" port
  rm -rf "$dir" && mkdir -p "$dir"
  port=$(( 20000 + RANDOM % 20000 ))
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes \
    --appendfsync "$fsync" --save '' --daemonize no >"$dir/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  # As many requests as about SECONDS at 200,000/s, bounded by the timeout in any case.
  local rate
  rate=$(timeout $(( seconds * 3 )) redis-benchmark -p "$port" -c 8 -P 64 -n $(( seconds * 200000 )) -q \
    XADD stream '*' payload "$value" 2>/dev/null | tr '\r' '\n' | grep -Eo '[0-9.]+ requests per second' \
    | tail -n 1 | awk '{print $1}')
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=
  echo "${rate:-0}"
}

# db_bench fillseq with sync, batches of 1,000 200 B values: RocksDB's ceiling here.
rocksdb_fillseq() {
  rm -rf "$out/db_bench"
  timeout $(( seconds * 6 )) db_bench --benchmarks=fillseq --db="$out/db_bench" --num=1000000 \
    --value_size=200 --key_size=16 --sync=1 --batch_size=1000 2>/dev/null \
    | awk '/^fillseq/ {for (i = 1; i <= NF; i++) if ($i ~ /^ops\/sec;?$/) print $(i - 1)}'
}

# blendroute SYNC: acked customer messages/s of blendroute-load closed over TCP.
blendroute_closed() {
  local sync=$1
  start_server "peers-$sync" --set journal.sync="$sync"
  # No supervisor: the peers only append, so blendroute is measured on its ingress path.
  timeout $(( seconds * 3 + 30 )) "$build_dir/bench/blendroute-load" closed --quiet \
    --addr "127.0.0.1:$server_port" --http-addr "127.0.0.1:$server_http_port" --no-supervisor \
    --conversations 2000 --connections 8 \
    --duration "${seconds}s" --json "$out/blendroute-$sync.json" >"$out/blendroute-$sync.txt" || true
  stop_server
  json_number "$out/blendroute-$sync.json" events_per_second
}

echo "running each for about ${seconds} s ..." >&2
redis_always=$(redis_xadd always)
redis_everysec=$(redis_xadd everysec)
fillseq=$(rocksdb_fillseq)
br_batch=$(blendroute_closed batch)
br_none=$(blendroute_closed none)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

{
  echo "# peers on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), ${seconds} s each, 200 B payloads, 127.0.0.1"
  printf '%-52s %14s\n' "system (durability)" "msgs/s"
  printf '%-52s %14.0f\n' "blendroute, journal.sync=batch (ack after fsync)" "${br_batch:-0}"
  printf '%-52s %14.0f\n' "Redis XADD, appendfsync always" "${redis_always:-0}"
  printf '%-52s %14.0f\n' "blendroute, journal.sync=none (ack before fsync)" "${br_none:-0}"
  printf '%-52s %14.0f\n' "Redis XADD, appendfsync everysec" "${redis_everysec:-0}"
  printf '%-52s %14.0f\n' "RocksDB db_bench fillseq, sync, batches of 1,000" "${fillseq:-0}"
  echo
  echo "blendroute / Redis, fsync before the ack:   $(ratio "${br_batch:-0}" "${redis_always:-0}")"
  echo "blendroute / Redis, fsync later:            $(ratio "${br_none:-0}" "${redis_everysec:-0}")"
  echo "blendroute batch / db_bench fillseq:        $(ratio "${br_batch:-0}" "${fillseq:-0}")"
  echo
  echo "A blendroute message is routed (a conversation actor, a bot request, a reply),"
  echo "journaled twice, and its reply's delivery.ack journaled once more; a Redis XADD or a"
  echo "db_bench write is one append."
} | tee "$report"
