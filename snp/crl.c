/*
 * crl.c: one AMD certificate revocation list.
 *
 * Format notes and limits: a CRL is DER, or PEM holding exactly one
 * "X509 CRL" block with nothing but whitespace after it (text before the
 * block is skipped), read by der.c under the rules certificates follow:
 * exactly one object, strictly DER (BER is KBS_ERR_CRL_NOT_DER, so its
 * SHA-256, the key of the signature cache, names one byte form); at
 * most 4 MiB.
 * AMD KDS CRLs are signed by the ARK with RSASSA-PSS, SHA-384, salt 48,
 * and carry only the authority key identifier and CRL number extensions;
 * a CRL with any other critical extension (a delta CRL, an issuing
 * distribution point we would not honour) is refused at load time, since
 * we could not apply its meaning. Signature and times are checked by
 * snp_verify_report against the ARK of the report's product; a CRL of
 * another product's ARK fails there with KBS_ERR_CRL_ISSUER. A caller
 * that keeps lists checks the signature before it keeps one
 * (snp_verifier_crl_check, verify.c).
 *
 * The VCEK and the VLEK chain each have their own list, both issued by
 * the same ARK. AMD's lists carry no mark of which chain they speak for:
 * the real Milan VCEK list (tests/vectors/snp/amd/crl_milan.der) has the
 * ARK as issuer, thisUpdate, nextUpdate, the ARK's key identifier, a CRL
 * number and no entries, and a VLEK list has the same shape. Nor can the
 * entries tell, as a list that revokes nothing of this chain looks the
 * same either way. So the kind is what the caller says it fetched
 * (snp_crl_load_for), and the verifier refuses a list given for the other
 * chain (KBS_ERR_CRL_KIND) instead of calling that chain not revoked.
 */
#include "crl-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "chain-int.h"
#include "der-int.h"

#define SNP_CRL_INPUT_MAX (4u << 20)

/* Typed wrappers for the shared DER/PEM reader (der-int.h). */
static void *
crl_d2i(const unsigned char **p, long len)
{
	return d2i_X509_CRL(NULL, p, len);
}

static int
crl_i2d_fresh(void *obj, unsigned char **out)
{
	X509_CRL *c = obj;

	/* Marks the signed part modified, so the next i2d encodes it anew. */
	if (i2d_re_X509_CRL_tbs(c, NULL) <= 0)
		return -1;
	return i2d_X509_CRL(c, out);
}

static void
crl_free(void *obj)
{
	X509_CRL_free(obj);
}

static const struct snp_der_type crl_type = {
	.pem_label = "X509 CRL",
	.parse_err = KBS_ERR_CRL_PARSE,
	.not_der_err = KBS_ERR_CRL_NOT_DER,
	.d2i = crl_d2i,
	.i2d_fresh = crl_i2d_fresh,
	.free = crl_free,
};

/* extensions_ok: every critical extension is one whose meaning we apply (or that carries none). */
static int
extensions_ok(const X509_CRL *c)
{
	const X509_EXTENSION *ext;
	int i, n = X509_CRL_get_ext_count(c), nid;

	for (i = 0; i < n; i++) {
		ext = X509_CRL_get_ext(c, i);
		if (ext == NULL)
			return 0;
		if (!X509_EXTENSION_get_critical(ext))
			continue;
		nid = OBJ_obj2nid(X509_EXTENSION_get_object((X509_EXTENSION *)(uintptr_t)ext));
		if (nid != NID_authority_key_identifier && nid != NID_crl_number)
			return 0;
	}
	return 1;
}

int
snp_crl_load_for(const uint8_t *data, size_t len, enum snp_signing_key signer, struct snp_crl **ret)
{
	struct snp_crl *crl = NULL;
	X509_CRL *c = NULL;
	void *obj = NULL;
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	size_t n = 0;
	int derlen, r = KBS_ERR_CRL_PARSE;

	if (ret == NULL || (data == NULL && len != 0) ||
	    (signer != SNP_SIGNING_KEY_VCEK && signer != SNP_SIGNING_KEY_VLEK))
		return KBS_ERR_INVALID_ARGUMENT;
	if (len == 0)
		goto out;
	if (len > SNP_CRL_INPUT_MAX) {
		r = KBS_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = snp_der_or_pem(&crl_type, data, len, &obj, 1, KBS_ERR_CRL_PARSE, &n)) != 0)
		goto out;
	c = obj;
	r = KBS_ERR_CRL_PARSE;
	if (!extensions_ok(c))
		goto out;
	if ((derlen = i2d_X509_CRL(c, &der)) <= 0)
		goto out;
	if ((crl = calloc(1, sizeof(*crl))) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	if (EVP_Digest(der, (size_t)derlen, crl->der_sha256, &mdlen, EVP_sha256(), NULL) != 1) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	crl->crl = c;
	crl->signer = signer;
	c = NULL;
	*ret = crl;
	crl = NULL;
	r = 0;
out:
	free(crl);
	X509_CRL_free(c);
	OPENSSL_free(der);
	ERR_clear_error();
	return r;
}

