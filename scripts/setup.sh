#!/usr/bin/env bash
# Set up everything dezky-infra needs on a fresh machine, idempotently:
#   1. your own dev stack file Pulumi.dev.yaml, copied once from the committed Pulumi.dev.example.yaml
#      (git-ignored: it gets your stack's secrets, encrypted with your passphrase; never overwritten);
#   2. the project virtualenv .venv with requirements-dev.txt (runtime + test tools);
#   2b. the extra authentik-client releases of requirements-contracts.txt, each in its own
#       .venv/contracts/authentik-client-<release>/ (pip --target, no deps: the local authentik
#       server loads them side by side, see tests/authentik_server/contract.py);
#   3. the Pulumi CLI and Python language host, built from Go modules (scripts/install-pulumi.sh).
# Source it (". scripts/setup.sh") to get PATH and the offline Pulumi settings in your shell;
# running it (bash scripts/setup.sh) prints the same settings as export lines.
#
# Sourced, it changes nothing in your shell but those two variables: the work runs in a child bash
# with its own `set -euo pipefail`, so your shell's options (errexit, nounset, pipefail) stay as they
# were, whether the setup succeeds or fails; a failure returns 1 (a script with `set -e` stops there).
if (return 0 2>/dev/null); then
  if _dezky_setup_exports="$(bash "${BASH_SOURCE[0]}")"; then
    eval "$_dezky_setup_exports"
    unset _dezky_setup_exports
    return 0
  fi
  unset _dezky_setup_exports
  echo "setup: failed (see above); nothing in this shell was changed" >&2
  return 1
fi

set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"

for template in "$here"/Pulumi.*.example.yaml; do
  [ -f "$template" ] || continue
  stack_file="${template%.example.yaml}.yaml"
  if [ ! -e "$stack_file" ]; then
    partial="$(mktemp "$stack_file.XXXXXX")"
    cp "$template" "$partial"
    chmod 0644 "$partial"
    mv "$partial" "$stack_file"
    echo "setup: made ${stack_file##*/} from ${template##*/}: your own stack settings (git-ignored)" >&2
  fi
done

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
# $PATH stays literal: the line prepends to whatever PATH the shell that evaluates it has.
printf 'export PATH=%q:%q:"$PATH" PULUMI_SKIP_UPDATE_CHECK=true\n' "$pulumi_bin" "$here/.venv/bin"
