/*
 * keystore.h: the public header of keystore/, everything the broker must
 * not lose, in one LMDB environment (docs/keystore.md has the formats).
 *
 *   secrets   name -> sealed value (XChaCha20-Poly1305 under a key derived
 *             from the master key; the name, version and bound policy name
 *             are the associated data), a version and a bound policy name;
 *   policies  every version of every policy, with its SHA-256 and the time
 *             it became current;
 *   nonces    consumed attestation nonces until they expire;
 *   audit     append-only records, each carrying the SHA-256 of the
 *             previous record's bytes; the head is MACed under the master
 *             key so even the newest record cannot be dropped unnoticed;
 *   certs     a cache of VCEKs and CRLs fetched from AMD KDS.
 *
 * Writes are durable when they return 0: concurrent writers are batched
 * into one LMDB transaction and one fsync by a committer thread (group
 * commit). Reads never block writes. Every function is thread-safe except
 * keystore_open and keystore_close. Errors are KBS_ERR_* codes; functions
 * that can fail are KBS_MUST_CHECK; destructors accept NULL.
 */
#ifndef KEYSTORE_H
#define KEYSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kbs_common.h"

struct keystore;

/* ---- Opening ------------------------------------------------------- */

enum keystore_key_kind {
	KEYSTORE_KEY_FILE = 1,       /* name is a path */
	KEYSTORE_KEY_CREDENTIAL = 2, /* name is a file in $CREDENTIALS_DIRECTORY */
};

/*
 * Where the 32-byte master key comes from. The file holds the 32 raw bytes,
 * or 64 hex digits with an optional final newline. It must be a regular
 * file owned by our user or root and readable by its owner only; a POSIX
 * ACL may add read access for our own user (systemd credentials do), no
 * one else (KBS_ERR_STORE_KEY_PERMS otherwise).
 */
struct keystore_key_source {
	enum keystore_key_kind kind;
	const char *name;
};

/* Flags for keystore_options.flags. The first two exist for the benchmark. */
#define KEYSTORE_NO_GROUP_COMMIT (1u << 0) /* each write commits alone */
#define KEYSTORE_NO_SYNC (1u << 1)         /* MDB_NOSYNC: NOT durable */

#define KEYSTORE_DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define KEYSTORE_MAX_MAP_SIZE ((size_t)1 << 40)

struct keystore_options {
	size_t initial_map_size; /* 0: KEYSTORE_DEFAULT_MAP_SIZE; grows on demand */
	size_t max_map_size;     /* 0: KEYSTORE_MAX_MAP_SIZE; past it writes get STORE_FULL */
	unsigned flags;
};

/*
 * keystore_open opens (creating if needed, mode 0700) the environment in
 * dir with the master key from src; opts may be NULL for the defaults.
 * A new store records the schema version and a check value of the key.
 * Returns 0 and *ret_ks, or:
 *   KBS_ERR_STORE_DIR_OWNER   dir, data.mdb or lock.mdb is owned by another uid
 *                             (dir not a directory, or a file not regular: STORE_OPEN)
 *   KBS_ERR_STORE_DIR_PERMS   dir is writable by group or others, or data.mdb or
 *                             lock.mdb has any group or other permission
 *   KBS_ERR_STORE_KEY_PERMS   key file readable by group, others or another user (ACL),
 *                             owned by another user than ours or root, or not a regular file
 *   KBS_ERR_STORE_KEY_FORMAT  key file is not 32 bytes or 64 hex digits
 *   KBS_ERR_NOT_FOUND         credential requested but $CREDENTIALS_DIRECTORY unset
 *   KBS_ERR_SYSTEM            key file cannot be opened (errno kept)
 *   KBS_ERR_STORE_SCHEMA      written by a newer schema
 *   KBS_ERR_STORE_MASTER_KEY  the key is not the one the store was created with
 *   KBS_ERR_STORE_OPEN_TWICE  this process has the store open already (by any
 *                             path); LMDB allows one handle per process
 *   KBS_ERR_STORE_CORRUPT     data.mdb is shorter than its last used page (a
 *                             copy cut short), or LMDB found it damaged
 *   KBS_ERR_STORE_OPEN        LMDB refused the files otherwise
 *   KBS_ERR_INVALID_ARGUMENT  a NULL argument or an unknown option flag
 */
