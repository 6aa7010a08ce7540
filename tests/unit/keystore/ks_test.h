/*
 * ks_test.h: helpers shared by the keystore tests: a fresh directory, a
 * key file, a store opened on them, and recursive removal.
 */
#ifndef KS_TEST_H
#define KS_TEST_H

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "keystore.h"
#include "test_tree.h"

/* Who the tests' changes are made by, for their audit records. */
static const struct keystore_actor ks_actor = { "test", "req-test", "192.0.2.1" };

/* A decision record for keystore_attest_commit. */
static const struct keystore_audit_record ks_attest_rec = { .event = "attest",
	.decision = "allow" };

struct ks_fixture {
	char root[64]; /* /tmp/kbs-ks-XXXXXX */
	char dir[128]; /* root/data */
	char key[128]; /* root/master.key, mode 0600 */
	struct keystore_key_source src;
};

static inline void
ks_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

/* ks_fixture_init makes the directories and a key file filled with fill. */
static inline void
ks_fixture_init(struct ks_fixture *f, uint8_t fill)
{
	uint8_t key[32];

	snprintf(f->root, sizeof(f->root), "/tmp/kbs-ks-XXXXXX");
	if (mkdtemp(f->root) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
	snprintf(f->key, sizeof(f->key), "%s/master.key", f->root);
	memset(key, fill, sizeof(key));
	ks_write_file(f->key, key, sizeof(key), 0600);
	f->src.kind = KEYSTORE_KEY_FILE;
	f->src.name = f->key;
}

static inline void
ks_fixture_done(struct ks_fixture *f)
{
	test_rm_rf(f->root);
}

/* ks_open_default opens the fixture's store or fails the test and exits. */
static inline struct keystore *
ks_open_default(struct ks_fixture *f, const struct keystore_options *opts)
{
	struct keystore *ks = NULL;
	int r = keystore_open(f->dir, &f->src, opts, &ks);

	if (r != 0) {
		fprintf(stderr, "keystore_open(%s): %s\n", f->dir, kbs_err_str(r));
		exit(2);
	}
	return ks;
}

#endif
