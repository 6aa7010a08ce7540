/*
 * Disk-full test: the store lives on a 2 MiB tmpfs mounted by this test
 * (it needs root; without permission to mount it prints why and exits 77,
 * meson's "skipped"). Writes run until the file system is full: they must
 * fail with KBS_ERR_STORE_FULL, every acknowledged write must still read
 * back, the audit chain must verify, and once space is freed writes must
 * succeed again, also after reopening.
 */
#include <sys/mount.h>

#include "ks_test.h"

static void
fill_file(const char *path, size_t len)
{
	uint8_t *b = calloc(1, len);

	ks_write_file(path, b, len, 0600);
	free(b);
}

int
main(void)
{
	struct ks_fixture f;
	struct keystore_options opts = { 256 << 10, 0, 0, NULL, NULL };
	struct keystore *ks = NULL;
	struct keystore_secret *s = NULL;
	struct keystore_audit_record r;
	char mnt[96], filler[160];
	uint8_t value[8192];
	char name[32];
	uint64_t count = 0;
	int i, acked = 0, rc = 0, failed;

	if (kbs_crypto_init() != 0)
		return 2;
	ks_fixture_init(&f, 0x33);
	snprintf(mnt, sizeof(mnt), "%s/mnt", f.root);
	if (mkdir(mnt, 0700) != 0)
		return 2;
	if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=0700") != 0) {
		printf("SKIP: cannot mount a tmpfs at %s: %s (this test needs root or "
		       "CAP_SYS_ADMIN)\n",
		    mnt, strerror(errno));
		ks_fixture_done(&f);
		return 77;
	}
	snprintf(f.dir, sizeof(f.dir), "%s/data", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fill_file(filler, 512 << 10);

	ks = ks_open_default(&f, &opts);
	memset(&r, 0, sizeof(r));
	r.event = "diskfull";
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%04d", i);
		memset(value, i & 0xff, sizeof(value));
		rc = keystore_secret_put(ks, name, value, sizeof(value), NULL, &ks_actor, NULL);
		if (rc != 0)
			break;
		acked++;
		if ((rc = keystore_audit_append(ks, &r, NULL)) != 0)
			break;
	}
	printf("# %d secrets acknowledged before the file system filled; map %zu\n", acked,
	    keystore_map_size(ks));
	CHECK_ERR(rc, KBS_ERR_STORE_FULL);
	CHECK(acked > 10 && acked < 1000);
	/* Still full: more writes fail the same way, reads work. */
	CHECK_ERR(keystore_secret_put(ks, "more", value, sizeof(value), NULL, &ks_actor, NULL),
	    KBS_ERR_STORE_FULL);
	for (i = 0, failed = 0; i < acked; i++) {
		snprintf(name, sizeof(name), "s%04d", i);
		if (keystore_secret_get(ks, name, &s) != 0 || s->value_len != sizeof(value) ||
		    s->value[4000] != (uint8_t)(i & 0xff))
			failed++;
		keystore_secret_free(s);
		s = NULL;
	}
	CHECK_INT_EQ(failed, 0);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	/* A put that did not fit left neither the secret nor its record. */
	CHECK_OK(keystore_verify_state(ks, NULL));

	/* Space returns: writes succeed again, without reopening. */
	CHECK(unlink(filler) == 0);
	CHECK_OK(keystore_secret_put(ks, "after", value, sizeof(value), NULL, &ks_actor, NULL));
	CHECK_OK(keystore_audit_append(ks, &r, NULL));
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	keystore_close(ks);
	ks = ks_open_default(&f, &opts);
	CHECK_OK(keystore_secret_get(ks, "after", &s));
	keystore_secret_free(s);
	s = NULL;
	snprintf(name, sizeof(name), "s%04d", acked - 1);
	CHECK_OK(keystore_secret_get(ks, name, &s));
	keystore_secret_free(s);
	CHECK_OK(keystore_audit_verify(ks, &count, NULL, NULL));
	keystore_close(ks);

	CHECK(umount2(mnt, MNT_DETACH) == 0);
	ks_fixture_done(&f);
	printf("%s\n", test_failed_checks == 0 ? "ok - disk full" : "not ok - disk full");
	return test_failed_checks == 0 ? 0 : 1;
}
