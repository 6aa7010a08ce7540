/*
 * policy_cache.h: parsed policies shared by request threads, keyed by the
 * SHA-256 of their bytes (a policy's identity), so a policy is parsed once
 * per version and never per request. Entries are reference counted: one
 * in use is never freed, even when evicted.
 */
#ifndef KBS_POLICY_CACHE_H
#define KBS_POLICY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_common.h"

struct policy;
struct kbs_policy_cache;

KBS_MUST_CHECK int kbs_policy_cache_new(size_t max_entries, struct kbs_policy_cache **ret);
void kbs_policy_cache_free(struct kbs_policy_cache *c);

/*
 * kbs_policy_cache_get returns the parsed policy whose bytes hash to
 * sha256, parsing data[0..len) on a miss (data's hash must equal sha256:
 * KBS_ERR_STORE_INTEGRITY otherwise). The caller releases it with
 * kbs_policy_cache_put. Policy parse errors are returned as they are
 * (a stored policy that no longer parses fails closed).
 */
KBS_MUST_CHECK int kbs_policy_cache_get(struct kbs_policy_cache *c, const uint8_t sha256[32],
    const uint8_t *data, size_t len, const struct policy **ret);

/* kbs_policy_cache_put releases a policy got with the same sha256. */
void kbs_policy_cache_put(
    struct kbs_policy_cache *c, const uint8_t sha256[32], const struct policy *p);

#endif
