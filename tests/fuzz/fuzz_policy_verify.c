/*
 * fuzz_policy_verify.c: policy_verify, the evidence pipeline, on arbitrary
 * inputs routed to its slots, with one verifier for the whole run (as the
 * broker shares one).
 *
 * Input layout: byte 0 chooses the slots (bit 0: the middle part is the
 * extended report's certificate table, else a certificate blob; bit 1:
 * the last part is a CRL; bit 2: that CRL is the VLEK list; bit 3: allow
 * a stale CRL); bytes 1..2 (little-endian) give the length of the middle
 * part; then SNP_REPORT_SIZE bytes of report (fewer if the input is
 * short), the middle part, and the rest.
 *
 * Invariants (abort on violation): verified evidence exists exactly when
 * no input was refused; genuine evidence has a report, rejected evidence
 * none but still a result naming its failed check; an input error names
 * an input unless it is an argument or memory error; the OpenSSL error
 * queue is left empty.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct snp_verifier *verifier;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_input in;
	struct policy_input_error where;
	struct policy_blob blob;
	struct policy_crl_input *crl;
	struct policy_verified *ev = NULL;
	const struct snp_verify_result *res;
	size_t mid, off;
	uint8_t flags;
	int r;

	if (verifier == NULL && snp_verifier_new(&verifier) != 0)
		abort();
	if (size < 3)
		return 0;
	flags = data[0];
	mid = (size_t)data[1] | (size_t)data[2] << 8;
	data += 3;
	size -= 3;
	memset(&in, 0, sizeof(in));
	in.report = data;
	in.report_len = size < SNP_REPORT_SIZE ? size : SNP_REPORT_SIZE;
	off = in.report_len;
	if (mid > size - off)
		mid = size - off;
	if (flags & 1) {
		in.certtable = data + off;
		in.certtable_len = mid;
	} else {
		blob.data = data + off;
		blob.len = mid;
		in.certs = &blob;
		in.cert_count = 1;
	}
	off += mid;
	if ((flags & 2) && off < size) {
		crl = (flags & 4) ? &in.vlek_crl : &in.vcek_crl;
		crl->data = data + off;
		crl->len = size - off;
	}
	in.allow_stale_crl = (flags & 8) != 0;
	in.at = 1782864000; /* 2026-07-01 */

	r = policy_verify(verifier, &in, &ev, &where);
	res = policy_verified_result(ev);
	if (ev == NULL) {
		if (r == 0 ||
		    (where.part == POLICY_INPUT_NONE && r != KBS_ERR_ALLOC &&
			r != KBS_ERR_INVALID_ARGUMENT))
			abort();
	} else if (where.part != POLICY_INPUT_NONE || res == NULL || res->err != r) {
		abort();
	} else if (r == 0 && policy_verified_report(ev) == NULL) {
		abort();
	} else if (r != 0 &&
	    (policy_verified_report(ev) != NULL ||
		(unsigned)res->failed_check >= SNP_CHECK_COUNT)) {
		abort();
	}
	policy_verified_free(ev);
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
