/*
 * attester_test.h: what the tests of the real attesters against
 * attester_standin.so share: one simulated chip (the one the stand-in signs
 * with, named by $KBS_STANDIN_SIM_DIR) and the check that evidence verifies
 * under its ark.pem as an extra root.
 */
#ifndef KBS_ATTESTER_TEST_H
#define KBS_ATTESTER_TEST_H

#include <dlfcn.h>

#include "attester.h"
#include "sim_test.h"
#include "snp.h"

static char at_chip[320];
static struct sim_config at_cfg;

/* at_setup makes the chip once and points the stand-in at it. */
static void
at_setup(const char *what)
{
	if (!sim_test_setup(what))
		return;
	snprintf(at_chip, sizeof(at_chip), "%s/chip", sim_test_base);
	CHECK_OK(sim_config_default(SNP_PRODUCT_GENOA, &at_cfg));
	memset(at_cfg.measurement, 0x5a, sizeof(at_cfg.measurement));
	CHECK_OK(sim_init_dir(at_chip, &at_cfg, &sim_test_keys, kbs_time_now()));
	CHECK(setenv("KBS_STANDIN_SIM_DIR", at_chip, 1) == 0);
}

/* at_verify: e parses, carries rd, and verifies with the chip's ARK as an extra root. */
static void
at_verify(const struct attester_evidence *e, const uint8_t rd[64])
{
	struct snp_verifier *v = NULL;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;
	struct snp_verify_result res;
	struct snp_report rep;
	char path[400];
	uint8_t *data;
	size_t len = 0, i;

	CHECK_OK(snp_report_parse(e->report, sizeof(e->report), &rep));
	CHECK_MEM_EQ(rep.report_data, rd, 64);
	CHECK_MEM_EQ(rep.measurement, at_cfg.measurement, 48);
	CHECK_OK(snp_verifier_new(&v));
	snprintf(path, sizeof(path), "%s/%s", at_chip, SIM_FILE_ARK);
	data = test_read(path, &len);
	CHECK_OK(snp_verifier_add_root(v, data, len));
	free(data);
	CHECK_OK(snp_certs_new(&certs));
	for (i = 0; i < e->ncerts; i++)
		CHECK_OK(snp_certs_add(certs, e->certs[i].der, e->certs[i].len));
	memset(&opts, 0, sizeof(opts));
	opts.at = kbs_time_now();
	CHECK_OK(snp_verify_report(v, &rep, certs, &opts, &res));
	CHECK_INT_EQ(res.extra_root, 1);
	/* The raw table says the same as the certificates taken from it. */
	if (e->certtable != NULL) {
		struct snp_certs *t = NULL;

		CHECK_OK(snp_certs_new(&t));
		CHECK_OK(snp_certtable_parse(e->certtable, e->certtable_len, t));
		CHECK_UINT_EQ(snp_certs_count(t), e->ncerts);
		snp_certs_free(t);
	}
	snp_certs_free(certs);
	snp_verifier_free(v);
}

/* at_expect_fail: the step's code, its errno, and the detail line, exactly. */
static void
at_expect_fail(struct attester *a, int code, int err, const char *detail)
{
	struct attester_evidence e;
	uint8_t rd[64] = { 1 };
	int r, saved;

	memset(&e, 0, sizeof(e));

	errno = 0;
	r = attester_get_report(a, rd, &e);
	saved = errno;
	CHECK_ERR(r, code);
	CHECK_INT_EQ(saved, err);
	CHECK_STR_EQ(attester_detail(a), detail);
	CHECK_UINT_EQ(e.ncerts, 0);
}

#endif
