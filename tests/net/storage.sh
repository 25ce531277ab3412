#!/bin/sh
# uftpd's storage options over real UDP multicast in private namespaces:
#
#   [uftS_srv] uftp ----+---- [uftS_c1] uftpd (daemon) -T, -N 7, -L, -P
#                       +---- [uftS_c2] uftpd -A (a replaced file is kept)
#                       +---- [uftS_c3] uftpd -s (script once per file)
#                       +---- [uftS_c4] uftpd -T -s (script once, top level)
#
#   options:   one session to the four receivers above. Every receiver
#              holds exactly the source tree and no temporary file; -T
#              leaves its temp directory empty; the daemon runs at nice 7;
#              -A keeps the old bytes of replaced files under
#              <A>/YYYYMMDD/HHMMSS/<path>; the scripts' own records list
#              the files (-s: one call per regular file with its final
#              path; -T -s: one call with every top-level entry).
#   restart:   a 20 MB file at 20 Mbit/s to receiver 1 with -T; uftpd gets
#              SIGTERM mid-file: the partial stays in the -T session
#              directory with a restart record, nothing under the final
#              name; uftp -F (same group ID, instance 1) then completes it:
#              the receiver reports the blocks it has (the server logs
#              that every client holds part of the file), the file is
#              byte-identical, the temp directory empty.
#   killed:    the same with SIGKILL: the record refreshed while receiving
#              lets a new daemon resume.
#   confirm:   receiver 1 with -T never sees the DONE_CONF (nftables drops
#              it) and is SIGKILLed after the server, which has its final
#              COMPLETE, exits 0: the files wait in the -T directory with
#              the final marker; the next uftpd start moves them into
#              place, and the temp directory is left empty.
# usage: storage.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: storage.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftS
W=$(mktemp -d)
trap 'net_down; rm -rf "$W"' EXIT
net_down
net_up 4
make_files "$W/src"
mkdir -p "$W/srv"
fail=0
bad() { echo "FAIL $1"; fail=1; }

server() { # server LOGNAME SECS ARGS...: uftp in the server namespace, from $W/srv
    log=$1 secs=$2
    shift 2
    set +e
    (cd "$W/srv" && ip netns exec "$(net_ns srv)" timeout -k 5 "$secs" "$B/uftp" -r 0.02:0.01:1 \
        -s 10 -x 2 -Y none "$@" >"$W/$log.s.log" 2>&1)
    rc=$?
    set -e
}

wait_for() { # wait_for SECS CMD...: until CMD succeeds, at most SECS seconds
    n=$(($1 * 10))
    shift
    while ! "$@" 2>/dev/null; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}

calls() { # calls FILE: how many times a test script ran
    [ -f "$1" ] && grep -c '^CALL ' "$1" || echo 0
}

# A post-receive script that records each call in one write: "CALL argc"
# then one "ARG value" line per argument.
make_script() { # make_script PATH OUTFILE
    cat >"$1" <<EOF
#!/bin/sh
s="CALL \$#"
for a in "\$@"; do s="\$s
ARG \$a"; done
printf '%s\n' "\$s" >>"$2"
EOF
    chmod 755 "$1"
}

# ---- options: -T (daemon, -N), -A, -s, -T -s ----
mkdir -p "$W/r1" "$W/t1" "$W/r2" "$W/bak2" "$W/r3" "$W/r4" "$W/t4"
mkdir -p "$W/r2/d1"
printf 'old big\n' >"$W/r2/big.bin"
printf 'old a\n' >"$W/r2/d1/a.bin"
make_script "$W/script3.sh" "$W/script3.out"
make_script "$W/script4.sh" "$W/script4.out"
ip netns exec "$(net_ns c1)" "$B/uftpd" -L "$W/opt.c1.log" -P "$W/c1.pid" -N 7 \
    -T "$W/t1" -D "$W/r1" -U 0x0a000001 -x 3
net_bg c2 90 "$B/uftpd" -d -A "$W/bak2" -D "$W/r2" -U 0x0a000002 -x 3 >"$W/opt.c2.log" 2>&1
net_bg c3 90 "$B/uftpd" -d -s "$W/script3.sh" -D "$W/r3" -U 0x0a000003 -x 3 \
    >"$W/opt.c3.log" 2>&1
net_bg c4 90 "$B/uftpd" -d -T "$W/t4" -s "$W/script4.sh" -D "$W/r4" -U 0x0a000004 -x 3 \
    >"$W/opt.c4.log" 2>&1
wait_for 10 test -s "$W/c1.pid" || bad "options: the daemon wrote no pid file"
pid1=$(cat "$W/c1.pid" 2>/dev/null || echo 0)
nice1=$(awk '{print $19}' "/proc/$pid1/stat" 2>/dev/null || echo none)
[ "$nice1" = 7 ] || bad "options: the daemon runs at nice $nice1 (want 7 from -N 7)"
sleep 0.5
start=$(date +%s.%N)
server opt 80 -R 100000 -H 0x0a000001,0x0a000002,0x0a000003,0x0a000004 \
    "$W/src/big.bin" "$W/src/one.bin" "$W/src/zero.bin" "$W/src/d1" "$W/src/empty" \
    "$W/src/sp ace" "$W/src/link.bin"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
