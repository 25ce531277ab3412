/*
 * Internals of the client, shared by client.c (sessions) and client_sec.c
 * (encryption). Not a public interface.
 */
#ifndef UFT_CLIENT_INT_H
#define UFT_CLIENT_INT_H

#include "core/client.h"
#include "core/layout.h"
#include "core/msg.h"
#include "core/secure.h"
#include "core/tfmcc.h"

struct uft_csec;

#define MAX_PENDING_ABORTS 16

enum cphase { C_FREE = 0, C_REGISTERED, C_MIDGROUP, C_RECEIVING, C_FINAL };

struct csession {
    enum cphase phase;
    uint8_t version;
    uint32_t group_id, server_id;
    uint8_t inst, robust, flags;
    uint16_t block_len;
    uint16_t seq;
    bool seq_seen;
    uint16_t max_seq;
    struct uft_peer server;
    uint8_t priv[16];
    bool v6, joined;
    uft_ts grtt, last_rx, start;

    /* REGISTER */
    uint64_t echo_us; /* server timestamp being echoed */
    uft_ts echo_rx;   /* when it arrived */
    uft_ts next_register, giveup_at;
    bool owe_register;

    /* the current file */
    uint16_t file_id;
    char file_name[1024]; /* the current file's name as the server sent it */
    uint8_t ftype;
    struct uft_layout lay;
    void *handle;
    uint8_t *got;
    uint32_t got_count;
    uint8_t status; /* COMPLETE status to report */
    bool partial;   /* resumed: some blocks came from an earlier session */
    bool file_done, have_free;
    uint64_t free_bytes;
    bool owe_ack, owe_complete;
    uint64_t fi_echo_us;
    uft_ts fi_rx;

    /* NAK reporting */
    uint32_t top_section;      /* highest section seen so far + 1 */
    uint32_t reported;         /* sections below this were reported (new-section trigger) */
    uint32_t nak_from, nak_to; /* report sections [nak_from, nak_to] when nak_at passes */
    uft_ts nak_at;
    bool status_owed;
    uint32_t status_cursor;

    /* end of session */
    bool owe_final;
    uft_ts final_resend, final_giveup;

    /* encryption (UFTP 5): set up at the ANNOUNCE, keyed at KEYINFO */
    struct uft_csec *sec;
    bool owe_kiack;
    bool owe_ckey; /* CLIENT_KEY after each REGISTER */

    /* TFMCC feedback (cc_type == UFT_CC_TFMCC) */
    uint8_t cc_type;
    struct uft_tfmcc_rx *cc;
    int64_t gsize;
    bool owe_cc_ack;
};

struct pending_abort {
    uint8_t version;
    uint32_t group_id;
    uint8_t inst;
    struct uft_peer peer;
    char text[80];
};

struct uft_client {
    struct uft_client_cfg cfg;
    struct uft_client_ops ops;
    struct csession *sess;
    struct pending_abort aborts[MAX_PENDING_ABORTS];
    size_t n_aborts;
    uint8_t *scratch;
    uint8_t *plain; /* decrypted datagram bodies */
    void *signkey;  /* for client authentication: cfg's, or an ephemeral one */
    bool own_signkey;
    struct uft_client_stats st;
};

/* Encryption glue (client_sec.c). */
/* An encrypted ANNOUNCE: verify it (and, when want_fp is not NULL, that
 * the server's signing key has that SHA-1 fingerprint) and prepare our
 * key share. 0, or a negative uft_err with *why set (the session is
 * refused). */
int uft_csec_announce(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                      const uint8_t *pkt, size_t len, const uint8_t *want_fp, const char **why);
/* Client authentication: whether this session sends CLIENT_KEY, and the
 * sealed CLIENT_KEY datagram (header fields from hdr). */
bool uft_csec_wants_client_key(const struct csession *s);
ssize_t uft_csec_client_key(struct uft_client *c, struct csession *s, const struct uft_msg *hdr,
                            uint8_t *buf, size_t cap);
/* Our key share for the REGISTER. */
void uft_csec_register(const struct csession *s, struct uft_msg *m);
/* A KEYINFO: our group master, if it lists us. 1 when keyed now, 0 when
 * not for us or a repeat, negative on a bad one. */
int uft_csec_keyinfo(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                     const uint8_t *pkt, size_t len);
/* The KEYINFO_ACK body. */
void uft_csec_keyinfo_ack(const struct csession *s, struct uft_msg *m);
/* Decrypt an ENCRYPTED datagram from the server into inner (its body in
 * buf). 0 or negative (dropped). */
int uft_csec_open(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                  const uint8_t *pkt, size_t len, uint8_t *buf, size_t cap, struct uft_msg *inner);
/* Encrypt a reply into buf; its datagram length or negative. */
ssize_t uft_csec_seal(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                      uint8_t *buf, size_t cap);
bool uft_csec_keyed(const struct csession *s);
void uft_csec_free(struct uft_client *c, struct csession *s);

#endif
