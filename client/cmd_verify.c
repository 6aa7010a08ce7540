/*
 * cmd_verify.c: `kbs-client verify`, the offline evidence check.
 *
 * Steps: read and parse the report; load the VCEK/VLEK and any chain or
 * certificate table; load the CRL; run snp_verify_report at --at (default
 * now); then, if asked, compare the measurement in constant time. The
 * first failure decides: one line names the check and the reason (or, with
 * --json, an object lists every check's outcome).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct verify_args {
	const char *report_path;
	const char *vcek_path;
	const char *chain_path;
	const char *certtable_path;
	const char *crl_path;
	const char *expected_measurement;
	struct snp_verify_options opts;
	int json;
};

static int
parse_args(int argc, char **argv, struct verify_args *a)
{
	static const struct option options[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "vcek", required_argument, NULL, 'v' },
		{ "chain", required_argument, NULL, 'c' },
		{ "certs-table", required_argument, NULL, 't' },
		{ "crl", required_argument, NULL, 'l' },
		{ "allow-stale-crl", no_argument, NULL, 's' },
		{ "at", required_argument, NULL, 'a' },
		{ "product", required_argument, NULL, 'p' },
		{ "expected-measurement", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->opts.at = kbs_time_now();
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->report_path = optarg;
			break;
		case 'v':
			a->vcek_path = optarg;
			break;
		case 'c':
			a->chain_path = optarg;
			break;
		case 't':
			a->certtable_path = optarg;
			break;
		case 'l':
			a->crl_path = optarg;
			break;
		case 's':
			a->opts.allow_stale_crl = 1;
			break;
		case 'a':
			if (kbs_time_parse_rfc3339(optarg, &a->opts.at) != 0) {
				fprintf(stderr, "kbs-client verify: --at: %s\n", kbs_err_str(KBS_ERR_BAD_TIME));
				return -1;
			}
			break;
		case 'p':
			if (snp_product_from_name(optarg, &a->opts.product) != 0) {
				fprintf(stderr, "kbs-client verify: unknown product '%.40s'\n", optarg);
				return -1;
			}
			break;
		case 'm':
			a->expected_measurement = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		default:
			return -1;
		}
	}
	if (a->report_path == NULL || optind != argc) {
		fprintf(stderr, "usage: kbs-client verify --report R.bin [--vcek CERT] [--chain CHAIN] "
		                "[--certs-table T] [--crl CRL] [--allow-stale-crl] [--at RFC3339] "
		                "[--product P] [--expected-measurement HEX] [--json]\n");
		return -1;
	}
	return 0;
}

/* load_evidence_files fills certs and crl; prints and returns non-zero on an I/O or format error. */
static int
load_evidence_files(const struct verify_args *a, struct snp_certs *certs, struct snp_crl **ret_crl)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if (a->vcek_path != NULL && cli_add_cert_file(certs, a->vcek_path, "VCEK/VLEK") != 0)
		return -1;
	if (a->chain_path != NULL && cli_add_cert_file(certs, a->chain_path, "chain") != 0)
		return -1;
	if (a->certtable_path != NULL) {
		if ((r = kbs_file_read(a->certtable_path, CLI_MAX_CERT_FILE, &data, &len)) == 0) {
			r = snp_certtable_parse(data, len, certs);
			free(data);
		}
		if (r != 0) {
			fprintf(stderr, "kbs-client verify: certificate table %.200s: %s\n",
			    a->certtable_path, kbs_err_str(r));
			return -1;
		}
	}
	if (a->crl_path != NULL) {
		if ((r = kbs_file_read(a->crl_path, CLI_MAX_CERT_FILE, &data, &len)) == 0) {
			r = snp_crl_load(data, len, ret_crl);
			free(data);
		}
		if (r != 0) {
			fprintf(stderr, "kbs-client verify: CRL %.200s: %s\n", a->crl_path,
			    kbs_err_str(r));
			return -1;
		}
	}
	return 0;
}

/* check_measurement compares in constant time; 0, KBS_ERR_BAD_HEX or KBS_ERR_MEASUREMENT_MISMATCH. */
static int
check_measurement(const struct snp_report *report, const char *hex)
{
	uint8_t want[sizeof(report->measurement)];

	if (kbs_hex_decode_exact(hex, strlen(hex), want, sizeof(want)) != 0)
		return KBS_ERR_BAD_HEX;
	if (sodium_memcmp(want, report->measurement, sizeof(want)) != 0)
		return KBS_ERR_MEASUREMENT_MISMATCH;
	return 0;
}

static cJSON *
checks_to_json(const struct snp_verify_result *vr)
{
	cJSON *arr = cJSON_CreateArray(), *c;
	int i;

	for (i = 0; i < SNP_CHECK_COUNT; i++) {
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "check", snp_check_name((enum snp_check)i));
		cJSON_AddStringToObject(c, "outcome", snp_outcome_name(vr->checks[i].outcome));
		if (vr->checks[i].err != 0)
			cJSON_AddStringToObject(c, "error", kbs_err_name(vr->checks[i].err));
		if (vr->checks[i].detail[0] != '\0')
			cJSON_AddStringToObject(c, "detail", vr->checks[i].detail);
		cJSON_AddItemToArray(arr, c);
	}
	return arr;
}

