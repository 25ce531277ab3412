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
#   enc_*:     encrypted sessions (UFTP 5's uftp and uftpd) through a
#              tunnel and a response proxy, with and without client
#              authentication (-c), other ciphers, hashes and curves, RSA
#              and EC keys; 5% loss; a receiver refused by its -C
#              fingerprint, a server refused by its -S fingerprint; a late
#              receiver that loses the first PROXY_KEY; and ufcast's own
#              uftp and uftpd through the tunnel
# The server is ufcast's uftp where it can be, UFTP 5's (UFTP_REF_DIR) where
# the case needs what ufcast's server or receivers do not do yet; such a
# case prints SKIPPED without UFTP_REF_DIR.
# PROXY_BIN runs the same cases with another uftpproxyd (UFTP 5's, to
# check the cases themselves: it fails only enc_late). CASES="a b"
# runs only those cases.
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
PX=${PROXY_BIN:-$B/uftpproxyd}
fail=0
bad() { echo "FAIL $1"; fail=1; }
# CASES="enc_tunnel response ..." runs only those cases
want() { [ -z "${CASES:-}" ] || case " $CASES " in *" $1 "*) true ;; *) false ;; esac; }



net_bridge brA
net_bridge brB
net_port srv eth0 brA 10.98.0.1
net_port sp eth0 brA 10.98.0.2
net_port cp eth0 brA 10.98.0.3
net_port cp eth1 brB 10.99.0.1
net_port rp eth0 brA 10.98.0.4
net_port c1 eth0 brB 10.99.0.11
net_port c2 eth0 brB 10.99.0.12
net_port d1 eth0 brA 10.98.0.21
net_port d2 eth0 brA 10.98.0.22
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
    start sp "$1.sp.log" "$PX" -d -s 10.98.0.3 -x 3
    start cp "$1.cp.log" "$PX" -d -c -O eth1 -x 3
    receivers "$1" "$3" c1 c2
    serve "$1" "$2" -Y none
    # without loss both REGISTERs fall in one GRTT and go up as one
    if [ "$rc" -eq 0 ] && got "$W/r_c1" && got "$W/r_c2" &&
        { [ "$1" != tunnel_uftp5 ] || [ -n "${PROXY_BIN:-}" ] ||
            grep -q "REGISTER sent for 2 client" "$W/$1.cp.log"; }; then
        echo "PASS $1"
    else
        bad "$1: server exit $rc; $(tail -3 "$W/$1.s.log")"
    fi
}
if [ -z "$REF" ]; then
    echo "SKIPPED tunnel_uftp5: UFTP_REF_DIR is not set"
elif want tunnel_uftp5; then
    tunnel tunnel_uftp5 "$REF/uftp" "$B/uftpd"
    # 5% loss at both receivers: their NAKs are merged into one STATUS
    net_loss c1 5
    net_loss c2 5
    tunnel tunnel_loss5 "$REF/uftp" "$B/uftpd"
    grep -q "Got [0-9]* NAKs for section" "$W/tunnel_loss5.s.log" ||
        bad "tunnel_loss5: the server saw no aggregated NAKs"
    for n in c1 c2; do ip netns exec "$(net_ns $n)" nft flush ruleset; done
fi

# ---- direct: the server proxy tunnels to one receiver ----
if want direct; then
    rm -rf "$W/r_c1"
    mkdir -p "$W/r_c1"
    start sp direct.sp.log "$PX" -d -s 10.98.0.3 -x 3
    start cp direct.c.log "$B/uftpd" -d -D "$W/r_c1" -x 2 -U 0x0a000003
    serve direct "$B/uftp" -Y none -H 0x0a000003
    [ "$rc" -eq 0 ] && got "$W/r_c1" && echo "PASS direct" ||
        bad "direct: server exit $rc; $(tail -3 "$W/direct.s.log")"
fi

# ---- nat: the server proxy learns its downstream from signed heartbeats ----
if [ -z "$REF" ]; then
    echo "SKIPPED nat: UFTP_REF_DIR is not set"
