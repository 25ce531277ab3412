#!/bin/sh
# The server's restart file (uftp -f, resumed with uftp -F), over real UDP
# multicast in private namespaces:
#   mute:        a closed group of two where receiver 2 is down; the
#                restart file names only it; -F, once it is up, gives it
#                every file under the same group ID, instance 1.
#   interrupted: the server gets SIGTERM mid-file: it aborts both
#                receivers ("Server quit"), exits 6, writes the restart
#                file naming both; no receiver holds a partial file under
#                its final name; -F completes them.
#   refused:     -F of a file that is not a restart file exits 1 with a
#                message naming it.
# With UFTP_REF_DIR set, UFTP 5's uftp reads the restart file ufcast
# wrote and ufcast resumes one UFTP 5 wrote (the layout is UFTP's).
# usage: restart.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: restart.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftr
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 2
make_files "$W/src"
head -c 6000000 /dev/urandom >"$W/src/huge.bin"
mkdir -p "$W/srv"
fail=0
HOSTS=0x0a000001,0x0a000002
SRC="$W/src/big.bin $W/src/d1 $W/src/sp?ace $W/src/huge.bin"

receiver() { # receiver N LOGNAME
    net_bg "c$1" 120 "$B/uftpd" -d -D "$W/r$1" -U "0x0a00000$1" -x 2 >"$W/$2.c$1.log" 2>&1
}

server() { # server LOGNAME SECS ARGS...: run uftp in the server namespace from $W/srv
    log=$1 secs=$2
    shift 2
    set +e
    (cd "$W/srv" && ip netns exec "$(net_ns srv)" timeout -k 5 "$secs" "${UFTP_BIN:-$B/uftp}" -r 0.02:0.01:1 \
        -s 10 -x 2 "$@" >"$W/$log.s.log" 2>&1)
    rc=$?
    set -e
}

same() { # same N NAME...: receiver N holds these source entries exactly
    n=$1
    shift
    for e in "$@"; do
        if [ -d "$W/src/$e" ]; then
            diff -r "$W/src/$e" "$W/r$n/$e" >/dev/null 2>&1 || return 1
        else
            cmp -s "$W/src/$e" "$W/r$n/$e" || return 1
        fi
    done
    check_no_temp "$W/r$n" >/dev/null
}

bad() { echo "FAIL $1"; fail=1; }

restart_file() { ls "$W/srv" | grep '^_group_[0-9A-F]\{8\}_restart$' | head -1; }

# ---- mute: receiver 2 is down during the first session ----
rm -rf "$W/r1" "$W/r2" "$W/srv"/_group_*
mkdir -p "$W/r1" "$W/r2"
receiver 1 mute1
sleep 0.5
# shellcheck disable=SC2086
server mute1 60 -f -Y none -R 200000 -H "$HOSTS" -S "$W/mute1.st" $SRC
net_bg_stop
rf=$(restart_file)
[ "$rc" -eq 0 ] || bad "mute: first server exit $rc (want 0: one receiver finished)"
# the status file in UFTP's format: the mute receiver is listed for every file
entries=$(grep -c "^RESULT;0x0A000001;" "$W/mute1.st" || true)
grep -q "^CONNECT;success;0x0A000001$" "$W/mute1.st" &&
    grep -q "^CONNECT;failed;0x0A000002$" "$W/mute1.st" &&
    [ "$(grep -c "^RESULT;0x0A000002;.*;mute;$" "$W/mute1.st")" -eq "$entries" ] &&
    grep -q "^RESULT;0x0A000001;huge.bin;5859KB;copy;[0-9.]*KB/s$" "$W/mute1.st" &&
    grep -q "^HSTATS;target;copy;overwrite;skip;totalMB;time;speedKB/s$" "$W/mute1.st" &&
    grep -q "^STATS;0x0A000001;$entries;0;0;[0-9]*MB;" "$W/mute1.st" ||
    bad "mute: the status file is not UFTP's: $(cat "$W/mute1.st")"
[ -n "$rf" ] || bad "mute: no restart file written"
same 1 big.bin d1 "sp ace" huge.bin || bad "mute: receiver 1 does not hold the files"
if [ -n "$rf" ]; then
    gid=$(echo "$rf" | sed 's/^_group_\(.*\)_restart$/\1/')
    # the host records: exactly one, receiver 2's ID in network order at offset 80
    hosts=$(($(stat -c %s "$W/srv/$rf") - 12 - 4 * 300))
    [ "$hosts" -eq 156 ] || bad "mute: restart file holds $hosts bytes of hosts (want 156: one)"
    id=$(od -An -tx1 -j $((12 + 4 * 300 + 80)) -N4 "$W/srv/$rf" | tr -d ' \n')
    [ "$id" = 0a000002 ] || bad "mute: restart file names host $id (want 0a000002)"
    receiver 2 mute2
    sleep 0.5
    server mute2 60 -Y none -R 200000 -F "$rf"
    net_bg_stop
    [ "$rc" -eq 0 ] || bad "mute: resumed server exit $rc"
    same 2 big.bin d1 "sp ace" huge.bin || bad "mute: receiver 2 did not get the files on -F"
    grep -q "$gid" "$W/mute2.c2.log" || bad "mute: the resumed session is not group $gid"
    grep -qi "Wrote restart file" "$W/mute2.s.log" && bad "mute: a restart file was written after a full success"
