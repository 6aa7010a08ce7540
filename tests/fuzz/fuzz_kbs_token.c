/*
 * fuzz_kbs_token.c: kbs_token_verify, the parser of bearer tokens, on
 * arbitrary bytes.
 *
 * Two modes, chosen by the first byte:
 *   0x00  the rest is a payload: the harness signs it correctly under our
 *         header with the harness key, so the fuzzer reaches the claims
 *         parser that a forged signature would never reach;
 *   else  the whole input is the token (shape, header, base64url,
 *         signature checks).
 * The key is Ed25519 from the seed 70 71 .. 8f, the one of
 * tests/unit/kbs/token_fixture.h; the seeds in corpus/kbs_token/ were made
 * with kbs_token_sign from that fixture (iat 1760000000), so the valid
 * ones verify at NOW.
 *
 * Invariants (abort on violation): a refusal is one of the five token
 * codes (or out of memory); an accepted token has 1..32 secrets with
 * NUL-terminated names of 1..255 bytes, a non-empty jti, iat < exp, and
 * is within its time window at NOW.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_common.h"
#include "token.h"

#define NOW 1760000001

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kbs_token_key key;
static uint8_t sk[64];

static void
setup(void)
{
	static int ready;
	uint8_t seed[32], pk[32];
	size_t i;

	if (ready)
		return;
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0x70 + i);
	if (kbs_crypto_init() != 0 || crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
	    kbs_token_key_init(pk, &key) != 0)
		abort();
	ready = 1;
}

/* signed_token wraps payload[0..len) into a correctly signed token (malloc'd). */
static char *
signed_token(const uint8_t *payload, size_t len, size_t *ret_len)
{
	const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t penc = sodium_base64_ENCODED_LEN(len, v), signed_len, total;
	uint8_t sig[64];
	char *t;

	if (len > KBS_TOKEN_MAX_LEN)
		return NULL;
	signed_len = key.header_b64_len + 1 + penc - 1;
	total = signed_len + 1 + sodium_base64_ENCODED_LEN(64, v) - 1;
	if ((t = malloc(total + 1)) == NULL)
		abort();
	memcpy(t, key.header_b64, key.header_b64_len);
	t[key.header_b64_len] = '.';
	sodium_bin2base64(t + key.header_b64_len + 1, penc, payload, len, v);
	crypto_sign_detached(sig, NULL, (const uint8_t *)t, signed_len, sk);
	t[signed_len] = '.';
	sodium_bin2base64(t + signed_len + 1, total + 1 - signed_len - 1, sig, 64, v);
	*ret_len = total;
	return t;
}

static void
check_accepted(const struct kbs_token_verified *v)
{
	size_t i, n;

	if (v->secret_count == 0 || v->secret_count > KBS_TOKEN_MAX_SECRETS || v->exp <= v->iat ||
	    NOW >= v->exp || v->iat - KBS_TOKEN_CLOCK_SKEW > NOW || v->jti[0] == '\0' ||
	    memchr(v->jti, '\0', sizeof(v->jti)) == NULL)
		abort();
	for (i = 0; i < v->secret_count; i++) {
		n = strnlen(v->secrets[i].name, sizeof(v->secrets[i].name));
		if (n == 0 || n > KBS_TOKEN_NAME_MAX ||
		    strnlen(v->secrets[i].policy, sizeof(v->secrets[i].policy)) >
			KBS_TOKEN_NAME_MAX)
			abort();
		if (kbs_token_find_secret(v, v->secrets[i].name) == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kbs_token_verified v;
	char *owned = NULL;
	const char *token = (const char *)data;
	size_t len = size;
	int r;

	setup();
	if (size > 0 && data[0] == 0x00) {
		if ((owned = signed_token(data + 1, size - 1, &len)) == NULL)
			return 0;
		token = owned;
	}
	r = kbs_token_verify(&key, token, len, NOW, &v);
	switch (r) {
	case 0:
		check_accepted(&v);
		break;
	case KBS_ERR_TOKEN_MALFORMED:
	case KBS_ERR_TOKEN_HEADER:
	case KBS_ERR_TOKEN_SIGNATURE:
	case KBS_ERR_TOKEN_CLAIMS:
	case KBS_ERR_TOKEN_EXPIRED:
	case KBS_ERR_ALLOC:
		break;
	default:
		abort();
	}
	free(owned);
	return 0;
}