KBS_MUST_CHECK int keystore_open(const char *dir, const struct keystore_key_source *src,
    const struct keystore_options *opts, struct keystore **ret_ks);

/*
 * keystore_close stops the committer, closes LMDB and wipes the key. NULL is
 * fine. Call it only once every other call on ks has returned (join the
 * request threads first): writes already queued are committed and answered,
 * but a thread still inside a keystore call would touch freed memory.
 */
void keystore_close(struct keystore *ks);

/* keystore_map_size reports the current map size (it grows on demand). */
size_t keystore_map_size(struct keystore *ks);

/* ---- Secrets ------------------------------------------------------- */

#define KEYSTORE_NAME_MAX 255           /* secret and policy names */
#define KEYSTORE_SECRET_MAX (64u << 10) /* value bytes */

/*
 * Names are 1..255 bytes of [A-Za-z0-9._:/@+-] (they appear in URLs,
 * policies and audit records); anything else is KBS_ERR_INVALID_ARGUMENT.
 */

struct keystore_secret_info {
	char name[KEYSTORE_NAME_MAX + 1];
	char policy[KEYSTORE_NAME_MAX + 1]; /* bound policy name; "" for none */
	uint32_t version;                   /* 1 for the first put, +1 each put */
	int64_t created;
	int64_t updated;
};

/* A secret read back; value is plaintext: free with keystore_secret_free (wipes). */
struct keystore_secret {
	struct keystore_secret_info info;
	uint8_t *value;
	size_t value_len;
};

/*
 * keystore_secret_put stores value (1..KEYSTORE_SECRET_MAX bytes) under
 * name bound to policy (NULL or "" for none), creating version 1 or the
 * next version; *ret_version (may be NULL) receives it. Durable on return.
 * KBS_ERR_INVALID_ARGUMENT, KBS_ERR_TOO_LARGE, KBS_ERR_STORE_FULL;
 * KBS_ERR_STORE_MASTER_KEY if another process has rotated the store's key
 * since this one opened it (nothing is written).
 */
KBS_MUST_CHECK int keystore_secret_put(struct keystore *ks, const char *name, const uint8_t *value,
    size_t value_len, const char *policy, uint32_t *ret_version);

/*
 * keystore_secret_get opens the secret; the caller frees *ret_secret with
 * keystore_secret_free. KBS_ERR_NOT_FOUND; KBS_ERR_STORE_INTEGRITY when the
 * sealed bytes were altered, or moved to another name, version or bound
 * policy (never garbage); KBS_ERR_STORE_MASTER_KEY when the record names
 * another key; KBS_ERR_STORE_CORRUPT for a malformed record.
 */
KBS_MUST_CHECK int keystore_secret_get(
    struct keystore *ks, const char *name, struct keystore_secret **ret_secret);

void keystore_secret_free(struct keystore_secret *s);

/* keystore_secret_delete removes name. KBS_ERR_NOT_FOUND if absent. */
KBS_MUST_CHECK int keystore_secret_delete(struct keystore *ks, const char *name);

/*
 * keystore_secret_list returns the metadata (never values) of every secret
 * in name order as a malloc'd array; free it with free(). *ret_n may be 0.
 */
KBS_MUST_CHECK int keystore_secret_list(
    struct keystore *ks, struct keystore_secret_info **ret_items, size_t *ret_n);

/* One item of a bulk import. */
struct keystore_secret_in {
	const char *name;
	const uint8_t *value;
	size_t value_len;
	const char *policy;
};

/*
 * keystore_secret_import puts n secrets in one transaction (all or none):
 * for pushing a bundle and for filling the benchmark. Same errors as put;
 * KBS_ERR_TOO_LARGE if one transaction cannot hold them all (LMDB's dirty
 * page limit, about 500 MiB: split bigger imports).
 */
KBS_MUST_CHECK int keystore_secret_import(
    struct keystore *ks, const struct keystore_secret_in *items, size_t n);

