/*
 * cmd_verify.c: `kbs-client verify`, the offline evidence check.
 *
 * Steps: read the files named (report, VCEK/VLEK, chain, certificate
 * table, CRLs) with the pipeline's caps; hand the bytes to policy_verify,
 * the pipeline the broker and `kbs-policy test` use, at --at (default
 * now); then, if asked, require that a CRL was checked (--require-crl)
 * and compare the verified REPORT_DATA (--report-data) and measurement
 * (--expected-measurement) in constant time. The first failure decides:
 * one line names the check and the reason (or, with --json, an object
 * lists every check's outcome). With --policy the same evaluator judges
 * the same verified evidence, and its per-rule results are printed by the
 * same printers.
 *
 * What was not checked is said, never implied: without a CRL the
 * pipeline skips revocation, and without --report-data nothing ties the
 * report to a request (a replayed report verifies as well as a fresh
 * one). The OK line ends with "(CRL not checked; REPORT_DATA not
 * checked)" as far as it applies, and the JSON says the same in
 * crl_checked, report_data_checked and not_checked. Skipping stays the
 * default, so that offline audits of reports without a CRL keep working
 * (docs/verification.md).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "policy.h"

struct verify_args {
	const char *report_path;
	const char *vcek_path;
	const char *chain_path;
	const char *certtable_path;
	const char *crl_path;
	const char *vlek_crl_path;
	const char *expected_measurement;
	const char *policy_path;
	const char *trust_roots[SNP_EXTRA_ROOTS_MAX]; /* --trust-root, in order */
	size_t ntrust_roots;
	int64_t at;
	enum snp_product product;
	int allow_stale_crl;
	int require_crl;
	int json;
	int have_report_data;
	uint8_t report_data[64]; /* --report-data, decoded */
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
		{ "vlek-crl", required_argument, NULL, 'L' },
		{ "allow-stale-crl", no_argument, NULL, 's' },
		{ "at", required_argument, NULL, 'a' },
		{ "product", required_argument, NULL, 'p' },
		{ "expected-measurement", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'P' },
		{ "trust-root", required_argument, NULL, 'T' },
		{ "report-data", required_argument, NULL, 'd' },
		{ "require-crl", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->at = kbs_time_now();
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
		case 'L':
			a->vlek_crl_path = optarg;
			break;
		case 's':
			a->allow_stale_crl = 1;
			break;
		case 'a':
			if (kbs_time_parse_rfc3339(optarg, &a->at) != 0) {
				fprintf(stderr, "kbs-client verify: --at: %s\n",
				    kbs_err_str(KBS_ERR_BAD_TIME));
				return -1;
			}
			break;
		case 'p':
			if (snp_product_from_name(optarg, &a->product) != 0) {
				fprintf(
				    stderr, "kbs-client verify: unknown product '%.40s'\n", optarg);
				return -1;
			}
			break;
		case 'm':
			a->expected_measurement = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'P':
			a->policy_path = optarg;
			break;
		case 'T':
			if (a->ntrust_roots == SNP_EXTRA_ROOTS_MAX) {
				fprintf(stderr, "kbs-client verify: at most %d --trust-root\n",
				    SNP_EXTRA_ROOTS_MAX);
				return -1;
			}
			a->trust_roots[a->ntrust_roots++] = optarg;
			break;
		case 'd':
			if (kbs_hex_decode_exact(optarg, strlen(optarg), a->report_data,
				sizeof(a->report_data)) != 0) {
				fprintf(stderr,
				    "kbs-client verify: --report-data needs 128 hex digits (64 "
				    "bytes)\n");
				return -1;
			}
			a->have_report_data = 1;
			break;
		case 'R':
			a->require_crl = 1;
			break;
		default:
			return -1;
		}
	}
	if (a->report_path == NULL || optind != argc) {
		fprintf(stderr,
		    "usage: kbs-client verify --report R.bin [--vcek CERT] [--chain CHAIN] "
		    "[--certs-table T] [--crl CRL] [--vlek-crl CRL] [--allow-stale-crl] "
		    "[--require-crl] [--at RFC3339] [--product P] [--expected-measurement HEX] "
		    "[--report-data HEX] [--policy FILE] [--trust-root ARK.pem]... [--json]\n");
		return -1;
	}
	return 0;
}

