/*
 * kbs_proto.c: key derivation, wrapping and the response transcript of
 * protocol v1 (docs/protocol.md). libsodium does the primitives; this file
 * only fixes the bytes that go into them.
 */
#include "kbs_proto.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char wrap_label[] = "kbs-wrap-v1";         /* without the NUL */
static const char response_label[] = "kbs-response-v1"; /* followed by one 0 byte */

#define WRAP_LABEL_LEN (sizeof(wrap_label) - 1)

/* derive hashes the label, the shared secret and both public keys, broker's first. */
static int
derive(const uint8_t shared[KBS_PROTO_X25519_SIZE], const uint8_t e_pk[KBS_PROTO_X25519_SIZE],
    const uint8_t g_pk[KBS_PROTO_X25519_SIZE], uint8_t ret_key[KBS_PROTO_KEY_SIZE])
{
	crypto_generichash_state st;
	int r = KBS_ERR_INTERNAL;

	if (crypto_generichash_init(&st, NULL, 0, KBS_PROTO_KEY_SIZE) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)wrap_label, WRAP_LABEL_LEN) != 0 ||
	    crypto_generichash_update(&st, shared, KBS_PROTO_X25519_SIZE) != 0 ||
	    crypto_generichash_update(&st, e_pk, KBS_PROTO_X25519_SIZE) != 0 ||
	    crypto_generichash_update(&st, g_pk, KBS_PROTO_X25519_SIZE) != 0 ||
	    crypto_generichash_final(&st, ret_key, KBS_PROTO_KEY_SIZE) != 0)
		goto out;
	r = 0;
out:
	sodium_memzero(&st, sizeof(st));
	return r;
}

/* agree runs X25519; libsodium refuses an all-zero result (a small-order peer key). */
static int
agree(const uint8_t sk[KBS_PROTO_X25519_SIZE], const uint8_t peer[KBS_PROTO_X25519_SIZE],
    const uint8_t e_pk[KBS_PROTO_X25519_SIZE], const uint8_t g_pk[KBS_PROTO_X25519_SIZE],
    uint8_t ret_key[KBS_PROTO_KEY_SIZE])
{
	uint8_t shared[KBS_PROTO_X25519_SIZE];
	int r = KBS_ERR_WRAP_WEAK_KEY;

	if (crypto_scalarmult(shared, sk, peer) != 0)
		goto out;
	r = derive(shared, e_pk, g_pk, ret_key);
out:
	sodium_memzero(shared, sizeof(shared));
	return r;
}

int
kbs_wrap_key_broker(const uint8_t e_sk[KBS_PROTO_X25519_SIZE],
    const uint8_t e_pk[KBS_PROTO_X25519_SIZE], const uint8_t g_pk[KBS_PROTO_X25519_SIZE],
    uint8_t ret_key[KBS_PROTO_KEY_SIZE])
{
	return agree(e_sk, g_pk, e_pk, g_pk, ret_key);
}

int
kbs_wrap_key_guest(const uint8_t g_sk[KBS_PROTO_X25519_SIZE],
    const uint8_t g_pk[KBS_PROTO_X25519_SIZE], const uint8_t e_pk[KBS_PROTO_X25519_SIZE],
    uint8_t ret_key[KBS_PROTO_KEY_SIZE])
{
	return agree(g_sk, e_pk, e_pk, g_pk, ret_key);
}

size_t
kbs_wrap_ad_len(size_t name_len)
{
	return WRAP_LABEL_LEN + 1 + name_len + KBS_PROTO_BINDING_SIZE;
}

int
kbs_wrap_ad(const char *name, size_t name_len, const uint8_t binding[KBS_PROTO_BINDING_SIZE],
    uint8_t *out, size_t out_size)
{
	size_t off = 0;

	if (name_len == 0 || name_len > KBS_PROTO_NAME_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	if (out_size < kbs_wrap_ad_len(name_len))
		return KBS_ERR_BUFFER_TOO_SMALL;
	memcpy(out, wrap_label, WRAP_LABEL_LEN);
	off += WRAP_LABEL_LEN;
	out[off++] = (uint8_t)name_len;
	memcpy(out + off, name, name_len);
	off += name_len;
	memcpy(out + off, binding, KBS_PROTO_BINDING_SIZE);
	return 0;
}

/* The AD is at most label + 1 + 255 + 32 bytes: a stack buffer, no allocation. */
#define AD_MAX (WRAP_LABEL_LEN + 1 + KBS_PROTO_NAME_MAX + KBS_PROTO_BINDING_SIZE)

int
kbs_wrap_seal(const uint8_t key[KBS_PROTO_KEY_SIZE],
    const uint8_t aead_nonce[KBS_PROTO_AEAD_NONCE_SIZE], const char *name, size_t name_len,
    const uint8_t binding[KBS_PROTO_BINDING_SIZE], const uint8_t *value, size_t len, uint8_t *out,
    size_t out_size)
{
	uint8_t ad[AD_MAX];
	unsigned long long ct_len;
	int r;

	if ((r = kbs_wrap_ad(name, name_len, binding, ad, sizeof(ad))) != 0)
		return r;
	if (len > SIZE_MAX - KBS_PROTO_TAG_SIZE || out_size < len + KBS_PROTO_TAG_SIZE)
		return KBS_ERR_BUFFER_TOO_SMALL;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out, &ct_len, value, len, ad,
		kbs_wrap_ad_len(name_len), NULL, aead_nonce, key) != 0)
		return KBS_ERR_INTERNAL;
	return 0;
}