/*
 * keystore_rotate re-seals every secret under the master key from new_src
 * in one transaction and makes it the store's key (check value, key id,
 * audit head MAC). Readers wait for the swap. Key source errors as in
 * keystore_open; KBS_ERR_STORE_INTEGRITY if a secret fails to open (nothing
 * is changed then).
 */
KBS_MUST_CHECK int keystore_rotate(struct keystore *ks, const struct keystore_key_source *new_src);

/* ---- Policies ------------------------------------------------------ */

#define KEYSTORE_POLICY_MAX (1u << 20)

struct keystore_policy_info {
	uint32_t version;
	uint8_t sha256[32];
	int64_t since; /* when this version became current */
};

struct keystore_policy {
	struct keystore_policy_info info;
	uint8_t *data; /* the policy file's bytes, NUL one past len */
	size_t len;
};

/*
 * keystore_policy_put makes bytes the current version of name (1..1 MiB).
 * If they equal the current version's bytes nothing is written and that
 * version is returned. *ret_version may be NULL.
 */
KBS_MUST_CHECK int keystore_policy_put(
    struct keystore *ks, const char *name, const uint8_t *data, size_t len, uint32_t *ret_version);

/*
 * keystore_policy_get returns the current version (free with
 * keystore_policy_free). KBS_ERR_NOT_FOUND; KBS_ERR_STORE_INTEGRITY when
 * the stored bytes do not match their stored SHA-256; KBS_ERR_STORE_CORRUPT.
 */
KBS_MUST_CHECK int keystore_policy_get(
    struct keystore *ks, const char *name, struct keystore_policy **ret_policy);

/* keystore_policy_get_version returns one version. Errors as keystore_policy_get. */
KBS_MUST_CHECK int keystore_policy_get_version(
    struct keystore *ks, const char *name, uint32_t version, struct keystore_policy **ret_policy);

void keystore_policy_free(struct keystore_policy *p);

/*
 * keystore_policy_history returns every version, oldest first, as a
 * malloc'd array (free()). KBS_ERR_NOT_FOUND if the name has none.
 */
KBS_MUST_CHECK int keystore_policy_history(
    struct keystore *ks, const char *name, struct keystore_policy_info **ret_items, size_t *ret_n);

/* ---- Nonces -------------------------------------------------------- */

#define KEYSTORE_NONCE_SIZE 32

/*
 * keystore_nonce_consume records nonce as used until expires (Unix
 * seconds). KBS_ERR_STORE_NONCE_REUSED if it was consumed before; the
 * other writes batched with it are not affected.
 */
KBS_MUST_CHECK int keystore_nonce_consume(
    struct keystore *ks, const uint8_t nonce[KEYSTORE_NONCE_SIZE], int64_t expires);

/* keystore_nonce_purge drops nonces that expired before now; *ret_n may be NULL. */
KBS_MUST_CHECK int keystore_nonce_purge(struct keystore *ks, int64_t now, size_t *ret_n);

/* ---- Audit --------------------------------------------------------- */

#define KEYSTORE_AUDIT_HAS_POLICY_HASH (1u << 0)
#define KEYSTORE_AUDIT_HAS_MEASUREMENT (1u << 1)
#define KEYSTORE_AUDIT_HAS_CHIP_ID (1u << 2)
#define KEYSTORE_AUDIT_HAS_TCB (1u << 3)

#define KEYSTORE_AUDIT_TEXT_MAX (64u << 10) /* rules text */
#define KEYSTORE_AUDIT_FIELD_MAX 255        /* every other string */
#define KEYSTORE_AUDIT_NAMES_MAX 256        /* secret names per record */

/*
 * One audit record. Strings are NUL-terminated (NULL reads as ""); never
 * put secret values here. seq and prev_sha256 are assigned by append;
 * time too when 0.
 */
struct keystore_audit_record {
	uint64_t seq;
	int64_t time;
	const char *event; /* "attest", "secret_put", ... */
	const char *request_id;
	const char *decision; /* "allow", "deny", ... */
	const char *rules;    /* per-rule results, as text */
	const char *policy_name;
	const char *client_addr;
	uint32_t flags; /* KEYSTORE_AUDIT_HAS_* */
	uint8_t policy_sha256[32];
	uint8_t measurement[48];
	uint8_t chip_id[64];
	uint64_t tcb;
	const char *const *secret_names;
	size_t n_secret_names;
	uint8_t prev_sha256[32];
};

