/*
 * roots.c: the compiled-in AMD ARKs, ASKs and ASVKs (roots_data.c).
 *
 * Pinning rule: a supplied ARK is accepted only if its DER is
 * byte-identical to the compiled-in ARK of the product. This is stricter
 * than matching the SubjectPublicKeyInfo: a same-key certificate with
 * other validity, names or extensions is refused rather than trusted, so
 * nothing about the root is ever taken from the input. (The ARK is only
 * used for its key and name; byte identity costs nothing extra.)
 *
 * Extra roots (snp_verifier_add_root) are the one way to trust anything
 * else: a test or simulated chain named on the command line. They are
 * checked to be built like AMD's ARKs and can never stand in for one:
 *   - a root byte-identical to a pinned ARK is a duplicate, and one that
 *     takes the subject of any pinned certificate (ARK, ASK, ASVK) is
 *     refused, so names keep telling AMD and non-AMD chains apart, for the
 *     chain lookup and for the CRL issuer check alike;
 *   - two extra roots may not share a subject, so an ASK's issuer names at
 *     most one of them;
 *   - the product is the one the CN names, "ARK-" and then a name
 *     snp_product_from_name accepts (AMD's ARKs read "ARK-Milan").
 * Validity is not judged here: it is checked at each verification's time.
 */
#include "verify-int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

int
snp_root_der(
    enum snp_product product, enum snp_root_kind kind, const uint8_t **ret_der, size_t *ret_len)
{
	size_t i;

	for (i = 0; i < SNP_ROOT_DATA_COUNT; i++) {
		if (snp_root_data[i].product == product && snp_root_data[i].kind == kind) {
			*ret_der = snp_root_data[i].der;
			*ret_len = snp_root_data[i].len;
			return 0;
		}
	}
	return KBS_ERR_PRODUCT_UNKNOWN;
}

void
snp_roots_clear(struct snp_roots *roots)
{
	size_t p, k;

	if (roots == NULL)
		return;
	for (p = 0; p < SNP_PRODUCT_COUNT; p++) {
		for (k = 0; k < SNP_ROOT_KIND_COUNT; k++) {
			X509_free(roots->x[p][k]);
			roots->x[p][k] = NULL;
		}
	}
	for (p = 0; p < roots->n_extra; p++)
		X509_free(roots->extra[p].x);
	memset(roots->extra, 0, sizeof(roots->extra));
	roots->n_extra = 0;
}

int
snp_roots_load(struct snp_roots *roots)
{
	const struct snp_root_data *d;
	const unsigned char *p;
	X509 *x;
	size_t i;
	int r = KBS_ERR_INTERNAL;

	memset(roots, 0, sizeof(*roots));
	for (i = 0; i < SNP_ROOT_DATA_COUNT; i++) {
		d = &snp_root_data[i];
		p = d->der;
		if ((unsigned)d->product >= SNP_PRODUCT_COUNT ||
		    (unsigned)d->kind >= SNP_ROOT_KIND_COUNT ||
		    roots->x[d->product][d->kind] != NULL)
			goto out;
		if ((x = d2i_X509(NULL, &p, (long)d->len)) == NULL)
			goto out;
		roots->x[d->product][d->kind] = x;
		if ((size_t)(p - d->der) != d->len)
			goto out;
		if (EVP_Digest(d->der, d->len, roots->sha256[d->product][d->kind], NULL,
			EVP_sha256(), NULL) != 1)
			goto out;
	}
	r = 0;
out:
	if (r != 0)
		snp_roots_clear(roots);
	ERR_clear_error();
	return r;
}

static int
same_der(X509 *a, const uint8_t *der, size_t len)
{
	unsigned char *enc = NULL;
	int n, same;

	if ((n = i2d_X509(a, &enc)) <= 0)
		return 0;
	same = (size_t)n == len && memcmp(enc, der, len) == 0;
	OPENSSL_free(enc);
	return same;
}

enum snp_product
snp_roots_ark_product(X509 *x)
{
	size_t i;

	for (i = 0; i < SNP_ROOT_DATA_COUNT; i++) {
		if (snp_root_data[i].kind == SNP_ROOT_ARK &&
		    same_der(x, snp_root_data[i].der, snp_root_data[i].len))
			return snp_root_data[i].product;
	}
	return SNP_PRODUCT_UNKNOWN;
}

