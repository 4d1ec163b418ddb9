# shellcheck shell=bash
# A private redis-server for load tests, benchmarks and profiles: its own port, its own data
# directory, never the system instance.
#
# Source it (after process.sh and apt.sh, which it uses); it only defines functions.
# Safe under `set -euo pipefail`.
#
#   ensure_redis                     redis-server, redis-cli and redis-benchmark on PATH
#                                    (apt-get install redis-server redis-tools when root)
#   redis_start PORT DIR [AOF]       starts redis-server on 127.0.0.1:PORT in the foreground of a
#                                    background job, data and log under DIR, RDB snapshots off
#                                    (--save ''), AOF "no" (default) or "yes" with appendfsync
#                                    $REDIS_APPENDFSYNC (default everysec); sets REDIS_PID and
#                                    REDIS_PORT and waits for PING
#   redis_wait PORT [SECS]           waits until PING answers PONG
#   redis_cli ARGS...                redis-cli against 127.0.0.1:$REDIS_PORT, raw output
#   redis_stop [PID]                 SIGTERM (redis-server exits cleanly on it), waits, SIGKILL
#                                    after 10 s; defaults to $REDIS_PID
#
# RDB snapshots are off because a fork+dump in the middle of a benchmark would show up as a
# latency spike that belongs to neither the gateway nor Redis's steady state.

ensure_redis() {
  ensure_commands redis-server:redis-server redis-cli:redis-tools redis-benchmark:redis-tools
}

redis_start() {
  local port=$1 dir=$2 aof=${3:-no}
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --save '' --appendonly "$aof" --appendfsync "${REDIS_APPENDFSYNC:-everysec}" \
    --daemonize no --logfile "$dir/redis.log" &
  REDIS_PID=$!
  REDIS_PORT=$port
  if ! redis_wait "$port" 10; then
    echo "redis-server on port $port did not start; see $dir/redis.log" >&2
    return 1
  fi
}

redis_wait() {
  local port=$1 secs=${2:-10} i
  for ((i = 0; i < secs * 10; i++)); do
    [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true) == PONG ]] && return 0
    sleep 0.1
  done
  return 1
}

redis_cli() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --raw "$@"
}

redis_stop() {
  local pid=${1:-${REDIS_PID:-}}
  [[ -n $pid ]] || return 0
  stop_pid "$pid" 10 || true
  [[ $pid == "${REDIS_PID:-}" ]] && REDIS_PID=
  return 0
}
