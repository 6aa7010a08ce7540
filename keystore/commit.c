/*
 * commit.c: transactions, group commit and map growth.
 *
 * Group commit: a writer that finds no batch running and none waiting
 * runs its operation (a function and its argument) in a write transaction
 * on its own thread: alone, it would otherwise pay two thread wake-ups
 * (tens of microseconds on a virtual machine) for nothing. Any other
 * writer queues its operation and sleeps; the committer thread takes the
 * whole queue, runs every operation inside ONE write transaction, commits
 * once (one fsync pair), and then wakes each writer with its own result.
 * One batch runs at a time (ks->busy), whichever thread runs it. An operation that refuses (a
 * reused nonce) does so before writing anything, so it fails alone; any other failure reruns the
 * batch with each operation in its own nested transaction (see is_refusal). While it commits, the
 * next batch gathers, so the number of fsyncs per second stays constant as writers are added and
 * throughput grows with them.
 *
 * Map growth: MDB_MAP_FULL aborts the whole batch, the map is doubled
 * (up to max_map_size) with no transaction alive in this process (the
 * exclusive lock), and the batch runs again from the start; operations
 * are written to be re-runnable. At max_map_size the batch runs once more
 * nested, and each operation that still does not fit fails alone with
 * KBS_ERR_STORE_FULL (aborting a nested transaction returns its pages).
 *
 * Stale readers: a process killed inside a read transaction (a broker, a
 * kbs-store) leaves its reader slot behind, and LMDB keeps every page that
 * slot's snapshot can see, so the file only grows until someone clears it.
 * Opening clears them; so does every batch once per reader_check_ns
 * (KS_READER_CHECK_NS), and a batch that meets MDB_MAP_FULL clears them
 * before it grows the map, and runs again without growing if that freed
 * a slot (the pages the dead reader pinned are free again).
 */
#include "keystore-int.h"

#include <stdlib.h>
#include <string.h>

void
ks_lock_rd(struct keystore *ks)
{
	if (pthread_rwlock_rdlock(&ks->lock) != 0)
		abort(); /* only EDEADLK/EAGAIN: a bug, not a condition */
}

void
ks_lock_wr(struct keystore *ks)
{
	if (pthread_rwlock_wrlock(&ks->lock) != 0)
		abort();
}

void
ks_unlock(struct keystore *ks)
{
	(void)pthread_rwlock_unlock(&ks->lock);
}

int
ks_adopt_map_size(struct keystore *ks)
{
	MDB_envinfo info;
	int rc;

	if ((rc = mdb_env_set_mapsize(ks->env, 0)) != 0)
		return ks_mdb_err(rc);
	if ((rc = mdb_env_info(ks->env, &info)) != 0)
		return ks_mdb_err(rc);
	ks->map_size = info.me_mapsize;
	return 0;
}

int
ks_grow(struct keystore *ks, size_t seen, bool wrlocked)
{
	size_t next;
	int r = 0, rc;

	if (!wrlocked)
		ks_lock_wr(ks);
	if (ks->map_size == seen) {
		if (seen >= ks->max_map_size) {
			r = KBS_ERR_STORE_FULL;
		} else {
			next = seen > ks->max_map_size / 2 ? ks->max_map_size : seen * 2;
			if ((rc = mdb_env_set_mapsize(ks->env, next)) != 0)
				r = ks_mdb_err(rc);
			else
				ks->map_size = next;
		}
	}
	if (!wrlocked)
		ks_unlock(ks);
	return r;
}

int
ks_read_begin(struct keystore *ks, MDB_txn **ret_txn)
{
	MDB_txn *txn = NULL;
	int rc, r;

	for (;;) {
		ks_lock_rd(ks);
		rc = mdb_txn_begin(ks->env, NULL, MDB_RDONLY, &txn);
		if (rc == 0) {
			*ret_txn = txn;
			return 0; /* the shared lock stays held until ks_read_end */
		}
		ks_unlock(ks);
		if (rc != MDB_MAP_RESIZED)
			return ks_mdb_err(rc);
		ks_lock_wr(ks);
		r = ks_adopt_map_size(ks);
		ks_unlock(ks);
		if (r != 0)
			return r;
	}
}

