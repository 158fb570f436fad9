#!/usr/bin/env bash
# Set up everything dezky-infra needs on a fresh machine, idempotently:
#   1. the project virtualenv .venv with requirements-dev.txt (runtime + test tools);
#   1b. the extra authentik-client releases of requirements-contracts.txt, each in its own
#       .venv/contracts/authentik-client-<release>/ (pip --target, no deps: the local authentik
#       server loads them side by side, see tests/authentik_server/contract.py);
#   2. the Pulumi CLI and Python language host, built from Go modules (scripts/install-pulumi.sh).
# Source it (". scripts/setup.sh") to get PATH and the offline Pulumi settings in your shell;
# running it prints the same exports.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"

if [ ! -x "$here/.venv/bin/python" ]; then
  echo "setup: creating $here/.venv" >&2
  "$python" -m venv "$here/.venv"
fi
stamp="$here/.venv/.requirements.sha256"
want="$(cat "$here/requirements.txt" "$here/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python requirements into .venv" >&2
  "$here/.venv/bin/pip" install --disable-pip-version-check -q -r "$here/requirements-dev.txt"
  echo "$want" > "$stamp"
fi

# One directory per release; it appears only once pip has finished (installed beside it, then moved),
# so an interrupted run is retried and a listed release that is present is never installed again.
contracts="$here/.venv/contracts"
grep -Ev '^[[:space:]]*(#|$)' "$here/requirements-contracts.txt" | while read -r requirement; do
  release="${requirement##*==}"
  case "$requirement" in
    authentik-client==*) ;;
    *) echo "setup: requirements-contracts.txt: expected authentik-client==<release>, got '$requirement'" >&2; exit 1 ;;
  esac
  target="$contracts/authentik-client-$release"
  [ -d "$target/authentik_client" ] && continue
  echo "setup: installing $requirement into $target" >&2
  rm -rf "$target.partial"
  mkdir -p "$contracts"
  "$here/.venv/bin/pip" install --disable-pip-version-check -q --no-deps --target "$target.partial" "$requirement"
  mv "$target.partial" "$target"
done

pulumi_bin="$(bash "$here/scripts/install-pulumi.sh" | tail -n 1)"
export PATH="$pulumi_bin:$here/.venv/bin:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
echo "export PATH=\"$pulumi_bin:$here/.venv/bin:\$PATH\" PULUMI_SKIP_UPDATE_CHECK=true"
