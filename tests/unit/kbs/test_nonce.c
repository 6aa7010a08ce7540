/*
 * Unit tests for kbs/nonce.c: the known-answer vector of
 * tests/vectors/proto/nonce.json (made by gen_nonce.py with hashlib, a
 * second implementation) and its copy in docs/protocol.md; then every
 * refusal with its exact code, in the order the protocol gives: length,
 * replica, MAC (one flipped bit in each field), future skew, age at the
 * exact boundaries.
 */
#include <cjson/cJSON.h>
#include <sodium.h>

#include "nonce.h"
#include "test.h"

struct vector {
	uint8_t key[32], random[8], nonce[32], tag[4], other_tag[4];
	char replica_id[64], other_replica_id[64];
	int64_t issued, expires_at;
	uint32_t lifetime;
};

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsString(it)) {
		fprintf(stderr, "nonce.json: %s missing\n", k);
		exit(2);
	}
	return it->valuestring;
}

static void
jhex(const cJSON *o, const char *k, uint8_t *out, size_t n)
{
	const char *s = jstr(o, k);

	if (kbs_hex_decode_exact(s, strlen(s), out, n) != 0) {
		fprintf(stderr, "nonce.json: %s is not %zu hex bytes\n", k, n);
		exit(2);
	}
}

static int64_t
jint(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(it)) {
		fprintf(stderr, "nonce.json: %s missing\n", k);
		exit(2);
	}
	return (int64_t)it->valuedouble;
}

static void
vector_load(struct vector *v)
{
	char path[4096];
	uint8_t *data;
	size_t len;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/../proto/nonce.json", getenv("KBS_VECTORS"));
	data = test_read(path, &len);
	if ((j = cJSON_ParseWithLength((const char *)data, len)) == NULL)
		exit(2);
	free(data);
	memset(v, 0, sizeof(*v));
	jhex(j, "key", v->key, 32);
	jhex(j, "random", v->random, 8);
	jhex(j, "nonce", v->nonce, 32);
	jhex(j, "replica_tag", v->tag, 4);
	jhex(j, "other_replica_tag", v->other_tag, 4);
	snprintf(v->replica_id, sizeof(v->replica_id), "%s", jstr(j, "replica_id"));
	snprintf(
	    v->other_replica_id, sizeof(v->other_replica_id), "%s", jstr(j, "other_replica_id"));
	v->issued = jint(j, "issued");
	v->lifetime = (uint32_t)jint(j, "lifetime");
	v->expires_at = jint(j, "expires_at");
	cJSON_Delete(j);
}

static struct kbs_nonce_issuer *
issuer(const struct vector *v, const char *replica_id)
{
	struct kbs_nonce_issuer *is = NULL;

	if (kbs_nonce_issuer_new(v->key, replica_id, strlen(replica_id), v->lifetime, &is) != 0)
		exit(2);
	return is;
}

static void
test_known_answer(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is;
	uint8_t n[32], tag[4];
	int64_t issued = 0, expires = 0;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	kbs_nonce_replica_tag(v.replica_id, strlen(v.replica_id), tag);
	CHECK_MEM_EQ(tag, v.tag, 4);
	kbs_nonce_replica_tag(v.other_replica_id, strlen(v.other_replica_id), tag);
	CHECK_MEM_EQ(tag, v.other_tag, 4);
	CHECK_OK(kbs_nonce_make(is, v.issued, v.random, n));
	CHECK_MEM_EQ(n, v.nonce, 32);
	CHECK_OK(kbs_nonce_check(is, v.nonce, 32, v.issued, &issued, &expires));
	CHECK_INT_EQ(issued, v.issued);
	CHECK_INT_EQ(expires, v.expires_at);
	kbs_nonce_issuer_free(is);
}

/* docs/protocol.md quotes the vector: the page and the code cannot drift. */
static void
test_vector_in_docs(void)
{
	struct vector v;
	char path[4096], hex[65];
	uint8_t *doc;
	size_t len;

	vector_load(&v);
	snprintf(path, sizeof(path), "%s/docs/protocol.md", getenv("KBS_SOURCE_ROOT"));
	doc = test_read(path, &len);
	doc = realloc(doc, len + 1);
	if (doc == NULL)
		exit(2);
	doc[len] = '\0';
	CHECK_OK(kbs_hex_encode(v.nonce, 32, hex, sizeof(hex)));
	CHECK(strstr((const char *)doc, hex) != NULL);
	CHECK_OK(kbs_hex_encode(v.key, 32, hex, sizeof(hex)));
	CHECK(strstr((const char *)doc, hex) != NULL);
	free(doc);
}

