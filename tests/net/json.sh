#!/bin/sh
# JSON status lines (--json) and terminal progress, with real programs:
#
#   [uftj_srv] s0 10.98.0.1 --+
#   [uftj_c1]  c0 10.98.0.11 -+-- br0 in [uftj_br]
#   [uftj_c2]  c0 10.98.0.12 -+
#
# uftp --json - sends two files, one with an awkward name (quotes, a
# backslash, spaces, a newline, UTF-8 and a byte that is not UTF-8), to
# two receivers that write uftpd --json FILE. Plain and encrypted. Every
# line of every output must parse (python3's json module, which also
# insists on UTF-8); the sender's has one session_start, a file_done per
# client per file with status copy and the file's size in bytes, and a
# session_end with exit 0; the awkward name comes back in name_hex; each
# receiver reports both files. Then uftp runs on a pseudo-terminal: its
# progress lines must show up, and once replayed on a model terminal no
# log line may be broken by them nor any of them be left on the screen;
# one uftpd -d does the same on its own pseudo-terminal.
# usage: json.sh BUILD_APP_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
B=$(cd "${1:?usage: json.sh BUILD_APP_DIR}" && pwd)
NET_PREFIX=uftj
W=$(mktemp -d)
trap 'net_bg_stop; net_down; rm -rf "$W"' EXIT
net_down
net_up 2
mkdir -p "$W/src"
awk_name=$(printf 'say "hi" \\ to\nall \303\251t\303\251 \377.bin')
head -c 400000 /dev/urandom >"$W/src/$awk_name"
head -c 1234 /dev/urandom >"$W/src/plain.bin"
fail=0

receivers() { # receivers CASE: two uftpd with --json
    for i in 1 2; do
        rm -rf "$W/r$i"
        mkdir -p "$W/r$i"
        net_bg "c$i" 60 "$B/uftpd" -d -D "$W/r$i" -U "0x0a00000$i" -x 2 \
            --json "$W/$1.c$i.json" >"$W/$1.c$i.log" 2>&1
    done
    sleep 0.5
}

check_json() { # check_json CASE ENCRYPTION
    python3 - "$W" "$1" "$2" <<'EOF'
import json, os, sys
w, case, enc = sys.argv[1], sys.argv[2], sys.argv[3]
src = os.path.join(w, "src").encode()
sizes = {n: os.path.getsize(os.path.join(src, n)) for n in os.listdir(src)}
clients = ["0x0A000001", "0x0A000002"]
errors = []

def lines(path):
    out = []
    with open(path, "rb") as f:
        for k, raw in enumerate(f, 1):
            try:
                out.append(json.loads(raw))  # bytes: must be UTF-8, as JSON text must
            except ValueError as e:
                errors.append("%s line %d does not parse: %s: %r" % (path, k, e, raw))
    return out

def name_of(ev):  # the exact bytes of a name
    if "name_hex" in ev:
        raw = bytes.fromhex(ev["name_hex"])
        if raw.decode("utf-8", "replace") != ev["name"]:
            errors.append("name %r does not match name_hex %s" % (ev["name"], ev["name_hex"]))
        return raw
    return ev["name"].encode()

s = lines(os.path.join(w, case + ".s.json"))
starts = [e for e in s if e["event"] == "session_start"]
if len(starts) != 1:
    errors.append("sender: %d session_start lines" % len(starts))
elif starts[0]["encryption"] != enc or starts[0]["files"] != 2 or \
        starts[0]["bytes"] != sum(sizes.values()):
    errors.append("sender: session_start %r" % starts[0])
for c in clients:
    for n, size in sizes.items():
        done = [e for e in s if e["event"] == "file_done" and e.get("client") == c
                and name_of(e) == n]
        if len(done) != 1 or done[0]["status"] != "copy" or done[0]["bytes"] != size:
            errors.append("sender: file_done of %r for %s: %r" % (n, c, done))
    if not [e for e in s if e["event"] == "client_complete" and e["client"] == c]:
        errors.append("sender: no client_complete for %s" % c)
ends = [e for e in s if e["event"] == "session_end"]
if len(ends) != 1 or ends[0]["exit"] != 0 or ends[0]["completed"] != 2 or \
        ends[0]["failed"] != 0 or ends[0]["bytes_delivered"] != 2 * sum(sizes.values()):
    errors.append("sender: session_end %r" % ends)
elif s[-1] is not ends[0]:
    errors.append("sender: session_end is not the last line")
awk = [e for e in s if e["event"] == "file_start" and "name_hex" in e]
if len(awk) != 1 or "\n" not in awk[0]["name"] or '"' not in awk[0]["name"]:
    errors.append("sender: the awkward name's file_start: %r" % awk)
for i in (1, 2):
    r = lines(os.path.join(w, "%s.c%d.json" % (case, i)))
    for n, size in sizes.items():
        done = [e for e in r if e["event"] == "file_done" and name_of(e) == n]
        if len(done) != 1 or done[0]["status"] != "copy" or done[0]["bytes"] != size:
            errors.append("receiver %d: file_done of %r: %r" % (i, n, done))
    if [e["status"] for e in r if e["event"] == "session_end"] != ["complete"]:
        errors.append("receiver %d: session_end lines %r" % (i, r[-1:]))
for e in errors:
    print(case + ": " + e)
sys.exit(1 if errors else 0)
EOF
}