fi
[ "$fail" = 0 ] && echo "PASS mute"

# ---- interrupted: SIGTERM to the server mid-file ----
f0=$fail
rm -rf "$W/r1" "$W/r2" "$W/srv"/_group_*
mkdir -p "$W/r1" "$W/r2"
receiver 1 int1
receiver 2 int1
sleep 0.5
(sleep 4 && ip netns pids "$(net_ns srv)" | xargs -r kill -TERM) &
killer=$!
# 2,000 Kbit/s: huge.bin alone needs 24 s, so the signal lands mid-file
# shellcheck disable=SC2086
server int1 60 -f -Y none -R 2000 -H "$HOSTS" $SRC
wait "$killer" 2>/dev/null || true
sleep 1
[ "$rc" -eq 6 ] || bad "interrupted: server exit $rc (want 6)"
for i in 1 2; do
    grep -q "Server quit" "$W/int1.c$i.log" || bad "interrupted: receiver $i was not told the server quit"
    [ -e "$W/r$i/huge.bin" ] && bad "interrupted: receiver $i has huge.bin under its final name"
    check_no_temp "$W/r$i" || bad "interrupted: receiver $i kept a temporary file"
done
net_bg_stop
rf=$(restart_file)
[ -n "$rf" ] || bad "interrupted: no restart file"
if [ -n "$rf" ]; then
    hosts=$(($(stat -c %s "$W/srv/$rf") - 12 - 4 * 300))
    [ "$hosts" -eq 312 ] || bad "interrupted: restart file holds $hosts bytes of hosts (want 312: two)"
    receiver 1 int2
    receiver 2 int2
    sleep 0.5
    server int2 60 -Y none -R 200000 -F "$rf"
    net_bg_stop
    [ "$rc" -eq 0 ] || bad "interrupted: resumed server exit $rc"
    for i in 1 2; do
        same "$i" big.bin d1 "sp ace" huge.bin || bad "interrupted: receiver $i incomplete after -F"
    done
    if [ -n "${UFTP_REF_DIR:-}" ] && [ -x "$UFTP_REF_DIR/uftp" ]; then
        # UFTP 5 reads our layout: it announces the same group, instance 1
        UFTP_BIN=$UFTP_REF_DIR/uftp server ref 20 -Y none -R 200000 -F "$rf"
        grep -q "$(echo "$rf" | sed 's/^_group_\(.*\)_restart$/\1/')" "$W/ref.s.log" ||
            bad "interrupted: UFTP 5 did not take ufcast's restart file"
    else
        echo "SKIPPED interrupted/uftp5: UFTP_REF_DIR is not set"
    fi
fi
[ "$fail" = "$f0" ] && echo "PASS interrupted"

# ---- uftp5: ufcast resumes a session UFTP 5 wrote the restart file for ----
if [ -n "${UFTP_REF_DIR:-}" ] && [ -x "$UFTP_REF_DIR/uftp" ]; then
    rm -rf "$W/r2" "$W/srv"/_group_*
    mkdir -p "$W/r2"
    # receiver 2 is down: UFTP 5 gives up after the announce and saves it
    # shellcheck disable=SC2086
    UFTP_BIN=$UFTP_REF_DIR/uftp server ref1 30 -f -Y none -R 200000 -H 0x0a000002 $SRC
    rf=$(restart_file)
    if [ -z "$rf" ]; then
        bad "uftp5: UFTP 5 wrote no restart file (exit $rc)"
    else
        receiver 2 ref2
        sleep 0.5
        server ref2 60 -Y none -R 200000 -F "$rf"
        net_bg_stop
        [ "$rc" -eq 0 ] && same 2 big.bin d1 "sp ace" huge.bin &&
            echo "PASS uftp5 (ufcast resumed UFTP 5's restart file)" ||
            bad "uftp5: resuming UFTP 5's restart file: exit $rc"
    fi
else
    echo "SKIPPED uftp5: UFTP_REF_DIR is not set"
fi

# ---- refused: -F of something else ----
head -c 5 /dev/urandom >"$W/srv/junk"
server junk 10 -Y none -F junk
if [ "$rc" -eq 1 ] && grep -q "junk" "$W/junk.s.log"; then
    echo "PASS refused"
else
    bad "refused: -F junk gave exit $rc: $(cat "$W/junk.s.log")"
fi
exit $fail
