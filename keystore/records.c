/*
 * records.c: the byte encodings of every value the keystore stores.
 *
 * Format notes (docs/keystore.md has the full tables):
 *   - every value starts with a format byte; each decoder accepts only the
 *     one its layout has (secret, policy and audit records are format 2
 *     since schema 2; the rest format 1), so a newer layout can never be
 *     misread as this one;
 *   - integers are little-endian fixed width; byte strings are a length
 *     (u8, u16 or u32 as stated) followed by the bytes;
 *   - audit strings are stored with their terminating NUL, counted in the
 *     length, and must contain no other NUL, so a decoded record points
 *     into the value bytes without copying;
 *   - nothing may follow the last field (KBS_ERR_STORE_CORRUPT).
 * Limits: names 255 bytes, secrets 64 KiB, policies 1 MiB, certificates
 * 4 MiB, audit rules text 64 KiB, other audit strings 255 bytes, 256 secret
 * names per audit record. Decoding never allocates except the array of
 * secret-name pointers of an audit record (at most 256 entries). Seals and
 * MACs are checked by seal.c, not here.
 * Stored bytes are untrusted (the file can be edited): fuzzed by
 * tests/fuzz/fuzz_keystore_records.c.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kbs_le.h"

/* ---- writer ---------------------------------------------------------- */

