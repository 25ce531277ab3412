/*
 * Every UFTP message of protocol versions 5 (0x50) and 4 (0x40), decoded
 * into plain C structs and encoded back, byte for byte.
 *
 * Ownership: decoded messages borrow. Every struct uft_bytes, struct
 * uft_ids and similar view inside a decoded message points into the buffer
 * that was decoded; keep that buffer alive while the message is used. To
 * encode, fill the struct (views may point anywhere) and call an encoder.
 *
 * Decoding order (STYLE.md): length and version first, then the message
 * type and the fixed part, then every length field against what is there.
 * Nothing is ever cast onto packet memory.
 *
 * Canonical form: reserved fields are ignored on input and written as 0;
 * names and the ABORT text are taken up to their first NUL and written back
 * with the shortest NUL padding, exactly as UFTP writes them. A packet that
 * the real programs send therefore re-encodes to the same bytes.
 *
 * Extensions: as in UFTP, only the first extension of a message is looked
 * at. If its type is the one that message can carry, it is decoded into the
 * has_x/x fields; every other extension byte is kept verbatim in ext_rest
 * (checked to be a well-formed chain of type/length words) and re-encoded
 * after the known one.
 *
 * Version differences (v4 = 0x40) handled here: the ENCRYPTED signature
 * field, the v4 PROXY_KEY nonce, KEY_REQ (v4 only), and the meaning (not the
 * layout) of timestamps, the EXT_ENC_INFO key-exchange/signature byte, the
 * KEYINFO signature length and the FILEINFO high timestamp word. See
 * uft_msg_tstamp_us() for the timestamp meanings.
 */
#ifndef UFT_MSG_H
#define UFT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/wire.h"

enum { UFT_VER4 = 0x40, UFT_VER5 = 0x50 };

enum {
    UFT_HDR_LEN = 16,
    UFT_ENC_HDR_LEN = 12,
    UFT_RAND_LEN = 32,
    UFT_ENC_MASTER_LEN = 48,
    UFT_DESTKEY_LEN = 52,
    UFT_CC_ITEM_LEN = 8,
    UFT_ABORT_TEXT_LEN = 300,
    UFT_ID_LEN = 4,
};

enum uft_func {
    UFT_ANNOUNCE = 1,
    UFT_REGISTER = 2,
    UFT_CLIENT_KEY = 3,
    UFT_REG_CONF = 4,
    UFT_KEYINFO = 5,
    UFT_KEYINFO_ACK = 6,
    UFT_FILEINFO = 7,
    UFT_FILEINFO_ACK = 8,
    UFT_FILESEG = 9,
    UFT_DONE = 10,
    UFT_STATUS = 11,
    UFT_COMPLETE = 12,
    UFT_DONE_CONF = 13,
    UFT_HB_REQ = 14,
    UFT_HB_RESP = 15,
    UFT_KEY_REQ = 16, /* v4 only */
    UFT_PROXY_KEY = 17,
    UFT_ENCRYPTED = 18,
    UFT_ABORT = 19,
    UFT_CONG_CTRL = 20,
    UFT_CC_ACK = 21,
    UFT_FUNC_MAX = 21,
    /* ufcast's own types (docs/protocol-notes.md, "FEC and file hashes"):
     * UFTP 4 and 5 drop a datagram of a type they do not know, so a plain
     * peer never acts on them. */
    UFT_FEC_INFO = 40,   /* S->private: this file gets parity and/or a hash */
    UFT_FEC_HELLO = 41,  /* C->S: I decode parity and check hashes */
    UFT_FEC_PARITY = 42, /* S->private: one parity row of one group */
    UFT_FILE_HASH = 43,  /* S->private: the file's SHA-256 */
    UFT_FUNC_EXT_MAX = 43,
};

enum uft_ext_type {
    UFT_EXT_ENC_INFO = 1,
    UFT_EXT_TFMCC_DATA_INFO = 2,
    UFT_EXT_TFMCC_ACK_INFO = 3,
    UFT_EXT_PGMCC_DATA_INFO = 4, /* defined by UFTP, never sent */
    UFT_EXT_PGMCC_NAK_INFO = 5,
    UFT_EXT_PGMCC_ACK_INFO = 6,
    UFT_EXT_FREESPACE_INFO = 7,
};