void
ks_read_end(struct keystore *ks, MDB_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn);
	ks_unlock(ks);
}

/*
 * reader_check frees the reader slots of dead processes; it returns the
 * number freed. Errors are ignored: the check only helps the map stay
 * small, and the batch's own result says what matters.
 */
static int
reader_check(struct keystore *ks)
{
	int dead = 0;

	if (mdb_reader_check(ks->env, &dead) != 0)
		return 0;
	__atomic_store_n(&ks->reader_checked_ns, kbs_time_monotonic_ns(), __ATOMIC_RELAXED);
	return dead;
}

/* reader_check_due runs reader_check when the last one is reader_check_ns old. */
static void
reader_check_due(struct keystore *ks)
{
	uint64_t last = __atomic_load_n(&ks->reader_checked_ns, __ATOMIC_RELAXED);

	if (kbs_time_monotonic_ns() - last >= ks->reader_check_ns)
		(void)reader_check(ks);
}

static void
batch_set(struct ks_op *b, int r)
{
	for (; b != NULL; b = b->next)
		b->result = r;
}

/* run_op runs one operation, in a nested transaction when it shares the batch. */
static int
run_op(struct keystore *ks, MDB_txn *txn, struct ks_op *op, bool nested)
{
	MDB_txn *child = NULL;
	int rc, r;

	if (!nested)
		return op->fn(ks, txn, op->arg);
	if ((rc = mdb_txn_begin(ks->env, txn, 0, &child)) != 0)
		return ks_mdb_err(rc);
	if ((r = op->fn(ks, child, op->arg)) != 0) {
		mdb_txn_abort(child);
		return r;
	}
	return ks_mdb_err(mdb_txn_commit(child));
}

/*
 * A refusal is an operation's own "no" (a reused nonce, a missing name),
 * which every operation returns before its first write. Any other error
 * may come after some of its writes, so the batch is run again with each
 * operation in a nested transaction, where a failure undoes only its own
 * writes. Nesting is not the default because LMDB allocates a fresh 3 MiB
 * of page lists for every nested transaction. KBS_ERR_STORE_AUDIT_CHAIN is
 * not a refusal: ks_audit_add returns it after the change it records was
 * written (the log holds a record past the head), and that change must
 * not be committed by the batch's other operations without its record.
 */
static bool
is_refusal(int r)
{
	return r == KBS_ERR_STORE_NONCE_REUSED || r == KBS_ERR_NOT_FOUND || r == KBS_ERR_EXISTS ||
	    r == KBS_ERR_STORE_TOKEN_REVOKED;
}

/*
 * run_batch runs the linked operations in one write transaction and sets
 * each op's result. after (may be NULL) runs after a successful commit,
 * still under the lock (used to swap the key on rotation).
 */
