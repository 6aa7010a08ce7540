/*
 * Unit tests for keystore/nonces.c and keystore_attest_commit: single use,
 * the nonce and its decision record committed together or not at all,
 * purge by expiry.
 */
#include "ks_raw.h"

static void
test_consume_once(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	uint8_t n1[KEYSTORE_NONCE_SIZE], n2[KEYSTORE_NONCE_SIZE];

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	memset(n1, 1, sizeof(n1));
	memset(n2, 2, sizeof(n2));
	CHECK_OK(keystore_attest_commit(ks, n1, 1000, &ks_attest_rec, NULL));
	CHECK_ERR(
	    keystore_attest_commit(ks, n1, 1000, &ks_attest_rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_ERR(
	    keystore_attest_commit(ks, n1, 5000, &ks_attest_rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_OK(keystore_attest_commit(ks, n2, 1000, &ks_attest_rec, NULL));
	CHECK_ERR(
	    keystore_attest_commit(ks, NULL, 1000, &ks_attest_rec, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_attest_commit(ks, n1, -1, &ks_attest_rec, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_attest_commit(NULL, n1, 1, &ks_attest_rec, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	/* Consumed stays consumed across a restart. */
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(
	    keystore_attest_commit(ks, n2, 1000, &ks_attest_rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_purge(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	uint8_t n[KEYSTORE_NONCE_SIZE];
	size_t purged = 99;
	int i;

	ks_fixture_init(&f, 2);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_nonce_purge(ks, 100, &purged));
	CHECK_UINT_EQ(purged, 0);
	for (i = 0; i < 100; i++) {
		memset(n, 0, sizeof(n));
		n[0] = (uint8_t)i;
		/* Expiries 0..990 in steps of 10, inserted out of order. */
		CHECK_OK(keystore_attest_commit(
		    ks, n, (int64_t)((i * 37) % 100) * 10, &ks_attest_rec, NULL));
	}
	CHECK_OK(keystore_nonce_purge(ks, 500, &purged));
	CHECK_UINT_EQ(purged, 50); /* expiries 0..490 */
	CHECK_OK(keystore_nonce_purge(ks, 500, &purged));
	CHECK_UINT_EQ(purged, 0);
	/* A purged nonce can be recorded again; one not yet expired cannot. */
	memset(n, 0, sizeof(n));
	n[0] = 0; /* expiry 0: purged */
	CHECK_OK(keystore_attest_commit(ks, n, 2000, &ks_attest_rec, NULL));
	n[0] = 1; /* expiry 370: purged */
	CHECK_OK(keystore_attest_commit(ks, n, 2000, &ks_attest_rec, NULL));
	n[0] = 3; /* expiry 110*10 % 1000 = 110 -> (3*37)%100*10 = 110: purged */
	CHECK_OK(keystore_attest_commit(ks, n, 2000, &ks_attest_rec, NULL));
	n[0] = 4; /* (4*37)%100*10 = 480: purged */
	CHECK_OK(keystore_attest_commit(ks, n, 2000, &ks_attest_rec, NULL));
	n[0] = 2; /* (2*37)%100*10 = 740: still recorded */
	CHECK_ERR(
	    keystore_attest_commit(ks, n, 2000, &ks_attest_rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_OK(keystore_nonce_purge(ks, 3000, NULL));
	CHECK_OK(keystore_attest_commit(ks, n, 2000, &ks_attest_rec, NULL));
	CHECK_ERR(keystore_nonce_purge(NULL, 1, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * The attest commit: the nonce and the decision's record in one commit. A
 * replay is refused and appends nothing; a record that cannot be appended
 * (refused, or the log tampered with) consumes nothing.
 */
static void
test_attest_commit_is_one_commit(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_record rec;
	struct keystore_audit_entry *e = NULL;
	struct ks_raw raw;
	uint8_t n1[KEYSTORE_NONCE_SIZE], n2[KEYSTORE_NONCE_SIZE];
	uint64_t seq = 0, count = 0;

	ks_fixture_init(&f, 3);
	ks = ks_open_default(&f, NULL);
	memset(n1, 0x31, sizeof(n1));
	memset(n2, 0x32, sizeof(n2));
	memset(&rec, 0, sizeof(rec));
	rec.event = "attest";
	rec.decision = "allow";
	rec.request_id = "req-9";
	CHECK_OK(keystore_attest_commit(ks, n1, 1000, &rec, &seq));
	CHECK_UINT_EQ(seq, 1);
	CHECK_OK(keystore_audit_get(ks, 1, &e));
	CHECK(e != NULL && strcmp(e->rec.request_id, "req-9") == 0 && e->rec.time > 0);
	keystore_audit_entry_free(e);
	seq = 77;
	CHECK_ERR(keystore_attest_commit(ks, n1, 1000, &rec, &seq), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_UINT_EQ(seq, 77);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 1);
	/* A record refused before the commit: the nonce is still free. */
	rec.flags = 1u << 12;
	CHECK_ERR(keystore_attest_commit(ks, n2, 1000, &rec, NULL), KBS_ERR_INVALID_ARGUMENT);
	rec.flags = 0;
	CHECK_ERR(keystore_attest_commit(ks, n2, 1000, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	/* A log whose head was removed takes no record, so the nonce stays free too. */
	ks_raw_open(&raw, f.dir, "meta");
	ks_raw_del(&raw, "audit_head", 10);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_attest_commit(ks, n2, 1000, &rec, NULL), KBS_ERR_STORE_AUDIT_CHAIN);
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "nonces");
	CHECK(ks_raw_get(&raw, n2, sizeof(n2), &(size_t){ 0 }) == NULL);
	ks_raw_commit(&raw);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_consume_once), TEST(test_purge), TEST(test_attest_commit_is_one_commit))
