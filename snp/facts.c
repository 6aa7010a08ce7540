/*
 * facts.c: what a certificate file claims to be, for the broker's KDS
 * cache and its import of pre-loaded files (kbs/kds.c). Nothing here is a
 * verification: a file is only sorted by what it says (which product,
 * which chip and TCB), so a cache key can be derived and a misfiled
 * certificate refused before it is stored. Every use still runs the whole
 * chain check of snp_verify_report.
 *
 * Limits: a signer file is exactly one certificate (DER or one PEM
 * block); a chain file is the KDS cert_chain form, PEM with the ASK or
 * ASVK and the ARK (any order, nothing else), at most the 1 MiB of
 * snp_certs_add.
 */
#include "amd_ext-int.h"
#include "chain-int.h"
#include "crl-int.h"

#include <string.h>

#include <openssl/err.h>

/* cn_product maps "PREFIX" + product ("ARK-Milan", "SEV-VLEK-Genoa") to the product. */
static enum snp_product
cn_product(const char *cn, const char *prefix)
{
	enum snp_product p;
	size_t n = strlen(prefix);

	if (strncmp(cn, prefix, n) != 0 || snp_product_from_name(cn + n, &p) != 0)
		return SNP_PRODUCT_UNKNOWN;
	return p;
}

static int
load(const uint8_t *data, size_t len, struct snp_certs **ret)
{
	struct snp_certs *c = NULL;
	int r;

	if ((r = snp_certs_new(&c)) != 0)
		return r;
	if ((r = snp_certs_add(c, data, len)) != 0) {
		snp_certs_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int
snp_signer_facts(const uint8_t *data, size_t len, struct snp_signer_facts *ret)
{
	struct snp_signer_facts f;
	struct snp_amd_ext ext;
	struct snp_certs *c = NULL;
	char cn[64];
	X509 *x;
	int r;

	if (data == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = load(data, len, &c)) != 0)
		return r;
	r = KBS_ERR_CERT_PARSE;
	if (snp_certs_count(c) != 1)
		goto out;
	x = snp_certs_get(c, 0);
	memset(&f, 0, sizeof(f));
	snp_name_cn(X509_get_subject_name(x), cn, sizeof(cn));
	if (strcmp(cn, "SEV-VCEK") == 0)
		f.kind = SNP_SIGNING_KEY_VCEK;
	else if (strcmp(cn, "SEV-VLEK") == 0)
		f.kind = SNP_SIGNING_KEY_VLEK;
	else
		goto out;
	if ((r = snp_amd_ext_parse(x, &ext)) != 0)
		goto out;
	if ((r = snp_product_from_name(ext.product_name, &f.product)) != 0)
		goto out;
	f.spl = ext.spl;
	memcpy(f.hwid, ext.hwid, ext.hwid_len);
	f.hwid_len = ext.hwid_len;
	*ret = f;
	r = 0;
out:
	snp_certs_free(c);
	ERR_clear_error();
	return r;
}

int
snp_chain_facts(
    const uint8_t *data, size_t len, enum snp_product *ret_product, enum snp_signing_key *ret_kind)
{
	enum snp_product ark = SNP_PRODUCT_UNKNOWN, inter = SNP_PRODUCT_UNKNOWN, p;
	enum snp_signing_key kind = SNP_SIGNING_KEY_NONE;
	struct snp_certs *c = NULL;
	char cn[64];
	size_t i;
	int r;

	if (data == NULL || ret_product == NULL || ret_kind == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = load(data, len, &c)) != 0)
		return r;
	r = KBS_ERR_CERT_MISSING;
	if (snp_certs_count(c) != 2)
		goto out;
	for (i = 0; i < 2; i++) {
		snp_name_cn(X509_get_subject_name(snp_certs_get(c, i)), cn, sizeof(cn));
		if ((p = cn_product(cn, "ARK-")) != SNP_PRODUCT_UNKNOWN) {
			ark = p;
		} else if ((p = cn_product(cn, "SEV-VLEK-")) != SNP_PRODUCT_UNKNOWN) {
			inter = p;
			kind = SNP_SIGNING_KEY_VLEK;
		} else if ((p = cn_product(cn, "SEV-")) != SNP_PRODUCT_UNKNOWN) {
			inter = p;
			kind = SNP_SIGNING_KEY_VCEK;
		}
	}
	if (ark == SNP_PRODUCT_UNKNOWN || inter == SNP_PRODUCT_UNKNOWN)
		goto out;
	r = KBS_ERR_PRODUCT_MISMATCH;
	if (ark != inter)
		goto out;
	*ret_product = ark;
	*ret_kind = kind;
	r = 0;
out:
	snp_certs_free(c);
	ERR_clear_error();
	return r;
}

int
snp_crl_times(const struct snp_crl *crl, int64_t *ret_this_update, int64_t *ret_next_update)
{
	const ASN1_TIME *next;
	int64_t t = 0, n = 0;

	if (crl == NULL || ret_this_update == NULL || ret_next_update == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	next = X509_CRL_get0_nextUpdate(crl->crl);
	if (next == NULL || snp_asn1_time_epoch(X509_CRL_get0_lastUpdate(crl->crl), &t) != 0 ||
	    snp_asn1_time_epoch(next, &n) != 0)
		return KBS_ERR_CRL_PARSE;
	*ret_this_update = t;
	*ret_next_update = n;
	return 0;
}

int
snp_crl_same_issuer(const struct snp_crl *a, const struct snp_crl *b)
{
	return a != NULL && b != NULL &&
	    X509_NAME_cmp(X509_CRL_get_issuer(a->crl), X509_CRL_get_issuer(b->crl)) == 0;
}

enum snp_product
snp_crl_product(const struct snp_crl *crl)
{
	char cn[64];

	if (crl == NULL)
		return SNP_PRODUCT_UNKNOWN;
	snp_name_cn(X509_CRL_get_issuer(crl->crl), cn, sizeof(cn));
	return cn_product(cn, "ARK-");
}
