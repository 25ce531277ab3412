#!/bin/sh
# ufcast against UFTP, measured in the same run on the same namespace
# network. Not a test: it never fails on a figure.
#
#   [ubn_srv] 10.98.0.1 --+
#   [ubn_c1]  10.98.0.11 -+-- br0 in [ubn_br]   MTU 1500, or 9000 for -b 8800
#   ...                       tbf on the sender (RATE), nftables loss on
#                             every receiver (LOSS)
#
# Each case sends one file of SIZE random bytes from one sender to
# RECEIVERS receivers, RUNS times per implementation, and reports medians:
#   MB/s       file bytes / wall time of the sender (announce to exit)
#   snd s/GB   sender CPU seconds (user+system) per GB of file
#   rcv s/GB   CPU seconds per GB of file, per receiver (mean)
#   wire       bytes the sender put on the wire (UDP payload and headers,
#              counted by nftables on the bridge, after segmentation) per
#              file byte: 1.04 is one clean pass of 1300-byte blocks
# The sender's eth0 has UDP segmentation offload off, like a NIC without
# it: a GSO send is cut into datagrams as it leaves, so the bridge, the
# loss rules and the counter see single datagrams, as on a wire.
#   passes     passes over the file (the sender's "Starting pass N" lines)
#   ok         runs in which every receiver held the exact bytes; with
#              none, MB/s reads "failed" and x is "-"
#   link%      with RATE: MB/s of file data as a share of the tbf rate
#              (headers alone keep 1300-byte blocks under 95.2% of it:
#              66 bytes of Ethernet, IP, UDP and UFTP headers per block)
# Implementations: ufcast (this build), uftp4 (Debian's UFTP 4.10.2, always)
# and uftp5 (when UFTP_REF_DIR names UFTP 5's binaries; build UFTP 5 with
# -O2 before comparing speeds). "x uftp4" is each one's MB/s over UFTP 4's.
#
# usage: bench/run.sh [BUILD_DIR]     (root)
# env:   SIZE=268435456 RUNS=3 RECEIVERS=3 RATE=(kbit, tbf) LOSS=(percent)
#        BLOCKS="1300 8800" MODES="plain enc" IMPLS="ufcast uftp4 uftp5"
#        JSON=bench/results.json
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench}
SIZE=${SIZE:-268435456}
RUNS=${RUNS:-3}
RECEIVERS=${RECEIVERS:-3}
RATE=${RATE:-}
LOSS=${LOSS:-0}
BLOCKS=${BLOCKS:-1300 8800}
MODES=${MODES:-plain enc}
IMPLS=${IMPLS:-uftp4 uftp5 ufcast}
JSON=${JSON:-$root/bench/results.json}
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
for p in uftp time nftables iproute2 ethtool; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
        apt-get update -qq && apt-get install -y -qq --no-install-recommends uftp time nftables \
            iproute2 ethtool >/dev/null
        break
    }
done
if [ ! -x "$build/src/app/uftp" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUFT_TESTS=OFF >/dev/null
    ninja -C "$build" uftp uftpd >/dev/null
fi
build=$(cd "$build" && pwd) # the runs start in a scratch directory
. "$root/tests/net/lib.sh"
NET_PREFIX=ubn
W=$(mktemp -d)
trap 'net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT

# the tests' topology (tests/net/lib.sh) in namespaces of our own prefix
topology() { # topology MTU
    net_down
    net_up "$RECEIVERS"
    for n in srv $(seq -f 'c%g' 1 "$RECEIVERS"); do
        ns=$(net_ns "$n")
        ip -n "$(net_ns br)" link set "p_$n" mtu "$1"
        ip -n "$ns" link set eth0 mtu "$1"
    done
    ip -n "$(net_ns br)" link set br0 mtu "$1"
    [ -z "$RATE" ] || tc -n "$(net_ns srv)" qdisc add dev eth0 root tbf rate "${RATE}kbit" \
        burst 256kb latency 100ms
    i=1
    while [ "$i" -le "$RECEIVERS" ]; do
        [ "$LOSS" = 0 ] || net_loss "c$i" "$LOSS"
        i=$((i + 1))
    done
    ip netns exec "$(net_ns srv)" ethtool -K eth0 tx-udp-segmentation off >/dev/null
    ip netns exec "$(net_ns br)" nft add table bridge ubench
    ip netns exec "$(net_ns br)" nft add chain bridge ubench in \
        '{ type filter hook prerouting priority 0; }'
}

wire_bytes() {
    ip netns exec "$(net_ns br)" nft list chain bridge ubench in |
        sed -n 's/.*counter packets [0-9]* bytes \([0-9]*\).*/\1/p' | head -1
}

reset_counter() {
    ip netns exec "$(net_ns br)" nft flush chain bridge ubench in
    ip netns exec "$(net_ns br)" nft add rule bridge ubench in iifname p_srv meta l4proto udp counter
}

# cpu_of NS: user+system seconds of the uftpd in that namespace
cpu_of() {
    for pid in $(ip netns pids "$(net_ns "$1")"); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = uftpd ] || continue
        awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$pid/stat"
        return
    done
    echo 0
}

