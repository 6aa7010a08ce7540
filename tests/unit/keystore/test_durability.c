/*
 * Durability of names on disk (keystore/env.c): a new store directory and
 * a new backup directory are recorded in their parent (fsync of the
 * parent after mkdir), and a backup becomes data.mdb only once its bytes
 * are on disk (fsync of the temporary file, rename, fsync of the
 * directory), so a power loss or a kill leaves either no data.mdb or a
 * complete one. A crash cannot be simulated here, so this test records
 * the calls themselves: it defines mkdir, fsync and rename, which the
 * keystore (linked into this program) then calls, logs them and passes
 * them on to the C library.
 */
#include <dlfcn.h>
#include <limits.h>

#include "ks_test.h"

#define MAX_EVENTS 256

struct event {
	char op[8];
	char a[PATH_MAX];
	char b[PATH_MAX];
};

static struct event events[MAX_EVENTS];
static size_t n_events;

static void
log_event(const char *op, const char *a, const char *b)
{
	struct event *e;

	if (n_events >= MAX_EVENTS)
		return;
	e = &events[n_events++];
	snprintf(e->op, sizeof(e->op), "%s", op);
	snprintf(e->a, sizeof(e->a), "%s", a);
	snprintf(e->b, sizeof(e->b), "%s", b != NULL ? b : "");
}

int
mkdir(const char *path, mode_t mode)
{
	int (*real)(const char *, mode_t);
	int r;

	*(void **)&real = dlsym(RTLD_NEXT, "mkdir"); /* POSIX's form for a function from dlsym */
	r = real(path, mode);

	if (r == 0)
		log_event("mkdir", path, NULL);
	return r;
}

int
fsync(int fd)
{
	int (*real)(int);
	char link[64], path[PATH_MAX];
	ssize_t n;

	*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	log_event("fsync", path, NULL);
	return real(fd);
}

int
rename(const char *from, const char *to)
{
	int (*real)(const char *, const char *);
	int r;

	*(void **)&real = dlsym(RTLD_NEXT, "rename");
	r = real(from, to);

	if (r == 0)
		log_event("rename", from, to);
	return r;
}

/* find returns the index of the first event op(a[, b]) at or after from, or -1. */
static long
find(size_t from, const char *op, const char *a, const char *b)
{
	size_t i;

	for (i = from; i < n_events; i++) {
		if (strcmp(events[i].op, op) == 0 && strcmp(events[i].a, a) == 0 &&
		    (b == NULL || strcmp(events[i].b, b) == 0))
			return (long)i;
	}
	return -1;
}

static void
dump(void)
{
	size_t i;

	for (i = 0; i < n_events; i++)
		fprintf(stderr, "#   %s %s %s\n", events[i].op, events[i].a, events[i].b);
}

static void
test_new_store_dir_is_recorded_in_parent(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	long mk, sync;

	ks_fixture_init(&f, 1);
	n_events = 0;
	ks = ks_open_default(&f, NULL);
	mk = find(0, "mkdir", f.dir, NULL);
	CHECK(mk >= 0);
	sync = mk >= 0 ? find((size_t)mk, "fsync", f.root, NULL) : -1;
	CHECK(sync > mk);
	CHECK(find(0, "fsync", f.dir, NULL) >= 0);
	if (sync < 0)
		dump();
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_backup_is_renamed_into_place(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	char bdir[200], partial[240], data[240];
	long mk, parent, fs, rn, dsync;

	ks_fixture_init(&f, 2);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_secret_put(ks, "k", (const uint8_t *)"v", 1, NULL, &ks_actor, NULL));
	snprintf(bdir, sizeof(bdir), "%s/backup", f.root);
	snprintf(partial, sizeof(partial), "%s/data.mdb.partial", bdir);
	snprintf(data, sizeof(data), "%s/data.mdb", bdir);
	n_events = 0;
	CHECK_OK(keystore_backup(ks, bdir));
	mk = find(0, "mkdir", bdir, NULL);
	parent = mk >= 0 ? find((size_t)mk, "fsync", f.root, NULL) : -1;
	fs = find(0, "fsync", partial, NULL);
	rn = find(0, "rename", partial, data);
	dsync = rn >= 0 ? find((size_t)rn, "fsync", bdir, NULL) : -1;
	CHECK(mk >= 0);
	CHECK(parent > mk);
	CHECK(fs >= 0);
	CHECK(rn > fs);
	CHECK(dsync > rn);
	if (parent < 0 || fs < 0 || rn < 0 || dsync < 0)
		dump();
	CHECK(access(partial, F_OK) != 0);
	CHECK(access(data, R_OK) == 0);
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_new_store_dir_is_recorded_in_parent), TEST(test_backup_is_renamed_into_place))
