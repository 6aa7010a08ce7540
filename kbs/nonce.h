/*
 * nonce.h: stateless challenge nonces (docs/protocol.md, "POST
 * /v1/challenge").
 *
 * A nonce is 32 bytes, big-endian:
 *   0..4   issue time, Unix seconds (u32)
 *   4..8   replica tag: SHA-256("kbs-replica-v1" || replica_id)[0..4)
 *   8..16  random
 *   16..32 MAC: BLAKE2b-128 keyed with the 32-byte nonce key over
 *          "kbs-nonce-v1" || bytes 0..16
 * Issuing one writes nothing; the MAC makes it self-authenticating. Single
 * use is not decided here: the caller records a checked nonce as consumed
 * (keystore_nonce_consume) until the expiry kbs_nonce_check returns.
 *
 * An issuer is immutable after kbs_nonce_issuer_new (its key sits in
 * read-only sodium_malloc memory), so any number of threads may issue and
 * check with one issuer at the same time without a lock.
 */
#ifndef KBS_NONCE_H
#define KBS_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

#define KBS_NONCE_SIZE 32
#define KBS_NONCE_KEY_SIZE 32
#define KBS_NONCE_TAG_SIZE 4
#define KBS_NONCE_RANDOM_SIZE 8
#define KBS_NONCE_LIFETIME_DEFAULT 120 /* seconds */
#define KBS_NONCE_LIFETIME_MAX 86400
#define KBS_NONCE_FUTURE_SKEW 5 /* seconds a nonce's issue time may lie ahead of now */
#define KBS_NONCE_REPLICA_ID_MAX 255

struct kbs_nonce_issuer;

/*
 * kbs_nonce_issuer_new makes an issuer from the nonce key (copied into
 * read-only sodium_malloc memory; the caller wipes its own copy), the
 * replica id (1..KBS_NONCE_REPLICA_ID_MAX bytes, any bytes) and the
 * lifetime in seconds (1..KBS_NONCE_LIFETIME_MAX; the protocol default is
 * KBS_NONCE_LIFETIME_DEFAULT). Free with kbs_nonce_issuer_free.
 * KBS_ERR_INVALID_ARGUMENT, KBS_ERR_ALLOC, KBS_ERR_CRYPTO_INIT.
 */
KBS_MUST_CHECK int kbs_nonce_issuer_new(const uint8_t key[KBS_NONCE_KEY_SIZE],
    const char *replica_id, size_t replica_id_len, uint32_t lifetime,
    struct kbs_nonce_issuer **ret);

/* kbs_nonce_issuer_free wipes the key and frees the issuer; NULL is a no-op. */
void kbs_nonce_issuer_free(struct kbs_nonce_issuer *is);

/*
 * kbs_nonce_issue makes a fresh nonce issued at now (Unix seconds,
 * 0..UINT32_MAX, else KBS_ERR_INVALID_ARGUMENT) with 8 random bytes from
 * randombytes_buf. *ret_expires = now + lifetime, the "expires_at" of the
 * challenge response; the nonce is accepted up to and including that
 * second.
 */
KBS_MUST_CHECK int kbs_nonce_issue(const struct kbs_nonce_issuer *is, int64_t now,
    uint8_t ret_nonce[KBS_NONCE_SIZE], int64_t *ret_expires);

/*
 * kbs_nonce_make is kbs_nonce_issue with the issue time and the random
 * bytes given: the deterministic core, for the known-answer vector.
 */
KBS_MUST_CHECK int kbs_nonce_make(const struct kbs_nonce_issuer *is, int64_t issued,
    const uint8_t random[KBS_NONCE_RANDOM_SIZE], uint8_t ret_nonce[KBS_NONCE_SIZE]);

/*
 * kbs_nonce_check checks nonce[0..len) (untrusted) at time now, in the
 * order docs/protocol.md gives, and returns the first failure:
 *   KBS_ERR_NONCE_MALFORMED      len is not 32 (or nonce is NULL);
 *   KBS_ERR_NONCE_OTHER_REPLICA  the replica tag is not this issuer's;
 *   KBS_ERR_NONCE_MAC            the MAC does not verify (constant time),
 *                                or the issue time is more than
 *                                KBS_NONCE_FUTURE_SKEW seconds after now
 *                                (only our key can make a valid MAC, so a
 *                                nonce from the future is not one we
 *                                issued on a sane clock);
 *   KBS_ERR_NONCE_EXPIRED        now - issue time > lifetime.
 * On 0 sets *ret_issued (the issue time) and *ret_expires (issue time +
 * lifetime: keep the consumed nonce recorded until then). Single use is
 * the caller's check. KBS_ERR_INVALID_ARGUMENT for a NULL issuer or
 * out-parameter.
 */
KBS_MUST_CHECK int kbs_nonce_check(const struct kbs_nonce_issuer *is, const uint8_t *nonce,
    size_t len, int64_t now, int64_t *ret_issued, int64_t *ret_expires);

/*
 * kbs_nonce_replica_tag computes the 4-byte tag of a replica id (for the
 * tests, and for a caller that matches a foreign nonce's tag against the
 * replica ids it knows, to say in a log which replica issued it).
 */
void kbs_nonce_replica_tag(
    const char *replica_id, size_t replica_id_len, uint8_t ret_tag[KBS_NONCE_TAG_SIZE]);

#endif
