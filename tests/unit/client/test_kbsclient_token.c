/*
 * Unit tests for client/kbsclient_token.c: tokens are minted here with
 * libsodium and cJSON (mock_broker.c), as docs/protocol.md describes them,
 * and verified against a JWK set or a pinned key. Each fault has its exact
 * code: shape and header (token_malformed), the key set (jwks, token_kid),
 * the signature, expiry, and every claim the caller relies on.
 */
#include <sodium.h>

#include "kbsclient-int.h"
#include "mock_broker.h"
#include "test.h"

#define NOW 1760000000

struct fx {
	struct mock_broker b, other;
	uint8_t g_pk[32];
	struct mock_secret s[2];
	char *jwks;
};

static void
fx_init(struct fx *f)
{
	uint8_t sk[32];

	memset(f, 0, sizeof(*f));
	mock_broker_init(&f->b, 7);
	mock_broker_init(&f->other, 9);
	memset(sk, 0x11, sizeof(sk));
	if (crypto_scalarmult_base(f->g_pk, sk) != 0)
		exit(2);
	f->s[0] = (struct mock_secret){ "disk-key", "prod-disk", 3, { 0x90, 0xc9 }, NULL, 0 };
	f->s[1] = (struct mock_secret){ "tls/key", "prod-tls", 1, { 0x01 }, NULL, 0 };
	f->jwks = mock_jwks(&f->b);
}

static void
fx_free(struct fx *f)
{
	free(f->jwks);
}

static cJSON *
claims(const struct fx *f)
{
	return mock_claims(NOW - 10, NOW + 290, f->g_pk, f->s, 2);
}

/* verify checks a token against the fixture's key set. */
static int
verify(const struct fx *f, const char *token, struct kbs_client_token_claims *c)
{
	return kbs_client_token_verify(token, strlen(token), f->jwks, strlen(f->jwks), NOW, c);
}

/* verify_tree mints a token from claims (deleted) with our key and kid, and verifies it. */
static int
verify_tree(const struct fx *f, cJSON *cl)
{
	struct kbs_client_token_claims c;
	char *t = mock_jwt(mock_jwt_header(f->b.kid), cl, f->b.id_sk);
	int r = verify(f, t, &c);

	free(t);
	return r;
}

/* raw_jwt signs arbitrary header and payload texts. */
static char *
raw_jwt(const char *header, const char *payload, const uint8_t sk[64])
{
	char *hb = mock_b64url((const uint8_t *)header, strlen(header));
	char *pb = mock_b64url((const uint8_t *)payload, strlen(payload));
	size_t cap = strlen(hb) + strlen(pb) + 100, n;
	char *sb, *out = malloc(cap);
	uint8_t sig[64];

	if (out == NULL)
		exit(2);
	n = (size_t)snprintf(out, cap, "%s.%s", hb, pb);
	crypto_sign_detached(sig, NULL, (const uint8_t *)out, n, sk);
	sb = mock_b64url(sig, 64);
	snprintf(out + n, cap - n, ".%s", sb);
	free(hb);
	free(pb);
	free(sb);
	return out;
}

