# shellcheck shell=bash
# Builds, starts and stops telemetry-gateway for load tests, benchmarks and profiles.
#
# Source it (after apt.sh and process.sh); it only defines functions. Safe under `set -euo pipefail`.
#
#   gateway_binary                  path of the release binary:
#                                   $GATEWAY_BIN, else <repo>/${GATEWAY_SCRATCH:-.build}/release/telemetry-gateway
#   gateway_build [SWIFT ARGS...]   swift build -c release --scratch-path <repo>/${GATEWAY_SCRATCH:-.build}
#                                   plus SWIFT ARGS (scripts/profile adds -Xswiftc -g)
#   gateway_start PORT REDIS_URL [GATEWAY ARGS...]
#                                   starts the binary on 127.0.0.1:PORT against REDIS_URL in the
#                                   background, stderr (logfmt) to $GATEWAY_LOG (default
#                                   <tmp>/telemetry-gateway-PORT.log); sets GATEWAY_PID and
#                                   GATEWAY_PORT; waits up to $GATEWAY_START_SECS (default 30) for
#                                   GET /health to answer 200. Commands in the array GATEWAY_PREFIX
#                                   (e.g. valgrind, taskset) are put in front of the binary; they
#                                   must exec it in the same process so that GATEWAY_PID is the
#                                   gateway itself.
#   gateway_stop [PID]              SIGTERM (the gateway drains and exits 0), waits up to 30 s,
#                                   then SIGKILL; returns non-zero when the exit was not clean
#
# gateway_start must not run inside $(...): the PID has to belong to the calling shell so that
# gateway_stop can wait for it and read its exit status.

gateway_binary() {
  if [[ -n ${GATEWAY_BIN:-} ]]; then
    echo "$GATEWAY_BIN"
  else
    echo "$(repo_root)/${GATEWAY_SCRATCH:-.build}/release/telemetry-gateway"
  fi
}

gateway_build() {
  local root
  root=$(repo_root)
  if ! command -v swift >/dev/null 2>&1; then
    echo "swift is not on PATH; the gateway needs a Swift 6 toolchain to build" >&2
    return 1
  fi
  # The system zlib (gzip/deflate request bodies) links through Sources/CZlib; its headers come from apt.
  ensure_packages zlib1g-dev
  (cd "$root" && swift build -c release --scratch-path "$root/${GATEWAY_SCRATCH:-.build}" "$@") >&2
}

gateway_start() {
  local port=$1 redis_url=$2 bin
  shift 2
  bin=$(gateway_binary)
  if [[ ! -x $bin ]]; then
    echo "gateway binary $bin not found (build it with: swift build -c release)" >&2
    return 1
  fi
  GATEWAY_LOG=${GATEWAY_LOG:-${TMPDIR:-/tmp}/telemetry-gateway-$port.log}
  ${GATEWAY_PREFIX[@]+"${GATEWAY_PREFIX[@]}"} "$bin" --host 127.0.0.1 --port "$port" \
    --redis "$redis_url" "$@" 2>>"$GATEWAY_LOG" >&2 &
  GATEWAY_PID=$!
  # shellcheck disable=SC2034 # output for the caller
  GATEWAY_PORT=$port
  if ! wait_http "http://127.0.0.1:$port/health" "$GATEWAY_PID" "${GATEWAY_START_SECS:-30}"; then
    echo "gateway did not become healthy; last log lines from $GATEWAY_LOG:" >&2
    tail -n 20 "$GATEWAY_LOG" >&2 || true
    gateway_stop "$GATEWAY_PID" || true
    return 1
  fi
}

gateway_stop() {
  local pid=${1:-${GATEWAY_PID:-}} status=0
  [[ -n $pid ]] || return 0
  stop_pid "$pid" 30 || status=$?
  [[ $pid == "${GATEWAY_PID:-}" ]] && GATEWAY_PID=
  if [[ $status -ne 0 ]]; then
    echo "gateway (pid $pid) exited with status $status after SIGTERM" >&2
  fi
  return "$status"
}
