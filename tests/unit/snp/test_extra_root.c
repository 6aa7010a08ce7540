/*
 * test_extra_root.c: snp_verifier_add_root and chains that end at an extra
 * root, on simulated chains (client/sim_chain.c issues them as AMD issues
 * its own) for Milan, Genoa and Turin.
 *
 * Adding: DER and PEM accepted; each malformed form refused with
 * root_malformed, a pinned AMD ARK or a repeat with root_duplicate, AMD's
 * names with root_amd_name, the ninth root with too_large, and the
 * verifier unchanged after every refusal. Choosing: an extra root is used
 * only when no pinned ARK is presented and the ASK is issued by it; an AMD
 * ARK next to a simulated chain, a root for another product, a root given
 * without its ASK, an unknown root beside it, all fail at their check with
 * their code. Every verification under an extra root says so in the
 * result, cached or not. RSA-4096 keys are made once for the program.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "chain-int.h"
#include "sim.h"
#include "snp.h"
#include "test.h"
#include "verify-int.h"

static const enum snp_product products[] = { SNP_PRODUCT_MILAN, SNP_PRODUCT_GENOA,
	SNP_PRODUCT_TURIN };
#define NPRODUCTS KBS_ARRAY_SIZE(products)

static struct sim_keys keys;
static struct sim_config cfg[NPRODUCTS];
static struct sim_chain chain[NPRODUCTS];
static EVP_PKEY *rsa2048;
static int64_t now;

static void
setup(void)
{
	size_t i;

	if (keys.ark != NULL)
		return;
	now = kbs_time_now();
	CHECK_OK(sim_keys_generate(&keys));
	CHECK((rsa2048 = EVP_RSA_gen(2048)) != NULL);
	for (i = 0; i < NPRODUCTS; i++) {
		CHECK_OK(sim_config_default(products[i], &cfg[i]));
		CHECK_OK(sim_chain_issue(&cfg[i], &keys, now, &chain[i]));
	}
}

static size_t
der_of(X509 *x, uint8_t **ret)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	CHECK(len > 0);
	*ret = der;
	return (size_t)len;
}

static int
add_x509(struct snp_verifier *v, X509 *x)
{
	uint8_t *der = NULL;
	size_t len = der_of(x, &der);
	int r = snp_verifier_add_root(v, der, len);

	OPENSSL_free(der);
	return r;
}

static void
certs_add_x509(struct snp_certs *certs, X509 *x)
{
	uint8_t *der = NULL;
	size_t len = der_of(x, &der);

	CHECK_OK(snp_certs_add(certs, der, len));
	OPENSSL_free(der);
}

static struct snp_verifier *
new_verifier(void)
{
	struct snp_verifier *v = NULL;

	CHECK_OK(snp_verifier_new(&v));
	return v;
}

enum sig_mode { SIG_PSS48, SIG_PKCS1, SIG_PSS32 };

/*
 * make_named_root self-signs a root for key named name, with
 * basicConstraints CA when ca, signed in mode.
 */
static X509 *
make_named_root(EVP_PKEY *key, const X509_NAME *name, int ca, enum sig_mode mode)
{
	X509 *x = X509_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	CHECK(x != NULL && md != NULL);
	CHECK(X509_set_version(x, 2) == 1);
	CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), 9) == 1);
	CHECK(X509_set_subject_name(x, name) == 1 && X509_set_issuer_name(x, name) == 1);
	CHECK(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL);
	CHECK(X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL);
	CHECK(X509_set_pubkey(x, key) == 1);
	if (ca) {
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		CHECK((e = X509V3_EXT_conf_nid(
			   NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE")) != NULL);
		CHECK(X509_add_ext(x, e, -1) == 1);
		X509_EXTENSION_free(e);
	}
	CHECK(EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) == 1);
	if (mode != SIG_PKCS1) {
		CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, mode == SIG_PSS32 ? 32 : 48) == 1);
	}
	CHECK(X509_sign_ctx(x, md) > 0);
	EVP_MD_CTX_free(md);
	return x;
}

