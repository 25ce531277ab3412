#!/bin/sh
# The library API with two processes of examples/send_recv.c:
#
#   [uftl_srv] s0 10.98.0.1 --+-- br0 in [uftl_br]
#   [uftl_c1]  c0 10.98.0.11 -+
#
# One process receives with ufcast_receiver_run (one session, then it
# stops itself); another sends a 3 MB file with ufcast_sender_run. Each
# checks the events its callback saw (the example exits non-zero
# otherwise); here the received bytes must equal the sent ones and the
# receiver must have stopped by itself.
# usage: lib_example.sh SEND_RECV_BINARY
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"
need_root
EX=$(cd "$(dirname "${1:?usage: lib_example.sh SEND_RECV}")" && pwd)/$(basename "$1")
NET_PREFIX=uftl
W=$(mktemp -d)
trap 'net_bg_stop; net_down; rm -rf "$W"' EXIT
net_down
net_up 1
mkdir -p "$W/dst"
head -c 3000000 /dev/urandom >"$W/payload.bin"
ip netns exec "$(net_ns c1)" timeout -k 5 30 "$EX" receive "$W/dst" 0x0a00000b \
    >"$W/recv.out" 2>&1 &
recv_pid=$!
sleep 0.3
rc=0
ip netns exec "$(net_ns srv)" timeout -k 5 30 "$EX" send "$W/payload.bin" 0x0a000001 0x0a00000b \
    >"$W/send.out" 2>&1 || rc=$?
rrc=0
wait "$recv_pid" || rrc=$?
fail=0
[ "$rc" -eq 0 ] || { echo "FAIL: the sending process exited $rc"; fail=1; }
[ "$rrc" -eq 0 ] || { echo "FAIL: the receiving process exited $rrc"; fail=1; }
cmp "$W/payload.bin" "$W/dst/payload.bin" || { echo "FAIL: the received bytes differ"; fail=1; }
grep -q '"event":"file_done"' "$W/send.out" || { echo "FAIL: no file_done event"; fail=1; }
if [ "$fail" -ne 0 ]; then
    echo "--- sender"; cat "$W/send.out"; echo "--- receiver"; cat "$W/recv.out"
    exit 1
fi
grep -E '^(sender|receiver): run returned' "$W/send.out" "$W/recv.out"
echo "PASS: 3000000 bytes through the library, events checked on both sides"