static void
test_valid_token(void)
{
	struct fx f;
	struct kbs_client_token_claims c;
	char *t;

	fx_init(&f);
	t = mock_jwt(mock_jwt_header(f.b.kid), claims(&f), f.b.id_sk);
	memset(&c, 0, sizeof(c));
	CHECK_OK(verify(&f, t, &c));
	CHECK_STR_EQ(c.kid, f.b.kid);
	CHECK_INT_EQ(c.iat, NOW - 10);
	CHECK_INT_EQ(c.exp, NOW + 290);
	CHECK_STR_EQ(c.jti, "0123456789abcdef0123456789abcdef");
	CHECK_STR_EQ(c.verifier_build, "kbs 0.1.0");
	CHECK_STR_EQ(c.status, "affirming");
	CHECK_MEM_EQ(c.cnf_x25519, f.g_pk, 32);
	CHECK_UINT_EQ(c.secret_count, 2);
	CHECK_STR_EQ(c.secrets[1].name, "tls/key");
	CHECK_STR_EQ(c.secrets[0].policy, "prod-disk");
	CHECK_UINT_EQ(c.secrets[0].version, 3);
	CHECK_UINT_EQ(c.secrets[0].sha256[1], 0xc9);
	CHECK_STR_EQ(c.product, "genoa");
	CHECK_STR_EQ(c.signer, "vcek");
	CHECK_UINT_EQ(c.report_version, 3);
	CHECK_UINT_EQ(strlen(c.measurement), 96);
	CHECK_STR_EQ(c.reported_tcb, "1b00000000000715");
	CHECK_STR_EQ(c.guest_policy, "0000000000030000");
	CHECK_UINT_EQ(c.guest_svn, 7);
	CHECK_INT_EQ(c.extra_root, 1);
	CHECK_UINT_EQ(strlen(c.chip_id), 128);
	/* The same token against the pinned key. */
	CHECK_OK(kbs_client_token_verify_key(t, strlen(t), f.b.id_pk, NOW, &c));
	CHECK_ERR(kbs_client_token_verify_key(t, strlen(t), f.other.id_pk, NOW, &c),
	    KBS_ERR_CLIENT_TOKEN_SIGNATURE);
	/* Expiry is exclusive: at exp the token is dead. */
	CHECK_ERR(kbs_client_token_verify(t, strlen(t), f.jwks, strlen(f.jwks), NOW + 290, &c),
	    KBS_ERR_CLIENT_TOKEN_EXPIRED);
	CHECK_OK(kbs_client_token_verify(t, strlen(t), f.jwks, strlen(f.jwks), NOW + 289, &c));
	free(t);
	fx_free(&f);
}

static void
test_signature_and_kid(void)
{
	struct fx f;
	struct kbs_client_token_claims c;
	char *t, *dot, *forged, *other;
	size_t n;

	fx_init(&f);
	/* Another key, claiming our kid. */
	t = mock_jwt(mock_jwt_header(f.b.kid), claims(&f), f.other.id_sk);
	CHECK_ERR(verify(&f, t, &c), KBS_ERR_CLIENT_TOKEN_SIGNATURE);
	free(t);
	/* A kid the set does not hold. */
	t = mock_jwt(mock_jwt_header(f.other.kid), claims(&f), f.other.id_sk);
	CHECK_ERR(verify(&f, t, &c), KBS_ERR_CLIENT_TOKEN_KID);
	free(t);
	/* Our signature, someone else's payload. */
	t = mock_jwt(mock_jwt_header(f.b.kid), claims(&f), f.b.id_sk);
	other = mock_jwt(mock_jwt_header(f.b.kid),
	    mock_claims(NOW - 10, NOW + 100000, f.g_pk, f.s, 1), f.b.id_sk);
	dot = strchr(t, '.');
	n = (size_t)(strrchr(other, '.') - strchr(other, '.'));
	forged = malloc(strlen(t) + strlen(other));
	memcpy(forged, t, (size_t)(dot - t));
	memcpy(forged + (dot - t), strchr(other, '.'), n);
	memcpy(forged + (dot - t) + n, strrchr(t, '.'), strlen(strrchr(t, '.')) + 1);
	CHECK_ERR(verify(&f, forged, &c), KBS_ERR_CLIENT_TOKEN_SIGNATURE);
	/* One bit of the signature. */
	n = strlen(t);
	t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
	CHECK_ERR(verify(&f, t, &c), KBS_ERR_CLIENT_TOKEN_SIGNATURE);
	free(forged);
	free(other);
	free(t);
	fx_free(&f);
}

/* with_kid copies template into out with '@' replaced by kid. */
static void
with_kid(const char *template, const char *kid, char *out, size_t size)
{
	const char *at = strchr(template, '@');

	if (at == NULL)
		snprintf(out, size, "%s", template);
	else
		snprintf(out, size, "%.*s%s%s", (int)(at - template), template, kid, at + 1);
}

