/*
 * export.c: the audit log as JSON lines, one object per record, for
 * auditors and log shippers.
 *
 * Each record is built as a cJSON object (cJSON is the project's one JSON
 * writer) with its fields in a fixed order: seq, time, event, request_id,
 * decision, rules, policy, then policy_sha256, measurement, chip_id and
 * tcb when the record has them, client, secrets, actor, then object when
 * a change call wrote the record ({kind, name, version, and record_sha256
 * or removed: true}), prev_sha256, sha256.
 * Every string goes through kbs_utf8_sanitize first: stored strings are
 * whatever a client sent (a request id, an address) and whatever someone
 * with write access to the file put there, and the export must be valid
 * UTF-8 JSON all the same. Well-formed UTF-8 comes out unchanged (cJSON
 * escapes only '"', '\\' and control characters); each ill-formed subpart
 * becomes U+FFFD, so a reader never sees mojibake, but bytes that were not
 * UTF-8 cannot be recovered from the export (keystore_audit_get returns
 * them as stored). seq is written as an exact decimal integer (a JSON
 * number; cJSON's doubles would round past 2^53); hashes, the TCB and the
 * ids are lower-case hex strings; time is RFC 3339 UTC.
 */
#include "keystore-int.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* add_text adds key: s as well-formed UTF-8 (NULL reads as ""); to an array if key is NULL. */
static int
add_text(cJSON *o, const char *key, const char *s)
{
	char *clean = NULL;
	cJSON *item;
	int r;

	if (s == NULL)
		s = "";
	if ((r = kbs_utf8_sanitize((const uint8_t *)s, strlen(s), &clean, NULL)) != 0)
		return r;
	item = cJSON_CreateString(clean);
	free(clean);
	if (item == NULL)
		return KBS_ERR_ALLOC;
	if (key == NULL ? !cJSON_AddItemToArray(o, item) : !cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(item);
		return KBS_ERR_ALLOC;
	}
	return 0;
}

static int
add_hex(cJSON *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];
	int r;

	if ((r = kbs_hex_encode(b, n, hex, sizeof(hex))) != 0)
		return r;
	return cJSON_AddStringToObject(o, key, hex) != NULL ? 0 : KBS_ERR_ALLOC;
}

/* add_object adds "object": what a change call changed. */
static int
add_object(cJSON *o, const struct keystore_audit_object *ob)
{
	cJSON *j;
	int rc;

	if ((j = cJSON_AddObjectToObject(o, "object")) == NULL ||
	    cJSON_AddStringToObject(j, "kind", keystore_object_kind_name(ob->kind)) == NULL)
		return KBS_ERR_ALLOC;
	if ((rc = add_text(j, "name", ob->name)) != 0)
		return rc;
	if (cJSON_AddNumberToObject(j, "version", (double)ob->version) == NULL)
		return KBS_ERR_ALLOC;
	if (ob->removed)
		return cJSON_AddTrueToObject(j, "removed") != NULL ? 0 : KBS_ERR_ALLOC;
	return add_hex(j, "record_sha256", ob->record_sha256, 32);
}

