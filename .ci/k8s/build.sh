#!/usr/bin/env bash
# Builds the control-plane binaries the integration tests run, from Go modules through the Go module
# proxy: kube-apiserver and kubectl of one Kubernetes release, the etcd (and etcdctl) that release
# pins, and the KEDA operator at the version of the pinned KEDA CRDs.
#
# Neither k8s.io/kubernetes nor etcd's server nor KEDA can be `go install`ed: their go.mod files
# replace sibling modules with local paths. For each, a small wrapper module requires the module and
# turns every local-path replace of its go.mod into a replace by the published version of that
# sibling module; everything else is copied as it is. Cold: about 20 min on 2 cores; warm: seconds.
#
# Output: $KLAXON_TOOLS (default ~/.cache/klaxon/tools)/<name>-<version>/bin, built only when missing
# (a new pinned version builds into a new folder). Prints the bin directories, one per line.
# `build.sh locate` prints them without building, and fails naming what is not built yet.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.34.4}     # kube-apiserver, kubectl
KEDA_VERSION=${KEDA_VERSION:-2.20.2}   # = ../shared/crds/keda-2.20.2
TOOLS=${KLAXON_TOOLS:-$HOME/.cache/klaxon/tools}
here=$(cd "$(dirname "$0")" && pwd)
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$TOOLS"

# modfile_of MODULE VERSION -> path of the downloaded go.mod
modfile_of() { go mod download -json "$1@$2" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p'; }

# wrapper DIR MODULE VERSION SIBLING_VERSION PKG... : a module that can build PKG... of MODULE@VERSION
wrapper() {
  local dir=$1 module=$2 version=$3 sibling=$4; shift 4
  rm -rf "$dir"; mkdir -p "$dir"
  local gomod; gomod=$(cd "$dir" && GOFLAGS= go mod download -json "$module@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  local goline; goline=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod" | head -1)
  {
    echo "module klaxon.local/build"
    echo "go $goline"
    echo "require $module $version"
    # replace lines, single or in a block; local-path targets become the sibling's published version
    awk '/^replace \($/{b=1;next} b&&/^\)$/{b=0;next} b{print;next} /^replace /{sub(/^replace /,"");print}' "$gomod" |
      while read -r lhs arrow rhs rest; do
        [ "$arrow" = "=>" ] || continue
        case "$rhs" in
          *FORBIDDEN_DEPENDENCY*) ;;
          ./*|../*) echo "replace $lhs => $lhs $sibling" ;;
          *) echo "replace $lhs => $rhs $rest" ;;
        esac
      done
  } > "$dir/go.mod"
  { echo "//go:build tools"; echo; echo "package tools"; echo; echo "import ("
    for p in "$@"; do echo "	_ \"$p\""; done; echo ")"; } > "$dir/tools.go"
  (cd "$dir" && go mod tidy >/dev/null)
}

build_k8s() {
  local out="$TOOLS/kubernetes-$K8S_VERSION"
  if missing "$out/bin/kubectl" "kube-apiserver/kubectl $K8S_VERSION"; then
    echo "build.sh: building kube-apiserver and kubectl $K8S_VERSION (cold: about 15 min)" >&2
    local minor=${K8S_VERSION#*.}; minor=${minor%%.*}
    local w="$TOOLS/.wrap-kubernetes"
    wrapper "$w" k8s.io/kubernetes "v$K8S_VERSION" "v0.${K8S_VERSION#*.}" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
    local ld="" pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    rm -rf "$out.tmp"; mkdir -p "$out.tmp/bin"
    (cd "$w" && go build -ldflags "-s -w$ld" -o "$out.tmp/bin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
    rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  echo "$out/bin"
}

build_etcd() {
  local dir ver
  dir=$(cd "$TOOLS" && GOFLAGS= go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  # The etcd a Kubernetes release is tested with is pinned in its hack/lib/etcd.sh.
  ver=$(sed -n 's/^ETCD_VERSION=${ETCD_VERSION:-\([0-9.]*\)}$/\1/p' "$dir/hack/lib/etcd.sh")
  [ -n "$ver" ] || { echo "build.sh: cannot read the etcd version pinned by Kubernetes $K8S_VERSION" >&2; exit 1; }
  local out="$TOOLS/etcd-$ver"
  if missing "$out/bin/etcdctl" "etcd $ver"; then
    echo "build.sh: building etcd and etcdctl $ver" >&2
    local w="$TOOLS/.wrap-etcd" w2="$TOOLS/.wrap-etcdctl"
    wrapper "$w" go.etcd.io/etcd/server/v3 "v$ver" "v$ver" go.etcd.io/etcd/server/v3
    wrapper "$w2" go.etcd.io/etcd/etcdctl/v3 "v$ver" "v$ver" go.etcd.io/etcd/etcdctl/v3
    rm -rf "$out.tmp"; mkdir -p "$out.tmp/bin"
    (cd "$w" && go build -ldflags "-s -w" -o "$out.tmp/bin/etcd" go.etcd.io/etcd/server/v3)
    (cd "$w2" && go build -ldflags "-s -w" -o "$out.tmp/bin/etcdctl" go.etcd.io/etcd/etcdctl/v3)
    rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  echo "$out/bin"
}

build_keda() {
  local out="$TOOLS/keda-$KEDA_VERSION"
  if missing "$out/bin/keda-operator" "the KEDA operator $KEDA_VERSION"; then
    echo "build.sh: building the KEDA operator $KEDA_VERSION (cold: about 5 min)" >&2
    local w="$TOOLS/.wrap-keda"
    wrapper "$w" github.com/kedacore/keda/v2 "v$KEDA_VERSION" "v$KEDA_VERSION" github.com/kedacore/keda/v2/cmd/operator
    rm -rf "$out.tmp"; mkdir -p "$out.tmp/bin"
    (cd "$w" && go build -ldflags "-s -w -X github.com/kedacore/keda/v2/version.Version=$KEDA_VERSION" \
      -o "$out.tmp/bin/keda-operator" github.com/kedacore/keda/v2/cmd/operator)
    rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  echo "$out/bin"
}

MODE=build
if [ "${1:-}" = locate ]; then MODE=locate; shift; fi
# missing OUT WHAT: true when OUT must be built; in locate mode, fails instead
missing() {
  [ -x "$1" ] && return 1
  [ "$MODE" = build ] && return 0
  echo "build.sh: $2 is not built: run 'bash .ci/k8s/build.sh' (or bash .ci/install.sh)" >&2; exit 3
}

case "${1:-all}" in
  kubernetes) build_k8s ;;
  etcd) build_etcd ;;
  keda) build_keda ;;
  all) build_k8s; build_etcd; build_keda ;;
  *) echo "usage: build.sh [all|kubernetes|etcd|keda]" >&2; exit 2 ;;
esac
