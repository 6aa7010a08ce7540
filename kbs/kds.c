/*
 * kds.c: the AMD KDS fetcher and its caches (kds.h says what it does).
 *
 * Look-up order for one resource: the store (keystore_cert_get), the
 * read-only kds_cache_dir, then KDS. Everything a source returns is
 * checked before it is used or stored: a VCEK must name the report's
 * product, hwID and SPLs (snp_signer_facts), a chain the product's ARK
 * and ASK (snp_chain_facts), a CRL must parse with both update times and
 * be signed by an ARK the verifier trusts for its product
 * (snp_verifier_crl_check). None of that replaces snp_verify_report; it
 * keeps a wrong answer (a KDS mirror serving another chip's certificate,
 * a forged CRL) out of the cache, where it would refuse that chip's (or
 * product's) guests until an operator removed it.
 *
 * Single flight: a fetch runs in the thread of the first request that
 * needs it; requests for the same key wait on the flight's condition
 * variable, at most kds_timeout + 2 seconds (the fetch itself cannot
 * take longer than kds_timeout: CURLOPT_TIMEOUT is hard). The flight
 * table has a fixed size; a request finding it full is answered
 * KBS_ERR_KDS_BUSY instead of opening unbounded connections to AMD.
 *
 * Back-off: a 429 or 503 sets one broker-wide deadline from its
 * Retry-After (seconds form; KBS_KDS_RETRY_DEFAULT when absent or in the
 * date form), because KDS limits by client address, not by resource.
 * Until then no fetch starts and each request is answered
 * KBS_ERR_KDS_UNAVAILABLE with the seconds left. That deadline is every
 * guest's, and the chip id and TCB of a fetch are the (not yet verified)
 * report's, so whoever can send reports could make us exceed AMD's limit
 * for all: each client key has a budget of VCEK fetches it may start
 * (kds_fetches_per_minute, kbs/ratelimit.c; KBS_ERR_KDS_BUDGET past it).
 *
 * CRLs are held per product and chain as reference-counted objects, so
 * the refresher can replace one while verifications still read the old.
 * A refresh never installs a list older (by thisUpdate) than the held one.
 */
#include "kds.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "kbs_file.h"
#include "kbs_log.h"
#include "keystore.h"
#include "metrics.h"
#include "outbound.h"
#include "ratelimit.h"

#define FLIGHTS 64
#define WAIT_MARGIN 2    /* seconds a waiter waits past the fetch's own timeout */
#define REFRESH_IDLE 60  /* seconds between refresher passes when nothing is due */
#define REFRESH_RETRY 30 /* seconds before a failed CRL refresh is tried again */
#define CHAINS 2         /* VCEK, VLEK */
#define RECENT \
	30 /* seconds a fetched VCEK stays in its flight, for guests kbs_kds_keep has not yet \
	      served */
#define CRL_SKEW 600 /* seconds a CRL's thisUpdate may lie ahead of our clock */
#define URL_MAX (KBS_CONFIG_PATH_MAX + KBS_KDS_PATH_MAX)

struct kbs_kds_crl {
	struct snp_crl *crl;
	int refs; /* under kbs_kds.mu; the slot holds one */
	int64_t this_update, next_update;
};

/*
 * stored_refused: the store's list of the slot is signed by no ARK
 * trusted for its product (crl_signature, crl_issuer: one stored before
 * lists were checked at intake may be forged). It is not read again while
 * the flag is set: every crl_first would otherwise parse and log it anew,
 * at most every REFRESH_RETRY seconds for as long as no list is held.
 * Only those two refusals set it, as they depend on the bytes and the
 * trust roots alone, which do not change while the broker runs; a list
 * refused as dated ahead of a clock that is wrong at boot, or for want of
 * memory, is read again and held once the cause is gone. crl_install
 * clears it: the store's list is replaced only by a list once held
 * (crl_keep, an import), and the store is read only while none is held,
 * so until then the refused list is still the store's.
 */
struct crl_slot {
	struct kbs_kds_crl *cur;
	int tracked;        /* refreshed by the thread (a list is held, or a VCEK was fetched) */
	int stored_refused; /* under kbs_kds.mu, see above */
	int64_t next_try;   /* after a failed refresh */
};

struct flight {
	int used;
	char key[KBS_KDS_PATH_MAX];
	int done;
	int r;
	uint8_t *data;
	size_t len;
	unsigned retry_after;
	unsigned waiters;
	int64_t keep_until; /* monotonic seconds: a fetched VCEK is joinable until then */
};

struct kbs_kds {
	char url[KBS_CONFIG_PATH_MAX];
	char dir[KBS_CONFIG_PATH_MAX];
	unsigned timeout;
	int fetch;
	int64_t grace;
	struct keystore *ks;
	const struct snp_verifier *v; /* the broker's: the ARKs a CRL must be signed by */
	struct kbs_metrics *m;
	struct kbs_ratelimit *budget; /* VCEK fetches started per client key */
	unsigned budget_wait;         /* seconds until a spent budget has a fetch again */

	pthread_mutex_t mu;
	pthread_mutex_t store_mu; /* a CRL's install and store are one step (crl_keep) */
	pthread_cond_t flight_cv; /* CLOCK_MONOTONIC */
	pthread_cond_t wake_cv;   /* CLOCK_MONOTONIC; the refresher sleeps on it */
	struct flight flights[FLIGHTS];
	int64_t backoff_until; /* wall seconds; no fetch before */
	struct crl_slot crls[SNP_PRODUCT_COUNT][CHAINS];
	pthread_t thread;
	int thread_started;
	int stop;
};

/* What one resource is and how an answer for it is checked. */
struct want {
	enum kbs_kds_item item;
	enum snp_product product;
	enum snp_signing_key chain;
	const char *hwid;          /* VCEK */
	const struct snp_tcb *tcb; /* VCEK */
	char key[KBS_KDS_PATH_MAX];
	char kds_path[KBS_KDS_PATH_MAX];
	char dir_paths[3][KBS_KDS_PATH_MAX];
	size_t n_dir_paths;
};

