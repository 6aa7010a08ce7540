/*
 * kbs_common.h: the public header of common/ (errors, the bounded cursor,
 * codecs, time, files, logging, UTF-8). Other modules include this one header.
 */
#ifndef KBS_COMMON_H
#define KBS_COMMON_H

#include "kbs_buf.h"
#include "kbs_codec.h"
#include "kbs_err.h"
#include "kbs_file.h"
#include "kbs_log.h"
#include "kbs_time.h"
#include "kbs_utf8.h"

#define KBS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * kbs_crypto_init initialises libsodium once (thread-safe, idempotent).
 * Returns 0 or KBS_ERR_CRYPTO_INIT.
 */
KBS_MUST_CHECK int kbs_crypto_init(void);

#endif
