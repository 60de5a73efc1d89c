#!/usr/bin/env bash
# Installs SST's platform into .sst/platform (component sources, config.d.ts and its own
# @pulumi/* packages, ~300 MB) when it is missing or was installed by another SST version.
# `npm run typecheck` and the infra tests need it; a fresh clone (CI) does not have it.
#
# The variables keep `sst install` offline-safe: no Pulumi CLI or Bun download (only the npm
# registry is used, for the platform's packages), no telemetry.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

wanted=$(node -p 'require("./node_modules/sst/package.json").version')
installed=$(cat .sst/platform/version 2>/dev/null || true)
if [ -f .sst/platform/config.d.ts ] && [ "$installed" = "$wanted" ]; then
  exit 0
fi

echo "installing the SST ${wanted} platform into .sst/platform (sst install)…" >&2
SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1 \
  sst install --stage "${SST_INSTALL_STAGE:-ci}" >&2

if [ ! -f .sst/platform/config.d.ts ]; then
  echo "sst install finished but .sst/platform/config.d.ts is missing" >&2
  exit 1
fi
