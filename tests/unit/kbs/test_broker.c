/*
 * Unit tests for kbs/broker.c: the broker opened on a fresh data directory
 * (no listeners) and its housekeeping. Consumed nonces are purged only
 * KBS_NONCE_PURGE_MARGIN seconds after they expire: one just inside the
 * margin is still refused as reused after a purge, one past it is gone.
 */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <unistd.h>

#include "broker.h"
#include "config.h"
#include "keystore.h"
#include "test.h"

static const struct keystore_audit_record rec = { .event = "attest", .decision = "release" };

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
test_housekeeping_purges_past_margin(void)
{
	char root[64] = "/tmp/kbs-broker-XXXXXX", dir[96], msg[512];
	struct kbs_broker *b = NULL;
	struct kbs_config cfg;
	uint8_t old_nonce[32], recent[32], fresh[32];
	const int64_t now = 1800000000;
	size_t purged = 99;
	int first = 0;

	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(dir, sizeof(dir), "%s/data", root);
	kbs_config_defaults(&cfg);
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	if (b == NULL) {
		fprintf(stderr, "kbs_broker_open: %s\n", msg);
		return;
	}
	CHECK_INT_EQ(first, 1);
	memset(old_nonce, 1, sizeof(old_nonce));
	memset(recent, 2, sizeof(recent));
	memset(fresh, 3, sizeof(fresh));
	CHECK_OK(
	    keystore_attest_commit(b->ks, old_nonce, now - KBS_NONCE_PURGE_MARGIN - 1, &rec, NULL));
	CHECK_OK(keystore_attest_commit(b->ks, recent, now - KBS_NONCE_PURGE_MARGIN, &rec, NULL));
	CHECK_OK(keystore_attest_commit(b->ks, fresh, now + 60, &rec, NULL));

	CHECK_OK(kbs_broker_housekeeping(b, now, &purged));
	CHECK_UINT_EQ(purged, 1);
	/* Inside the margin and unexpired: still consumed. */
	CHECK_ERR(
	    keystore_attest_commit(b->ks, recent, now, &rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_ERR(
	    keystore_attest_commit(b->ks, fresh, now, &rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	/* Past the margin: gone (the nonce itself is long expired, so nonce_check refuses it). */
	CHECK_OK(keystore_attest_commit(b->ks, old_nonce, now, &rec, NULL));
	CHECK_OK(kbs_broker_housekeeping(b, now, NULL));
	CHECK_OK(kbs_broker_housekeeping(b, now, &purged));
	CHECK_UINT_EQ(purged, 0);

	kbs_broker_close(b);
	(void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_MAIN(TEST(test_housekeeping_purges_past_margin))