static void
run_batch(struct keystore *ks, struct ks_op *batch, bool wrlocked,
    void (*after)(struct keystore *, void *), void *after_arg)
{
	MDB_txn *txn = NULL;
	struct ks_op *op;
	bool single = batch->next == NULL, nested = false, at_ceiling = false, full, renest;
	bool readers_checked = false;
	size_t seen;
	int rc, r;

	reader_check_due(ks);
	for (;;) {
		if (!wrlocked)
			ks_lock_rd(ks);
		seen = ks->map_size;
		rc = mdb_txn_begin(ks->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			if (!wrlocked) {
				ks_unlock(ks);
				ks_lock_wr(ks);
			}
			r = ks_adopt_map_size(ks);
			if (!wrlocked)
				ks_unlock(ks);
			if (r != 0) {
				batch_set(batch, r);
				return;
			}
			continue;
		}
		if (rc != 0) {
			if (!wrlocked)
				ks_unlock(ks);
			batch_set(batch, ks_mdb_err(rc));
			return;
		}
		full = renest = false;
		for (op = batch; op != NULL; op = op->next) {
			op->result = run_op(ks, txn, op, nested);
			/* The map cannot grow: an op that does not fit fails alone. */
			if (op->result == KBS_ERR_STORE_MAP_FULL && at_ceiling) {
				op->result = KBS_ERR_STORE_FULL;
				continue;
			}
			if (op->result == KBS_ERR_STORE_MAP_FULL) {
				full = true;
				break;
			}
			if (!single && !nested && op->result != 0 && !is_refusal(op->result)) {
				renest = true;
				break;
			}
		}
		if (full || renest || (single && batch->result != 0)) {
			mdb_txn_abort(txn);
			if (!wrlocked)
				ks_unlock(ks);
			if (renest) {
				nested = true;
				continue;
			}
			if (!full)
				return;
			/* Pages a dead reader pinned may be all that is missing. */
			if (!readers_checked) {
				readers_checked = true;
				if (reader_check(ks) > 0)
					continue;
			}
			if ((r = ks_grow(ks, seen, wrlocked)) != 0) {
				/*
				 * At the ceiling, run the batch again nested so
				 * that only the ops that do not fit fail.
				 */
				if (r == KBS_ERR_STORE_FULL && !single) {
					nested = at_ceiling = true;
					continue;
				}
				batch_set(batch, r);
				return;
			}
			continue;
		}
		rc = mdb_txn_commit(txn);
		if (rc == 0 && after != NULL)
			after(ks, after_arg);
		if (!wrlocked)
			ks_unlock(ks);
		if (rc == MDB_MAP_FULL) {
			if (!readers_checked) {
				readers_checked = true;
				if (reader_check(ks) > 0)
					continue;
			}
			if ((r = ks_grow(ks, seen, wrlocked)) != 0) {
				batch_set(batch, r);
				return;
			}
			continue;
		}
		if (rc != 0) {
			r = ks_commit_err(ks, rc);
			for (op = batch; op != NULL; op = op->next) {
				if (op->result == 0)
					op->result = r;
			}
		}
		return;
	}
}

static void *
committer_main(void *arg)
{
	struct keystore *ks = arg;
	struct ks_op *batch, *op, *next;
	size_t writes;

	pthread_mutex_lock(&ks->q_mu);
	for (;;) {
		/* Stopping ends the thread only once no batch runs and none waits. */
		while ((ks->q_head == NULL || ks->busy) &&
		    !(ks->stopping && ks->q_head == NULL && !ks->busy))
			pthread_cond_wait(&ks->q_cv, &ks->q_mu);
		if (ks->q_head == NULL)
			break; /* stopping, and every queued op has been answered */
		batch = ks->q_head;
		ks->q_head = ks->q_tail = NULL;
		ks->busy = true;
		pthread_mutex_unlock(&ks->q_mu);
		run_batch(ks, batch, false, NULL, NULL);
		pthread_mutex_lock(&ks->q_mu);
		ks->busy = false;
		ks->batches++;
		writes = 0;
		for (op = batch; op != NULL; op = next) {
			next = op->next; /* op lives on its writer's stack: read before waking it */
			op->done = true;
			pthread_cond_signal(&op->cv);
			writes++;
		}
		if (ks->on_commit != NULL) {
			pthread_mutex_unlock(&ks->q_mu);
			ks->on_commit(ks->on_commit_ctx, writes);
			pthread_mutex_lock(&ks->q_mu);
		}
	}
	pthread_mutex_unlock(&ks->q_mu);
	return NULL;
}