[ "$rc" -eq 0 ] || bad "options: server exit $rc"
gid=$(sed -n 's/.*\[\([0-9A-F]\{8\}\)\/.*/\1/p' "$W/opt.c2.log" | head -1)
# the per-file script runs for the six regular files; -T -s once
wait_for 10 sh -c "[ \"\$(grep -c '^CALL ' '$W/script3.out')\" -ge 6 ]" || true
wait_for 10 test -s "$W/script4.out" || true
sleep 0.3
kill "$pid1" 2>/dev/null || true
wait_for 15 sh -c "! kill -0 $pid1" || bad "options: the daemon did not end on SIGTERM"
net_bg_stop
for i in 1 2 3 4; do
    check_tree "$W/src" "$W/r$i" >"$W/opt.diff$i" 2>&1 || bad "options: receiver $i: $(cat "$W/opt.diff$i")"
    check_no_temp "$W/r$i" || bad "options: receiver $i kept a temporary file"
done
for t in t1 t4; do
    [ -z "$(ls -A "$W/$t")" ] || bad "options: -T directory $t is not empty: $(ls -A "$W/$t")"
done
grep -q "Exiting on signal" "$W/opt.c1.log" || bad "options: the daemon's log (-L) is not complete"
# -A: the old bytes under <A>/YYYYMMDD/HHMMSS/<path>
bdir=$(cd "$W/bak2" && ls -d [0-9]*/[0-9]* 2>/dev/null | head -1)
echo "$bdir" | grep -qx '[0-9]\{8\}/[0-9]\{6\}' || bad "options: backup directory '$bdir' is not YYYYMMDD/HHMMSS"
[ "$(cat "$W/bak2/$bdir/big.bin" 2>/dev/null)" = "old big" ] || bad "options: -A did not keep the old big.bin"
[ "$(cat "$W/bak2/$bdir/d1/a.bin" 2>/dev/null)" = "old a" ] || bad "options: -A did not keep the old d1/a.bin"
[ "$(find "$W/bak2" -type f | wc -l)" -eq 2 ] || bad "options: -A kept more than the two replaced files"
# -s: script -I GGGGGGGG path, once per regular file
n3=$(calls "$W/script3.out")
[ "$n3" -eq 6 ] || bad "options: the per-file script ran $n3 times (want 6)"
[ "$(grep -c '^CALL 3$' "$W/script3.out")" -eq "$n3" ] || bad "options: per-file calls without 3 arguments"
[ "$(grep -c "^ARG $gid\$" "$W/script3.out")" -eq "$n3" ] || bad "options: script calls without -I $gid"
for f in big.bin one.bin zero.bin d1/a.bin d1/d2/b.bin "sp ace/fïlé ünïcødé -x.txt"; do
    grep -Fqx "ARG $W/r3/$f" "$W/script3.out" || bad "options: the script was not run for $f"
done
# -T -s: once, with every top-level entry
n4=$(calls "$W/script4.out")
[ "$n4" -eq 1 ] || bad "options: the -T script ran $n4 times (want 1)"
grep -qx 'CALL 9' "$W/script4.out" || bad "options: the -T script got $(head -1 "$W/script4.out") (want 9 arguments)"
for f in big.bin one.bin zero.bin d1 empty "sp ace" link.bin; do
    grep -Fqx "ARG $W/r4/$f" "$W/script4.out" || bad "options: the -T script did not list $f"
done
[ "$fail" = 0 ] && echo "PASS options (${secs}s: -T daemon at nice 7, -A, -s per file, -T -s once)"

# ---- restart: the receiver is stopped mid-file, then uftp -F ----
head -c 20000000 /dev/urandom >"$W/src/big20.bin"

partial() { # the partial file of big20.bin in a -T directory, if any
    find "$1" -name 'big20.bin.~uftp-*' 2>/dev/null | head -1
}

big_enough() { # big_enough DIR: a partial of at least 4 MB is there
    p=$(partial "$1")
    [ -n "$p" ] && [ "$(stat -c %s "$p")" -ge 4000000 ]
}

receiver_pid() { # the uftpd process in namespace c1
    for p in $(ip netns pids "$(net_ns c1)"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = uftpd ] && echo "$p" && return 0
    done
    return 1
}

