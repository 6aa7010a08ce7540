/*
 * Unit tests for keystore/tokens.c: admin tokens (create, look up by hash,
 * list, revoke), their audit records, every refusal with its exact code,
 * and tampering: a token written without the master key, a hash pointed
 * at another token, a revocation undone by putting the old record back.
 */
#include "ks_raw.h"
#include "keystore-int.h"

#include <sodium.h>

static void
hash_of(const char *bearer, uint8_t out[32])
{
	crypto_hash_sha256(out, (const uint8_t *)bearer, strlen(bearer));
}

static void
test_create_lookup_list_revoke(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_token_info info, *items = NULL;
	struct keystore_audit_entry *e = NULL;
	uint8_t ha[32], hb[32];
	uint64_t count = 0;
	size_t n = 0;
	int64_t t0 = kbs_time_now();

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	hash_of("bearer-a", ha);
	hash_of("bearer-b", hb);
	CHECK_OK(keystore_token_list(ks, &items, &n));
	CHECK_UINT_EQ(n, 0);
	free(items);
	items = NULL;
	CHECK_OK(keystore_token_create(ks, "ops-admin", KEYSTORE_ROLE_ADMIN, ha, &ks_actor));
	CHECK_OK(keystore_token_create(ks, "audit-1", KEYSTORE_ROLE_AUDITOR, hb, &ks_actor));
	memset(&info, 0, sizeof(info));
	CHECK_OK(keystore_token_lookup(ks, ha, &info));
	CHECK_STR_EQ(info.id, "ops-admin");
	CHECK_INT_EQ(info.role, KEYSTORE_ROLE_ADMIN);
	CHECK(info.created >= t0);
	CHECK_INT_EQ(info.revoked, 0);
	CHECK_OK(keystore_token_lookup(ks, hb, &info));
	CHECK_STR_EQ(info.id, "audit-1");
	CHECK_INT_EQ(info.role, KEYSTORE_ROLE_AUDITOR);
	CHECK_OK(keystore_token_list(ks, &items, &n));
	CHECK_UINT_EQ(n, 2);
	if (n == 2) {
		CHECK_STR_EQ(items[0].id, "audit-1");
		CHECK_STR_EQ(items[1].id, "ops-admin");
	}
	free(items);
	items = NULL;
	/* Revoked: the lookup refuses it and still says which token it was. */
	CHECK_OK(keystore_token_revoke(ks, "ops-admin", &ks_actor));
	memset(&info, 0, sizeof(info));
	CHECK_ERR(keystore_token_lookup(ks, ha, &info), KBS_ERR_STORE_TOKEN_REVOKED);
	CHECK_STR_EQ(info.id, "ops-admin");
	CHECK(info.revoked >= t0);
	CHECK_ERR(keystore_token_revoke(ks, "ops-admin", &ks_actor), KBS_ERR_STORE_TOKEN_REVOKED);
	CHECK_OK(keystore_token_list(ks, &items, &n));
	CHECK(n == 2 && items[1].revoked != 0 && items[0].revoked == 0);
	free(items);
	/* Each change has its record: create, create, revoke (the refused one has none). */
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 3);
	CHECK_OK(keystore_audit_get(ks, 3, &e));
	if (e != NULL) {
		CHECK_STR_EQ(e->rec.event, "token_revoke");
		CHECK_STR_EQ(e->rec.actor, "test");
		CHECK_STR_EQ(e->rec.rules, "role: admin");
		CHECK(e->rec.flags & KEYSTORE_AUDIT_HAS_OBJECT);
		CHECK_INT_EQ(e->rec.object.kind, KEYSTORE_OBJECT_TOKEN);
		CHECK_STR_EQ(e->rec.object.name, "ops-admin");
	}
	keystore_audit_entry_free(e);
	CHECK_OK(keystore_verify_state(ks, NULL));
	CHECK_STR_EQ(keystore_token_role_name(KEYSTORE_ROLE_AUDITOR), "auditor");
	CHECK_STR_EQ(keystore_token_role_name((enum keystore_token_role)9), "unknown");
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_refusals(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_token_info info;
	struct keystore_actor bad_actor = { "not a name", NULL, NULL };
	uint8_t ha[32], hb[32], zero[32] = { 0 };
	char longfield[KEYSTORE_AUDIT_FIELD_MAX + 2];
	uint64_t count = 0;

	ks_fixture_init(&f, 2);
	ks = ks_open_default(&f, NULL);
	hash_of("bearer-a", ha);
	hash_of("bearer-b", hb);
	CHECK_OK(keystore_token_create(ks, "t1", KEYSTORE_ROLE_ADMIN, ha, &ks_actor));
	/* An id or a hash already taken; ids stay taken after revocation. */
	CHECK_ERR(
	    keystore_token_create(ks, "t1", KEYSTORE_ROLE_ADMIN, hb, &ks_actor), KBS_ERR_EXISTS);
	CHECK_ERR(
	    keystore_token_create(ks, "t2", KEYSTORE_ROLE_ADMIN, ha, &ks_actor), KBS_ERR_EXISTS);
	CHECK_OK(keystore_token_revoke(ks, "t1", &ks_actor));
	CHECK_ERR(
	    keystore_token_create(ks, "t1", KEYSTORE_ROLE_ADMIN, hb, &ks_actor), KBS_ERR_EXISTS);
	CHECK_ERR(keystore_token_create(ks, "t3", (enum keystore_token_role)3, hb, &ks_actor),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_create(ks, "t3", KEYSTORE_ROLE_ADMIN, zero, &ks_actor),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_create(ks, "t 3", KEYSTORE_ROLE_ADMIN, hb, &ks_actor),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_create(ks, "t3", KEYSTORE_ROLE_ADMIN, NULL, &ks_actor),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_create(ks, "t3", KEYSTORE_ROLE_ADMIN, hb, NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_create(ks, "t3", KEYSTORE_ROLE_ADMIN, hb, &bad_actor),
	    KBS_ERR_INVALID_ARGUMENT);
	memset(longfield, 'r', sizeof(longfield) - 1);
	longfield[sizeof(longfield) - 1] = 0;
	bad_actor.token_id = "ok";
	bad_actor.request_id = longfield;
	CHECK_ERR(keystore_token_create(ks, "t3", KEYSTORE_ROLE_ADMIN, hb, &bad_actor),
	    KBS_ERR_TOO_LARGE);
	CHECK_ERR(keystore_token_lookup(ks, hb, &info), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_token_lookup(ks, NULL, &info), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_lookup(ks, hb, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_revoke(ks, "nope", &ks_actor), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_token_revoke(ks, "t1", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_list(ks, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_token_list(NULL, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	/* Only the create and the revoke were written. */
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 2);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* token_record encodes a token record under any (wrong) key, as an attacker without ours would. */
static uint8_t *
token_record(uint8_t role, const uint8_t sha256[32], size_t *ret_len)
{
	struct ks_keys *theirs = NULL;
	struct ks_token_rec rec;
	uint8_t master[32], *p = NULL;

	memset(master, 0xee, sizeof(master));
	memset(&rec, 0, sizeof(rec));
	rec.role = role;
	memcpy(rec.sha256, sha256, 32);
	rec.created = 1700000000;
	if (ks_keys_from_bytes(master, &theirs) != 0)
		exit(2);
	ks_token_mac(theirs, "evil", 4, &rec);
	ks_keys_free(theirs);
	if (ks_encode_alloc(ks_enc_token(&rec), &p, ret_len) != 0)
		exit(2);
	return p;
}

static void
test_tamper_forged_token(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_token_info info, *items = NULL;
	struct keystore_verify_report rep;
	struct ks_raw raw, hashes;
	uint8_t ha[32], hx[32], *rec, *v, kid[KS_KEY_ID_SIZE] = { 0 };
	size_t len = 0, n = 0, vl = 0;

	ks_fixture_init(&f, 3);
	ks = ks_open_default(&f, NULL);
	hash_of("bearer-a", ha);
	hash_of("attacker", hx);
	CHECK_OK(keystore_token_create(ks, "ops-admin", KEYSTORE_ROLE_ADMIN, ha, &ks_actor));
	keystore_close(ks);
	/*
	 * The attacker adds an admin token for a bearer value of their own,
	 * with the store's key id (it is in every record) but a MAC it cannot
	 * make, and points its hash at it.
	 */
	ks_raw_open(&raw, f.dir, "tokens");
	v = ks_raw_get(&raw, "ops-admin", 9, &vl);
	CHECK(v != NULL && vl > 8 + 32);
	rec = token_record(KEYSTORE_ROLE_ADMIN, hx, &len);
	if (v != NULL)
		memcpy(kid, v + vl - 32 - KS_KEY_ID_SIZE, KS_KEY_ID_SIZE);
	memcpy(rec + len - 32 - KS_KEY_ID_SIZE, kid, KS_KEY_ID_SIZE);
	ks_raw_put(&raw, "evil", 4, rec, len);
	hashes.env = raw.env;
	hashes.txn = raw.txn;
	CHECK(mdb_dbi_open(raw.txn, "token_hashes", 0, &hashes.dbi) == 0);
	ks_raw_put(&hashes, hx, 32, "evil", 4);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_token_lookup(ks, hx, &info), KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(keystore_token_list(ks, &items, &n), KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_INTEGRITY);
	CHECK_INT_EQ(rep.bad_kind, KEYSTORE_OBJECT_TOKEN);
	CHECK_STR_EQ(rep.bad_name, "evil");
	CHECK_OK(keystore_token_lookup(ks, ha, &info));
	keystore_close(ks);
	free(rec);
	free(v);

	/* The attacker's hash pointed at the real admin token instead. */
	ks_raw_open(&raw, f.dir, "token_hashes");
	ks_raw_del(&raw, hx, 32);
	ks_raw_put(&raw, hx, 32, "ops-admin", 9);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_token_lookup(ks, hx, &info), KBS_ERR_STORE_INTEGRITY);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * Revocation undone: the token's record from before the revocation, saved
 * by the attacker, is put back. It is authentic, so a lookup passes; the
 * whole-store check finds it is not the record the last audit record of
 * that token names.
 */
static void
test_tamper_unrevoke_replay(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_token_info info;
	struct keystore_verify_report rep;
	struct ks_raw raw;
	uint8_t ha[32], *live;
	size_t len = 0;

	ks_fixture_init(&f, 4);
	ks = ks_open_default(&f, NULL);
	hash_of("bearer-a", ha);
	CHECK_OK(keystore_token_create(ks, "ops-admin", KEYSTORE_ROLE_ADMIN, ha, &ks_actor));
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "tokens");
	live = ks_raw_get(&raw, "ops-admin", 9, &len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_token_revoke(ks, "ops-admin", &ks_actor));
	CHECK_OK(keystore_verify_state(ks, NULL));
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "tokens");
	ks_raw_put(&raw, "ops-admin", 9, live, len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_token_lookup(ks, ha, &info));
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_RECORD_STALE);
	CHECK_INT_EQ(rep.bad_kind, KEYSTORE_OBJECT_TOKEN);
	CHECK_STR_EQ(rep.bad_name, "ops-admin");
	CHECK_UINT_EQ(rep.bad_seq, 2); /* the revocation's record */
	keystore_close(ks);
	free(live);
	ks_fixture_done(&f);
}

/* Rotation re-MACs tokens: they still look up, and the store still verifies. */
static void
test_rotate_keeps_tokens(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_token_info info;
	struct keystore_key_source nsrc = { KEYSTORE_KEY_FILE, NULL };
	char nkey[160];
	uint8_t ha[32], key[32];

	ks_fixture_init(&f, 5);
	snprintf(nkey, sizeof(nkey), "%s/new.key", f.root);
	memset(key, 0x79, sizeof(key));
	ks_write_file(nkey, key, sizeof(key), 0600);
	nsrc.name = nkey;
	ks = ks_open_default(&f, NULL);
	hash_of("bearer-a", ha);
	CHECK_OK(keystore_token_create(ks, "ops-admin", KEYSTORE_ROLE_ADMIN, ha, &ks_actor));
	CHECK_OK(keystore_rotate(ks, &nsrc));
	CHECK_OK(keystore_token_lookup(ks, ha, &info));
	CHECK_OK(keystore_verify_state(ks, NULL));
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_create_lookup_list_revoke), TEST(test_refusals), TEST(test_tamper_forged_token),
    TEST(test_tamper_unrevoke_replay), TEST(test_rotate_keeps_tokens))