/* ANNOUNCE flags */
enum { UFT_ANN_SYNC = 0x01, UFT_ANN_PREVIEW = 0x02, UFT_ANN_IPV6 = 0x04 };
/* EXT_ENC_INFO flags */
enum { UFT_ENC_CLIENT_AUTH = 0x01 };
/* FILEINFO_ACK flags */
enum { UFT_FIACK_PARTIAL = 0x01 };
/* ABORT flags */
enum { UFT_ABORT_CURFILE = 0x01 };
/* CONG_CTRL item and TFMCC ack flags */
enum { UFT_CC_CLR = 0x01, UFT_CC_RTT = 0x02, UFT_CC_START = 0x04, UFT_CC_LEAVE = 0x08 };

/* Symmetric key types (3/4 are v4's AES-CBC). */
enum uft_keytype {
    UFT_KEY_NONE = 0,
    UFT_KEY_AES128_CBC = 3,
    UFT_KEY_AES256_CBC = 4,
    UFT_KEY_AES128_GCM = 5,
    UFT_KEY_AES256_GCM = 6,
    UFT_KEY_AES128_CCM = 7,
    UFT_KEY_AES256_CCM = 8,
};
/* Hash types (2 = SHA-1: v4 and fingerprints only). */
enum uft_hashtype {
    UFT_HASH_NONE = 0,
    UFT_HASH_SHA1 = 2,
    UFT_HASH_SHA256 = 3,
    UFT_HASH_SHA384 = 4,
    UFT_HASH_SHA512 = 5,
};
/* v4 signature types (low nibble of EXT_ENC_INFO byte 3). */
enum { UFT_SIG_NONE = 0, UFT_SIG_HMAC = 1, UFT_SIG_KEYEX = 2, UFT_SIG_AUTHENC = 3 };
/* v4 key exchange types (high nibble of EXT_ENC_INFO byte 3). */
enum { UFT_KEYEX_NONE = 0, UFT_KEYEX_RSA = 1, UFT_KEYEX_ECDH_RSA = 2, UFT_KEYEX_ECDH_ECDSA = 3 };
enum { UFT_BLOB_RSA = 1, UFT_BLOB_EC = 2 };
enum { UFT_CURVE_P256 = 23, UFT_CURVE_P384 = 24, UFT_CURVE_P521 = 25 };
enum { UFT_CC_NONE = 0, UFT_CC_UFTP3 = 1, UFT_CC_TFMCC = 2, UFT_CC_PGMCC = 3 };
enum uft_ftype {
    UFT_FTYPE_REG = 0,
    UFT_FTYPE_DIR = 1,
    UFT_FTYPE_LINK = 2,
    UFT_FTYPE_DELETE = 3,
    UFT_FTYPE_FREESPACE = 4,
};
enum uft_comp_status {
    UFT_COMP_NORMAL = 0,
    UFT_COMP_SKIPPED = 1,
    UFT_COMP_OVERWRITE = 2,
    UFT_COMP_REJECTED = 3,
};
enum { UFT_HB_AUTH_FAILED = 0, UFT_HB_AUTH_OK = 1, UFT_HB_AUTH_CHALLENGE = 2 };

/* A borrowed run of bytes. */
struct uft_bytes {
    const uint8_t *p;
    size_t len;
};

/* A borrowed list of n big-endian 32-bit IDs (4*n bytes at p). */
struct uft_ids {
    const uint8_t *p;
    size_t n;
};

/* The 16-byte common header. */
struct uft_hdr {
    uint8_t version;
    uint8_t func;
    uint16_t seq;
    uint32_t src_id;
    uint32_t group_id;
    uint8_t group_inst;
    uint8_t grtt;  /* quantized, see quant.h */
    uint8_t gsize; /* quantized, see quant.h */
};

