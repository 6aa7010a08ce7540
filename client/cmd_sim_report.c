/*
 * cmd_sim_report.c: `kbs-client sim-report`, one report from an attester
 * written to files, for demos and tests of the offline verifier:
 *
 *   kbs-client sim-report --attester sim:DIR --report-data HEX --out R.bin
 *       [--certs-out C.pem]
 *
 * REPORT_DATA is exactly 64 bytes (128 hex digits). The report is written
 * raw (1184 bytes); the certificates that came with it (VCEK, ASK) as PEM.
 * The line printed says "simulated" for a simulated attester.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "attester.h"
#include "cli.h"

#define SIM_REPORT_USAGE \
	"usage: kbs-client sim-report --attester sim:DIR --report-data HEX --out R.bin " \
	"[--certs-out C.pem]\n"

struct sim_report_args {
	const char *attester;
	const char *report_data;
	const char *out;
	const char *certs_out;
};

static int
parse_args(int argc, char **argv, struct sim_report_args *a)
{
	static const struct option options[] = {
		{ "attester", required_argument, NULL, 'a' },
		{ "report-data", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "certs-out", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'a':
			a->attester = optarg;
			break;
		case 'd':
			a->report_data = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'c':
			a->certs_out = optarg;
			break;
		default:
			fprintf(stderr, SIM_REPORT_USAGE);
			return -1;
		}
	}
	if (a->attester == NULL || a->report_data == NULL || a->out == NULL || optind != argc) {
		fprintf(stderr, SIM_REPORT_USAGE);
		return -1;
	}
	return 0;
}

/* write_file replaces path with data; prints the reason on failure. */
static int
write_file(const char *path, const char *what, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t off = 0;
	ssize_t n;
	int fd, ok = 1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "kbs-client: cannot write %s %.200s: %s\n", what, path,
		    strerror(errno));
		return -1;
	}
	while (ok && off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ok = 0;
		else
			off += (size_t)n;
	}
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "kbs-client: cannot write %s %.200s: %s\n", what, path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* write_certs writes the evidence's DER certificates as one PEM bundle. */
static int
write_certs(const char *path, const struct attester_evidence *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	size_t i;
	int r = -1;

	if (bio == NULL)
		goto fail;
	for (i = 0; i < e->ncerts; i++) {
		if (PEM_write_bio(bio, "CERTIFICATE", "", e->certs[i].der, (long)e->certs[i].len) <=
		    0)
			goto fail;
	}
	if ((len = BIO_get_mem_data(bio, &data)) <= 0)
		goto fail;
	r = write_file(path, "certificates", data, (size_t)len);
	goto out;
fail:
	fprintf(stderr, "kbs-client sim-report: cannot encode the certificates as PEM\n");
out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int
cmd_sim_report(int argc, char **argv)
{
	struct sim_report_args a;
	struct attester *att = NULL;
	struct attester_evidence e;
	struct snp_report rep;
	enum snp_product product = SNP_PRODUCT_UNKNOWN;
	uint8_t report_data[64];
	int r, rc = CLI_EXIT_USAGE;

	memset(&e, 0, sizeof(e));
	if (parse_args(argc, argv, &a) != 0)
		return CLI_EXIT_USAGE;
	if (kbs_hex_decode_exact(
		a.report_data, strlen(a.report_data), report_data, sizeof(report_data)) != 0) {
		fprintf(stderr, "kbs-client sim-report: --report-data needs 128 hex digits\n");
		return CLI_EXIT_USAGE;
	}
	if ((r = attester_open(a.attester, &att)) != 0) {
		fprintf(stderr, "kbs-client sim-report: attester %.200s: %s%s%s\n", a.attester,
		    kbs_err_str(r), r == KBS_ERR_SYSTEM ? ": " : "",
		    r == KBS_ERR_SYSTEM ? strerror(errno) : "");
		goto out;
	}
	if ((r = attester_get_report(att, report_data, &e)) != 0 ||
	    (r = snp_report_parse(e.report, sizeof(e.report), &rep)) != 0) {
		fprintf(stderr, "kbs-client sim-report: attester %.200s: %s\n", a.attester,
		    kbs_err_str(r));
		goto out;
	}
	if (snp_report_product(&rep, &product) != 0)
		product = SNP_PRODUCT_UNKNOWN;
	if (write_file(a.out, "report", e.report, sizeof(e.report)) != 0 ||
	    (a.certs_out != NULL && write_certs(a.certs_out, &e) != 0))
		goto out;
	printf("%s%s report v%u written to %s%s%s (attester %s)\n",
	    attester_is_simulated(att) ? "simulated " : "", snp_product_name(product), rep.version,
	    a.out, a.certs_out != NULL ? ", certificates to " : "",
	    a.certs_out != NULL ? a.certs_out : "", attester_kind(att));
	rc = CLI_EXIT_OK;
out:
	attester_evidence_clear(&e);
	attester_close(att);
	return rc;
}
