/*
 * cmd_show.c: `kbs-client show`, every report field decoded for people.
 * It parses (so malformed reports are refused) but verifies nothing.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"

int
cmd_show(int argc, char **argv)
{
	static const struct option options[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "product", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct snp_report report;
	enum snp_product explicit_product = SNP_PRODUCT_UNKNOWN, product;
	const char *report_path = NULL, *source = "";
	int json = 0, c, rc, parse_err = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'r':
			report_path = optarg;
			break;
		case 'p':
			if (snp_product_from_name(optarg, &explicit_product) != 0) {
				fprintf(
				    stderr, "kbs-client show: unknown product '%.40s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (report_path == NULL || optind != argc) {
		fprintf(stderr, "usage: kbs-client show --report R.bin [--product P] [--json]\n");
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_read_report(report_path, &report, &parse_err)) != CLI_EXIT_OK) {
		if (parse_err != 0)
			fprintf(stderr, "kbs-client show: %s: %s\n", kbs_err_name(parse_err),
			    kbs_err_str(parse_err));
		return rc;
	}
	product = cli_report_product(&report, explicit_product, &source);
	if (json)
		return cli_print_json(report_to_json(&report, product, source));
	report_print_text(stdout, &report, product, source);
	return CLI_EXIT_OK;
}
