/*
 * Unit tests for kbs/token.c: the RFC 8037 thumbprint vector, the exact
 * JWKS and payload, a round trip, an independent verification (libsodium
 * on the key taken from the JWKS JSON, cJSON on the payload), then every
 * refusal of kbs_token_verify with its exact code: the shape (padding,
 * 2 and 4 parts, empty parts, foreign characters, oversized), the header
 * (alg none, HS256, crit, another kid), the signature (a changed payload
 * or signature byte), the claims (payloads we would never make, signed
 * with the right key so that only the claims parser can refuse them) and
 * the time window at its exact boundaries; and the limits of
 * kbs_token_sign, including the largest token they allow.
 */
#include <cjson/cJSON.h>
#include <sodium.h>

#include "test.h"
#include "token_fixture.h"

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

static struct token_fixture fix;

static void
setup(void)
{
	if (token_fixture_init(&fix) != 0)
		exit(2);
}

/* make signs the fixture's claims or exits (noinline: GCC's dangling-pointer check misreads it). */
__attribute__((noinline)) static char *
make(size_t *ret_len)
{
	char *t = NULL;
	size_t len = 0;

	if (kbs_token_sign(&fix.key, fix.sk, &fix.claims, &t, &len) != 0)
		exit(2);
	if (ret_len != NULL)
		*ret_len = len;
	return t;
}

/* b64url_dec decodes with libsodium directly into a malloc'd NUL-terminated buffer. */
static uint8_t *
b64url_dec(const char *s, size_t len, size_t *ret_len)
{
	uint8_t *out = malloc(len + 1);
	size_t n = 0;

	if (out == NULL || sodium_base642bin(out, len, s, len, NULL, &n, NULL, B64URL) != 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*ret_len = n;
	return out;
}

static char *
b64url_enc(const uint8_t *b, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, B64URL);
	char *s = malloc(cap);

	if (s == NULL)
		exit(2);
	sodium_bin2base64(s, cap, b, n, B64URL);
	return s;
}

/* flip_low_bit changes the lowest of the six bits a base64url character carries. */
static char
flip_low_bit(char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = strchr(alphabet, c);

	if (p == NULL || c == '\0')
		exit(2);
	return alphabet[(p - alphabet) ^ 1];
}

/* sign_parts builds header_b64 "." base64url(payload) "." signature with the fixture key. */
static char *
sign_parts(const char *header_b64, const char *payload)
{
	char *p = b64url_enc((const uint8_t *)payload, strlen(payload)), *s, *out;
	size_t hl = strlen(header_b64), pl = strlen(p), total;
	uint8_t sig[64];

	total = hl + 1 + pl + 1 + 86;
	if ((out = malloc(total + 1)) == NULL)
		exit(2);
	snprintf(out, total + 1, "%s.%s", header_b64, p);
	if (crypto_sign_detached(sig, NULL, (const uint8_t *)out, hl + 1 + pl, fix.sk) != 0)
		exit(2);
	s = b64url_enc(sig, 64);
	snprintf(out + hl + 1 + pl, total + 1 - hl - 1 - pl, ".%s", s);
	free(p);
	free(s);
	return out;
}

/* payload_tree decodes the payload of a token made from the fixture. */
static cJSON *
payload_tree(void)
{
	char *t = make(NULL), *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');
	size_t n = 0;
	uint8_t *p = b64url_dec(d1 + 1, (size_t)(d2 - d1 - 1), &n);
	cJSON *j = p != NULL ? cJSON_ParseWithLength((const char *)p, n) : NULL;

	free(p);
	free(t);
	if (j == NULL)
		exit(2);
	return j;
}

/* verify_tree prints a payload tree, signs it with the right key and verifies at iat + 1. */
static int
verify_tree(cJSON *j)
{
	struct kbs_token_verified *v = calloc(1, sizeof(*v));
	char *p = cJSON_PrintUnformatted(j), *t;
	int r;

	if (v == NULL || p == NULL)
		exit(2);
	t = sign_parts(fix.key.header_b64, p);
	r = kbs_token_verify(&fix.key, t, strlen(t), FIX_IAT + 1, v);
	free(t);
	cJSON_free(p);
	free(v);
	return r;
}

