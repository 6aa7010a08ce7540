/*
 * der.c: reading certificates and CRLs as DER or PEM (der-int.h).
 *
 * Format notes and limits:
 *   - DER input is exactly one object: OpenSSL's parser must consume every
 *     byte, and the bytes must be DER, not merely BER. OpenSSL accepts
 *     BER (indefinite lengths, lengths with leading zero bytes or in the
 *     long form when the short one fits) and keeps the bytes it was given
 *     for the signed part, so without this check one certificate would
 *     have many byte forms, each with its own SHA-256 (the chain cache
 *     and the CRL signature cache key on that digest).
 *   - DER is checked twice. A fresh encoding of the parsed object must
 *     equal the input; but OpenSSL re-encodes from what it keeps, and it
 *     keeps the bytes of names and of BOOLEANs as they came, so a walk of
 *     the whole TLV tree, through the bounded cursor of common/kbs_buf.h
 *     and at most SNP_DER_MAX_DEPTH deep, checks the rest: every length
 *     definite and in its shortest form, low tag numbers only (X.509
 *     uses no other), a BOOLEAN one byte of 0x00 or 0xFF. The encoding
 *     catches what the walk does not look at (non-zero unused bits of a
 *     BIT STRING, which OpenSSL clears). Not covered: a DEFAULT value
 *     written out where OpenSSL keeps it (an extension marked critical
 *     FALSE), and the inside of OCTET STRINGs (extension values, read by
 *     their own parsers).
 *   - PEM: one or more blocks of the object's label; text before a block
 *     is skipped (RFC 7468 explanatory text, e.g. "# SEV-VCEK" lines in
 *     some bundles); after the last block only whitespace may follow.
 *     Each block's payload is DER as above; PEM headers (encrypted PEM)
 *     and empty payloads are refused.
 *   - The callers cap the input size (certs.c 1 MiB, crl.c 4 MiB); here
 *     a length beyond INT_MAX is refused before it reaches OpenSSL.
 */
#include "der-int.h"

#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#define TAG_BOOLEAN 0x01
#define TAG_CONSTRUCTED 0x20
#define TAG_NUMBER_MASK 0x1f /* all ones: the tag number follows (high-tag form) */
#define LEN_LONG_FORM 0x80
#define LEN_MAX_OCTETS 8 /* OpenSSL reads at most a long's worth */

/* read_length reads a length octet sequence; only the shortest definite form is DER. */
static int
read_length(struct kbs_buf *b, size_t *ret, int parse_err, int not_der_err)
{
	uint8_t first, byte;
	size_t n, i, v = 0;
	int leading_zero = 0;

	if (kbs_buf_get_u8(b, &first) != 0)
		return parse_err;
	if (first < LEN_LONG_FORM) {
		*ret = first;
		return 0;
	}
	if (first == LEN_LONG_FORM)
		return not_der_err; /* indefinite length */
	n = first & (LEN_LONG_FORM - 1);
	if (n > LEN_MAX_OCTETS)
		return parse_err;
	for (i = 0; i < n; i++) {
		if (kbs_buf_get_u8(b, &byte) != 0)
			return parse_err;
		if (i == 0 && byte == 0)
			leading_zero = 1;
		if (v > (SIZE_MAX >> 8))
			return parse_err;
		v = (v << 8) | byte;
	}
	if (leading_zero || v < LEN_LONG_FORM)
		return not_der_err; /* a shorter form exists */
	*ret = v;
	return 0;
}

static int walk_elements(struct kbs_buf *b, unsigned depth, int parse_err, int not_der_err);

