#!/usr/bin/env bash
# Build (once) and cache versitygw, the S3-compatible gateway the team-backend tests store Pulumi
# state in (tests/engine/s3_backend.py runs it with its posix backend on a temp folder).
#
# versitygw is built from the Go module proxy at the version pinned below. Its go.mod has no replace
# directives, so a plain `go install <main package>@<version>` works (no wrapper module as for
# pulumi). The build is static (CGO_ENABLED=0, -trimpath) with the version stamped the way its
# Makefile does (-X main.Version; `versitygw --version` is how the cache is checked).
#
# Usage:  export PATH="$(scripts/install-versitygw.sh):$PATH"
# Progress goes to stderr; the last line on stdout is the bin directory.
# Cache: ${DEZKY_VERSITYGW_HOME:-$HOME/.cache/dezky-infra/versitygw-v<version>}/bin
set -euo pipefail

VERSITYGW_VERSION=1.8.0
MODULE=github.com/versity/versitygw
MAIN_PACKAGE="$MODULE/cmd/versitygw"
VGW_HOME_DIR="${DEZKY_VERSITYGW_HOME:-$HOME/.cache/dezky-infra/versitygw-v${VERSITYGW_VERSION}}"
BIN_DIR="$VGW_HOME_DIR/bin"

log() { printf 'install-versitygw: %s\n' "$*" >&2; }

# version_ok <path-to-versitygw>: true when it runs and reports exactly v$VERSITYGW_VERSION.
version_ok() {
  [ -x "$1" ] || return 1
  local out
  out="$("$1" --version 2>/dev/null | sed -n 's/^Version *: *//p')" || return 1
  [ "$out" = "v${VERSITYGW_VERSION}" ]
}

# 1. The cache.
if version_ok "$BIN_DIR/versitygw"; then
  log "using cached versitygw v${VERSITYGW_VERSION} in $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

# 2. Build.
command -v go >/dev/null 2>&1 || { log "error: the go command is needed to build versitygw"; exit 1; }
log "building versitygw v${VERSITYGW_VERSION} with $(go version) (takes a few minutes)"
start_s=$SECONDS

parent_dir="$(dirname "$VGW_HOME_DIR")"
mkdir -p "$parent_dir"
stage_dir="$(mktemp -d "$parent_dir/.versitygw-v${VERSITYGW_VERSION}.partial.XXXXXX")"
build_log="$(mktemp "${TMPDIR:-/tmp}/dezky-versitygw-build.XXXXXX")"
cleanup() { rm -rf "$stage_dir" "$build_log"; }
trap cleanup EXIT

# Outside any module or workspace, `go install pkg@version` resolves exactly that version.
export GOWORK=off
# go's download chatter goes to a log, shown only on failure.
if ! (cd "$stage_dir" && CGO_ENABLED=0 GOBIN="$stage_dir/bin" go install -trimpath \
        -ldflags "-X=main.Version=v${VERSITYGW_VERSION}" \
        "${MAIN_PACKAGE}@v${VERSITYGW_VERSION}") >"$build_log" 2>&1; then
  cat "$build_log" >&2
  log "error: building versitygw failed"
  exit 1
fi
chmod 0755 "$stage_dir" "$stage_dir/bin" "$stage_dir/bin/versitygw"
version_ok "$stage_dir/bin/versitygw" || {
  log "error: the freshly built versitygw does not report v${VERSITYGW_VERSION}"; exit 1; }

# Move into place atomically (rename on the same filesystem); replace a stale cache if any.
if [ -e "$VGW_HOME_DIR" ]; then
  old_dir="$(mktemp -d "$parent_dir/.versitygw-v${VERSITYGW_VERSION}.old.XXXXXX")"
  mv "$VGW_HOME_DIR" "$old_dir/"
  mv "$stage_dir" "$VGW_HOME_DIR"
  rm -rf "$old_dir"
else
  mv "$stage_dir" "$VGW_HOME_DIR"
fi

log "installed versitygw v${VERSITYGW_VERSION} in $BIN_DIR ($((SECONDS - start_s))s)"
echo "$BIN_DIR"
