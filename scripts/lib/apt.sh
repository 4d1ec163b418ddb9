# shellcheck shell=bash
# Installs missing Debian packages for the load, benchmark and profiling scripts.
#
# Source it; it only defines functions. Safe under `set -euo pipefail`.
#
#   ensure_commands CMD:PACKAGE ...   installs PACKAGE for every CMD that is not on PATH
#   ensure_packages PACKAGE ...       installs every PACKAGE that dpkg does not list as installed
#                                     (for libraries and headers, which have no command)
#
# Installing needs root; `apt-get update` runs once per shell before the first install. Without
# root both fail with a message naming the packages. A fresh Debian machine has none of wrk,
# redis, nginx or perf, and the scripts must still run there unattended.

_apt_updated=${_apt_updated:-0}

_apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: $* (run as root to install them with apt-get)" >&2
    return 1
  fi
  if [[ $_apt_updated -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    _apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_commands() {
  local spec missing=()
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  [[ ${#missing[@]} -eq 0 ]] || _apt_install "${missing[@]}"
}

ensure_packages() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] || _apt_install "${missing[@]}"
}
