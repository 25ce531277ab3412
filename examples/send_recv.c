/*
 * send_recv: the ufcast library API in one small program.
 *
 *   send_recv receive DIR ID        receive one session into DIR as client ID
 *   send_recv send FILE SERVER_ID CLIENT_ID
 *                                   send FILE to the closed group {CLIENT_ID}
 *
 * Each side prints the events its callback sees (the --json lines) and
 * checks them: the receiver must see the session start, the file start
 * and finish, and the session end complete; the sender must see the
 * client register, get the file (status "copy", every byte) and
 * complete, and a summary with exit 0. Exit 0 when all of that held.
 *
 * Build: cc send_recv.c $(pkg-config --cflags --libs ufcast)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ufcast/ufcast.h>

struct seen {
    uint32_t peer_id; /* the client (sender side) */
    uint64_t size;    /* the file's size (sender side) */
    int session_start, file_start, file_done, client_registered, client_complete, session_end;
    int failures;
};

static void check(struct seen *s, int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "send_recv: unexpected event: %s\n", what);
        s->failures++;
    }
}

static void on_receiver_event(void *ctx, const struct ufcast_event *ev)
{
    struct seen *s = ctx;
    printf("receiver event: %s\n", ev->json);
    switch (ev->type) {
    case UFCAST_EV_SESSION_START:
        s->session_start++;
        check(s, ev->server_id != 0, "session_start without a server");
        break;
    case UFCAST_EV_FILE_START:
        s->file_start++;
        break;
    case UFCAST_EV_FILE_DONE:
        s->file_done++;
        check(s, ev->status && strcmp(ev->status, "copy") == 0, "file_done not copy");
        break;
    case UFCAST_EV_SESSION_END:
        s->session_end++;
        check(s, ev->status && strcmp(ev->status, "complete") == 0, "session_end not complete");
        break;
    default:
        break;
    }
    fflush(stdout);
}

static void on_sender_event(void *ctx, const struct ufcast_event *ev)
{
    struct seen *s = ctx;
    printf("sender event: %s\n", ev->json);
    switch (ev->type) {
    case UFCAST_EV_SESSION_START:
        s->session_start++;
        break;
    case UFCAST_EV_CLIENT_REGISTERED:
        s->client_registered++;
        check(s, ev->client_id == s->peer_id, "client_registered from someone else");
        break;
    case UFCAST_EV_FILE_START:
        s->file_start++;
        check(s, ev->size == s->size, "file_start with another size");
        break;
    case UFCAST_EV_FILE_DONE:
        s->file_done++;
        check(s, ev->client_id == s->peer_id, "file_done for someone else");
        check(s, ev->status && strcmp(ev->status, "copy") == 0, "file_done not copy");
        check(s, ev->bytes == s->size, "file_done with fewer bytes");
        break;
    case UFCAST_EV_CLIENT_COMPLETE:
        s->client_complete++;
        check(s, ev->client_id == s->peer_id, "client_complete for someone else");
        break;
    case UFCAST_EV_CLIENT_FAILED:
        check(s, 0, ev->reason ? ev->reason : "client_failed");
        break;
    case UFCAST_EV_SESSION_END:
        s->session_end++;
        check(s, ev->exit_code == 0 && ev->completed == 1 && ev->failed == 0,
              "session_end: not every receiver completed");
        break;
    default:
        break;
    }
    fflush(stdout);
}

static int receive(const char *dir, uint32_t id)
{
    struct seen s = {0};
    struct ufcast_receiver *r = ufcast_receiver_new();
    int rc;
    if (!r || ufcast_receiver_set_dest_dir(r, dir) || ufcast_receiver_set_id(r, id) ||
        ufcast_receiver_set_option(r, "x", "1") || ufcast_receiver_set_max_sessions(r, 1) ||
        ufcast_receiver_set_callback(r, on_receiver_event, &s)) {
        fprintf(stderr, "send_recv: cannot set up the receiver\n");
        return 2;
    }
    rc = ufcast_receiver_run(r);
    ufcast_receiver_free(r);
    printf("receiver: run returned %d; events: %d session_start, %d file_start, %d file_done, %d "
           "session_end\n",
           rc, s.session_start, s.file_start, s.file_done, s.session_end);
    if (rc != 0 || s.failures || s.session_start != 1 || s.file_start != 1 || s.file_done != 1 ||
        s.session_end != 1)
        return 1;
    return 0;
}

static int send_file(const char *path, uint32_t server_id, uint32_t client_id)
{
    struct seen s = {0};
    struct ufcast_sender *snd = ufcast_sender_new();
    struct stat st;
    char hosts[16];
    int rc;
    if (stat(path, &st) != 0) {
        perror(path);
        return 2;
    }
    s.peer_id = client_id;
    s.size = (uint64_t)st.st_size;
    snprintf(hosts, sizeof hosts, "0x%08X", client_id);
    if (!snd || ufcast_sender_set_id(snd, server_id) || ufcast_sender_set_receivers(snd, hosts) ||
        ufcast_sender_set_rate_kbps(snd, 200000) || ufcast_sender_set_log_level(snd, 1) ||
        ufcast_sender_set_option(snd, "-Y", "aes256-gcm") || ufcast_sender_add_path(snd, path) ||
        ufcast_sender_set_callback(snd, on_sender_event, &s)) {
        fprintf(stderr, "send_recv: cannot set up the sender\n");
        return 2;
    }
    rc = ufcast_sender_run(snd);
    ufcast_sender_free(snd);
    printf("sender: run returned %d; events: %d session_start, %d client_registered, %d "
           "file_done, %d client_complete, %d session_end\n",
           rc, s.session_start, s.client_registered, s.file_done, s.client_complete, s.session_end);
    if (rc != 0 || s.failures || s.session_start != 1 || s.client_registered != 1 ||
        s.file_done != 1 || s.client_complete != 1 || s.session_end != 1)
        return 1;
    return 0;
}

int main(int argc, char **argv)
{
    printf("libufcast %s\n", ufcast_version());
    if (argc == 4 && strcmp(argv[1], "receive") == 0)
        return receive(argv[2], (uint32_t)strtoul(argv[3], NULL, 16));
    if (argc == 5 && strcmp(argv[1], "send") == 0)
        return send_file(argv[2], (uint32_t)strtoul(argv[3], NULL, 16),
                         (uint32_t)strtoul(argv[4], NULL, 16));
    fprintf(stderr, "usage: send_recv receive DIR ID | send_recv send FILE SERVER_ID CLIENT_ID\n");
    return 2;
}
