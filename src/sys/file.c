/* Whole-file reads with a size cap, so a wrong path cannot eat memory. */
#include "sys/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

int uft_file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len)
{
    struct stat st;
    uint8_t *p = NULL;
    size_t got = 0;
    int fd, rc = UFT_E_IO, saved;

    *buf = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return UFT_E_IO;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto out;
    }
    if ((uintmax_t)st.st_size > max) {
        rc = UFT_E_LENGTH;
        goto out;
    }
    p = malloc((size_t)st.st_size + 1);
    if (!p) {
        rc = UFT_E_NOMEM;
        goto out;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        got += (size_t)n;
    }
    *buf = p;
    *len = got;
    p = NULL;
    rc = 0;
out:
    saved = errno;
    free(p);
    close(fd);
    errno = saved;
    return rc;
}
