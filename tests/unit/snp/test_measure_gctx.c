/*
 * test_measure_gctx.c: the PAGE_INFO layout and the launch digest chain
 * (measure_gctx.c).
 *
 * The layout is checked byte by byte against the SEV-SNP ABI's PAGE_INFO
 * table; each update is checked against SHA-384 (OpenSSL's one-shot) of a
 * PAGE_INFO laid out here by hand.
 */
#include <openssl/sha.h>

#include "measure_test.h"

static void
fill(uint8_t *p, size_t n, uint8_t start)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

/* by_hand lays out PAGE_INFO from the ABI table, independently of the encoder. */
static void
by_hand(const uint8_t cur[48], const uint8_t contents[48], uint8_t type, uint64_t gpa,
    uint8_t out[0x70])
{
	size_t i;

	memset(out, 0, 0x70);
	memcpy(out + 0x00, cur, 48);      /* DIGEST_CUR */
	memcpy(out + 0x30, contents, 48); /* CONTENTS */
	out[0x60] = 0x70;                 /* LENGTH, u16 */
	out[0x62] = type;                 /* PAGE_TYPE */
	for (i = 0; i < 8; i++)
		out[0x68 + i] = (uint8_t)(gpa >> (8 * i)); /* GPA */
}

static void
test_page_info_layout(void)
{
	uint8_t cur[48], contents[48], got[SNP_PAGE_INFO_SIZE], want[0x70];

	fill(cur, sizeof(cur), 0x11);
	fill(contents, sizeof(contents), 0x80);
	CHECK_UINT_EQ(SNP_PAGE_INFO_SIZE, 0x70);
	memset(got, 0xee, sizeof(got));
	snp_page_info_encode(cur, contents, SNP_PAGE_ZERO, 0x0123456789abcdefULL, got);
	by_hand(cur, contents, 3, 0x0123456789abcdefULL, want);
	CHECK_MEM_EQ(got, want, sizeof(got));
	CHECK_UINT_EQ(got[0x68], 0xef);
	CHECK_UINT_EQ(got[0x6f], 0x01);
	/* IMI_PAGE, the three VMPL permission bytes and the reserved byte are 0. */
	CHECK_UINT_EQ(got[0x63] | got[0x64] | got[0x65] | got[0x66] | got[0x67], 0);
}

static void
test_page_types(void)
{
	CHECK_UINT_EQ(SNP_PAGE_NORMAL, 1);
	CHECK_UINT_EQ(SNP_PAGE_VMSA, 2);
	CHECK_UINT_EQ(SNP_PAGE_ZERO, 3);
	CHECK_UINT_EQ(SNP_PAGE_UNMEASURED, 4);
	CHECK_UINT_EQ(SNP_PAGE_SECRETS, 5);
	CHECK_UINT_EQ(SNP_PAGE_CPUID, 6);
	CHECK_UINT_EQ(SNP_VMSA_GPA, 0xFFFFFFFFF000ULL);
}

static void
test_update(void)
{
	struct snp_gctx g;
	uint8_t seed[48], contents[48], info[0x70], want[48];

	fill(seed, sizeof(seed), 0x40);
	fill(contents, sizeof(contents), 0x01);
	CHECK_OK(snp_gctx_init(&g, NULL));
	CHECK_MEM_EQ(g.ld, (uint8_t[48]){ 0 }, 48);
	snp_gctx_free(&g);

	CHECK_OK(snp_gctx_init(&g, seed));
	CHECK_MEM_EQ(g.ld, seed, 48);
	CHECK_OK(snp_gctx_update(&g, SNP_PAGE_SECRETS, 0x80d000, contents));
	by_hand(seed, contents, 5, 0x80d000, info);
	SHA384(info, sizeof(info), want);
	CHECK_MEM_EQ(g.ld, want, 48);
	snp_gctx_free(&g);
	snp_gctx_free(NULL);
}

/* Normal pages: one update per page, CONTENTS the page's SHA-384, GPA ascending. */
static void
test_normal_pages(void)
{
	struct snp_gctx g;
	uint8_t data[2 * 4096], contents[48], info[0x70], want[48] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	CHECK_OK(snp_gctx_init(&g, NULL));
	CHECK_OK(snp_gctx_normal_pages(&g, 0xffffe000, data, sizeof(data)));
	for (i = 0; i < 2; i++) {
		SHA384(data + 4096 * i, 4096, contents);
		by_hand(want, contents, 1, 0xffffe000 + 4096 * i, info);
		SHA384(info, sizeof(info), want);
	}
	CHECK_MEM_EQ(g.ld, want, 48);
	CHECK_ERR(snp_gctx_normal_pages(&g, 0x1000, data, 4095), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_gctx_normal_pages(&g, 0x1001, data, 4096), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_gctx_normal_pages(&g, 0x1000, NULL, 4096), KBS_ERR_INVALID_ARGUMENT);
	CHECK_MEM_EQ(g.ld, want, 48);
	CHECK_OK(snp_gctx_normal_pages(&g, 0x1000, NULL, 0));
	CHECK_MEM_EQ(g.ld, want, 48);
	snp_gctx_free(&g);
}

/* Blank pages: CONTENTS all zero, one update per page. */
static void
test_blank_pages(void)
{
	struct snp_gctx g;
	uint8_t info[0x70], want[48] = { 0 }, zeros[48] = { 0 };
	int i;

	CHECK_OK(snp_gctx_init(&g, NULL));
	CHECK_OK(snp_gctx_blank_pages(&g, SNP_PAGE_ZERO, 0x800000, 3 * 4096));
	for (i = 0; i < 3; i++) {
		by_hand(want, zeros, 3, 0x800000 + 4096 * (uint64_t)i, info);
		SHA384(info, sizeof(info), want);
	}
	CHECK_MEM_EQ(g.ld, want, 48);
	CHECK_ERR(
	    snp_gctx_blank_pages(&g, SNP_PAGE_NORMAL, 0x1000, 4096), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_gctx_blank_pages(&g, SNP_PAGE_VMSA, 0x1000, 4096), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_gctx_blank_pages(&g, SNP_PAGE_CPUID, 0x1800, 4096), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_gctx_blank_pages(&g, SNP_PAGE_CPUID, 0x1000, 100), KBS_ERR_INVALID_ARGUMENT);
	CHECK_MEM_EQ(g.ld, want, 48);
	snp_gctx_free(&g);
}

TEST_MAIN(TEST(test_page_info_layout), TEST(test_page_types), TEST(test_update),
    TEST(test_normal_pages), TEST(test_blank_pages))
