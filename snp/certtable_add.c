/*
 * certtable_add.c: snp_certtable_parse, the public face of the certificate
 * table walker (certtable.c): every known entry's DER goes into a
 * struct snp_certs through snp_certs_add.
 *
 * All or nothing: the entries are first parsed into a scratch set, so a
 * table with one bad certificate adds none, and the caller's set is
 * checked for room (SNP_CERTS_MAX certificates) before the parsed
 * certificates are moved into it.
 */
#include <string.h>

#include "snp.h"

#include "certtable-int.h"
#include "chain-int.h"

#define DER_SEQUENCE 0x30

int
snp_certtable_parse(const uint8_t *data, size_t len, struct snp_certs *certs)
{
	struct snp_certtable_entry entries[SNP_CERTTABLE_KIND_COUNT];
	struct snp_certs *scratch = NULL;
	size_t n = 0, i;
	int r = KBS_ERR_INTERNAL;

	if (certs == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = snp_certtable_entries(data, len, entries, KBS_ARRAY_SIZE(entries), &n)) != 0)
		goto out;
	if ((r = snp_certs_new(&scratch)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* The table carries DER only: PEM text here is malformed. */
		if (entries[i].data[0] != DER_SEQUENCE) {
			r = KBS_ERR_CERT_PARSE;
			goto out;
		}
		if ((r = snp_certs_add(scratch, entries[i].data, entries[i].len)) != 0)
			goto out;
	}
	if (snp_certs_count(certs) + snp_certs_count(scratch) > SNP_CERTS_MAX) {
		r = KBS_ERR_TOO_LARGE;
		goto out;
	}
	/* Move the parsed certificates over: no allocation, so nothing can fail half way. */
	memcpy(&certs->e[certs->n], scratch->e, scratch->n * sizeof(scratch->e[0]));
	certs->n += scratch->n;
	scratch->n = 0;
	r = 0;
out:
	snp_certs_free(scratch);
	return r;
}
