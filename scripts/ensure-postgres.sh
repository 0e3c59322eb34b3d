#!/usr/bin/env bash
# Set up what the PostgreSQL tests need, where this machine allows it: Debian's `postgresql`
# package (initdb, pg_ctl, postgres). The tests start a throwaway cluster of their own in a
# temporary directory on a free loopback port; nothing here starts or configures a server.
# Never fails the build by itself: when it cannot be installed it says so, and the tests then
# skip the PostgreSQL runs with instructions (or fail, under CI=true, where they must run).
set -uo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

find_initdb() {
  command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1
}

if [ -z "$(find_initdb)" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: installing Debian's postgresql (for the PostgreSQL backend's tests)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           postgresql >/dev/null \
      || echo "ensure-postgres: could not install postgresql (not root, or no package source)"
  else
    echo "ensure-postgres: no apt-get here; install PostgreSQL (initdb, pg_ctl) to run its tests"
  fi
fi

if [ -n "$(find_initdb)" ]; then
  echo "ensure-postgres: $("$(find_initdb)" --version 2>/dev/null)"
fi
exit 0
