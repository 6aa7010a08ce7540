/*
 * Unit tests for keystore/env.c, commit.c's map growth, masterkey.c,
 * meta.c and kbs-store: opening and every refusal (exact codes), map
 * growth from a tiny map, backup and restore, the tool's commands.
 */
#include "ks_raw.h"
#include "keystore-int.h"

#include <lmdb.h>
#include <sodium.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/xattr.h>

static void
test_open_close_reopen(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	struct keystore_secret *s = NULL;
	struct stat st;

	ks_fixture_init(&f, 0x11);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	CHECK(ks != NULL);
	CHECK(stat(f.dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK_UINT_EQ(keystore_map_size(ks), KEYSTORE_DEFAULT_MAP_SIZE);
	CHECK_OK(keystore_secret_put(ks, "k", (const uint8_t *)"v", 1, NULL, &ks_actor, NULL));
	keystore_close(ks);
	keystore_close(NULL);
	ks = NULL;
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	CHECK_OK(keystore_secret_get(ks, "k", &s));
	CHECK(s != NULL && s->value_len == 1 && s->value[0] == 'v');
	keystore_secret_free(s);
	keystore_secret_free(NULL);
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_open_args(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	struct keystore_key_source bad = { KEYSTORE_KEY_FILE, NULL };
	struct keystore_key_source kind = { (enum keystore_key_kind)9, "x" };

	ks_fixture_init(&f, 1);
	CHECK_ERR(keystore_open(NULL, &f.src, NULL, &ks), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_open(f.dir, NULL, NULL, &ks), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_open(f.dir, &bad, NULL, &ks), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_open(f.dir, &kind, NULL, &ks), KBS_ERR_INVALID_ARGUMENT);
	{
		struct keystore_options o = { 0, 0, 1u << 7, NULL, NULL };

		CHECK_ERR(keystore_open(f.dir, &f.src, &o, &ks), KBS_ERR_INVALID_ARGUMENT);
	}
	CHECK(ks == NULL);
	/* The data dir path names a file, not a directory. */
	CHECK_ERR(keystore_open(f.key, &f.src, NULL, &ks), KBS_ERR_STORE_OPEN);
	ks_fixture_done(&f);
}

static void
test_key_file_refusals(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	char hex[66];
	uint8_t key[32];

	ks_fixture_init(&f, 2);
	/* Group- or world-readable: refused before reading. */
	CHECK(chmod(f.key, 0644) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_PERMS);
	CHECK(chmod(f.key, 0640) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_PERMS);
	CHECK(chmod(f.key, 0604) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_PERMS);
	CHECK(chmod(f.key, 0400) == 0);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	ks = NULL;
	/* Not a regular file. */
	f.src.name = f.root;
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_PERMS);
	/* Missing. */
	f.src.name = "/nonexistent/kbs.key";
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_SYSTEM);
	CHECK_INT_EQ(errno, ENOENT);
	f.src.name = f.key;
	/* Wrong lengths and bad hex. */
	memset(key, 2, sizeof(key));
	ks_write_file(f.key, key, 31, 0600);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_FORMAT);
	ks_write_file(f.key, "", 0, 0600);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_FORMAT);
	memset(hex, 'z', 64);
	hex[64] = '\n';
	ks_write_file(f.key, hex, 65, 0600);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_FORMAT);
	/* The same key as hex with a newline opens the store made with raw bytes. */
	CHECK_OK(kbs_hex_encode(key, 32, hex, sizeof(hex)));
	hex[64] = '\n';
	ks_write_file(f.key, hex, 65, 0600);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	ks = NULL;
	ks_write_file(f.key, hex, 64, 0600);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	ks = NULL;
	hex[64] = 'x';
	ks_write_file(f.key, hex, 65, 0600);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_FORMAT);
	ks_fixture_done(&f);
}

/* set_acl gives path a POSIX access ACL (the kernel's xattr format) and sets the mode to match. */
static int
set_acl(const char *path, const uint16_t (*ent)[2], const uint32_t *ids, size_t n)
{
	uint8_t buf[4 + 8 * 8];
	size_t i, off = 4;

	memset(buf, 0, sizeof(buf));
	buf[0] = 2; /* version, little-endian */
	for (i = 0; i < n && off + 8 <= sizeof(buf); i++, off += 8) {
		buf[off] = (uint8_t)ent[i][0];
		buf[off + 1] = (uint8_t)(ent[i][0] >> 8);
		buf[off + 2] = (uint8_t)ent[i][1];
		buf[off + 4] = (uint8_t)ids[i];
		buf[off + 5] = (uint8_t)(ids[i] >> 8);
		buf[off + 6] = (uint8_t)(ids[i] >> 16);
		buf[off + 7] = (uint8_t)(ids[i] >> 24);
	}
	return setxattr(path, "system.posix_acl_access", buf, off, 0);
}