/* record_json builds the object for one record (its stored bytes hash to sha256). */
static int
record_json(const struct keystore_audit_record *r, const uint8_t sha256[32], cJSON **ret)
{
	char t[KBS_TIME_RFC3339_LEN], num[24], tcb[17];
	cJSON *o = NULL, *names;
	size_t i;
	int rc = KBS_ERR_ALLOC;

	if (kbs_time_format_rfc3339(r->time, t, sizeof(t)) != 0)
		t[0] = 0;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->seq);
	if ((o = cJSON_CreateObject()) == NULL || cJSON_AddRawToObject(o, "seq", num) == NULL ||
	    cJSON_AddStringToObject(o, "time", t) == NULL)
		goto out;
	if ((rc = add_text(o, "event", r->event)) != 0 ||
	    (rc = add_text(o, "request_id", r->request_id)) != 0 ||
	    (rc = add_text(o, "decision", r->decision)) != 0 ||
	    (rc = add_text(o, "rules", r->rules)) != 0 ||
	    (rc = add_text(o, "policy", r->policy_name)) != 0)
		goto out;
	if ((r->flags & KEYSTORE_AUDIT_HAS_POLICY_HASH) &&
	    (rc = add_hex(o, "policy_sha256", r->policy_sha256, 32)) != 0)
		goto out;
	if ((r->flags & KEYSTORE_AUDIT_HAS_MEASUREMENT) &&
	    (rc = add_hex(o, "measurement", r->measurement, 48)) != 0)
		goto out;
	if ((r->flags & KEYSTORE_AUDIT_HAS_CHIP_ID) &&
	    (rc = add_hex(o, "chip_id", r->chip_id, 64)) != 0)
		goto out;
	rc = KBS_ERR_ALLOC;
	if (r->flags & KEYSTORE_AUDIT_HAS_TCB) {
		snprintf(tcb, sizeof(tcb), "%016llx", (unsigned long long)r->tcb);
		if (cJSON_AddStringToObject(o, "tcb", tcb) == NULL)
			goto out;
	}
	if ((rc = add_text(o, "client", r->client_addr)) != 0)
		goto out;
	rc = KBS_ERR_ALLOC;
	if ((names = cJSON_AddArrayToObject(o, "secrets")) == NULL)
		goto out;
	for (i = 0; i < r->n_secret_names; i++) {
		if ((rc = add_text(names, NULL, r->secret_names[i])) != 0)
			goto out;
	}
	if ((rc = add_text(o, "actor", r->actor)) != 0)
		goto out;
	if ((r->flags & KEYSTORE_AUDIT_HAS_OBJECT) && (rc = add_object(o, &r->object)) != 0)
		goto out;
	if ((rc = add_hex(o, "prev_sha256", r->prev_sha256, 32)) != 0 ||
	    (rc = add_hex(o, "sha256", sha256, 32)) != 0)
		goto out;
	*ret = o;
	o = NULL;
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

/* write_record appends one JSON line for r to buf. */
static int
write_record(FILE *buf, const struct keystore_audit_record *r, const uint8_t sha256[32])
{
	cJSON *o = NULL;
	char *line;
	int rc;

	if ((rc = record_json(r, sha256, &o)) != 0)
		return rc;
	line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (line == NULL)
		return KBS_ERR_ALLOC;
	rc = fputs(line, buf) < 0 || fputc('\n', buf) == EOF ? KBS_ERR_ALLOC : 0;
	cJSON_free(line);
	return rc;
}

/*
 * Export works in chunks: each chunk is read in one short read transaction
 * into memory and written to out only after the transaction has ended, so
 * a reader that does not keep up (a pipe, a slow client) never holds a
 * transaction open: that would hold up a map resize, and with it every
 * writer, and keep LMDB from reusing pages. The log is append-only, so
 * chunks that follow one another by sequence number read the same records
 * one transaction would (plus any appended meanwhile).
 */
#define KS_EXPORT_CHUNK_RECORDS 64u
#define KS_EXPORT_CHUNK_BYTES (1u << 20)

/* verified_head reads the head and checks its MAC (KBS_ERR_STORE_AUDIT_CHAIN). */
static int
verified_head(struct keystore *ks, MDB_txn *txn, struct keystore_audit_head *ret)
{
	struct ks_head_rec head;
	bool present = false;
	int r;

	if ((r = ks_meta_get_head(ks, txn, &head, &present)) != 0)
		return r;
	if (!present || ks_head_mac_verify(ks->keys, &head) != 0)
		return KBS_ERR_STORE_AUDIT_CHAIN;
	ret->seq = head.seq;
	memcpy(ret->sha256, head.sha256, 32);
	return 0;
}

/*
 * export_chunk formats the records from *next_seq on into buf, up to a
 * chunk or until budget bytes are in buf, and moves *next_seq past the
 * last record read; *ret_done is set when no record is left.
 */
