/*
 * The receiver's side of ufcast's FEC and file-hash extension (wire
 * format: docs/protocol-notes.md). A server's FEC_INFO for the file being
 * received says it will send parity and/or the file's SHA-256; a client
 * that can use them (it has a read-back op, and hash ops for the hash,
 * and was not told --no-fec) answers FEC_HELLO and keeps per-file state.
 *
 * Parity rows are kept per group (interleaved groups of k blocks of a
 * section, fec.h) only while the group lacks more blocks than it has
 * rows; as soon as it has enough, the group's received blocks are read
 * back through ops.file_read, the lost ones rebuilt and written as if they
 * had arrived, so the next STATUS NAKs only what is still missing. The
 * rows held are capped (PARITY_CAP bytes a session); past it new rows are
 * dropped and counted, and plain NAK repair fills the gap.
 *
 * The hash: once every block is in, the file is read back from storage
 * and hashed before ops.file_end commits it, so a byte changed on disk is
 * caught too; a mismatch discards the file and reports it REJECTED. If
 * the hash does not come (lost FILE_HASH datagrams, as each DONE carries
 * one, or a server that could not read its file), the client commits
 * unchecked after some DONEs rather than lose the file.
 */
#include "core/client_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fec.h"

/* Parity bytes one session may hold for groups that cannot decode yet. */
#define PARITY_CAP (32u << 20)

struct pgroup {
    unsigned n; /* rows held */
    uint8_t rows[UFT_FEC_MAX_ROWS];
    uint8_t *data[UFT_FEC_MAX_ROWS];
};

struct uft_cfec {
    uint8_t flags; /* UFT_FECF_* the server sends and we take */
    unsigned k;
    struct uft_fec *codec; /* made at the first decode, for rows below codec_rows */
    unsigned codec_rows;
    uint32_t *gbase; /* per section: global index of its first group */
    uint32_t n_groups;
    struct pgroup **pg; /* per group: rows held, or NULL */
    size_t held_rows;
    uint8_t *gbuf; /* k blocks for a decode */
    bool has_hash;
    uint8_t hash[UFT_FILE_HASH_LEN];
    unsigned done_waits;
};

static bool can_hash(const struct uft_client *c)
{
    return c->ops.hash_new && c->ops.hash_update && c->ops.hash_final && c->ops.file_read;
}

static void free_group(struct uft_cfec *f, uint32_t gi)
{
    struct pgroup *p = f->pg[gi];
    unsigned i;
    if (!p)
        return;
    for (i = 0; i < p->n; i++)
        free(p->data[i]);
    f->held_rows -= (size_t)p->n; /* rows counted in blocks, see add_row */
    free(p);
    f->pg[gi] = NULL;
}

void uft_cfec_free(struct csession *s)
{
    struct uft_cfec *f = s->fec;
    uint32_t g;
    if (!f)
        return;
    if (f->pg)
        for (g = 0; g < f->n_groups; g++)
            free_group(f, g);
    free(f->pg);
    free(f->gbase);
    free(f->gbuf);
    uft_fec_free(f->codec);
    free(f);
    s->fec = NULL;
    s->owe_fec_hello = false;
}

static void sec_layout(const struct csession *s, uint32_t sec, struct uft_fec_layout *fl)
{
    int rc = uft_fec_layout_init(fl, uft_layout_sec_blocks(&s->lay, sec), s->fec->k,
                                 UFT_FEC_INTERLEAVED);
    (void)rc; /* 1..65536 blocks and k in 1..255: cannot fail */
}

static bool setup_parity(struct csession *s, unsigned k)
{
    struct uft_cfec *f = s->fec;
    uint32_t sec, total = 0;
    f->k = k;
    f->gbase = malloc(((size_t)s->lay.sections + 1) * sizeof *f->gbase);
    if (!f->gbase)
        return false;
    for (sec = 0; sec < s->lay.sections; sec++) {
        struct uft_fec_layout fl;
        sec_layout(s, sec, &fl);
        f->gbase[sec] = total;
        total += fl.groups;
    }
    f->gbase[s->lay.sections] = total;
    f->n_groups = total;
    f->pg = calloc(total ? total : 1, sizeof *f->pg);
    f->gbuf = malloc((size_t)k * s->block_len);
    return f->pg && f->gbuf;
}

static void on_info(struct uft_client *c, struct csession *s, const struct uft_fec_info *in)
{
    uint8_t want = 0;
    if (c->cfg.no_fec || s->phase != C_RECEIVING || in->file_id != s->file_id || !s->got ||
        !c->ops.file_read)
        return;
    if (s->fec) {
        s->owe_fec_hello = true; /* our FEC_HELLO may have been lost */
        return;
    }
    if ((in->flags & UFT_FECF_PARITY) && in->k >= 1 && in->order == UFT_FEC_INTERLEAVED)
        want |= UFT_FECF_PARITY;
    if ((in->flags & UFT_FECF_HASH) && can_hash(c))
        want |= UFT_FECF_HASH;
    if (!want)
        return;
    s->fec = calloc(1, sizeof *s->fec);
    if (!s->fec)
        return;
    s->fec->flags = want;
    if ((want & UFT_FECF_PARITY) && !setup_parity(s, in->k)) {
        uft_cfec_free(s);
        uft_cl_log(c, s, 1, "FEC: out of memory; receiving file %u without it", s->file_id);
        return;
    }
    s->owe_fec_hello = true;
    uft_cl_log(c, s, 2, "File %u: taking%s%s", s->file_id,
               (want & UFT_FECF_PARITY) ? " parity" : "", (want & UFT_FECF_HASH) ? " hash" : "");
}

