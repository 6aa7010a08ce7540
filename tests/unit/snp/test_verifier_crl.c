/*
 * test_verifier_crl.c: snp_verifier_crl_check, the CRL signature check a
 * caller runs before it holds or stores a list (the broker's KDS fetcher).
 *
 * The genuine AMD Milan list (amd/crl_milan.der, the only genuine CRL in
 * tests/vectors/snp) passes for Milan under the compiled-in ARK and is
 * refused for Genoa and Turin (crl_issuer); copies of it re-signed with
 * fresh RSA-PSS, RSA PKCS#1 and EC keys keep its issuer name and are
 * refused with crl_signature. A list signed by a simulated ARK
 * (client/sim_chain.c) passes only on a verifier that trusts that ARK as
 * an extra root, and only for its product; a forged list under the
 * simulated ARK's name, or under AMD's name signed with the simulated
 * ARK's key, is refused. A success is cached (as snp_verify_report caches
 * it) and never stands in for another list or another ARK. Lists of the
 * two trusted Milan ARKs are told apart by snp_crl_same_issuer.
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "chain-int.h"
#include "crl-int.h"
#include "sim.h"
#include "snp.h"
#include "test.h"
#include "verify-int.h"

static char detail[160];
#define D detail, sizeof(detail)

static struct snp_verifier *
new_verifier(void)
{
	struct snp_verifier *v = NULL;

	CHECK_OK(snp_verifier_new(&v));
	return v;
}

static X509_CRL *
genuine_x509(void)
{
	size_t len = 0;
	uint8_t *d = test_read_vector("amd/crl_milan.der", &len);
	const unsigned char *p = d;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);

	CHECK(c != NULL);
	free(d);
	return c;
}

static struct snp_crl *
load_x509(X509_CRL *c)
{
	unsigned char *der = NULL;
	struct snp_crl *crl = NULL;
	int len = i2d_X509_CRL(c, &der);

	CHECK(len > 0);
	CHECK_OK(snp_crl_load(der, (size_t)len, &crl));
	OPENSSL_free(der);
	return crl;
}

enum sig { SIG_PSS48, SIG_PKCS1, SIG_PLAIN };

/* sign_as signs c (in place) with key: RSASSA-PSS SHA-384 salt 48 as AMD, PKCS#1, or plain EC. */
static void
sign_as(X509_CRL *c, EVP_PKEY *key, enum sig mode)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	CHECK(md != NULL);
	if (mode == SIG_PLAIN) {
		CHECK(X509_CRL_sign(c, key, EVP_sha384()) > 0);
		EVP_MD_CTX_free(md);
		return;
	}
	CHECK(EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) == 1);
	if (mode == SIG_PSS48) {
		CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1);
	}
	CHECK(X509_CRL_sign_ctx(c, md) > 0);
	EVP_MD_CTX_free(md);
}

/* resigned: the genuine Milan list, its issuer name kept, signed with key in mode. */
static struct snp_crl *
resigned(EVP_PKEY *key, enum sig mode)
{
	X509_CRL *c = genuine_x509();
	struct snp_crl *crl;

	sign_as(c, key, mode);
	crl = load_x509(c);
	X509_CRL_free(c);
	return crl;
}

/* fresh_crl: a list issued by name, valid from now for a day, signed with key (PSS 48). */
static struct snp_crl *
fresh_crl(const X509_NAME *name, EVP_PKEY *key)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t1 = X509_gmtime_adj(NULL, 0), *t2 = X509_gmtime_adj(NULL, 86400);
	struct snp_crl *crl;

	CHECK(c != NULL && t1 != NULL && t2 != NULL);
	CHECK(X509_CRL_set_version(c, 1) == 1 && X509_CRL_set_issuer_name(c, name) == 1);
	CHECK(X509_CRL_set1_lastUpdate(c, t1) == 1 && X509_CRL_set1_nextUpdate(c, t2) == 1);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	sign_as(c, key, SIG_PSS48);
	crl = load_x509(c);
	X509_CRL_free(c);
	return crl;
}

static void
test_genuine_and_other_products(void)
{
	struct snp_verifier *v = new_verifier();
	X509_CRL *c = genuine_x509();
	struct snp_crl *crl = load_x509(c);

	CHECK_OK(snp_verifier_crl_check(v, crl, SNP_PRODUCT_MILAN, D));
	/* Cached now: still only for Milan's ARK, by name. */
	CHECK_OK(snp_verifier_crl_check(v, crl, SNP_PRODUCT_MILAN, NULL, 0));
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_GENOA, D), KBS_ERR_CRL_ISSUER);
	CHECK_STR_EQ(detail, "CRL issuer CN=ARK-Milan is no genoa ARK trusted here");
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_TURIN, D), KBS_ERR_CRL_ISSUER);
	CHECK_STR_EQ(detail, "CRL issuer CN=ARK-Milan is no turin ARK trusted here");
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_UNKNOWN, D), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(snp_verifier_crl_check(v, crl, (enum snp_product)SNP_PRODUCT_COUNT, D),
	    KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_ERR(
	    snp_verifier_crl_check(NULL, crl, SNP_PRODUCT_MILAN, D), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_verifier_crl_check(v, NULL, SNP_PRODUCT_MILAN, D), KBS_ERR_INVALID_ARGUMENT);
	snp_crl_free(crl);
	X509_CRL_free(c);
	snp_verifier_free(v);
}

