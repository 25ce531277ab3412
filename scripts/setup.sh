#!/bin/sh
# Install everything ufcast needs to build, test and demo on Debian 12.
# Idempotent; run as root. Skips apt when every package is present.
set -eu
PKGS="build-essential cmake ninja-build pkg-config clang clang-format llvm
libclang-rt-14-dev libcmocka-dev libssl-dev uftp iproute2 nftables tcpdump
binutils python3 tshark libjansson-dev libisal-dev systemd"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages:$missing; run as root (or sudo) to install them" >&2
        exit 1
    fi
    echo "setup: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "setup: all build and test dependencies present"
