#!/bin/sh
# ufcast's uftpproxyd where the proxy issue asks for it, over real
# multicast in private namespaces, with ufcast's uftp and uftpd only:
#
# nat: the receivers' side is behind a masquerading gateway, so the
# server proxy can never reach the client proxy's own address:
#
#   net A (brA, 10.98.0.0/24)   net C (brC, 192.168.77.0/24)   net D (brD, 192.168.78.0/24)
#   [srv] .1   uftp             [gw] eth1 .1                   [cp] eth1 .1 (multicasts)
#   [sp]  .2   server proxy     [cp] eth0 .2, default via gw   [c1] .11 uftpd
#   [gw]  .254 eth0, masquerades net C                         [c2] .12 uftpd
#
#   The server proxy (-s fp=FP) learns its downstream only from the client
#   proxy's heartbeats (-H 10.98.0.2 -h 1) signed with the key of FP; it
#   has no route to net C, so the tunnel goes to the gateway's address
#   and the gateway's conntrack carries it on. Plain (-Y none) and
#   encrypted (the defaults; the receivers name the client proxy in -S and
#   pin its key in -R). Checked: the server exits 0, both receivers have
#   the files and no temporary file, the proxy's log says the downstream
#   came from an authenticated heartbeat, nft counters show the tunnelled
#   data went to 10.98.0.254 and nothing to net C, and that the gateway
#   masqueraded.
#
# response: a response proxy (-r, on c6) gathers the answers of 5
# receivers on the server's own net (lib.sh's net_up 6) that name it in
# their server list (ServerID|10.98.0.1|ProxyID); plain and encrypted.
# Checked: all 5 have the files, and at least one REGISTER went up for
# more than one receiver.
# CASES="nat response" runs only those. usage: proxy_nat.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: proxy_nat.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftz
W=$(mktemp -d)
trap 'net_bg_stop; net_down; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
net_down
net_lock
fail=0
bad() { echo "FAIL $1"; fail=1; }
want() { [ -z "${CASES:-}" ] || case " $CASES " in *" $1 "*) true ;; *) false ;; esac; }
SID=0x0A620001



mkdir -p "$W/src/dir"
head -c 700000 /dev/urandom >"$W/src/a.bin"
head -c 5000 /dev/urandom >"$W/src/dir/b.bin"
printf 'x\n' >"$W/src/dir/c.txt"

keygen() { # keygen NAME: writes W/NAME.pem, prints its fingerprint
    "$B/uftp_keymgt" -g ec:prime256v1 "$W/$1.pem" 2>"$W/$1.key" >/dev/null
    sed -n 's/.*fingerprint: //p' "$W/$1.key"
}
cpfp=$(keygen cp)
rpfp=$(keygen rp)
if [ -z "$cpfp" ] || [ -z "$rpfp" ]; then
    echo "FAIL: no key fingerprints"
    exit 1
fi

start() { # start NS LOG CMD...
    ns=$1 log=$2
    shift 2
    net_bg "$ns" 60 "$@" >"$W/$log" 2>&1
}

wait_log() { # wait_log FILE TEXT: until the log has the text, at most 15 s
    n=0
    while ! grep -q "$2" "$1" 2>/dev/null && [ "$n" -lt 75 ]; do
        sleep 0.2
        n=$((n + 1))
    done
}

serve() { # serve NAME ARGS...: the session from srv, then everything stops
    name=$1
    shift
    sleep 1
    set +e
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 40 "$B/uftp" -R 50000 \
        -r 0.05:0.01:1 -s 10 -x 2 -U "$SID" "$@" a.bin dir >"$W/$name.s.log" 2>&1)
    rc=$?
    set -e
    sleep 0.5
    net_bg_stop
}

got() { # got DIR: it holds the source exactly, and no temporary file
    cmp -s "$W/src/a.bin" "$1/a.bin" && cmp -s "$W/src/dir/b.bin" "$1/dir/b.bin" &&
        cmp -s "$W/src/dir/c.txt" "$1/dir/c.txt" && check_no_temp "$1" >/dev/null
}

# receivers NAME SERVERLIST PROXYLIST NS...: ufcast's uftpd in each namespace
# (an empty SERVERLIST: accept any server, no -S and no -R)
receivers() {
    name=$1 sl=$2 pl=$3
    shift 3
    for n in "$@"; do
        rm -rf "${W:?}/r_$n"
        mkdir -p "$W/r_$n"
        if [ -n "$sl" ]; then
            start "$n" "$name.$n.log" "$B/uftpd" -d -D "$W/r_$n" -x 3 -S "$sl" -R "$pl"
        else
            start "$n" "$name.$n.log" "$B/uftpd" -d -D "$W/r_$n" -x 3
        fi
    done
}

