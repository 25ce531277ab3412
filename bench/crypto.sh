#!/bin/sh
# The crypto layer's AEAD speed beside OpenSSL's own, measured in the same
# run. Not a test: it never fails on a figure.
#
# Builds uft_aead_bench (Release, -O2) and runs it: uft_crypto_seal and
# uft_crypto_open, one packet per call with a fresh nonce and 28 bytes of
# AAD, at 1300 and 8800 bytes, SECS of user CPU per case. In the same run,
# `openssl speed -evp aes-256-gcm -bytes 8192 -seconds 3` and the same for
# aes-128-gcm. openssl speed streams one context with no per-packet setup
# and no tag, so it is the ceiling; "seal/ossl" and "open/ossl" are ours
# at 8800 bytes over its figure at 8192 (it only encrypts, so open is
# set against that too). Both count user CPU time; MB = 10^6 bytes.
#
# The machines are shared, so the whole set is measured ROUNDS times, ours
# and openssl's interleaved, and each figure is the best of its rounds
# (the run least disturbed by others).
#
# usage: bench/crypto.sh [BUILD_DIR]     (default build/bench-crypto; no root)
# env:   SECS=2 ROUNDS=3
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench-crypto}
SECS=${SECS:-2}
ROUNDS=${ROUNDS:-3}
command -v openssl >/dev/null || { echo "crypto.sh: needs the openssl program" >&2; exit 1; }
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE=-O2 -DUFT_TESTS=OFF >/dev/null
ninja -C "$build" -j1 uft_aead_bench >/dev/null

raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
# openssl speed -mr ends with "+F:n:AES-256-GCM:<bytes per second>".
speed() {
    openssl speed -mr -evp "$1" -bytes 8192 -seconds 3 2>/dev/null |
        awk -F: -v c="$1" '/^\+F:/ { printf "ossl %s %.1f\n", c, $4 / 1e6 }'
}
r=1
while [ "$r" -le "$ROUNDS" ]; do
    {
        speed aes-256-gcm
        "$build/bench/uft_aead_bench" -t "$SECS" | awk 'NR > 1 { print "ours", $0 }'
        speed aes-128-gcm
    } >>"$raw"
    r=$((r + 1))
done
if ! grep -q '^ossl aes-256-gcm' "$raw" || ! grep -q '^ossl aes-128-gcm' "$raw"; then
    echo "crypto.sh: openssl speed gave no figure" >&2
    exit 1
fi

echo "$(openssl version); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); $(nproc) CPUs"
grep -qw aes /proc/cpuinfo || echo "note: this CPU has no AES instructions"
echo "best of $ROUNDS rounds, $SECS s per case (ours), 3 s (openssl)"
awk '
function max(a, b) { return a > b ? a : b }
$1 == "ossl" { ref[$2] = max(ref[$2], $3) }
$1 == "ours" {
    k = $2 " " $3
    if (!(k in seal)) order[n++] = k
    seal[k] = max(seal[k], $4); open[k] = max(open[k], $5)
}
END {
    split("aes-256-gcm aes-128-gcm", cs, " ")
    for (i = 1; i <= 2; i++)
        printf "openssl speed -evp %s -bytes 8192 -seconds 3: %.1f MB/s\n", cs[i], ref[cs[i]]
    printf "\n%-12s %6s %10s %10s %9s %9s\n", "cipher", "bytes", "seal MB/s", "open MB/s",
        "seal/ossl", "open/ossl"
    for (i = 0; i < n; i++) {
        split(order[i], f, " ")
        if ((f[1] in ref) && f[2] == 8800)
            printf "%-12s %6s %10.1f %10.1f %9.2f %9.2f\n", f[1], f[2], seal[order[i]],
                open[order[i]], seal[order[i]] / ref[f[1]], open[order[i]] / ref[f[1]]
        else
            printf "%-12s %6s %10.1f %10.1f %9s %9s\n", f[1], f[2], seal[order[i]],
                open[order[i]], "-", "-"
    }
}' "$raw"
