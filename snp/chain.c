/*
 * chain.c: the checks that link an AMD certificate chain.
 *
 * AMD's chain is ARK (self-signed root) -> ASK (VCEK) or ASVK (VLEK) ->
 * VCEK/VLEK. Every signature in it is RSASSA-PSS with SHA-384, MGF1 with
 * SHA-384, salt length 48 and trailer 1 (AMD KDS spec), made with an
 * RSA-4096 key; the VCEK/VLEK key is ECDSA P-384. Nothing else is
 * accepted: the algorithm parameters are compared explicitly rather than
 * left to whatever OpenSSL would verify, and keys are checked by type and
 * size before a signature is trusted.
 *
 * The root is a pinned AMD ARK, or an extra root (roots.c) for a test or
 * simulated chain. snp_select_extra_root chooses the latter only when the
 * evidence names no pinned ARK and its ASK is issued by the extra root, so
 * an extra root can never take the place of AMD's in an AMD chain.
 */
#include "chain-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

void
snp_detail(char *detail, size_t detail_size, const char *fmt, ...)
{
	va_list ap;

	if (detail == NULL || detail_size == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(detail, detail_size, fmt, ap);
	va_end(ap);
}

void
snp_name_cn(const X509_NAME *name, char *out, size_t out_size)
{
	snp_name_field(name, NID_commonName, out, out_size);
}

void
snp_name_field(const X509_NAME *name, int nid, char *out, size_t out_size)
{
	char buf[128];
	int n, i;

	if (out == NULL || out_size == 0)
		return;
	n = name == NULL ? -1 : X509_NAME_get_text_by_NID(name, nid, buf, (int)sizeof(buf));
	ERR_clear_error();
	if (n <= 0) {
		snprintf(out, out_size, "?");
		return;
	}
	for (i = 0; i < n && buf[i] != '\0'; i++) {
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
	}
	snprintf(out, out_size, "%.*s", n, buf);
}

void
snp_name_oneline(const X509_NAME *name, char *out, size_t out_size)
{
	const X509_NAME_ENTRY *ent;
	const ASN1_STRING *val;
	const unsigned char *d;
	const char *sn;
	size_t used = 0;
	int i, k, n, len;

	if (out == NULL || out_size == 0)
		return;
	out[0] = '\0';
	n = name == NULL ? 0 : X509_NAME_entry_count(name);
	for (i = 0; i < n && used + 1 < out_size; i++) {
		ent = X509_NAME_get_entry(name, i);
		val = X509_NAME_ENTRY_get_data(ent);
		sn = OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(ent)));
		len = snprintf(
		    out + used, out_size - used, "%s%s=", i > 0 ? ", " : "", sn != NULL ? sn : "?");
		if (len < 0 || (size_t)len >= out_size - used)
			break;
		used += (size_t)len;
		d = ASN1_STRING_get0_data(val);
		for (k = 0; k < ASN1_STRING_length(val) && used + 1 < out_size; k++)
			out[used++] = d[k] >= 0x20 && d[k] <= 0x7e ? (char)d[k] : '?';
		out[used] = '\0';
	}
	if (out[0] == '\0')
		snprintf(out, out_size, "?");
	ERR_clear_error();
}

/* alg_is: the algorithm's OID is nid and its parameters are absent or NULL. */
static int
alg_is(const X509_ALGOR *alg, int nid)
{
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype;

	if (alg == NULL)
		return 0;
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	return OBJ_obj2nid(oid) == nid && (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL);
}

int
snp_check_pss_alg(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype, r = KBS_ERR_CERT_SIG_ALGORITHM;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_hash = NULL;
	const ASN1_OBJECT *mgf_oid;
	const void *mgf_pval;
	int mgf_ptype;

	if (alg == NULL)
		goto out;
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	if (OBJ_obj2nid(oid) != NID_rsassaPss || ptype != V_ASN1_SEQUENCE || pval == NULL)
		goto out;
	pss = ASN1_item_unpack((const ASN1_STRING *)pval, ASN1_ITEM_rptr(RSA_PSS_PARAMS));
	if (pss == NULL)
		goto out;
	/* Absent fields mean SHA-1 and salt 20 (RFC 4055), so each must be explicit. */
	if (!alg_is(pss->hashAlgorithm, NID_sha384))
		goto out;
	if (pss->maskGenAlgorithm == NULL)
		goto out;
	X509_ALGOR_get0(&mgf_oid, &mgf_ptype, &mgf_pval, pss->maskGenAlgorithm);
	if (OBJ_obj2nid(mgf_oid) != NID_mgf1 || mgf_ptype != V_ASN1_SEQUENCE || mgf_pval == NULL)
		goto out;
	mgf_hash = ASN1_item_unpack((const ASN1_STRING *)mgf_pval, ASN1_ITEM_rptr(X509_ALGOR));
	if (!alg_is(mgf_hash, NID_sha384))
		goto out;
	if (pss->saltLength == NULL || ASN1_INTEGER_get(pss->saltLength) != 48)
		goto out;
	if (pss->trailerField != NULL && ASN1_INTEGER_get(pss->trailerField) != 1)
		goto out;
	r = 0;
out:
	X509_ALGOR_free(mgf_hash);
	RSA_PSS_PARAMS_free(pss);
	ERR_clear_error();
	return r;
}

