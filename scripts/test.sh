#!/usr/bin/env bash
# Set up (idempotent) and run every check dezky-infra has: lint, types, then the test suite, which
# includes the real Pulumi engine against the local authentik-compatible server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. scripts/setup.sh >/dev/null
# The team-backend tests keep Pulumi state in a local S3-compatible server (versitygw, built once from
# the Go module proxy into a cache); users of the program never need it.
bash scripts/install-versitygw.sh >/dev/null

echo "== ruff" >&2
ruff check .
ruff format --check .
echo "== mypy --strict dezky_infra" >&2
mypy dezky_infra
echo "== pytest" >&2
set +e
python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
