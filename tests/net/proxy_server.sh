#!/bin/sh
# ufcast's uftp through UFTP 5's proxies (uftpproxyd) to UFTP 5's uftpd
# and ufcast's uftpd (with -S naming the proxy, and in a plain session
# without -S), in private namespaces. A client proxy takes only unicast from a server proxy
# (uftpproxyd(1), figure 1), so the client-proxy cases run the chain
#
#   [srv] 10.98.0.1 --+                          +-- [c1] 10.98.1.11
#   [sp]  10.98.0.2 --+ br0       br1 in [br2] --+-- [c2] 10.98.1.12
#   [rp]  10.98.0.4 --+ in [br]                  +-- [c3] 10.98.1.13
#   [r1]  10.98.0.21 -+                          |
#   [r2]  10.98.0.22 -+                          |
#   [cp]  eth0 10.98.0.3 on br0, eth1 10.98.1.1 -+
#
#   server proxy  sp: uftpproxyd -s 10.98.0.3 (joins the groups on br0 and
#                 sends everything to cp by unicast, and back to uftp)
#   client proxy  cp: uftpproxyd -c -O 10.98.1.1 (multicasts on br1 and
#                 answers for c1..c3 as proxy 0x00000C01)
#   response proxy rp: uftpproxyd -r (proxy 0x00000501): r1, r2 hear uftp
#                 directly on br0 and answer to rp, which answers for them
#
# Cases: plain and encrypted (AES-256-GCM, then -c client authentication
# with the proxies' fingerprints in -j, and with a wrong one), closed
# groups (-H plus -j, and a receiver -H does not name) and open groups,
# with a ufcast receiver in most; a closed group where one receiver behind
# the proxy aborts (its disk is full) and one never answers, whose restart
# file (-f) must list both, the first followed by its proxy; and the -F
# session that resumes it through the proxy. Every receiver must hold the
# source files byte for byte and uftp must exit 0 (7 when the proxy's key
# is refused).
# usage: proxy_server.sh BUILD_APP_DIR   (UFTP 5 from $UFTP_REF_DIR)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
[ -n "${UFTP_REF_DIR:-}" ] || { echo "SKIPPED: UFTP_REF_DIR is unset (no UFTP 5 binaries)"; exit 77; }
R=$(cd "$UFTP_REF_DIR" && pwd)
B=$(cd "${1:?usage: proxy_server.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftx
W=$(mktemp -d)
[ -z "${KEEP:-}" ] || echo "work directory: $W"
trap 'net_bg_stop; umount "$W/small" 2>/dev/null || true; net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down

# The receivers' side of the client proxy: a second bridge, and the proxy
# namespace with one leg on each bridge.
net_up 0
net_attach sp 2
net_attach rp 4
net_attach r1 21
net_attach r2 22
net_attach cp 3
br2=$(net_ns br2)
ip netns add "$br2"
ip -n "$br2" link add br1 type bridge
ip -n "$br2" link set br1 type bridge mcast_snooping 0
ip -n "$br2" link set br1 up
ip -n "$br2" link add p_cp type veth peer name eth1 netns "$(net_ns cp)"
ip -n "$br2" link set p_cp master br1 up
ip -n "$(net_ns cp)" addr add 10.98.1.1/24 dev eth1
ip -n "$(net_ns cp)" link set eth1 up
for i in 1 2 3; do
    ns=$(net_ns "c$i")
    ip netns add "$ns"
    ip -n "$br2" link add "p_c$i" type veth peer name eth0 netns "$ns"
    ip -n "$br2" link set "p_c$i" master br1 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.98.1.1$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add 224.0.0.0/4 dev eth0
done

mkdir -p "$W/src/d1"
head -c 1500000 /dev/urandom >"$W/src/big.bin"
head -c 7 /dev/urandom >"$W/src/small.bin"
: >"$W/src/zero.bin"
head -c 30000 /dev/urandom >"$W/src/d1/a.bin"
FILES="big.bin small.bin zero.bin d1"
SID=0x0A620001 # uftp's ID: its address 10.98.0.1
CP=0x00000C01
RP=0x00000501
for k in cp rp; do
    "$R/uftp_keymgt" -g ec:prime256v1 "$W/$k.pem" 2>"$W/$k.key.txt"
    sed -n 's/.*fingerprint: //p' "$W/$k.key.txt" >"$W/$k.fp"
    [ -s "$W/$k.fp" ] || { echo "FAIL: no fingerprint for the $k key"; exit 1; }
done
printf '%s|10.98.0.1|%s\n' "$SID" "$CP" >"$W/servers.cp"
printf '%s|10.98.0.1|%s\n' "$SID" "$RP" >"$W/servers.rp"
fail=0
bad() { echo "FAIL $1"; fail=1; }
# ONLY="name ..." runs just those cases (for debugging)
want() { [ -z "${ONLY:-}" ] || case " $ONLY " in *" $1 "*) ;; *) return 1 ;; esac; }

