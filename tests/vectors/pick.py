#!/usr/bin/env python3
"""Pick test vectors out of a capture (used by capture.sh).

Reads one hex UDP payload per line (tshark -e udp.payload) on stdin, keeps
the first packet of each kind, writes it to OUT_DIR/<scenario>_<kind>.bin
and prints its MANIFEST line. Expected fields come from what the scenario
set up (IDs, addresses, block size, robustness, file names and sizes),
not from decoding the packet, so the codec test stays independent.
"""
import os
import sys

FUNCS = {1: "announce", 2: "register", 3: "client_key", 4: "reg_conf", 5: "keyinfo",
         6: "keyinfo_ack", 7: "fileinfo", 8: "fileinfo_ack", 9: "fileseg", 10: "done",
         11: "status", 12: "complete", 13: "done_conf", 14: "hb_req", 15: "hb_resp",
         16: "key_req", 17: "proxy_key", 18: "encrypted", 19: "abort", 20: "cong_ctrl",
         21: "cc_ack"}
SERVER, CLIENT = 0x11111111, 0x22222222
# the capture's source files: name as sent -> (ftype, size)
FILES = {b"f1.bin": (0, 5000), b"f2.bin": (0, 100000), b"d1/small.txt": (0, 6),
         b"d1/empty": (1, 0),
         b"ln1": (2, 0), b"gone.txt": (3, 0), b".": (4, 0)}


def kind_of(p):
    func = p[1]
    base = FUNCS.get(func, "func%d" % func)
    body = p[16:]
    if func == 1:
        hlen = body[1] * 4
        return base + ("_enc" if hlen > 24 + (24 if body[2] & 4 else 0) else "") + \
            ("_closed" if len(body) > hlen else "_open")
    if func == 2:
        return base + ("_ecdh" if body[2] or body[3] else "_plain")
    if func == 7:
        return base + "_ftype%d" % body[4]
    if func in (9, 11):
        return base + ("_tfmcc" if body[1] * 4 > 8 else "")
    if func == 12:
        return base + ("_freespace" if body[1] * 4 > 8 else "") + "_status%d" % body[4]
    if func == 10:
        return base + ("_session" if body[2:4] == b"\0\0" else "")
    return base


def expect(p, ver):
    func = p[1]
    src = int.from_bytes(p[4:8], "big")
    words = ["kind=packet", "ver=0x%02x" % ver, "func=%d" % func]
    if src in (SERVER, CLIENT):
        words.append("src_id=%08x" % src)
    if func == 1:
        words += ["blocksize=1300", "robust=10", "pub=230.4.4.1"]
        body = p[16:]
        hlen = body[1] * 4
        words.append("ids=%d" % ((len(body) - hlen) // 4))
        if not (p[16 + 2] & 4):
            words.append("priv=230.5.5.9")
    if func == 7:
        for name, (ftype, size) in FILES.items():
            field = p[16 + 28:16 + 28 + p[16 + 8] * 4].rstrip(b"\0")
            if field == name:
                words += ["name=" + name.decode(), "ftype=%d" % ftype]
                if ftype == 0:
                    words.append("size=%d" % size)
    return words


def inner(out, dump):
    """Plaintexts from an instrumented build: the first of each type."""
    seen = set()
    for fn in sorted(os.listdir(dump)):
        with open(os.path.join(dump, fn), "rb") as f:
            p = f.read()
        if not p:
            continue
        k = FUNCS.get(p[0], "func%d" % p[0])
        if p[0] == 11:
            k += "_tfmcc" if p[1] * 4 > 8 else ""
        if k in seen:
            continue
        seen.add(k)
        name = "inner_%s.bin" % k
        with open(os.path.join(out, name), "wb") as f:
            f.write(p)
        print("v5/%s kind=inner ver=0x50 func=%d note=v5_enc_decrypted" % (name, p[0]))


def main():
    if sys.argv[1] == "--inner":
        inner(sys.argv[2], sys.argv[3])
        return
    out, scen = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    seen = set()
    verdir = os.path.basename(os.path.normpath(out))
    for line in sys.stdin:
        h = line.strip().replace(":", "")
        if not h:
            continue
        p = bytes.fromhex(h)
        if len(p) < 17 or p[0] not in (0x40, 0x50):
            continue
        k = kind_of(p) if p[1] != 18 else "encrypted_%s" % ("s" if int.from_bytes(p[4:8], "big") == SERVER else "c")
        if k in seen:
            continue
        seen.add(k)
        name = "%s_%s.bin" % (scen, k)
        with open(os.path.join(out, name), "wb") as f:
            f.write(p)
        print("%s/%s %s note=%s" % (verdir, name, " ".join(expect(p, p[0])), scen))


main()