static void
test_issue_then_check(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is;
	uint8_t a[32], b[32];
	int64_t exp_a = 0, exp_b = 0, issued = 0, expires = 0;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	CHECK_OK(kbs_nonce_issue(is, 1760000000, a, &exp_a));
	CHECK_OK(kbs_nonce_issue(is, 1760000000, b, &exp_b));
	CHECK_INT_EQ(exp_a, 1760000000 + v.lifetime);
	CHECK(memcmp(a, b, 32) != 0); /* the random bytes differ */
	CHECK_MEM_EQ(a + 4, v.tag, 4);
	CHECK_OK(kbs_nonce_check(is, a, 32, 1760000001, &issued, &expires));
	CHECK_INT_EQ(issued, 1760000000);
	CHECK_INT_EQ(expires, exp_a);
	kbs_nonce_issuer_free(is);
}

static void
test_bad_arguments(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is = NULL;
	uint8_t n[32];
	int64_t e = 0, i = 0;

	vector_load(&v);
	CHECK_ERR(kbs_nonce_issuer_new(NULL, "a", 1, 120, &is), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_nonce_issuer_new(v.key, "", 0, 120, &is), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_nonce_issuer_new(v.key, "a", 256, 120, &is), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_nonce_issuer_new(v.key, "a", 1, 0, &is), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_nonce_issuer_new(v.key, "a", 1, KBS_NONCE_LIFETIME_MAX + 1, &is),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK(is == NULL);
	is = issuer(&v, v.replica_id);
	CHECK_ERR(kbs_nonce_issue(is, -1, n, &e), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_nonce_issue(is, (int64_t)UINT32_MAX + 1, n, &e), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_nonce_issue(NULL, 1, n, &e), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_nonce_check(NULL, v.nonce, 32, v.issued, &i, &e), KBS_ERR_INVALID_ARGUMENT);
	kbs_nonce_issuer_free(is);
	kbs_nonce_issuer_free(NULL);
}

static void
test_malformed(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is;
	uint8_t longer[33];
	int64_t i = -7, e = -7;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	memcpy(longer, v.nonce, 32);
	longer[32] = 0;
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 31, v.issued, &i, &e), KBS_ERR_NONCE_MALFORMED);
	CHECK_ERR(kbs_nonce_check(is, longer, 33, v.issued, &i, &e), KBS_ERR_NONCE_MALFORMED);
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 0, v.issued, &i, &e), KBS_ERR_NONCE_MALFORMED);
	CHECK_ERR(kbs_nonce_check(is, NULL, 32, v.issued, &i, &e), KBS_ERR_NONCE_MALFORMED);
	CHECK_INT_EQ(i, -7); /* out-parameters untouched on failure */
	CHECK_INT_EQ(e, -7);
	kbs_nonce_issuer_free(is);
}

/* The same key under another replica id: the tag decides, before the MAC. */
static void
test_other_replica(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is, *other;
	uint8_t n[32];
	int64_t i = 0, e = 0;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	other = issuer(&v, v.other_replica_id);
	CHECK_ERR(
	    kbs_nonce_check(other, v.nonce, 32, v.issued, &i, &e), KBS_ERR_NONCE_OTHER_REPLICA);
	CHECK_OK(kbs_nonce_issue(other, v.issued, n, &e));
	CHECK_MEM_EQ(n + 4, v.other_tag, 4);
	CHECK_ERR(kbs_nonce_check(is, n, 32, v.issued, &i, &e), KBS_ERR_NONCE_OTHER_REPLICA);
	/* Even an expired and forged nonce of another replica gets that code first. */
	n[31] ^= 1;
	CHECK_ERR(
	    kbs_nonce_check(is, n, 32, v.issued + 100000, &i, &e), KBS_ERR_NONCE_OTHER_REPLICA);
	kbs_nonce_issuer_free(is);
	kbs_nonce_issuer_free(other);
}

