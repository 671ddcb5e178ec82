#!/usr/bin/env bash
# Build (or find) the binaries of the e2e tier: kube-apiserver and etcd.
#
#   scripts/build-e2e-binaries.sh            # build what is missing, print the paths
#   scripts/build-e2e-binaries.sh --print    # print the paths only (exit 1 if missing)
#   GO=/path/to/go scripts/build-e2e-binaries.sh
#
# Binaries land in ${KUBECTL_SIDECAR_CACHE:-<repo>/.cache}/bin/<name>-<version>.
# Both are built from the Go module proxy in throwaway modules under
# <cache>/build/, never inside the repo. Idempotent: a binary already there is
# reused. Versions can be overridden with E2E_K8S_VERSION / E2E_ETCD_VERSION.
#
# The last lines of stdout are machine readable:
#   KUBE_APISERVER=<path>
#   ETCD=<path>
set -euo pipefail

K8S_VERSION="${E2E_K8S_VERSION:-1.34.4}"
ETCD_VERSION="${E2E_ETCD_VERSION:-3.6.4}"   # the etcd client version k8s 1.34 pins

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KUBECTL_SIDECAR_CACHE:-$REPO/.cache}"
BIN="$CACHE/bin"
BUILD="$CACHE/build"

APISERVER="$BIN/kube-apiserver-v$K8S_VERSION"
ETCD="$BIN/etcd-v$ETCD_VERSION"

log() { echo "[build-e2e] $*" >&2; }
die() { echo "[build-e2e] ERROR: $*" >&2; exit 1; }

if [[ "${1:-}" == "--print" ]]; then
    [[ -x "$APISERVER" && -x "$ETCD" ]] || { log "binaries missing (run without --print to build)"; exit 1; }
    echo "KUBE_APISERVER=$APISERVER"
    echo "ETCD=$ETCD"
    exit 0
fi

# Go's own installer puts it in /usr/local/go/bin, which a non-login shell may not have on PATH.
GO="${GO:-$(command -v go || true)}"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go; fi
need_go() {
    [[ -n "$GO" ]] || die "go not found (on PATH or in /usr/local/go/bin; or set GO=/path/to/go): needed to build $1; see docs/testing.md"
    export PATH="$(dirname "$GO"):$PATH"
}
mkdir -p "$BIN" "$BUILD"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0

# --- kube-apiserver ---------------------------------------------------------
build_apiserver() {
    local v="$K8S_VERSION" minor dir staging date
    need_go kube-apiserver
    minor="$(echo "$v" | cut -d. -f2)"
    dir="$BUILD/kube-apiserver-v$v"
    log "building kube-apiserver v$v in $dir (a first build downloads ~0.7 GB of modules, ~4 min on 2 cores)"
    rm -rf "$dir" && mkdir -p "$dir"
    # Every staging module that k8s.io/kubernetes requires as v0.0.0 must be
    # pinned to the matching published v0.<minor>.<patch>.
    local modfile="$dir/kubernetes.mod"
    (cd "$dir" && go mod download -json "k8s.io/kubernetes@v$v" >"$dir/dl.json") \
        || die "cannot download k8s.io/kubernetes@v$v from the Go module proxy"
    cp "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["GoMod"])' "$dir/dl.json")" "$modfile"
    # the release's commit time, from the proxy's .info, stands in for the build date
    date="$(python3 -c 'import json,sys; print(json.load(open(json.load(open(sys.argv[1]))["Info"]))["Time"])' "$dir/dl.json")"
    staging="$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$modfile" | sort -u)"
    [[ -n "$staging" ]] || die "found no staging modules in k8s.io/kubernetes@v$v go.mod"
    {
        echo "module kubectlsidecar.local/e2e-apiserver"
        echo
        echo "go $(awk '$1=="go"{print $2; exit}' "$modfile")"
        echo
        echo "require k8s.io/kubernetes v$v"
        echo
        echo "replace ("
        for m in $staging; do echo "	$m => $m v0.$minor.${v##*.}"; done
        echo ")"
    } >"$dir/go.mod"
    cat >"$dir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
EOF
    (cd "$dir" && go mod tidy) || die "go mod tidy failed for kube-apiserver v$v (see above)"
    local ld="-s -w"
    local pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld="$ld -X $pkg.gitVersion=v$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
    done
    (cd "$dir" && go build -trimpath -ldflags "$ld" -o "$APISERVER.tmp" k8s.io/kubernetes/cmd/kube-apiserver) \
        || die "go build k8s.io/kubernetes/cmd/kube-apiserver v$v failed (see above)"
    mv "$APISERVER.tmp" "$APISERVER"
}

# --- etcd -------------------------------------------------------------------
build_etcd() {
    local v="$ETCD_VERSION" dir major
    need_go etcd
    dir="$BUILD/etcd-v$v"
    log "building etcd v$v in $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    major="${v%%.*}"
    # Since 3.5 the etcd server's package main is the root of go.etcd.io/etcd/server/v3.
    {
        echo "module kubectlsidecar.local/e2e-etcd"
        echo
        echo "go 1.24"
        echo
        echo "require go.etcd.io/etcd/server/v$major v$v"
    } >"$dir/go.mod"
    cat >"$dir/tools.go" <<EOF
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v$major"
EOF
    (cd "$dir" && go mod tidy) || die "go mod tidy failed for etcd v$v (see above)"
    local ld="-s -w -X go.etcd.io/etcd/api/v$major/version.GitSHA=v$v"
    (cd "$dir" && go build -trimpath -ldflags "$ld" -o "$ETCD.tmp" "go.etcd.io/etcd/server/v$major") \
        || die "go build go.etcd.io/etcd/server/v$major@v$v failed (see above)"
    mv "$ETCD.tmp" "$ETCD"
}

if [[ -x "$APISERVER" ]]; then
    log "kube-apiserver v$K8S_VERSION already built: $APISERVER"
else
    t0=$SECONDS; build_apiserver
    log "kube-apiserver v$K8S_VERSION built in $((SECONDS - t0)) s ($(stat -c %s "$APISERVER") bytes): $APISERVER"
fi
if [[ -x "$ETCD" ]]; then
    log "etcd v$ETCD_VERSION already built: $ETCD"
else
    t0=$SECONDS; build_etcd
    log "etcd v$ETCD_VERSION built in $((SECONDS - t0)) s ($(stat -c %s "$ETCD") bytes): $ETCD"
fi

"$APISERVER" --version >&2 || die "$APISERVER does not run"
"$ETCD" --version >&2 || die "$ETCD does not run"
echo "KUBE_APISERVER=$APISERVER"
echo "ETCD=$ETCD"
