/*
 * test_kds_url.c: kbs/kds_url.c against the KDS interface specification
 * (AMD 57230): the VCEK URL per product, from genuine reports
 * (tests/vectors/snp), with Turin's fmcSPL and 8-byte hwID; chain and CRL
 * paths of both chains; Trustee's TCB file names; the cache keys; and the
 * two directory layouts, with every malformed path refused exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "kds.h"
#include "test.h"

static void
report_of(const char *rel, struct snp_report *ret)
{
	size_t len = 0;
	uint8_t *d = test_read_vector(rel, &len);

	CHECK(d != NULL);
	if (d != NULL)
		CHECK_OK(snp_report_parse(d, len, ret));
	free(d);
}

/* url_of builds the VCEK path of a vector report as kds.c does: product from CPUID, TCB decoded. */
static int
url_of(const struct snp_report *rep, enum snp_product p, char *out, size_t size)
{
	struct snp_tcb tcb;

	CHECK_OK(snp_tcb_decode(rep->reported_tcb, p, &tcb));
	return kbs_kds_vcek_path(p, rep->chip_id, &tcb, out, size);
}

static void
test_vcek_path_milan(void)
{
	struct snp_report rep;
	char url[KBS_KDS_PATH_MAX], want[KBS_KDS_PATH_MAX], hwid[129];

	report_of("go-sev-guest/milan_report.bin", &rep);
	CHECK_OK(kbs_kds_hwid_hex(SNP_PRODUCT_MILAN, rep.chip_id, hwid));
	CHECK_UINT_EQ(strlen(hwid), 128);
	CHECK(strncmp(hwid, "3ac3fe21e13fb099", 16) == 0);
	CHECK_OK(url_of(&rep, SNP_PRODUCT_MILAN, url, sizeof(url)));
	/* reported_tcb 0x4405000000000002: bl=2, tee=0, snp=5, ucode=68 */
	snprintf(
	    want, sizeof(want), "/vcek/v1/Milan/%s?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68", hwid);
	CHECK_STR_EQ(url, want);
	/* Too small a buffer is refused, not truncated. */
	CHECK_ERR(url_of(&rep, SNP_PRODUCT_MILAN, url, 100), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_vcek_path_genoa(void)
{
	struct snp_report rep;
	char url[KBS_KDS_PATH_MAX], want[KBS_KDS_PATH_MAX], hwid[129];

	report_of("oak/genoa_oc_report.bin", &rep);
	CHECK_OK(kbs_kds_hwid_hex(SNP_PRODUCT_GENOA, rep.chip_id, hwid));
	CHECK(strncmp(hwid, "d2421d976f95ce0b", 16) == 0);
	CHECK_OK(url_of(&rep, SNP_PRODUCT_GENOA, url, sizeof(url)));
	/* 0x541900000000000a: bl=10, tee=0, snp=25, ucode=84 */
	snprintf(
	    want, sizeof(want), "/vcek/v1/Genoa/%s?blSPL=10&teeSPL=0&snpSPL=25&ucodeSPL=84", hwid);
	CHECK_STR_EQ(url, want);
}

static void
test_vcek_path_turin(void)
{
	struct snp_report rep;
	struct snp_tcb tcb;
	char url[KBS_KDS_PATH_MAX], hwid[129], name[64];

	report_of("oak/turin_oc_report.bin", &rep);
	/* Turin: the first 8 bytes of CHIP_ID, and fmcSPL. */
	CHECK_OK(kbs_kds_hwid_hex(SNP_PRODUCT_TURIN, rep.chip_id, hwid));
	CHECK_STR_EQ(hwid, "3b42092f69c656d3");
	CHECK_OK(url_of(&rep, SNP_PRODUCT_TURIN, url, sizeof(url)));
	/* 0x4700000002000100: fmc=0, bl=1, tee=0, snp=2, ucode=71 */
	CHECK_STR_EQ(
	    url, "/vcek/v1/Turin/3b42092f69c656d3?fmcSPL=0&blSPL=1&teeSPL=0&snpSPL=2&ucodeSPL=71");
	CHECK_OK(snp_tcb_decode(rep.reported_tcb, SNP_PRODUCT_TURIN, &tcb));
	CHECK_OK(kbs_kds_tcb_name(SNP_PRODUCT_TURIN, &tcb, name, sizeof(name)));
	CHECK_STR_EQ(name, "bl01_tee00_snp02_ucode71_fmc00");
	/* A Turin CHIP_ID with bytes past the eighth names no KDS hwID. */
	rep.chip_id[8] = 1;
	CHECK_ERR(kbs_kds_hwid_hex(SNP_PRODUCT_TURIN, rep.chip_id, hwid), KBS_ERR_KDS_NO_KEY);
	CHECK_ERR(url_of(&rep, SNP_PRODUCT_TURIN, url, sizeof(url)), KBS_ERR_KDS_NO_KEY);
}

static void
test_hwid_refusals(void)
{
	uint8_t chip[64];
	char hwid[129];

	memset(chip, 0, sizeof(chip)); /* MASK_CHIP_ID: all zero */
	CHECK_ERR(kbs_kds_hwid_hex(SNP_PRODUCT_MILAN, chip, hwid), KBS_ERR_KDS_NO_KEY);
	chip[63] = 0xab;
	CHECK_ERR(kbs_kds_hwid_hex(SNP_PRODUCT_UNKNOWN, chip, hwid), KBS_ERR_KDS_NO_KEY);
	CHECK_OK(kbs_kds_hwid_hex(SNP_PRODUCT_GENOA, chip, hwid));
	CHECK(strcmp(hwid + 126, "ab") == 0);
	CHECK_ERR(kbs_kds_hwid_hex(SNP_PRODUCT_TURIN, chip, hwid), KBS_ERR_KDS_NO_KEY);
}

static void
test_chain_crl_paths(void)
{
	char p[KBS_KDS_PATH_MAX];

	CHECK_OK(kbs_kds_chain_path(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, p, sizeof(p)));
	CHECK_STR_EQ(p, "/vcek/v1/Milan/cert_chain");
	CHECK_OK(kbs_kds_chain_path(SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VLEK, p, sizeof(p)));
	CHECK_STR_EQ(p, "/vlek/v1/Turin/cert_chain");
	CHECK_OK(kbs_kds_crl_path(SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VCEK, p, sizeof(p)));
	CHECK_STR_EQ(p, "/vcek/v1/Genoa/crl");
	CHECK_OK(kbs_kds_crl_path(SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VLEK, p, sizeof(p)));
	CHECK_STR_EQ(p, "/vlek/v1/Genoa/crl");
	CHECK_ERR(kbs_kds_crl_path(SNP_PRODUCT_UNKNOWN, SNP_SIGNING_KEY_VCEK, p, sizeof(p)),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_kds_crl_path(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_NONE, p, sizeof(p)),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(kbs_kds_chain_path(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, p, 10),
	    KBS_ERR_INVALID_ARGUMENT);
}

static void
test_names_and_keys(void)
{
	struct snp_tcb t = { 0, 3, 0, 8, 115 };
	char s[KBS_KDS_PATH_MAX];

	CHECK_OK(kbs_kds_tcb_name(SNP_PRODUCT_MILAN, &t, s, sizeof(s)));
	CHECK_STR_EQ(s, "bl03_tee00_snp08_ucode115"); /* as Trustee's offline store names it */
	CHECK_ERR(kbs_kds_tcb_name(SNP_PRODUCT_MILAN, &t, s, 10), KBS_ERR_INVALID_ARGUMENT);
	CHECK_OK(kbs_kds_vcek_key(SNP_PRODUCT_GENOA, "00ff", "bl01", s, sizeof(s)));
	CHECK_STR_EQ(s, "vcek/Genoa/00ff/bl01");
	CHECK_OK(
	    kbs_kds_item_key(KBS_KDS_CRL, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VLEK, s, sizeof(s)));
	CHECK_STR_EQ(s, "crl/vlek/Milan");
	CHECK_OK(
	    kbs_kds_item_key(KBS_KDS_CHAIN, SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK, s, sizeof(s)));
	CHECK_STR_EQ(s, "chain/vcek/Turin");
	CHECK_ERR(
	    kbs_kds_item_key(KBS_KDS_VCEK, SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK, s, sizeof(s)),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_STR_EQ(kbs_kds_product_segment(SNP_PRODUCT_TURIN), "Turin");
	CHECK(kbs_kds_product_segment(SNP_PRODUCT_UNKNOWN) == NULL);
	CHECK(kbs_kds_product_segment((enum snp_product)7) == NULL);
}

#define H16 "3b42092f69c656d3"
#define H128 H16 H16 H16 H16 H16 H16 H16 H16

static void
test_layouts(void)
{
	struct kbs_kds_file f;
	static const char *const bad[] = {
		"", "/vcek/v1/Milan/crl",                   /* absolute */
		"vcek/v1/Milan/crl/",                       /* trailing slash */
		"vcek//v1/Milan/crl",                       /* empty part */
		"vcek/v2/Milan/crl",                        /* version */
		"vcek/v1/milan/crl",                        /* KDS spells Milan */
		"vcek/v1/Siena/cert_chain",                 /* no such product here */
		"vcek/v1/Milan/ark",                        /* no such resource */
		"vlek/v1/Milan/" H128 "/bl03_vcek.der",     /* VLEKs are not served by KDS */
		"vcek/v1/Milan/" H128 "/x_vcek.der",        /* a TCB name starts with bl */
		"vcek/v1/Milan/" H128 "/bl03-tee_vcek.der", /* only [a-z0-9_] */
		"vcek/v1/Milan/" H128 "/bl03.der",          /* the suffix */
		"vcek/" H16 "a/vcek.der",                   /* 17 digits */
		"vcek/3B42092F69C656D3/vcek.der",           /* Trustee: lower case */
		"vcek/" H16 "/cert.der",         /* Trustee: vcek.der or {tcb}_vcek.der */
		"vcek/" H16 "/../../etc/passwd", /* too deep, and no layout */
		"vcek/../vcek/" H16 "/vcek.der", /* .. is no hwID */
		"a/b/c/d/e/f/g",                 /* too deep */
	};
	size_t i;

	CHECK_OK(kbs_kds_file_parse("vcek/v1/Milan/crl", &f));
	CHECK(f.item == KBS_KDS_CRL && f.product == SNP_PRODUCT_MILAN &&
	    f.chain == SNP_SIGNING_KEY_VCEK);
	CHECK_OK(kbs_kds_file_parse("vlek/v1/Genoa/cert_chain", &f));
	CHECK(f.item == KBS_KDS_CHAIN && f.product == SNP_PRODUCT_GENOA &&
	    f.chain == SNP_SIGNING_KEY_VLEK);
	CHECK_OK(kbs_kds_file_parse(
	    "vcek/v1/Turin/" H16 "/bl01_tee00_snp02_ucode71_fmc00_vcek.der", &f));
	CHECK(f.item == KBS_KDS_VCEK && f.product == SNP_PRODUCT_TURIN);
	CHECK_STR_EQ(f.hwid, H16);
	CHECK_STR_EQ(f.tcb, "bl01_tee00_snp02_ucode71_fmc00");
	CHECK_OK(kbs_kds_file_parse("vcek/" H128 "/bl03_tee00_snp08_ucode115_vcek.der", &f));
	CHECK(f.item == KBS_KDS_VCEK && f.product == SNP_PRODUCT_UNKNOWN);
	CHECK_STR_EQ(f.hwid, H128);
	CHECK_STR_EQ(f.tcb, "bl03_tee00_snp08_ucode115");
	CHECK_OK(kbs_kds_file_parse("vcek/" H16 "/vcek.der", &f));
	CHECK_STR_EQ(f.tcb, ""); /* the flat file: TCB from the certificate */
	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++)
		CHECK_ERR(kbs_kds_file_parse(bad[i], &f), KBS_ERR_KDS_LAYOUT);
	CHECK_ERR(kbs_kds_file_parse(NULL, &f), KBS_ERR_INVALID_ARGUMENT);
}

TEST_MAIN(TEST(test_vcek_path_milan), TEST(test_vcek_path_genoa), TEST(test_vcek_path_turin),
    TEST(test_hwid_refusals), TEST(test_chain_crl_paths), TEST(test_names_and_keys),
    TEST(test_layouts))
