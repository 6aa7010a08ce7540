/*
 * certs.c: an ordered set of up to SNP_CERTS_MAX X.509 certificates.
 *
 * Input format notes and limits:
 *   - DER: exactly one certificate; d2i must consume every byte.
 *   - PEM: one or more "CERTIFICATE" blocks. Text before a block is
 *     skipped (RFC 7468 explanatory text, e.g. "# SEV-VCEK" lines in some
 *     bundles); after the last block only whitespace may follow. Each
 *     block's payload must be exactly one DER certificate; any other block
 *     type, PEM headers, or a payload with trailing bytes is rejected.
 *   - Input that starts with an ASN.1 SEQUENCE tag (0x30) is DER, anything
 *     else is tried as PEM.
 *   - AMD quirks accepted (OpenSSL accepts them): serialNumber 0 on every
 *     VCEK/VLEK, RSASSA-PSS with explicit parameters.
 * An add is all-or-nothing: certificates are collected first and committed
 * to the set only when the whole input parsed and fits.
 */
#include "chain-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define SNP_CERT_INPUT_MAX (1u << 20) /* no certificate bundle is larger */

X509 *
snp_certs_get(const struct snp_certs *certs, size_t i)
{
	if (certs == NULL || i >= certs->n)
		return NULL;
	return certs->e[i].x509;
}

const uint8_t *
snp_certs_digest(const struct snp_certs *certs, size_t i)
{
	if (certs == NULL || i >= certs->n)
		return NULL;
	return certs->e[i].der_sha256;
}

int
snp_x509_sha256(X509 *x, uint8_t ret[32])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int len, r = KBS_ERR_CERT_PARSE;

	if ((len = i2d_X509(x, &der)) <= 0)
		goto out;
	if (EVP_Digest(der, (size_t)len, ret, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	r = 0;
out:
	OPENSSL_free(der);
	return r;
}

int
snp_certs_new(struct snp_certs **ret)
{
	struct snp_certs *c;

	if (ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KBS_ERR_ALLOC;
	*ret = c;
	return 0;
}

void
snp_certs_free(struct snp_certs *certs)
{
	size_t i;

	if (certs == NULL)
		return;
	for (i = 0; i < certs->n; i++)
		X509_free(certs->e[i].x509);
	free(certs);
}

size_t
snp_certs_count(const struct snp_certs *certs)
{
	return certs == NULL ? 0 : certs->n;
}

/* parse_der parses exactly one certificate from der[0..len). */
static int
parse_der(const uint8_t *der, size_t len, X509 **ret)
{
	const unsigned char *p = der;
	X509 *x;

	if (len == 0 || len > SNP_CERT_INPUT_MAX)
		return KBS_ERR_CERT_PARSE;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return KBS_ERR_CERT_PARSE;
	if ((size_t)(p - der) != len) {
		X509_free(x);
		return KBS_ERR_CERT_PARSE;
	}
	*ret = x;
	return 0;
}

static int
only_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	}
	return 1;
}

/* parse_pem collects every CERTIFICATE block into out[0..*n). */
static int
parse_pem(const uint8_t *data, size_t len, X509 **out, size_t max, size_t *ret_n)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *payload = NULL;
	const char *rest = NULL;
	long plen = 0, left;
	size_t n = 0;
	int r = KBS_ERR_CERT_PARSE;

	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		left = BIO_get_mem_data(bio, &rest);
		if (left <= 0 || only_space(rest, (size_t)left))
			break;
		if (PEM_read_bio(bio, &name, &header, &payload, &plen) != 1)
			goto out; /* garbage or a broken block */
		if (strcmp(name, "CERTIFICATE") != 0 || header[0] != '\0' || plen <= 0)
			goto out;
		if (n == max) {
			r = KBS_ERR_TOO_LARGE;
			goto out;
		}
		if ((r = parse_der(payload, (size_t)plen, &out[n])) != 0)
			goto out;
		n++;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(payload);
		name = header = NULL;
		payload = NULL;
		r = KBS_ERR_CERT_PARSE;
	}
	if (n == 0)
		goto out;
	*ret_n = n;
	n = 0;
	r = 0;
out:
	while (n > 0)
		X509_free(out[--n]);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(payload);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int
snp_certs_add(struct snp_certs *certs, const uint8_t *data, size_t len)
{
	X509 *got[SNP_CERTS_MAX];
	uint8_t digest[SNP_CERTS_MAX][32];
	size_t n = 0, i;
	int r = KBS_ERR_INTERNAL;

	if (certs == NULL || (data == NULL && len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	if (len == 0 || len > SNP_CERT_INPUT_MAX)
		return len == 0 ? KBS_ERR_CERT_PARSE : KBS_ERR_TOO_LARGE;
	if (certs->n == SNP_CERTS_MAX)
		return KBS_ERR_TOO_LARGE;
	if (data[0] == 0x30) {
		if ((r = parse_der(data, len, &got[0])) != 0) {
			ERR_clear_error();
			return r;
		}
		n = 1;
	} else if ((r = parse_pem(data, len, got, SNP_CERTS_MAX - certs->n, &n)) != 0) {
		return r;
	}
	if (n > SNP_CERTS_MAX - certs->n) {
		r = KBS_ERR_TOO_LARGE;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = snp_x509_sha256(got[i], digest[i])) != 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		certs->e[certs->n].x509 = got[i];
		memcpy(certs->e[certs->n].der_sha256, digest[i], 32);
		certs->n++;
	}
	n = 0;
	r = 0;
out:
	while (n > 0)
		X509_free(got[--n]);
	return r;
}
