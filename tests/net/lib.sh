# Namespace topology shared by the network tests and the demo (sourced).
#
#   [uftn_srv] s0 10.98.0.1 --+
#   [uftn_c1]  c0 10.98.0.11 -+-- br0 in [uftn_br] (multicast snooping off)
#   [uftn_c2]  c0 10.98.0.12 -+
#   ...                       (and fd98::x/64 on every link for IPv6)
#
# Everything lives in namespaces this script creates; net_down removes
# them. Nothing touches the host's interfaces.
NET_PREFIX=${NET_PREFIX:-uftn}

net_ns() { echo "${NET_PREFIX}_$1"; }

# Two runs of one test (same prefix) would tear down each other's
# namespaces: the second waits for the first (fd 9 holds the lock until
# the script and the programs it started are gone).
net_lock() {
    [ -n "${NET_LOCKED:-}" ] && return 0
    exec 9>"/tmp/.ufcast-net-${NET_PREFIX}.lock"
    flock -w 900 9 || { echo "net: another run holds ${NET_PREFIX}; giving up" >&2; exit 1; }
    NET_LOCKED=1
}

net_up() { # net_up N_CLIENTS
    net_lock
    _nl_n=$1
    _nl_br=$(net_ns br)
    ip netns add "$_nl_br"
    ip -n "$_nl_br" link add br0 type bridge
    ip -n "$_nl_br" link set br0 type bridge mcast_snooping 0
    ip -n "$_nl_br" link set br0 up
    net_attach srv 1
    _nl_i=1
    while [ "$_nl_i" -le "$_nl_n" ]; do
        net_attach "c$_nl_i" $((10 + _nl_i))
        _nl_i=$((_nl_i + 1))
    done
}

net_attach() { # net_attach NAME HOST_NUMBER
    _nl_ns=$(net_ns "$1")
    _nl_br=$(net_ns br)
    ip netns add "$_nl_ns"
    ip -n "$_nl_br" link add "p_$1" type veth peer name eth0 netns "$_nl_ns"
    ip -n "$_nl_br" link set "p_$1" master br0 up
    ip -n "$_nl_ns" link set lo up
    ip -n "$_nl_ns" addr add "10.98.0.$2/24" dev eth0
    ip -n "$_nl_ns" addr add "fd98::$2/64" dev eth0 nodad
    ip -n "$_nl_ns" link set eth0 up
    ip -n "$_nl_ns" route add 224.0.0.0/4 dev eth0
    ip -n "$_nl_ns" -6 route add ff00::/8 dev eth0 table local 2>/dev/null || true
}

# Topologies of more than one network (proxies, NAT): a bridge in a
# namespace of its own, and veths from hosts to bridges.
net_bridge() { # net_bridge NAME
    ip netns add "$(net_ns "$1")"
    ip -n "$(net_ns "$1")" link add br0 type bridge
    ip -n "$(net_ns "$1")" link set br0 type bridge mcast_snooping 0
    ip -n "$(net_ns "$1")" link set br0 up
}

net_port() { # net_port HOST IFNAME BRIDGE ADDR: a veth from HOST to BRIDGE, ADDR/24
    _nl_ns=$(net_ns "$1")
    ip netns list | grep -q "^$_nl_ns\b" || {
        ip netns add "$_nl_ns"
        ip -n "$_nl_ns" link set lo up
    }
    ip -n "$(net_ns "$3")" link add "p_$1_$2" type veth peer name "$2" netns "$_nl_ns"
    ip -n "$(net_ns "$3")" link set "p_$1_$2" master br0 up
    ip -n "$_nl_ns" addr add "$4/24" dev "$2"
    ip -n "$_nl_ns" link set "$2" up
}