static int
verify_str(const char *t, int64_t now)
{
	struct kbs_token_verified *v = calloc(1, sizeof(*v));
	int r;

	if (v == NULL)
		exit(2);
	r = kbs_token_verify(&fix.key, t, strlen(t), now, v);
	free(v);
	return r;
}

/* RFC 8037 appendix A: the key of RFC 8032 test 1 has this x and thumbprint. */
static void
test_rfc8037_thumbprint(void)
{
	static const char pk_hex[] =
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	struct kbs_token_key k;
	uint8_t pk[32], *h;
	size_t n = 0;

	CHECK_OK(kbs_hex_decode_exact(pk_hex, 64, pk, 32));
	CHECK_OK(kbs_token_key_init(pk, &k));
	CHECK_STR_EQ(k.x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
	CHECK_STR_EQ(k.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
	CHECK_INT_EQ(k.header_b64_len, strlen(k.header_b64));
	h = b64url_dec(k.header_b64, k.header_b64_len, &n);
	CHECK(h != NULL);
	if (h != NULL)
		CHECK_STR_EQ((const char *)h,
		    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\"}");
	free(h);
	CHECK_ERR(kbs_token_key_init(NULL, &k), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_jwks_exact(void)
{
	char *j = NULL, want[512];
	size_t len = 0;

	setup();
	CHECK_OK(kbs_token_jwks(&fix.key, &j, &len));
	snprintf(want, sizeof(want),
	    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\","
	    "\"use\":\"sig\",\"alg\":\"EdDSA\"}]}",
	    fix.key.x, fix.key.kid);
	CHECK_STR_EQ(j, want);
	CHECK_INT_EQ(len, strlen(want));
	free(j);
}

/* The payload, byte for byte: the claims of docs/protocol.md in a fixed order. */
static void
test_payload_exact(void)
{
	static const char want[] =
	    "{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1760000000,"
	    "\"exp\":1760000300,\"jti\":\"0123456789abcdef0123456789abcdef\","
	    "\"ear.verifier-id\":{\"developer\":\"kbs\",\"build\":\"kbs 0.1.0\"},"
	    "\"submods\":{\"snp\":{\"ear.status\":\"affirming\",\"ear.trustworthiness-vector\":"
	    "{\"instance-identity\":2,\"executables\":2,\"hardware\":2,\"configuration\":2},"
	    "\"ear.appraisal-policy-id\":"
	    "\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\","
	    "\"kbs.evidence\":{\"product\":\"genoa\",\"report_version\":3,\"measurement\":"
	    "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9"
	    "cacbcccdcecf\",\"host_data\":"
	    "\"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\","
	    "\"signer\":\"vcek\",\"chip_id\":\"404142434445464748494a4b4c4d4e4f505152535455565758595a"
	    "5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f\","
	    "\"reported_tcb\":\"1500000000000004\",\"committed_tcb\":\"1500000000000004\","
	    "\"launch_tcb\":\"1400000000000003\",\"vmpl\":0,\"guest_svn\":7,"
	    "\"policy\":\"0000000000030000\",\"extra_root\":true}}},"
	    "\"cnf\":{\"jwk\":{\"kty\":\"OKP\",\"crv\":\"X25519\","
	    "\"x\":\"wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t8\"}},"
	    "\"kbs.secrets\":[{\"name\":\"disk-key\",\"policy\":\"prod-disk-unlock\",\"version\":3,"
	    "\"sha256\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"},"
	    "{\"name\":\"mpc/share-2\",\"policy\":\"mpc-party\",\"version\":1,"
	    "\"sha256\":\"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\"}]}";
	cJSON *j;
	char *p;

	setup();
	j = payload_tree();
	p = cJSON_PrintUnformatted(j);
	CHECK_STR_EQ(p, want);
	cJSON_free(p);
	cJSON_Delete(j);
}

static void
test_round_trip(void)
{
	struct kbs_token_verified *v = calloc(1, sizeof(*v));
	char *t;
	size_t len = 0;

	setup();
	t = make(&len);
	CHECK_INT_EQ(len, strlen(t));
	CHECK(len < 2048); /* a typical token stays small */
	CHECK_OK(kbs_token_verify(&fix.key, t, len, FIX_IAT + 1, v));
	CHECK_INT_EQ(v->iat, FIX_IAT);
	CHECK_INT_EQ(v->exp, FIX_IAT + KBS_TOKEN_LIFETIME_DEFAULT);
	CHECK_STR_EQ(v->jti, fix.claims.jti);
	CHECK_MEM_EQ(v->cnf_x25519, fix.claims.cnf_x25519, 32);
	CHECK(v->extra_root);
	CHECK_INT_EQ(v->secret_count, 2);
	CHECK_STR_EQ(v->secrets[1].name, "mpc/share-2");
	CHECK_STR_EQ(v->secrets[1].policy, "mpc-party");
	CHECK_INT_EQ(v->secrets[1].version, 1);
	CHECK_MEM_EQ(v->secrets[1].sha256, fix.secrets[1].sha256, 32);
	CHECK(kbs_token_find_secret(v, "disk-key") == &v->secrets[0]);
	CHECK(kbs_token_find_secret(v, "disk") == NULL);
	CHECK(kbs_token_find_secret(NULL, "disk-key") == NULL);
	/* Not NUL-terminated: only len bytes are read (ASan would see more). */
	{
		char *exact = malloc(len);

		if (exact == NULL)
			exit(2);
		memcpy(exact, t, len);
		CHECK_OK(kbs_token_verify(&fix.key, exact, len, FIX_IAT + 1, v));
		free(exact);
	}
	free(t);
	free(v);
}

/*
 * What a relying party does with any JWT tooling: take x from the JWKS,
 * verify the signature over the first two parts, read the claims.
 */
static void
test_independent_verification(void)
{
	char *t, *jwks = NULL, *d1, *d2, *cnf_x;
	cJSON *keys = NULL, *payload_json = NULL;
	const cJSON *k, *snp;
	uint8_t pk[32], sig[64], *payload;
	size_t n = 0, jl = 0, plen = 0;

	setup();
	t = make(NULL);
	CHECK_OK(kbs_token_jwks(&fix.key, &jwks, &jl));
	keys = cJSON_Parse(jwks);
	k = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(keys, "keys"), 0);
	CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(k, "x")));
	CHECK(
	    sodium_base642bin(pk, sizeof(pk), cJSON_GetObjectItemCaseSensitive(k, "x")->valuestring,
		43, NULL, &n, NULL, B64URL) == 0 &&
	    n == 32);
	d1 = strchr(t, '.');
	d2 = strchr(d1 + 1, '.');
	CHECK(strchr(d2 + 1, '.') == NULL);
	CHECK(sodium_base642bin(sig, sizeof(sig), d2 + 1, strlen(d2 + 1), NULL, &n, NULL, B64URL) ==
		0 &&
	    n == 64);
	CHECK(crypto_sign_verify_detached(sig, (const uint8_t *)t, (size_t)(d2 - t), pk) == 0);
	payload = b64url_dec(d1 + 1, (size_t)(d2 - d1 - 1), &plen);
	CHECK(payload != NULL);
	payload_json = cJSON_ParseWithLength((const char *)payload, plen);
	CHECK_STR_EQ(cJSON_GetObjectItemCaseSensitive(payload_json, "eat_profile")->valuestring,
	    "tag:github.com,2023:veraison/ear");
	snp = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(payload_json, "submods"), "snp");
	CHECK_STR_EQ(cJSON_GetObjectItemCaseSensitive(snp, "ear.status")->valuestring, "affirming");
	cnf_x = b64url_enc(fix.claims.cnf_x25519, 32);
	CHECK_STR_EQ(cJSON_GetObjectItemCaseSensitive(
			 cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(payload_json, "cnf"), "jwk"),
			 "x")
			 ->valuestring,
	    cnf_x);
	free(cnf_x);
	cJSON_Delete(payload_json);
	free(payload);
	cJSON_Delete(keys);
	free(jwks);
	free(t);
}

