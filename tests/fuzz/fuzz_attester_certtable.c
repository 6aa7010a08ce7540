/*
 * fuzz_attester_certtable.c: attester_evidence_take_certtable, which turns
 * the certificate table a platform returns (configfs-tsm auxblob, the
 * sev-guest certificate buffer) into the evidence's certificates.
 *
 * Aborts when an invariant breaks: on success the evidence owns the table,
 * holds at most three certificates (VCEK or VLEK, then ASK), each a
 * non-empty copy of bytes found in the table; on failure it holds none.
 */
#include <stdlib.h>
#include <string.h>

#include "attester-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* contains: needle occurs in hay (each certificate is a slice of the table). */
static int
contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t len)
{
	size_t i;

	for (i = 0; len <= hay_len && i <= hay_len - len; i++) {
		if (memcmp(hay + i, needle, len) == 0)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attester_evidence e;
	uint8_t *copy;
	size_t i;

	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	memset(&e, 0, sizeof(e));
	if (attester_evidence_take_certtable(&e, copy, size) != 0) {
		if (e.ncerts != 0 || e.certtable != NULL)
			abort();
		return 0;
	}
	if (e.certtable != copy || e.certtable_len != size || e.ncerts > 3)
		abort();
	for (i = 0; i < e.ncerts; i++) {
		if (e.certs[i].len == 0 || !contains(data, size, e.certs[i].der, e.certs[i].len))
			abort();
	}
	attester_evidence_clear(&e);
	return 0;
}