static void
test_header_and_shape(void)
{
	static const char *const headers[] = {
		"{\"alg\":\"none\",\"kid\":\"@\"}",
		"{\"alg\":\"HS256\",\"kid\":\"@\"}",
		"{\"alg\":\"EdDSA\",\"kid\":\"@\",\"crit\":[\"exp\"]}",
		"{\"alg\":\"EdDSA\",\"typ\":\"JOSE+JSON\",\"kid\":\"@\"}",
		"{\"alg\":\"EdDSA\",\"kid\":\"\"}",
		"{\"alg\":\"EdDSA\"}",
		"{\"alg\":\"EdDSA\",\"alg\":\"none\",\"kid\":\"@\"}",
		"[\"EdDSA\",\"@\"]",
	};
	static const char *const shapes[] = {
		"",
		".",
		"..",
		"a.b",
		"a.b.c.d",
		"eyJ=.e30.c2ln",
		"eyJ .e30.c2ln",
		"eyJ+.e30.c2ln",
	};
	struct fx f;
	struct kbs_client_token_claims c;
	char hdr[256], *t, *p;
	size_t i;

	fx_init(&f);
	for (i = 0; i < KBS_ARRAY_SIZE(headers); i++) {
		with_kid(headers[i], f.b.kid, hdr, sizeof(hdr));
		p = mock_print(claims(&f));
		t = raw_jwt(hdr, p, f.b.id_sk);
		CHECK_ERR(verify(&f, t, &c), KBS_ERR_CLIENT_TOKEN_MALFORMED);
		free(t);
		free(p);
	}
	for (i = 0; i < KBS_ARRAY_SIZE(shapes); i++)
		CHECK_ERR(verify(&f, shapes[i], &c), KBS_ERR_CLIENT_TOKEN_MALFORMED);
	/* An unsigned "alg":"none" token with an empty signature part. */
	CHECK_ERR(verify(&f, "eyJhbGciOiJub25lIn0.e30.", &c), KBS_ERR_CLIENT_TOKEN_MALFORMED);
	/* Signed, but the payload is not JSON. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", f.b.kid);
	t = raw_jwt(hdr, "not json", f.b.id_sk);
	CHECK_ERR(verify(&f, t, &c), KBS_ERR_CLIENT_TOKEN_MALFORMED);
	free(t);
	/* Over the size cap. */
	t = malloc(20000);
	memset(t, 'a', 19999);
	t[19999] = '\0';
	t[100] = t[200] = '.';
	CHECK_ERR(verify(&f, t, &c), KBS_ERR_CLIENT_TOKEN_MALFORMED);
	free(t);
	fx_free(&f);
}

static cJSON *
snp_of(cJSON *cl)
{
	return cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cl, "submods"), "snp");
}

static cJSON *
ev_of(cJSON *cl)
{
	return cJSON_GetObjectItemCaseSensitive(snp_of(cl), "kbs.evidence");
}

static void
replace(cJSON *obj, const char *key, cJSON *v)
{
	if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v))
		cJSON_AddItemToObject(obj, key, v);
}

