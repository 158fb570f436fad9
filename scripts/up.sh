#!/usr/bin/env bash
# The main job: set up (idempotent), create the stack's secrets if missing, `pulumi up` the whole
# Dezky dev stack, write the services' .env from the stack outputs, then prove that SSO works for every
# OIDC client (`python -m dezky_infra verify`: a real login per redirect URI, exit 1 naming the fix).
# `pulumi up` waits for postgres, authentik and Traefik; the app containers (platform-api, portal, ocis)
# are started, not waited for (a first `npm install` can take minutes), so the last lines say which app
# is ready and which still starts, and how to watch it. Traefik answers 404 for an app until it is healthy.
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

# The app containers of this stack carry the label dezky.stack=<stack> (and dezky.url when routed).
# Plain bash 3 (macOS's /bin/bash): no mapfile, arrays expanded only when not empty.
report_apps() {
  local names=() waiting=() name state health url
  command -v docker >/dev/null || return 0
  while IFS= read -r name; do names+=("$name"); done \
    < <(docker ps --all --filter "label=dezky.stack=$stack" --format '{{.Names}}' 2>/dev/null)
  [ "${#names[@]}" -gt 0 ] || return 0
  echo "up: the apps are started, not waited for (a first start runs npm install: minutes):"
  while IFS='|' read -r name state health url; do
    name="${name#/}"
    if [ "$state" = running ] && { [ "$health" = healthy ] || [ -z "$health" ]; }; then
      echo "up:   ready     $name${url:+  $url}"
    elif [ "$state" = running ] && [ "$health" != unhealthy ]; then
      echo "up:   starting  $name${url:+  $url answers 404 until it is healthy}"
      waiting+=("$name")
    else
      echo "up:   failing   $name  ${health:-$state}: docker logs $name"
      waiting+=("$name")
    fi
  done < <(docker inspect --format \
    '{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{index .Config.Labels "dezky.url"}}' \
    "${names[@]}")
  if [ "${#waiting[@]}" -gt 0 ]; then
    echo "up: watch them: docker ps --filter label=dezky.stack=$stack --format 'table {{.Names}}\t{{.Status}}'"
    echo "up: follow one: docker logs --follow ${waiting[0]}"
  fi
}

verified=0
python -m dezky_infra verify --stack "$stack" --env-file .env || verified=$?
report_apps
exit "$verified"
