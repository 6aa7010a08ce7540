/*
 * test_chain.c: the chain checks on the real AMD chains, and each way a
 * chain can be wrong, built here with OpenSSL: a swapped ASK/ARK, a root
 * that is not pinned, a certificate signed with PKCS#1 v1.5, with PSS
 * salt 32 or SHA-256, with the right algorithm but the wrong key, an RSA
 * key that is too small, a flipped signature byte. Each gives its exact
 * error, directly and through snp_verify_report.
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "chain-int.h"
#include "snp.h"
#include "test.h"
#include "verify-int.h"

static struct snp_roots roots;
static EVP_PKEY *rsa2048;

static void
setup(void)
{
	if (rsa2048 != NULL)
		return;
	CHECK_OK(snp_roots_load(&roots));
	rsa2048 = EVP_RSA_gen(2048);
	CHECK(rsa2048 != NULL);
}

static X509 *
der_cert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	CHECK(x != NULL);
	return x;
}

static X509 *
file_cert(const char *rel)
{
	size_t len = 0;
	uint8_t *data = test_read_vector(rel, &len);
	X509 *x = der_cert(data, len);

	free(data);
	return x;
}

enum sig_mode { PKCS1_SHA384, PSS_SHA384_SALT48, PSS_SHA384_SALT32, PSS_SHA256_SALT48 };

/* sign_with re-signs x (in place) with key in the given mode. */
static void
sign_with(X509 *x, EVP_PKEY *key, enum sig_mode mode)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *h = mode == PSS_SHA256_SALT48 ? EVP_sha256() : EVP_sha384();

	CHECK(md != NULL);
	CHECK(EVP_DigestSignInit(md, &pctx, h, NULL, key) == 1);
	if (mode != PKCS1_SHA384) {
		CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, h) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, mode == PSS_SHA384_SALT32 ? 32 : 48) ==
		    1);
	}
	CHECK(X509_sign_ctx(x, md) > 0);
	EVP_MD_CTX_free(md);
}

/* roundtrip re-parses x from its DER (as any input would be). */
static X509 *
roundtrip(X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	X509 *y;

	CHECK(len > 0);
	y = der_cert(der, (size_t)len);
	OPENSSL_free(der);
	X509_free(x);
	return y;
}

/* make_cert: a certificate for key with the given subject and issuer names. */
static X509 *
make_cert(EVP_PKEY *key, const X509_NAME *subject, const X509_NAME *issuer, EVP_PKEY *signer,
    enum sig_mode mode)
{
	X509 *x = X509_new();

	CHECK(x != NULL);
	CHECK(X509_set_version(x, 2) == 1);
	CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), 7) == 1);
	CHECK(X509_set_subject_name(x, subject) == 1);
	CHECK(X509_set_issuer_name(x, issuer) == 1);
	CHECK(ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z") == 1);
	CHECK(ASN1_TIME_set_string(X509_getm_notAfter(x), "20400101000000Z") == 1);
	CHECK(X509_set_pubkey(x, key) == 1);
	sign_with(x, signer, mode);
	return roundtrip(x);
}

static X509_NAME *
cn_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	CHECK(n != NULL);
	CHECK(X509_NAME_add_entry_by_txt(
		  n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) == 1);
	return n;
}

static int
verify_with(X509 *signer, X509 *extra, const char *report_rel, const char *at,
    struct snp_verify_result *res)
{
	struct snp_verifier *v = NULL;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;
	struct snp_report rep;
	unsigned char *der = NULL;
	size_t len = 0;
	uint8_t *data = test_read_vector(report_rel, &len);
	int dlen, r;

