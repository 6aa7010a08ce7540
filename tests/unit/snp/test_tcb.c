/*
 * test_tcb.c: snp_tcb_decode / snp_tcb_encode per product.
 *
 * The known answers are the TCB values of the vectors (README.md in
 * tests/vectors/snp). The layout tests show that decoding a Turin TCB with
 * the Milan layout (and the reverse) gives different SPLs or a reserved
 * byte error, so a decoder that ignored the product would fail here.
 */
#include "snp.h"
#include "test.h"

static const enum snp_product products[] = {
	SNP_PRODUCT_MILAN,
	SNP_PRODUCT_GENOA,
	SNP_PRODUCT_TURIN,
};

static void
check_tcb(
    const struct snp_tcb *t, unsigned fmc, unsigned bl, unsigned tee, unsigned snp, unsigned ucode)
{
	CHECK_UINT_EQ(t->fmc, fmc);
	CHECK_UINT_EQ(t->bootloader, bl);
	CHECK_UINT_EQ(t->tee, tee);
	CHECK_UINT_EQ(t->snp, snp);
	CHECK_UINT_EQ(t->microcode, ucode);
}

static void
check_decode_fails(uint64_t raw, enum snp_product p, int want)
{
	struct snp_tcb t, before;

	memset(&t, 0xa5, sizeof(t));
	before = t;
	CHECK_ERR(snp_tcb_decode(raw, p, &t), want);
	CHECK(memcmp(&t, &before, sizeof(t)) == 0);
}

static void
test_known_answers(void)
{
	struct snp_tcb t;

	CHECK_OK(snp_tcb_decode(0xdb18000000000004ULL, SNP_PRODUCT_MILAN, &t));
	check_tcb(&t, 0, 4, 0, 24, 219);
	CHECK_OK(snp_tcb_decode(0x4405000000000002ULL, SNP_PRODUCT_MILAN, &t));
	check_tcb(&t, 0, 2, 0, 5, 68);
	CHECK_OK(snp_tcb_decode(0x541900000000000aULL, SNP_PRODUCT_GENOA, &t));
	check_tcb(&t, 0, 10, 0, 25, 84);
	CHECK_OK(snp_tcb_decode(0x4700000002000100ULL, SNP_PRODUCT_TURIN, &t));
	check_tcb(&t, 0, 1, 0, 2, 71);
	/* The tampered Turin report's REPORTED_TCB: bl 1 -> 3. */
	CHECK_OK(snp_tcb_decode(0x4700000002000300ULL, SNP_PRODUCT_TURIN, &t));
	check_tcb(&t, 0, 3, 0, 2, 71);
	/* Every byte position, distinct values. */
	CHECK_OK(snp_tcb_decode(
	    0x8800000000000000ULL | 0x0077000000000000ULL | 0x2211ULL, SNP_PRODUCT_GENOA, &t));
	check_tcb(&t, 0, 0x11, 0x22, 0x77, 0x88);
	CHECK_OK(snp_tcb_decode(0x8800000044332211ULL, SNP_PRODUCT_TURIN, &t));
	check_tcb(&t, 0x11, 0x22, 0x33, 0x44, 0x88);
}

static void
test_turin_with_milan_layout(void)
{
	struct snp_tcb turin, milan;
	uint64_t raw = 0;

	/* The real Turin vector TCB: its SNP byte sits in a Milan reserved byte. */
	check_decode_fails(0x4700000002000100ULL, SNP_PRODUCT_MILAN, KBS_ERR_REPORT_RESERVED);
	check_decode_fails(0x4700000002000100ULL, SNP_PRODUCT_GENOA, KBS_ERR_REPORT_RESERVED);

	/*
	 * A Turin TCB with TEE and SNP 0 (bytes 2 and 3, reserved on Milan)
	 * decodes under both layouts, to different SPLs.
	 */
	turin = (struct snp_tcb){ .fmc = 1, .bootloader = 3, .tee = 0, .snp = 0, .microcode = 71 };
	CHECK_OK(snp_tcb_encode(&turin, SNP_PRODUCT_TURIN, &raw));
	CHECK_UINT_EQ(raw, 0x4700000000000301ULL);
	CHECK_OK(snp_tcb_decode(raw, SNP_PRODUCT_MILAN, &milan));
	check_tcb(&milan, 0, 1, 3, 0, 71); /* FMC read as boot loader, boot loader as TEE */
	CHECK(milan.bootloader != turin.bootloader);
	CHECK(milan.tee != turin.tee);
	CHECK_OK(snp_tcb_decode(raw, SNP_PRODUCT_TURIN, &milan));
	check_tcb(&milan, 1, 3, 0, 0, 71);
	/* A Turin TEE SPL lands in a Milan reserved byte. */
	turin.tee = 2;
	CHECK_OK(snp_tcb_encode(&turin, SNP_PRODUCT_TURIN, &raw));
	check_decode_fails(raw, SNP_PRODUCT_MILAN, KBS_ERR_REPORT_RESERVED);

	/* The reverse: a Milan TCB's SNP byte (6) is reserved on Turin. */
	check_decode_fails(0xdb18000000000004ULL, SNP_PRODUCT_TURIN, KBS_ERR_REPORT_RESERVED);
	/* And a Milan TCB with SNP 0 reads as a different Turin TCB. */
	CHECK_OK(snp_tcb_decode(0xdb00000000000104ULL, SNP_PRODUCT_TURIN, &milan));
	check_tcb(&milan, 4, 1, 0, 0, 219);
	CHECK_OK(snp_tcb_decode(0xdb00000000000104ULL, SNP_PRODUCT_MILAN, &milan));
	check_tcb(&milan, 0, 4, 1, 0, 219);
}

