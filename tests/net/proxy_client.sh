#!/bin/sh
# ufcast's uftpd behind UFTP's proxies, in private namespaces. The server
# and the proxies are the real UFTP 5 programs ($UFTP_REF_DIR); the
# receivers are ufcast's uftpd, which names the proxy in its server list
# (-S ServerID|IP|ProxyID) and the proxy's key fingerprint in -R.
#
#   net A: br0 10.98.0.0/24 (+fd98::/64)     net B: br1 10.99.0.0/24 (+fd99::/64)
#   [srv] .1   uftp                          [cp]  .1   client proxy, eth1
#   [c1]  .11  uftpd   [c2] .12 uftpd        [hp]  .8   heartbeat proxy, eth1
#   [rp]  .5   response proxy (-r)           [d1]  .11  uftpd   [d2] .12 uftpd
#   [sp]  .7   server proxy (-s 10.98.0.6)   [nat] .254 masquerades net C
#   [cp]  .6   client proxy (-c), eth0       net C: br2 10.100.0.0/24
#   [hp]  .8   server proxy (-s fp=FP), eth0 [e1]  .11  uftpd, behind [nat]
#
#   response:   srv -> c1, c2 by multicast; c1, c2 answer rp, rp answers srv.
#   client:     srv -> sp -> (unicast) cp -> d1, d2 by multicast on net B;
#               d1, d2 answer cp, cp answers srv through sp.
#   heartbeat:  e1 (behind NAT) sends HB_REQ to hp and answers its
#               challenge with an HB_REQ signed by its -k key (fp= on hp);
#               hp then forwards srv's session to e1's NAT mapping, and
#               e1's replies back to srv.
#   heartbeat_v6: the same, encrypted, over IPv6 to d1 on net B with
#               -H [fd99::8]:1044.
#   v4_*:       Debian's UFTP 4.10.2 server (when installed) -> c1, c2,
#               which reply through a response proxy given with -r
#               host/fingerprint (UFTP 5's uftpproxyd, then 4.10.2's).
# Each case runs plain (-Y none), encrypted (AES-256-GCM) and encrypted
# with client authentication (-c); every receiver must hold exactly the
# source files. Two more checks: a -R fingerprint that is not the proxy's
# makes the receivers refuse ("Failed to verify proxy key fingerprint"),
# and with no proxy running they give up ("PROXY_KEY not received").
# usage: proxy_client.sh BUILD_APP_DIR   (needs root and $UFTP_REF_DIR;
#        ONLY=pattern runs only the cases whose names match it)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: proxy_client.sh BUILD_APP_DIR}" && pwd)
[ -n "${UFTP_REF_DIR:-}" ] || { echo "SKIPPED: UFTP_REF_DIR is unset (no UFTP 5 binaries)"; exit 77; }
R=$(cd "$UFTP_REF_DIR" && pwd)
for p in uftp uftpproxyd uftp_keymgt; do
    [ -x "$R/$p" ] || { echo "SKIPPED: $R/$p is missing"; exit 77; }
done
NET_PREFIX=uftq
W=$(mktemp -d)
trap 'net_bg_stop; net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down

# ---------- topology ----------
net_up 2
net_attach rp 5
net_attach sp 7
net_attach cp 6
net_attach hp 8
BR=$(net_ns br)
ip -n "$BR" link add br1 type bridge
ip -n "$BR" link add br2 type bridge
for b in br1 br2; do
    ip -n "$BR" link set "$b" type bridge mcast_snooping 0
    ip -n "$BR" link set "$b" up
