#!/usr/bin/env bash
# Creates or refreshes the project virtualenv (.venv) from the pinned requirements.
# Re-runs are cheap: it reinstalls only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
python=${B3_PYTHON:-$(command -v python3.11 || command -v python3)}
stamp=$venv/.requirements.sha256
want=$(cat glue-scripts/requirements*.txt | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
echo "setting up $venv with $("$python" --version) from glue-scripts/requirements-dev.txt" >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r glue-scripts/requirements-dev.txt
echo "$want" > "$stamp"
