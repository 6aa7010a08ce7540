/*
 * Unit tests for keystore/audit.c: append, get, verify, export, and
 * tampering with the file: edit, delete, reorder, truncate, rewrite.
 */
#include "ks_raw.h"
#include "keystore-int.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <sodium.h>

static const char *const names2[] = { "disk-key", "db/pw" };

static void
fill_record(struct keystore_audit_record *r, int i)
{
	static char rid[32];

	memset(r, 0, sizeof(*r));
	snprintf(rid, sizeof(rid), "req-%d", i);
	r->event = "attest";
	r->request_id = rid;
	r->decision = i % 2 ? "deny" : "allow";
	r->rules = "measurement: pass\nmin_tcb: fail (snp 3 < 8)";
	r->policy_name = "disk-policy";
	r->client_addr = "192.0.2.7";
	r->flags = KEYSTORE_AUDIT_HAS_POLICY_HASH | KEYSTORE_AUDIT_HAS_MEASUREMENT |
	    KEYSTORE_AUDIT_HAS_CHIP_ID | KEYSTORE_AUDIT_HAS_TCB;
	memset(r->policy_sha256, 0xa1, 32);
	memset(r->measurement, 0xb2, 48);
	memset(r->chip_id, 0xc3, 64);
	r->tcb = 0x0b00000000000304ULL;
	r->secret_names = names2;
	r->n_secret_names = 2;
}

static struct keystore *
make_chain(struct ks_fixture *f, int n)
{
	struct keystore *ks = ks_open_default(f, NULL);
	struct keystore_audit_record r;
	uint64_t seq = 0;
	int i;

	for (i = 1; i <= n; i++) {
		fill_record(&r, i);
		r.time = 1700000000 + i;
		CHECK_OK(keystore_audit_append(ks, &r, &seq));
		CHECK_UINT_EQ(seq, (uint64_t)i);
	}
	return ks;
}

static void
test_append_get_verify(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_entry *e = NULL, *e2 = NULL;
	struct keystore_audit_record r;
	uint64_t count = 0, bad = 0, seq = 0;

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_audit_verify(ks, &count, &bad, NULL));
	CHECK_UINT_EQ(count, 0);
	keystore_close(ks);
	ks = make_chain(&f, 5);
	CHECK_OK(keystore_audit_verify(ks, &count, &bad, NULL));
	CHECK_UINT_EQ(count, 5);
	CHECK_OK(keystore_audit_get(ks, 3, &e));
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_UINT_EQ(e->rec.seq, 3);
		CHECK_INT_EQ(e->rec.time, 1700000003);
		CHECK_STR_EQ(e->rec.request_id, "req-3");
		CHECK_STR_EQ(e->rec.decision, "deny");
		CHECK_STR_EQ(e->rec.rules, "measurement: pass\nmin_tcb: fail (snp 3 < 8)");
		CHECK_UINT_EQ(e->rec.n_secret_names, 2);
		CHECK_STR_EQ(e->rec.secret_names[1], "db/pw");
		CHECK_UINT_EQ(e->rec.tcb, 0x0b00000000000304ULL);
	}
	CHECK_OK(keystore_audit_get(ks, 4, &e2));
	if (e != NULL && e2 != NULL)
		CHECK_MEM_EQ(e2->rec.prev_sha256, e->sha256, 32);
	keystore_audit_entry_free(e);
	keystore_audit_entry_free(e2);
	keystore_audit_entry_free(NULL);
	e = NULL;
	CHECK_ERR(keystore_audit_get(ks, 6, &e), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_audit_get(ks, 0, &e), KBS_ERR_INVALID_ARGUMENT);
	/* Time 0 means now; minimal record with NULL strings. */
	memset(&r, 0, sizeof(r));
	CHECK_OK(keystore_audit_append(ks, &r, &seq));
	CHECK_UINT_EQ(seq, 6);
	CHECK_OK(keystore_audit_get(ks, 6, &e));
	CHECK(e != NULL && e->rec.time >= 1700000000 && strcmp(e->rec.event, "") == 0);
	keystore_audit_entry_free(e);
	r.flags = 1u << 9;
	CHECK_ERR(keystore_audit_append(ks, &r, &seq), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_audit_append(ks, NULL, &seq), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_audit_verify(NULL, &count, &bad, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* verify_bad reopens the store and expects the chain to break at want. */
static void
verify_bad(struct ks_fixture *f, uint64_t want, int line)
{
	struct keystore *ks = ks_open_default(f, NULL);
	uint64_t bad = 0, count = 0;
	int r = keystore_audit_verify(ks, &count, &bad, NULL);

	if (r != KBS_ERR_STORE_AUDIT_CHAIN || bad != want)
		fprintf(stderr, "line %d: verify returned %d bad %llu, want %llu\n", line, r,
		    (unsigned long long)bad, (unsigned long long)want);
	CHECK_ERR(r, KBS_ERR_STORE_AUDIT_CHAIN);
	CHECK_UINT_EQ(bad, want);
	keystore_close(ks);
}

static void
test_tamper_edit(void)
{
	struct ks_fixture f;
	struct ks_raw raw;
	uint8_t k[8], *v;
	size_t len = 0;

	ks_fixture_init(&f, 2);
	keystore_close(make_chain(&f, 10));
	/* "allow" becomes "allox" in record 4: still decodes, hash no longer links. */
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k, 4);
	v = ks_raw_get(&raw, k, 8, &len);
	CHECK(v != NULL);
	{
		uint8_t *hit = memmem(v, len, "allow", 6);

		CHECK(hit != NULL);
		if (hit != NULL)
			hit[4] = 'x';
	}
	ks_raw_put(&raw, k, 8, v, len);
	ks_raw_commit(&raw);
	verify_bad(&f, 4, __LINE__);
	free(v);
	ks_fixture_done(&f);
}

static void
test_tamper_edit_last_and_first(void)
{
	struct ks_fixture f;
	struct ks_raw raw;
	uint8_t k[8], *v;
	size_t len = 0;

	ks_fixture_init(&f, 3);
	keystore_close(make_chain(&f, 6));
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k, 6);
	v = ks_raw_get(&raw, k, 8, &len);
	v[len - 2] ^= 1; /* inside the last secret name */
	ks_raw_put(&raw, k, 8, v, len);
	ks_raw_commit(&raw);
	verify_bad(&f, 6, __LINE__);
	free(v);
	ks_fixture_done(&f);

	ks_fixture_init(&f, 3);
	keystore_close(make_chain(&f, 6));
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k, 1);
	v = ks_raw_get(&raw, k, 8, &len);
	v[1 + 8 + 8] ^= 1; /* record 1's prev_sha256 must be zero */
	ks_raw_put(&raw, k, 8, v, len);
	ks_raw_commit(&raw);
	verify_bad(&f, 1, __LINE__);
	free(v);
	ks_fixture_done(&f);
}

