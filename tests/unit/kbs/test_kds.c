/*
 * test_kds.c: kbs/kds.c without a network (kds_fetch false), on the
 * genuine AMD vectors: VCEKs found in a kds_cache_dir in the broker's and
 * Trustee's layouts (a misfiled one skipped), reports KDS cannot serve
 * (a v2 report, a VLEK), `certs import` of real chains, CRLs and VCEKs
 * with every refusal exact, the CRL's freshness and grace, and the
 * store's cache across a restart.
 */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "config.h"
#include "kds.h"
#include "test.h"

static char root[64] = "/tmp/kbs-kds-XXXXXX";
static char cache[128], data[128];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* put_file copies vector rel to cache/dest, making the directories on the way. */
static void
put_file(const char *rel, const char *dest)
{
	char path[512], *slash;
	size_t len = 0;
	uint8_t *d = test_read_vector(rel, &len);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cache, dest);
	for (slash = strchr(path + strlen(cache) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(path, 0700);
		*slash = '/';
	}
	CHECK((f = fopen(path, "wb")) != NULL);
	if (f != NULL) {
		CHECK_UINT_EQ(fwrite(d, 1, len, f), len);
		fclose(f);
	}
	free(d);
}

static void
report_of(const char *rel, struct snp_report *ret)
{
	size_t len = 0;
	uint8_t *d = test_read_vector(rel, &len);

	CHECK_OK(snp_report_parse(d, len, ret));
	free(d);
}

/* vcek_name: "{hwid}/{tcb}_vcek.der" of a report of product p. */
static void
vcek_name(const struct snp_report *r, enum snp_product p, char *out, size_t size)
{
	struct snp_tcb tcb;
	char hwid[129], tcbname[64];

	CHECK_OK(snp_tcb_decode(r->reported_tcb, p, &tcb));
	CHECK_OK(kbs_kds_hwid_hex(p, r->chip_id, hwid));
	CHECK_OK(kbs_kds_tcb_name(p, &tcb, tcbname, sizeof(tcbname)));
	snprintf(out, size, "%s/%s_vcek.der", hwid, tcbname);
}

static struct kbs_broker *
open_broker(void)
{
	struct kbs_broker *b = NULL;
	struct kbs_config cfg;
	char msg[512];
	int first = 0;

	kbs_config_defaults(&cfg);
	cfg.kds_fetch = 0;
	snprintf(cfg.kds_cache_dir, sizeof(cfg.kds_cache_dir), "%s", cache);
	CHECK_OK(kbs_broker_open(&cfg, data, &b, &first, msg, sizeof(msg)));
	if (b == NULL)
		fprintf(stderr, "kbs_broker_open: %s\n", msg);
	return b;
}

static int
signer(struct kbs_broker *b, const char *report, size_t *ret_vlen, size_t *ret_clen)
{
	struct snp_report r;
	uint8_t *v = NULL, *c = NULL;
	size_t vl = 0, cl = 0;
	unsigned ra = 0;
	int rc;

	report_of(report, &r);
	rc = kbs_kds_signer(b->kds, &r, &v, &vl, &c, &cl, &ra);
	if (rc == 0)
		CHECK(v != NULL && vl > 0 && (c == NULL) == (cl == 0));
	free(v);
	free(c);
	*ret_vlen = vl;
	*ret_clen = cl;
	return rc;
}

static int
import(struct kbs_broker *b, const char *rel, const char *vector, char *key, size_t size)
{
	size_t len = 0;
	uint8_t *d = test_read_vector(vector, &len);
	int r = kbs_kds_import(b->kds, rel, d, len, key, size);

	free(d);
	return r;
}

static void
test_cache_dir(void)
{
	struct kbs_broker *b;
	struct snp_report g, m;
	char name[300];
	size_t vl, cl, want = 0;
	uint8_t *d;

	report_of("oak/genoa_oc_report.bin", &g);
	vcek_name(&g, SNP_PRODUCT_GENOA, name, sizeof(name) - 20);
	{
		char dest[400];

		snprintf(dest, sizeof(dest), "vcek/v1/Genoa/%s", name);
		put_file("oak/genoa_oc_vcek.der", dest);
	}
	put_file("oak/turin_oc_vcek.der", "vcek/3b42092f69c656d3/vcek.der"); /* Trustee, flat */
	/* A Milan chip's file holding another Milan chip's VCEK: skipped, never used. */
	report_of("oak/milan_oc_release_report.bin", &m);
	vcek_name(&m, SNP_PRODUCT_MILAN, name, sizeof(name) - 20);
	{
		char dest[400];

		snprintf(dest, sizeof(dest), "vcek/%s", name);
		put_file("oak/milan_cb_vcek.der", dest);
	}
	if ((b = open_broker()) == NULL)
		return;
	d = test_read_vector("oak/genoa_oc_vcek.der", &want);
	free(d);
	CHECK_OK(signer(b, "oak/genoa_oc_report.bin", &vl, &cl));
	CHECK_UINT_EQ(vl, want);
	CHECK_UINT_EQ(cl, 0); /* no chain anywhere: AMD's ASK is compiled in */
	CHECK_OK(signer(b, "oak/turin_oc_report.bin", &vl, &cl));
	CHECK_ERR(signer(b, "oak/milan_oc_release_report.bin", &vl, &cl), KBS_ERR_KDS_OFFLINE);
	/* KDS serves nothing for a v2 report (no CPUID product) or a VLEK. */
	CHECK_ERR(signer(b, "go-sev-guest/milan_report.bin", &vl, &cl), KBS_ERR_KDS_NO_KEY);
	CHECK_ERR(signer(b, "trustee/milan_vlek_report.bin", &vl, &cl), KBS_ERR_KDS_NO_KEY);
	kbs_broker_close(b);
}

