/* Unit tests for keystore/records.c: round trips, and every malformed shape refused. */
#include "test.h"
#include "keystore-int.h"

#include <sodium.h>

static uint8_t *
enc(struct ks_enc e, size_t *len)
{
	uint8_t *p = NULL;

	if (ks_encode_alloc(e, &p, len) != 0)
		exit(2);
	return p;
}

static void
test_secret_roundtrip(void)
{
	struct ks_secret_rec r, d;
	uint8_t ct[40];
	uint8_t *p;
	size_t len, i;

	memset(&r, 0, sizeof(r));
	memset(ct, 0xab, sizeof(ct));
	r.version = 7;
	memset(r.key_id, 1, sizeof(r.key_id));
	r.created = 100;
	r.updated = 200;
	strcpy(r.policy, "disk-policy");
	memset(r.nonce, 2, sizeof(r.nonce));
	r.ct = ct;
	r.ct_len = sizeof(ct);
	p = enc(ks_enc_secret(&r), &len);
	CHECK_UINT_EQ(len, 1 + 4 + 8 + 8 + 8 + 1 + 11 + 16 + 24 + 4 + 40);
	CHECK_OK(ks_secret_rec_decode(p, len, &d));
	CHECK_UINT_EQ(d.version, 7);
	CHECK_INT_EQ(d.created, 100);
	CHECK_INT_EQ(d.updated, 200);
	CHECK_STR_EQ(d.policy, "disk-policy");
	CHECK_UINT_EQ(d.ct_len, 40);
	CHECK_MEM_EQ(d.ct, ct, 40);
	/* Every truncation is refused. */
	for (i = 0; i < len; i++)
		CHECK_ERR(ks_secret_rec_decode(p, i, &d), KBS_ERR_STORE_CORRUPT);
	/* An unknown format byte, schema 1's, version 0, bad policy character. */
	p[0] = 3;
	CHECK_ERR(ks_secret_rec_decode(p, len, &d), KBS_ERR_STORE_CORRUPT);
	p[0] = 1;
	CHECK_ERR(ks_secret_rec_decode(p, len, &d), KBS_ERR_STORE_CORRUPT);
	p[0] = 2;
	p[1] = 0;
	CHECK_ERR(ks_secret_rec_decode(p, len, &d), KBS_ERR_STORE_CORRUPT);
	p[1] = 7;
	p[30] = ' ';
	CHECK_ERR(ks_secret_rec_decode(p, len, &d), KBS_ERR_STORE_CORRUPT);
	free(p);
	/* Trailing byte. */
	r.ct_len = 16; /* tag only: no plaintext, refused */
	p = enc(ks_enc_secret(&r), &len);
	CHECK_ERR(ks_secret_rec_decode(p, len, &d), KBS_ERR_STORE_CORRUPT);
	free(p);
	r.ct_len = 17;
	p = enc(ks_enc_secret(&r), &len);
	CHECK_OK(ks_secret_rec_decode(p, len, &d));
	{
		uint8_t *q = malloc(len + 1);

		memcpy(q, p, len);
		q[len] = 0;
		CHECK_ERR(ks_secret_rec_decode(q, len + 1, &d), KBS_ERR_STORE_CORRUPT);
		free(q);
	}
	free(p);
}

static void
test_policy_roundtrip(void)
{
	struct ks_policy_rec r, d;
	const char *body = "{\"version\":1}";
	uint8_t *p;
	size_t len, i;

	memset(&r, 0, sizeof(r));
	r.version = 3;
	r.since = 1700000000;
	r.data = (const uint8_t *)body;
	r.len = strlen(body);
	crypto_hash_sha256(r.sha256, r.data, r.len);
	p = enc(ks_enc_policy(&r), &len);
	CHECK_OK(ks_policy_rec_decode(p, len, &d));
	CHECK_UINT_EQ(d.version, 3);
	CHECK_INT_EQ(d.since, 1700000000);
	CHECK_UINT_EQ(d.len, r.len);
	CHECK_MEM_EQ(d.data, body, r.len);
	for (i = 0; i < len; i++)
		CHECK_ERR(ks_policy_rec_decode(p, i, &d), KBS_ERR_STORE_CORRUPT);
	/* The stored hash must be the bytes' hash. */
	p[len - 1] ^= 1;
	CHECK_ERR(ks_policy_rec_decode(p, len, &d), KBS_ERR_STORE_INTEGRITY);
	free(p);
}

