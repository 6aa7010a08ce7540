/*
 * amd_ext-int.h: the AMD extensions of VCEK and VLEK certificates
 * (OID arc 1.3.6.1.4.1.3704.1), private to snp/.
 */
#ifndef SNP_AMD_EXT_INT_H
#define SNP_AMD_EXT_INT_H

#include <openssl/x509.h>

#include "snp.h"

#define SNP_HWID_MAX 64
#define SNP_PRODUCT_NAME_MAX 32
#define SNP_CSP_ID_MAX 128 /* with NUL; matches snp_verify_result.csp_id */

struct snp_amd_ext {
	uint32_t struct_version;
	char product_name[SNP_PRODUCT_NAME_MAX]; /* as in the certificate, e.g. "Milan-B0" */
	struct snp_tcb spl;                      /* blSPL, teeSPL, snpSPL, ucodeSPL, fmcSPL */
	int has_fmc;                             /* fmcSPL present (Turin) */
	uint8_t hwid[SNP_HWID_MAX];
	size_t hwid_len; /* 0: no hwID (a VLEK); else 8 or 64 */
	char csp_id[SNP_CSP_ID_MAX];
	int has_csp_id; /* VLEK only */
};

/*
 * snp_amd_ext_parse reads the AMD extensions of x into *ret.
 * Required: structVersion, productName, blSPL, teeSPL, snpSPL, ucodeSPL.
 * Optional: fmcSPL, hwID (8 or 64 raw bytes), csp_id. Each present value
 * must be strict DER of the right type (INTEGER 0..255 for SPLs, INTEGER
 * for structVersion, IA5String of printable characters for names), no
 * extension may repeat. KBS_ERR_CERT_EXTENSION otherwise. *ret is written
 * only on success.
 */
KBS_MUST_CHECK int snp_amd_ext_parse(X509 *x, struct snp_amd_ext *ret);

/*
 * snp_amd_ext_product_name reads only productName (the product check runs
 * before the signer certificate's signature is verified, so nothing else is
 * decoded then). KBS_ERR_CERT_EXTENSION if missing or malformed.
 */
KBS_MUST_CHECK int snp_amd_ext_product_name(X509 *x, char *out, size_t out_size);

#endif
