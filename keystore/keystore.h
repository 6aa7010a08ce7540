/*
 * keystore.h: the public header of keystore/, everything the broker must
 * not lose, in one LMDB environment (docs/keystore.md has the formats and
 * what each protection covers and what it does not).
 *
 *   secrets   name -> sealed value (XChaCha20-Poly1305 under a key derived
 *             from the master key; the name, version, bound policy name
 *             and a per-write id are the associated data), a version and
 *             a bound policy name;
 *   policies  every version of every policy, with its SHA-256 and the time
 *             it became current, MACed under a key derived from the master
 *             key (name, version, time, hash);
 *   tokens    admin API tokens (id, role, SHA-256 of the bearer value,
 *             created, revoked), MACed the same way;
 *   nonces    consumed attestation nonces until they expire;
 *   audit     append-only records, each carrying the SHA-256 of the
 *             previous record's bytes; the head (written for the empty
 *             chain when the store is made) is MACed under the master key
 *             so even the newest record cannot be dropped unnoticed. Every
 *             change of a secret, policy or token writes its record in the
 *             same transaction as the change, naming the object, its
 *             version and a digest of the record it left current, which
 *             keystore_verify_state checks the current records against;
 *   certs     a cache of VCEKs and CRLs fetched from AMD KDS.
 *
 * Writes are durable when they return 0: concurrent writers are batched
 * into one LMDB transaction and one fsync by a committer thread (group
 * commit); a writer that meets no other commits on its own thread. Reads never block writes. Every
 * function is thread-safe except keystore_open and keystore_close. Errors are KBS_ERR_* codes;
 * functions that can fail are KBS_MUST_CHECK; destructors accept NULL.
 */
#ifndef KEYSTORE_H
#define KEYSTORE_H

#include <stdbool.h>
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
	/*
	 * on_commit, if not NULL, is called after each write transaction has
	 * been committed and its writers answered, with the number of writes
	 * it carried (the group-commit batch size, for metrics). It runs on
	 * the committing thread (the committer or a lone writer), so calls
	 * may overlap and arrive out of commit order: it must be thread-safe,
	 * quick, and must not call into the keystore.
	 */
	void (*on_commit)(void *ctx, size_t writes);
	void *on_commit_ctx;
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

#define KEYSTORE_NAME_MAX 255 /* secret, policy and token names */

/*
 * Names are 1..255 bytes of [A-Za-z0-9._:/@+-] (they appear in URLs,
 * policies and audit records); anything else is KBS_ERR_INVALID_ARGUMENT.
 */

/* ---- Who asks for a change ------------------------------------------ */

/*
 * Every call that changes a secret, a policy or a token appends the audit
 * record of that change in the same transaction as the change itself, so
 * after a crash there is both or neither. The actor says who asked, for
 * that record; it comes after the change's inputs, before its outputs.
 */
struct keystore_actor {
	const char *token_id;    /* an admin token's id, or a KEYSTORE_ACTOR_*: a name */
	const char *request_id;  /* NULL or up to KEYSTORE_AUDIT_FIELD_MAX bytes */
	const char *client_addr; /* NULL or up to KEYSTORE_AUDIT_FIELD_MAX bytes */
};

#define KEYSTORE_ACTOR_BOOTSTRAP "bootstrap" /* the broker's first-start setup */
#define KEYSTORE_ACTOR_KBS_STORE "kbs-store" /* the operator tool */

/*
 * Errors every change call shares, besides its own: KBS_ERR_INVALID_ARGUMENT
 * for a NULL actor or a bad actor id, KBS_ERR_TOO_LARGE for an oversized
 * request id or address, KBS_ERR_STORE_AUDIT_CHAIN if the audit head is
 * missing or fails its MAC (the log was tampered with: nothing is changed),
 * KBS_ERR_STORE_MASTER_KEY if another process has rotated the store's key
 * since this one opened it (nothing is written), KBS_ERR_STORE_FULL.
 */

/* ---- Secrets ------------------------------------------------------- */

