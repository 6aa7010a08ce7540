/*
 * fuzz_kbs_proto.c: common/kbs_proto, the protocol's wrapping and
 * signature, with every field an attacker or a broken peer controls taken
 * from the input: the peer's X25519 key, the secret name, binding, AEAD
 * nonce and ciphertext, and a whole response (request id, secrets,
 * token) for the transcript.
 *
 * Input (a cursor; a field that does not fit ends the input):
 *   mode u8, peer[32], name_len u8, name, binding[32], aead_nonce[24],
 *   then the rest: the ciphertext (mode 0: the plaintext, sealed by the
 *   harness first, so the fuzzer also reaches a successful open).
 * The response is made of the same fields: request id = name, one or
 * two secrets named by halves of name, the rest as ciphertext and token.
 *
 * Invariants (abort on violation): key agreement is 0 or
 * KBS_ERR_WRAP_WEAK_KEY, and the two sides derive the same key for the
 * harness's own key pairs; open(seal(x)) == x, and one changed byte of
 * the ciphertext is KBS_ERR_WRAP_OPEN with the output wiped; a forged
 * ciphertext never opens; the transcript reads back field by field
 * into the response it was built from (no two responses share one) and
 * its signature verifies while a changed byte of it or of the signature
 * does not.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CT_MAX 4096

static uint8_t e_sk[32], e_pk[32], g_sk[32], g_pk[32], sign_pk[32], sign_sk[64];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_kbs_proto: %s\n", what);
	abort();
}

static void
setup(void)
{
	static int ready;
	uint8_t seed[32];

	if (ready)
		return;
	if (sodium_init() < 0)
		fail("sodium_init");
	memset(e_sk, 0x21, sizeof(e_sk));
	memset(g_sk, 0x11, sizeof(g_sk));
	memset(seed, 7, sizeof(seed));
	if (crypto_scalarmult_base(e_pk, e_sk) != 0 || crypto_scalarmult_base(g_pk, g_sk) != 0 ||
	    crypto_sign_seed_keypair(sign_pk, sign_sk, seed) != 0)
		fail("keys");
	ready = 1;
}

struct cur {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *
take(struct cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

/* rd reads the transcript back, big-endian fields as kbs_proto writes them. */
struct rd {
	const uint8_t *p;
	size_t left;
	int bad;
};

static const uint8_t *
rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static uint32_t
rd_u(struct rd *r, size_t width)
{
	const uint8_t *p = rd_bytes(r, width);
	uint32_t v = 0;
	size_t i;

	for (i = 0; p != NULL && i < width; i++)
		v = v << 8 | p[i];
	return v;
}

static void
rd_same(struct rd *r, const void *want, size_t n)
{
	const uint8_t *p = rd_bytes(r, n);

	if (p != NULL && n > 0 && memcmp(p, want, n) != 0)
		r->bad = 1;
}

static void
rd_str(struct rd *r, const char *s)
{
	size_t n = strlen(s);

	if (rd_u(r, 2) != n)
		r->bad = 1;
	rd_same(r, s, n);
}

static void
check_transcript(const struct kbs_proto_response *resp, const uint8_t *msg, size_t len)
{
	struct rd r = { msg, len, 0 };
	const uint8_t *label;
	size_t i;

	/* The label is a NUL-terminated string. */
	if ((label = memchr(msg, '\0', len)) == NULL)
		fail("transcript: no label");
	(void)rd_bytes(&r, (size_t)(label - msg) + 1);
	rd_same(&r, resp->binding, 32);
	rd_same(&r, resp->guest_key, 32);
	rd_same(&r, resp->wrap_key, 32);
	rd_str(&r, resp->request_id);
	if (rd_u(&r, 4) != resp->count)
		r.bad = 1;
	for (i = 0; i < resp->count; i++) {
		const struct kbs_proto_secret *s = &resp->secrets[i];

		rd_str(&r, s->name);
		rd_str(&r, s->policy_name);
		if (rd_u(&r, 4) != s->policy_version)
			r.bad = 1;
		rd_same(&r, s->policy_sha256, 32);
		rd_same(&r, s->aead_nonce, 24);
		if (rd_u(&r, 4) != s->ciphertext_len)
			r.bad = 1;
		rd_same(&r, s->ciphertext, s->ciphertext_len);
	}
	rd_str(&r, resp->token);
	if (r.bad || r.left != 0)
		fail("the transcript does not read back into its response");
}