# start_proxies TOPO NAME: the proxies of a topology (cp: sp + cp; rp: rp)
start_proxies() {
    if [ "$1" = cp ]; then
        net_bg sp 150 "$R/uftpproxyd" -s 10.98.0.3 -d -x 3 -U 0x00000599 >"$W/$2.sp.log" 2>&1
        net_bg cp 150 "$R/uftpproxyd" -c -d -x 3 -U "$CP" -O 10.98.1.1 -k "$W/cp.pem" \
            >"$W/$2.cp.log" 2>&1
    else
        net_bg rp 150 "$R/uftpproxyd" -r -d -x 3 -U "$RP" -k "$W/rp.pem" >"$W/$2.rp.log" 2>&1
    fi
}

# receiver NS ID NAME KIND TOPO: UFTP 5's uftpd (KIND u5) or ufcast's
# (ucs) with the server listed behind the proxy in -S, or ufcast's uftpd
# without -S (uc), which answers the proxy that multicast to it
receiver() {
    dest="$W/d.$1"
    [ "$1" != "${SMALL:-}" ] || dest="$W/small"
    rm -rf "$W/d.$1"
    mkdir -p "$W/d.$1"
    if [ "$4" = u5 ]; then
        net_bg "$1" 150 "$R/uftpd" -d -q -D "$dest" -U "$2" -x 2 -S "$W/servers.$5" \
            >"$W/$3.$1.log" 2>&1
    elif [ "$4" = ucs ]; then
        net_bg "$1" 150 "$B/uftpd" -d -D "$dest" -U "$2" -x 2 -S "$W/servers.$5" \
            >"$W/$3.$1.log" 2>&1
    else
        net_bg "$1" 150 "$B/uftpd" -d -D "$dest" -U "$2" -x 2 >"$W/$3.$1.log" 2>&1
    fi
}

# case_run NAME TOPO KINDS SERVER_OPTS: KINDS is one word per receiver
# (u5, ucs or uc); sets $rc and leaves the logs in $W
case_run() {
    name=$1 topo=$2 kinds=$3 sopts=$4
    start_proxies "$topo" "$name"
    i=1
    for k in $kinds; do
        if [ "$topo" = cp ]; then
            receiver "c$i" "0x0000C01$i" "$name" "$k" cp
        else
            receiver "r$i" "0x0000D02$i" "$name" "$k" rp
        fi
        i=$((i + 1))
    done
    # an open group's announce phase is a fixed 1.5 s here: start uftp only
    # once every daemon has its keys and socket (each logs a first line)
    for f in "$W/$name".*.log; do
        n=0
        while ! grep -q "UFTP version\|listening on port" "$f" && [ "$n" -lt 100 ]; do
            sleep 0.1
            n=$((n + 1))
        done
    done
    sleep 0.3
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 120 "$B/uftp" -R 20000 \
        -r 0.05:0.01:1 -s 10 -x 3 -P 230.5.5.9 $sopts ${OPERANDS-$FILES} >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    sleep 0.5
    net_bg_stop
}

# got TOPO N: receivers 1..N of the topology hold every file
got() {
    i=1
    while [ "$i" -le "$2" ]; do
        if [ "$1" = cp ]; then d="$W/d.c$i"; else d="$W/d.r$i"; fi
        for f in big.bin small.bin zero.bin d1/a.bin; do
            cmp -s "$W/src/$f" "$d/$f" || { echo "receiver $i: $f differs or is missing"; return 1; }
        done
        i=$((i + 1))
    done
}

check() { # check NAME TOPO N
    if [ "$rc" -eq 0 ] && got "$2" "$3" >"$W/$1.why" 2>&1 &&
        grep -q "Received REGISTER from proxy" "$W/$1.s.log"; then
        echo "PASS $1"
    else
        bad "$1: uftp exit $rc; $(cat "$W/$1.why" 2>/dev/null); $(grep -i 'abort\|lost\|reject\|proxy' "$W/$1.s.log" | head -3)"
        for f in "$W/$1".*.log; do echo "--- $f"; head -8 "$f"; done
    fi
}

fp_cp=$(cat "$W/cp.fp")
fp_rp=$(cat "$W/rp.fp")
printf '%s\n' "$CP" >"$W/j.cp"
printf '%s|%s\n' "$CP" "$fp_cp" >"$W/jfp.cp"
printf '%s\n' "$RP" >"$W/j.rp"
printf '%s|%s\n' "$RP" "$fp_rp" >"$W/jfp.rp"
H_CP=0x0000C011,0x0000C012,0x0000C013
H_RP=0x0000D021,0x0000D022

# server proxy + client proxy chain
want cp_plain_closed && { case_run cp_plain_closed cp "u5 u5 u5" "-Y none -H $H_CP -j $W/j.cp"; check cp_plain_closed cp 3; }
want cp_plain_open && { case_run cp_plain_open cp "u5 u5 uc" "-Y none"; check cp_plain_open cp 3; }
want cp_enc_closed && { case_run cp_enc_closed cp "u5 u5 ucs" "-H $H_CP -j $W/j.cp"; check cp_enc_closed cp 3; }
want cp_enc_auth && { case_run cp_enc_auth cp "u5 ucs u5" "-c -H $H_CP -j $W/jfp.cp"; check cp_enc_auth cp 3; }
want cp_enc_open && { case_run cp_enc_open cp "u5 u5 u5" ""; check cp_enc_open cp 3; }

