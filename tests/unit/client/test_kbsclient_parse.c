/*
 * Unit tests for client/kbsclient_parse.c: answers made by the mock broker
 * (common/kbs_proto's seal and sign, fixed keys) open; each tampered field
 * fails with its exact code, with and without a pinned key; a missing,
 * extra or repeated secret fails; the wrong server key and the wrong guest
 * key fail; error answers sort into their classes with bounded, printable
 * details.
 */
#include <sodium.h>

#include "kbsclient-int.h"
#include "mock_broker.h"
#include "test.h"

#define RID "0123456789abcdef0123456789abcdef"
#define TOKEN "eyJhbGciOiJFZERTQSJ9.e30.c2ln"

struct fx {
	struct mock_broker b, other;
	uint8_t g_sk[32], g_pk[32], nonce[32];
	uint8_t v1[32], v2[5];
	struct mock_secret s[3];
	const char *names[2];
};

static void
fx_init(struct fx *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	mock_broker_init(&f->b, 7);
	mock_broker_init(&f->other, 9);
	memset(f->g_sk, 0x11, 32);
	if (crypto_scalarmult_base(f->g_pk, f->g_sk) != 0)
		exit(2);
	for (i = 0; i < 32; i++) {
		f->nonce[i] = (uint8_t)(0xa0 + i);
		f->v1[i] = (uint8_t)(0xc0 + i);
	}
	memcpy(f->v2, "hello", 5);
	f->s[0] = (struct mock_secret){ "disk-key", "prod-disk", 3, { 0x90, 0xc9 }, f->v1, 32 };
	f->s[1] = (struct mock_secret){ "tls/key", "prod-tls", 1, { 0x01 }, f->v2, 5 };
	f->s[2] = (struct mock_secret){ "extra", "prod-disk", 3, { 0x90 }, f->v2, 5 };
	/* Asked for in the other order: the release comes back in request order. */
	f->names[0] = "tls/key";
	f->names[1] = "disk-key";
}

static struct kbsc_expect
fx_expect(const struct fx *f, const uint8_t *server_pk)
{
	struct kbsc_expect e;

	memset(&e, 0, sizeof(e));
	e.kind_attest = 1;
	memcpy(e.binding, f->nonce, 32);
	e.guest_pk = f->g_pk;
	e.guest_sk = f->g_sk;
	e.server_pk = server_pk;
	e.names = f->names;
	e.count = 2;
	return e;
}

/* open_text runs the parser on a text answer. */
static int
open_text(const char *text, const struct kbsc_expect *e, struct kbs_client_release **rel)
{
	return kbsc_open_response((const uint8_t *)text, strlen(text), e, rel);
}

/* open_tree prints (and deletes) a tree and opens it. */
static int
open_tree(cJSON *root, const struct kbsc_expect *e)
{
	struct kbs_client_release *rel = NULL;
	char *text = mock_print(root);
	int r = open_text(text, e, &rel);

	if (r != 0)
		CHECK(rel == NULL);
	kbs_client_release_free(rel);
	free(text);
	return r;
}

static cJSON *
fx_answer(const struct fx *f)
{
	return mock_answer(&f->b, f->nonce, f->g_pk, f->s, 2, RID, TOKEN);
}

static void
test_open_ok(void)
{
	struct fx f;
	struct kbsc_expect e;
	struct kbs_client_release *rel = NULL;
	char *text;

	fx_init(&f);
	e = fx_expect(&f, f.b.id_pk);
	text = mock_print(fx_answer(&f));
	CHECK_OK(open_text(text, &e, &rel));
	CHECK(rel != NULL);
	if (rel != NULL) {
		CHECK_UINT_EQ(rel->count, 2);
		CHECK_STR_EQ(rel->request_id, RID);
		CHECK_STR_EQ(rel->token, TOKEN);
		CHECK_STR_EQ(rel->secrets[0].name, "tls/key");
		CHECK_UINT_EQ(rel->secrets[0].len, 5);
		CHECK_MEM_EQ(rel->secrets[0].value, "hello", 5);
		CHECK_STR_EQ(rel->secrets[1].name, "disk-key");
		CHECK_STR_EQ(rel->secrets[1].policy_name, "prod-disk");
		CHECK_UINT_EQ(rel->secrets[1].policy_version, 3);
		CHECK_UINT_EQ(rel->secrets[1].policy_sha256[0], 0x90);
		CHECK_UINT_EQ(rel->secrets[1].policy_sha256[1], 0xc9);
		CHECK_UINT_EQ(rel->secrets[1].len, 32);
		CHECK_MEM_EQ(rel->secrets[1].value, f.v1, 32);
	}
	kbs_client_release_free(rel);
	/* Without a pinned key the same answer opens (the caller warns). */
	rel = NULL;
	e = fx_expect(&f, NULL);
	CHECK_OK(open_text(text, &e, &rel));
	kbs_client_release_free(rel);
	free(text);
}