elif want nat; then
    "$B/uftp_keymgt" -g ec:prime256v1 "$W/cp.pem" 2>"$W/cp.key"
    fp=$(sed -n 's/.*fingerprint: //p' "$W/cp.key")
    start sp nat.sp.log "$PX" -d -s "fp=$fp" -x 3
    start cp nat.cp.log "$PX" -d -c -O eth1 -H 10.98.0.2 -h 1 -k "$W/cp.pem" -x 3
    receivers nat "$B/uftpd" c1 c2
    sleep 2
    serve nat "$REF/uftp" -Y none
    if [ "$rc" -eq 0 ] && got "$W/r_c1" && got "$W/r_c2" &&
        { [ -n "${PROXY_BIN:-}" ] ||
            grep -q "learnt from an authenticated heartbeat" "$W/nat.sp.log"; }; then
        echo "PASS nat"
    else
        bad "nat: server exit $rc; $(tail -3 "$W/nat.sp.log")"
    fi
fi

# ---- response: receivers on net A answer through the response proxy ----
if [ -z "$REF" ]; then
    echo "SKIPPED response: UFTP_REF_DIR is not set"
elif want response; then
    printf '0x0A620001|10.98.0.1|0x0A620004\n' >"$W/servers"
    start rp response.rp.log "$PX" -d -r -U 0x0A620004 -x 3
    ROPT="-S $W/servers" receivers response "$REF/uftpd" d1 d2
    serve response "$REF/uftp" -Y none -U 0x0A620001
    if [ "$rc" -eq 0 ] && got "$W/r_d1" && got "$W/r_d2" &&
        { [ -n "${PROXY_BIN:-}" ] || grep -q "REGISTER sent for 2 client" "$W/response.rp.log"; }; then
        echo "PASS response"
    else
        bad "response: server exit $rc; $(tail -3 "$W/response.s.log")"
    fi
fi

# ---- encrypted: UFTP 5's uftp and uftpd with our proxies in between ----
# The receivers are UFTP 5's uftpd with -E (encrypted sessions only): their
# -S names the proxy as the server's ProxyID, their -R pins its key.
keygen() { # keygen NAME SPEC: writes W/NAME.pem, prints its fingerprint
    rm -f "$W/$1.pem"
    "$B/uftp_keymgt" -g "$2" "$W/$1.pem" 2>"$W/$1.key"
    sed -n 's/.*fingerprint: //p' "$W/$1.key"
}

enc_receivers() { # enc_receivers NAME PROXY_ID PROXY_IP PROXY_FP NS...
    name=$1
    printf '0x0A620001|10.98.0.1|%s\n' "$2" >"$W/$name.servers"
    printf '%s|%s|%s\n' "$2" "$3" "$4" >"$W/$name.proxies"
    shift 4
    for n in "$@"; do
        rm -rf "$W/r_$n"
        mkdir -p "$W/r_$n"
        eval "k=\${RK_$n:-} bin=\${RB_$n:-$REF/uftpd}"
        # shellcheck disable=SC2086
        start "$n" "$name.$n.log" "$bin" -d -E -D "$W/r_$n" -x 3 \
            -S "$W/$name.servers" -R "$W/$name.proxies" $k
    done
}

# enc_tunnel NAME "CLIENT_PROXY_OPTS" SERVER_OPTS...: server proxy + client
# proxy (-k cp.pem) to c1 and c2; the server is $SRV (UFTP 5's by default)
enc_tunnel() {
    name=$1 popt=$2
    shift 2
    start sp "$name.sp.log" "$PX" -d -s 10.98.0.3 -x 3
    # shellcheck disable=SC2086
    start cp "$name.cp.log" "$PX" -d -c -O eth1 -U 0x0A620003 -k "$W/cp.pem" -x 4 $popt
    enc_receivers "$name" 0x0A620003 10.99.0.1 "$cpfp" c1 c2
    serve "$name" "${SRV:-$REF/uftp}" -U 0x0A620001 "$@"
}