static int
chain_index(enum snp_signing_key s)
{
	return s == SNP_SIGNING_KEY_VLEK ? 1 : 0;
}

static void
crl_unref_locked(struct kbs_kds_crl *c)
{
	if (c != NULL && --c->refs == 0) {
		snp_crl_free(c->crl);
		free(c);
	}
}

/* ---- checking what a source returned --------------------------------- */

static int
hex_eq(const uint8_t *b, size_t n, const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (strlen(hex) != 2 * n)
		return 0;
	for (i = 0; i < n; i++)
		if (hex[2 * i] != digits[b[i] >> 4] || hex[2 * i + 1] != digits[b[i] & 15])
			return 0;
	return 1;
}

/*
 * check_vcek: the certificate is a VCEK of w's product, hwID and SPLs.
 * With w->tcb NULL (Trustee's flat vcek.der, imported) only the product
 * and hwID are required.
 */
static int
check_vcek(const struct want *w, const uint8_t *d, size_t n, struct snp_signer_facts *ret)
{
	struct snp_signer_facts f;
	const struct snp_tcb *t = w->tcb;

	if (snp_signer_facts(d, n, &f) != 0)
		return KBS_ERR_KDS_CONTENT;
	if (f.kind != SNP_SIGNING_KEY_VCEK ||
	    (w->product != SNP_PRODUCT_UNKNOWN && f.product != w->product) ||
	    !hex_eq(f.hwid, f.hwid_len, w->hwid))
		return KBS_ERR_KDS_WRONG_CERT;
	if (t != NULL &&
	    (f.spl.bootloader != t->bootloader || f.spl.tee != t->tee || f.spl.snp != t->snp ||
		f.spl.microcode != t->microcode ||
		(f.product == SNP_PRODUCT_TURIN && f.spl.fmc != t->fmc)))
		return KBS_ERR_KDS_WRONG_CERT;
	if (ret != NULL)
		*ret = f;
	return 0;
}

static int
check_chain(const struct want *w, const uint8_t *d, size_t n)
{
	enum snp_product p;
	enum snp_signing_key s;

	if (snp_chain_facts(d, n, &p, &s) != 0)
		return KBS_ERR_KDS_CONTENT;
	if (p != w->product || s != w->chain)
		return KBS_ERR_KDS_WRONG_CERT;
	return 0;
}

/*
 * load_crl parses a CRL from any source (KDS, the directory, an import,
 * the store at start-up: every list held or stored passes here). Its
 * thisUpdate decides whether a later list may replace it (no rollback),
 * so a list is taken only when signed by an ARK the verifier trusts for
 * p (KBS_ERR_CRL_SIGNATURE, KBS_ERR_CRL_ISSUER): a forged list from a
 * mirror, the directory or an import would otherwise displace the genuine
 * one and fail every attestation of p until AMD published a newer list.
 * A list dated in the future cannot be AMD's either, and held it would
 * shut out every genuine list until that date, so it is refused; so is a
 * list another product's ARK issued (by name), which would fail every
 * verification of p at the issuer check (both KBS_ERR_KDS_CONTENT).
 */
static int
load_crl(const struct kbs_kds *k, enum snp_product p, enum snp_signing_key chain, const uint8_t *d,
    size_t n, struct kbs_kds_crl **ret)
{
	struct kbs_kds_crl *c;
	int r = KBS_ERR_KDS_CONTENT;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KBS_ERR_ALLOC;
	if (snp_crl_load_for(d, n, chain, &c->crl) != 0 ||
	    snp_crl_times(c->crl, &c->this_update, &c->next_update) != 0 ||
	    c->this_update > (int64_t)time(NULL) + CRL_SKEW || snp_crl_product(c->crl) != p ||
	    (r = snp_verifier_crl_check(k->v, c->crl, p, NULL, 0)) != 0) {
		snp_crl_free(c->crl);
		free(c);
		return r;
	}
	c->refs = 1;
	*ret = c;
	return 0;
}

/*
 * check: d is what w asks for. A CRL is parsed and checked here once:
 * the loaded list is handed to *ret_crl (one reference, for crl_install
 * or crl_keep), so the list held is the one checked, never a second parse
 * of the same bytes. ret_crl may be NULL for a VCEK or a chain.
 */
static int
check(const struct kbs_kds *k, const struct want *w, const uint8_t *d, size_t n,
    struct kbs_kds_crl **ret_crl)
{
	switch (w->item) {
	case KBS_KDS_VCEK:
		return check_vcek(w, d, n, NULL);
	case KBS_KDS_CHAIN:
		return check_chain(w, d, n);
	case KBS_KDS_CRL:
		if (ret_crl == NULL)
			return KBS_ERR_INTERNAL;
		return load_crl(k, w->product, w->chain, d, n, ret_crl);
	}
	return KBS_ERR_INTERNAL;
}

/* ---- HTTP ------------------------------------------------------------- */

struct body {
	uint8_t *p;
	size_t len;
	int over;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;
	uint8_t *np;

	if (n > KBS_KDS_BODY_MAX - b->len) {
		b->over = 1;
		return 0; /* aborts the transfer */
	}
	if ((np = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	return n;
}

/*
 * content_type_ok: what KDS (and a mirror serving files) labels each
 * resource with. A text/html error page is never a certificate.
 */
static int
content_type_ok(enum kbs_kds_item item, const char *ct)
{
	static const char *const der[] = { "application/x-x509-ca-cert", "application/pkix-cert",
		"application/x-x509-user-cert", "application/octet-stream", NULL };
	static const char *const pem[] = { "application/x-pem-file", "application/x-x509-ca-cert",
		"application/pkix-cert", "application/octet-stream", "text/plain", NULL };
	static const char *const crl[] = { "application/pkix-crl", "application/x-pkcs7-crl",
		"application/octet-stream", NULL };
	const char *const *list = item == KBS_KDS_VCEK ? der : item == KBS_KDS_CHAIN ? pem : crl;
	size_t i, n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, "; ");
	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && strncasecmp(ct, list[i], n) == 0)
			return 1;
	return 0;
}

