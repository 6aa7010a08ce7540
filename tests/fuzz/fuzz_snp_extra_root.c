/*
 * fuzz_snp_extra_root.c: snp_roots_add_extra (snp_verifier_add_root) on
 * arbitrary bytes, the operator-supplied --trust-root file. Accepted or not,
 * the roots stay consistent and the OpenSSL error queue empty.
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/err.h>

#include "chain-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snp_roots roots;
	static int loaded;
	int r;

	if (!loaded) {
		if (snp_roots_load(&roots) != 0)
			__builtin_trap();
		loaded = 1;
	}
	r = snp_roots_add_extra(&roots, data, size);
	if (r == 0) {
		if (roots.n_extra != 1 || roots.extra[0].index != 1 ||
		    roots.extra[0].product == SNP_PRODUCT_UNKNOWN ||
		    snp_roots_extra_by_der(&roots, roots.extra[0].sha256) != &roots.extra[0])
			__builtin_trap();
		/* Start the next input with no extra roots again. */
		X509_free(roots.extra[0].x);
		roots.extra[0].x = NULL;
		roots.n_extra = 0;
	} else if (roots.n_extra != 0) {
		__builtin_trap(); /* a refusal changes nothing */
	}
	if (ERR_peek_error() != 0)
		__builtin_trap();
	return 0;
}