/* make_root: make_named_root named O=org, CN=cn. */
static X509 *
make_root(EVP_PKEY *key, const char *org, const char *cn, int ca, enum sig_mode mode)
{
	X509_NAME *n = X509_NAME_new();
	X509 *x;

	CHECK(n != NULL);
	CHECK(X509_NAME_add_entry_by_txt(
		  n, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0) == 1);
	CHECK(X509_NAME_add_entry_by_txt(
		  n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) == 1);
	x = make_named_root(key, n, ca, mode);
	X509_NAME_free(n);
	return x;
}

/* ---- adding roots ------------------------------------------------------------ */

static void
test_add_der_and_pem(void)
{
	struct snp_verifier *v;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;

	setup();
	v = new_verifier();
	CHECK(bio != NULL && PEM_write_bio_X509(bio, chain[0].ark) == 1);
	CHECK((len = BIO_get_mem_data(bio, &pem)) > 0);
	CHECK_OK(snp_verifier_add_root(v, (const uint8_t *)pem, (size_t)len));
	CHECK_OK(add_x509(v, chain[1].ark));
	CHECK_UINT_EQ(v->roots.n_extra, 2);
	CHECK_INT_EQ(v->roots.extra[0].product, SNP_PRODUCT_MILAN);
	CHECK_INT_EQ(v->roots.extra[0].index, 1);
	CHECK_INT_EQ(v->roots.extra[1].product, SNP_PRODUCT_GENOA);
	CHECK_INT_EQ(v->roots.extra[1].index, 2);
	CHECK_STR_EQ(v->roots.extra[0].subject,
	    "OU=SIMULATED - NOT AMD, O=kbs simulated SEV-SNP chip, CN=ARK-Milan");
	/* The same bytes again, as PEM or DER: a duplicate, nothing changes. */
	CHECK_ERR(
	    snp_verifier_add_root(v, (const uint8_t *)pem, (size_t)len), KBS_ERR_ROOT_DUPLICATE);
	CHECK_ERR(add_x509(v, chain[0].ark), KBS_ERR_ROOT_DUPLICATE);
	CHECK_UINT_EQ(v->roots.n_extra, 2);
	BIO_free(bio);
	snp_verifier_free(v);
}

static void
test_add_refusals(void)
{
	static const uint8_t garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct snp_verifier *v;
	uint8_t *amd = NULL;
	size_t amd_len = 0;
	X509 *x;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;

	setup();
	v = new_verifier();
	/* Malformed: not a certificate, two certificates, not self-issued, not CA-shaped. */
	CHECK_ERR(snp_verifier_add_root(v, garbage, sizeof(garbage)), KBS_ERR_ROOT_MALFORMED);
	CHECK_ERR(snp_verifier_add_root(v, (const uint8_t *)"junk", 4), KBS_ERR_ROOT_MALFORMED);
	CHECK_ERR(snp_verifier_add_root(v, NULL, 0), KBS_ERR_INVALID_ARGUMENT);
	CHECK(bio != NULL && PEM_write_bio_X509(bio, chain[0].ark) == 1 &&
	    PEM_write_bio_X509(bio, chain[1].ark) == 1);
	CHECK((len = BIO_get_mem_data(bio, &pem)) > 0);
	CHECK_ERR(
	    snp_verifier_add_root(v, (const uint8_t *)pem, (size_t)len), KBS_ERR_ROOT_MALFORMED);
	CHECK_ERR(add_x509(v, chain[0].ask), KBS_ERR_ROOT_MALFORMED);
	CHECK_ERR(add_x509(v, chain[0].vcek), KBS_ERR_ROOT_MALFORMED);
	x = make_root(rsa2048, "test", "ARK-Milan", 1, SIG_PSS48);
	CHECK_ERR(add_x509(v, x), KBS_ERR_ROOT_MALFORMED); /* RSA-2048 */
	X509_free(x);
	x = make_root(keys.ark, "test", "ARK-Milan", 1, SIG_PKCS1);
	CHECK_ERR(add_x509(v, x), KBS_ERR_ROOT_MALFORMED); /* PKCS#1 v1.5 */
	X509_free(x);
	x = make_root(keys.ark, "test", "ARK-Milan", 1, SIG_PSS32);
	CHECK_ERR(add_x509(v, x), KBS_ERR_ROOT_MALFORMED); /* salt 32 */
	X509_free(x);
	x = make_root(keys.ark, "test", "ARK-Milan", 0, SIG_PSS48);
	CHECK_ERR(add_x509(v, x), KBS_ERR_ROOT_MALFORMED); /* no CA basicConstraints */
	X509_free(x);
	x = make_root(keys.ark, "test", "Root-Milan", 1, SIG_PSS48);
	CHECK_ERR(add_x509(v, x), KBS_ERR_ROOT_MALFORMED); /* CN not ARK-<product> */
	X509_free(x);
	x = make_root(keys.ark, "test", "ARK-Rome", 1, SIG_PSS48);
	CHECK_ERR(add_x509(v, x), KBS_ERR_ROOT_MALFORMED); /* no such product */
	X509_free(x);
	/* A pinned AMD ARK is already trusted; AMD's other certificates keep their names. */
	amd = test_read_vector("amd/ark_milan.der", &amd_len);
	CHECK_ERR(snp_verifier_add_root(v, amd, amd_len), KBS_ERR_ROOT_DUPLICATE);
	free(amd);
	amd = test_read_vector("amd/ask_genoa.pem", &amd_len);
	CHECK_ERR(snp_verifier_add_root(v, amd, amd_len), KBS_ERR_ROOT_AMD_NAME);
	free(amd);
	/* A well-formed root carrying the AMD Milan ARK's exact subject. */
	x = make_named_root(keys.ark,
	    X509_get_subject_name(v->roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK]), 1, SIG_PSS48);
	CHECK_ERR(add_x509(v, x), KBS_ERR_ROOT_AMD_NAME);
	X509_free(x);
	CHECK_UINT_EQ(v->roots.n_extra, 0);
	BIO_free(bio);
	snp_verifier_free(v);
}