const struct snp_extra_root *
snp_roots_extra_by_der(const struct snp_roots *roots, const uint8_t sha256[32])
{
	size_t i;

	for (i = 0; i < roots->n_extra; i++) {
		if (memcmp(roots->extra[i].sha256, sha256, 32) == 0)
			return &roots->extra[i];
	}
	return NULL;
}

const struct snp_extra_root *
snp_roots_extra_by_subject(const struct snp_roots *roots, const X509_NAME *subject)
{
	size_t i;

	for (i = 0; i < roots->n_extra; i++) {
		if (X509_NAME_cmp(X509_get_subject_name(roots->extra[i].x), subject) == 0)
			return &roots->extra[i];
	}
	return NULL;
}

/* extra_root_product reads the product from a CN of the form "ARK-<product>". */
static int
extra_root_product(X509 *x, enum snp_product *ret)
{
	static const char prefix[] = "ARK-";
	char cn[64];

	snp_name_cn(X509_get_subject_name(x), cn, sizeof(cn));
	if (strncmp(cn, prefix, sizeof(prefix) - 1) != 0)
		return KBS_ERR_ROOT_MALFORMED;
	if (snp_product_from_name(cn + sizeof(prefix) - 1, ret) != 0)
		return KBS_ERR_ROOT_MALFORMED;
	return 0;
}

/* takes_pinned_name: x's subject is that of a compiled-in certificate. */
static int
takes_pinned_name(const struct snp_roots *roots, X509 *x)
{
	size_t p, k;

	for (p = 0; p < SNP_PRODUCT_COUNT; p++) {
		for (k = 0; k < SNP_ROOT_KIND_COUNT; k++) {
			if (roots->x[p][k] != NULL &&
			    X509_NAME_cmp(X509_get_subject_name(roots->x[p][k]),
				X509_get_subject_name(x)) == 0)
				return 1;
		}
	}
	return 0;
}

int
snp_roots_add_extra(struct snp_roots *roots, const uint8_t *data, size_t len)
{
	struct snp_certs *set = NULL;
	struct snp_extra_root *e;
	enum snp_product product = SNP_PRODUCT_UNKNOWN;
	const uint8_t *digest;
	X509 *x;
	int r = KBS_ERR_INTERNAL;

	if (roots == NULL || data == NULL || len == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = snp_certs_new(&set)) != 0)
		return r;
	/* Through the evidence parser: the same DER/PEM strictness as any input. */
	if ((r = snp_certs_add(set, data, len)) != 0) {
		r = r == KBS_ERR_ALLOC ? r : KBS_ERR_ROOT_MALFORMED;
		goto out;
	}
	if (snp_certs_count(set) != 1) {
		r = KBS_ERR_ROOT_MALFORMED;
		goto out;
	}
	x = snp_certs_get(set, 0);
	digest = snp_certs_digest(set, 0);
	if (snp_roots_ark_product(x) != SNP_PRODUCT_UNKNOWN ||
	    snp_roots_extra_by_der(roots, digest) != NULL) {
		r = KBS_ERR_ROOT_DUPLICATE;
		goto out;
	}
	if (takes_pinned_name(roots, x)) {
		r = KBS_ERR_ROOT_AMD_NAME;
		goto out;
	}
	if (snp_roots_extra_by_subject(roots, X509_get_subject_name(x)) != NULL) {
		r = KBS_ERR_ROOT_DUPLICATE;
		goto out;
	}
	/* Self-issued, PSS parameters, RSA-4096, and the self-signature. */
	if (snp_check_issued(x, "root", x, "root", KBS_ERR_ROOT_MALFORMED, NULL, 0) != 0 ||
	    X509_check_ca(x) != 1 || extra_root_product(x, &product) != 0) {
		r = KBS_ERR_ROOT_MALFORMED;
		goto out;
	}
	if (roots->n_extra >= SNP_EXTRA_ROOTS_MAX) {
		r = KBS_ERR_TOO_LARGE;
		goto out;
	}
	if (X509_up_ref(x) != 1) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	e = &roots->extra[roots->n_extra];
	memset(e, 0, sizeof(*e));
	e->x = x;
	memcpy(e->sha256, digest, 32);
	e->product = product;
	e->index = (int)roots->n_extra + 1;
	snp_name_oneline(X509_get_subject_name(x), e->subject, sizeof(e->subject));
	roots->n_extra++;
	r = 0;
out:
	snp_certs_free(set);
	ERR_clear_error();
	return r;
}

int
snp_verifier_add_root(struct snp_verifier *v, const uint8_t *data, size_t len)
{
	if (v == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	return snp_roots_add_extra(&v->roots, data, len);
}
