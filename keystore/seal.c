/*
 * seal.c: sealing secrets, MACing policy and token records, the master key
 * check value and the audit head MAC, and the identities the audit log
 * names records by.
 *
 * Every sealed or MACed record has an identity: a byte string that starts
 * with a label naming the kind and layout, then the record's fields, each
 * length-prefixed or fixed-size, so no two records give the same bytes:
 *
 *   secret  "kbs-secret-v2\0" u8 name length, name, u32le version,
 *           u8 policy length, policy name, write id (16 random bytes)
 *   policy  "kbs-policy-v2\0" u8 name length, name, u32le version,
 *           i64le since, SHA-256 of the policy bytes
 *   token   "kbs-token-v1\0"  u8 id length, id, u8 role, SHA-256 of the
 *           bearer value, i64le created, i64le revoked
 *
 * A secret is sealed with XChaCha20-Poly1305 under the sealing key with
 * identity || key id as the associated data; a policy or token record
 * carries HMAC-SHA-256(record key, identity) and the key id. So a record
 * copied under another name or version, re-bound to a weaker policy,
 * un-revoked, or written by anyone without the master key fails
 * (KBS_ERR_STORE_INTEGRITY); one sealed under another key is
 * KBS_ERR_STORE_MASTER_KEY. The audit record of each change carries
 * SHA-256(identity): it does not involve the key, so rotation (which
 * re-seals and re-MACs) leaves it valid, and the write id makes every put
 * of a secret distinct, even after a delete restarted its versions.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kbs_le.h"

static const char ks_secret_label[] = "kbs-secret-v2";
static const char ks_policy_label[] = "kbs-policy-v2";
static const char ks_token_label[] = "kbs-token-v1";
static const char ks_check_label[] = "kbs-keycheck-v1";
static const char ks_head_label[] = "kbs-audit-head-v1";

/* The longest identity (a secret's) plus the key id. */
#define KS_ID_MAX \
	(sizeof(ks_secret_label) + 1 + KEYSTORE_NAME_MAX + 4 + 1 + KEYSTORE_NAME_MAX + \
	    KS_WRITE_ID_SIZE + KS_KEY_ID_SIZE)

/* A bounded writer into an identity buffer (sizes are fixed by the layouts above). */
struct id_w {
	uint8_t b[KS_ID_MAX];
	size_t len;
};

static void
id_bytes(struct id_w *w, const void *p, size_t n)
{
	if (n > sizeof(w->b) - w->len)
		abort(); /* the layouts above cannot exceed KS_ID_MAX */
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

/* A label is written with its NUL, which ends it unambiguously; names with a u8 length. */
static void
id_label(struct id_w *w, const char *label, size_t size_with_nul)
{
	w->len = 0;
	id_bytes(w, label, size_with_nul);
}

static void
id_name(struct id_w *w, const char *name, size_t n)
{
	uint8_t l = (uint8_t)n;

	id_bytes(w, &l, 1);
	id_bytes(w, name, n);
}

static void
id_u64(struct id_w *w, uint64_t v, int bytes)
{
	uint8_t b[8];

	kbs_le_put(b, v, (size_t)bytes);
	id_bytes(w, b, (size_t)bytes);
}

static void
secret_id(struct id_w *w, const char *name, size_t name_len, const struct ks_secret_rec *r)
{
	id_label(w, ks_secret_label, sizeof(ks_secret_label));
	id_name(w, name, name_len);
	id_u64(w, r->version, 4);
	id_name(w, r->policy, strnlen(r->policy, KEYSTORE_NAME_MAX));
	id_bytes(w, r->write_id, KS_WRITE_ID_SIZE);
}

static void
policy_id(struct id_w *w, const char *name, size_t name_len, const struct ks_policy_rec *r)
{
	id_label(w, ks_policy_label, sizeof(ks_policy_label));
	id_name(w, name, name_len);
	id_u64(w, r->version, 4);
	id_u64(w, (uint64_t)r->since, 8);
	id_bytes(w, r->sha256, 32);
}

static void
token_id(struct id_w *w, const char *id, size_t id_len, const struct ks_token_rec *r)
{
	id_label(w, ks_token_label, sizeof(ks_token_label));
	id_name(w, id, id_len);
	id_bytes(w, &r->role, 1);
	id_bytes(w, r->sha256, 32);
	id_u64(w, (uint64_t)r->created, 8);
	id_u64(w, (uint64_t)r->revoked, 8);
}

/* ---- secrets --------------------------------------------------------- */

int
ks_seal_secret(const struct ks_keys *keys, const char *name, struct ks_secret_rec *r,
    const uint8_t *value, size_t value_len, uint8_t *ct_out)
{
	struct id_w ad;
	unsigned long long clen = 0;
	size_t name_len = strnlen(name, KEYSTORE_NAME_MAX + 1);

	if (name_len > KEYSTORE_NAME_MAX || value_len > KEYSTORE_SECRET_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	memcpy(r->key_id, keys->key_id, KS_KEY_ID_SIZE);
	randombytes_buf(r->nonce, sizeof(r->nonce));
	secret_id(&ad, name, name_len, r);
	id_bytes(&ad, r->key_id, KS_KEY_ID_SIZE);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
		ct_out, &clen, value, value_len, ad.b, ad.len, NULL, r->nonce, keys->seal) != 0)
		return KBS_ERR_INTERNAL;
	r->ct = ct_out;
	r->ct_len = (size_t)clen;
	return 0;
}

