/*
 * ks_raw.h: direct LMDB access for tamper tests: what an attacker with
 * write access to the data directory (but not the master key) can do.
 * The store must be closed while these run.
 */
#ifndef KS_RAW_H
#define KS_RAW_H

#include <lmdb.h>

#include "ks_test.h"

struct ks_raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
};

static inline void
ks_raw_open(struct ks_raw *r, const char *dir, const char *table)
{
	if (mdb_env_create(&r->env) != 0 || mdb_env_set_maxdbs(r->env, 8) != 0 ||
	    mdb_env_set_mapsize(r->env, 0) != 0 || mdb_env_open(r->env, dir, 0, 0600) != 0 ||
	    mdb_txn_begin(r->env, NULL, 0, &r->txn) != 0 ||
	    mdb_dbi_open(r->txn, table, 0, &r->dbi) != 0) {
		fprintf(stderr, "ks_raw_open %s %s failed\n", dir, table);
		exit(2);
	}
}

static inline void
ks_raw_commit(struct ks_raw *r)
{
	if (mdb_txn_commit(r->txn) != 0)
		exit(2);
	mdb_env_close(r->env);
}

/* ks_raw_get copies a value out (malloc'd) or returns NULL. */
static inline uint8_t *
ks_raw_get(struct ks_raw *r, const void *key, size_t klen, size_t *ret_len)
{
	MDB_val k = { klen, (void *)(uintptr_t)key }, v;
	uint8_t *p;

	if (mdb_get(r->txn, r->dbi, &k, &v) != 0)
		return NULL;
	p = malloc(v.mv_size);
	memcpy(p, v.mv_data, v.mv_size);
	*ret_len = v.mv_size;
	return p;
}

static inline void
ks_raw_put(struct ks_raw *r, const void *key, size_t klen, const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)(uintptr_t)key }, v = { vlen, (void *)(uintptr_t)val };

	if (mdb_put(r->txn, r->dbi, &k, &v, 0) != 0)
		exit(2);
}

static inline void
ks_raw_del(struct ks_raw *r, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)(uintptr_t)key };

	if (mdb_del(r->txn, r->dbi, &k, NULL) != 0)
		exit(2);
}

static inline void
ks_seq_key(uint8_t out[8], uint64_t seq)
{
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(seq >> (56 - 8 * i));
}

#endif
