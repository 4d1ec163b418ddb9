# shellcheck shell=bash
# Process, port and /proc helpers shared by scripts/loadtest, scripts/bench and scripts/profile.
#
# Source it; it only defines functions. Safe under `set -euo pipefail`.
#
#   repo_root                  absolute path of this repository
#   raise_nofile               ulimit -n up to the hard limit (10,000 connections need ~10,000 fds)
#   free_port                  prints a TCP port on 127.0.0.1 that nothing listens on right now
#   wait_http URL PID [SECS]   waits until URL answers HTTP 200; fails early if PID has exited
#   stop_pid PID [SECS]        SIGTERM, waits up to SECS (default 10), then SIGKILL; returns the
#                              process's exit status when it is our child (0 when it exited cleanly)
#   proc_tree PID              PID and its direct children (nginx master + workers)
#   cpu_ticks PID              utime+stime in clock ticks, summed over proc_tree (all threads,
#                              including threads that already exited)
#   peak_rss_kb PID            VmHWM in kB, summed over proc_tree
#   ticks_per_second           clock ticks per second for cpu_ticks
#
# Processes are always addressed by PID: several servers of the same name may run on this
# machine at once, and only the ones a script started are its to stop.

repo_root() {
  (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
}

raise_nofile() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_http() {
  local url=$1 pid=$2 secs=${3:-30} code i
  for ((i = 0; i < secs * 10; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)
    [[ $code == 200 ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid exited before $url answered" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$url did not answer 200 within ${secs}s (last status: ${code:-none})" >&2
  return 1
}

stop_pid() {
  local pid=$1 secs=${2:-10} i status=0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || status=$?; return "$status"; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "pid $pid ignored SIGTERM for ${secs}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || status=$?
  return "$status"
}

proc_tree() {
  local pid=$1
  # shellcheck disable=SC2046 # one PID per word
  echo "$pid" $(ps -o pid= --ppid "$pid" 2>/dev/null || true)
}

cpu_ticks() {
  local total=0 p stat fields
  for p in $(proc_tree "$1"); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    # Drop "pid (comm) " first: comm may contain spaces; utime and stime are then fields 12 and 13.
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

peak_rss_kb() {
  local total=0 p kb
  for p in $(proc_tree "$1"); do
    kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

ticks_per_second() {
  getconf CLK_TCK
}
