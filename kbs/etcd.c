/*
 * etcd.c: requests to etcd's v3 JSON gateway over libcurl (etcd.h).
 *
 * The paths are etcd 3.4's: /v3/kv/range, /v3/kv/txn, /v3/watch (3.3
 * called them /v3beta). A request goes to the endpoint that answered
 * last and, if that one cannot be reached or answers 5xx, to the others
 * in turn; a 4xx or an answer that does not decode is etcd's word and is
 * not retried elsewhere. The watch is one POST whose answer never ends:
 * it runs in a curl multi handle so the caller can wait for it with a
 * deadline and do other work between messages.
 */
#include "etcd.h"

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbs_log.h"
#include "outbound.h"

#define TLS_FILE_MAX (1u << 20) /* a CA bundle or a certificate chain, PEM */

struct kbs_etcd {
	struct kbs_config_etcd cfg;
	char range_end[KBS_ETCD_URL_MAX]; /* the prefix with its last byte + 1 */
	atomic_uint current;              /* the endpoint that answered last */
	/* Per endpoint, 1 once a failure is logged, 0 again when it answers: a
	 * down etcd, asked once a second, is logged once per outage. */
	atomic_int logged[KBS_ETCD_MAX_ENDPOINTS];
};

/* An answer collected up to a cap. */
struct sink {
	char *data;
	size_t len, cap, max;
	int over;
};

static size_t
sink_write(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t add = size * n;

	if (add > s->max - s->len) {
		s->over = 1;
		return 0;
	}
	if (s->len + add + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *d;

		while (cap < s->len + add + 1)
			cap *= 2;
		if ((d = realloc(s->data, cap)) == NULL)
			return 0;
		s->data = d;
		s->cap = cap;
	}
	memcpy(s->data + s->len, p, add);
	s->len += add;
	s->data[s->len] = '\0';
	return add;
}

/*
 * log_curl logs why a request to endpoint at failed, unless a failure was
 * logged since it last answered: libcurl's detail (a TLS handshake's reason,
 * say) or its code's sentence. The detail may quote a file path or a
 * peer's name, never a key's contents; bytes that would break the JSON
 * line become '?'.
 */
static void
log_curl(struct kbs_etcd *e, const char *event, unsigned at, CURLcode cr, const char *detail)
{
	char why[CURL_ERROR_SIZE];
	size_t i;

	if (atomic_exchange(&e->logged[at], 1) != 0)
		return;
	snprintf(why, sizeof(why), "%s", detail[0] != '\0' ? detail : curl_easy_strerror(cr));
	for (i = 0; why[i] != '\0'; i++)
		if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] > 0x7e || why[i] == '"' ||
		    why[i] == '\\')
			why[i] = '?';
	i = strlen(why);
	while (i > 0 && why[i - 1] == '?') /* libcurl's trailing newline */
		why[--i] = '\0';
	kbs_log(KBS_LOG_WARNING,
	    "{\"event\":\"%s\",\"endpoint\":\"%s\",\"curl\":%d,\"error\":\"%s\"}", event,
	    e->cfg.endpoints[at], (int)cr, why);
}

/* first_cert reads the first PEM certificate of pem (NULL if none). */
static X509 *
first_cert(const uint8_t *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = NULL;

	if (bio != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return x;
}

/* no_passphrase refuses an encrypted key (the broker has no passphrase to give). */
static int
no_passphrase(char *buf, int size, int rwflag, void *ctx)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)ctx;
	return -1;
}

static int
check_fail(char *msg, size_t msg_size, const char *member, const char *file, int r)
{
	snprintf(msg, msg_size, "etcd.%s \"%.256s\": %s (%s)", member, file, kbs_err_str(r),
	    kbs_err_name(r));
	return r;
}

