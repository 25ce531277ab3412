/* Sample messages for the codec tests: every type, both versions. */
#include "msg_samples.h"

#include <string.h>

/* Deterministic filler bytes for blobs, randoms, payloads. A byte's value
 * depends only on its position, so overlapping regions agree. */
static uint8_t pool[4096];

static const uint8_t *fill(size_t off, size_t len)
{
    size_t k;
    for (k = off; k < off + len; k++)
        pool[k] = (uint8_t)(k * 13 + 1 + (k >> 8));
    return pool + off;
}

static struct uft_bytes bytes_at(size_t off, size_t len)
{
    struct uft_bytes b = {fill(off, len), len};
    return b;
}

static const uint8_t ids3[] = {0x22, 0x22, 0x22, 0x22, 0x33, 0x33,
                               0x33, 0x33, 0x0a, 0x00, 0x00, 0x05};
static const uint8_t cc_items[] = {0x22, 0x22, 0x22, 0x22, 0x07, 0x9d, 0, 0,
                                   0x33, 0x33, 0x33, 0x33, 0x02, 0x80, 0, 0};
/* An unknown extension (type 99, one word) that decoders must keep. */
static const uint8_t ext_unknown[] = {99, 1, 0xab, 0xcd};

static struct msg_sample *add(struct msg_sample *out, size_t cap, size_t *n, const char *name,
                              uint8_t ver, uint8_t func)
{
    struct msg_sample *s;
    if (*n >= cap)
        return NULL;
    s = &out[(*n)++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->m.hdr.version = ver;
    s->m.hdr.func = func;
    s->m.hdr.seq = 0x1234;
    s->m.hdr.src_id = 0x11111111;
    s->m.hdr.group_id = 0xdeadbeef;
    s->m.hdr.group_inst = 2;
    s->m.hdr.grtt = 157;
    s->m.hdr.gsize = 0x19;
    return s;
}

#define ADD(name, ver, func)                                                                       \
    do {                                                                                           \
        if (!(s = add(out, cap, &n, name, ver, func)))                                             \
            return n;                                                                              \
    } while (0)

static size_t setup_samples(struct msg_sample *out, size_t cap, size_t n)
{
    struct msg_sample *s;
    struct uft_ids ids = {ids3, 3};
    struct uft_bytes unk = {ext_unknown, sizeof ext_unknown};
    uint8_t v;

    for (v = UFT_VER4; v <= UFT_VER5; v = (uint8_t)(v + 0x10)) {
        ADD("announce_plain_v4addr", v, UFT_ANNOUNCE);
        s->m.u.announce.robust = 20;
        s->m.u.announce.blocksize = 1300;
        s->m.u.announce.tstamp_hi = 0x00061234;
        s->m.u.announce.tstamp_lo = 0x56789abc;
        memcpy(s->m.u.announce.pub_addr, "\xe6\x04\x04\x01", 4);
        memcpy(s->m.u.announce.priv_addr, "\xe6\x05\x05\x07", 4);

        ADD("announce_enc_closed", v, UFT_ANNOUNCE);
        s->m.u.announce.flags = UFT_ANN_SYNC;
        s->m.u.announce.robust = 20;
        s->m.u.announce.cc_type = UFT_CC_TFMCC;
        s->m.u.announce.blocksize = 8800;
        memcpy(s->m.u.announce.pub_addr, "\xe6\x04\x04\x01", 4);
        memcpy(s->m.u.announce.priv_addr, "\xe6\x05\x05\x07", 4);
        s->m.u.announce.has_enc = true;
        s->m.u.announce.enc.flags = UFT_ENC_CLIENT_AUTH;
        s->m.u.announce.enc.keyex_sig = v == UFT_VER4 ? 0x33 : 0;
        s->m.u.announce.enc.keytype = UFT_KEY_AES256_GCM;
        s->m.u.announce.enc.hashtype = UFT_HASH_SHA256;
        memcpy(s->m.u.announce.enc.rand1, fill(0, 32), 32);
        s->m.u.announce.enc.keyblob = bytes_at(40, 68);
        s->m.u.announce.enc.dhblob = bytes_at(120, 68);
        s->m.u.announce.enc.sig = bytes_at(200, 68);
        s->m.u.announce.ids = ids;

        ADD("announce_ipv6_ext", v, UFT_ANNOUNCE);
        s->m.u.announce.flags = UFT_ANN_IPV6 | UFT_ANN_PREVIEW;
        s->m.u.announce.robust = 50;
        s->m.u.announce.blocksize = 512;
        memcpy(s->m.u.announce.pub_addr, "\xff\x15\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
        memcpy(s->m.u.announce.priv_addr, "\xff\x15\0\0\0\0\0\0\0\0\0\0\0\0\xab\xcd", 16);
        s->m.u.announce.ext_rest = unk;

        ADD("register_ecdh_proxy", v, UFT_REGISTER);
        s->m.u.reg.tstamp_hi = 1;
        s->m.u.reg.tstamp_lo = 2;
        memcpy(s->m.u.reg.rand2, fill(300, 32), 32);
        s->m.u.reg.keyinfo = bytes_at(340, 68);
        s->m.u.reg.ids = ids;

        ADD("register_plain", v, UFT_REGISTER);
        s->m.u.reg.tstamp_lo = 99;

        ADD("client_key", v, UFT_CLIENT_KEY);
        s->m.u.client_key.keyblob = bytes_at(420, 264);
        s->m.u.client_key.sig = bytes_at(700, 256);

        ADD("reg_conf", v, UFT_REG_CONF);
        s->m.u.reg_conf.ids = ids;

        ADD("keyinfo", v, UFT_KEYINFO);
        s->m.u.keyinfo.iv_ctr = 0x0000000100000002ull;
        if (v == UFT_VER5)
            s->m.u.keyinfo.sig = bytes_at(1000, 68);
        s->m.u.keyinfo.keys.p = fill(1100, 2 * UFT_DESTKEY_LEN);
        s->m.u.keyinfo.keys.n = 2;

        ADD("keyinfo_ack", v, UFT_KEYINFO_ACK);
        s->m.u.keyinfo_ack.verify = bytes_at(1300, v == UFT_VER4 ? 12 : 32);

        ADD("hb_req_auth", v, UFT_HB_REQ);
        s->m.u.hb_req.nonce = 0xcafef00d;
        s->m.u.hb_req.keyblob = bytes_at(1400, 68);
        s->m.u.hb_req.sig = bytes_at(1500, 68);

        ADD("hb_req_plain", v, UFT_HB_REQ);

        ADD("hb_resp", v, UFT_HB_RESP);
        s->m.u.hb_resp.auth = UFT_HB_AUTH_CHALLENGE;
        s->m.u.hb_resp.nonce = 0x01020304;

        ADD("proxy_key", v, UFT_PROXY_KEY);
        s->m.u.proxy_key.nonce = v == UFT_VER4 ? 0x55667788 : 0;
        s->m.u.proxy_key.keyblob = bytes_at(1600, 136);
        s->m.u.proxy_key.dhblob = bytes_at(1750, 100);
        s->m.u.proxy_key.sig = bytes_at(1900, 136);

        ADD("encrypted", v, UFT_ENCRYPTED);
        s->m.u.encrypted.iv_ctr = 77;
        if (v == UFT_VER4)
            s->m.u.encrypted.sig = bytes_at(2100, 32);
        s->m.u.encrypted.payload = bytes_at(2200, 45);
    }
    ADD("key_req_v4", UFT_VER4, UFT_KEY_REQ);
    return n;
}

static size_t xfer_samples(struct msg_sample *out, size_t cap, size_t n)
{
    struct msg_sample *s;
    struct uft_ids ids = {ids3, 3};
    uint8_t v;

    for (v = UFT_VER4; v <= UFT_VER5; v = (uint8_t)(v + 0x10)) {
        ADD("fileinfo_reg", v, UFT_FILEINFO);
        s->m.u.fileinfo.file_id = 1;
        s->m.u.fileinfo.fsize = 0x123456789aull;
        s->m.u.fileinfo.ftstamp_lo = 0x5f000000;
        s->m.u.fileinfo.tstamp_hi = 7;
        s->m.u.fileinfo.name.p = (const uint8_t *)"dir/file one.bin";
        s->m.u.fileinfo.name.len = 16;
        s->m.u.fileinfo.ids = ids;

        ADD("fileinfo_link", v, UFT_FILEINFO);
        s->m.u.fileinfo.file_id = 3;
        s->m.u.fileinfo.ftype = UFT_FTYPE_LINK;
        s->m.u.fileinfo.ftstamp_hi = v == UFT_VER5 ? 1 : 0;
        s->m.u.fileinfo.name.p = (const uint8_t *)"ln1";
        s->m.u.fileinfo.name.len = 3;
        s->m.u.fileinfo.link.p = (const uint8_t *)"../target/f.bin";
        s->m.u.fileinfo.link.len = 15;

        ADD("fileinfo_ack", v, UFT_FILEINFO_ACK);
        s->m.u.fileinfo_ack.file_id = 1;
        s->m.u.fileinfo_ack.flags = UFT_FIACK_PARTIAL;
        s->m.u.fileinfo_ack.tstamp_hi = 0xaabbccdd;
        s->m.u.fileinfo_ack.ids = ids;

        ADD("fileseg", v, UFT_FILESEG);
        s->m.u.fileseg.file_id = 1;
        s->m.u.fileseg.section = 2;
        s->m.u.fileseg.sec_block = 300;
        s->m.u.fileseg.data = bytes_at(0, 1300);

        ADD("fileseg_tfmcc", v, UFT_FILESEG);
        s->m.u.fileseg.file_id = 1;
        s->m.u.fileseg.has_tfmcc = true;
        s->m.u.fileseg.tfmcc.send_rate = 0x1a03;
        s->m.u.fileseg.tfmcc.cc_seq = 9;
        s->m.u.fileseg.tfmcc.cc_rate = 0x1b04;
        s->m.u.fileseg.data = bytes_at(1400, 77);

        ADD("done", v, UFT_DONE);
        s->m.u.done.file_id = 1;
        s->m.u.done.section = 7;
        s->m.u.done.ids = ids;

        ADD("status_naks", v, UFT_STATUS);
        s->m.u.status.file_id = 1;
        s->m.u.status.section = 3;
        s->m.u.status.naks = bytes_at(1500, 163);

        ADD("status_tfmcc", v, UFT_STATUS);
        s->m.u.status.file_id = 2;
        s->m.u.status.has_tfmcc = true;
        s->m.u.status.tfmcc.flags = UFT_CC_RTT | UFT_CC_START;
        s->m.u.status.tfmcc.cc_seq = 5;
        s->m.u.status.tfmcc.cc_rate = 0x4321;
        s->m.u.status.tfmcc.client_id = 0x22222222;
        s->m.u.status.tfmcc.tstamp_hi = 1;
        s->m.u.status.tfmcc.tstamp_lo = 2;
        s->m.u.status.naks = bytes_at(1700, 2);

        ADD("complete_proxy", v, UFT_COMPLETE);
        s->m.u.complete.file_id = 4;
        s->m.u.complete.status = UFT_COMP_OVERWRITE;
        s->m.u.complete.ids = ids;

        ADD("complete_freespace", v, UFT_COMPLETE);
        s->m.u.complete.file_id = 5;
        s->m.u.complete.has_freespace = true;
        s->m.u.complete.freespace.free_bytes = 0x0000012345678900ull;

        ADD("done_conf", v, UFT_DONE_CONF);
        s->m.u.done_conf.ids = ids;

        ADD("abort", v, UFT_ABORT);
        s->m.u.abort.flags = UFT_ABORT_CURFILE;
        s->m.u.abort.host = 0x22222222;
        s->m.u.abort.text.p = (const uint8_t *)"Not in host list";
        s->m.u.abort.text.len = 16;

        ADD("cong_ctrl", v, UFT_CONG_CTRL);
        s->m.u.cong_ctrl.cc_seq = 12;
        s->m.u.cong_ctrl.cc_rate = 0x2f05;
        s->m.u.cong_ctrl.tstamp_lo = 100;
        s->m.u.cong_ctrl.items.p = cc_items;
        s->m.u.cong_ctrl.items.n = 2;

        ADD("cc_ack", v, UFT_CC_ACK);
        s->m.u.cc_ack.has_tfmcc = true;
        s->m.u.cc_ack.tfmcc.flags = UFT_CC_RTT;
        s->m.u.cc_ack.tfmcc.cc_seq = 12;
        s->m.u.cc_ack.tfmcc.client_id = 0x33333333;
    }
    return n;
}

size_t msg_samples(struct msg_sample *out, size_t cap)
{
    size_t n = setup_samples(out, cap, 0);
    return xfer_samples(out, cap, n);
}
