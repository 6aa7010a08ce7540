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
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ks_actor, &ver));
	CHECK_UINT_EQ(ver, 1);
	/* The same bytes again: no new version. */
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ks_actor, &ver));
	CHECK_UINT_EQ(ver, 1);
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pb, strlen(pb), &ks_actor, &ver));
	CHECK_UINT_EQ(ver, 2);
	/* Back to the first text: a third version, history keeps all. */
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ks_actor, &ver));
	CHECK_UINT_EQ(ver, 3);
	/* A name that sorts right after "disk" must not confuse "current". */
	CHECK_OK(
	    keystore_policy_put(ks, "disk0", (const uint8_t *)pb, strlen(pb), &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "dis", (const uint8_t *)pb, strlen(pb), &ks_actor, NULL));

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
	CHECK_ERR(keystore_policy_put(ks, "x", NULL, 1, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_put(ks, "x", big, 0, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_policy_put(ks, "x y", big, 1, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_policy_put(NULL, "x", big, 1, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_policy_put(ks, "x", big, KEYSTORE_POLICY_MAX + 1, &ks_actor, NULL),
	    KBS_ERR_TOO_LARGE);
	CHECK_OK(keystore_policy_put(ks, "x", big, KEYSTORE_POLICY_MAX, &ks_actor, NULL));
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
	CHECK_OK(keystore_policy_put(ks, "p", (const uint8_t *)pa, strlen(pa), &ks_actor, NULL));
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

/* policy_record encodes a policy record MACed under another key, as an attacker would. */
static uint8_t *
policy_record(const char *name, uint32_t version, const char *body,
    const uint8_t key_id[KS_KEY_ID_SIZE], size_t *ret_len)
{
	struct ks_keys *theirs = NULL;
	struct ks_policy_rec rec;
	uint8_t master[32], *p = NULL;

	memset(master, 0xee, sizeof(master));
	memset(&rec, 0, sizeof(rec));
	rec.version = version;
	rec.since = kbs_time_now();
	rec.data = (const uint8_t *)body;
	rec.len = strlen(body);
	crypto_hash_sha256(rec.sha256, rec.data, rec.len);
	if (ks_keys_from_bytes(master, &theirs) != 0)
		exit(2);
	ks_policy_mac(theirs, name, strlen(name), &rec);
	ks_keys_free(theirs);
	memcpy(rec.key_id, key_id, KS_KEY_ID_SIZE); /* the store's id: it is in every record */
	if (ks_encode_alloc(ks_enc_policy(&rec), &p, ret_len) != 0)
		exit(2);
	return p;
}

/*
 * The policy swap: without the master key, write a new current version of
 * "strict" whose bytes are {} with the right SHA-256, or copy the lax
 * policy's authentic record in as the next version of "strict". Either is
 * refused (STORE_INTEGRITY) wherever it would be read, never served, so
 * the secret bound to "strict" is never judged by it.
 */
static void
test_tamper_policy_swap(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_policy *p = NULL;
	struct keystore_policy_info *h = NULL;
	struct keystore_verify_report rep;
	struct ks_raw raw;
	struct ks_policy_rec pr;
	uint8_t k1[12], k2[12], *v, *forged, *lax;
	size_t len = 0, flen = 0, llen = 0, n = 0;

	ks_fixture_init(&f, 4);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(
	    keystore_policy_put(ks, "strict", (const uint8_t *)pa, strlen(pa), &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "lax", (const uint8_t *)"{}", 2, &ks_actor, NULL));
	CHECK_OK(
	    keystore_secret_put(ks, "disk", (const uint8_t *)"k", 1, "strict", &ks_actor, NULL));
	keystore_close(ks);
	memcpy(k1, "strict\0\0\0\0\1", 11);
	memcpy(k2, "strict\0\0\0\0\2", 11);
	ks_raw_open(&raw, f.dir, "policies");
	v = ks_raw_get(&raw, k1, 11, &len);
	CHECK(v != NULL && ks_policy_rec_decode(v, len, &pr) == 0);
	forged = policy_record("strict", 2, "{}", pr.key_id, &flen);
	ks_raw_put(&raw, k2, 11, forged, flen);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_get(ks, "strict", &p), KBS_ERR_STORE_INTEGRITY);
	CHECK(p == NULL);
	CHECK_ERR(keystore_policy_get_version(ks, "strict", 2, &p), KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(keystore_policy_history(ks, "strict", &h, &n), KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_INTEGRITY);
	CHECK_INT_EQ(rep.bad_kind, KEYSTORE_OBJECT_POLICY);
	CHECK_STR_EQ(rep.bad_name, "strict");
	/* Nor can a new version be put on top of the forged one. */
	CHECK_ERR(
	    keystore_policy_put(ks, "strict", (const uint8_t *)pb, strlen(pb), &ks_actor, NULL),
	    KBS_ERR_STORE_INTEGRITY);
	keystore_close(ks);

	/* The lax policy's own, authentic record, moved in as "strict" version 2. */
	ks_raw_open(&raw, f.dir, "policies");
	lax = ks_raw_get(&raw, "lax\0\0\0\0\1", 8, &llen);
	CHECK(lax != NULL);
	ks_raw_put(&raw, k2, 11, lax, llen);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_get(ks, "strict", &p), KBS_ERR_STORE_INTEGRITY);
	keystore_close(ks);

	/* And version 1's bytes edited with a matching SHA-256: the MAC covers the hash. */
	ks_raw_open(&raw, f.dir, "policies");
	ks_raw_del(&raw, k2, 11);
	v[len - 3] ^= 0x20;
	CHECK(ks_policy_rec_decode(v, len, &pr) == KBS_ERR_STORE_INTEGRITY);
	crypto_hash_sha256(v + 1 + 4 + 8, v + len - strlen(pa), strlen(pa));
	CHECK_OK(ks_policy_rec_decode(v, len, &pr));
	ks_raw_put(&raw, k1, 11, v, len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_get(ks, "strict", &p), KBS_ERR_STORE_INTEGRITY);
	keystore_close(ks);
	free(v);
	free(forged);
	free(lax);
	ks_fixture_done(&f);
}

/*
 * A policy rolled back by deleting its newest versions: what remains is
 * authentic and served, but it is not the version the last audit record
 * of that policy names, and keystore_verify_state says so.
 */
static void
test_tamper_policy_rollback(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_policy *p = NULL;
	struct keystore_verify_report rep;
	struct ks_raw raw;
	uint8_t k2[12];

	ks_fixture_init(&f, 5);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(
	    keystore_policy_put(ks, "strict", (const uint8_t *)pa, strlen(pa), &ks_actor, NULL));
	CHECK_OK(
	    keystore_policy_put(ks, "strict", (const uint8_t *)pb, strlen(pb), &ks_actor, NULL));
	CHECK_OK(keystore_verify_state(ks, &rep));
	CHECK_UINT_EQ(rep.policies, 1);
	keystore_close(ks);
	memcpy(k2, "strict\0\0\0\0\2", 11);
	ks_raw_open(&raw, f.dir, "policies");
	ks_raw_del(&raw, k2, 11);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_policy_get(ks, "strict", &p));
	CHECK(p != NULL && p->info.version == 1);
	keystore_policy_free(p);
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_RECORD_STALE);
	CHECK_INT_EQ(rep.bad_kind, KEYSTORE_OBJECT_POLICY);
	CHECK_STR_EQ(rep.bad_name, "strict");
	CHECK_UINT_EQ(rep.bad_seq, 2);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* Each new version is one "policy_put" record naming it; an unchanged put writes none. */
static void
test_put_is_audited(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_entry *e = NULL;
	struct keystore_policy *p = NULL;
	uint8_t sha[32];
	uint64_t count = 0;

	ks_fixture_init(&f, 6);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pa, strlen(pa), &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "disk", (const uint8_t *)pb, strlen(pb), &ks_actor, NULL));
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 2);
	CHECK_OK(keystore_audit_get(ks, 2, &e));
	crypto_hash_sha256(sha, (const uint8_t *)pb, strlen(pb));
	if (e != NULL) {
		CHECK_STR_EQ(e->rec.event, "policy_put");
		CHECK_STR_EQ(e->rec.policy_name, "disk");
		CHECK(e->rec.flags & KEYSTORE_AUDIT_HAS_POLICY_HASH);
		CHECK_MEM_EQ(e->rec.policy_sha256, sha, 32);
		CHECK_INT_EQ(e->rec.object.kind, KEYSTORE_OBJECT_POLICY);
		CHECK_UINT_EQ(e->rec.object.version, 2);
	}
	keystore_audit_entry_free(e);
	CHECK_ERR(keystore_policy_put(ks, "disk", (const uint8_t *)pb, strlen(pb), NULL, NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(keystore_policy_get(ks, "disk", &p));
	keystore_policy_free(p);
	CHECK_OK(keystore_verify_state(ks, NULL));
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_list(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_policy_summary *items = NULL;
	struct ks_raw raw;
	uint8_t key[7] = { 'b', 0, 0, 0, 0, 2 }, *v;
	size_t n = 99, len = 0;

	ks_fixture_init(&f, 7);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_policy_list(ks, &items, &n));
	CHECK_UINT_EQ(n, 0);
	free(items);
	items = NULL;
	CHECK_OK(keystore_policy_put(ks, "b", (const uint8_t *)pa, strlen(pa), &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "b", (const uint8_t *)pb, strlen(pb), &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "a", (const uint8_t *)pb, strlen(pb), &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "b0", (const uint8_t *)pa, strlen(pa), &ks_actor, NULL));
	CHECK_OK(keystore_policy_list(ks, &items, &n));
	CHECK_UINT_EQ(n, 3);
	if (n == 3) {
		CHECK_STR_EQ(items[0].name, "a");
		CHECK_STR_EQ(items[1].name, "b");
		CHECK_UINT_EQ(items[1].info.version, 2);
		CHECK_STR_EQ(items[2].name, "b0");
		CHECK_UINT_EQ(items[2].info.version, 1);
	}
	free(items);
	items = NULL;
	CHECK_ERR(keystore_policy_list(ks, NULL, &n), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	/* A current version that fails its check fails the list. */
	ks_raw_open(&raw, f.dir, "policies");
	v = ks_raw_get(&raw, key, 6, &len);
	CHECK(v != NULL);
	if (v != NULL) {
		v[len - 2] ^= 1;
		ks_raw_put(&raw, key, 6, v, len);
	}
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_policy_list(ks, &items, &n), KBS_ERR_STORE_INTEGRITY);
	keystore_close(ks);
	free(v);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_versions_and_history), TEST(test_errors), TEST(test_tamper),
    TEST(test_tamper_policy_swap), TEST(test_tamper_policy_rollback), TEST(test_put_is_audited),
    TEST(test_list))