	CHECK_OK(snp_report_parse(data, len, &rep));
	free(data);
	CHECK_OK(snp_certs_new(&certs));
	CHECK((dlen = i2d_X509(signer, &der)) > 0);
	CHECK_OK(snp_certs_add(certs, der, (size_t)dlen));
	OPENSSL_free(der);
	der = NULL;
	if (extra != NULL) {
		CHECK((dlen = i2d_X509(extra, &der)) > 0);
		CHECK_OK(snp_certs_add(certs, der, (size_t)dlen));
		OPENSSL_free(der);
	}
	CHECK_OK(snp_verifier_new(&v));
	memset(&opts, 0, sizeof(opts));
	CHECK_OK(kbs_time_parse_rfc3339(at, &opts.at));
	r = snp_verify_report(v, &rep, certs, &opts, res);
	snp_verifier_free(v);
	snp_certs_free(certs);
	return r;
}

static char detail[160];
#define D detail, sizeof(detail)

/* ---- the real chains ---------------------------------------------------- */

static void
test_real_chains(void)
{
	static const struct {
		enum snp_product p;
		const char *vcek;
	} vceks[] = {
		{ SNP_PRODUCT_MILAN, "go-sev-guest/milan_vcek.der" },
		{ SNP_PRODUCT_GENOA, "oak/genoa_oc_vcek.der" },
		{ SNP_PRODUCT_TURIN, "oak/turin_oc_vcek.der" },
		{ SNP_PRODUCT_MILAN, "trustee/milan_vlek.der" },
	};
	enum snp_product p;
	uint8_t point[97];
	size_t i;

	setup();
	for (p = SNP_PRODUCT_MILAN; p <= SNP_PRODUCT_TURIN; p++) {
		X509 *ark = roots.x[p][SNP_ROOT_ARK];

		CHECK_OK(snp_check_ark(&roots, ark, p, D));
		CHECK_OK(snp_check_rsa4096(ark));
		CHECK_OK(snp_check_issued(
		    roots.x[p][SNP_ROOT_ASK], "ASK", ark, "ARK", KBS_ERR_CERT_ASK_SIGNATURE, D));
		CHECK_OK(snp_check_issued(
		    roots.x[p][SNP_ROOT_ASVK], "ASVK", ark, "ARK", KBS_ERR_CERT_ASK_SIGNATURE, D));
		CHECK_ERR(snp_check_p384(ark, point), KBS_ERR_CERT_KEY);
	}
	for (i = 0; i < KBS_ARRAY_SIZE(vceks); i++) {
		X509 *x = file_cert(vceks[i].vcek);
		enum snp_root_kind k = strstr(vceks[i].vcek, "vlek") ? SNP_ROOT_ASVK : SNP_ROOT_ASK;

		CHECK_OK(snp_check_issued(
		    x, "VCEK", roots.x[vceks[i].p][k], "ASK", KBS_ERR_CERT_VCEK_SIGNATURE, D));
		CHECK_OK(snp_check_p384(x, point));
		CHECK_UINT_EQ(point[0], 0x04);
		CHECK_ERR(snp_check_rsa4096(x), KBS_ERR_CERT_KEY);
		/* Under the other intermediate of its product: names do not link. */
		CHECK_ERR(snp_check_issued(x, "VCEK",
			      roots.x[vceks[i].p][k == SNP_ROOT_ASK ? SNP_ROOT_ASVK : SNP_ROOT_ASK],
			      "ASVK", KBS_ERR_CERT_VCEK_SIGNATURE, D),
		    KBS_ERR_CERT_ISSUER);
		X509_free(x);
	}
}

