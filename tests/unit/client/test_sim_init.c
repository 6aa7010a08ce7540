/*
 * test_sim_init.c: sim_init_dir and the chain it issues (client/sim_init.c,
 * client/sim_chain.c), and the --tcb syntax.
 *
 * The directory holds exactly the chip's files, the key 0600 and the
 * directory 0700; a second init is refused (exists) and changes nothing;
 * an init that fails leaves no file. The certificates are shaped like
 * AMD's, checked with snp/'s own checks: RSA-4096 ARK and ASK, RSASSA-PSS
 * SHA-384/salt 48 everywhere, a P-384 VCEK with serial 0 whose AMD
 * extensions decode to the product, TCB and chip id (8 bytes on Turin, and
 * fmcSPL only there), and SIMULATED in every subject. Keys are made once.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "amd_ext-int.h"
#include "chain-int.h"
#include "sim.h"
#include "snp.h"
#include "sim_test.h"
#include "test.h"

static void
setup(void)
{
	(void)sim_test_setup("sim-init");
}

static X509 *
read_pem_cert(const char *dir, const char *name)
{
	char path[400];
	uint8_t *data;
	size_t len = 0;
	BIO *bio;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	data = test_read(path, &len);
	CHECK((bio = BIO_new_mem_buf(data, (int)len)) != NULL);
	CHECK((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL);
	BIO_free(bio);
	free(data);
	return x;
}

static mode_t
mode_of(const char *dir, const char *name)
{
	char path[400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(stat(path, &st) == 0);
	return st.st_mode & 07777;
}

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	CHECK(d != NULL);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static void
check_simulated_name(X509 *x, const char *cn)
{
	char buf[160];

	snp_name_oneline(X509_get_subject_name(x), buf, sizeof(buf));
	CHECK(strstr(buf, "OU=SIMULATED - NOT AMD, O=kbs simulated SEV-SNP chip, CN=") == buf);
	snp_name_cn(X509_get_subject_name(x), buf, sizeof(buf));
	CHECK_STR_EQ(buf, cn);
}

static void
check_chain(const char *dir, const struct sim_config *cfg)
{
	static const char *const names[] = { "", "Milan", "Genoa", "Turin" };
	const X509_ALGOR *alg = NULL;
	struct snp_amd_ext e;
	char cn[32], detail[160];
	uint8_t point[97];
	X509 *ark = read_pem_cert(dir, SIM_FILE_ARK), *ask = read_pem_cert(dir, SIM_FILE_ASK),
	     *vcek = read_pem_cert(dir, SIM_FILE_VCEK);

	snprintf(cn, sizeof(cn), "ARK-%s", names[cfg->product]);
	check_simulated_name(ark, cn);
	snprintf(cn, sizeof(cn), "SEV-%s", names[cfg->product]);
	check_simulated_name(ask, cn);
	check_simulated_name(vcek, "SEV-VCEK");
	CHECK_OK(snp_check_rsa4096(ark));
	CHECK_OK(snp_check_rsa4096(ask));
	CHECK_OK(snp_check_p384(vcek, point));
	CHECK_OK(snp_check_issued(
	    ark, "ARK", ark, "ARK", KBS_ERR_CERT_ARK_SIGNATURE, detail, sizeof(detail)));
	CHECK_OK(snp_check_issued(
	    ask, "ASK", ark, "ARK", KBS_ERR_CERT_ASK_SIGNATURE, detail, sizeof(detail)));
	CHECK_OK(snp_check_issued(
	    vcek, "VCEK", ask, "ASK", KBS_ERR_CERT_VCEK_SIGNATURE, detail, sizeof(detail)));
	X509_get0_signature(NULL, &alg, vcek);
	CHECK_OK(snp_check_pss_alg(alg));
	CHECK(X509_check_ca(ark) == 1 && X509_check_ca(ask) == 1 && X509_check_ca(vcek) == 0);
	CHECK(ASN1_INTEGER_get(X509_get0_serialNumber(vcek)) == 0);
	CHECK_OK(snp_amd_ext_parse(vcek, &e));
	CHECK_UINT_EQ(e.struct_version, cfg->product == SNP_PRODUCT_TURIN ? 1 : 0);
	CHECK_STR_EQ(e.product_name,
	    cfg->product == SNP_PRODUCT_MILAN       ? "Milan-B0"
		: cfg->product == SNP_PRODUCT_GENOA ? "Genoa"
						    : "Turin");
	CHECK_INT_EQ(e.has_fmc, cfg->product == SNP_PRODUCT_TURIN);
	CHECK_MEM_EQ(&e.spl, &cfg->tcb, sizeof(e.spl));
	CHECK_UINT_EQ(e.hwid_len, cfg->product == SNP_PRODUCT_TURIN ? 8 : 64);
	CHECK_MEM_EQ(e.hwid, cfg->chip_id, e.hwid_len);
	CHECK_INT_EQ(e.has_csp_id, 0);
	X509_free(ark);
	X509_free(ask);
	X509_free(vcek);
}

static void
test_init_each_product(void)
{
	static const enum snp_product products[] = { SNP_PRODUCT_MILAN, SNP_PRODUCT_GENOA,
		SNP_PRODUCT_TURIN };
	struct sim_config cfg, back;
	char dir[320], path[400];
	uint8_t *text;
	size_t i, len = 0;
	struct stat st;

	setup();
	for (i = 0; i < KBS_ARRAY_SIZE(products); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", sim_test_base, snp_product_name(products[i]));
		CHECK_OK(sim_config_default(products[i], &cfg));
		if (products[i] == SNP_PRODUCT_TURIN) {
			CHECK(sodium_is_zero(cfg.chip_id + 8, 56));
			CHECK(!sodium_is_zero(cfg.chip_id, 8));
			cfg.tcb.fmc = 4;
		}
		CHECK_OK(sim_init_dir(dir, &cfg, &sim_test_keys, kbs_time_now()));
		CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700);
		CHECK_UINT_EQ(count_entries(dir), 5);
		CHECK_UINT_EQ(mode_of(dir, SIM_FILE_KEY), 0600);
		CHECK((mode_of(dir, SIM_FILE_ARK) & 0133) == 0);
		check_chain(dir, &cfg);
		/* chip.conf holds what the chain was issued for. */
		snprintf(path, sizeof(path), "%s/%s", dir, SIM_FILE_CONF);
		text = test_read(path, &len);
		CHECK_OK(sim_config_parse((const char *)text, len, &back, NULL));
		CHECK_MEM_EQ(&back, &cfg, sizeof(cfg));
		CHECK(strstr((const char *)text, "SIMULATED") != NULL);
		free(text);
	}
}

