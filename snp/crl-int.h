/*
 * crl-int.h: private view of an AMD CRL (crl.c), for verify.c and tests.
 */
#ifndef SNP_CRL_INT_H
#define SNP_CRL_INT_H

#include <openssl/x509.h>

#include "snp.h"

struct snp_crl {
	X509_CRL *crl;
	uint8_t der_sha256[32];      /* identity for the signature-result cache */
	enum snp_signing_key signer; /* the chain the list speaks for (snp_crl_load_for) */
};

/* snp_crl_is_revoked returns 1 if serial is listed in crl, else 0. */
int snp_crl_is_revoked(const struct snp_crl *crl, const ASN1_INTEGER *serial);

/*
 * snp_crl_check_issuer_sig checks that the CRL was issued by ark
 * (KBS_ERR_CRL_ISSUER) and, when verify_sig, that it carries an
 * RSASSA-PSS SHA-384 salt 48 signature made with the ARK key
 * (KBS_ERR_CRL_SIGNATURE).
 */
KBS_MUST_CHECK int snp_crl_check_issuer_sig(
    const struct snp_crl *crl, X509 *ark, int verify_sig, char *detail, size_t detail_size);

/*
 * snp_crl_check_time checks thisUpdate <= at (KBS_ERR_CRL_NOT_YET_VALID)
 * and at <= nextUpdate unless allow_stale (KBS_ERR_CRL_STALE; a CRL
 * without nextUpdate counts as stale).
 */
KBS_MUST_CHECK int snp_crl_check_time(
    const struct snp_crl *crl, int64_t at, int allow_stale, char *detail, size_t detail_size);

#endif