/* walk_element reads one TLV and, if constructed, everything inside it. */
static int
walk_element(struct kbs_buf *b, unsigned depth, int parse_err, int not_der_err)
{
	const uint8_t *content;
	struct kbs_buf inner;
	uint8_t tag;
	size_t len = 0;
	int r;

	if (kbs_buf_get_u8(b, &tag) != 0)
		return parse_err;
	if ((tag & TAG_NUMBER_MASK) == TAG_NUMBER_MASK)
		return not_der_err;
	if ((r = read_length(b, &len, parse_err, not_der_err)) != 0)
		return r;
	if (kbs_buf_get_direct(b, len, &content) != 0)
		return parse_err;
	/* OpenSSL keeps a BOOLEAN's byte as it was, so only the walk can see a BER true. */
	if (tag == TAG_BOOLEAN && (len != 1 || (content[0] != 0x00 && content[0] != 0xff)))
		return not_der_err;
	if (!(tag & TAG_CONSTRUCTED))
		return 0;
	if (depth == SNP_DER_MAX_DEPTH)
		return not_der_err;
	kbs_buf_init(&inner, content, len);
	return walk_elements(&inner, depth + 1, parse_err, not_der_err);
}

static int
walk_elements(struct kbs_buf *b, unsigned depth, int parse_err, int not_der_err)
{
	int r;

	while (kbs_buf_remaining(b) > 0) {
		if ((r = walk_element(b, depth, parse_err, not_der_err)) != 0)
			return r;
	}
	return 0;
}

int
snp_der_check(const uint8_t *der, size_t len, int parse_err, int not_der_err)
{
	struct kbs_buf b;
	int r;

	if (der == NULL && len != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	kbs_buf_init(&b, der, len);
	if ((r = walk_element(&b, 0, parse_err, not_der_err)) != 0)
		return r;
	return kbs_buf_expect_end(&b) == 0 ? 0 : parse_err;
}

int
snp_der_one(const struct snp_der_type *t, const uint8_t *der, size_t len, void **ret)
{
	const unsigned char *p = der;
	unsigned char *fresh = NULL;
	void *obj = NULL;
	int flen, r;

	if (t == NULL || ret == NULL || (der == NULL && len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	r = t->parse_err;
	if (len == 0 || len > INT_MAX)
		goto out;
	if ((obj = t->d2i(&p, (long)len)) == NULL || (size_t)(p - der) != len)
		goto out;
	if ((r = snp_der_check(der, len, t->parse_err, t->not_der_err)) != 0)
		goto out;
	if ((flen = t->i2d_fresh(obj, &fresh)) <= 0) {
		r = KBS_ERR_ALLOC;
		goto out;
	}
	if ((size_t)flen != len || memcmp(fresh, der, len) != 0) {
		r = t->not_der_err;
		goto out;
	}
	*ret = obj;
	obj = NULL;
	r = 0;
out:
	OPENSSL_free(fresh);
	if (obj != NULL)
		t->free(obj);
	ERR_clear_error();
	return r;
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

/* read_pem collects up to max blocks into out[0..*ret_n). */
static int
read_pem(const struct snp_der_type *t, const uint8_t *data, size_t len, void **out, size_t max,
    int too_many_err, size_t *ret_n)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *payload = NULL;
	const char *rest = NULL;
	long plen = 0, left;
	size_t n = 0;
	int r = t->parse_err;

	if (len > INT_MAX)
		goto out;
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
		if (strcmp(name, t->pem_label) != 0 || header[0] != '\0' || plen <= 0)
			goto out;
		if (n == max) {
			r = too_many_err;
			goto out;
		}
		if ((r = snp_der_one(t, payload, (size_t)plen, &out[n])) != 0)
			goto out;
		n++;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(payload);
		name = header = NULL;
		payload = NULL;
		r = t->parse_err;
	}
	if (n == 0)
		goto out;
	*ret_n = n;
	n = 0;
	r = 0;
out:
	while (n > 0)
		t->free(out[--n]);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(payload);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int
snp_der_or_pem(const struct snp_der_type *t, const uint8_t *data, size_t len, void **out,
    size_t max, int too_many_err, size_t *ret_n)
{
	int r;

	if (t == NULL || out == NULL || ret_n == NULL || max == 0 || (data == NULL && len != 0))
		return KBS_ERR_INVALID_ARGUMENT;
	if (len == 0)
		return t->parse_err;
	if (data[0] != 0x30)
		return read_pem(t, data, len, out, max, too_many_err, ret_n);
	if ((r = snp_der_one(t, data, len, &out[0])) != 0)
		return r;
	*ret_n = 1;
	return 0;
}
