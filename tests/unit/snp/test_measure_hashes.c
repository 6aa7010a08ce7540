/*
 * test_measure_hashes.c: snp_kernel_hashes_compute and the SEV hashes
 * table layout (measure_hashes.c).
 *
 * Digests are SHA-256 known answers (FIPS 180-4 "abc", the empty string,
 * the single NUL byte); the table is checked field by field against QEMU's
 * SevHashTable layout, with GUIDs derived from their text here.
 */
#include "measure_test.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_NUL "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* "console=ttyS0 loglevel=7" and its NUL, the command line of EXPECTED.tsv. */
#define SHA256_CMDLINE "321c8eec6a77bad179511397f913a083067ad8cb737bb260aacbfe8df70fc50a"

static void
test_compute(void)
{
	struct snp_kernel_hashes h, h2;

	CHECK_OK(snp_kernel_hashes_compute(
	    (const uint8_t *)"abc", 3, NULL, 0, "console=ttyS0 loglevel=7", &h));
	CHECK(hex_is(h.kernel, 32, SHA256_ABC));
	CHECK(hex_is(h.initrd, 32, SHA256_EMPTY));
	CHECK(hex_is(h.cmdline, 32, SHA256_CMDLINE));

	/* No command line and an empty one are both the single NUL byte. */
	CHECK_OK(snp_kernel_hashes_compute(NULL, 0, (const uint8_t *)"abc", 3, NULL, &h));
	CHECK(hex_is(h.kernel, 32, SHA256_EMPTY));
	CHECK(hex_is(h.initrd, 32, SHA256_ABC));
	CHECK(hex_is(h.cmdline, 32, SHA256_NUL));
	CHECK_OK(snp_kernel_hashes_compute(NULL, 0, (const uint8_t *)"abc", 3, "", &h2));
	CHECK_MEM_EQ(&h, &h2, sizeof(h));
}

static void
test_bad_arguments(void)
{
	struct snp_kernel_hashes h, untouched;

	memset(&h, 0xA5, sizeof(h));
	memset(&untouched, 0xA5, sizeof(untouched));
	CHECK_ERR(snp_kernel_hashes_compute(NULL, 1, NULL, 0, NULL, &h), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_kernel_hashes_compute(NULL, 0, NULL, 1, NULL, &h), KBS_ERR_INVALID_ARGUMENT);
	CHECK_MEM_EQ(&h, &untouched, sizeof(h));
	CHECK_ERR(
	    snp_kernel_hashes_compute(NULL, 0, NULL, 0, NULL, NULL), KBS_ERR_INVALID_ARGUMENT);
}

static void
check_entry(const uint8_t *p, const char *guid_text, uint16_t len, const uint8_t *digest)
{
	uint8_t g[16];

	guid_le(guid_text, g);
	CHECK_MEM_EQ(p, g, 16);
	CHECK_UINT_EQ(p[16] | p[17] << 8, len);
	if (digest != NULL)
		CHECK_MEM_EQ(p + 18, digest, 32);
}

static void
test_table_layout(void)
{
	struct snp_kernel_hashes h;
	uint8_t t[SNP_HASH_TABLE_PADDED_SIZE];

	memset(h.cmdline, 0xc1, 32);
	memset(h.initrd, 0x1d, 32);
	memset(h.kernel, 0x4e, 32);
	memset(t, 0xee, sizeof(t));
	snp_hash_table_encode(&h, t);
	check_entry(t, "9438d606-4f22-4cc9-b479-a793d411fd21", 168, NULL);
	check_entry(t + 18, "97d02dd8-bd20-4c94-aa78-e7714d36ab2a", 50, h.cmdline);
	check_entry(t + 68, "44baf731-3a2f-4bd7-9af1-41e29169781d", 50, h.initrd);
	check_entry(t + 118, "4de79437-abd2-427f-b835-d5b172d2045b", 50, h.kernel);
	CHECK_MEM_EQ(t + 168, (uint8_t[8]){ 0 }, 8);
	CHECK_UINT_EQ(SNP_HASH_TABLE_PADDED_SIZE, 176);
}

TEST_MAIN(TEST(test_compute), TEST(test_bad_arguments), TEST(test_table_layout))
