/*
 * test_kds.c: kbs/kds.c without a network (kds_fetch false), on the
 * genuine AMD vectors: VCEKs found in a kds_cache_dir in the broker's and
 * Trustee's layouts (a misfiled one skipped), reports KDS cannot serve
 * (a v2 report, a VLEK), `certs import` of real chains, CRLs and VCEKs
 * with every refusal exact, the CRL's freshness and grace, and the
 * store's cache across a restart; then the fetcher against a tiny KDS on
 * loopback serving the real products' VCEKs, chains and the Milan CRL by
 * the KDS URL scheme (exact queries, Turin's fmcSPL and 8-byte hwID).
 */
#define _GNU_SOURCE /* nftw */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <time.h>

#include "broker.h"
#include "config.h"
#include "kds.h"
#include "keystore.h"
#include "status.h"
#include "test.h"
#include "test_tree.h"

static char root[64] = "/tmp/kbs-kds-XXXXXX";
static char cache[128], data[128];

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

/* open_broker_budget: fetching from url (or offline with the cache), per_minute fetches per
 * address. */
static struct kbs_broker *
open_broker_budget(const char *dir, const char *url, uint32_t per_minute)
{
	struct kbs_broker *b = NULL;
	struct kbs_config cfg;
	char msg[512];
	int first = 0;

	kbs_config_defaults(&cfg);
	cfg.kds_fetches_per_minute = per_minute;
	cfg.kds_fetch = url != NULL;
	if (url != NULL)
		snprintf(cfg.kds_url, sizeof(cfg.kds_url), "%s", url);
	else
		snprintf(cfg.kds_cache_dir, sizeof(cfg.kds_cache_dir), "%s", cache);
	cfg.kds_timeout = 2;
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	if (b == NULL)
		fprintf(stderr, "kbs_broker_open: %s\n", msg);
	return b;
}

static struct kbs_broker *
open_broker_at(const char *dir, const char *url)
{
	return open_broker_budget(dir, url, 10);
}

static struct kbs_broker *
open_broker(void)
{
	return open_broker_at(data, NULL);
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
	rc = kbs_kds_signer(b->kds, &r, NULL, &v, &vl, &c, &cl, &ra);
	if (rc == 0)
		CHECK(v != NULL && vl > 0 && (c == NULL) == (cl == 0));
	free(v);
	free(c);
	*ret_vlen = vl;
	*ret_clen = cl;
	return rc;
}

/* keep: kbs_kds_keep of vector as report's VCEK. */
static void
keep(struct kbs_broker *b, const char *report, const char *vector)
{
	struct snp_report r;
	size_t len = 0;
	uint8_t *d = test_read_vector(vector, &len);

	report_of(report, &r);
	kbs_kds_keep(b->kds, &r, d, len);
	free(d);
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

/*
 * dated_crl: a CRL named as the Milan ARK's, with thisUpdate this_update
 * and nextUpdate a week later, signed by a key of nobody's; malloc'd DER.
 */
static uint8_t *
dated_crl(int64_t this_update, size_t *ret_len)
{
	X509_CRL *crl = X509_CRL_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)this_update);
	ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)(this_update + 7 * 86400));
	EVP_PKEY *key = EVP_RSA_gen(2048);
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int n;

	CHECK(crl != NULL && name != NULL && t1 != NULL && t2 != NULL && key != NULL);
	CHECK(X509_NAME_add_entry_by_txt(
		  name, "CN", MBSTRING_ASC, (const unsigned char *)"ARK-Milan", -1, -1, 0) == 1);
	CHECK(X509_CRL_set_version(crl, 1) == 1 && X509_CRL_set_issuer_name(crl, name) == 1 &&
	    X509_CRL_set1_lastUpdate(crl, t1) == 1 && X509_CRL_set1_nextUpdate(crl, t2) == 1 &&
	    X509_CRL_sign(crl, key, EVP_sha384()) > 0);
	if ((n = i2d_X509_CRL(crl, &der)) > 0 && (out = malloc((size_t)n)) != NULL) {
		memcpy(out, der, (size_t)n);
		*ret_len = (size_t)n;
	}
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	X509_NAME_free(name);
	X509_CRL_free(crl);
	return out;
}

/*
 * A CRL dated in the future is never held: held, it would shut out every
 * genuine list as "older" until that date. The date is checked before the
 * signature (kds.c, load_crl), so these lists of nobody's key show which
 * check refused them.
 */