static void
test_add_same_name(void)
{
	struct snp_verifier *v;
	X509 *b;

	setup();
	v = new_verifier();
	/* The simulated Milan root's subject on another key: one name, one root. */
	b = make_named_root(keys.ask, X509_get_subject_name(chain[0].ark), 1, SIG_PSS48);
	CHECK_OK(add_x509(v, chain[0].ark));
	CHECK_ERR(add_x509(v, b), KBS_ERR_ROOT_DUPLICATE);
	CHECK_UINT_EQ(v->roots.n_extra, 1);
	X509_free(b);
	snp_verifier_free(v);
}

static void
test_add_limit(void)
{
	struct snp_verifier *v;
	char org[32];
	X509 *x;
	int i;

	setup();
	v = new_verifier();
	for (i = 0; i <= SNP_EXTRA_ROOTS_MAX; i++) {
		snprintf(org, sizeof(org), "test root %d", i);
		x = make_root(keys.ark, org, "ARK-Turin", 1, SIG_PSS48);
		CHECK_ERR(add_x509(v, x), i < SNP_EXTRA_ROOTS_MAX ? 0 : KBS_ERR_TOO_LARGE);
		X509_free(x);
	}
	CHECK_UINT_EQ(v->roots.n_extra, SNP_EXTRA_ROOTS_MAX);
	CHECK_INT_EQ(v->roots.extra[SNP_EXTRA_ROOTS_MAX - 1].index, SNP_EXTRA_ROOTS_MAX);
	snp_verifier_free(v);
}

/* ---- verifying under an extra root --------------------------------------------- */

/*
 * verify_sim signs a report with product i's simulated chip and verifies it
 * with certs (VCEK, then any of ASK and extra in that order) at time at.
 */
static int
verify_sim(struct snp_verifier *v, size_t i, X509 *ask, X509 *extra, int64_t at,
    struct snp_verify_result *res)
{
	uint8_t raw[SNP_REPORT_SIZE], data[64], id[32];
	struct snp_report rep;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;
	int r;

	memset(data, 0x5a, sizeof(data));
	memset(id, 0x11, sizeof(id));
	CHECK_OK(sim_report_build(&cfg[i], keys.vcek, data, id, raw));
	CHECK_OK(snp_report_parse(raw, sizeof(raw), &rep));
	CHECK_OK(snp_certs_new(&certs));
	certs_add_x509(certs, chain[i].vcek);
	if (ask != NULL)
		certs_add_x509(certs, ask);
	if (extra != NULL)
		certs_add_x509(certs, extra);
	memset(&opts, 0, sizeof(opts));
	opts.at = at;
	r = snp_verify_report(v, &rep, certs, &opts, res);
	snp_certs_free(certs);
	return r;
}

