/*
 * fuzz_snp_report.c: snp_report_parse, snp_report_product and
 * snp_tcb_decode of every TCB field under every product layout.
 *
 * Besides "no crash, no sanitizer report" it checks invariants and aborts
 * when one breaks, so the fuzzer also finds logic errors: only 1184-byte
 * inputs parse, a parsed report keeps the exact input bytes and one of the
 * accepted versions, and an encode of a decoded TCB gives the raw value.
 */
#include <stdlib.h>
#include <string.h>

#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_tcb(uint64_t raw)
{
	static const enum snp_product products[] = {
		SNP_PRODUCT_UNKNOWN,
		SNP_PRODUCT_MILAN,
		SNP_PRODUCT_GENOA,
		SNP_PRODUCT_TURIN,
	};
	size_t i;

	for (i = 0; i < sizeof(products) / sizeof(products[0]); i++) {
		struct snp_tcb t;
		uint64_t back = 0;

		if (snp_tcb_decode(raw, products[i], &t) != 0)
			continue;
		if (products[i] == SNP_PRODUCT_UNKNOWN)
			abort(); /* an unknown product must never decode */
		if (snp_tcb_encode(&t, products[i], &back) != 0 || back != raw)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snp_report rep;
	enum snp_product product = SNP_PRODUCT_UNKNOWN;

	if (snp_report_parse(data, size, &rep) != 0)
		return 0;
	if (size != SNP_REPORT_SIZE || memcmp(rep.raw, data, size) != 0)
		abort();
	if (rep.version != 2 && rep.version != 3 && rep.version != 5)
		abort();
	if (rep.vmpl > 3 || rep.signature_algo != 1)
		abort();
	if (snp_report_product(&rep, &product) == 0 &&
	    (rep.version < 3 || product == SNP_PRODUCT_UNKNOWN))
		abort();
	check_tcb(rep.current_tcb);
	check_tcb(rep.reported_tcb);
	check_tcb(rep.committed_tcb);
	check_tcb(rep.launch_tcb);
	return 0;
}
