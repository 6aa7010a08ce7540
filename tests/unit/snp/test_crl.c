/*
 * test_crl.c: snp_crl_load (DER, PEM, rejections) and the CRL checks.
 * The signature and time logic runs on the real AMD Milan CRL
 * (amd/crl_milan.der, thisUpdate 2026-06-22T05:53:52Z, nextUpdate
 * 2026-08-08T00:00:00Z); revocation runs on CRLs generated here, since
 * only AMD can sign one that verifies under an ARK.
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "chain-int.h"
#include "crl-int.h"
#include "snp.h"
#include "test.h"

static struct snp_roots roots;
static char detail[160];
#define D detail, sizeof(detail)

static void
setup(void)
{
	static int done;

	if (!done)
		CHECK_OK(snp_roots_load(&roots));
	done = 1;
}

static int64_t
t_of(const char *s)
{
	int64_t t = 0;

	CHECK_OK(kbs_time_parse_rfc3339(s, &t));
	return t;
}

/* to_pem wraps der as one PEM block of the given label, with prefix and suffix text. */
static char *
to_pem(const uint8_t *der, size_t len, const char *label, const char *prefix, const char *suffix,
    size_t *ret_len)
{
	size_t b64len = kbs_b64_encoded_len(len), o, i, n;
	size_t cap = b64len + b64len / 64 + 256 + strlen(prefix) + strlen(suffix);
	char *b64 = malloc(b64len), *out = malloc(cap);

	CHECK(b64 != NULL && out != NULL);
	CHECK_OK(kbs_b64_encode(der, len, b64, b64len));
	n = strlen(b64);
	o = (size_t)snprintf(out, cap, "%s-----BEGIN %s-----\n", prefix, label);
	for (i = 0; i < n; i += 64)
		o += (size_t)snprintf(out + o, cap - o, "%.64s\n", b64 + i);
	o += (size_t)snprintf(out + o, cap - o, "-----END %s-----\n%s", label, suffix);
	free(b64);
	*ret_len = o;
	return out;
}

static void
load_fails(const void *data, size_t len, int want)
{
	struct snp_crl *crl = (struct snp_crl *)(uintptr_t)0x1;

	CHECK_ERR(snp_crl_load(data, len, &crl), want);
	CHECK(crl == (struct snp_crl *)(uintptr_t)0x1);
}

static void
test_load(void)
{
	size_t len = 0, plen = 0, clen = 0;
	uint8_t *der = test_read_vector("amd/crl_milan.der", &len);
	uint8_t *cert = test_read_vector("amd/ark_milan.der", &clen);
	struct snp_crl *a = NULL, *b = NULL;
	uint8_t digest[32], *buf;
	char *pem;

	CHECK_OK(snp_crl_load(der, len, &a));
	CHECK_INT_EQ(snp_crl_signer(a), SNP_SIGNING_KEY_VCEK); /* snp_crl_load: the VCEK list */
	CHECK_INT_EQ(snp_crl_signer(NULL), SNP_SIGNING_KEY_NONE);
	CHECK(EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL) == 1);
	CHECK_MEM_EQ(a->der_sha256, digest, 32);
	pem = to_pem(der, len, "X509 CRL", "# AMD Milan CRL\n", "\r\n\n", &plen);
	CHECK_OK(snp_crl_load((uint8_t *)pem, plen, &b));
	CHECK_MEM_EQ(b->der_sha256, a->der_sha256, 32);
	snp_crl_free(b);
	free(pem);
	/* PEM: junk after, two blocks, a certificate block. */
	pem = to_pem(der, len, "X509 CRL", "", "junk", &plen);
	load_fails(pem, plen, KBS_ERR_CRL_PARSE);
	free(pem);
	{
		size_t l1 = 0;
		char *one = to_pem(der, len, "X509 CRL", "", "", &l1);
		char *two = to_pem(der, len, "X509 CRL", one, "", &plen);

		load_fails(two, plen, KBS_ERR_CRL_PARSE);
		free(one);
		free(two);
	}
	pem = to_pem(cert, clen, "CERTIFICATE", "", "", &plen);
	load_fails(pem, plen, KBS_ERR_CRL_PARSE);
	free(pem);
	/* DER: a certificate, truncated, a trailing byte, empty. */
	load_fails(cert, clen, KBS_ERR_CRL_PARSE);
	load_fails(der, len - 1, KBS_ERR_CRL_PARSE);
	load_fails(der, 2, KBS_ERR_CRL_PARSE);
	buf = malloc(len + 1);
	CHECK(buf != NULL);
	memcpy(buf, der, len);
	buf[len] = 0;
	load_fails(buf, len + 1, KBS_ERR_CRL_PARSE);
	free(buf);
	load_fails(der, 0, KBS_ERR_CRL_PARSE);
	load_fails("hello", 5, KBS_ERR_CRL_PARSE);
	load_fails(NULL, 5, KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(snp_crl_load(der, len, NULL), KBS_ERR_INVALID_ARGUMENT);
	snp_crl_free(a);
	snp_crl_free(NULL);
	free(der);
	free(cert);
}

