/*
 * fuzz_snp_crl.c: snp_crl_load on arbitrary bytes (DER or PEM), then the
 * CRL checks: times, revocation lookup, and the intake signature check
 * (snp_verifier_crl_check) for every product, which must accept a list
 * only for the product its issuer names (the genuine seed, Milan) and
 * answer nothing but crl_issuer or crl_signature otherwise.
 */
#include <stdint.h>
#include <stddef.h>

#include <openssl/err.h>

#include "crl-int.h"
#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One verifier for the run (its roots cost a parse each): the process owns it. */
static struct snp_verifier *
verifier(void)
{
	static struct snp_verifier *v;

	if (v == NULL && snp_verifier_new(&v) != 0)
		__builtin_trap();
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_crl *crl = NULL;
	ASN1_INTEGER *serial;
	char detail[160];
	int p, r;

	if (snp_crl_load(data, size, &crl) != 0) {
		if (ERR_peek_error() != 0)
			__builtin_trap(); /* snp/ leaves the OpenSSL error queue empty */
		return 0;
	}
	if ((serial = ASN1_INTEGER_new()) != NULL && ASN1_INTEGER_set(serial, 0x010001) == 1)
		(void)snp_crl_is_revoked(crl, serial);
	ASN1_INTEGER_free(serial);
	if (snp_crl_check_time(crl, 1780000000, 0, detail, sizeof(detail)) != 0) {
		/* only the absence of crashes matters */
	}
	for (p = SNP_PRODUCT_MILAN; p < SNP_PRODUCT_COUNT; p++) {
		r = snp_verifier_crl_check(
		    verifier(), crl, (enum snp_product)p, detail, sizeof(detail));
		if ((r == 0 && snp_crl_product(crl) != (enum snp_product)p) ||
		    (r != 0 && r != KBS_ERR_CRL_ISSUER && r != KBS_ERR_CRL_SIGNATURE))
			__builtin_trap();
	}
	snp_crl_free(crl);
	if (ERR_peek_error() != 0)
		__builtin_trap();
	return 0;
}
