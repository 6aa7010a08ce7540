/*
 * Unit tests for keystore/secrets.c and seal.c: put, get, delete, list,
 * import, rotate, and tampering with sealed records (exact codes).
 */
#include <sys/wait.h>

#include "ks_raw.h"
#include "keystore-int.h"

static const uint8_t v1[] = "first value";
static const uint8_t v2[] = "second value, longer";

static void
test_put_get_versions(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret *s = NULL;
	uint32_t ver = 0;
	int64_t t0 = kbs_time_now();

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", v1, sizeof(v1), "disk-policy", &ks_actor, &ver));
	CHECK_UINT_EQ(ver, 1);
	CHECK_OK(keystore_secret_get(ks, "disk", &s));
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_STR_EQ(s->info.name, "disk");
		CHECK_STR_EQ(s->info.policy, "disk-policy");
		CHECK_UINT_EQ(s->info.version, 1);
		CHECK(s->info.created >= t0 && s->info.updated == s->info.created);
		CHECK_UINT_EQ(s->value_len, sizeof(v1));
		CHECK_MEM_EQ(s->value, v1, sizeof(v1));
	}
	keystore_secret_free(s);
	s = NULL;
	CHECK_OK(keystore_secret_put(ks, "disk", v2, sizeof(v2), NULL, &ks_actor, &ver));
	CHECK_UINT_EQ(ver, 2);
	CHECK_OK(keystore_secret_get(ks, "disk", &s));
	if (s != NULL) {
		CHECK_UINT_EQ(s->info.version, 2);
		CHECK_STR_EQ(s->info.policy, "");
		CHECK_MEM_EQ(s->value, v2, sizeof(v2));
	}
	keystore_secret_free(s);
	s = NULL;
	CHECK_OK(keystore_secret_put(ks, "disk", v1, sizeof(v1), "", &ks_actor, NULL));
	CHECK_ERR(keystore_secret_get(ks, "nope", &s), KBS_ERR_NOT_FOUND);
	CHECK(s == NULL);
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_put_get_errors(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret *s = NULL;
	uint8_t *big = calloc(1, KEYSTORE_SECRET_MAX + 1);

	ks_fixture_init(&f, 2);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(
	    keystore_secret_put(NULL, "a", v1, 1, NULL, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_secret_put(ks, NULL, v1, 1, NULL, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_secret_put(ks, "a b", v1, 1, NULL, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_secret_put(ks, "a", NULL, 1, NULL, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_secret_put(ks, "a", v1, 0, NULL, &ks_actor, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_put(ks, "a", v1, 1, "bad policy", &ks_actor, NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_put(ks, "a", big, KEYSTORE_SECRET_MAX + 1, NULL, &ks_actor, NULL),
	    KBS_ERR_TOO_LARGE);
	CHECK_OK(keystore_secret_put(ks, "a", big, KEYSTORE_SECRET_MAX, NULL, &ks_actor, NULL));
	CHECK_OK(keystore_secret_get(ks, "a", &s));
	CHECK(s != NULL && s->value_len == KEYSTORE_SECRET_MAX);
	keystore_secret_free(s);
	s = NULL;
	CHECK_ERR(keystore_secret_get(NULL, "a", &s), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_get(ks, "a", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_get(ks, "", &s), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_delete(ks, "/", &ks_actor), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_secret_delete(ks, "a\n", &ks_actor), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_delete(NULL, "a", &ks_actor), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	free(big);
	ks_fixture_done(&f);
}

static void
test_delete_list(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret_info *items = NULL;
	struct keystore_secret *s = NULL;
	size_t n = 99;

	ks_fixture_init(&f, 3);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_list(ks, &items, &n));
	CHECK_UINT_EQ(n, 0);
	free(items);
	items = NULL;
	CHECK_OK(keystore_secret_put(ks, "c", v1, 3, "pc", &ks_actor, NULL));
	CHECK_OK(keystore_secret_put(ks, "a", v1, 3, "pa", &ks_actor, NULL));
	CHECK_OK(keystore_secret_put(ks, "b", v1, 3, NULL, &ks_actor, NULL));
	CHECK_OK(keystore_secret_put(ks, "b", v1, 3, NULL, &ks_actor, NULL));
	CHECK_OK(keystore_secret_list(ks, &items, &n));
	CHECK_UINT_EQ(n, 3);
	if (n == 3) {
		CHECK_STR_EQ(items[0].name, "a");
		CHECK_STR_EQ(items[0].policy, "pa");
		CHECK_STR_EQ(items[1].name, "b");
		CHECK_UINT_EQ(items[1].version, 2);
		CHECK_STR_EQ(items[2].name, "c");
	}
	free(items);
	items = NULL;
	CHECK_OK(keystore_secret_delete(ks, "b", &ks_actor));
	CHECK_ERR(keystore_secret_delete(ks, "b", &ks_actor), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_secret_get(ks, "b", &s), KBS_ERR_NOT_FOUND);
	CHECK_OK(keystore_secret_list(ks, &items, &n));
	CHECK_UINT_EQ(n, 2);
	free(items);
	CHECK_ERR(keystore_secret_list(ks, NULL, &n), KBS_ERR_INVALID_ARGUMENT);
	/* Deleted, then put again: a new secret starts at version 1. */
	CHECK_OK(keystore_secret_put(ks, "b", v1, 3, NULL, &ks_actor, NULL));
	CHECK_OK(keystore_secret_get(ks, "b", &s));
	CHECK(s != NULL && s->info.version == 1);
	keystore_secret_free(s);
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_import(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret_in items[3] = {
		{ "i1", v1, 4, NULL },
		{ "i2", v2, 5, "p" },
		{ "i3", v1, 6, NULL },
	};
	struct keystore_secret_info *list = NULL;
	struct keystore_secret *s = NULL;
	size_t n = 0;

	ks_fixture_init(&f, 4);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_import(ks, items, 3, &ks_actor));
	CHECK_OK(keystore_secret_get(ks, "i2", &s));
	CHECK(s != NULL && s->value_len == 5 && memcmp(s->value, v2, 5) == 0);
	keystore_secret_free(s);
	/* One bad item: nothing is written. */
	items[0].name = "j1";
	items[2].name = "bad name";
	CHECK_ERR(keystore_secret_import(ks, items, 3, &ks_actor), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(keystore_secret_list(ks, &list, &n));
	CHECK_UINT_EQ(n, 3);
	free(list);
	CHECK_OK(keystore_secret_import(ks, NULL, 0, &ks_actor));
	CHECK_ERR(keystore_secret_import(ks, NULL, 1, &ks_actor), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* tamper_value flips one byte of the stored record for name at offset from its end. */
static void
tamper_value(const char *dir, const char *name, size_t from_end)
{
	struct ks_raw raw;
	uint8_t *p;
	size_t len = 0;

	ks_raw_open(&raw, dir, "secrets");
	p = ks_raw_get(&raw, name, strlen(name), &len);
	CHECK(p != NULL && len > from_end);
	if (p != NULL) {
		p[len - 1 - from_end] ^= 0x01;
		ks_raw_put(&raw, name, strlen(name), p, len);
	}
	free(p);
	ks_raw_commit(&raw);
}

static void
test_tamper_flipped_byte(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret *s = NULL;
	size_t i;

	ks_fixture_init(&f, 5);
	ks = ks_open_default(&f, NULL);
	for (i = 0; i < sizeof(v2) + 16 + 24; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%zu", i);
		CHECK_OK(keystore_secret_put(ks, name, v2, sizeof(v2), "pol", &ks_actor, NULL));
	}
	keystore_close(ks);
	/* Every byte of ciphertext, tag and nonce: a flip never yields a value. */
	for (i = 0; i < sizeof(v2) + 16 + 24; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%zu", i);
		tamper_value(f.dir, name, i);
	}
	ks = ks_open_default(&f, NULL);
	for (i = 0; i < sizeof(v2) + 16 + 24; i++) {
		char name[16];
		int r;

		snprintf(name, sizeof(name), "t%zu", i);
		r = keystore_secret_get(ks, name, &s);
		/*
		 * From the end: ciphertext and tag, then the u32 length (a
		 * changed length no longer parses), then the nonce.
		 */
		if (i >= sizeof(v2) + 16 && i < sizeof(v2) + 16 + 4)
			CHECK_ERR(r, KBS_ERR_STORE_CORRUPT);
		else
			CHECK_ERR(r, KBS_ERR_STORE_INTEGRITY);
		CHECK(s == NULL);
	}
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* An attacker moves a sealed record to another name, or re-binds its policy. */
static void
test_tamper_moved_and_rebound(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret *s = NULL;
	struct ks_secret_rec rec;
	struct ks_raw raw;
	uint8_t *p, *q = NULL;
	size_t len = 0, qlen = 0;

	ks_fixture_init(&f, 6);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "victim", v1, sizeof(v1), "strict", &ks_actor, NULL));
	CHECK_OK(keystore_secret_put(ks, "other", v2, sizeof(v2), "strict", &ks_actor, NULL));
	keystore_close(ks);

	ks_raw_open(&raw, f.dir, "secrets");
	p = ks_raw_get(&raw, "victim", 6, &len);
	CHECK(p != NULL);
	ks_raw_put(&raw, "moved", 5, p, len);
	/* Re-bind "other" to a lax policy name, re-encoding the record correctly. */
	free(p);
	p = ks_raw_get(&raw, "other", 5, &len);
	CHECK(p != NULL && ks_secret_rec_decode(p, len, &rec) == 0);
	strcpy(rec.policy, "lax");
	CHECK_OK(ks_encode_alloc(ks_enc_secret(&rec), &q, &qlen));
	ks_raw_put(&raw, "other", 5, q, qlen);
	/* And bump a version number on "victim": also refused. */
	free(p);
	p = ks_raw_get(&raw, "victim", 6, &len);
	CHECK(p != NULL && ks_secret_rec_decode(p, len, &rec) == 0);
	ks_raw_commit(&raw);

	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_secret_get(ks, "moved", &s), KBS_ERR_STORE_INTEGRITY);
	CHECK_ERR(keystore_secret_get(ks, "other", &s), KBS_ERR_STORE_INTEGRITY);
	CHECK_OK(keystore_secret_get(ks, "victim", &s));
	keystore_secret_free(s);
	s = NULL;
	keystore_close(ks);

	p[1] = 2; /* version 1 -> 2 */
	ks_raw_open(&raw, f.dir, "secrets");
	ks_raw_put(&raw, "victim", 6, p, len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_secret_get(ks, "victim", &s), KBS_ERR_STORE_INTEGRITY);
	/* A garbled record: corrupt, and list reports it too. */
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "secrets");
	ks_raw_put(&raw, "victim", 6, "x", 1);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_secret_get(ks, "victim", &s), KBS_ERR_STORE_CORRUPT);
	{
		struct keystore_secret_info *items = NULL;
		size_t n = 0;

		CHECK_ERR(keystore_secret_list(ks, &items, &n), KBS_ERR_STORE_CORRUPT);
		CHECK(items == NULL);
	}
	/* A corrupt record can still be replaced. */
	CHECK_OK(keystore_secret_put(ks, "victim", v1, sizeof(v1), NULL, &ks_actor, NULL));
	CHECK_OK(keystore_secret_get(ks, "victim", &s));
	keystore_secret_free(s);
	keystore_close(ks);
	free(p);
	free(q);
	ks_fixture_done(&f);
}

static void
test_rotate(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore *ks2 = NULL;
	struct keystore_secret *s = NULL;
	struct keystore_audit_record rec;
	struct keystore_key_source nsrc = { KEYSTORE_KEY_FILE, NULL };
	char nkey[160];
	uint8_t key[32];
	uint64_t count = 0;
	int i;

	ks_fixture_init(&f, 7);
	snprintf(nkey, sizeof(nkey), "%s/new.key", f.root);
	memset(key, 0x77, sizeof(key));
	ks_write_file(nkey, key, sizeof(key), 0600);
	nsrc.name = nkey;
	ks = ks_open_default(&f, NULL);
	memset(&rec, 0, sizeof(rec));
	rec.event = "e";
	for (i = 0; i < 50; i++) {
		char name[16];

		snprintf(name, sizeof(name), "r%d", i);
		CHECK_OK(
		    keystore_secret_put(ks, name, v1, (size_t)i % 10 + 1, NULL, &ks_actor, NULL));
	}
	CHECK_OK(keystore_audit_append(ks, &rec, NULL));
	CHECK_OK(keystore_rotate(ks, &nsrc));
	CHECK_OK(keystore_secret_get(ks, "r13", &s));
	CHECK(s != NULL && s->value_len == 4 && memcmp(s->value, v1, 4) == 0);
	keystore_secret_free(s);
	s = NULL;
	CHECK_OK(keystore_audit_append(ks, &rec, NULL));
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 52); /* the two appends and the 50 puts' own records */
	/* Re-sealed records keep their identity: the log still names them. */
	CHECK_OK(keystore_verify_state(ks, NULL));
	/* Key-source errors leave the store as it was. */
	f.src.name = "/nonexistent";
	CHECK_ERR(keystore_rotate(ks, &f.src), KBS_ERR_SYSTEM);
	CHECK_ERR(keystore_rotate(NULL, &nsrc), KBS_ERR_INVALID_ARGUMENT);
	f.src.name = f.key;
	keystore_close(ks);
	/* The old key no longer opens the store; the new one does. */
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks2), KBS_ERR_STORE_MASTER_KEY);
	CHECK_OK(keystore_open(f.dir, &nsrc, NULL, &ks2));
	CHECK_OK(keystore_secret_get(ks2, "r49", &s));
	CHECK(s != NULL && s->value_len == 10);
	keystore_secret_free(s);
	s = NULL;
	CHECK_OK(keystore_audit_verify(ks2, &count, NULL, NULL));
	keystore_close(ks2);
	ks2 = NULL;

	/* A tampered record makes rotation fail as a whole: nothing changes. */
	tamper_value(f.dir, "r20", 0);
	CHECK_OK(keystore_open(f.dir, &nsrc, NULL, &ks2));
	CHECK_ERR(keystore_rotate(ks2, &f.src), KBS_ERR_STORE_INTEGRITY);
	CHECK_OK(keystore_secret_get(ks2, "r21", &s));
	keystore_secret_free(s);
	keystore_close(ks2);
	ks2 = NULL;
	CHECK_OK(keystore_open(f.dir, &nsrc, NULL, &ks2));
	keystore_close(ks2);
	ks_fixture_done(&f);
}

/*
 * A second process that opened the store before another rotated its key
 * still holds the old key: its writes must fail (KBS_ERR_STORE_MASTER_KEY)
 * instead of sealing secrets no one can open or MACing the audit head
 * with a key the store no longer has.
 */
static void
test_rotate_stale_process(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	struct keystore_secret *s = NULL;
	struct keystore_key_source nsrc = { KEYSTORE_KEY_FILE, NULL };
	char nkey[160], c = 0;
	uint8_t key[32];
	int ready[2], go[2], status = -1;
	uint64_t count = 0;
	pid_t pid;

	ks_fixture_init(&f, 8);
	snprintf(nkey, sizeof(nkey), "%s/new.key", f.root);
	memset(key, 0x78, sizeof(key));
	ks_write_file(nkey, key, sizeof(key), 0600);
	nsrc.name = nkey;
	keystore_close(ks_open_default(&f, NULL));
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid = fork();
	if (pid == 0) {
		struct keystore *stale = NULL;
		struct keystore_audit_record rec;
		int code = 0;

		memset(&rec, 0, sizeof(rec));
		rec.event = "stale";
		if (keystore_open(f.dir, &f.src, NULL, &stale) != 0)
			_exit(9);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(8);
		if (keystore_secret_put(stale, "stale", v1, 3, NULL, &ks_actor, NULL) !=
		    KBS_ERR_STORE_MASTER_KEY)
			code |= 1;
		if (keystore_audit_append(stale, &rec, NULL) != KBS_ERR_STORE_MASTER_KEY)
			code |= 2;
		keystore_close(stale);
		_exit(code);
	}
	CHECK(pid > 0 && read(ready[0], &c, 1) == 1);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "before", v1, 3, NULL, &ks_actor, NULL));
	CHECK_OK(keystore_rotate(ks, &nsrc));
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_INT_EQ(WEXITSTATUS(status), 0);
	CHECK_ERR(keystore_secret_get(ks, "stale", &s), KBS_ERR_NOT_FOUND);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 1); /* the put of "before": nothing of the stale process */
	keystore_close(ks);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	ks_fixture_done(&f);
}