# a receiver behind the proxy that the closed group does not name: it
# finds itself missing from the ANNOUNCE's list and stays out; the others
# get everything
if want cp_notlisted; then
    case_run cp_notlisted cp "u5 u5 u5" "-Y none -H 0x0000C011,0x0000C012 -j $W/j.cp"
    if [ "$rc" -eq 0 ] && got cp 2 >"$W/cp_notlisted.why" 2>&1 && [ ! -e "$W/d.c3/big.bin" ] &&
        ! grep -q "0x0000C013" "$W/cp_notlisted.s.log" &&
        grep -qi "not in host list" "$W/cp_notlisted.c3.log"; then
        echo "PASS cp_notlisted"
    else
        bad "cp_notlisted: exit $rc; $(cat "$W/cp_notlisted.why"); $(tail -2 "$W/cp_notlisted.c3.log")"
    fi
fi

# -c with a -j fingerprint that is not the proxy's key: the proxy is
# refused, and with it every receiver behind it (exit 7: none registered)
if want cp_badfp; then
    printf '%s|%s\n' "$CP" "$fp_rp" >"$W/jbad.cp"
    case_run cp_badfp cp "u5 u5 u5" "-c -H $H_CP -j $W/jbad.cp"
    if [ "$rc" -eq 7 ] && [ ! -e "$W/d.c1/big.bin" ] &&
        grep -q "Rejecting CLIENT_KEY from proxy 0x00000C01" "$W/cp_badfp.s.log"; then
        echo "PASS cp_badfp"
    else
        bad "cp_badfp: exit $rc; $(grep -i 'reject' "$W/cp_badfp.s.log" | head -2)"
    fi
fi

# response proxy
want rp_plain_closed && { case_run rp_plain_closed rp "ucs u5" "-Y none -H $H_RP -j $W/j.rp"; check rp_plain_closed rp 2; }
want rp_enc_open && { case_run rp_enc_open rp "u5 ucs" ""; check rp_enc_open rp 2; }
want rp_enc_auth && { case_run rp_enc_auth rp "ucs u5" "-c -H $H_RP -j $W/jfp.rp"; check rp_enc_auth rp 2; }

# a closed group where receiver 2 runs out of disk (its ABORT comes
# through the proxy) and receiver 3 never answers: uftp's restart file
# lists 0x0000C012, then its proxy (UFTP writes a failed client's proxy
# after it, once), then 0x0000C013, which never registered through any
# proxy (UFTP 5's layout: 156-byte host records after the 300-byte names,
# the ID at byte 80, is_proxy at 152)
if want cp_fail; then
    mkdir -p "$W/small"
    mount -t tmpfs -o size=512k tmpfs "$W/small"
    rm -f "$W/src"/_group_*_restart
    SMALL=c2 case_run cp_fail cp "u5 u5" "-Y none -f -H $H_CP -j $W/jfp.cp"
    umount "$W/small"
    rfile=$(ls "$W/src"/_group_*_restart 2>/dev/null | head -1)
    if [ -n "$rfile" ] && got cp 1 >"$W/cp_fail.why" 2>&1; then
        hosts=$(tail -c +$((12 + 4 * 300 + 1)) "$rfile" | od -An -tx1 -v | tr -d ' \n')
        recs=""
        k=0
        while [ $((k * 312)) -lt ${#hosts} ]; do
            id=$(printf '%s' "$hosts" | cut -c$((k * 312 + 161))-$((k * 312 + 168)))
            px=$(printf '%s' "$hosts" | cut -c$((k * 312 + 305))-$((k * 312 + 312)))
            recs="$recs $id/$px"
            k=$((k + 1))
        done
        if [ "$recs" = " 0000c012/00000000 00000c01/01000000 0000c013/00000000" ] &&
            grep -q "aborted by client 0x0000C012" "$W/cp_fail.s.log"; then
            echo "PASS cp_fail (exit $rc; restart file:$recs)"
            # -F: the proxy comes back from the restart file with the two
            # clients; receiver 2, with room now, gets everything
            OPERANDS="" case_run cp_resume cp "u5 u5" "-Y none -F $rfile"
            rm -rf "$W/d.c1"
            mv "$W/d.c2" "$W/d.c1"
            if [ "$rc" -eq 0 ] && got cp 1 >"$W/cp_resume.why" 2>&1; then
                echo "PASS cp_resume"
            else
                bad "cp_resume: exit $rc; $(cat "$W/cp_resume.why"); $(tail -3 "$W/cp_resume.s.log")"
            fi
        else
            bad "cp_fail: restart file:$recs; $(grep -i 'C012' "$W/cp_fail.s.log" | head -3)"
        fi
    else
        bad "cp_fail: exit $rc, restart file '${rfile}': $(cat "$W/cp_fail.why" 2>/dev/null)"
    fi
fi
exit $fail