static void
test_wrong_server_key(void)
{
	struct fx f;
	struct kbsc_expect e;

	fx_init(&f);
	e = fx_expect(&f, f.other.id_pk);
	CHECK_ERR(open_tree(fx_answer(&f), &e), KBS_ERR_RESPONSE_SIGNATURE);
	/* Signed by another broker, checked against ours. */
	e = fx_expect(&f, f.b.id_pk);
	CHECK_ERR(open_tree(mock_answer(&f.other, f.nonce, f.g_pk, f.s, 2, RID, TOKEN), &e),
	    KBS_ERR_RESPONSE_SIGNATURE);
}

/* ---- Tampering --------------------------------------------------------- */

static cJSON *
secret0(cJSON *root)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "secrets"), 0);
}

static void
set_str(cJSON *obj, const char *key, const char *v)
{
	cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_CreateString(v));
}

static void
set_num(cJSON *obj, const char *key, double v)
{
	cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_CreateNumber(v));
}

/* flip_b64 changes one decoded byte of a base64 member (at index i) and re-encodes it. */
static void
flip_b64(cJSON *obj, const char *key, size_t i)
{
	const char *s = cJSON_GetObjectItemCaseSensitive(obj, key)->valuestring;
	uint8_t buf[4096];
	size_t n = 0;
	char *t;

	if (kbs_b64_decode(s, strlen(s), buf, sizeof(buf), &n) != 0 || i >= n)
		exit(2);
	buf[i] ^= 0x01;
	t = mock_b64(buf, n);
	set_str(obj, key, t);
	free(t);
}

static void
set_b64_len(cJSON *obj, const char *key, size_t n)
{
	uint8_t buf[64];
	char *t;

	memset(buf, 0x42, sizeof(buf));
	t = mock_b64(buf, n);
	set_str(obj, key, t);
	free(t);
}

