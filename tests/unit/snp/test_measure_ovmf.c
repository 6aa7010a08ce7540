/*
 * test_measure_ovmf.c: snp_ovmf_parse, the OVMF footer table and SEV
 * metadata parser (measure_ovmf.c).
 *
 * The two edk2 fixtures parse to the values their build declares; every
 * malformed variant, made by editing one field of a copy, fails with its
 * own error and leaves the output untouched.
 */
#include "measure_test.h"

#define UNTOUCHED 0xA5

static uint8_t *amdsev, *ovmfx64;
static size_t amdsev_len, ovmfx64_len;

static void
load(void)
{
	if (amdsev != NULL)
		return;
	amdsev = measure_read(FIXTURE_AMDSEV, &amdsev_len);
	ovmfx64 = measure_read(FIXTURE_OVMFX64, &ovmfx64_len);
}

/* copy: a fresh editable copy of the AmdSev fixture (freed by the caller). */
static uint8_t *
copy(void)
{
	uint8_t *c;

	load();
	if ((c = malloc(amdsev_len)) == NULL)
		exit(2);
	memcpy(c, amdsev, amdsev_len);
	return c;
}

/* expect_err_at: want (0 for success); on failure the output is untouched. */
static void
expect_err_at(const uint8_t *img, size_t len, int want, int line)
{
	struct snp_ovmf_info info, untouched;
	int got;

	memset(&info, UNTOUCHED, sizeof(info));
	memset(&untouched, UNTOUCHED, sizeof(untouched));
	got = snp_ovmf_parse(img, len, &info);
	if (got != want) {
		fprintf(stderr, "line %d: ", line);
		CHECK_ERR(got, want);
	}
	if (want != 0)
		CHECK_MEM_EQ(&info, &untouched, sizeof(info));
}
#define EXPECT_ERR(img, len, want) expect_err_at(img, len, want, __LINE__)

static void
check_section(const struct snp_ovmf_section *s, uint32_t gpa, uint32_t size, uint32_t type)
{
	CHECK_UINT_EQ(s->gpa, gpa);
	CHECK_UINT_EQ(s->size, size);
	CHECK_UINT_EQ(s->type, type);
}

static void
test_amdsev(void)
{
	struct snp_ovmf_info info;

	load();
	CHECK_OK(snp_ovmf_parse(amdsev, amdsev_len, &info));
	CHECK_UINT_EQ(info.reset_eip, 0x80b004);
	CHECK_INT_EQ(info.has_hash_table, 1);
	CHECK_UINT_EQ(info.hash_table_gpa, 0x810c00);
	CHECK_UINT_EQ(info.hash_table_size, 0x400);
	CHECK_UINT_EQ(info.nsections, 7);
	check_section(&info.sections[0], 0x800000, 0x9000, SNP_OVMF_SECTION_SEC_MEM);
	check_section(&info.sections[1], 0x80a000, 0x3000, SNP_OVMF_SECTION_SEC_MEM);
	check_section(&info.sections[2], 0x80d000, 0x1000, SNP_OVMF_SECTION_SECRETS);
	check_section(&info.sections[3], 0x80e000, 0x1000, SNP_OVMF_SECTION_CPUID);
	check_section(&info.sections[4], 0x80f000, 0x1000, SNP_OVMF_SECTION_SVSM_CAA);
	check_section(&info.sections[5], 0x810000, 0x1000, SNP_OVMF_SECTION_KERNEL_HASHES);
	check_section(&info.sections[6], 0x811000, 0xf000, SNP_OVMF_SECTION_SEC_MEM);
}

static void
test_ovmfx64(void)
{
	struct snp_ovmf_info info;

	load();
	CHECK_OK(snp_ovmf_parse(ovmfx64, ovmfx64_len, &info));
	CHECK_UINT_EQ(info.reset_eip, 0x80b004);
	/* The plain build names a hash table of size 0 at GPA 0: none. */
	CHECK_INT_EQ(info.has_hash_table, 1);
	CHECK_UINT_EQ(info.hash_table_gpa, 0);
	CHECK_UINT_EQ(info.hash_table_size, 0);
	CHECK_UINT_EQ(info.nsections, 6);
	check_section(&info.sections[4], 0x80f000, 0x1000, SNP_OVMF_SECTION_SVSM_CAA);
	check_section(&info.sections[5], 0x810000, 0x10000, SNP_OVMF_SECTION_SEC_MEM);
}