case_json() { # case_json NAME ENCRYPTION [SERVER OPTIONS]
    name=$1 enc=$2 extra=${3:-}
    receivers "$name"
    set +e
    # shellcheck disable=SC2086
    (cd "$W/src" && ip netns exec "$(net_ns srv)" timeout -k 5 50 "$B/uftp" $extra -R 100000 \
        -r 0.02:0.01:1 -s 10 -H 0x0a000001,0x0a000002 -x 2 --json - "$awk_name" plain.bin \
        >"$W/$name.s.json" 2>"$W/$name.s.log")
    rc=$?
    set -e
    sleep 0.3
    net_bg_stop
    ok=1
    [ "$rc" -eq 0 ] || { echo "$name: server exit $rc"; ok=0; }
    for i in 1 2; do
        for f in "$awk_name" plain.bin; do
            cmp -s "$W/src/$f" "$W/r$i/$f" || { echo "$name: receiver $i: a file differs"; ok=0; }
        done
    done
    check_json "$name" "$enc" || ok=0
    if [ "$ok" = 1 ]; then
        echo "PASS $name"
    else
        echo "FAIL $name; server log:"
        tail -20 "$W/$name.s.log"
        fail=1
    fi
}

case_json plain none "-Y none"
case_json encrypted aes256-gcm

# uftp and one uftpd on pseudo-terminals: progress lines appear, and
# replayed on a model terminal they leave every log line whole and are
# gone at the end. With --no-progress, or --json - on the terminal, no
# escape sequence is written.
cat >"$W/run_pty.py" <<'EOF'
# run_pty.py OUT CMD...: run CMD on a pseudo-terminal (stdin, stdout, stderr),
# 160 columns wide, and save what it writes; SIGTERM is passed on to it.
import fcntl, os, pty, signal, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
signal.signal(signal.SIGTERM, lambda *a: os.kill(pid, signal.SIGTERM))
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except InterruptedError:
        continue
    except OSError:
        break
    if not chunk:
        break
    out += chunk
open(sys.argv[1], "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
EOF

# check_tty FILE NAME WANTED...: replay FILE on a model terminal (rows of
# text and a cursor: \r, \n, CSI n A, CSI J, CSI K); the WANTED log lines
# must be there whole, and no progress line may be left.
check_tty() {
    python3 - "$@" <<'EOF'
import re, sys
raw = open(sys.argv[1], "rb").read()
name, wanted = sys.argv[2], [w.encode() for w in sys.argv[3:]]
errors = []
if name.startswith("tty_no_progress"):
    if b"\x1b" in raw:
        errors.append("escape sequences written")
else:
    esc = re.compile(rb"\x1b\[(\d*)([A-Za-z])")
    rows, r, c, i = [b""], 0, 0, 0
    while i < len(raw):
        m = esc.match(raw, i)
        if m:
            n, op = int(m.group(1) or 1), m.group(2)
            if op == b"A":
                r = max(0, r - n)
            elif op in (b"J", b"K"):
                rows[r] = rows[r][:c]
                if op == b"J":
                    del rows[r + 1:]
            i = m.end()
            continue
        ch = raw[i:i + 1]
        i += 1
        if ch == b"\r":
            c = 0
        elif ch == b"\n":
            r += 1
            if r == len(rows):
                rows.append(b"")
        else:
            line = rows[r].ljust(c)
            rows[r] = line[:c] + ch + line[c + 1:]
            c += 1
    if b"ETA" not in raw:
        errors.append("no progress lines were drawn")
    screen = [x for x in rows if x.strip()]
    for x in screen:
        if b"ETA" in x or b"receivers:" in x or b"announcing" in x:
            errors.append("progress left on the screen or inside a log line: %r" % x)
    for want in wanted:
        if not any(want in x for x in screen):
            errors.append("log line %r missing or broken" % want)
for e in errors:
    print(name + ": " + e)
print(("PASS " if not errors else "FAIL ") + name)
sys.exit(1 if errors else 0)
EOF
}

case_tty() { # case_tty NAME [OPTIONS OF BOTH PROGRAMS]
    name=$1
    shift
    for i in 1 2; do
        rm -rf "$W/r$i"
        mkdir -p "$W/r$i"
    done
    net_bg c1 60 python3 "$W/run_pty.py" "$W/$name.c1.tty" "$B/uftpd" -d -D "$W/r1" -U 0x0a000001 \
        -x 2 "$@"
    net_bg c2 60 "$B/uftpd" -d -D "$W/r2" -U 0x0a000002 -x 2 >"$W/$name.c2.log" 2>&1
    sleep 0.5
    set +e
    (cd "$W/src" && python3 "$W/run_pty.py" "$W/$name.tty" ip netns exec "$(net_ns srv)" \
        timeout -k 5 50 "$B/uftp" -Y none -R 2000 -r 0.02:0.01:1 -s 10 \
        -H 0x0a000001,0x0a000002 -x 2 "$@" "$awk_name" plain.bin)
    rc=$?
    set -e
    sleep 0.3
    net_bg_stop
    [ "$rc" -eq 0 ] || { echo "FAIL $name: server exit $rc"; fail=1; return; }
    check_tty "$W/$name.tty" "$name" "Sending file 1:" "Sending file 2:" \
        "Group complete (exit 0)" || fail=1
    check_tty "$W/$name.c1.tty" "$name.uftpd" "File 1 received" "File 2 received" \
        "Session complete" "Exiting on signal" || fail=1
}

case_tty tty_progress
case_tty tty_no_progress --no-progress
case_tty tty_no_progress_json --json -
exit $fail
