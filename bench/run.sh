#!/usr/bin/env bash
# One command for the benchmarks: set up (venv + Pulumi CLI, idempotent), then `python -m bench "$@"`.
# Quick run (~6 min): bash bench/run.sh --tenants 1,10 --reps 1    Full run (over an hour on 2 cores): bash bench/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. scripts/setup.sh >/dev/null
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
exec python -m bench "$@"