/* VLEK evidence names the CSP and no chip; a masked VCEK chip id is "". */
static void
test_signer_variants(void)
{
	cJSON *j, *ev;

	setup();
	fix.claims.evidence.signer = KBS_TOKEN_SIGNER_VLEK;
	fix.claims.evidence.csp_id = "cloud \"x\"\x01";
	j = payload_tree();
	ev = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "submods"), "snp"),
	    "kbs.evidence");
	CHECK_STR_EQ(cJSON_GetObjectItemCaseSensitive(ev, "signer")->valuestring, "vlek");
	CHECK_STR_EQ(
	    cJSON_GetObjectItemCaseSensitive(ev, "csp_id")->valuestring, "cloud \"x\"\x01");
	CHECK(cJSON_GetObjectItemCaseSensitive(ev, "chip_id") == NULL);
	cJSON_Delete(j);
	setup();
	fix.claims.evidence.chip_id_masked = true;
	j = payload_tree();
	ev = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "submods"), "snp"),
	    "kbs.evidence");
	CHECK_STR_EQ(cJSON_GetObjectItemCaseSensitive(ev, "chip_id")->valuestring, "");
	CHECK(cJSON_GetObjectItemCaseSensitive(ev, "csp_id") == NULL);
	cJSON_Delete(j);
}