/* Extension EXT_ENC_INFO (in ANNOUNCE). */
struct uft_ext_enc_info {
    uint8_t flags;
    uint8_t keyex_sig; /* v4: keyextype << 4 | sigtype; v5: 0 */
    uint8_t keytype;
    uint8_t hashtype;
    uint8_t rand1[UFT_RAND_LEN];
    struct uft_bytes keyblob; /* server signing key blob */
    struct uft_bytes dhblob;  /* server ECDH key blob */
    struct uft_bytes sig;     /* signature over the packet */
};

/* Extension EXT_TFMCC_DATA_INFO (in FILESEG). Rates are quantized. */
struct uft_ext_tfmcc_data {
    uint16_t send_rate;
    uint16_t cc_seq;
    uint16_t cc_rate;
};

/* Extension EXT_TFMCC_ACK_INFO (in STATUS and CC_ACK). */
struct uft_ext_tfmcc_ack {
    uint8_t flags;
    uint16_t cc_seq;
    uint16_t cc_rate;
    uint32_t client_id;
    uint32_t tstamp_hi;
    uint32_t tstamp_lo;
};

/* Extension EXT_FREESPACE_INFO (in COMPLETE). */
struct uft_ext_freespace {
    uint64_t free_bytes;
};

struct uft_announce {
    uint8_t flags; /* UFT_ANN_*; UFT_ANN_IPV6 selects 16-byte addresses */
    uint8_t robust;
    uint8_t cc_type;
    uint16_t blocksize;
    uint32_t tstamp_hi, tstamp_lo;
    uint8_t pub_addr[16];  /* first 4 bytes used for IPv4 */
    uint8_t priv_addr[16]; /* first 4 bytes used for IPv4 */
    bool has_enc;
    struct uft_ext_enc_info enc;
    struct uft_bytes ext_rest;
    struct uft_ids ids; /* closed group: clients allowed to register */
};

struct uft_register {
    uint32_t tstamp_hi, tstamp_lo;
    uint8_t rand2[UFT_RAND_LEN];
    struct uft_bytes keyinfo; /* ECDH blob; v4 may carry an RSA-encrypted premaster */
    struct uft_bytes ext_rest;
    struct uft_ids ids; /* from a proxy: the clients it registers */
};

struct uft_client_key {
    struct uft_bytes keyblob;
    struct uft_bytes sig;
    struct uft_bytes ext_rest;
};

struct uft_reg_conf {
    struct uft_bytes ext_rest;
    struct uft_ids ids;
};

/* A borrowed list of n KEYINFO entries: {ID 4, encrypted group master 48}. */
struct uft_destkeys {
    const uint8_t *p;
    size_t n;
};

struct uft_keyinfo {
    uint64_t iv_ctr;
    struct uft_bytes sig; /* v4 has no signature: always empty */
    struct uft_bytes ext_rest;
    struct uft_destkeys keys;
};

struct uft_keyinfo_ack {
    uint16_t verify_len_field; /* as on the wire; UFTP 5 always sends 0 */
    struct uft_bytes verify;   /* hlen*4 - 4 bytes (v4: 12) */
};

struct uft_fileinfo {
    uint16_t file_id;
    uint8_t ftype;
    uint16_t ftstamp_hi; /* v5: bits 32..47 of the mtime; v4: reserved */
    uint32_t ftstamp_lo;
    uint64_t fsize; /* 48 bits on the wire */
    uint32_t tstamp_hi, tstamp_lo;
    struct uft_bytes name; /* without NUL padding */
    struct uft_bytes link; /* without NUL padding; empty unless a link */
    struct uft_ids ids;
};

struct uft_fileinfo_ack {
    uint16_t file_id;
    uint8_t flags;
    uint32_t tstamp_hi, tstamp_lo;
    struct uft_bytes ext_rest;
    struct uft_ids ids;
};

struct uft_fileseg {
    uint16_t file_id;
    uint16_t section;
    uint16_t sec_block;
    bool has_tfmcc;
    struct uft_ext_tfmcc_data tfmcc;
    struct uft_bytes ext_rest;
    struct uft_bytes data;
};

struct uft_done {
    uint16_t file_id; /* 0: end of session */
    uint16_t section;
    struct uft_bytes ext_rest;
    struct uft_ids ids;
};

