#!/usr/bin/env bash
# The main job: set up (idempotent), create the stack's secrets if missing, `pulumi up` the whole
# Dezky dev stack, then write the services' .env from the stack outputs.
# Usage: scripts/up.sh [stack]   (default: dev). Needs a Docker engine and the mkcert files named in
# Pulumi.<stack>.yaml; with dezky:dockerEnabled=false it configures the authentik at authentikUrl.
set -euo pipefail
stack="${1:-dev}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh >/dev/null
bash scripts/init-stack.sh "$stack"
pulumi up --yes --stack "$stack"
python -m dezky_infra env --stack "$stack" --file .env
