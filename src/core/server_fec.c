/*
 * The sender's side of ufcast's FEC and file-hash extension (the wire
 * format and the negotiation: docs/protocol-notes.md). After each FILEINFO
 * round of a regular file an FEC_INFO tells the private group what this
 * file gets: parity in groups of k blocks (interleaved, fec.h) and/or a
 * SHA-256. Clients that take it answer FEC_HELLO; UFTP clients drop both
 * unknown types and are served exactly as before.
 *
 * Parity goes out in two ways. Proactive: after each section's data in
 * the first pass, cfg.fec_m rows for every group of the section. Reactive
 * (cfg.fec_reactive): the NAK bitmap of a capable client becomes, per
 * group, the count of blocks it lacks; the next pass sends the largest
 * such count over the capable clients as new rows (a row number is never
 * sent twice in a file, so every row is news to every client), instead of
 * the blocks. Blocks that plain clients NAK still go out as themselves.
 * Parity rows are made when they are sent, from the group's blocks read
 * again through ops.read: the sender keeps one group in memory, not the
 * parity of a whole section.
 *
 * The hash is taken as the first pass reads the file in order; a file
 * whose first pass was skipped (a restart) is read once more for it
 * before its first DONE. FILE_HASH goes out before every DONE of the file.
 */
#include "core/server_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fec.h"
#include "core/timing.h"

struct uft_sfec {
    struct uft_fec *codec; /* k data blocks, rows 0 .. max_rows - 1 */
    unsigned k, max_rows;

    /* the current file */
    bool active;       /* a regular file with blocks: parity and hash apply */
    uint32_t *gbase;   /* per section: global index of its first group */
    uint32_t n_groups; /* over the whole file */
    uint8_t *next_row; /* per group: the next row never sent */
    uint8_t *need;     /* per group: rows the capable clients lack (the largest count) */
    uint8_t *owe;      /* per group: rows this pass still sends */
    uint16_t *count;   /* scratch: NAKs per group of one section */
    uint64_t owe_total;
    uint32_t cursor; /* where the search for owed rows resumes */
    uint32_t loaded; /* group whose blocks are in gbuf, + 1; 0 = none */
    uint8_t *gbuf;   /* k blocks */
    uint8_t *pbuf;   /* one parity row */

    void *hst; /* hash state while the first pass reads */
    uint32_t hash_next;
    bool hash_ready;
    uint8_t hash[UFT_FILE_HASH_LEN];

    bool owe_info, owe_hash;
    uint16_t hash_file; /* the file the owed FILE_HASH is for */
};

static bool hashing(const struct uft_server *s)
{
    return s->ops.hash_new && s->ops.hash_update && s->ops.hash_final;
}

int uft_srv_fec_init(struct uft_server *s)
{
    struct uft_sfec *f;
    int rc;
    if (!s->cfg.fec_k && !hashing(s))
        return 0;
    if (s->cfg.fec_k && (unsigned)s->cfg.fec_k + s->cfg.fec_m > 255) {
        uft_srv_log(s, 0, "FEC: %u data blocks plus %u parity rows exceed 255", s->cfg.fec_k,
                    s->cfg.fec_m);
        return UFT_E_INVAL;
    }
    f = calloc(1, sizeof *f);
    if (!f)
        return UFT_E_NOMEM;
    s->fec = f;
    uft_srv_log(s, 2, "FEC for receivers that take it: %s%s%s", hashing(s) ? "file hashes" : "",
                hashing(s) && s->cfg.fec_k ? ", " : "",
                !s->cfg.fec_k         ? ""
                : s->cfg.fec_reactive ? "parity for NAKs"
                                      : "parity");
    if (!s->cfg.fec_k)
        return 0;
    uft_srv_log(s, 2, "FEC: groups of %u blocks, %u parity packets each after the first pass",
                s->cfg.fec_k, s->cfg.fec_m);
    f->k = s->cfg.fec_k;
    f->max_rows = 256 - f->k;
    f->gbuf = malloc((size_t)f->k * s->cfg.block_len);
    f->pbuf = malloc(s->cfg.block_len);
    if (!f->gbuf || !f->pbuf)
        return UFT_E_NOMEM;
    rc = uft_fec_new(&f->codec, f->k, f->max_rows, s->cfg.block_len);
    return rc;
}

