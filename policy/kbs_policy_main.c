/*
 * kbs_policy_main.c: the kbs-policy tool for policy authors and auditors.
 *
 *   kbs-policy lint FILE... [--strict]
 *   kbs-policy explain FILE
 *   kbs-policy test FILE --report R.bin --vcek CERT [--chain C] [--crl F]
 *                   [--at RFC3339] [--product P] [--allow-stale-crl] [--json]
 *   kbs-policy diff OLD NEW
 *   kbs-policy hash FILE
 *   kbs-policy measure --ovmf OVMF.fd [...]   (cmd_measure.c)
 *
 * Exit codes (docs/policy.md): lint 0 clean or warnings only, 1 errors (or
 * warnings with --strict), 2 usage or I/O; test 0 allow, 1 deny or
 * evidence rejected, 2 error; explain, diff and hash 0, 1 for an invalid
 * policy, 2 usage or I/O. Commands dispatch through a table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_measure.h"
#include "policy.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kbs-policy lint FILE... [--strict]\n"
	    "       kbs-policy explain FILE\n"
	    "       kbs-policy test FILE --report R.bin --vcek CERT [--chain C] [--crl F]\n"
	    "                       [--at RFC3339] [--product milan|genoa|turin]\n"
	    "                       [--allow-stale-crl] [--json]\n"
	    "       kbs-policy diff OLD NEW\n"
	    "       kbs-policy hash FILE\n"
	    "       kbs-policy measure --ovmf OVMF.fd [--kernel K] [--vcpus N] ... (measure --help)\n");
}

static int
read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
	int r = kbs_file_read(path, max, data, len);

	if (r == KBS_ERR_SYSTEM)
		perror(path);
	else if (r != 0)
		fprintf(stderr, "%s: %s\n", path, kbs_err_str(r));
	return r;
}

/*
 * load_policy reads and parses path. Returns EXIT_OK, EXIT_FAIL (invalid
 * policy, message printed as "FILE:LINE:COL: PATH: MESSAGE (code)") or
 * EXIT_USAGE (I/O).
 */
