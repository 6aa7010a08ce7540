/*
 * fuzz_attester_answers.c: what the kernel hands the two real attesters,
 * read by the same functions the attesters call:
 *   'g'  sev-guest: the SNP_GET_EXT_REPORT response message (the first
 *        4000 bytes, zero-filled when shorter, as the attester's buffer
 *        is) and the certificate buffer (the rest):
 *        attester_sevguest_take_response
 *   't'  configfs-tsm: a short text attribute (provider):
 *        attester_tsm_parse_text
 *   'n'  configfs-tsm: a number attribute (generation,
 *        privlevel_floor): attester_tsm_parse_u64
 * The certificate table inside auxblob and the certificate buffer is
 * attester_evidence_take_certtable, fuzzed by fuzz_attester_certtable.
 *
 * Invariants (abort on violation): an accepted response has status 0 and
 * report size SNP_REPORT_SIZE and its report is the response's bytes at
 * 0x20; a refusal leaves *ret alone; an accepted text is the input up to
 * its trailing newlines and NULs, without a NUL inside; an accepted
 * number prints back as the input's digits (leading zeros aside).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attester-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESP_SIZE 4000

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_attester_answers: %s\n", what);
	abort();
}

static void
fuzz_sevguest(const uint8_t *data, size_t size)
{
	static uint8_t resp[RESP_SIZE];
	struct attester_evidence e, blank;
	char detail[ATTESTER_DETAIL_MAX];
	size_t n = size < RESP_SIZE ? size : RESP_SIZE, clen = size - n;
	uint8_t *certs;
	uint32_t status, rsize;
	int r;

	memset(resp, 0, sizeof(resp));
	memcpy(resp, data, n);
	if ((certs = malloc(clen > 0 ? clen : 1)) == NULL)
		return;
	if (clen > 0)
		memcpy(certs, data + n, clen);
	memset(&e, 0x5a, sizeof(e));
	memcpy(&blank, &e, sizeof(e));
	detail[0] = '\0';
	r = attester_sevguest_take_response(
	    resp, sizeof(resp), certs, clen, &e, detail, sizeof(detail));
	memcpy(&status, resp, 4);
	memcpy(&rsize, resp + 4, 4);
	if (r != 0) {
		if (r == KBS_ERR_SEV_GUEST_RESPONSE && (errno != EBADMSG || detail[0] == '\0'))
			fail("a refused response without its reason");
		if (memcmp(&e, &blank, sizeof(e)) != 0)
			fail("a refusal wrote the evidence");
		return;
	}
	if (status != 0 || rsize != SNP_REPORT_SIZE ||
	    memcmp(e.report, resp + 0x20, SNP_REPORT_SIZE) != 0 || e.ncerts > 3)
		fail("accepted a response it should not have");
	attester_evidence_clear(&e);
}

static void
fuzz_text(const uint8_t *data, size_t size)
{
	char out[64];
	size_t n = size;

	memset(out, 0x5a, sizeof(out));
	if (attester_tsm_parse_text(data, size, out, sizeof(out)) != 0) {
		if (errno != EBADMSG)
			fail("text: a refusal without EBADMSG");
		return;
	}
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\0'))
		n--;
	if (strlen(out) != n || memcmp(out, data, n) != 0)
		fail("text: not the input without its trailing newlines");
}

static void
fuzz_number(const uint8_t *data, size_t size)
{
	unsigned long long v = 12345;
	char printed[32], text[64];
	const char *digits;

	if (attester_tsm_parse_u64(data, size, &v) != 0) {
		if (errno != EBADMSG || v != 12345)
			fail("number: a refusal without EBADMSG, or one that wrote");
		return;
	}
	if (attester_tsm_parse_text(data, size, text, sizeof(text)) != 0)
		fail("number: accepted text the text reader refuses");
	snprintf(printed, sizeof(printed), "%llu", v);
	for (digits = text; digits[0] == '0' && digits[1] != '\0'; digits++)
		;
	if (strcmp(printed, digits) != 0)
		fail("number: does not print back as its digits");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	switch (data[0]) {
	case 'g':
		fuzz_sevguest(data + 1, size - 1);
		break;
	case 't':
		fuzz_text(data + 1, size - 1);
		break;
	case 'n':
		fuzz_number(data + 1, size - 1);
		break;
	default:
		break;
	}
	return 0;
}
