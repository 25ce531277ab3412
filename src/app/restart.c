/*
 * Reading and writing the server's restart file in UFTP 5's layout
 * (restart.h). Every field is read and written byte by byte, never
 * through a struct overlay, and a file that is short, too long or
 * inconsistent is refused with a message that says which part.
 */
#include "app/restart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_LEN       12
#define HOST_LEN      156
#define HOST_NAME_LEN 80

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_body(int fd, const struct restart_info *ri)
{
    uint8_t hdr[HDR_LEN] = {0}, name[RESTART_NAME_LEN], host[HOST_LEN];
    size_t i;
    put_le32(hdr, ri->group_id);
    hdr[4] = ri->group_inst;
    put_le32(hdr + 8, (uint32_t)ri->n_files);
    if (write_all(fd, hdr, sizeof hdr))
        return -1;
    for (i = 0; i < ri->n_files; i++) {
        memset(name, 0, sizeof name);
        memcpy(name, ri->files[i], strlen(ri->files[i]));
        if (write_all(fd, name, sizeof name))
            return -1;
    }
    for (i = 0; i < ri->n_hosts; i++) {
        const struct restart_host *h = &ri->hosts[i];
        memset(host, 0, sizeof host);
        snprintf((char *)host, HOST_NAME_LEN, "0x%08X", h->id);
        host[80] = (uint8_t)(h->id >> 24);
        host[81] = (uint8_t)(h->id >> 16);
        host[82] = (uint8_t)(h->id >> 8);
        host[83] = (uint8_t)h->id;
        put_le32(host + 84, h->has_fp);
        if (h->has_fp)
            memcpy(host + 88, h->fp, sizeof h->fp);
        put_le32(host + 152, h->is_proxy);
        if (write_all(fd, host, sizeof host))
            return -1;
    }
    return 0;
}

int restart_write(const struct restart_info *ri, char *path, size_t pathlen, char *err,
                  size_t errlen)
{
    char tmp[64];
    size_t i;
    int fd, rc;
    snprintf(path, pathlen, "_group_%08X_restart", ri->group_id);
    for (i = 0; i < ri->n_files; i++) {
        if (strlen(ri->files[i]) >= RESTART_NAME_LEN) {
            snprintf(err, errlen, "%s: cannot record '%.60s...': names are limited to %d bytes",
                     path, ri->files[i], RESTART_NAME_LEN - 1);
            return -1;
        }
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create restart file %s: %s", tmp, strerror(errno));
        return -1;
    }
    rc = write_body(fd, ri);
    if (rc == 0)
        rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write restart file %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

static int read_all(int fd, uint8_t *p, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : (int)got == 0 ? 0 : -2;
        got += (size_t)n;
    }
    return 1;
}

static int read_files(int fd, const char *path, struct restart_info *ri, char *err, size_t errlen)
{
    uint8_t name[RESTART_NAME_LEN];
    size_t i;
    ri->files = calloc(ri->n_files, sizeof *ri->files);
    if (!ri->files) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (i = 0; i < ri->n_files; i++) {
        if (read_all(fd, name, sizeof name) != 1) {
            snprintf(err, errlen, "%s: file name %zu of %zu is cut short", path, i + 1,
                     ri->n_files);
            return -1;
        }
        if (!memchr(name, 0, sizeof name) || !name[0]) {
            snprintf(err, errlen, "%s: file name %zu is empty or not terminated", path, i + 1);
            return -1;
        }
        ri->files[i] = strdup((const char *)name);
        if (!ri->files[i]) {
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
    }
    return 0;
}

static int read_hosts(int fd, const char *path, struct restart_info *ri, char *err, size_t errlen)
{
    uint8_t host[HOST_LEN];
    size_t cap = 0;
    int r;
    while ((r = read_all(fd, host, sizeof host)) == 1) {
        struct restart_host *h;
        if (ri->n_hosts == RESTART_MAX_HOSTS) {
            snprintf(err, errlen, "%s: more than %d hosts", path, RESTART_MAX_HOSTS);
            return -1;
        }
        if (ri->n_hosts == cap) {
            struct restart_host *nv = realloc(ri->hosts, (cap ? 2 * cap : 16) * sizeof *nv);
            if (!nv) {
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            ri->hosts = nv;
            cap = cap ? 2 * cap : 16;
        }
        h = &ri->hosts[ri->n_hosts++];
        h->id = (uint32_t)host[80] << 24 | (uint32_t)host[81] << 16 | (uint32_t)host[82] << 8 |
                host[83];
        h->has_fp = get_le32(host + 84) != 0;
        memcpy(h->fp, host + 88, sizeof h->fp);
        h->is_proxy = get_le32(host + 152) != 0;
    }
    if (r != 0) {
        snprintf(err, errlen, "%s: the host list is cut short (%s)", path,
                 r == -1 ? strerror(errno) : "a partial record at the end");
        return -1;
    }
    if (ri->n_hosts == 0) {
        snprintf(err, errlen, "%s: lists no failed hosts, so there is nothing to resume", path);
        return -1;
    }
    return 0;
}

int restart_read(const char *path, struct restart_info *ri, char *err, size_t errlen)
{
    uint8_t hdr[HDR_LEN];
    uint32_t count;
    int fd, rc = -1;
    memset(ri, 0, sizeof *ri);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open restart file %s: %s", path, strerror(errno));
        return -1;
    }
    if (read_all(fd, hdr, sizeof hdr) != 1) {
        snprintf(err, errlen, "%s: too short for a restart file header", path);
        goto out;
    }
    ri->group_id = get_le32(hdr);
    ri->group_inst = hdr[4];
    count = get_le32(hdr + 8);
    if (ri->group_inst == 0xff) {
        snprintf(err, errlen, "%s: group %08X has been restarted 255 times already", path,
                 ri->group_id);
        goto out;
    }
    if (count == 0 || count > RESTART_MAX_FILES) {
        snprintf(err, errlen, "%s: file count %u is outside 1..%d; is this a restart file?", path,
                 count, RESTART_MAX_FILES);
        goto out;
    }
    ri->n_files = count;
    if (read_files(fd, path, ri, err, errlen) == 0 && read_hosts(fd, path, ri, err, errlen) == 0)
        rc = 0;
out:
    close(fd);
    if (rc)
        restart_free(ri);
    return rc;
}

void restart_free(struct restart_info *ri)
{
    size_t i;
    for (i = 0; ri->files && i < ri->n_files; i++)
        free(ri->files[i]);
    free(ri->files);
    free(ri->hosts);
    memset(ri, 0, sizeof *ri);
}