#define KEYSTORE_SECRET_MAX (64u << 10) /* value bytes */

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
 * next version; *ret_version (may be NULL) receives it. Its "secret_put"
 * audit record (actor, name, version, the bound policy name, the new
 * record's digest) commits with it. Durable on return.
 * KBS_ERR_INVALID_ARGUMENT, KBS_ERR_TOO_LARGE, and the change errors above.
 */
KBS_MUST_CHECK int keystore_secret_put(struct keystore *ks, const char *name, const uint8_t *value,
    size_t value_len, const char *policy, const struct keystore_actor *actor,
    uint32_t *ret_version);

/*
 * keystore_secret_get opens the secret; the caller frees *ret_secret with
 * keystore_secret_free. KBS_ERR_NOT_FOUND; KBS_ERR_STORE_INTEGRITY when the
 * sealed bytes were altered, or moved to another name, version or bound
 * policy (never garbage); KBS_ERR_STORE_MASTER_KEY when the record names
 * another key; KBS_ERR_STORE_CORRUPT for a malformed record. One read
 * transaction, one B-tree lookup and one decryption: an older record of
 * the same secret copied over the current one still opens here (it is
 * authentic); keystore_verify_state is what finds it.
 */
KBS_MUST_CHECK int keystore_secret_get(
    struct keystore *ks, const char *name, struct keystore_secret **ret_secret);

void keystore_secret_free(struct keystore_secret *s);

/*
 * keystore_secret_info fills *ret_info with name's metadata (never its
 * value), for auditors. The record is opened all the same (into a wiped
 * buffer), so the metadata is authentic: the errors of keystore_secret_get.
 */
KBS_MUST_CHECK int keystore_secret_info(
    struct keystore *ks, const char *name, struct keystore_secret_info *ret_info);

/*
 * keystore_secret_delete removes name, with its "secret_delete" audit
 * record. KBS_ERR_NOT_FOUND if absent (nothing is written); the change
 * errors above.
 */
KBS_MUST_CHECK int keystore_secret_delete(
    struct keystore *ks, const char *name, const struct keystore_actor *actor);

/*
 * keystore_secret_list returns the metadata (never values) of every secret
 * in name order as a malloc'd array; free it with free(). *ret_n may be 0.
 * The records are decoded, not opened: keystore_secret_info and
 * keystore_verify_state are what authenticate them.
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
 * keystore_secret_import puts n secrets in one transaction (all or none),
 * each with its own "secret_put" audit record: for pushing a bundle and
 * for filling the benchmark. Same errors as put; KBS_ERR_TOO_LARGE if one
 * transaction cannot hold them all (LMDB's dirty page limit, about
 * 500 MiB with the audit records: split bigger imports).
 */
KBS_MUST_CHECK int keystore_secret_import(struct keystore *ks,
    const struct keystore_secret_in *items, size_t n, const struct keystore_actor *actor);

/*
 * keystore_rotate re-seals every secret and re-MACs every policy and token
 * under the master key from new_src in one transaction and makes it the
 * store's key (check value, key id, audit head MAC). What the audit
 * records name (versions, record digests) does not depend on the key, so
 * they stay valid. Readers wait for the swap. Key source errors as in
 * keystore_open; KBS_ERR_STORE_INTEGRITY if a secret fails to open or a
 * policy or token fails its MAC (nothing is changed then). Rotation writes
 * no audit record (a forged head stays unMACed): append one after it.
 */
KBS_MUST_CHECK int keystore_rotate(struct keystore *ks, const struct keystore_key_source *new_src);

/* ---- Replication (the broker's etcd scale-out) ---------------------- */

/*
 * keystore_secret_seal makes the sealed record keystore_secret_put would
 * store for name (version, bound policy, "" for none, a fresh write id,
 * now as its times) without storing anything: for a replica to send
 * through etcd, since the other replicas share the master key. *ret_rec
 * (malloc'd; ciphertext only, free()) and *ret_len. KBS_ERR_INVALID_ARGUMENT
 * (version 0, a bad name), KBS_ERR_TOO_LARGE, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int keystore_secret_seal(struct keystore *ks, const char *name, const uint8_t *value,
    size_t value_len, const char *policy, uint32_t version, uint8_t **ret_rec, size_t *ret_len);

/*
 * keystore_secret_put_sealed stores rec, a record keystore_secret_seal made
 * for name on any replica sharing this master key, as name's current
 * record, with its "secret_put" audit record (the record's own version).
 * The record is opened first: KBS_ERR_STORE_INTEGRITY if it was made for
 * another name or altered, KBS_ERR_STORE_MASTER_KEY if sealed under
 * another key, KBS_ERR_STORE_CORRUPT if malformed; nothing is written
 * then. If that very record (same write id) is current already nothing is
 * written either and *ret_written is false, so a record applied twice
 * leaves one audit record. *ret_version and *ret_written may be NULL.
 * The change errors above.
 */
KBS_MUST_CHECK int keystore_secret_put_sealed(struct keystore *ks, const char *name,
    const uint8_t *rec, size_t len, const struct keystore_actor *actor, uint32_t *ret_version,
    bool *ret_written);

/*
 * keystore_replica_mac computes the MAC of a replicated value (any bytes)
 * under a key derived from the master key, so only a replica sharing it
 * can write what the others accept; keystore_replica_mac_check checks one
 * in constant time: 0 or KBS_ERR_STORE_INTEGRITY. KBS_ERR_INVALID_ARGUMENT.
 */
KBS_MUST_CHECK int keystore_replica_mac(
    struct keystore *ks, const uint8_t *data, size_t len, uint8_t ret_mac[32]);
KBS_MUST_CHECK int keystore_replica_mac_check(
    struct keystore *ks, const uint8_t *data, size_t len, const uint8_t mac[32]);

/*
 * keystore_replica_set_revision records the etcd revision this replica has
 * applied, durably; keystore_replica_revision reads it (0 if never set).
 * Not audited and not authenticated: it is a progress mark, not a record.
 * KBS_ERR_STORE_CORRUPT for a malformed entry; KBS_ERR_STORE_FULL.
 */
KBS_MUST_CHECK int keystore_replica_set_revision(struct keystore *ks, uint64_t revision);
KBS_MUST_CHECK int keystore_replica_revision(struct keystore *ks, uint64_t *ret_revision);

/*
 * A replication sequence number (the broker's rollback guard, kbs/replica.c):
 * the highest seq this replica has applied for one object, and the
 * SHA-256 of the replicated value that carried it, so the same value
 * applied again (a replayed watch, a full read after a crash) is told
 * from another value claiming the same number.
 */
struct keystore_replica_seq {
	uint64_t seq; /* 0: none recorded */
	uint8_t value_sha256[32];
};

/* Whose number: one counter per secret name (its tombstones too), one per policy name. */
enum keystore_replica_family {
	KEYSTORE_REPLICA_SECRETS = 1,
	KEYSTORE_REPLICA_POLICIES = 2,
};

/*
 * keystore_replica_seq reads what is recorded for family/name: seq 0
 * and a zero digest if nothing.
 * keystore_replica_set_seq records *seq (seq >= 1) as it is, durably,
 * also lower than before (the caller decides; keystore_replica_apply is
 * what refuses). Not audited and not authenticated, like the revision:
 * whoever can write the store's file can already put an older copy of it
 * back. KBS_ERR_INVALID_ARGUMENT (another family, seq 0), the name errors,
 * KBS_ERR_STORE_CORRUPT for a malformed entry, KBS_ERR_STORE_FULL.
 */
KBS_MUST_CHECK int keystore_replica_seq(struct keystore *ks, enum keystore_replica_family family,
    const char *name, struct keystore_replica_seq *ret);
KBS_MUST_CHECK int keystore_replica_set_seq(struct keystore *ks,
    enum keystore_replica_family family, const char *name, const struct keystore_replica_seq *seq);

/* One replicated change for keystore_replica_apply. */
enum keystore_replica_op {
	KEYSTORE_REPLICA_SECRET_PUT = 1,    /* payload: keystore_secret_seal's record */
	KEYSTORE_REPLICA_SECRET_DELETE = 2, /* a tombstone: no payload */
	KEYSTORE_REPLICA_POLICY_PUT = 3,    /* payload: the policy's bytes */
};

struct keystore_replica_change {
	enum keystore_replica_op op;
	const char *name;
	const uint8_t *payload;
	size_t payload_len;
	const struct keystore_actor *actor;
	struct keystore_replica_seq seq; /* seq 0: a value from before sequence numbers */
};

/*
 * keystore_replica_apply applies c and records its seq in ONE write
 * transaction, so the store never holds a change without its number or
 * the other way round. Refused with KBS_ERR_ETCD_ROLLBACK, nothing
 * written, when c->seq.seq is below the recorded one, or equal to it with
 * another value_sha256 (seq 0 counts as below any recorded number). An
 * equal seq and digest re-applies (the change is idempotent: the same
 * sealed record, the same policy bytes, a secret already gone write
 * nothing). A delete of a secret the store lacks writes only the number.
 * Otherwise as keystore_secret_put_sealed, keystore_secret_delete and
 * keystore_policy_put, with their audit records; *ret_written (may be
 * NULL) says whether a record was written; *ret_held (may be NULL) gets
 * what was recorded before. KBS_ERR_INVALID_ARGUMENT for a payload with a
 * delete or none with a put.
 */
KBS_MUST_CHECK int keystore_replica_apply(struct keystore *ks,
    const struct keystore_replica_change *c, struct keystore_replica_seq *ret_held,
    bool *ret_written);

/* ---- Policies ------------------------------------------------------ */

#define KEYSTORE_POLICY_MAX (1u << 20)

struct keystore_policy_info {
	uint32_t version;
	uint8_t sha256[32]; /* of the policy file's bytes: its identity */
	int64_t since;      /* when this version became current */
};

struct keystore_policy {
	struct keystore_policy_info info;
	uint8_t *data; /* the policy file's bytes, NUL one past len */
	size_t len;
};

/*
 * keystore_policy_put makes bytes the current version of name (1..1 MiB),
 * with its "policy_put" audit record (actor, name, version, the bytes'
 * SHA-256, the record's digest). If they equal the current version's bytes
 * nothing is written (no record either) and that version is returned.
 * *ret_version may be NULL. KBS_ERR_STORE_INTEGRITY if the current version
 * fails its check (see get: nothing is written); the change errors above.
 */
KBS_MUST_CHECK int keystore_policy_put(struct keystore *ks, const char *name, const uint8_t *data,
    size_t len, const struct keystore_actor *actor, uint32_t *ret_version);

/*
 * keystore_policy_get returns the current version (free with
 * keystore_policy_free). KBS_ERR_NOT_FOUND; KBS_ERR_STORE_INTEGRITY when
 * the record fails its MAC (edited, forged without the key, or moved to
 * another name or version) or the bytes do not match their SHA-256: such a
 * policy is never returned; KBS_ERR_STORE_MASTER_KEY when the record names
 * another key; KBS_ERR_STORE_CORRUPT. As for secrets, an older authentic
 * version made current again (the newer ones deleted) is found by
 * keystore_verify_state, not here.
 */
KBS_MUST_CHECK int keystore_policy_get(
    struct keystore *ks, const char *name, struct keystore_policy **ret_policy);

/* keystore_policy_get_version returns one version. Errors as keystore_policy_get. */
KBS_MUST_CHECK int keystore_policy_get_version(
    struct keystore *ks, const char *name, uint32_t version, struct keystore_policy **ret_policy);

void keystore_policy_free(struct keystore_policy *p);

/* One policy name and its current version. */
struct keystore_policy_summary {
	char name[KEYSTORE_NAME_MAX + 1];
	struct keystore_policy_info info;
};

/*
 * keystore_policy_list returns every policy name with its current version
 * (MAC checked, as keystore_policy_get) in name order as a malloc'd array
 * (free()); *ret_n may be 0. KBS_ERR_STORE_INTEGRITY, KBS_ERR_STORE_CORRUPT.
 */
KBS_MUST_CHECK int keystore_policy_list(
    struct keystore *ks, struct keystore_policy_summary **ret_items, size_t *ret_n);

/*
 * keystore_policy_history returns every version, oldest first, as a
 * malloc'd array (free()). KBS_ERR_NOT_FOUND if the name has none;
 * KBS_ERR_STORE_INTEGRITY if any version fails its MAC.
 */
KBS_MUST_CHECK int keystore_policy_history(
    struct keystore *ks, const char *name, struct keystore_policy_info **ret_items, size_t *ret_n);

/* ---- Admin tokens --------------------------------------------------- */

/*
 * Bearer tokens of the broker's admin API. The keystore never sees a
 * token's value, only its SHA-256 (the broker hashes what a client sends
 * and looks the hash up), so the store, its backups and its export give
 * no one a usable token. Records are MACed under a key derived from the
 * master key: a token written into the file by someone without the key is
 * refused, never returned.
 */
enum keystore_token_role {
	KEYSTORE_ROLE_ADMIN = 1,   /* write secrets and policies */
	KEYSTORE_ROLE_AUDITOR = 2, /* read policies, metadata and the audit log */
};

struct keystore_token_info {
	char id[KEYSTORE_NAME_MAX + 1];
	enum keystore_token_role role;
	int64_t created;
	int64_t revoked; /* when it was revoked; 0 while it is live */
};

/* keystore_token_role_name: "admin", "auditor", or "unknown". */
const char *keystore_token_role_name(enum keystore_token_role role);

/*
 * keystore_token_create records a live token id (a name) with role and
 * the SHA-256 of its bearer value, with its "token_create" audit record.
 * KBS_ERR_EXISTS if the id, or a token with the same hash, exists (ids are
 * never reused, revoked or not); KBS_ERR_INVALID_ARGUMENT for a bad id,
 * an unknown role or an all-zero hash; the change errors above.
 */
KBS_MUST_CHECK int keystore_token_create(struct keystore *ks, const char *id,
    enum keystore_token_role role, const uint8_t sha256[32], const struct keystore_actor *actor);

/*
 * keystore_token_lookup finds the token whose bearer value hashes to
 * sha256 (two B-tree lookups and a MAC check) and returns 0 with
 * *ret_info only if it is live. KBS_ERR_NOT_FOUND for an unknown hash;
 * KBS_ERR_STORE_TOKEN_REVOKED for a revoked token, with *ret_info filled
 * all the same (an exception to "ret_* only on success", so the caller
 * can log which token was tried); KBS_ERR_STORE_INTEGRITY for a record
 * that fails its MAC or does not carry this hash; KBS_ERR_STORE_MASTER_KEY.
 * A revoked token's older record copied back over its current one passes
 * here; keystore_verify_state finds it (docs/keystore.md).
 */
KBS_MUST_CHECK int keystore_token_lookup(
    struct keystore *ks, const uint8_t sha256[32], struct keystore_token_info *ret_info);

/*
 * keystore_token_list returns every token (live and revoked, metadata
 * only) in id order as a malloc'd array (free()); *ret_n may be 0.
 * KBS_ERR_STORE_INTEGRITY if a record fails its MAC.
 */
KBS_MUST_CHECK int keystore_token_list(
    struct keystore *ks, struct keystore_token_info **ret_items, size_t *ret_n);

/*
 * keystore_token_revoke marks id revoked now, with its "token_revoke"
 * audit record. KBS_ERR_NOT_FOUND if there is no such token,
 * KBS_ERR_STORE_TOKEN_REVOKED if it is revoked already (nothing is
 * written in either case); the change errors above.
 */
KBS_MUST_CHECK int keystore_token_revoke(
    struct keystore *ks, const char *id, const struct keystore_actor *actor);

/* ---- Nonces -------------------------------------------------------- */

#define KEYSTORE_NONCE_SIZE 32

/* keystore_nonce_purge drops nonces that expired before now; *ret_n may be NULL. */
KBS_MUST_CHECK int keystore_nonce_purge(struct keystore *ks, int64_t now, size_t *ret_n);

/* ---- Audit --------------------------------------------------------- */

#define KEYSTORE_AUDIT_HAS_POLICY_HASH (1u << 0)
#define KEYSTORE_AUDIT_HAS_MEASUREMENT (1u << 1)
#define KEYSTORE_AUDIT_HAS_CHIP_ID (1u << 2)
#define KEYSTORE_AUDIT_HAS_TCB (1u << 3)
#define KEYSTORE_AUDIT_HAS_OBJECT (1u << 4) /* written by the change calls only */

#define KEYSTORE_AUDIT_TEXT_MAX (64u << 10) /* rules text */
#define KEYSTORE_AUDIT_FIELD_MAX 255        /* every other string */
#define KEYSTORE_AUDIT_NAMES_MAX 256        /* secret names per record */

enum keystore_object_kind {
	KEYSTORE_OBJECT_SECRET = 1,
	KEYSTORE_OBJECT_POLICY = 2,
	KEYSTORE_OBJECT_TOKEN = 3,
};

/* keystore_object_kind_name: "secret", "policy", "token", or "unknown". */
const char *keystore_object_kind_name(enum keystore_object_kind kind);

/*
 * What a change call changed (KEYSTORE_AUDIT_HAS_OBJECT). record_sha256 is
 * the SHA-256 of the changed record's identity: the fields its seal or MAC
 * covers, without the key (docs/keystore.md lists them per kind), so it
 * names exactly one write and survives key rotation.
 */
struct keystore_audit_object {
	enum keystore_object_kind kind;
	const char *name;
	uint32_t version;          /* written or removed (secrets, policies); 0 for tokens */
	bool removed;              /* the change removed the object (secret_delete) */
	uint8_t record_sha256[32]; /* all zero when removed */
};

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
	const char *actor;                   /* who asked: a token id, a KEYSTORE_ACTOR_* */
	struct keystore_audit_object object; /* with KEYSTORE_AUDIT_HAS_OBJECT */
	uint8_t prev_sha256[32];
};

