/*
 * store.c: opening the environment, translating LMDB errors, transactions,
 * group commit, map growth and hot backup.
 *
 * Group commit: writers do not open write transactions themselves. They
 * queue an operation (a function and its argument) and sleep; the
 * committer thread takes the whole queue, runs every operation inside ONE
 * write transaction, commits once (one fsync pair), and then wakes each
 * writer with its own result. An operation that refuses (a reused nonce)
 * does so before writing anything, so it fails alone; any other failure
 * reruns the batch with each operation in its own nested transaction
 * (see is_refusal). While it
 * commits, the next batch gathers, so the number of fsyncs per second
 * stays constant as writers are added and throughput grows with them.
 *
 * Map growth: MDB_MAP_FULL aborts the whole batch, the map is doubled
 * (up to max_map_size) with no transaction alive in this process (the
 * exclusive lock), and the batch runs again from the start; operations
 * are written to be re-runnable. At max_map_size the batch runs once more
 * nested, and each operation that still does not fit fails alone with
 * KBS_ERR_STORE_FULL (aborting a nested transaction returns its pages).
 */
#include "keystore-int.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sodium.h>

int
ks_mdb_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return KBS_ERR_NOT_FOUND;
	case MDB_KEYEXIST:
		return KBS_ERR_EXISTS;
	case MDB_MAP_FULL:
		return KBS_ERR_STORE_MAP_FULL;
	case MDB_TXN_FULL:
	case MDB_BAD_VALSIZE:
		return KBS_ERR_TOO_LARGE;
	case MDB_READERS_FULL:
		return KBS_ERR_STORE_BUSY;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
		return KBS_ERR_STORE_CORRUPT;
	case MDB_VERSION_MISMATCH:
		return KBS_ERR_STORE_OPEN;
	case MDB_PANIC:
		return KBS_ERR_IO;
	case ENOSPC:
	case EDQUOT:
		return KBS_ERR_STORE_FULL;
	case ENOMEM:
		return KBS_ERR_ALLOC;
	case EIO:
		return KBS_ERR_IO;
	default:
		if (rc > 0) {
			errno = rc;
			return KBS_ERR_SYSTEM;
		}
		return KBS_ERR_STORE_OPEN;
	}
}

/*
 * LMDB reports a short write (a file system that runs out of room in the
 * middle of a multi-page write, as tmpfs does) as EIO. If the file system
 * has no room left, say so.
 */
