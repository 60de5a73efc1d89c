#!/usr/bin/env bash
# Installs the Trino 476 that `b3 query --engine trino` and its tests run on (about 820 MB from Maven
# Central, checked against its published SHA-1) into the user's cache, outside the repository:
# ${B3_TRINO_CACHE:-${XDG_CACHE_HOME:-~/.cache}/b3-pipeline}/trino-476. Once per machine; a re-run
# with Trino in place does nothing. It needs Java 24+ to run (not to install): it says so if none is found.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
node packages/cli/src/b3.ts trino install >/dev/null