/* A record read back: rec points into memory owned by the entry. */
struct keystore_audit_entry {
	struct keystore_audit_record rec;
	uint8_t sha256[32]; /* of this record's stored bytes */
};

/*
 * keystore_audit_append stores rec durably and returns its sequence
 * number (from 1) in *ret_seq (may be NULL): for records that change
 * nothing, such as refused evidence. KBS_ERR_INVALID_ARGUMENT for unknown
 * flags, KEYSTORE_AUDIT_HAS_OBJECT (only the change calls write those) or
 * NULL names, KBS_ERR_TOO_LARGE for oversized fields,
 * KBS_ERR_STORE_AUDIT_CHAIN if the stored head is missing or fails its MAC
 * or the head and records disagree (the log was tampered with: nothing is
 * appended), KBS_ERR_STORE_FULL, KBS_ERR_STORE_MASTER_KEY as for the
 * change calls.
 */
KBS_MUST_CHECK int keystore_audit_append(
    struct keystore *ks, const struct keystore_audit_record *rec, uint64_t *ret_seq);

/*
 * keystore_attest_commit records nonce as used until expires (Unix
 * seconds) AND appends rec (the decision), in one transaction of the
 * group commit: durable together on return, with rec's sequence number in
 * *ret_seq (may be NULL). KBS_ERR_STORE_NONCE_REUSED if the nonce was
 * consumed before: nothing is appended, and the other writes batched with
 * it are not affected. Otherwise the errors of keystore_audit_append, and
 * then the nonce is not consumed either.
 */