static void
test_refuse_shape(void)
{
	char *t, *bad, *big;
	size_t len = 0, d1, d2;

	setup();
	t = make(&len);
	d1 = (size_t)(strchr(t, '.') - t);
	d2 = (size_t)(strchr(t + d1 + 1, '.') - t);
	bad = malloc(len + 16);
	if (bad == NULL)
		exit(2);

	CHECK_ERR(verify_str("", FIX_IAT), KBS_ERR_TOKEN_MALFORMED);
	CHECK_ERR(verify_str("abc", FIX_IAT), KBS_ERR_TOKEN_MALFORMED);
	/* 4 parts, 2 parts, empty parts */
	snprintf(bad, len + 16, "%s.AAAA", t);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	snprintf(bad, len + 16, "%.*s", (int)d2, t);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	snprintf(bad, len + 16, "%.*s.", (int)d2, t);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED); /* alg-none style */
	snprintf(bad, len + 16, "%.*s.%s", (int)d1, t, t + d2);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	snprintf(bad, len + 16, "%s", t + d1);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	/* padded base64 in the payload and in the signature */
	snprintf(bad, len + 16, "%.*s=%s", (int)d2, t, t + d2);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	snprintf(bad, len + 16, "%s==", t);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	/* standard-alphabet characters, whitespace, a NUL inside */
	memcpy(bad, t, len + 1);
	bad[d1 + 3] = '+';
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	bad[d1 + 3] = '/';
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	snprintf(bad, len + 16, "%s ", t);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	memcpy(bad, t, len + 1);
	bad[d1 + 3] = '\0';
	{
		struct kbs_token_verified *v = calloc(1, sizeof(*v));

		CHECK_ERR(
		    kbs_token_verify(&fix.key, bad, len, FIX_IAT + 1, v), KBS_ERR_TOKEN_MALFORMED);
		free(v);
	}
	/* a signature part of 85 characters */
	snprintf(bad, len + 16, "%.*s", (int)len - 1, t);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	/*
	 * Non-canonical: the signature's last character carries 4 pad bits;
	 * setting the lowest one changes the text, not the decoded bytes.
	 */
	memcpy(bad, t, len + 1);
	bad[len - 1] = flip_low_bit(bad[len - 1]);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	/* a payload part of length 1 mod 4 */
	snprintf(bad, len + 16, "%.*sAAAAA%s", (int)d1 + 1, t, t + d2);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	/* oversized: one byte over the limit, the rest well formed */
	big = malloc(KBS_TOKEN_MAX_LEN + 2);
	if (big == NULL)
		exit(2);
	memset(big, 'A', KBS_TOKEN_MAX_LEN + 1);
	memcpy(big, t, d1 + 1);
	memcpy(big + KBS_TOKEN_MAX_LEN + 1 - (len - d2), t + d2, len - d2);
	big[KBS_TOKEN_MAX_LEN + 1] = '\0';
	CHECK_ERR(verify_str(big, FIX_IAT + 1), KBS_ERR_TOKEN_MALFORMED);
	free(big);
	CHECK_ERR(kbs_token_verify(&fix.key, NULL, 0, FIX_IAT, NULL), KBS_ERR_INVALID_ARGUMENT);
	free(bad);
	free(t);
}