/*
 * add_trust_roots gives the verifier each --trust-root ARK (test or
 * simulated chains); prints the file and the reason on failure.
 */
static int
add_trust_roots(const struct verify_args *a, struct snp_verifier *v)
{
	uint8_t *data = NULL;
	size_t len = 0, i;
	int r;

	for (i = 0; i < a->ntrust_roots; i++) {
		if (cli_read_file(
			a->trust_roots[i], "trust root", POLICY_INPUT_CERT, &data, &len) != 0)
			return -1;
		r = snp_verifier_add_root(v, data, len);
		free(data);
		if (r != 0) {
			fprintf(stderr, "kbs-client verify: --trust-root %.200s: %s (%s)\n",
			    a->trust_roots[i], kbs_err_str(r), kbs_err_name(r));
			return -1;
		}
	}
	return 0;
}

/* The files named on the command line, as the pipeline's input. */
enum verify_file { VF_REPORT = 0, VF_VCEK, VF_CHAIN, VF_TABLE, VF_CRL, VF_VLEK_CRL, VF_COUNT };

struct verify_files {
	uint8_t *data[VF_COUNT];
	size_t len[VF_COUNT];
	struct policy_blob blobs[2];
	enum verify_file blob_file[2]; /* which file each blob came from */
};

static const struct {
	const char *what;
	enum policy_input_part part;
} file_kinds[VF_COUNT] = {
	[VF_REPORT] = { "report", POLICY_INPUT_REPORT },
	[VF_VCEK] = { "VCEK/VLEK", POLICY_INPUT_CERT },
	[VF_CHAIN] = { "chain", POLICY_INPUT_CERT },
	[VF_TABLE] = { "certificate table", POLICY_INPUT_CERTTABLE },
	[VF_CRL] = { "CRL", POLICY_INPUT_VCEK_CRL },
	[VF_VLEK_CRL] = { "VLEK CRL", POLICY_INPUT_VLEK_CRL },
};

static const char *
file_path(const struct verify_args *a, enum verify_file f)
{
	const char *const paths[VF_COUNT] = {
		[VF_REPORT] = a->report_path,
		[VF_VCEK] = a->vcek_path,
		[VF_CHAIN] = a->chain_path,
		[VF_TABLE] = a->certtable_path,
		[VF_CRL] = a->crl_path,
		[VF_VLEK_CRL] = a->vlek_crl_path,
	};

	return paths[f];
}

static void
verify_files_free(struct verify_files *f)
{
	int i;

	for (i = 0; i < VF_COUNT; i++)
		free(f->data[i]);
}

/* read_verify_files reads every file given into f and points in at it; prints why not. */
static int
read_verify_files(const struct verify_args *a, struct verify_files *f, struct policy_input *in)
{
	size_t n = 0;
	int i;

	for (i = 0; i < VF_COUNT; i++) {
		const char *path = file_path(a, (enum verify_file)i);

		if (path != NULL &&
		    cli_read_file(
			path, file_kinds[i].what, file_kinds[i].part, &f->data[i], &f->len[i]) != 0)
			return -1;
	}
	in->report = f->data[VF_REPORT];
	in->report_len = f->len[VF_REPORT];
	for (i = VF_VCEK; i <= VF_CHAIN; i++) {
		if (f->data[i] == NULL)
			continue;
		f->blobs[n].data = f->data[i];
		f->blobs[n].len = f->len[i];
		f->blob_file[n++] = (enum verify_file)i;
	}
	in->certs = f->blobs;
	in->cert_count = n;
	in->certtable = f->data[VF_TABLE];
	in->certtable_len = f->len[VF_TABLE];
	in->vcek_crl.data = f->data[VF_CRL];
	in->vcek_crl.len = f->len[VF_CRL];
	in->vlek_crl.data = f->data[VF_VLEK_CRL];
	in->vlek_crl.len = f->len[VF_VLEK_CRL];
	in->at = a->at;
	in->product = a->product;
	in->allow_stale_crl = a->allow_stale_crl;
	return 0;
}

