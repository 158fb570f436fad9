#!/usr/bin/env bash
# The local TLS files a stack names (dezky:docker.tls cert_file, key_file, ca_file), made with mkcert:
# a certificate for *.<domain> and *.auth.<domain> (tenants' brand hosts are <tenant>.auth.<domain>, and
# a wildcard covers one label only) with its key, and mkcert's root CA, which the containers and the
# authentik providers trust. Files that exist are kept; the key is readable by its owner only.
# Usage: scripts/certs.sh [stack]   (default: dev; the domain and file names come from Pulumi.<stack>.yaml,
# or, before scripts/setup.sh made that file, from its committed template Pulumi.<stack>.example.yaml)
set -euo pipefail
stack="${1:-dev}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v mkcert >/dev/null 2>&1; then
  echo "certs: mkcert is not installed; install it (https://github.com/FiloSottile/mkcert#installation) and run scripts/certs.sh again" >&2
  exit 1
fi

stack_file="Pulumi.$stack.yaml"
if [ ! -f "$stack_file" ] && [ -f "Pulumi.$stack.example.yaml" ]; then
  stack_file="Pulumi.$stack.example.yaml"
fi
# The first `<key>: <value>` line of the stack file, quotes removed.
setting() {
  sed -n "s/^ *$1: *//p" "$stack_file" | head -n 1 | tr -d "\"'"
}
domain="$(setting 'dezky:domain')"
cert="$(setting cert_file)"
key="$(setting key_file)"
ca="$(setting ca_file)"
for name in domain cert key ca; do
  if [ -z "${!name}" ]; then
    echo "certs: $stack_file names no $name (dezky:domain, dezky:docker.tls cert_file/key_file/ca_file)" >&2
    exit 1
  fi
done

mkdir -p "$(dirname "$cert")" "$(dirname "$key")" "$(dirname "$ca")"
if [ -f "$cert" ] && [ -f "$key" ]; then
  echo "certs: keeping $cert and $key"
else
  # A certificate without its key (or the other way round) is of no use: make the pair again.
  mkcert -cert-file "$cert" -key-file "$key" "*.$domain" "*.auth.$domain"
fi
chmod 600 "$key"
if [ -f "$ca" ]; then
  echo "certs: keeping $ca"
else
  cp "$(mkcert -CAROOT)/rootCA.pem" "$ca"
  echo "certs: copied mkcert's root CA to $ca"
fi