/* A record read back: rec points into memory owned by the entry. */
struct keystore_audit_entry {
	struct keystore_audit_record rec;
	uint8_t sha256[32]; /* of this record's stored bytes */
};

/*
 * keystore_audit_append stores rec durably and returns its sequence
 * number (from 1) in *ret_seq (may be NULL). KBS_ERR_INVALID_ARGUMENT for
 * unknown flags or NULL names, KBS_ERR_TOO_LARGE for oversized fields,
 * KBS_ERR_STORE_AUDIT_CHAIN if the stored head and records disagree (the
 * log was tampered with: nothing is appended), KBS_ERR_STORE_FULL,
 * KBS_ERR_STORE_MASTER_KEY as for keystore_secret_put.
 */
KBS_MUST_CHECK int keystore_audit_append(
    struct keystore *ks, const struct keystore_audit_record *rec, uint64_t *ret_seq);

/* keystore_audit_get reads one record. KBS_ERR_NOT_FOUND, KBS_ERR_STORE_CORRUPT. */
KBS_MUST_CHECK int keystore_audit_get(
    struct keystore *ks, uint64_t seq, struct keystore_audit_entry **ret_entry);

void keystore_audit_entry_free(struct keystore_audit_entry *e);

/*
 * keystore_audit_verify walks the whole chain: sequence numbers from 1
 * without gaps, each record's own seq, each record's prev_sha256, and the
 * MACed head. Returns 0 with *ret_count records, or KBS_ERR_STORE_AUDIT_CHAIN
 * with *ret_bad_seq naming the first bad (or missing) sequence number; an
 * exception to "ret_* only on success", since that number is the answer.
 * Either pointer may be NULL.
 */
KBS_MUST_CHECK int keystore_audit_verify(
    struct keystore *ks, uint64_t *ret_count, uint64_t *ret_bad_seq);

/*
 * keystore_audit_export writes one JSON object per line to out for every
 * record with seq >= from_seq and time >= from_time (pass 0 for either).
 * *ret_n (may be NULL) receives the count. Records are read 64 at a time,
 * each chunk in its own short read transaction, and written after it ends.
 * KBS_ERR_IO when writing fails, KBS_ERR_STORE_CORRUPT for a record that
 * does not decode, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int keystore_audit_export(
    struct keystore *ks, FILE *out, uint64_t from_seq, int64_t from_time, uint64_t *ret_n);

/* ---- Certificate cache --------------------------------------------- */

#define KEYSTORE_CERT_KEY_MAX 511 /* LMDB's key size limit */
#define KEYSTORE_CERT_MAX (4u << 20)

/* keystore_cert_put caches data (1 byte..4 MiB) under key (any bytes but NUL, 1..511). */
KBS_MUST_CHECK int keystore_cert_put(
    struct keystore *ks, const char *key, const uint8_t *data, size_t len, int64_t fetched);

/* keystore_cert_get returns a malloc'd copy (free()). KBS_ERR_NOT_FOUND. */
KBS_MUST_CHECK int keystore_cert_get(struct keystore *ks, const char *key, uint8_t **ret_data,
    size_t *ret_len, int64_t *ret_fetched);

/* ---- Backup -------------------------------------------------------- */

/*
 * keystore_backup writes a compacted, consistent copy of the running store
 * into dest_dir (created 0700; it must not exist or be empty), without
 * stopping writers. The copy becomes dest_dir/data.mdb only once it is on
 * disk whole (written as data.mdb.partial, fsynced, renamed, directory
 * fsynced). Restore: docs/keystore.md. KBS_ERR_EXISTS if dest_dir holds
 * files, KBS_ERR_SYSTEM / KBS_ERR_STORE_FULL on write errors (no
 * data.mdb is left then).
 */
KBS_MUST_CHECK int keystore_backup(struct keystore *ks, const char *dest_dir);

#endif