static void
test_tamper_delete(void)
{
	struct ks_fixture f;
	struct ks_raw raw;
	uint8_t k[8];

	ks_fixture_init(&f, 4);
	keystore_close(make_chain(&f, 10));
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k, 7);
	ks_raw_del(&raw, k, 8);
	ks_raw_commit(&raw);
	verify_bad(&f, 7, __LINE__);
	ks_fixture_done(&f);

	/* The first record. */
	ks_fixture_init(&f, 4);
	keystore_close(make_chain(&f, 3));
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k, 1);
	ks_raw_del(&raw, k, 8);
	ks_raw_commit(&raw);
	verify_bad(&f, 1, __LINE__);
	ks_fixture_done(&f);

	/* The newest two: the MACed head still names seq 10. */
	ks_fixture_init(&f, 4);
	keystore_close(make_chain(&f, 10));
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k, 10);
	ks_raw_del(&raw, k, 8);
	ks_seq_key(k, 9);
	ks_raw_del(&raw, k, 8);
	ks_raw_commit(&raw);
	verify_bad(&f, 9, __LINE__);
	ks_fixture_done(&f);
}

static void
test_tamper_reorder(void)
{
	struct ks_fixture f;
	struct ks_raw raw;
	uint8_t k3[8], k4[8], *v3, *v4;
	size_t l3 = 0, l4 = 0;

	ks_fixture_init(&f, 5);
	keystore_close(make_chain(&f, 8));
	ks_raw_open(&raw, f.dir, "audit");
	ks_seq_key(k3, 3);
	ks_seq_key(k4, 4);
	v3 = ks_raw_get(&raw, k3, 8, &l3);
	v4 = ks_raw_get(&raw, k4, 8, &l4);
	ks_raw_put(&raw, k3, 8, v4, l4);
	ks_raw_put(&raw, k4, 8, v3, l3);
	ks_raw_commit(&raw);
	verify_bad(&f, 3, __LINE__);
	free(v3);
	free(v4);
	ks_fixture_done(&f);
}

/*
 * An attacker without the master key rewrites record 2 and then every later
 * record's prev_sha256 and the head's hash, so the chain itself links: the
 * head MAC still gives it away.
 */
