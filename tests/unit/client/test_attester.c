/*
 * test_attester.c: the attester table and the sim:DIR attester.
 *
 * For Milan, Genoa and Turin: a simulated chip directory is made once
 * (RSA-4096 keys are generated once for the program), reports are taken
 * through attester_open/attester_get_report and must parse, carry exactly
 * the configured fields, REPORT_DATA and a fresh REPORT_ID, and verify with
 * the chip's ark.pem as an extra root, marked as such. The same evidence is
 * refused without the root (cert_issuer at signer_cert), and with a
 * tampered byte (report_signature). Specs and chip directories that are
 * wrong fail with their exact codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "attester.h"
#include "sim.h"
#include "snp.h"
#include "sim_test.h"
#include "test.h"

static const enum snp_product products[] = { SNP_PRODUCT_MILAN, SNP_PRODUCT_GENOA,
	SNP_PRODUCT_TURIN };
#define NPRODUCTS KBS_ARRAY_SIZE(products)

static char dirs[NPRODUCTS][320];
static char specs[NPRODUCTS][330];
static struct sim_config cfg[NPRODUCTS];

static void
path_of(char *out, size_t size, const char *dir, const char *name)
{
	CHECK(snprintf(out, size, "%s/%s", dir, name) < (int)size);
}

static void
setup(void)
{
	static const char *const tcbs[NPRODUCTS] = { "bl=2,tee=0,snp=6,ucode=93",
		"bl=9,tee=0,snp=23,ucode=72", "bl=1,tee=0,snp=1,ucode=70,fmc=3" };
	size_t i;

	if (!sim_test_setup("attester"))
		return;
	for (i = 0; i < NPRODUCTS; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s/%s", sim_test_base,
		    snp_product_name(products[i]));
		snprintf(specs[i], sizeof(specs[i]), "sim:%s", dirs[i]);
		CHECK_OK(sim_config_default(products[i], &cfg[i]));
		CHECK_OK(sim_tcb_parse(tcbs[i], products[i], &cfg[i].tcb));
		memset(cfg[i].measurement, 0xa0 + (int)i, sizeof(cfg[i].measurement));
		memset(cfg[i].host_data, 0x33, sizeof(cfg[i].host_data));
		cfg[i].policy = 0x30000 | SNP_POLICY_SINGLE_SOCKET;
		cfg[i].vmpl = (uint32_t)i;
		cfg[i].guest_svn = 7;
		CHECK_OK(sim_init_dir(dirs[i], &cfg[i], &sim_test_keys, kbs_time_now()));
	}
}

static struct snp_verifier *
verifier_with_root(size_t i)
{
	struct snp_verifier *v = NULL;
	char path[400];
	uint8_t *data;
	size_t len = 0;

	CHECK_OK(snp_verifier_new(&v));
	if (i < NPRODUCTS) {
		path_of(path, sizeof(path), dirs[i], SIM_FILE_ARK);
		data = test_read(path, &len);
		CHECK_OK(snp_verifier_add_root(v, data, len));
		free(data);
	}
	return v;
}

/* verify_evidence checks e with v at now. */
static int
verify_evidence(
    struct snp_verifier *v, const struct attester_evidence *e, struct snp_verify_result *res)
{
	struct snp_report rep;
	struct snp_certs *certs = NULL;
	struct snp_verify_options opts;
	size_t i;
	int r;

	memset(&opts, 0, sizeof(opts));
	opts.at = kbs_time_now();
	r = snp_report_parse(e->report, sizeof(e->report), &rep);
	if (r != 0)
		return r;
	CHECK_OK(snp_certs_new(&certs));
	for (i = 0; i < e->ncerts; i++)
		CHECK_OK(snp_certs_add(certs, e->certs[i].der, e->certs[i].len));
	r = snp_verify_report(v, &rep, certs, &opts, res);
	snp_certs_free(certs);
	return r;
}

static void
get(size_t i, const uint8_t report_data[64], struct attester_evidence *e)
{
	struct attester *a = NULL;

	CHECK_OK(attester_open(specs[i], &a));
	CHECK_STR_EQ(attester_kind(a), "sim");
	CHECK_INT_EQ(attester_is_simulated(a), 1);
	CHECK_OK(attester_get_report(a, report_data, e));
	attester_close(a);
}

