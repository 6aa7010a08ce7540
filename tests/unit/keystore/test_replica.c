/*
 * Unit tests for keystore/replica.c: a sealed record made on one store is
 * stored as it is by another with the same master key (and verifies
 * there), applied twice writes one audit record, refused when made for
 * another name, sealed under another key, altered or malformed (exact
 * codes, nothing written); the replication MAC; the applied revision;
 * the sequence numbers (durable, kept apart per family and name, the
 * store verifies with them) and keystore_replica_apply: a v1 value (seq
 * 0) on a fresh object applied without a number; a lower seq, the
 * same seq with another digest and a v1 value (seq 0) after a numbered
 * one each refused with ETCD_ROLLBACK and nothing written; the same
 * value again writes nothing; a tombstone deletes with its audit record,
 * and of an absent secret records only the number. A stored number that
 * is not exactly 40 bytes, or is 0, is STORE_CORRUPT.
 */
#include "keystore-int.h"
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

static struct keystore_replica_seq
seq_of(uint64_t n, uint8_t fill)
{
	struct keystore_replica_seq s;

	s.seq = n;
	memset(s.value_sha256, fill, sizeof(s.value_sha256));
	return s;
}

static void
test_seq(void)
{
	struct ks_fixture a;
	struct keystore *ka;
	struct keystore_replica_seq s = seq_of(5, 0xaa), got;
	struct keystore_verify_report rep;

	ks_fixture_init(&a, 7);
	ka = ks_open_default(&a, NULL);
	CHECK_OK(keystore_replica_seq(ka, KEYSTORE_REPLICA_SECRETS, "disk", &got));
	CHECK_UINT_EQ(got.seq, 0);
	CHECK_OK(keystore_replica_set_seq(ka, KEYSTORE_REPLICA_SECRETS, "disk", &s));
	s = seq_of(9, 0xbb);
	CHECK_OK(keystore_replica_set_seq(ka, KEYSTORE_REPLICA_POLICIES, "disk", &s));
	keystore_close(ka);
	/* Durable, and one number per family and name. */
	ka = ks_open_default(&a, NULL);
	CHECK_OK(keystore_replica_seq(ka, KEYSTORE_REPLICA_SECRETS, "disk", &got));
	CHECK_UINT_EQ(got.seq, 5);
	s = seq_of(5, 0xaa);
	CHECK_MEM_EQ(got.value_sha256, s.value_sha256, 32);
	CHECK_OK(keystore_replica_seq(ka, KEYSTORE_REPLICA_POLICIES, "disk", &got));
	CHECK_UINT_EQ(got.seq, 9);
	CHECK_OK(keystore_replica_seq(ka, KEYSTORE_REPLICA_SECRETS, "disk2", &got));
	CHECK_UINT_EQ(got.seq, 0);
	/* The store's checks do not mind the entries. */
	CHECK_OK(keystore_verify_state(ka, &rep));
	/* Arguments. */
	s = seq_of(0, 0);
	CHECK_ERR(keystore_replica_set_seq(ka, KEYSTORE_REPLICA_SECRETS, "disk", &s),
	    KBS_ERR_INVALID_ARGUMENT);
	s = seq_of(1, 0);
	CHECK_ERR(keystore_replica_set_seq(ka, (enum keystore_replica_family)3, "disk", &s),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_replica_set_seq(ka, KEYSTORE_REPLICA_SECRETS, "bad name", &s),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_replica_seq(ka, KEYSTORE_REPLICA_SECRETS, "disk", NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ka);
	ks_fixture_done(&a);
}

static void
test_apply(void)
{
	static const uint8_t pol_old[] = "{\"kbs_policy\": 1, \"name\": \"old\"}",
			     pol_new[] = "{\"kbs_policy\": 1, \"name\": \"new\"}";
	struct ks_fixture a;
	struct keystore *ka;
	struct keystore_replica_change c;
	struct keystore_replica_seq held;
	struct keystore_secret *s = NULL;
	struct keystore_policy *p = NULL;
	struct keystore_verify_report rep;
	uint8_t *rec1 = NULL, *rec2 = NULL;
	size_t len1 = 0, len2 = 0;
	uint64_t before;
	bool written = false;

	ks_fixture_init(&a, 7);
	ka = ks_open_default(&a, NULL);
	CHECK_OK(keystore_secret_seal(ka, "disk", val, sizeof(val), "", 1, &rec1, &len1));
	CHECK_OK(keystore_secret_seal(ka, "disk", val, sizeof(val) - 1, "", 2, &rec2, &len2));

	/* A value from before sequence numbers on a fresh object: applied, no number recorded. */
	memset(&c, 0, sizeof(c));
	c.op = KEYSTORE_REPLICA_POLICY_PUT;
	c.name = "prod";
	c.actor = &ks_actor;
	c.payload = pol_old;
	c.payload_len = sizeof(pol_old);
	c.seq = seq_of(0, 0);
	CHECK_OK(keystore_replica_apply(ka, &c, &held, &written));
	CHECK(written);
	CHECK_OK(keystore_replica_seq(ka, KEYSTORE_REPLICA_POLICIES, "prod", &held));
	CHECK_UINT_EQ(held.seq, 0);
	/* Policies: seq 2 applied, then seq 1 (older bytes) refused. */
	c.payload = pol_new;
	c.payload_len = sizeof(pol_new);
	c.seq = seq_of(2, 2);
	CHECK_OK(keystore_replica_apply(ka, &c, &held, &written));
	CHECK(written);
	CHECK_UINT_EQ(held.seq, 0);
	before = audit_count(ka);
	c.payload = pol_old;
	c.payload_len = sizeof(pol_old);
	c.seq = seq_of(1, 1);
	CHECK_ERR(keystore_replica_apply(ka, &c, &held, &written), KBS_ERR_ETCD_ROLLBACK);
	CHECK_UINT_EQ(held.seq, 2);
	/* The same number with other bytes: refused too. */
	c.seq = seq_of(2, 1);
	CHECK_ERR(keystore_replica_apply(ka, &c, NULL, NULL), KBS_ERR_ETCD_ROLLBACK);
	/* A value from before sequence numbers (seq 0): below any number. */
	c.seq = seq_of(0, 0);
	CHECK_ERR(keystore_replica_apply(ka, &c, NULL, NULL), KBS_ERR_ETCD_ROLLBACK);
	CHECK_UINT_EQ(audit_count(ka), before);
	CHECK_OK(keystore_policy_get(ka, "prod", &p));
	if (p != NULL)
		CHECK_MEM_EQ(p->data, pol_new, sizeof(pol_new));
	keystore_policy_free(p);
	/* The same value again: applied, nothing written. */
	c.payload = pol_new;
	c.payload_len = sizeof(pol_new);
	c.seq = seq_of(2, 2);
	written = true;
	CHECK_OK(keystore_replica_apply(ka, &c, NULL, &written));
	CHECK(!written);
	CHECK_UINT_EQ(audit_count(ka), before);

	/* Secrets: seq 1, seq 2, then the seq 1 record again refused. */
	c.op = KEYSTORE_REPLICA_SECRET_PUT;
	c.name = "disk";
	c.payload = rec1;
	c.payload_len = len1;
	c.seq = seq_of(1, 1);
	CHECK_OK(keystore_replica_apply(ka, &c, NULL, &written));
	CHECK(written);
	c.payload = rec2;
	c.payload_len = len2;
	c.seq = seq_of(2, 2);
	CHECK_OK(keystore_replica_apply(ka, &c, NULL, &written));
	CHECK(written);
	c.payload = rec1;
	c.payload_len = len1;
	c.seq = seq_of(1, 1);
	CHECK_ERR(keystore_replica_apply(ka, &c, NULL, NULL), KBS_ERR_ETCD_ROLLBACK);
	CHECK_OK(keystore_secret_get(ka, "disk", &s));
	if (s != NULL)
		CHECK_UINT_EQ(s->info.version, 2);
	keystore_secret_free(s);
	/* The policy's number is apart from the secret's of the same name. */
	CHECK_OK(keystore_replica_seq(ka, KEYSTORE_REPLICA_POLICIES, "disk", &held));
	CHECK_UINT_EQ(held.seq, 0);

	/* A tombstone: deleted with its audit record, and the old record stays out. */
	before = audit_count(ka);
	c.op = KEYSTORE_REPLICA_SECRET_DELETE;
	c.payload = NULL;
	c.payload_len = 0;
	c.seq = seq_of(3, 3);
	CHECK_OK(keystore_replica_apply(ka, &c, NULL, &written));
	CHECK(written);
	CHECK_UINT_EQ(audit_count(ka), before + 1);
	CHECK_ERR(keystore_secret_get(ka, "disk", &s), KBS_ERR_NOT_FOUND);
	c.op = KEYSTORE_REPLICA_SECRET_PUT;
	c.payload = rec2;
	c.payload_len = len2;
	c.seq = seq_of(2, 2);
	CHECK_ERR(keystore_replica_apply(ka, &c, &held, NULL), KBS_ERR_ETCD_ROLLBACK);
	CHECK_UINT_EQ(held.seq, 3);
	CHECK_ERR(keystore_secret_get(ka, "disk", &s), KBS_ERR_NOT_FOUND);
	/* A tombstone of a secret this store never had: only the number. */
	before = audit_count(ka);
	c.op = KEYSTORE_REPLICA_SECRET_DELETE;
	c.name = "never";
	c.payload = NULL;
	c.payload_len = 0;
	c.seq = seq_of(4, 4);
	written = true;
	CHECK_OK(keystore_replica_apply(ka, &c, NULL, &written));
	CHECK(!written);
	CHECK_UINT_EQ(audit_count(ka), before);
	CHECK_OK(keystore_replica_seq(ka, KEYSTORE_REPLICA_SECRETS, "never", &held));
	CHECK_UINT_EQ(held.seq, 4);
	/* Arguments: a delete with a payload, a put without one, another op. */
	c.payload = rec1;
	c.payload_len = len1;
	CHECK_ERR(keystore_replica_apply(ka, &c, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	c.op = KEYSTORE_REPLICA_SECRET_PUT;
	c.payload_len = 0;
	CHECK_ERR(keystore_replica_apply(ka, &c, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	c.op = (enum keystore_replica_op)9;
	c.payload_len = len1;
	CHECK_ERR(keystore_replica_apply(ka, &c, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(keystore_verify_state(ka, &rep));
	keystore_close(ka);
	/* Durable: a reopened store still refuses the older value. */
	ka = ks_open_default(&a, NULL);
	c.op = KEYSTORE_REPLICA_SECRET_PUT;
	c.name = "disk";
	c.payload = rec2;
	c.payload_len = len2;
	c.seq = seq_of(2, 2);
	CHECK_ERR(keystore_replica_apply(ka, &c, NULL, NULL), KBS_ERR_ETCD_ROLLBACK);
	free(rec1);
	free(rec2);
	keystore_close(ka);
	ks_fixture_done(&a);
}

/* put_meta writes a raw meta entry, as a damaged or altered store would hold it. */
static void
put_meta(struct keystore *ks, const char *key, const uint8_t *bytes, size_t len)
{
	MDB_val k = { strlen(key), (void *)(uintptr_t)key }, v = { len, (void *)(uintptr_t)bytes };
	MDB_txn *txn = NULL;

	CHECK_INT_EQ(mdb_txn_begin(ks->env, NULL, 0, &txn), 0);
	if (txn == NULL)
		return;
	CHECK_INT_EQ(mdb_put(txn, ks->dbi_meta, &k, &v, 0), 0);
	CHECK_INT_EQ(mdb_txn_commit(txn), 0);
}

static void
test_seq_malformed(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_replica_seq got;
	uint8_t entry[41] = { 1 };

	ks_fixture_init(&f, 31);
	ks = ks_open_default(&f, NULL);
	put_meta(ks, "replica_seq/s/short", entry, 39);
	CHECK_ERR(keystore_replica_seq(ks, KEYSTORE_REPLICA_SECRETS, "short", &got),
	    KBS_ERR_STORE_CORRUPT);
	CHECK_UINT_EQ(got.seq, 0);
	put_meta(ks, "replica_seq/s/long", entry, 41);
	CHECK_ERR(keystore_replica_seq(ks, KEYSTORE_REPLICA_SECRETS, "long", &got),
	    KBS_ERR_STORE_CORRUPT);
	memset(entry, 0, sizeof(entry));
	entry[8] = 0xaa; /* a digest, but seq 0 */
	put_meta(ks, "replica_seq/p/zero", entry, 40);
	CHECK_ERR(keystore_replica_seq(ks, KEYSTORE_REPLICA_POLICIES, "zero", &got),
	    KBS_ERR_STORE_CORRUPT);
	entry[0] = 7;
	put_meta(ks, "replica_seq/p/seven", entry, 40);
	CHECK_OK(keystore_replica_seq(ks, KEYSTORE_REPLICA_POLICIES, "seven", &got));
	CHECK_UINT_EQ(got.seq, 7);
	CHECK_UINT_EQ(got.value_sha256[0], 0xaa);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* A stored watch revision is exactly 8 bytes; anything else is corrupt, and *ret is untouched. */
static void
test_revision_malformed(void)
{
	static const uint8_t raw[9] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct ks_fixture f;
	struct keystore *ks;
	uint64_t rev = 99;

	ks_fixture_init(&f, 32);
	ks = ks_open_default(&f, NULL);
	put_meta(ks, "replica_rev", raw, 7);
	CHECK_ERR(keystore_replica_revision(ks, &rev), KBS_ERR_STORE_CORRUPT);
	CHECK_UINT_EQ(rev, 99);
	put_meta(ks, "replica_rev", raw, 9);
	CHECK_ERR(keystore_replica_revision(ks, &rev), KBS_ERR_STORE_CORRUPT);
	put_meta(ks, "replica_rev", raw, 8);
	CHECK_OK(keystore_replica_revision(ks, &rev));
	CHECK_UINT_EQ(rev, 42);
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_seal_and_put_elsewhere), TEST(test_refusals), TEST(test_mac_and_revision),
    TEST(test_seq), TEST(test_apply), TEST(test_seq_malformed), TEST(test_revision_malformed))