static void
test_tamper_rewrite_chain(void)
{
	struct ks_fixture f;
	struct ks_raw raw, meta;
	struct ks_head_rec head;
	uint8_t k[8], *v, prev[32], *hv, *out = NULL;
	size_t len = 0, hl = 0, ol = 0;
	uint64_t s;

	ks_fixture_init(&f, 6);
	keystore_close(make_chain(&f, 5));
	ks_raw_open(&raw, f.dir, "audit");
	for (s = 1; s <= 5; s++) {
		ks_seq_key(k, s);
		v = ks_raw_get(&raw, k, 8, &len);
		if (s >= 3)
			memcpy(v + 17, prev, 32);
		if (s == 2) {
			uint8_t *hit = memmem(v, len, "allow", 6);

			CHECK(hit != NULL);
			if (hit != NULL)
				memcpy(hit, "alloy", 5);
		}
		ks_raw_put(&raw, k, 8, v, len);
		crypto_hash_sha256(prev, v, len);
		free(v);
	}
	/* The head lives in the same environment: reuse the transaction. */
	meta.env = raw.env;
	meta.txn = raw.txn;
	CHECK(mdb_dbi_open(raw.txn, "meta", 0, &meta.dbi) == 0);
	hv = ks_raw_get(&meta, "audit_head", 10, &hl);
	CHECK(hv != NULL && ks_head_rec_decode(hv, hl, &head) == 0);
	memcpy(head.sha256, prev, 32);
	CHECK_OK(ks_encode_alloc(ks_enc_head(&head), &out, &ol));
	ks_raw_put(&meta, "audit_head", 10, out, ol);
	ks_raw_commit(&raw);
	verify_bad(&f, 5, __LINE__);
	free(hv);
	free(out);
	ks_fixture_done(&f);
}

static void
test_tamper_head_removed(void)
{
	struct ks_fixture f;
	struct ks_raw raw;
	struct keystore *ks;
	struct keystore_audit_record r;

	ks_fixture_init(&f, 7);
	keystore_close(make_chain(&f, 4));
	ks_raw_open(&raw, f.dir, "meta");
	ks_raw_del(&raw, "audit_head", 10);
	ks_raw_commit(&raw);
	verify_bad(&f, 4, __LINE__);
	/* Appending on a store whose head is gone is refused, not forked. */
	ks = ks_open_default(&f, NULL);
	fill_record(&r, 1);
	CHECK_ERR(keystore_audit_append(ks, &r, NULL), KBS_ERR_STORE_AUDIT_CHAIN);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * truncate_with_forged_head drops the newest record and points the head at
 * the one before it, as an attacker without the master key would: the
 * head's seq and hash are right for a shorter chain, its MAC is not.
 */
static void
truncate_with_forged_head(struct ks_fixture *f, uint64_t last)
{
	struct ks_raw raw, meta;
	struct ks_head_rec head;
	uint8_t k[8], *v, *hv, *out = NULL;
	size_t len = 0, hl = 0, ol = 0;

	ks_raw_open(&raw, f->dir, "audit");
	ks_seq_key(k, last - 1);
	v = ks_raw_get(&raw, k, 8, &len);
	CHECK(v != NULL);
	ks_seq_key(k, last);
	ks_raw_del(&raw, k, 8);
	meta.env = raw.env;
	meta.txn = raw.txn;
	CHECK(mdb_dbi_open(raw.txn, "meta", 0, &meta.dbi) == 0);
	hv = ks_raw_get(&meta, "audit_head", 10, &hl);
	CHECK(hv != NULL && ks_head_rec_decode(hv, hl, &head) == 0);
	head.seq = last - 1;
	if (v != NULL)
		crypto_hash_sha256(head.sha256, v, len);
	CHECK_OK(ks_encode_alloc(ks_enc_head(&head), &out, &ol));
	ks_raw_put(&meta, "audit_head", 10, out, ol);
	ks_raw_commit(&raw);
	free(v);
	free(hv);
	free(out);
}

/*
 * A forged head must never be re-MACed by the broker: appending on it is
 * refused, so the truncation stays visible instead of being covered by a
 * new record with a valid head.
 */
static void
test_tamper_forged_head_not_laundered_by_append(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_record r;
	uint64_t seq = 0;

	ks_fixture_init(&f, 9);
	keystore_close(make_chain(&f, 5));
	truncate_with_forged_head(&f, 5);
	verify_bad(&f, 4, __LINE__);
	ks = ks_open_default(&f, NULL);
	fill_record(&r, 5);
	CHECK_ERR(keystore_audit_append(ks, &r, &seq), KBS_ERR_STORE_AUDIT_CHAIN);
	keystore_close(ks);
	verify_bad(&f, 4, __LINE__);
	ks_fixture_done(&f);
}

/* Rotation re-MACs the head under the new key only if the old MAC holds. */
static void
test_tamper_forged_head_not_laundered_by_rotate(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_key_source nsrc;
	char nkey[160];
	uint8_t key[32];

	ks_fixture_init(&f, 10);
	keystore_close(make_chain(&f, 5));
	truncate_with_forged_head(&f, 5);
	snprintf(nkey, sizeof(nkey), "%s/new.key", f.root);
	memset(key, 0x5a, sizeof(key));
	ks_write_file(nkey, key, sizeof(key), 0600);
	nsrc.kind = KEYSTORE_KEY_FILE;
	nsrc.name = nkey;
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_rotate(ks, &nsrc));
	keystore_close(ks);
	f.src = nsrc;
	verify_bad(&f, 4, __LINE__);
	ks_fixture_done(&f);
}

