/*
 * Unit tests for keystore/replica.c: a sealed record made on one store is
 * stored as it is by another with the same master key (and verifies
 * there), applied twice writes one audit record, refused when made for
 * another name, sealed under another key, altered or malformed (exact
 * codes, nothing written); the replication MAC; the applied revision.
 */
#include "ks_test.h"

static const uint8_t val[] = "the disk key";

static uint64_t
audit_count(struct keystore *ks)
{
	uint64_t n = 0;

	CHECK_OK(keystore_audit_verify(ks, &n, NULL, NULL));
	return n;
}

static void
test_seal_and_put_elsewhere(void)
{
	struct ks_fixture a, b;
	struct keystore *ka, *kb;
	struct keystore_secret *s = NULL;
	struct keystore_verify_report rep;
	uint8_t *rec = NULL;
	size_t len = 0;
	uint32_t ver = 0;
	bool written = false;
	uint64_t before;

	ks_fixture_init(&a, 7);
	ks_fixture_init(&b, 7); /* another store, the same master key */
	ka = ks_open_default(&a, NULL);
	kb = ks_open_default(&b, NULL);
	CHECK_OK(keystore_secret_seal(ka, "disk", val, sizeof(val), "prod", 3, &rec, &len));
	/* Sealing stores nothing. */
	CHECK_ERR(keystore_secret_get(ka, "disk", &s), KBS_ERR_NOT_FOUND);
	before = audit_count(kb);
	CHECK_OK(keystore_secret_put_sealed(kb, "disk", rec, len, &ks_actor, &ver, &written));
	CHECK_UINT_EQ(ver, 3);
	CHECK(written);
	CHECK_UINT_EQ(audit_count(kb), before + 1);
	CHECK_OK(keystore_secret_get(kb, "disk", &s));
	if (s != NULL) {
		CHECK_MEM_EQ(s->value, val, sizeof(val));
		CHECK_STR_EQ(s->info.policy, "prod");
		CHECK_UINT_EQ(s->info.version, 3);
	}
	keystore_secret_free(s);
	/* The same record again writes nothing, not even an audit record. */
	written = true;
	CHECK_OK(keystore_secret_put_sealed(kb, "disk", rec, len, &ks_actor, &ver, &written));
	CHECK(!written);
	CHECK_UINT_EQ(ver, 3);
	CHECK_UINT_EQ(audit_count(kb), before + 1);
	/* The store's own checks accept it: the audit record names this record. */
	CHECK_OK(keystore_verify_state(kb, &rep));
	free(rec);
	keystore_close(ka);
	keystore_close(kb);
	ks_fixture_done(&a);
	ks_fixture_done(&b);
}

static void
test_refusals(void)
{
	struct ks_fixture a, c;
	struct keystore *ka, *kc;
	struct keystore_secret *s = NULL;
	uint8_t *rec = NULL, *copy;
	size_t len = 0;
	uint64_t before;

	ks_fixture_init(&a, 7);
	ks_fixture_init(&c, 9); /* another master key */
	ka = ks_open_default(&a, NULL);
	kc = ks_open_default(&c, NULL);
	CHECK_OK(keystore_secret_seal(ka, "disk", val, sizeof(val), "prod", 1, &rec, &len));
	before = audit_count(ka);
	/* Made for another name: the seal binds it. */
	CHECK_ERR(keystore_secret_put_sealed(ka, "other", rec, len, &ks_actor, NULL, NULL),
	    KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(keystore_secret_get(ka, "other", &s), KBS_ERR_NOT_FOUND);
	/* Sealed under another key. */
	CHECK_ERR(keystore_secret_put_sealed(kc, "disk", rec, len, &ks_actor, NULL, NULL),
	    KBS_ERR_STORE_MASTER_KEY);
	/* One ciphertext bit flipped. */
	copy = malloc(len);
	CHECK(copy != NULL);
	if (copy != NULL) {
		memcpy(copy, rec, len);
		copy[len - 1] ^= 1;
		CHECK_ERR(keystore_secret_put_sealed(ka, "disk", copy, len, &ks_actor, NULL, NULL),
		    KBS_ERR_STORE_INTEGRITY);
		/* Cut short: malformed. */
		CHECK_ERR(keystore_secret_put_sealed(ka, "disk", copy, 5, &ks_actor, NULL, NULL),
		    KBS_ERR_STORE_CORRUPT);
		free(copy);
	}
	CHECK_UINT_EQ(audit_count(ka), before);
	CHECK_ERR(keystore_secret_get(ka, "disk", &s), KBS_ERR_NOT_FOUND);
	/* Arguments. */
	CHECK_ERR(keystore_secret_seal(ka, "disk", val, sizeof(val), "prod", 0, &rec, &len),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_seal(ka, "bad name", val, sizeof(val), "", 1, &rec, &len),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_seal(ka, "disk", val, KEYSTORE_SECRET_MAX + 1, "", 1, &rec, &len),
	    KBS_ERR_TOO_LARGE);
	CHECK_ERR(keystore_secret_put_sealed(ka, "bad name", rec, len, &ks_actor, NULL, NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_put_sealed(ka, "disk", rec, len, NULL, NULL, NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	free(rec);
	keystore_close(ka);
	keystore_close(kc);
	ks_fixture_done(&a);
	ks_fixture_done(&c);
}

static void
test_mac_and_revision(void)
{
	struct ks_fixture a, b, c;
	struct keystore *ka, *kb, *kc;
	static const uint8_t msg[] = "a replicated value";
	uint8_t mac[32];
	uint64_t rev = 99;

	ks_fixture_init(&a, 7);
	ks_fixture_init(&b, 7);
	ks_fixture_init(&c, 9);
	ka = ks_open_default(&a, NULL);
	kb = ks_open_default(&b, NULL);
	kc = ks_open_default(&c, NULL);
	CHECK_OK(keystore_replica_mac(ka, msg, sizeof(msg), mac));
	CHECK_OK(keystore_replica_mac_check(kb, msg, sizeof(msg), mac));
	CHECK_ERR(keystore_replica_mac_check(kc, msg, sizeof(msg), mac), KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(
	    keystore_replica_mac_check(kb, msg, sizeof(msg) - 1, mac), KBS_ERR_STORE_INTEGRITY);
	mac[0] ^= 1;
	CHECK_ERR(keystore_replica_mac_check(kb, msg, sizeof(msg), mac), KBS_ERR_STORE_INTEGRITY);

	CHECK_OK(keystore_replica_revision(ka, &rev));
	CHECK_UINT_EQ(rev, 0);
	CHECK_OK(keystore_replica_set_revision(ka, 1234567890123ull));
	CHECK_OK(keystore_replica_revision(ka, &rev));
	CHECK_UINT_EQ(rev, 1234567890123ull);
	keystore_close(ka);
	/* Durable: read back after a reopen. */
	ka = ks_open_default(&a, NULL);
	rev = 0;
	CHECK_OK(keystore_replica_revision(ka, &rev));
	CHECK_UINT_EQ(rev, 1234567890123ull);
	CHECK_ERR(keystore_replica_revision(ka, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ka);
	keystore_close(kb);
	keystore_close(kc);
	ks_fixture_done(&a);
	ks_fixture_done(&b);
	ks_fixture_done(&c);
}

TEST_MAIN(TEST(test_seal_and_put_elsewhere), TEST(test_refusals), TEST(test_mac_and_revision))
