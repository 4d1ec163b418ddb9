# shellcheck shell=bash
# Headless Chromium and Selenium for the console's browser test.
#
# Source it (after process.sh and apt.sh); it only defines functions. Safe under `set -euo pipefail`.
#
#   ensure_browser   chromium and chromedriver on PATH (apt-get install chromium chromium-driver when
#                    root), a font (fonts-dejavu-core), and <repo>/.venv with selenium (PyPI).
#                    Exports BROWSER_PYTHON, the venv's python. The test gives Selenium chromedriver's
#                    path, so Selenium Manager never runs and nothing is downloaded at test time.

ensure_browser() {
  ensure_commands chromium:chromium chromedriver:chromium-driver python3:python3
  # chromium does not depend on any font; without one the screenshots are boxes.
  ensure_packages fonts-dejavu-core
  local venv
  venv="$(repo_root)/.venv"
  if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
    python3 -c 'import venv, ensurepip' 2>/dev/null || ensure_packages python3-venv
    [[ -x $venv/bin/pip ]] || python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q selenium >&2
  fi
  BROWSER_PYTHON=$venv/bin/python
  export BROWSER_PYTHON
}
