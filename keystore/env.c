/*
 * env.c: the LMDB environment on disk: opening and closing it, the
 * ownership and permission rules for the data directory and its files,
 * and hot backup.
 */
#include "keystore-int.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_dir(const char *path, bool *ret_created);

static int
check_dir(const char *dir, struct stat *ret_st)
{
	struct stat st;
	bool created = false;
	int r;

	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			return KBS_ERR_SYSTEM;
		if ((r = make_dir(dir, &created)) != 0)
			return r;
		if (stat(dir, &st) != 0)
			return KBS_ERR_SYSTEM;
	}
	if (!S_ISDIR(st.st_mode))
		return KBS_ERR_STORE_OPEN;
	/* Whoever owns or can write the directory can replace the files under us. */
	if (st.st_uid != geteuid())
		return KBS_ERR_STORE_DIR_OWNER;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return KBS_ERR_STORE_DIR_PERMS;
	*ret_st = st;
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

/*
 * The stores open in this process, by their directory's device and inode
 * (so another path to the same directory is the same store). LMDB forbids
 * opening one environment twice in a process: its locks belong to the
 * process, so closing one handle would drop the other's. A child after
 * fork() starts with none: the inherited handles are not its to use, and
 * it may open the store anew.
 */
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t open_once = PTHREAD_ONCE_INIT;
static struct keystore *open_list; /* under open_mu */

static void
atfork_prepare(void)
{
	pthread_mutex_lock(&open_mu);
}

static void
atfork_parent(void)
{
	pthread_mutex_unlock(&open_mu);
}

static void
atfork_child(void)
{
	open_list = NULL;
	pthread_mutex_unlock(&open_mu);
}

static void
open_list_init(void)
{
	(void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* register_open adds ks (dir_dev, dir_ino set) or refuses a second handle on its store. */
static int
register_open(struct keystore *ks)
{
	struct keystore *o;
	int r = 0;

	if (pthread_once(&open_once, open_list_init) != 0)
		return KBS_ERR_SYSTEM;
	pthread_mutex_lock(&open_mu);
	for (o = open_list; o != NULL; o = o->next_open) {
		if (o->dir_dev == ks->dir_dev && o->dir_ino == ks->dir_ino) {
			r = KBS_ERR_STORE_OPEN_TWICE;
			break;
		}
	}
	if (r == 0) {
		ks->next_open = open_list;
		open_list = ks;
		ks->registered = true;
	}
	pthread_mutex_unlock(&open_mu);
	return r;
}

static void
unregister_open(struct keystore *ks)
{
	struct keystore **p;

	if (!ks->registered)
		return;
	pthread_mutex_lock(&open_mu);
	for (p = &open_list; *p != NULL; p = &(*p)->next_open) {
		if (*p == ks) {
			*p = ks->next_open;
			break;
		}
	}
	pthread_mutex_unlock(&open_mu);
	ks->registered = false;
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
		{ "audit_index", offsetof(struct keystore, dbi_audit_index) },
		{ "tokens", offsetof(struct keystore, dbi_tokens) },
		{ "token_hashes", offsetof(struct keystore, dbi_token_hashes) },
		{ "certs", offsetof(struct keystore, dbi_certs) },
	};
	MDB_txn *txn = NULL;
	size_t i;
	int rc, r = KBS_ERR_INTERNAL;

	for (;;) {
		rc = mdb_txn_begin(ks->env, NULL, 0, &txn);
		/*
		 * LMDB maps what this process asked for (or the file's used
		 * size, if larger), not the size another process grew the map
		 * to: a writer elsewhere that has used more pages since makes
		 * this first transaction fail. Adopt its size and try again.
		 * (No other thread can hold the store yet.)
		 */
		if (rc == MDB_MAP_RESIZED) {
			if ((r = ks_adopt_map_size(ks)) != 0)
				return r;
			continue;
		}
		if (rc != 0)
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
			if ((r = ks_grow(ks, ks->map_size, true)) != 0)
				return r;
			continue;
		}
		return ks_commit_err(ks, rc);
	}
out:
	mdb_txn_abort(txn);
	if (r == KBS_ERR_STORE_MAP_FULL)
		r = KBS_ERR_STORE_FULL;
	return r;
}

/*
 * check_file_size refuses a data file shorter than the pages its meta page
 * says are in use: a backup cut short, or a file truncated by hand. LMDB
 * maps the file and would read past its end, which kills the process with
 * SIGBUS instead of returning an error. LMDB writes every page it uses
 * (pwrite, not a sparse map), so a sound file always reaches its last page.
 */
static int
check_file_size(struct keystore *ks)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat st;
	int fd = -1, rc;

	if ((rc = mdb_env_info(ks->env, &info)) != 0 || (rc = mdb_env_stat(ks->env, &ms)) != 0 ||
	    (rc = mdb_env_get_fd(ks->env, &fd)) != 0)
		return ks_mdb_err(rc);
	if (fstat(fd, &st) != 0)
		return KBS_ERR_SYSTEM;
	if (ms.ms_psize == 0 || info.me_last_pgno >= (size_t)st.st_size / ms.ms_psize)
		return KBS_ERR_STORE_CORRUPT;
	return 0;
}

static int
fsync_err(void)
{
	return errno == ENOSPC || errno == EDQUOT ? KBS_ERR_STORE_FULL : KBS_ERR_SYSTEM;
}

static int
fsync_dir(const char *path)
{
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return KBS_ERR_SYSTEM;
	if (fsync(fd) != 0)
		r = fsync_err();
	close(fd);
	return r;
}

/*
 * fsync_parent syncs the directory that names path, so that a directory
 * just created there survives a power loss (its own fsync does not record
 * its name).
 */
