#!/bin/sh
# A receiver under a flood, over real multicast in private namespaces:
#
#   [uftf_srv] 10.98.0.1 sender      [uftf_c2] 10.98.0.12 attacker (uft_flood)
#   [uftf_c1]  10.98.0.11 receiver   all on one bridge
#
# While an encrypted session (UFTP 5's default) runs, a third host sends
# the receiver about 100,000 datagrams a second for the rest of the
# transfer: random bytes, valid headers with random bodies, ANNOUNCEs of
# groups that do not exist, and FILESEG / DONE / ABORT in clear carrying
# the real session's group and server ID. The transfer must complete with
# the exact bytes, the receiver's memory must stay bounded, and its drop
# counter must show the flood.
# usage: flood.sh BUILD_APP_DIR FLOOD_BINARY
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: flood.sh BUILD_APP_DIR FLOOD_BINARY}" && pwd)
F=${2:?usage: flood.sh BUILD_APP_DIR FLOOD_BINARY}
NET_PREFIX=uftf
W=$(mktemp -d)
trap 'net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down
net_up 2
mkdir -p "$W/src" "$W/r"
head -c 30000000 /dev/urandom >"$W/src/big.bin"
fail=0
bad() { echo "FAIL $1"; fail=1; }

rss_kb() { # rss_kb NS: VmRSS of the uftpd there
    for pid in $(ip netns pids "$(net_ns "$1")"); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = uftpd ] || continue
        sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$pid/status"
        return
    done
    echo 0
}

net_bg c1 120 "$B/uftpd" -d -D "$W/r" -U 0x0a00000b -x 2 >"$W/c1.log" 2>&1
sleep 0.5
# 80,000 Kbit/s: about 3 s unhindered; the flood slows it on two cores
(cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 100 "$B/uftp" -R 80000 \
    -r 0.05:0.01:1 -s 20 -H 0x0a00000b -x 2 big.bin >"$W/s.log" 2>&1; echo $? >"$W/rc") &
server=$!
n=0
while ! grep -q "Received request from server" "$W/c1.log" && [ "$n" -lt 100 ]; do
    sleep 0.05
    n=$((n + 1))
done
gid=$(sed -n 's/.*Received request from server \([0-9A-F]*\), group \([0-9A-F]*\).*/\2/p' \
    "$W/c1.log" | head -1)
sid=$(sed -n 's/.*Received request from server \([0-9A-F]*\), group.*/\1/p' "$W/c1.log" | head -1)
[ -n "$gid" ] || { echo "FAIL: the session never started"; cat "$W/s.log"; exit 1; }
before=$(rss_kb c1)
ip netns exec "$(net_ns c2)" "$F" 10.98.0.11 1044 100000 60 "$gid" "$sid" >"$W/flood.out" 2>&1 &
flood=$!
peak=$before
while kill -0 "$server" 2>/dev/null; do
    r=$(rss_kb c1)
    [ "$r" -le "$peak" ] || peak=$r
    sleep 0.5
done
for pid in $(ip netns pids "$(net_ns c2)"); do kill "$pid" 2>/dev/null || true; done
wait "$flood" 2>/dev/null || true
rc=$(cat "$W/rc")
net_bg_stop
sent=$(sed -n 's/^\([0-9]*\) datagrams.*/\1/p' "$W/flood.out")
dropped=$(sed -n 's/.*Datagrams: [0-9]* accepted, \([0-9]*\) dropped.*/\1/p' "$W/c1.log")
echo "flood: ${sent:-?} datagrams sent; receiver dropped ${dropped:-?}; RSS ${before} kB before, ${peak} kB at most"
[ "$rc" -eq 0 ] || bad "server exit $rc: $(tail -3 "$W/s.log")"
cmp -s "$W/src/big.bin" "$W/r/big.bin" || bad "the file differs or is missing"
check_no_temp "$W/r" || bad "a temporary file was left"
[ "${dropped:-0}" -ge 10000 ] || bad "the receiver's drop counter shows no flood (${dropped:-none})"
[ $((peak - before)) -le 32768 ] || bad "the receiver grew by $((peak - before)) kB under the flood"
[ "$fail" = 0 ] && echo "PASS flood"
exit $fail