static void
test_export(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_entry *e = NULL;
	struct keystore_audit_record r;
	char *buf = NULL, *line, *save = NULL;
	size_t sz = 0;
	uint64_t n = 0, seen = 0;
	FILE *out;
	char hex[65];

	ks_fixture_init(&f, 8);
	ks = make_chain(&f, 5);
	/* A hostile client address: quotes, backslash, control and high bytes. */
	fill_record(&r, 6);
	r.client_addr = "a\"b\\c\n\x01\xff";
	r.time = 1700000100;
	CHECK_OK(keystore_audit_append(ks, &r, NULL));

	out = open_memstream(&buf, &sz);
	CHECK_OK(keystore_audit_export(ks, out, 0, 0, &n, NULL));
	fclose(out);
	CHECK_UINT_EQ(n, 6);
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(line);
		const cJSON *seq, *client, *secrets, *sha;

		CHECK(j != NULL);
		if (j == NULL)
			continue;
		seen++;
		seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
		CHECK(cJSON_IsNumber(seq) && (uint64_t)seq->valuedouble == seen);
		secrets = cJSON_GetObjectItemCaseSensitive(j, "secrets");
		CHECK(cJSON_IsArray(secrets) && cJSON_GetArraySize(secrets) == 2);
		CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "decision")),
		    seen % 2 ? "deny" : "allow");
		if (seen == 6) {
			client = cJSON_GetObjectItemCaseSensitive(j, "client");
			/* 0xff is not UTF-8: one U+FFFD, not the mojibake U+00FF. */
			CHECK_STR_EQ(
			    cJSON_GetStringValue(client), "a\"b\\c\n\x01" KBS_UTF8_REPLACEMENT);
			CHECK_STR_EQ(
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "time")),
			    "2023-11-14T22:15:00Z");
		}
		if (seen == 3) {
			CHECK_OK(keystore_audit_get(ks, 3, &e));
			sha = cJSON_GetObjectItemCaseSensitive(j, "sha256");
			if (e != NULL && kbs_hex_encode(e->sha256, 32, hex, sizeof(hex)) == 0)
				CHECK_STR_EQ(cJSON_GetStringValue(sha), hex);
			CHECK_STR_EQ(
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "tcb")),
			    "0b00000000000304");
			keystore_audit_entry_free(e);
		}
		cJSON_Delete(j);
	}
	CHECK_UINT_EQ(seen, 6);
	free(buf);
	buf = NULL;
	/* From a sequence number, from a time. */
	out = open_memstream(&buf, &sz);
	CHECK_OK(keystore_audit_export(ks, out, 4, 0, &n, NULL));
	fclose(out);
	CHECK_UINT_EQ(n, 3);
	CHECK(strncmp(buf, "{\"seq\":4,", 9) == 0);
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &sz);
	CHECK_OK(keystore_audit_export(ks, out, 0, 1700000005, &n, NULL));
	fclose(out);
	CHECK_UINT_EQ(n, 2);
	free(buf);
	/* A stream that cannot be written. */
	out = fopen("/dev/full", "w");
	if (out != NULL) {
		CHECK_ERR(keystore_audit_export(ks, out, 0, 0, &n, NULL), KBS_ERR_IO);
		fclose(out);
	}
	CHECK_ERR(keystore_audit_export(ks, NULL, 0, 0, &n, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * A paged export: each page stops at the first record that brings it to
 * max_bytes (at least one record a page, at most max_bytes and one record),
 * says where the next starts, and the pages together are the whole export
 * byte for byte; the head is the store's, on every page.
 */
static void
test_export_pages(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_head head, whole_head;
	char *whole = NULL, *page = NULL, *all = NULL;
	size_t whole_len = 0, page_len = 0, all_len = 0, last_line;
	uint64_t from = 0, next = 0, n = 0;
	unsigned pages = 0;
	FILE *out, *acc;

	ks_fixture_init(&f, 23);
	ks = make_chain(&f, 150); /* more than two chunks of 64 */
	out = open_memstream(&whole, &whole_len);
	CHECK_OK(keystore_audit_export(ks, out, 0, 0, &n, &whole_head));
	fclose(out);
	CHECK_UINT_EQ(n, 150);

	acc = open_memstream(&all, &all_len);
	do {
		out = open_memstream(&page, &page_len);
		CHECK_OK(keystore_audit_export_page(ks, out, from, 1000, &next, &head));
		fclose(out);
		pages++;
		CHECK(page_len > 0);
		/* The last line is the one that reached 1000 bytes. */
		for (last_line = page_len - 1; last_line > 0 && page[last_line - 1] != '\n';
		     last_line--)
			;
		CHECK(next == 0 || (page_len >= 1000 && last_line < 1000));
		CHECK_UINT_EQ(head.seq, 150);
		CHECK_MEM_EQ(head.sha256, whole_head.sha256, 32);
		CHECK(next == 0 || next > from);
		fwrite(page, 1, page_len, acc);
		free(page);
		page = NULL;
		from = next;
	} while (next != 0 && pages < 1000);
	fclose(acc);
	CHECK(pages > 3);
	CHECK_UINT_EQ(all_len, whole_len);
	CHECK(all != NULL && whole != NULL && memcmp(all, whole, whole_len) == 0);
	/* A budget of one byte still moves on by one record a page. */
	out = open_memstream(&page, &page_len);
	CHECK_OK(keystore_audit_export_page(ks, out, 7, 1, &next, NULL));
	fclose(out);
	CHECK_UINT_EQ(next, 8);
	CHECK(strncmp(page, "{\"seq\":7,", 9) == 0 && strchr(page, '\n') == page + page_len - 1);
	free(page);
	page = NULL;
	/* The last record: the page ends the export. */
	out = open_memstream(&page, &page_len);
	CHECK_OK(keystore_audit_export_page(ks, out, 150, 1, &next, NULL));
	fclose(out);
	CHECK_UINT_EQ(next, 0);
	free(page);
	CHECK_ERR(
	    keystore_audit_export_page(ks, stdout, 0, 0, &next, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_audit_export_page(ks, stdout, 0, 10, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	free(whole);
	free(all);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * The export is valid UTF-8 JSON: UTF-8 that was stored comes out as the
 * same characters (not one escaped Latin-1 character per byte), and bytes
 * that are not UTF-8 come out as U+FFFD, one per maximal ill-formed
 * subpart. The fields keep their names and order.
 */
static void
test_export_utf8(void)
{
	static const char *const order[] = { "seq", "time", "event", "request_id", "decision",
		"rules", "policy", "policy_sha256", "measurement", "chip_id", "tcb", "client",
		"secrets", "actor", "prev_sha256", "sha256" };
	static const char *const names[] = { "caf\xc3\xa9-key", "bad\xc3" };
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_record r;
	const cJSON *item;
	cJSON *j;
	char *buf = NULL;
	size_t sz = 0, i;
	uint64_t n = 0;
	FILE *out;

	ks_fixture_init(&f, 12);
	ks = ks_open_default(&f, NULL);
	fill_record(&r, 1);
	r.request_id = "req-caf\xc3\xa9";
	r.rules = "tcb \xe2\x89\xa5 8 \xf0\x9f\x94\x91";
	/* Overlong '/', a surrogate, a sequence cut short at the end. */
	r.client_addr = "x\xc0\xafy\xed\xa0\x80z\xe2\x82";
	r.secret_names = names;
	CHECK_OK(keystore_audit_append(ks, &r, NULL));
	out = open_memstream(&buf, &sz);
	CHECK_OK(keystore_audit_export(ks, out, 0, 0, &n, NULL));
	fclose(out);
	CHECK_UINT_EQ(n, 1);
	CHECK(buf != NULL && kbs_utf8_valid((const uint8_t *)buf, sz));
	CHECK(buf != NULL && strstr(buf, "\"request_id\":\"req-caf\xc3\xa9\"") != NULL);
	CHECK(buf != NULL && strstr(buf, "\\u00") == NULL);
	j = buf != NULL ? cJSON_Parse(buf) : NULL;
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_STR_EQ(
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "rules")), r.rules);
		CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "client")),
		    "x" KBS_UTF8_REPLACEMENT KBS_UTF8_REPLACEMENT
		    "y" KBS_UTF8_REPLACEMENT KBS_UTF8_REPLACEMENT KBS_UTF8_REPLACEMENT
		    "z" KBS_UTF8_REPLACEMENT);
		item = cJSON_GetObjectItemCaseSensitive(j, "secrets");
		CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetArrayItem(item, 0)), names[0]);
		CHECK_STR_EQ(
		    cJSON_GetStringValue(cJSON_GetArrayItem(item, 1)), "bad" KBS_UTF8_REPLACEMENT);
		for (i = 0, item = j->child; item != NULL && i < KBS_ARRAY_SIZE(order);
		     item = item->next, i++)
			CHECK_STR_EQ(item->string, order[i]);
		CHECK_UINT_EQ(i, KBS_ARRAY_SIZE(order));
		CHECK(item == NULL);
	}
	cJSON_Delete(j);
	free(buf);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* A new store has a MACed head for the empty chain, from the first open. */