int
kbs_wrap_open(const uint8_t key[KBS_PROTO_KEY_SIZE],
    const uint8_t aead_nonce[KBS_PROTO_AEAD_NONCE_SIZE], const char *name, size_t name_len,
    const uint8_t binding[KBS_PROTO_BINDING_SIZE], const uint8_t *ct, size_t ct_len, uint8_t *out,
    size_t out_size, size_t *ret_len)
{
	uint8_t ad[AD_MAX];
	unsigned long long pt_len;
	int r;

	if ((r = kbs_wrap_ad(name, name_len, binding, ad, sizeof(ad))) != 0)
		return r;
	if (ct_len < KBS_PROTO_TAG_SIZE)
		return KBS_ERR_TRUNCATED;
	if (out_size < ct_len - KBS_PROTO_TAG_SIZE)
		return KBS_ERR_BUFFER_TOO_SMALL;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &pt_len, NULL, ct, ct_len, ad,
		kbs_wrap_ad_len(name_len), aead_nonce, key) != 0) {
		sodium_memzero(out, ct_len - KBS_PROTO_TAG_SIZE);
		return KBS_ERR_WRAP_OPEN;
	}
	*ret_len = (size_t)pt_len;
	return 0;
}

/* ---- The transcript ------------------------------------------------- */

/*
 * A writer that first measures (out == NULL) and then fills: the same code
 * sizes and writes the transcript, so the two cannot disagree.
 */
struct tw {
	uint8_t *out;
	size_t off;
	int err;
};

static void
tw_bytes(struct tw *w, const void *p, size_t n)
{
	if (w->out != NULL && n > 0)
		memcpy(w->out + w->off, p, n);
	w->off += n;
}

static void
tw_u32(struct tw *w, uint64_t v)
{
	uint8_t b[4];

	if (v > UINT32_MAX) {
		w->err = KBS_ERR_INVALID_ARGUMENT;
		return;
	}
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	tw_bytes(w, b, 4);
}

static void
tw_str(struct tw *w, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	uint8_t b[2];

	if (n > UINT16_MAX) {
		w->err = KBS_ERR_INVALID_ARGUMENT;
		return;
	}
	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	tw_bytes(w, b, 2);
	tw_bytes(w, s, n);
}

static void
transcript(struct tw *w, const struct kbs_proto_response *resp)
{
	size_t i;

	tw_bytes(w, response_label, sizeof(response_label)); /* label and its 0 byte */
	tw_bytes(w, resp->binding, KBS_PROTO_BINDING_SIZE);
	tw_bytes(w, resp->guest_key, KBS_PROTO_X25519_SIZE);
	tw_bytes(w, resp->wrap_key, KBS_PROTO_X25519_SIZE);
	tw_str(w, resp->request_id);
	tw_u32(w, resp->count);
	for (i = 0; i < resp->count && w->err == 0; i++) {
		const struct kbs_proto_secret *s = &resp->secrets[i];

		tw_str(w, s->name);
		tw_str(w, s->policy_name);
		tw_u32(w, s->policy_version);
		tw_bytes(w, s->policy_sha256, sizeof(s->policy_sha256));
		tw_bytes(w, s->aead_nonce, sizeof(s->aead_nonce));
		tw_u32(w, s->ciphertext_len);
		tw_bytes(w, s->ciphertext, s->ciphertext_len);
	}
	tw_str(w, resp->token);
}

int
kbs_proto_signed_bytes(const struct kbs_proto_response *resp, uint8_t **ret, size_t *ret_len)
{
	struct tw w = { NULL, 0, 0 };

	if (resp->count > 0 && resp->secrets == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	transcript(&w, resp);
	if (w.err != 0)
		return w.err;
	if ((w.out = malloc(w.off)) == NULL)
		return KBS_ERR_ALLOC;
	*ret_len = w.off;
	w.off = 0;
	transcript(&w, resp);
	*ret = w.out;
	return 0;
}

int
kbs_proto_sign(const struct kbs_proto_response *resp, const uint8_t sk[KBS_PROTO_ED25519_SK_SIZE],
    uint8_t ret_sig[KBS_PROTO_SIG_SIZE])
{
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	if ((r = kbs_proto_signed_bytes(resp, &msg, &len)) != 0)
		return r;
	r = crypto_sign_detached(ret_sig, NULL, msg, len, sk) == 0 ? 0 : KBS_ERR_INTERNAL;
	free(msg);
	return r;
}

int
kbs_proto_verify(const struct kbs_proto_response *resp, const uint8_t pk[KBS_PROTO_ED25519_PK_SIZE],
    const uint8_t sig[KBS_PROTO_SIG_SIZE])
{
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	if ((r = kbs_proto_signed_bytes(resp, &msg, &len)) != 0)
		return r;
	r = crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : KBS_ERR_RESPONSE_SIGNATURE;
	free(msg);
	return r;
}
