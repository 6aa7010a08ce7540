/*
 * sig-int.h: the report signature check (ECDSA P-384, SHA-384) behind one
 * function, so the backend can change. Private to snp/.
 *
 * The production backend is nettle (ecdsa_verify on secp384r1): on this
 * project's machines it verifies in about 265 us against 469 us for
 * OpenSSL 3.0's EVP_DigestVerify. The OpenSSL backend (sig_openssl-int.h)
 * has the same contract and exists so tests can require both to agree on
 * every vector; its key is built there, from the point kept here, so
 * production code never builds one.
 */
#ifndef SNP_SIG_INT_H
#define SNP_SIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/ecc.h>

#include "kbs_common.h"

#define SNP_P384_POINT_SIZE 97 /* 0x04 || X (48) || Y (48) */

/* A P-384 public key imported once (checked on the curve) for nettle. */
struct snp_p384_pubkey {
	uint8_t point[SNP_P384_POINT_SIZE]; /* 0x04 || X || Y, for the OpenSSL backend */
	struct ecc_point nettle;
	int loaded;
};

/*
 * snp_p384_pubkey_import imports an uncompressed point into an empty key.
 * KBS_ERR_CERT_KEY if it is not 0x04||X||Y with a point on P-384.
 * Release with snp_p384_pubkey_clear (also on a zeroed, never loaded key).
 */
KBS_MUST_CHECK int snp_p384_pubkey_import(
    struct snp_p384_pubkey *key, const uint8_t point[SNP_P384_POINT_SIZE]);
void snp_p384_pubkey_clear(struct snp_p384_pubkey *key);

/*
 * snp_sig_verify_p384 checks an ECDSA P-384 signature over SHA-384(msg).
 * r_le and s_le are the report's little-endian, zero-padded 72-byte
 * components. Returns 0 when valid; KBS_ERR_REPORT_SIGNATURE when the
 * signature does not verify or a component is zero, >= the curve order or
 * has non-zero padding; KBS_ERR_INVALID_ARGUMENT for a key not loaded.
 */
KBS_MUST_CHECK int snp_sig_verify_p384(const struct snp_p384_pubkey *key, const uint8_t *msg,
    size_t len, const uint8_t r_le[72], const uint8_t s_le[72]);

/*
 * snp_sig_component_ok returns 1 when a 72-byte little-endian R or S has
 * zero padding and lies in [1, n-1], else 0: the checks both backends make
 * first.
 */
int snp_sig_component_ok(const uint8_t v_le[72]);

#endif