static void
test_init_refuses_existing(void)
{
	struct sim_config cfg;
	char dir[320], path[400];
	uint8_t *before, *after;
	size_t blen = 0, alen = 0;
	FILE *f;

	setup();
	snprintf(dir, sizeof(dir), "%s/twice", sim_test_base);
	CHECK_OK(sim_config_default(SNP_PRODUCT_GENOA, &cfg));
	CHECK_OK(sim_init_dir(dir, &cfg, &sim_test_keys, kbs_time_now()));
	snprintf(path, sizeof(path), "%s/%s", dir, SIM_FILE_ARK);
	before = test_read(path, &blen);
	CHECK_ERR(sim_init_dir(dir, &cfg, &sim_test_keys, kbs_time_now()), KBS_ERR_EXISTS);
	after = test_read(path, &alen);
	CHECK(blen == alen && memcmp(before, after, blen) == 0);
	CHECK_UINT_EQ(count_entries(dir), 5);
	free(before);
	free(after);

	/* One chip file present is enough to refuse, and nothing is added. */
	snprintf(dir, sizeof(dir), "%s/onefile", sim_test_base);
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/%s", dir, SIM_FILE_CONF);
	CHECK((f = fopen(path, "w")) != NULL);
	fclose(f);
	CHECK_ERR(sim_init_dir(dir, &cfg, &sim_test_keys, kbs_time_now()), KBS_ERR_EXISTS);
	CHECK_UINT_EQ(count_entries(dir), 1);

	/* The parent must exist (no mkdir -p), and a file is no directory. */
	snprintf(dir, sizeof(dir), "%s/no/such", sim_test_base);
	errno = 0;
	CHECK_ERR(sim_init_dir(dir, &cfg, &sim_test_keys, kbs_time_now()), KBS_ERR_SYSTEM);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK_ERR(sim_init_dir(path, &cfg, &sim_test_keys, kbs_time_now()), KBS_ERR_SYSTEM);
	CHECK_INT_EQ(errno, ENOTDIR);
}

