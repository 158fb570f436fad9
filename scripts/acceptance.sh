#!/usr/bin/env bash
# The acceptance suite against a real authentik (2025.10 or 2026.2: the tests learn its release): the
# engine, verify and end-to-end fault tests marked `acceptance`, pointed at the authentik in
# DEZKY_ACCEPTANCE_AUTHENTIK_URL (tests/target.py).
# Every object a test makes carries a per-run prefix and is deleted at the end; tests that need the
# local server (stopping or wiping authentik, counting calls exactly) are skipped with their reason.
# Usage: DEZKY_ACCEPTANCE_AUTHENTIK_URL=http://localhost:9000 DEZKY_ACCEPTANCE_AKADMIN_PASSWORD=... \
#        [DEZKY_ACCEPTANCE_AUTHENTIK_TOKEN=...] [DEZKY_ACCEPTANCE_CA_BUNDLE=...] bash scripts/acceptance.sh
set -euo pipefail
: "${DEZKY_ACCEPTANCE_AUTHENTIK_URL:?set it to authentik's base URL, e.g. http://localhost:9000}"
: "${DEZKY_ACCEPTANCE_AKADMIN_PASSWORD:?set it to akadmin's password (AUTHENTIK_BOOTSTRAP_PASSWORD)}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh >/dev/null
exec python -m pytest -m acceptance "$@"