int
ks_open_secret(
    const struct ks_keys *keys, const char *name, const struct ks_secret_rec *r, uint8_t *value_out)
{
	struct id_w ad;
	unsigned long long mlen = 0;
	size_t name_len = strnlen(name, KEYSTORE_NAME_MAX + 1);

	if (name_len > KEYSTORE_NAME_MAX || r->ct_len < KS_SEAL_TAG)
		return KBS_ERR_STORE_CORRUPT;
	/* A record sealed under another key cannot open; say which problem it is. */
	if (sodium_memcmp(r->key_id, keys->key_id, KS_KEY_ID_SIZE) != 0)
		return KBS_ERR_STORE_MASTER_KEY;
	secret_id(&ad, name, name_len, r);
	id_bytes(&ad, r->key_id, KS_KEY_ID_SIZE);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(value_out, &mlen, NULL, r->ct, r->ct_len,
		ad.b, ad.len, r->nonce, keys->seal) != 0) {
		sodium_memzero(value_out, r->ct_len - KS_SEAL_TAG);
		return KBS_ERR_STORE_INTEGRITY;
	}
	return 0;
}

void
ks_secret_digest(const char *name, size_t name_len, const struct ks_secret_rec *r, uint8_t out[32])
{
	struct id_w w;

	secret_id(&w, name, name_len, r);
	crypto_hash_sha256(out, w.b, w.len);
}

/* ---- MACed records: policies and tokens -------------------------------- */

