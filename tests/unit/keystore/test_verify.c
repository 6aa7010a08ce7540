/*
 * Unit tests for keystore/verify.c: keystore_verify_state on a sound store, and
 * each way the tables and the log can be made to disagree: the index
 * behind the log, the index pointing elsewhere, records spliced in from
 * another store sealed with the same master key (authentic, but never
 * audited here), a token whose hash no longer finds it.
 */
#include "ks_raw.h"
#include "keystore-int.h"

#include <sodium.h>

static const uint8_t value[] = "value";
static const char policy[] = "{\"version\":1}";

/* populate gives the store a secret, a policy in two versions and a token, with their records. */
static void
populate(struct keystore *ks)
{
	uint8_t h[32];

	memset(h, 0x42, sizeof(h));
	CHECK_OK(keystore_secret_put(ks, "disk", value, sizeof(value), "pol", &ks_actor, NULL));
	CHECK_OK(keystore_secret_put(ks, "gone", value, sizeof(value), NULL, &ks_actor, NULL));
	CHECK_OK(keystore_secret_delete(ks, "gone", &ks_actor));
	CHECK_OK(keystore_policy_put(ks, "pol", (const uint8_t *)policy, 13, &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "pol", (const uint8_t *)"{}", 2, &ks_actor, NULL));
	CHECK_OK(keystore_token_create(ks, "admin", KEYSTORE_ROLE_ADMIN, h, &ks_actor));
	CHECK_OK(keystore_audit_append(ks, &ks_attest_rec, NULL));
}

static void
expect_bad(
    struct ks_fixture *f, int want, enum keystore_object_kind kind, const char *name, int line)
{
	struct keystore *ks = ks_open_default(f, NULL);
	struct keystore_verify_report rep;
	int r = keystore_verify_state(ks, &rep);

	if (r != want || rep.bad_kind != kind || strcmp(rep.bad_name, name) != 0)
		fprintf(stderr, "line %d: verify %d (%s) %s %s seq %llu\n", line, r,
		    kbs_err_name(r), keystore_object_kind_name(rep.bad_kind), rep.bad_name,
		    (unsigned long long)rep.bad_seq);
	CHECK_ERR(r, want);
	CHECK_INT_EQ(rep.bad_kind, kind);
	CHECK_STR_EQ(rep.bad_name, name);
	keystore_close(ks);
}