static void
test_reports_verify_under_extra_root(void)
{
	struct attester_evidence e, e2;
	struct snp_verify_result res;
	struct snp_verifier *v;
	struct snp_report rep;
	struct snp_tcb tcb;
	enum snp_product p;
	uint8_t rd[64], ones[32];
	size_t i, k;

	setup();
	memset(ones, 0xff, sizeof(ones));
	for (k = 0; k < sizeof(rd); k++)
		rd[k] = (uint8_t)(k * 3 + 1);
	for (i = 0; i < NPRODUCTS; i++) {
		get(i, rd, &e);
		CHECK_UINT_EQ(e.ncerts, 2);
		CHECK_OK(snp_report_parse(e.report, sizeof(e.report), &rep));
		CHECK_UINT_EQ(rep.version, products[i] == SNP_PRODUCT_TURIN ? 5 : 3);
		CHECK_OK(snp_report_product(&rep, &p));
		CHECK_INT_EQ(p, products[i]);
		CHECK_MEM_EQ(rep.report_data, rd, 64);
		CHECK_MEM_EQ(rep.measurement, cfg[i].measurement, 48);
		CHECK_MEM_EQ(rep.host_data, cfg[i].host_data, 32);
		CHECK_MEM_EQ(rep.chip_id, cfg[i].chip_id, 64);
		CHECK_MEM_EQ(rep.report_id_ma, ones, 32);
		CHECK_UINT_EQ(rep.policy, cfg[i].policy);
		CHECK_UINT_EQ(rep.vmpl, i);
		CHECK_UINT_EQ(rep.guest_svn, 7);
		CHECK_UINT_EQ(rep.signature_algo, 1);
		CHECK_INT_EQ(rep.signing_key, SNP_SIGNING_KEY_VCEK);
		CHECK_UINT_EQ(rep.key_info, 0);
		CHECK_UINT_EQ(rep.platform_info, SNP_PLATFORM_SMT_EN);
		CHECK_UINT_EQ(rep.current_tcb, rep.reported_tcb);
		CHECK_UINT_EQ(rep.committed_tcb, rep.reported_tcb);
		CHECK_UINT_EQ(rep.launch_tcb, rep.reported_tcb);
		CHECK_OK(snp_tcb_decode(rep.reported_tcb, products[i], &tcb));
		CHECK_MEM_EQ(&tcb, &cfg[i].tcb, sizeof(tcb));
		CHECK(memcmp(&rep.current_fw, &cfg[i].firmware, sizeof(rep.current_fw)) == 0);
		CHECK(memcmp(&rep.committed_fw, &cfg[i].firmware, sizeof(rep.committed_fw)) == 0);
		/* The signature's padding bytes are zero (the parse also insists). */
		for (k = 48; k < SNP_SIG_COMPONENT_SIZE; k++)
			CHECK(e.report[0x2A0 + k] == 0 && e.report[0x2E8 + k] == 0);

		v = verifier_with_root(i);
		CHECK_OK(verify_evidence(v, &e, &res));
		CHECK_INT_EQ(res.extra_root, 1);
		CHECK_INT_EQ(res.product, products[i]);
		CHECK_INT_EQ(res.checks[SNP_CHECK_TCB].outcome, SNP_OUTCOME_PASS);
		CHECK_INT_EQ(res.checks[SNP_CHECK_CHIP_ID].outcome, SNP_OUTCOME_PASS);
		CHECK_MEM_EQ(&res.reported_tcb, &cfg[i].tcb, sizeof(tcb));

		/* A second report: another REPORT_ID, the same chain (now cached). */
		get(i, rd, &e2);
		CHECK(memcmp(e.report + 0x140, e2.report + 0x140, 32) != 0);
		CHECK_OK(verify_evidence(v, &e2, &res));
		CHECK_INT_EQ(res.chain_cached, 1);
		CHECK_INT_EQ(res.extra_root, 1);
		snp_verifier_free(v);
		attester_evidence_clear(&e);
		attester_evidence_clear(&e2);
	}
}