static void
fuzz_sign(const char *name, size_t name_len, const uint8_t binding[32], const uint8_t nonce[24],
    const uint8_t *ct, size_t ct_len, const uint8_t *peer)
{
	struct kbs_proto_secret secrets[2];
	struct kbs_proto_response resp;
	char rid[256], n1[256], n2[256], token[CT_MAX + 1];
	uint8_t sig[64], *msg = NULL;
	size_t len = 0, half = name_len / 2, cut = ct_len / 2, tlen;

	memcpy(rid, name, name_len);
	rid[name_len] = '\0';
	memcpy(n1, name, half);
	n1[half] = '\0';
	memcpy(n2, name + half, name_len - half);
	n2[name_len - half] = '\0';
	/* The token is text: the second half of the ciphertext up to a NUL. */
	tlen = strnlen((const char *)ct + cut, ct_len - cut);
	memcpy(token, ct + cut, tlen);
	token[tlen] = '\0';
	memset(secrets, 0, sizeof(secrets));
	memset(&resp, 0, sizeof(resp));
	secrets[0].name = n1;
	secrets[0].policy_name = n2;
	secrets[0].policy_version = (uint32_t)name_len << 24 | (uint32_t)ct_len;
	memcpy(secrets[0].policy_sha256, binding, 32);
	memcpy(secrets[0].aead_nonce, nonce, 24);
	secrets[0].ciphertext = ct;
	secrets[0].ciphertext_len = cut;
	secrets[1] = secrets[0];
	secrets[1].name = n2;
	secrets[1].policy_name = n1;
	memcpy(resp.binding, binding, 32);
	memcpy(resp.guest_key, peer, 32);
	memcpy(resp.wrap_key, e_pk, 32);
	resp.request_id = rid;
	resp.count = 1 + (name_len & 1);
	resp.secrets = secrets;
	resp.token = token;
	if (kbs_proto_signed_bytes(&resp, &msg, &len) != 0)
		fail("transcript refused");
	check_transcript(&resp, msg, len);
	free(msg);
	if (kbs_proto_sign(&resp, sign_sk, sig) != 0 || kbs_proto_verify(&resp, sign_pk, sig) != 0)
		fail("a signed response does not verify");
	sig[name_len % 64] ^= 1;
	if (kbs_proto_verify(&resp, sign_pk, sig) != KBS_ERR_RESPONSE_SIGNATURE)
		fail("a changed signature verifies");
	sig[name_len % 64] ^= 1;
	resp.binding[ct_len % 32] ^= 0x80;
	if (kbs_proto_verify(&resp, sign_pk, sig) != KBS_ERR_RESPONSE_SIGNATURE)
		fail("a changed response verifies");
	/* The input's own bytes as a signature: only ever the real one. */
	if (ct_len >= 64 && kbs_proto_verify(&resp, sign_pk, ct) == 0)
		fail("a forged signature verifies");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pt[CT_MAX], ct[CT_MAX + 16], out[CT_MAX + 16];
	struct cur c = { data, size };
	const uint8_t *mode, *peer, *nl, *name, *binding, *nonce, *rest;
	uint8_t key_b[32], key_g[32], key[32];
	size_t rest_len, ct_len, len = 0, i;
	int r;

	setup();
	if ((mode = take(&c, 1)) == NULL || (peer = take(&c, 32)) == NULL ||
	    (nl = take(&c, 1)) == NULL || (name = take(&c, *nl)) == NULL ||
	    (binding = take(&c, 32)) == NULL || (nonce = take(&c, 24)) == NULL || c.left > CT_MAX ||
	    memchr(name, '\0', *nl) != NULL)
		return 0;
	rest = c.p;
	rest_len = c.left;

	/* Agreement with the peer's key as each side would receive it. */
	r = kbs_wrap_key_broker(e_sk, e_pk, peer, key_b);
	if (r != 0 && r != KBS_ERR_WRAP_WEAK_KEY)
		fail("broker agreement: unexpected code");
	r = kbs_wrap_key_guest(g_sk, g_pk, peer, key_g);
	if (r != 0 && r != KBS_ERR_WRAP_WEAK_KEY)
		fail("guest agreement: unexpected code");
	if (kbs_wrap_key_broker(e_sk, e_pk, g_pk, key_b) != 0 ||
	    kbs_wrap_key_guest(g_sk, g_pk, e_pk, key_g) != 0 || memcmp(key_b, key_g, 32) != 0)
		fail("the two sides derive different keys");
	memcpy(key, key_b, 32);
	key[0] ^= peer[0]; /* a key the input chooses a little of */

	if (*mode == 0) {
		r = kbs_wrap_seal(
		    key, nonce, (const char *)name, *nl, binding, rest, rest_len, ct, sizeof(ct));
		if (*nl == 0) {
			if (r != KBS_ERR_INVALID_ARGUMENT)
				fail("sealed under an empty name");
			return 0;
		}
		if (r != 0)
			fail("seal failed");
		ct_len = rest_len + 16;
		if (kbs_wrap_open(key, nonce, (const char *)name, *nl, binding, ct, ct_len, out,
			sizeof(out), &len) != 0 ||
		    len != rest_len || (len > 0 && memcmp(out, rest, len) != 0))
			fail("open(seal(x)) is not x");
		ct[(size_t)binding[0] % ct_len] ^= 0x01;
		memset(out, 0xa5, ct_len);
		if (kbs_wrap_open(key, nonce, (const char *)name, *nl, binding, ct, ct_len, out,
			sizeof(out), &len) != KBS_ERR_WRAP_OPEN)
			fail("a changed ciphertext opened");
		for (i = 0; i < rest_len; i++)
			if (out[i] != 0)
				fail("a failed open left plaintext behind");
	} else {
		r = kbs_wrap_open(key, nonce, (const char *)name, *nl, binding, rest, rest_len, pt,
		    sizeof(pt), &len);
		if (r == 0)
			fail("a forged ciphertext opened");
		if (r != KBS_ERR_WRAP_OPEN && r != KBS_ERR_TRUNCATED &&
		    r != KBS_ERR_INVALID_ARGUMENT)
			fail("open: unexpected code");
	}
	fuzz_sign((const char *)name, *nl, binding, nonce, rest, rest_len, peer);
	return 0;
}