done
add_link() { # add_link NAME BRIDGE IFACE ADDR/LEN [V6ADDR/LEN]: one more interface for NAME
    ns=$(net_ns "$1")
    ip netns list | awk '{print $1}' | grep -qx "$ns" || {
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    }
    ip -n "$BR" link add "q_$1_$3" type veth peer name "$3" netns "$ns"
    ip -n "$BR" link set "q_$1_$3" master "$2" up
    ip -n "$ns" addr add "$4" dev "$3"
    [ -z "${5:-}" ] || ip -n "$ns" addr add "$5" dev "$3" nodad
    ip -n "$ns" link set "$3" up
}
add_link d1 br1 eth0 10.99.0.11/24 fd99::11/64
add_link d2 br1 eth0 10.99.0.12/24
add_link cp br1 eth1 10.99.0.1/24
add_link hp br1 eth1 10.99.0.8/24 fd99::8/64
add_link nat br1 eth0 10.99.0.254/24
add_link nat br2 eth1 10.100.0.254/24
add_link e1 br2 eth0 10.100.0.11/24
for n in d1 d2 e1; do
    ip -n "$(net_ns $n)" route add 224.0.0.0/4 dev eth0
    ip -n "$(net_ns $n)" -6 route add ff00::/8 dev eth0 table local 2>/dev/null || true
done
# the client proxy multicasts to its clients on net B
ip -n "$(net_ns cp)" route replace 224.0.0.0/4 dev eth1
ip -n "$(net_ns e1)" route add default via 10.100.0.254
NAT=$(net_ns nat)
ip netns exec "$NAT" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NAT" nft add table ip nat
ip netns exec "$NAT" nft add chain ip nat post '{ type nat hook postrouting priority 100; }'
ip netns exec "$NAT" nft add rule ip nat post oifname eth0 masquerade

# ---------- keys and files ----------
mkdir -p "$W/src/d"
head -c 700000 /dev/urandom >"$W/src/big.bin"
head -c 1 /dev/urandom >"$W/src/one.bin"
head -c 5000 /dev/urandom >"$W/src/d/small.bin"
key() { # key NAME -> $W/NAME.pem, prints its fingerprint
    "$R/uftp_keymgt" -g ec:prime256v1 "$W/$1.pem" 2>"$W/$1.txt" >/dev/null
    sed -n 's/.*fingerprint: //p' "$W/$1.txt"
}
RPFP=$(key rp)
CPFP=$(key cp)
E1FP=$(key e1)
OTHERFP=$(key other)
[ -n "$RPFP" ] && [ -n "$CPFP" ] && [ -n "$E1FP" ] && [ -n "$OTHERFP" ] ||
    { echo "FAIL: no key fingerprints"; exit 1; }
SID=0x0A620001 RPID=0x0A620005 CPID=0x0A620006

fail=0
bad() { echo "FAIL $1"; fail=1; }

# wait_log FILE TEXT: until the log has the text, at most 15 s
wait_log() {
    n=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ "$n" -lt 75 ]; do
        sleep 0.2
        n=$((n + 1))
    done
}

# start_rx NAME NS ID EXTRA...: a ufcast receiver into $W/NAME
start_rx() {
    name=$1 ns=$2 id=$3
    shift 3
    rm -rf "${W:?}/$name"
    mkdir -p "$W/$name"
    net_bg "$ns" 120 "$B/uftpd" -d -D "$W/$name" -U "$id" -x 3 "$@" >"$W/$CASE.$name.log" 2>&1
}

# run_server SECS OPTIONS...: UFTP 5's uftp in srv, open group; $rc
run_server() {
    secs=$1
    shift
    sleep 1
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 "$secs" "$R/uftp" -R 50000 \
        -r 0.05:0.01:1 -s 10 -x 2 "$@" big.bin one.bin d >"$W/$CASE.s.log" 2>&1)
    rc=$?
    set -e
}

got() { # got NAME: the receiver holds exactly the source files
    check_tree "$W/src" "$W/$1" >"$W/$CASE.$1.diff" 2>&1 && check_no_temp "$W/$1"
}

# want CASE: whether ONLY (a grep pattern) selects the case
want() { [ -z "${ONLY:-}" ] || echo "$1" | grep -q -- "$ONLY"; }

