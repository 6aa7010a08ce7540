/*
 * evidence_files.c: reading the evidence files named on the command line
 * (with the pipeline's caps, policy_input_read_file) and choosing the
 * product used to decode TCBs for display.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_read_file(const char *path, const char *what, enum policy_input_part part, uint8_t **ret_data,
    size_t *ret_len)
{
	int r = policy_input_read_file(path, part, ret_data, ret_len);

	if (r != 0)
		fprintf(stderr, "kbs-client: cannot read %s %.200s: %s%s%s\n", what, path,
		    kbs_err_str(r), r == KBS_ERR_SYSTEM ? ": " : "",
		    r == KBS_ERR_SYSTEM ? strerror(errno) : "");
	return r;
}

int
cli_read_report(const char *path, struct snp_report *ret, int *ret_parse_err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	*ret_parse_err = 0;
	if (cli_read_file(path, "report", POLICY_INPUT_REPORT, &data, &len) != 0)
		return CLI_EXIT_USAGE;
	r = snp_report_parse(data, len, ret);
	free(data);
	if (r != 0) {
		*ret_parse_err = r;
		return CLI_EXIT_REJECTED;
	}
	return CLI_EXIT_OK;
}

enum snp_product
cli_report_product(
    const struct snp_report *report, enum snp_product explicit_product, const char **ret_source)
{
	enum snp_product p = SNP_PRODUCT_UNKNOWN;
	enum snp_product_source source;

	/*
	 * snp_product_select is the verifier's rule. Where the report claims
	 * nothing (v2, or zero CPUID bytes) the fallback is the Milan layout:
	 * Milan and Genoa share it and Turin firmware emits v3 or later with
	 * its CPUID, so that layout decodes such a report correctly; the
	 * output says it was assumed. A CPUID naming no known product (a new
	 * model, a later generation) is not decoded with a guessed layout:
	 * Turin already moved the fields, a later product may again.
	 */
	if (snp_product_select(report, explicit_product, SNP_PRODUCT_MILAN, &p, &source) != 0) {
		*ret_source = "unknown_cpuid";
		return SNP_PRODUCT_UNKNOWN;
	}
	switch (source) {
	case SNP_PRODUCT_FROM_HINT:
		*ret_source = "option";
		break;
	case SNP_PRODUCT_FROM_CPUID:
		*ret_source = "cpuid";
		break;
	default:
		*ret_source = report->version >= 3
		    ? "assumed (no CPUID in the report: Milan/Genoa layout)"
		    : "assumed (v2 report: Milan/Genoa layout)";
		break;
	}
	return p;
}