struct uft_status {
    uint16_t file_id;
    uint16_t section;
    bool has_tfmcc;
    struct uft_ext_tfmcc_ack tfmcc;
    struct uft_bytes ext_rest;
    struct uft_bytes naks; /* bitmap, bit i = byte i>>3, mask 1<<(i&7) */
};

struct uft_complete {
    uint16_t file_id;
    uint8_t status; /* enum uft_comp_status */
    bool has_freespace;
    struct uft_ext_freespace freespace;
    struct uft_bytes ext_rest;
    struct uft_ids ids;
};

struct uft_done_conf {
    struct uft_bytes ext_rest;
    struct uft_ids ids;
};

struct uft_hb_req {
    uint32_t nonce;
    struct uft_bytes keyblob;
    struct uft_bytes sig;
    struct uft_bytes ext_rest;
};

struct uft_hb_resp {
    uint8_t auth; /* UFT_HB_AUTH_* */
    uint32_t nonce;
    struct uft_bytes ext_rest;
};

struct uft_key_req {
    struct uft_bytes ext_rest;
};

struct uft_proxy_key {
    uint32_t nonce; /* v4 only */
    struct uft_bytes keyblob;
    struct uft_bytes dhblob;
    struct uft_bytes sig;
    struct uft_bytes ext_rest;
};

struct uft_abort {
    uint8_t flags;
    uint32_t host;         /* client ID, 0 = everyone */
    struct uft_bytes text; /* up to the first NUL, at most 300 bytes */
};

/* A borrowed list of n CONG_CTRL items of 8 bytes each. */
struct uft_cc_items {
    const uint8_t *p;
    size_t n;
};

struct uft_cc_item {
    uint32_t id;
    uint8_t flags;
    uint8_t rtt; /* quantized like the GRTT */
};

struct uft_cong_ctrl {
    uint16_t cc_seq;
    uint16_t cc_rate;
    uint32_t tstamp_hi, tstamp_lo;
    struct uft_bytes ext_rest;
    struct uft_cc_items items;
};

struct uft_cc_ack {
    bool has_tfmcc;
    struct uft_ext_tfmcc_ack tfmcc;
    struct uft_bytes ext_rest;
};

/* FEC_INFO / FEC_HELLO flags */
enum { UFT_FECF_PARITY = 0x01, UFT_FECF_HASH = 0x02 };
enum { UFT_FILE_HASH_LEN = 32 }; /* SHA-256 */

/* FEC_INFO: sent after each FILEINFO of a regular file. k and order give
 * the groups of every section (uft_fec_layout_init); m is how many parity
 * rows per group the first pass sends (0: only on demand). */
struct uft_fec_info {
    uint16_t file_id;
    uint8_t flags; /* UFT_FECF_* the server will send for this file */
    uint8_t k;     /* 1..255 */
    uint8_t order; /* enum uft_fec_order */
    uint8_t m;
};

/* FEC_HELLO: a client's answer to FEC_INFO, after its FILEINFO_ACK. */
struct uft_fec_hello {
    uint16_t file_id;
    uint8_t flags; /* UFT_FECF_* it takes */
};

/* FEC_PARITY: parity row `row` of group `group` of a section; data is
 * one full block (the session's block size). */
struct uft_fec_parity {
    uint16_t file_id;
    uint16_t section;
    uint8_t k, order;
    uint32_t group;
    uint8_t row;
    struct uft_bytes data;
};

/* FILE_HASH: the SHA-256 of a whole file, before its DONE. */
struct uft_file_hash {
    uint16_t file_id;
    uint8_t hashtype; /* UFT_HASH_SHA256 */
    struct uft_bytes hash;
};

/* The ENCRYPTED wrapper. payload is the AEAD ciphertext and tag. */
struct uft_encrypted {
    uint64_t iv_ctr;
    uint16_t v5_reserved; /* v5: the unused field, kept as received */
    struct uft_bytes sig; /* v4 only: HMAC or signature before the payload */
    struct uft_bytes payload;
};