static unsigned
retry_seconds(curl_off_t ra)
{
	if (ra <= 0)
		return KBS_KDS_RETRY_DEFAULT;
	return ra > KBS_KDS_RETRY_MAX ? KBS_KDS_RETRY_MAX : (unsigned)ra;
}

/*
 * http_get fetches w->kds_path from the base URL within the hard timeout
 * and checks status and content type; the body is checked by the caller.
 * Counts every outcome but "ok" (the caller counts that once stored).
 */
static int
http_get(struct kbs_kds *k, const struct want *w, uint8_t **ret, size_t *ret_len,
    unsigned *ret_retry_after)
{
	struct body b = { NULL, 0, 0 };
	char url[URL_MAX];
	const char *ct = NULL;
	CURL *h = NULL;
	CURLcode cr;
	curl_off_t ra = 0;
	long status = 0, ms;
	int r = KBS_ERR_ALLOC, res = KBS_METRICS_KDS_HTTP_ERROR;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", k->url, w->kds_path) >= sizeof(url)) {
		r = KBS_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if ((h = curl_easy_init()) == NULL)
		goto out;
	ms = (long)k->timeout * 1000; /* kds_timeout bounds the connect and the whole fetch */
	if (kbs_outbound_setup(h, url, ms, ms) != 0 ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "kbs/0.1") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	cr = curl_easy_perform(h);
	if (cr == CURLE_OPERATION_TIMEDOUT) {
		r = KBS_ERR_KDS_TIMEOUT;
		res = KBS_METRICS_KDS_TIMEOUT;
		*ret_retry_after = k->timeout;
		goto out;
	}
	if (cr != CURLE_OK) {
		r = b.over ? KBS_ERR_KDS_CONTENT : KBS_ERR_KDS_UNAVAILABLE;
		res = b.over ? KBS_METRICS_KDS_BAD_CONTENT : KBS_METRICS_KDS_HTTP_ERROR;
		*ret_retry_after = KBS_KDS_RETRY_DEFAULT;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 429 || status == 503) {
		curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra);
		*ret_retry_after = retry_seconds(ra);
		r = KBS_ERR_KDS_UNAVAILABLE;
		res = KBS_METRICS_KDS_HTTP_429;
		pthread_mutex_lock(&k->mu);
		k->backoff_until = (int64_t)time(NULL) + *ret_retry_after;
		pthread_mutex_unlock(&k->mu);
		goto out;
	}
	if (status != 200) {
		r = KBS_ERR_KDS_HTTP;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	if (!content_type_ok(w->item, ct) || b.len == 0) {
		r = KBS_ERR_KDS_CONTENT;
		res = KBS_METRICS_KDS_BAD_CONTENT;
		goto out;
	}
	*ret = b.p;
	*ret_len = b.len;
	b.p = NULL;
	r = 0;
out:
	if (r != 0) {
		kbs_metrics_kds_fetch(k->m, w->item, res);
		kbs_log(KBS_LOG_WARNING,
		    "{\"event\":\"kds_fetch\",\"path\":\"%.200s\",\"status\":%ld,\"error\":\"%s\"}",
		    w->kds_path, status, kbs_err_name(r));
	}
	curl_easy_cleanup(h);
	free(b.p);
	return r;
}

/* cache_put stores in the store's cache; one that fails costs a later fetch, not this answer. */
static void
cache_put(struct kbs_kds *k, const char *key, const uint8_t *d, size_t n)
{
	if (keystore_cert_put(k->ks, key, d, n, (int64_t)time(NULL)) != 0)
		kbs_log(KBS_LOG_WARNING, "{\"event\":\"kds_cache_put\",\"key\":\"%.200s\"}", key);
}

/*
 * crl_install holds c (taken) for its product and chain unless the held
 * one is newer: KBS_ERR_CRL_ROLLBACK when c is older (its own code, so an
 * import tells a rollback from bad content). One list is held per product
 * and chain, and every chain of the product is checked against it, so a
 * list from another trusted ARK (the pinned AMD one and an extra root may
 * both be trusted for a product) never replaces the held one:
 * KBS_ERR_CRL_OTHER_ARK. Otherwise a captured list of one root, newer than
 * the other's, would fail every guest of the other root until its ARK
 * published a newer list.
 */
static int
crl_install(
    struct kbs_kds *k, enum snp_product p, enum snp_signing_key chain, struct kbs_kds_crl *c)
{
	struct crl_slot *s = &k->crls[p][chain_index(chain)];
	int r = 0;