static void
test_small_records(void)
{
	struct ks_cert_rec c = { 42, (const uint8_t *)"der", 3 }, cd;
	struct ks_head_rec h, hd;
	struct ks_check_rec k, kd;
	int64_t e;
	uint8_t *p;
	size_t len, i;

	p = enc(ks_enc_cert(&c), &len);
	CHECK_OK(ks_cert_rec_decode(p, len, &cd));
	CHECK_INT_EQ(cd.fetched, 42);
	CHECK_UINT_EQ(cd.len, 3);
	for (i = 0; i < len; i++)
		CHECK_ERR(ks_cert_rec_decode(p, i, &cd), KBS_ERR_STORE_CORRUPT);
	free(p);

	{
		uint8_t b[16];
		struct ks_w w = { b, sizeof(b), 0 };

		ks_nonce_rec_encode(&w, 99);
		CHECK_UINT_EQ(w.len, 9);
		CHECK_OK(ks_nonce_rec_decode(b, w.len, &e));
		CHECK_INT_EQ(e, 99);
		CHECK_ERR(ks_nonce_rec_decode(b, 8, &e), KBS_ERR_STORE_CORRUPT);
		w.len = 0;
		ks_nonce_rec_encode(&w, -1);
		CHECK_ERR(ks_nonce_rec_decode(b, 9, &e), KBS_ERR_STORE_CORRUPT);
	}

	memset(&h, 5, sizeof(h));
	p = enc(ks_enc_head(&h), &len);
	CHECK_UINT_EQ(len, 73);
	CHECK_OK(ks_head_rec_decode(p, len, &hd));
	CHECK_MEM_EQ(&hd, &h, sizeof(h));
	CHECK_ERR(ks_head_rec_decode(p, len - 1, &hd), KBS_ERR_STORE_CORRUPT);
	free(p);

	memset(&k, 6, sizeof(k));
	p = enc(ks_enc_check(&k), &len);
	CHECK_OK(ks_check_rec_decode(p, len, &kd));
	CHECK_MEM_EQ(&kd, &k, sizeof(k));
	p[0] = 0;
	CHECK_ERR(ks_check_rec_decode(p, len, &kd), KBS_ERR_STORE_CORRUPT);
	free(p);
}

static void
test_audit_roundtrip(void)
{
	const char *names[] = { "disk-key", "db/password" };
	struct keystore_audit_record r, d;
	const char **dn = NULL;
	uint8_t *p;
	size_t len, i;

	memset(&r, 0, sizeof(r));
	r.seq = 5;
	r.time = 1700000001;
	r.event = "attest";
	r.request_id = "req-1";
	r.decision = "allow";
	r.rules = "measurement: pass\ntcb: pass";
	r.policy_name = "p";
	r.client_addr = "127.0.0.1";
	r.flags = KEYSTORE_AUDIT_HAS_POLICY_HASH | KEYSTORE_AUDIT_HAS_TCB;
	memset(r.policy_sha256, 9, 32);
	r.tcb = 0x1122334455667788ULL;
	r.secret_names = names;
	r.n_secret_names = 2;
	memset(r.prev_sha256, 3, 32);
	CHECK_OK(ks_audit_rec_check(&r));
	p = enc(ks_enc_audit(&r), &len);
	CHECK_OK(ks_audit_rec_decode(p, len, &d, &dn));
	CHECK_UINT_EQ(d.seq, 5);
	CHECK_STR_EQ(d.event, "attest");
	CHECK_STR_EQ(d.rules, r.rules);
	CHECK_STR_EQ(d.client_addr, "127.0.0.1");
	CHECK_UINT_EQ(d.tcb, r.tcb);
	CHECK_UINT_EQ(d.n_secret_names, 2);
	CHECK_STR_EQ(d.secret_names[1], "db/password");
	CHECK_MEM_EQ(d.prev_sha256, r.prev_sha256, 32);
	free(dn);
	dn = NULL;
	for (i = 0; i < len; i++)
		CHECK_ERR(ks_audit_rec_decode(p, i, &d, &dn), KBS_ERR_STORE_CORRUPT);
	CHECK(dn == NULL);
	/* An inner NUL in a string: "attest" starts at 1+8+8+32+4 +32 (hash) +8 (tcb) +4 (length).
	 */
	CHECK(memcmp(p + 97, "attest", 7) == 0);
	p[99] = 0;
	CHECK_ERR(ks_audit_rec_decode(p, len, &d, &dn), KBS_ERR_STORE_CORRUPT);
	free(p);
	/* Unknown flags, seq 0. */
	r.flags = 0x80;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
	r.flags = 0;
	r.seq = 0;
	p = enc(ks_enc_audit(&r), &len);
	CHECK_ERR(ks_audit_rec_decode(p, len, &d, &dn), KBS_ERR_STORE_CORRUPT);
	free(p);
}

