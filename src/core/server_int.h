/*
 * Internals of the server session, shared by server.c (phases, packets),
 * server_cc.c (TFMCC) and server_proxy.c (clients behind proxies). Not a
 * public interface.
 */
#ifndef UFT_SERVER_INT_H
#define UFT_SERVER_INT_H

#include "core/layout.h"
#include "core/msg.h"
#include "core/server.h"
#include "core/tfmcc.h"

#define MAX_DESTS  100000
#define MAX_ABORTS 32

enum dstate { D_MUTE, D_REGISTERED, D_ACTIVE, D_ACTIVE_NAK, D_DONE, D_LOST, D_ABORT };
enum phase { PH_ANNOUNCE, PH_FILEINFO, PH_DATA, PH_COMPLETION, PH_FINISHED };
/* Lists the transmit plan can owe, in the order they go out. */
enum txlist { TX_REG_CONF, TX_FILEINFO, TX_DONE_CONF, TX_DONE, TX_ANNOUNCE, TX_LISTS };

struct dest {
    uint32_t id;
    uint8_t state;
    uint8_t status; /* COMPLETE status of the current file */
    bool conf_sent; /* REG_CONF already sent for its last REGISTER */
    bool rtt_measured;
    bool final_done;       /* its COMPLETE for the whole session arrived */
    bool doneconf_owed;    /* a DONE_CONF is owed for that COMPLETE */
    bool got_file;         /* received at least one file */
    bool rtt_sent;         /* its RTT went out in a CONG_CTRL this round */
    bool partial;          /* it holds part of the current file already */
    bool is_proxy;         /* a proxy answering for clients; never a receiver */
    bool fec_ok;           /* sent FEC_HELLO for the current file (server_fec.c) */
    uint32_t via;          /* a client behind a proxy: that proxy's index + 1; 0 = direct */
    struct uft_sdest *sec; /* its keys, in an encrypted session */
    const uint8_t *fp;     /* its key's expected SHA-1 fingerprint (cfg), or NULL */
    uint16_t nak_exceed;
    uft_ts rtt;
    struct uft_peer peer;
};

struct pending_abort {
    uint32_t host;
    bool to_peer;
    struct uft_peer peer;
    char text[80];
};

struct uft_server {
    struct uft_server_cfg cfg;
    struct uft_server_file *files;
    size_t n_files;
    struct uft_server_ops ops;

    struct dest *dests;
    size_t n_dests, cap_dests;
    uint32_t *slots; /* open-addressing index: id -> dest index + 1 */
    size_t n_slots;
    bool open_group;

    enum phase phase;
    uft_ts grtt, gap;
    bool grtt_set;
    uint16_t seq;
    unsigned attempt;
    uft_ts round_at;
    bool late_wait;

    bool owed[TX_LISTS];
    size_t cursor[TX_LISTS];
    bool sent_any[TX_LISTS];
    uint8_t *idbuf;

    /* the current file */
    size_t file_idx;
    uint16_t file_id;
    struct uft_layout lay;
    uint8_t *naks;
    uint32_t block;
    bool end_of_pass;
    uint32_t pass;
    uft_ts next_data, rewind_at, done_at, file_start;
    uft_ts pass_start, pass_end; /* when this pass began and sent its last block */
    uft_ts max_time;             /* -W limit for the current file, 0 = none */
    bool file_offered;           /* the current file went out: judge its end (file_failed) */
    unsigned done_attempts;
    uint8_t *blockbuf;

    /* -R -1 pacing (server_pace.c) */
    struct pace_sec *pace; /* per section of the current file, this pass */
    uint32_t pace_sec;     /* section of the last block sent */
    int64_t pace_cap;      /* learned rate, bytes/s; 0 = unpaced */

    /* TFMCC (cfg.cc_type == UFT_CC_TFMCC) */
    struct uft_tfmcc_tx cc;
    uft_ts adv_grtt_cc; /* grows within a feedback round, reset at its end */
    uft_ts next_cc;     /* next CONG_CTRL */
    bool cc_owed;
    uint32_t packet_size;

    struct uft_ssec *sec; /* encryption state, NULL when unencrypted */
    struct uft_sfec *fec; /* FEC and file hashes (server_fec.c), NULL when off */

    struct pending_abort aborts[MAX_ABORTS];
    size_t n_aborts;

    bool finished;
    int exit_code;
    struct uft_server_stats st;
};

struct uft_ssec;
struct uft_sdest;

