#!/usr/bin/env bash
# The main job: install, build, start blendroute with its defaults, replay the bundled real
# conversations through it over TCP, print the report, stop the server cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh

build_dir=${BLENDROUTE_BUILD_DIR:-build}
speed=${BLENDROUTE_SPEED:-50}
data_dir=var
mkdir -p "$data_dir"
port_file="$data_dir/blendroute.port"
log_file="$data_dir/blendroute.log"
rm -f "$port_file"

# A fresh port each run (0), the SLAs compressed by the same factor as the replay.
"$build_dir/app/blendroute" --config conf/blendroute.toml \
  --set journal.path="$data_dir/journal" --set listen.tcp_port=0 --set listen.http_port=0 \
  --sla-speed "$speed" --port-file "$port_file" 2>"$log_file" &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  # Two lines: the TCP port, then the HTTP port.
  [ -s "$port_file" ] && [ "$(wc -l <"$port_file")" -ge 2 ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "blendroute did not start; its log:" >&2
    cat "$log_file" >&2
    exit 1
  fi
  sleep 0.1
done
port=$(sed -n 1p "$port_file")
http_port=$(sed -n 2p "$port_file")
echo "blendroute listening on 127.0.0.1:$port, HTTP on 127.0.0.1:$http_port (log: $log_file)"

status=0
"$build_dir/bench/blendroute-load" replay --addr "127.0.0.1:$port" --http-addr "127.0.0.1:$http_port" \
  --file data/sample/conversations.jsonl --speed "$speed" --ramp 10s \
  --json "$data_dir/replay-report.json" || status=$?

kill -TERM "$server_pid"
wait "$server_pid" || true
trap - EXIT
echo "blendroute stopped; journal: $(pwd)/$data_dir/journal (inspect a conversation with"
echo "  $build_dir/app/blendroute --set journal.path=$data_dir/journal journal inspect <conv>)"
exit $status
