#!/usr/bin/env python3
"""An independent check of ufcast's codec against Wireshark's UFTP dissectors.

For every captured packet in tests/vectors (kind=packet), and for every
packet ufcast's own encoder produces for its sample messages, this wraps the
datagram in a pcap, asks tshark (uftp4 / uftp5 dissectors) for a set of
fields and compares them with what ufcast-dump decodes. Two decoders written
by different people agreeing on real and on ufcast-made packets is evidence
that both the decoder and the encoder put fields where UFTP puts them.

usage: tshark_oracle.py UFCAST_DUMP VECTOR_DIR [SAMPLE_DIR]
Exit 0 when all agree, 1 on a disagreement, 77 (skip) without tshark.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

# ufcast-dump key -> dissector field (without the uftp4./uftp5. prefix),
# per message type; the header fields apply to every message.
HEADER = {"func": "func", "seq": "seq", "src_id": "src_id", "group_id": "group_id",
          "group_inst": "group_inst"}
BODY = {
    1: {"robust": "announce.robust", "blocksize": "announce.blocksize"},
    7: {"file_id": "fileinfo.file_id", "ftype": "fileinfo.ftype", "name": "fileinfo.name",
        "size": "fileinfo.fsize"},
    9: {"file_id": "fileseg.file_id", "section": "fileseg.section", "block": "fileseg.sec_block"},
    10: {"file_id": "done.file_id", "section": "done.section"},
    11: {"file_id": "status.file_id", "section": "status.section"},
    12: {"file_id": "complete.file_id", "status": "complete.status"},
}


def write_pcap(pkts, path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            udp = struct.pack("!HHHH", 40000, 1044, 8 + len(p), 0) + p
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp
            eth = b"\x00\x11\x22\x33\x44\x55" * 2 + b"\x08\x00" + ip
            f.write(struct.pack("<IIII", i, 0, len(eth), len(eth)) + eth)


def ours(dump, path):
    out = subprocess.run([dump, path], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    kv = {}
    for word in out.stdout.split():
        if "=" in word:
            k, v = word.split("=", 1)
            kv[k] = v.replace("\\x20", " ")
    return kv


def num(v):
    try:
        return int(v, 0)
    except ValueError:
        return v


def main():
    if not shutil.which("tshark"):
        print("SKIPPED: tshark is not installed")
        return 77
    dump, vecdir = sys.argv[1], sys.argv[2]
    files = []
    for sub in ("v4", "v5"):
        d = os.path.join(vecdir, sub)
        files += [os.path.join(d, n) for n in sorted(os.listdir(d)) if not n.startswith("inner_")]
    if len(sys.argv) > 3:
        d = sys.argv[3]
        files += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    pkts = [open(f, "rb").read() for f in files]
    fields = set()
    for m in [HEADER] + list(BODY.values()):
        fields.update(m.values())
    cols = ["uftp%d.%s" % (v, f) for v in (4, 5) for f in sorted(fields)]
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "o.pcap")
        write_pcap(pkts, pcap)
        cmd = ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
        for c in cols:
            cmd += ["-e", c]
        res = subprocess.run(cmd, capture_output=True, text=True)
    rows = [r.split("\t") for r in res.stdout.splitlines()]
    if len(rows) != len(pkts):
        print("tshark returned %d rows for %d packets" % (len(rows), len(pkts)))
        return 1
    bad = checked = 0
    for path, p, row in zip(files, pkts, rows):
        theirs = dict(zip(cols, row))
        mine = ours(dump, path)
        if mine is None:
            continue  # ours refuses it; the decoder tests cover that
        ver = 4 if p[0] == 0x40 else 5
        func = p[1]
        keys = dict(HEADER)
        keys.update(BODY.get(func, {}))
        for k, f in keys.items():
            t = theirs.get("uftp%d.%s" % (ver, f), "")
            if t == "" or k not in mine:
                continue
            checked += 1
            if num(t) != num(mine[k]) and t != mine[k]:
                bad += 1
                print("%s: %s is %s for ufcast, %s for tshark" % (os.path.basename(path), k,
                                                                mine[k], t))
    print("tshark oracle: %d packets, %d fields compared, %d disagreements" % (len(pkts), checked,
                                                                             bad))
    return 1 if bad or checked == 0 else 0


sys.exit(main())