int
snp_check_rsa4096(X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	int r = KBS_ERR_CERT_KEY;

	if (k != NULL &&
	    (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ||
		EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA_PSS) &&
	    EVP_PKEY_get_bits(k) == 4096)
		r = 0;
	ERR_clear_error();
	return r;
}

int
snp_check_p384(X509 *x, uint8_t ret_point[97])
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	ASN1_BIT_STRING *bits;
	char group[32];
	size_t glen = 0;
	int r = KBS_ERR_CERT_KEY;

	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		goto out;
	if (EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "secp384r1") != 0)
		goto out;
	if ((bits = X509_get0_pubkey_bitstr(x)) == NULL || ASN1_STRING_length(bits) != 97 ||
	    ASN1_STRING_get0_data(bits)[0] != 0x04)
		goto out;
	memcpy(ret_point, ASN1_STRING_get0_data(bits), 97);
	r = 0;
out:
	ERR_clear_error();
	return r;
}

int
snp_check_issued(X509 *child, const char *child_label, X509 *parent, const char *parent_label,
    int sig_err, char *detail, size_t detail_size)
{
	const X509_ALGOR *alg = NULL;
	char a[64], b[64];
	int r;

	if (X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(parent)) != 0) {
		snp_name_cn(X509_get_issuer_name(child), a, sizeof(a));
		snp_name_cn(X509_get_subject_name(parent), b, sizeof(b));
		if (strcmp(a, b) == 0) {
			/* Same CN, other organisation (a test chain's ASK against AMD's): say so.
			 */
			snp_name_field(
			    X509_get_issuer_name(child), NID_organizationName, a, sizeof(a));
			snp_name_field(
			    X509_get_subject_name(parent), NID_organizationName, b, sizeof(b));
			snp_detail(detail, detail_size, "%s issuer O=%s is not the %s subject O=%s",
			    child_label, a, parent_label, b);
		} else {
			snp_detail(detail, detail_size,
			    "%s issuer CN=%s is not the %s subject CN=%s", child_label, a,
			    parent_label, b);
		}
		r = KBS_ERR_CERT_ISSUER;
		goto out;
	}
	X509_get0_signature(NULL, &alg, child);
	if ((r = snp_check_pss_alg(alg)) != 0 ||
	    X509_ALGOR_cmp(alg, X509_get0_tbs_sigalg(child)) != 0) {
		snp_detail(detail, detail_size,
		    "%s signature is not RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48", child_label);
		r = KBS_ERR_CERT_SIG_ALGORITHM;
		goto out;
	}
	if ((r = snp_check_rsa4096(parent)) != 0) {
		snp_detail(detail, detail_size, "%s key is not RSA-4096", parent_label);
		goto out;
	}
	if (X509_verify(child, X509_get0_pubkey(parent)) != 1) {
		snp_detail(detail, detail_size, "%s signature does not verify under the %s key",
		    child_label, parent_label);
		r = sig_err;
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	return r;
}

