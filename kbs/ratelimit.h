/*
 * ratelimit.h: bounded per-address token buckets (requests per second,
 * and the audit budget for refused evidence). See ratelimit.c.
 */
#ifndef KBS_RATELIMIT_H
#define KBS_RATELIMIT_H

#include <stdint.h>

#include "kbs_common.h"

struct kbs_ratelimit;

/*
 * kbs_ratelimit_new allows count takes per period_s seconds per address,
 * with bursts of up to burst; count 0 disables the limit (take always
 * succeeds).
 */
KBS_MUST_CHECK int kbs_ratelimit_new(
    uint32_t count, uint32_t period_s, uint32_t burst, struct kbs_ratelimit **ret);
void kbs_ratelimit_free(struct kbs_ratelimit *rl);

/*
 * kbs_ratelimit_set changes the limit of rl (as kbs_ratelimit_new's
 * arguments) while other threads take from it; buckets keep their tokens,
 * capped at the new burst on their next take.
 */
void kbs_ratelimit_set(struct kbs_ratelimit *rl, uint32_t count, uint32_t period_s, uint32_t burst);

/* kbs_ratelimit_take returns 1 and takes a token, or 0 when addr's bucket is empty. */
int kbs_ratelimit_take(struct kbs_ratelimit *rl, const char *addr, int64_t now_ms);

#endif