/* One decoded message: header plus the body selected by hdr.func. */
struct uft_msg {
    struct uft_hdr hdr;
    union {
        struct uft_announce announce;
        struct uft_register reg;
        struct uft_client_key client_key;
        struct uft_reg_conf reg_conf;
        struct uft_keyinfo keyinfo;
        struct uft_keyinfo_ack keyinfo_ack;
        struct uft_fileinfo fileinfo;
        struct uft_fileinfo_ack fileinfo_ack;
        struct uft_fileseg fileseg;
        struct uft_done done;
        struct uft_status status;
        struct uft_complete complete;
        struct uft_done_conf done_conf;
        struct uft_hb_req hb_req;
        struct uft_hb_resp hb_resp;
        struct uft_key_req key_req;
        struct uft_proxy_key proxy_key;
        struct uft_encrypted encrypted;
        struct uft_abort abort;
        struct uft_cong_ctrl cong_ctrl;
        struct uft_cc_ack cc_ack;
        struct uft_fec_info fec_info;
        struct uft_fec_hello fec_hello;
        struct uft_fec_parity fec_parity;
        struct uft_file_hash file_hash;
    } u;
};

/* Name of a message type ("ANNOUNCE"), or "UNKNOWN". */
const char *uft_msg_name(unsigned func);

/* True when version is 0x40 or 0x50. */
bool uft_msg_version_ok(unsigned version);

/* Decode / encode the 16-byte common header. Decoding checks the length
 * and the version byte (UFT_E_TRUNC, UFT_E_VERSION). */
int uft_hdr_decode(const uint8_t *pkt, size_t len, struct uft_hdr *h);
int uft_hdr_encode(struct uft_wr *w, const struct uft_hdr *h);

/* Decode a whole datagram (header and body). For an ENCRYPTED packet only
 * the wrapper is decoded: the inner message is decoded with
 * uft_msg_decode_body() once decrypted. Returns 0 or a negative uft_err;
 * on error *m is unspecified. */
int uft_msg_decode(const uint8_t *pkt, size_t len, struct uft_msg *m);

/* Decode a message body that starts at its function byte (an ENCRYPTED
 * payload once decrypted, or the bytes after a header), for protocol
 * version ver. Sets m->hdr.func and m->hdr.version; the other header
 * fields are zeroed. func 18 (ENCRYPTED) has no body of this form. */
int uft_msg_decode_body(uint8_t ver, const uint8_t *body, size_t len, struct uft_msg *m);

/* Encode m (header from m->hdr, body by m->hdr.func) into buf. Returns the
 * datagram length, or UFT_E_NOSPACE / UFT_E_VALUE / UFT_E_TYPE. */
ssize_t uft_msg_encode(const struct uft_msg *m, uint8_t *buf, size_t cap);

/* Encode only the body of m (from its function byte), as it goes into an
 * ENCRYPTED payload. Not for func 18. */
ssize_t uft_msg_encode_body(const struct uft_msg *m, uint8_t *buf, size_t cap);

/* Timestamps: v5 carries one 64-bit microsecond count since the epoch
 * (hi:lo); v4 carries seconds in hi and microseconds in lo. */
uint64_t uft_msg_tstamp_us(uint8_t ver, uint32_t hi, uint32_t lo);
void uft_msg_tstamp_set(uint8_t ver, uint64_t us, uint32_t *hi, uint32_t *lo);

/* List accessors; i must be below the list's n (asserted). */
uint32_t uft_ids_get(const struct uft_ids *ids, size_t i);
uint32_t uft_destkeys_id(const struct uft_destkeys *k, size_t i);
const uint8_t *uft_destkeys_master(const struct uft_destkeys *k, size_t i);
struct uft_cc_item uft_cc_items_get(const struct uft_cc_items *items, size_t i);

/* Render a decoded message as one line of "key=value" words (for logs,
 * the dump tool and tests). Always NUL-terminates when cap > 0; returns
 * the length it wanted, like snprintf. Bytes that are not printable ASCII
 * in names and texts are written as \xHH. */
size_t uft_msg_describe(const struct uft_msg *m, char *buf, size_t cap);

#endif
