/* Small file helpers for the programs and tests. */
#ifndef UFT_FILE_H
#define UFT_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole regular file of at most max bytes into a new buffer
 * (*buf, freed by the caller with free()). Returns 0, UFT_E_IO (errno
 * set), UFT_E_NOMEM, or UFT_E_LENGTH when the file is larger than max. */
int uft_file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
