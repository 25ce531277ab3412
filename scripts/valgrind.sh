#!/bin/sh
# The real programs under valgrind's memcheck, on a namespace network
# (prefix hdv): uftp sends a file set to two uftpd receivers (one with -T),
# in clear with 2% loss, encrypted (AES-256-GCM, the default), and
# encrypted with AES-128-CCM, SHA-384, P-384 and client authentication
# (-c), and encrypted with receiver 2 stopped (SIGTERM) mid-file, so its
# abort and -T keeping paths run too. Every program runs as
#   valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
#            --error-exitcode=99
# and the run fails on any memcheck error or definite/indirect leak in any
# of them (each log must end with "ERROR SUMMARY: 0 errors"), on a server
# exit code other than 0, or when a receiver's tree differs from the source.
# Logs of a failed run are kept. Takes about 2 minutes (see bench/README.md).
# usage: scripts/valgrind.sh BUILD_APP_DIR   (root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/net/lib.sh"
need_root
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
B=$(cd "${1:?usage: valgrind.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=hdv
W=$(mktemp -d)
trap 'net_down; [ "$fail" = 0 ] && rm -rf "$W" || echo "logs kept in $W"' EXIT
fail=0
net_down
net_up 2
make_files "$W/src"
VG="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
n_logs=0

case_run() { # case_run NAME LOSS [SERVER OPTIONS]
    name=$1 loss=$2 extra=$3
    for i in 1 2; do
        rm -rf "$W/r$i" "$W/t$i"
        mkdir -p "$W/r$i" "$W/t$i"
        ip netns exec "$(net_ns "c$i")" nft flush ruleset
        [ "$loss" -gt 0 ] && net_loss "c$i" "$loss"
    done
    # receiver 2 receives through a -T directory
    # shellcheck disable=SC2086
    net_bg c1 300 $VG --log-file="$W/vg.$name.c1.log" "$B/uftpd" -d -D "$W/r1" -U 0x0a000001 \
        -x 1 >"$W/$name.c1.out" 2>&1
    # shellcheck disable=SC2086
    net_bg c2 300 $VG --log-file="$W/vg.$name.c2.log" "$B/uftpd" -d -D "$W/r2" -T "$W/t2" \
        -U 0x0a000002 -x 1 >"$W/$name.c2.out" 2>&1
    sleep 3 # valgrind starts slowly
    start=$(date +%s)
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 240 $VG \
        --log-file="$W/vg.$name.s.log" "$B/uftp" $extra -R 20000 -r 0.5:0.05:5 -s 10 \
        -H 0x0a000001,0x0a000002 -x 1 big.bin one.bin zero.bin d1 empty "sp ace" link.bin \
        >"$W/$name.s.out" 2>&1) &
    spid=$!
    if [ -n "${STOP2:-}" ]; then
        # SIGTERM to receiver 2 once it holds part of big.bin
        n=600
        while [ -z "$(find "$W/t2" -name 'big.bin*' -size +200k 2>/dev/null)" ] && [ "$n" -gt 0 ]; do
            sleep 0.05
            n=$((n - 1))
        done
        for p in $(ip netns pids "$(net_ns c2)"); do
            tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "uftpd" && kill -TERM "$p"
        done
    fi
    wait "$spid"
    rc=$?
    set -e
    secs=$(($(date +%s) - start))
    sleep 1
    net_bg_stop # SIGTERM: uftpd ends in order, and valgrind writes its leak report
    ok=1
    [ "$rc" -eq 0 ] || { echo "$name: server exit $rc"; ok=0; }
    recv="1 2"
    [ -n "${STOP2:-}" ] && recv=1 # the stopped receiver has part of the set
    for i in $recv; do
        check_tree "$W/src" "$W/r$i" >"$W/$name.diff$i" 2>&1 ||
            { echo "$name: receiver $i: $(cat "$W/$name.diff$i")"; ok=0; }
    done
    if [ -n "${STOP2:-}" ]; then
        [ -n "$(find "$W/t2" -name 'big.bin*')" ] || { echo "$name: no partial big.bin kept in -T"; ok=0; }
    else
        [ -z "$(ls -A "$W/t2")" ] || { echo "$name: -T directory not empty"; ok=0; }
    fi
    for l in "$W"/vg."$name".*.log; do
        n_logs=$((n_logs + 1))
        # the summary is written at exit, after the leak check: a log
        # without it means the program never finished (killed)
        if ! grep -q "ERROR SUMMARY: 0 errors from 0 contexts" "$l"; then
            echo "$name: memcheck found problems in $(basename "$l"):"
            grep -v '^==[0-9]*== *$' "$l" | tail -40
            ok=0
        fi
    done
    if [ "$ok" = 1 ]; then
        echo "PASS $name (${secs}s, server and 2 receivers clean under memcheck)"
    else
        echo "FAIL $name"
        fail=1
    fi
}

t0=$(date +%s)
case_run plain_loss2 2 "-Y none"
case_run encrypted_gcm 0 ""
case_run encrypted_ccm_auth 2 "-Y aes128-ccm -h sha384 -e secp384r1 -c"
# uftp exits 0 here: receiver 1 got every file (UFTP's rule without -q)
STOP2=1 case_run receiver_stopped 0 ""
echo "valgrind: $n_logs program runs checked in $(($(date +%s) - t0))s"
exit $fail