# enc_response NAME "RESPONSE_PROXY_OPTS" SERVER_OPTS...: d1 and d2 answer
# through the response proxy (-k rp.pem; with RP_EPHEMERAL=1 no -k, so
# the proxy makes a key for the run and the receivers pin none)
enc_response() {
    name=$1 popt=$2 rpkey="-k $W/rp.pem" fp=$rpfp
    shift 2
    [ -z "${RP_EPHEMERAL:-}" ] || rpkey="" fp=""
    # shellcheck disable=SC2086
    start rp "$name.rp.log" "$PX" -d -r -U 0x0A620004 $rpkey -x 4 $popt
    enc_receivers "$name" 0x0A620004 10.98.0.4 "$fp" d1 d2
    serve "$name" "$REF/uftp" -U 0x0A620001 "$@"
}

enc_pass() { # enc_pass NAME PROXY_LOG NS...: exit 0, the files, and keys given out
    name=$1 plog=$2
    shift 2
    ok=1
    [ "$rc" -eq 0 ] || ok=0
    for n in "$@"; do got "$W/r_$n" || ok=0; done
    # (UFTP 5's proxy does not say how many receivers a REGISTER lists)
    [ -n "${PROXY_BIN:-}" ] || grep -q "REGISTER sent for $# client" "$W/$plog" || ok=0
    if [ "$ok" = 1 ]; then
        echo "PASS $name"
    else
        bad "$name: server exit $rc; $(tail -3 "$W/$name.s.log")"
    fi
}