static void
test_new_store_has_head(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_head head;
	struct ks_raw raw;
	struct ks_head_rec h;
	uint8_t *v;
	size_t len = 0;
	uint64_t count = 99;

	ks_fixture_init(&f, 13);
	keystore_close(ks_open_default(&f, NULL));
	ks_raw_open(&raw, f.dir, "meta");
	v = ks_raw_get(&raw, "audit_head", 10, &len);
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK_OK(ks_head_rec_decode(v, len, &h));
		CHECK_UINT_EQ(h.seq, 0);
		CHECK(sodium_is_zero(h.sha256, 32));
	}
	free(v);
	ks_raw_commit(&raw);
	ks = ks_open_default(&f, NULL);
	memset(&head, 0x55, sizeof(head));
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, &head));
	CHECK_UINT_EQ(count, 0);
	CHECK_UINT_EQ(head.seq, 0);
	CHECK(sodium_is_zero(head.sha256, 32));
	keystore_close(ks);
	ks_fixture_done(&f);
}

/* wipe deletes every audit record, and the head too if with_head. */
static void
wipe(struct ks_fixture *f, uint64_t n, bool with_head)
{
	struct ks_raw raw, meta;
	uint8_t k[8];
	uint64_t s;

	ks_raw_open(&raw, f->dir, "audit");
	for (s = 1; s <= n; s++) {
		ks_seq_key(k, s);
		ks_raw_del(&raw, k, 8);
	}
	if (with_head) {
		meta.env = raw.env;
		meta.txn = raw.txn;
		CHECK(mdb_dbi_open(raw.txn, "meta", 0, &meta.dbi) == 0);
		ks_raw_del(&meta, "audit_head", 10);
	}
	ks_raw_commit(&raw);
}