static void
test_claims(void)
{
	struct fx f;
	cJSON *cl;

	fx_init(&f);
#define BAD_CLAIM(stmt, want) \
	do { \
		cl = claims(&f); \
		stmt; \
		CHECK_ERR(verify_tree(&f, cl), want); \
	} while (0)
	BAD_CLAIM(replace(cl, "exp", cJSON_CreateNumber(NOW - 1)), KBS_ERR_CLIENT_TOKEN_EXPIRED);
	BAD_CLAIM(cJSON_DeleteItemFromObject(cl, "exp"), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(cl, "exp", cJSON_CreateString("soon")), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(cl, "iat", cJSON_CreateNumber(NOW + 61)), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(cl, "eat_profile", cJSON_CreateString("tag:other")),
	    KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(cl, "jti", cJSON_CreateString("not hex")), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(snp_of(cl), "ear.status", cJSON_CreateString("contraindicated")),
	    KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(cJSON_DeleteItemFromObject(snp_of(cl), "ear.trustworthiness-vector"),
	    KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(cJSON_GetObjectItemCaseSensitive(
			      cJSON_GetObjectItemCaseSensitive(cl, "cnf"), "jwk"),
		      "crv", cJSON_CreateString("Ed25519")),
	    KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(cJSON_GetObjectItemCaseSensitive(
			      cJSON_GetObjectItemCaseSensitive(cl, "cnf"), "jwk"),
		      "x", cJSON_CreateString("AAAA")),
	    KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(cl, "kbs.secrets", cJSON_CreateArray()), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(ev_of(cl), "measurement", cJSON_CreateString("00")),
	    KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(ev_of(cl), "vmpl", cJSON_CreateNumber(4)), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(replace(ev_of(cl), "extra_root", cJSON_CreateString("yes")),
	    KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(
	    replace(ev_of(cl), "signer", cJSON_CreateString("vlek")), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(
	    replace(ev_of(cl), "signer", cJSON_CreateString("ark")), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(
	    replace(ev_of(cl), "reported_tcb", cJSON_CreateNumber(7)), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(
	    replace(ev_of(cl), "chip_id", cJSON_CreateString("abcd")), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	BAD_CLAIM(
	    cJSON_DeleteItemFromObject(snp_of(cl), "kbs.evidence"), KBS_ERR_CLIENT_TOKEN_CLAIMS);
	/* Accepted variants: a masked chip id; a VLEK with its csp_id; unknown claims. */
	BAD_CLAIM(replace(ev_of(cl), "chip_id", cJSON_CreateString("")), 0);
	BAD_CLAIM((replace(ev_of(cl), "signer", cJSON_CreateString("vlek")),
		      replace(ev_of(cl), "csp_id", cJSON_CreateString("CN=cc.example"))),
	    0);
	BAD_CLAIM(cJSON_AddStringToObject(cl, "later_claim", "x"), 0);
#undef BAD_CLAIM
	fx_free(&f);
}

static void
test_jwks(void)
{
	struct fx f;
	struct kbs_client_token_claims c;
	char *t, set[1024];

	fx_init(&f);
	t = mock_jwt(mock_jwt_header(f.b.kid), claims(&f), f.b.id_sk);
#define WITH(jwks_text) kbs_client_token_verify(t, strlen(t), jwks_text, strlen(jwks_text), NOW, &c)
	CHECK_ERR(WITH("not json"), KBS_ERR_CLIENT_JWKS);
	CHECK_ERR(WITH("{\"keys\":{}}"), KBS_ERR_CLIENT_JWKS);
	CHECK_ERR(WITH("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}"),
	    KBS_ERR_CLIENT_JWKS);
	CHECK_ERR(WITH("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}]}"),
	    KBS_ERR_CLIENT_JWKS);
	snprintf(set, sizeof(set),
	    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\","
	    "\"alg\":\"ES256\"}]}",
	    f.b.id_x, f.b.kid);
	CHECK_ERR(WITH(set), KBS_ERR_CLIENT_JWKS);
	/* Other key types beside ours are skipped. */
	snprintf(set, sizeof(set),
	    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"%s\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\"}]}",
	    f.b.kid, f.b.id_x, f.b.kid);
	CHECK_OK(WITH(set));
#undef WITH
	CHECK_ERR(kbs_client_token_verify(t, strlen(t), NULL, 0, NOW, &c), KBS_ERR_CLIENT_JWKS);
	CHECK_OK(kbsc_jwks_find(f.jwks, strlen(f.jwks), NULL, NULL));
	free(t);
	fx_free(&f);
}

TEST_MAIN(TEST(test_valid_token), TEST(test_signature_and_kid), TEST(test_header_and_shape),
    TEST(test_claims), TEST(test_jwks))
