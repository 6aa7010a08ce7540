/*
 * test_facts.c: snp/facts.c on the genuine AMD vectors: what a VCEK, VLEK
 * or cert_chain file says it is (product, kind, hwID, SPLs), the CRL's
 * update times, and every refusal with its exact code.
 */
#include <stdlib.h>
#include <string.h>

#include "snp.h"
#include "test.h"

static uint8_t *
cat2(const char *a, const char *b, size_t *ret_len)
{
	size_t la = 0, lb = 0;
	uint8_t *x = test_read_vector(a, &la), *y = test_read_vector(b, &lb), *out;

	out = malloc(la + lb);
	if (out != NULL && x != NULL && y != NULL) {
		memcpy(out, x, la);
		memcpy(out + la, y, lb);
	}
	free(x);
	free(y);
	*ret_len = la + lb;
	return out;
}

static void
test_signer_turin(void)
{
	struct snp_signer_facts f;
	size_t len = 0;
	uint8_t *d = test_read_vector("oak/turin_oc_vcek.der", &len);
	static const uint8_t hwid[8] = { 0x3b, 0x42, 0x09, 0x2f, 0x69, 0xc6, 0x56, 0xd3 };

	CHECK_OK(snp_signer_facts(d, len, &f));
	CHECK(f.product == SNP_PRODUCT_TURIN);
	CHECK(f.kind == SNP_SIGNING_KEY_VCEK);
	CHECK_UINT_EQ(f.hwid_len, 8);
	CHECK_MEM_EQ(f.hwid, hwid, 8);
	/* reported_tcb 0x4700000002000100 of its report: fmc=0, bl=1, tee=0, snp=2, ucode=71 */
	CHECK_UINT_EQ(f.spl.fmc, 0);
	CHECK_UINT_EQ(f.spl.bootloader, 1);
	CHECK_UINT_EQ(f.spl.tee, 0);
	CHECK_UINT_EQ(f.spl.snp, 2);
	CHECK_UINT_EQ(f.spl.microcode, 71);
	/* A truncated certificate is a parse error. */
	CHECK_ERR(snp_signer_facts(d, len - 1, &f), KBS_ERR_CERT_PARSE);
	free(d);
}

static void
test_signer_milan_vlek(void)
{
	struct snp_signer_facts f;
	size_t len = 0;
	uint8_t *d = test_read_vector("go-sev-guest/milan_vcek.der", &len);

	CHECK_OK(snp_signer_facts(d, len, &f));
	CHECK(f.product == SNP_PRODUCT_MILAN && f.kind == SNP_SIGNING_KEY_VCEK);
	CHECK_UINT_EQ(f.hwid_len, 64);
	CHECK_UINT_EQ(f.hwid[0], 0x3a);
	CHECK_UINT_EQ(f.spl.snp, 5);
	CHECK_UINT_EQ(f.spl.microcode, 68);
	free(d);
	d = test_read_vector("constellation/aws_milan_vlek.pem", &len);
	CHECK_OK(snp_signer_facts(d, len, &f));
	CHECK(f.product == SNP_PRODUCT_MILAN && f.kind == SNP_SIGNING_KEY_VLEK);
	CHECK_UINT_EQ(f.hwid_len, 0);
	free(d);
}

static void
test_signer_refusals(void)
{
	struct snp_signer_facts f;
	size_t len = 0;
	uint8_t *d;

	/* An ARK or an ASK is no signer; two certificates are not one. */
	d = test_read_vector("amd/ark_milan.der", &len);
	CHECK_ERR(snp_signer_facts(d, len, &f), KBS_ERR_CERT_PARSE);
	free(d);
	d = test_read_vector("amd/cert_chain_genoa.pem", &len);
	CHECK_ERR(snp_signer_facts(d, len, &f), KBS_ERR_CERT_PARSE);
	free(d);
	CHECK_ERR(snp_signer_facts((const uint8_t *)"x", 1, &f), KBS_ERR_CERT_PARSE);
	CHECK_ERR(snp_signer_facts(NULL, 0, &f), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_chain(void)
{
	enum snp_product p;
	enum snp_signing_key k;
	size_t len = 0;
	uint8_t *d;

	d = test_read_vector("amd/cert_chain_milan.pem", &len);
	CHECK_OK(snp_chain_facts(d, len, &p, &k));
	CHECK(p == SNP_PRODUCT_MILAN && k == SNP_SIGNING_KEY_VCEK);
	free(d);
	d = test_read_vector("amd/cert_chain_turin.pem", &len);
	CHECK_OK(snp_chain_facts(d, len, &p, &k));
	CHECK(p == SNP_PRODUCT_TURIN && k == SNP_SIGNING_KEY_VCEK);
	free(d);
	d = test_read_vector("amd/vlek_cert_chain_genoa.pem", &len);
	CHECK_OK(snp_chain_facts(d, len, &p, &k));
	CHECK(p == SNP_PRODUCT_GENOA && k == SNP_SIGNING_KEY_VLEK);
	free(d);
	/* A Milan ASK with the Genoa ARK: two products. */
	d = cat2("amd/ask_milan.pem", "amd/ark_genoa.pem", &len);
	CHECK_ERR(snp_chain_facts(d, len, &p, &k), KBS_ERR_PRODUCT_MISMATCH);
	free(d);
	/* The ARK alone, or the ARK twice, is not a chain. */
	d = test_read_vector("amd/ark_milan.pem", &len);
	CHECK_ERR(snp_chain_facts(d, len, &p, &k), KBS_ERR_CERT_MISSING);
	free(d);
	d = cat2("amd/ark_milan.pem", "amd/ark_milan.pem", &len);
	CHECK_ERR(snp_chain_facts(d, len, &p, &k), KBS_ERR_CERT_MISSING);
	free(d);
	/* A VCEK and an ARK: no ASK. */
	d = cat2("oak/turin_oc_vcek.der", "amd/ark_turin.der", &len);
	CHECK_ERR(snp_chain_facts(d, len, &p, &k), KBS_ERR_CERT_PARSE); /* two DER back to back */
	free(d);
	CHECK_ERR(snp_chain_facts(NULL, 0, &p, &k), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_crl_times(void)
{
	struct snp_crl *crl = NULL;
	int64_t t = 0, n = 0;
	size_t len = 0;
	uint8_t *d = test_read_vector("amd/crl_milan.der", &len);

	CHECK_OK(snp_crl_load(d, len, &crl));
	CHECK_OK(snp_crl_times(crl, &t, &n));
	CHECK_INT_EQ(t, 1782107632); /* 2026-06-22T05:53:52Z */
	CHECK_INT_EQ(n, 1786147200); /* 2026-08-08T00:00:00Z */
	CHECK_ERR(snp_crl_times(NULL, &t, &n), KBS_ERR_INVALID_ARGUMENT);
	/* Issued by CN=ARK-Milan. */
	CHECK_INT_EQ(snp_crl_product(crl), SNP_PRODUCT_MILAN);
	CHECK_INT_EQ(snp_crl_product(NULL), SNP_PRODUCT_UNKNOWN);
	snp_crl_free(crl);
	free(d);
}

TEST_MAIN(TEST(test_signer_turin), TEST(test_signer_milan_vlek), TEST(test_signer_refusals),
    TEST(test_chain), TEST(test_crl_times))