static void
m_wrap_key(cJSON *r)
{
	flip_b64(r, "wrap_key", 0);
}
static void
m_request_id(cJSON *r)
{
	set_str(r, "request_id", "1123456789abcdef0123456789abcdef");
}
static void
m_token(cJSON *r)
{
	set_str(r, "token", "eyJhbGciOiJFZERTQSJ9.e30.c2lo");
}
static void
m_signature(cJSON *r)
{
	flip_b64(r, "signature", 10);
}
static void
m_ciphertext(cJSON *r)
{
	flip_b64(secret0(r), "ciphertext", 3);
}
static void
m_tag(cJSON *r)
{
	flip_b64(secret0(r), "ciphertext", 32 + 15);
}
static void
m_aead_nonce(cJSON *r)
{
	flip_b64(secret0(r), "aead_nonce", 23);
}
static void
m_name(cJSON *r)
{
	set_str(secret0(r), "name", "other-key");
}
static void
m_pol_name(cJSON *r)
{
	set_str(cJSON_GetObjectItemCaseSensitive(secret0(r), "policy"), "name", "prod-dis");
}
static void
m_pol_version(cJSON *r)
{
	set_num(cJSON_GetObjectItemCaseSensitive(secret0(r), "policy"), "version", 4);
}
static void
m_pol_sha(cJSON *r)
{
	set_str(cJSON_GetObjectItemCaseSensitive(secret0(r), "policy"), "sha256",
	    "91c9000000000000000000000000000000000000000000000000000000000000");
}
static void
m_nonce(cJSON *r)
{
	flip_b64(r, "nonce", 31);
}
static void
m_version2(cJSON *r)
{
	set_num(r, "version", 2);
}
static void
m_version_str(cJSON *r)
{
	set_str(r, "version", "1");
}
static void
m_version_gone(cJSON *r)
{
	cJSON_DeleteItemFromObjectCaseSensitive(r, "version");
}
static void
m_wrap_short(cJSON *r)
{
	set_b64_len(r, "wrap_key", 31);
}
static void
m_wrap_long(cJSON *r)
{
	set_b64_len(r, "wrap_key", 33);
}
static void
m_wrap_noncanon(cJSON *r)
{
	set_str(r, "wrap_key", "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ=");
}
static void
m_sig_gone(cJSON *r)
{
	cJSON_DeleteItemFromObjectCaseSensitive(r, "signature");
}
static void
m_rid_upper(cJSON *r)
{
	set_str(r, "request_id", "0123456789ABCDEF0123456789abcdef");
}
static void
m_rid_short(cJSON *r)
{
	set_str(r, "request_id", "0123456789abcdef");
}
static void
m_token_space(cJSON *r)
{
	set_str(r, "token", "eyJ hbGc.e30.c2ln");
}
static void
m_token_empty(cJSON *r)
{
	set_str(r, "token", "");
}
static void
m_secrets_obj(cJSON *r)
{
	cJSON_ReplaceItemInObjectCaseSensitive(r, "secrets", cJSON_CreateObject());
}
static void
m_policy_gone(cJSON *r)
{
	cJSON_DeleteItemFromObjectCaseSensitive(secret0(r), "policy");
}
static void
m_ct_short(cJSON *r)
{
	set_b64_len(secret0(r), "ciphertext", 15);
}
static void
m_ver_big(cJSON *r)
{
	set_num(cJSON_GetObjectItemCaseSensitive(secret0(r), "policy"), "version", 4294967296.0);
}
static void
m_ver_neg(cJSON *r)
{
	set_num(cJSON_GetObjectItemCaseSensitive(secret0(r), "policy"), "version", -1);
}
static void
m_ver_frac(cJSON *r)
{
	set_num(cJSON_GetObjectItemCaseSensitive(secret0(r), "policy"), "version", 3.5);
}
static void
m_sha_upper(cJSON *r)
{
	set_str(cJSON_GetObjectItemCaseSensitive(secret0(r), "policy"), "sha256",
	    "90C9000000000000000000000000000000000000000000000000000000000000");
}
static void
m_name_bad(cJSON *r)
{
	set_str(secret0(r), "name", "disk key");
}
static void
m_unknown(cJSON *r)
{
	cJSON_AddStringToObject(r, "later_member", "ignored");
	cJSON_AddNumberToObject(secret0(r), "later", 1);
}

struct tamper {
	const char *what;
	void (*mutate)(cJSON *root);
	int want_pinned;   /* with the broker key pinned */
	int want_unpinned; /* without: only structure, binding, names and AEAD protect */
};

static const struct tamper tampers[] = {
	{ "wrap_key", m_wrap_key, KBS_ERR_RESPONSE_SIGNATURE, KBS_ERR_WRAP_OPEN },
	{ "request_id", m_request_id, KBS_ERR_RESPONSE_SIGNATURE, 0 },
	{ "token", m_token, KBS_ERR_RESPONSE_SIGNATURE, 0 },
	{ "signature", m_signature, KBS_ERR_RESPONSE_SIGNATURE, 0 },
	{ "ciphertext", m_ciphertext, KBS_ERR_RESPONSE_SIGNATURE, KBS_ERR_WRAP_OPEN },
	{ "tag", m_tag, KBS_ERR_RESPONSE_SIGNATURE, KBS_ERR_WRAP_OPEN },
	{ "aead_nonce", m_aead_nonce, KBS_ERR_RESPONSE_SIGNATURE, KBS_ERR_WRAP_OPEN },
	{ "secret name", m_name, KBS_ERR_RESPONSE_SIGNATURE, KBS_ERR_CLIENT_SECRET_UNEXPECTED },
	{ "policy name", m_pol_name, KBS_ERR_RESPONSE_SIGNATURE, 0 },
	{ "policy version", m_pol_version, KBS_ERR_RESPONSE_SIGNATURE, 0 },
	{ "policy sha256", m_pol_sha, KBS_ERR_RESPONSE_SIGNATURE, 0 },
	{ "nonce", m_nonce, KBS_ERR_CLIENT_RESPONSE_BINDING, KBS_ERR_CLIENT_RESPONSE_BINDING },
	{ "version 2", m_version2, KBS_ERR_CLIENT_RESPONSE_VERSION,
	    KBS_ERR_CLIENT_RESPONSE_VERSION },
	{ "version string", m_version_str, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "version missing", m_version_gone, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "wrap_key 31 bytes", m_wrap_short, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "wrap_key 33 bytes", m_wrap_long, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "wrap_key non-canonical", m_wrap_noncanon, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "signature missing", m_sig_gone, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "request_id upper case", m_rid_upper, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "request_id short", m_rid_short, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "token with a space", m_token_space, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "token empty", m_token_empty, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "secrets an object", m_secrets_obj, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "policy missing", m_policy_gone, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "ciphertext under a tag", m_ct_short, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "policy version 2^32", m_ver_big, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "policy version -1", m_ver_neg, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "policy version 3.5", m_ver_frac, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "policy sha256 upper case", m_sha_upper, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "secret name with a space", m_name_bad, KBS_ERR_CLIENT_RESPONSE_MALFORMED,
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED },
	{ "unknown members", m_unknown, 0, 0 },
};

