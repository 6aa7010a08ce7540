/*
 * test_amd_ext.c: the AMD VCEK/VLEK extensions. Every signer certificate
 * of the vectors decodes to the SPLs of its report's REPORTED_TCB and (for
 * a VCEK) the report's CHIP_ID; certificates built here with one
 * malformed, missing or repeated extension are each refused with
 * KBS_ERR_CERT_EXTENSION.
 */
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "amd_ext-int.h"
#include "chain-int.h"
#include "snp.h"
#include "test.h"

/* ---- vectors ------------------------------------------------------------ */

static X509 *
load_signer(const char *rel, struct snp_certs **ret_set)
{
	struct snp_certs *c = NULL;
	size_t len = 0, i;
	uint8_t *data = test_read_vector(rel, &len);
	X509 *found = NULL;

	CHECK_OK(snp_certs_new(&c));
	CHECK_OK(snp_certs_add(c, data, len));
	for (i = 0; i < snp_certs_count(c) && found == NULL; i++) {
		EVP_PKEY *k = X509_get0_pubkey(snp_certs_get(c, i));

		if (k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
			found = snp_certs_get(c, i);
	}
	CHECK(found != NULL);
	free(data);
	*ret_set = c;
	return found;
}

static void
test_vectors(void)
{
	size_t len = 0, n = 0;
	char *tsv = (char *)test_read_vector("EXPECTED.tsv", &len), *save = NULL, *line;

	line = strtok_r(tsv, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *col[32] = { 0 }, *p = line;
		struct snp_certs *set = NULL;
		struct snp_amd_ext e;
		enum snp_product product = SNP_PRODUCT_UNKNOWN, named = SNP_PRODUCT_UNKNOWN;
		struct snp_tcb tcb;
		uint8_t chip[64];
		X509 *x;
		int k, vlek;

		for (k = 0; k < 32 && p != NULL; k++) {
			col[k] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (col[24] == NULL || strcmp(col[4], "yes") != 0)
			continue;
		n++;
		vlek = strcmp(col[14], "VLEK") == 0;
		x = load_signer(col[1], &set);
		memset(&e, 0xa5, sizeof(e));
		CHECK_OK(snp_amd_ext_parse(x, &e));
		CHECK_OK(snp_product_from_name(col[3], &product));
		CHECK_OK(snp_product_from_name(e.product_name, &named));
		CHECK_INT_EQ(named, product);
		CHECK_UINT_EQ(e.struct_version, product == SNP_PRODUCT_TURIN ? 1 : 0);
		CHECK_OK(snp_tcb_decode(strtoull(col[17], NULL, 16), product, &tcb));
		CHECK_INT_EQ(e.spl.bootloader, tcb.bootloader);
		CHECK_INT_EQ(e.spl.tee, tcb.tee);
		CHECK_INT_EQ(e.spl.snp, tcb.snp);
		CHECK_INT_EQ(e.spl.microcode, tcb.microcode);
		CHECK_INT_EQ(e.has_fmc, product == SNP_PRODUCT_TURIN);
		CHECK_INT_EQ(e.spl.fmc, tcb.fmc);
		CHECK_OK(kbs_hex_decode_exact(col[24], strlen(col[24]), chip, sizeof(chip)));
		if (vlek) {
			CHECK_UINT_EQ(e.hwid_len, 0);
			CHECK_INT_EQ(e.has_csp_id, 1);
			CHECK(strncmp(e.csp_id, "CN=cc-", 6) == 0);
		} else {
			CHECK_INT_EQ(e.has_csp_id, 0);
			CHECK_STR_EQ(e.csp_id, "");
			CHECK_UINT_EQ(e.hwid_len, product == SNP_PRODUCT_TURIN ? 8 : 64);
			CHECK_MEM_EQ(e.hwid, chip, e.hwid_len);
		}
		snp_certs_free(set);
	}
	CHECK_UINT_EQ(n, 22);
	free(tsv);
}

static void
test_special_vectors(void)
{
	struct snp_certs *set = NULL;
	struct snp_amd_ext e;
	char name[32];
	X509 *x;
	size_t i;

	/* Turin VCEK without a report: 8-byte hwID, fmcSPL present. */
	x = load_signer("virtee-sev/turin_vcek.der", &set);
	CHECK_OK(snp_amd_ext_parse(x, &e));
	CHECK_UINT_EQ(e.hwid_len, 8);
	CHECK_INT_EQ(e.has_fmc, 1);
	CHECK_STR_EQ(e.product_name, "Turin");
	snp_certs_free(set);
	/* The "new" forged VCEK nests 04 40 before 64 bytes: 66 bytes, refused. */
	x = load_signer("trustee/neg_vcek_bad_hwid_new.der", &set);
	memset(&e, 0x5a, sizeof(e));
	CHECK_ERR(snp_amd_ext_parse(x, &e), KBS_ERR_CERT_EXTENSION);
	CHECK_UINT_EQ(e.hwid_len, 0x5a5a5a5a5a5a5a5aull); /* untouched */
	CHECK_OK(snp_amd_ext_product_name(x, name, sizeof(name)));
	CHECK_STR_EQ(name, "Milan-B0");
	snp_certs_free(set);
	/* The legacy one has a well-formed 64-byte hwID 00 01 02 ... 3f. */
	x = load_signer("trustee/neg_vcek_bad_hwid_legacy.der", &set);
	CHECK_OK(snp_amd_ext_parse(x, &e));
	CHECK_UINT_EQ(e.hwid_len, 64);
	for (i = 0; i < 64; i++)
		CHECK_UINT_EQ(e.hwid[i], i);
	CHECK_ERR(snp_amd_ext_product_name(x, name, 8), KBS_ERR_CERT_EXTENSION); /* too small */
	snp_certs_free(set);
	CHECK_ERR(snp_amd_ext_parse(NULL, &e), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_rsa_root_has_none(void)
{
	struct snp_roots roots;
	struct snp_amd_ext e;
	char name[32];

	CHECK_OK(snp_roots_load(&roots));
	CHECK_ERR(snp_amd_ext_parse(roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK], &e),
	    KBS_ERR_CERT_EXTENSION);
	CHECK_ERR(
	    snp_amd_ext_product_name(roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK], name, sizeof(name)),
	    KBS_ERR_CERT_EXTENSION);
	snp_roots_clear(&roots);
}

/* ---- built certificates --------------------------------------------------- */

struct ext {
	const char *oid;
	const uint8_t *val;
	size_t len;
};

#define V(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static uint8_t hwid64[64];
static EVP_PKEY *test_key;

/* build signs a P-384 certificate carrying exts (in order) and re-parses its DER. */
static X509 *
build(const struct ext *exts, size_t n)
{
	X509 *x = X509_new(), *out = NULL;
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t i;
	int len;

	if (test_key == NULL)
		test_key = EVP_EC_gen("P-384");
	CHECK(x != NULL && name != NULL && test_key != NULL);
	CHECK(X509_set_version(x, 2) == 1);
	CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), 0) == 1);
	CHECK(X509_NAME_add_entry_by_txt(
		  name, "CN", MBSTRING_ASC, (const unsigned char *)"SEV-VCEK", -1, -1, 0) == 1);
	CHECK(X509_set_subject_name(x, name) == 1 && X509_set_issuer_name(x, name) == 1);
	CHECK(X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL);
	CHECK(X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL);
	CHECK(X509_set_pubkey(x, test_key) == 1);
	for (i = 0; i < n; i++) {
		ASN1_OBJECT *obj = OBJ_txt2obj(exts[i].oid, 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;

		CHECK(obj != NULL && os != NULL);
		CHECK(ASN1_OCTET_STRING_set(os, exts[i].val, (int)exts[i].len) == 1);
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
		CHECK(e != NULL && X509_add_ext(x, e, -1) == 1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	CHECK(X509_sign(x, test_key, EVP_sha384()) > 0);
	CHECK((len = i2d_X509(x, &der)) > 0);
	p = der;
	out = d2i_X509(NULL, &p, len);
	CHECK(out != NULL);
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_free(x);
	return out;
}

#define ARC "1.3.6.1.4.1.3704.1."

/* The base set: a well-formed Milan VCEK's extensions (static: outlive base()). */
static const uint8_t v_sv[] = { 0x02, 0x01, 0x00 };
static const uint8_t v_name[] = { 0x16, 0x08, 'M', 'i', 'l', 'a', 'n', '-', 'B', '0' };
static const uint8_t v_bl[] = { 0x02, 0x01, 0x03 };
static const uint8_t v_tee[] = { 0x02, 0x01, 0x00 };
static const uint8_t v_snp[] = { 0x02, 0x01, 0x08 };
static const uint8_t v_ucode[] = { 0x02, 0x02, 0x00, 0xdb };

static void
base(struct ext *e)
{
	size_t i;

	for (i = 0; i < 64; i++)
		hwid64[i] = (uint8_t)(0x40 - i);
	hwid64[0] = 0x04; /* starts like an OCTET STRING header: must stay raw */
	hwid64[1] = 0x40;
	e[0] = (struct ext){ ARC "1", v_sv, sizeof(v_sv) };
	e[1] = (struct ext){ ARC "2", v_name, sizeof(v_name) };
	e[2] = (struct ext){ ARC "3.1", v_bl, sizeof(v_bl) };
	e[3] = (struct ext){ ARC "3.2", v_tee, sizeof(v_tee) };
	e[4] = (struct ext){ ARC "3.3", v_snp, sizeof(v_snp) };
	e[5] = (struct ext){ ARC "3.8", v_ucode, sizeof(v_ucode) };
	e[6] = (struct ext){ ARC "4", hwid64, sizeof(hwid64) };
}

#define NBASE 7

static void
expect(const struct ext *exts, size_t n, int want, const char *what)
{
	X509 *x = build(exts, n);
	struct snp_amd_ext e;
	int r = snp_amd_ext_parse(x, &e);

	if (r != want)
		fprintf(stderr, "case: %s\n", what);
	CHECK_ERR(r, want);
	X509_free(x);
}

static void
test_built_good(void)
{
	struct ext e[NBASE + 2];
	struct snp_amd_ext out;
	X509 *x;

	base(e);
	x = build(e, NBASE);
	CHECK_OK(snp_amd_ext_parse(x, &out));
	CHECK_STR_EQ(out.product_name, "Milan-B0");
	CHECK_INT_EQ(out.spl.bootloader, 3);
	CHECK_INT_EQ(out.spl.snp, 8);
	CHECK_INT_EQ(out.spl.microcode, 0xdb);
	CHECK_INT_EQ(out.has_fmc, 0);
	CHECK_UINT_EQ(out.hwid_len, 64);
	CHECK_MEM_EQ(out.hwid, hwid64, 64);
	X509_free(x);
	/* Reserved SPLs and unknown arc members are ignored; fmc and csp_id read. */
	e[NBASE] = (struct ext){ ARC "3.9", V(0x02, 0x01, 0x07) };
	e[NBASE + 1] = (struct ext){ ARC "5", V(0x16, 0x04, 'C', 'N', '=', 'x') };
	x = build(e, NBASE + 2);
	CHECK_OK(snp_amd_ext_parse(x, &out));
	CHECK_INT_EQ(out.has_fmc, 1);
	CHECK_INT_EQ(out.spl.fmc, 7);
	CHECK_INT_EQ(out.has_csp_id, 1);
	CHECK_STR_EQ(out.csp_id, "CN=x");
	X509_free(x);
	e[NBASE] = (struct ext){ ARC "3.4", V(0x02, 0x01, 0x00) };
	e[NBASE + 1] = (struct ext){ ARC "9", V(0x05, 0x00) };
	expect(e, NBASE + 2, 0, "reserved and unknown members");
	/* No hwID (a VLEK shape) parses; the verifier decides what it needs. */
	expect(e, NBASE - 1, 0, "no hwID");
	/* SPL 255 is the largest. */
	e[5] = (struct ext){ ARC "3.8", V(0x02, 0x02, 0x00, 0xff) };
	expect(e, NBASE, 0, "SPL 255");
}

static void
test_built_bad(void)
{
	const struct {
		size_t idx;
		const uint8_t *val;
		size_t len;
		const char *what;
	} bad[] = {
		{ 5, V(0x02, 0x02, 0x01, 0x00), "SPL 256" },
		{ 5, V(0x02, 0x01, 0xff), "negative SPL" },
		{ 5, V(0x02, 0x02, 0x00, 0x05), "non-minimal INTEGER" },
		{ 5, V(0x02, 0x01, 0x05, 0x00), "trailing byte" },
		{ 5, V(0x04, 0x01, 0x05), "OCTET STRING, not INTEGER" },
		{ 5, V(0x02, 0x01), "truncated" },
		{ 5, V(0x02, 0x00), "empty INTEGER" },
		{ 5, V(0x00), "one byte" },
		{ 0, V(0x16, 0x01, 0x30), "structVersion as a string" },
		{ 1, V(0x0c, 0x05, 'M', 'i', 'l', 'a', 'n'), "productName as UTF8String" },
		{ 1, V(0x16, 0x00), "empty productName" },
		{ 1, V(0x16, 0x02, 0x01, 'a'), "control character" },
		{ 1, V(0x16, 0x05, 'M', 'i', 'l', 'a', 'n', 0x00), "trailing byte after the name" },
		{ 1,
		    V(0x16, 0x20, 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
			'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
			'A', 'A', 'A', 'A'),
		    "productName of 32 characters" },
		{ 6, V(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07), "hwID of 7 bytes" },
		{ 6, V(0x00), "hwID of 1 byte" },
	};
	struct ext e[NBASE + 1];
	uint8_t hw65[65], csp[132];
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		base(e);
		e[bad[i].idx].val = bad[i].val;
		e[bad[i].idx].len = bad[i].len;
		expect(e, NBASE, KBS_ERR_CERT_EXTENSION, bad[i].what);
	}
	/* Each required extension missing. */
	for (i = 0; i < 6; i++) {
		base(e);
		memmove(&e[i], &e[i + 1], (NBASE - 1 - i) * sizeof(e[0]));
		expect(e, NBASE - 1, KBS_ERR_CERT_EXTENSION, "missing");
	}
	/* Repeated: an SPL, the hwID. */
	base(e);
	e[NBASE] = e[2];
	expect(e, NBASE + 1, KBS_ERR_CERT_EXTENSION, "repeated blSPL");
	base(e);
	e[NBASE] = e[6];
	expect(e, NBASE + 1, KBS_ERR_CERT_EXTENSION, "repeated hwID");
	/* hwID of 65 and 0 bytes. */
	base(e);
	memset(hw65, 1, sizeof(hw65));
	e[6].val = hw65;
	e[6].len = sizeof(hw65);
	expect(e, NBASE, KBS_ERR_CERT_EXTENSION, "hwID of 65 bytes");
	e[6].len = 0;
	expect(e, NBASE, KBS_ERR_CERT_EXTENSION, "hwID of 0 bytes");
	/* csp_id: too long for the result buffer, not IA5. */
	base(e);
	csp[0] = 0x16;
	csp[1] = 0x81;
	csp[2] = 128;
	memset(csp + 3, 'a', 128);
	e[NBASE] = (struct ext){ ARC "5", csp, 131 };
	expect(e, NBASE + 1, KBS_ERR_CERT_EXTENSION, "csp_id of 128 characters");
	e[NBASE] = (struct ext){ ARC "5", V(0x04, 0x01, 'a') };
	expect(e, NBASE + 1, KBS_ERR_CERT_EXTENSION, "csp_id not IA5");
	/* fmcSPL out of range. */
	e[NBASE] = (struct ext){ ARC "3.9", V(0x02, 0x02, 0x01, 0x00) };
	expect(e, NBASE + 1, KBS_ERR_CERT_EXTENSION, "fmcSPL 256");
	EVP_PKEY_free(test_key);
	test_key = NULL;
}

TEST_MAIN(TEST(test_vectors), TEST(test_special_vectors), TEST(test_rsa_root_has_none),
    TEST(test_built_good), TEST(test_built_bad))
