/*
 * der-int.h: one reader for the X.509 objects snp/ accepts (certificates
 * in certs.c, CRLs in crl.c), given as DER or PEM, with one set of rules.
 * Private to snp/.
 */
#ifndef SNP_DER_INT_H
#define SNP_DER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_common.h"

/*
 * One kind of object. The callbacks are typed wrappers around OpenSSL's
 * d2i_X / i2d_X / X_free (the object behind void * is always the kind's
 * own type), so no function is called through an incompatible pointer.
 */
struct snp_der_type {
	const char *pem_label; /* "CERTIFICATE", "X509 CRL" */
	int parse_err;         /* malformed: KBS_ERR_CERT_PARSE, KBS_ERR_CRL_PARSE */
	int not_der_err;       /* BER, not DER: KBS_ERR_CERT_NOT_DER, KBS_ERR_CRL_NOT_DER */
	/* d2i parses one object from *p (len bytes), advancing *p; NULL on failure. */
	void *(*d2i)(const unsigned char **p, long len);
	/*
	 * i2d_fresh encodes obj anew, not from the encoding OpenSSL caches at
	 * parse time, into a new buffer *out (OPENSSL_free it); returns the
	 * length, <= 0 on failure.
	 */
	int (*i2d_fresh)(void *obj, unsigned char **out);
	void (*free)(void *obj);
};

/*
 * snp_der_one parses exactly one object of type t from der[0..len) into
 * *ret: the bytes must parse and be consumed whole (t->parse_err
 * otherwise), and must be DER (t->not_der_err otherwise): the walk of
 * snp_der_check passes, and a fresh encoding of the parsed object is
 * byte-identical to the input, so one object has one byte
 * form and its SHA-256 is its identity. KBS_ERR_ALLOC when OpenSSL runs
 * out of memory re-encoding. *ret is set only on success.
 */
KBS_MUST_CHECK int snp_der_one(
    const struct snp_der_type *t, const uint8_t *der, size_t len, void **ret);

/*
 * snp_der_or_pem reads data[0..len): input starting with an ASN.1
 * SEQUENCE tag (0x30) is one DER object; anything else is PEM, 1 to max
 * blocks labelled t->pem_label, each payload exactly one DER object (as
 * snp_der_one). Text before a block is skipped (RFC 7468 explanatory
 * text); after the last block only whitespace may follow; a block of
 * another label, with PEM headers or an empty payload is t->parse_err;
 * more than max blocks is too_many_err. On success out[0..*ret_n) holds
 * the objects in input order (the caller frees them with t->free); on
 * failure nothing is left allocated (out may have been written).
 */
KBS_MUST_CHECK int snp_der_or_pem(const struct snp_der_type *t, const uint8_t *data, size_t len,
    void **out, size_t max, int too_many_err, size_t *ret_n);

/*
 * snp_der_check walks the TLV tree of der[0..len) (into every constructed
 * element, at most SNP_DER_MAX_DEPTH deep) and returns 0 when it is one
 * element whose every length is definite and in its shortest form, with
 * low tag numbers only (X.509 uses no other) and every BOOLEAN one byte
 * of 0x00 or 0xFF. not_der_err for an indefinite or non-minimal length,
 * a high tag number, another BOOLEAN, nesting too deep;
 * parse_err for bytes that are no TLV tree at all (truncated, trailing).
 */
#define SNP_DER_MAX_DEPTH 32
KBS_MUST_CHECK int snp_der_check(const uint8_t *der, size_t len, int parse_err, int not_der_err);

#endif