/* A codec that knows every row of p. Its tables grow with its rows
 * (32 bytes per row and data block), so it starts at 16 rows and is made
 * again, twice as big, only when a higher row comes: a file at a few
 * percent of loss never needs more than 32 or 64. */
static int codec_for(struct csession *s, const struct pgroup *p)
{
    struct uft_cfec *f = s->fec;
    unsigned most = 0, rows = f->codec_rows ? f->codec_rows : 16, i;
    int rc;
    for (i = 0; i < p->n; i++)
        if (p->rows[i] >= most)
            most = p->rows[i] + 1u;
    if (f->codec && most <= f->codec_rows)
        return 0;
    while (rows < most)
        rows *= 2;
    if (rows > 256 - f->k)
        rows = 256 - f->k;
    uft_fec_free(f->codec);
    f->codec = NULL;
    f->codec_rows = 0;
    if ((rc = uft_fec_new(&f->codec, f->k, rows, s->block_len)) != 0)
        return rc;
    f->codec_rows = rows;
    return 0;
}

/* Rebuild group g of section sec from its rows: the group's present
 * blocks are read back, the lost ones decoded and written. 0, 1 when the
 * blocks cannot be read back (the group is left to NAKs), or a negative
 * uft_err from the codec or a write. */
static int decode_group(struct uft_client *c, struct csession *s, uint32_t sec,
                        const struct uft_fec_layout *fl, uint32_t g, struct pgroup *p)
{
    struct uft_cfec *f = s->fec;
    uint8_t *blocks[UFT_FEC_MAX_ROWS];
    const uint8_t *par[UFT_FEC_MAX_ROWS];
    unsigned rows[UFT_FEC_MAX_ROWS];
    uint8_t present[UFT_FEC_MAX_ROWS / 8];
    uint32_t first = uft_layout_sec_first(&s->lay, sec);
    unsigned n = uft_fec_layout_group_blocks(fl, g), pos, i;
    size_t last_len = 0;
    int rc;
    if ((rc = codec_for(s, p)) != 0)
        return rc;
    memset(present, 0, sizeof present);
    for (pos = 0; pos < n; pos++) {
        uint32_t b = first + uft_fec_layout_block(fl, g, pos);
        uint32_t len = uft_layout_block_len(&s->lay, b);
        blocks[pos] = f->gbuf + (size_t)pos * s->block_len;
        last_len = len;
        if (!uft_bit_get(s->got, b))
            continue;
        rc = c->ops.file_read(c->ops.ctx, s->handle, uft_layout_offset(&s->lay, b), blocks[pos],
                              len);
        if (rc)
            return 1; /* not fatal: NAKs repair the group instead */
        uft_bit_set(present, pos);
    }
    for (i = 0; i < p->n; i++) {
        par[i] = p->data[i];
        rows[i] = p->rows[i];
    }
    rc = uft_fec_decode(f->codec, n, last_len, blocks, present, p->n, par, rows);
    if (rc < 0)
        return rc;
    for (pos = 0; pos < n; pos++) {
        uint32_t b = first + uft_fec_layout_block(fl, g, pos);
        if (uft_bit_get(present, pos))
            continue;
        rc = c->ops.file_write(c->ops.ctx, s->handle, uft_layout_offset(&s->lay, b), blocks[pos],
                               uft_layout_block_len(&s->lay, b));
        if (rc)
            return rc;
        uft_bit_set(s->got, b);
        s->got_count++;
        c->st.fec_recovered++;
    }
    return 0;
}

