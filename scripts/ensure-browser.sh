#!/usr/bin/env bash
# Set up what the browser tests (tests/e2e) need, where this machine allows it:
#   * Debian's Chromium at /usr/bin/chromium (Playwright's own browser download is not used);
#   * axe-core, from the npm registry, in tests/e2e/node_modules (test-only, pinned by the lock).
# Never fails the build by itself: when something cannot be installed it says so, and the tests
# then skip with instructions (or fail, under CI=true, where they must run).
set -uo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium
E2E=tests/e2e

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

if [ ! -x "$CHROMIUM" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: installing Debian's chromium (for the browser tests)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           chromium fonts-dejavu-core >/dev/null \
      || echo "ensure-browser: could not install chromium (not root, or no package source)"
  else
    echo "ensure-browser: no apt-get here; install Chromium at $CHROMIUM to run the browser tests"
  fi
fi

if [ ! -f "$E2E/node_modules/axe-core/axe.min.js" ] \
   || [ "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]; then
  if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: installing npm (to fetch axe-core)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null \
      || echo "ensure-browser: could not install npm"
  fi
  if command -v npm >/dev/null 2>&1; then
    (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error) \
      || echo "ensure-browser: npm ci failed in $E2E; the accessibility checks will not run"
  fi
fi

if [ -x "$CHROMIUM" ]; then
  echo "ensure-browser: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
fi
exit 0
