#!/usr/bin/env bash
# Build the real krew (`kubectl-krew`) and `validate-krew-manifest` from the Go module proxy into the
# ignored cache folder ${KUBECTL_SIDECAR_CACHE:-<repo>/.cache}/bin/. Idempotent: a binary that is
# already there at the pinned version is kept. Prints the bin folder on stdout (progress on stderr).
#
# Usage: scripts/build-krew-tools.sh            build if needed
#        KREW_VERSION=v0.4.3 GO=/path/to/go scripts/build-krew-tools.sh
set -euo pipefail

# v0.4.3 is the newest krew the Go module proxy serves (later tags are not published as modules).
KREW_VERSION="${KREW_VERSION:-v0.4.3}"

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${KUBECTL_SIDECAR_CACHE:-$repo/.cache}"
bin="$cache/bin"
stamp="$bin/.krew-tools-version"

# Go's own installer puts it in /usr/local/go/bin, which a non-login shell may not have on PATH.
GO="${GO:-$(command -v go || true)}"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go; fi
if [[ -z "$GO" ]]; then
  echo "build-krew-tools: go not found (on PATH or in /usr/local/go/bin); set GO=/path/to/go" >&2
  exit 3
fi

if [[ -x "$bin/kubectl-krew" && -x "$bin/validate-krew-manifest" && -f "$stamp" \
      && "$(cat "$stamp")" == "$KREW_VERSION" ]]; then
  echo "build-krew-tools: krew $KREW_VERSION already in $bin" >&2
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
echo "build-krew-tools: building krew $KREW_VERSION into $bin" >&2
# `go install pkg@version` builds outside any module (krew's go.mod has no replace directives); GOBIN
# puts both binaries in a temp folder first, so a failed build leaves no half-made tool; CGO off so the
# result is static and needs no C toolchain.
tmpbin="$(mktemp -d "$bin/.build.XXXXXX")"
trap 'rm -rf "$tmpbin"' EXIT
CGO_ENABLED=0 GOBIN="$tmpbin" GOFLAGS="${GOFLAGS:-} -buildvcs=false" "$GO" install \
  "sigs.k8s.io/krew/cmd/krew@$KREW_VERSION" \
  "sigs.k8s.io/krew/cmd/validate-krew-manifest@$KREW_VERSION" >&2
# kubectl finds krew as the plugin `kubectl-krew`.
mv -f "$tmpbin/krew" "$bin/kubectl-krew"
mv -f "$tmpbin/validate-krew-manifest" "$bin/validate-krew-manifest"
echo "$KREW_VERSION" > "$stamp"
echo "$bin"