static void
test_resigned_refused(void)
{
	struct snp_verifier *v = new_verifier();
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-384");
	struct snp_crl *crl, *genuine;
	X509_CRL *c = genuine_x509();

	CHECK(rsa != NULL && ec != NULL);
	genuine = load_x509(c);
	/* The genuine list first, so its success is cached: the copies must not share it. */
	CHECK_OK(snp_verifier_crl_check(v, genuine, SNP_PRODUCT_MILAN, D));
	crl = resigned(rsa, SIG_PSS48);
	CHECK_INT_EQ(snp_crl_product(crl), SNP_PRODUCT_MILAN); /* the name is AMD's */
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_SIGNATURE);
	CHECK_STR_EQ(detail, "CRL signature does not verify under the ARK key");
	/* Refusals are not cached: refused again. */
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_SIGNATURE);
	snp_crl_free(crl);
	crl = resigned(rsa, SIG_PKCS1);
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_SIGNATURE);
	CHECK_STR_EQ(detail, "CRL signature is not RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48");
	snp_crl_free(crl);
	crl = resigned(ec, SIG_PLAIN);
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_SIGNATURE);
	CHECK_STR_EQ(detail, "CRL signature is not RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48");
	snp_crl_free(crl);
	/* A fresh verifier, forged list first: nothing cached lets it through. */
	snp_verifier_free(v);
	v = new_verifier();
	crl = resigned(rsa, SIG_PSS48);
	CHECK_ERR(snp_verifier_crl_check(v, crl, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_SIGNATURE);
	CHECK_OK(snp_verifier_crl_check(v, genuine, SNP_PRODUCT_MILAN, D));
	snp_crl_free(crl);
	snp_crl_free(genuine);
	X509_CRL_free(c);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	snp_verifier_free(v);
}

static int
add_root(struct snp_verifier *v, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der), r;

	CHECK(len > 0);
	r = snp_verifier_add_root(v, der, (size_t)len);
	OPENSSL_free(der);
	return r;
}

static void
test_simulated_ark(void)
{
	struct sim_keys keys;
	struct sim_config cfg, gcfg;
	struct sim_chain chain, gchain;
	struct snp_verifier *amd_only = new_verifier(), *v = new_verifier();
	EVP_PKEY *other = EVP_RSA_gen(2048);
	struct snp_crl *sim, *forged, *as_amd, *genuine;
	X509_CRL *c = genuine_x509();
	int64_t now = kbs_time_now();

	memset(&keys, 0, sizeof(keys));
	memset(&chain, 0, sizeof(chain));
	memset(&gchain, 0, sizeof(gchain));
	CHECK(other != NULL);
	CHECK_OK(sim_keys_generate(&keys));
	CHECK_OK(sim_config_default(SNP_PRODUCT_MILAN, &cfg));
	CHECK_OK(sim_chain_issue(&cfg, &keys, now, &chain));
	CHECK_OK(sim_config_default(SNP_PRODUCT_GENOA, &gcfg));
	CHECK_OK(sim_chain_issue(&gcfg, &keys, now, &gchain));
	genuine = load_x509(c);
	sim = fresh_crl(X509_get_subject_name(chain.ark), keys.ark);
	CHECK_INT_EQ(snp_crl_product(sim), SNP_PRODUCT_MILAN);
	/* Without the simulated ARK as a root: no trusted ARK has its name. */
	CHECK_ERR(snp_verifier_crl_check(amd_only, sim, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_ISSUER);
	CHECK_STR_EQ(detail, "CRL issuer CN=ARK-Milan is no milan ARK trusted here");
	/* A Genoa root of the same key does not make a Milan list good. */
	CHECK_OK(add_root(v, gchain.ark));
	CHECK_ERR(snp_verifier_crl_check(v, sim, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_ISSUER);
	CHECK_OK(add_root(v, chain.ark));
	CHECK_OK(snp_verifier_crl_check(v, sim, SNP_PRODUCT_MILAN, D));
	CHECK_ERR(snp_verifier_crl_check(v, sim, SNP_PRODUCT_GENOA, D), KBS_ERR_CRL_ISSUER);
	/* Trusting a test root takes nothing from AMD's lists. */
	CHECK_OK(snp_verifier_crl_check(v, genuine, SNP_PRODUCT_MILAN, D));
	/* The simulated ARK's name, another key. */
	forged = fresh_crl(X509_get_subject_name(chain.ark), other);
	CHECK_ERR(snp_verifier_crl_check(v, forged, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_SIGNATURE);
	CHECK_STR_EQ(detail, "CRL signature does not verify under the ARK key");
	/* AMD's name, the trusted test root's key: an extra root never speaks for AMD. */
	as_amd = resigned(keys.ark, SIG_PSS48);
	CHECK_ERR(snp_verifier_crl_check(v, as_amd, SNP_PRODUCT_MILAN, D), KBS_ERR_CRL_SIGNATURE);
	/*
	 * snp_crl_same_issuer tells the two trusted Milan ARKs' lists apart
	 * (the broker holds one list per product and chain: kbs/kds.c).
	 */
	CHECK_INT_EQ(snp_crl_same_issuer(sim, sim), 1);
	CHECK_INT_EQ(snp_crl_same_issuer(genuine, as_amd), 1);
	CHECK_INT_EQ(snp_crl_same_issuer(sim, genuine), 0);
	CHECK_INT_EQ(snp_crl_same_issuer(genuine, sim), 0);
	CHECK_INT_EQ(snp_crl_same_issuer(sim, NULL), 0);
	CHECK_INT_EQ(snp_crl_same_issuer(NULL, sim), 0);
	snp_crl_free(sim);
	snp_crl_free(forged);
	snp_crl_free(as_amd);
	snp_crl_free(genuine);
	X509_CRL_free(c);
	EVP_PKEY_free(other);
	sim_chain_clear(&chain);
	sim_chain_clear(&gchain);
	sim_keys_clear(&keys);
	snp_verifier_free(amd_only);
	snp_verifier_free(v);
}

TEST_MAIN(
    TEST(test_genuine_and_other_products), TEST(test_resigned_refused), TEST(test_simulated_ark))
