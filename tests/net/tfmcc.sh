#!/bin/sh
# TFMCC beside TCP through one bottleneck, over real multicast in private
# namespaces:
#
#   [uftc_srv] 10.98.0.1 --+-- br0 --[tbf 20 Mbit/s on the port to c1]-- [uftc_c1] 10.98.0.11
#
# A TCP flow from the sender's host to the receiver's runs for 12 s; after
# 1 s, uftp -C tfmcc sends 10 MB to the receiver through the same 20
# Mbit/s bottleneck (where excess is dropped). Both must make progress:
# the file arrives intact and each flow gets at least a fifth of the link
# while they share it (fair would be half each). The shares are printed.
# usage: tfmcc.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: tfmcc.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftc
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 1
ip netns exec "$(net_ns br)" tc qdisc add dev p_c1 root tbf rate 20mbit burst 32kb latency 50ms
mkdir -p "$W/src" "$W/r"
head -c 10000000 /dev/urandom >"$W/src/a.bin"
net_bg c1 120 "$B/uftpd" -d -D "$W/r" -U 0x0a00000b -x 1 >/dev/null 2>&1
# a TCP sink on the receiver's host and a source on the sender's, 12 s
ip netns exec "$(net_ns c1)" timeout 60 python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001))
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
print(n)
' >"$W/tcp.out" 2>&1 &
sink=$!
sleep 0.5
ip netns exec "$(net_ns srv)" timeout 60 python3 -c '
import socket, time
s = socket.create_connection(("10.98.0.11", 5001), timeout=30)
b = b"x" * 65536
t0 = time.time()
while time.time() - t0 < 12:
    s.sendall(b)
s.close()
' &
source=$!
sleep 1
start=$(date +%s.%N)
set +e
(cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 100 "$B/uftp" -Y none -C tfmcc \
    -r 0.05 -s 10 -H 0x0a00000b -x 1 a.bin >"$W/s.log" 2>&1)
rc=$?
set -e
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
wait "$source" 2>/dev/null || true
wait "$sink" 2>/dev/null || true
net_bg_stop
tcp=$(head -1 "$W/tcp.out")
fail=0
# the link carries 2.5 MB/s; TCP ran 12 s, uftp $secs of them. Were TCP
# starved while uftp ran, its mean would stay under 0.5 MB/s.
report=$(awk -v t="${tcp:-0}" -v s="$secs" 'BEGIN {
    printf "uftp %.2f MB/s over %.1f s, TCP %.2f MB/s over 12 s (link 2.50 MB/s)",
        10000000 / s / 1e6, s, t / 12 / 1e6 }')
echo "tfmcc: $report"
[ "$rc" -eq 0 ] || { echo "FAIL: uftp exit $rc: $(tail -3 "$W/s.log")"; fail=1; }
cmp -s "$W/src/a.bin" "$W/r/a.bin" || { echo "FAIL: the file differs or is missing"; fail=1; }
awk -v s="$secs" 'BEGIN { exit !(10000000 / s >= 500000) }' ||
    { echo "FAIL: uftp got less than a fifth of the link"; fail=1; }
awk -v t="${tcp:-0}" 'BEGIN { exit !(t / 12 >= 500000) }' ||
    { echo "FAIL: TCP got less than a fifth of the link (${tcp:-no} bytes)"; fail=1; }
[ "$fail" = 0 ] && echo "PASS tfmcc_tcp"
exit $fail
