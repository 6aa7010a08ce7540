/*
 * roots.c: the compiled-in AMD ARKs, ASKs and ASVKs (roots_data.c).
 *
 * Pinning rule: a supplied ARK is accepted only if its DER is
 * byte-identical to the compiled-in ARK of the product. This is stricter
 * than matching the SubjectPublicKeyInfo: a same-key certificate with
 * other validity, names or extensions is refused rather than trusted, so
 * nothing about the root is ever taken from the input. (The ARK is only
 * used for its key and name; byte identity costs nothing extra.)
 */
#include "chain-int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

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