/* Offsets count from the end: the fixture at the end of a larger image parses alike. */
static void
test_tail_of_larger_image(void)
{
	struct snp_ovmf_info a, b;
	const size_t big = 1u << 20;
	uint8_t *img = calloc(1, big);

	load();
	CHECK(img != NULL);
	memcpy(img + big - amdsev_len, amdsev, amdsev_len);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CHECK_OK(snp_ovmf_parse(amdsev, amdsev_len, &a));
	CHECK_OK(snp_ovmf_parse(img, big, &b));
	CHECK_MEM_EQ(&a, &b, sizeof(a));
	free(img);
}

static void
test_section_names(void)
{
	CHECK_STR_EQ(snp_ovmf_section_name(SNP_OVMF_SECTION_SEC_MEM), "sec_mem");
	CHECK_STR_EQ(snp_ovmf_section_name(SNP_OVMF_SECTION_SECRETS), "secrets");
	CHECK_STR_EQ(snp_ovmf_section_name(SNP_OVMF_SECTION_CPUID), "cpuid");
	CHECK_STR_EQ(snp_ovmf_section_name(SNP_OVMF_SECTION_SVSM_CAA), "svsm_caa");
	CHECK_STR_EQ(snp_ovmf_section_name(SNP_OVMF_SECTION_KERNEL_HASHES), "kernel_hashes");
	CHECK_STR_EQ(snp_ovmf_section_name(5), "unknown");
}

static void
test_bad_arguments(void)
{
	struct snp_ovmf_info info;
	uint8_t *big = calloc(1, (size_t)SNP_OVMF_MAX_SIZE + 1);

	load();
	CHECK_ERR(snp_ovmf_parse(NULL, 4096, &info), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_ovmf_parse(amdsev, amdsev_len, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK(big != NULL);
	memcpy(big + SNP_OVMF_MAX_SIZE + 1 - amdsev_len, amdsev, amdsev_len);
	EXPECT_ERR(big, (size_t)SNP_OVMF_MAX_SIZE + 1, KBS_ERR_MEASURE_OVMF_SIZE);
	free(big);
}

/* The footer: 18 bytes (u16 table length, GUID) ending 32 bytes before the end. */
static void
test_footer(void)
{
	size_t footer;
	uint8_t *img = copy();

	footer = amdsev_len - 32 - 18;
	CHECK_UINT_EQ(footer, entry_at(img, amdsev_len, GUID_FOOTER));
	EXPECT_ERR(img, 0, KBS_ERR_MEASURE_FOOTER_TRUNCATED);
	EXPECT_ERR(img + amdsev_len - 49, 49, KBS_ERR_MEASURE_FOOTER_TRUNCATED);
	/* The last 50 bytes hold the footer, but not the table it announces. */
	EXPECT_ERR(img + amdsev_len - 50, 50, KBS_ERR_MEASURE_FOOTER_LENGTH);

	img[footer + 2] ^= 1; /* not the footer GUID: no table, so no metadata */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_NO_METADATA);
	img[footer + 2] ^= 1;

	put_u16(img + footer, 0xffff); /* reaches before the start of the file */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_LENGTH);
	put_u16(img + footer, 17); /* shorter than the footer itself */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_LENGTH);
	put_u16(img + footer, 136 + 5); /* 5 bytes before the first entry: not an entry */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_ENTRY);
	put_u16(img + footer, 18); /* an empty table: no metadata entry */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_NO_METADATA);
	free(img);
}

