#!/usr/bin/env bash
# Set up what the redaction tests (tests/test_redaction_xmp.py) need, where this machine allows
# it: Debian's ExifTool (libimage-exiftool-perl), the independent reader that checks no
# position survives in a shared original. Never fails the build by itself: when it cannot be
# installed it says so, and the tests then skip with instructions (or fail, under CI=true,
# where they must run).
set -uo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

if ! command -v exiftool >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "ensure-exiftool: installing Debian's libimage-exiftool-perl (for the redaction tests)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           libimage-exiftool-perl >/dev/null \
      || echo "ensure-exiftool: could not install exiftool (not root, or no package source)"
  else
    echo "ensure-exiftool: no apt-get here; install ExifTool (exiftool on PATH) to run the redaction tests"
  fi
fi

if command -v exiftool >/dev/null 2>&1; then
  echo "ensure-exiftool: ExifTool $(exiftool -ver 2>/dev/null)"
fi
exit 0
