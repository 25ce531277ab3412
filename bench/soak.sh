#!/bin/sh
# Soak: session after session for DURATION seconds (default 3600) with 5%
# loss on every receiver and receivers killed at random, in private
# namespaces (prefix hds):
#
#   [hds_srv] uftp -f / uftp -F ---+--- [hds_c1] uftpd -T  (killed at random)
#                                  +--- [hds_c2] uftpd -T  (killed at random)
#                                  +--- [hds_c3] uftpd -T  (never killed)
#
# Each fresh session sends a new set of three random files (100 KB to
# 3 MB) with uftp -f. In about half the sessions, a receiver (1 or 2) gets
# SIGKILL or SIGTERM mid-session and is started again after 0 to 2 s;
# the server's restart file is then resumed with uftp -F (kills may land
# there too) until every receiver has every file, at most 6 times. After
# each session: every file a receiver holds under its final name equals
# the source, no temporary file stands in a destination, and the -T
# directories hold nothing but the current group's partial files (and
# nothing at all once the group is complete); a group left in -T by a
# receiver SIGKILLed after its final COMPLETE (the server counts it done,
# so nothing resumes or moves it) is counted as "stranded" and removed. Every 30 s the fd count and
# RSS of each uftpd are sampled; receiver 3 lives through the whole run,
# so its figures show leaks. A summary table ends the run; the exit code
# is 1 if any check failed.
# usage: bench/soak.sh BUILD_APP_DIR [DURATION_S]   (root; e.g. nice -n 10)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/net/lib.sh"
need_root
B=$(cd "${1:?usage: soak.sh BUILD_APP_DIR [DURATION_S]}" && pwd)
DURATION=${2:-3600}
NET_PREFIX=hds
W=$(mktemp -d)
# SOAK_KEEP=1 keeps the work directory (logs, samples) for a look after a failure
trap 'net_bg_stop; net_down; [ -n "${SOAK_KEEP:-}" ] && echo "kept $W" || rm -rf "$W"' EXIT
net_down
net_up 3
for i in 1 2 3; do
    net_loss "c$i" 5
    mkdir -p "$W/r$i" "$W/t$i"
done
mkdir -p "$W/src" "$W/srv"
HOSTS=0x0a000001,0x0a000002,0x0a000003

# integer random 0..N-1 (awk's rand, seeded once per call from urandom)
rnd() { awk -v n="$1" -v s="$(od -An -N4 -tu4 /dev/urandom)" 'BEGIN { srand(s); print int(rand() * n) }'; }

start_receiver() { # start_receiver N
    net_bg "c$1" "$((DURATION + 900))" "$B/uftpd" -d -x 1 -D "$W/r$1" -T "$W/t$1" \
        -U "0x0a00000$1" >>"$W/c$1.log" 2>&1
}

receiver_pid() { # receiver_pid N: the uftpd process in namespace cN
    for p in $(ip netns pids "$(net_ns "c$1")"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = uftpd ] && echo "$p" && return 0
    done
    return 1
}

sample() { # one line per receiver: time N pid fds rss_kb
    t=$(($(date +%s) - T0))
    for i in 1 2 3; do
        p=$(receiver_pid "$i") || continue
        fds=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
        echo "$t $i $p $fds ${rss:-0}" >>"$W/samples"
    done
}

new_files() {
    rm -rf "$W/src" && mkdir -p "$W/src"
    for f in a b c; do
        head -c $((100000 + $(rnd 2900000))) /dev/urandom >"$W/src/$f.bin"
    done
}

restart_file() { ls "$W/srv" | grep '^_group_[0-9A-F]\{8\}_restart$' | head -1 || true; }

bad() {
    echo "FAIL session $sessions: $1"
    fails=$((fails + 1))
}

# Kill receiver 1 or 2 after 0.3..2.3 s, then start it again after 0..2 s.
killer() {
    sleep "$(awk -v r="$(rnd 2000)" 'BEGIN { print 0.3 + r / 1000 }')"
    n=$((1 + $(rnd 2)))
    sig=KILL
    [ "$(rnd 2)" = 0 ] && sig=TERM
    p=$(receiver_pid "$n") || exit 0
    kill "-$sig" "$p" 2>/dev/null || exit 0
    echo "$sig" >>"$W/kills"
    echo "$n" >>"$W/killed_now"
    echo "== killed receiver $n ($sig) in session $sessions" >>"$W/srv.log"
    i=0
    while kill -0 "$p" 2>/dev/null && [ "$i" -lt 150 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep "$(awk -v r="$(rnd 2000)" 'BEGIN { print r / 1000 }')"
    start_receiver "$n"
}

gone() { # gone PATH: it disappears within 10 s
    n=100
    while [ -e "$1" ] && [ "$n" -gt 0 ]; do
        sleep 0.1
        n=$((n - 1))
    done
    [ ! -e "$1" ]
}

check_session() { # check_session COMPLETE(0/1) GROUP
    for i in 1 2 3; do
        for f in a b c; do
            [ -e "$W/r$i/$f.bin" ] || continue
            if cmp -s "$W/src/$f.bin" "$W/r$i/$f.bin"; then
                files_ok=$((files_ok + 1))
            else
                bad "receiver $i: $f.bin differs from the source"
            fi
        done
        left=$(find "$W/r$i" -name '*.~uftp-*' | head -1)
        [ -z "$left" ] || bad "receiver $i: temporary file $left in the destination"
        for e in $(ls -A "$W/t$i"); do
            case "$e" in
            "_group_$2" | "_group_$2_restart") continue ;;
            esac
            # a receiver that missed DONE_CONF moves its files when it
            # gives up waiting (4 x robust x GRTT, at least 1 s)
            gone "$W/t$i/$e" && continue
            if grep -qx "$i" "$W/killed_now"; then
                # killed after its final COMPLETE: the server counts it
                # done, so nothing will resume or move these files
                case "$e" in *_restart) ;; *) stranded=$((stranded + 1)) ;; esac
                echo "session $sessions: receiver $i killed after its final COMPLETE left $e in -T" >>"$W/stranded"
                rm -rf "${W:?}/t$i/$e"
            else
                bad "receiver $i: orphan $e in -T"
            fi
        done
    done
}