/* Encryption (server_sec.c). */
int uft_ssec_init(struct uft_server *s);
void uft_ssec_free(struct uft_server *s);
/* Fill the ANNOUNCE's EXT_ENC_INFO (signature zeroed). */
void uft_ssec_announce(struct uft_server *s, struct uft_msg *m);
/* Sign an encoded ANNOUNCE in place. */
int uft_ssec_sign_announce(struct uft_server *s, uint8_t *pkt, size_t len);
/* A REGISTER with a key share: derive that client's keys. */
int uft_ssec_register(struct uft_server *s, struct dest *d, const struct uft_msg *m);
/* The next KEYINFO for clients that await the group keys; 0 when none. */
ssize_t uft_ssec_pull_keyinfo(struct uft_server *s, uint8_t *buf, size_t cap, struct uft_tx *tx);
/* A round's KEYINFO: every client that awaits the group keys. */
void uft_ssec_owe_keyinfo(struct uft_server *s);
/* A KEYINFO for d, which just registered (or registered again: its keys
 * were lost), listing only the clients that registered since the last
 * one: a burst of registrations costs each client one KEYINFO and one
 * KEYINFO_ACK, not one per later registration. */
void uft_ssec_owe_keyinfo_for(struct uft_server *s, struct dest *d);
bool uft_ssec_keyinfo_owed(const struct uft_server *s);
/* KEYINFO_ACK: true when its verify data matches. */
/* A CLIENT_KEY: 0 when its signature over Ctx1 verifies (and its key
 * matches d->fp if set); the client's application keys then follow from
 * Ctx2. Else a negative uft_err with *why for the log and ABORT. */
int uft_ssec_client_key(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                        const char **why);
bool uft_ssec_check_ack(struct uft_server *s, struct dest *d, const struct uft_msg *m);
/* Open a client's ENCRYPTED datagram. */
int uft_ssec_open(struct uft_server *s, struct dest *d, const struct uft_msg *m, const uint8_t *pkt,
                  struct uft_msg *inner);
/* Seal an encoded datagram in buf (len bytes) in place: the new length. */
ssize_t uft_ssec_seal(struct uft_server *s, uint8_t *buf, size_t len, size_t cap);

/* Shared helpers (server.c). */
uft_ts uft_srv_adv_grtt(const struct uft_server *s);
void uft_srv_fill_hdr(struct uft_server *s, struct uft_msg *m, uint8_t func);
ssize_t uft_srv_finish_tx(struct uft_server *s, const struct uft_msg *m, uint8_t *buf, size_t cap,
                          struct uft_tx *tx, enum uft_dst dst);
