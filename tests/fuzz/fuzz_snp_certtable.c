/*
 * fuzz_snp_certtable.c: snp_certtable_entries, the extended report
 * certificate table walker, and snp_certtable_parse, which feeds the
 * entries to the certificate parser.
 *
 * Aborts when an invariant breaks: every returned entry lies inside the
 * input after the table header, is non-empty, and no kind repeats; the
 * parse adds all known entries or none.
 */
#include <stdlib.h>

#include <openssl/err.h>

#include "certtable-int.h"
#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_certtable_entry out[SNP_CERTTABLE_KIND_COUNT];
	int seen[SNP_CERTTABLE_KIND_COUNT] = { 0 };
	size_t n = 0, i;

	if (snp_certtable_entries(data, size, out, SNP_CERTTABLE_KIND_COUNT, &n) != 0)
		return 0;
	if (n > SNP_CERTTABLE_KIND_COUNT)
		abort();
	for (i = 0; i < n; i++) {
		size_t off;

		if ((unsigned)out[i].kind >= SNP_CERTTABLE_KIND_COUNT || seen[out[i].kind])
			abort();
		seen[out[i].kind] = 1;
		if (out[i].data < data || out[i].len == 0)
			abort();
		off = (size_t)(out[i].data - data);
		/* At least one entry and the terminator precede every certificate. */
		if (off < 2 * SNP_CERTTABLE_ENTRY_SIZE || off > size || out[i].len > size - off)
			abort();
	}
	{
		struct snp_certs *certs = NULL;

		if (snp_certs_new(&certs) != 0)
			abort();
		if (snp_certtable_parse(data, size, certs) == 0) {
			if (snp_certs_count(certs) != n)
				abort();
		} else if (snp_certs_count(certs) != 0) {
			abort();
		}
		snp_certs_free(certs);
	}
	/* snp/ leaves the OpenSSL error queue empty, whatever the table held. */
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