static void drop_file_state(struct uft_server *s)
{
    struct uft_sfec *f = s->fec;
    free(f->gbase);
    free(f->next_row);
    free(f->need);
    free(f->owe);
    free(f->count);
    f->gbase = NULL;
    f->next_row = f->need = f->owe = NULL;
    f->count = NULL;
    if (f->hst)
        s->ops.hash_final(s->ops.ctx, f->hst, NULL);
    f->hst = NULL;
    f->active = false;
    f->owe_total = 0;
    f->loaded = 0;
    f->owe_hash = false; /* owe_info stays: it may be for this file's FILEINFO */
}

void uft_srv_fec_free(struct uft_server *s)
{
    if (!s->fec)
        return;
    drop_file_state(s);
    uft_fec_free(s->fec->codec);
    free(s->fec->gbuf);
    free(s->fec->pbuf);
    free(s->fec);
    s->fec = NULL;
}

static void sec_layout(const struct uft_server *s, uint32_t sec, struct uft_fec_layout *fl)
{
    int rc = uft_fec_layout_init(fl, uft_layout_sec_blocks(&s->lay, sec), s->fec->k,
                                 UFT_FEC_INTERLEAVED);
    (void)rc; /* sections hold 1..65536 blocks and k is 1..255: it cannot fail */
}

void uft_srv_fec_file(struct uft_server *s)
{
    struct uft_sfec *f = s->fec;
    uint32_t sec, total = 0, most = 0;
    if (!f)
        return;
    drop_file_state(s);
    if (s->files[s->file_idx].ftype != UFT_FTYPE_REG || s->lay.blocks == 0)
        return;
    f->active = true;
    f->hash_next = 0;
    f->hash_ready = false;
    if (hashing(s))
        f->hst = s->ops.hash_new(s->ops.ctx);
    if (!f->codec)
        return;
    f->gbase = malloc(((size_t)s->lay.sections + 1) * sizeof *f->gbase);
    if (!f->gbase)
        goto nomem;
    for (sec = 0; sec < s->lay.sections; sec++) {
        struct uft_fec_layout fl;
        sec_layout(s, sec, &fl);
        f->gbase[sec] = total;
        total += fl.groups;
        if (fl.groups > most)
            most = fl.groups;
    }
    f->gbase[s->lay.sections] = total;
    f->n_groups = total;
    f->next_row = calloc(total, 1);
    f->need = calloc(total, 1);
    f->owe = calloc(total, 1);
    f->count = calloc(most, sizeof *f->count);
    if (f->next_row && f->need && f->owe && f->count)
        return;
nomem:
    uft_srv_log(s, 1, "FEC: out of memory for file %u; sending it without parity", s->file_id);
    free(f->gbase);
    f->gbase = NULL;
    f->n_groups = 0;
}

static bool parity_on(const struct uft_server *s)
{
    return s->fec && s->fec->active && s->fec->gbase && s->fec->next_row;
}

void uft_srv_fec_owe_info(struct uft_server *s)
{
    const struct uft_server_file *fl;
    if (!s->fec || s->file_idx >= s->n_files)
        return;
    fl = &s->files[s->file_idx];
    if (fl->ftype == UFT_FTYPE_REG && fl->size > 0)
        s->fec->owe_info = true;
}

void uft_srv_fec_hello(struct uft_server *s, struct dest *d, const struct uft_msg *m)
{
    if (!s->fec || d->is_proxy || m->u.fec_hello.file_id != s->file_id ||
        (s->phase != PH_FILEINFO && s->phase != PH_DATA) || d->fec_ok)
        return;
    d->fec_ok = true;
    s->st.fec_clients++;
}