static void
test_swapped_ask_ark(void)
{
	X509 *ark = roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK];
	X509 *ask = roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK];
	X509 *vcek;

	setup();
	/* The ASK where the ARK belongs: not pinned. */
	CHECK_ERR(snp_check_ark(&roots, ask, SNP_PRODUCT_MILAN, D), KBS_ERR_CERT_ARK_NOT_PINNED);
	CHECK(strstr(detail, "CN=SEV-Milan") != NULL);
	/* The ARK where the ASK belongs, under the ASK: names do not link. */
	CHECK_ERR(snp_check_issued(ark, "ASK", ask, "ARK", KBS_ERR_CERT_ASK_SIGNATURE, D),
	    KBS_ERR_CERT_ISSUER);
	CHECK_STR_EQ(detail, "ASK issuer CN=ARK-Milan is not the ARK subject CN=SEV-Milan");
	/* The VCEK directly under the ARK. */
	vcek = file_cert("go-sev-guest/milan_vcek.der");
	CHECK_ERR(snp_check_issued(vcek, "VCEK", ark, "ARK", KBS_ERR_CERT_VCEK_SIGNATURE, D),
	    KBS_ERR_CERT_ISSUER);
	/* Another product's ARK and ASK. */
	CHECK_ERR(
	    snp_check_ark(&roots, roots.x[SNP_PRODUCT_GENOA][SNP_ROOT_ARK], SNP_PRODUCT_MILAN, D),
	    KBS_ERR_PRODUCT_MISMATCH);
	CHECK_ERR(snp_check_issued(vcek, "VCEK", roots.x[SNP_PRODUCT_GENOA][SNP_ROOT_ASK], "ASK",
		      KBS_ERR_CERT_VCEK_SIGNATURE, D),
	    KBS_ERR_CERT_ISSUER);
	CHECK_ERR(snp_check_ark(NULL, ark, SNP_PRODUCT_MILAN, D), KBS_ERR_INVALID_ARGUMENT);
	X509_free(vcek);
}

static void
test_unpinned_root(void)
{
	X509 *ark = roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK];
	X509 *fake, *vcek;
	struct snp_verify_result res;

	setup();
	/* Same names as the real ARK, our key, the right algorithm. */
	fake = make_cert(rsa2048, X509_get_subject_name(ark), X509_get_subject_name(ark), rsa2048,
	    PSS_SHA384_SALT48);
	CHECK_ERR(snp_check_ark(&roots, fake, SNP_PRODUCT_MILAN, D), KBS_ERR_CERT_ARK_NOT_PINNED);
	CHECK_STR_EQ(detail, "root CN=ARK-Milan is not a pinned AMD ARK");
	/* Names, algorithm and self-signature are in order; only its key size and,
	 * above all, the pin say no. */
	CHECK_ERR(snp_check_issued(fake, "ARK", fake, "ARK", KBS_ERR_CERT_ARK_SIGNATURE, D),
	    KBS_ERR_CERT_KEY);
	CHECK(X509_verify(fake, rsa2048) == 1);
	vcek = file_cert("go-sev-guest/milan_vcek.der");
	CHECK_ERR(verify_with(vcek, fake, "go-sev-guest/milan_report.bin", "2022-10-24", &res),
	    KBS_ERR_CERT_ARK_NOT_PINNED);
	CHECK_INT_EQ(res.failed_check, SNP_CHECK_ARK);
	CHECK_INT_EQ(res.checks[SNP_CHECK_PRODUCT].outcome, SNP_OUTCOME_PASS);
	CHECK_INT_EQ(res.checks[SNP_CHECK_ASK].outcome, SNP_OUTCOME_NOT_RUN);
	X509_free(fake);
	X509_free(vcek);
}

static void
test_wrong_signature_algorithms(void)
{
	static const struct {
		enum sig_mode mode;
		int want;
	} cases[] = {
		{ PKCS1_SHA384, KBS_ERR_CERT_SIG_ALGORITHM },
		{ PSS_SHA384_SALT32, KBS_ERR_CERT_SIG_ALGORITHM },
		{ PSS_SHA256_SALT48, KBS_ERR_CERT_SIG_ALGORITHM },
		{ PSS_SHA384_SALT48, KBS_ERR_CERT_VCEK_SIGNATURE }, /* right form, wrong key */
	};
	X509 *ask = roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK];
	struct snp_verify_result res;
	size_t i;

	setup();
	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		X509 *vcek = file_cert("go-sev-guest/milan_vcek.der");

		sign_with(vcek, rsa2048, cases[i].mode);
		vcek = roundtrip(vcek);
		CHECK_ERR(
		    snp_check_issued(vcek, "VCEK", ask, "ASK", KBS_ERR_CERT_VCEK_SIGNATURE, D),
		    cases[i].want);
		CHECK_ERR(
		    verify_with(vcek, NULL, "go-sev-guest/milan_report.bin", "2022-10-24", &res),
		    cases[i].want);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_SIGNER_CERT);
		CHECK_ERR(res.checks[SNP_CHECK_SIGNER_CERT].err, cases[i].want);
		X509_free(vcek);
	}
}