static void
w_bytes(struct ks_w *w, const void *src, size_t n)
{
	if (w->p != NULL && n > 0 && n <= w->cap - w->len)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void
w_u8(struct ks_w *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void
w_u16(struct ks_w *w, uint16_t v)
{
	uint8_t b[2];

	kbs_le_put(b, v, sizeof(b));

	w_bytes(w, b, 2);
}

static void
w_u32(struct ks_w *w, uint32_t v)
{
	uint8_t b[4];

	kbs_le_put(b, v, sizeof(b));
	w_bytes(w, b, sizeof(b));
}

static void
w_u64(struct ks_w *w, uint64_t v)
{
	uint8_t b[8];

	kbs_le_put(b, v, sizeof(b));
	w_bytes(w, b, sizeof(b));
}

/* A C string with its NUL, length u32 (audit records). */
static void
w_cstr(struct ks_w *w, const char *s)
{
	size_t n = strlen(s != NULL ? s : "") + 1;

	w_u32(w, (uint32_t)n);
	w_bytes(w, s != NULL ? s : "", n);
}

int
ks_encode_alloc(struct ks_enc e, uint8_t **ret_p, size_t *ret_len)
{
	struct ks_w w = { NULL, 0, 0 };
	uint8_t *p;

	e.run(&w, e.rec);
	if ((p = malloc(w.len > 0 ? w.len : 1)) == NULL)
		return KBS_ERR_ALLOC;
	w.p = p;
	w.cap = w.len;
	w.len = 0;
	e.run(&w, e.rec);
	*ret_p = p;
	*ret_len = w.len;
	return 0;
}

int
ks_put_enc(MDB_txn *txn, MDB_dbi dbi, MDB_cursor *cur, const MDB_val *key, unsigned flags,
    struct ks_enc e, MDB_val *ret_val)
{
	struct ks_w w = { NULL, 0, 0 };
	MDB_val k = *key, v;
	int rc;

	e.run(&w, e.rec);
	v.mv_size = w.len;
	v.mv_data = NULL;
	if (cur != NULL)
		rc = mdb_cursor_put(cur, &k, &v, flags | MDB_RESERVE);
	else
		rc = mdb_put(txn, dbi, &k, &v, flags | MDB_RESERVE);
	if (rc != 0)
		return ks_mdb_err(rc);
	w.p = v.mv_data;
	w.cap = v.mv_size;
	w.len = 0;
	e.run(&w, e.rec);
	if (ret_val != NULL)
		*ret_val = v;
	return 0;
}

/* ---- reader helpers: any cursor failure is a corrupt record --------- */

static int
r_fmt(struct kbs_buf *b, uint8_t want)
{
	uint8_t fmt;

	if (kbs_buf_get_u8(b, &fmt) != 0 || fmt != want)
		return KBS_ERR_STORE_CORRUPT;
	return 0;
}

static int
r_i64(struct kbs_buf *b, int64_t *ret)
{
	uint64_t v;

	if (kbs_buf_get_u64le(b, &v) != 0)
		return KBS_ERR_STORE_CORRUPT;
	*ret = (int64_t)v;
	return 0;
}

/* A name with a u8 length into a NUL-terminated buffer; empty allowed if allow_empty. */
static int
r_name(struct kbs_buf *b, char out[KEYSTORE_NAME_MAX + 1], bool allow_empty)
{
	uint8_t n;
	const uint8_t *p;

	if (kbs_buf_get_u8(b, &n) != 0 || kbs_buf_get_direct(b, n, &p) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if (n == 0 && !allow_empty)
		return KBS_ERR_STORE_CORRUPT;
	if (n > 0 && ks_name_check_bytes(p, n) != 0)
		return KBS_ERR_STORE_CORRUPT;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static int
r_end(const struct kbs_buf *b)
{
	return kbs_buf_expect_end(b) != 0 ? KBS_ERR_STORE_CORRUPT : 0;
}

/* ---- secrets --------------------------------------------------------- */

void
ks_secret_rec_encode(struct ks_w *w, const struct ks_secret_rec *r)
{
	size_t pl = strlen(r->policy);

	w_u8(w, KS_FORMAT_V2);
	w_u32(w, r->version);
	w_bytes(w, r->key_id, KS_KEY_ID_SIZE);
	w_u64(w, (uint64_t)r->created);
	w_u64(w, (uint64_t)r->updated);
	w_u8(w, (uint8_t)pl);
	w_bytes(w, r->policy, pl);
	w_bytes(w, r->write_id, KS_WRITE_ID_SIZE);
	w_bytes(w, r->nonce, KS_SEAL_NONCE);
	w_u32(w, (uint32_t)r->ct_len);
	w_bytes(w, r->ct, r->ct_len);
}

int
ks_secret_rec_decode(const uint8_t *p, size_t len, struct ks_secret_rec *ret)
{
	struct kbs_buf b;
	struct ks_secret_rec r;
	uint32_t ct_len;
	int rc;

	memset(&r, 0, sizeof(r));
	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V2)) != 0)
		return rc;
	if (kbs_buf_get_u32le(&b, &r.version) != 0 || r.version == 0 ||
	    kbs_buf_get_bytes(&b, r.key_id, KS_KEY_ID_SIZE) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((rc = r_i64(&b, &r.created)) != 0 || (rc = r_i64(&b, &r.updated)) != 0)
		return rc;
	if ((rc = r_name(&b, r.policy, true)) != 0)
		return rc;
	if (kbs_buf_get_bytes(&b, r.write_id, KS_WRITE_ID_SIZE) != 0 ||
	    kbs_buf_get_bytes(&b, r.nonce, KS_SEAL_NONCE) != 0 ||
	    kbs_buf_get_u32le(&b, &ct_len) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if (ct_len <= KS_SEAL_TAG || ct_len > KEYSTORE_SECRET_MAX + KS_SEAL_TAG ||
	    kbs_buf_get_direct(&b, ct_len, &r.ct) != 0)
		return KBS_ERR_STORE_CORRUPT;
	r.ct_len = ct_len;
	if ((rc = r_end(&b)) != 0)
		return rc;
	*ret = r;
	return 0;
}

/* ---- policies -------------------------------------------------------- */

void
ks_policy_rec_encode(struct ks_w *w, const struct ks_policy_rec *r)
{
	w_u8(w, KS_FORMAT_V2);
	w_u32(w, r->version);
	w_u64(w, (uint64_t)r->since);
	w_bytes(w, r->sha256, 32);
	w_bytes(w, r->key_id, KS_KEY_ID_SIZE);
	w_bytes(w, r->mac, KS_MAC_SIZE);
	w_u32(w, (uint32_t)r->len);
	w_bytes(w, r->data, r->len);
}

int
ks_policy_rec_decode(const uint8_t *p, size_t len, struct ks_policy_rec *ret)
{
	struct kbs_buf b;
	struct ks_policy_rec r;
	uint8_t h[32];
	uint32_t n;
	int rc;

	memset(&r, 0, sizeof(r));
	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V2)) != 0)
		return rc;
	if (kbs_buf_get_u32le(&b, &r.version) != 0 || r.version == 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((rc = r_i64(&b, &r.since)) != 0)
		return rc;
	if (kbs_buf_get_bytes(&b, r.sha256, 32) != 0 ||
	    kbs_buf_get_bytes(&b, r.key_id, KS_KEY_ID_SIZE) != 0 ||
	    kbs_buf_get_bytes(&b, r.mac, KS_MAC_SIZE) != 0 || kbs_buf_get_u32le(&b, &n) != 0 ||
	    n == 0 || n > KEYSTORE_POLICY_MAX || kbs_buf_get_direct(&b, n, &r.data) != 0)
		return KBS_ERR_STORE_CORRUPT;
	r.len = n;
	if ((rc = r_end(&b)) != 0)
		return rc;
	/* The stored hash is the policy's identity: it must be the bytes' hash. */
	crypto_hash_sha256(h, r.data, r.len);
	if (sodium_memcmp(h, r.sha256, 32) != 0)
		return KBS_ERR_STORE_INTEGRITY;
	*ret = r;
	return 0;
}

/* ---- admin tokens ------------------------------------------------------ */

void
ks_token_rec_encode(struct ks_w *w, const struct ks_token_rec *r)
{
	w_u8(w, KS_FORMAT_V1);
	w_u8(w, r->role);
	w_bytes(w, r->sha256, 32);
	w_u64(w, (uint64_t)r->created);
	w_u64(w, (uint64_t)r->revoked);
	w_bytes(w, r->key_id, KS_KEY_ID_SIZE);
	w_bytes(w, r->mac, KS_MAC_SIZE);
}

int
ks_token_rec_decode(const uint8_t *p, size_t len, struct ks_token_rec *ret)
{
	struct kbs_buf b;
	struct ks_token_rec r;
	int rc;

	memset(&r, 0, sizeof(r));
	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V1)) != 0)
		return rc;
	if (kbs_buf_get_u8(&b, &r.role) != 0 ||
	    (r.role != KEYSTORE_ROLE_ADMIN && r.role != KEYSTORE_ROLE_AUDITOR) ||
	    kbs_buf_get_bytes(&b, r.sha256, 32) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((rc = r_i64(&b, &r.created)) != 0 || (rc = r_i64(&b, &r.revoked)) != 0)
		return rc;
	if (r.created < 0 || r.revoked < 0 ||
	    kbs_buf_get_bytes(&b, r.key_id, KS_KEY_ID_SIZE) != 0 ||
	    kbs_buf_get_bytes(&b, r.mac, KS_MAC_SIZE) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((rc = r_end(&b)) != 0)
		return rc;
	*ret = r;
	return 0;
}

/* ---- audit index ------------------------------------------------------- */

void
ks_index_rec_encode(struct ks_w *w, const struct ks_index_rec *r)
{
	w_u8(w, KS_FORMAT_V1);
	w_u64(w, r->seq);
}

int
ks_index_rec_decode(const uint8_t *p, size_t len, struct ks_index_rec *ret)
{
	struct kbs_buf b;
	struct ks_index_rec r;
	int rc;

	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V1)) != 0)
		return rc;
	if (kbs_buf_get_u64le(&b, &r.seq) != 0 || r.seq == 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((rc = r_end(&b)) != 0)
		return rc;
	*ret = r;
	return 0;
}