/*
 * Who may read the key: the file's owner must be this process's user or
 * root, and a POSIX ACL (systemd's credentials: mode 0400, root, plus
 * "user:<service>:r", which shows as 0440) may grant reading only to this
 * process's user.
 */
static void
test_key_file_owner_and_acl(void)
{
	/* tags: user_obj 1, user 2, group_obj 4, mask 0x10, other 0x20; perm 4 = read */
	static const uint16_t ours[][2] = { { 1, 4 }, { 2, 4 }, { 4, 0 }, { 0x10, 4 },
		{ 0x20, 0 } };
	static const uint16_t group_reads[][2] = { { 1, 4 }, { 2, 4 }, { 4, 4 }, { 0x10, 4 },
		{ 0x20, 0 } };
	uint32_t ids[5] = { 0, 0, 0, 0, 0 };
	struct ks_fixture f;
	struct keystore *ks = NULL;
	struct stat st;

	ks_fixture_init(&f, 7);
	if (geteuid() != 0) {
		printf("# not root: cannot give the key file away\n");
		ks_fixture_done(&f);
		return;
	}
	CHECK(chown(f.key, 65534, 65534) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_PERMS);
	CHECK(chown(f.key, 0, 0) == 0);
	CHECK(chmod(f.key, 0400) == 0);
	ids[1] = geteuid();
	if (set_acl(f.key, ours, ids, 5) != 0) {
		printf("# no POSIX ACLs on this file system: %s\n", strerror(errno));
		ks_fixture_done(&f);
		return;
	}
	CHECK(stat(f.key, &st) == 0 && (st.st_mode & 0777) == 0440);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	ks = NULL;
	/* The ACL names another user, or gives the group read access. */
	ids[1] = 65534;
	CHECK(set_acl(f.key, ours, ids, 5) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_PERMS);
	ids[1] = geteuid();
	CHECK(set_acl(f.key, group_reads, ids, 5) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_KEY_PERMS);
	CHECK(ks == NULL);
	ks_fixture_done(&f);
}

static void
test_wrong_master_key(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	uint8_t key[32];

	ks_fixture_init(&f, 3);
	ks = ks_open_default(&f, NULL);
	keystore_close(ks);
	ks = NULL;
	memset(key, 4, sizeof(key));
	ks_write_file(f.key, key, sizeof(key), 0600);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_MASTER_KEY);
	CHECK(ks == NULL);
	ks_fixture_done(&f);
}