static int
fsync_parent(const char *path)
{
	char parent[PATH_MAX];
	size_t n = strnlen(path, sizeof(parent));
	char *slash;

	if (n == 0 || n >= sizeof(parent))
		return KBS_ERR_INVALID_ARGUMENT;
	memcpy(parent, path, n + 1);
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = 0;
	if ((slash = strrchr(parent, '/')) == NULL)
		return fsync_dir(".");
	if (slash == parent)
		slash[1] = 0; /* "/x": the root */
	else
		*slash = 0;
	return fsync_dir(parent);
}

/* make_dir creates path 0700 and syncs its parent; *ret_created says whether it was made. */
static int
make_dir(const char *path, bool *ret_created)
{
	*ret_created = false;
	if (mkdir(path, 0700) != 0)
		return errno == EEXIST ? 0 : KBS_ERR_SYSTEM;
	*ret_created = true;
	return fsync_parent(path);
}

int
keystore_open(const char *dir, const struct keystore_key_source *src,
    const struct keystore_options *opts, struct keystore **ret_ks)
{
	struct keystore *ks = NULL;
	struct stat st;
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
	if (opts != NULL) {
		ks->on_commit = opts->on_commit;
		ks->on_commit_ctx = opts->on_commit_ctx;
	}
	if (ks->map_size > ks->max_map_size)
		ks->map_size = ks->max_map_size;
	if ((r = ks_committer_init(ks)) != 0) {
		free(ks);
		return r;
	}

	if ((r = check_dir(dir, &st)) != 0 || (r = check_files(dir)) != 0)
		goto out;
	ks->dir_dev = st.st_dev;
	ks->dir_ino = st.st_ino;
	if ((r = register_open(ks)) != 0)
		goto out;
	if ((r = ks_keys_load(src, &ks->keys)) != 0)
		goto out;
	if ((rc = mdb_env_create(&ks->env)) != 0) {
		r = ks_mdb_err(rc);
		goto out;
	}
	if (ks->flags & KEYSTORE_NO_SYNC)
		env_flags |= MDB_NOSYNC;
	if ((rc = mdb_env_set_maxdbs(ks->env, 16)) != 0 ||
	    (rc = mdb_env_set_maxreaders(ks->env, 510)) != 0 ||
	    (rc = mdb_env_set_mapsize(ks->env, ks->map_size)) != 0 ||
	    (rc = mdb_env_open(ks->env, dir, env_flags, 0600)) != 0) {
		/* Keep errno causes and a damaged file apart; the rest is "cannot open". */
		r = ks_mdb_err(rc);
		if (r != KBS_ERR_SYSTEM && r != KBS_ERR_STORE_CORRUPT)
			r = KBS_ERR_STORE_OPEN;
		goto out;
	}
	if ((r = check_file_size(ks)) != 0)
		goto out;
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
	if ((r = fsync_dir(dir)) != 0)
		goto out;
	if ((r = ks_committer_start(ks)) != 0)
		goto out;
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
	ks_committer_stop(ks);
	if (ks->env != NULL)
		mdb_env_close(ks->env);
	/* Only now may another open of the same store in this process begin. */
	unregister_open(ks);
	ks_keys_free(ks->keys);
	ks_committer_destroy(ks);
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

/*
 * keystore_backup writes the copy under a temporary name, syncs it, and
 * only then renames it to data.mdb and syncs the directory: a backup cut
 * short (killed, out of space, power lost) never leaves a partial data.mdb
 * that looks like a store, only KS_BACKUP_PARTIAL, which no one restores.
 */
#define KS_BACKUP_PARTIAL "data.mdb.partial"

int
keystore_backup(struct keystore *ks, const char *dest_dir)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	bool empty = false, created = false;
	int fd = -1, rc, r = KBS_ERR_INTERNAL, n;

	if (ks == NULL || dest_dir == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	n = snprintf(path, sizeof(path), "%s/data.mdb", dest_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return KBS_ERR_INVALID_ARGUMENT;
	n = snprintf(tmp, sizeof(tmp), "%s/" KS_BACKUP_PARTIAL, dest_dir);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = make_dir(dest_dir, &created)) != 0)
		return r;
	if (!created) {
		if ((r = dir_is_empty(dest_dir, &empty)) != 0)
			return r;
		if (!empty)
			return KBS_ERR_EXISTS;
	}
	/*
	 * Create the file ourselves, owner-only: mdb_env_copy2 would create it
	 * 0666 & ~umask, and the copy holds the audit log and every secret's
	 * name and policy in the clear. O_EXCL also refuses a planted symlink.
	 */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return KBS_ERR_SYSTEM;
	for (;;) {
		/* The copy runs its own read transaction: no resize may happen meanwhile. */
		ks_lock_rd(ks);
		rc = mdb_env_copyfd2(ks->env, fd, MDB_CP_COMPACT);
		ks_unlock(ks);
		if (rc != MDB_MAP_RESIZED)
			break;
		/* Another process grew the map: adopt its size and copy again from the start. */
		ks_lock_wr(ks);
		r = ks_adopt_map_size(ks);
		ks_unlock(ks);
		if (r != 0)
			goto out;
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
			r = KBS_ERR_SYSTEM;
			goto out;
		}
	}
	if (rc != 0) {
		r = ks_commit_err(ks, rc);
		goto out;
	}
	if (fsync(fd) != 0) {
		r = fsync_err();
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0) {
		r = fsync_err();
		goto out;
	}
	/* rename() replaces an entry, never writes through it: a planted data.mdb symlink is
	 * harmless. */
	if (rename(tmp, path) != 0) {
		r = KBS_ERR_SYSTEM;
		goto out;
	}
	r = fsync_dir(dest_dir);
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		(void)unlink(tmp);
	return r;
}
