#!/usr/bin/env bash
# Installs Debian's chromium, the real browser the report test draws in (headless, driven by
# playwright-core), when `chromium` is not on the PATH. Once per machine; a re-run with chromium in
# place does nothing. Needs apt-get and root (or sudo without a password); says what to do otherwise.
# B3_CHROMIUM may name another Chromium build instead (a CI image's Chrome, where apt has no chromium).
set -euo pipefail

if [ -n "${B3_CHROMIUM:-}" ]; then
  [ -x "$B3_CHROMIUM" ] || { echo "ensure-chromium: B3_CHROMIUM=$B3_CHROMIUM is not an executable file" >&2; exit 1; }
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

fail() {
  echo "ensure-chromium: $1" >&2
  echo "what to do: install Debian's chromium package (apt-get install chromium) so that \`chromium\` is on the PATH, then re-run" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "chromium is not on the PATH and apt-get is not available"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  fail "chromium is not on the PATH and installing it needs root (or sudo without a password)"
fi

echo "installing Debian's chromium for the browser tests (apt-get install chromium)…" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >&2 || fail "apt-get update failed"
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >&2 ||
  fail "apt-get install chromium failed"
command -v chromium >/dev/null 2>&1 || fail "apt-get installed chromium but \`chromium\` is still not on the PATH"
