#!/usr/bin/env bash
# Create (once) a stack and give it the secrets it needs, generated here and stored as `secure:`
# config values: the authentik API token (also platform-api's token) and akadmin's bootstrap
# password. Existing values are kept. Usage: scripts/init-stack.sh [stack]   (default: dev)
set -euo pipefail
stack="${1:-dev}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pulumi stack select --create "$stack" >/dev/null
generate() { python3 -c 'import secrets; print(secrets.token_urlsafe(36))'; }
for key in authentikToken authentikBootstrapPassword; do
  if ! pulumi config get "$key" --stack "$stack" >/dev/null 2>&1; then
    generate | pulumi config set --secret "$key" --stack "$stack" >/dev/null
    echo "init-stack: generated dezky:$key for stack $stack (stored encrypted)" >&2
  fi
done