static void
test_audit_check_limits(void)
{
	struct keystore_audit_record r;
	const char *names[1] = { NULL };
	char *big = malloc(KEYSTORE_AUDIT_TEXT_MAX + 2);

	memset(big, 'a', KEYSTORE_AUDIT_TEXT_MAX + 1);
	big[KEYSTORE_AUDIT_TEXT_MAX + 1] = 0;
	memset(&r, 0, sizeof(r));
	CHECK_OK(ks_audit_rec_check(&r));
	CHECK_ERR(ks_audit_rec_check(NULL), KBS_ERR_INVALID_ARGUMENT);
	r.rules = big;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_TOO_LARGE);
	big[KEYSTORE_AUDIT_TEXT_MAX] = 0;
	CHECK_OK(ks_audit_rec_check(&r));
	r.event = big;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_TOO_LARGE);
	r.event = NULL;
	r.actor = big;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_TOO_LARGE);
	r.actor = NULL;
	r.n_secret_names = 1;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
	r.secret_names = names;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
	r.n_secret_names = KEYSTORE_AUDIT_NAMES_MAX + 1;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_TOO_LARGE);
	r.n_secret_names = 0;
	r.time = -1;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
	free(big);
}

static void
test_token_and_index_roundtrip(void)
{
	struct ks_token_rec t, td;
	struct ks_index_rec ix = { 12345 }, ixd;
	uint8_t *p;
	size_t len, i;

	memset(&t, 0, sizeof(t));
	t.role = KEYSTORE_ROLE_AUDITOR;
	memset(t.sha256, 4, 32);
	t.created = 1700000000;
	t.revoked = 1700000999;
	memset(t.key_id, 5, sizeof(t.key_id));
	memset(t.mac, 6, sizeof(t.mac));
	p = enc(ks_enc_token(&t), &len);
	CHECK_UINT_EQ(len, 1 + 1 + 32 + 8 + 8 + 8 + 32);
	CHECK_OK(ks_token_rec_decode(p, len, &td));
	CHECK_MEM_EQ(&td, &t, sizeof(t));
	for (i = 0; i < len; i++)
		CHECK_ERR(ks_token_rec_decode(p, i, &td), KBS_ERR_STORE_CORRUPT);
	/* Unknown roles, a negative time. */
	p[1] = 0;
	CHECK_ERR(ks_token_rec_decode(p, len, &td), KBS_ERR_STORE_CORRUPT);
	p[1] = 3;
	CHECK_ERR(ks_token_rec_decode(p, len, &td), KBS_ERR_STORE_CORRUPT);
	p[1] = KEYSTORE_ROLE_ADMIN;
	p[1 + 1 + 32 + 8 + 7] = 0x80;
	CHECK_ERR(ks_token_rec_decode(p, len, &td), KBS_ERR_STORE_CORRUPT);
	free(p);

	p = enc(ks_enc_index(&ix), &len);
	CHECK_UINT_EQ(len, 9);
	CHECK_OK(ks_index_rec_decode(p, len, &ixd));
	CHECK_UINT_EQ(ixd.seq, 12345);
	CHECK_ERR(ks_index_rec_decode(p, 8, &ixd), KBS_ERR_STORE_CORRUPT);
	memset(p + 1, 0, 8);
	CHECK_ERR(ks_index_rec_decode(p, len, &ixd), KBS_ERR_STORE_CORRUPT);
	free(p);
}

