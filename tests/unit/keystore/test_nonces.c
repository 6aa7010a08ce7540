/* Unit tests for keystore/nonces.c: single use, purge by expiry. */
#include "ks_test.h"

static void
test_consume_once(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	uint8_t n1[KEYSTORE_NONCE_SIZE], n2[KEYSTORE_NONCE_SIZE];

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	memset(n1, 1, sizeof(n1));
	memset(n2, 2, sizeof(n2));
	CHECK_OK(keystore_nonce_consume(ks, n1, 1000));
	CHECK_ERR(keystore_nonce_consume(ks, n1, 1000), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_ERR(keystore_nonce_consume(ks, n1, 5000), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_OK(keystore_nonce_consume(ks, n2, 1000));
	CHECK_ERR(keystore_nonce_consume(ks, NULL, 1000), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_nonce_consume(ks, n1, -1), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_nonce_consume(NULL, n1, 1), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	/* Consumed stays consumed across a restart. */
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(keystore_nonce_consume(ks, n2, 1000), KBS_ERR_STORE_NONCE_REUSED);
	keystore_close(ks);
	ks_fixture_done(&f);
}

static void
test_purge(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	uint8_t n[KEYSTORE_NONCE_SIZE];
	size_t purged = 99;
	int i;

	ks_fixture_init(&f, 2);
	ks = ks_open_default(&f, NULL);
	CHECK_OK(keystore_nonce_purge(ks, 100, &purged));
	CHECK_UINT_EQ(purged, 0);
	for (i = 0; i < 100; i++) {
		memset(n, 0, sizeof(n));
		n[0] = (uint8_t)i;
		/* Expiries 0..990 in steps of 10, inserted out of order. */
		CHECK_OK(keystore_nonce_consume(ks, n, (int64_t)((i * 37) % 100) * 10));
	}
	CHECK_OK(keystore_nonce_purge(ks, 500, &purged));
	CHECK_UINT_EQ(purged, 50); /* expiries 0..490 */
	CHECK_OK(keystore_nonce_purge(ks, 500, &purged));
	CHECK_UINT_EQ(purged, 0);
	/* A purged nonce can be recorded again; one not yet expired cannot. */
	memset(n, 0, sizeof(n));
	n[0] = 0; /* expiry 0: purged */
	CHECK_OK(keystore_nonce_consume(ks, n, 2000));
	n[0] = 1; /* expiry 370: purged */
	CHECK_OK(keystore_nonce_consume(ks, n, 2000));
	n[0] = 3; /* expiry 110*10 % 1000 = 110 -> (3*37)%100*10 = 110: purged */
	CHECK_OK(keystore_nonce_consume(ks, n, 2000));
	n[0] = 4; /* (4*37)%100*10 = 480: purged */
	CHECK_OK(keystore_nonce_consume(ks, n, 2000));
	n[0] = 2; /* (2*37)%100*10 = 740: still recorded */
	CHECK_ERR(keystore_nonce_consume(ks, n, 2000), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_OK(keystore_nonce_purge(ks, 3000, NULL));
	CHECK_OK(keystore_nonce_consume(ks, n, 2000));
	CHECK_ERR(keystore_nonce_purge(NULL, 1, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_consume_once), TEST(test_purge))