static void
test_credentials_directory(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	struct keystore_key_source cred = { KEYSTORE_KEY_CREDENTIAL, "master.key" };
	struct keystore_key_source slash = { KEYSTORE_KEY_CREDENTIAL, "../master.key" };

	ks_fixture_init(&f, 5);
	unsetenv("CREDENTIALS_DIRECTORY");
	CHECK_ERR(keystore_open(f.dir, &cred, NULL, &ks), KBS_ERR_NOT_FOUND);
	setenv("CREDENTIALS_DIRECTORY", f.root, 1);
	CHECK_ERR(keystore_open(f.dir, &slash, NULL, &ks), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(keystore_open(f.dir, &cred, NULL, &ks));
	keystore_close(ks);
	ks = NULL;
	/* The same key through the file path opens the same store. */
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	unsetenv("CREDENTIALS_DIRECTORY");
	ks_fixture_done(&f);
}

static void
test_dir_perms(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;

	ks_fixture_init(&f, 12);
	CHECK(mkdir(f.dir, 0700) == 0);
	CHECK(chmod(f.dir, 0770) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_DIR_PERMS);
	CHECK(chmod(f.dir, 0702) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_DIR_PERMS);
	/* Readable by others is allowed (the files inside are 0600). */
	CHECK(chmod(f.dir, 0755) == 0);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * The files in the data directory get the directory's rules: a data.mdb or
 * lock.mdb that others can read or write (a restore copied with the wrong
 * mode), or that another user owns, is refused.
 */
static void
test_data_file_perms(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	char data[160], lock[160];

	ks_fixture_init(&f, 14);
	keystore_close(ks_open_default(&f, NULL));
	snprintf(data, sizeof(data), "%s/data.mdb", f.dir);
	snprintf(lock, sizeof(lock), "%s/lock.mdb", f.dir);
	CHECK(chmod(data, 0644) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_DIR_PERMS);
	CHECK(chmod(data, 0602) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_DIR_PERMS);
	CHECK(chmod(data, 0600) == 0);
	CHECK(chmod(lock, 0666) == 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_DIR_PERMS);
	CHECK(chmod(lock, 0600) == 0);
	if (geteuid() == 0) {
		CHECK(chown(data, 65534, 65534) == 0);
		CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_DIR_OWNER);
		CHECK(chown(data, 0, 0) == 0);
	}
	CHECK(ks == NULL);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_dir_owner(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;

	ks_fixture_init(&f, 6);
	CHECK(mkdir(f.dir, 0700) == 0);
	if (geteuid() != 0) {
		/* Only root can give a directory away; as a user, make it root's instead. */
		printf("# not root: checking against /\n");
		CHECK_ERR(keystore_open("/", &f.src, NULL, &ks), KBS_ERR_STORE_DIR_OWNER);
	} else {
		CHECK(chown(f.dir, 65534, 65534) == 0);
		CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_DIR_OWNER);
		CHECK(chown(f.dir, 0, 0) == 0);
		CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
		keystore_close(ks);
		ks = NULL;
	}
	ks_fixture_done(&f);
}

/* set_schema rewrites meta "schema" directly in the file. */
static void
set_schema(const char *dir, uint32_t schema)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	uint8_t b[4] = { (uint8_t)schema, (uint8_t)(schema >> 8), (uint8_t)(schema >> 16),
		(uint8_t)(schema >> 24) };
	MDB_val k = { 6, (void *)(uintptr_t) "schema" }, v = { 4, b };

	CHECK(mdb_env_create(&env) == 0);
	CHECK(mdb_env_set_maxdbs(env, 8) == 0);
	CHECK(mdb_env_open(env, dir, 0, 0600) == 0);
	CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
	CHECK(mdb_dbi_open(txn, "meta", 0, &dbi) == 0);
	CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

static void
test_newer_schema(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;

	ks_fixture_init(&f, 7);
	ks = ks_open_default(&f, NULL);
	keystore_close(ks);
	ks = NULL;
	set_schema(f.dir, KS_SCHEMA_VERSION + 1);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_SCHEMA);
	set_schema(f.dir, 0);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_CORRUPT);
	/* Schema 1 (unauthenticated policies, no head for an empty log) is not read. */
	set_schema(f.dir, 1);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_SCHEMA_OLD);
	set_schema(f.dir, KS_SCHEMA_VERSION);
	CHECK_OK(keystore_open(f.dir, &f.src, NULL, &ks));
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_not_lmdb(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL;
	char path[160];
	uint8_t junk[8192];

	ks_fixture_init(&f, 8);
	CHECK(mkdir(f.dir, 0700) == 0);
	snprintf(path, sizeof(path), "%s/data.mdb", f.dir);
	memset(junk, 0x5a, sizeof(junk));
	ks_write_file(path, junk, sizeof(junk), 0600);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &ks), KBS_ERR_STORE_CORRUPT);
	ks_fixture_done(&f);
}

static void
test_map_growth(void)
{
	struct ks_fixture f;
	struct keystore_options opts = { 64 << 10, 0, 0, NULL, NULL };
	struct keystore *ks = NULL;
	struct keystore_secret *s = NULL;
	uint8_t value[4096];
	char name[32];
	int i;

	ks_fixture_init(&f, 9);
	ks = ks_open_default(&f, &opts);
	CHECK(keystore_map_size(ks) <= (64u << 10) * 2);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "s%03d", i);
		memset(value, i, sizeof(value));
		CHECK_OK(
		    keystore_secret_put(ks, name, value, sizeof(value), NULL, &ks_actor, NULL));
	}
	CHECK(keystore_map_size(ks) >= 200 * sizeof(value));
	for (i = 0; i < 200; i += 37) {
		snprintf(name, sizeof(name), "s%03d", i);
		CHECK_OK(keystore_secret_get(ks, name, &s));
		CHECK(s != NULL && s->value_len == sizeof(value) && s->value[100] == (uint8_t)i);
		keystore_secret_free(s);
		s = NULL;
	}
	keystore_close(ks);
	/* Reopened with the small size asked again, the grown file keeps its map. */
	ks = ks_open_default(&f, &opts);
	CHECK(keystore_map_size(ks) >= 200 * sizeof(value));
	keystore_close(ks);
	/* A ceiling: past it, writes fail with STORE_FULL and nothing else changes. */
	test_rm_rf(f.dir);
	opts.max_map_size = 256 << 10;
	ks = ks_open_default(&f, &opts);
	for (i = 0; i < 200; i++) {
		int r;

		snprintf(name, sizeof(name), "s%03d", i);
		r = keystore_secret_put(ks, name, value, sizeof(value), NULL, &ks_actor, NULL);
		if (r != 0) {
			CHECK_ERR(r, KBS_ERR_STORE_FULL);
			break;
		}
	}
	CHECK(i > 10 && i < 200);
	CHECK_OK(keystore_secret_get(ks, "s000", &s));
	keystore_secret_free(s);
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * Another process (a second broker, kbs-store) grows the map while this
 * one has the store open: this one adopts the new size (MDB_MAP_RESIZED)
 * on its next transaction, for reads and for writes.
 */