static void
test_crl_from_the_future(void)
{
	struct kbs_broker *b;
	char dir[160], key[KBS_KDS_PATH_MAX];
	size_t len = 0;
	uint8_t *d = dated_crl((int64_t)time(NULL) + 30 * 86400, &len);

	snprintf(dir, sizeof(dir), "%s/future", root);
	if (d == NULL || (b = open_broker_at(dir, NULL)) == NULL) {
		free(d);
		return;
	}
	CHECK_ERR(kbs_kds_import(b->kds, "vcek/v1/Milan/crl", d, len, key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	/* AMD's list is still held afterwards; as Genoa's, it is another product's. */
	CHECK_OK(import(b, "vcek/v1/Milan/crl", "amd/crl_milan.der", key, sizeof(key)));
	CHECK_ERR(import(b, "vcek/v1/Genoa/crl", "amd/crl_milan.der", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	CHECK_ERR(import(b, "vlek/v1/Turin/crl", "amd/crl_milan.der", key, sizeof(key)),
	    KBS_ERR_KDS_LAYOUT);
	free(d);
	/*
	 * One dated now (a clock a little ahead of ours) passes the date
	 * check and is refused only at the next, the signature: no trusted
	 * ARK has its bare name CN=ARK-Milan (snp_verifier_crl_check).
	 */
	d = dated_crl((int64_t)time(NULL) + 60, &len);
	CHECK(d != NULL);
	if (d != NULL)
		CHECK_ERR(kbs_kds_import(b->kds, "vcek/v1/Milan/crl", d, len, key, sizeof(key)),
		    KBS_ERR_CRL_ISSUER);
	free(d);
	kbs_broker_close(b);
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

/* ---- a tiny KDS on loopback ------------------------------------------------ */

struct route {
	const char *path; /* with the query */
	const char *vector;
	const char *type;
};

static const struct route kds_routes[] = {
	{ "/vcek/v1/Turin/3b42092f69c656d3?fmcSPL=0&blSPL=1&teeSPL=0&snpSPL=2&ucodeSPL=71",
	    "oak/turin_oc_vcek.der", "application/x-x509-ca-cert" },
	{ "/vcek/v1/Turin/cert_chain", "amd/cert_chain_turin.pem", "application/x-pem-file" },
	{ "/vcek/v1/Genoa/cert_chain", "amd/cert_chain_genoa.pem", "application/x-pem-file" },
	{ "/vcek/v1/Milan/crl", "amd/crl_milan.der", "application/pkix-crl" },
	/* A Genoa VCEK served as an HTML page. */
	{ "/vcek/v1/Genoa/", "oak/genoa_oc_vcek.der", "text/html" },
};

static int kds_fd = -1;
static unsigned kds_port;
static unsigned kds_hits[KBS_ARRAY_SIZE(kds_routes)];
static unsigned kds_misses;

static void
kds_answer(int c)
{
	char req[2048], head[256], path[1024];
	const struct route *r = NULL;
	uint8_t *body = NULL;
	size_t len = 0, i;
	ssize_t n;

	n = read(c, req, sizeof(req) - 1);
	if (n <= 0)
		return;
	req[n] = '\0';
	if (sscanf(req, "GET %1023s ", path) != 1)
		return;
	for (i = 0; i < KBS_ARRAY_SIZE(kds_routes) && r == NULL; i++)
		if (strcmp(path, kds_routes[i].path) == 0 ||
		    (kds_routes[i].path[strlen(kds_routes[i].path) - 1] == '/' &&
			strncmp(path, kds_routes[i].path, strlen(kds_routes[i].path)) == 0 &&
			strchr(path + strlen(kds_routes[i].path), '/') == NULL)) {
			r = &kds_routes[i];
			__atomic_fetch_add(&kds_hits[i], 1, __ATOMIC_SEQ_CST);
		}
	if (r != NULL)
		body = test_read_vector(r->vector, &len);
	if (r == NULL)
		__atomic_fetch_add(&kds_misses, 1, __ATOMIC_SEQ_CST);
	snprintf(head, sizeof(head),
	    "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    r != NULL ? "200 OK" : "404 Not Found", r != NULL ? r->type : "text/plain", len);
	if (write(c, head, strlen(head)) < 0 || (len > 0 && write(c, body, len) < 0))
		fprintf(stderr, "kds: write failed\n");
	free(body);
}

static void *
kds_serve(void *arg)
{
	int c;

	(void)arg;
	while ((c = accept(kds_fd, NULL, NULL)) >= 0) {
		kds_answer(c);
		close(c);
	}
	return NULL;
}

static int
kds_start(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t t;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((kds_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(kds_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(kds_fd, 16) != 0 ||
	    getsockname(kds_fd, (struct sockaddr *)&a, &alen) != 0 ||
	    pthread_create(&t, NULL, kds_serve, NULL) != 0)
		return -1;
	pthread_detach(t);
	kds_port = ntohs(a.sin_port);
	return 0;
}

static void
test_fetch_real_products(void)
{
	static const char turin_key[] =
	    "vcek/Turin/3b42092f69c656d3/bl01_tee00_snp02_ucode71_fmc00";
	struct kbs_broker *b;
	struct kbs_kds_crl *c = NULL;
	char dir[160], url[64];
	size_t vl = 0, cl = 0, want = 0, i;
	int stale = 0;
	uint8_t *d;

	CHECK_OK(kds_start());
	snprintf(dir, sizeof(dir), "%s/fetch", root);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", kds_port); /* a trailing '/' is fine */
	if ((b = open_broker_at(dir, url)) == NULL)
		return;
	/* Turin: the VCEK by its 8-byte hwID and all five SPLs, and the real Turin chain. */
	CHECK_OK(signer(b, "oak/turin_oc_report.bin", &vl, &cl));
	d = test_read_vector("oak/turin_oc_vcek.der", &want);
	free(d);
	CHECK_UINT_EQ(vl, want);
	d = test_read_vector("amd/cert_chain_turin.pem", &want);
	free(d);
	CHECK_UINT_EQ(cl, want);
	CHECK_UINT_EQ(kds_hits[0], 1);
	CHECK_UINT_EQ(kds_hits[1], 1);
	/*
	 * Not stored until a report verified under it (KDS serves a genuine
	 * VCEK for any TCB a client names); meanwhile the finished flight
	 * answers, KDS is not asked again. The chain is stored.
	 */
	CHECK_ERR(keystore_cert_get(b->ks, turin_key, &d, &want, NULL), KBS_ERR_NOT_FOUND);
	CHECK_OK(signer(b, "oak/turin_oc_report.bin", &vl, &cl));
	CHECK_UINT_EQ(kds_hits[0], 1);
	CHECK_UINT_EQ(kds_hits[1], 1);
	/* Kept with another chip's VCEK: ignored. Kept with its own: stored. */
	keep(b, "oak/turin_oc_report.bin", "oak/genoa_oc_vcek.der");
	CHECK_ERR(keystore_cert_get(b->ks, turin_key, &d, &want, NULL), KBS_ERR_NOT_FOUND);
	keep(b, "oak/turin_oc_report.bin", "oak/turin_oc_vcek.der");
	CHECK_OK(keystore_cert_get(b->ks, turin_key, &d, &want, NULL));
	free(d);
	CHECK_OK(signer(b, "oak/turin_oc_report.bin", &vl, &cl));
	CHECK_UINT_EQ(kds_hits[0], 1);
	/* A VCEK served as text/html: kds_content, not cached, asked again next time. */
	CHECK_ERR(signer(b, "oak/genoa_oc_report.bin", &vl, &cl), KBS_ERR_KDS_CONTENT);
	CHECK_ERR(signer(b, "oak/genoa_oc_report.bin", &vl, &cl), KBS_ERR_KDS_CONTENT);
	CHECK_UINT_EQ(kds_hits[4], 2);
	/* A chip KDS does not know (404): kds_http. */
	CHECK_ERR(signer(b, "oak/milan_cb_report.bin", &vl, &cl), KBS_ERR_KDS_HTTP);
	/* A verified Milan report: the refresher fetches the real Milan CRL in the background. */
	CHECK_OK(kbs_kds_crl_get(
	    b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, 1785000000, &c, &stale));
	CHECK(c == NULL);
	kbs_kds_seen(b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	for (i = 0; i < 50 && c == NULL; i++) {
		usleep(100000);
		CHECK_OK(kbs_kds_crl_get(
		    b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, 1785000000, &c, &stale));
	}
	CHECK(c != NULL);
	CHECK_INT_EQ(stale, 0);
	kbs_kds_crl_put(b->kds, c);
	/*
	 * That list is past 80% of its validity (past its nextUpdate, even):
	 * KDS serving the same list again must not make the refresher ask in
	 * a loop; it asks again after REFRESH_RETRY (30 s) at the soonest.
	 */
	usleep(1500000);
	CHECK_UINT_EQ(kds_hits[3], 1);
	kbs_kds_seen(b->kds, SNP_PRODUCT_UNKNOWN, SNP_SIGNING_KEY_VCEK); /* ignored */
	kbs_kds_seen(b->kds, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_NONE);   /* ignored */
	kbs_broker_close(b);
}

/* fetch_as: kbs_kds_signer for client with report (chip id byte 0 xor flip); *ret_ra its hint. */
static int
fetch_as(
    struct kbs_broker *b, const char *client, const char *report, uint8_t flip, unsigned *ret_ra)
{
	struct snp_report r;
	uint8_t *v = NULL, *c = NULL;
	size_t vl = 0, cl = 0;
	int rc;

	report_of(report, &r);
	r.chip_id[0] ^= flip;
	rc = kbs_kds_signer(b->kds, &r, client, &v, &vl, &c, &cl, ret_ra);
	free(v);
	free(c);
	return rc;
}

/*
 * A client sending reports of made-up chips (nothing verifies a report
 * before its VCEK is fetched) spends its own budget of KDS fetches, not
 * AMD's patience with the broker: past kds_fetches_per_minute KDS is not
 * asked, while other addresses, cached VCEKs and the broker's own fetches
 * go on.
 */
static void
test_fetch_budget(void)
{
	struct kbs_broker *b;
	char dir[160], url[64];
	unsigned ra = 0, misses, turin;
	uint8_t i;

	snprintf(dir, sizeof(dir), "%s/budget", root);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", kds_port);
	if ((b = open_broker_budget(dir, url, 2)) == NULL)
		return;
	misses = __atomic_load_n(&kds_misses, __ATOMIC_SEQ_CST);
	for (i = 1; i <= 2; i++)
		CHECK_ERR(
		    fetch_as(b, "192.0.2.7", "oak/milan_cb_report.bin", i, &ra), KBS_ERR_KDS_HTTP);
	CHECK_UINT_EQ(__atomic_load_n(&kds_misses, __ATOMIC_SEQ_CST), misses + 2);
	/* The third made-up chip: refused before KDS is asked, retry in 60 / 2 s. */
	CHECK_ERR(fetch_as(b, "192.0.2.7", "oak/milan_cb_report.bin", 3, &ra), KBS_ERR_KDS_BUDGET);
	CHECK_UINT_EQ(ra, 30);
	CHECK_UINT_EQ(__atomic_load_n(&kds_misses, __ATOMIC_SEQ_CST), misses + 2);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_KDS_BUDGET), 503);
	/* A real chip from that address waits too; from another address it is fetched. */
	turin = __atomic_load_n(&kds_hits[0], __ATOMIC_SEQ_CST);
	CHECK_ERR(fetch_as(b, "192.0.2.7", "oak/turin_oc_report.bin", 0, &ra), KBS_ERR_KDS_BUDGET);
	CHECK_OK(fetch_as(b, "192.0.2.8", "oak/turin_oc_report.bin", 0, &ra));
	CHECK_UINT_EQ(__atomic_load_n(&kds_hits[0], __ATOMIC_SEQ_CST), turin + 1);
	/* Once kept, it costs no budget: the spent address is answered from the store. */
	keep(b, "oak/turin_oc_report.bin", "oak/turin_oc_vcek.der");
	CHECK_OK(fetch_as(b, "192.0.2.7", "oak/turin_oc_report.bin", 0, &ra));
	CHECK_UINT_EQ(__atomic_load_n(&kds_hits[0], __ATOMIC_SEQ_CST), turin + 1);
	/* No client (the broker's own look-ups) has no budget. */
	misses = __atomic_load_n(&kds_misses, __ATOMIC_SEQ_CST);
	CHECK_ERR(fetch_as(b, NULL, "oak/milan_cb_report.bin", 4, &ra), KBS_ERR_KDS_HTTP);
	CHECK_UINT_EQ(__atomic_load_n(&kds_misses, __ATOMIC_SEQ_CST), misses + 1);
	kbs_broker_close(b);
}

int
main(void)
{
	static const struct test_case cases[] = { TEST(test_cache_dir), TEST(test_import_and_crl),
		TEST(test_crl_from_the_future), TEST(test_fetch_real_products),
		TEST(test_fetch_budget) };
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
	test_rm_rf(root);
	return r;
}
