#!/usr/bin/env bash
# The one test command (`npm test`): installs what a fresh clone lacks, then runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
bash scripts/setup-python.sh
bash scripts/ensure-sst.sh
bash scripts/ensure-trino.sh
bash scripts/ensure-chromium.sh

# node_modules/.bin first: the project's own Node 22 and tools.
export PATH="$PWD/node_modules/.bin:$PATH"
echo "node $(node --version)"

biome check .
tsc --noEmit -p tsconfig.json
tsc --noEmit -p tsconfig.infra.json
vitest run
vitest run -c vitest.infra.config.ts

# The Glue job (PySpark, on the pinned pyspark of glue-scripts/requirements.txt).
.venv/bin/ruff check glue-scripts
.venv/bin/ruff format --check glue-scripts
.venv/bin/python -m pytest glue-scripts -q