# The NAT topology of proxy_nat.sh (drawn there) and the guide's NAT
# example: net A (brA) holds srv .1, sp .2 and the gateway gw .254; gw
# masquerades net C (brC, 192.168.77.0/24) behind its eth0; cp sits on
# net C (.2, default route via gw) and multicasts on net D (brD,
# 192.168.78.0/24: cp .1, c1 .11, c2 .12). The caller holds net_lock.
net_nat() {
    net_bridge brA
    net_bridge brC
    net_bridge brD
    net_port srv eth0 brA 10.98.0.1
    net_port sp eth0 brA 10.98.0.2
    net_port gw eth0 brA 10.98.0.254
    net_port gw eth1 brC 192.168.77.1
    net_port cp eth0 brC 192.168.77.2
    net_port cp eth1 brD 192.168.78.1
    net_port c1 eth0 brD 192.168.78.11
    net_port c2 eth0 brD 192.168.78.12
    for _nl_h in srv sp c1 c2; do ip -n "$(net_ns $_nl_h)" route add 224.0.0.0/4 dev eth0; done
    # the client proxy multicasts to its receivers on net D, and reaches
    # net A only through the gateway
    ip -n "$(net_ns cp)" route add 224.0.0.0/4 dev eth1
    ip -n "$(net_ns cp)" route add default via 192.168.77.1
    ip netns exec "$(net_ns gw)" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$(net_ns gw)" nft -f - <<'EOF'
table ip nat {
    chain post {
        type nat hook postrouting priority 100; oifname "eth0" counter masquerade
    }
}
EOF
}

net_loss() { # net_loss NAME PERCENT: drop that share of UDP arriving there
    _nl_ns=$(net_ns "$1")
    ip netns exec "$_nl_ns" nft add table inet uftloss 2>/dev/null || true
    ip netns exec "$_nl_ns" nft add chain inet uftloss in '{ type filter hook input priority 0; }'
    ip netns exec "$_nl_ns" nft add rule inet uftloss in meta l4proto udp numgen random mod 100 \
        '<' "$2" drop
}

# net_bg NAME SECS CMD...: run CMD in namespace NAME in the background under
# a time limit (SIGTERM at SECS, SIGKILL 5 s later); net_bg_stop ends them.
NET_BG_PIDS=
net_bg() {
    _nl_ns=$(net_ns "$1") _nl_secs=$2
    shift 2
    ip netns exec "$_nl_ns" timeout -k 5 "$_nl_secs" "$@" &
    NET_BG_PIDS="$NET_BG_PIDS $!"
}

# One SIGTERM per program, through its timeout wrapper (a second signal
# while a sanitizer's leak check runs at exit can hang that check); then
# wait at most 15 s and SIGKILL what is left.
net_bg_stop() {
    for _nl_p in $NET_BG_PIDS; do kill "$_nl_p" 2>/dev/null || true; done
    _nl_w=0
    for _nl_p in $NET_BG_PIDS; do
        while kill -0 "$_nl_p" 2>/dev/null && [ "$_nl_w" -lt 150 ]; do
            sleep 0.1
            _nl_w=$((_nl_w + 1))
        done
        kill -9 "$_nl_p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    NET_BG_PIDS=
}

net_down() {
    net_lock
    for _nl_d in $(ip netns list | awk '{print $1}' | grep "^${NET_PREFIX}_"); do
        ip netns pids "$_nl_d" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$_nl_d" 2>/dev/null || true
    done
}

# A file set with the shapes users send: a large random file, small ones,
# nested directories, an empty directory, a symlink, awkward names.
make_files() { # make_files DIR
    mkdir -p "$1/d1/d2" "$1/empty" "$1/sp ace"
    head -c 2500000 /dev/urandom >"$1/big.bin"
    head -c 1 /dev/urandom >"$1/one.bin"
    : >"$1/zero.bin"
    head -c 13000 /dev/urandom >"$1/d1/a.bin"
    head -c 1300 /dev/urandom >"$1/d1/d2/b.bin"
    printf 'weird\n' >"$1/sp ace/fïlé ünïcødé -x.txt"
    ln -s big.bin "$1/link.bin"
}

# Compare every regular file, link and directory of SRC's entries under DST.
check_tree() { # check_tree SRC DST -> 0 when identical
    (cd "$1" && find . -mindepth 1) | while IFS= read -r p; do
        if [ -L "$1/$p" ]; then
            [ "$(readlink "$1/$p")" = "$(readlink "$2/$p" 2>/dev/null)" ] || { echo "link $p differs"; exit 1; }
        elif [ -d "$1/$p" ]; then
            [ -d "$2/$p" ] || { echo "directory $p missing"; exit 1; }
        else
            cmp -s "$1/$p" "$2/$p" || { echo "file $p differs or is missing"; exit 1; }
        fi
    done
}

# No temporary file may be left looking like a finished one.
check_no_temp() { # check_no_temp DST
    left=$(find "$1" -name '*.~uftp-*' | head -1)
    [ -z "$left" ] || { echo "temporary file left: $left"; return 1; }
}

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIPPED: needs root for network namespaces"
        exit 77
    fi
}
