/*
 * kbs_policy_main.c: the kbs-policy tool for policy authors and auditors.
 *
 *   kbs-policy lint FILE... [--strict]
 *   kbs-policy explain FILE
 *   kbs-policy test FILE --report R.bin --vcek CERT [--chain C] [--crl F]
 *                   [--vlek-crl F] [--at RFC3339] [--product P]
 *                   [--allow-stale-crl] [--json]
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
	    "                       [--vlek-crl F] [--at RFC3339] [--product milan|genoa|turin]\n"
	    "                       [--allow-stale-crl] [--json]\n"
	    "       kbs-policy diff OLD NEW\n"
	    "       kbs-policy hash FILE\n"
	    "       kbs-policy measure --ovmf OVMF.fd [--kernel K] [--vcpus N] ... (measure --help)\n");
}

/* read_input reads an evidence file with the pipeline's cap for its part; prints why not. */
static int
read_input(const char *path, enum policy_input_part part, uint8_t **data, size_t *len)
{
	int r = policy_input_read_file(path, part, data, len);

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
	const char *policy, *report, *vcek, *chain, *crl, *vlek_crl, *at, *product;
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
		{ "--vlek-crl", offsetof(struct test_args, vlek_crl) },
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

/* The evidence files of `test`, read into the pipeline's input. */
struct test_files {
	uint8_t *report, *cert[2], *crl[2];
	struct policy_blob blobs[2];
	const char *cert_path[2];
};

static void
test_files_free(struct test_files *f)
{
	size_t i;

	free(f->report);
	for (i = 0; i < 2; i++) {
		free(f->cert[i]);
		free(f->crl[i]);
	}
}

static int
read_test_files(const struct test_args *a, struct test_files *f, struct policy_input *in)
{
	const char *crl_path[2] = { a->crl, a->vlek_crl };
	struct policy_crl_input *slot[2] = { &in->vcek_crl, &in->vlek_crl };
	enum policy_input_part crl_part[2] = { POLICY_INPUT_VCEK_CRL, POLICY_INPUT_VLEK_CRL };
	size_t i, n = 0, len = 0;

	if (read_input(a->report, POLICY_INPUT_REPORT, &f->report, &in->report_len) != 0)
		return -1;
	in->report = f->report;
	f->cert_path[0] = a->vcek;
	f->cert_path[1] = a->chain;
	for (i = 0; i < 2; i++) {
		if (f->cert_path[i] == NULL)
			continue;
		if (read_input(f->cert_path[i], POLICY_INPUT_CERT, &f->cert[i], &len) != 0)
			return -1;
		f->blobs[n].data = f->cert[i];
		f->blobs[n].len = len;
		f->cert_path[n++] = f->cert_path[i];
	}
	in->certs = f->blobs;
	in->cert_count = n;
	for (i = 0; i < 2; i++) {
		if (crl_path[i] == NULL)
			continue;
		if (read_input(crl_path[i], crl_part[i], &f->crl[i], &slot[i]->len) != 0)
			return -1;
		slot[i]->data = f->crl[i];
	}
	return 0;
}

/* input_failed prints why policy_verify could not take an input; returns the exit code. */
static int
input_failed(const struct test_args *a, const struct test_files *f,
    const struct policy_input_error *where, int r)
{
	switch (where->part) {
	case POLICY_INPUT_REPORT:
		fprintf(stderr, "kbs-policy: evidence rejected: %s: %s (%s)\n", a->report,
		    kbs_err_str(r), kbs_err_name(r));
		return EXIT_FAIL;
	case POLICY_INPUT_CERT:
		fprintf(stderr, "%s: %s\n", f->cert_path[where->index], kbs_err_str(r));
		return EXIT_USAGE;
	case POLICY_INPUT_VCEK_CRL:
	case POLICY_INPUT_VLEK_CRL:
		fprintf(stderr, "%s: %s\n",
		    where->part == POLICY_INPUT_VCEK_CRL ? a->crl : a->vlek_crl, kbs_err_str(r));
		return EXIT_USAGE;
	default:
		fprintf(stderr, "kbs-policy: %s\n", kbs_err_str(r));
		return EXIT_USAGE;
	}
}

/*
 * cmd_test: the evidence files go through policy_verify, the pipeline the
 * broker and kbs-client use, and the policy is judged on its result.
 */
static int
cmd_test(int argc, char **argv)
{
	struct test_args a;
	struct test_files files;
	struct policy_input in;
	struct policy_input_error where;
	struct policy *p = NULL;
	struct snp_verifier *verifier = NULL;
	struct policy_verified *ev = NULL;
	const struct snp_verify_result *vres;
	struct policy_result res;
	char *json = NULL;
	int r, ex = EXIT_USAGE;

	memset(&files, 0, sizeof(files));
	memset(&in, 0, sizeof(in));
	if (parse_test_args(argc, argv, &a) != 0)
		return usage(), EXIT_USAGE;
	in.at = kbs_time_now();
	in.allow_stale_crl = a.allow_stale_crl;
	if (a.at != NULL && kbs_time_parse_rfc3339(a.at, &in.at) != 0) {
		fprintf(stderr, "--at: %s\n", kbs_err_str(KBS_ERR_BAD_TIME));
		goto out;
	}
	if (a.product != NULL && snp_product_from_name(a.product, &in.product) != 0) {
		fprintf(stderr, "--product: must be milan, genoa or turin\n");
		goto out;
	}
	if ((r = load_policy(a.policy, &p)) != EXIT_OK)
		goto out;
	if (read_test_files(&a, &files, &in) != 0)
		goto out;
	if ((r = snp_verifier_new(&verifier)) != 0) {
		fprintf(stderr, "kbs-policy: %s\n", kbs_err_str(r));
		goto out;
	}
	r = policy_verify(verifier, &in, &ev, &where);
	if (ev == NULL) {
		ex = input_failed(&a, &files, &where, r);
		goto out;
	}
	vres = policy_verified_result(ev);
	if (r != 0) {
		const struct snp_check_result *c = (unsigned)vres->failed_check < SNP_CHECK_COUNT
		    ? &vres->checks[vres->failed_check]
		    : NULL;

		fprintf(stderr, "kbs-policy: evidence rejected: %s check failed: %s%s%s\n",
		    snp_check_name(vres->failed_check), kbs_err_str(r),
		    c != NULL && c->detail[0] ? ": " : "", c != NULL ? c->detail : "");
	}
	if (policy_eval(ev, p, &res) != 0)
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
	policy_verified_free(ev);
	snp_verifier_free(verifier);
	test_files_free(&files);
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