verdict() { # verdict RECEIVERS...: stop the programs, then check
    sleep 0.5
    net_bg_stop
    ok=1
    [ "$rc" -eq 0 ] || { echo "$CASE: server exit $rc"; ok=0; }
    for r in "$@"; do
        got "$r" || { echo "$CASE: $r: $(cat "$W/$CASE.$r.diff")"; ok=0; }
    done
    if [ "$ok" = 1 ]; then
        echo "PASS $CASE"
    else
        bad "$CASE; server log:"
        tail -8 "$W/$CASE.s.log"
        for r in "$@"; do echo "--- $r"; tail -5 "$W/$CASE.$r.log"; done
    fi
}

modes() { # modes NAME FUNCTION: the function with each server mode
    for m in plain encrypted client_auth; do
        case $m in
        plain) SOPT="-Y none" ;;
        encrypted) SOPT="" ;;
        client_auth) SOPT="-c" ;;
        esac
        CASE="$1_$m"
        if want "$CASE"; then "$2"; fi
    done
}

# ---------- response proxy ----------
printf '%s|10.98.0.1|%s\n' "$SID" "$RPID" >"$W/rp.servers"
printf '%s|10.98.0.5|%s\n' "$RPID" "$RPFP" >"$W/rp.proxies"
response_case() {
    net_bg rp 120 "$R/uftpproxyd" -r -d -U "$RPID" -k "$W/rp.pem" -x 3 >"$W/$CASE.rp.log" 2>&1
    for i in 1 2; do
        start_rx "r$i" "c$i" "0x0A62000$i" -S "$W/rp.servers" -R "$W/rp.proxies"
    done
    # shellcheck disable=SC2086
    run_server 90 $SOPT
    verdict r1 r2
}
modes response response_case

# ---------- server proxy -> client proxy ----------
printf '%s|10.98.0.1|%s\n' "$SID" "$CPID" >"$W/cp.servers"
printf '%s|10.98.0.6|%s\n' "$CPID" "$CPFP" >"$W/cp.proxies"
client_case() {
    net_bg sp 120 "$R/uftpproxyd" -s 10.98.0.6 -d -U 0x0A620007 -x 3 >"$W/$CASE.sp.log" 2>&1
    net_bg cp 120 "$R/uftpproxyd" -c -d -U "$CPID" -k "$W/cp.pem" -O 10.99.0.1 -x 3 \
        >"$W/$CASE.cp.log" 2>&1
    for i in 1 2; do
        start_rx "d$i" "d$i" "0x0A63000$i" -S "$W/cp.servers" -R "$W/cp.proxies"
    done
    # shellcheck disable=SC2086
    run_server 90 $SOPT
    verdict d1 d2
}
modes client client_case

# ---------- heartbeats through NAT to a server proxy ----------
hb_case() {
    net_bg hp 120 "$R/uftpproxyd" -s "fp=$E1FP" -d -U 0x0A620008 -x 3 >"$W/$CASE.hp.log" 2>&1
    start_rx e1 e1 0x0A640001 -H 10.99.0.8 -h 1 -k "$W/e1.pem"
    wait_log "$W/$CASE.hp.log" "downstream address"
    # shellcheck disable=SC2086
    run_server 90 $SOPT
    verdict e1
}
modes heartbeat hb_case

# IPv6: the heartbeat host given as [address]:port (UFTP itself splits
# -H at the first ':'), the session on IPv6 multicast, forwarded by hp to
# d1 on net B. (UFTP 5's proxy needs -I by IPv6 address here: without
# -I it joins eth0 once per address and gives up on the second join, and
# "-I eth0" picks eth0's IPv4 address and joins no IPv6 group.)
hb6_case() {
    net_bg hp 120 "$R/uftpproxyd" -s "fp=$E1FP" -d -U 0x0A620008 -M ff15::4:4:1 -I fd98::8 -x 3 \
        >"$W/$CASE.hp.log" 2>&1
    sleep 0.5
    start_rx d1 d1 0x0A630001 -M ff15::4:4:1 -H "[fd99::8]:1044" -h 1 -k "$W/e1.pem"
    wait_log "$W/$CASE.hp.log" "downstream address"
    run_server 90 -M ff15::4:4:1 -P ff15::5:5:7
    verdict d1
}
CASE=heartbeat_v6
if want $CASE; then hb6_case; fi