int
snp_check_ark(const struct snp_roots *roots, X509 *ark, enum snp_product product, char *detail,
    size_t detail_size)
{
	enum snp_product pinned;
	char cn[64];
	int r;

	if (roots == NULL || ark == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	pinned = snp_roots_ark_product(ark);
	if (pinned == SNP_PRODUCT_UNKNOWN) {
		const struct snp_extra_root *extra = NULL;
		uint8_t sha[32];

		if (snp_x509_sha256(ark, sha) == 0)
			extra = snp_roots_extra_by_der(roots, sha);
		if (extra == NULL) {
			snp_name_cn(X509_get_subject_name(ark), cn, sizeof(cn));
			snp_detail(detail, detail_size, "root CN=%s is not a pinned AMD ARK", cn);
			return KBS_ERR_CERT_ARK_NOT_PINNED;
		}
		if (extra->product != product) {
			snp_detail(detail, detail_size,
			    "root is extra root %d for %s, expected a %s root", extra->index,
			    snp_product_name(extra->product), snp_product_name(product));
			return KBS_ERR_PRODUCT_MISMATCH;
		}
	} else if (pinned != product) {
		snp_detail(detail, detail_size, "root is the pinned %s ARK, expected the %s ARK",
		    snp_product_name(pinned), snp_product_name(product));
		return KBS_ERR_PRODUCT_MISMATCH;
	}
	if ((r = snp_check_rsa4096(ark)) != 0) {
		snp_detail(detail, detail_size, "ARK key is not RSA-4096");
		return r;
	}
	return snp_check_issued(
	    ark, "ARK", ark, "ARK", KBS_ERR_CERT_ARK_SIGNATURE, detail, detail_size);
}

int
snp_asn1_time_epoch(const ASN1_TIME *t, int64_t *ret)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return KBS_ERR_CERT_PARSE;
	}
	*ret = kbs_time_from_utc((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return 0;
}

int
snp_cert_times(X509 *x, int64_t *ret_not_before, int64_t *ret_not_after)
{
	int64_t nb, na;
	int r;

	if ((r = snp_asn1_time_epoch(X509_get0_notBefore(x), &nb)) != 0 ||
	    (r = snp_asn1_time_epoch(X509_get0_notAfter(x), &na)) != 0)
		return r;
	*ret_not_before = nb;
	*ret_not_after = na;
	return 0;
}

int
snp_check_time(
    const char *label, int64_t nb, int64_t na, int64_t at, char *detail, size_t detail_size)
{
	char tb[KBS_TIME_RFC3339_LEN], ta[KBS_TIME_RFC3339_LEN];

	if (kbs_time_format_rfc3339(nb, tb, sizeof(tb)) != 0)
		snprintf(tb, sizeof(tb), "?");
	if (kbs_time_format_rfc3339(na, ta, sizeof(ta)) != 0)
		snprintf(ta, sizeof(ta), "?");
	if (at < nb) {
		snp_detail(detail, detail_size, "%s not valid before %s", label, tb);
		return KBS_ERR_CERT_NOT_YET_VALID;
	}
	if (at > na) {
		snp_detail(detail, detail_size, "%s expired at %s", label, ta);
		return KBS_ERR_CERT_EXPIRED;
	}
	return 0;
}

static int
self_issued(X509 *x)
{
	return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

int
snp_select_extra_root(const struct snp_roots *roots, const struct snp_certs *certs, X509 *signer,
    enum snp_product product, const struct snp_extra_root **ret_root, X509 **ret_inter,
    const uint8_t **ret_inter_sha256, char *detail, size_t detail_size)
{
	const struct snp_extra_root *given = NULL, *e, *root;
	X509 *inter = NULL;
	const uint8_t *inter_sha256 = NULL;
	size_t i, n = snp_certs_count(certs);

	*ret_root = NULL;
	if (roots->n_extra == 0)
		return 0;
	for (i = 0; i < n; i++) {
		X509 *x = snp_certs_get(certs, i);
		const uint8_t *d = snp_certs_digest(certs, i);

		if (x == signer)
			continue;
		if (self_issued(x)) {
			/* A pinned ARK, an unknown root or two extra roots: the pinned rules
			 * decide. */
			e = snp_roots_extra_by_der(roots, d);
			if (e == NULL || (given != NULL && given != e))
				return 0;
			given = e;
			continue;
		}
		if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(signer)) == 0) {
			inter = x;
			inter_sha256 = d;
		}
	}
	root =
	    inter != NULL ? snp_roots_extra_by_subject(roots, X509_get_issuer_name(inter)) : NULL;
	if (given != NULL && root != NULL && root != given)
		return 0;
	if (root == NULL)
		root = given;
	if (root == NULL)
		return 0;
	if (root->product != product) {
		snp_detail(detail, detail_size,
		    "the chain ends at extra root %d for %s, the product is %s", root->index,
		    snp_product_name(root->product), snp_product_name(product));
		return KBS_ERR_PRODUCT_MISMATCH;
	}
	if (inter == NULL) {
		snp_detail(detail, detail_size,
		    "extra root %d was given without the ASK that issued the signer", root->index);
		return KBS_ERR_CERT_MISSING;
	}
	*ret_root = root;
	*ret_inter = inter;
	*ret_inter_sha256 = inter_sha256;
	return 0;
}

void
snp_extra_root_describe(const struct snp_extra_root *root, struct snp_verify_result *res)
{
	if (root == NULL) {
		res->extra_root = 0;
		memset(res->extra_root_sha256, 0, sizeof(res->extra_root_sha256));
		res->extra_root_subject[0] = '\0';
		return;
	}
	res->extra_root = root->index;
	memcpy(res->extra_root_sha256, root->sha256, sizeof(res->extra_root_sha256));
	snprintf(res->extra_root_subject, sizeof(res->extra_root_subject), "%s", root->subject);
}
