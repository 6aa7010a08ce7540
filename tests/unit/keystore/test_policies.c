/* Unit tests for keystore/policies.c: versions, history, idempotent put, tampering. */
#include "ks_raw.h"
#include "keystore-int.h"

#include <sodium.h>

static const char pa[] = "{\"version\":1,\"measurement\":[\"aa\"]}";
static const char pb[] = "{\"version\":1,\"measurement\":[\"bb\"]}";

static void
test_versions_and_history(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_policy *p = NULL;
	struct keystore_policy_info *h = NULL;
	uint8_t sha[32];
	uint32_t ver = 0;
	size_t n = 0;

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_get(ks, "disk", &p), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_policy_history(ks, "disk", &h, &n), KBS_ERR_NOT_FOUND);
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ver));
	CHECK_UINT_EQ(ver, 1);
	/* The same bytes again: no new version. */
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ver));
	CHECK_UINT_EQ(ver, 1);
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pb, strlen(pb), &ver));
	CHECK_UINT_EQ(ver, 2);
	/* Back to the first text: a third version, history keeps all. */
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ver));
	CHECK_UINT_EQ(ver, 3);
	/* A name that sorts right after "disk" must not confuse "current". */
	CHECK_OK(keystore_policy_put(ks, "disk0", (const uint8_t *)pb, strlen(pb), NULL));
	CHECK_OK(keystore_policy_put(ks, "dis", (const uint8_t *)pb, strlen(pb), NULL));

	CHECK_OK(keystore_policy_get(ks, "disk", &p));
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_UINT_EQ(p->info.version, 3);
		CHECK_UINT_EQ(p->len, strlen(pa));
		CHECK_STR_EQ((const char *)p->data, pa);
		crypto_hash_sha256(sha, (const uint8_t *)pa, strlen(pa));
		CHECK_MEM_EQ(p->info.sha256, sha, 32);
		CHECK(p->info.since > 0);
	}
	keystore_policy_free(p);
	keystore_policy_free(NULL);
	p = NULL;
	CHECK_OK(keystore_policy_get_version(ks, "disk", 2, &p));
	CHECK(p != NULL && p->info.version == 2 && strcmp((const char *)p->data, pb) == 0);
	keystore_policy_free(p);
	p = NULL;
	CHECK_ERR(keystore_policy_get_version(ks, "disk", 4, &p), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_policy_get_version(ks, "disk", 0, &p), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(keystore_policy_history(ks, "disk", &h, &n));
	CHECK_UINT_EQ(n, 3);
	if (n == 3) {
		CHECK_UINT_EQ(h[0].version, 1);
		CHECK_UINT_EQ(h[2].version, 3);
		CHECK_MEM_EQ(h[0].sha256, h[2].sha256, 32);
		CHECK(memcmp(h[0].sha256, h[1].sha256, 32) != 0);
		CHECK(h[0].since <= h[1].since && h[1].since <= h[2].since);
	}
	free(h);
	h = NULL;
	CHECK_OK(keystore_policy_history(ks, "dis", &h, &n));
	CHECK_UINT_EQ(n, 1);
	free(h);
	CHECK_OK(keystore_policy_get(ks, "disk0", &p));
	CHECK(p != NULL && p->info.version == 1);
	keystore_policy_free(p);
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_errors(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_policy *p = NULL;
	struct keystore_policy_info *h = NULL;
	uint8_t *big = calloc(1, KEYSTORE_POLICY_MAX + 1);
	size_t n = 0;

	ks_fixture_init(&f, 2);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_put(ks, "x", NULL, 1, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_put(ks, "x", big, 0, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_put(ks, "x y", big, 1, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_put(NULL, "x", big, 1, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_policy_put(ks, "x", big, KEYSTORE_POLICY_MAX + 1, NULL), KBS_ERR_TOO_LARGE);
	CHECK_OK(keystore_policy_put(ks, "x", big, KEYSTORE_POLICY_MAX, NULL));
	CHECK_ERR(keystore_policy_get(ks, "", &p), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_get(ks, "x", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_get_version(ks, "x\t", 1, &p), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_history(ks, "x", NULL, &n), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_history(NULL, "x", &h, &n), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	free(big);
	ks_fixture_done(&f);
}

/* Editing a stored policy's bytes without fixing its hash is caught on read. */
static void
test_tamper(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_policy *p = NULL;
	struct ks_raw raw;
	uint8_t key[6] = { 'p', 0, 0, 0, 0, 1 }, *v;
	size_t len = 0;

	ks_fixture_init(&f, 3);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_policy_put(ks, "p", (const uint8_t *)pa, strlen(pa), NULL));
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "policies");
	v = ks_raw_get(&raw, key, sizeof(key), &len);
	CHECK(v != NULL);
	v[len - 3] ^= 0x20;
	ks_raw_put(&raw, key, sizeof(key), v, len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_get(ks, "p", &p), KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(keystore_policy_get_version(ks, "p", 1, &p), KBS_ERR_STORE_INTEGRITY);
	keystore_close(ks);
	/* A record stored under the wrong version key is corrupt. */
	ks_raw_open(&raw, f.dir, "policies");
	v[len - 3] ^= 0x20;
	ks_raw_del(&raw, key, sizeof(key));
	key[5] = 2;
	ks_raw_put(&raw, key, sizeof(key), v, len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_get(ks, "p", &p), KBS_ERR_STORE_CORRUPT);
	keystore_close(ks);
	free(v);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_versions_and_history), TEST(test_errors), TEST(test_tamper))