# ---------- UFTP 4: a response proxy given with -r ----------
# Debian's UFTP 4.10.2 server (when installed) with a response proxy:
# UFTP 5's uftpproxyd and 4.10.2's. The receivers ask for the proxy's key
# with KEY_REQ, check its fingerprint, and reply through it.
v4_case() {
    # (UFTP 4's proxy makes no ECDH key without -e)
    net_bg rp 120 "$PROXY" -r -d -U "$RPID" -k "$W/rp.pem" -e prime256v1 -x 3 \
        >"$W/$CASE.rp.log" 2>&1
    sleep 0.5
    for i in 1 2; do
        start_rx "r$i" "c$i" "0x0A62000$i" -r "10.98.0.5/$RPFP"
    done
    sleep 1
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 90 /usr/bin/uftp -R 50000 \
        -r 0.05 -s 10 -x 2 $SOPT big.bin one.bin d >"$W/$CASE.s.log" 2>&1)
    rc=$?
    set -e
    verdict r1 r2
}
if [ -x /usr/bin/uftp ] && /usr/bin/uftp 2>&1 | grep -q sigtype; then
    for PROXY in "$R/uftpproxyd" /usr/bin/uftpproxyd; do
        tag=v4_$(basename "$(dirname "$PROXY")")
        for m in plain encrypted client_auth; do
            case $m in
            plain) SOPT="-Y none" ;;
            encrypted) SOPT="-Y aes256-gcm -h sha256 -e ecdh_ecdsa:prime256v1" ;;
            client_auth) SOPT="-Y aes256-gcm -h sha256 -e ecdh_ecdsa:prime256v1 -c" ;;
            esac
            CASE="${tag}_$m"
            if want "$CASE"; then v4_case; fi
        done
    done
else
    echo "SKIPPED v4: Debian's UFTP 4 (/usr/bin/uftp) is not installed"
fi

# ---------- refusals ----------
badfp_case() {
    printf '%s|10.98.0.5|%s\n' "$RPID" "$OTHERFP" >"$W/bad.proxies"
    net_bg rp 60 "$R/uftpproxyd" -r -d -U "$RPID" -k "$W/rp.pem" -x 3 >"$W/$CASE.rp.log" 2>&1
    start_rx r1 c1 0x0A620001 -S "$W/rp.servers" -R "$W/bad.proxies"
    run_server 40
    wait_log "$W/$CASE.r1.log" "Failed to verify proxy key fingerprint"
    net_bg_stop
    if [ -z "$(ls -A "$W/r1")" ] &&
        grep -q "Failed to verify proxy key fingerprint" "$W/$CASE.r1.log"; then
        echo "PASS $CASE"
    else
        bad "$CASE: files: $(ls "$W/r1"); $(tail -3 "$W/$CASE.r1.log")"
    fi
}

noproxy_case() {
    start_rx r1 c1 0x0A620001 -S "$W/rp.servers" -R "$W/rp.proxies"
    run_server 40 -Y none
    wait_log "$W/$CASE.r1.log" "PROXY_KEY not received"
    net_bg_stop
    if [ -z "$(ls -A "$W/r1")" ] && grep -q "PROXY_KEY not received" "$W/$CASE.r1.log"; then
        echo "PASS $CASE"
    else
        bad "$CASE: files: $(ls "$W/r1"); $(tail -3 "$W/$CASE.r1.log")"
    fi
}

for CASE in badfp noproxy; do
    if want $CASE; then "${CASE}_case"; fi
done
exit $fail
