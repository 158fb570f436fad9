#!/usr/bin/env bash
# Find, or build (once) and cache, the Pulumi CLI and its Python language host.
#
# A user's machine normally has Pulumi from its official installer: any `pulumi` on PATH of at least
# $PULUMI_MIN_VERSION, with its own Python language host beside it (or on PATH), is used as it is.
# Pulumi CLIs and SDKs are compatible across versions; the minimum is the version this project is
# tested with (the `pulumi` Python SDK pin). Only where there is none, or it is too old, is the CLI
# built from Go modules (that needs the `go` command), and the script says so with the reason.
#
# The build: the Pulumi CLI is not on any package registry reachable here, so it is built from the
# Go module proxy: a throw-away wrapper module requires github.com/pulumi/pulumi/{pkg,sdk}/v3 at the
# version pinned below and builds the CLI the way pulumi's release does (CGO_ENABLED=0, -trimpath,
# tags osusergo,grpcnotrace, version stamped with -X so the Automation API accepts it).
#
# pulumi's own Python language host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
# is a separate Go module without release tags, and the Go module proxy reachable here serves no
# version of it (neither a list nor commit queries). So the build makes a small language host of
# its own (tools/pulumi-language-python, a Go module of its own requiring sdk/v3 at the same version)
# on top of sdk/v3's Python toolchain package; it runs programs through pulumi's
# pulumi-language-python-exec shim exactly as the real host does.
# pulumi-language-python-exec and pulumi-resource-pulumi-python (dynamic providers) are copied from
# the sdk/v3 module download.
#
# Usage:  export PATH="$(scripts/install-pulumi.sh):$PATH"
# Progress goes to stderr; the last line on stdout is the bin directory.
# Cache: ${DEZKY_PULUMI_HOME:-$HOME/.cache/dezky-infra/pulumi-v<version>}/bin
set -euo pipefail

PULUMI_VERSION=3.260.0
PULUMI_MIN_VERSION="$PULUMI_VERSION"
PULUMI_HOME_DIR="${DEZKY_PULUMI_HOME:-$HOME/.cache/dezky-infra/pulumi-v${PULUMI_VERSION}}"
BIN_DIR="$PULUMI_HOME_DIR/bin"
HELPERS=(pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)
# Our own Python language host (see tools/pulumi-language-python/main.go for why; run_plugin.go starts
# policy packs); the cache records the hash of the sources it was built from (its Go files without
# the tests, go.mod, go.sum), so a change rebuilds it, and only it when the cached CLI is right.
HOST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/pulumi-language-python"
HOST_HASH="$(find "$HOST_DIR" -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print0 |
  LC_ALL=C sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)"

log() { printf 'install-pulumi: %s\n' "$*" >&2; }

# pulumi_version <path-to-pulumi>: the version it reports without the v (empty when it does not run).
pulumi_version() {
  PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tail -n 1 | sed -n 's/^v\([0-9][0-9.]*\).*$/\1/p'
}

# build_host <output>: our language host, from its own module, with pulumi's release flags.
build_host() {
  (cd "$HOST_DIR" && GOWORK=off CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags osusergo,grpcnotrace \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}" -o "$1" .)
}

# at_least <version> <minimum>: true when version >= minimum (numeric, dot by dot).
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# bin_dir_ok <dir>: our build of the pinned version plus the Python helpers, all executable.
bin_dir_ok() {
  local dir="$1" h
  [ -x "$dir/pulumi" ] || return 1
  [ "$(cat "$dir/.language-host.sha256" 2>/dev/null)" = "$HOST_HASH" ] || return 1
  for h in "${HELPERS[@]}"; do
    [ -x "$dir/$h" ] || return 1
  done
  [ "$(pulumi_version "$dir/pulumi")" = "$PULUMI_VERSION" ]
}

# 1. A pulumi on PATH (the official installer's, or one built here earlier) that is recent enough and
#    has its Python helpers beside it or on PATH. Otherwise say why it is not used.
reason="no pulumi on PATH"
if on_path="$(command -v pulumi 2>/dev/null)" && [ "$(dirname "$on_path")" != "$BIN_DIR" ]; then
  path_dir="$(cd "$(dirname "$on_path")" && pwd)"
  found_version="$(pulumi_version "$on_path")"
  missing=()
  for h in "${HELPERS[@]}"; do
    if [ ! -x "$path_dir/$h" ] && ! command -v "$h" >/dev/null 2>&1; then
      missing+=("$h")
    fi
  done
  if [ -z "$found_version" ]; then
    reason="$on_path does not report a version"
  elif ! at_least "$found_version" "$PULUMI_MIN_VERSION"; then
    reason="pulumi v$found_version on PATH ($path_dir) is older than the minimum v$PULUMI_MIN_VERSION"
  elif [ "${#missing[@]}" -gt 0 ]; then
    reason="pulumi v$found_version on PATH ($path_dir) has no ${missing[*]} beside it or on PATH"
  else
    log "using pulumi v$found_version found on PATH in $path_dir"
    echo "$path_dir"
    exit 0
  fi
fi

# 2. Our cache.
if bin_dir_ok "$BIN_DIR"; then
  log "using cached pulumi v${PULUMI_VERSION} in $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

