/*
 * certs.c: an ordered set of up to SNP_CERTS_MAX X.509 certificates, filled
 * from DER, PEM bundles (snp_certs_add) or the extended report's
 * certificate table (snp_certtable_parse).
 *
 * Input format notes and limits:
 *   - DER: exactly one certificate, strictly DER; PEM: one or more
 *     "CERTIFICATE" blocks, each payload one DER certificate. The rules
 *     are der.c's, shared with CRLs: a BER certificate (indefinite or
 *     non-minimal lengths, fields that re-encode differently) is
 *     KBS_ERR_CERT_NOT_DER, so a certificate has one byte form and the
 *     SHA-256 of its DER is its identity in the chain cache.
 *   - Input that starts with an ASN.1 SEQUENCE tag (0x30) is DER, anything
 *     else is tried as PEM. At most 1 MiB per call.
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

#include "certtable-int.h"
#include "der-int.h"

#define SNP_CERT_INPUT_MAX (1u << 20) /* no certificate bundle is larger */
#define DER_SEQUENCE 0x30

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

/* Typed wrappers for the shared DER/PEM reader (der-int.h). */
static void *
cert_d2i(const unsigned char **p, long len)
{
	return d2i_X509(NULL, p, len);
}

static int
cert_i2d_fresh(void *obj, unsigned char **out)
{
	X509 *x = obj;

	/* Marks the signed part modified, so the next i2d encodes it anew. */
	if (i2d_re_X509_tbs(x, NULL) <= 0)
		return -1;
	return i2d_X509(x, out);
}

static void
cert_free(void *obj)
{
	X509_free(obj);
}

static const struct snp_der_type cert_type = {
	.pem_label = "CERTIFICATE",
	.parse_err = KBS_ERR_CERT_PARSE,
	.not_der_err = KBS_ERR_CERT_NOT_DER,
	.d2i = cert_d2i,
	.i2d_fresh = cert_i2d_fresh,
	.free = cert_free,
};

int
snp_certs_add(struct snp_certs *certs, const uint8_t *data, size_t len)
{
	void *got[SNP_CERTS_MAX];
	uint8_t digest[SNP_CERTS_MAX][32];
	size_t n = 0, i;
	int r = KBS_ERR_INTERNAL;

	if (certs == NULL || (data == NULL && len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	if (len == 0 || len > SNP_CERT_INPUT_MAX)
		return len == 0 ? KBS_ERR_CERT_PARSE : KBS_ERR_TOO_LARGE;
	if (certs->n == SNP_CERTS_MAX)
		return KBS_ERR_TOO_LARGE;
	if ((r = snp_der_or_pem(
		 &cert_type, data, len, got, SNP_CERTS_MAX - certs->n, KBS_ERR_TOO_LARGE, &n)) != 0)
		return r;
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

/*
 * snp_certtable_parse: the public face of the certificate table walker
 * (certtable.c). All or nothing: the entries are first parsed into a
 * scratch set, so a table with one bad certificate adds none, and the
 * caller's set is checked for room (SNP_CERTS_MAX certificates) before
 * the parsed certificates are moved into it.
 */
int
snp_certtable_parse(const uint8_t *data, size_t len, struct snp_certs *certs)
{
	struct snp_certtable_entry entries[SNP_CERTTABLE_KIND_COUNT];
	struct snp_certs *scratch = NULL;
	size_t n = 0, i;
	int r = KBS_ERR_INTERNAL;

	if (certs == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = snp_certtable_entries(data, len, entries, KBS_ARRAY_SIZE(entries), &n)) != 0)
		goto out;
	if ((r = snp_certs_new(&scratch)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* The table carries DER only: PEM text here is malformed. */
		if (entries[i].data[0] != DER_SEQUENCE) {
			r = KBS_ERR_CERT_PARSE;
			goto out;
		}
		if ((r = snp_certs_add(scratch, entries[i].data, entries[i].len)) != 0)
			goto out;
	}
	if (snp_certs_count(certs) + snp_certs_count(scratch) > SNP_CERTS_MAX) {
		r = KBS_ERR_TOO_LARGE;
		goto out;
	}
	/* Move the parsed certificates over: no allocation, so nothing can fail half way. */
	memcpy(&certs->e[certs->n], scratch->e, scratch->n * sizeof(scratch->e[0]));
	certs->n += scratch->n;
	scratch->n = 0;
	r = 0;
out:
	snp_certs_free(scratch);
	return r;
}