static void
test_refused_without_root_or_tampered(void)
{
	struct attester_evidence e;
	struct snp_verify_result res;
	struct snp_verifier *v;
	uint8_t rd[64] = { 9 };
	size_t i;

	setup();
	for (i = 0; i < NPRODUCTS; i++) {
		get(i, rd, &e);
		v = verifier_with_root(NPRODUCTS); /* no extra root */
		CHECK_ERR(verify_evidence(v, &e, &res), KBS_ERR_CERT_ISSUER);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_SIGNER_CERT);
		CHECK_INT_EQ(res.extra_root, 0);
		snp_verifier_free(v);

		/* Another chip's root does not help either. */
		v = verifier_with_root((i + 1) % NPRODUCTS);
		CHECK_ERR(verify_evidence(v, &e, &res), KBS_ERR_CERT_ISSUER);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_SIGNER_CERT);
		snp_verifier_free(v);

		v = verifier_with_root(i);
		e.report[0x90 + 5] ^= 0x40; /* measurement */
		CHECK_ERR(verify_evidence(v, &e, &res), KBS_ERR_REPORT_SIGNATURE);
		CHECK_INT_EQ(res.failed_check, SNP_CHECK_REPORT_SIGNATURE);
		CHECK_INT_EQ(res.extra_root, 1);
		e.report[0x90 + 5] ^= 0x40;
		e.report[0x2A0] ^= 1; /* R */
		CHECK_ERR(verify_evidence(v, &e, &res), KBS_ERR_REPORT_SIGNATURE);
		e.report[0x2A0] ^= 1;
		e.report[0x1F0 + 8 + (i == 2 ? 16 : 0)] =
		    1; /* reserved after LAUNCH_TCB / mit vectors */
		CHECK_ERR(verify_evidence(v, &e, &res), KBS_ERR_REPORT_RESERVED);
		snp_verifier_free(v);
		attester_evidence_clear(&e);
	}
}