# 3. The cached CLI and helpers are right and only our host's sources changed: rebuild the host alone
#    (seconds; the CLI takes minutes), replacing it atomically.
if [ -x "$BIN_DIR/pulumi" ] && [ -x "$BIN_DIR/pulumi-language-python-exec" ] &&
  [ -x "$BIN_DIR/pulumi-resource-pulumi-python" ] && command -v go >/dev/null 2>&1 &&
  [ "$(pulumi_version "$BIN_DIR/pulumi")" = "$PULUMI_VERSION" ]; then
  log "rebuilding pulumi-language-python in $BIN_DIR: its sources changed"
  host_tmp="$(mktemp "$BIN_DIR/.pulumi-language-python.XXXXXX")"
  hash_tmp="$(mktemp "$BIN_DIR/.language-host.sha256.XXXXXX")"
  trap 'rm -f "$host_tmp" "$hash_tmp"' EXIT
  build_host "$host_tmp"
  chmod 0755 "$host_tmp"
  echo "$HOST_HASH" > "$hash_tmp"
  chmod 0644 "$hash_tmp"
  mv -f "$host_tmp" "$BIN_DIR/pulumi-language-python"
  mv -f "$hash_tmp" "$BIN_DIR/.language-host.sha256"
  bin_dir_ok "$BIN_DIR" || { log "error: $BIN_DIR is still incomplete after the rebuild"; exit 1; }
  echo "$BIN_DIR"
  exit 0
fi

# 4. Build.
command -v go >/dev/null 2>&1 || {
  log "error: $reason, and no go command to build one: install Pulumi (https://www.pulumi.com/docs/install/) or Go"
  exit 1
}
log "building pulumi v${PULUMI_VERSION} from Go modules: $reason (takes several minutes)"
start_s=$SECONDS

parent_dir="$(dirname "$PULUMI_HOME_DIR")"
mkdir -p "$parent_dir"
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/dezky-pulumi-build.XXXXXX")"
stage_dir="$(mktemp -d "$parent_dir/.pulumi-v${PULUMI_VERSION}.partial.XXXXXX")"
cleanup() { rm -rf "$work_dir" "$stage_dir"; }
trap cleanup EXIT

export GOWORK=off

log "resolving github.com/pulumi/pulumi/pkg/v3@v${PULUMI_VERSION} on the Go module proxy"
pkg_gomod="$(cd "$work_dir" && go mod download -json "github.com/pulumi/pulumi/pkg/v3@v${PULUMI_VERSION}" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
[ -f "$pkg_gomod" ] || { log "error: could not download pkg/v3@v${PULUMI_VERSION}"; exit 1; }
# The one non-local replace of pkg/v3's go.mod: repeat it in the wrapper module.
clipboard_replace="$(sed -n 's/^replace \(github.com\/atotto\/clipboard => .*\)$/\1/p' "$pkg_gomod")"
[ -n "$clipboard_replace" ] || { log "error: no clipboard replace found in $pkg_gomod"; exit 1; }

sdk_dir="$(cd "$work_dir" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v${PULUMI_VERSION}" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
[ -f "$sdk_dir/python/cmd/pulumi-language-python-exec" ] && [ -f "$sdk_dir/python/dist/pulumi-resource-pulumi-python" ] || {
  log "error: python helpers not found under $sdk_dir/python"; exit 1; }

cat > "$work_dir/go.mod" <<EOF
module dezky.local/pulumi-build

go 1.24

replace $clipboard_replace
EOF
cat > "$work_dir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF

(
  cd "$work_dir"
  log "fetching modules (go get + go mod tidy)"
  # go's download chatter goes to a log, shown only on failure.
  if ! { go get "github.com/pulumi/pulumi/pkg/v3@v${PULUMI_VERSION}" \
           "github.com/pulumi/pulumi/sdk/v3@v${PULUMI_VERSION}" && go mod tidy; } >fetch.log 2>&1; then
    cat fetch.log >&2
    log "error: fetching modules failed"
    exit 1
  fi
  # tidy must not have moved the pins.
  grep -q "github.com/pulumi/pulumi/pkg/v3 v${PULUMI_VERSION}\$" go.mod
  grep -Eq "github.com/pulumi/pulumi/sdk/v3 v${PULUMI_VERSION}( // indirect)?\$" go.mod

  build() {
    CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}" \
      -o "$stage_dir/bin/$1" "$2"
  }
  log "compiling pulumi (the long part)"
  build pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  log "compiling pulumi-language-python"
  build_host "$stage_dir/bin/pulumi-language-python"
)

cp "$sdk_dir/python/cmd/pulumi-language-python-exec" "$stage_dir/bin/"
cp "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$stage_dir/bin/"
chmod 0755 "$stage_dir/bin/"*
echo "$HOST_HASH" > "$stage_dir/bin/.language-host.sha256"
chmod 0755 "$stage_dir"

bin_dir_ok "$stage_dir/bin" || { log "error: the freshly built pulumi does not report v${PULUMI_VERSION}"; exit 1; }

# Move into place atomically (rename on the same filesystem); replace a stale cache if any.
if [ -e "$PULUMI_HOME_DIR" ]; then
  old_dir="$(mktemp -d "$parent_dir/.pulumi-v${PULUMI_VERSION}.old.XXXXXX")"
  mv "$PULUMI_HOME_DIR" "$old_dir/"
  mv "$stage_dir" "$PULUMI_HOME_DIR"
  rm -rf "$old_dir"
else
  mv "$stage_dir" "$PULUMI_HOME_DIR"
fi

log "installed pulumi v${PULUMI_VERSION} in $BIN_DIR ($((SECONDS - start_s))s)"
echo "$BIN_DIR"
