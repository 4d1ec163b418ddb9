# shellcheck shell=bash
# A private influxd (Debian's `influxdb` package, the 1.x HTTP API) for local runs and benchmarks:
# its own ports, its own data directory, never the system instance.
#
# Source it (after process.sh and apt.sh); it only defines functions. Safe under `set -euo pipefail`.
#
#   ensure_influxd                   influxd on PATH (apt-get install influxdb when root)
#   influx_start PORT DIR            writes DIR/influxdb.conf (HTTP on 127.0.0.1:PORT, RPC on a free
#                                    port, reporting and self-monitoring off, data under DIR) and
#                                    starts influxd in the background; sets INFLUX_PID and INFLUX_PORT
#                                    and waits until /ping answers 204
#   influx_wait PORT [SECS]          waits until /ping answers 204
#   influx_create_db NAME            CREATE DATABASE NAME on $INFLUX_PORT (idempotent)
#   influx_query DB QUERY            runs an InfluxQL query on $INFLUX_PORT, prints the JSON
#   influx_count DB [MEASUREMENT]    prints count(value) of MEASUREMENT (default telemetry), 0 if none
#   influx_stop [PID]                SIGTERM, waits, SIGKILL after 15 s; defaults to $INFLUX_PID

ensure_influxd() {
  ensure_commands influxd:influxdb curl:curl
}

influx_start() {
  local port=$1 dir=$2 rpc
  mkdir -p "$dir"
  rpc=$(free_port)
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
  max-body-size = 0
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
CONF
  influxd -config "$dir/influxdb.conf" >>"$dir/influxd.log" 2>&1 &
  INFLUX_PID=$!
  INFLUX_PORT=$port
  if ! influx_wait "$port" 30; then
    echo "influxd on port $port did not start; see $dir/influxd.log" >&2
    return 1
  fi
}

influx_wait() {
  local port=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/ping" 2>/dev/null || true) == 204 ]] \
      && return 0
    sleep 0.1
  done
  return 1
}

influx_create_db() {
  curl -fsS -o /dev/null -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE \"$1\""
}

influx_query() {
  curl -fsS -G "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "db=$1" --data-urlencode "q=$2"
}

influx_count() {
  influx_query "$1" "SELECT count(value) FROM \"${2:-telemetry}\"" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(r["series"][0]["values"][0][1] if "series" in r else 0)'
}

influx_stop() {
  local pid=${1:-${INFLUX_PID:-}}
  [[ -n $pid ]] || return 0
  stop_pid "$pid" 15 || true
  [[ $pid == "${INFLUX_PID:-}" ]] && INFLUX_PID=
  return 0
}
