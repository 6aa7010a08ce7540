/*
 * test_sim_config.c: chip.conf (client/sim_config.c) and the per-product
 * defaults.
 *
 * What sim_config_format writes parses back to the same struct for every
 * product; each kind of fault (unknown, repeated or missing key, a value of
 * the wrong form or range, a stray byte, mitigation vectors outside Turin)
 * gives sim_config with the line and reason, and leaves *ret untouched.
 */
#include <sodium.h>

#include "sim.h"
#include "snp.h"
#include "test.h"

static char *
format_default(enum snp_product product, struct sim_config *cfg)
{
	char *text = NULL;

	CHECK_OK(sim_config_default(product, cfg));
	CHECK_OK(sim_config_format(cfg, &text));
	return text;
}

static void
test_defaults(void)
{
	struct sim_config a, b;

	CHECK_OK(sim_config_default(SNP_PRODUCT_MILAN, &a));
	CHECK_OK(sim_config_default(SNP_PRODUCT_MILAN, &b));
	CHECK(memcmp(a.chip_id, b.chip_id, 64) != 0); /* fresh per chip */
	CHECK(memcmp(a.measurement, b.measurement, 48) == 0);
	CHECK_UINT_EQ(a.policy, 0x30000);
	CHECK_UINT_EQ(a.vmpl, 0);
	CHECK(a.tcb.bootloader == 3 && a.tcb.snp == 8 && a.tcb.microcode == 115);
	CHECK_OK(sim_config_default(SNP_PRODUCT_TURIN, &a));
	CHECK(a.tcb.bootloader == 1 && a.tcb.snp == 2 && a.tcb.microcode == 71);
	CHECK(sodium_is_zero(a.chip_id + 8, 56));
	CHECK_ERR(sim_config_default(SNP_PRODUCT_UNKNOWN, &a), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK(sim_product_info(SNP_PRODUCT_UNKNOWN) == NULL);
	CHECK_UINT_EQ(sim_product_info(SNP_PRODUCT_GENOA)->report_version, 3);
	CHECK_UINT_EQ(sim_product_info(SNP_PRODUCT_TURIN)->report_version, 5);
}

static void
test_round_trip(void)
{
	static const enum snp_product products[] = { SNP_PRODUCT_MILAN, SNP_PRODUCT_GENOA,
		SNP_PRODUCT_TURIN };
	struct sim_config cfg, back;
	char *text;
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(products); i++) {
		text = format_default(products[i], &cfg);
		memset(cfg.family_id, 0x12, sizeof(cfg.family_id));
		memset(cfg.author_key_digest, 0xfe, sizeof(cfg.author_key_digest));
		cfg.guest_svn = 4294967295u;
		cfg.platform_info = 0x25;
		if (products[i] == SNP_PRODUCT_TURIN) {
			cfg.tcb.fmc = 9;
			cfg.launch_mit_vector = 0x8000000000000001ull;
			cfg.current_mit_vector = 3;
		}
		free(text);
		CHECK_OK(sim_config_format(&cfg, &text));
		CHECK(strstr(text, "SIMULATED") != NULL);
		CHECK_OK(sim_config_parse(text, strlen(text), &back, NULL));
		CHECK_MEM_EQ(&back, &cfg, sizeof(cfg));
		free(text);
	}
}

/*
 * expect_error replaces line want_line of a default Milan chip.conf with
 * repl (or appends it when want_line is 0) and expects the line and message.
 */
static void
expect_error(const char *find, const char *repl, unsigned want_line, const char *want_msg)
{
	struct sim_config cfg, out;
	struct sim_config_error err;
	char *text = format_default(SNP_PRODUCT_MILAN, &cfg), *edited, *at;
	size_t len = strlen(text), flen = strlen(find), rlen = strlen(repl);

	CHECK((edited = malloc(len + rlen + 1)) != NULL);
	if (flen == 0) {
		memcpy(edited, text, len);
		memcpy(edited + len, repl, rlen + 1);
	} else {
		CHECK((at = strstr(text, find)) != NULL);
		memcpy(edited, text, (size_t)(at - text));
		memcpy(edited + (at - text), repl, rlen);
		memcpy(
		    edited + (at - text) + rlen, at + flen, len - (size_t)(at - text) - flen + 1);
	}
	memset(&out, 0x5c, sizeof(out));
	CHECK_ERR(sim_config_parse(edited, strlen(edited), &out, &err), KBS_ERR_SIM_CONFIG);
	CHECK_UINT_EQ(err.line, want_line);
	CHECK_STR_EQ(err.message, want_msg);
	{
		struct sim_config untouched;

		memset(&untouched, 0x5c, sizeof(untouched));
		CHECK_MEM_EQ(&out, &untouched, sizeof(out));
	}
	free(edited);
	free(text);
}