static int
print_json_result(const struct verify_args *a, const struct snp_report *report,
    const struct snp_verify_result *vr, const char *failed_step, int err, int measurement_err)
{
	cJSON *root = cJSON_CreateObject(), *m;
	const char *source = "";
	enum snp_product product;
	char at[KBS_TIME_RFC3339_LEN];

	cJSON_AddStringToObject(root, "verdict", err == 0 ? "genuine" : "rejected");
	if (err != 0) {
		cJSON_AddStringToObject(root, "failed_step", failed_step);
		cJSON_AddStringToObject(root, "error", kbs_err_name(err));
		cJSON_AddStringToObject(root, "message", kbs_err_str(err));
	}
	if (kbs_time_format_rfc3339(a->opts.at, at, sizeof(at)) == 0)
		cJSON_AddStringToObject(root, "at", at);
	if (vr != NULL) {
		cJSON_AddStringToObject(root, "product", snp_product_name(vr->product));
		cJSON_AddStringToObject(root, "signer", snp_signing_key_name(vr->signer));
		if (vr->csp_id[0] != '\0')
			cJSON_AddStringToObject(root, "csp_id", vr->csp_id);
		cJSON_AddBoolToObject(root, "chain_cached", vr->chain_cached);
		cJSON_AddItemToObject(root, "checks", checks_to_json(vr));
	}
	if (a->expected_measurement != NULL) {
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "outcome",
		    vr == NULL || vr->err != 0 ? "not_run" : measurement_err == 0 ? "pass" : "fail");
		if (measurement_err != 0)
			cJSON_AddStringToObject(m, "error", kbs_err_name(measurement_err));
		cJSON_AddItemToObject(root, "expected_measurement", m);
	}
	if (report != NULL) {
		product = vr != NULL && vr->product != SNP_PRODUCT_UNKNOWN
		    ? vr->product
		    : cli_report_product(report, a->opts.product, &source);
		if (vr != NULL && vr->product != SNP_PRODUCT_UNKNOWN)
			source = "verified";
		cJSON_AddItemToObject(root, "report", report_to_json(report, product, source));
	}
	if (cli_print_json(root) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	return err == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

int
cmd_verify(int argc, char **argv)
{
	struct verify_args a;
	struct snp_report report;
	struct snp_certs *certs = NULL;
	struct snp_crl *crl = NULL;
	struct snp_verifier *verifier = NULL;
	struct snp_verify_result vr;
	const struct snp_check_result *failed;
	int rc = CLI_EXIT_USAGE, parse_err = 0, err, measurement_err = 0;

	memset(&vr, 0, sizeof(vr));
	if (parse_args(argc, argv, &a) != 0)
		return CLI_EXIT_USAGE;
	if ((rc = cli_read_report(a.report_path, &report, &parse_err)) != CLI_EXIT_OK) {
		if (parse_err == 0)
			return rc;
		if (a.json)
			return print_json_result(&a, NULL, NULL, "report_format", parse_err, 0);
		printf("REJECTED report_format: %s (%s)\n", kbs_err_str(parse_err),
		    kbs_err_name(parse_err));
		return CLI_EXIT_REJECTED;
	}
	rc = CLI_EXIT_USAGE;
	if ((err = snp_certs_new(&certs)) != 0 || (err = snp_verifier_new(&verifier)) != 0) {
		fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(err));
		goto out;
	}
	if (load_evidence_files(&a, certs, &crl) != 0)
		goto out;
	a.opts.crl = crl;
	err = snp_verify_report(verifier, &report, certs, &a.opts, &vr);
	if (err == 0 && a.expected_measurement != NULL &&
	    (measurement_err = check_measurement(&report, a.expected_measurement)) == KBS_ERR_BAD_HEX) {
		fprintf(stderr, "kbs-client verify: --expected-measurement needs 96 hex digits\n");
		goto out;
	}
	if (a.json) {
		rc = print_json_result(&a, &report, &vr,
		    err != 0 ? snp_check_name(vr.failed_check) : "expected_measurement",
		    err != 0 ? err : measurement_err, measurement_err);
		goto out;
	}
	if (err != 0) {
		failed = &vr.checks[vr.failed_check];
		printf("REJECTED %s: %s%s%s\n", snp_check_name(vr.failed_check), kbs_err_str(err),
		    failed->detail[0] != '\0' ? ": " : "", failed->detail);
		rc = CLI_EXIT_REJECTED;
	} else if (measurement_err != 0) {
		printf("REJECTED expected_measurement: %s\n", kbs_err_str(measurement_err));
		rc = CLI_EXIT_REJECTED;
	} else {
		printf("OK genuine %s report v%u signed by %s%s%s\n", snp_product_name(vr.product),
		    report.version, snp_signing_key_name(vr.signer),
		    vr.csp_id[0] != '\0' ? " of " : "", vr.csp_id);
		rc = CLI_EXIT_OK;
	}
out:
	snp_verifier_free(verifier);
	snp_crl_free(crl);
	snp_certs_free(certs);
	return rc;
}