static void
test_sound_store(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_verify_report rep;
	struct keystore_audit_head head;
	uint64_t count = 0;

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_verify_state(ks, &rep));
	CHECK_UINT_EQ(rep.records, 0);
	CHECK_UINT_EQ(rep.head.seq, 0);
	populate(ks);
	memset(&rep, 0x5a, sizeof(rep));
	CHECK_OK(keystore_verify_state(ks, &rep));
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, &head));
	CHECK_UINT_EQ(rep.records, 7);
	CHECK_UINT_EQ(rep.records, count);
	CHECK_UINT_EQ(rep.head.seq, head.seq);
	CHECK_MEM_EQ(rep.head.sha256, head.sha256, 32);
	CHECK_UINT_EQ(rep.secrets, 1);
	CHECK_UINT_EQ(rep.policies, 1);
	CHECK_UINT_EQ(rep.tokens, 1);
	CHECK_UINT_EQ(rep.bad_seq, 0);
	CHECK_INT_EQ(rep.bad_kind, 0);
	CHECK_STR_EQ(rep.bad_name, "");
	/* Deleted, then put again: version 1 anew, and still what the log names. */
	CHECK_OK(keystore_secret_put(ks, "gone", value, 2, NULL, &ks_actor, NULL));
	CHECK_OK(keystore_verify_state(ks, NULL));
	CHECK_ERR(keystore_verify_state(NULL, &rep), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* index_put sets the audit_index entry of (kind, name) to seq, or deletes it if seq is 0. */
static void
index_put(struct ks_fixture *f, enum keystore_object_kind kind, const char *name, uint64_t seq)
{
	struct ks_raw raw;
	struct ks_index_rec ix = { seq };
	uint8_t k[KS_INDEX_KEY_MAX], v[16];
	struct ks_w w = { v, sizeof(v), 0 };
	size_t kl = ks_index_key(k, kind, name, strlen(name));

	ks_raw_open(&raw, f->dir, "audit_index");
	if (seq == 0) {
		ks_raw_del(&raw, k, kl);
	} else {
		ks_index_rec_encode(&w, &ix);
		ks_raw_put(&raw, k, kl, v, w.len);
	}
	ks_raw_commit(&raw);
}

static void
make_store(struct ks_fixture *f, uint8_t fill)
{
	struct keystore *ks;

	ks_fixture_init(f, fill);
	ks = ks_open_default(f, NULL);
	populate(ks);
	keystore_close(ks);
}

/*
 * The index that points each object at its last change record, edited:
 * removed, put back from an older state, pointed at a record of another
 * kind or past the end of the log.
 */
static void
test_tamper_index(void)
{
	struct ks_fixture f;

	make_store(&f, 2);
	index_put(&f, KEYSTORE_OBJECT_SECRET, "disk", 0);
	expect_bad(&f, KBS_ERR_STORE_RECORD_STALE, KEYSTORE_OBJECT_SECRET, "disk", __LINE__);
	ks_fixture_done(&f);

	/* "pol" changed at seq 4 and 5; its index entry rolled back to 4. */
	make_store(&f, 2);
	index_put(&f, KEYSTORE_OBJECT_POLICY, "pol", 4);
	expect_bad(&f, KBS_ERR_STORE_RECORD_STALE, KEYSTORE_OBJECT_POLICY, "pol", __LINE__);
	ks_fixture_done(&f);

	/* Pointed at the attestation record, or past the log. */
	make_store(&f, 2);
	index_put(&f, KEYSTORE_OBJECT_SECRET, "disk", 7);
	expect_bad(&f, KBS_ERR_STORE_RECORD_STALE, KEYSTORE_OBJECT_SECRET, "disk", __LINE__);
	index_put(&f, KEYSTORE_OBJECT_SECRET, "disk", 99);
	expect_bad(&f, KBS_ERR_STORE_RECORD_STALE, KEYSTORE_OBJECT_SECRET, "disk", __LINE__);
	ks_fixture_done(&f);

	/* A deleted secret's entry removed: its records are still in the log. */
	make_store(&f, 2);
	index_put(&f, KEYSTORE_OBJECT_SECRET, "gone", 0);
	expect_bad(&f, KBS_ERR_STORE_RECORD_STALE, KEYSTORE_OBJECT_SECRET, "gone", __LINE__);
	ks_fixture_done(&f);
}

/* copy_record copies table[key] from one store's files into another's. */
static void
copy_record(const char *from, const char *to, const char *table, const void *key, size_t klen)
{
	struct ks_raw raw;
	uint8_t *v;
	size_t len = 0;

	ks_raw_open(&raw, from, table);
	v = ks_raw_get(&raw, key, klen, &len);
	ks_raw_commit(&raw);
	CHECK(v != NULL);
	if (v == NULL)
		return;
	ks_raw_open(&raw, to, table);
	ks_raw_put(&raw, key, klen, v, len);
	ks_raw_commit(&raw);
	free(v);
}

/*
 * Records spliced in from another store that has the same master key (a
 * second deployment, a test store): authentic, so they open and pass their
 * MAC, but no audit record of this store wrote them.
 */
static void
test_tamper_spliced_from_another_store(void)
{
	struct ks_fixture f, g;
	struct keystore *ks;
	struct keystore_secret *sec = NULL;

	make_store(&f, 3);
	ks_fixture_init(&g, 3);
	ks = ks_open_default(&g, NULL);
	CHECK_OK(keystore_secret_put(ks, "spliced", value, sizeof(value), NULL, &ks_actor, NULL));
	CHECK_OK(keystore_policy_put(ks, "other", (const uint8_t *)"{}", 2, &ks_actor, NULL));
	keystore_close(ks);
	copy_record(g.dir, f.dir, "secrets", "spliced", 7);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_get(ks, "spliced", &sec));
	keystore_secret_free(sec);
	keystore_close(ks);
	expect_bad(&f, KBS_ERR_STORE_RECORD_STALE, KEYSTORE_OBJECT_SECRET, "spliced", __LINE__);
	ks_fixture_done(&f);

	make_store(&f, 3);
	copy_record(g.dir, f.dir, "policies", "other\0\0\0\0\1", 10);
	expect_bad(&f, KBS_ERR_STORE_RECORD_STALE, KEYSTORE_OBJECT_POLICY, "other", __LINE__);
	ks_fixture_done(&f);
	ks_fixture_done(&g);
}

/* A token whose hash entry is gone could not be looked up: the store is inconsistent. */
static void
test_tamper_token_hash_removed(void)
{
	struct ks_fixture f;
	struct ks_raw raw;
	uint8_t h[32];

	make_store(&f, 4);
	memset(h, 0x42, sizeof(h));
	ks_raw_open(&raw, f.dir, "token_hashes");
	ks_raw_del(&raw, h, 32);
	ks_raw_commit(&raw);
	expect_bad(&f, KBS_ERR_STORE_CORRUPT, KEYSTORE_OBJECT_TOKEN, "admin", __LINE__);
	ks_fixture_done(&f);
}

/* A broken chain is reported as keystore_audit_verify reports it, before anything else. */
static void
test_broken_chain_first(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_verify_report rep;
	struct ks_raw raw;
	uint8_t k[8];

	make_store(&f, 5);
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k, 3);
	ks_raw_del(&raw, k, 8);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_AUDIT_CHAIN);
	CHECK_UINT_EQ(rep.bad_seq, 3);
	CHECK_INT_EQ(rep.bad_kind, 0);
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_sound_store), TEST(test_tamper_index),
    TEST(test_tamper_spliced_from_another_store), TEST(test_tamper_token_hash_removed),
    TEST(test_broken_chain_first))
