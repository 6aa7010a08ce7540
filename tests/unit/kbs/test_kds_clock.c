/*
 * test_kds_clock.c: a genuine CRL in the store, refused at start-up only
 * because the broker's clock was behind (load_crl refuses a list dated
 * more than CRL_SKEW ahead), is held once the clock is right again: the
 * next try for a first list (crl_first, from kbs_kds_signer) reads the
 * store again, as only a list no trusted ARK signed is not re-read
 * (stored_refused). time() is interposed here so the clock can be moved.
 * Found by review.
 */
#define _GNU_SOURCE /* nftw */
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include "broker.h"
#include "config.h"
#include "kds.h"
#include "keystore.h"
#include "test.h"
#include "test_tree.h"

static int64_t offset; /* seconds added to the real clock */

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (time_t)(ts.tv_sec + offset);
	if (t != NULL)
		*t = now;
	return now;
}

static char root[64] = "/tmp/kbs-kdsclock-XXXXXX";
static char data[128];

static struct kbs_broker *
open_offline(void)
{
	struct kbs_broker *b = NULL;
	struct kbs_config cfg;
	char msg[512];
	int first = 0;

	kbs_config_defaults(&cfg);
	cfg.kds_fetch = 0;
	CHECK_OK(kbs_broker_open(&cfg, data, &b, &first, msg, sizeof(msg)));
	if (b == NULL)
		fprintf(stderr, "kbs_broker_open: %s\n", msg);
	return b;
}

static int
import(struct kbs_broker *b, const char *rel, const char *vector)
{
	char key[KBS_KDS_PATH_MAX];
	size_t len = 0;
	uint8_t *d = test_read_vector(vector, &len);
	int r = kbs_kds_import(b->kds, rel, d, len, key, sizeof(key));

	free(d);
	return r;
}

static int
held(struct kbs_broker *b)
{
	struct kbs_kds_crl *c = NULL;
	int stale = 0;

	CHECK_OK(kbs_kds_crl_get(
	    b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, 1782107632 + 60, &c, &stale));
	kbs_kds_crl_put(b->kds, c);
	return c != NULL;
}

static void
test_store_list_after_clock_fix(void)
{
	const int64_t this_update = 1782107632; /* crl_milan.der's thisUpdate */
	struct kbs_broker *b;
	struct snp_report r;
	struct snp_tcb tcb;
	char hwid[129], tcbname[64], rel[400];
	uint8_t *rep, *v = NULL, *c = NULL;
	size_t len = 0, vl = 0, cl = 0;
	unsigned ra = 0;

	rep = test_read_vector("oak/milan_cb_report.bin", &len);
	CHECK_OK(snp_report_parse(rep, len, &r));
	free(rep);
	CHECK_OK(snp_tcb_decode(r.reported_tcb, SNP_PRODUCT_MILAN, &tcb));
	CHECK_OK(kbs_kds_hwid_hex(SNP_PRODUCT_MILAN, r.chip_id, hwid));
	CHECK_OK(kbs_kds_tcb_name(SNP_PRODUCT_MILAN, &tcb, tcbname, sizeof(tcbname)));
	snprintf(rel, sizeof(rel), "vcek/v1/Milan/%s/%s_vcek.der", hwid, tcbname);

	/* The clock right: the VCEK and AMD's genuine Milan list are stored. */
	if ((b = open_offline()) == NULL)
		return;
	CHECK_OK(import(b, rel, "oak/milan_cb_vcek.der"));
	CHECK_OK(import(b, "vcek/v1/Milan/crl", "amd/crl_milan.der"));
	CHECK(held(b));
	kbs_broker_close(b);

	/* A restart with the clock an hour before the list's thisUpdate: refused (future). */
	offset = this_update - 3600 - (int64_t)time(NULL);
	if ((b = open_offline()) == NULL)
		return;
	CHECK(!held(b));
	/* The clock is set right (NTP); the next attestation tries for a first list. */
	offset = 0;
	CHECK_OK(kbs_kds_signer(b->kds, &r, NULL, &v, &vl, &c, &cl, &ra));
	free(v);
	free(c);
	fprintf(
	    stderr, "genuine stored list held after the clock fix: %s\n", held(b) ? "yes" : "NO");
	CHECK(held(b));
	kbs_broker_close(b);
}

int
main(void)
{
	static const struct test_case cases[] = { TEST(test_store_list_after_clock_fix) };
	int r;

	if (kbs_crypto_init() != 0)
		return 2;
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(data, sizeof(data), "%s/data", root);
	r = test_run(cases, KBS_ARRAY_SIZE(cases));
	test_rm_rf(root);
	return r;
}