if [ -n "$REF" ]; then
    cpfp=$(keygen cp ec:prime256v1)
    rpfp=$(keygen rp rsa:2048)
    c1fp=$(keygen c1 ec:secp521r1)
    c2fp=$(keygen c2 rsa:2048)
    d1fp=$(keygen d1 ec:prime256v1)
    d2fp=$(keygen d2 ec:secp384r1)

    srvfp=$(keygen srv rsa:2048)

    # the defaults: AES-256-GCM, SHA-256, P-256; -S lists the server
    if want enc_tunnel; then
        printf '0x0A620001|10.98.0.1\n' >"$W/srv.list"
        enc_tunnel enc_tunnel "-S $W/srv.list"
        enc_pass enc_tunnel enc_tunnel.cp.log c1 c2
    fi

    # client authentication, checked against -C; the server's RSA key
    # pinned by -S; other cipher, hash, curve
    if want enc_tunnel_auth; then
        printf '0x0A63000B|%s\n0x0A63000C|%s\n' "$c1fp" "$c2fp" >"$W/clients"
        printf '0x0A620001|10.98.0.1|%s\n' "$srvfp" >"$W/srv.list"
        RK_c1="-k $W/c1.pem" RK_c2="-k $W/c2.pem" enc_tunnel enc_tunnel_auth \
            "-C $W/clients -S $W/srv.list" -c -k "$W/srv.pem" -Y aes128-ccm -h sha384 -e secp384r1
        enc_pass enc_tunnel_auth enc_tunnel_auth.cp.log c1 c2
    fi

    # 5% loss at both receivers: their sealed STATUSes are opened, their
    # NAKs merged and sealed again
    if want enc_loss5; then
        net_loss c1 5
        net_loss c2 5
        enc_tunnel enc_loss5 ""
        for n in c1 c2; do ip netns exec "$(net_ns $n)" nft flush ruleset; done
        # (with loss the two REGISTERs may go up apart)
        if [ "$rc" -eq 0 ] && got "$W/r_c1" && got "$W/r_c2" &&
            grep -q "Got [0-9]* NAKs for section" "$W/enc_loss5.s.log"; then
            echo "PASS enc_loss5"
        else
            bad "enc_loss5: server exit $rc, or it saw no NAKs; $(tail -3 "$W/enc_loss5.s.log")"
        fi
    fi

    # -S pins another key for the server: the proxy refuses the session
    if want enc_server_fp; then
        printf '0x0A620001|10.98.0.1|%s\n' "$cpfp" >"$W/srv.list"
        enc_tunnel enc_server_fp "-S $W/srv.list" -k "$W/srv.pem"
        if [ "$rc" -ne 0 ] && [ ! -e "$W/r_c1/a.bin" ] &&
            grep -q "Failed to verify server key fingerprint" "$W/enc_server_fp.cp.log"; then
            echo "PASS enc_server_fp"
        else
            bad "enc_server_fp: server exit $rc; $(tail -3 "$W/enc_server_fp.cp.log")"
        fi
    fi

    # ufcast's uftp and uftpd (c1) at the ends, UFTP 5's uftpd (c2) beside
    if want enc_ufcast; then
        SRV=$B/uftp RB_c1=$B/uftpd RK_c1="-k $W/c1.pem" RK_c2="-k $W/c2.pem"
        enc_tunnel enc_ufcast "" -c
        SRV= RB_c1=
        enc_pass enc_ufcast enc_ufcast.cp.log c1 c2
    fi

    # -C pins another key for c2: c2 is refused, c1 still gets the files
    if want enc_fp_refused; then
        printf '0x0A63000B|%s\n0x0A63000C|%s\n' "$c1fp" "$d1fp" >"$W/clients"
        RK_c1="-k $W/c1.pem" RK_c2="-k $W/c2.pem" enc_tunnel enc_fp_refused "-C $W/clients" -c
        if [ "$rc" -eq 0 ] && got "$W/r_c1" && [ ! -e "$W/r_c2/a.bin" ] &&
            grep -q "fingerprint" "$W/enc_fp_refused.cp.log" &&
            grep -q "fingerprint" "$W/enc_fp_refused.c2.log"; then
            echo "PASS enc_fp_refused"
        else
            bad "enc_fp_refused: server exit $rc; $(tail -3 "$W/enc_fp_refused.cp.log")"
        fi
    fi

    # a response proxy with a key made for the run, default encryption
    if want enc_response; then
        RP_EPHEMERAL=1
        enc_response enc_response ""
        RP_EPHEMERAL=
        enc_pass enc_response enc_response.rp.log d1 d2
    fi

    # a receiver that starts 3 s into a 6 s announce phase, after the
    # proxy's R GRTT of setup, and loses the first PROXY_KEY: the next
    # one carries the ANNOUNCE's sequence number (UFTP's proxy sends 0,
    # which UFTP's uftpd drops as too old by then), and the receiver still
    # gets its keys, as it has R GRTT from its own REGISTER (UFTP's proxy
    # gives out no KEYINFO once its R GRTT from the ANNOUNCE are over)
    if want enc_late; then
        late_ns=$(net_ns d2)
        ip netns exec "$late_ns" nft add table inet uftfirst
        ip netns exec "$late_ns" nft add chain inet uftfirst in '{ type filter hook input priority 0; }'
        ip netns exec "$late_ns" nft add rule inet uftfirst in ip saddr 10.98.0.4 udp dport 1044 \
            quota until 1000 bytes counter drop
        start rp enc_late.rp.log "$PX" -d -r -U 0x0A620004 -k "$W/rp.pem" -x 4
        enc_receivers enc_late 0x0A620004 10.98.0.4 "$rpfp" d1
        rm -rf "$W/r_d2"
        mkdir -p "$W/r_d2"
        # shellcheck disable=SC2016
        start d2 enc_late.d2.log sh -c 'sleep 4; exec "$0" "$@"' "$REF/uftpd" -d -E \
            -D "$W/r_d2" -x 3 -S "$W/enc_late.servers" -R "$W/enc_late.proxies"
        serve enc_late "$REF/uftp" -U 0x0A620001 -s 20 -r 0.1:0.1:1
        dropped=$(ip netns exec "$late_ns" nft list chain inet uftfirst in | sed -n 's/.*packets \([0-9]*\).*/\1/p')
        ip netns exec "$late_ns" nft delete table inet uftfirst
        if [ "$rc" -eq 0 ] && got "$W/r_d1" && got "$W/r_d2" && [ "${dropped:-0}" = 1 ]; then
            echo "PASS enc_late"
        else
            bad "enc_late: server exit $rc, ${dropped:-no} PROXY_KEY dropped; $(tail -3 "$W/enc_late.d2.log")"
        fi
    fi

    # ... and with its RSA key, client authentication, AES-256-CCM,
    # SHA-512, P-521
    if want enc_response_auth; then
        RK_d1="-k $W/d1.pem" RK_d2="-k $W/d2.pem" enc_response enc_response_auth "" \
            -c -Y aes256-ccm -h sha512 -e secp521r1
        enc_pass enc_response_auth enc_response_auth.rp.log d1 d2
    fi
else
    echo "SKIPPED enc_*: UFTP_REF_DIR is not set"
fi
exit $fail