static void
test_footer_entries(void)
{
	uint8_t *img = copy(), g[16];
	size_t reset = entry_at(img, amdsev_len, GUID_RESET_BLOCK);
	size_t secret = entry_at(img, amdsev_len, GUID_SECRET_BLOCK);
	size_t meta = entry_at(img, amdsev_len, GUID_METADATA);
	size_t tdx = entry_at(img, amdsev_len, GUID_TDX_METADATA);

	/* A length below the 18-byte header would not move the walk: a loop. */
	put_u16(img + reset, 0);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_LOOP);
	put_u16(img + reset, 17);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_LOOP);
	put_u16(img + reset, 22);
	CHECK_OK(snp_ovmf_parse(img, amdsev_len, &(struct snp_ovmf_info){ 0 }));

	/* The first entry of the table reaches before the table's start. */
	put_u16(img + tdx, 30);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_ENTRY);
	put_u16(img + tdx, 22);

	/* A known GUID with the wrong data length (the secret block's 8 bytes). */
	guid_le(GUID_METADATA, g);
	memcpy(img + secret + 2, g, 16);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_ENTRY);
	free(img);

	/* A known GUID twice (the TDX entry has the metadata entry's shape). */
	img = copy();
	memcpy(img + tdx + 2, g, 16);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_DUPLICATE);
	guid_le(GUID_RESET_BLOCK, g);
	memcpy(img + tdx + 2, g, 16);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_FOOTER_DUPLICATE);
	free(img);

	/* Required entries missing. */
	img = copy();
	img[meta + 2] ^= 0xff;
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_NO_METADATA);
	img[meta + 2] ^= 0xff;
	img[reset + 2] ^= 0xff;
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_NO_RESET_BLOCK);
	free(img);
}

static void
test_metadata_header(void)
{
	uint8_t *img = copy();
	size_t e = entry_at(img, amdsev_len, GUID_METADATA);
	size_t m = metadata_at(img, amdsev_len);

	CHECK_UINT_EQ(get_u32(img + e - 4), 0x554);
	put_u32(img + e - 4, (uint32_t)amdsev_len + 1);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_OFFSET);
	put_u32(img + e - 4, 0xffffffff);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_OFFSET);
	put_u32(img + e - 4, 15); /* too close to the end for the header */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_OFFSET);
	put_u32(img + e - 4, (uint32_t)amdsev_len); /* the first byte: no "ASEV" there */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_HEADER);
	put_u32(img + e - 4, 0x554);

	img[m + 3] = 'W';
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_HEADER);
	img[m + 3] = 'V';
	put_u32(img + m + 8, 2); /* version */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_HEADER);
	free(img);
}

static void
test_metadata_table(void)
{
	uint8_t *img = copy();
	size_t m = metadata_at(img, amdsev_len), e;

	CHECK_UINT_EQ(get_u32(img + m + 4), 16 + 7 * 12);
	put_u32(img + m + 12, 8); /* count disagrees with the length */
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_TABLE);
	put_u32(img + m + 12, 6);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_TABLE);
	put_u32(img + m + 12, 0xffffffff);
	put_u32(img + m + 4, 0xffffffff);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_TABLE);
	/* Consistent, but above the section limit. */
	put_u32(img + m + 12, SNP_OVMF_MAX_SECTIONS + 1);
	put_u32(img + m + 4, 16 + (SNP_OVMF_MAX_SECTIONS + 1) * 12);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_TABLE);
	/* No sections at all is a valid (if useless) table. */
	put_u32(img + m + 12, 0);
	put_u32(img + m + 4, 16);
	CHECK_OK(snp_ovmf_parse(img, amdsev_len, &(struct snp_ovmf_info){ 0 }));
	free(img);

	/*
	 * A table that runs past the end of the file: the metadata moved into
	 * the last 32 bytes (reset vector area), two sections announced.
	 */
	img = copy();
	e = entry_at(img, amdsev_len, GUID_METADATA);
	put_u32(img + e - 4, 32);
	m = amdsev_len - 32;
	memcpy(img + m, "ASEV", 4);
	put_u32(img + m + 4, 16 + 2 * 12);
	put_u32(img + m + 8, 1);
	put_u32(img + m + 12, 2);
	EXPECT_ERR(img, amdsev_len, KBS_ERR_MEASURE_METADATA_TABLE);
	put_u32(img + m + 4, 16 + 12);
	put_u32(img + m + 12, 1);
	put_u32(img + m + 16, 0x800000);
	put_u32(img + m + 20, 0x1000);
	put_u32(img + m + 24, SNP_OVMF_SECTION_SEC_MEM);
	CHECK_OK(snp_ovmf_parse(img, amdsev_len, &(struct snp_ovmf_info){ 0 }));
	free(img);
}