/* check_measurement compares in constant time; 0, KBS_ERR_BAD_HEX or KBS_ERR_MEASUREMENT_MISMATCH.
 */
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

_Static_assert(
    sizeof(((struct snp_report *)0)->report_data) == sizeof(((struct verify_args *)0)->report_data),
    "--report-data is exactly REPORT_DATA");

/* check_report_data compares in constant time; 0 or KBS_ERR_CLIENT_REPORT_DATA_MISMATCH. */
static int
check_report_data(const struct snp_report *report, const struct verify_args *a)
{
	if (sodium_memcmp(a->report_data, report->report_data, sizeof(a->report_data)) != 0)
		return KBS_ERR_CLIENT_REPORT_DATA_MISMATCH;
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

/* load_policy reads and parses --policy; prints the exact error (line, column, key) on failure. */
static int
load_policy(const char *path, struct policy **ret)
{
	struct policy_error perr;
	char msg[512];

	if (policy_parse_file(path, ret, &perr) == 0)
		return 0;
	if (perr.line == 0) {
		fprintf(stderr, "kbs-client verify: cannot read policy %.200s: %s\n", path,
		    perr.message);
	} else {
		policy_error_format(&perr, msg, sizeof(msg));
		fprintf(stderr, "%.200s:%s\n", path, msg);
	}
	return -1;
}

/* policy_json renders the evaluator's result with the shared printer and parses it back for
 * embedding. */
static cJSON *
policy_json(const struct policy *pol, const struct policy_result *pres)
{
	char *text = NULL;
	cJSON *o;

	if (policy_result_to_json(pol, pres, &text) != 0)
		return NULL;
	o = cJSON_Parse(text);
	free(text);
	return o;
}

struct verify_outcome {
	const struct snp_report *report;    /* NULL when the report did not parse */
	const struct snp_verify_result *vr; /* NULL when verification did not run */
	const char *failed_step;
	int err; /* first failure, 0 when accepted */
	int measurement_err;
	int crl_err;         /* KBS_ERR_CLIENT_CRL_REQUIRED under --require-crl */
	int report_data_err; /* KBS_ERR_CLIENT_REPORT_DATA_MISMATCH */
	int crl_checked;     /* the pipeline's crl check ran (passed or failed) */
	int report_data_checked;
	const struct policy *pol; /* NULL without --policy */
	const struct policy_result *pres;
};

/*
 * add_trust_root_json says which root the chain ended at: "trust_root" is
 * "amd" or "extra", and an extra root is described (never trusted silently).
 */
static int
add_trust_root_json(cJSON *root, const struct snp_verify_result *vr)
{
	char hex[2 * sizeof(vr->extra_root_sha256) + 1];
	cJSON *e;

	if (vr->extra_root == 0)
		return cJSON_AddStringToObject(root, "trust_root", "amd") != NULL ? 0 : -1;
	if (cJSON_AddStringToObject(root, "trust_root", "extra") == NULL ||
	    (e = cJSON_AddObjectToObject(root, "extra_root")) == NULL ||
	    kbs_hex_encode(
		vr->extra_root_sha256, sizeof(vr->extra_root_sha256), hex, sizeof(hex)) != 0 ||
	    cJSON_AddNumberToObject(e, "index", vr->extra_root) == NULL ||
	    cJSON_AddStringToObject(e, "subject", vr->extra_root_subject) == NULL ||
	    cJSON_AddStringToObject(e, "sha256", hex) == NULL ||
	    cJSON_AddStringToObject(e, "note", "not an AMD root: a test or simulated chain") ==
		NULL)
		return -1;
	return 0;
}

/* option_json: the outcome of a check asked for by an option (--expected-measurement, ...). */
static cJSON *
option_json(const struct verify_outcome *o, int err)
{
	cJSON *m = cJSON_CreateObject();

	if (m == NULL ||
	    cJSON_AddStringToObject(m, "outcome",
		o->vr == NULL || o->vr->err != 0 ? "not_run"
		    : err == 0                   ? "pass"
						 : "fail") == NULL ||
	    (err != 0 && cJSON_AddStringToObject(m, "error", kbs_err_name(err)) == NULL)) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

/*
 * add_unchecked_json says what the verdict does not cover: crl_checked
 * and report_data_checked (did the check run), not_checked (the names of
 * those that did not), and the outcomes of --require-crl and
 * --report-data when asked.
 */
static int
add_unchecked_json(cJSON *root, const struct verify_args *a, const struct verify_outcome *o)
{
	cJSON *arr, *m;

	if (cJSON_AddBoolToObject(root, "crl_checked", o->crl_checked) == NULL ||
	    cJSON_AddBoolToObject(root, "report_data_checked", o->report_data_checked) == NULL ||
	    (arr = cJSON_AddArrayToObject(root, "not_checked")) == NULL)
		return -1;
	if (!o->crl_checked && !cJSON_AddItemToArray(arr, cJSON_CreateString("crl")))
		return -1;
	if (!o->report_data_checked &&
	    !cJSON_AddItemToArray(arr, cJSON_CreateString("report_data")))
		return -1;
	if (a->require_crl) {
		if ((m = option_json(o, o->crl_err)) == NULL)
			return -1;
		cJSON_AddItemToObject(root, "require_crl", m);
	}
	if (a->have_report_data) {
		if ((m = option_json(o, o->report_data_err)) == NULL)
			return -1;
		cJSON_AddItemToObject(root, "report_data", m);
	}
	return 0;
}

static int
print_json_result(const struct verify_args *a, const struct verify_outcome *o)
{
	cJSON *root = cJSON_CreateObject(), *m;
	const struct snp_verify_result *vr = o->vr;
	const char *source = "";
	enum snp_product product;
	char at[KBS_TIME_RFC3339_LEN];

	cJSON_AddStringToObject(root, "verdict", o->err == 0 ? "genuine" : "rejected");
	if (o->err != 0) {
		cJSON_AddStringToObject(root, "failed_step", o->failed_step);
		cJSON_AddStringToObject(root, "error", kbs_err_name(o->err));
		cJSON_AddStringToObject(root, "message", kbs_err_str(o->err));
	}
	if (kbs_time_format_rfc3339(a->at, at, sizeof(at)) == 0)
		cJSON_AddStringToObject(root, "at", at);
	if (vr != NULL) {
		cJSON_AddStringToObject(root, "product", snp_product_name(vr->product));
		cJSON_AddStringToObject(root, "signer", snp_signing_key_name(vr->signer));
		if (vr->csp_id[0] != '\0')
			cJSON_AddStringToObject(root, "csp_id", vr->csp_id);
		cJSON_AddBoolToObject(root, "chain_cached", vr->chain_cached);
		if (add_trust_root_json(root, vr) != 0) {
			cJSON_Delete(root);
			fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(KBS_ERR_ALLOC));
			return CLI_EXIT_USAGE;
		}
		cJSON_AddItemToObject(root, "checks", checks_to_json(vr));
	}
	if (add_unchecked_json(root, a, o) != 0) {
		cJSON_Delete(root);
		fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		return CLI_EXIT_USAGE;
	}
	if (a->expected_measurement != NULL) {
		if ((m = option_json(o, o->measurement_err)) == NULL) {
			cJSON_Delete(root);
			fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(KBS_ERR_ALLOC));
			return CLI_EXIT_USAGE;
		}
		cJSON_AddItemToObject(root, "expected_measurement", m);
	}
	if (o->pol != NULL && o->pres != NULL) {
		if ((m = policy_json(o->pol, o->pres)) == NULL) {
			cJSON_Delete(root);
			fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(KBS_ERR_ALLOC));
			return CLI_EXIT_USAGE;
		}
		cJSON_AddItemToObject(root, "policy_result", m);
	}
	if (o->report != NULL) {
		product = vr != NULL && vr->product != SNP_PRODUCT_UNKNOWN
		    ? vr->product
		    : cli_report_product(o->report, a->product, &source);
		if (vr != NULL && vr->product != SNP_PRODUCT_UNKNOWN)
			source = "verified";
		cJSON_AddItemToObject(root, "report", report_to_json(o->report, product, source));
	}
	if (cli_print_json(root) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	return o->err == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

static void
print_text_result(const struct snp_report *report, const struct verify_outcome *o)
{
	const struct snp_verify_result *vr = o->vr;
	const struct snp_check_result *failed;

	if (vr->err != 0) {
		failed = &vr->checks[vr->failed_check];
		printf("REJECTED %s: %s%s%s\n", snp_check_name(vr->failed_check),
		    kbs_err_str(vr->err), failed->detail[0] != '\0' ? ": " : "", failed->detail);
	} else if (o->crl_err != 0) {
		printf("REJECTED require_crl: %s\n", kbs_err_str(o->crl_err));
	} else if (o->report_data_err != 0) {
		printf("REJECTED report_data: %s\n", kbs_err_str(o->report_data_err));
	} else if (o->measurement_err != 0) {
		printf("REJECTED expected_measurement: %s\n", kbs_err_str(o->measurement_err));
	} else if (o->pres != NULL && o->pres->decision != POLICY_ALLOW) {
		printf("REJECTED policy: %s\n", kbs_err_str(KBS_ERR_POLICY_DENIED));
	} else {
		printf("OK genuine %s report v%u signed by %s%s%s", snp_product_name(vr->product),
		    report->version, snp_signing_key_name(vr->signer),
		    vr->csp_id[0] != '\0' ? " of " : "", vr->csp_id);
		if (vr->extra_root != 0)
			printf(" under EXTRA ROOT %d \"%s\" (--trust-root: NOT AMD)",
			    vr->extra_root, vr->extra_root_subject);
		if (!o->crl_checked || !o->report_data_checked)
			printf(" (%s%s%s)", o->crl_checked ? "" : "CRL not checked",
			    !o->crl_checked && !o->report_data_checked ? "; " : "",
			    o->report_data_checked ? "" : "REPORT_DATA not checked");
		printf("\n");
	}
}

/* input_failed prints why the pipeline could not take an input; returns the exit code. */
static int
input_failed(const struct verify_args *a, const struct verify_files *f,
    const struct policy_input_error *where, int r, struct verify_outcome *o)
{
	enum verify_file file;

	switch (where->part) {
	case POLICY_INPUT_REPORT:
		if (a->json) {
			o->failed_step = "report_format";
			o->err = r;
			return print_json_result(a, o);
		}
		printf("REJECTED report_format: %s (%s)\n", kbs_err_str(r), kbs_err_name(r));
		return CLI_EXIT_REJECTED;
	case POLICY_INPUT_CERT:
		file = f->blob_file[where->index];
		fprintf(stderr, "kbs-client: %s %.200s: %s\n", file_kinds[file].what,
		    file_path(a, file), kbs_err_str(r));
		return CLI_EXIT_USAGE;
	case POLICY_INPUT_CERTTABLE:
	case POLICY_INPUT_VCEK_CRL:
	case POLICY_INPUT_VLEK_CRL:
		file = where->part == POLICY_INPUT_CERTTABLE ? VF_TABLE
		    : where->part == POLICY_INPUT_VCEK_CRL   ? VF_CRL
							     : VF_VLEK_CRL;
		fprintf(stderr, "kbs-client verify: %s %.200s: %s\n", file_kinds[file].what,
		    file_path(a, file), kbs_err_str(r));
		return CLI_EXIT_USAGE;
	default:
		fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(r));
		return CLI_EXIT_USAGE;
	}
}