static struct snp_crl *
milan_crl(int flip_last_byte)
{
	size_t len = 0;
	uint8_t *der = test_read_vector("amd/crl_milan.der", &len);
	struct snp_crl *crl = NULL;

	if (flip_last_byte)
		der[len - 1] ^= 1;
	CHECK_OK(snp_crl_load(der, len, &crl));
	free(der);
	return crl;
}

static void
test_real_signature_and_issuer(void)
{
	struct snp_crl *crl = milan_crl(0), *bad = milan_crl(1);

	setup();
	CHECK_OK(snp_crl_check_issuer_sig(crl, roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK], 1, D));
	CHECK_ERR(snp_crl_check_issuer_sig(crl, roots.x[SNP_PRODUCT_GENOA][SNP_ROOT_ARK], 1, D),
	    KBS_ERR_CRL_ISSUER);
	CHECK_STR_EQ(detail, "CRL issuer CN=ARK-Milan is not the ARK CN=ARK-Genoa");
	CHECK_ERR(snp_crl_check_issuer_sig(crl, roots.x[SNP_PRODUCT_TURIN][SNP_ROOT_ARK], 0, D),
	    KBS_ERR_CRL_ISSUER);
	/* Signed by the ASK? The ASK is not its issuer. */
	CHECK_ERR(snp_crl_check_issuer_sig(crl, roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK], 1, D),
	    KBS_ERR_CRL_ISSUER);
	CHECK_ERR(snp_crl_check_issuer_sig(bad, roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK], 1, D),
	    KBS_ERR_CRL_SIGNATURE);
	CHECK_STR_EQ(detail, "CRL signature does not verify under the ARK key");
	/* With the signature known good (cached), only the issuer is compared. */
	CHECK_OK(snp_crl_check_issuer_sig(bad, roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK], 0, D));
	CHECK_ERR(snp_crl_check_issuer_sig(NULL, roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK], 1, D),
	    KBS_ERR_INVALID_ARGUMENT);
	snp_crl_free(crl);
	snp_crl_free(bad);
}

static void
test_real_times(void)
{
	struct snp_crl *crl = milan_crl(0);

	setup();
	CHECK_OK(snp_crl_check_time(crl, t_of("2026-07-01"), 0, D));
	CHECK_OK(snp_crl_check_time(crl, t_of("2026-06-22T05:53:52Z"), 0, D));
	CHECK_OK(snp_crl_check_time(crl, t_of("2026-08-08T00:00:00Z"), 0, D));
	CHECK_ERR(
	    snp_crl_check_time(crl, t_of("2026-06-22T05:53:51Z"), 0, D), KBS_ERR_CRL_NOT_YET_VALID);
	CHECK_STR_EQ(detail, "CRL not valid before its thisUpdate 2026-06-22T05:53:52Z");
	CHECK_ERR(
	    snp_crl_check_time(crl, t_of("2026-06-22T05:53:51Z"), 1, D), KBS_ERR_CRL_NOT_YET_VALID);
	CHECK_ERR(snp_crl_check_time(crl, t_of("2026-08-08T00:00:01Z"), 0, D), KBS_ERR_CRL_STALE);
	CHECK_STR_EQ(detail, "CRL is stale: nextUpdate 2026-08-08T00:00:00Z has passed");
	CHECK_OK(snp_crl_check_time(crl, t_of("2026-08-08T00:00:01Z"), 1, D));
	CHECK_OK(snp_crl_check_time(crl, kbs_time_now() + 86400 * 365 * 10, 1, D));
	CHECK(X509_CRL_get_REVOKED(crl->crl) == NULL); /* "No Revoked Certificates" */
	CHECK_INT_EQ(snp_crl_is_revoked(
			 crl, X509_get0_serialNumber(roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK])),
	    0);
	snp_crl_free(crl);
}

/* ---- generated CRLs ------------------------------------------------------ */

struct gen {
	const long *serials;
	size_t nserials;
	int pkcs1;
	int no_next_update;
	int critical_nid; /* 0: none */
};

