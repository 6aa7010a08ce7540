/*
 * test_product.c: snp_product_from_name and snp_product_from_cpuid.
 *
 * The CPUID test is exhaustive over all 65536 (family, model) pairs against
 * an independent statement of the expected blocks, plus named models AMD
 * ships (and client or older models that must stay unknown).
 */
#include "snp.h"
#include "test.h"

static void
check_name(const char *name, enum snp_product want)
{
	enum snp_product p = SNP_PRODUCT_UNKNOWN;

	CHECK_OK(snp_product_from_name(name, &p));
	if (p != want)
		fprintf(stderr, "name \"%s\"\n", name);
	CHECK_INT_EQ(p, want);
}

static void
check_name_unknown(const char *name)
{
	enum snp_product p = (enum snp_product)42;
	int r = snp_product_from_name(name, &p);

	if (r != KBS_ERR_PRODUCT_UNKNOWN)
		fprintf(stderr, "name \"%s\"\n", name);
	CHECK_ERR(r, KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_INT_EQ(p, 42);
}

static void
test_names(void)
{
	size_t i;

	check_name("milan", SNP_PRODUCT_MILAN);
	check_name("genoa", SNP_PRODUCT_GENOA);
	check_name("turin", SNP_PRODUCT_TURIN);
	check_name("Milan-B0", SNP_PRODUCT_MILAN);
	check_name("Milan-B1", SNP_PRODUCT_MILAN);
	check_name("Milan", SNP_PRODUCT_MILAN);
	check_name("Genoa", SNP_PRODUCT_GENOA);
	check_name("Genoa-B1", SNP_PRODUCT_GENOA);
	check_name("Turin", SNP_PRODUCT_TURIN);
	check_name("Turin-C1", SNP_PRODUCT_TURIN);
	check_name("MILAN", SNP_PRODUCT_MILAN);
	check_name("gEnOa", SNP_PRODUCT_GENOA);
	check_name("TURIN-b0", SNP_PRODUCT_TURIN);
	check_name("milan-12345678", SNP_PRODUCT_MILAN);
	/* Genoa-X is a Genoa part; the suffix is not interpreted. */
	check_name("Genoa-X", SNP_PRODUCT_GENOA);
	/* Every name snp_product_name gives back is accepted. */
	for (i = SNP_PRODUCT_MILAN; i < SNP_PRODUCT_COUNT; i++)
		check_name(snp_product_name((enum snp_product)i), (enum snp_product)i);
}

static void
test_names_rejected(void)
{
	char long_name[200];

	check_name_unknown("");
	check_name_unknown("milanx");
	check_name_unknown("MilanX");
	check_name_unknown("milan-x-b0");
	check_name_unknown("Milan_B0");
	check_name_unknown("Milan-");
	check_name_unknown("-B0");
	check_name_unknown("-");
	check_name_unknown("mila");
	check_name_unknown("milann");
	check_name_unknown(" milan");
	check_name_unknown("milan ");
	check_name_unknown("milan\n");
	check_name_unknown("milan-B0 ");
	check_name_unknown("milan-123456789");
	check_name_unknown("genoax");
	check_name_unknown("bergamo");
	check_name_unknown("siena");
	check_name_unknown("rome");
	check_name_unknown("naples");
	check_name_unknown("venice");
	check_name_unknown("unknown");
	check_name_unknown("turin\xc3\xa9");
	check_name_unknown("m\xc4\xb1lan"); /* dotless i: no Unicode case folding */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memcpy(long_name, "milan-", 6);
	check_name_unknown(long_name);
	memcpy(long_name, "milan", 6);
	check_name_unknown(long_name + 1);
}

static void
test_name_args(void)
{
	enum snp_product p = SNP_PRODUCT_MILAN;

	CHECK_ERR(snp_product_from_name(NULL, &p), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_product_from_name("milan", NULL), KBS_ERR_INVALID_ARGUMENT);
	CHECK_INT_EQ(p, SNP_PRODUCT_MILAN);
	CHECK_STR_EQ(snp_product_name(SNP_PRODUCT_UNKNOWN), "unknown");
}

/* The expected mapping, written independently of product.c's table. */
static enum snp_product
expected_cpuid(unsigned family, unsigned model)
{
	if (family == 0x19 && model <= 0x0f)
		return SNP_PRODUCT_MILAN;
	if (family == 0x19 && (model >> 4) == 0x1)
		return SNP_PRODUCT_GENOA;
	if (family == 0x19 && (model >> 4) == 0xa)
		return SNP_PRODUCT_GENOA;
	if (family == 0x1a && model <= 0x1f)
		return SNP_PRODUCT_TURIN;
	return SNP_PRODUCT_UNKNOWN;
}

static void
test_cpuid_exhaustive(void)
{
	unsigned family, model;
	size_t counts[SNP_PRODUCT_COUNT] = { 0 };

	for (family = 0; family < 256; family++) {
		for (model = 0; model < 256; model++) {
			enum snp_product want = expected_cpuid(family, model);
			enum snp_product got = (enum snp_product)99;
			int r = snp_product_from_cpuid((uint8_t)family, (uint8_t)model, &got);

			counts[want]++;
			if (want == SNP_PRODUCT_UNKNOWN) {
				if (r != KBS_ERR_PRODUCT_UNKNOWN || got != 99)
					fprintf(stderr, "cpuid %02x/%02x\n", family, model);
				CHECK_ERR(r, KBS_ERR_PRODUCT_UNKNOWN);
				CHECK_INT_EQ(got, 99);
			} else {
				if (r != 0 || got != want)
					fprintf(stderr, "cpuid %02x/%02x\n", family, model);
				CHECK_OK(r);
				CHECK_INT_EQ(got, want);
			}
		}
	}
	CHECK_UINT_EQ(counts[SNP_PRODUCT_MILAN], 16);
	CHECK_UINT_EQ(counts[SNP_PRODUCT_GENOA], 32);
	CHECK_UINT_EQ(counts[SNP_PRODUCT_TURIN], 32);
}

static void
test_cpuid_named_models(void)
{
	static const struct {
		uint8_t family, model;
		enum snp_product want;
		const char *what;
	} cases[] = {
		{ 0x19, 0x01, SNP_PRODUCT_MILAN, "EPYC 7003 Milan and Milan-X" },
		{ 0x19, 0x11, SNP_PRODUCT_GENOA, "EPYC 9004 Genoa and Genoa-X" },
		{ 0x19, 0xa0, SNP_PRODUCT_GENOA, "EPYC 97x4 Bergamo, EPYC 8004 Siena" },
		{ 0x1a, 0x02, SNP_PRODUCT_TURIN, "EPYC 9005 Turin" },
		{ 0x1a, 0x11, SNP_PRODUCT_TURIN, "EPYC 9005 Turin dense" },
		{ 0x17, 0x01, SNP_PRODUCT_UNKNOWN, "EPYC 7001 Naples (no SNP)" },
		{ 0x17, 0x31, SNP_PRODUCT_UNKNOWN, "EPYC 7002 Rome (no SNP)" },
		{ 0x19, 0x21, SNP_PRODUCT_UNKNOWN, "Ryzen 5000 Vermeer" },
		{ 0x19, 0x50, SNP_PRODUCT_UNKNOWN, "Ryzen 5000 Cezanne" },
		{ 0x19, 0x61, SNP_PRODUCT_UNKNOWN, "Ryzen 7000 Raphael" },
		{ 0x19, 0x74, SNP_PRODUCT_UNKNOWN, "Ryzen 7040 Phoenix" },
		{ 0x19, 0xb0, SNP_PRODUCT_UNKNOWN, "past the Zen 4 server block" },
		{ 0x1a, 0x24, SNP_PRODUCT_UNKNOWN, "Ryzen AI 300 Strix Point" },
		{ 0x1a, 0x44, SNP_PRODUCT_UNKNOWN, "Ryzen 9000 Granite Ridge" },
		{ 0x1a, 0x50, SNP_PRODUCT_UNKNOWN, "Zen 6" },
		{ 0x1b, 0x00, SNP_PRODUCT_UNKNOWN, "a future family" },
		{ 0x00, 0x00, SNP_PRODUCT_UNKNOWN, "v2 report (no CPUID)" },
		{ 0x0f, 0x01, SNP_PRODUCT_UNKNOWN, "base family only" },
	};
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		enum snp_product got = SNP_PRODUCT_UNKNOWN;
		int r = snp_product_from_cpuid(cases[i].family, cases[i].model, &got);

		if (cases[i].want == SNP_PRODUCT_UNKNOWN) {
			CHECK_ERR(r, KBS_ERR_PRODUCT_UNKNOWN);
		} else {
			CHECK_OK(r);
			if (got != cases[i].want)
				fprintf(stderr, "%s\n", cases[i].what);
			CHECK_INT_EQ(got, cases[i].want);
		}
	}
	CHECK_ERR(snp_product_from_cpuid(0x19, 0x01, NULL), KBS_ERR_INVALID_ARGUMENT);
}

TEST_MAIN(TEST(test_names), TEST(test_names_rejected), TEST(test_name_args),
    TEST(test_cpuid_exhaustive), TEST(test_cpuid_named_models))