T0=$(date +%s)
END=$((T0 + DURATION))
sessions=0 resumes=0 complete=0 abandoned=0 files_ok=0 fails=0 chain=0 stranded=0
: >"$W/kills"
: >"$W/samples"
for i in 1 2 3; do start_receiver "$i"; done
sleep 0.5
sample
last_sample=$T0
while [ "$(date +%s)" -lt "$END" ]; do
    rf=$(restart_file)
    if [ -z "$rf" ]; then
        new_files
        for i in 1 2 3; do rm -rf "$W/r$i"/*; done
        set -- -f -H "$HOSTS" "$W/src/a.bin" "$W/src/b.bin" "$W/src/c.bin"
        chain=0
    else
        # a resumed session that fails writes a restart file of the same
        # name: read this one from another name
        mv "$W/srv/$rf" "$W/srv/resume"
        set -- -F resume
        resumes=$((resumes + 1))
        chain=$((chain + 1))
    fi
    sessions=$((sessions + 1))
    echo "== session $sessions: $*" >>"$W/srv.log"
    kpid=
    : >"$W/killed_now"
    if [ "$(rnd 2)" = 0 ]; then
        killer &
        kpid=$!
    fi
    set +e
    (cd "$W/srv" && ip netns exec "$(net_ns srv)" timeout -k 5 120 "$B/uftp" -R 50000 \
        -r 0.02:0.01:1 -s 10 -x 1 "$@" >>"$W/srv.log" 2>&1)
    rc=$?
    set -e
    [ -n "$kpid" ] && wait "$kpid" 2>/dev/null
    rm -f "$W/srv/resume"
    nrf=$(restart_file)
    case $rc in
    0 | 9) ;;
    *) bad "uftp exit $rc" ;;
    esac
    # give receivers a moment to move their -T files after DONE_CONF
    sleep 0.5
    if [ -z "$nrf" ]; then
        [ "$rc" = 0 ] || bad "uftp exit $rc without a restart file"
        check_session 1 none
        complete=$((complete + 1))
    else
        g=$(echo "$nrf" | sed 's/^_group_\([0-9A-F]*\)_restart$/\1/')
        check_session 0 "$g"
        if [ "$chain" -ge 6 ]; then
            abandoned=$((abandoned + 1))
            rm -f "$W/srv/$nrf"
            for i in 1 2 3; do rm -rf "$W/t$i"/*; done
        fi
    fi
    for i in 1 2 3; do receiver_pid "$i" >/dev/null || start_receiver "$i"; done
    if [ $(($(date +%s) - last_sample)) -ge 30 ]; then
        sample
        last_sample=$(date +%s)
    fi
done
sample
elapsed=$(($(date +%s) - T0))
kills=$(wc -l <"$W/kills")
kterm=$(grep -c TERM "$W/kills" || true)

echo "soak: ${elapsed}s, 5% loss on every receiver, rate 50000 Kbit/s"
printf '%-28s %s\n' "sessions (fresh + resumed)" "$sessions ($((sessions - resumes)) + $resumes)" \
    "file sets completed" "$complete" "file sets abandoned" "$abandoned" \
    "files verified identical" "$files_ok" "receivers killed" "$kills (SIGTERM $kterm, SIGKILL $((kills - kterm)))" \
    "stranded in -T by a kill" "$stranded" \
    "check failures" "$fails"
echo
echo "receiver  first(t pid fds rssKB)       last(t pid fds rssKB)        max fds  max rssKB"
for i in 1 2 3; do
    awk -v n="$i" '$2 == n {
        if (!seen) { first = $1 " " $3 " " $4 " " $5; seen = 1 }
        last = $1 " " $3 " " $4 " " $5
        if ($4 > mf) mf = $4
        if ($5 > mr) mr = $5
    } END { printf "c%-8s %-28s %-28s %-8s %s\n", n, first, last, mf, mr }' "$W/samples"
done
[ "$fails" = 0 ]
