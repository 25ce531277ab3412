#!/bin/sh
# ufcast's uftpproxyd over real multicast in private namespaces. Two
# networks joined only by the proxies:
#
#   net A (bridge uftp_brA, 10.98.0.0/24)     net B (bridge uftp_brB, 10.99.0.0/24)
#   [srv] 10.98.0.1  server                     [c1] 10.99.0.11  receiver
#   [sp]  10.98.0.2  server proxy               [c2] 10.99.0.12  receiver
#   [cp]  10.98.0.3 (eth0) == client proxy == 10.99.0.1 (eth1)
#   [rp]  10.98.0.4  response proxy   [d1] 10.98.0.21, [d2] 10.98.0.22 receivers on A
#
# Multicast from the server never reaches net B: the server proxy tunnels
# it by unicast to the client proxy, which multicasts it again on net B
# and gathers the receivers' answers into one stream upstream.
#   tunnel:    server proxy (-s) + client proxy (-c), plain, two receivers,
#              and again with 5% loss at each (their NAKs merged upstream)
#   nat:       the server proxy learns its downstream from heartbeats
#              signed with the client proxy's key (-s fp=..., -H, -k)
#   direct:    a server proxy tunnels to a single receiver, no client proxy
#   response:  a response proxy (-r) gathers the answers of receivers that
#              list it in their server list (-S)
#   encrypted: a client proxy refuses an encrypted session, and says so
# The server is ufcast's uftp where it can be, UFTP 5's (UFTP_REF_DIR) where
# the case needs what ufcast's server or receivers do not do yet; such a
# case prints SKIPPED without UFTP_REF_DIR.
# usage: proxy.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: proxy.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftp
W=$(mktemp -d)
trap 'net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down
net_lock
REF=${UFTP_REF_DIR:-}
fail=0
bad() { echo "FAIL $1"; fail=1; }

bridge() { # bridge NAME
    ip netns add "$(net_ns "$1")"
    ip -n "$(net_ns "$1")" link add br0 type bridge
    ip -n "$(net_ns "$1")" link set br0 type bridge mcast_snooping 0
    ip -n "$(net_ns "$1")" link set br0 up
}

port() { # port NS IFNAME BRIDGE ADDR/24: a veth from NS to BRIDGE
    ns=$(net_ns "$1")
    ip netns list | grep -q "^$ns\b" || { ip netns add "$ns"; ip -n "$ns" link set lo up; }
    ip -n "$(net_ns "$3")" link add "p_$1_$2" type veth peer name "$2" netns "$ns"
    ip -n "$(net_ns "$3")" link set "p_$1_$2" master br0 up
    ip -n "$ns" addr add "$4/24" dev "$2"
    ip -n "$ns" link set "$2" up
}

bridge brA
bridge brB
port srv eth0 brA 10.98.0.1
port sp eth0 brA 10.98.0.2
port cp eth0 brA 10.98.0.3
port cp eth1 brB 10.99.0.1
port rp eth0 brA 10.98.0.4
port c1 eth0 brB 10.99.0.11
port c2 eth0 brB 10.99.0.12
port d1 eth0 brA 10.98.0.21
port d2 eth0 brA 10.98.0.22
for n in srv sp rp d1 d2; do ip -n "$(net_ns $n)" route add 224.0.0.0/4 dev eth0; done
ip -n "$(net_ns cp)" route add 224.0.0.0/4 dev eth1
for n in c1 c2; do ip -n "$(net_ns $n)" route add 224.0.0.0/4 dev eth0; done

mkdir -p "$W/src/dir"
head -c 700000 /dev/urandom >"$W/src/a.bin"
head -c 5000 /dev/urandom >"$W/src/dir/b.bin"
printf 'x\n' >"$W/src/dir/c.txt"

start() { # start NS LOG CMD...
    ns=$1 log=$2
    shift 2
    net_bg "$ns" 90 "$@" >"$W/$log" 2>&1
}

serve() { # serve NAME UFTP_BINARY ARGS...: the session from srv
    name=$1 bin=$2
    shift 2
    sleep 1
    set +e
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 60 "$bin" -R 50000 \
        -r 0.05:0.01:1 -s 10 -x 2 "$@" a.bin dir >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    sleep 0.5
    net_bg_stop
}

got() { # got DIR: it holds the source exactly
    cmp -s "$W/src/a.bin" "$1/a.bin" && cmp -s "$W/src/dir/b.bin" "$1/dir/b.bin" &&
        cmp -s "$W/src/dir/c.txt" "$1/dir/c.txt" && check_no_temp "$1" >/dev/null
}

receivers() { # receivers NAME BIN NS... : a uftpd in each namespace
    name=$1 bin=$2
    shift 2
    for n in "$@"; do
        rm -rf "$W/r_$n"
        mkdir -p "$W/r_$n"
        # shellcheck disable=SC2086
        start "$n" "$name.$n.log" "$bin" -d -D "$W/r_$n" -x 2 ${ROPT:-}
    done
}