int
kbs_etcd_check_files(const struct kbs_config_etcd *cfg, char *msg, size_t msg_size)
{
	uint8_t *data = NULL;
	size_t len = 0;
	X509 *cert = NULL, *ca = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	int r;

	if (cfg->ca_file[0] != '\0') {
		if (kbs_file_read(cfg->ca_file, TLS_FILE_MAX, &data, &len) != 0 ||
		    (ca = first_cert(data, len)) == NULL) {
			r = check_fail(
			    msg, msg_size, "ca_file", cfg->ca_file, KBS_ERR_ETCD_TLS_FILE);
			goto out;
		}
		free(data);
		data = NULL;
	}
	if (cfg->cert_file[0] == '\0') {
		r = 0;
		goto out;
	}
	if (kbs_file_read(cfg->cert_file, TLS_FILE_MAX, &data, &len) != 0 ||
	    (cert = first_cert(data, len)) == NULL) {
		r = check_fail(msg, msg_size, "cert_file", cfg->cert_file, KBS_ERR_ETCD_TLS_FILE);
		goto out;
	}
	free(data);
	data = NULL;
	/* Unreadable or missing counts as not private: either way there is no key to use. */
	if (kbs_file_read_private(
		cfg->key_file, TLS_FILE_MAX, KBS_ERR_ETCD_KEY_FILE, &data, &len) != 0) {
		r = check_fail(msg, msg_size, "key_file", cfg->key_file, KBS_ERR_ETCD_KEY_FILE);
		goto out;
	}
	/* The leaf is the chain's first certificate: its key must be this one. */
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL ||
	    X509_check_private_key(cert, key) != 1) {
		r = check_fail(msg, msg_size, "key_file", cfg->key_file, KBS_ERR_ETCD_KEY_FILE);
		goto out;
	}
	r = 0;
out:
	if (data != NULL) {
		sodium_memzero(data, len);
		free(data);
	}
	BIO_free(bio);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ca);
	ERR_clear_error(); /* no stale reason for the next OpenSSL caller to find */
	return r;
}

const char *
kbs_etcd_prefix(const struct kbs_etcd *e)
{
	return e->cfg.prefix;
}

int
kbs_etcd_new(const struct kbs_config_etcd *cfg, struct kbs_etcd **ret)
{
	struct kbs_etcd *e;
	size_t n, i;

	if (cfg == NULL || cfg->n_endpoints == 0 || (n = strlen(cfg->prefix)) == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return KBS_ERR_INTERNAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return KBS_ERR_ALLOC;
	e->cfg = *cfg;
	/* The prefix ends in '/' (config_etcd.c), so its successor is that byte + 1: '0'. */
	memcpy(e->range_end, cfg->prefix, n + 1);
	e->range_end[n - 1]++;
	atomic_init(&e->current, 0);
	for (i = 0; i < KBS_ETCD_MAX_ENDPOINTS; i++)
		atomic_init(&e->logged[i], 0);
	*ret = e;
	return 0;
}

void
kbs_etcd_free(struct kbs_etcd *e)
{
	if (e == NULL)
		return;
	free(e);
	curl_global_cleanup(); /* counted: balances the init of kbs_etcd_new */
}

/* b64 returns a malloc'd base64 of p[0..n). */
static char *
b64(const void *p, size_t n)
{
	size_t size = kbs_b64_encoded_len(n);
	char *s = malloc(size);

	if (s != NULL && kbs_b64_encode(p, n, s, size) != 0) {
		free(s);
		s = NULL;
	}
	return s;
}

/*
 * tls_setup adds the configured files to c. Peer and host verification
 * stay libcurl's default (on); ca_file replaces the system CAs. libcurl
 * reads the files at each new connection, so a rotated certificate is
 * taken without a restart (kbs_etcd_check_files checked them at start-up).
 */
static int
tls_setup(CURL *c, const struct kbs_config_etcd *cfg)
{
	/* libcurl's defaults, set anyway: the promise must not rest on a default. */
	if (curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    (cfg->ca_file[0] != '\0' &&
		(curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_CAPATH, NULL) != CURLE_OK)) ||
	    (cfg->cert_file[0] != '\0' &&
		(curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert_file) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key_file) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK)))
		return KBS_ERR_INTERNAL;
	return 0;
}

/*
 * before_request: cr failed before any byte of the request left (no
 * connection, or its TLS handshake failed: etcd's certificate refused, a
 * local certificate or CA file unusable), so a write may go to the next
 * endpoint without the risk of applying twice.
 */
static bool
before_request(CURLcode cr)
{
	return cr == CURLE_COULDNT_CONNECT || cr == CURLE_COULDNT_RESOLVE_HOST ||
	    cr == CURLE_SSL_CONNECT_ERROR || cr == CURLE_PEER_FAILED_VERIFICATION ||
	    cr == CURLE_SSL_CERTPROBLEM || cr == CURLE_SSL_CACERT_BADFILE;
}