static void
test_errors(void)
{
	/* The default text: 5 comment lines, then format on line 6, product 7, ... */
	expect_error("", "colour = blue\n", 23, "unknown key");
	expect_error("", "vmpl = 1\n", 23, "vmpl: repeated key");
	expect_error("", "just words\n", 23, "expected \"key = value\"");
	expect_error("", "vmpl =\n", 23, "expected \"key = value\"");
	expect_error("", "= 1\n", 23, "expected \"key = value\"");
	expect_error("", "# a\x01 comment\n", 23, "not printable ASCII");
	expect_error("vmpl = 0\n", "vmpl = 0\r\n", 13, "not printable ASCII");
	expect_error("vmpl = 0\n", "", 0, "vmpl: missing key");
	expect_error("vmpl = 0", "vmpl = 4", 13, "vmpl: must be 0..3");
	expect_error("vmpl = 0", "vmpl = 00", 13, "vmpl: must be 0..3");
	expect_error("guest_svn = 0", "guest_svn = 4294967296", 14,
	    "guest_svn: must be a decimal number below 2^32");
	expect_error("format = kbs-sim-chip 1", "format = kbs-sim-chip 2", 6,
	    "format: must be \"kbs-sim-chip 1\"");
	expect_error(
	    "product = milan", "product = rome", 7, "product: must be milan, genoa or turin");
	expect_error(
	    "product = milan", "product = Milan-B0", 7, "product: must be milan, genoa or turin");
	expect_error("policy = 0x0000000000030000", "policy = 30000", 12,
	    "policy: must be 0x and 1..16 hex digits");
	expect_error("policy = 0x0000000000030000", "policy = 0x10000000000030000", 12,
	    "policy: must be 0x and 1..16 hex digits");
	expect_error("policy = 0x0000000000030000", "policy = 0x3000g", 12,
	    "policy: must be 0x and 1..16 hex digits");
	expect_error("firmware = 1.52.4", "firmware = 1.52", 10,
	    "firmware: must be MAJOR.MINOR.BUILD, each 0..255");
	expect_error("firmware = 1.52.4", "firmware = 1.52.256", 10,
	    "firmware: must be MAJOR.MINOR.BUILD, each 0..255");
	expect_error("tcb = bl=3,tee=0,snp=8,ucode=115", "tcb = bl=3,tee=0,snp=8,ucode=115,fmc=1",
	    9, "tcb: must be bl=N,tee=N,snp=N,ucode=N (and fmc=N on Turin only), each 0..255");
	expect_error("host_data = 00", "host_data = 0", 18,
	    "host_data: wrong number of hex digits, or not hex");
	expect_error("launch_mit_vector = 0x0000000000000000", "launch_mit_vector = 0x1", 21,
	    "launch_mit_vector: exists only in Turin (v5) reports, must be 0x0 for this product");
	expect_error("current_mit_vector = 0x0000000000000000", "current_mit_vector = 0x1", 22,
	    "current_mit_vector: exists only in Turin (v5) reports, must be 0x0 for this product");
}

static void
test_layout_tolerated(void)
{
	struct sim_config cfg, back;
	char *text = format_default(SNP_PRODUCT_GENOA, &cfg), *spaced;
	size_t len = strlen(text), i, o = 0;
	int first = 1;

	/* Tabs and spaces around the first '=' and at the ends, blank lines: the same config. */
	CHECK((spaced = malloc(2 * len + 8)) != NULL);
	spaced[o++] = '\n';
	for (i = 0; i < len; i++) {
		if (text[i] == '=' && first) {
			first = 0;
			spaced[o++] = '\t';
			spaced[o++] = '=';
			spaced[o++] = ' ';
		} else if (text[i] == '\n') {
			first = 1;
			spaced[o++] = ' ';
			spaced[o++] = '\n';
		} else {
			spaced[o++] = text[i];
		}
	}
	spaced[o] = '\0';
	CHECK_OK(sim_config_parse(spaced, o, &back, NULL));
	CHECK_MEM_EQ(&back, &cfg, sizeof(cfg));
	/* No trailing newline is fine; an embedded NUL is not. */
	CHECK_OK(sim_config_parse(text, len - 1, &back, NULL));
	text[10] = '\0';
	CHECK_ERR(sim_config_parse(text, len, &back, NULL), KBS_ERR_SIM_CONFIG);
	CHECK_ERR(sim_config_parse(NULL, 0, &back, NULL), KBS_ERR_INVALID_ARGUMENT);
	free(spaced);
	free(text);
}

static void
test_config_check(void)
{
	struct sim_config cfg;

	CHECK_OK(sim_config_default(SNP_PRODUCT_GENOA, &cfg));
	CHECK_OK(sim_config_check(&cfg));
	cfg.vmpl = 4;
	CHECK_ERR(sim_config_check(&cfg), KBS_ERR_INVALID_ARGUMENT);
	cfg.vmpl = 0;
	cfg.tcb.fmc = 1;
	CHECK_ERR(sim_config_check(&cfg), KBS_ERR_INVALID_ARGUMENT);
	cfg.tcb.fmc = 0;
	cfg.current_mit_vector = 1;
	CHECK_ERR(sim_config_check(&cfg), KBS_ERR_INVALID_ARGUMENT);
	cfg.product = SNP_PRODUCT_TURIN;
	CHECK_OK(sim_config_check(&cfg));
	cfg.product = SNP_PRODUCT_UNKNOWN;
	CHECK_ERR(sim_config_check(&cfg), KBS_ERR_PRODUCT_UNKNOWN);
}

TEST_MAIN(TEST(test_defaults), TEST(test_round_trip), TEST(test_errors),
    TEST(test_layout_tolerated), TEST(test_config_check))