/* A header other than ours, with our valid payload and signature after it. */
static void
test_refuse_header(void)
{
	static const char *const headers[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"none\"}",
		"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"@KID@\"}",
		"{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"@KID@\",\"crit\":[\"exp\"]}",
		"{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}",
		"{\"alg\":\"EdDSA\",\"kid\":\"@KID@\",\"typ\":\"JWT\"}", /* same members, other
									  * order
									  */
		"{\"alg\":\"EdDSA\", \"typ\":\"JWT\",\"kid\":\"@KID@\"}",
		"{\"alg\":\"Ed25519\",\"typ\":\"JWT\",\"kid\":\"@KID@\"}",
	};
	struct token_fixture other;
	char *t, *bad, hj[256], *hb;
	size_t len = 0, i, d1;

	setup();
	t = make(&len);
	d1 = (size_t)(strchr(t, '.') - t);
	bad = malloc(len + 512);
	if (bad == NULL)
		exit(2);
	for (i = 0; i < KBS_ARRAY_SIZE(headers); i++) {
		const char *at = strstr(headers[i], "@KID@");

		if (at != NULL)
			snprintf(hj, sizeof(hj), "%.*s%s%s", (int)(at - headers[i]), headers[i],
			    fix.key.kid, at + 5);
		else
			snprintf(hj, sizeof(hj), "%s", headers[i]);
		hb = b64url_enc((const uint8_t *)hj, strlen(hj));
		snprintf(bad, len + 512, "%s%s", hb, t + d1);
		CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_HEADER);
		free(hb);
	}
	/* another key's kid: that broker's header */
	other = fix;
	other.pk[0] ^= 1;
	CHECK_OK(kbs_token_key_init(other.pk, &other.key));
	snprintf(bad, len + 512, "%s%s", other.key.header_b64, t + d1);
	CHECK_ERR(verify_str(bad, FIX_IAT + 1), KBS_ERR_TOKEN_HEADER);
	/* our token checked under another key */
	{
		struct kbs_token_verified *v = calloc(1, sizeof(*v));

		CHECK_ERR(
		    kbs_token_verify(&other.key, t, len, FIX_IAT + 1, v), KBS_ERR_TOKEN_HEADER);
		free(v);
	}
	free(bad);
	free(t);
}

static void
test_refuse_signature(void)
{
	char *t;
	size_t len = 0, d1, d2;

	setup();
	t = make(&len);
	d1 = (size_t)(strchr(t, '.') - t);
	d2 = (size_t)(strchr(t + d1 + 1, '.') - t);
	/* A changed payload character (a full 6-bit one, so still canonical). */
	t[d1 + 5] = t[d1 + 5] == 'A' ? 'B' : 'A';
	CHECK_ERR(verify_str(t, FIX_IAT + 1), KBS_ERR_TOKEN_SIGNATURE);
	t[d1 + 5] = t[d1 + 5] == 'A' ? 'B' : 'A';
	free(t);
	t = make(&len);
	t[d2 + 10] = t[d2 + 10] == 'A' ? 'B' : 'A';
	CHECK_ERR(verify_str(t, FIX_IAT + 1), KBS_ERR_TOKEN_SIGNATURE);
	free(t);
	/* A payload we would make, signed by another key under our header. */
	{
		uint8_t sk[64], pk[32], sig[64];
		char *s, *u;

		t = make(&len);
		crypto_sign_keypair(pk, sk);
		crypto_sign_detached(sig, NULL, (const uint8_t *)t, d2, sk);
		s = b64url_enc(sig, 64);
		u = malloc(d2 + 1 + 86 + 1);
		if (u == NULL)
			exit(2);
		snprintf(u, d2 + 1 + 86 + 1, "%.*s.%s", (int)d2, t, s);
		CHECK_ERR(verify_str(u, FIX_IAT + 1), KBS_ERR_TOKEN_SIGNATURE);
		free(u);
		free(s);
		free(t);
	}
}