static void
test_import_and_crl(void)
{
	struct kbs_broker *b;
	struct kbs_kds_crl *c = NULL;
	char key[KBS_KDS_PATH_MAX];
	const int64_t next = 1786147200; /* crl_milan.der's nextUpdate */
	size_t vl, cl;
	int stale = -1;

	if ((b = open_broker()) == NULL)
		return;
	CHECK_OK(
	    import(b, "vcek/v1/Genoa/cert_chain", "amd/cert_chain_genoa.pem", key, sizeof(key)));
	CHECK_STR_EQ(key, "chain/vcek/Genoa");
	CHECK_OK(import(
	    b, "vlek/v1/Genoa/cert_chain", "amd/vlek_cert_chain_genoa.pem", key, sizeof(key)));
	CHECK_STR_EQ(key, "chain/vlek/Genoa");
	/* Another product's chain, the VLEK chain as the VCEK one, a VCEK as a chain. */
	CHECK_ERR(
	    import(b, "vcek/v1/Milan/cert_chain", "amd/cert_chain_genoa.pem", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	CHECK_ERR(import(b, "vcek/v1/Genoa/cert_chain", "amd/vlek_cert_chain_genoa.pem", key,
		      sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	CHECK_ERR(import(b, "vcek/v1/Turin/cert_chain", "oak/turin_oc_vcek.der", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	/* The chain now comes with the Genoa VCEK. */
	CHECK_OK(signer(b, "oak/genoa_oc_report.bin", &vl, &cl));
	CHECK(cl > 0);
	/* VCEKs: Trustee's layout, the TCB and hwID of the path must be the certificate's. */
	CHECK_OK(import(b, "vcek/3b42092f69c656d3/bl01_tee00_snp02_ucode71_fmc00_vcek.der",
	    "oak/turin_oc_vcek.der", key, sizeof(key)));
	CHECK_STR_EQ(key, "vcek/Turin/3b42092f69c656d3/bl01_tee00_snp02_ucode71_fmc00");
	CHECK_ERR(import(b, "vcek/3b42092f69c656d3/bl01_tee00_snp03_ucode71_fmc00_vcek.der",
		      "oak/turin_oc_vcek.der", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	CHECK_ERR(
	    import(b, "vcek/0b42092f69c656d3/vcek.der", "oak/turin_oc_vcek.der", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	CHECK_ERR(
	    import(b, "vcek/v1/Milan/3b42092f69c656d3/bl01_tee00_snp02_ucode71_fmc00_vcek.der",
		"oak/turin_oc_vcek.der", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	CHECK_ERR(import(b, "turin/vcek.der", "oak/turin_oc_vcek.der", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	/* The real Milan CRL: held at once, fresh, then stale, then past the grace. */
	CHECK_ERR(import(b, "vcek/v1/Milan/crl", "amd/cert_chain_milan.pem", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	CHECK_OK(
	    kbs_kds_crl_get(b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, next, &c, &stale));
	CHECK(c == NULL); /* none held yet */
	CHECK_OK(import(b, "vcek/v1/Milan/crl", "amd/crl_milan.der", key, sizeof(key)));
	CHECK_STR_EQ(key, "crl/vcek/Milan");
	CHECK_OK(
	    kbs_kds_crl_get(b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, next, &c, &stale));
	CHECK(c != NULL && kbs_kds_crl_list(c) != NULL);
	CHECK_INT_EQ(stale, 0);
	kbs_kds_crl_put(b->kds, c);
	CHECK_OK(
	    kbs_kds_crl_get(b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, next + 1, &c, &stale));
	CHECK(c != NULL);
	CHECK_INT_EQ(stale, 1);
	kbs_kds_crl_put(b->kds, c);
	CHECK_OK(kbs_kds_crl_get(
	    b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, next + 86400, &c, &stale));
	CHECK(c != NULL);
	kbs_kds_crl_put(b->kds, c);
	CHECK_ERR(kbs_kds_crl_get(
		      b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, next + 86401, &c, &stale),
	    KBS_ERR_CRL_EXPIRED);
	CHECK(c == NULL);
	/* The other chain and another product hold none. */
	CHECK_OK(
	    kbs_kds_crl_get(b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VLEK, next, &c, &stale));
	CHECK(c == NULL);
	CHECK_OK(
	    kbs_kds_crl_get(b->kds, SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VCEK, next, &c, &stale));
	CHECK(c == NULL);
	kbs_broker_close(b);

	/* A restart loads the CRL from the store. */
	if ((b = open_broker()) == NULL)
		return;
	CHECK_OK(
	    kbs_kds_crl_get(b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, next, &c, &stale));
	CHECK(c != NULL);
	kbs_kds_crl_put(b->kds, c);
	CHECK_OK(signer(b, "oak/turin_oc_report.bin", &vl, &cl)); /* the store, not the directory */
	kbs_broker_close(b);
}

int
main(void)
{
	static const struct test_case cases[] = { TEST(test_cache_dir), TEST(test_import_and_crl) };
	int r;

	if (kbs_crypto_init() != 0)
		return 2;
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(cache, sizeof(cache), "%s/cache", root);
	snprintf(data, sizeof(data), "%s/data", root);
	(void)mkdir(cache, 0700);
	r = test_run(cases, KBS_ARRAY_SIZE(cases));
	(void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