static int
setup(CURL *c, const struct kbs_config_etcd *cfg, const char *url, const char *body,
    struct curl_slist *hdr, struct sink *s, long timeout_ms, long connect_ms)
{
	if (kbs_outbound_setup(c, url, connect_ms, timeout_ms) != 0 || tls_setup(c, cfg) != 0 ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, s) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK)
		return KBS_ERR_INTERNAL;
	return 0;
}

/*
 * call POSTs body to path on the endpoints in turn and returns the answer
 * of the first that gives a non-5xx status: 0 and *ret (malloc'd, NUL-
 * terminated) for 200; KBS_ERR_ETCD_PROTOCOL for another status;
 * KBS_ERR_ETCD_UNAVAILABLE when none did. With once (a write), only an
 * endpoint that could not be connected to is passed over: a request sent
 * may have been committed though its answer was lost (a timeout, a 5xx
 * of a member that lost its leader), and asking the next member would
 * turn that write into a failed compare, a 409 saying nothing was
 * written. Then it is KBS_ERR_ETCD_UNAVAILABLE (the outcome is unknown),
 * and the next call starts at the next endpoint.
 */
static int
call(struct kbs_etcd *e, const char *path, const char *body, bool once, char **ret, size_t *ret_len)
{
	struct curl_slist *hdr = NULL, *h2;
	unsigned start = atomic_load(&e->current), i;
	char url[KBS_ETCD_URL_MAX + 32], errbuf[CURL_ERROR_SIZE];
	CURL *c = NULL;
	CURLcode cr;
	int r = KBS_ERR_ALLOC;

	if ((hdr = curl_slist_append(NULL, "Content-Type: application/json")) == NULL)
		goto out;
	if ((h2 = curl_slist_append(hdr, "Expect:")) == NULL)
		goto out;
	hdr = h2;
	if ((c = curl_easy_init()) == NULL)
		goto out;
	r = KBS_ERR_ETCD_UNAVAILABLE;
	for (i = 0; i < e->cfg.n_endpoints; i++) {
		unsigned at = (start + i) % (unsigned)e->cfg.n_endpoints;
		struct sink s = { NULL, 0, 0, KBS_ETCD_ANSWER_MAX, 0 };
		long status = 0;

		snprintf(url, sizeof(url), "%s%s", e->cfg.endpoints[at], path);
		curl_easy_reset(c);
		errbuf[0] = '\0';
		if (setup(c, &e->cfg, url, body, hdr, &s, (long)e->cfg.timeout_ms,
			(long)e->cfg.timeout_ms) != 0 ||
		    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK) {
			r = KBS_ERR_INTERNAL;
			goto out;
		}
		cr = curl_easy_perform(c);
		if (cr != CURLE_OK)
			log_curl(e, "etcd_request", at, cr, errbuf);
		else
			atomic_store(&e->logged[at], 0);
		if (cr != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status >= 500 || status == 0) {
			free(s.data);
			if (once && !before_request(cr)) {
				atomic_store(&e->current, (at + 1) % (unsigned)e->cfg.n_endpoints);
				goto out; /* sent: maybe committed */
			}
			continue; /* this endpoint is down, or without a leader: the next */
		}
		atomic_store(&e->current, at);
		if (status != 200 || s.data == NULL) {
			free(s.data);
			r = KBS_ERR_ETCD_PROTOCOL;
			goto out;
		}
		*ret = s.data;
		*ret_len = s.len;
		r = 0;
		goto out;
	}
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	return r;
}

/* range_prefix reads the prefix's range; extra is "" or more members (",\"count_only\":true"). */
static int
range_prefix(struct kbs_etcd *e, const char *extra, struct kbs_etcd_msg *ret)
{
	char *k = NULL, *end = NULL, *body = NULL, *ans = NULL;
	size_t len = 0, blen;
	int r = KBS_ERR_ALLOC;

	if ((k = b64(e->cfg.prefix, strlen(e->cfg.prefix))) == NULL ||
	    (end = b64(e->range_end, strlen(e->range_end))) == NULL)
		goto out;
	blen = strlen(k) + strlen(end) + strlen(extra) + 64;
	if ((body = malloc(blen)) == NULL)
		goto out;
	snprintf(body, blen, "{\"key\":\"%s\",\"range_end\":\"%s\"%s}", k, end, extra);
	if ((r = call(e, "/v3/kv/range", body, false, &ans, &len)) != 0)
		goto out;
	r = kbs_etcd_parse_range(ans, len, ret);
out:
	free(k);
	free(end);
	free(body);
	free(ans);
	return r;
}

