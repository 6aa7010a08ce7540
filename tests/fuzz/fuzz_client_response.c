/*
 * fuzz_client_response.c: every parser libkbsclient runs on bytes from
 * the network: the challenge answer, the 200 answers of /v1/attest (with
 * and without a pinned broker key, so the fuzzer also reaches the
 * decryption) and /v1/secrets, error answers under each status class,
 * attestation tokens and JWK sets. Selector 'T' takes a token's payload
 * and signs it with the broker's key here, so the claims parser behind
 * the signature check is reached too ('t' tokens must carry a valid
 * signature to get there). Selector 'j' is kbs-admin's reading of an
 * admin API answer (parse, print, parse again).
 *
 * Input: one selector byte, then the body. The expected exchange uses the
 * keys of tests/unit/client/mock_broker.c (identity seed 7, guest secret
 * key 0x11..., nonce a0..bf), so the seed corpus (written by
 * gen_client_corpus in tests/unit/client) holds answers that open.
 *
 * Invariants checked besides "no crash": an answer that opens carries
 * exactly the names asked for, in request order; a failed open returns
 * nothing; failure details stay printable and bounded; a token that
 * verifies is affirming, unexpired and names a secret.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kbsclient-int.h"

#define NOW 1760000000
#define FETCH_TOKEN "eyJhbGciOiJFZERTQSJ9.e30.c2ln"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t id_pk[32], id_sk[64], g_sk[32], g_pk[32], nonce[32], token_hash[32];
static const char *const names[2] = { "tls/key", "disk-key" };
static char jwks[256];

static void
init(void)
{
	static int done;
	uint8_t seed[32];
	char x[44];
	size_t i;

	if (done)
		return;
	if (kbs_crypto_init() != 0)
		abort();
	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(id_pk, id_sk, seed);
	memset(g_sk, 0x11, sizeof(g_sk));
	crypto_scalarmult_base(g_pk, g_sk);
	for (i = 0; i < 32; i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	crypto_hash_sha256(token_hash, (const uint8_t *)FETCH_TOKEN, strlen(FETCH_TOKEN));
	sodium_bin2base64(x, sizeof(x), id_pk, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	/* The kid is mock_broker's RFC 7638 thumbprint; any kid works for the set lookup. */
	snprintf(jwks, sizeof(jwks),
	    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"k\"}]}", x);
	done = 1;
}

static void
check_printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();
	while (n-- > 0) {
		if (!kbsc_is_printable((unsigned char)s[n]))
			abort();
	}
}

static void
fuzz_open(const uint8_t *body, size_t len, int attest, int pinned)
{
	struct kbs_client_release *rel = NULL;
	struct kbsc_expect e;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.kind_attest = attest;
	memcpy(e.binding, attest ? nonce : token_hash, 32);
	e.guest_pk = g_pk;
	e.guest_sk = g_sk;
	e.server_pk = pinned ? id_pk : NULL;
	e.names = attest ? names : names + 1;
	e.count = attest ? 2 : 1;
	if (kbsc_open_response(body, len, &e, &rel) != 0) {
		if (rel != NULL)
			abort();
		return;
	}
	if (rel == NULL || rel->count != e.count || rel->token == NULL)
		abort();
	for (i = 0; i < rel->count; i++) {
		if (strcmp(rel->secrets[i].name, e.names[i]) != 0 || rel->secrets[i].value == NULL)
			abort();
	}
	kbs_client_release_free(rel);
}

static void
fuzz_failure(long status, const uint8_t *body, size_t len)
{
	static struct kbs_client_failure f;
	size_t i, j;
	int r;

	memset(&f, 0, sizeof(f));
	r = kbsc_parse_failure(status, body, len, &f);
	if (r != KBS_ERR_CLIENT_DENIED && r != KBS_ERR_CLIENT_EVIDENCE_REJECTED &&
	    r != KBS_ERR_CLIENT_UNREACHABLE && r != KBS_ERR_CLIENT_HTTP_STATUS &&
	    r != KBS_ERR_CLIENT_RESPONSE_MALFORMED && r != KBS_ERR_CLIENT_REFUSED)
		abort();
	if ((r == KBS_ERR_CLIENT_DENIED) != (f.denied_count > 0) ||
	    f.denied_count > KBS_CLIENT_MAX_SECRETS)
		abort();
	check_printable(f.error, sizeof(f.error));
	check_printable(f.check, sizeof(f.check));
	check_printable(f.detail, sizeof(f.detail));
	check_printable(f.message, sizeof(f.message));
	check_printable(f.request_id, sizeof(f.request_id));
	for (i = 0; i < f.denied_count; i++) {
		if (f.denied[i].rule_count > KBS_CLIENT_MAX_RULES)
			abort();
		check_printable(f.denied[i].secret, sizeof(f.denied[i].secret));
		check_printable(f.denied[i].policy, sizeof(f.denied[i].policy));
		for (j = 0; j < f.denied[i].rule_count; j++)
			check_printable(f.denied[i].rules[j], sizeof(f.denied[i].rules[j]));
	}
}