static void
test_verify_each_product(void)
{
	struct snp_verify_result res;
	struct snp_verifier *v;
	size_t i;

	setup();
	v = new_verifier();
	for (i = 0; i < NPRODUCTS; i++)
		CHECK_OK(add_x509(v, chain[i].ark));
	for (i = 0; i < NPRODUCTS; i++) {
		CHECK_OK(verify_sim(v, i, chain[i].ask, NULL, now, &res));
		CHECK_INT_EQ(res.product, products[i]);
		CHECK_INT_EQ(res.extra_root, (int)i + 1);
		CHECK_MEM_EQ(res.extra_root_sha256, v->roots.extra[i].sha256, 32);
		CHECK(strstr(res.extra_root_subject, "SIMULATED") != NULL);
		CHECK_INT_EQ(res.chain_cached, 0);
		CHECK(strncmp(res.checks[SNP_CHECK_ARK].detail, "extra (NOT AMD) ", 16) == 0);
		CHECK_INT_EQ(res.checks[SNP_CHECK_CHIP_ID].outcome, SNP_OUTCOME_PASS);
		CHECK_INT_EQ(res.reported_tcb.snp, cfg[i].tcb.snp);
		/* Cached the second time, and still marked. */
		CHECK_OK(verify_sim(v, i, chain[i].ask, chain[i].ark, now, &res));
		CHECK_INT_EQ(res.chain_cached, 1);
		CHECK_INT_EQ(res.extra_root, (int)i + 1);
		CHECK(strstr(res.checks[SNP_CHECK_ARK].detail, "extra (NOT AMD)") != NULL);
		/* Validity is judged at each call's time. */
		CHECK_ERR(verify_sim(v, i, chain[i].ask, NULL, now - 3 * 86400, &res),
		    KBS_ERR_CERT_NOT_YET_VALID);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_VALIDITY);
	}
	snp_verifier_free(v);
}

static void
test_refused_without_root(void)
{
	struct snp_verify_result res;
	struct snp_verifier *v;
	size_t i;

	setup();
	v = new_verifier();
	for (i = 0; i < NPRODUCTS; i++) {
		/* The ASK is not AMD's, so the compiled-in ASK is tried and is not the issuer. */
		CHECK_ERR(verify_sim(v, i, chain[i].ask, NULL, now, &res), KBS_ERR_CERT_ISSUER);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_SIGNER_CERT);
		CHECK_INT_EQ(res.extra_root, 0);
		CHECK_STR_EQ(res.checks[SNP_CHECK_SIGNER_CERT].detail,
		    "VCEK issuer O=kbs simulated SEV-SNP chip is not the ASK subject O=Advanced "
		    "Micro Devices");
		/* With its ARK in the evidence: a root that is not pinned. */
		CHECK_ERR(verify_sim(v, i, chain[i].ask, chain[i].ark, now, &res),
		    KBS_ERR_CERT_ARK_NOT_PINNED);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_ARK);
	}
	snp_verifier_free(v);
}

static void
test_amd_ark_wins(void)
{
	struct snp_verify_result res;
	struct snp_verifier *v;
	uint8_t *amd;
	size_t len = 0;

	setup();
	v = new_verifier();
	CHECK_OK(add_x509(v, chain[0].ark));
	/* Simulated VCEK and ASK presented with AMD's Milan ARK: the pinned rules decide. */
	amd = test_read_vector("amd/ark_milan.der", &len);
	{
		const unsigned char *p = amd;
		X509 *ark = d2i_X509(NULL, &p, (long)len);

		CHECK(ark != NULL);
		CHECK_ERR(verify_sim(v, 0, chain[0].ask, ark, now, &res), KBS_ERR_CERT_ISSUER);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_SIGNER_CERT);
		CHECK_INT_EQ(res.extra_root, 0);
		X509_free(ark);
	}
	free(amd);
	/* An unknown root beside the extra one: refused as not pinned. */
	{
		X509 *other = make_root(keys.ask, "other", "ARK-Milan", 1, SIG_PSS48);

		CHECK_ERR(
		    verify_sim(v, 0, chain[0].ask, other, now, &res), KBS_ERR_CERT_ARK_NOT_PINNED);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_ARK);
		X509_free(other);
	}
	snp_verifier_free(v);
}

