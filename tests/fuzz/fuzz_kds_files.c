/*
 * fuzz_kds_files.c: what the broker's KDS fetcher and `kbs-admin certs
 * import` read from outside: the first byte picks the parser, the rest is
 * its input. 0: a path of a pre-loaded directory (kbs_kds_file_parse, the
 * admin API's {path}); 1: a VCEK/VLEK body (snp_signer_facts); 2: a
 * cert_chain body (snp_chain_facts); 3: a CRL body and its update times.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "kds.h"
#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kbs_kds_file f;
	struct snp_signer_facts facts;
	struct snp_crl *crl = NULL;
	enum snp_product p;
	enum snp_signing_key k;
	int64_t t, n;
	char *s;

	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		if ((s = malloc(size)) == NULL)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		if (kbs_kds_file_parse(s, &f) == 0 &&
		    (strlen(f.hwid) >= sizeof(f.hwid) || strlen(f.tcb) >= sizeof(f.tcb)))
			__builtin_trap();
		free(s);
		break;
	case 1:
		if (snp_signer_facts(data + 1, size - 1, &facts) == 0 && facts.hwid_len > 64)
			__builtin_trap();
		break;
	case 2:
		if (snp_chain_facts(data + 1, size - 1, &p, &k) == 0 && p == SNP_PRODUCT_UNKNOWN)
			__builtin_trap();
		break;
	case 3:
		if (snp_crl_load(data + 1, size - 1, &crl) == 0 &&
		    snp_crl_times(crl, &t, &n) == 0 && t == INT64_MIN)
			__builtin_trap(); /* only the absence of crashes matters */
		snp_crl_free(crl);
		break;
	}
	if (ERR_peek_error() != 0)
		__builtin_trap(); /* snp/ leaves the OpenSSL error queue empty */
	return 0;
}
