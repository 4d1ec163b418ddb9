# shellcheck shell=bash
# Starts and stops telemetry-processor (built by gateway_build, which builds every product).
#
# Source it (after process.sh and gateway.sh); it only defines functions. Safe under `set -euo pipefail`.
#
#   processor_binary                path of the release binary, next to the gateway's
#   processor_start PORT REDIS_URL INFLUX_URL [PROCESSOR ARGS...]
#                                   starts it on 127.0.0.1:PORT in the background, logfmt to
#                                   $PROCESSOR_LOG (default <tmp>/telemetry-processor-PORT.log); sets
#                                   PROCESSOR_PID and waits for GET /health
#   processor_stop [PID]            SIGTERM (finishes the batch in flight, exit 0), then SIGKILL
#                                   after 20 s

processor_binary() {
  if [[ -n ${PROCESSOR_BIN:-} ]]; then
    echo "$PROCESSOR_BIN"
  else
    echo "$(dirname "$(gateway_binary)")/telemetry-processor"
  fi
}

processor_start() {
  local port=$1 redis_url=$2 influx_url=$3 bin
  shift 3
  bin=$(processor_binary)
  if [[ ! -x $bin ]]; then
    echo "processor binary $bin not found (build it with: swift build -c release)" >&2
    return 1
  fi
  PROCESSOR_LOG=${PROCESSOR_LOG:-${TMPDIR:-/tmp}/telemetry-processor-$port.log}
  # Its own session (setsid execs in place, so the PID stays the processor's): a Ctrl-C in the terminal must not
  # reach it next to the SIGTERM of processor_stop, since a second signal skips the drain.
  setsid "$bin" --host 127.0.0.1 --port "$port" --redis "$redis_url" --influx "$influx_url" "$@" 2>>"$PROCESSOR_LOG" >&2 &
  PROCESSOR_PID=$!
  if ! wait_http "http://127.0.0.1:$port/health" "$PROCESSOR_PID" 30; then
    echo "processor did not become healthy; last log lines from $PROCESSOR_LOG:" >&2
    tail -n 20 "$PROCESSOR_LOG" >&2 || true
    processor_stop "$PROCESSOR_PID" || true
    return 1
  fi
}

processor_stop() {
  local pid=${1:-${PROCESSOR_PID:-}}
  [[ -n $pid ]] || return 0
  stop_pid "$pid" 20 || true
  [[ $pid == "${PROCESSOR_PID:-}" ]] && PROCESSOR_PID=
  return 0
}