/*
 * Wiping the whole log, records and head, is a broken chain (bad seq 1),
 * not "intact: 0 records", and nothing may be appended to it: the next
 * record would otherwise restart the chain at 1 as if nothing had been.
 */
static void
test_tamper_wipe(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_record r;
	struct keystore_verify_report rep;
	uint64_t seq = 0;

	ks_fixture_init(&f, 14);
	keystore_close(make_chain(&f, 5));
	wipe(&f, 5, true);
	verify_bad(&f, 1, __LINE__);
	ks = ks_open_default(&f, NULL);
	fill_record(&r, 1);
	CHECK_ERR(keystore_audit_append(ks, &r, &seq), KBS_ERR_STORE_AUDIT_CHAIN);
	CHECK_ERR(keystore_attest_commit(ks, (const uint8_t *)"0123456789abcdef0123456789abcdef",
		      100, &ks_attest_rec, NULL),
	    KBS_ERR_STORE_AUDIT_CHAIN);
	CHECK_ERR(
	    keystore_secret_put(ks, "after-wipe", (const uint8_t *)"v", 1, NULL, &ks_actor, NULL),
	    KBS_ERR_STORE_AUDIT_CHAIN);
	CHECK_ERR(keystore_verify_state(ks, &rep), KBS_ERR_STORE_AUDIT_CHAIN);
	CHECK_UINT_EQ(rep.bad_seq, 1);
	keystore_close(ks);
	verify_bad(&f, 1, __LINE__);
	ks_fixture_done(&f);

	/* The records alone: the head still names seq 5. */
	ks_fixture_init(&f, 14);
	keystore_close(make_chain(&f, 5));
	wipe(&f, 5, false);
	verify_bad(&f, 1, __LINE__);
	ks_fixture_done(&f);

	/* A store with no records yet, its head removed. */
	ks_fixture_init(&f, 14);
	keystore_close(ks_open_default(&f, NULL));
	wipe(&f, 0, true);
	verify_bad(&f, 1, __LINE__);
	ks_fixture_done(&f);
}