static int
export_chunk(struct keystore *ks, FILE *buf, uint64_t *next_seq, int64_t from_time, size_t budget,
    uint64_t *n, bool *ret_done, struct keystore_audit_head *ret_head)
{
	long pos;
	struct keystore_audit_record rec;
	const char **names = NULL;
	uint8_t kb[8], h[32];
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k = { sizeof(kb), kb }, v;
	uint64_t seq = 0, next = *next_seq, count = *n;
	unsigned read = 0;
	bool done = false;
	int rc, r = KBS_ERR_INTERNAL;

	ks_seq_key(kb, next);
	if ((r = ks_read_begin(ks, &txn)) != 0)
		return r;
	if ((rc = mdb_cursor_open(txn, ks->dbi_audit, &cur)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!ks_seq_from_key(&k, &seq)) {
			r = KBS_ERR_STORE_CORRUPT;
			goto out;
		}
		if ((r = ks_audit_rec_decode(v.mv_data, v.mv_size, &rec, &names)) != 0)
			goto out;
		if (rec.time >= from_time) {
			crypto_hash_sha256(h, v.mv_data, v.mv_size);
			if ((r = write_record(buf, &rec, h)) != 0)
				goto out;
			count++;
		}
		free(names);
		names = NULL;
		if (seq == UINT64_MAX) {
			done = true;
			break;
		}
		next = seq + 1;
		pos = ftell(buf);
		if (++read == KS_EXPORT_CHUNK_RECORDS || pos >= (long)KS_EXPORT_CHUNK_BYTES ||
		    (pos > 0 && (size_t)pos >= budget))
			break;
	}
	/* Stopped at a limit: is anything left? (So no page ends empty.) */
	if (rc == 0 && !done)
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	if (rc == MDB_NOTFOUND)
		done = true;
	else if (rc != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	/* The head in the same transaction as the last records read. */
	if (done && ret_head != NULL && (r = verified_head(ks, txn, ret_head)) != 0)
		goto out;
	if (ferror(buf)) {
		r = KBS_ERR_ALLOC; /* a memory stream fails only when it cannot grow */
		goto out;
	}
	*next_seq = next;
	*n = count;
	*ret_done = done;
	r = 0;
out:
	free(names);
	mdb_cursor_close(cur);
	ks_read_end(ks, txn);
	return r;
}

/*
 * export_run writes the records from from_seq on, chunk by chunk, until
 * none is left or at least max_bytes were written (the record that
 * reaches max_bytes is the page's last); *ret_next is where a
 * further page starts (0 when none is left). The head is the one read with
 * the last chunk, or, for a page that stops early, just after it.
 */
static int
export_run(struct keystore *ks, FILE *out, uint64_t from_seq, int64_t from_time, size_t max_bytes,
    uint64_t *ret_n, uint64_t *ret_next, struct keystore_audit_head *ret_head)
{
	struct keystore_audit_head head;
	FILE *buf = NULL;
	MDB_txn *txn = NULL;
	char *mem = NULL;
	size_t len = 0, written = 0;
	uint64_t next = from_seq, n = 0;
	bool done = false;
	int r = KBS_ERR_INTERNAL;

	if (ks == NULL || out == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	while (!done && written < max_bytes) {
		if ((buf = open_memstream(&mem, &len)) == NULL) {
			r = KBS_ERR_ALLOC;
			goto out;
		}
		r = export_chunk(ks, buf, &next, from_time, max_bytes - written, &n, &done,
		    ret_head != NULL ? &head : NULL);
		if (fclose(buf) != 0 && r == 0)
			r = KBS_ERR_ALLOC;
		buf = NULL;
		if (r != 0)
			goto out;
		if (len > 0 && (fwrite(mem, 1, len, out) != len || ferror(out))) {
			r = KBS_ERR_IO;
			goto out;
		}
		written += len;
		free(mem);
		mem = NULL;
	}
	if (!done && ret_head != NULL) {
		if ((r = ks_read_begin(ks, &txn)) != 0)
			goto out;
		r = verified_head(ks, txn, &head);
		ks_read_end(ks, txn);
		if (r != 0)
			goto out;
	}
	if (fflush(out) != 0 || ferror(out)) {
		r = KBS_ERR_IO;
		goto out;
	}
	if (ret_n != NULL)
		*ret_n = n;
	if (ret_next != NULL)
		*ret_next = done ? 0 : next;
	if (ret_head != NULL)
		*ret_head = head;
	r = 0;
out:
	free(mem);
	return r;
}

int
keystore_audit_export(struct keystore *ks, FILE *out, uint64_t from_seq, int64_t from_time,
    uint64_t *ret_n, struct keystore_audit_head *ret_head)
{
	return export_run(ks, out, from_seq, from_time, SIZE_MAX, ret_n, NULL, ret_head);
}

int
keystore_audit_export_page(struct keystore *ks, FILE *out, uint64_t from_seq, size_t max_bytes,
    uint64_t *ret_next, struct keystore_audit_head *ret_head)
{
	if (max_bytes == 0 || ret_next == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	return export_run(ks, out, from_seq, 0, max_bytes, NULL, ret_next, ret_head);
}