int
ks_committer_init(struct keystore *ks)
{
	pthread_rwlockattr_t attr;
	int rc;

	/* Writer-preferring, so a map resize is not starved by a stream of readers. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	rc = pthread_rwlock_init(&ks->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (rc != 0)
		return KBS_ERR_SYSTEM;
	pthread_mutex_init(&ks->q_mu, NULL);
	pthread_cond_init(&ks->q_cv, NULL);
	ks->reader_check_ns = KS_READER_CHECK_NS;
	ks->reader_checked_ns = kbs_time_monotonic_ns();
	return 0;
}

int
ks_committer_start(struct keystore *ks)
{
	if (ks->flags & KEYSTORE_NO_GROUP_COMMIT)
		return 0;
	if (pthread_create(&ks->committer, NULL, committer_main, ks) != 0)
		return KBS_ERR_SYSTEM;
	ks->committer_started = true;
	return 0;
}

void
ks_committer_stop(struct keystore *ks)
{
	if (!ks->committer_started)
		return;
	pthread_mutex_lock(&ks->q_mu);
	ks->stopping = true;
	pthread_cond_signal(&ks->q_cv);
	pthread_mutex_unlock(&ks->q_mu);
	pthread_join(ks->committer, NULL);
	ks->committer_started = false;
}

void
ks_committer_destroy(struct keystore *ks)
{
	pthread_cond_destroy(&ks->q_cv);
	pthread_mutex_destroy(&ks->q_mu);
	pthread_rwlock_destroy(&ks->lock);
}

/*
 * write_inline runs op as a batch of one on the calling thread; entered
 * with q_mu held, no batch running and none queued, and returns with it
 * released. Writers that queued meanwhile are handed to the committer.
 */
static int
write_inline(struct keystore *ks, struct ks_op *op)
{
	ks->busy = true;
	pthread_mutex_unlock(&ks->q_mu);
	run_batch(ks, op, false, NULL, NULL);
	pthread_mutex_lock(&ks->q_mu);
	ks->busy = false;
	ks->batches++;
	if (ks->q_head != NULL || ks->stopping)
		pthread_cond_signal(&ks->q_cv);
	pthread_mutex_unlock(&ks->q_mu);
	if (ks->on_commit != NULL)
		ks->on_commit(ks->on_commit_ctx, 1);
	return op->result;
}

int
ks_write(struct keystore *ks, ks_op_fn fn, void *arg)
{
	struct ks_op op;
	int r;

	memset(&op, 0, sizeof(op));
	op.fn = fn;
	op.arg = arg;
	if (ks->flags & KEYSTORE_NO_GROUP_COMMIT) {
		run_batch(ks, &op, false, NULL, NULL);
		pthread_mutex_lock(&ks->q_mu);
		ks->batches++;
		pthread_mutex_unlock(&ks->q_mu);
		if (ks->on_commit != NULL)
			ks->on_commit(ks->on_commit_ctx, 1);
		return op.result;
	}
	pthread_mutex_lock(&ks->q_mu);
	if (ks->stopping) {
		pthread_mutex_unlock(&ks->q_mu);
		return KBS_ERR_STORE_OPEN;
	}
	if (!ks->busy && ks->q_head == NULL)
		return write_inline(ks, &op);
	if (pthread_cond_init(&op.cv, NULL) != 0) {
		pthread_mutex_unlock(&ks->q_mu);
		return KBS_ERR_SYSTEM;
	}
	if (ks->q_tail != NULL)
		ks->q_tail->next = &op;
	else
		ks->q_head = &op;
	ks->q_tail = &op;
	if (!ks->busy) /* else whoever runs the batch hands the queue on when done */
		pthread_cond_signal(&ks->q_cv);
	while (!op.done)
		pthread_cond_wait(&op.cv, &ks->q_mu);
	r = op.result;
	pthread_mutex_unlock(&ks->q_mu);
	pthread_cond_destroy(&op.cv);
	return r;
}

int
ks_write_exclusive(
    struct keystore *ks, ks_op_fn fn, void *arg, void (*after)(struct keystore *, void *))
{
	struct ks_op op;

	memset(&op, 0, sizeof(op));
	op.fn = fn;
	op.arg = arg;
	ks_lock_wr(ks);
	run_batch(ks, &op, true, after, arg);
	ks_unlock(ks);
	return op.result;
}

void
keystore_test_run_batch(struct keystore *ks, struct ks_op *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ops[i].next = i + 1 < n ? &ops[i + 1] : NULL;
	if (n > 0)
		run_batch(ks, ops, false, NULL, NULL);
}

uint64_t
keystore_test_batches(struct keystore *ks)
{
	uint64_t n;

	pthread_mutex_lock(&ks->q_mu);
	n = ks->batches;
	pthread_mutex_unlock(&ks->q_mu);
	return n;
}

size_t
keystore_map_size(struct keystore *ks)
{
	size_t n;

	ks_lock_rd(ks);
	n = ks->map_size;
	ks_unlock(ks);
	return n;
}