static void
test_tampered_fields(void)
{
	struct fx f;
	struct kbsc_expect pinned, unpinned;
	size_t i;

	fx_init(&f);
	pinned = fx_expect(&f, f.b.id_pk);
	unpinned = fx_expect(&f, NULL);
	for (i = 0; i < KBS_ARRAY_SIZE(tampers); i++) {
		cJSON *a = fx_answer(&f), *b = fx_answer(&f);
		int r1, r2;

		tampers[i].mutate(a);
		tampers[i].mutate(b);
		r1 = open_tree(a, &pinned);
		r2 = open_tree(b, &unpinned);
		if (r1 != tampers[i].want_pinned || r2 != tampers[i].want_unpinned)
			fprintf(stderr, "tamper '%s': pinned %s, unpinned %s\n", tampers[i].what,
			    kbs_err_name(r1), kbs_err_name(r2));
		CHECK_ERR(r1, tampers[i].want_pinned);
		CHECK_ERR(r2, tampers[i].want_unpinned);
	}
}

/* Text-level faults cJSON trees cannot express. */
static void
test_json_shape(void)
{
	struct fx f;
	struct kbsc_expect e;
	struct kbs_client_release *rel = NULL;
	char *good, buf[16384];
	const char *wk;
	cJSON *t;

	fx_init(&f);
	e = fx_expect(&f, f.b.id_pk);
	t = fx_answer(&f);
	wk = cJSON_GetObjectItemCaseSensitive(t, "wrap_key")->valuestring;
	snprintf(buf, sizeof(buf), "\"wrap_key\":\"%s\"", wk);
	good = mock_print(t);
	/* A repeated member: the second wrap_key could mean something else to another parser. */
	snprintf(buf, sizeof(buf), "{\"wrap_key\":\"%s\",%s", "AAAA", good + 1);
	CHECK_ERR(open_text(buf, &e, &rel), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	snprintf(buf, sizeof(buf), "%s x", good);
	CHECK_ERR(open_text(buf, &e, &rel), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	snprintf(buf, sizeof(buf), "%s \r\n\t", good);
	CHECK_OK(open_text(buf, &e, &rel));
	kbs_client_release_free(rel);
	rel = NULL;
	snprintf(buf, sizeof(buf), "[%s]", good);
	CHECK_ERR(open_text(buf, &e, &rel), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_ERR(open_text("", &e, &rel), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_ERR(open_text("{", &e, &rel), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_ERR(open_text("null", &e, &rel), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	/* A body cut anywhere never opens. */
	{
		size_t n = strlen(good), cut;

		for (cut = 0; cut < n; cut += 7)
			CHECK(kbsc_open_response((const uint8_t *)good, cut, &e, &rel) != 0);
	}
	CHECK(rel == NULL);
	free(good);
}

static void
test_missing_and_extra(void)
{
	struct fx f;
	struct kbsc_expect e;
	struct mock_secret dup[3];

	fx_init(&f);
	e = fx_expect(&f, f.b.id_pk);
	/* A genuine, signed answer that lacks one of the two names. */
	CHECK_ERR(open_tree(mock_answer(&f.b, f.nonce, f.g_pk, f.s, 1, RID, TOKEN), &e),
	    KBS_ERR_CLIENT_SECRET_MISSING);
	CHECK_ERR(open_tree(mock_answer(&f.b, f.nonce, f.g_pk, f.s, 0, RID, TOKEN), &e),
	    KBS_ERR_CLIENT_SECRET_MISSING);
	/* One not asked for. */
	CHECK_ERR(open_tree(mock_answer(&f.b, f.nonce, f.g_pk, f.s, 3, RID, TOKEN), &e),
	    KBS_ERR_CLIENT_SECRET_UNEXPECTED);
	/* One twice (and so the other missing): the repeat is named. */
	dup[0] = f.s[0];
	dup[1] = f.s[0];
	CHECK_ERR(open_tree(mock_answer(&f.b, f.nonce, f.g_pk, dup, 2, RID, TOKEN), &e),
	    KBS_ERR_CLIENT_SECRET_UNEXPECTED);
}

static void
test_wrong_guest_key(void)
{
	struct fx f;
	struct kbsc_expect e;
	uint8_t other_sk[32], other_pk[32];

	fx_init(&f);
	memset(other_sk, 0x22, 32);
	if (crypto_scalarmult_base(other_pk, other_sk) != 0)
		exit(2);
	/* The broker saw another REPORT_DATA key (a substituted report): the signature says so. */
	e = fx_expect(&f, f.b.id_pk);
	CHECK_ERR(open_tree(mock_answer(&f.b, f.nonce, other_pk, f.s, 2, RID, TOKEN), &e),
	    KBS_ERR_RESPONSE_SIGNATURE);
	e = fx_expect(&f, NULL);
	CHECK_ERR(open_tree(mock_answer(&f.b, f.nonce, other_pk, f.s, 2, RID, TOKEN), &e),
	    KBS_ERR_WRAP_OPEN);
}

static void
test_weak_wrap_key(void)
{
	struct fx f;
	struct kbsc_expect e;
	cJSON *a;
	uint8_t zero[32];
	char *z;

	fx_init(&f);
	memset(zero, 0, sizeof(zero));
	e = fx_expect(&f, NULL);
	a = fx_answer(&f);
	z = mock_b64(zero, 32);
	set_str(a, "wrap_key", z);
	free(z);
	CHECK_ERR(open_tree(a, &e), KBS_ERR_WRAP_WEAK_KEY);
}

static void
test_fetch_answer(void)
{
	struct fx f;
	struct kbsc_expect e;
	struct kbs_client_release *rel = NULL;
	const char *one[1] = { "disk-key" };
	uint8_t binding[32];
	cJSON *a;
	char *text;

	fx_init(&f);
	crypto_hash_sha256(binding, (const uint8_t *)TOKEN, strlen(TOKEN));
	e = fx_expect(&f, f.b.id_pk);
	e.kind_attest = 0;
	memcpy(e.binding, binding, 32);
	e.names = one;
	e.count = 1;
	text = mock_print(mock_answer(&f.b, binding, f.g_pk, f.s, 1, RID, NULL));
	CHECK_OK(open_text(text, &e, &rel));
	if (rel != NULL) {
		CHECK_STR_EQ(rel->token, "");
		CHECK_MEM_EQ(rel->secrets[0].value, f.v1, 32);
	}
	kbs_client_release_free(rel);
	free(text);
	/* The binding must be this token's hash. */
	a = mock_answer(&f.b, binding, f.g_pk, f.s, 1, RID, NULL);
	flip_b64(a, "binding", 0);
	CHECK_ERR(open_tree(a, &e), KBS_ERR_CLIENT_RESPONSE_BINDING);
	/* An attest-shaped answer (no binding member) is not a fetch answer. */
	CHECK_ERR(open_tree(mock_answer(&f.b, binding, f.g_pk, f.s, 1, RID, TOKEN), &e),
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	/* version is optional here, but must be 1 when present. */
	a = mock_answer(&f.b, binding, f.g_pk, f.s, 1, RID, NULL);
	cJSON_AddNumberToObject(a, "version", 2);
	CHECK_ERR(open_tree(a, &e), KBS_ERR_CLIENT_RESPONSE_VERSION);
	/* Signed over the attest's nonce instead of the token's hash. */
	CHECK_ERR(open_tree(mock_answer(&f.b, f.nonce, f.g_pk, f.s, 1, RID, NULL), &e),
	    KBS_ERR_CLIENT_RESPONSE_BINDING);
}

static void
test_challenge(void)
{
	uint8_t nonce[32];
	int64_t exp = 0;
	const char *ok = "{\"nonce\":\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=\","
			 "\"expires_at\":1760000120}";

#define CH(text) kbsc_parse_challenge((const uint8_t *)(text), strlen(text), nonce, &exp)
	CHECK_OK(CH(ok));
	CHECK_UINT_EQ(nonce[0], 0xa0);
	CHECK_UINT_EQ(nonce[31], 0xbf);
	CHECK_INT_EQ(exp, 1760000120);
	CHECK_ERR(CH("{\"nonce\":\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vg==\","
		     "\"expires_at\":1}"),
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_ERR(CH("{\"nonce\":\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=\","
		     "\"expires_at\":\"1\"}"),
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_ERR(CH("{\"nonce\":\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=\","
		     "\"expires_at\":-5}"),
	    KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_ERR(CH("{\"expires_at\":1}"), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_ERR(CH("<html>"), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
#undef CH
}

/* ---- Error answers ----------------------------------------------------- */

static int
failure(long status, const char *body, struct kbs_client_failure *f)
{
	memset(f, 0, sizeof(*f));
	return kbsc_parse_failure(status, (const uint8_t *)body, strlen(body), f);
}

static cJSON *
denied_list(const char *rule)
{
	cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject(), *rules;

	cJSON_AddStringToObject(e, "secret", "disk-key");
	cJSON_AddStringToObject(e, "policy", "prod");
	rules = cJSON_AddArrayToObject(e, "rules");
	cJSON_AddItemToArray(rules, cJSON_CreateString("measurement"));
	cJSON_AddItemToArray(rules, cJSON_CreateString(rule));
	cJSON_AddItemToArray(arr, e);
	return arr;
}

static void
test_failure_classes(void)
{
	struct kbs_client_failure *f = malloc(sizeof(*f));
	char *body, big[200];
	cJSON *arr, *rules;
	int i;

	if (f == NULL)
		exit(2);
	body = mock_error(
	    "policy_denied", "a policy refused the evidence", denied_list("min_tcb.milan"));
	CHECK_ERR(failure(403, body, f), KBS_ERR_CLIENT_DENIED);
	CHECK_UINT_EQ(f->denied_count, 1);
	CHECK_STR_EQ(f->denied[0].secret, "disk-key");
	CHECK_STR_EQ(f->denied[0].policy, "prod");
	CHECK_UINT_EQ(f->denied[0].rule_count, 2);
	CHECK_STR_EQ(f->denied[0].rules[1], "min_tcb.milan");
	CHECK_STR_EQ(f->request_id, "feedfacefeedfacefeedfacefeedface");
	CHECK_INT_EQ(f->http_status, 403);
	free(body);
	/* A rule id with an escape sequence, or too long, is not printed: the answer is malformed.
	 */
	body = mock_error("policy_denied", "x", denied_list("\x1b[2Jmeasurement"));
	CHECK_ERR(failure(403, body, f), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	CHECK_UINT_EQ(f->denied_count, 0);
	free(body);
	memset(big, 'a', sizeof(big) - 1);
	big[KBS_CLIENT_RULE_MAX + 1] = '\0';
	body = mock_error("policy_denied", "x", denied_list(big));
	CHECK_ERR(failure(403, body, f), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	free(body);
	arr = denied_list("measurement");
	rules = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "rules");
	for (i = 0; i < KBS_CLIENT_MAX_RULES; i++)
		cJSON_AddItemToArray(rules, cJSON_CreateString("vmpl"));
	body = mock_error("policy_denied", "x", arr);
	CHECK_ERR(failure(403, body, f), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	free(body);
	body = mock_error("policy_denied", "x", NULL);
	CHECK_ERR(failure(403, body, f), KBS_ERR_CLIENT_RESPONSE_MALFORMED);
	free(body);
	/* The evidence class, with the failed step. */
	CHECK_ERR(failure(401,
		      "{\"error\":\"evidence\",\"check\":\"report_signature\",\"detail\":\"vcek\","
		      "\"message\":\"the evidence failed verification\"}",
		      f),
	    KBS_ERR_CLIENT_EVIDENCE_REJECTED);
	CHECK_STR_EQ(f->check, "report_signature");
	CHECK_STR_EQ(f->detail, "vcek");
	CHECK_ERR(
	    failure(400, "{\"error\":\"report_length\"}", f), KBS_ERR_CLIENT_EVIDENCE_REJECTED);
	CHECK_ERR(
	    failure(401, "{\"error\":\"report_data_nonce\"}", f), KBS_ERR_CLIENT_EVIDENCE_REJECTED);
	/* Other refusals keep their code for the caller. */
	CHECK_ERR(failure(401, "{\"error\":\"nonce_other_replica\"}", f), KBS_ERR_CLIENT_REFUSED);
	CHECK_STR_EQ(f->error, "nonce_other_replica");
	CHECK_ERR(failure(404, "{\"error\":\"not_found\"}", f), KBS_ERR_CLIENT_REFUSED);
	CHECK_ERR(failure(403, "{\"error\":\"forbidden\"}", f), KBS_ERR_CLIENT_REFUSED);
	CHECK_ERR(failure(501, "{\"error\":\"method\"}", f), KBS_ERR_CLIENT_REFUSED);
	/* Transient: retried by the caller, unreachable in the end. */
	CHECK_ERR(failure(503, "{\"error\":\"unavailable\"}", f), KBS_ERR_CLIENT_UNREACHABLE);
	CHECK_ERR(failure(429, "", f), KBS_ERR_CLIENT_UNREACHABLE);
	CHECK_ERR(failure(502, "<html>bad gateway</html>", f), KBS_ERR_CLIENT_UNREACHABLE);
	/* Not an answer we take: redirects are never followed. */
	CHECK_ERR(failure(302, "", f), KBS_ERR_CLIENT_HTTP_STATUS);
	CHECK_ERR(failure(204, "", f), KBS_ERR_CLIENT_HTTP_STATUS);
	/* A proxy page: status only. */
	CHECK_ERR(failure(404, "<html>not here</html>", f), KBS_ERR_CLIENT_REFUSED);
	CHECK_STR_EQ(f->error, "");
	/* Strings from the network: an error code outside its charset is dropped, text filtered. */
	CHECK_ERR(failure(400, "{\"error\":\"Bad Request\",\"message\":\"a\\u001b[31mb\\nc\"}", f),
	    KBS_ERR_CLIENT_REFUSED);
	CHECK_STR_EQ(f->error, "");
	CHECK_STR_EQ(f->message, "a[31mbc");
	free(f);
}

static void
test_exit_classes(void)
{
	CHECK_INT_EQ(kbs_client_exit_class(0), 0);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_DENIED), 1);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_INVALID_ARGUMENT), 2);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_OUT_TERMINAL), 2);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_UNREACHABLE), 3);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_EVIDENCE_REJECTED), 4);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_ATTESTER), 4);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_ATTESTER_UNAVAILABLE), 4);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_RESPONSE_SIGNATURE), 5);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_TLS), 5);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_SECRET_MISSING), 5);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_TOO_LARGE), 5);
	CHECK_INT_EQ(kbs_client_exit_class(KBS_ERR_CLIENT_REFUSED), 6);
}

static void
test_names(void)
{
	char long_name[300];

	CHECK(kbs_client_name_valid("disk-key"));
	CHECK(kbs_client_name_valid("a.b_c:d/e@f+g-h"));
	CHECK(!kbs_client_name_valid(""));
	CHECK(!kbs_client_name_valid("disk key"));
	CHECK(!kbs_client_name_valid("disk\nkey"));
	CHECK(!kbs_client_name_valid(NULL));
	memset(long_name, 'a', sizeof(long_name));
	long_name[255] = '\0';
	CHECK(kbs_client_name_valid(long_name));
	long_name[255] = 'a';
	long_name[256] = '\0';
	CHECK(!kbs_client_name_valid(long_name));
}

TEST_MAIN(TEST(test_open_ok), TEST(test_wrong_server_key), TEST(test_tampered_fields),
    TEST(test_json_shape), TEST(test_missing_and_extra), TEST(test_wrong_guest_key),
    TEST(test_weak_wrap_key), TEST(test_fetch_answer), TEST(test_challenge),
    TEST(test_failure_classes), TEST(test_exit_classes), TEST(test_names))
