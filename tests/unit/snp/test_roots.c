/*
 * test_roots.c: the compiled-in AMD roots equal the DER files in
 * tests/vectors/snp/amd byte for byte (so roots_data.c can never drift from the public files),
 * their documented SHA-256 is right, and pinning recognises exactly them.
 */
#include <openssl/evp.h>

#include "chain-int.h"
#include "snp.h"
#include "test.h"

static const char *const kind_names[SNP_ROOT_KIND_COUNT] = { "ark", "ask", "asvk" };
static const char *const product_cn[SNP_PRODUCT_COUNT] = { NULL, "Milan", "Genoa", "Turin" };

static void
test_bytes_equal_files(void)
{
	enum snp_product p;
	int k;
	char rel[64], hex[65];
	const uint8_t *der;
	size_t len, dlen, i, seen = 0;
	uint8_t *file, digest[32];

	for (p = SNP_PRODUCT_MILAN; p <= SNP_PRODUCT_TURIN; p++) {
		for (k = 0; k < SNP_ROOT_KIND_COUNT; k++) {
			snprintf(
			    rel, sizeof(rel), "amd/%s_%s.der", kind_names[k], snp_product_name(p));
			file = test_read_vector(rel, &len);
			CHECK_OK(snp_root_der(p, (enum snp_root_kind)k, &der, &dlen));
			CHECK_UINT_EQ(dlen, len);
			CHECK(dlen == len && memcmp(der, file, len) == 0);
			free(file);
		}
	}
	for (i = 0; i < SNP_ROOT_DATA_COUNT; i++) {
		CHECK(EVP_Digest(snp_root_data[i].der, snp_root_data[i].len, digest, NULL,
			  EVP_sha256(), NULL) == 1);
		CHECK_OK(kbs_hex_encode(digest, 32, hex, sizeof(hex)));
		CHECK_STR_EQ(hex, snp_root_data[i].sha256_hex);
		seen++;
	}
	CHECK_UINT_EQ(seen, 9);
	CHECK_ERR(
	    snp_root_der(SNP_PRODUCT_UNKNOWN, SNP_ROOT_ARK, &der, &dlen), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_root_der(SNP_PRODUCT_MILAN, SNP_ROOT_KIND_COUNT, &der, &dlen),
	    KBS_ERR_PRODUCT_UNKNOWN);
}

static void
test_load_and_names(void)
{
	struct snp_roots roots;
	enum snp_product p;
	char cn[64], want[64];
	uint8_t digest[32];
	int k;

	CHECK_OK(snp_roots_load(&roots));
	for (p = SNP_PRODUCT_MILAN; p <= SNP_PRODUCT_TURIN; p++) {
		for (k = 0; k < SNP_ROOT_KIND_COUNT; k++) {
			X509 *x = roots.x[p][k];

			CHECK(x != NULL);
			snp_name_cn(X509_get_subject_name(x), cn, sizeof(cn));
			snprintf(want, sizeof(want), "%s%s",
			    k == SNP_ROOT_ARK       ? "ARK-"
				: k == SNP_ROOT_ASK ? "SEV-"
						    : "SEV-VLEK-",
			    product_cn[p]);
			CHECK_STR_EQ(cn, want);
			CHECK_OK(snp_x509_sha256(x, digest));
			CHECK_MEM_EQ(digest, roots.sha256[p][k], 32);
			CHECK_INT_EQ(
			    snp_roots_ark_product(x), k == SNP_ROOT_ARK ? p : SNP_PRODUCT_UNKNOWN);
		}
		CHECK(roots.x[SNP_PRODUCT_UNKNOWN][0] == NULL);
	}
	snp_roots_clear(&roots);
	snp_roots_clear(NULL);
}

TEST_MAIN(TEST(test_bytes_equal_files), TEST(test_load_and_names))
