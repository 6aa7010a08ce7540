/* Unit tests for keystore/certs.c: the VCEK/CRL cache. */
#include "ks_test.h"

static void
test_put_get(void)
{
	struct ks_fixture f;
	struct keystore *ks;
	uint8_t *data = NULL, *big;
	size_t len = 0;
	int64_t fetched = 0;
	char longkey[KEYSTORE_CERT_KEY_MAX + 2];

	ks_fixture_init(&f, 1);
	ks = ks_open_default(&f, NULL);
	CHECK_ERR(
	    keystore_cert_get(ks, "vcek/milan/abc", &data, &len, &fetched), KBS_ERR_NOT_FOUND);
	CHECK_OK(keystore_cert_put(ks, "vcek/milan/abc", (const uint8_t *)"DER1", 4, 1234));
	CHECK_OK(keystore_cert_get(ks, "vcek/milan/abc", &data, &len, &fetched));
	CHECK(data != NULL && len == 4 && memcmp(data, "DER1", 4) == 0);
	CHECK_INT_EQ(fetched, 1234);
	free(data);
	data = NULL;
	/* Replaced by a newer fetch. */
	CHECK_OK(keystore_cert_put(ks, "vcek/milan/abc", (const uint8_t *)"DER22", 5, 2000));
	CHECK_OK(keystore_cert_get(ks, "vcek/milan/abc", &data, &len, NULL));
	CHECK(data != NULL && len == 5);
	free(data);
	data = NULL;
	/* Keys are any bytes but NUL, such as URLs. */
	CHECK_OK(keystore_cert_put(
	    ks, "https://kdsintf.amd.com/vcek/v1/Milan/crl?x=1 2", (const uint8_t *)"C", 1, 1));
	CHECK_ERR(keystore_cert_put(ks, "", (const uint8_t *)"C", 1, 1), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    keystore_cert_put(ks, NULL, (const uint8_t *)"C", 1, 1), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_cert_put(ks, "k", NULL, 1, 1), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_cert_put(ks, "k", (const uint8_t *)"C", 0, 1), KBS_ERR_INVALID_ARGUMENT);
	memset(longkey, 'k', sizeof(longkey));
	longkey[KEYSTORE_CERT_KEY_MAX + 1] = 0;
	CHECK_ERR(
	    keystore_cert_put(ks, longkey, (const uint8_t *)"C", 1, 1), KBS_ERR_INVALID_ARGUMENT);
	longkey[KEYSTORE_CERT_KEY_MAX] = 0;
	CHECK_OK(keystore_cert_put(ks, longkey, (const uint8_t *)"C", 1, 1));
	big = calloc(1, KEYSTORE_CERT_MAX + 1);
	CHECK_ERR(keystore_cert_put(ks, "big", big, KEYSTORE_CERT_MAX + 1, 1), KBS_ERR_TOO_LARGE);
	CHECK_OK(keystore_cert_put(ks, "big", big, KEYSTORE_CERT_MAX, 1));
	CHECK_OK(keystore_cert_get(ks, "big", &data, &len, NULL));
	CHECK_UINT_EQ(len, KEYSTORE_CERT_MAX);
	free(data);
	free(big);
	CHECK_ERR(keystore_cert_get(ks, "big", NULL, &len, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(keystore_cert_get(NULL, "big", &data, &len, NULL), KBS_ERR_INVALID_ARGUMENT);
	keystore_close(ks);
	ks_fixture_done(&f);
}

TEST_MAIN(TEST(test_put_get))