/* Only the change calls write records that name an object. */
static void
test_append_refuses_object(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_record r;
	uint64_t count = 0;

	ks_fixture_init(&f, 15);
	ks = ks_open_default(&f, NULL);
	fill_record(&r, 1);
	r.flags |= KEYSTORE_AUDIT_HAS_OBJECT;
	r.object.kind = KEYSTORE_OBJECT_SECRET;
	r.object.name = "disk";
	r.object.version = 9;
	CHECK_ERR(keystore_audit_append(ks, &r, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_attest_commit(
		      ks, (const uint8_t *)"0123456789abcdef0123456789abcdef", 100, &r, NULL),
	    KBS_ERR_INVALID_ARGUMENT);
	fill_record(&r, 1);
	r.actor = "broker";
	CHECK_OK(keystore_audit_append(ks, &r, NULL));
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 1);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * A head recorded outside the store catches what the chain alone cannot:
 * the whole data file rolled back to an older copy verifies (its chain and
 * its head were valid then), but it no longer extends the recorded head.
 */
static void
test_expect_head_and_whole_file_rollback(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_record r;
	struct keystore_audit_head old_head, head, bad;
	char path[200];
	uint8_t *snapshot = NULL;
	size_t snap_len = 0;
	uint64_t count = 0;
	int i;

	ks_fixture_init(&f, 16);
	ks = make_chain(&f, 5);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, &old_head));
	CHECK_UINT_EQ(old_head.seq, 5);
	keystore_close(ks);
	snprintf(path, sizeof(path), "%s/data.mdb", f.dir);
	CHECK_OK(kbs_file_read(path, 64u << 20, &snapshot, &snap_len));
	ks = ks_open_default(&f, NULL);
	for (i = 0; i < 3; i++) {
		fill_record(&r, 10 + i);
		CHECK_OK(keystore_audit_append(ks, &r, NULL));
	}
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, &head));
	CHECK_UINT_EQ(head.seq, 8);
	CHECK_OK(keystore_audit_expect_head(ks, &head));
	CHECK_OK(keystore_audit_expect_head(ks, &old_head));
	memset(&bad, 0, sizeof(bad));
	CHECK_OK(keystore_audit_expect_head(ks, &bad)); /* the empty chain */
	bad.sha256[3] = 1;
	CHECK_ERR(keystore_audit_expect_head(ks, &bad), KBS_ERR_INVALID_ARGUMENT);
	bad = head;
	bad.sha256[0] ^= 1;
	CHECK_ERR(keystore_audit_expect_head(ks, &bad), KBS_ERR_STORE_AUDIT_ROLLBACK);
	bad = head;
	bad.seq = 9;
	CHECK_ERR(keystore_audit_expect_head(ks, &bad), KBS_ERR_STORE_AUDIT_ROLLBACK);
	CHECK_ERR(keystore_audit_expect_head(ks, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);

	/* The whole file back as it was: the chain verifies, the recorded head is gone. */
	ks_write_file(path, snapshot, snap_len, 0600);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	CHECK_UINT_EQ(count, 5);
	CHECK_OK(keystore_verify_state(ks, NULL));
	CHECK_ERR(keystore_audit_expect_head(ks, &head), KBS_ERR_STORE_AUDIT_ROLLBACK);
	CHECK_OK(keystore_audit_expect_head(ks, &old_head));
	keystore_close(ks);
	free(snapshot);
	ks_fixture_done(&f);
}

/*
 * The records of changes carry who made them and what they changed; an
 * export returns the verified head it ends at.
 */
static void
test_export_change_records_and_head(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_head head, vhead;
	struct keystore_audit_entry *e = NULL;
	const cJSON *obj;
	char *buf = NULL, *line, *save = NULL, hex[65];
	size_t sz = 0;
	uint64_t n = 0;
	cJSON *j;
	FILE *out;
	int seen = 0;

	ks_fixture_init(&f, 17);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", (const uint8_t *)"v", 1, "p", &ks_actor, NULL));
	CHECK_OK(keystore_secret_delete(ks, "disk", &ks_actor));
	out = open_memstream(&buf, &sz);
	CHECK_OK(keystore_audit_export(ks, out, 0, 0, &n, &head));
	fclose(out);
	CHECK_UINT_EQ(n, 2);
	CHECK_OK(keystore_audit_verify(ks, NULL, NULL, &vhead));
	CHECK_UINT_EQ(head.seq, 2);
	CHECK_MEM_EQ(head.sha256, vhead.sha256, 32);
	CHECK_OK(keystore_audit_get(ks, 1, &e));
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if ((j = cJSON_Parse(line)) == NULL)
			continue;
		seen++;
		CHECK_STR_EQ(
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "actor")), "test");
		CHECK_STR_EQ(
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "request_id")),
		    "req-test");
		CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "client")),
		    "192.0.2.1");
		obj = cJSON_GetObjectItemCaseSensitive(j, "object");
		CHECK(cJSON_IsObject(obj));
		CHECK_STR_EQ(
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind")), "secret");
		CHECK_STR_EQ(
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "name")), "disk");
		CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, "version")) == 1);
		if (seen == 1) {
			CHECK_STR_EQ(
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "event")),
			    "secret_put");
			CHECK_STR_EQ(
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "policy")),
			    "p");
			if (e != NULL &&
			    kbs_hex_encode(e->rec.object.record_sha256, 32, hex, sizeof(hex)) == 0)
				CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
						 obj, "record_sha256")),
				    hex);
			CHECK(cJSON_GetObjectItemCaseSensitive(obj, "removed") == NULL);
		} else {
			CHECK_STR_EQ(
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "event")),
			    "secret_delete");
			CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "removed")));
			CHECK(cJSON_GetObjectItemCaseSensitive(obj, "record_sha256") == NULL);
		}
		cJSON_Delete(j);
	}
	CHECK_INT_EQ(seen, 2);
	keystore_audit_entry_free(e);
	free(buf);
	keystore_close(ks);

	/* A head that fails its MAC is not handed out with an export. */
	truncate_with_forged_head(&f, 2);
	ks = ks_open_default(&f, NULL);
	buf = NULL;
	out = open_memstream(&buf, &sz);
	CHECK_ERR(keystore_audit_export(ks, out, 0, 0, &n, &head), KBS_ERR_STORE_AUDIT_CHAIN);
	fclose(out);
	free(buf);
	keystore_close(ks);
	ks_fixture_done(&f);
}