restart_case() { # restart_case NAME SIGNAL
    name=$1 sig=$2 f0=$fail
    rm -rf "$W/rr" "$W/rt" "$W/srv"/_group_*
    mkdir -p "$W/rr" "$W/rt"
    net_bg c1 90 "$B/uftpd" -d -T "$W/rt" -D "$W/rr" -U 0x0a000001 -x 3 >"$W/$name.c1a.log" 2>&1
    sleep 0.5
    # 20,000 Kbit/s: 8 s for the file, so the signal lands mid-file
    server "${name}1" 80 -f -R 20000 -H 0x0a000001 "$W/src/big20.bin" &
    spid=$!
    wait_for 30 big_enough "$W/rt" || bad "$name: no partial file of 4 MB in the -T directory"
    if [ "$sig" = KILL ]; then
        # the record is refreshed every 5 s while receiving: kill after one
        wait_for 20 sh -c "grep -qs '^file P' '$W'/rt/_group_*_restart" ||
            bad "$name: no restart record written while receiving"
        kill -KILL "$(receiver_pid)" 2>/dev/null || bad "$name: no uftpd to kill"
    fi
    net_bg_stop
    wait "$spid" 2>/dev/null || true
    p=$(partial "$W/rt")
    [ -n "$p" ] || bad "$name: the partial file is not kept in the -T directory"
    [ -e "$W/rr/big20.bin" ] && bad "$name: big20.bin stands under its final name"
    rec=$(ls "$W/rt" | grep '^_group_[0-9A-F]\{8\}_restart$' | head -1)
    [ -n "$rec" ] && grep -q '^file P .* big20.bin$' "$W/rt/$rec" ||
        bad "$name: no restart record listing big20.bin in the -T directory"
    rf=$(ls "$W/srv" | grep '^_group_[0-9A-F]\{8\}_restart$' | head -1)
    if [ -z "$rf" ]; then
        bad "$name: the server wrote no restart file"
        return
    fi
    [ "$rec" = "$rf" ] || bad "$name: receiver record $rec and server restart file $rf differ in group"
    have=$(stat -c %s "$p")
    net_bg c1 90 "$B/uftpd" -d -T "$W/rt" -D "$W/rr" -U 0x0a000001 -x 3 >"$W/$name.c1b.log" 2>&1
    sleep 0.5
    start=$(date +%s.%N)
    server "${name}2" 60 -R 100000 -F "$rf"
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    sleep 0.3
    net_bg_stop
    [ "$rc" -eq 0 ] || bad "$name: resumed server exit $rc"
    cmp -s "$W/src/big20.bin" "$W/rr/big20.bin" || bad "$name: big20.bin differs after the restart"
    [ -z "$(ls -A "$W/rt")" ] || bad "$name: the -T directory is not empty: $(ls -A "$W/rt")"
    grep -q "resuming big20.bin" "$W/$name.c1b.log" || bad "$name: the receiver did not resume"
    grep -q "Every client has part of file" "$W/${name}2.s.log" ||
        bad "$name: the server was not told the receiver holds part of the file"
    [ "$fail" = "$f0" ] && echo "PASS $name (SIG$sig with $have bytes received; resumed in ${secs}s)"
}

restart_case restart TERM
restart_case killed KILL

# ---- confirm: killed between the final COMPLETE and the DONE_CONF ----
rm -rf "$W/rr" "$W/rt" "$W/srv"/_group_*
mkdir -p "$W/rr" "$W/rt"
c1=$(net_ns c1)
ip netns exec "$c1" nft add table inet nodc
ip netns exec "$c1" nft add chain inet nodc in '{ type filter hook input priority 0; }'
# byte 1 of the UFTP header is the message type; 13 is DONE_CONF
ip netns exec "$c1" nft add rule inet nodc in udp dport 1044 @th,72,8 13 counter drop
net_bg c1 90 "$B/uftpd" -d -T "$W/rt" -D "$W/rr" -U 0x0a000001 -x 3 >"$W/confirm.c1a.log" 2>&1
sleep 0.5
# a GRTT of 0.25 s: the receiver waits 10 s for DONE_CONF before it gives up
server confirm 60 -r 0.25:0.25:0.5 -H 0x0a000001 "$W/src/d1"
[ "$rc" -eq 0 ] || bad "confirm: server exit $rc"
ls "$W/rt" | grep -q '^_group_[0-9A-F]\{8\}_final$' || bad "confirm: no final marker in the -T directory"
[ -e "$W/rr/d1" ] && bad "confirm: d1 placed before the DONE_CONF"
kill -KILL "$(receiver_pid)" 2>/dev/null || bad "confirm: no uftpd to kill (it gave up too soon)"
net_bg_stop
ip netns exec "$c1" nft list chain inet nodc in | grep -q 'counter packets [1-9]' ||
    bad "confirm: no DONE_CONF was dropped"
ip netns exec "$c1" nft delete table inet nodc
net_bg c1 30 "$B/uftpd" -d -T "$W/rt" -D "$W/rr" -U 0x0a000001 -x 3 >"$W/confirm.c1b.log" 2>&1
wait_for 10 diff -r "$W/src/d1" "$W/rr/d1" >/dev/null || bad "confirm: d1 not moved into place at restart"
net_bg_stop
[ -z "$(ls -A "$W/rt")" ] || bad "confirm: the -T directory is not empty: $(ls -A "$W/rt")"
grep -q "final COMPLETE was sent" "$W/confirm.c1b.log" || bad "confirm: the recovery is not logged"
check_no_temp "$W/rr" >/dev/null || bad "confirm: a temporary file stands in the destination"
[ "$fail" = 0 ] && echo "PASS confirm (files placed at the next start)"
exit $fail