/* One flipped bit in each field: time, tag, random, MAC. */
static void
test_flipped_bits(void)
{
	static const struct {
		size_t byte;
		uint8_t bit;
		int want;
	} flips[] = {
		{ 0, 0x80, KBS_ERR_NONCE_MAC }, /* issue time, high bit */
		{ 3, 0x01, KBS_ERR_NONCE_MAC }, /* issue time, low bit: 1 s off */
		{ 4, 0x01, KBS_ERR_NONCE_OTHER_REPLICA }, { 7, 0x80, KBS_ERR_NONCE_OTHER_REPLICA },
		{ 8, 0x01, KBS_ERR_NONCE_MAC },  /* random */
		{ 15, 0x80, KBS_ERR_NONCE_MAC }, /* random */
		{ 16, 0x01, KBS_ERR_NONCE_MAC }, /* MAC, first byte */
		{ 31, 0x80, KBS_ERR_NONCE_MAC }, /* MAC, last byte */
	};
	struct vector v;
	struct kbs_nonce_issuer *is;
	size_t k, bit;
	int64_t i = 0, e = 0;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	for (k = 0; k < KBS_ARRAY_SIZE(flips); k++) {
		uint8_t n[32];

		memcpy(n, v.nonce, 32);
		n[flips[k].byte] ^= flips[k].bit;
		CHECK_ERR(kbs_nonce_check(is, n, 32, v.issued, &i, &e), flips[k].want);
	}
	/* Every single bit of the MAC matters. */
	for (bit = 0; bit < 128; bit++) {
		uint8_t n[32];

		memcpy(n, v.nonce, 32);
		n[16 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_ERR(kbs_nonce_check(is, n, 32, v.issued, &i, &e), KBS_ERR_NONCE_MAC);
	}
	kbs_nonce_issuer_free(is);
}

/* The same replica id under another key is a forgery, not another replica. */
static void
test_wrong_key(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is;
	int64_t i = 0, e = 0;

	vector_load(&v);
	v.key[0] ^= 1;
	is = issuer(&v, v.replica_id);
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 32, v.issued, &i, &e), KBS_ERR_NONCE_MAC);
	kbs_nonce_issuer_free(is);
}

/* Age exactly the lifetime is accepted, one second more is expired. */
static void
test_age_boundaries(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is;
	int64_t i = 0, e = 0;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	CHECK_OK(kbs_nonce_check(is, v.nonce, 32, v.issued + v.lifetime - 1, &i, &e));
	CHECK_OK(kbs_nonce_check(is, v.nonce, 32, v.issued + v.lifetime, &i, &e));
	CHECK_INT_EQ(e, v.expires_at);
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 32, v.issued + v.lifetime + 1, &i, &e),
	    KBS_ERR_NONCE_EXPIRED);
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 32, INT64_MAX, &i, &e), KBS_ERR_NONCE_EXPIRED);
	kbs_nonce_issuer_free(is);
}

/* Up to KBS_NONCE_FUTURE_SKEW seconds ahead is a clock difference; more is refused. */
static void
test_future_skew(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is;
	int64_t i = 0, e = 0;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	CHECK_OK(kbs_nonce_check(is, v.nonce, 32, v.issued - KBS_NONCE_FUTURE_SKEW, &i, &e));
	CHECK_INT_EQ(i, v.issued);
	CHECK_INT_EQ(e, v.expires_at); /* expiry counts from the issue time, not from now */
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 32, v.issued - KBS_NONCE_FUTURE_SKEW - 1, &i, &e),
	    KBS_ERR_NONCE_MAC);
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 32, 0, &i, &e), KBS_ERR_NONCE_MAC);
	CHECK_ERR(kbs_nonce_check(is, v.nonce, 32, INT64_MIN, &i, &e), KBS_ERR_NONCE_MAC);
	kbs_nonce_issuer_free(is);
}

/* Issue-time extremes of the u32 field round-trip. */
static void
test_time_extremes(void)
{
	struct vector v;
	struct kbs_nonce_issuer *is;
	uint8_t n[32];
	int64_t i = 0, e = 0;

	vector_load(&v);
	is = issuer(&v, v.replica_id);
	CHECK_OK(kbs_nonce_issue(is, 0, n, &e));
	CHECK_OK(kbs_nonce_check(is, n, 32, 0, &i, &e));
	CHECK_INT_EQ(i, 0);
	CHECK_OK(kbs_nonce_issue(is, UINT32_MAX, n, &e));
	CHECK_INT_EQ(e, (int64_t)UINT32_MAX + v.lifetime);
	CHECK_OK(kbs_nonce_check(is, n, 32, (int64_t)UINT32_MAX + 3, &i, &e));
	CHECK_INT_EQ(i, (int64_t)UINT32_MAX);
	kbs_nonce_issuer_free(is);
}

TEST_MAIN(TEST(test_known_answer), TEST(test_vector_in_docs), TEST(test_issue_then_check),
    TEST(test_bad_arguments), TEST(test_malformed), TEST(test_other_replica),
    TEST(test_flipped_bits), TEST(test_wrong_key), TEST(test_age_boundaries),
    TEST(test_future_skew), TEST(test_time_extremes))