static int
load_policy(const char *path, struct policy **ret)
{
	struct policy_error err;
	char msg[512];
	int r;

	r = policy_parse_file(path, ret, &err);
	if (r != 0 && err.line == 0) {
		fprintf(stderr, "%s: %s\n", path, err.message);
		return EXIT_USAGE;
	}
	if (r != 0) {
		policy_error_format(&err, msg, sizeof(msg));
		printf("%s:%s\n", path, msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
cmd_lint(int argc, char **argv)
{
	struct policy_lint_result lint;
	int i, strict = 0, nfiles = 0, worst = EXIT_OK;
	size_t k;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			strict = 1;
		else if (argv[i][0] == '-' && argv[i][1] != 0)
			return usage(), EXIT_USAGE;
		else
			nfiles++;
	}
	if (nfiles == 0)
		return usage(), EXIT_USAGE;
	for (i = 0; i < argc; i++) {
		struct policy *p = NULL;
		int r;

		if (strcmp(argv[i], "--strict") == 0)
			continue;
		if ((r = load_policy(argv[i], &p)) != EXIT_OK) {
			if (r > worst)
				worst = r;
			continue;
		}
		policy_lint(p, &lint);
		for (k = 0; k < lint.count; k++) {
			const struct policy_finding *f = &lint.findings[k];

			printf("%s: %s: %s: %s\n", argv[i],
			    f->severity == POLICY_ERROR ? "error" : "warning", f->path, f->message);
		}
		printf("%s: %s (%zu error%s, %zu warning%s)\n", argv[i],
		    lint.errors ? "invalid" : "ok", lint.errors, lint.errors == 1 ? "" : "s",
		    lint.warnings, lint.warnings == 1 ? "" : "s");
		if (lint.errors > 0 || (strict && lint.warnings > 0)) {
			if (worst < EXIT_FAIL)
				worst = EXIT_FAIL;
		}
		policy_free(p);
	}
	return worst;
}

static int
cmd_explain(int argc, char **argv)
{
	struct policy *p = NULL;
	int r;

	if (argc != 1)
		return usage(), EXIT_USAGE;
	if ((r = load_policy(argv[0], &p)) != EXIT_OK)
		return r;
	r = policy_explain(stdout, p) == 0 ? EXIT_OK : EXIT_USAGE;
	policy_free(p);
	return r;
}

static int
cmd_diff(int argc, char **argv)
{
	struct policy *o = NULL, *n = NULL;
	enum policy_change overall;
	int r;

	if (argc != 2)
		return usage(), EXIT_USAGE;
	if ((r = load_policy(argv[0], &o)) != EXIT_OK)
		goto out;
	if ((r = load_policy(argv[1], &n)) != EXIT_OK)
		goto out;
	r = policy_diff(stdout, o, n, &overall) == 0 ? EXIT_OK : EXIT_USAGE;
out:
	policy_free(o);
	policy_free(n);
	return r;
}

static int
cmd_hash(int argc, char **argv)
{
	struct policy *p = NULL;
	int r;

	if (argc != 1)
		return usage(), EXIT_USAGE;
	if ((r = load_policy(argv[0], &p)) != EXIT_OK)
		return r;
	/* The sha256sum format, so the two outputs compare directly. */
	printf("%s  %s\n", policy_hash(p), argv[0]);
	policy_free(p);
	return EXIT_OK;
}

struct test_args {
	const char *policy, *report, *vcek, *chain, *crl, *at, *product;
	int json, allow_stale_crl;
};

static int
parse_test_args(int argc, char **argv, struct test_args *a)
{
	static const struct {
		const char *name;
		size_t offset;
	} valued[] = {
		{ "--report", offsetof(struct test_args, report) },
		{ "--vcek", offsetof(struct test_args, vcek) },
		{ "--chain", offsetof(struct test_args, chain) },
		{ "--crl", offsetof(struct test_args, crl) },
		{ "--at", offsetof(struct test_args, at) },
		{ "--product", offsetof(struct test_args, product) },
	};
	int i;
	size_t k;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		int done = 0;

		for (k = 0; k < KBS_ARRAY_SIZE(valued); k++) {
			if (strcmp(argv[i], valued[k].name) == 0) {
				if (i + 1 >= argc)
					return -1;
				*(const char **)((char *)a + valued[k].offset) = argv[++i];
				done = 1;
			}
		}
		if (done)
			continue;
		if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else if (strcmp(argv[i], "--allow-stale-crl") == 0)
			a->allow_stale_crl = 1;
		else if (argv[i][0] == '-' || a->policy != NULL)
			return -1;
		else
			a->policy = argv[i];
	}
	return a->policy != NULL && a->report != NULL && a->vcek != NULL ? 0 : -1;
}

static int
add_certs(struct snp_certs *certs, const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if (read_file(path, 1u << 20, &data, &len) != 0)
		return -1;
	r = snp_certs_add(certs, data, len);
	free(data);
	if (r != 0) {
		fprintf(stderr, "%s: %s\n", path, kbs_err_str(r));
		return -1;
	}
	return 0;
}

static int
cmd_test(int argc, char **argv)
{
	struct test_args a;
	struct policy *p = NULL;
	struct snp_report report;
	struct snp_certs *certs = NULL;
	struct snp_crl *crl = NULL;
	struct snp_verifier *verifier = NULL;
	struct snp_verify_options opts;
	struct snp_verify_result vres;
	struct policy_result res;
	uint8_t *data = NULL;
	size_t len = 0;
	char *json = NULL;
	int r, ex = EXIT_USAGE;

	if (parse_test_args(argc, argv, &a) != 0)
		return usage(), EXIT_USAGE;
	memset(&opts, 0, sizeof(opts));
	opts.at = kbs_time_now();
	opts.allow_stale_crl = a.allow_stale_crl;
	if (a.at != NULL && kbs_time_parse_rfc3339(a.at, &opts.at) != 0) {
		fprintf(stderr, "--at: %s\n", kbs_err_str(KBS_ERR_BAD_TIME));
		goto out;
	}
	if (a.product != NULL && snp_product_from_name(a.product, &opts.product) != 0) {
		fprintf(stderr, "--product: must be milan, genoa or turin\n");
		goto out;
	}
	if ((r = load_policy(a.policy, &p)) != EXIT_OK) {
		ex = EXIT_USAGE;
		goto out;
	}
	if (read_file(a.report, 1u << 16, &data, &len) != 0)
		goto out;
	if ((r = snp_report_parse(data, len, &report)) != 0) {
		fprintf(stderr, "kbs-policy: evidence rejected: %s: %s (%s)\n", a.report,
		    kbs_err_str(r), kbs_err_name(r));
		ex = EXIT_FAIL;
		goto out;
	}
	if (snp_certs_new(&certs) != 0 || add_certs(certs, a.vcek) != 0 ||
	    (a.chain != NULL && add_certs(certs, a.chain) != 0))
		goto out;
	if (a.crl != NULL) {
		free(data);
		data = NULL;
		if (read_file(a.crl, 1u << 20, &data, &len) != 0)
			goto out;
		if ((r = snp_crl_load(data, len, &crl)) != 0) {
			fprintf(stderr, "%s: %s\n", a.crl, kbs_err_str(r));
			goto out;
		}
		opts.crl = crl;
	}
	if ((r = snp_verifier_new(&verifier)) != 0) {
		fprintf(stderr, "kbs-policy: %s\n", kbs_err_str(r));
		goto out;
	}
	memset(&vres, 0, sizeof(vres));
	if ((r = snp_verify_report(verifier, &report, certs, &opts, &vres)) != 0) {
		const struct snp_check_result *c = (unsigned)vres.failed_check < SNP_CHECK_COUNT
		    ? &vres.checks[vres.failed_check]
		    : NULL;

		fprintf(stderr, "kbs-policy: evidence rejected: %s check failed: %s%s%s\n",
		    snp_check_name(vres.failed_check), kbs_err_str(r),
		    c != NULL && c->detail[0] ? ": " : "", c != NULL ? c->detail : "");
	}
	if (policy_eval(&report, &vres, p, &res) != 0)
		goto out;
	if (a.json) {
		if (policy_result_to_json(p, &res, &json) != 0)
			goto out;
		printf("%s\n", json);
	} else if (policy_result_print_text(stdout, p, &res) != 0) {
		goto out;
	}
	ex = res.decision == POLICY_ALLOW ? EXIT_OK : EXIT_FAIL;
out:
	free(json);
	free(data);
	snp_verifier_free(verifier);
	snp_crl_free(crl);
	snp_certs_free(certs);
	policy_free(p);
	return ex;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "lint", cmd_lint },
	{ "explain", cmd_explain },
	{ "test", cmd_test },
	{ "diff", cmd_diff },
	{ "hash", cmd_hash },
	{ "measure", cmd_measure },
};

int
main(int argc, char **argv)
{
	size_t i;
	int r;

	if (argc < 2)
		return usage(), EXIT_USAGE;
	if ((r = kbs_crypto_init()) != 0) {
		fprintf(stderr, "kbs-policy: %s\n", kbs_err_str(r));
		return EXIT_USAGE;
	}
	for (i = 0; i < KBS_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			r = commands[i].fn(argc - 2, argv + 2);
			if (fflush(stdout) != 0)
				return EXIT_USAGE;
			return r;
		}
	}
	usage();
	return EXIT_USAGE;
}