KBS_MUST_CHECK int keystore_attest_commit(struct keystore *ks,
    const uint8_t nonce[KEYSTORE_NONCE_SIZE], int64_t expires,
    const struct keystore_audit_record *rec, uint64_t *ret_seq);

/* keystore_audit_get reads one record. KBS_ERR_NOT_FOUND, KBS_ERR_STORE_CORRUPT. */
KBS_MUST_CHECK int keystore_audit_get(
    struct keystore *ks, uint64_t seq, struct keystore_audit_entry **ret_entry);

void keystore_audit_entry_free(struct keystore_audit_entry *e);

/*
 * The head of the chain: the last record's seq and the SHA-256 of its
 * stored bytes (the "sha256" of its export line). Seq 0 with an all-zero
 * hash is the empty chain.
 */
struct keystore_audit_head {
	uint64_t seq;
	uint8_t sha256[32];
};

/*
 * keystore_audit_verify walks the whole chain in one read transaction:
 * sequence numbers from 1 without gaps, each record's own seq, each
 * record's prev_sha256, and the MACed head, which must exist (a new store
 * writes one for the empty chain). Returns 0 with *ret_count records and
 * the verified head in *ret_head, or KBS_ERR_STORE_AUDIT_CHAIN with
 * *ret_bad_seq naming the first bad (or missing) sequence number; an
 * exception to "ret_* only on success", since that number is the answer.
 * Any pointer may be NULL. A chain rolled back whole to an older state
 * (with its then-valid head) verifies: keystore_audit_expect_head is the
 * check for that.
 */
