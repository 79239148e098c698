#!/usr/bin/env bash
# Installs what the integration tests need on a fresh Debian machine; safe to rerun.
#   - Debian packages: prometheus-alertmanager (real Alertmanager), kcat (Kafka CLI client),
#     and Java 17 + Maven if missing
#   - Apache Kafka broker jars from Maven Central (.ci/kafka/pom.xml) into .cache/kafka/libs
#   - kube-apiserver, kubectl, etcd and the KEDA operator built from Go modules (.ci/k8s/build.sh)
#     into ~/.cache/klaxon/tools (about 20 min cold on 2 cores, seconds warm)
# Everything it writes can be rebuilt by running it again (.cache/ is gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v prometheus-alertmanager >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Go 1.19: the toolchain kube-eventer 1.2.7 is built with; the webhook-body test renders with it.
[ -x /usr/lib/go-1.19/bin/go ] || need_apt+=(golang-1.19-go)
# The image ships Java 17 and Maven; install them only on a machine without them.
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if [ "${#need_apt[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install.sh: apt-get install ${need_apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# The Debian unit would start a system-wide Alertmanager on :9093; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus-alertmanager 2>/dev/null; then
  systemctl stop prometheus-alertmanager || true
fi

libs=.cache/kafka/libs
if ! ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1 || [ .ci/kafka/pom.xml -nt "$libs" ]; then
  echo "install.sh: resolving Apache Kafka broker jars into $libs"
  # Resolve beside, then swap, so a broker starting meanwhile never sees a half-filled folder.
  tmp="$libs.tmp.$$"
  rm -rf "$tmp"
  args=(-q -B -f .ci/kafka/pom.xml dependency:copy-dependencies "-DoutputDirectory=$PWD/$tmp")
  # Offline first: a rerun (or a machine whose ~/.m2 already has the jars) needs no network.
  mvn -o "${args[@]}" >/dev/null 2>&1 || mvn "${args[@]}"
  rm -rf "$libs.old"
  [ -d "$libs" ] && mv "$libs" "$libs.old"
  mv "$tmp" "$libs"
  rm -rf "$libs.old"
fi
command -v go >/dev/null 2>&1 || { echo "install.sh: Go is needed to build kube-apiserver, etcd and KEDA (.ci/k8s/build.sh)"; exit 1; }
bash .ci/k8s/build.sh all >/dev/null
kcat_version=$(dpkg-query -W -f='${Version}' kcat 2>/dev/null || echo '?')
am_version=$(prometheus-alertmanager --version 2>&1 | head -1 | awk '{print $3}')
kafka_version=$(ls "$libs" | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p')
k8s_bin=$(bash .ci/k8s/build.sh locate kubernetes)
keda_bin=$(bash .ci/k8s/build.sh locate keda)
echo "install.sh: ready: kcat $kcat_version, alertmanager $am_version, kafka $kafka_version," \
  "$("$k8s_bin/kube-apiserver" --version), etcd $(basename "$(dirname "$(bash .ci/k8s/build.sh locate etcd)")"), $(basename "$(dirname "$keda_bin")")"
