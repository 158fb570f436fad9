#!/usr/bin/env bash
# The main job on a machine without Docker: the real program, through the real Pulumi engine, with
# the docker layer off, against the local authentik-compatible test server (a fresh authentik with
# no API token, only akadmin's bootstrap password). It runs `pulumi up`, shows the outputs (secrets
# stay hidden), writes a .env from them, proves that SSO works for every OIDC client (`verify`: a real
# authorization-code login per redirect URI), runs a no-op preview and destroys the stack again.
# Everything lives in a temporary folder, removed at the end. `bash scripts/demo.sh brands` runs the
# tenants as authentik brands (dezky:tenancy) instead of groups only.
set -euo pipefail
tenancy="${1:-groups}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
. scripts/setup.sh >/dev/null
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port="$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
password="$(python -c 'import secrets; print(secrets.token_urlsafe(24))')"
python -m tests.authentik_server --port "$port" --akadmin-password "$password" > "$work/server.url" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/server.url" ] && break; sleep 0.1; done
echo "demo: local authentik-compatible server at $(cat "$work/server.url")" >&2

export PULUMI_BACKEND_URL="file://$work/state" PULUMI_CONFIG_PASSPHRASE="" \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PYTHONPATH="$repo"
mkdir -p "$work/state" "$work/project"
cp __main__.py "$work/project/"
sed "s|virtualenv: .venv|virtualenv: $repo/.venv|" Pulumi.yaml > "$work/project/Pulumi.yaml"
cd "$work/project"
pulumi stack init demo >/dev/null
pulumi config set dockerEnabled false >/dev/null
pulumi config set authentikUrl "$(cat "$work/server.url")" >/dev/null
# No Traefik here: browsers (and verify) reach this authentik directly, so that is its public URL too.
pulumi config set authentikPublicUrl "$(cat "$work/server.url")" >/dev/null
printf '%s' "$password" | pulumi config set --secret authentikBootstrapPassword >/dev/null
python -c 'import secrets; print(secrets.token_urlsafe(36), end="")' | pulumi config set --secret authentikToken >/dev/null
pulumi config set --path 'tenants[0].slug' acme >/dev/null
pulumi config set --path 'tenants[1].slug' globex >/dev/null
pulumi config set tenancy "$tenancy" >/dev/null

pulumi up --yes --skip-preview
pulumi stack output
(cd "$repo" && python -m dezky_infra env --stack demo --cwd "$work/project" --file "$work/demo.env")
echo "demo: .env written ($(stat -c %a "$work/demo.env")): $(cut -d= -f1 "$work/demo.env" | grep -v '^#' | tr '\n' ' ')" >&2
(cd "$repo" && python -m dezky_infra verify --stack demo --cwd "$work/project" --env-file "$work/demo.env")
pulumi preview --expect-no-changes
pulumi destroy --yes --skip-preview