/* ---- certificate cache ----------------------------------------------- */

void
ks_cert_rec_encode(struct ks_w *w, const struct ks_cert_rec *r)
{
	w_u8(w, KS_FORMAT_V1);
	w_u64(w, (uint64_t)r->fetched);
	w_u32(w, (uint32_t)r->len);
	w_bytes(w, r->data, r->len);
}

int
ks_cert_rec_decode(const uint8_t *p, size_t len, struct ks_cert_rec *ret)
{
	struct kbs_buf b;
	struct ks_cert_rec r;
	uint32_t n;
	int rc;

	memset(&r, 0, sizeof(r));
	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V1)) != 0 || (rc = r_i64(&b, &r.fetched)) != 0)
		return rc != 0 ? rc : KBS_ERR_STORE_CORRUPT;
	if (kbs_buf_get_u32le(&b, &n) != 0 || n == 0 || n > KEYSTORE_CERT_MAX ||
	    kbs_buf_get_direct(&b, n, &r.data) != 0)
		return KBS_ERR_STORE_CORRUPT;
	r.len = n;
	if ((rc = r_end(&b)) != 0)
		return rc;
	*ret = r;
	return 0;
}

/* ---- nonces ---------------------------------------------------------- */

void
ks_nonce_rec_encode(struct ks_w *w, int64_t expires)
{
	w_u8(w, KS_FORMAT_V1);
	w_u64(w, (uint64_t)expires);
}