static void
test_reserved_bytes(void)
{
	static const struct {
		enum snp_product product;
		unsigned byte;
	} reserved[] = {
		{ SNP_PRODUCT_MILAN, 2 },
		{ SNP_PRODUCT_MILAN, 3 },
		{ SNP_PRODUCT_MILAN, 4 },
		{ SNP_PRODUCT_MILAN, 5 },
		{ SNP_PRODUCT_GENOA, 2 },
		{ SNP_PRODUCT_GENOA, 3 },
		{ SNP_PRODUCT_GENOA, 4 },
		{ SNP_PRODUCT_GENOA, 5 },
		{ SNP_PRODUCT_TURIN, 4 },
		{ SNP_PRODUCT_TURIN, 5 },
		{ SNP_PRODUCT_TURIN, 6 },
	};
	size_t i;
	unsigned bit;

	for (i = 0; i < KBS_ARRAY_SIZE(reserved); i++) {
		for (bit = 0; bit < 8; bit++) {
			uint64_t raw = 1ULL << (8 * reserved[i].byte + bit);

			check_decode_fails(raw, reserved[i].product, KBS_ERR_REPORT_RESERVED);
			check_decode_fails(raw | 0xdb00000000000004ULL, reserved[i].product,
			    KBS_ERR_REPORT_RESERVED);
		}
	}
}

static void
test_field_bytes_accepted(void)
{
	/* Every non-reserved byte takes any value: exhaust one byte at a time. */
	static const struct {
		enum snp_product product;
		unsigned bytes[5];
		size_t n;
	} fields[] = {
		{ SNP_PRODUCT_MILAN, { 0, 1, 6, 7 }, 4 },
		{ SNP_PRODUCT_GENOA, { 0, 1, 6, 7 }, 4 },
		{ SNP_PRODUCT_TURIN, { 0, 1, 2, 3, 7 }, 5 },
	};
	size_t i, j;
	unsigned v;

	for (i = 0; i < KBS_ARRAY_SIZE(fields); i++) {
		for (j = 0; j < fields[i].n; j++) {
			for (v = 0; v < 256; v++) {
				uint64_t raw = (uint64_t)v << (8 * fields[i].bytes[j]), back = 0;
				struct snp_tcb t;

				CHECK_OK(snp_tcb_decode(raw, fields[i].product, &t));
				CHECK_OK(snp_tcb_encode(&t, fields[i].product, &back));
				CHECK_UINT_EQ(back, raw);
			}
		}
	}
}

static void
test_roundtrip(void)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	size_t i, k;

	for (k = 0; k < KBS_ARRAY_SIZE(products); k++) {
		for (i = 0; i < 2000; i++) {
			struct snp_tcb t, back;
			uint64_t raw = 0;

			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			t.fmc = products[k] == SNP_PRODUCT_TURIN ? (uint8_t)(state >> 8) : 0;
			t.bootloader = (uint8_t)(state >> 16);
			t.tee = (uint8_t)(state >> 24);
			t.snp = (uint8_t)(state >> 32);
			t.microcode = (uint8_t)(state >> 40);
			CHECK_OK(snp_tcb_encode(&t, products[k], &raw));
			CHECK_OK(snp_tcb_decode(raw, products[k], &back));
			CHECK(memcmp(&t, &back, sizeof(t)) == 0);
		}
	}
}

static void
test_errors(void)
{
	struct snp_tcb t = { .fmc = 1, .bootloader = 2, .tee = 3, .snp = 4, .microcode = 5 };
	uint64_t raw = 0x1234;

	check_decode_fails(0, SNP_PRODUCT_UNKNOWN, KBS_ERR_PRODUCT_UNKNOWN);
	check_decode_fails(0, (enum snp_product)SNP_PRODUCT_COUNT, KBS_ERR_PRODUCT_UNKNOWN);
	check_decode_fails(0, (enum snp_product) - 1, KBS_ERR_PRODUCT_UNKNOWN);
	check_decode_fails(0, (enum snp_product)1000, KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_tcb_decode(0, SNP_PRODUCT_MILAN, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_tcb_encode(&t, SNP_PRODUCT_UNKNOWN, &raw), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_tcb_encode(&t, (enum snp_product)77, &raw), KBS_ERR_PRODUCT_UNKNOWN);
	/* Milan and Genoa have no FMC: refusing beats silently dropping it. */
	CHECK_ERR(snp_tcb_encode(&t, SNP_PRODUCT_MILAN, &raw), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_tcb_encode(&t, SNP_PRODUCT_GENOA, &raw), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_tcb_encode(NULL, SNP_PRODUCT_MILAN, &raw), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_tcb_encode(&t, SNP_PRODUCT_TURIN, NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_UINT_EQ(raw, 0x1234);
	CHECK_OK(snp_tcb_encode(&t, SNP_PRODUCT_TURIN, &raw));
	CHECK_UINT_EQ(raw, 0x0500000004030201ULL);
	t.fmc = 0;
	CHECK_OK(snp_tcb_encode(&t, SNP_PRODUCT_MILAN, &raw));
	CHECK_UINT_EQ(raw, 0x0504000000000302ULL);
}

TEST_MAIN(TEST(test_known_answers), TEST(test_turin_with_milan_layout), TEST(test_reserved_bytes),
    TEST(test_field_bytes_accepted), TEST(test_roundtrip), TEST(test_errors))