void uft_srv_fec_read(struct uft_server *s, uint32_t b, const uint8_t *data, size_t len)
{
    struct uft_sfec *f = s->fec;
    if (!f || !f->hst || f->hash_ready || b != f->hash_next)
        return;
    s->ops.hash_update(s->ops.ctx, f->hst, data, len);
    if (++f->hash_next == s->lay.blocks) {
        s->ops.hash_final(s->ops.ctx, f->hst, f->hash);
        f->hst = NULL;
        f->hash_ready = true;
    }
}

/* Global group index of (sec, g). */
static uint32_t gidx(const struct uft_server *s, uint32_t sec, uint32_t g)
{
    return s->fec->gbase[sec] + g;
}

void uft_srv_fec_sent(struct uft_server *s, uint32_t b)
{
    struct uft_sfec *f = s->fec;
    uint32_t sec, idx, g, end;
    if (!parity_on(s) || s->pass != 1 || !s->cfg.fec_m)
        return;
    uft_layout_locate(&s->lay, b, &sec, &idx);
    if (idx + 1 != uft_layout_sec_blocks(&s->lay, sec))
        return;
    end = f->gbase[sec + 1];
    for (g = f->gbase[sec]; g < end; g++) {
        f->owe[g] = s->cfg.fec_m;
        f->owe_total += s->cfg.fec_m;
    }
    f->cursor = f->gbase[sec];
}

bool uft_srv_fec_status(struct uft_server *s, const struct dest *d, uint32_t sec,
                        const uint8_t *naks)
{
    struct uft_sfec *f = s->fec;
    struct uft_fec_layout fl;
    uint32_t n, i, g, first;
    if (!parity_on(s) || !s->cfg.fec_reactive || !d->fec_ok)
        return false;
    sec_layout(s, sec, &fl);
    n = uft_layout_sec_blocks(&s->lay, sec);
    first = uft_layout_sec_first(&s->lay, sec);
    memset(f->count, 0, fl.groups * sizeof *f->count);
    for (i = 0; i < n; i++) {
        unsigned pos;
        if (!uft_bit_get(naks, i))
            continue;
        uft_fec_layout_locate(&fl, i, &g, &pos);
        f->count[g]++;
    }
    for (g = 0; g < fl.groups; g++) {
        uint32_t gi = gidx(s, sec, g);
        unsigned c = f->count[g], left = f->max_rows - f->next_row[gi];
        if (c == 0)
            continue;
        if (c <= left) {
            if (c > f->need[gi])
                f->need[gi] = (uint8_t)c;
            continue;
        }
        /* the group ran out of row numbers: its blocks go out as themselves */
        for (i = 0; i < uft_fec_layout_group_blocks(&fl, g); i++) {
            uint32_t sb = uft_fec_layout_block(&fl, g, i);
            if (uft_bit_get(naks, sb))
                uft_bit_set(s->naks, first + sb);
        }
    }
    return true;
}

bool uft_srv_fec_needed(const struct uft_server *s)
{
    uint32_t g;
    if (!parity_on(s))
        return false;
    for (g = 0; g < s->fec->n_groups; g++)
        if (s->fec->need[g])
            return true;
    return false;
}

void uft_srv_fec_rewind(struct uft_server *s)
{
    struct uft_sfec *f = s->fec;
    uint32_t g;
    if (!parity_on(s))
        return;
    for (g = 0; g < f->n_groups; g++) {
        unsigned rows = f->need[g], left = f->max_rows - f->next_row[g];
        /* A client that lacks the most is missing its file if it loses a
         * single one of these rows too; a margin of a quarter more (and
         * one) saves most of those clients a round trip for the price of
         * a few packets. */
        if (rows)
            rows += 1 + rows / 4;
        if (rows > left)
            rows = left;
        f->owe[g] = (uint8_t)rows;
        f->owe_total += rows;
        f->need[g] = 0;
    }
    f->cursor = 0;
}

