/*
 * Internals shared by the message codec files (msg.c, msg_setup.c,
 * msg_xfer.c, msg_describe.c). Not part of any public interface.
 *
 * Each body decoder gets a reader over the whole body (from the function
 * byte to the end of the datagram or plaintext) and the protocol version;
 * each body encoder appends the body to a writer.
 */
#ifndef UFT_MSG_INT_H
#define UFT_MSG_INT_H

#include "core/msg.h"

typedef int (*uft_body_dec)(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
typedef int (*uft_body_enc)(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);

/* Start of a body: read the function byte (must be func) and the header
 * length; check hlen*4 >= fixed and hlen*4 <= the body. *hbytes is
 * hlen*4, counted from the function byte. */
int uft_msgi_begin(struct uft_rd *r, uint8_t func, size_t fixed, size_t *hbytes);

/* Extensions from the reader's position up to hbytes. If the first one is
 * of type want (0: none wanted), *known covers it (known->len = 0 when
 * absent); every remaining byte goes to *rest, which must be a chain of
 * well-formed extensions. The reader ends at hbytes. */
int uft_msgi_exts(struct uft_rd *r, size_t hbytes, uint8_t want, struct uft_rd *known,
                  struct uft_bytes *rest);

/* The trailing ID list: the rest of the body, a multiple of 4 bytes. */
int uft_msgi_ids(struct uft_rd *r, struct uft_ids *ids);

/* Nothing may follow the header of a message that has no body. */
int uft_msgi_end(const struct uft_rd *r);

/* Encoder side: write the function byte and a placeholder header length;
 * *start remembers where the body began. */
int uft_msgi_enc_begin(struct uft_wr *w, uint8_t func, size_t *start);

/* Patch the header length now that the header (and its extensions) is
 * written: UFT_E_VALUE unless it is a multiple of 4 and below 1024. */
int uft_msgi_enc_hlen(struct uft_wr *w, size_t start);

int uft_msgi_enc_bytes(struct uft_wr *w, struct uft_bytes b);
int uft_msgi_enc_ids(struct uft_wr *w, struct uft_ids ids);

/* A length that must fit a 16-bit field. */
int uft_msgi_len16(size_t len, uint16_t *out);

/* Known extensions: decode from a sub-reader covering exactly one
 * extension, encode one extension. */
int uft_msgi_dec_tfmcc_ack(struct uft_rd *x, struct uft_ext_tfmcc_ack *a);
int uft_msgi_enc_tfmcc_ack(struct uft_wr *w, const struct uft_ext_tfmcc_ack *a);

/* Body codecs, one pair per message type (msg_setup.c, msg_xfer.c). */
int uft_msgi_dec_announce(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_announce(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_register(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_register(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_client_key(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_client_key(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_reg_conf(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_reg_conf(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_keyinfo(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_keyinfo(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_keyinfo_ack(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_keyinfo_ack(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_hb_req(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_hb_req(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_hb_resp(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_hb_resp(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_key_req(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_key_req(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_proxy_key(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_proxy_key(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);

int uft_msgi_dec_fileinfo(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_fileinfo(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_fileinfo_ack(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_fileinfo_ack(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_fileseg(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_fileseg(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_done(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_done(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_status(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_status(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_complete(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_complete(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_done_conf(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_done_conf(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_abort(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_abort(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_cong_ctrl(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_cong_ctrl(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_cc_ack(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_cc_ack(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_fec_info(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_fec_info(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_fec_hello(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_fec_hello(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_fec_parity(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_fec_parity(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);
int uft_msgi_dec_file_hash(uint8_t ver, struct uft_rd *r, struct uft_msg *m);
int uft_msgi_enc_file_hash(uint8_t ver, struct uft_wr *w, const struct uft_msg *m);

#endif
