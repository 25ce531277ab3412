#!/bin/sh
# Runs every example of docs/guide.md, exactly as written, and checks what
# it did.
#
# The guide marks its examples as fenced blocks tagged
#     ```sh example=NAME host=HOST[,HOST...] [expect=N]
# and starts a network with a comment <!-- guide-scene SCENE -->. An
# untagged sh block, an unknown tag, a duplicate name, an example with no
# check here or a check here with no example fails the test (extract()).
#
# Each scene is a network of private namespaces (prefix ug_), e.g. lan:
#
#   [ug_srv] sender    eth0 10.98.0.1  --+
#   [ug_c1]  receiver1 eth0 10.98.0.11 --+-- br0 in [ug_br]
#   [ug_c2]  receiver2 eth0 10.98.0.12 --+
#
# sat drops 1% of what the receiver gets (lib.sh's net_loss); nat is proxy_nat.sh's
# masquerading-gateway topology (the box diagram is in the guide). Every
# host gets its own /srv, /tmp, /run and /var/log (bind mounts inside the
# mount namespace of `ip netns exec`, so the host's are never touched);
# the sender's /srv/outgoing holds report.pdf and images/. A block runs
# as `sh -ec BLOCK` in /srv on each of its hosts in turn, with the built
# programs first on PATH, under a time limit; it must exit 0 (or N), and
# then check_NAME below asserts the outcome: received files cmp-equal the
# sent ones, JSON lines parse, the messages the guide promises are
# logged; no sanitizer report may appear (a sanitized build's programs,
# daemons too, write them to their host's /tmp). before_NAME, when
# defined, runs first (the satellite example is
# interrupted half-way by one). Daemons the examples start are stopped
# (SIGTERM, then SIGKILL) when their scene ends.
#
# Self-checks first: a copy of the guide with an untagged block must be
# refused, and copies where an example fails (uftp_keymgt with a curve
# that does not exist) or succeeds but does the wrong thing (the
# quick-start sender sends another file) must make this script fail.
#
# usage: guide.sh BUILD_APP_DIR [GUIDE.md]
#   GUIDE_ONLY="scene ..." runs only those scenes (no self-checks, no
#   coverage check); GUIDE_FAILFAST=1 stops
#   at the first failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lib.sh"
B=$(cd "${1:?usage: guide.sh BUILD_APP_DIR [GUIDE.md]}" && pwd)
GUIDE=${2:-$here/../../docs/guide.md}
NET_PREFIX=ug
W=$(mktemp -d /tmp/ufcast-guide.XXXXXX)
trap '[ -z "${NETS:-}" ] || scene_stop 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
fail=0
WANT_RC=0
GUIDE_VARS=

nbad=0
bad() { # bad MESSAGE: the current example failed
    echo "FAIL ${EX:-guide}: $1"
    fail=1
    nbad=$((nbad + 1))
}