static void
test_wrong_product_and_missing_ask(void)
{
	struct snp_verify_result res;
	struct snp_verifier *v;

	setup();
	v = new_verifier();
	CHECK_OK(add_x509(v, chain[0].ark)); /* Milan's root only */
	/* A Genoa chip under the Milan root: its ASK names ARK-Genoa, which is no extra root. */
	CHECK_ERR(verify_sim(v, 1, chain[1].ask, NULL, now, &res), KBS_ERR_CERT_ISSUER);
	CHECK_INT_EQ(res.failed_check, SNP_CHECK_SIGNER_CERT);
	/* The Milan root presented for a Genoa report. */
	CHECK_ERR(
	    verify_sim(v, 1, chain[1].ask, chain[0].ark, now, &res), KBS_ERR_PRODUCT_MISMATCH);
	CHECK_INT_EQ(res.failed_check, SNP_CHECK_ARK);
	/* The root without its ASK: only AMD's ASKs are compiled in. */
	CHECK_ERR(verify_sim(v, 0, NULL, chain[0].ark, now, &res), KBS_ERR_CERT_MISSING);
	CHECK_INT_EQ(res.failed_check, SNP_CHECK_ARK);
	CHECK_STR_EQ(res.checks[SNP_CHECK_ARK].detail,
	    "extra root 1 was given without the ASK that issued the signer");
	snp_verifier_free(v);
}

static void
test_tampered_and_genuine_unchanged(void)
{
	struct snp_verify_result res;
	struct snp_verifier *v;
	uint8_t raw[SNP_REPORT_SIZE], data[64] = { 0 }, id[32] = { 1 };
	struct snp_report rep;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;

	setup();
	v = new_verifier();
	CHECK_OK(add_x509(v, chain[2].ark));
	CHECK_OK(sim_report_build(&cfg[2], keys.vcek, data, id, raw));
	raw[0x90] ^= 1; /* measurement */
	CHECK_OK(snp_report_parse(raw, sizeof(raw), &rep));
	CHECK_OK(snp_certs_new(&certs));
	certs_add_x509(certs, chain[2].vcek);
	certs_add_x509(certs, chain[2].ask);
	memset(&opts, 0, sizeof(opts));
	opts.at = now;
	CHECK_ERR(snp_verify_report(v, &rep, certs, &opts, &res), KBS_ERR_REPORT_SIGNATURE);
	CHECK_INT_EQ(res.failed_check, SNP_CHECK_REPORT_SIGNATURE);
	CHECK_INT_EQ(res.extra_root, 1);
	snp_certs_free(certs);
	/* A genuine AMD report still verifies under the pinned root with extra roots present. */
	{
		uint8_t *d;
		size_t len = 0;

		d = test_read_vector("oak/turin_oc_report.bin", &len);
		CHECK_OK(snp_report_parse(d, len, &rep));
		free(d);
		CHECK_OK(snp_certs_new(&certs));
		d = test_read_vector("oak/turin_oc_vcek.der", &len);
		CHECK_OK(snp_certs_add(certs, d, len));
		free(d);
		CHECK_OK(kbs_time_parse_rfc3339("2025-08-01T00:00:00Z", &opts.at));
		CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
		CHECK_INT_EQ(res.extra_root, 0);
		CHECK_STR_EQ(res.extra_root_subject, "");
		snp_certs_free(certs);
	}
	snp_verifier_free(v);
}

static void
teardown(void)
{
	size_t i;

	for (i = 0; i < NPRODUCTS; i++)
		sim_chain_clear(&chain[i]);
	sim_keys_clear(&keys);
	EVP_PKEY_free(rsa2048);
}

TEST_MAIN(TEST(test_add_der_and_pem), TEST(test_add_refusals), TEST(test_add_same_name),
    TEST(test_add_limit), TEST(test_verify_each_product), TEST(test_refused_without_root),
    TEST(test_amd_ark_wins), TEST(test_wrong_product_and_missing_ask),
    TEST(test_tampered_and_genuine_unchanged), TEST(teardown))
