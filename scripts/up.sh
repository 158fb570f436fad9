#!/usr/bin/env bash
# The main job: set up (idempotent), create the stack's secrets if missing, `pulumi up` the whole
# Dezky dev stack, write the services' .env from the stack outputs, then prove that SSO works for every
# OIDC client (`python -m dezky_infra verify`: a real login per redirect URI, exit 1 naming the fix).
# Usage: scripts/up.sh [stack]   (default: dev). Needs a Docker engine and the mkcert files named in
# Pulumi.<stack>.yaml (scripts/certs.sh makes them); with dezky:dockerEnabled=false it configures the
# authentik at authentikUrl. Where the user chose no Pulumi backend or passphrase, the project's local
# defaults apply (one line each says where).
set -euo pipefail
stack="${1:-dev}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh >/dev/null
exports="$(python -m dezky_infra workspace --stack "$stack")"
eval "$exports"
bash scripts/init-stack.sh "$stack"
pulumi up --yes --stack "$stack" --non-interactive
python -m dezky_infra env --stack "$stack" --file .env
python -m dezky_infra verify --stack "$stack" --env-file .env