void uft_srv_fec_before_done(struct uft_server *s, uft_ts now)
{
    struct uft_sfec *f = s->fec;
    const struct uft_server_file *fl;
    (void)now;
    if (!f || !f->active)
        return;
    f->owe_info = true; /* again, for clients that lost the one after FILEINFO */
    if (!hashing(s))
        return;
    fl = &s->files[s->file_idx];
    /* a restart skipped (part of) the first pass: read the rest for the hash */
    while (f->hst && !f->hash_ready) {
        uint32_t b = f->hash_next, len = uft_layout_block_len(&s->lay, b);
        int rc =
            s->ops.read(s->ops.ctx, fl->handle, uft_layout_offset(&s->lay, b), s->blockbuf, len);
        if (rc) {
            uft_srv_log(s, 1, "Cannot read %s for its hash: %s; sending no hash", fl->name,
                        uft_strerror(rc));
            s->ops.hash_final(s->ops.ctx, f->hst, NULL);
            f->hst = NULL;
            break;
        }
        uft_srv_fec_read(s, b, s->blockbuf, len);
    }
    if (f->hash_ready) {
        f->owe_hash = true;
        f->hash_file = s->file_id;
    }
}

bool uft_srv_fec_pending(const struct uft_server *s)
{
    return parity_on(s) && s->fec->owe_total > 0;
}

/* Read the blocks of group g of section sec (global group gi) into gbuf,
 * unless they are there from the row before. */
static int load_group(struct uft_server *s, uint32_t sec, const struct uft_fec_layout *fl,
                      uint32_t g, uint32_t gi, unsigned *n, size_t *last_len)
{
    struct uft_sfec *f = s->fec;
    const struct uft_server_file *file = &s->files[s->file_idx];
    uint32_t first = uft_layout_sec_first(&s->lay, sec);
    unsigned pos;
    *n = uft_fec_layout_group_blocks(fl, g);
    *last_len = uft_layout_block_len(&s->lay, first + uft_fec_layout_block(fl, g, *n - 1));
    if (f->loaded == gi + 1)
        return 0;
    f->loaded = 0;
    for (pos = 0; pos < *n; pos++) {
        uint32_t b = first + uft_fec_layout_block(fl, g, pos);
        int rc =
            s->ops.read(s->ops.ctx, file->handle, uft_layout_offset(&s->lay, b),
                        f->gbuf + (size_t)pos * s->cfg.block_len, uft_layout_block_len(&s->lay, b));
        if (rc)
            return rc;
    }
    f->loaded = gi + 1;
    return 0;
}

/* The section of global group gi. */
static uint32_t sec_of(const struct uft_sfec *f, uint32_t sections, uint32_t gi)
{
    uint32_t lo = 0, hi = sections; /* gbase[lo] <= gi < gbase[hi] */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->gbase[mid] <= gi)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t next_owed(struct uft_sfec *f)
{
    uint32_t i;
    for (i = 0; i < f->n_groups; i++) {
        uint32_t g = (f->cursor + i) % f->n_groups;
        if (f->owe[g]) {
            f->cursor = g;
            return g;
        }
    }
    return UINT32_MAX;
}