static void
test_specs(void)
{
	struct attester *a = NULL;
	char *longspec;
	char path[400];

	setup();
	CHECK_ERR(attester_open("", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK_ERR(attester_open("sim", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK_ERR(attester_open("sim:", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK_ERR(attester_open("SIM:/x", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK_ERR(attester_open("simx:/x", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK_ERR(attester_open("si:/x", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK_ERR(attester_open("tsm:", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK_ERR(attester_open(NULL, &a), KBS_ERR_INVALID_ARGUMENT);
	CHECK((longspec = malloc(ATTESTER_SPEC_MAX + 2)) != NULL);
	memset(longspec, 'a', ATTESTER_SPEC_MAX + 1);
	memcpy(longspec, "sim:", 4);
	longspec[ATTESTER_SPEC_MAX + 1] = '\0';
	CHECK_ERR(attester_open(longspec, &a), KBS_ERR_ATTESTER_SPEC);
	free(longspec);
	path_of(path, sizeof(path), sim_test_base, "sim:missing");
	CHECK_ERR(attester_open(path, &a), KBS_ERR_ATTESTER_SPEC); /* "KIND" is the whole path */
	snprintf(path, sizeof(path), "sim:%s/missing", sim_test_base);
	errno = 0;
	CHECK_ERR(attester_open(path, &a), KBS_ERR_SYSTEM);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK(a == NULL);
	attester_close(NULL);
	attester_evidence_clear(NULL);
	CHECK_STR_EQ(attester_kind(NULL), "none");
	CHECK_INT_EQ(attester_is_simulated(NULL), 0);
}

/* copy_chip copies chip directory 0 to name under sim_test_base (for breaking it). */
static void
copy_chip(const char *name, char *out, size_t size)
{
	static const char *const files[] = { SIM_FILE_ARK, SIM_FILE_ASK, SIM_FILE_VCEK,
		SIM_FILE_KEY, SIM_FILE_CONF };
	char from[400], to[400];
	uint8_t *data;
	size_t len = 0, i;
	int fd;

	snprintf(out, size, "%s/%s", sim_test_base, name);
	CHECK(mkdir(out, 0700) == 0);
	for (i = 0; i < KBS_ARRAY_SIZE(files); i++) {
		path_of(from, sizeof(from), dirs[0], files[i]);
		path_of(to, sizeof(to), out, files[i]);
		data = test_read(from, &len);
		CHECK((fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
		CHECK(write(fd, data, len) == (ssize_t)len);
		close(fd);
		free(data);
	}
}

static void
replace_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	char path[400];
	int fd;

	path_of(path, sizeof(path), dir, name);
	CHECK(unlink(path) == 0);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) >= 0);
	CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
	CHECK(chmod(path, mode) == 0);
}

static void
test_broken_chip_dirs(void)
{
	struct attester *a = NULL;
	char dir[400], spec[410], path[400];
	uint8_t *data;
	size_t len = 0;

	setup();
	/* The key readable by the group. */
	copy_chip("perms", dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "sim:%s", dir);
	CHECK_OK(attester_open(spec, &a));
	attester_close(a);
	a = NULL;
	path_of(path, sizeof(path), dir, SIM_FILE_KEY);
	CHECK(chmod(path, 0640) == 0);
	CHECK_ERR(attester_open(spec, &a), KBS_ERR_SIM_KEY_PERMS);

	/* Another chip's key: not the VCEK's. */
	copy_chip("otherkey", dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "sim:%s", dir);
	{
		EVP_PKEY *k = EVP_EC_gen("P-384");
		BIO *bio = BIO_new(BIO_s_mem());
		char *pem = NULL;
		long plen;

		CHECK(k != NULL && bio != NULL);
		CHECK(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) == 1);
		CHECK((plen = BIO_get_mem_data(bio, &pem)) > 0);
		replace_file(dir, SIM_FILE_KEY, pem, (size_t)plen, 0600);
		BIO_free(bio);
		EVP_PKEY_free(k);
	}
	CHECK_ERR(attester_open(spec, &a), KBS_ERR_SIM_KEY);
	replace_file(dir, SIM_FILE_KEY, "not a key\n", 10, 0600);
	CHECK_ERR(attester_open(spec, &a), KBS_ERR_SIM_KEY);

	/* A VCEK file that is no certificate. */
	copy_chip("badcert", dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "sim:%s", dir);
	replace_file(dir, SIM_FILE_VCEK, "junk\n", 5, 0644);
	CHECK_ERR(attester_open(spec, &a), KBS_ERR_SIM_KEY);

	/* A config with an unknown key. */
	copy_chip("badconf", dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "sim:%s", dir);
	path_of(path, sizeof(path), dir, SIM_FILE_CONF);
	data = test_read(path, &len);
	{
		char *text = malloc(len + 32);

		CHECK(text != NULL);
		memcpy(text, data, len);
		memcpy(text + len, "colour = blue\n", 14);
		replace_file(dir, SIM_FILE_CONF, text, len + 14, 0644);
		free(text);
	}
	free(data);
	CHECK_ERR(attester_open(spec, &a), KBS_ERR_SIM_CONFIG);
	CHECK(a == NULL);
}

/* The chip fields drive the verdict: an edited TCB no longer matches the VCEK. */
static void
test_edited_chip_fields_refused(void)
{
	struct attester *a = NULL;
	struct attester_evidence e;
	struct snp_verify_result res;
	struct snp_verifier *v;
	struct sim_config c = cfg[0];
	char dir[400], spec[410], *text = NULL;
	uint8_t rd[64] = { 0 };

	setup();
	copy_chip("edited", dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "sim:%s", dir);
	c.tcb.snp++;
	CHECK_OK(sim_config_format(&c, &text));
	replace_file(dir, SIM_FILE_CONF, text, strlen(text), 0644);
	free(text);
	CHECK_OK(attester_open(spec, &a));
	CHECK_OK(attester_get_report(a, rd, &e));
	attester_close(a);
	v = verifier_with_root(0);
	CHECK_ERR(verify_evidence(v, &e, &res), KBS_ERR_TCB_MISMATCH);
	CHECK_INT_EQ(res.failed_check, SNP_CHECK_TCB);
	CHECK_INT_EQ(res.extra_root, 1);
	snp_verifier_free(v);
	attester_evidence_clear(&e);
}

static void
teardown(void)
{
	sim_test_teardown();
}

TEST_MAIN(TEST(test_reports_verify_under_extra_root), TEST(test_refused_without_root_or_tampered),
    TEST(test_specs), TEST(test_broken_chip_dirs), TEST(test_edited_chip_fields_refused),
    TEST(teardown))