static void
test_forged_ask_and_small_key(void)
{
	X509 *ark = roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK];
	X509 *ask = roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK];
	struct snp_verify_result res;
	X509 *fake, *vcek;

	setup();
	/* An ASK with the real names and algorithm, signed by our key. */
	fake = make_cert(rsa2048, X509_get_subject_name(ask), X509_get_subject_name(ark), rsa2048,
	    PSS_SHA384_SALT48);
	CHECK_ERR(snp_check_issued(fake, "ASK", ark, "ARK", KBS_ERR_CERT_ASK_SIGNATURE, D),
	    KBS_ERR_CERT_ASK_SIGNATURE);
	vcek = file_cert("go-sev-guest/milan_vcek.der");
	/* A genuine VCEK under it: the parent key is RSA-2048. */
	CHECK_ERR(snp_check_issued(vcek, "VCEK", fake, "ASK", KBS_ERR_CERT_VCEK_SIGNATURE, D),
	    KBS_ERR_CERT_KEY);
	CHECK_STR_EQ(detail, "ASK key is not RSA-4096");
	CHECK_ERR(snp_check_rsa4096(fake), KBS_ERR_CERT_KEY);
	/* Through the API, the supplied (forged) ASK is the one checked. */
	CHECK_ERR(verify_with(vcek, fake, "go-sev-guest/milan_report.bin", "2022-10-24", &res),
	    KBS_ERR_CERT_ASK_SIGNATURE);
	CHECK_INT_EQ(res.failed_check, SNP_CHECK_ASK);
	X509_free(fake);
	X509_free(vcek);
}

static void
test_flipped_signatures(void)
{
	size_t len = 0;
	uint8_t *der = test_read_vector("amd/ark_milan.der", &len);
	X509 *x;

	setup();
	der[len - 1] ^= 0x01;
	x = der_cert(der, len);
	CHECK_ERR(snp_check_ark(&roots, x, SNP_PRODUCT_MILAN, D), KBS_ERR_CERT_ARK_NOT_PINNED);
	CHECK_ERR(snp_check_issued(x, "ARK", x, "ARK", KBS_ERR_CERT_ARK_SIGNATURE, D),
	    KBS_ERR_CERT_ARK_SIGNATURE);
	CHECK_STR_EQ(detail, "ARK signature does not verify under the ARK key");
	X509_free(x);
	free(der);
	der = test_read_vector("amd/ask_milan.der", &len);
	der[len - 1] ^= 0x80;
	x = der_cert(der, len);
	CHECK_ERR(snp_check_issued(x, "ASK", roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK], "ARK",
		      KBS_ERR_CERT_ASK_SIGNATURE, D),
	    KBS_ERR_CERT_ASK_SIGNATURE);
	X509_free(x);
	free(der);
	der = test_read_vector("go-sev-guest/milan_vcek.der", &len);
	der[len - 10] ^= 0x04;
	x = der_cert(der, len);
	CHECK_ERR(snp_check_issued(x, "VCEK", roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK], "ASK",
		      KBS_ERR_CERT_VCEK_SIGNATURE, D),
	    KBS_ERR_CERT_VCEK_SIGNATURE);
	X509_free(x);
	free(der);
}

