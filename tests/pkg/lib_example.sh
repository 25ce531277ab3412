#!/bin/sh
# The library API with two processes of examples/send_recv.c:
#
#   [pkgex_srv] s0 10.98.0.1 --+-- br0 in [pkgex_br]
#   [pkgex_c1]  c0 10.98.0.11 -+
#
# One process receives with ufcast_receiver_run (one session, then it
# stops itself); another sends a 3 MB file with ufcast_sender_run. Each
# checks the events its callback saw (the example exits non-zero
# otherwise); here the received bytes must equal the sent ones and the
# receiver must have stopped by itself. Then test_api checks the rest of
# the API's contract in the same namespace.
# usage: lib_example.sh SEND_RECV_BINARY TEST_API_BINARY
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"
. "$here/lib.sh"
need_root
EX=$(cd "$(dirname "${1:?usage: lib_example.sh SEND_RECV}")" && pwd)/$(basename "$1")
NET_PREFIX=pkgex
W=$(mktemp -d)
trap 'net_bg_stop; net_down; rm -rf "$W"' EXIT
net_down
net_up 1
lib_transfer "$EX" "$EX" 3000000
mkdir -p "$W/api"
ip netns exec "$(net_ns c1)" timeout -k 5 30 "${2:?usage: lib_example.sh SEND_RECV TEST_API}" \
    "$W/api" || { echo "FAIL: test_api"; exit 1; }
echo "PASS: 3000000 bytes through the library, events checked on both sides"