int
ks_nonce_rec_decode(const uint8_t *p, size_t len, int64_t *ret_expires)
{
	struct kbs_buf b;
	int64_t e;
	int rc;

	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V1)) != 0 || (rc = r_i64(&b, &e)) != 0 ||
	    (rc = r_end(&b)) != 0)
		return rc;
	if (e < 0)
		return KBS_ERR_STORE_CORRUPT;
	*ret_expires = e;
	return 0;
}

/* ---- meta: audit head and key check value ----------------------------- */

void
ks_head_rec_encode(struct ks_w *w, const struct ks_head_rec *r)
{
	w_u8(w, KS_FORMAT_V1);
	w_u64(w, r->seq);
	w_bytes(w, r->sha256, 32);
	w_bytes(w, r->mac, 32);
}

int
ks_head_rec_decode(const uint8_t *p, size_t len, struct ks_head_rec *ret)
{
	struct kbs_buf b;
	struct ks_head_rec r;
	int rc;

	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V1)) != 0)
		return rc;
	if (kbs_buf_get_u64le(&b, &r.seq) != 0 || kbs_buf_get_bytes(&b, r.sha256, 32) != 0 ||
	    kbs_buf_get_bytes(&b, r.mac, 32) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((rc = r_end(&b)) != 0)
		return rc;
	*ret = r;
	return 0;
}

void
ks_check_rec_encode(struct ks_w *w, const struct ks_check_rec *r)
{
	w_u8(w, KS_FORMAT_V1);
	w_bytes(w, r->key_id, KS_KEY_ID_SIZE);
	w_bytes(w, r->nonce, KS_SEAL_NONCE);
	w_bytes(w, r->ct, sizeof(r->ct));
}

int
ks_check_rec_decode(const uint8_t *p, size_t len, struct ks_check_rec *ret)
{
	struct kbs_buf b;
	struct ks_check_rec r;
	int rc;

	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V1)) != 0)
		return rc;
	if (kbs_buf_get_bytes(&b, r.key_id, KS_KEY_ID_SIZE) != 0 ||
	    kbs_buf_get_bytes(&b, r.nonce, KS_SEAL_NONCE) != 0 ||
	    kbs_buf_get_bytes(&b, r.ct, sizeof(r.ct)) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if ((rc = r_end(&b)) != 0)
		return rc;
	*ret = r;
	return 0;
}

/* ---- audit records ----------------------------------------------------- */

#define KS_AUDIT_FLAGS_KNOWN \
	(KEYSTORE_AUDIT_HAS_POLICY_HASH | KEYSTORE_AUDIT_HAS_MEASUREMENT | \
	    KEYSTORE_AUDIT_HAS_CHIP_ID | KEYSTORE_AUDIT_HAS_TCB | KEYSTORE_AUDIT_HAS_OBJECT)

static int
check_field(const char *s, size_t max)
{
	if (s != NULL && strnlen(s, max + 1) > max)
		return KBS_ERR_TOO_LARGE;
	return 0;
}