struct export_job {
	struct keystore *ks;
	FILE *out;
	int result;
	uint64_t n;
};

static void *
export_main(void *arg)
{
	struct export_job *j = arg;

	j->result = keystore_audit_export(j->ks, j->out, 0, 0, &j->n, NULL);
	fclose(j->out);
	return NULL;
}

struct put_job {
	struct keystore *ks;
	int failures;
	int done; /* __atomic */
};

static void *
put_main(void *arg)
{
	struct put_job *j = arg;
	uint8_t value[4096];
	char name[16];
	int i;

	memset(value, 0x42, sizeof(value));
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "grow-%d", i);
		if (keystore_secret_put(j->ks, name, value, sizeof(value), NULL, &ks_actor, NULL) !=
		    0)
			j->failures++;
	}
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * An export to a reader that does not keep up (a pipe nobody drains yet)
 * must not hold up writers, even when they need the map to grow (which
 * waits for every transaction of the process to end).
 */
static void
test_slow_export_does_not_block_writers(void)
{
	struct ks_fixture f;
	struct keystore_options opts = { 64 << 10, 0, 0, NULL, NULL };
	struct keystore *ks;
	struct keystore_audit_record r;
	struct export_job ej;
	struct put_job pj;
	pthread_t et, pt;
	char buf[4096];
	int fds[2], i, waited;
	uint64_t lines = 0;
	ssize_t n;

	ks_fixture_init(&f, 11);
	ks = ks_open_default(&f, &opts);
	for (i = 0; i < 300; i++) {
		fill_record(&r, i);
		CHECK_OK(keystore_audit_append(ks, &r, NULL));
	}
	CHECK(pipe(fds) == 0);
	ej.ks = ks;
	ej.out = fdopen(fds[1], "w");
	ej.result = -1;
	ej.n = 0;
	CHECK(ej.out != NULL);
	CHECK(pthread_create(&et, NULL, export_main, &ej) == 0);
	usleep(100 * 1000); /* the export fills the pipe and blocks */
	pj.ks = ks;
	pj.failures = 0;
	pj.done = 0;
	CHECK(pthread_create(&pt, NULL, put_main, &pj) == 0);
	for (waited = 0; waited < 3000 && !__atomic_load_n(&pj.done, __ATOMIC_ACQUIRE);
	     waited += 10)
		usleep(10 * 1000);
	CHECK(__atomic_load_n(&pj.done, __ATOMIC_ACQUIRE));
	/* Drain the pipe so the export can finish either way. */
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	}
	close(fds[0]);
	pthread_join(et, NULL);
	pthread_join(pt, NULL);
	CHECK_OK(ej.result);
	/* The 300 records, and the 100 puts' own records appended meanwhile. */
	CHECK_UINT_EQ(ej.n, 400);
	CHECK_UINT_EQ(lines, 400);
	CHECK_INT_EQ(pj.failures, 0);
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_append_get_verify), TEST(test_tamper_edit),
    TEST(test_tamper_edit_last_and_first), TEST(test_tamper_delete), TEST(test_tamper_reorder),
    TEST(test_tamper_rewrite_chain), TEST(test_tamper_head_removed),
    TEST(test_tamper_forged_head_not_laundered_by_append),
    TEST(test_tamper_forged_head_not_laundered_by_rotate), TEST(test_export),
    TEST(test_export_pages), TEST(test_export_utf8), TEST(test_slow_export_does_not_block_writers),
    TEST(test_new_store_has_head), TEST(test_tamper_wipe), TEST(test_append_refuses_object),
    TEST(test_expect_head_and_whole_file_rollback), TEST(test_export_change_records_and_head))