static void check_claims(const struct kbs_client_token_claims *c);

/*
 * fuzz_admin_answer: what kbs-admin does with an answer of the admin API
 * (an object, or one audit export line): kbsc_json_parse, then print it
 * again. What parsed once must print, and the print must parse again and
 * print the same text. (Trees are not compared: members repeated inside
 * nested objects are allowed, kbsc_json_parse refuses them only at the top
 * level, and cJSON_Compare finds only the first of them; a number past
 * double range prints as null, and every number libkbsclient uses is
 * range-checked.)
 */
static void
fuzz_admin_answer(const uint8_t *body, size_t len)
{
	cJSON *a = NULL, *b = NULL;
	char *text, *again;

	if (kbsc_json_parse(body, len, &a) != 0) {
		if (a != NULL)
			abort();
		return;
	}
	if ((text = cJSON_PrintUnformatted(a)) == NULL)
		abort();
	if (kbsc_json_parse((const uint8_t *)text, strlen(text), &b) != 0 ||
	    (again = cJSON_PrintUnformatted(b)) == NULL || strcmp(text, again) != 0)
		abort();
	free(again);
	free(text);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void
fuzz_token(const uint8_t *body, size_t len)
{
	static struct kbs_client_token_claims c;

	if (kbs_client_token_verify((const char *)body, len, jwks, strlen(jwks), NOW, &c) != 0)
		return;
	check_claims(&c);
}

/*
 * fuzz_signed_payload: the input is a token's payload, signed here with
 * the broker's key (kid "k") so that the claims parser behind the
 * signature check is reached, which forged tokens never do.
 */
static void
fuzz_signed_payload(const uint8_t *payload, size_t len)
{
	static const char header[] = "{\"alg\":\"EdDSA\",\"kid\":\"k\"}";
	static struct kbs_client_token_claims c;
	const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t hl, pl, total, signed_len;
	uint8_t sig[64];
	char *t;

	if (len > (64u << 10))
		return;
	hl = sodium_base64_ENCODED_LEN(sizeof(header) - 1, v) - 1;
	pl = sodium_base64_ENCODED_LEN(len, v) - 1;
	signed_len = hl + 1 + pl;
	total = signed_len + 1 + sodium_base64_ENCODED_LEN(64, v) - 1;
	if ((t = malloc(total + 1)) == NULL)
		return;
	sodium_bin2base64(t, hl + 1, (const uint8_t *)header, sizeof(header) - 1, v);
	t[hl] = '.';
	sodium_bin2base64(t + hl + 1, pl + 1, payload, len, v);
	crypto_sign_detached(sig, NULL, (const uint8_t *)t, signed_len, id_sk);
	t[signed_len] = '.';
	sodium_bin2base64(t + signed_len + 1, total - signed_len, sig, 64, v);
	if (kbs_client_token_verify(t, total, jwks, strlen(jwks), NOW, &c) == 0)
		check_claims(&c);
	free(t);
}

static void
check_claims(const struct kbs_client_token_claims *c)
{
	if (strcmp(c->status, "affirming") != 0 || c->exp <= NOW || c->secret_count == 0 ||
	    c->secret_count > KBS_CLIENT_MAX_SECRETS)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 204, 302, 400, 401, 403, 404, 429, 500, 501, 503 };
	uint8_t n[32];
	int64_t exp = 0;

	init();
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 'c':
		if (kbsc_parse_challenge(data + 1, size - 1, n, &exp) == 0 && exp < 0)
			abort();
		break;
	case 'a':
		fuzz_open(data + 1, size - 1, 1, 1);
		break;
	case 'u':
		fuzz_open(data + 1, size - 1, 1, 0);
		break;
	case 's':
		fuzz_open(data + 1, size - 1, 0, 1);
		break;
	case 'e':
		if (size >= 2)
			fuzz_failure(statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))],
			    data + 2, size - 2);
		break;
	case 't':
		fuzz_token(data + 1, size - 1);
		break;
	case 'T':
		fuzz_signed_payload(data + 1, size - 1);
		break;
	case 'j':
		fuzz_admin_answer(data + 1, size - 1);
		break;
	case 'k':
		if (kbsc_jwks_find((const char *)data + 1, size - 1, "k", n) == 0 &&
		    !crypto_core_ed25519_is_valid_point(n))
			abort();
		break;
	default:
		break;
	}
	return 0;
}