KBS_MUST_CHECK int keystore_audit_verify(struct keystore *ks, uint64_t *ret_count,
    uint64_t *ret_bad_seq, struct keystore_audit_head *ret_head);

/*
 * keystore_audit_expect_head checks the chain against a head recorded
 * earlier outside the store (shipped from an export to a log the store's
 * attacker cannot rewrite): 0 if the log still holds record expect->seq
 * and its stored bytes hash to expect->sha256 (so the chain verified by
 * keystore_audit_verify extends that head; seq 0 is the empty chain and
 * needs an all-zero hash), KBS_ERR_STORE_AUDIT_ROLLBACK if it does not
 * (the store, or its log, was rolled back or replaced),
 * KBS_ERR_INVALID_ARGUMENT, KBS_ERR_STORE_CORRUPT.
 */
KBS_MUST_CHECK int keystore_audit_expect_head(
    struct keystore *ks, const struct keystore_audit_head *expect);

/*
 * keystore_audit_export writes one JSON object per line to out for every
 * record with seq >= from_seq and time >= from_time (pass 0 for either).
 * *ret_n (may be NULL) receives the count. Records are read 64 at a time,
 * each chunk in its own short read transaction, and written after it ends.
 * When ret_head is not NULL it receives the head as of the last chunk,
 * after checking its MAC (KBS_ERR_STORE_AUDIT_CHAIN if that fails, the
 * records being written already): ship it with the export, for
 * keystore_audit_expect_head. KBS_ERR_IO when writing fails,
 * KBS_ERR_STORE_CORRUPT for a record that does not decode, KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int keystore_audit_export(struct keystore *ks, FILE *out, uint64_t from_seq,
    int64_t from_time, uint64_t *ret_n, struct keystore_audit_head *ret_head);

/*
 * keystore_audit_export_page writes one page of an export: the records
 * from from_seq on until at least max_bytes were written or none is left,
 * so a page holds at most max_bytes plus one record (and at least one
 * record). *ret_next is the seq the next page starts from, or 0 when
 * this page reached the end. ret_head (may be NULL) as above: the head read
 * with the page's last chunk, or just after it. KBS_ERR_INVALID_ARGUMENT
 * for max_bytes 0 or no ret_next; otherwise keystore_audit_export's errors.
 */