ssize_t uft_srv_fec_pull(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                         struct uft_tx *tx)
{
    struct uft_sfec *f = s->fec;
    const uint8_t *data[UFT_FEC_MAX_ROWS];
    struct uft_fec_layout fl;
    struct uft_msg m;
    uint32_t gi, sec, g;
    unsigned n = 0, pos, row;
    size_t last_len = 0;
    ssize_t len;
    int rc;
    while (f->owe_total > 0 && (gi = next_owed(f)) != UINT32_MAX) {
        sec = sec_of(f, s->lay.sections, gi);
        g = gi - f->gbase[sec];
        sec_layout(s, sec, &fl);
        if (f->next_row[gi] >= f->max_rows) {
            f->owe_total -= f->owe[gi];
            f->owe[gi] = 0;
            continue;
        }
        rc = load_group(s, sec, &fl, g, gi, &n, &last_len);
        if (rc) {
            uft_srv_log(s, 1, "FEC: cannot read %s: %s; no parity for it",
                        s->files[s->file_idx].name, uft_strerror(rc));
            f->owe_total -= f->owe[gi];
            f->owe[gi] = 0;
            continue;
        }
        for (pos = 0; pos < n; pos++)
            data[pos] = f->gbuf + (size_t)pos * s->cfg.block_len;
        row = f->next_row[gi];
        if ((rc = uft_fec_encode_row(f->codec, n, last_len, data, row, f->pbuf)) != 0)
            return rc;
        f->next_row[gi]++;
        f->owe[gi]--;
        f->owe_total--;
        memset(&m, 0, sizeof m);
        uft_srv_fill_hdr(s, &m, UFT_FEC_PARITY);
        m.u.fec_parity.file_id = s->file_id;
        m.u.fec_parity.section = (uint16_t)sec;
        m.u.fec_parity.k = (uint8_t)f->k;
        m.u.fec_parity.order = UFT_FEC_INTERLEAVED;
        m.u.fec_parity.group = g;
        m.u.fec_parity.row = (uint8_t)row;
        m.u.fec_parity.data.p = f->pbuf;
        m.u.fec_parity.data.len = s->cfg.block_len;
        len = uft_srv_finish_tx(s, &m, buf, cap, tx, UFT_DST_PRIVATE);
        if (len < 0)
            return len;
        s->st.parity_packets++;
        if (s->pass > 1)
            s->st.parity_reactive++;
        uft_srv_paced(s, now); /* paced as data */
        return len;
    }
    f->owe_total = 0;
    return 0;
}

/* A FILE_HASH owed before a DONE goes only while that file is sent: a
 * late pull must not send it under the next file's number. */
static bool hash_due(const struct uft_server *s)
{
    return s->fec->owe_hash && s->fec->hash_file == s->file_id && s->phase == PH_DATA &&
           s->fec->active;
}

/* FEC_INFO goes after the FILEINFO it belongs to: a client takes it only
 * for a file it has begun. */
bool uft_srv_fec_ctrl_owed(const struct uft_server *s)
{
    return s->fec && (hash_due(s) || (s->fec->owe_info && !s->owed[TX_FILEINFO]));
}

ssize_t uft_srv_fec_pull_ctrl(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                              struct uft_tx *tx)
{
    struct uft_sfec *f = s->fec;
    struct uft_msg m;
    (void)now;
    memset(&m, 0, sizeof m);
    if (f->owe_info && !s->owed[TX_FILEINFO]) {
        f->owe_info = false;
        uft_srv_fill_hdr(s, &m, UFT_FEC_INFO);
        m.u.fec_info.file_id = s->file_id;
        m.u.fec_info.flags =
            (uint8_t)((f->codec ? UFT_FECF_PARITY : 0) | (hashing(s) ? UFT_FECF_HASH : 0));
        m.u.fec_info.k = (uint8_t)f->k;
        m.u.fec_info.order = UFT_FEC_INTERLEAVED;
        m.u.fec_info.m = s->cfg.fec_m;
        return uft_srv_finish_tx(s, &m, buf, cap, tx, UFT_DST_PRIVATE);
    }
    if (!hash_due(s)) {
        f->owe_hash = false;
        return 0;
    }
    f->owe_hash = false;
    uft_srv_fill_hdr(s, &m, UFT_FILE_HASH);
    m.u.file_hash.file_id = s->file_id;
    m.u.file_hash.hashtype = UFT_HASH_SHA256;
    m.u.file_hash.hash.p = f->hash;
    m.u.file_hash.hash.len = sizeof f->hash;
    return uft_srv_finish_tx(s, &m, buf, cap, tx, UFT_DST_PRIVATE);
}
