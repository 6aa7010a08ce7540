/*
 * seal.c: sealing secrets, the master key check value and the audit head MAC.
 *
 * A secret's associated data binds everything that decides who may have
 * it: "kbs-secret-v1" NUL, u8 name length, name, u32le version, u8 policy
 * length, policy name, and the key id. Every part is length-prefixed or
 * fixed-size, so no two (name, version, policy) tuples give the same bytes.
 * A sealed value copied under another name or version, or re-bound to a
 * weaker policy by editing the file, fails to open (KBS_ERR_STORE_INTEGRITY).
 */
#include "keystore-int.h"

#include <string.h>

#include <sodium.h>

static const char ks_ad_label[] = "kbs-secret-v1";
static const char ks_check_label[] = "kbs-keycheck-v1";
static const char ks_head_label[] = "kbs-audit-head-v1";

#define KS_AD_MAX \
	(sizeof(ks_ad_label) + 1 + KEYSTORE_NAME_MAX + 4 + 1 + KEYSTORE_NAME_MAX + KS_KEY_ID_SIZE)

size_t
ks_secret_ad(
    uint8_t *ad, size_t ad_size, const char *name, size_t name_len, const struct ks_secret_rec *r)
{
	struct ks_w w = { ad, ad_size, 0 };
	size_t pl = strnlen(r->policy, KEYSTORE_NAME_MAX);
	uint8_t b[4];
	int i;

	for (i = 0; i < 4; i++)
		b[i] = (uint8_t)(r->version >> (8 * i));
	/* sizeof includes the label's NUL: it ends the label unambiguously. */
	memcpy(w.p + w.len, ks_ad_label, sizeof(ks_ad_label));
	w.len += sizeof(ks_ad_label);
	w.p[w.len++] = (uint8_t)name_len;
	memcpy(w.p + w.len, name, name_len);
	w.len += name_len;
	memcpy(w.p + w.len, b, 4);
	w.len += 4;
	w.p[w.len++] = (uint8_t)pl;
	memcpy(w.p + w.len, r->policy, pl);
	w.len += pl;
	memcpy(w.p + w.len, r->key_id, KS_KEY_ID_SIZE);
	w.len += KS_KEY_ID_SIZE;
	return w.len;
}

int
ks_seal_secret(const struct ks_keys *keys, const char *name, struct ks_secret_rec *r,
    const uint8_t *value, size_t value_len, uint8_t *ct_out)
{
	uint8_t ad[KS_AD_MAX];
	unsigned long long clen = 0;
	size_t name_len = strnlen(name, KEYSTORE_NAME_MAX + 1), adl;

	if (name_len > KEYSTORE_NAME_MAX || value_len > KEYSTORE_SECRET_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	memcpy(r->key_id, keys->key_id, KS_KEY_ID_SIZE);
	randombytes_buf(r->nonce, sizeof(r->nonce));
	adl = ks_secret_ad(ad, sizeof(ad), name, name_len, r);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
		ct_out, &clen, value, value_len, ad, adl, NULL, r->nonce, keys->seal) != 0)
		return KBS_ERR_INTERNAL;
	r->ct = ct_out;
	r->ct_len = (size_t)clen;
	return 0;
}

int
ks_open_secret(
    const struct ks_keys *keys, const char *name, const struct ks_secret_rec *r, uint8_t *value_out)
{
	uint8_t ad[KS_AD_MAX];
	unsigned long long mlen = 0;
	size_t name_len = strnlen(name, KEYSTORE_NAME_MAX + 1), adl;

	if (name_len > KEYSTORE_NAME_MAX || r->ct_len < KS_SEAL_TAG)
		return KBS_ERR_STORE_CORRUPT;
	/* A record sealed under another key cannot open; say which problem it is. */
	if (sodium_memcmp(r->key_id, keys->key_id, KS_KEY_ID_SIZE) != 0)
		return KBS_ERR_STORE_MASTER_KEY;
	adl = ks_secret_ad(ad, sizeof(ad), name, name_len, r);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		value_out, &mlen, NULL, r->ct, r->ct_len, ad, adl, r->nonce, keys->seal) != 0) {
		sodium_memzero(value_out, r->ct_len - KS_SEAL_TAG);
		return KBS_ERR_STORE_INTEGRITY;
	}
	return 0;
}

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
	int i;

	for (i = 0; i < 8; i++)
		seq[i] = (uint8_t)(h->seq >> (8 * i));
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
