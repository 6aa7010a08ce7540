/*
 * cmd_report.c: `kbs-client report`, "get an attestation report": one
 * report from an attester, raw, and the certificate table that came with
 * it, raw, for `kbs-client verify --report R.bin --certs-table TABLE.bin`
 * offline or elsewhere.
 *
 *   kbs-client report --out R.bin [--certs-out TABLE.bin] [--report-data HEX]
 *       [--attester auto|tsm|sev-guest|sim:DIR]
 *
 * REPORT_DATA is 128 hex digits; without --report-data it is 64 random
 * bytes, printed. The sim attester returns certificates but no table: one
 * is laid out from them (VCEK, ASK). When the platform returned no table
 * (a host that serves none), --certs-out is not written and a line says
 * so. Files are written 0600 through a temporary file and a rename.
 *
 * Exit codes: 0 written, 2 usage or I/O error, 4 the attester failed.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "attester.h"
#include "cli.h"
#include "kbsclient-int.h"

#define PROG "kbs-client report"
#define REPORT_EXIT_ATTESTER 4

static const char report_usage[] =
    "usage: kbs-client report --out R.bin [--certs-out TABLE.bin] [--report-data HEX]\n"
    "       [--attester auto|tsm|sev-guest|sim:DIR]\n";

struct report_args {
	const char *out;
	const char *certs_out;
	const char *report_data;
	const char *attester;
};

static int
parse_args(int argc, char **argv, struct report_args *a)
{
	static const struct option options[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "certs-out", required_argument, NULL, 'c' },
		{ "report-data", required_argument, NULL, 'd' },
		{ "attester", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->attester = "auto";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'c':
			a->certs_out = optarg;
			break;
		case 'd':
			a->report_data = optarg;
			break;
		case 'a':
			a->attester = optarg;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return 1;
		default:
			fputs(report_usage, stderr);
			return -1;
		}
	}
	if (a->out == NULL || optind != argc) {
		fprintf(stderr, PROG ": %s\n%s",
		    a->out == NULL ? "--out is required" : "unexpected argument", report_usage);
		return -1;
	}
	return 0;
}

/* attester_failed prints the cause: the code's sentence, then the step or errno. */
static int
attester_failed(const char *spec, const struct attester *att, int r)
{
	const char *d = attester_detail(att);

	if (*d == '\0' && attester_err_has_errno(r))
		d = strerror(errno);
	fprintf(stderr, PROG ": attester %.200s: %s%s%s\n", spec, kbs_err_str(r),
	    *d != '\0' ? ": " : "", d);
	return REPORT_EXIT_ATTESTER;
}

static int
write_out(const char *path, const char *what, const uint8_t *data, size_t len)
{
	if (kbsc_write_private_file(path, data, len) != 0) {
		fprintf(stderr, PROG ": cannot write %s %.200s: %s\n", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	struct report_args a;
	struct attester *att = NULL;
	struct attester_evidence e;
	uint8_t report_data[64];
	char hex[2 * sizeof(report_data) + 1];
	uint8_t *table = NULL;
	size_t table_len = 0;
	int r, rc = CLI_EXIT_USAGE;

	memset(&e, 0, sizeof(e));
	if ((r = parse_args(argc, argv, &a)) != 0)
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (a.report_data == NULL)
		randombytes_buf(report_data, sizeof(report_data));
	else if (kbs_hex_decode_exact(
		     a.report_data, strlen(a.report_data), report_data, sizeof(report_data)) != 0) {
		fprintf(stderr, PROG ": --report-data needs 128 hex digits\n");
		return CLI_EXIT_USAGE;
	}
	if ((r = attester_open(a.attester, &att)) != 0)
		return attester_failed(a.attester, NULL, r);
	if (attester_is_simulated(att))
		fprintf(stderr,
		    PROG ": attester %s is SIMULATED: its report verifies only with "
			 "--trust-root for it\n",
		    attester_kind(att));
	if ((r = attester_get_report(att, report_data, &e)) != 0) {
		rc = attester_failed(a.attester, att, r);
		goto out;
	}
	if (write_out(a.out, "report", e.report, sizeof(e.report)) != 0)
		goto out;
	if (a.certs_out != NULL) {
		if (e.certtable != NULL) {
			if (write_out(a.certs_out, "certificate table", e.certtable,
				e.certtable_len) != 0)
				goto out;
		} else if (e.ncerts > 0) {
			if ((r = attester_certtable_build(&e, &table, &table_len)) != 0) {
				fprintf(stderr, PROG ": %s\n", kbs_err_str(r));
				goto out;
			}
			if (write_out(a.certs_out, "certificate table", table, table_len) != 0)
				goto out;
		} else {
			fprintf(stderr,
			    PROG ": the platform returned no certificate table: %.200s not written "
				 "(verify fetches the VCEK from AMD's KDS)\n",
			    a.certs_out);
		}
	}
	sodium_bin2hex(hex, sizeof(hex), report_data, sizeof(report_data));
	printf("%sreport written to %s (attester %s, %zu certificates, report_data %s)\n",
	    attester_is_simulated(att) ? "simulated " : "", a.out, attester_kind(att), e.ncerts,
	    hex);
	rc = CLI_EXIT_OK;
out:
	free(table);
	attester_evidence_clear(&e);
	attester_close(att);
	return rc;
}
