/*
 * state.h: the broker's key files in its data directory (see state.c).
 */
#ifndef KBS_STATE_H
#define KBS_STATE_H

#include <stdint.h>

#include "kbs_common.h"

/* kbs_state_dir creates dir 0700 if needed; it must be ours and closed to others. */
KBS_MUST_CHECK int kbs_state_dir(const char *dir);

/*
 * kbs_state_key reads the 32-byte key dir/name (64 hex digits). A missing
 * file is created with a random key (*ret_created = 1) only when
 * may_create is 1; otherwise it is KBS_ERR_NOT_FOUND and nothing is
 * written (a store whose master or identity key went missing must not get
 * a fresh one that a restored file would then have to replace).
 * KBS_ERR_STATE_FILE also for a malformed file or unsafe ownership or mode.
 */
KBS_MUST_CHECK int kbs_state_key(
    const char *dir, const char *name, int may_create, uint8_t key[32], int *ret_created);

/* kbs_state_write_new creates dir/name (0600, must not exist) holding text, durably. */
KBS_MUST_CHECK int kbs_state_write_new(const char *dir, const char *name, const char *text);

/* kbs_state_exists is 1 when dir/name exists (of any type). */
int kbs_state_exists(const char *dir, const char *name);

#endif