/*
 * The record replay: an older sealed record of a secret, saved by the
 * attacker, copied over the current one. It is authentic (its own name,
 * version and policy), so it opens, with the older value bound to the
 * weaker policy; keystore_verify_state finds that it is not the record the last
 * audit record of that secret names.
 */
static void
test_tamper_record_replay(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret *s = NULL;
	struct keystore_verify_report rep;
	struct ks_raw raw;
	uint8_t *old;
	size_t len = 0;

	ks_fixture_init(&f, 9);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", v1, sizeof(v1), "lax", &ks_actor, NULL));
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "secrets");
	old = ks_raw_get(&raw, "disk", 4, &len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", v2, sizeof(v2), "strict", &ks_actor, NULL));
	CHECK_OK(keystore_verify_state(ks, &rep));
	CHECK_UINT_EQ(rep.secrets, 1);
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "secrets");
	ks_raw_put(&raw, "disk", 4, old, len);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_get(ks, "disk", &s));
	CHECK(s != NULL && s->info.version == 1 && strcmp(s->info.policy, "lax") == 0);
	keystore_secret_free(s);
	memset(&rep, 0, sizeof(rep));
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_RECORD_STALE);
	CHECK_INT_EQ(rep.bad_kind, KEYSTORE_OBJECT_SECRET);
	CHECK_STR_EQ(rep.bad_name, "disk");
	CHECK_UINT_EQ(rep.bad_seq, 2);
	keystore_close(ks);
	free(old);
	ks_fixture_done(&f);
}