static bool
kind_ok(unsigned kind)
{
	return kind == KEYSTORE_OBJECT_SECRET || kind == KEYSTORE_OBJECT_POLICY ||
	    kind == KEYSTORE_OBJECT_TOKEN;
}

/* An object names a kind and a name; a removal carries no digest. */
static int
check_object(const struct keystore_audit_object *o)
{
	if (!kind_ok(o->kind) || ks_name_check(o->name, NULL) != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if (o->removed && !sodium_is_zero(o->record_sha256, 32))
		return KBS_ERR_INVALID_ARGUMENT;
	return 0;
}

int
ks_audit_rec_check(const struct keystore_audit_record *r)
{
	size_t i;
	int rc;

	if (r == NULL || (r->flags & ~(uint32_t)KS_AUDIT_FLAGS_KNOWN) != 0 || r->time < 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if (r->n_secret_names > 0 && r->secret_names == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (r->n_secret_names > KEYSTORE_AUDIT_NAMES_MAX)
		return KBS_ERR_TOO_LARGE;
	if ((r->flags & KEYSTORE_AUDIT_HAS_OBJECT) && (rc = check_object(&r->object)) != 0)
		return rc;
	if ((rc = check_field(r->event, KEYSTORE_AUDIT_FIELD_MAX)) != 0 ||
	    (rc = check_field(r->request_id, KEYSTORE_AUDIT_FIELD_MAX)) != 0 ||
	    (rc = check_field(r->decision, KEYSTORE_AUDIT_FIELD_MAX)) != 0 ||
	    (rc = check_field(r->rules, KEYSTORE_AUDIT_TEXT_MAX)) != 0 ||
	    (rc = check_field(r->policy_name, KEYSTORE_AUDIT_FIELD_MAX)) != 0 ||
	    (rc = check_field(r->client_addr, KEYSTORE_AUDIT_FIELD_MAX)) != 0 ||
	    (rc = check_field(r->actor, KEYSTORE_AUDIT_FIELD_MAX)) != 0)
		return rc;
	for (i = 0; i < r->n_secret_names; i++) {
		if (r->secret_names[i] == NULL)
			return KBS_ERR_INVALID_ARGUMENT;
		if ((rc = check_field(r->secret_names[i], KEYSTORE_AUDIT_FIELD_MAX)) != 0)
			return rc;
	}
	return 0;
}

void
ks_audit_rec_encode(struct ks_w *w, const struct keystore_audit_record *r)
{
	size_t i;

	w_u8(w, KS_FORMAT_V2);
	w_u64(w, r->seq);
	w_u64(w, (uint64_t)r->time);
	w_bytes(w, r->prev_sha256, 32);
	w_u32(w, r->flags);
	if (r->flags & KEYSTORE_AUDIT_HAS_POLICY_HASH)
		w_bytes(w, r->policy_sha256, 32);
	if (r->flags & KEYSTORE_AUDIT_HAS_MEASUREMENT)
		w_bytes(w, r->measurement, 48);
	if (r->flags & KEYSTORE_AUDIT_HAS_CHIP_ID)
		w_bytes(w, r->chip_id, 64);
	if (r->flags & KEYSTORE_AUDIT_HAS_TCB)
		w_u64(w, r->tcb);
	if (r->flags & KEYSTORE_AUDIT_HAS_OBJECT) {
		w_u8(w, (uint8_t)r->object.kind);
		w_u8(w, r->object.removed ? 1 : 0);
		w_u32(w, r->object.version);
		w_bytes(w, r->object.record_sha256, 32);
	}
	w_cstr(w, r->event);
	w_cstr(w, r->request_id);
	w_cstr(w, r->decision);
	w_cstr(w, r->rules);
	w_cstr(w, r->policy_name);
	w_cstr(w, r->client_addr);
	w_cstr(w, r->actor);
	if (r->flags & KEYSTORE_AUDIT_HAS_OBJECT)
		w_cstr(w, r->object.name);
	w_u16(w, (uint16_t)r->n_secret_names);
	for (i = 0; i < r->n_secret_names; i++)
		w_cstr(w, r->secret_names[i]);
}

/* A stored C string: length with NUL, max bytes before the NUL, no inner NUL. */
static int
r_cstr(struct kbs_buf *b, size_t max, const char **ret)
{
	uint32_t n;
	const uint8_t *p;

	if (kbs_buf_get_u32le(b, &n) != 0 || n == 0 || n - 1 > max ||
	    kbs_buf_get_direct(b, n, &p) != 0)
		return KBS_ERR_STORE_CORRUPT;
	if (p[n - 1] != 0 || memchr(p, 0, n - 1) != NULL)
		return KBS_ERR_STORE_CORRUPT;
	*ret = (const char *)p;
	return 0;
}

/* r_object reads the fixed part of an object (its name comes after the strings). */
static int
r_object(struct kbs_buf *b, struct keystore_audit_object *o)
{
	uint8_t kind, removed;

	if (kbs_buf_get_u8(b, &kind) != 0 || !kind_ok(kind) || kbs_buf_get_u8(b, &removed) != 0 ||
	    removed > 1 || kbs_buf_get_u32le(b, &o->version) != 0 ||
	    kbs_buf_get_bytes(b, o->record_sha256, 32) != 0)
		return KBS_ERR_STORE_CORRUPT;
	o->kind = (enum keystore_object_kind)kind;
	o->removed = removed == 1;
	if (o->removed && !sodium_is_zero(o->record_sha256, 32))
		return KBS_ERR_STORE_CORRUPT;
	return 0;
}

int
ks_audit_rec_decode(
    const uint8_t *p, size_t len, struct keystore_audit_record *ret, const char ***ret_names)
{
	struct kbs_buf b;
	struct keystore_audit_record r;
	const char **names = NULL;
	uint64_t t;
	uint16_t n;
	size_t i;
	int rc = KBS_ERR_STORE_CORRUPT;

	memset(&r, 0, sizeof(r));
	kbs_buf_init(&b, p, len);
	if ((rc = r_fmt(&b, KS_FORMAT_V2)) != 0)
		goto out;
	rc = KBS_ERR_STORE_CORRUPT;
	if (kbs_buf_get_u64le(&b, &r.seq) != 0 || r.seq == 0 || kbs_buf_get_u64le(&b, &t) != 0 ||
	    (int64_t)t < 0 || kbs_buf_get_bytes(&b, r.prev_sha256, 32) != 0 ||
	    kbs_buf_get_u32le(&b, &r.flags) != 0 ||
	    (r.flags & ~(uint32_t)KS_AUDIT_FLAGS_KNOWN) != 0)
		goto out;
	r.time = (int64_t)t;
	if ((r.flags & KEYSTORE_AUDIT_HAS_POLICY_HASH) &&
	    kbs_buf_get_bytes(&b, r.policy_sha256, 32) != 0)
		goto out;
	if ((r.flags & KEYSTORE_AUDIT_HAS_MEASUREMENT) &&
	    kbs_buf_get_bytes(&b, r.measurement, 48) != 0)
		goto out;
	if ((r.flags & KEYSTORE_AUDIT_HAS_CHIP_ID) && kbs_buf_get_bytes(&b, r.chip_id, 64) != 0)
		goto out;
	if ((r.flags & KEYSTORE_AUDIT_HAS_TCB) && kbs_buf_get_u64le(&b, &r.tcb) != 0)
		goto out;
	if ((r.flags & KEYSTORE_AUDIT_HAS_OBJECT) && (rc = r_object(&b, &r.object)) != 0)
		goto out;
	if ((rc = r_cstr(&b, KEYSTORE_AUDIT_FIELD_MAX, &r.event)) != 0 ||
	    (rc = r_cstr(&b, KEYSTORE_AUDIT_FIELD_MAX, &r.request_id)) != 0 ||
	    (rc = r_cstr(&b, KEYSTORE_AUDIT_FIELD_MAX, &r.decision)) != 0 ||
	    (rc = r_cstr(&b, KEYSTORE_AUDIT_TEXT_MAX, &r.rules)) != 0 ||
	    (rc = r_cstr(&b, KEYSTORE_AUDIT_FIELD_MAX, &r.policy_name)) != 0 ||
	    (rc = r_cstr(&b, KEYSTORE_AUDIT_FIELD_MAX, &r.client_addr)) != 0 ||
	    (rc = r_cstr(&b, KEYSTORE_AUDIT_FIELD_MAX, &r.actor)) != 0)
		goto out;
	if (r.flags & KEYSTORE_AUDIT_HAS_OBJECT) {
		if ((rc = r_cstr(&b, KEYSTORE_NAME_MAX, &r.object.name)) != 0)
			goto out;
		rc = KBS_ERR_STORE_CORRUPT;
		if (ks_name_check(r.object.name, NULL) != 0)
			goto out;
	}
	rc = KBS_ERR_STORE_CORRUPT;
	if (kbs_buf_get_u16le(&b, &n) != 0 || n > KEYSTORE_AUDIT_NAMES_MAX)
		goto out;
	/* Each name takes at least 5 bytes: refuse counts the bytes cannot hold. */
	if ((size_t)n * 5 > kbs_buf_remaining(&b))
		goto out;
	if ((names = calloc(n > 0 ? n : 1, sizeof(*names))) == NULL) {
		rc = KBS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = r_cstr(&b, KEYSTORE_AUDIT_FIELD_MAX, &names[i])) != 0)
			goto out;
	}
	if ((rc = r_end(&b)) != 0)
		goto out;
	r.secret_names = names;
	r.n_secret_names = n;
	*ret = r;
	*ret_names = names;
	names = NULL;
	rc = 0;
out:
	free(names);
	return rc;
}

/* ---- typed encodings: each thunk converts back to the one type it takes -- */

static void
run_secret(struct ks_w *w, const void *rec)
{
	ks_secret_rec_encode(w, rec);
}

static void
run_policy(struct ks_w *w, const void *rec)
{
	ks_policy_rec_encode(w, rec);
}

static void
run_token(struct ks_w *w, const void *rec)
{
	ks_token_rec_encode(w, rec);
}

static void
run_index(struct ks_w *w, const void *rec)
{
	ks_index_rec_encode(w, rec);
}

static void
run_cert(struct ks_w *w, const void *rec)
{
	ks_cert_rec_encode(w, rec);
}

static void
run_head(struct ks_w *w, const void *rec)
{
	ks_head_rec_encode(w, rec);
}

static void
run_check(struct ks_w *w, const void *rec)
{
	ks_check_rec_encode(w, rec);
}

static void
run_audit(struct ks_w *w, const void *rec)
{
	ks_audit_rec_encode(w, rec);
}

struct ks_enc
ks_enc_secret(const struct ks_secret_rec *r)
{
	struct ks_enc e = { run_secret, r };

	return e;
}

struct ks_enc
ks_enc_policy(const struct ks_policy_rec *r)
{
	struct ks_enc e = { run_policy, r };

	return e;
}

struct ks_enc
ks_enc_token(const struct ks_token_rec *r)
{
	struct ks_enc e = { run_token, r };

	return e;
}

struct ks_enc
ks_enc_index(const struct ks_index_rec *r)
{
	struct ks_enc e = { run_index, r };

	return e;
}

struct ks_enc
ks_enc_cert(const struct ks_cert_rec *r)
{
	struct ks_enc e = { run_cert, r };

	return e;
}

struct ks_enc
ks_enc_head(const struct ks_head_rec *r)
{
	struct ks_enc e = { run_head, r };

	return e;
}

struct ks_enc
ks_enc_check(const struct ks_check_rec *r)
{
	struct ks_enc e = { run_check, r };

	return e;
}

struct ks_enc
ks_enc_audit(const struct keystore_audit_record *r)
{
	struct ks_enc e = { run_audit, r };

	return e;
}