static void
test_map_grown_by_other_process(void)
{
	struct ks_fixture f;
	struct keystore_options opts = { 64 << 10, 0, 0, NULL, NULL };
	struct keystore *ks;
	struct keystore_secret *s = NULL;
	uint8_t value[4096];
	size_t before;
	int status = 0;
	pid_t pid;

	ks_fixture_init(&f, 13);
	ks = ks_open_default(&f, &opts);
	before = keystore_map_size(ks);
	memset(value, 0x3c, sizeof(value));
	pid = fork();
	if (pid == 0) {
		struct keystore *child = NULL;
		char name[16];
		int i;

		if (keystore_open(f.dir, &f.src, &opts, &child) != 0)
			_exit(1);
		for (i = 0; i < 100; i++) {
			snprintf(name, sizeof(name), "c%d", i);
			if (keystore_secret_put(
				child, name, value, sizeof(value), NULL, &ks_actor, NULL) != 0)
				_exit(2);
		}
		keystore_close(child);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_OK(keystore_secret_get(ks, "c99", &s));
	CHECK(s != NULL && s->value_len == sizeof(value) && s->value[17] == 0x3c);
	keystore_secret_free(s);
	CHECK(keystore_map_size(ks) > before);
	CHECK_OK(keystore_secret_put(ks, "parent", value, sizeof(value), NULL, &ks_actor, NULL));
	keystore_close(ks);
	ks_fixture_done(&f);
}

/*
 * A writer in another process keeps growing the store while this process
 * opens it, verifies the audit chain and backs it up, again and again (as
 * kbs-store does next to a running broker): each open meets a map that has
 * grown since (MDB_MAP_RESIZED) and must adopt it, not fail.
 */
static void
test_open_verify_backup_while_other_process_grows(void)
{
	struct ks_fixture f;
	struct keystore_options small = { 64 << 10, 0, 0, NULL, NULL };
	struct keystore *ks;
	char bdir[200], c = 0;
	int ready[2], stop[2], status = 0, i, opened = 0, verified = 0, backed_up = 0;
	uint64_t count = 0;
	pid_t pid;

	ks_fixture_init(&f, 15);
	keystore_close(ks_open_default(&f, &small));
	CHECK(pipe(ready) == 0 && pipe(stop) == 0);
	pid = fork();
	if (pid == 0) {
		struct keystore *w = NULL;
		uint8_t value[4096];
		char name[32];
		struct pollfd p = { stop[0], POLLIN, 0 };
		unsigned n;

		alarm(60);
		memset(value, 0x6b, sizeof(value));
		if (keystore_open(f.dir, &f.src, &small, &w) != 0)
			_exit(1);
		/*
		 * Paced and capped: on a file system where fsync is free (tmpfs)
		 * an unpaced writer grows the store so fast that the backups
		 * below copy hundreds of megabytes and the test times out.
		 */
		for (n = 0; n < 20000 && poll(&p, 1, 0) == 0; n++) {
			snprintf(name, sizeof(name), "grow-%u", n);
			if (keystore_secret_put(
				w, name, value, sizeof(value), NULL, &ks_actor, NULL) != 0)
				_exit(2);
			if (n == 10 && write(ready[1], "r", 1) != 1)
				_exit(3);
			usleep(500);
		}
		keystore_close(w);
		_exit(0);
	}
	CHECK(pid > 0 && read(ready[0], &c, 1) == 1);
	for (i = 0; i < 40; i++) {
		int r;

		ks = NULL;
		r = keystore_open(f.dir, &f.src, &small, &ks);
		CHECK_OK(r);
		if (r != 0)
			continue;
		opened++;
		if (keystore_audit_verify(ks, &count, NULL, NULL) == 0)
			verified++;
		snprintf(bdir, sizeof(bdir), "%s/backup-%d", f.root, i);
		if (keystore_backup(ks, bdir) == 0)
			backed_up++;
		keystore_close(ks);
	}
	CHECK(write(stop[1], "s", 1) == 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT_EQ(opened, 40);
	CHECK_INT_EQ(verified, 40);
	CHECK_INT_EQ(backed_up, 40);
	close(ready[0]);
	close(ready[1]);
	close(stop[0]);
	close(stop[1]);
	ks_fixture_done(&f);
}

/*
 * LMDB forbids a second handle on one environment in a process (closing
 * either would drop the other's locks): the second open is refused with its
 * own code, by any path to the directory, until the first is closed. A
 * child after fork() may open the store itself.
 */
static void
test_open_twice(void)
{
	struct ks_fixture f, g;
	struct keystore *ks = NULL, *again = NULL, *other = NULL;
	char link[200], dot[200];
	int status = -1;
	pid_t pid;

	ks_fixture_init(&f, 16);
	ks_fixture_init(&g, 16);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_open(f.dir, &f.src, NULL, &again), KBS_ERR_STORE_OPEN_TWICE);
	snprintf(link, sizeof(link), "%s/link", f.root);
	CHECK(symlink(f.dir, link) == 0);
	CHECK_ERR(keystore_open(link, &f.src, NULL, &again), KBS_ERR_STORE_OPEN_TWICE);
	snprintf(dot, sizeof(dot), "%s/./", f.dir);
	CHECK_ERR(keystore_open(dot, &f.src, NULL, &again), KBS_ERR_STORE_OPEN_TWICE);
	CHECK(again == NULL);
	/* The refused open left the first handle working. */
	CHECK_OK(keystore_secret_put(ks, "still", (const uint8_t *)"x", 1, NULL, &ks_actor, NULL));
	/* Another store opens beside it. */
	CHECK_OK(keystore_open(g.dir, &g.src, NULL, &other));
	pid = fork();
	if (pid == 0) {
		struct keystore *child = NULL;

		_exit(keystore_open(f.dir, &f.src, NULL, &child) == 0 ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	keystore_close(ks);
	CHECK_OK(keystore_open(link, &f.src, NULL, &again));
	keystore_close(again);
	keystore_close(other);
	ks_fixture_done(&f);
	ks_fixture_done(&g);
}

/* open_in_child runs keystore_open in a child, so a crash shows as a crash; returns its result. */
static int
open_in_child(struct ks_fixture *f, int *ret_signal)
{
	int fds[2], status = 0, result = 1;
	pid_t pid;

	*ret_signal = 0;
	if (pipe(fds) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		struct keystore *ks = NULL;
		int r;

		close(fds[0]);
		r = keystore_open(f->dir, &f->src, NULL, &ks);
		if (r == 0) {
			struct keystore_secret_info *items = NULL;
			size_t n = 0;

			/* Touch every secret record, as a broker soon would. */
			r = keystore_secret_list(ks, &items, &n);
			free(items);
		}
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &result, sizeof(result)) != sizeof(result))
		result = 1;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	if (WIFSIGNALED(status))
		*ret_signal = WTERMSIG(status);
	return result;
}

/*
 * A data file cut short (a copy interrupted part-way, a truncated
 * restore) is refused at open with STORE_CORRUPT: LMDB would otherwise
 * read the missing pages through its map and die of SIGBUS.
 */
static void
test_truncated_data_file(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct stat st;
	uint8_t value[2048];
	char path[200], name[16];
	off_t cuts[3];
	int i, sig = 0;

	ks_fixture_init(&f, 17);
	ks = ks_open_default(&f, NULL);
	memset(value, 0x71, sizeof(value));
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		CHECK_OK(
		    keystore_secret_put(ks, name, value, sizeof(value), NULL, &ks_actor, NULL));
	}
	keystore_close(ks);
	snprintf(path, sizeof(path), "%s/data.mdb", f.dir);
	CHECK(stat(path, &st) == 0 && st.st_size > 100 * 4096);
	/* Half the file, all but its last page, and just the two meta pages. */
	cuts[0] = st.st_size / 2;
	cuts[1] = st.st_size - 4096;
	cuts[2] = 2 * 4096;
	for (i = 0; i < 3; i++) {
		CHECK(truncate(path, cuts[i]) == 0);
		CHECK_ERR(open_in_child(&f, &sig), KBS_ERR_STORE_CORRUPT);
		CHECK_INT_EQ(sig, 0);
	}
	ks_fixture_done(&f);
}

/*
 * A backup killed part-way (SIGKILL at a random point of the copy) leaves
 * either no data.mdb at all or a complete one that opens and verifies,
 * never a truncated data.mdb that a restore would pick up.
 */
static void
test_backup_killed_part_way(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_secret *s = NULL;
	struct keystore_secret_in items[500];
	char names[500][16], bdir[200], data[240];
	uint8_t value[4096];
	int round, i, status, complete = 0, absent = 0;
	uint64_t count = 0;
	pid_t pid;

	ks_fixture_init(&f, 18);
	ks = ks_open_default(&f, NULL);
	memset(value, 0x2d, sizeof(value));
	for (round = 0; round < 8; round++) {
		for (i = 0; i < 500; i++) {
			snprintf(names[i], sizeof(names[i]), "b%d-%d", round, i);
			items[i].name = names[i];
			items[i].value = value;
			items[i].value_len = sizeof(value);
			items[i].policy = NULL;
		}
		CHECK_OK(keystore_secret_import(ks, items, 500, &ks_actor));
	}
	keystore_close(ks);
	for (round = 0; round < 12; round++) {
		snprintf(bdir, sizeof(bdir), "%s/killed-%d", f.root, round);
		snprintf(data, sizeof(data), "%s/data.mdb", bdir);
		pid = fork();
		if (pid == 0) {
			struct keystore *child = NULL;

			if (keystore_open(f.dir, &f.src, NULL, &child) != 0)
				_exit(1);
			_exit(keystore_backup(child, bdir) == 0 ? 0 : 2);
		}
		usleep((useconds_t)(round * round * 1500));
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		if (access(data, F_OK) != 0) {
			absent++;
			continue;
		}
		/* Restored as docs/keystore.md says, it is whole. */
		CHECK_OK(keystore_open(bdir, &f.src, NULL, &ks));
		if (ks != NULL) {
			CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
			CHECK_OK(keystore_secret_get(ks, "b7-499", &s));
			keystore_secret_free(s);
			s = NULL;
			keystore_close(ks);
			ks = NULL;
			complete++;
		}
	}
	printf("# %d backups killed before data.mdb existed, %d complete\n", absent, complete);
	CHECK_INT_EQ(absent + complete, 12);
	ks_fixture_done(&f);
}

static void
test_backup_restore(void)
{
	struct ks_fixture f;
	struct keystore *ks = NULL, *rs = NULL;
	struct keystore_secret *s = NULL;
	struct keystore_audit_record rec;
	char bdir[160], rdir[160], path[200], path2[200];
	uint64_t count = 0, bad = 0;
	uint8_t *data = NULL;
	size_t len = 0;
	int i;

	ks_fixture_init(&f, 10);
	ks = ks_open_default(&f, NULL);
	memset(&rec, 0, sizeof(rec));
	rec.event = "secret_put";
	for (i = 0; i < 20; i++) {
		char name[16];

		snprintf(name, sizeof(name), "b%d", i);
		CHECK_OK(keystore_secret_put(
		    ks, name, (const uint8_t *)"value", 5, NULL, &ks_actor, NULL));
		CHECK_OK(keystore_audit_append(ks, &rec, NULL));
	}
	CHECK_OK(keystore_secret_delete(ks, "b3", &ks_actor));
	snprintf(bdir, sizeof(bdir), "%s/backup", f.root);
	{
		/*
		 * The backup holds the audit log and secret metadata in the clear:
		 * owner-only whatever the umask (LMDB's own copy uses 0666).
		 */
		mode_t old_mask = umask(022);
		struct stat st;

		CHECK_OK(keystore_backup(ks, bdir));
		umask(old_mask);
		snprintf(path, sizeof(path), "%s/data.mdb", bdir);
		CHECK(stat(path, &st) == 0);
		CHECK_UINT_EQ(st.st_mode & 07777, 0600);
		CHECK(stat(bdir, &st) == 0);
		CHECK_UINT_EQ(st.st_mode & 07777, 0700);
	}
	/* The store keeps running and taking writes after the copy. */
	CHECK_OK(keystore_secret_put(ks, "after", (const uint8_t *)"x", 1, NULL, &ks_actor, NULL));
	CHECK_ERR(keystore_backup(ks, bdir), KBS_ERR_EXISTS);
	CHECK_ERR(keystore_backup(ks, "/nonexistent/dir/x"), KBS_ERR_SYSTEM);
	CHECK_ERR(keystore_backup(NULL, bdir), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);

	/* Restore, as docs/keystore.md says: copy data.mdb into a new dir, open, verify. */
	snprintf(rdir, sizeof(rdir), "%s/restored", f.root);
	CHECK(mkdir(rdir, 0700) == 0);
	snprintf(path, sizeof(path), "%s/data.mdb", bdir);
	snprintf(path2, sizeof(path2), "%s/data.mdb", rdir);
	CHECK_OK(kbs_file_read(path, 64u << 20, &data, &len));
	ks_write_file(path2, data, len, 0600);
	free(data);
	CHECK_OK(keystore_open(rdir, &f.src, NULL, &rs));
	CHECK_OK(keystore_audit_verify(rs, &count, &bad, NULL));
	/* The 20 appends, and the 20 puts' and the delete's own records. */
	CHECK_UINT_EQ(count, 41);
	CHECK_OK(keystore_secret_get(rs, "b19", &s));
	CHECK(s != NULL && s->value_len == 5 && memcmp(s->value, "value", 5) == 0);
	keystore_secret_free(s);
	s = NULL;
	CHECK_ERR(keystore_secret_get(rs, "b3", &s), KBS_ERR_NOT_FOUND);
	CHECK_ERR(keystore_secret_get(rs, "after", &s), KBS_ERR_NOT_FOUND);
	/* The restored store takes writes and continues the chain. */
	CHECK_OK(keystore_audit_append(rs, &rec, &count));
	CHECK_UINT_EQ(count, 42);
	CHECK_OK(keystore_audit_verify(rs, &count, &bad, NULL));
	keystore_close(rs);
	ks_fixture_done(&f);
}

static void
test_key_derivation_kat(void)
{
	struct ks_keys *a = NULL, *b = NULL;
	uint8_t m1[32], m2[32];

	memset(m1, 1, sizeof(m1));
	memset(m2, 2, sizeof(m2));
	CHECK_OK(ks_keys_from_bytes(m1, &a));
	CHECK_OK(ks_keys_from_bytes(m2, &b));
	/* Subkeys differ from each other, from the master, and between masters. */
	CHECK(memcmp(a->seal, a->audit_mac, 32) != 0);
	CHECK(memcmp(a->seal, m1, 32) != 0);
	CHECK(memcmp(a->seal, b->seal, 32) != 0);
	CHECK(memcmp(a->key_id, b->key_id, KS_KEY_ID_SIZE) != 0);
	ks_keys_free(a);
	ks_keys_free(b);
	ks_keys_free(NULL);
}

/* run_tool runs kbs-store with args and returns its exit status (-1 if it did not exit). */
static int
run_tool(const char *args, const char *out)
{
	char cmd[1024];
	const char *root = getenv("KBS_BUILD_ROOT");
	int st;

	snprintf(cmd, sizeof(cmd), "%s/keystore/kbs-store %s >%s 2>&1", root != NULL ? root : ".",
	    args, out);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_kbs_store_tool(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_record rec;
	char args[512], out[160], bdir[160], bdata[200];
	uint8_t *text = NULL;
	size_t len = 0;
	int i;

	ks_fixture_init(&f, 11);
	ks = ks_open_default(&f, NULL);
	memset(&rec, 0, sizeof(rec));
	rec.event = "attest";
	rec.decision = "allow";
	for (i = 0; i < 3; i++)
		CHECK_OK(keystore_audit_append(ks, &rec, NULL));
	keystore_close(ks);
	snprintf(out, sizeof(out), "%s/out.txt", f.root);
	snprintf(args, sizeof(args), "-d %s -k %s verify-audit", f.dir, f.key);
	CHECK_INT_EQ(run_tool(args, out), 0);
	CHECK_OK(kbs_file_read(out, 1 << 20, &text, &len));
	CHECK(text != NULL && strstr((char *)text, "intact: 3 records") != NULL);
	free(text);
	text = NULL;
	snprintf(args, sizeof(args), "-d %s -k %s export-audit --from-seq 2", f.dir, f.key);
	CHECK_INT_EQ(run_tool(args, out), 0);
	CHECK_OK(kbs_file_read(out, 1 << 20, &text, &len));
	CHECK(text != NULL && strstr((char *)text, "{\"seq\":2,") != NULL &&
	    strstr((char *)text, "{\"seq\":1,") == NULL);
	free(text);
	snprintf(bdir, sizeof(bdir), "%s/tool-backup", f.root);
	snprintf(args, sizeof(args), "-d %s -k %s backup %s", f.dir, f.key, bdir);
	CHECK_INT_EQ(run_tool(args, out), 0);
	snprintf(bdata, sizeof(bdata), "%s/data.mdb", bdir);
	CHECK(access(bdata, R_OK) == 0);
	/* Errors: no store there (and none created), bad arguments. */
	snprintf(args, sizeof(args), "-d %s/none -k %s verify-audit", f.root, f.key);
	CHECK_INT_EQ(run_tool(args, out), 1);
	snprintf(bdata, sizeof(bdata), "%s/none", f.root);
	CHECK(access(bdata, F_OK) != 0);
	snprintf(args, sizeof(args), "-d %s -k %s export-audit --from-seq x", f.dir, f.key);
	CHECK_INT_EQ(run_tool(args, out), 2);
	CHECK_INT_EQ(run_tool("verify-audit", out), 2);
	ks_fixture_done(&f);
}

/* tool_says runs kbs-store with args, checks its exit status and that its output holds want. */
static void
tool_says(const char *args, int status, const char *want, int line)
{
	char out[] = "/tmp/kbs-ks-tool-XXXXXX";
	uint8_t *text = NULL;
	size_t len = 0;
	int fd = mkstemp(out), st;

	if (fd >= 0)
		close(fd);
	st = run_tool(args, out);
	if (kbs_file_read(out, 1 << 20, &text, &len) != 0)
		text = NULL;
	if (st != status || text == NULL || strstr((char *)text, want) == NULL)
		fprintf(stderr, "line %d: kbs-store %s: status %d, output: %s\n", line, args, st,
		    text != NULL ? (char *)text : "(none)");
	CHECK_INT_EQ(st, status);
	CHECK(text != NULL && strstr((char *)text, want) != NULL);
	free(text);
	unlink(out);
}

/*
 * kbs-store verify checks the whole store; verify-audit --expect-head
 * checks the log against a head recorded earlier, which every export and
 * verify prints.
 */
static void
test_kbs_store_verify_and_heads(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	struct keystore_audit_head head;
	struct ks_raw raw;
	char args[600], ht[100], hex[65], path[200];
	uint8_t *snapshot = NULL, *old = NULL;
	size_t snap_len = 0, old_len = 0;

	ks_fixture_init(&f, 19);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", (const uint8_t *)"v1", 2, NULL, &ks_actor, NULL));
	CHECK_OK(keystore_audit_verify(ks, NULL, NULL, &head));
	keystore_close(ks);
	snprintf(path, sizeof(path), "%s/data.mdb", f.dir);
	CHECK_OK(kbs_file_read(path, 64u << 20, &snapshot, &snap_len));
	ks_raw_open(&raw, f.dir, "secrets");
	old = ks_raw_get(&raw, "disk", 4, &old_len);
	ks_raw_commit(&raw);
	CHECK_OK(kbs_hex_encode(head.sha256, 32, hex, sizeof(hex)));
	snprintf(ht, sizeof(ht), "%llu:%s", (unsigned long long)head.seq, hex);

	snprintf(args, sizeof(args), "-d %s -k %s verify", f.dir, f.key);
	tool_says(args, 0, "store verified: 1 audit records, head 1:", __LINE__);
	snprintf(args, sizeof(args), "-d %s -k %s export-audit", f.dir, f.key);
	tool_says(args, 0, ht, __LINE__);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "disk", (const uint8_t *)"v2", 2, NULL, &ks_actor, NULL));
	keystore_close(ks);
	snprintf(args, sizeof(args), "-d %s -k %s verify-audit --expect-head %s", f.dir, f.key, ht);
	tool_says(args, 0, "audit log extends the expected head", __LINE__);
	snprintf(args, sizeof(args), "-d %s -k %s verify-audit --expect-head 1:%.63s", f.dir, f.key,
	    hex);
	tool_says(args, 2, "bad head", __LINE__);
	snprintf(
	    args, sizeof(args), "-d %s -k %s verify-audit --expect-head x:%s", f.dir, f.key, hex);
	tool_says(args, 2, "bad head", __LINE__);

	/* The replayed record: verify names it. */
	ks_raw_open(&raw, f.dir, "secrets");
	ks_raw_put(&raw, "disk", 4, old, old_len);
	ks_raw_commit(&raw);
	snprintf(args, sizeof(args), "-d %s -k %s verify", f.dir, f.key);
	tool_says(args, 1,
	    "store verify failed: a current record is not the one its last audit "
	    "record names: secret disk (audit record 2)",
	    __LINE__);

	/* The whole file rolled back: the chain is intact, the later head is not in it. */
	snprintf(args, sizeof(args), "-d %s -k %s verify-audit", f.dir, f.key);
	tool_says(args, 0, "audit chain intact: 2 records", __LINE__);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_audit_verify(ks, NULL, NULL, &head));
	keystore_close(ks);
	CHECK_OK(kbs_hex_encode(head.sha256, 32, hex, sizeof(hex)));
	snprintf(ht, sizeof(ht), "%llu:%s", (unsigned long long)head.seq, hex);
	ks_write_file(path, snapshot, snap_len, 0600);
	snprintf(args, sizeof(args), "-d %s -k %s verify-audit --expect-head %s", f.dir, f.key, ht);
	tool_says(args, 1, "does not extend the expected head", __LINE__);
	free(snapshot);
	free(old);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_kbs_store_tool), TEST(test_kbs_store_verify_and_heads),
    TEST(test_open_close_reopen), TEST(test_open_args), TEST(test_key_file_refusals),
    TEST(test_key_file_owner_and_acl), TEST(test_wrong_master_key),
    TEST(test_credentials_directory), TEST(test_dir_owner), TEST(test_dir_perms),
    TEST(test_data_file_perms), TEST(test_newer_schema), TEST(test_not_lmdb), TEST(test_map_growth),
    TEST(test_map_grown_by_other_process), TEST(test_open_verify_backup_while_other_process_grows),
    TEST(test_open_twice), TEST(test_truncated_data_file), TEST(test_backup_killed_part_way),
    TEST(test_backup_restore), TEST(test_key_derivation_kat))