KBS_MUST_CHECK int keystore_audit_export_page(struct keystore *ks, FILE *out, uint64_t from_seq,
    size_t max_bytes, uint64_t *ret_next, struct keystore_audit_head *ret_head);

/* ---- Verifying the whole store ------------------------------------- */

/* What keystore_verify_state saw; on failure, what failed. */
struct keystore_verify_report {
	uint64_t records;                 /* in the audit chain */
	struct keystore_audit_head head;  /* the verified head */
	size_t secrets, policies, tokens; /* current objects checked (policies: names) */
	/* Set on failure (zero otherwise): */
	uint64_t bad_seq;                   /* the audit record involved, if one is */
	enum keystore_object_kind bad_kind; /* 0 if no object is involved */
	char bad_name[KEYSTORE_NAME_MAX + 1];
};

/*
 * keystore_verify_state checks the whole store in one read transaction, for
 * kbs-store verify and for the broker to run at start, before it serves:
 *   - the audit chain and its head, as keystore_audit_verify;
 *   - every secret opens, every policy version and token passes its MAC;
 *   - each secret's, policy's and token's current record is the one its
 *     last audit record names (version and record digest), or is absent
 *     if that record removed it; every audited policy version is still
 *     there; no object lacks an audit record.
 * So an older record copied over the current one, a policy's newest
 * versions deleted, a revoked token's old record put back, or a change
 * written without its audit record are all found. Returns 0, or the first
 * failure: KBS_ERR_STORE_AUDIT_CHAIN (report.bad_seq as keystore_audit_verify's),
 * KBS_ERR_STORE_RECORD_STALE (a current record is not the audited one),
 * KBS_ERR_STORE_INTEGRITY, KBS_ERR_STORE_MASTER_KEY, KBS_ERR_STORE_CORRUPT,
 * with report.bad_kind and bad_name naming the object. *ret_report (may be
 * NULL) is filled on failure too. Cost: one pass over the audit log and
 * every record (about 1 us each); a map resize in this process waits for
 * it. What it cannot find: the whole file rolled back together with its
 * audit chain (keystore_audit_expect_head is the check for that).
 */
KBS_MUST_CHECK int keystore_verify_state(
    struct keystore *ks, struct keystore_verify_report *ret_report);

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