binaries() { # binaries IMPL -> SRV RCV
    case $1 in
    ufcast) SRV=$build/src/app/uftp RCV=$build/src/app/uftpd ;;
    uftp4) SRV=/usr/bin/uftp RCV=/usr/bin/uftpd ;;
    uftp5) SRV=$UFTP_REF_DIR/uftp RCV=$UFTP_REF_DIR/uftpd ;;
    esac
}

# UFTP 4's receivers need a signing key of the kind the server's key
# exchange uses (ecdh_ecdsa: EC); ufcast and UFTP 5 make one when asked
rcv_opts() { # rcv_opts IMPL MODE
    [ "$1/$2" != uftp4/enc ] || echo "-K ec:prime256v1"
}

crypto_opts() { # crypto_opts IMPL MODE
    case "$1/$2" in
    */plain) echo "-Y none" ;;
    uftp4/enc) echo "-Y aes256-gcm -h sha256 -e ecdh_ecdsa:prime256v1" ;;
    *) echo "-Y aes256-gcm -h sha256" ;;
    esac
}

one_run() { # one_run IMPL MODE BLOCK -> "secs sndcpu rcvcpu wire ok"
    binaries "$1"
    hosts=""
    i=1
    while [ "$i" -le "$RECEIVERS" ]; do
        rm -rf "$W/r$i"
        mkdir -p "$W/r$i"
        # shellcheck disable=SC2046
        net_bg "c$i" 900 "$RCV" -d -D "$W/r$i" -U "0x0a00000$i" -x 0 $(rcv_opts "$1" "$2") \
            >/dev/null 2>&1
        hosts="$hosts${hosts:+,}0x0a00000$i"
        i=$((i + 1))
    done
    sleep 0.5
    reset_counter
    rate=${RATE:--1}
    # shellcheck disable=SC2046
    (cd "$W" && ip netns exec "$(net_ns srv)" /usr/bin/time -f "%e %U %S" -o "$W/time" \
        timeout 850 "$SRV" $(crypto_opts "$1" "$2") -R "$rate" -b "$3" -r 0.05:0.01:2 -s 10 \
        -H "$hosts" -x 2 file.bin >"$W/$1.$2.$3.log" 2>&1) || true
    wire=$(wire_bytes)
    rcpu=0
    i=1
    while [ "$i" -le "$RECEIVERS" ]; do
        rcpu=$(awk -v a="$rcpu" -v b="$(cpu_of "c$i")" 'BEGIN { print a + b }')
        i=$((i + 1))
    done
    net_bg_stop
    ok=1
    i=1
    while [ "$i" -le "$RECEIVERS" ]; do
        cmp -s "$W/file.bin" "$W/r$i/file.bin" || ok=0
        rm -rf "$W/r$i"
        i=$((i + 1))
    done
    passes=$(sed -n 's/.*Starting pass \([0-9]*\).*/\1/p' "$W/$1.$2.$3.log" | sort -n | tail -1)
    awk -v t="$(cat "$W/time")" -v rc="$rcpu" -v n="$RECEIVERS" -v w="$wire" -v ok="$ok" \
        -v p="${passes:-1}" \
        'BEGIN { n = split(t, a, " "); a[1] = a[n - 2]; a[2] = a[n - 1]; a[3] = a[n]; printf "%s %.3f %.3f %s %d %d\n", a[1], a[2] + a[3], rc / n, w, ok, p }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

head -c "$SIZE" /dev/urandom >"$W/file.bin"
gb=$(awk -v s="$SIZE" 'BEGIN { print s / 1e9 }')
printf '# %s bytes, %s receivers, %s runs each, rate %s, loss %s%%\n' "$SIZE" "$RECEIVERS" "$RUNS" \
    "${RATE:-unlimited}" "$LOSS"
printf '%-6s %-5s %-6s %9s %9s %9s %7s %6s %5s %7s %6s\n' block mode impl "MB/s" "snd s/GB" "rcv s/GB" \
    wire passes ok "x uftp4" "link%"
echo "[" >"$JSON.tmp"
first=1
for block in $BLOCKS; do
    mtu=1500
    [ "$block" -le 1400 ] || mtu=9000
    topology "$mtu"
    for mode in $MODES; do
        base=""
        for impl in $IMPLS; do
            [ "$impl" != uftp5 ] || [ -n "${UFTP_REF_DIR:-}" ] || continue
            : >"$W/runs"
            r=0
            while [ "$r" -lt "$RUNS" ]; do
                one_run "$impl" "$mode" "$block" >>"$W/runs"
                r=$((r + 1))
            done
            secs=$(cut -d' ' -f1 "$W/runs" | median)
            mbs=$(awk -v s="$SIZE" -v t="$secs" 'BEGIN { printf "%.1f", (t > 0 ? s / t / 1e6 : 0) }')
            scpu=$(cut -d' ' -f2 "$W/runs" | median | awk -v g="$gb" '{ printf "%.2f", $1 / g }')
            rcpu=$(cut -d' ' -f3 "$W/runs" | median | awk -v g="$gb" '{ printf "%.2f", $1 / g }')
            wire=$(cut -d' ' -f4 "$W/runs" | median | awk -v s="$SIZE" '{ printf "%.3f", $1 / s }')
            ok=$(awk '{ n += $5 } END { print n }' "$W/runs")
            passes=$(cut -d' ' -f6 "$W/runs" | median)
            # a reference that never delivered (UFTP 4.10.2 and 5.0.1 abort at
            # start with AES-256-GCM at -b 8800) has no speed to compare
            [ "$ok" -gt 0 ] || mbs=failed
            [ "$impl" != uftp4 ] || base=$mbs
            ratio=$(awk -v m="$mbs" -v b="${base:-0}" 'BEGIN { if (b + 0 > 0 && m + 0 > 0) printf "%.2f", m / b; else print "-" }')
            link=$(awk -v m="$mbs" -v r="${RATE:-0}" 'BEGIN { if (r > 0 && m + 0 > 0) printf "%.1f", m * 8e6 / (r * 1000) * 100; else print "-" }')
            printf '%-6s %-5s %-6s %9s %9s %9s %7s %6s %3s/%s %7s %6s\n' "$block" "$mode" "$impl" \
                "$mbs" "$scpu" "$rcpu" "$wire" "$passes" "$ok" "$RUNS" "$ratio" "$link"
            [ "$first" = 1 ] || echo "," >>"$JSON.tmp"
            first=0
            printf '{"block":%s,"mode":"%s","impl":"%s","mb_s":%s,"sender_cpu_s_per_gb":%s,"receiver_cpu_s_per_gb":%s,"wire_per_byte":%s,"passes":%s,"ok_runs":%s,"runs":%s,"size":%s,"receivers":%s,"rate_kbit":"%s","loss_pct":%s}' \
                "$block" "$mode" "$impl" "$(echo "$mbs" | sed 's/failed/null/')" "$scpu" "$rcpu" "$wire" "$passes" "$ok" "$RUNS" "$SIZE" \
                "$RECEIVERS" "${RATE:-}" "$LOSS" >>"$JSON.tmp"
        done
    done
done
echo "]" >>"$JSON.tmp"
mv "$JSON.tmp" "$JSON"
echo "# JSON: $JSON"