# ---------------------------------------------------------------- extract
# extract GUIDE DIR: DIR/N.sh holds block N, DIR/index one line per block
# (N scene name hosts expect); errors name the guide's line.
extract() {
    rm -rf "$2"
    mkdir -p "$2"
    awk -v dir="$2" '
    function err(m) { printf "%s:%d: %s\n", FILENAME, FNR, m > "/dev/stderr"; bad = 1 }
    BEGIN { scene = ""; n = 0; state = "" }
    state == "ex" && /^```[ \t]*$/ { state = ""; close(f); next }
    state == "ex" { print > f; next }
    state == "other" && /^```/ { state = ""; next }
    state == "other" { next }
    /^<!-- guide-scene [a-z0-9]+ -->[ \t]*$/ {
        if ($3 in scenes) err("scene " $3 " started twice")
        scene = $3; scenes[scene] = 1; next
    }
    /^```/ {
        nf = split(substr($0, 4), a, /[ \t]+/)
        if (a[1] !~ /^(sh|bash|shell|console|zsh)$/) { state = "other"; next }
        name = ""; hosts = ""; expect = 0
        for (i = 2; i <= nf; i++) {
            if (a[i] == "") continue
            if (a[i] ~ /^example=[a-z0-9-]+$/) name = substr(a[i], 9)
            else if (a[i] ~ /^host=[a-z0-9,-]+$/) hosts = substr(a[i], 6)
            else if (a[i] ~ /^expect=[0-9]+$/) expect = substr(a[i], 8)
            else err("unknown tag \"" a[i] "\" on an example")
        }
        if (name == "") err("a " a[1] " block without example=NAME: every example must be run by tests/guide/guide.sh")
        else if (hosts == "") err("example " name " has no host=")
        else if (scene == "") err("example " name " comes before any <!-- guide-scene NAME -->")
        else if (name in names) err("example " name " twice")
        names[name] = 1
        n++
        f = dir "/" n ".sh"
        printf "" > f
        printf "%d %s %s %s %d\n", n, scene, name, hosts, expect > (dir "/index")
        state = "ex"; next
    }
    END {
        if (state != "") err("a fenced block is not closed")
        if (n == 0) err("no examples")
        exit bad
    }' "$1"
}

fn_of() { echo "$1" | tr - _; }

# every example has a check_ function here, every check_ an example
coverage() { # coverage INDEX
    for name in $(awk '{ print $3 }' "$1"); do
        type "check_$(fn_of "$name")" >/dev/null 2>&1 || {
            echo "FAIL guide: example $name has no check_$(fn_of "$name") in guide.sh"
            fail=1
        }
    done
    for f in $(sed -n 's/^check_\([a-z0-9_]*\)() .*/\1/p' "$here/guide.sh"); do
        awk '{ print $3 }' "$1" | tr - _ | grep -qx "$f" || {
            echo "FAIL guide: check_$f has no example in the guide"
            fail=1
        }
    done
}

# ---------------------------------------------------------------- hosts
HOSTMAP=
ns_of() { # ns_of HOST -> the lib.sh name of its namespace
    for _m in $HOSTMAP; do
        [ "${_m%%=*}" = "$1" ] && { echo "${_m#*=}"; return 0; }
    done
    return 1
}
r() { echo "$W/h/$1"; } # r HOST: that host's root for /srv, /tmp, /run, /var/log

hosts_init() { # hosts_init "HOST=NS ...": fresh directories for each host
    HOSTMAP=$1
    rm -rf "${W:?}/h"
    for _m in $HOSTMAP; do
        mkdir -p "$W/h/${_m%%=*}/srv" "$W/h/${_m%%=*}/tmp" "$W/h/${_m%%=*}/run" \
            "$W/h/${_m%%=*}/log"
    done
    o=$(r sender)/srv/outgoing
    mkdir -p "$o/images/thumbs"
    head -c 4000000 /dev/urandom >"$o/report.pdf"
    head -c 300000 /dev/urandom >"$o/images/a.jpg"
    head -c 120000 /dev/urandom >"$o/images/b.jpg"
    head -c 4000 /dev/urandom >"$o/images/thumbs/a.jpg"
}

# run_block HOST N NAME: block N as `sh -ec` in HOST's namespace and file
# system view; stdout and stderr to W/out/NAME.HOST.{out,err}; sets rc
run_block() {
    _ns=$(ns_of "$1") || {
        bad "host $1 is not in this scene (it has: $HOSTMAP)"
        rc=125
        return 0
    }
    set +e
    # shellcheck disable=SC2086
    timeout -k 5 "${BLOCK_SECS:-60}" ip netns exec "$(net_ns "$_ns")" env -i \
        PATH="$B:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root \
        LANG=C.UTF-8 ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=/tmp/sanitizer" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=/tmp/sanitizer" \
        $GUIDE_VARS G_D="$W/h/$1" sh -c '
        for d in srv run var/log tmp; do
            mount --bind "$G_D/${d#var/}" "/$d" || { echo "guide.sh: cannot mount /$d" >&2; exit 125; }
        done
        unset G_D
        cd /srv && exec sh -ec "$1"' guide "$(cat "$W/ex/$2.sh")" \
        >"$W/out/$3.$1.out" 2>"$W/out/$3.$1.err" </dev/null
    rc=$?
    set -e
}

# ---------------------------------------------------------------- helpers
same() { # same PATH HOST...: sender's /srv/outgoing/PATH is in each HOST's /srv/incoming
    _p=$1
    shift
    for _h in "$@"; do
        if [ -d "$(r sender)/srv/outgoing/$_p" ]; then
            diff -r "$(r sender)/srv/outgoing/$_p" "$(r "$_h")/srv/incoming/$_p" >/dev/null 2>&1 ||
                bad "$_h: /srv/incoming/$_p differs from the sender's or is missing"
        else
            cmp -s "$(r sender)/srv/outgoing/$_p" "$(r "$_h")/srv/incoming/$_p" ||
                bad "$_h: /srv/incoming/$_p differs from the sender's or is missing"
        fi
        check_no_temp "$(r "$_h")/srv/incoming" >/dev/null || bad "$_h: a temporary file is left"
    done
}

says() { # says FILE TEXT: the file holds the text
    grep -qF -- "$2" "$1" 2>/dev/null || bad "$(basename "$1") lacks \"$2\": $(tail -3 "$1" 2>/dev/null)"
}

wait_for() { # wait_for FILE TEXT [SECS]: until the file holds the text
    _n=0
    while ! grep -qF -- "$2" "$1" 2>/dev/null && [ "$_n" -lt $((${3:-15} * 5)) ]; do
        sleep 0.2
        _n=$((_n + 1))
    done
    grep -qF -- "$2" "$1" 2>/dev/null
}

alive() { # alive HOST: the pid in HOST's /run/uftpd.pid runs
    _p=$(cat "$(r "$1")/run/uftpd.pid" 2>/dev/null || true)
    [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null || bad "$1: no uftpd running from /run/uftpd.pid"
}

fp_of() { # fp_of FILE: the fingerprint uftp_keymgt printed there
    sed -n 's/.*fingerprint: \([0-9A-F:]*\).*/\1/p' "$1" | head -1
}

keyfile() { # keyfile HOST PATH VAR: a 0600 key with a printed fingerprint -> VAR
    [ "$(stat -c %a "$(r "$1")$2" 2>/dev/null)" = 600 ] || bad "$1: $2 is missing or not mode 0600"
    _fp=$(fp_of "$W/out/$EX.$1.err")
    echo "$_fp" | grep -qE '^([0-9A-F]{2}:){19}[0-9A-F]{2}$' || bad "$1: no fingerprint printed"
    GUIDE_VARS="$GUIDE_VARS $3=$_fp"
}

json_ok() { # json_ok FILE: every line is one JSON object
    [ -s "$1" ] || { bad "$1 is empty"; return 0; }
    _bad=$(while IFS= read -r l; do printf '%s\n' "$l" | jq -e 'type == "object"' >/dev/null 2>&1 ||
        echo x; done <"$1" | wc -l)
    [ "$_bad" -eq 0 ] || bad "$(basename "$1"): $_bad lines are not JSON objects"
}

# ---------------------------------------------------------------- scenes
scene_stop() { # stop every program of the scene, then remove its namespaces
    net_bg_stop
    for _d in $(ip netns list | awk '{ print $1 }' | grep "^${NET_PREFIX}_" || true); do
        ip netns pids "$_d" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
    done
    _n=0
    while [ "$_n" -lt 50 ]; do
        _left=$(for _d in $(ip netns list | awk '{ print $1 }' | grep "^${NET_PREFIX}_" || true); do
            ip netns pids "$_d" 2>/dev/null; done)
        [ -z "$_left" ] && break
        sleep 0.1
        _n=$((_n + 1))
    done
    net_down
}

scene_lan() {
    net_up 2
    hosts_init "sender=srv receiver1=c1 receiver2=c2"
}
scene_sat() {
    net_up 1
    net_loss c1 1
    hosts_init "sender=srv receiver1=c1"
}
scene_resp() {
    net_up 3
    hosts_init "sender=srv receiver1=c1 receiver2=c2 rproxy=c3"
}
scene_closed() {
    net_up 3
    hosts_init "sender=srv receiver1=c1 receiver2=c2 receiver3=c3"
}
scene_monitor() {
    net_up 1
    hosts_init "sender=srv receiver1=c1"
}
scene_trouble() {
    net_up 1
    hosts_init "sender=srv receiver1=c1"
}

scene_nat() { # proxy_nat.sh's topology; the guide draws it
    net_lock
    net_nat
    if ip -n "$(net_ns sp)" route get 192.168.77.2 >/dev/null 2>&1; then
        bad "nat: proxy-a has a route to 192.168.77.0/24"
    fi
    hosts_init "sender=srv proxy-a=sp gateway=gw proxy-b=cp receiver1=c1 receiver2=c2"
}

# ---------------------------------------------------------------- checks
# quick start
check_quick_receive() {
    alive receiver1
    alive receiver2
}
check_quick_send() { same report.pdf receiver1 receiver2; }

# LAN
check_lan_receive() {
    alive receiver1
    alive receiver2
    # the old daemons are gone: one uftpd per receiver
    for h in receiver1 receiver2; do
        _c=$(ip netns pids "$(net_ns "$(ns_of $h)")" | while read -r p; do cat "/proc/$p/comm"; done |
            grep -c '^uftpd$' || true)
        [ "$_c" -eq 1 ] || bad "$h runs $_c uftpd"
    done
}
check_lan_send() {
    same report.pdf receiver1 receiver2
    same images receiver1 receiver2
    says "$W/out/$EX.sender.err" "Using private multicast address 239.192.2."
}

# satellite: the sender is interrupted (SIGINT, as Ctrl-C) once the
# receiver has begun report.pdf
before_sat_send() {
    WANT_RC=6
    (
        log=$(r receiver1)/tmp/uftpd.log
        wait_for "$log" ": report.pdf (" 50 || exit 0
        sleep 0.3
        for p in $(ip netns pids "$(net_ns srv)"); do
            [ "$(cat "/proc/$p/comm" 2>/dev/null)" = uftp ] && kill -INT "$p"
        done
    ) &
    NET_BG_PIDS="$NET_BG_PIDS $!"
}
check_sat_receive() { alive receiver1; }
check_sat_send() {
    says "$W/out/$EX.sender.err" "Wrote restart file _group_"
    ls "$(r sender)"/srv/outgoing/_group_*_restart >/dev/null 2>&1 || bad "no restart file on the sender"
    ls "$(r receiver1)"/srv/partial/_group_*_restart >/dev/null 2>&1 ||
        bad "no restart record in the receiver's /srv/partial"
    [ -z "$(ls -A "$(r receiver1)/srv/incoming")" ] || bad "the failed session left files in /srv/incoming"
}
check_sat_resume() {
    same report.pdf receiver1
    [ -z "$(ls -A "$(r receiver1)/srv/partial")" ] || bad "/srv/partial is not empty after the resumed session"
    # the receiver said it held part of report.pdf
    says "$W/out/$EX.sender.err" "Every client has part of file 1"
    # the resumed session is the interrupted one
    _g=$(sed -n 's/.*Wrote restart file _group_\([0-9A-F]*\)_restart.*/\1/p' "$W/out/sat-send.sender.err")
    [ -n "$_g" ] && grep -q "group $_g" "$(r receiver1)/tmp/uftpd.log" ||
        bad "the receiver did not see group $_g again"
}

# NAT
check_nat_key() { keyfile proxy-b /srv/keys/proxy.pem PROXY_B_FP; }
check_nat_proxy_a() { :; }
check_nat_proxy_b() {
    wait_for "$(r proxy-a)/tmp/uftpproxyd.log" "learnt from an authenticated heartbeat" ||
        bad "proxy-a did not learn proxy-b's address from a heartbeat"
}
check_nat_receive() { :; }
check_nat_send() {
    same report.pdf receiver1 receiver2
    same images receiver1 receiver2
    _m=$(ip netns exec "$(net_ns gw)" nft list chain ip nat post | sed -n 's/.*packets \([0-9]*\).*/\1/p')
    [ "${_m:-0}" -gt 0 ] || bad "the gateway masqueraded nothing"
}

# response proxy
check_resp_proxy() { keyfile rproxy /srv/keys/proxy.pem RPROXY_FP; }
check_resp_receive() { :; }
check_resp_send() {
    same report.pdf receiver1 receiver2
    says "$(r rproxy)/tmp/uftpproxyd.log" "REGISTER sent for 2 client(s)"
}

# closed group
check_closed_server_key() { keyfile sender /srv/keys/server.pem SERVER_FP; }
check_closed_client_key() {
    keyfile receiver1 /srv/keys/client.pem RECEIVER1_FP
    keyfile receiver2 /srv/keys/client.pem RECEIVER2_FP
    keyfile receiver3 /srv/keys/client.pem RECEIVER3_FP
}
check_closed_receive() {
    alive receiver1
    alive receiver2
    alive receiver3
}
check_closed_send() {
    same report.pdf receiver1 receiver2
    same images receiver1 receiver2
    [ -z "$(ls -A "$(r receiver3)/srv/incoming")" ] || bad "receiver3 (not a member) got files"
    grep -q "CLIENT_KEY from client 0x0A62000B" "$W/out/$EX.sender.err" ||
        bad "the sender logged no CLIENT_KEY: $(head -5 "$W/out/$EX.sender.err")"
}

# monitoring
check_monitor_receive() { alive receiver1; }
check_monitor_send() {
    same report.pdf receiver1
    same images receiver1
    j=$(r sender)/log/ufcast/uftp.json
    json_ok "$j"
    jq -e 'select(.event == "session_end") | .exit == 0 and .completed == 1' "$j" >/dev/null ||
        bad "uftp.json has no session_end with exit 0"
    says "$(r sender)/log/ufcast/uftp.status" "CONNECT;success;0x0A62000B"
    says "$(r sender)/log/ufcast/uftp.status" "RESULT;0x0A62000B;report.pdf;"
    jr=$(r receiver1)/log/ufcast/uftpd.json
    wait_for "$jr" '"session_end"' 10 || bad "uftpd.json has no session_end"
    json_ok "$jr"
    wait_for "$(r receiver1)/log/ufcast/uftpd.status" ";report.pdf;" 5 ||
        bad "uftpd.status has no RESULT for report.pdf"
}
check_monitor_jq() {
    says "$W/out/$EX.sender.out" "$(printf '0x0A62000B\treport.pdf\tcopy\t')"
    [ "$(tail -1 "$W/out/$EX.sender.out")" = true ] || bad "the session_end test did not print true"
}
check_monitor_jq_receiver() {
    grep -qE '^0x[0-9A-F]{8} complete$' "$W/out/$EX.receiver1.out" ||
        bad "no 'GROUP complete' line: $(cat "$W/out/$EX.receiver1.out")"
}

# troubleshooting
check_trouble_option() { says "$W/out/$EX.sender.err" "-R"; }
check_trouble_nobody() {
    says "$W/out/$EX.sender.err" "Announce timed out: no client registered"
    says "$W/out/$EX.sender.err" "Host: 0x0A62000B  Status: lost"
}
check_trouble_serverlist_receive() { :; }
check_trouble_serverlist_send() {
    says "$W/out/$EX.sender.err" "Transfer aborted by client 0x0A62000B: Server not in server list"
    says "$(r receiver1)/tmp/uftpd.log" "Rejecting ANNOUNCE from 0A620001: server not in server list"
}
check_trouble_tempdir() {
    says "$W/out/$EX.receiver1.err" "-T"
    says "$W/out/$EX.receiver1.err" "file system"
}

# ---------------------------------------------------------------- run
run_guide() { # run_guide GUIDE
    extract "$1" "$W/ex" || {
        echo "FAIL guide: $1 cannot be read as examples"
        exit 1
    }
    [ -n "${GUIDE_ONLY:-}" ] || coverage "$W/ex/index"
    mkdir -p "$W/out"
    cur=
    t0=$(date +%s.%N)
    while read -r ex_n scene name hosts expect <&3; do
        if [ -n "${GUIDE_ONLY:-}" ]; then
            case " $GUIDE_ONLY " in *" $scene "*) ;; *) continue ;; esac
        fi
        if [ "$scene" != "$cur" ]; then
            [ -z "$cur" ] || end_scene "$cur"
            cur=$scene
            ts=$(date +%s.%N)
            f0=$nbad
            scene_stop
            type "scene_$scene" >/dev/null 2>&1 || {
                echo "FAIL guide: no scene $scene in guide.sh"
                exit 1
            }
            "scene_$scene"
        fi
        EX=$name
        WANT_RC=$expect
        fn=$(fn_of "$name")
        ! type "before_$fn" >/dev/null 2>&1 || "before_$fn"
        te=$(date +%s.%N)
        for ex_h in $(echo "$hosts" | tr , ' '); do
            run_block "$ex_h" "$ex_n" "$name"
            if [ "$rc" -ne "$WANT_RC" ]; then
                bad "on $ex_h: exit $rc (want $WANT_RC): $(tail -4 "$W/out/$name.$ex_h.err")"
            fi
        done
        ! type "check_$fn" >/dev/null 2>&1 || "check_$fn"
        echo "  $name $(awk -v a="$te" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
        if [ "$fail" -ne 0 ] && [ -n "${GUIDE_FAILFAST:-}" ]; then
            exit 1
        fi
    done 3<"$W/ex/index"
    [ -z "$cur" ] || end_scene "$cur"
    echo "guide: $(awk '{ print $3 }' "$W/ex/index" | wc -l) examples in" \
        "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}

end_scene() {
    scene_stop
    # sanitizer reports (a sanitized build), daemons' included
    for _f in "$W"/h/*/tmp/sanitizer.*; do
        [ -e "$_f" ] || continue
        EX=$1 bad "sanitizer report $(basename "$(dirname "$(dirname "$_f")")"):$(head -3 "$_f")"
    done
    secs=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ "$nbad" = "$f0" ]; then echo "PASS $1 (${secs}s)"; else echo "FAIL $1 (${secs}s)"; fi
}

# self_check NAME SCENE SED_SCRIPT WANT_TEXT: a copy of the guide edited
# by the sed script must make this script fail in SCENE, saying WANT_TEXT
self_check() {
    sed "$3" "$GUIDE" >"$W/broken.md"
    cmp -s "$GUIDE" "$W/broken.md" && {
        echo "FAIL self-check $1: the edit did not apply"
        fail=1
        return 0
    }
    set +e
    NET_LOCKED=1 GUIDE_CHILD=1 GUIDE_ONLY=$2 GUIDE_FAILFAST=1 sh "$here/guide.sh" "$B" \
        "$W/broken.md" >"$W/self.$1.log" 2>&1
    src=$?
    set -e
    if [ "$src" -ne 0 ] && grep -qF -- "$4" "$W/self.$1.log"; then
        echo "PASS self-check $1 (exit $src: $(grep -F -- "$4" "$W/self.$1.log" | head -1 | cut -c1-100))"
    else
        echo "FAIL self-check $1: exit $src, want a failure saying \"$4\":"
        tail -5 "$W/self.$1.log"
        fail=1
    fi
}

if [ -z "${GUIDE_CHILD:-}" ]; then
    # an untagged sh block is refused before anything runs (also without root)
    { cat "$GUIDE"; printf '\n```sh\nuftp -R 10 x\n```\n'; } >"$W/untagged.md"
    if extract "$W/untagged.md" "$W/ex" 2>"$W/untagged.err"; then
        echo "FAIL self-check untagged: a block without example= was accepted"
        fail=1
    else
        grep -q "without example=NAME" "$W/untagged.err" || {
            echo "FAIL self-check untagged: $(cat "$W/untagged.err")"
            fail=1
        }
    fi
    extract "$GUIDE" "$W/ex" || exit 1
fi
need_root
NETS=1
net_lock
if [ -z "${GUIDE_CHILD:-}" ] && [ -z "${GUIDE_ONLY:-}" ]; then
    self_check command closed 's|^uftp_keymgt -g ec:secp384r1 /srv/keys/server.pem$|uftp_keymgt -g ec:nosuchcurve /srv/keys/server.pem|' \
        "FAIL closed-server-key: on sender: exit 1 (want 0)"
    self_check outcome lan 's|^uftp -R 100000 /srv/outgoing/report.pdf$|uftp -R 100000 /srv/outgoing/images|' \
        "FAIL quick-send: receiver1: /srv/incoming/report.pdf differs"
fi
run_guide "$GUIDE"
exit $fail