int
snp_crl_load(const uint8_t *data, size_t len, struct snp_crl **ret)
{
	return snp_crl_load_for(data, len, SNP_SIGNING_KEY_VCEK, ret);
}

enum snp_signing_key
snp_crl_signer(const struct snp_crl *crl)
{
	return crl == NULL ? SNP_SIGNING_KEY_NONE : crl->signer;
}

void
snp_crl_free(struct snp_crl *crl)
{
	if (crl == NULL)
		return;
	X509_CRL_free(crl->crl);
	free(crl);
}

int
snp_crl_is_revoked(const struct snp_crl *crl, const ASN1_INTEGER *serial)
{
	STACK_OF(X509_REVOKED) * revoked;
	const X509_REVOKED *rev;
	int i;

	if (crl == NULL || serial == NULL)
		return 0;
	revoked = X509_CRL_get_REVOKED(crl->crl);
	for (i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
		rev = sk_X509_REVOKED_value(revoked, i);
		if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(rev), serial) == 0)
			return 1;
	}
	return 0;
}

int
snp_crl_check_issuer_sig(
    const struct snp_crl *crl, X509 *ark, int verify_sig, char *detail, size_t detail_size)
{
	const X509_ALGOR *alg = NULL;
	char a[64], b[64];
	int r = KBS_ERR_CRL_SIGNATURE;

	if (crl == NULL || ark == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl->crl), X509_get_subject_name(ark)) != 0) {
		snp_name_cn(X509_CRL_get_issuer(crl->crl), a, sizeof(a));
		snp_name_cn(X509_get_subject_name(ark), b, sizeof(b));
		snp_detail(detail, detail_size, "CRL issuer CN=%s is not the ARK CN=%s", a, b);
		r = KBS_ERR_CRL_ISSUER;
		goto out;
	}
	if (!verify_sig) {
		r = 0;
		goto out;
	}
	X509_CRL_get0_signature(crl->crl, NULL, &alg);
	if (snp_check_pss_alg(alg) != 0) {
		snp_detail(detail, detail_size,
		    "CRL signature is not RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48");
		goto out;
	}
	if (snp_check_rsa4096(ark) != 0 || X509_CRL_verify(crl->crl, X509_get0_pubkey(ark)) != 1) {
		snp_detail(detail, detail_size, "CRL signature does not verify under the ARK key");
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	return r;
}

int
snp_crl_check_time(
    const struct snp_crl *crl, int64_t at, int allow_stale, char *detail, size_t detail_size)
{
	const ASN1_TIME *next;
	int64_t this_update, next_update;
	char t[KBS_TIME_RFC3339_LEN];

	if (crl == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (snp_asn1_time_epoch(X509_CRL_get0_lastUpdate(crl->crl), &this_update) != 0) {
		snp_detail(detail, detail_size, "CRL thisUpdate is unreadable");
		return KBS_ERR_CRL_PARSE;
	}
	if (at < this_update) {
		if (kbs_time_format_rfc3339(this_update, t, sizeof(t)) != 0)
			snprintf(t, sizeof(t), "?");
		snp_detail(detail, detail_size, "CRL not valid before its thisUpdate %s", t);
		return KBS_ERR_CRL_NOT_YET_VALID;
	}
	next = X509_CRL_get0_nextUpdate(crl->crl);
	if (next == NULL) {
		if (allow_stale)
			return 0;
		snp_detail(detail, detail_size, "CRL has no nextUpdate");
		return KBS_ERR_CRL_STALE;
	}
	if (snp_asn1_time_epoch(next, &next_update) != 0) {
		snp_detail(detail, detail_size, "CRL nextUpdate is unreadable");
		return KBS_ERR_CRL_PARSE;
	}
	if (at > next_update && !allow_stale) {
		if (kbs_time_format_rfc3339(next_update, t, sizeof(t)) != 0)
			snprintf(t, sizeof(t), "?");
		snp_detail(detail, detail_size, "CRL is stale: nextUpdate %s has passed", t);
		return KBS_ERR_CRL_STALE;
	}
	return 0;
}