static void
test_init_bad_inputs_leave_nothing(void)
{
	struct sim_config cfg;
	struct sim_keys swapped;
	char dir[320];

	setup();
	snprintf(dir, sizeof(dir), "%s/bad", sim_test_base);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK_OK(sim_config_default(SNP_PRODUCT_MILAN, &cfg));
	cfg.product = SNP_PRODUCT_UNKNOWN;
	CHECK_ERR(sim_init_dir(dir, &cfg, &sim_test_keys, kbs_time_now()), KBS_ERR_PRODUCT_UNKNOWN);
	CHECK_OK(sim_config_default(SNP_PRODUCT_MILAN, &cfg));
	swapped = sim_test_keys;
	swapped.ask = sim_test_keys.vcek; /* an EC key where RSA-4096 belongs */
	CHECK_ERR(sim_init_dir(dir, &cfg, &swapped, kbs_time_now()), KBS_ERR_INVALID_ARGUMENT);
	/* A Milan TCB cannot carry an FMC SPL. */
	cfg.tcb.fmc = 1;
	CHECK_ERR(
	    sim_init_dir(dir, &cfg, &sim_test_keys, kbs_time_now()), KBS_ERR_INVALID_ARGUMENT);
	CHECK_UINT_EQ(count_entries(dir), 0);
	CHECK_ERR(sim_init_dir(NULL, &cfg, &sim_test_keys, 0), KBS_ERR_INVALID_ARGUMENT);
}

static void
test_tcb_syntax(void)
{
	struct snp_tcb t, before;
	char out[64];

	memset(&before, 0x77, sizeof(before));
	t = before;
	CHECK_OK(sim_tcb_parse("bl=3,tee=0,snp=8,ucode=115", SNP_PRODUCT_MILAN, &t));
	CHECK(t.bootloader == 3 && t.tee == 0 && t.snp == 8 && t.microcode == 115 && t.fmc == 0);
	CHECK_OK(sim_tcb_parse("ucode=1,snp=2,tee=3,bl=4", SNP_PRODUCT_GENOA, &t));
	CHECK(t.bootloader == 4 && t.tee == 3 && t.snp == 2 && t.microcode == 1);
	CHECK_OK(sim_tcb_parse("bl=1,tee=0,snp=2,ucode=71,fmc=255", SNP_PRODUCT_TURIN, &t));
	CHECK(t.fmc == 255);
	sim_tcb_format(&t, SNP_PRODUCT_TURIN, out, sizeof(out));
	CHECK_STR_EQ(out, "bl=1,tee=0,snp=2,ucode=71,fmc=255");
	CHECK_OK(sim_tcb_parse("bl=1,tee=0,snp=2,ucode=71", SNP_PRODUCT_TURIN, &t));
	CHECK(t.fmc == 0);
	sim_tcb_format(&t, SNP_PRODUCT_MILAN, out, sizeof(out));
	CHECK_STR_EQ(out, "bl=1,tee=0,snp=2,ucode=71");

	t = before;
	CHECK_ERR(sim_tcb_parse("bl=3,tee=0,snp=8,ucode=115,fmc=0", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(
	    sim_tcb_parse("bl=3,tee=0,snp=8", SNP_PRODUCT_MILAN, &t), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=3,bl=3,tee=0,snp=8,ucode=1", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=256,tee=0,snp=8,ucode=1", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=03,tee=0,snp=8,ucode=1", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=-1,tee=0,snp=8,ucode=1", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=,tee=0,snp=8,ucode=1", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=1,tee=0,snp=8,ucode=1,", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=1,tee=0,snp=8,ucode=1,x=2", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=1 ,tee=0,snp=8,ucode=1", SNP_PRODUCT_MILAN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("", SNP_PRODUCT_MILAN, &t), KBS_ERR_INVALID_ARGUMENT);
	CHECK_ERR(sim_tcb_parse("bl=1,tee=0,snp=8,ucode=1", SNP_PRODUCT_UNKNOWN, &t),
	    KBS_ERR_INVALID_ARGUMENT);
	CHECK_MEM_EQ(&t, &before, sizeof(t));
}

static void
teardown(void)
{
	sim_test_teardown();
}

TEST_MAIN(TEST(test_init_each_product), TEST(test_init_refuses_existing),
    TEST(test_init_bad_inputs_leave_nothing), TEST(test_tcb_syntax), TEST(teardown))
