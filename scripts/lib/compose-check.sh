# shellcheck shell=bash
# Static checks of the compose stack, runnable without a Docker engine.
#
# Source it and call `compose_check`, or run it: `bash scripts/lib/compose-check.sh`.
# Safe under `set -euo pipefail`; sourcing only defines the function.
#
#   compose_check    docker-compose -f compose/docker-compose.yml config -q (the file parses and
#                    every service definition is valid), then python3 -m json.tool on every
#                    Grafana dashboard. Installs docker-compose with apt-get when missing and
#                    running as root. Prints one line per check; returns non-zero on the first
#                    failure.

compose_check() {
  local root dashboard count=0
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if ! command -v docker-compose >/dev/null 2>&1; then
    # shellcheck source=/dev/null
    . "$root/scripts/lib/apt.sh"
    ensure_commands docker-compose:docker-compose python3:python3
  fi
  docker-compose -f "$root/compose/docker-compose.yml" config -q
  echo "compose: docker-compose config -q ok"
  for dashboard in "$root"/compose/grafana/dashboards/*.json; do
    python3 -m json.tool "$dashboard" >/dev/null
    echo "compose: $(basename "$dashboard") is valid JSON"
    count=$((count + 1))
  done
  if [[ $count -eq 0 ]]; then
    echo "compose: no dashboards in compose/grafana/dashboards" >&2
    return 1
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  compose_check
fi