static struct snp_crl *
generate(EVP_PKEY *key, const struct gen *g, int want_load)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	struct snp_crl *out = NULL;
	size_t i;
	int len;

	CHECK(c != NULL && t != NULL && md != NULL);
	CHECK(X509_CRL_set_version(c, 1) == 1);
	CHECK(X509_CRL_set_issuer_name(
		  c, X509_get_subject_name(roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK])) == 1);
	CHECK(ASN1_TIME_set_string(t, "20260101000000Z") == 1);
	CHECK(X509_CRL_set1_lastUpdate(c, t) == 1);
	if (!g->no_next_update) {
		CHECK(ASN1_TIME_set_string(t, "20260201000000Z") == 1);
		CHECK(X509_CRL_set1_nextUpdate(c, t) == 1);
	}
	for (i = 0; i < g->nserials; i++) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		CHECK(rv != NULL && s != NULL && ASN1_INTEGER_set(s, g->serials[i]) == 1);
		CHECK(X509_REVOKED_set_serialNumber(rv, s) == 1);
		CHECK(X509_REVOKED_set_revocationDate(rv, t) == 1);
		CHECK(X509_CRL_add0_revoked(c, rv) == 1);
		ASN1_INTEGER_free(s);
	}
	if (g->critical_nid != 0) {
		ASN1_INTEGER *n = ASN1_INTEGER_new();

		CHECK(n != NULL && ASN1_INTEGER_set(n, 3) == 1);
		CHECK(X509_CRL_add1_ext_i2d(c, g->critical_nid, n, 1, 0) == 1);
		ASN1_INTEGER_free(n);
	}
	CHECK(EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) == 1);
	if (!g->pkcs1) {
		CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1);
	}
	CHECK(X509_CRL_sign_ctx(c, md) > 0);
	CHECK((len = i2d_X509_CRL(c, &der)) > 0);
	CHECK_ERR(snp_crl_load(der, (size_t)len, &out), want_load);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ASN1_TIME_free(t);
	X509_CRL_free(c);
	return out;
}

static void
test_generated(void)
{
	static const long serials[] = { 0x010001, 0 };
	EVP_PKEY *key;
	struct snp_crl *crl;
	struct gen g;
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	X509 *ark;

	setup();
	ark = roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ARK];
	key = EVP_RSA_gen(2048);
	CHECK(key != NULL && s != NULL);
	memset(&g, 0, sizeof(g));
	g.serials = serials;
	g.nserials = 2;
	crl = generate(key, &g, 0);
	/* Revocation by serial: the Milan ASK (0x010001) and serial 0 are listed. */
	CHECK_INT_EQ(snp_crl_is_revoked(
			 crl, X509_get0_serialNumber(roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASK])),
	    1);
	CHECK_INT_EQ(snp_crl_is_revoked(
			 crl, X509_get0_serialNumber(roots.x[SNP_PRODUCT_MILAN][SNP_ROOT_ASVK])),
	    0);
	CHECK(ASN1_INTEGER_set(s, 0) == 1);
	CHECK_INT_EQ(snp_crl_is_revoked(crl, s), 1);
	CHECK(ASN1_INTEGER_set(s, 0x010002) == 1);
	CHECK_INT_EQ(snp_crl_is_revoked(crl, s), 0);
	CHECK_INT_EQ(snp_crl_is_revoked(NULL, s), 0);
	CHECK_INT_EQ(snp_crl_is_revoked(crl, NULL), 0);
	/* Right issuer name and algorithm, not the ARK's key. */
	CHECK_ERR(snp_crl_check_issuer_sig(crl, ark, 1, D), KBS_ERR_CRL_SIGNATURE);
	CHECK_OK(snp_crl_check_time(crl, t_of("2026-01-15"), 0, D));
	snp_crl_free(crl);
	/* PKCS#1 v1.5: the algorithm is refused. */
	g.pkcs1 = 1;
	crl = generate(key, &g, 0);
	CHECK_ERR(snp_crl_check_issuer_sig(crl, ark, 1, D), KBS_ERR_CRL_SIGNATURE);
	CHECK_STR_EQ(detail, "CRL signature is not RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48");
	snp_crl_free(crl);
	/* No nextUpdate: stale unless allowed. */
	g.pkcs1 = 0;
	g.no_next_update = 1;
	crl = generate(key, &g, 0);
	CHECK_ERR(snp_crl_check_time(crl, t_of("2026-01-15"), 0, D), KBS_ERR_CRL_STALE);
	CHECK_OK(snp_crl_check_time(crl, t_of("2026-01-15"), 1, D));
	snp_crl_free(crl);
	/* Critical extensions: a delta CRL is refused, a critical CRL number is fine. */
	g.no_next_update = 0;
	g.critical_nid = NID_delta_crl;
	CHECK(generate(key, &g, KBS_ERR_CRL_PARSE) == NULL);
	g.critical_nid = NID_crl_number;
	crl = generate(key, &g, 0);
	snp_crl_free(crl);
	ASN1_INTEGER_free(s);
	EVP_PKEY_free(key);
	snp_roots_clear(&roots);
}

TEST_MAIN(TEST(test_load), TEST(test_real_signature_and_issuer), TEST(test_real_times),
    TEST(test_generated))
