#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it: ./scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium (Playwright's own browser download is not used);
# the README's curl examples are run with curl; strace watches the journal's fsyncs.
MISSING=""
command -v chromium >/dev/null 2>&1 || MISSING="$MISSING chromium"
command -v curl >/dev/null 2>&1 || MISSING="$MISSING curl"
command -v strace >/dev/null 2>&1 || MISSING="$MISSING strace"
if [ -n "$MISSING" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
fi
# This project was once installed as "matching-engine", a name another project has on the package
# index; an old install of ours under that name would shadow this one.
if python3 -m pip show matching-engine 2>/dev/null | grep -q "^Summary: Exchange-grade price-time matching engine"; then
  python3 -m pip uninstall -y -q matching-engine
fi
python3 -m pip install -q -e ".[test]"
exec python3 -m pytest "$@"
