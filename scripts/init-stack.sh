#!/usr/bin/env bash
# Create (once) a stack and give it the secrets it needs, generated here and stored as `secure:`
# config values: the authentik API token (also platform-api's token) and akadmin's bootstrap
# password. Existing values are kept, so a second run changes nothing.
# They go into Pulumi.<stack>.yaml, which is this developer's own (git-ignored; scripts/setup.sh makes
# Pulumi.dev.yaml from the committed Pulumi.dev.example.yaml): the passphrase that encrypts them is.
# The backend and the secrets passphrase are the user's own (`pulumi login`, PULUMI_BACKEND_URL,
# PULUMI_CONFIG_PASSPHRASE[_FILE], a stack secrets provider); where the user chose nothing, the
# project's local defaults apply (.pulumi-local/, see dezky_infra/cli/workspace.py) and are said once.
# Usage: scripts/init-stack.sh [stack]   (default: dev)
set -euo pipefail
stack="${1:-dev}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh >/dev/null   # the venv and the Pulumi CLI: a new user may run this script first
exports="$(python -m dezky_infra workspace --stack "$stack")"
eval "$exports"
pulumi stack select --create "$stack" --non-interactive >/dev/null
generate() { python -c 'import secrets; print(secrets.token_urlsafe(36))'; }
for key in authentikToken authentikBootstrapPassword; do
  if ! pulumi config get "$key" --stack "$stack" >/dev/null 2>&1; then
    generate | pulumi config set --secret "$key" --stack "$stack" --non-interactive >/dev/null
    echo "init-stack: generated dezky:$key for stack $stack (stored encrypted)" >&2
  fi
done