/* section_case rewrites section i of a fresh copy and expects want. */
static void
section_case(size_t i, uint32_t gpa, uint32_t size, uint32_t type, int want, int line)
{
	uint8_t *img = copy();
	size_t s = section_at(img, amdsev_len, i);

	put_u32(img + s, gpa);
	put_u32(img + s + 4, size);
	put_u32(img + s + 8, type);
	expect_err_at(img, amdsev_len, want, line);
	free(img);
}
#define SECTION_CASE(i, gpa, size, type, want) section_case(i, gpa, size, type, want, __LINE__)

static void
test_sections(void)
{
	/* Section 2 is the secrets page at 0x80d000, section 0 SEC_MEM 0x800000+0x9000. */
	SECTION_CASE(2, 0x80d000, 0x1000, 0x5, KBS_ERR_MEASURE_SECTION_TYPE);
	SECTION_CASE(2, 0x80d000, 0x1000, 0x0, KBS_ERR_MEASURE_SECTION_TYPE);
	SECTION_CASE(2, 0x80d000, 0x1000, 0x11, KBS_ERR_MEASURE_SECTION_TYPE);
	SECTION_CASE(0, 0x800000, 0, SNP_OVMF_SECTION_SEC_MEM, KBS_ERR_MEASURE_SECTION_RANGE);
	SECTION_CASE(0, 0x800800, 0x1000, SNP_OVMF_SECTION_SEC_MEM, KBS_ERR_MEASURE_SECTION_RANGE);
	SECTION_CASE(0, 0x800000, 0x1800, SNP_OVMF_SECTION_SEC_MEM, KBS_ERR_MEASURE_SECTION_RANGE);
	SECTION_CASE(
	    0, 0xffffe000, 0x3000, SNP_OVMF_SECTION_SEC_MEM, KBS_ERR_MEASURE_SECTION_RANGE);
	SECTION_CASE(2, 0x80d000, 0x2000, SNP_OVMF_SECTION_SECRETS, KBS_ERR_MEASURE_SECTION_RANGE);
	SECTION_CASE(3, 0x80e000, 0x2000, SNP_OVMF_SECTION_CPUID, KBS_ERR_MEASURE_SECTION_RANGE);
	/* Unique types twice; SEC_MEM may repeat (the fixture has three). */
	SECTION_CASE(
	    3, 0x80e000, 0x1000, SNP_OVMF_SECTION_SECRETS, KBS_ERR_MEASURE_SECTION_DUPLICATE);
	SECTION_CASE(
	    4, 0x80f000, 0x1000, SNP_OVMF_SECTION_KERNEL_HASHES, KBS_ERR_MEASURE_SECTION_DUPLICATE);
	SECTION_CASE(
	    2, 0x80d000, 0x1000, SNP_OVMF_SECTION_CPUID, KBS_ERR_MEASURE_SECTION_DUPLICATE);
	SECTION_CASE(
	    0, 0x7f0000, 0x1000, SNP_OVMF_SECTION_SVSM_CAA, KBS_ERR_MEASURE_SECTION_DUPLICATE);
	SECTION_CASE(2, 0x80d000, 0x1000, SNP_OVMF_SECTION_SEC_MEM, 0);
	/* Overlaps: another section, the last page of another, the firmware. */
	SECTION_CASE(
	    1, 0x808000, 0x3000, SNP_OVMF_SECTION_SEC_MEM, KBS_ERR_MEASURE_SECTION_OVERLAP);
	SECTION_CASE(
	    6, 0x7ff000, 0x2000, SNP_OVMF_SECTION_SEC_MEM, KBS_ERR_MEASURE_SECTION_OVERLAP);
	SECTION_CASE(
	    6, 0xfffff000, 0x1000, SNP_OVMF_SECTION_SEC_MEM, KBS_ERR_MEASURE_SECTION_OVERLAP);
	SECTION_CASE(6, 0xffffe000, 0x1000, SNP_OVMF_SECTION_SEC_MEM, 0);
	/* Adjacent is not overlapping. */
	SECTION_CASE(1, 0x809000, 0x4000, SNP_OVMF_SECTION_SEC_MEM, 0);
}

TEST_MAIN(TEST(test_amdsev), TEST(test_ovmfx64), TEST(test_tail_of_larger_image),
    TEST(test_section_names), TEST(test_bad_arguments), TEST(test_footer),
    TEST(test_footer_entries), TEST(test_metadata_header), TEST(test_metadata_table),
    TEST(test_sections))
