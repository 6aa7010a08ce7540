/*
 * fuzz_snp_certs.c: snp_certs_add on arbitrary bytes (DER or PEM), then
 * every decoder the verifier runs on a loaded certificate: the AMD
 * extensions, the key checks, the signature algorithm and the times.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include <openssl/err.h>

#include "amd_ext-int.h"
#include "chain-int.h"
#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_certs *certs = NULL;
	struct snp_amd_ext ext;
	const X509_ALGOR *alg = NULL;
	uint8_t point[97];
	char name[32];
	int64_t nb, na;
	size_t i;

	if (snp_certs_new(&certs) != 0)
		return 0;
	if (snp_certs_add(certs, data, size) == 0) {
		for (i = 0; i < snp_certs_count(certs); i++) {
			X509 *x = snp_certs_get(certs, i);

			if (snp_amd_ext_parse(x, &ext) == 0 && ext.hwid_len > SNP_HWID_MAX)
				__builtin_trap();
			if (snp_amd_ext_product_name(x, name, sizeof(name)) == 0 &&
			    memchr(name, '\0', sizeof(name)) == NULL)
				__builtin_trap();
			if (snp_check_p384(x, point) == 0 && point[0] != 0x04)
				__builtin_trap();
			if (snp_check_rsa4096(x) != 0) {
				/* only the verdict matters */
			}
			X509_get0_signature(NULL, &alg, x);
			if (snp_check_pss_alg(alg) != 0) {
				/* idem */
			}
			if (snp_cert_times(x, &nb, &na) != 0) {
				/* idem */
			}
		}
	}
	snp_certs_free(certs);
	/* Every snp/ function leaves the OpenSSL error queue empty, on success too. */
	if (ERR_peek_error() != 0)
		__builtin_trap();
	return 0;
}