static void on_parity(struct uft_client *c, struct csession *s, const struct uft_fec_parity *pm)
{
    struct uft_cfec *f = s->fec;
    struct uft_fec_layout fl;
    struct pgroup *p;
    uint32_t first, gi;
    unsigned n, pos, missing = 0, i;
    int rc;
    if (!f || !(f->flags & UFT_FECF_PARITY) || s->phase != C_RECEIVING ||
        pm->file_id != s->file_id || pm->section >= s->lay.sections)
        return;
    c->st.parity_packets++;
    sec_layout(s, pm->section, &fl);
    if (pm->k != f->k || pm->order != UFT_FEC_INTERLEAVED || pm->group >= fl.groups ||
        pm->data.len != s->block_len || pm->row >= 256 - f->k) {
        c->st.parity_dropped++;
        return;
    }
    n = uft_fec_layout_group_blocks(&fl, pm->group);
    first = uft_layout_sec_first(&s->lay, pm->section);
    for (pos = 0; pos < n; pos++)
        if (!uft_bit_get(s->got, first + uft_fec_layout_block(&fl, pm->group, pos)))
            missing++;
    gi = f->gbase[pm->section] + pm->group;
    if (missing == 0) {
        free_group(f, gi);
        return;
    }
    p = f->pg[gi];
    if (p)
        for (i = 0; i < p->n; i++)
            if (p->rows[i] == pm->row)
                return; /* a duplicate */
    if ((f->held_rows + 1) * s->block_len > PARITY_CAP) {
        c->st.parity_dropped++;
        return;
    }
    if (!p && (p = f->pg[gi] = calloc(1, sizeof *p)) == NULL)
        return;
    if ((p->data[p->n] = malloc(s->block_len)) == NULL)
        return;
    memcpy(p->data[p->n], pm->data.p, s->block_len);
    p->rows[p->n++] = pm->row;
    f->held_rows++;
    if (p->n < missing)
        return;
    rc = decode_group(c, s, pm->section, &fl, pm->group, p);
    free_group(f, gi);
    if (rc == 1) {
        c->st.parity_dropped++;
        uft_cl_log(c, s, 1, "FEC: cannot read file %u back to decode; NAKing instead", s->file_id);
        return;
    }
    if (rc) {
        uft_cl_abort(c, s, rc == UFT_E_NOSPACE ? "Not enough disk space" : "Write failed");
        return;
    }
    if (s->got_count == s->lay.blocks)
        uft_cl_file_finished(c, s);
}

static void on_hash(struct uft_client *c, struct csession *s, const struct uft_file_hash *h)
{
    struct uft_cfec *f = s->fec;
    if (!f || !(f->flags & UFT_FECF_HASH) || h->file_id != s->file_id || f->has_hash)
        return;
    memcpy(f->hash, h->hash.p, sizeof f->hash);
    f->has_hash = true;
    /* every block may be in already, waiting for this */
    if (s->phase == C_RECEIVING && s->got && s->got_count == s->lay.blocks)
        uft_cl_file_finished(c, s);
}

void uft_cfec_feed(struct uft_client *c, struct csession *s, const struct uft_msg *m, uft_ts now)
{
    (void)now;
    switch (m->hdr.func) {
    case UFT_FEC_INFO:
        on_info(c, s, &m->u.fec_info);
        break;
    case UFT_FEC_PARITY:
        on_parity(c, s, &m->u.fec_parity);
        break;
    case UFT_FILE_HASH:
        on_hash(c, s, &m->u.file_hash);
        break;
    default:
        break;
    }
}

int uft_cfec_check(struct uft_client *c, struct csession *s)
{
    struct uft_cfec *f = s->fec;
    uint8_t out[UFT_FILE_HASH_LEN];
    uint8_t *buf;
    void *st;
    uint32_t b;
    int rc = 0;
    if (!f || !(f->flags & UFT_FECF_HASH) || !s->handle)
        return 0;
    if (!f->has_hash)
        return 1;
    buf = malloc(s->block_len);
    st = buf ? c->ops.hash_new(c->ops.ctx) : NULL;
    if (!st) {
        free(buf);
        return UFT_E_NOMEM;
    }
    for (b = 0; b < s->lay.blocks && rc == 0; b++) {
        uint32_t len = uft_layout_block_len(&s->lay, b);
        rc = c->ops.file_read(c->ops.ctx, s->handle, uft_layout_offset(&s->lay, b), buf, len);
        if (rc == 0)
            c->ops.hash_update(c->ops.ctx, st, buf, len);
    }
    c->ops.hash_final(c->ops.ctx, st, out);
    free(buf);
    if (rc == 0 && memcmp(out, f->hash, sizeof out) == 0) {
        c->st.hash_ok++;
        return 0;
    }
    c->st.hash_bad++;
    uft_cl_log(c, s, 0, "File %u (%s): %s; discarding it", s->file_id, s->file_name,
               rc ? "cannot read it back to check its hash" : "SHA-256 differs from the server's");
    return UFT_E_AUTH;
}

bool uft_cfec_done_wait(struct uft_client *c, struct csession *s)
{
    struct uft_cfec *f = s->fec;
    unsigned most = s->robust / 2 > 3 ? s->robust / 2 : 3;
    if (!f || !(f->flags & UFT_FECF_HASH) || f->has_hash)
        return false;
    if (++f->done_waits < most)
        return false;
    uft_cl_log(c, s, 1, "File %u: no hash after %u DONEs; keeping it unchecked", s->file_id,
               f->done_waits);
    f->flags &= (uint8_t)~UFT_FECF_HASH;
    return true;
}

void uft_cfec_hello(struct csession *s, struct uft_msg *m)
{
    m->u.fec_hello.file_id = s->file_id;
    m->u.fec_hello.flags = s->fec ? s->fec->flags : 0;
}