/* exp is exclusive; iat may be KBS_TOKEN_CLOCK_SKEW seconds ahead of now, not more. */
static void
test_refuse_time(void)
{
	char *t;
	int64_t exp = FIX_IAT + KBS_TOKEN_LIFETIME_DEFAULT;

	setup();
	t = make(NULL);
	CHECK_OK(verify_str(t, exp - 1));
	CHECK_ERR(verify_str(t, exp), KBS_ERR_TOKEN_EXPIRED);
	CHECK_ERR(verify_str(t, exp + 1), KBS_ERR_TOKEN_EXPIRED);
	CHECK_ERR(verify_str(t, INT64_MAX), KBS_ERR_TOKEN_EXPIRED);
	CHECK_OK(verify_str(t, FIX_IAT));
	CHECK_OK(verify_str(t, FIX_IAT - KBS_TOKEN_CLOCK_SKEW));
	CHECK_ERR(verify_str(t, FIX_IAT - KBS_TOKEN_CLOCK_SKEW - 1), KBS_ERR_TOKEN_EXPIRED);
	CHECK_ERR(verify_str(t, INT64_MIN), KBS_ERR_TOKEN_EXPIRED);
	free(t);
}

/* Signed payloads that we would never make: the claims parser refuses each. */
static cJSON *
path(cJSON *j, const char *a, const char *b, const char *c)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(j, a);

	if (b != NULL)
		o = cJSON_GetObjectItemCaseSensitive(o, b);
	if (c != NULL)
		o = cJSON_GetObjectItemCaseSensitive(o, c);
	if (o == NULL)
		exit(2);
	return o;
}

static void
set_str(cJSON *obj, const char *name, const char *v)
{
	cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateString(v));
}

static void
set_num(cJSON *obj, const char *name, double v)
{
	cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateNumber(v));
}

