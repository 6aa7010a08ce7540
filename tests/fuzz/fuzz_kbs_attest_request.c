/*
 * fuzz_kbs_attest_request.c: kbs_attest_decode, the reader of POST
 * /v1/attest bodies (the first thing an unauthenticated caller reaches),
 * then the report's shape check on what it decoded, on arbitrary bytes.
 *
 * Invariants (abort on violation): a refusal is one of the decoder's five
 * codes, with a reason for BAD_REQUEST; an accepted body has a 32-byte
 * nonce, a report of at most SNP_REPORT_SIZE + 1 bytes, at most 8
 * certificates, and 1..32 secret names of 1..255 bytes without NUL, no two
 * alike. Everything is freed by kbs_attest_free (ASan and LeakSanitizer
 * check that in the sanitizer build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_kbs_attest_request: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kbs_req req;
	struct kbs_attest *a;
	struct snp_report rep;
	const char *reason = NULL;
	size_t i, j;
	int r;

	if (size > (256u << 10)) /* the broker's body cap */
		return 0;
	memset(&req, 0, sizeof(req));
	req.body = data;
	req.body_len = size;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return 0;
	a->req = &req;
	r = kbs_attest_decode(a, &reason);
	if (r != 0) {
		if (r != KBS_ERR_BAD_REQUEST && r != KBS_ERR_BAD_BASE64 &&
		    r != KBS_ERR_NONCE_MALFORMED && r != KBS_ERR_REPORT_LENGTH &&
		    r != KBS_ERR_ALLOC)
			fail("unexpected code");
		if (r == KBS_ERR_BAD_REQUEST && (reason == NULL || reason[0] == '\0'))
			fail("a bad request without a reason");
		kbs_attest_free(a);
		return 0;
	}
	if (a->report_len > SNP_REPORT_SIZE + 1 || a->n_certs > KBS_ATTEST_MAX_CERTS ||
	    a->n_secrets == 0 || a->n_secrets > KBS_ATTEST_MAX_SECRETS)
		fail("accepted out of bounds");
	for (i = 0; i < a->n_secrets; i++) {
		size_t n = strlen(a->secrets[i].name);

		if (n == 0 || n > 255)
			fail("a secret name out of bounds");
		for (j = 0; j < i; j++)
			if (strcmp(a->secrets[i].name, a->secrets[j].name) == 0)
				fail("a secret named twice");
	}
	/* What the attest path does next with it: a report of the wrong length never parses. */
	if (snp_report_parse(a->report_raw, a->report_len, &rep) == 0 &&
	    a->report_len != SNP_REPORT_SIZE)
		fail("a report of the wrong length parsed");
	kbs_attest_free(a);
	return 0;
}