# ---- tunnel: server proxy + client proxy, plain ----
tunnel() { # tunnel NAME SERVER_BIN RECEIVER_BIN
    start sp "$1.sp.log" "$B/uftpproxyd" -d -s 10.98.0.3 -x 3
    start cp "$1.cp.log" "$B/uftpproxyd" -d -c -O eth1 -x 3
    receivers "$1" "$3" c1 c2
    serve "$1" "$2" -Y none
    # without loss both REGISTERs fall in one GRTT and go up as one
    if [ "$rc" -eq 0 ] && got "$W/r_c1" && got "$W/r_c2" &&
        { [ "$1" != tunnel_uftp5 ] || grep -q "REGISTER sent for 2 client" "$W/$1.cp.log"; }; then
        echo "PASS $1"
    else
        bad "$1: server exit $rc; $(tail -3 "$W/$1.s.log")"
    fi
}
if [ -n "$REF" ]; then
    tunnel tunnel_uftp5 "$REF/uftp" "$B/uftpd"
    # 5% loss at both receivers: their NAKs are merged into one STATUS
    net_loss c1 5
    net_loss c2 5
    tunnel tunnel_loss5 "$REF/uftp" "$B/uftpd"
    grep -q "Got [0-9]* NAKs for section" "$W/tunnel_loss5.s.log" ||
        bad "tunnel_loss5: the server saw no aggregated NAKs"
    for n in c1 c2; do ip netns exec "$(net_ns $n)" nft flush ruleset; done
else
    echo "SKIPPED tunnel_uftp5: UFTP_REF_DIR is not set"
fi

# ---- direct: the server proxy tunnels to one receiver ----
rm -rf "$W/r_c1"
mkdir -p "$W/r_c1"
start sp direct.sp.log "$B/uftpproxyd" -d -s 10.98.0.3 -x 3
start cp direct.c.log "$B/uftpd" -d -D "$W/r_c1" -x 2 -U 0x0a000003
serve direct "$B/uftp" -Y none -H 0x0a000003
[ "$rc" -eq 0 ] && got "$W/r_c1" && echo "PASS direct" ||
    bad "direct: server exit $rc; $(tail -3 "$W/direct.s.log")"

# ---- nat: the server proxy learns its downstream from signed heartbeats ----
if [ -n "$REF" ]; then
    "$B/uftp_keymgt" -g ec:prime256v1 "$W/cp.pem" 2>"$W/cp.key"
    fp=$(sed -n 's/.*fingerprint: //p' "$W/cp.key")
    start sp nat.sp.log "$B/uftpproxyd" -d -s "fp=$fp" -x 3
    start cp nat.cp.log "$B/uftpproxyd" -d -c -O eth1 -H 10.98.0.2 -h 1 -k "$W/cp.pem" -x 3
    receivers nat "$B/uftpd" c1 c2
    sleep 2
    serve nat "$REF/uftp" -Y none
    if [ "$rc" -eq 0 ] && got "$W/r_c1" && got "$W/r_c2" &&
        grep -q "learnt from an authenticated heartbeat" "$W/nat.sp.log"; then
        echo "PASS nat"
    else
        bad "nat: server exit $rc; $(tail -3 "$W/nat.sp.log")"
    fi
else
    echo "SKIPPED nat: UFTP_REF_DIR is not set"
fi

# ---- response: receivers on net A answer through the response proxy ----
if [ -n "$REF" ]; then
    printf '0x0A620001|10.98.0.1|0x0A620004\n' >"$W/servers"
    start rp response.rp.log "$B/uftpproxyd" -d -r -U 0x0A620004 -x 3
    ROPT="-S $W/servers" receivers response "$REF/uftpd" d1 d2
    serve response "$REF/uftp" -Y none -U 0x0A620001
    if [ "$rc" -eq 0 ] && got "$W/r_d1" && got "$W/r_d2" &&
        grep -q "REGISTER sent for 2 client" "$W/response.rp.log"; then
        echo "PASS response"
    else
        bad "response: server exit $rc; $(tail -3 "$W/response.s.log")"
    fi
else
    echo "SKIPPED response: UFTP_REF_DIR is not set"
fi

# ---- encrypted: refused by the client proxy, with a reason ----
if [ -n "$REF" ]; then
    start sp enc.sp.log "$B/uftpproxyd" -d -s 10.98.0.3 -x 3
    start cp enc.cp.log "$B/uftpproxyd" -d -c -O eth1 -x 3
    receivers enc "$B/uftpd" c1
    serve enc "$REF/uftp"
    [ ! -e "$W/r_c1/a.bin" ] && grep -q "Refusing encrypted session" "$W/enc.cp.log" &&
        echo "PASS encrypted_refused" || bad "encrypted_refused: $(tail -2 "$W/enc.cp.log")"
else
    echo "SKIPPED encrypted_refused: UFTP_REF_DIR is not set"
fi
exit $fail
