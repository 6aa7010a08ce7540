/*
 * gen_client_corpus.c: writes the seed corpus of
 * tests/fuzz/fuzz_client_response.c into DIR, from the mock broker, with
 * the keys that harness expects. Run by hand when the answers change:
 *
 *   build/tests/unit/client/gen_client_corpus tests/fuzz/corpus/client_response
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_common.h"
#include "mock_broker.h"

#define NOW 1760000000
#define FETCH_TOKEN "eyJhbGciOiJFZERTQSJ9.e30.c2ln"
#define RID "0123456789abcdef0123456789abcdef"

static const char *dir;

static void
put(const char *name, const char *prefix, size_t prefix_len, const char *body, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(prefix, 1, prefix_len, f) != prefix_len ||
	    fwrite(body, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void
put_text(const char *name, const char *prefix, char *body)
{
	put(name, prefix, strlen(prefix), body, strlen(body));
	free(body);
}

int
main(int argc, char **argv)
{
	struct mock_broker b;
	struct mock_secret s[2];
	uint8_t g_sk[32], g_pk[32], nonce[32], th[32], v1[32], v2[5];
	cJSON *den, *e, *rules, *o;
	char *text, *nb;
	size_t i;

	if (argc != 2 || kbs_crypto_init() != 0)
		return 2;
	dir = argv[1];
	mock_broker_init(&b, 7);
	memset(g_sk, 0x11, 32);
	crypto_scalarmult_base(g_pk, g_sk);
	for (i = 0; i < 32; i++) {
		nonce[i] = (uint8_t)(0xa0 + i);
		v1[i] = (uint8_t)(0xc0 + i);
	}
	memcpy(v2, "hello", 5);
	s[0] = (struct mock_secret){ "disk-key", "prod-disk", 3, { 0x90 }, v1, 32 };
	s[1] = (struct mock_secret){ "tls/key", "prod-tls", 1, { 0x01 }, v2, 5 };
	crypto_hash_sha256(th, (const uint8_t *)FETCH_TOKEN, strlen(FETCH_TOKEN));

	o = cJSON_CreateObject();
	nb = mock_b64(nonce, 32);
	cJSON_AddStringToObject(o, "nonce", nb);
	cJSON_AddNumberToObject(o, "expires_at", NOW + 120);
	free(nb);
	put_text("challenge_ok", "c", mock_print(o));
	put_text(
	    "attest_ok", "a", mock_print(mock_answer(&b, nonce, g_pk, s, 2, RID, FETCH_TOKEN)));
	put_text("attest_unpinned_ok", "u",
	    mock_print(mock_answer(&b, nonce, g_pk, s, 2, RID, FETCH_TOKEN)));
	put_text("attest_one_missing", "a",
	    mock_print(mock_answer(&b, nonce, g_pk, s, 1, RID, FETCH_TOKEN)));
	text = mock_print(mock_answer(&b, nonce, g_pk, s, 2, RID, FETCH_TOKEN));
	put("attest_truncated", "a", 1, text, strlen(text) / 2);
	free(text);
	put_text("fetch_ok", "s", mock_print(mock_answer(&b, th, g_pk, s, 1, RID, NULL)));

	den = cJSON_CreateArray();
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "secret", "disk-key");
	cJSON_AddStringToObject(e, "policy", "prod");
	rules = cJSON_AddArrayToObject(e, "rules");
	cJSON_AddItemToArray(rules, cJSON_CreateString("measurement"));
	cJSON_AddItemToArray(rules, cJSON_CreateString("min_tcb.milan"));
	cJSON_AddItemToArray(den, e);
	put_text("error_denied", "e\x04", mock_error("policy_denied", "a policy refused", den));
	put_text("error_evidence", "e\x03",
	    mock_error("evidence", "the evidence failed verification", NULL));
	put_text("error_unavailable", "e\x09", mock_error("unavailable", "nothing released", NULL));
	put("error_html", "e\x07", 2, "<html>oops</html>", 17);

	text =
	    mock_jwt(mock_jwt_header("k"), mock_claims(NOW - 10, NOW + 290, g_pk, s, 2), b.id_sk);
	put_text("token_ok", "t", text);
	put_text("jwks_ok", "k", mock_jwks(&b));
	return 0;
}