uint64_t uft_srv_wall_us(const struct uft_server *s, uft_ts now);
void uft_srv_log(struct uft_server *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool uft_srv_failed(const struct dest *d);
void uft_srv_lose_active(struct uft_server *s, uft_ts now, const char *why);
void uft_srv_recalc_grtt(struct uft_server *s);
struct dest *uft_srv_find_dest(struct uft_server *s, uint32_t id);
/* A new destination in MUTE; NULL when the table is full. */
struct dest *uft_srv_add_dest(struct uft_server *s, uint32_t id);
/* Queue an ABORT for host (0 = everyone): to peer when given, else to the
 * private group. */
void uft_srv_queue_abort(struct uft_server *s, uint32_t host, const struct uft_peer *peer,
                         const char *text);
void uft_srv_client_event(struct uft_server *s, enum uft_ev_type type, const struct dest *d,
                          int status, const char *text, uft_ts now);
/* Start sending a list again from its first entry (REG_CONF only once per
 * REGISTER, see list_takes). */
void uft_srv_owe_reg_conf(struct uft_server *s);
/* The echoed timestamp of a REGISTER or FILEINFO_ACK gives d's RTT. */
void uft_srv_measure_rtt(struct uft_server *s, struct dest *d, uint32_t hi, uint32_t lo,
                         uft_ts now);
/* A COMPLETE for client d (its own, or a proxy's listing it). */
void uft_srv_complete(struct uft_server *s, struct dest *d, const struct uft_complete *c,
                      uft_ts now);
/* d aborted the session (its own ABORT, or its proxy's for it). */
void uft_srv_aborted(struct uft_server *s, struct dest *d, const char *text, uft_ts now);

/* Proxies (server_proxy.c). */
/* d sent a REGISTER listing clients: true when it may speak for them (a
 * -j proxy, or anyone in an open group, who then becomes a proxy); else
 * it is aborted. */
bool uft_srv_proxy_claim(struct uft_server *s, struct dest *d, const struct uft_peer *from,
                         uft_ts now);
/* The clients listed in a proxy's REGISTER: added (open group) or looked
 * up (closed group; strangers get "Not in host list"), marked as behind
 * p and active; their REG_CONF goes out once p is active. */
void uft_srv_proxy_register(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                            const struct uft_peer *from, uft_ts now);
void uft_srv_proxy_fileinfo_ack(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                                uft_ts now);
void uft_srv_proxy_complete(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                            uft_ts now);
void uft_srv_proxy_abort(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                         const char *text, uft_ts now);
/* p failed (state D_LOST or D_ABORT): so does every client behind it
 * that has not finished the session. */
void uft_srv_proxy_fail(struct uft_server *s, struct dest *p, uint8_t state, const char *why,
                        uft_ts now);
/* End of the announce phase: clients whose proxy never became active are
 * lost with it. */
void uft_srv_proxy_end_announce(struct uft_server *s, uft_ts now);
/* REG_CONF for d now? In an encrypted session only clients behind an
 * active proxy get one (they hold no keys of ours). */
bool uft_srv_proxy_conf_due(const struct uft_server *s, const struct dest *d);

/* A data or parity packet went out at now: when the next is due (server.c). */
void uft_srv_paced(struct uft_server *s, uft_ts now);

/* -R -1 pacing (server_pace.c): learn from NAKs how fast the slowest
 * receiver takes data in, and pace there. */
bool uft_srv_pace_on(const struct uft_server *s);
void uft_srv_pace_file(struct uft_server *s);
void uft_srv_pace_pass(struct uft_server *s);
void uft_srv_pace_sent(struct uft_server *s, uint32_t sec, uft_ts now);
void uft_srv_pace_naks(struct uft_server *s, uint32_t sec, uint32_t naks);

/* FEC and file hashes (server_fec.c). Every hook is a no-op when neither
 * cfg.fec_k nor ops.hash_new is set, so server.c calls them unguarded. */
int uft_srv_fec_init(struct uft_server *s);
void uft_srv_fec_free(struct uft_server *s);
/* The data of a regular file starts (start_data): per-file state. */
void uft_srv_fec_file(struct uft_server *s);
/* A FILEINFO round went out: FEC_INFO follows it. */
void uft_srv_fec_owe_info(struct uft_server *s);
/* d's FEC_HELLO. */
void uft_srv_fec_hello(struct uft_server *s, struct dest *d, const struct uft_msg *m);
/* The first pass read block b (len bytes in data): hash it in order. */
void uft_srv_fec_read(struct uft_server *s, uint32_t b, const uint8_t *data, size_t len);
/* Block b went out: after a section's last block in the first pass, its
 * proactive parity is owed. */
void uft_srv_fec_sent(struct uft_server *s, uint32_t b);
/* A STATUS from d for section sec: true when its NAKs become a parity
 * need (d is capable and reactive FEC is on); the server then does not
 * mark the blocks for resending, except those parity cannot cover, which
 * this sets in s->naks itself. */
bool uft_srv_fec_status(struct uft_server *s, const struct dest *d, uint32_t sec,
                        const uint8_t *naks);
/* Parity needs recorded from NAKs that the next pass must answer. */
bool uft_srv_fec_needed(const struct uft_server *s);
/* A new pass: the recorded needs become parity owed now. */
void uft_srv_fec_rewind(struct uft_server *s);
/* A DONE is about to be owed: the file's hash goes before it. */
void uft_srv_fec_before_done(struct uft_server *s, uft_ts now);
/* Parity owed in this pass (sent before data, paced as data). */
bool uft_srv_fec_pending(const struct uft_server *s);
ssize_t uft_srv_fec_pull(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                         struct uft_tx *tx);
/* FEC_INFO or FILE_HASH owed (sent before the lists: before the DONE). */
bool uft_srv_fec_ctrl_owed(const struct uft_server *s);
ssize_t uft_srv_fec_pull_ctrl(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                              struct uft_tx *tx);

/* TFMCC glue (server_cc.c). */
void uft_srv_cc_start(struct uft_server *s, uft_ts now);
void uft_srv_cc_timers(struct uft_server *s, uft_ts now);
uft_ts uft_srv_cc_deadline(const struct uft_server *s);
void uft_srv_cc_feedback(struct uft_server *s, struct dest *d, const struct uft_ext_tfmcc_ack *a,
                         uft_ts now);
ssize_t uft_srv_cc_pull(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx);

#endif