/* A change record: the object's fixed part after the flags' fields, its name after the actor. */
static void
test_audit_object_roundtrip(void)
{
	struct keystore_audit_record r, d;
	const char **dn = NULL;
	uint8_t *p;
	size_t len, i;

	memset(&r, 0, sizeof(r));
	r.seq = 9;
	r.event = "secret_put";
	r.actor = "admin-1";
	r.flags = KEYSTORE_AUDIT_HAS_OBJECT;
	r.object.kind = KEYSTORE_OBJECT_SECRET;
	r.object.name = "disk-key";
	r.object.version = 4;
	memset(r.object.record_sha256, 0xab, 32);
	CHECK_OK(ks_audit_rec_check(&r));
	p = enc(ks_enc_audit(&r), &len);
	CHECK_OK(ks_audit_rec_decode(p, len, &d, &dn));
	CHECK_STR_EQ(d.actor, "admin-1");
	CHECK_INT_EQ(d.object.kind, KEYSTORE_OBJECT_SECRET);
	CHECK_STR_EQ(d.object.name, "disk-key");
	CHECK_UINT_EQ(d.object.version, 4);
	CHECK(!d.object.removed);
	CHECK_MEM_EQ(d.object.record_sha256, r.object.record_sha256, 32);
	free(dn);
	dn = NULL;
	for (i = 0; i < len; i++)
		CHECK_ERR(ks_audit_rec_decode(p, i, &d, &dn), KBS_ERR_STORE_CORRUPT);
	/* The object starts after format, seq, time, prev and flags: 1+8+8+32+4. */
	p[53] = 7; /* unknown kind */
	CHECK_ERR(ks_audit_rec_decode(p, len, &d, &dn), KBS_ERR_STORE_CORRUPT);
	p[53] = KEYSTORE_OBJECT_SECRET;
	p[54] = 2; /* removed is 0 or 1 */
	CHECK_ERR(ks_audit_rec_decode(p, len, &d, &dn), KBS_ERR_STORE_CORRUPT);
	p[54] = 1; /* removed, but with a digest */
	CHECK_ERR(ks_audit_rec_decode(p, len, &d, &dn), KBS_ERR_STORE_CORRUPT);
	p[54] = 0;
	/* The object's name follows the rules for names. */
	{
		uint8_t *hit = memmem(p, len, "disk-key", 9);

		CHECK(hit != NULL);
		if (hit != NULL)
			hit[4] = ' ';
		CHECK_ERR(ks_audit_rec_decode(p, len, &d, &dn), KBS_ERR_STORE_CORRUPT);
	}
	CHECK(dn == NULL);
	free(p);
	/* The checks on the way in. */
	r.object.removed = true;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
	memset(r.object.record_sha256, 0, 32);
	CHECK_OK(ks_audit_rec_check(&r));
	r.object.kind = (enum keystore_object_kind)0;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
	r.object.kind = KEYSTORE_OBJECT_TOKEN;
	r.object.name = "a b";
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
	r.object.name = NULL;
	CHECK_ERR(ks_audit_rec_check(&r), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_names(void)
{
	size_t n = 0;
	char long_name[KEYSTORE_NAME_MAX + 2];

	CHECK_OK(ks_name_check("disk-key", &n));
	CHECK_UINT_EQ(n, 8);
	CHECK_OK(ks_name_check("tenant:a/db@prod+1.key_x", NULL));
	CHECK_ERR(ks_name_check("", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(ks_name_check(NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(ks_name_check("a b", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(ks_name_check("..", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(ks_name_check("caf\xc3\xa9", NULL), KBS_ERR_INVALID_ARGUMENT);
	memset(long_name, 'a', sizeof(long_name));
	long_name[KEYSTORE_NAME_MAX] = 0;
	CHECK_OK(ks_name_check(long_name, NULL));
	long_name[KEYSTORE_NAME_MAX] = 'a';
	long_name[KEYSTORE_NAME_MAX + 1] = 0;
	CHECK_ERR(ks_name_check(long_name, NULL), KBS_ERR_INVALID_ARGUMENT);
}

TEST_MAIN(TEST(test_secret_roundtrip), TEST(test_policy_roundtrip), TEST(test_small_records),
    TEST(test_audit_roundtrip), TEST(test_audit_check_limits), TEST(test_names),
    TEST(test_token_and_index_roundtrip), TEST(test_audit_object_roundtrip))