static void
test_refuse_claims(void)
{
	cJSON *j, *arr, *s0;
	char name[300];
	size_t i;

	setup();
	/* the unchanged tree, re-signed, is fine */
	j = payload_tree();
	CHECK_OK(verify_tree(j));
	cJSON_Delete(j);

	{
		static const char *const raw[] = { "", "[]", "null", "{", "{}x", "\"s\"", "{} {}" };

		for (i = 0; i < KBS_ARRAY_SIZE(raw); i++) {
			char *t = sign_parts(fix.key.header_b64, raw[i]);

			CHECK_ERR(verify_str(t, FIX_IAT + 1),
			    raw[i][0] == '\0' ? KBS_ERR_TOKEN_MALFORMED : KBS_ERR_TOKEN_CLAIMS);
			free(t);
		}
	}

#define CLAIMS_CASE(stmt) \
	do { \
		j = payload_tree(); \
		stmt; \
		CHECK_ERR(verify_tree(j), KBS_ERR_TOKEN_CLAIMS); \
		cJSON_Delete(j); \
	} while (0)

	CLAIMS_CASE(set_str(j, "eat_profile", "tag:github.com,2022:veraison/ear"));
	CLAIMS_CASE(cJSON_DeleteItemFromObjectCaseSensitive(j, "eat_profile"));
	CLAIMS_CASE(cJSON_DeleteItemFromObjectCaseSensitive(j, "iat"));
	CLAIMS_CASE(set_num(j, "iat", 1760000000.5));
	CLAIMS_CASE(set_num(j, "iat", -1));
	CLAIMS_CASE(set_str(j, "iat", "1760000000"));
	CLAIMS_CASE(set_num(j, "exp", FIX_IAT));
	CLAIMS_CASE(set_num(j, "exp", 1e300));
	CLAIMS_CASE(set_str(j, "jti", ""));
	CLAIMS_CASE(set_str(j, "jti", "a b"));
	CLAIMS_CASE(set_str(path(j, "submods", "snp", NULL), "ear.status", "contraindicated"));
	CLAIMS_CASE(cJSON_DeleteItemFromObjectCaseSensitive(path(j, "submods", NULL, NULL), "snp"));
	CLAIMS_CASE(cJSON_DeleteItemFromObjectCaseSensitive(
	    path(j, "submods", "snp", "kbs.evidence"), "extra_root"));
	CLAIMS_CASE(set_num(path(j, "submods", "snp", "kbs.evidence"), "extra_root", 1));
	CLAIMS_CASE(cJSON_DeleteItemFromObjectCaseSensitive(j, "cnf"));
	CLAIMS_CASE(set_str(path(j, "cnf", "jwk", NULL), "kty", "EC"));
	CLAIMS_CASE(set_str(path(j, "cnf", "jwk", NULL), "crv", "Ed25519"));
	CLAIMS_CASE(set_str(
	    path(j, "cnf", "jwk", NULL), "x", "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t"));
	CLAIMS_CASE(set_str(
	    path(j, "cnf", "jwk", NULL), "x", "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t9"));
	CLAIMS_CASE(set_str(
	    path(j, "cnf", "jwk", NULL), "x", "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t8="));
	CLAIMS_CASE(cJSON_DeleteItemFromObjectCaseSensitive(j, "kbs.secrets"));
	CLAIMS_CASE(cJSON_ReplaceItemInObjectCaseSensitive(j, "kbs.secrets", cJSON_CreateArray()));
	CLAIMS_CASE(cJSON_ReplaceItemInObjectCaseSensitive(j, "kbs.secrets", cJSON_CreateObject()));
	CLAIMS_CASE(cJSON_AddItemToArray(path(j, "kbs.secrets", NULL, NULL), cJSON_CreateNull()));
	/* 33 entries */
	CLAIMS_CASE(do {
		arr = path(j, "kbs.secrets", NULL, NULL);
		for (i = 0; i < 31; i++)
			cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetArrayItem(arr, 0), 1));
	} while (0));
	memset(name, 'a', 256);
	name[256] = '\0';
	CLAIMS_CASE(
	    set_str(cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "name", name));
	CLAIMS_CASE(
	    set_str(cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 1), "policy", name));
	CLAIMS_CASE(
	    set_str(cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "name", "disk key"));
	CLAIMS_CASE(set_str(cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "name", ""));
	CLAIMS_CASE(
	    set_num(cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "version", -1));
	CLAIMS_CASE(set_num(
	    cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "version", 4294967296.0));
	CLAIMS_CASE(set_str(cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "sha256",
	    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"));
	CLAIMS_CASE(set_str(cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "sha256",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1"));
	CLAIMS_CASE(cJSON_DeleteItemFromObjectCaseSensitive(
	    cJSON_GetArrayItem(path(j, "kbs.secrets", NULL, NULL), 0), "policy"));
#undef CLAIMS_CASE

	/* The limits themselves are accepted: 32 entries, a 255-byte name, version 2^32-1. */
	j = payload_tree();
	arr = path(j, "kbs.secrets", NULL, NULL);
	for (i = 0; i < 30; i++)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetArrayItem(arr, 0), 1));
	s0 = cJSON_GetArrayItem(arr, 0);
	name[255] = '\0';
	set_str(s0, "name", name);
	set_num(s0, "version", 4294967295.0);
	CHECK_OK(verify_tree(j));
	cJSON_Delete(j);
}

static void
test_sign_refusals(void)
{
	char *t = NULL, name[300];
	size_t len = 0;
	uint8_t sk[64];

#define SIGN_CASE(stmt) \
	do { \
		setup(); \
		stmt; \
		CHECK_ERR(kbs_token_sign(&fix.key, fix.sk, &fix.claims, &t, &len), \
		    KBS_ERR_INVALID_ARGUMENT); \
	} while (0)

	SIGN_CASE(fix.claims.secret_count = 0);
	SIGN_CASE(fix.claims.secret_count = KBS_TOKEN_MAX_SECRETS + 1);
	SIGN_CASE(fix.claims.secrets = NULL);
	SIGN_CASE(snprintf(fix.secrets[1].name, sizeof(fix.secrets[1].name), "a\"b"));
	SIGN_CASE(snprintf(fix.secrets[1].name, sizeof(fix.secrets[1].name), "a\\b"));
	SIGN_CASE(snprintf(fix.secrets[0].policy, sizeof(fix.secrets[0].policy), "p q"));
	SIGN_CASE(fix.secrets[0].name[0] = '\0');
	SIGN_CASE(fix.claims.jti = "");
	SIGN_CASE(fix.claims.jti = NULL);
	SIGN_CASE(
	    fix.claims.jti = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX");
	SIGN_CASE(fix.claims.build = "kbs\n1");
	SIGN_CASE(fix.claims.exp = fix.claims.iat);
	SIGN_CASE(fix.claims.iat = -1);
	SIGN_CASE(fix.claims.evidence.product = "Genoa");
	SIGN_CASE(fix.claims.evidence.product = "");
	SIGN_CASE(fix.claims.evidence.signer = KBS_TOKEN_SIGNER_VLEK);
	SIGN_CASE(do {
		fix.claims.evidence.signer = KBS_TOKEN_SIGNER_VLEK;
		fix.claims.evidence.csp_id = "caf\xc3\xa9";
	} while (0));
	SIGN_CASE(fix.claims.evidence.signer = (enum kbs_token_signer)7);
	memset(name, 'n', 256);
	name[256] = '\0';
	SIGN_CASE(memcpy(fix.secrets[0].name, name, sizeof(fix.secrets[0].name)));
#undef SIGN_CASE
	/* A secret key whose public half is not the key's. */
	setup();
	memcpy(sk, fix.sk, 64);
	sk[40] ^= 1;
	CHECK_ERR(kbs_token_sign(&fix.key, sk, &fix.claims, &t, &len), KBS_ERR_INVALID_ARGUMENT);
	CHECK(t == NULL);
}

/* The largest claims the limits allow fit KBS_TOKEN_MAX_LEN and verify. */
static void
test_largest_token(void)
{
	static struct kbs_token_secret many[KBS_TOKEN_MAX_SECRETS];
	struct kbs_token_verified *v = calloc(1, sizeof(*v));
	char csp[KBS_TOKEN_CSP_ID_MAX + 1], jti[KBS_TOKEN_JTI_MAX + 1],
	    build[KBS_TOKEN_BUILD_MAX + 1];
	char *t = NULL;
	size_t i, len = 0;

	setup();
	for (i = 0; i < KBS_TOKEN_MAX_SECRETS; i++) {
		memset(many[i].name, 'a', KBS_TOKEN_NAME_MAX);
		many[i].name[0] = (char)('a' + i % 26); /* distinct */
		many[i].name[1] = (char)('a' + i / 26);
		memset(many[i].policy, 'p', KBS_TOKEN_NAME_MAX);
		many[i].version = UINT32_MAX;
	}
	memset(csp, 0x01, KBS_TOKEN_CSP_ID_MAX); /* escaped to six bytes each */
	csp[KBS_TOKEN_CSP_ID_MAX] = '\0';
	fix.claims.secrets = many;
	fix.claims.secret_count = KBS_TOKEN_MAX_SECRETS;
	fix.claims.evidence.signer = KBS_TOKEN_SIGNER_VLEK;
	fix.claims.evidence.csp_id = csp;
	memset(jti, 'j', KBS_TOKEN_JTI_MAX);
	jti[KBS_TOKEN_JTI_MAX] = '\0';
	memset(build, 'b', KBS_TOKEN_BUILD_MAX);
	build[KBS_TOKEN_BUILD_MAX] = '\0';
	fix.claims.jti = jti;
	fix.claims.build = build;
	fix.claims.evidence.product = "abcdefghijklmno";
	CHECK_OK(kbs_token_sign(&fix.key, fix.sk, &fix.claims, &t, &len));
	printf("# largest token: %zu bytes (limit %d)\n", len, KBS_TOKEN_MAX_LEN);
	CHECK(len <= KBS_TOKEN_MAX_LEN);
	CHECK(len > KBS_TOKEN_MAX_LEN * 3 / 4); /* the limit is not wildly loose */
	if (t != NULL) {
		CHECK_OK(kbs_token_verify(&fix.key, t, len, FIX_IAT + 1, v));
		CHECK_INT_EQ(v->secret_count, KBS_TOKEN_MAX_SECRETS);
		CHECK_STR_EQ(v->secrets[31].name, many[31].name);
		CHECK_INT_EQ(v->secrets[31].version, UINT32_MAX);
	}
	free(t);
	free(v);
}

TEST_MAIN(TEST(test_rfc8037_thumbprint), TEST(test_jwks_exact), TEST(test_payload_exact),
    TEST(test_round_trip), TEST(test_independent_verification), TEST(test_signer_variants),
    TEST(test_refuse_shape), TEST(test_refuse_header), TEST(test_refuse_signature),
    TEST(test_refuse_time), TEST(test_refuse_claims), TEST(test_sign_refusals),
    TEST(test_largest_token))