int
kbs_etcd_range(struct kbs_etcd *e, struct kbs_etcd_msg *ret)
{
	return range_prefix(e, "", ret);
}

int
kbs_etcd_revision(struct kbs_etcd *e, int64_t *ret_revision)
{
	struct kbs_etcd_msg m;
	int r;

	if ((r = range_prefix(e, ",\"count_only\":true", &m)) != 0)
		return r;
	*ret_revision = m.revision;
	kbs_etcd_msg_clear(&m);
	return 0;
}

/* txn runs {compare mod_revision(key) == expect} then op (a request_put or request_delete_range).
 */
static int
txn(struct kbs_etcd *e, const char *key, int64_t expect, const char *op, const char *value_b64,
    int64_t *ret_revision)
{
	struct kbs_etcd_msg m;
	char *k = NULL, *body = NULL, *ans = NULL;
	size_t len = 0, blen;
	int r = KBS_ERR_ALLOC;

	if (expect < 0 || strlen(key) > KBS_ETCD_KEY_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((k = b64(key, strlen(key))) == NULL)
		goto out;
	blen = 3 * strlen(k) + (value_b64 != NULL ? strlen(value_b64) : 0) + 256;
	if ((body = malloc(blen)) == NULL)
		goto out;
	if (value_b64 != NULL)
		snprintf(body, blen,
		    "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"result\":\"EQUAL\","
		    "\"mod_revision\":\"%lld\"}],\"success\":[{\"%s\":{\"key\":\"%s\","
		    "\"value\":\"%s\"}}]}",
		    k, (long long)expect, op, k, value_b64);
	else
		snprintf(body, blen,
		    "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"result\":\"EQUAL\","
		    "\"mod_revision\":\"%lld\"}],\"success\":[{\"%s\":{\"key\":\"%s\"}}]}",
		    k, (long long)expect, op, k);
	if ((r = call(e, "/v3/kv/txn", body, true, &ans, &len)) != 0 ||
	    (r = kbs_etcd_parse_txn(ans, len, &m)) != 0)
		goto out;
	r = m.succeeded ? 0 : KBS_ERR_ETCD_CONFLICT;
	if (r == 0)
		*ret_revision = m.revision;
	kbs_etcd_msg_clear(&m);
out:
	free(k);
	free(body);
	free(ans);
	return r;
}

int
kbs_etcd_put_if(struct kbs_etcd *e, const char *key, const uint8_t *value, size_t len,
    int64_t expect, int64_t *ret_revision)
{
	char *v;
	int r;

	if (value == NULL || len == 0 || len > KBS_ETCD_VALUE_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((v = b64(value, len)) == NULL)
		return KBS_ERR_ALLOC;
	r = txn(e, key, expect, "request_put", v, ret_revision);
	free(v);
	return r;
}

int
kbs_etcd_delete_if(struct kbs_etcd *e, const char *key, int64_t expect, int64_t *ret_revision)
{
	return txn(e, key, expect, "request_delete_range", NULL, ret_revision);
}

/* ---- the watch ------------------------------------------------------------ */

struct kbs_etcd_watch {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdr;
	char *body;
	struct sink buf; /* bytes received, not yet a whole line */
	size_t scanned;  /* of buf, known to hold no newline */
	int added;
	struct kbs_etcd *e; /* outlives the watch */
	unsigned at;        /* the endpoint watched */
	char errbuf[CURL_ERROR_SIZE];
};

void
kbs_etcd_watch_close(struct kbs_etcd_watch *w)
{
	if (w == NULL)
		return;
	if (w->added)
		curl_multi_remove_handle(w->multi, w->easy);
	curl_easy_cleanup(w->easy);
	curl_multi_cleanup(w->multi);
	curl_slist_free_all(w->hdr);
	free(w->body);
	free(w->buf.data);
	free(w);
}

int
kbs_etcd_watch_open(struct kbs_etcd *e, int64_t start_revision, struct kbs_etcd_watch **ret)
{
	struct kbs_etcd_watch *w = NULL;
	struct curl_slist *h2;
	char *k = NULL, *end = NULL, url[KBS_ETCD_URL_MAX + 32];
	unsigned at = atomic_load(&e->current) % (unsigned)e->cfg.n_endpoints;
	size_t blen;
	int r = KBS_ERR_ALLOC;

	if (start_revision < 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return KBS_ERR_ALLOC;
	w->buf.max = KBS_ETCD_ANSWER_MAX;
	if ((k = b64(e->cfg.prefix, strlen(e->cfg.prefix))) == NULL ||
	    (end = b64(e->range_end, strlen(e->range_end))) == NULL)
		goto out;
	blen = strlen(k) + strlen(end) + 160;
	if ((w->body = malloc(blen)) == NULL)
		goto out;
	snprintf(w->body, blen,
	    "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\",\"start_revision\":\"%lld\","
	    "\"progress_notify\":true}}",
	    k, end, (long long)start_revision);
	/*
	 * hasleader (what etcd's own client sends as WithRequireLeader, here as
	 * gateway metadata): a member that loses its leader ends the watch
	 * instead of keeping a silent stream open, so the replica moves on.
	 */
	if ((w->hdr = curl_slist_append(NULL, "Content-Type: application/json")) == NULL ||
	    (h2 = curl_slist_append(w->hdr, "Expect:")) == NULL)
		goto out;
	w->hdr = h2;
	if ((h2 = curl_slist_append(w->hdr, "Grpc-Metadata-hasleader: true")) == NULL)
		goto out;
	w->hdr = h2;
	if ((w->multi = curl_multi_init()) == NULL || (w->easy = curl_easy_init()) == NULL)
		goto out;
	snprintf(url, sizeof(url), "%s/v3/watch", e->cfg.endpoints[at]);
	w->e = e;
	w->at = at;
	/* No total timeout: the answer lasts as long as the watch. */
	r = KBS_ERR_INTERNAL;
	if (setup(w->easy, &e->cfg, url, w->body, w->hdr, &w->buf, 0L, (long)e->cfg.timeout_ms) !=
		0 ||
	    curl_easy_setopt(w->easy, CURLOPT_ERRORBUFFER, w->errbuf) != CURLE_OK ||
	    curl_multi_add_handle(w->multi, w->easy) != CURLM_OK)
		goto out;
	w->added = 1;
	/* The next open tries the next endpoint, unless a request finds this one first. */
	atomic_store(&e->current, (at + 1) % (unsigned)e->cfg.n_endpoints);
	*ret = w;
	w = NULL;
	r = 0;
out:
	free(k);
	free(end);
	kbs_etcd_watch_close(w);
	return r;
}

/* take_line decodes the first whole line of w's buffer, if there is one (1), and drops it. */
static int
take_line(struct kbs_etcd_watch *w, struct kbs_etcd_msg *ret, int *ret_took)
{
	char *nl;
	size_t n;
	int r;

	*ret_took = 0;
	if (w->buf.data == NULL ||
	    (nl = memchr(w->buf.data + w->scanned, '\n', w->buf.len - w->scanned)) == NULL) {
		w->scanned = w->buf.len;
		return 0;
	}
	n = (size_t)(nl - w->buf.data);
	r = n == 0 ? 0 : kbs_etcd_parse_watch(w->buf.data, n, ret);
	memmove(w->buf.data, nl + 1, w->buf.len - n - 1);
	w->buf.len -= n + 1;
	w->buf.data[w->buf.len] = '\0';
	w->scanned = 0;
	*ret_took = n > 0;
	return r;
}

int
kbs_etcd_watch_next(struct kbs_etcd_watch *w, unsigned wait_ms, struct kbs_etcd_msg *ret)
{
	CURLMsg *msg;
	int running = 0, left = 0, took = 0, r;

	memset(ret, 0, sizeof(*ret));
	if ((r = take_line(w, ret, &took)) != 0 || took)
		return r;
	if (curl_multi_poll(w->multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK ||
	    curl_multi_perform(w->multi, &running) != CURLM_OK)
		return KBS_ERR_ETCD_UNAVAILABLE;
	if (w->buf.over)
		return KBS_ERR_TOO_LARGE;
	if ((r = take_line(w, ret, &took)) != 0 || took)
		return r;
	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE) {
			if (msg->data.result != CURLE_OK)
				log_curl(w->e, "etcd_watch", w->at, msg->data.result, w->errbuf);
			return KBS_ERR_ETCD_UNAVAILABLE; /* the stream ended: etcd went away */
		}
	if (running == 0)
		return KBS_ERR_ETCD_UNAVAILABLE;
	return 0;
}