static int
commit_err(struct keystore *ks, int rc)
{
	struct statvfs sv;
	int fd = -1;

	if (rc == EIO && mdb_env_get_fd(ks->env, &fd) == 0 && fstatvfs(fd, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < (1u << 20))
		return KBS_ERR_STORE_FULL;
	return ks_mdb_err(rc);
}

static void
lock_rd(struct keystore *ks)
{
	if (pthread_rwlock_rdlock(&ks->lock) != 0)
		abort(); /* only EDEADLK/EAGAIN: a bug, not a condition */
}

static void
lock_wr(struct keystore *ks)
{
	if (pthread_rwlock_wrlock(&ks->lock) != 0)
		abort();
}

static void
unlock(struct keystore *ks)
{
	(void)pthread_rwlock_unlock(&ks->lock);
}

/* adopt_map_size: another process grew the map; take its size (exclusive lock held). */
static int
adopt_map_size(struct keystore *ks)
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

/* grow doubles the map unless someone already grew it past seen. */
static int
grow(struct keystore *ks, size_t seen, bool wrlocked)
{
	size_t next;
	int r = 0, rc;

	if (!wrlocked)
		lock_wr(ks);
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
		unlock(ks);
	return r;
}

int
ks_read_begin(struct keystore *ks, MDB_txn **ret_txn)
{
	MDB_txn *txn = NULL;
	int rc, r;

	for (;;) {
		lock_rd(ks);
		rc = mdb_txn_begin(ks->env, NULL, MDB_RDONLY, &txn);
		if (rc == 0) {
			*ret_txn = txn;
			return 0; /* the shared lock stays held until ks_read_end */
		}
		unlock(ks);
		if (rc != MDB_MAP_RESIZED)
			return ks_mdb_err(rc);
		lock_wr(ks);
		r = adopt_map_size(ks);
		unlock(ks);
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
	unlock(ks);
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
 * of page lists for every nested transaction.
 */
static bool
is_refusal(int r)
{
	return r == KBS_ERR_STORE_NONCE_REUSED || r == KBS_ERR_NOT_FOUND || r == KBS_ERR_EXISTS ||
	    r == KBS_ERR_STORE_AUDIT_CHAIN;
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
	size_t seen;
	int rc, r;

	for (;;) {
		if (!wrlocked)
			lock_rd(ks);
		seen = ks->map_size;
		rc = mdb_txn_begin(ks->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			if (!wrlocked) {
				unlock(ks);
				lock_wr(ks);
			}
			r = adopt_map_size(ks);
			if (!wrlocked)
				unlock(ks);
			if (r != 0) {
				batch_set(batch, r);
				return;
			}
			continue;
		}
		if (rc != 0) {
			if (!wrlocked)
				unlock(ks);
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
				unlock(ks);
			if (renest) {
				nested = true;
				continue;
			}
			if (!full)
				return;
			if ((r = grow(ks, seen, wrlocked)) != 0) {
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
			unlock(ks);
		if (rc == MDB_MAP_FULL) {
			if ((r = grow(ks, seen, wrlocked)) != 0) {
				batch_set(batch, r);
				return;
			}
			continue;
		}
		if (rc != 0) {
			r = commit_err(ks, rc);
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

	pthread_mutex_lock(&ks->q_mu);
	for (;;) {
		while (ks->q_head == NULL && !ks->stopping)
			pthread_cond_wait(&ks->q_cv, &ks->q_mu);
		if (ks->q_head == NULL)
			break; /* stopping, and every queued op has been answered */
		batch = ks->q_head;
		ks->q_head = ks->q_tail = NULL;
		pthread_mutex_unlock(&ks->q_mu);
		run_batch(ks, batch, false, NULL, NULL);
		pthread_mutex_lock(&ks->q_mu);
		ks->batches++;
		for (op = batch; op != NULL; op = next) {
			next = op->next; /* op lives on its writer's stack: read before waking it */
			op->done = true;
			pthread_cond_signal(&op->cv);
		}
	}
	pthread_mutex_unlock(&ks->q_mu);
	return NULL;
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
		return op.result;
	}
	if (pthread_cond_init(&op.cv, NULL) != 0)
		return KBS_ERR_SYSTEM;
	pthread_mutex_lock(&ks->q_mu);
	if (ks->stopping) {
		r = KBS_ERR_STORE_OPEN;
	} else {
		if (ks->q_tail != NULL)
			ks->q_tail->next = &op;
		else
			ks->q_head = &op;
		ks->q_tail = &op;
		pthread_cond_signal(&ks->q_cv);
		while (!op.done)
			pthread_cond_wait(&op.cv, &ks->q_mu);
		r = op.result;
	}
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
	lock_wr(ks);
	run_batch(ks, &op, true, after, arg);
	unlock(ks);
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

	lock_rd(ks);
	n = ks->map_size;
	unlock(ks);
	return n;
}

/* ---- open / close ------------------------------------------------------ */

static int
check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			return KBS_ERR_SYSTEM;
		if (mkdir(dir, 0700) != 0 || stat(dir, &st) != 0)
			return KBS_ERR_SYSTEM;
	}
	if (!S_ISDIR(st.st_mode))
		return KBS_ERR_STORE_OPEN;
	/* Whoever owns or can write the directory can replace the files under us. */
	if (st.st_uid != geteuid())
		return KBS_ERR_STORE_DIR_OWNER;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return KBS_ERR_STORE_DIR_PERMS;
	return 0;
}

/*
 * check_files applies the directory's rule to the files LMDB keeps in it:
 * a data.mdb or lock.mdb that another user owns, or that group or others
 * may read or write (a restore copied with the wrong mode), would hand the
 * store to them. Missing files are fine (a new store; LMDB makes them 0600).
 */
static int
check_files(const char *dir)
{
	static const char *const names[] = { "data.mdb", "lock.mdb" };
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int n;

	for (i = 0; i < KBS_ARRAY_SIZE(names); i++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (n < 0 || (size_t)n >= sizeof(path))
			return KBS_ERR_INVALID_ARGUMENT;
		if (lstat(path, &st) != 0) {
			if (errno == ENOENT)
				continue;
			return KBS_ERR_SYSTEM;
		}
		if (!S_ISREG(st.st_mode))
			return KBS_ERR_STORE_OPEN;
		if (st.st_uid != geteuid())
			return KBS_ERR_STORE_DIR_OWNER;
		if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
			return KBS_ERR_STORE_DIR_PERMS;
	}
	return 0;
}

static int
open_dbis(struct keystore *ks)
{
	static const struct {
		const char *name;
		size_t off;
	} tables[] = {
		{ "secrets", offsetof(struct keystore, dbi_secrets) },
		{ "policies", offsetof(struct keystore, dbi_policies) },
		{ "nonces", offsetof(struct keystore, dbi_nonces) },
		{ "nonce_expiry", offsetof(struct keystore, dbi_nonce_exp) },
		{ "audit", offsetof(struct keystore, dbi_audit) },
		{ "certs", offsetof(struct keystore, dbi_certs) },
	};
	MDB_txn *txn = NULL;
	size_t i;
	int rc, r = KBS_ERR_INTERNAL;

	for (;;) {
		if ((rc = mdb_txn_begin(ks->env, NULL, 0, &txn)) != 0)
			return ks_mdb_err(rc);
		if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &ks->dbi_meta)) != 0) {
			r = ks_mdb_err(rc);
			goto out;
		}
		if ((r = ks_meta_init_or_check(ks, txn)) != 0)
			goto out;
		for (i = 0; i < KBS_ARRAY_SIZE(tables); i++) {
			MDB_dbi *dbi = (MDB_dbi *)(void *)((char *)ks + tables[i].off);

			if ((rc = mdb_dbi_open(txn, tables[i].name, MDB_CREATE, dbi)) != 0) {
				r = ks_mdb_err(rc);
				goto out;
			}
		}
		rc = mdb_txn_commit(txn);
		txn = NULL;
		if (rc == MDB_MAP_FULL) {
			if ((r = grow(ks, ks->map_size, true)) != 0)
				return r;
			continue;
		}
		return commit_err(ks, rc);
	}
out:
	mdb_txn_abort(txn);
	if (r == KBS_ERR_STORE_MAP_FULL)
		r = KBS_ERR_STORE_FULL;
	return r;
}

static int
fsync_path(const char *path, int flags)
{
	int fd, r = 0;

	if ((fd = open(path, flags | O_CLOEXEC)) < 0)
		return KBS_ERR_SYSTEM;
	if (fsync(fd) != 0)
		r = errno == ENOSPC || errno == EDQUOT ? KBS_ERR_STORE_FULL : KBS_ERR_SYSTEM;
	close(fd);
	return r;
}

int
keystore_open(const char *dir, const struct keystore_key_source *src,
    const struct keystore_options *opts, struct keystore **ret_ks)
{
	struct keystore *ks = NULL;
	pthread_rwlockattr_t attr;
	MDB_envinfo info;
	unsigned env_flags = MDB_NOTLS;
	int rc, dead = 0, r = KBS_ERR_INTERNAL;

	if (dir == NULL || src == NULL || ret_ks == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (opts != NULL && (opts->flags & ~(KEYSTORE_NO_GROUP_COMMIT | KEYSTORE_NO_SYNC)) != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = kbs_crypto_init()) != 0)
		return r;
	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return KBS_ERR_ALLOC;
	ks->map_size = opts != NULL && opts->initial_map_size != 0 ? opts->initial_map_size
								   : KEYSTORE_DEFAULT_MAP_SIZE;
	ks->max_map_size =
	    opts != NULL && opts->max_map_size != 0 ? opts->max_map_size : KEYSTORE_MAX_MAP_SIZE;
	ks->flags = opts != NULL ? opts->flags : 0;
	if (ks->map_size > ks->max_map_size)
		ks->map_size = ks->max_map_size;
	/* Writer-preferring, so a map resize is not starved by a stream of readers. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	rc = pthread_rwlock_init(&ks->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (rc != 0) {
		free(ks);
		return KBS_ERR_SYSTEM;
	}
	pthread_mutex_init(&ks->q_mu, NULL);
	pthread_cond_init(&ks->q_cv, NULL);

	if ((r = check_dir(dir)) != 0 || (r = check_files(dir)) != 0)
		goto out;
	if ((r = ks_keys_load(src, &ks->keys)) != 0)
		goto out;
	if ((rc = mdb_env_create(&ks->env)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if (ks->flags & KEYSTORE_NO_SYNC)
		env_flags |= MDB_NOSYNC;
	if ((rc = mdb_env_set_maxdbs(ks->env, 8)) != 0 ||
	    (rc = mdb_env_set_maxreaders(ks->env, 510)) != 0 ||
	    (rc = mdb_env_set_mapsize(ks->env, ks->map_size)) != 0 ||
	    (rc = mdb_env_open(ks->env, dir, env_flags, 0600)) != 0) {
		/* Keep errno causes and a damaged file apart; the rest is "cannot open". */
		r = ks_mdb_err(rc);
		if (r != KBS_ERR_SYSTEM && r != KBS_ERR_STORE_CORRUPT)
			r = KBS_ERR_STORE_OPEN;
		goto out;
	}
	/*
	 * Free reader slots left by processes that died (a killed broker, a
	 * killed kbs-store) while others kept the environment open: a stale
	 * slot pins old pages and the file would only grow.
	 */
	if ((rc = mdb_reader_check(ks->env, &dead)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	/* An existing file may carry a larger map than asked for: LMDB keeps it. */
	if ((rc = mdb_env_info(ks->env, &info)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	ks->map_size = info.me_mapsize;
	if ((r = open_dbis(ks)) != 0)
		goto out;
	/*
	 * LMDB fsyncs its files but not the directory that names them: sync
	 * it once, so a store created just before a power loss is still found.
	 */
	if ((r = fsync_path(dir, O_RDONLY | O_DIRECTORY)) != 0)
		goto out;
	if (!(ks->flags & KEYSTORE_NO_GROUP_COMMIT)) {
		if (pthread_create(&ks->committer, NULL, committer_main, ks) != 0) {
			r = KBS_ERR_SYSTEM;
			goto out;
		}
		ks->committer_started = true;
	}
	*ret_ks = ks;
	ks = NULL;
	r = 0;
out:
	keystore_close(ks);
	return r;
}

void
keystore_close(struct keystore *ks)
{
	if (ks == NULL)
		return;
	if (ks->committer_started) {
		pthread_mutex_lock(&ks->q_mu);
		ks->stopping = true;
		pthread_cond_signal(&ks->q_cv);
		pthread_mutex_unlock(&ks->q_mu);
		pthread_join(ks->committer, NULL);
	}
	if (ks->env != NULL)
		mdb_env_close(ks->env);
	ks_keys_free(ks->keys);
	pthread_cond_destroy(&ks->q_cv);
	pthread_mutex_destroy(&ks->q_mu);
	pthread_rwlock_destroy(&ks->lock);
	free(ks);
}

/* ---- backup ------------------------------------------------------------ */

static int
dir_is_empty(const char *dir, bool *ret_empty)
{
	DIR *d;
	struct dirent *e;
	bool empty = true;

	if ((d = opendir(dir)) == NULL)
		return KBS_ERR_SYSTEM;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(d);
	*ret_empty = empty;
	return 0;
}

int
keystore_backup(struct keystore *ks, const char *dest_dir)
{
	char path[PATH_MAX];
	bool empty = false;
	int fd = -1, rc, r = KBS_ERR_INTERNAL, n;

	if (ks == NULL || dest_dir == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (mkdir(dest_dir, 0700) != 0) {
		if (errno != EEXIST)
			return KBS_ERR_SYSTEM;
		if ((r = dir_is_empty(dest_dir, &empty)) != 0)
			return r;
		if (!empty)
			return KBS_ERR_EXISTS;
	}
	n = snprintf(path, sizeof(path), "%s/data.mdb", dest_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return KBS_ERR_INVALID_ARGUMENT;
	/*
	 * Create the file ourselves, owner-only: mdb_env_copy2 would create it
	 * 0666 & ~umask, and the copy holds the audit log and every secret's
	 * name and policy in the clear. O_EXCL also refuses a planted symlink.
	 */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return KBS_ERR_SYSTEM;
	for (;;) {
		/* The copy runs its own read transaction: no resize may happen meanwhile. */
		lock_rd(ks);
		rc = mdb_env_copyfd2(ks->env, fd, MDB_CP_COMPACT);
		unlock(ks);
		if (rc != MDB_MAP_RESIZED)
			break;
		/* Another process grew the map: adopt its size and copy again from the start. */
		lock_wr(ks);
		r = adopt_map_size(ks);
		unlock(ks);
		if (r != 0)
			goto out;
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
			r = KBS_ERR_SYSTEM;
			goto out;
		}
	}
	if (rc != 0) {
		r = commit_err(ks, rc);
		goto out;
	}
	if (fsync(fd) != 0) {
		r = errno == ENOSPC || errno == EDQUOT ? KBS_ERR_STORE_FULL : KBS_ERR_SYSTEM;
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0) {
		r = errno == ENOSPC || errno == EDQUOT ? KBS_ERR_STORE_FULL : KBS_ERR_SYSTEM;
		goto out;
	}
	r = fsync_path(dest_dir, O_RDONLY | O_DIRECTORY);
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		(void)unlink(path);
	return r;
}
