/*
 * table.c: walking a table, and collecting what a list call returns, so
 * that the calls that go over every record (lists, rotation, verify)
 * share one cursor loop and one growing array.
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

int
ks_each(MDB_txn *txn, MDB_dbi dbi, ks_each_fn fn, void *ctx)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return ks_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((r = fn(cur, &k, &v, ctx)) != 0)
			break;
	}
	if (r == 0 && rc != MDB_NOTFOUND)
		r = ks_mdb_err(rc);
	mdb_cursor_close(cur);
	return r;
}

void *
ks_vec_push(struct ks_vec *v)
{
	size_t cap;
	uint8_t *p;

	if (v->n == v->cap) {
		cap = v->cap == 0 ? 8 : v->cap * 2;
		if ((p = reallocarray(v->items, cap, v->size)) == NULL)
			return NULL;
		v->items = p;
		v->cap = cap;
	}
	p = (uint8_t *)v->items + v->n++ * v->size;
	memset(p, 0, v->size);
	return p;
}
