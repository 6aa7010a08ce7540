/*
 * sig_openssl-int.h: the OpenSSL backend of the report signature check
 * (sig_openssl.c), for tests and benchmarks only. It has the contract of
 * snp_sig_verify_p384 (sig-int.h) so tests can require both backends to
 * agree on every vector; production code verifies with nettle and never
 * builds an OpenSSL key.
 */
#ifndef SNP_SIG_OPENSSL_INT_H
#define SNP_SIG_OPENSSL_INT_H

#include <openssl/evp.h>

#include "sig-int.h"

/*
 * snp_p384_pubkey_to_openssl builds the OpenSSL key for the point of a
 * loaded key into *ret (free with EVP_PKEY_free). KBS_ERR_INVALID_ARGUMENT
 * for a key not loaded, KBS_ERR_CERT_KEY if OpenSSL refuses the point,
 * KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int snp_p384_pubkey_to_openssl(const struct snp_p384_pubkey *key, EVP_PKEY **ret);

/* snp_sig_verify_p384_openssl: snp_sig_verify_p384's contract through EVP_DigestVerify. */
KBS_MUST_CHECK int snp_sig_verify_p384_openssl(
    EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t r_le[72], const uint8_t s_le[72]);

#endif