/*
 * Every put and delete has its record in the same commit, naming the
 * secret, its version and the digest of the record left current.
 */
static void
test_changes_are_audited(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_entry *e = NULL;
	struct keystore_secret_in items[2] = { { "i1", v1, 3, NULL }, { "i2", v2, 4, "p" } };
	struct ks_secret_rec rec;
	struct ks_raw raw;
	uint8_t *stored, d[32];
	uint64_t count = 0;
	size_t len = 0;

	ks_fixture_init(&f, 10);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", v1, sizeof(v1), "disk-policy", &ks_actor, NULL));
	CHECK_OK(keystore_secret_put(ks, "disk", v2, sizeof(v2), "disk-policy", &ks_actor, NULL));
	CHECK_OK(keystore_secret_import(ks, items, 2, &ks_actor));
	CHECK_OK(keystore_secret_delete(ks, "i1", &ks_actor));
	CHECK_ERR(keystore_secret_delete(ks, "i1", &ks_actor), KBS_ERR_NOT_FOUND);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 5);
	CHECK_OK(keystore_audit_get(ks, 2, &e));
	if (e != NULL) {
		CHECK_STR_EQ(e->rec.event, "secret_put");
		CHECK_STR_EQ(e->rec.actor, "test");
		CHECK_STR_EQ(e->rec.request_id, "req-test");
		CHECK_STR_EQ(e->rec.client_addr, "192.0.2.1");
		CHECK_STR_EQ(e->rec.policy_name, "disk-policy");
		CHECK_INT_EQ(e->rec.object.kind, KEYSTORE_OBJECT_SECRET);
		CHECK_STR_EQ(e->rec.object.name, "disk");
		CHECK_UINT_EQ(e->rec.object.version, 2);
		CHECK(!e->rec.object.removed);
	}
	keystore_close(ks);
	/* The digest is that of the stored record's identity. */
	ks_raw_open(&raw, f.dir, "secrets");
	stored = ks_raw_get(&raw, "disk", 4, &len);
	CHECK(stored != NULL && ks_secret_rec_decode(stored, len, &rec) == 0);
	ks_secret_digest("disk", 4, &rec, d);
	if (e != NULL)
		CHECK_MEM_EQ(e->rec.object.record_sha256, d, 32);
	ks_raw_commit(&raw);
	keystore_audit_entry_free(e);
	e = NULL;
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_audit_get(ks, 5, &e));
	if (e != NULL) {
		CHECK_STR_EQ(e->rec.event, "secret_delete");
		CHECK_STR_EQ(e->rec.object.name, "i1");
		CHECK_UINT_EQ(e->rec.object.version, 1);
		CHECK(e->rec.object.removed);
	}
	keystore_audit_entry_free(e);
	CHECK_OK(keystore_verify_state(ks, NULL));
	/* Every change call needs an actor. */
	CHECK_ERR(keystore_secret_put(ks, "x", v1, 1, NULL, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_delete(ks, "i2", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_secret_import(ks, items, 2, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	free(stored);
	ks_fixture_done(&f);
}

/* A secret deleted behind the log's back: the log still says it is there. */
static void
test_tamper_unaudited_delete(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_verify_report rep;
	struct ks_raw raw;

	ks_fixture_init(&f, 11);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", v1, sizeof(v1), NULL, &ks_actor, NULL));
	keystore_close(ks);
	ks_raw_open(&raw, f.dir, "secrets");
	ks_raw_del(&raw, "disk", 4);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_RECORD_STALE);
	CHECK_STR_EQ(rep.bad_name, "disk");
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* The metadata alone, authenticated all the same. */
static void
test_info(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret_info info;

	ks_fixture_init(&f, 12);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", v1, sizeof(v1), "pol", &ks_actor, NULL));
	CHECK_OK(keystore_secret_put(ks, "disk", v2, sizeof(v2), "pol", &ks_actor, NULL));
	memset(&info, 0, sizeof(info));
	CHECK_OK(keystore_secret_info(ks, "disk", &info));
	CHECK_STR_EQ(info.name, "disk");
	CHECK_STR_EQ(info.policy, "pol");
	CHECK_UINT_EQ(info.version, 2);
	CHECK(info.created > 0 && info.updated >= info.created);
	CHECK_ERR(keystore_secret_info(ks, "nope", &info), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_secret_info(ks, "disk", NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	tamper_value(f.dir, "disk", 0);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_secret_info(ks, "disk", &info), KBS_ERR_STORE_INTEGRITY);
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_put_get_versions), TEST(test_put_get_errors), TEST(test_delete_list),
    TEST(test_import), TEST(test_tamper_flipped_byte), TEST(test_tamper_moved_and_rebound),
    TEST(test_rotate), TEST(test_rotate_stale_process), TEST(test_tamper_record_replay),
    TEST(test_changes_are_audited), TEST(test_tamper_unaudited_delete), TEST(test_info))