count() { # count NS COUNTER: the packets an nft named counter saw
    ip netns exec "$(net_ns "$1")" nft list counter inet uftz "$2" |
        sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# ---------------- nat ----------------
if want nat; then
    net_nat
    GW=$(net_ns gw)
    # the server proxy has no way to the private nets
    if ip -n "$(net_ns sp)" route get 192.168.77.2 >/dev/null 2>&1; then
        bad "nat: the server proxy has a route to net C"
    fi
    printf '%s|10.98.0.1|0x0A624E01\n' "$SID" >"$W/nat.servers"
    printf '0x0A624E01|192.168.78.1|%s\n' "$cpfp" >"$W/nat.proxies"

    nat() { # nat NAME RECEIVER_SERVERLIST SERVER_OPTS...
        name=$1 sl=$2
        shift 2
        # what the server proxy sends: to the gateway (full-size datagrams
        # are the tunnelled data) and to the private nets
        SP=$(net_ns sp)
        ip netns exec "$SP" nft delete table inet uftz 2>/dev/null || true
        ip netns exec "$SP" nft -f - <<'EOF'
table inet uftz {
    counter togw { }
    counter topriv { }
    chain out {
        type filter hook output priority 0;
        ip daddr 10.98.0.254 udp dport 1044 meta length > 1000 counter name togw
        ip daddr { 192.168.77.0/24, 192.168.78.0/24 } counter name topriv
    }
}
EOF
        # what the gateway carries from net A to the client proxy's own
        # address: the tunnel, translated back by conntrack
        ip netns exec "$GW" nft delete table inet uftz 2>/dev/null || true
        ip netns exec "$GW" nft -f - <<'EOF'
table inet uftz {
    counter tocp { }
    chain down {
        type filter hook forward priority 0;
        iifname "eth0" oifname "eth1" ip daddr 192.168.77.2 meta length > 1000 counter name tocp
    }
}
EOF
        start sp "$name.sp.log" "$B/uftpproxyd" -d -s "fp=$cpfp" -x 3
        start cp "$name.cp.log" "$B/uftpproxyd" -d -c -O eth1 -U 0x0A624E01 \
            -H 10.98.0.2 -h 1 -k "$W/cp.pem" -x 3
        receivers "$name" "$sl" "$W/nat.proxies" c1 c2
        wait_log "$W/$name.sp.log" "learnt from an authenticated heartbeat"
        serve "$name" "$@"
        togw=$(count sp togw)
        topriv=$(count sp topriv)
        tocp=$(count gw tocp)
        # (only a connection's first packet goes through the nat chain)
        masq=$(ip netns exec "$GW" nft list chain ip nat post | sed -n 's/.*packets \([0-9]*\).*/\1/p')
        why=
        [ "$rc" -eq 0 ] || why="$why server exit $rc;"
        got "$W/r_c1" || why="$why c1 lacks the files;"
        got "$W/r_c2" || why="$why c2 lacks the files;"
        grep -q "learnt from an authenticated heartbeat" "$W/$name.sp.log" ||
            why="$why no authenticated heartbeat;"
        [ "${togw:-0}" -gt 10 ] || why="$why ${togw:-no} data packets to the gateway;"
        [ "${topriv:-1}" -eq 0 ] || why="$why ${topriv:-?} packets to the private nets;"
        [ "${tocp:-0}" -gt 10 ] || why="$why ${tocp:-no} data packets forwarded to 192.168.77.2;"
        [ "${masq:-0}" -gt 0 ] || why="$why the gateway masqueraded nothing;"
        if [ -z "$why" ]; then
            echo "PASS $name ($togw data packets to 10.98.0.254, $tocp forwarded to 192.168.77.2)"
        else
            bad "$name:$why $(tail -3 "$W/$name.s.log")"
        fi
    }
    nat nat_plain "" -Y none
    nat nat_enc "$W/nat.servers"
    net_down
fi

# ---------------- response ----------------
if want response; then
    net_up 6
    RX="c1 c2 c3 c4 c5"
    printf '%s|10.98.0.1|0x0A620010\n' "$SID" >"$W/resp.servers"
    printf '0x0A620010|10.98.0.16|%s\n' "$rpfp" >"$W/resp.proxies"
    response() { # response NAME SERVER_OPTS...
        name=$1
        shift
        start c6 "$name.rp.log" "$B/uftpproxyd" -d -r -U 0x0A620010 -k "$W/rp.pem" -x 3
        # shellcheck disable=SC2086
        receivers "$name" "$W/resp.servers" "$W/resp.proxies" $RX
        serve "$name" "$@"
        why=
        [ "$rc" -eq 0 ] || why="$why server exit $rc;"
        for n in $RX; do got "$W/r_$n" || why="$why $n lacks the files;"; done
        grep -Eq "REGISTER sent for ([2-9]|[1-9][0-9]+) client" "$W/$name.rp.log" ||
            why="$why no REGISTER for more than one receiver;"
        if [ -z "$why" ]; then
            echo "PASS $name (REGISTERs for $(grep -Eo "REGISTER sent for [0-9]+" "$W/$name.rp.log" |
                sed 's/.* //' | paste -sd+) receivers)"
        else
            bad "$name:$why $(tail -3 "$W/$name.s.log")"
        fi
    }
    response response_plain -Y none
    response response_enc
fi
exit $fail
