#!/bin/sh
# Capture real UFTP packets as codec test vectors (see README.md here).
#
#  UFTP 4.10.2: Debian's package (/usr/bin/uftp, uftpd, uftpproxyd).
#  UFTP 5.0.1:  binaries in $UFTP_REF_DIR (skipped, with a message, when
#               that is unset). Nothing here builds UFTP.
#
# Topology (root, private namespaces, removed on exit):
#
#   [ns uftcap_s] vs 10.99.0.1 ---- veth ---- vc 10.99.0.2 [ns uftcap_c]
#      uftp (server)                              uftpd (client 0x22222222)
#      tcpdump on vs                              optional nftables loss
#
# Usage: capture.sh OUT_DIR   (writes OUT_DIR/{v4,v5}/*.bin and
#        OUT_DIR/MANIFEST.new; merge by hand into MANIFEST)
set -eu
out=${1:?usage: capture.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "capture.sh: SKIPPED: needs root for network namespaces"; exit 77; }
work=$(mktemp -d)
S=uftcap_s
C=uftcap_c
cleanup() {
    ip netns pids $S 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns pids $C 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del $S 2>/dev/null || true
    ip netns del $C 2>/dev/null || true
    [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $work" || rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add $S
ip netns add $C
ip link add vs netns $S type veth peer name vc netns $C
ip -n $S addr add 10.99.0.1/24 dev vs
ip -n $C addr add 10.99.0.2/24 dev vc
for ns in $S $C; do
    ip -n $ns link set lo up
done
ip -n $S link set vs up
ip -n $C link set vc up
ip -n $S route add 224.0.0.0/4 dev vs
ip -n $C route add 224.0.0.0/4 dev vc

# Deterministic inputs.
src="$work/src"
mkdir -p "$src/d1/empty"
python3 -c "import sys; sys.stdout.buffer.write(bytes((i*7+3)&255 for i in range(5000)))" >"$src/f1.bin"
printf 'hello\n' >"$src/d1/small.txt"
python3 -c "import sys; sys.stdout.buffer.write(bytes((i*13+1)&255 for i in range(100000)))" >"$src/f2.bin"
ln -s f1.bin "$src/ln1"

loss() { # loss PERCENT: drop that share of UDP arriving at the client
    ip netns exec $C nft flush ruleset
    [ "$1" = 0 ] && return 0
    ip netns exec $C nft add table inet cap
    ip netns exec $C nft add chain inet cap in '{ type filter hook input priority 0; }'
    ip netns exec $C nft add rule inet cap in meta l4proto udp numgen random mod 100 '<' "$1" drop
}

# run NAME CLIENT_BIN SERVER_BIN CLIENT_ARGS -- SERVER_ARGS...
run() {
    name=$1 cbin=$2 sbin=$3 cargs=$4
    shift 4
    [ "${1:-}" = "--" ] && shift
    dst="$work/dst_$name"
    rm -rf "$dst"
    mkdir -p "$dst"
    ip netns exec $S timeout 60 tcpdump -i vs -U -s 0 -w "$work/$name.pcap" udp \
        >/dev/null 2>&1 &
    tcpd=$!
    sleep 0.5 # let tcpdump start before the client speaks
    # shellcheck disable=SC2086
    ip netns exec $C timeout 60 "$cbin" -d -D "$dst" -I vc -x 1 $cargs >"$work/$name.client.log" 2>&1 &
    cpid=$!
    sleep 1
    (cd "$src" && ip netns exec $S timeout 50 "$sbin" -I vs -x 1 "$@") >"$work/$name.server.log" 2>&1 || true
    sleep 1
    kill "$cpid" 2>/dev/null || true
    sleep 0.5
    kill "$tcpd" 2>/dev/null || true
    wait "$tcpd" 2>/dev/null || true
    wait "$cpid" 2>/dev/null || true
}

extract() { # extract NAME VERDIR: first packet of each kind into VERDIR
    tshark -r "$work/$1.pcap" -T fields -e udp.payload 2>/dev/null |
        python3 "$here/pick.py" "$out/$2" "$1" >>"$out/MANIFEST.new"
}

mkdir -p "$out/v4" "$out/v5"
: >"$out/MANIFEST.new"
common="-U 0x11111111 -M 230.4.4.1 -P 230.5.5.9 -r 0.05 -s 10 -R 10000"

# Proxies: a response proxy next to the server announces its key to the
# clients (PROXY_KEY); a UFTP 4 client asks a v4 response proxy for its
# key first (KEY_REQ, answered by the v4 PROXY_KEY).
proxied() { # proxied NAME PROXY_BIN PROXY_ARGS CLIENT_BIN CLIENT_ARGS SERVER_BIN SERVER_ARGS...
    name=$1 pbin=$2 pargs=$3 cbin=$4 cargs=$5 sbin=$6
    shift 6
    # shellcheck disable=SC2086
    ip netns exec $S timeout 25 "$pbin" -d -r -U 0x44444444 -I vs -M 230.4.4.1 -x 1 $pargs \
        >"$work/$name.proxy.log" 2>&1 &
    ppid=$!
    sleep 1
    run "$name" "$cbin" "$sbin" "$cargs" "$@"
    kill "$ppid" 2>/dev/null || true
    wait "$ppid" 2>/dev/null || true
}
# ---- UFTP 4.10.2 (Debian) ----
loss 10
run v4_plain /usr/bin/uftpd /usr/bin/uftp "-U 0x22222222" -- $common -Y none -H 0x22222222 \
    f1.bin f2.bin d1 ln1 @DELETE:gone.txt
extract v4_plain v4
loss 0
run v4_open /usr/bin/uftpd /usr/bin/uftp "-U 0x22222222" -- $common -Y none f1.bin
extract v4_open v4
loss 10
run v4_tfmcc /usr/bin/uftpd /usr/bin/uftp "-U 0x22222222" -- $common -Y none -C tfmcc \
    -H 0x22222222 f2.bin
extract v4_tfmcc v4
loss 0
run v4_enc /usr/bin/uftpd /usr/bin/uftp "-U 0x22222222 -K ec:prime256v1" -- $common \
    -Y aes256-gcm -h sha256 -e ecdh_ecdsa:prime256v1 -c -H 0x22222222 f1.bin
extract v4_enc v4
# v4-only layouts: an RSA key exchange (REGISTER carries an encrypted
# premaster) and a CBC cipher with HMAC signatures (ENCRYPTED carries one)
run v4_cbc /usr/bin/uftpd /usr/bin/uftp "-U 0x22222222 -K rsa:1024" -- $common \
    -Y aes128-cbc -h sha256 -w hmac -e rsa -K 1024 -H 0x22222222 f1.bin
extract v4_cbc v4
loss 30
run v4_abort /usr/bin/uftpd /usr/bin/uftp "-U 0x22222222" -- $common -Y none -a 1 -H 0x22222222 f2.bin
extract v4_abort v4
loss 0
proxied v4_proxy /usr/bin/uftpproxyd "-K ec:prime256v1" /usr/bin/uftpd "-U 0x22222222 -K ec:prime256v1 -R 10.99.0.1" \
    /usr/bin/uftp $common -Y aes256-gcm -h sha256 -e ecdh_ecdsa:prime256v1 -H 0x44444444 f1.bin
extract v4_proxy v4

# ---- UFTP 5.0.1 ($UFTP_REF_DIR) ----
if [ -z "${UFTP_REF_DIR:-}" ]; then
    echo "capture.sh: UFTP_REF_DIR is unset: SKIPPED the UFTP 5 captures"
    exit 0
fi
R=$UFTP_REF_DIR
loss 10
run v5_plain "$R/uftpd" "$R/uftp" "-U 0x22222222" -- $common -Y none -H 0x22222222 \
    f1.bin f2.bin d1 ln1 @DELETE:gone.txt @FREESPACE
extract v5_plain v5
loss 0
run v5_open "$R/uftpd" "$R/uftp" "-U 0x22222222" -- $common -Y none f1.bin
extract v5_open v5
loss 10
run v5_tfmcc "$R/uftpd" "$R/uftp" "-U 0x22222222" -- $common -Y none -C tfmcc -H 0x22222222 f2.bin
extract v5_tfmcc v5
loss 0
"$R/uftp_keymgt" -g ec:secp256r1 "$work/client.key" 2>/dev/null
"$R/uftp_keymgt" -g rsa:2048 "$work/server.key" 2>/dev/null
# UFTP_DUMP_DIR: only a locally instrumented build (README.md) writes the
# plaintext of what it encrypts there; stock binaries ignore it.
mkdir -p "$work/dump"
loss 10
UFTP_DUMP_DIR="$work/dump" run v5_enc "$R/uftpd" "$R/uftp" "-U 0x22222222 -k $work/client.key" \
    -- $common -c -k "$work/server.key" -H 0x22222222 f1.bin f2.bin
extract v5_enc v5
python3 "$here/pick.py" --inner "$out/v5" "$work/dump" >>"$out/MANIFEST.new"
loss 30
run v5_abort "$R/uftpd" "$R/uftp" "-U 0x22222222" -- $common -Y none -a 1 -H 0x22222222 f2.bin
extract v5_abort v5
loss 0
run v5_enc384 "$R/uftpd" "$R/uftp" "-U 0x22222222" -- $common -Y aes128-ccm -h sha384 \
    -e secp384r1 -H 0x22222222 f1.bin
extract v5_enc384 v5
# Heartbeats: a client sends HB_REQ to a server proxy, which answers.
ip netns exec $S timeout 20 "$R/uftpproxyd" -d -s 10.99.0.2 -U 0x44444444 -I vs -x 1 \
    >"$work/proxy.log" 2>&1 &
ppid=$!
ip netns exec $S timeout 20 tcpdump -i vs -U -s 0 -w "$work/v5_hb.pcap" udp >/dev/null 2>&1 &
tcpd=$!
ip netns exec $C timeout 6 "$R/uftpd" -d -D "$work" -I vc -U 0x22222222 -H 10.99.0.1 -h 1 \
    -x 1 >"$work/hb.log" 2>&1 || true
kill "$tcpd" "$ppid" 2>/dev/null || true
wait "$tcpd" "$ppid" 2>/dev/null || true
extract v5_hb v5
printf '0x11111111|10.99.0.1|0x44444444\n' >"$work/servers"
proxied v5_proxy "$R/uftpproxyd" "" "$R/uftpd" "-U 0x22222222 -S $work/servers" "$R/uftp" \
    $common -H 0x44444444 f1.bin
extract v5_proxy v5
echo "capture.sh: done; new vectors listed in $out/MANIFEST.new"