static void
rec_mac(const struct ks_keys *keys, const struct id_w *id, uint8_t mac[KS_MAC_SIZE])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, keys->record_mac, sizeof(keys->record_mac));
	crypto_auth_hmacsha256_update(&st, id->b, id->len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

static int
rec_check(const struct ks_keys *keys, const struct id_w *id, const uint8_t key_id[KS_KEY_ID_SIZE],
    const uint8_t mac[KS_MAC_SIZE])
{
	uint8_t want[KS_MAC_SIZE];
	int r;

	if (sodium_memcmp(key_id, keys->key_id, KS_KEY_ID_SIZE) != 0)
		return KBS_ERR_STORE_MASTER_KEY;
	rec_mac(keys, id, want);
	r = sodium_memcmp(want, mac, KS_MAC_SIZE) == 0 ? 0 : KBS_ERR_STORE_INTEGRITY;
	sodium_memzero(want, sizeof(want));
	return r;
}

void
ks_policy_mac(
    const struct ks_keys *keys, const char *name, size_t name_len, struct ks_policy_rec *r)
{
	struct id_w w;

	policy_id(&w, name, name_len, r);
	memcpy(r->key_id, keys->key_id, KS_KEY_ID_SIZE);
	rec_mac(keys, &w, r->mac);
}

int
ks_policy_check(
    const struct ks_keys *keys, const char *name, size_t name_len, const struct ks_policy_rec *r)
{
	struct id_w w;

	policy_id(&w, name, name_len, r);
	return rec_check(keys, &w, r->key_id, r->mac);
}

void
ks_policy_digest(const char *name, size_t name_len, const struct ks_policy_rec *r, uint8_t out[32])
{
	struct id_w w;

	policy_id(&w, name, name_len, r);
	crypto_hash_sha256(out, w.b, w.len);
}

void
ks_token_mac(const struct ks_keys *keys, const char *id, size_t id_len, struct ks_token_rec *r)
{
	struct id_w w;

	token_id(&w, id, id_len, r);
	memcpy(r->key_id, keys->key_id, KS_KEY_ID_SIZE);
	rec_mac(keys, &w, r->mac);
}

int
ks_token_check(
    const struct ks_keys *keys, const char *id, size_t id_len, const struct ks_token_rec *r)
{
	struct id_w w;

	token_id(&w, id, id_len, r);
	return rec_check(keys, &w, r->key_id, r->mac);
}

void
ks_token_digest(const char *id, size_t id_len, const struct ks_token_rec *r, uint8_t out[32])
{
	struct id_w w;

	token_id(&w, id, id_len, r);
	crypto_hash_sha256(out, w.b, w.len);
}

/* ---- the key check value and the audit head ---------------------------- */

/* The check value seals 32 zero bytes; only the right key opens it. */
int
ks_check_make(const struct ks_keys *keys, struct ks_check_rec *ret)
{
	uint8_t zero[32] = { 0 };
	unsigned long long clen = 0;

	memcpy(ret->key_id, keys->key_id, KS_KEY_ID_SIZE);
	randombytes_buf(ret->nonce, sizeof(ret->nonce));
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(ret->ct, &clen, zero, sizeof(zero),
		(const uint8_t *)ks_check_label, sizeof(ks_check_label), NULL, ret->nonce,
		keys->seal) != 0 ||
	    clen != sizeof(ret->ct))
		return KBS_ERR_INTERNAL;
	return 0;
}

int
ks_check_verify(const struct ks_keys *keys, const struct ks_check_rec *c)
{
	uint8_t out[32];
	unsigned long long mlen = 0;
	int r = 0;

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, c->ct, sizeof(c->ct),
		(const uint8_t *)ks_check_label, sizeof(ks_check_label), c->nonce,
		keys->seal) != 0 ||
	    sodium_memcmp(c->key_id, keys->key_id, KS_KEY_ID_SIZE) != 0 ||
	    !sodium_is_zero(out, sizeof(out)))
		r = KBS_ERR_STORE_MASTER_KEY;
	sodium_memzero(out, sizeof(out));
	return r;
}

static void
head_mac_compute(const struct ks_keys *keys, const struct ks_head_rec *h, uint8_t mac[32])
{
	crypto_auth_hmacsha256_state st;
	uint8_t seq[8];

	kbs_le_put(seq, h->seq, sizeof(seq));
	crypto_auth_hmacsha256_init(&st, keys->audit_mac, sizeof(keys->audit_mac));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ks_head_label, sizeof(ks_head_label));
	crypto_auth_hmacsha256_update(&st, seq, sizeof(seq));
	crypto_auth_hmacsha256_update(&st, h->sha256, sizeof(h->sha256));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

void
ks_head_mac(const struct ks_keys *keys, struct ks_head_rec *h)
{
	head_mac_compute(keys, h, h->mac);
}

int
ks_head_mac_verify(const struct ks_keys *keys, const struct ks_head_rec *h)
{
	uint8_t mac[32];
	int r;

	head_mac_compute(keys, h, mac);
	r = sodium_memcmp(mac, h->mac, sizeof(mac)) == 0 ? 0 : KBS_ERR_STORE_AUDIT_CHAIN;
	sodium_memzero(mac, sizeof(mac));
	return r;
}
