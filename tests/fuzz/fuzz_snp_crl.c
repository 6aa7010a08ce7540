/*
 * fuzz_snp_crl.c: snp_crl_load on arbitrary bytes (DER or PEM), then the
 * CRL checks that need no AMD signature: times and revocation lookup.
 */
#include <stdint.h>
#include <stddef.h>

#include <openssl/err.h>

#include "crl-int.h"
#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_crl *crl = NULL;
	ASN1_INTEGER *serial;
	char detail[160];

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
	snp_crl_free(crl);
	if (ERR_peek_error() != 0)
		__builtin_trap();
	return 0;
}