	pthread_mutex_lock(&k->mu);
	if (s->cur != NULL && !snp_crl_same_issuer(s->cur->crl, c->crl)) {
		crl_unref_locked(c);
		r = KBS_ERR_CRL_OTHER_ARK;
	} else if (s->cur != NULL && s->cur->this_update > c->this_update) {
		crl_unref_locked(c);
		r = KBS_ERR_CRL_ROLLBACK;
	} else {
		crl_unref_locked(s->cur);
		s->cur = c;
		s->tracked = 1;
		s->next_try = 0;
		s->stored_refused = 0;
		kbs_metrics_crl_held(
		    k->m, (unsigned)p, (unsigned)chain_index(chain), c->this_update);
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

/*
 * crl_keep holds c (taken), a list of w that passed check(), and once
 * held (it is not older than the held one) stores its body d. Both steps
 * are one under store_mu: else a list held just before a newer one could
 * be stored after it, and a restart would hold the older list. With
 * store_err the store's error is returned (an import must say its list
 * was not stored); without, it is logged (a fetch answers with the list).
 */
static int
crl_keep(struct kbs_kds *k, const struct want *w, struct kbs_kds_crl *c, const uint8_t *d, size_t n,
    bool store_err)
{
	int r;

	pthread_mutex_lock(&k->store_mu);
	if ((r = crl_install(k, w->product, w->chain, c)) == 0) {
		if (store_err)
			r = keystore_cert_put(k->ks, w->key, d, n, (int64_t)time(NULL));
		else
			cache_put(k, w->key, d, n);
	}
	pthread_mutex_unlock(&k->store_mu);
	return r;
}

/*
 * fetch_checked: one KDS fetch whose body passes check(); a chain is
 * stored, a CRL held and then stored (crl_keep: its answer is the
 * flight's, so callers waiting on the flight neither parse nor install it
 * again).
 */
static int
fetch_checked(struct kbs_kds *k, const struct want *w, uint8_t **ret, size_t *ret_len,
    unsigned *ret_retry_after)
{
	struct kbs_kds_crl *c = NULL;
	uint8_t *d = NULL;
	size_t n = 0;
	int r;

	if ((r = http_get(k, w, &d, &n, ret_retry_after)) != 0)
		return r;
	if ((r = check(k, w, d, n, &c)) != 0) {
		kbs_metrics_kds_fetch(k->m, w->item, KBS_METRICS_KDS_BAD_CONTENT);
		kbs_log(KBS_LOG_WARNING,
		    "{\"event\":\"kds_fetch\",\"path\":\"%.200s\",\"status\":200,\"error\":\"%s\"}",
		    w->kds_path, kbs_err_name(r));
		free(d);
		return r;
	}
	/*
	 * A CRL is stored once held (crl_keep), so an older one never
	 * replaces a newer; a VCEK once a report verified under it
	 * (kbs_kds_keep): KDS serves a genuine VCEK for any TCB of a known
	 * chip id, so whoever sends reports could otherwise fill the store.
	 */
	if (w->item == KBS_KDS_CHAIN)
		cache_put(k, w->key, d, n);
	kbs_metrics_kds_fetch(k->m, w->item, KBS_METRICS_KDS_OK);
	/* An older list than the held one (crl_rollback) was fetched: counted ok, not held. */
	if (w->item == KBS_KDS_CRL && (r = crl_keep(k, w, c, d, n, false)) != 0) {
		free(d);
		return r;
	}
	*ret = d;
	*ret_len = n;
	return 0;
}

/* ---- single flight ------------------------------------------------------ */

static void
deadline_in(struct timespec *ts, unsigned seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += seconds;
}

static int64_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void
flight_release_locked(struct flight *f)
{
	if (f->waiters == 0 && f->done && (f->r != 0 || mono_now() >= f->keep_until)) {
		free(f->data);
		memset(f, 0, sizeof(*f));
	}
}

static int
copy_out(const uint8_t *d, size_t n, uint8_t **ret, size_t *ret_len)
{
	uint8_t *c;

	if ((c = malloc(n)) == NULL)
		return KBS_ERR_ALLOC;
	memcpy(c, d, n);
	*ret = c;
	*ret_len = n;
	return 0;
}

/* budget_ok takes one fetch from client's budget (NULL: none applies). */
static int
budget_ok(struct kbs_kds *k, const char *client)
{
	struct timespec ts;

	if (client == NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return kbs_ratelimit_take(
	    k->budget, client, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * fly fetches w from KDS once however many callers ask for w->key at the
 * same time: the first runs the fetch, the others wait for its result.
 * With recheck, a caller that starts a flight looks in the store once
 * more first: a flight for the key may have ended (and stored it) between
 * its own look-up and now. Only starting a flight costs client's budget.
 */
static int
fly(struct kbs_kds *k, const struct want *w, int recheck, const char *client, uint8_t **ret,
    size_t *ret_len, unsigned *ret_retry_after)
{
	struct flight *f = NULL, *free_slot = NULL;
	struct timespec until;
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int r;

	pthread_mutex_lock(&k->mu);
	if (now < k->backoff_until) {
		*ret_retry_after = (unsigned)(k->backoff_until - now);
		pthread_mutex_unlock(&k->mu);
		return KBS_ERR_KDS_UNAVAILABLE;
	}
	for (i = 0; i < FLIGHTS && f == NULL; i++) {
		if (k->flights[i].used)
			flight_release_locked(&k->flights[i]); /* a kept VCEK past RECENT */
		if (k->flights[i].used && strcmp(k->flights[i].key, w->key) == 0)
			f = &k->flights[i];
		else if (!k->flights[i].used && free_slot == NULL)
			free_slot = &k->flights[i];
	}
	if (f != NULL) { /* someone is fetching it: wait */
		f->waiters++;
		deadline_in(&until, k->timeout + WAIT_MARGIN);
		while (!f->done)
			if (pthread_cond_timedwait(&k->flight_cv, &k->mu, &until) != 0)
				break;
		f->waiters--;
		if (!f->done) {
			r = KBS_ERR_KDS_TIMEOUT;
			*ret_retry_after = k->timeout;
		} else if ((r = f->r) == 0) {
			r = copy_out(f->data, f->len, ret, ret_len);
		} else {
			*ret_retry_after = f->retry_after;
		}
		flight_release_locked(f);
		pthread_mutex_unlock(&k->mu);
		return r;
	}
	if (free_slot == NULL) {
		pthread_mutex_unlock(&k->mu);
		*ret_retry_after = 1;
		return KBS_ERR_KDS_BUSY;
	}
	if (!budget_ok(k, client)) {
		pthread_mutex_unlock(&k->mu);
		*ret_retry_after = k->budget_wait;
		return KBS_ERR_KDS_BUDGET;
	}
	f = free_slot;
	f->used = 1;
	memcpy(f->key, w->key, strlen(w->key) + 1);
	pthread_mutex_unlock(&k->mu);

	if (recheck && keystore_cert_get(k->ks, w->key, ret, ret_len, NULL) == 0) {
		kbs_metrics_kds_fetch(k->m, w->item, KBS_METRICS_KDS_CACHED);
		r = 0;
	} else {
		r = fetch_checked(k, w, ret, ret_len, ret_retry_after);
	}

	pthread_mutex_lock(&k->mu);
	f->r = r;
	f->retry_after = *ret_retry_after;
	/*
	 * A VCEK is stored only once a report verified under it, so guests
	 * coming after this flight but before that find it here for RECENT
	 * seconds instead of fetching it again.
	 */
	if (r == 0 && w->item == KBS_KDS_VCEK)
		f->keep_until = mono_now() + RECENT;
	if (r == 0 && (f->waiters > 0 || f->keep_until > 0) &&
	    copy_out(*ret, *ret_len, &f->data, &f->len) != 0)
		f->r = KBS_ERR_ALLOC;
	f->done = 1;
	pthread_cond_broadcast(&k->flight_cv);
	flight_release_locked(f);
	pthread_mutex_unlock(&k->mu);
	return r;
}

/* ---- look-up: store, directory, KDS ------------------------------------ */

/* from_dir: the directory's file of w (a CRL: its loaded list in *ret_crl, see check()). */
static int
from_dir(struct kbs_kds *k, const struct want *w, uint8_t **ret, size_t *ret_len,
    struct kbs_kds_crl **ret_crl)
{
	char path[KBS_CONFIG_PATH_MAX + KBS_KDS_PATH_MAX];
	uint8_t *d;
	size_t i, n;
	int r;

	if (k->dir[0] == '\0')
		return KBS_ERR_NOT_FOUND;
	for (i = 0; i < w->n_dir_paths; i++) {
		snprintf(path, sizeof(path), "%s/%s", k->dir, w->dir_paths[i]);
		if (kbs_file_read(path, KBS_KDS_BODY_MAX, &d, &n) != 0)
			continue;
		if ((r = check(k, w, d, n, ret_crl)) != 0) {
			/* A misfiled certificate is skipped (and said), never used. */
			kbs_metrics_kds_fetch(k->m, w->item, KBS_METRICS_KDS_BAD_CONTENT);
			kbs_log(KBS_LOG_WARNING,
			    "{\"event\":\"kds_cache_dir\",\"file\":\"%.200s\",\"error\":\"%s\"}",
			    w->dir_paths[i], kbs_err_name(r));
			free(d);
			continue;
		}
		if (w->item != KBS_KDS_CRL)
			cache_put(k, w->key, d, n);
		*ret = d;
		*ret_len = n;
		return 0;
	}
	return KBS_ERR_NOT_FOUND;
}

/* obtain: the store, the cache directory, then (when allowed) KDS, on client's budget. */
static int
obtain(struct kbs_kds *k, const struct want *w, const char *client, uint8_t **ret, size_t *ret_len,
    unsigned *ret_retry_after)
{
	int r;

	r = keystore_cert_get(k->ks, w->key, ret, ret_len, NULL);
	if (r == 0 || (r = from_dir(k, w, ret, ret_len, NULL)) == 0) {
		kbs_metrics_kds_fetch(k->m, w->item, KBS_METRICS_KDS_CACHED);
		return 0;
	}
	if (!k->fetch)
		return KBS_ERR_KDS_OFFLINE;
	return fly(k, w, 1, client, ret, ret_len, ret_retry_after);
}

static int
want_item(struct want *w, enum kbs_kds_item item, enum snp_product p, enum snp_signing_key chain)
{
	const char *seg = kbs_kds_product_segment(p);
	const char *c = chain == SNP_SIGNING_KEY_VLEK ? "vlek" : "vcek";
	int r;

	memset(w, 0, sizeof(*w));
	w->item = item;
	w->product = p;
	w->chain = chain;
	if ((r = kbs_kds_item_key(item, p, chain, w->key, sizeof(w->key))) != 0 ||
	    (r = item == KBS_KDS_CRL
		    ? kbs_kds_crl_path(p, chain, w->kds_path, sizeof(w->kds_path))
		    : kbs_kds_chain_path(p, chain, w->kds_path, sizeof(w->kds_path))) != 0)
		return r;
	snprintf(w->dir_paths[0], sizeof(w->dir_paths[0]), "%s/v1/%s/%s", c, seg,
	    item == KBS_KDS_CRL ? "crl" : "cert_chain");
	w->n_dir_paths = 1;
	return 0;
}

/* ---- CRLs ---------------------------------------------------------------- */

/*
 * crl_refresh fetches the list of p and chain from KDS (never a cache: it
 * is refreshing); the flight holds and stores it (fetch_checked).
 */
static int
crl_refresh(struct kbs_kds *k, enum snp_product p, enum snp_signing_key chain)
{
	struct want w;
	uint8_t *d = NULL;
	size_t n = 0;
	unsigned ra = 0;
	int r;

	if ((r = want_item(&w, KBS_KDS_CRL, p, chain)) != 0)
		return r;
	r = fly(k, &w, 0, NULL, &d, &n, &ra);
	free(d);
	return r;
}

/*
 * crl_load_cached holds the newest of the lists the store and the
 * directory have, if any (a directory list newer than the store's is
 * stored). The store's list, once refused, is not read again (struct
 * crl_slot): its refusal is logged once, and not counted in
 * kbs_kds_fetches_total, as nothing was fetched.
 */
static void
crl_load_cached(struct kbs_kds *k, enum snp_product p, enum snp_signing_key chain)
{
	struct crl_slot *s = &k->crls[p][chain_index(chain)];
	struct kbs_kds_crl *c = NULL;
	struct want w;
	uint8_t *d = NULL;
	size_t n = 0;
	int r, refused;

	if (want_item(&w, KBS_KDS_CRL, p, chain) != 0)
		return;
	pthread_mutex_lock(&k->mu);
	refused = s->stored_refused;
	pthread_mutex_unlock(&k->mu);
	/* One stored before lists were checked at intake may be forged: not held. */
	if (!refused && keystore_cert_get(k->ks, w.key, &d, &n, NULL) == 0) {
		r = check(k, &w, d, n, &c);
		if (r == KBS_ERR_CRL_SIGNATURE || r == KBS_ERR_CRL_ISSUER) {
			pthread_mutex_lock(&k->mu);
			s->stored_refused = s->cur == NULL; /* else a list came meanwhile */
			pthread_mutex_unlock(&k->mu);
		}
		if (r == 0)
			r = crl_install(k, p, chain, c);
		if (r != 0)
			kbs_log(KBS_LOG_WARNING,
			    "{\"event\":\"crl_cached\",\"key\":\"%s\",\"error\":\"%s\"}", w.key,
			    kbs_err_name(r));
	}
	free(d);
	d = NULL;
	c = NULL;
	if (from_dir(k, &w, &d, &n, &c) == 0)
		(void)crl_keep(
		    k, &w, c, d, n, false); /* older than the store's: not held, kept out */
	free(d);
}

int
kbs_kds_crl_get(struct kbs_kds *k, enum snp_product product, enum snp_signing_key signer,
    int64_t now, struct kbs_kds_crl **ret, int *ret_stale)
{
	struct kbs_kds_crl *c;

	*ret = NULL;
	*ret_stale = 0;
	if (k == NULL || kbs_kds_product_segment(product) == NULL ||
	    (signer != SNP_SIGNING_KEY_VCEK && signer != SNP_SIGNING_KEY_VLEK))
		return 0;
	pthread_mutex_lock(&k->mu);
	c = k->crls[product][chain_index(signer)].cur;
	if (c != NULL && now > c->next_update + k->grace) {
		pthread_mutex_unlock(&k->mu);
		kbs_metrics_crl_stale(k->m);
		return KBS_ERR_CRL_EXPIRED;
	}
	if (c != NULL) {
		c->refs++;
		*ret_stale = now > c->next_update;
	}
	pthread_mutex_unlock(&k->mu);
	*ret = c;
	return 0;
}

const struct snp_crl *
kbs_kds_crl_list(const struct kbs_kds_crl *c)
{
	return c != NULL ? c->crl : NULL;
}

void
kbs_kds_crl_put(struct kbs_kds *k, struct kbs_kds_crl *c)
{
	if (k == NULL || c == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	crl_unref_locked(c);
	pthread_mutex_unlock(&k->mu);
}

/* refresh_due: when the held list of s should be refreshed (80% of its validity). */
static int64_t
refresh_due(const struct crl_slot *s)
{
	int64_t due;

	if (s->cur == NULL)
		due = 0;
	else
		due = s->cur->this_update + (s->cur->next_update - s->cur->this_update) * 8 / 10;
	return due > s->next_try ? due : s->next_try;
}

/*
 * recheck_after: KDS may still serve the same list after 80% of its
 * validity (it publishes a new one when it does): ask again after a
 * quarter of the time left, between REFRESH_RETRY and an hour, so a list
 * nearing nextUpdate is asked for often and AMD is not polled in a loop.
 */
static int64_t
recheck_after(const struct kbs_kds_crl *c, int64_t now)
{
	int64_t left = c != NULL ? (c->next_update - now) / 4 : REFRESH_RETRY;

	if (left < REFRESH_RETRY)
		return REFRESH_RETRY;
	return left > 3600 ? 3600 : left;
}

static void *
refresher(void *arg)
{
	struct kbs_kds *k = arg;
	struct timespec until;
	int64_t now, due, next;
	size_t p, c;
	int r;

	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		now = (int64_t)time(NULL);
		next = now + REFRESH_IDLE;
		for (p = SNP_PRODUCT_MILAN; p < SNP_PRODUCT_COUNT && !k->stop; p++)
			for (c = 0; c < CHAINS && !k->stop; c++) {
				struct crl_slot *s = &k->crls[p][c];

				if (!s->tracked)
					continue;
				if ((due = refresh_due(s)) > now) {
					next = due < next ? due : next;
					continue;
				}
				pthread_mutex_unlock(&k->mu);
				r = crl_refresh(k, (enum snp_product)p,
				    c == 1 ? SNP_SIGNING_KEY_VLEK : SNP_SIGNING_KEY_VCEK);
				pthread_mutex_lock(&k->mu);
				now = (int64_t)time(NULL);
				if (r != 0)
					s->next_try = now + REFRESH_RETRY;
				else if (refresh_due(s) <= now)
					s->next_try = now + recheck_after(s->cur, now);
				next = s->next_try > 0 && s->next_try < next ? s->next_try : next;
			}
		if (k->stop)
			break;
		now = (int64_t)time(NULL);
		deadline_in(&until, next > now ? (unsigned)(next - now) : 1);
		(void)pthread_cond_timedwait(&k->wake_cv, &k->mu, &until);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* track marks the list of p and chain for refreshing and wakes the refresher. */
static void
track(struct kbs_kds *k, enum snp_product p, enum snp_signing_key chain)
{
	struct crl_slot *s = &k->crls[p][chain_index(chain)];

	if (kbs_kds_product_segment(p) == NULL ||
	    (chain != SNP_SIGNING_KEY_VCEK && chain != SNP_SIGNING_KEY_VLEK))
		return;
	pthread_mutex_lock(&k->mu);
	if (!s->tracked) {
		s->tracked = 1;
		pthread_cond_signal(&k->wake_cv);
	}
	pthread_mutex_unlock(&k->mu);
}

/*
 * crl_first gets a product's first CRL when none is held: from the store
 * or the directory, else from KDS. Tried at most every REFRESH_RETRY
 * seconds, so guests of a product whose list KDS does not serve do not
 * each cause a fetch.
 */
static void
crl_first(struct kbs_kds *k, enum snp_product p, enum snp_signing_key chain)
{
	struct crl_slot *s = &k->crls[p][chain_index(chain)];
	int64_t now = (int64_t)time(NULL);
	int go;

	pthread_mutex_lock(&k->mu);
	go = s->cur == NULL && s->next_try <= now;
	if (go)
		s->next_try = now + REFRESH_RETRY;
	pthread_mutex_unlock(&k->mu);
	if (!go)
		return;
	crl_load_cached(k, p, chain);
	pthread_mutex_lock(&k->mu);
	go = s->cur == NULL && k->fetch;
	pthread_mutex_unlock(&k->mu);
	if (go && crl_refresh(k, p, chain) != 0)
		kbs_log(KBS_LOG_WARNING,
		    "{\"event\":\"crl_first_fetch\",\"product\":\"%s\",\"error\":\"failed\"}",
		    kbs_kds_product_segment(p));
}

void
kbs_kds_seen(struct kbs_kds *k, enum snp_product product, enum snp_signing_key signer)
{
	if (k != NULL)
		track(k, product, signer);
}

/* ---- the signer ------------------------------------------------------------ */

static int
transient(int r)
{
	return r == KBS_ERR_KDS_UNAVAILABLE || r == KBS_ERR_KDS_TIMEOUT || r == KBS_ERR_KDS_BUSY ||
	    r == KBS_ERR_KDS_BUDGET;
}

/* The VCEK a report names: w (pointing into hwid and tcb) and *ret_product. */
struct vcek_want {
	struct want w;
	struct snp_tcb tcb;
	char hwid[129], tcbname[64];
};

static int
want_vcek(const struct snp_report *report, struct vcek_want *v, enum snp_product *ret_product)
{
	enum snp_product p = SNP_PRODUCT_UNKNOWN;
	struct want *w = &v->w;
	const char *seg;
	int r;

	if (report->signing_key != SNP_SIGNING_KEY_VCEK ||
	    snp_report_cpuid_claim(report, &p) != 0 || p == SNP_PRODUCT_UNKNOWN ||
	    snp_tcb_decode(report->reported_tcb, p, &v->tcb) != 0)
		return KBS_ERR_KDS_NO_KEY;
	if ((r = kbs_kds_hwid_hex(p, report->chip_id, v->hwid)) != 0 ||
	    (r = kbs_kds_tcb_name(p, &v->tcb, v->tcbname, sizeof(v->tcbname))) != 0)
		return r;
	seg = kbs_kds_product_segment(p);
	memset(w, 0, sizeof(*w));
	w->item = KBS_KDS_VCEK;
	w->product = p;
	w->chain = SNP_SIGNING_KEY_VCEK;
	w->hwid = v->hwid;
	w->tcb = &v->tcb;
	if ((r = kbs_kds_vcek_key(p, v->hwid, v->tcbname, w->key, sizeof(w->key))) != 0 ||
	    (r = kbs_kds_vcek_path(
		 p, report->chip_id, &v->tcb, w->kds_path, sizeof(w->kds_path))) != 0)
		return r;
	snprintf(w->dir_paths[0], sizeof(w->dir_paths[0]), "vcek/v1/%s/%s/%s_vcek.der", seg,
	    v->hwid, v->tcbname);
	snprintf(
	    w->dir_paths[1], sizeof(w->dir_paths[1]), "vcek/%s/%s_vcek.der", v->hwid, v->tcbname);
	snprintf(w->dir_paths[2], sizeof(w->dir_paths[2]), "vcek/%s/vcek.der", v->hwid);
	w->n_dir_paths = 3;
	*ret_product = p;
	return 0;
}

void
kbs_kds_keep(
    struct kbs_kds *k, const struct snp_report *report, const uint8_t *vcek, size_t vcek_len)
{
	struct vcek_want v;
	enum snp_product p;
	uint8_t *d = NULL;
	size_t n = 0;

	if (k == NULL || report == NULL || vcek == NULL || want_vcek(report, &v, &p) != 0 ||
	    check(k, &v.w, vcek, vcek_len, NULL) != 0)
		return;
	if (keystore_cert_get(k->ks, v.w.key, &d, &n, NULL) != 0)
		cache_put(k, v.w.key, vcek, vcek_len);
	free(d);
}

int
kbs_kds_signer(struct kbs_kds *k, const struct snp_report *report, const char *client,
    uint8_t **ret_vcek, size_t *ret_vcek_len, uint8_t **ret_chain, size_t *ret_chain_len,
    unsigned *ret_retry_after)
{
	enum snp_product p = SNP_PRODUCT_UNKNOWN;
	struct vcek_want v;
	struct want wc;
	uint8_t *vcek = NULL, *chain = NULL;
	size_t vlen = 0, clen = 0;
	int r;

	*ret_retry_after = 0;
	if (k == NULL || report == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = want_vcek(report, &v, &p)) != 0)
		return r;
	if ((r = obtain(k, &v.w, client, &vcek, &vlen, ret_retry_after)) != 0)
		goto out;
	/*
	 * The chain: AMD's ASKs are compiled in, so only a transient failure
	 * (the guest can retry) fails the request; without it a chain that
	 * needs one is refused by verification.
	 */
	if ((r = want_item(&wc, KBS_KDS_CHAIN, p, SNP_SIGNING_KEY_VCEK)) != 0)
		goto out;
	/* One chain per product: not what a client can multiply, so off its budget. */
	r = obtain(k, &wc, NULL, &chain, &clen, ret_retry_after);
	if (r != 0 && transient(r))
		goto out;
	if (r != 0) {
		chain = NULL;
		clen = 0;
	}
	/*
	 * A product whose VCEKs come from KDS gets its CRL kept fresh; the
	 * first one is fetched now, so this guest is checked against it.
	 */
	crl_first(k, p, SNP_SIGNING_KEY_VCEK);
	track(k, p, SNP_SIGNING_KEY_VCEK);
	*ret_vcek = vcek;
	*ret_vcek_len = vlen;
	*ret_chain = chain;
	*ret_chain_len = clen;
	vcek = chain = NULL;
	r = 0;
out:
	free(vcek);
	free(chain);
	return r;
}

/* ---- import ---------------------------------------------------------------- */

int
kbs_kds_import(
    struct kbs_kds *k, const char *rel, const uint8_t *data, size_t len, char *ret_key, size_t size)
{
	struct kbs_kds_file f;
	struct kbs_kds_crl *c = NULL;
	struct snp_signer_facts facts;
	struct snp_tcb tcb;
	struct want w;
	char tcbname[64];
	int r;

	if (k == NULL || data == NULL || ret_key == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((r = kbs_kds_file_parse(rel, &f)) != 0)
		return r;
	if (f.item != KBS_KDS_VCEK) {
		if ((r = want_item(&w, f.item, f.product, f.chain)) != 0)
			return r;
		/* A list no trusted ARK signed is named so: its path and shape are right. */
		if ((r = check(k, &w, data, len, &c)) != 0)
			return r == KBS_ERR_CRL_SIGNATURE || r == KBS_ERR_CRL_ISSUER
			    ? r
			    : KBS_ERR_KDS_LAYOUT;
		if (f.item == KBS_KDS_CRL) {
			/*
			 * Only a list at least as new as the held one (else
			 * crl_rollback: no rollback by import) and of its ARK
			 * (else crl_other_ark).
			 */
			if ((r = crl_keep(k, &w, c, data, len, true)) != 0)
				return r;
			track(k, f.product, f.chain);
		} else if ((r = keystore_cert_put(k->ks, w.key, data, len, (int64_t)time(NULL))) !=
		    0) {
			return r;
		}
		snprintf(ret_key, size, "%s", w.key);
		return 0;
	}
	/* A VCEK: the path names its hwID (and, but for the flat file, TCB); the certificate must
	 * agree. */
	memset(&w, 0, sizeof(w));
	w.item = KBS_KDS_VCEK;
	w.product = f.product;
	w.chain = SNP_SIGNING_KEY_VCEK;
	w.hwid = f.hwid;
	if (check_vcek(&w, data, len, &facts) != 0)
		return KBS_ERR_KDS_LAYOUT;
	tcb = facts.spl;
	if ((r = kbs_kds_tcb_name(facts.product, &tcb, tcbname, sizeof(tcbname))) != 0)
		return r;
	if (f.tcb[0] != '\0' && strcmp(f.tcb, tcbname) != 0)
		return KBS_ERR_KDS_LAYOUT;
	if ((r = kbs_kds_vcek_key(facts.product, f.hwid, tcbname, w.key, sizeof(w.key))) != 0 ||
	    (r = keystore_cert_put(k->ks, w.key, data, len, (int64_t)time(NULL))) != 0)
		return r;
	snprintf(ret_key, size, "%s", w.key);
	return 0;
}

/* ---- life cycle -------------------------------------------------------------- */

static int
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int r;

	if (pthread_condattr_init(&a) != 0)
		return KBS_ERR_SYSTEM;
	r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 && pthread_cond_init(cv, &a) == 0
	    ? 0
	    : KBS_ERR_SYSTEM;
	pthread_condattr_destroy(&a);
	return r;
}

/* curl_global_init is not thread-safe: once, before the first handle. */
static void
curl_init_once(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
kbs_kds_new(const struct kbs_config *cfg, struct keystore *ks, const struct snp_verifier *v,
    struct kbs_metrics *m, struct kbs_kds **ret)
{
	static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
	struct kbs_kds *k;
	size_t p, n;
	int r;

	if (cfg == NULL || ks == NULL || v == NULL || ret == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if (strncmp(cfg->kds_url, "https://", 8) != 0 && strncmp(cfg->kds_url, "http://", 7) != 0)
		return KBS_ERR_CONFIG;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return KBS_ERR_ALLOC;
	n = strlen(cfg->kds_url);
	while (n > 0 && cfg->kds_url[n - 1] == '/') /* paths start with '/' */
		n--;
	memcpy(k->url, cfg->kds_url, n);
	snprintf(k->dir, sizeof(k->dir), "%s", cfg->kds_cache_dir);
	k->timeout = cfg->kds_timeout > 0 ? cfg->kds_timeout : 5;
	k->fetch = cfg->kds_fetch;
	k->grace = cfg->crl_grace;
	k->ks = ks;
	k->v = v;
	k->m = m;
	k->budget_wait = cfg->kds_fetches_per_minute > 0
	    ? (59 + cfg->kds_fetches_per_minute) / cfg->kds_fetches_per_minute
	    : 1;
	(void)pthread_once(&curl_once, curl_init_once);
	if ((r = kbs_ratelimit_new(
		 cfg->kds_fetches_per_minute, 60, cfg->kds_fetches_per_minute, &k->budget)) != 0) {
		free(k);
		return r;
	}
	if (pthread_mutex_init(&k->mu, NULL) != 0)
		goto fail_mu;
	if (pthread_mutex_init(&k->store_mu, NULL) != 0)
		goto fail_store_mu;
	if (cond_init_monotonic(&k->flight_cv) != 0)
		goto fail_flight_cv;
	if (cond_init_monotonic(&k->wake_cv) != 0)
		goto fail_wake_cv;
	for (p = SNP_PRODUCT_MILAN; p < SNP_PRODUCT_COUNT; p++) {
		crl_load_cached(k, (enum snp_product)p, SNP_SIGNING_KEY_VCEK);
		crl_load_cached(k, (enum snp_product)p, SNP_SIGNING_KEY_VLEK);
	}
	if (k->fetch) {
		if ((r = pthread_create(&k->thread, NULL, refresher, k)) != 0) {
			kbs_kds_free(k);
			return KBS_ERR_SYSTEM;
		}
		k->thread_started = 1;
	}
	*ret = k;
	return 0;
fail_wake_cv:
	pthread_cond_destroy(&k->flight_cv);
fail_flight_cv:
	pthread_mutex_destroy(&k->store_mu);
fail_store_mu:
	pthread_mutex_destroy(&k->mu);
fail_mu:
	kbs_ratelimit_free(k->budget);
	free(k);
	return KBS_ERR_SYSTEM;
}

void
kbs_kds_free(struct kbs_kds *k)
{
	size_t p, c, i;

	if (k == NULL)
		return;
	if (k->thread_started) {
		pthread_mutex_lock(&k->mu);
		k->stop = 1;
		pthread_cond_broadcast(&k->wake_cv);
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->thread, NULL);
	}
	for (p = 0; p < SNP_PRODUCT_COUNT; p++)
		for (c = 0; c < CHAINS; c++)
			crl_unref_locked(k->crls[p][c].cur);
	for (i = 0; i < FLIGHTS; i++)
		free(k->flights[i].data);
	pthread_cond_destroy(&k->wake_cv);
	pthread_cond_destroy(&k->flight_cv);
	pthread_mutex_destroy(&k->store_mu);
	pthread_mutex_destroy(&k->mu);
	kbs_ratelimit_free(k->budget);
	free(k);
}
