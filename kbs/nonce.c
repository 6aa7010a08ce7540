/*
 * nonce.c: stateless challenge nonces; the layout is in nonce.h and
 * docs/protocol.md.
 *
 * Why a MAC and not a stored list: issuing must cost microseconds and
 * write nothing, or an unauthenticated caller could grow the store by
 * asking for challenges. Only the attest path, after the evidence is
 * verified, records a nonce (as consumed), and only until it expires.
 *
 * Why the replica tag is checked before the MAC: a nonce from another
 * replica fails the MAC anyway (each replica has its own key), but the
 * guest must be told to challenge again rather than that its nonce is
 * forged. The tag is public, so comparing it in variable time leaks
 * nothing; the MAC is compared with sodium_memcmp.
 *
 * The issue time is a u32 of Unix seconds (good until 2106); times are
 * int64 everywhere else so no subtraction below can wrap.
 */
#include "nonce.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_common.h"

#define NONCE_MAC_SIZE 16
#define NONCE_MAC_OFF 16
#define NONCE_TAG_OFF 4
#define NONCE_RANDOM_OFF 8

static const char nonce_label[] = "kbs-nonce-v1";
static const char replica_label[] = "kbs-replica-v1";

struct kbs_nonce_issuer {
	uint8_t *key; /* KBS_NONCE_KEY_SIZE bytes, sodium_malloc, read-only */
	uint8_t tag[KBS_NONCE_TAG_SIZE];
	uint32_t lifetime;
};

void
kbs_nonce_replica_tag(
    const char *replica_id, size_t replica_id_len, uint8_t ret_tag[KBS_NONCE_TAG_SIZE])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)replica_label, sizeof(replica_label) - 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)replica_id, replica_id_len);
	crypto_hash_sha256_final(&st, h);
	memcpy(ret_tag, h, KBS_NONCE_TAG_SIZE);
}

int
kbs_nonce_issuer_new(const uint8_t key[KBS_NONCE_KEY_SIZE], const char *replica_id,
    size_t replica_id_len, uint32_t lifetime, struct kbs_nonce_issuer **ret)
{
	struct kbs_nonce_issuer *is = NULL;
	int r = KBS_ERR_INTERNAL;

	if (key == NULL || replica_id == NULL || replica_id_len == 0 ||
	    replica_id_len > KBS_NONCE_REPLICA_ID_MAX || lifetime == 0 ||
	    lifetime > KBS_NONCE_LIFETIME_MAX || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = kbs_crypto_init()) != 0)
		return r;
	if ((is = calloc(1, sizeof(*is))) == NULL)
		return KBS_ERR_ALLOC;
	/* 32 bytes: a multiple of 16, so sodium_malloc's pointer is aligned. */
	if ((is->key = sodium_malloc(KBS_NONCE_KEY_SIZE)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	memcpy(is->key, key, KBS_NONCE_KEY_SIZE);
	if (sodium_mprotect_readonly(is->key) != 0) {
		r = KBS_ERR_SYSTEM;
		goto out;
	}
	kbs_nonce_replica_tag(replica_id, replica_id_len, is->tag);
	is->lifetime = lifetime;
	*ret = is;
	is = NULL;
	r = 0;
out:
	kbs_nonce_issuer_free(is);
	return r;
}

void
kbs_nonce_issuer_free(struct kbs_nonce_issuer *is)
{
	if (is == NULL)
		return;
	sodium_free(is->key); /* makes the pages writable, wipes, unmaps */
	free(is);
}

/* nonce_mac computes the MAC over the label and bytes 0..16 of n. */
static void
nonce_mac(const struct kbs_nonce_issuer *is, const uint8_t n[KBS_NONCE_SIZE],
    uint8_t ret_mac[NONCE_MAC_SIZE])
{
	crypto_generichash_state st;

	/* Cannot fail: the sizes are fixed and within BLAKE2b's limits. */
	(void)crypto_generichash_init(&st, is->key, KBS_NONCE_KEY_SIZE, NONCE_MAC_SIZE);
	(void)crypto_generichash_update(&st, (const uint8_t *)nonce_label, sizeof(nonce_label) - 1);
	(void)crypto_generichash_update(&st, n, NONCE_MAC_OFF);
	(void)crypto_generichash_final(&st, ret_mac, NONCE_MAC_SIZE);
	sodium_memzero(&st, sizeof(st));
}

int
kbs_nonce_make(const struct kbs_nonce_issuer *is, int64_t issued,
    const uint8_t random[KBS_NONCE_RANDOM_SIZE], uint8_t ret_nonce[KBS_NONCE_SIZE])
{
	uint8_t n[KBS_NONCE_SIZE];
	uint32_t t;

	if (is == NULL || random == NULL || ret_nonce == NULL || issued < 0 ||
	    issued > (int64_t)UINT32_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	t = (uint32_t)issued;
	n[0] = (uint8_t)(t >> 24);
	n[1] = (uint8_t)(t >> 16);
	n[2] = (uint8_t)(t >> 8);
	n[3] = (uint8_t)t;
	memcpy(n + NONCE_TAG_OFF, is->tag, KBS_NONCE_TAG_SIZE);
	memcpy(n + NONCE_RANDOM_OFF, random, KBS_NONCE_RANDOM_SIZE);
	nonce_mac(is, n, n + NONCE_MAC_OFF);
	memcpy(ret_nonce, n, KBS_NONCE_SIZE);
	return 0;
}

int
kbs_nonce_issue(const struct kbs_nonce_issuer *is, int64_t now, uint8_t ret_nonce[KBS_NONCE_SIZE],
    int64_t *ret_expires)
{
	uint8_t random[KBS_NONCE_RANDOM_SIZE];
	int r;

	if (is == NULL || ret_expires == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	randombytes_buf(random, sizeof(random));
	if ((r = kbs_nonce_make(is, now, random, ret_nonce)) != 0)
		return r;
	*ret_expires = now + is->lifetime;
	return 0;
}

int
kbs_nonce_check(const struct kbs_nonce_issuer *is, const uint8_t *nonce, size_t len, int64_t now,
    int64_t *ret_issued, int64_t *ret_expires)
{
	uint8_t mac[NONCE_MAC_SIZE];
	int64_t issued;
	int r = KBS_ERR_INTERNAL;

	if (is == NULL || ret_issued == NULL || ret_expires == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (nonce == NULL || len != KBS_NONCE_SIZE)
		return KBS_ERR_NONCE_MALFORMED;
	if (memcmp(nonce + NONCE_TAG_OFF, is->tag, KBS_NONCE_TAG_SIZE) != 0)
		return KBS_ERR_NONCE_OTHER_REPLICA;
	nonce_mac(is, nonce, mac);
	if (sodium_memcmp(mac, nonce + NONCE_MAC_OFF, NONCE_MAC_SIZE) != 0) {
		r = KBS_ERR_NONCE_MAC;
		goto out;
	}
	issued = (int64_t)(((uint32_t)nonce[0] << 24) | ((uint32_t)nonce[1] << 16) |
	    ((uint32_t)nonce[2] << 8) | (uint32_t)nonce[3]);
	/* In this form no caller's now can overflow: issued is within 0..2^32. */
	if (now < issued - KBS_NONCE_FUTURE_SKEW) {
		r = KBS_ERR_NONCE_MAC;
		goto out;
	}
	if (now - issued > (int64_t)is->lifetime) {
		r = KBS_ERR_NONCE_EXPIRED;
		goto out;
	}
	*ret_issued = issued;
	*ret_expires = issued + is->lifetime;
	r = 0;
out:
	sodium_memzero(mac, sizeof(mac));
	return r;
}