static void
test_key_checks(void)
{
	EVP_PKEY *p256 = EVP_EC_gen("P-256");
	X509_NAME *n = cn_name("SEV-VCEK");
	uint8_t point[97];
	X509 *x;

	setup();
	CHECK(p256 != NULL);
	x = make_cert(p256, n, n, rsa2048, PSS_SHA384_SALT48);
	CHECK_ERR(snp_check_p384(x, point), KBS_ERR_CERT_KEY);
	CHECK_ERR(snp_check_rsa4096(x), KBS_ERR_CERT_KEY);
	X509_free(x);
	x = make_cert(rsa2048, n, n, rsa2048, PSS_SHA384_SALT48);
	CHECK_ERR(snp_check_p384(x, point), KBS_ERR_CERT_KEY);
	CHECK_ERR(snp_check_rsa4096(x), KBS_ERR_CERT_KEY);
	X509_free(x);
	CHECK_ERR(snp_check_pss_alg(NULL), KBS_ERR_CERT_SIG_ALGORITHM);
	X509_NAME_free(n);
	EVP_PKEY_free(p256);
}

static void
test_times(void)
{
	ASN1_TIME *t = ASN1_TIME_new();
	int64_t a = 0, b = 0, nb = 0, na = 0;

	setup();
	CHECK_OK(snp_cert_times(roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK], &nb, &na));
	CHECK_OK(kbs_time_parse_rfc3339("2020-10-22T17:23:05Z", &a));
	CHECK_OK(kbs_time_parse_rfc3339("2045-10-22T17:23:05Z", &b));
	CHECK_INT_EQ(nb, a);
	CHECK_INT_EQ(na, b);
	/* GeneralizedTime past 2049, and before 1970. */
	CHECK(ASN1_TIME_set_string(t, "20510203040506Z") == 1);
	CHECK_OK(snp_asn1_time_epoch(t, &a));
	CHECK_OK(kbs_time_parse_rfc3339("2051-02-03T04:05:06Z", &b));
	CHECK_INT_EQ(a, b);
	CHECK(ASN1_TIME_set_string(t, "19600229120000Z") == 1);
	CHECK_OK(snp_asn1_time_epoch(t, &a));
	CHECK_INT_EQ(a, -310478400);
	CHECK_ERR(snp_asn1_time_epoch(NULL, &a), KBS_ERR_CERT_PARSE);
	ASN1_TIME_free(t);
	/* Bounds are inclusive; details name the certificate and the bound. */
	CHECK_OK(snp_check_time("VCEK", 100, 200, 100, D));
	CHECK_OK(snp_check_time("VCEK", 100, 200, 200, D));
	CHECK_ERR(snp_check_time("ASK", 100, 200, 99, D), KBS_ERR_CERT_NOT_YET_VALID);
	CHECK_STR_EQ(detail, "ASK not valid before 1970-01-01T00:01:40Z");
	CHECK_ERR(snp_check_time("VLEK", 100, 200, 201, D), KBS_ERR_CERT_EXPIRED);
	CHECK_STR_EQ(detail, "VLEK expired at 1970-01-01T00:03:20Z");
}

static void
test_names(void)
{
	X509_NAME *n = cn_name("A\x01"
			       "B");
	X509_NAME *empty = X509_NAME_new();
	char out[8];

	snp_name_cn(n, out, sizeof(out));
	CHECK_STR_EQ(out, "A?B");
	snp_name_cn(empty, out, sizeof(out));
	CHECK_STR_EQ(out, "?");
	snp_name_cn(NULL, out, sizeof(out));
	CHECK_STR_EQ(out, "?");
	X509_NAME_free(n);
	n = cn_name("ABCDEFGHIJKLMNOP");
	snp_name_cn(n, out, sizeof(out));
	CHECK_STR_EQ(out, "ABCDEFG");
	X509_NAME_free(n);
	X509_NAME_free(empty);
}

static void
test_cleanup(void)
{
	snp_roots_clear(&roots);
	EVP_PKEY_free(rsa2048);
	rsa2048 = NULL;
}

TEST_MAIN(TEST(test_real_chains), TEST(test_swapped_ask_ark), TEST(test_unpinned_root),
    TEST(test_wrong_signature_algorithms), TEST(test_forged_ask_and_small_key),
    TEST(test_flipped_signatures), TEST(test_key_checks), TEST(test_times), TEST(test_names),
    TEST(test_cleanup))
