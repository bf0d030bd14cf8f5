# Starting and stopping a blendroute server for the scripts (sourced, not run).
# start_server NAME [blendroute flags...]: starts build/app/blendroute on free loopback ports
# with the journal var/NAME/journal (fresh), and sets server_pid, server_port (TCP) and
# server_http_port. stop_server stops it (SIGTERM) and waits.

build_dir=${BLENDROUTE_BUILD_DIR:-build}

start_server() {
  local name=$1
  shift
  local dir="var/$name"
  mkdir -p "$dir"
  rm -rf "$dir/journal" "$dir/ports"
  "$build_dir/app/blendroute" --config conf/blendroute.toml \
    --set journal.path="$dir/journal" --set listen.tcp_port=0 --set listen.http_port=0 \
    --port-file "$dir/ports" "$@" 2>"$dir/blendroute.log" &
  server_pid=$!
  local tries
  for tries in $(seq 1 100); do
    [ -s "$dir/ports" ] && [ "$(wc -l <"$dir/ports")" -ge 2 ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "blendroute did not start; its log ($dir/blendroute.log):" >&2
      cat "$dir/blendroute.log" >&2
      return 1
    fi
    sleep 0.1
  done
  server_port=$(sed -n 1p "$dir/ports")
  server_http_port=$(sed -n 2p "$dir/ports")
}

stop_server() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  server_pid=
}

# json_number FILE KEY: the first number of "KEY": in a JSON file (our reports are flat
# enough for this; no JSON tool is installed on a fresh machine).
json_number() {
  sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1
}
