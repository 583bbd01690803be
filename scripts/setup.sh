#!/usr/bin/env bash
# Sets up zeek-arrow on a fresh Debian 12 machine:
#  - the Debian packages the build and libnode need (installed with apt-get);
#  - libnode (Node.js 18 as a library, which the Zeek plugin embeds) unpacked
#    from Debian's libnode108/libnode-dev into a private prefix, because their
#    packages conflict with the nodejs 20 package these machines run;
#  - Zeek 8.0.10 from ../shared/zeek (a build for these machines, unpacked under
#    /opt/zeek) when no Zeek is found, so every machine and CI test the plugin;
#  - npm install, which builds the native bridge, the Zeek plugin (when a Zeek
#    is found: zeek-config on PATH, $ZEEK_HOME, /opt/zeek) and the TypeScript.
# LIBNODE_ROOT chooses the prefix (default: .libnode in this repository).
set -euo pipefail
cd "$(dirname "$0")/.."
export LIBNODE_ROOT="${LIBNODE_ROOT:-$PWD/.libnode}"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# tcpdump and wireshark-common (capinfos): other readers of the captures we write, for the tests and benchmarks;
# time (GNU time): peak memory in the writer benchmark.
packages=(cmake g++ make pkg-config libuv1-dev libc-ares2 node-acorn node-cjs-module-lexer node-undici tcpdump wireshark-common time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# A Zeek of the machine's own wins; otherwise the shared build for these machines.
source scripts/zeek-lookup.sh
shared_zeek=$(ls ../shared/zeek/zeek-*-debian12-amd64.tar.xz 2>/dev/null | tail -n 1 || true)
if ! have_zeek && [ -n "$shared_zeek" ]; then
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpcap0.8 libssl3 libmaxminddb0 libzmq5 libkrb5-3 xz-utils
  $sudo tar -C / -xJf "$shared_zeek"
  echo "Zeek $(/opt/zeek/bin/zeek --version) unpacked under /opt/zeek from $shared_zeek"
fi

if ! ls "$LIBNODE_ROOT"/usr/lib/*/libnode.so.108 >/dev/null 2>&1; then
  debs=$(mktemp -d)
  chmod 777 "$debs" # apt-get download runs as the _apt user
  (cd "$debs" && apt-get download libnode108 libnode-dev)
  mkdir -p "$LIBNODE_ROOT"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$LIBNODE_ROOT"; done
  rm -rf "$debs"
  echo "libnode unpacked into $LIBNODE_ROOT"
fi

# A build made before Zeek was here is configured again, so the plugin gets built.
reconfigure_if_zeek_arrived build
npm install --no-audit --no-fund
