# shellcheck shell=bash
# The reference servers that benchmarks and load tests run beside the gateway.
#
# Source it (after process.sh and apt.sh); it only defines functions. Safe under
# `set -euo pipefail`.
#
#   peer_name ALIAS          canonical name: nginx|nginx-ceiling -> nginx-ceiling,
#                            hummingbird|hummingbird-gateway -> hummingbird-gateway,
#                            seed|cpp-httplib|cpp-httplib-seed -> cpp-httplib-seed
#   peer_build NAME          builds the peer from a copy under <repo>/.peers/ (the sources in
#                            $PEERS_SRC, default <repo>/../shared/peers, are read-only):
#                              nginx-ceiling        nothing to compile (needs nginx)
#                              hummingbird-gateway  swift build -c release (minutes the first time)
#                              cpp-httplib-seed     g++ against Debian's libcpp-httplib-dev
#   peer_start NAME PORT     starts it on 127.0.0.1:PORT in the background, sets PEER_PID (for
#                            nginx the master; its worker is a child) and PEER_PORT, and waits
#                            up to $PEER_START_SECS (default 30) for GET /health to answer 200
#   peer_stop [PID]          SIGTERM, wait, SIGKILL after 10 s; defaults to $PEER_PID
#
# nginx runs in the foreground of a background job (daemon off) so that it has a PID of ours,
# from a prefix of its own under .peers/nginx/<port>, never the system configuration.
# NGINX_EXTRA_DIRECTIVES (e.g. "master_process off;") is appended with nginx -g. Commands in the
# array PEER_PREFIX (e.g. valgrind) are put in front of the peer's binary and must exec it in the
# same process, so that PEER_PID is the peer itself.

PEERS_SRC=${PEERS_SRC:-}

_peers_src() {
  if [[ -n $PEERS_SRC ]]; then
    echo "$PEERS_SRC"
  else
    echo "$(dirname "$(repo_root)")/shared/peers"
  fi
}

peer_name() {
  case "$1" in
    nginx | nginx-ceiling) echo nginx-ceiling ;;
    hummingbird | hummingbird-gateway) echo hummingbird-gateway ;;
    seed | cpp-httplib | cpp-httplib-seed) echo cpp-httplib-seed ;;
    *)
      echo "unknown peer '$1' (nginx-ceiling, hummingbird-gateway, cpp-httplib-seed)" >&2
      return 1
      ;;
  esac
}

peer_build() {
  local name src dst
  name=$(peer_name "$1")
  src=$(_peers_src)/$name
  dst="$(repo_root)/.peers/$name"
  case "$name" in
    nginx-ceiling)
      ensure_commands nginx:nginx
      [[ -f $src/nginx.conf.template ]] || { echo "no $src/nginx.conf.template" >&2; return 1; }
      ;;
    hummingbird-gateway)
      command -v swift >/dev/null 2>&1 || { echo "swift is not on PATH; cannot build $name" >&2; return 1; }
      mkdir -p "$dst"
      cp -Rp "$src/Package.swift" "$src/Sources" "$dst/"
      chmod -R u+w "$dst"
      echo "building $name in $dst (swift build -c release; several minutes the first time)" >&2
      (cd "$dst" && swift build -c release) >&2
      ;;
    cpp-httplib-seed)
      ensure_commands g++:g++ pkg-config:pkg-config
      ensure_packages libcpp-httplib-dev
      mkdir -p "$dst"
      cp -p "$src/main.cpp" "$dst/main.cpp"
      if [[ ! -x $dst/cpp-httplib-seed || $dst/main.cpp -nt $dst/cpp-httplib-seed ]]; then
        # shellcheck disable=SC2046 # pkg-config prints several flags that must split
        g++ -O2 -pthread -std=c++17 $(pkg-config --cflags cpp-httplib) "$dst/main.cpp" \
          -o "$dst/cpp-httplib-seed" $(pkg-config --libs cpp-httplib) >&2
      fi
      ;;
  esac
}

peer_start() {
  local name port prefix dir
  name=$(peer_name "$1")
  port=$2
  dir="$(repo_root)/.peers/$name"
  case "$name" in
    nginx-ceiling)
      prefix="$(repo_root)/.peers/nginx/$port"
      mkdir -p "$prefix"
      sed -e "s/__PORT__/$port/" -e 's/^daemon on;/daemon off;/' \
        "$(_peers_src)/nginx-ceiling/nginx.conf.template" >"$prefix/nginx.conf"
      ${PEER_PREFIX[@]+"${PEER_PREFIX[@]}"} nginx -p "$prefix" -e "$prefix/error.log" -c "$prefix/nginx.conf" \
        ${NGINX_EXTRA_DIRECTIVES:+-g "$NGINX_EXTRA_DIRECTIVES"} >"$prefix/stdout.log" 2>&1 &
      ;;
    hummingbird-gateway)
      [[ -x $dir/.build/release/HummingbirdGateway ]] || { echo "$name is not built (peer_build $name)" >&2; return 1; }
      ${PEER_PREFIX[@]+"${PEER_PREFIX[@]}"} "$dir/.build/release/HummingbirdGateway" "$port" >"$dir/run-$port.log" 2>&1 &
      ;;
    cpp-httplib-seed)
      [[ -x $dir/cpp-httplib-seed ]] || { echo "$name is not built (peer_build $name)" >&2; return 1; }
      ${PEER_PREFIX[@]+"${PEER_PREFIX[@]}"} "$dir/cpp-httplib-seed" "$port" >"$dir/run-$port.log" 2>&1 &
      ;;
  esac
  PEER_PID=$!
  # shellcheck disable=SC2034 # output for the caller
  PEER_PORT=$port
  if ! wait_http "http://127.0.0.1:$port/health" "$PEER_PID" "${PEER_START_SECS:-30}"; then
    peer_stop "$PEER_PID"
    return 1
  fi
}

peer_stop() {
  local pid=${1:-${PEER_PID:-}}
  [[ -n $pid ]] || return 0
  stop_pid "$pid" 10 || true
  [[ $pid == "${PEER_PID:-}" ]] && PEER_PID=
  return 0
}