int
cmd_verify(int argc, char **argv)
{
	struct verify_args a;
	struct verify_files files;
	struct policy_input in;
	struct policy_input_error where;
	struct snp_verifier *verifier = NULL;
	struct policy_verified *ev = NULL;
	const struct snp_report *report;
	struct policy *pol = NULL;
	struct policy_result pres;
	struct verify_outcome o;
	int rc = CLI_EXIT_USAGE, r;

	memset(&files, 0, sizeof(files));
	memset(&in, 0, sizeof(in));
	memset(&o, 0, sizeof(o));
	if (parse_args(argc, argv, &a) != 0)
		return CLI_EXIT_USAGE;
	if (a.policy_path != NULL && load_policy(a.policy_path, &pol) != 0)
		return CLI_EXIT_USAGE;
	if (read_verify_files(&a, &files, &in) != 0)
		goto out;
	if ((r = snp_verifier_new(&verifier)) != 0) {
		fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(r));
		goto out;
	}
	if (add_trust_roots(&a, verifier) != 0)
		goto out;
	o.err = policy_verify(verifier, &in, &ev, &where);
	if (ev == NULL) {
		rc = input_failed(&a, &files, &where, o.err, &o);
		goto out;
	}
	/* Shown for rejected evidence too; decided on only through policy_verified_report. */
	o.report = policy_verified_report_unchecked(ev);
	o.vr = policy_verified_result(ev);
	o.failed_step = snp_check_name(o.vr->failed_check);
	o.crl_checked = o.vr->checks[SNP_CHECK_CRL].outcome == SNP_OUTCOME_PASS ||
	    o.vr->checks[SNP_CHECK_CRL].outcome == SNP_OUTCOME_FAIL;
	report = policy_verified_report(ev);
	/* The checks asked for run on verified evidence only; the first failure decides. */
	if (report != NULL && a.require_crl && !o.crl_checked) {
		o.err = o.crl_err = KBS_ERR_CLIENT_CRL_REQUIRED;
		o.failed_step = "require_crl";
	}
	if (report != NULL && a.have_report_data) {
		o.report_data_checked = 1;
		if ((o.report_data_err = check_report_data(report, &a)) != 0 && o.err == 0) {
			o.err = o.report_data_err;
			o.failed_step = "report_data";
		}
	}
	if (report != NULL && a.expected_measurement != NULL &&
	    (o.measurement_err = check_measurement(report, a.expected_measurement)) != 0) {
		if (o.measurement_err == KBS_ERR_BAD_HEX) {
			fprintf(stderr,
			    "kbs-client verify: --expected-measurement needs 96 hex digits\n");
			goto out;
		}
		if (o.err == 0) {
			o.err = o.measurement_err;
			o.failed_step = "expected_measurement";
		}
	}
	if (pol != NULL) {
		/* Evaluated even for rejected evidence: the "evidence" row then names the failed
		 * check. */
		if (policy_eval(ev, pol, &pres) != 0) {
			fprintf(stderr, "kbs-client verify: %s\n", kbs_err_str(KBS_ERR_INTERNAL));
			goto out;
		}
		o.pol = pol;
		o.pres = &pres;
		if (o.err == 0 && pres.decision != POLICY_ALLOW) {
			o.err = KBS_ERR_POLICY_DENIED;
			o.failed_step = "policy";
		}
	}
	if (a.json) {
		rc = print_json_result(&a, &o);
		goto out;
	}
	print_text_result(o.report, &o);
	if (pol != NULL && policy_result_print_text(stdout, pol, &pres) != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = o.err == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
out:
	policy_free(pol);
	policy_verified_free(ev);
	snp_verifier_free(verifier);
	verify_files_free(&files);
	return rc;
}
