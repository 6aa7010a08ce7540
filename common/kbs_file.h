/*
 * kbs_file.h: reading whole files with a size cap.
 */
#ifndef KBS_FILE_H
#define KBS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

/*
 * kbs_file_read reads path into a fresh malloc'd buffer (NUL-terminated
 * one past *ret_len, for text parsers) of at most max_len bytes. The caller
 * frees *ret_data. KBS_ERR_SYSTEM (errno kept) if it cannot be opened or
 * read, KBS_ERR_TOO_LARGE past max_len.
 */
KBS_MUST_CHECK int kbs_file_read(
    const char *path, size_t max_len, uint8_t **ret_data, size_t *ret_len);

/*
 * kbs_file_read_private is kbs_file_read for a secret (a private key):
 * path must be a regular file, not a symlink, owned by the effective user
 * with no group or other permission, else the caller's (negative) code
 * not_private. The caller wipes and frees *ret_data; a failed read wipes
 * what it had read.
 */
KBS_MUST_CHECK int kbs_file_read_private(
    const char *path, size_t max_len, int not_private, uint8_t **ret_data, size_t *ret_len);

#endif
