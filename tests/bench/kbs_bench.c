/*
 * kbs_bench.c: kbs-bench, attestations per second and broker CPU per
 * attestation against the one P-384 verification each one must pay.
 *
 *   kbs-bench --url URL --admin-url URL --token-file F --sim DIR [--pid PID]
 *             [--concurrency N] [--requests N] [--duration S] [--secrets N] [--json]
 *
 * What it does, in order:
 *   1. Setup through the admin API (token from F): the policy "kbs-bench"
 *      (the product and measurement of the simulated chip in DIR) and
 *      --secrets secrets "kbs-bench-0".. bound to it, 32 random bytes each;
 *      the broker's identity key from /v1/keys, to check every answer.
 *   2. Preparation, outside the measured window: per attestation a nonce
 *      from /v1/challenge, an X25519 key pair, a report signed by the sim
 *      chip (REPORT_DATA = key || nonce) and the finished request body.
 *      Nonces expire (nonce_lifetime, 120 s by default), so the work is
 *      prepared and run in batches of at most BATCH_MAX attestations; the
 *      clock and the broker's CPU are counted only while a batch runs.
 *      Nonces are bound to the replica that issued them, so --url must
 *      reach one broker (not a load balancer over several).
 *   3. The load: --concurrency threads, each with one libcurl easy handle
 *      (one kept-alive connection), take the prepared requests in order
 *      and POST /v1/attest. A first unmeasured round of one request per
 *      connection opens the connections (and caches the chip's chain).
 *   4. Afterwards (not measured), every answer is checked as a guest
 *      checks it (kbsc_open_response: structure, echoed nonce, the
 *      broker's Ed25519 signature, AEAD open) and every released value is
 *      compared with the value stored in step 1. Any failed request or
 *      check makes the run fail (exit 1).
 *   5. One raw P-384 verification, timed in this process (thread CPU
 *      time) with nettle (the broker's backend) and OpenSSL 3
 *      EVP_DigestVerify, on a report of the same chip.
 *
 * DIR is either one chip (made by `kbs-client sim-init`) or a directory of
 * chips chip-* (bench_chips makes them under one root): request k uses chip
 * k mod count, so with at least as many chips as requests every
 * attestation brings a certificate the broker has not seen (cold).
 *
 * The broker's pid is that of the process listening on --url's port
 * (/proc/net/tcp and /proc/PID/fd) unless --pid is given; its CPU is
 * utime + stime from /proc/PID/stat, in 10 ms ticks, so runs should last
 * at least a few seconds. The last line of the output is machine-readable:
 *   attest_cpu_us=... verify_cpu_us=... openssl_verify_cpu_us=... ratio=...
 *   rps=... p50_ms=... p99_ms=...
 * on one line, ratio = attest_cpu_us / verify_cpu_us.
 * Exit: 0 all released and checked, 1 a failure, 2 a usage error.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attester.h"
#include "bench_proc.h"
#include "kbs_codec.h"
#include "kbs_file.h"
#include "kbsclient-int.h"
#include "sig-int.h"
#include "sig_openssl-int.h"
#include "sim.h"

#define BATCH_MAX 1000
#define MAX_CONCURRENCY 1024
#define MAX_REQUESTS 10000000ul
#define MAX_DURATION 86400ul
#define MAX_CHIPS 100000
#define SECRET_SIZE 32
#define POLICY_NAME "kbs-bench"
#define ANSWER_MAX (1u << 20)
#define VERIFY_ROUNDS 5
#define VERIFY_PER_ROUND 40
#define PREP_THREADS 2    /* the machine's cores; signing is the cost */
#define CPU_CHECK_MIN 100 /* attestations: enough CPU to move /proc's 10 ms ticks */

struct opts {
	const char *url, *admin_url, *token_file, *sim;
	long pid;
	unsigned long concurrency, requests, duration, secrets;
	int json, have_requests;
};

struct chip {
	char dir[4096];
	struct attester *att[PREP_THREADS]; /* one per preparing thread */
};

/* One prepared attestation and what came back. */
struct job {
	uint8_t nonce[32];
	uint8_t pk[32];
	uint8_t sk[32];
	char *body;
	size_t body_len;
	long status;
	uint64_t latency_ns;
	uint8_t *answer;
	size_t answer_len;
	int transport_failed;
};

struct bench {
	struct opts o;
	char token[256];
	uint8_t server_pk[32];
	size_t nchips;
	struct chip *chips;
	char names[32][32];
	const char *name_ptrs[32];
	uint8_t values[32][SECRET_SIZE];
	size_t next_chip; /* the global index of the next prepared attestation */
	pid_t pid;
	struct kbsc_http **conns; /* one per worker, kept across batches */
	/* the batch being prepared or run */
	struct job *jobs;
	size_t njobs;
	atomic_size_t cursor;
	atomic_int prep_error;
	char prep_msg[256];
	pthread_mutex_t msg_lock;
	/* totals */
	uint64_t *latencies;
	size_t nlat, lat_cap, measured, ok, failed, batches;
	uint64_t wall_ns, cpu_ns, sys_ns;
	long statuses[600];
};

/* ---- small helpers ------------------------------------------------------------- */

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
bench_fail(struct bench *b, const char *what)
{
	pthread_mutex_lock(&b->msg_lock);
	if (b->prep_msg[0] == '\0')
		snprintf(b->prep_msg, sizeof(b->prep_msg), "%s", what);
	pthread_mutex_unlock(&b->msg_lock);
	atomic_store(&b->prep_error, 1);
}

static int
parse_ulong(const char *flag, const char *s, unsigned long lo, unsigned long hi, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9' || (v = strtoul(s, &end, 10), errno != 0) || *end != '\0' ||
	    v < lo || v > hi) {
		fprintf(stderr, "kbs-bench: %s: a number from %lu to %lu\n", flag, lo, hi);
		return -1;
	}
	*ret = v;
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kbs-bench --url URL --admin-url URL --token-file F --sim DIR [--pid PID]\n"
	    "                 [--concurrency N] [--requests N] [--duration S] [--secrets N] "
	    "[--json]\n");
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "admin-url", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 't' },
		{ "sim", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "requests", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "secrets", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->concurrency = 1;
	o->requests = 1000;
	o->secrets = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->url = optarg;
			break;
		case 'a':
			o->admin_url = optarg;
			break;
		case 't':
			o->token_file = optarg;
			break;
		case 's':
			o->sim = optarg;
			break;
		case 'p':
			if (parse_ulong("--pid", optarg, 1, 4194304, &v) != 0)
				return 2;
			o->pid = (long)v;
			break;
		case 'c':
			if (parse_ulong(
				"--concurrency", optarg, 1, MAX_CONCURRENCY, &o->concurrency) != 0)
				return 2;
			break;
		case 'n':
			if (parse_ulong("--requests", optarg, 1, MAX_REQUESTS, &o->requests) != 0)
				return 2;
			o->have_requests = 1;
			break;
		case 'd':
			if (parse_ulong("--duration", optarg, 1, MAX_DURATION, &o->duration) != 0)
				return 2;
			break;
		case 'k':
			if (parse_ulong("--secrets", optarg, 1, 32, &o->secrets) != 0)
				return 2;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kbs-bench: unexpected argument %.100s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (o->url == NULL || o->admin_url == NULL || o->token_file == NULL || o->sim == NULL) {
		fprintf(
		    stderr, "kbs-bench: --url, --admin-url, --token-file and --sim are required\n");
		usage(stderr);
		return 2;
	}
	if (strncmp(o->url, "http://", 7) != 0 || strncmp(o->admin_url, "http://", 7) != 0) {
		fprintf(stderr, "kbs-bench: --url and --admin-url: http://HOST:PORT\n");
		return 2;
	}
	return 0;
}

/* url_port reads the port of http://HOST[:PORT][/...] (80 without one). */
static unsigned
url_port(const char *url)
{
	const char *host = url + 7, *slash = strchr(host, '/'), *colon, *p;
	unsigned long port = 0;

	if (slash == NULL)
		slash = host + strlen(host);
	for (colon = NULL, p = host; p < slash; p++)
		if (*p == ':')
			colon = p;
	if (colon == NULL || (host[0] == '[' && colon < strchr(host, ']')))
		return 80;
	for (p = colon + 1; p < slash && *p >= '0' && *p <= '9' && port <= 65535; p++)
		port = port * 10 + (unsigned long)(*p - '0');
	return p == slash && port > 0 && port <= 65535 ? (unsigned)port : 0;
}

/* ---- HTTP ---------------------------------------------------------------------- */

/*
 * conn_new: one kept-alive connection to base (libkbsclient's HTTP layer:
 * one libcurl easy handle, reused, no "Expect: 100-continue" round trip).
 */
static struct kbsc_http *
conn_new(const char *base)
{
	struct kbsc_http_options o = { base, 5000, 60000, NULL, ANSWER_MAX };
	struct kbsc_http *h = NULL;

	return kbsc_http_new(&o, &h) == 0 ? h : NULL;
}

/* admin_call: one admin request that must answer want; prints what it got otherwise. */
static int
admin_call(struct bench *b, struct kbsc_http *h, const char *method, const char *path,
    const char *body, size_t body_len, long want)
{
	struct kbsc_http_response resp;
	int r = -1;

	memset(&resp, 0, sizeof(resp));
	if (kbsc_http_request(h, method, path, b->token, (const uint8_t *)body, body_len, &resp) !=
	    0)
		fprintf(stderr, "kbs-bench: %s %s: no answer from the admin API\n", method, path);
	else if (resp.status != want)
		fprintf(stderr, "kbs-bench: %s %s: HTTP %ld: %.300s\n", method, path, resp.status,
		    resp.body != NULL ? (const char *)resp.body : "");
	else
		r = 0;
	kbsc_http_response_clear(&resp);
	return r;
}

/* ---- setup ----------------------------------------------------------------------- */

static int
read_token(struct bench *b)
{
	uint8_t *data = NULL;
	size_t len = 0, start, end;
	int r;

	if ((r = kbs_file_read(b->o.token_file, sizeof(b->token), &data, &len)) != 0) {
		fprintf(stderr, "kbs-bench: --token-file %.200s: %s\n", b->o.token_file,
		    r == KBS_ERR_SYSTEM ? strerror(errno) : kbs_err_str(r));
		return -1;
	}
	kbsc_trim_space(data, len, &start, &end);
	if (end == start || end - start >= sizeof(b->token)) {
		fprintf(stderr, "kbs-bench: --token-file %.200s: empty\n", b->o.token_file);
		sodium_memzero(data, len);
		free(data);
		return -1;
	}
	memcpy(b->token, data + start, end - start);
	b->token[end - start] = '\0';
	sodium_memzero(data, len);
	free(data);
	return 0;
}

static int
is_chip_dir(const char *dir)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, SIM_FILE_CONF);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* find_chips: DIR itself, or its chip-* subdirectories in name order. */
static int
find_chips(struct bench *b)
{
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *e;
	DIR *d;

	if (strlen(b->o.sim) > 4000) {
		fprintf(stderr, "kbs-bench: --sim: path too long\n");
		return -1;
	}
	if (is_chip_dir(b->o.sim)) {
		if ((b->chips = calloc(1, sizeof(*b->chips))) == NULL)
			return -1;
		snprintf(b->chips[0].dir, sizeof(b->chips[0].dir), "%s", b->o.sim);
		b->nchips = 1;
		return 0;
	}
	if ((d = opendir(b->o.sim)) != NULL) {
		while ((e = readdir(d)) != NULL && n < MAX_CHIPS) {
			char path[4200], **nn;

			snprintf(path, sizeof(path), "%s/%s", b->o.sim, e->d_name);
			if (strncmp(e->d_name, "chip-", 5) != 0 || strlen(path) >= 4096 ||
			    !is_chip_dir(path))
				continue;
			if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL)
				break;
			names = nn;
			if ((names[n] = strdup(path)) == NULL)
				break;
			n++;
		}
		closedir(d);
	}
	if (n == 0) {
		fprintf(stderr,
		    "kbs-bench: --sim %.200s: no chip.conf in it or in chip-* below it\n",
		    b->o.sim);
		free(names);
		return -1;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	if ((b->chips = calloc(n, sizeof(*b->chips))) != NULL)
		for (i = 0; i < n; i++)
			snprintf(b->chips[i].dir, sizeof(b->chips[i].dir), "%s", names[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (b->chips == NULL)
		return -1;
	b->nchips = n;
	return 0;
}

static struct attester *
chip_attester(struct bench *b, size_t chip, unsigned thread)
{
	char spec[4200];
	struct chip *ch = &b->chips[chip];
	int r;

	if (ch->att[thread] != NULL)
		return ch->att[thread];
	snprintf(spec, sizeof(spec), "sim:%s", ch->dir);
	if ((r = attester_open(spec, &ch->att[thread])) != 0) {
		fprintf(stderr, "kbs-bench: --sim %.200s: %s\n", ch->dir, kbs_err_str(r));
		return NULL;
	}
	return ch->att[thread];
}

/* policy_text: the policy for the first chip's product and measurement. */
static int
policy_text(struct bench *b, char *out, size_t size)
{
	char path[4200], hex[97];
	uint8_t *data = NULL;
	size_t len = 0;
	struct sim_config cfg;
	struct sim_config_error err;
	int n;

	snprintf(path, sizeof(path), "%s/%s", b->chips[0].dir, SIM_FILE_CONF);
	if (kbs_file_read(path, 1 << 16, &data, &len) != 0 ||
	    sim_config_parse((const char *)data, len, &cfg, &err) != 0 ||
	    kbs_hex_encode(cfg.measurement, sizeof(cfg.measurement), hex, sizeof(hex)) != 0) {
		fprintf(stderr, "kbs-bench: %.200s: cannot read the chip's configuration\n", path);
		free(data);
		return -1;
	}
	free(data);
	n = snprintf(out, size,
	    "{\n  \"kbs_policy\": 1,\n  \"name\": \"" POLICY_NAME "\",\n"
	    "  \"description\": \"kbs-bench: the simulated chip's image\",\n"
	    "  \"rules\": {\n    \"product\": [\"%s\"],\n    \"measurement\": [\"%s\"]\n  }\n}\n",
	    snp_product_name(cfg.product), hex);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

static int
setup(struct bench *b)
{
	char policy[1024], path[128], body[256], b64[64];
	struct kbsc_http_response resp;
	cJSON *jwks = NULL, *keys;
	struct kbsc_http *c = conn_new(b->o.admin_url), *pub = conn_new(b->o.url);
	size_t i;
	int r = -1;

	memset(&resp, 0, sizeof(resp));
	if (c == NULL || pub == NULL || policy_text(b, policy, sizeof(policy)) != 0)
		goto out;
	if (admin_call(b, c, "POST", "/v1/admin/policies", policy, strlen(policy), 201) != 0)
		goto out;
	for (i = 0; i < b->o.secrets; i++) {
		snprintf(b->names[i], sizeof(b->names[i]), "kbs-bench-%zu", i);
		b->name_ptrs[i] = b->names[i];
		randombytes_buf(b->values[i], SECRET_SIZE);
		if (kbs_b64_encode(b->values[i], SECRET_SIZE, b64, sizeof(b64)) != 0)
			goto out;
		snprintf(body, sizeof(body), "{\"policy\": \"" POLICY_NAME "\", \"value\": \"%s\"}",
		    b64);
		snprintf(path, sizeof(path), "/v1/admin/secrets/%s", b->names[i]);
		r = admin_call(b, c, "PUT", path, body, strlen(body), 201);
		sodium_memzero(body, sizeof(body));
		sodium_memzero(b64, sizeof(b64));
		if (r != 0)
			goto out;
		r = -1;
	}
	if (kbsc_http_request(pub, "GET", "/v1/keys", NULL, NULL, 0, &resp) != 0 ||
	    resp.status != 200) {
		fprintf(stderr, "kbs-bench: GET %.200s/v1/keys: no good answer\n", b->o.url);
		goto out;
	}
	jwks = cJSON_ParseWithLength((const char *)resp.body, resp.len);
	if ((keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys")) == NULL ||
	    kbsc_jwk_ed25519(cJSON_GetArrayItem(keys, 0), b->server_pk) != 0) {
		fprintf(stderr, "kbs-bench: /v1/keys holds no Ed25519 key\n");
		goto out;
	}
	r = 0;
out:
	kbsc_http_response_clear(&resp);
	cJSON_Delete(jwks);
	kbsc_http_free(c);
	kbsc_http_free(pub);
	return r;
}

/* ---- preparation ------------------------------------------------------------------- */

/* attest_body writes the request JSON as kbs-client does (nothing secret in it). */
static int
attest_body(struct bench *b, const struct job *j, const struct attester_evidence *ev, char **ret,
    size_t *ret_len)
{
	size_t cap = 1024 + kbs_b64_encoded_len(sizeof(ev->report)), len, i, n;
	char *s;
	int w;

	for (i = 0; i < ev->ncerts; i++)
		cap += kbs_b64_encoded_len(ev->certs[i].len) + 4;
	cap += b->o.secrets * 40;
	if ((s = malloc(cap)) == NULL)
		return -1;
	len = (size_t)snprintf(s, cap, "{\"nonce\":\"");
	if (kbs_b64_encode(j->nonce, 32, s + len, cap - len) != 0)
		goto fail;
	len += strlen(s + len);
	len += (size_t)snprintf(s + len, cap - len, "\",\"report\":\"");
	if (kbs_b64_encode(ev->report, sizeof(ev->report), s + len, cap - len) != 0)
		goto fail;
	len += strlen(s + len);
	len += (size_t)snprintf(s + len, cap - len, "\",\"certs\":[");
	for (i = 0; i < ev->ncerts; i++) {
		len += (size_t)snprintf(s + len, cap - len, "%s\"", i > 0 ? "," : "");
		if (kbs_b64_encode(ev->certs[i].der, ev->certs[i].len, s + len, cap - len) != 0)
			goto fail;
		len += strlen(s + len);
		len += (size_t)snprintf(s + len, cap - len, "\"");
	}
	len += (size_t)snprintf(s + len, cap - len, "],\"secrets\":[");
	for (n = 0; n < b->o.secrets; n++) {
		w = snprintf(s + len, cap - len, "%s\"%s\"", n > 0 ? "," : "", b->names[n]);
		if (w < 0 || (size_t)w >= cap - len)
			goto fail;
		len += (size_t)w;
	}
	w = snprintf(s + len, cap - len, "]}");
	if (w < 0 || (size_t)w >= cap - len)
		goto fail;
	*ret = s;
	*ret_len = len + (size_t)w;
	return 0;
fail:
	free(s);
	return -1;
}

struct prep_arg {
	struct bench *b;
	unsigned thread;
	size_t first; /* the global index of jobs[0] */
};

static void *
prep_worker(void *p)
{
	struct prep_arg *a = p;
	struct bench *b = a->b;
	struct kbsc_http *c = conn_new(b->o.url);
	size_t i;

	if (c == NULL) {
		bench_fail(b, "libcurl failed");
		return NULL;
	}
	while (!atomic_load(&b->prep_error) && (i = atomic_fetch_add(&b->cursor, 1)) < b->njobs) {
		struct job *j = &b->jobs[i];
		struct attester_evidence ev;
		struct attester *att;
		struct kbsc_http_response resp;
		uint8_t rd[64];
		int64_t exp = 0;
		int bad;

		memset(&resp, 0, sizeof(resp));
		bad = kbsc_http_request(
			  c, "POST", "/v1/challenge", NULL, (const uint8_t *)"{}", 2, &resp) != 0 ||
		    resp.status != 200 ||
		    kbsc_parse_challenge(resp.body, resp.len, j->nonce, &exp) != 0;
		kbsc_http_response_clear(&resp);
		if (bad) {
			bench_fail(b, "POST /v1/challenge: no good answer");
			break;
		}
		randombytes_buf(j->sk, sizeof(j->sk));
		if (crypto_scalarmult_base(j->pk, j->sk) != 0) {
			bench_fail(b, "X25519 failed");
			break;
		}
		memcpy(rd, j->pk, 32);
		memcpy(rd + 32, j->nonce, 32);
		memset(&ev, 0, sizeof(ev));
		if ((att = chip_attester(b, (a->first + i) % b->nchips, a->thread)) == NULL ||
		    attester_get_report(att, rd, &ev) != 0 ||
		    attest_body(b, j, &ev, &j->body, &j->body_len) != 0) {
			attester_evidence_clear(&ev);
			bench_fail(b, "the simulated chip failed to make a report");
			break;
		}
		attester_evidence_clear(&ev);
	}
	kbsc_http_free(c);
	return NULL;
}

static int
prepare(struct bench *b, size_t n)
{
	struct prep_arg args[PREP_THREADS];
	pthread_t th[PREP_THREADS];
	unsigned t, started = 0;

	if ((b->jobs = calloc(n, sizeof(*b->jobs))) == NULL)
		return -1;
	b->njobs = n;
	atomic_store(&b->cursor, 0);
	for (t = 0; t < PREP_THREADS; t++) {
		args[t] = (struct prep_arg){ b, t, b->next_chip };
		if (pthread_create(&th[t], NULL, prep_worker, &args[t]) != 0)
			break;
		started++;
	}
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	b->next_chip += n;
	if (started == 0 || atomic_load(&b->prep_error)) {
		fprintf(stderr, "kbs-bench: preparing: %s\n",
		    b->prep_msg[0] != '\0' ? b->prep_msg : "no thread");
		return -1;
	}
	return 0;
}

static void
jobs_free(struct bench *b)
{
	size_t i;

	for (i = 0; i < b->njobs; i++) {
		sodium_memzero(b->jobs[i].sk, sizeof(b->jobs[i].sk));
		free(b->jobs[i].body);
		free(b->jobs[i].answer);
	}
	free(b->jobs);
	b->jobs = NULL;
	b->njobs = 0;
}

/* ---- the load -------------------------------------------------------------------- */

struct run_arg {
	struct bench *b;
	struct kbsc_http *c;
	size_t limit; /* jobs index bound for this round */
};

static void *
run_worker(void *p)
{
	struct run_arg *a = p;
	struct bench *b = a->b;
	size_t i;

	while ((i = atomic_fetch_add(&b->cursor, 1)) < a->limit) {
		struct job *j = &b->jobs[i];
		struct kbsc_http_response resp;
		uint64_t t0 = mono_ns();

		memset(&resp, 0, sizeof(resp));
		if (kbsc_http_request(a->c, "POST", "/v1/attest", NULL, (const uint8_t *)j->body,
			j->body_len, &resp) != 0) {
			j->transport_failed = 1;
			kbsc_http_response_clear(&resp);
			continue;
		}
		j->latency_ns = mono_ns() - t0;
		j->status = resp.status;
		/* Kept for the checks after the batch; freed with the job. */
		j->answer = resp.body;
		j->answer_len = resp.len;
	}
	return NULL;
}

/* run_round runs jobs [cursor, limit) on every connection; 0 or -1 (no threads). */
static int
run_round(struct bench *b, size_t limit)
{
	struct run_arg *args = calloc(b->o.concurrency, sizeof(*args));
	pthread_t *th = calloc(b->o.concurrency, sizeof(*th));
	size_t t, started = 0;

	if (args == NULL || th == NULL) {
		free(args);
		free(th);
		return -1;
	}
	for (t = 0; t < b->o.concurrency; t++) {
		args[t] = (struct run_arg){ b, b->conns[t], limit };
		if (pthread_create(&th[t], NULL, run_worker, &args[t]) != 0)
			break;
		started++;
	}
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	free(args);
	free(th);
	return started == b->o.concurrency ? 0 : -1;
}

/* check_job: the answer as a guest checks it, and the values against the stored ones. */
static int
check_job(struct bench *b, const struct job *j)
{
	struct kbs_client_release *rel = NULL;
	struct kbsc_expect exp;
	size_t i;
	int ok;

	if (j->transport_failed || j->status != 200 || j->answer == NULL)
		return -1;
	memset(&exp, 0, sizeof(exp));
	exp.kind_attest = 1;
	memcpy(exp.binding, j->nonce, sizeof(exp.binding));
	exp.guest_pk = j->pk;
	exp.guest_sk = j->sk;
	exp.server_pk = b->server_pk;
	exp.names = b->name_ptrs;
	exp.count = b->o.secrets;
	if (kbsc_open_response(j->answer, j->answer_len, &exp, &rel) != 0)
		return -1;
	ok = rel->count == b->o.secrets;
	for (i = 0; ok && i < rel->count; i++)
		ok = rel->secrets[i].len == SECRET_SIZE &&
		    sodium_memcmp(rel->secrets[i].value, b->values[i], SECRET_SIZE) == 0;
	kbs_client_release_free(rel);
	return ok ? 0 : -1;
}

/* run_batch runs the prepared batch; skip_first jobs are the unmeasured opening round. */
static int
run_batch(struct bench *b, size_t skip_first)
{
	uint64_t t0, t1, c0, c1, s0, s1;
	size_t i;

	atomic_store(&b->cursor, 0);
	if (skip_first > 0 && run_round(b, skip_first) != 0)
		return -1;
	atomic_store(&b->cursor, skip_first);
	if (bench_cpu_ns(b->pid, &c0, &s0) != 0)
		goto gone;
	t0 = mono_ns();
	if (run_round(b, b->njobs) != 0)
		return -1;
	t1 = mono_ns();
	if (bench_cpu_ns(b->pid, &c1, &s1) != 0)
		goto gone;
	b->wall_ns += t1 - t0;
	b->cpu_ns += c1 - c0;
	b->sys_ns += s1 - s0;
	b->batches++;
	if (b->nlat + b->njobs > b->lat_cap) {
		size_t cap = b->lat_cap == 0 ? b->njobs : b->lat_cap;
		uint64_t *l;

		while (cap < b->nlat + b->njobs)
			cap *= 2;
		if ((l = realloc(b->latencies, cap * sizeof(*l))) == NULL)
			return -1;
		b->latencies = l;
		b->lat_cap = cap;
	}
	for (i = 0; i < b->njobs; i++) {
		const struct job *j = &b->jobs[i];
		int good = check_job(b, j) == 0;

		if (j->status >= 0 && j->status < 600)
			b->statuses[j->status]++;
		if (!good && b->failed < 3)
			fprintf(stderr, "kbs-bench: request failed: %s %ld: %.200s\n",
			    j->transport_failed ? "transport" : "HTTP", j->status,
			    j->answer != NULL ? (const char *)j->answer : "");
		if (i < skip_first) {
			if (!good)
				b->failed++;
			continue;
		}
		b->measured++;
		if (good)
			b->ok++;
		else
			b->failed++;
		if (!j->transport_failed)
			b->latencies[b->nlat++] = j->latency_ns;
	}
	return 0;
gone:
	fprintf(
	    stderr, "kbs-bench: cannot read /proc/%ld/stat: the broker is gone?\n", (long)b->pid);
	return -1;
}

/* ---- the raw verification ---------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
vcek_point(const struct attester_cert *c, uint8_t point[SNP_P384_POINT_SIZE])
{
	const uint8_t *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->len);
	EVP_PKEY *pk;
	size_t plen = SNP_P384_POINT_SIZE;
	int r = -1;

	if (x != NULL && (pk = X509_get0_pubkey(x)) != NULL &&
	    EVP_PKEY_get_octet_string_param(pk, "encoded-pub-key", point, plen, &plen) == 1 &&
	    plen == SNP_P384_POINT_SIZE)
		r = 0;
	X509_free(x);
	return r;
}

/*
 * time_verify: median over VERIFY_ROUNDS rounds of the thread CPU time of
 * one verification, nettle (ret_nettle) and OpenSSL (ret_openssl).
 */
static int
time_verify(struct bench *b, double *ret_nettle, double *ret_openssl)
{
	struct attester_evidence ev;
	struct snp_report rep;
	struct snp_p384_pubkey key;
	EVP_PKEY *okey = NULL;
	struct attester *att;
	uint8_t rd[64], point[SNP_P384_POINT_SIZE];
	uint64_t tn[VERIFY_ROUNDS], to[VERIFY_ROUNDS], t0;
	int round, i, r = -1;

	memset(&ev, 0, sizeof(ev));
	memset(&key, 0, sizeof(key));
	randombytes_buf(rd, sizeof(rd));
	if ((att = chip_attester(b, 0, 0)) == NULL || attester_get_report(att, rd, &ev) != 0 ||
	    ev.ncerts == 0 || snp_report_parse(ev.report, sizeof(ev.report), &rep) != 0 ||
	    vcek_point(&ev.certs[0], point) != 0 || snp_p384_pubkey_import(&key, point) != 0 ||
	    snp_p384_pubkey_to_openssl(&key, &okey) != 0)
		goto out;
	for (round = 0; round < VERIFY_ROUNDS; round++) {
		t0 = thread_cpu_ns();
		for (i = 0; i < VERIFY_PER_ROUND; i++)
			if (snp_sig_verify_p384(&key, rep.raw, SNP_REPORT_SIGNED_SIZE,
				rep.signature_r, rep.signature_s) != 0)
				goto out;
		tn[round] = thread_cpu_ns() - t0;
		t0 = thread_cpu_ns();
		for (i = 0; i < VERIFY_PER_ROUND; i++)
			if (snp_sig_verify_p384_openssl(okey, rep.raw, SNP_REPORT_SIGNED_SIZE,
				rep.signature_r, rep.signature_s) != 0)
				goto out;
		to[round] = thread_cpu_ns() - t0;
	}
	qsort(tn, VERIFY_ROUNDS, sizeof(tn[0]), cmp_u64);
	qsort(to, VERIFY_ROUNDS, sizeof(to[0]), cmp_u64);
	*ret_nettle = (double)tn[VERIFY_ROUNDS / 2] / 1000.0 / VERIFY_PER_ROUND;
	*ret_openssl = (double)to[VERIFY_ROUNDS / 2] / 1000.0 / VERIFY_PER_ROUND;
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "kbs-bench: the raw P-384 verification failed\n");
	attester_evidence_clear(&ev);
	EVP_PKEY_free(okey);
	snp_p384_pubkey_clear(&key);
	return r;
}

/* ---- main ------------------------------------------------------------------------- */

static double
pct_ms(const uint64_t *sorted, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(q * (double)(n - 1) + 0.5);
	return (double)sorted[k] / 1e6;
}

static int
run(struct bench *b)
{
	uint64_t rss0 = 0, rss1 = 0, started = mono_ns();
	double nettle_us = 0, openssl_us = 0, rps, cpu_us, p50, p99, pmax;
	size_t total_cap, t, done = 0;
	int duration_mode = b->o.duration > 0;

	if (b->o.pid != 0) {
		b->pid = (pid_t)b->o.pid;
		if (kill(b->pid, 0) != 0) {
			fprintf(stderr, "kbs-bench: --pid %ld: no such process\n", b->o.pid);
			return 1;
		}
	} else if (bench_find_listener(url_port(b->o.url), &b->pid) != 0) {
		fprintf(stderr,
		    "kbs-bench: no process of ours listens on port %u of --url (give --pid)\n",
		    url_port(b->o.url));
		return 1;
	}
	if (read_token(b) != 0 || find_chips(b) != 0 || setup(b) != 0)
		return 1;
	if ((b->conns = calloc(b->o.concurrency, sizeof(*b->conns))) == NULL)
		return 1;
	for (t = 0; t < b->o.concurrency; t++)
		if ((b->conns[t] = conn_new(b->o.url)) == NULL)
			return 1;
	/* With --duration alone the count is open-ended; the clock ends the run. */
	total_cap = duration_mode && !b->o.have_requests ? MAX_REQUESTS : b->o.requests;
	if (bench_rss_kib(b->pid, &rss0) != 0)
		rss0 = 0;
	printf("kbs-bench: broker pid %ld, %zu chip(s), concurrency %lu, %lu secret(s) per "
	       "attestation\n",
	    (long)b->pid, b->nchips, b->o.concurrency, b->o.secrets);
	fflush(stdout);
	while (done < total_cap) {
		size_t skip = b->batches == 0 ? b->o.concurrency : 0;
		size_t n = total_cap - done;

		if (n > BATCH_MAX)
			n = BATCH_MAX;
		if (prepare(b, n + skip) != 0 || run_batch(b, skip) != 0) {
			jobs_free(b);
			return 1;
		}
		jobs_free(b);
		done += n;
		if (duration_mode && b->wall_ns >= b->o.duration * 1000000000ull)
			break;
	}
	if (bench_rss_kib(b->pid, &rss1) != 0)
		rss1 = 0;
	if (b->cpu_ns == 0 && b->measured >= CPU_CHECK_MIN) {
		/* A wrong --pid, or a wrapper process (valgrind's launcher) rather than the broker.
		 */
		fprintf(stderr,
		    "kbs-bench: the CPU time of pid %ld did not move over the run: is it the broker?\n",
		    (long)b->pid);
		return 1;
	}
	if (b->cpu_ns == 0)
		fprintf(stderr,
		    "kbs-bench: warning: the broker's CPU time did not move: a run this "
		    "short is below /proc's 10 ms resolution\n");
	if (time_verify(b, &nettle_us, &openssl_us) != 0)
		return 1;
	qsort(b->latencies, b->nlat, sizeof(b->latencies[0]), cmp_u64);
	rps = b->wall_ns > 0 ? (double)b->measured / ((double)b->wall_ns / 1e9) : 0;
	cpu_us = b->measured > 0 ? (double)b->cpu_ns / 1000.0 / (double)b->measured : 0;
	p50 = pct_ms(b->latencies, b->nlat, 0.50);
	p99 = pct_ms(b->latencies, b->nlat, 0.99);
	pmax = b->nlat > 0 ? (double)b->latencies[b->nlat - 1] / 1e6 : 0;
	printf("requests %zu measured in %zu batch(es) of at most %d (plus %lu unmeasured to open "
	       "the connections): %zu released and checked, %zu failed\n",
	    b->measured, b->batches, BATCH_MAX, b->o.concurrency, b->ok, b->failed);
	printf("throughput %.1f attestations/s over %.3f s measured (%.1f s in all)\n", rps,
	    (double)b->wall_ns / 1e9, (double)(mono_ns() - started) / 1e9);
	printf("latency ms: p50 %.3f p99 %.3f max %.3f\n", p50, p99, pmax);
	printf("broker CPU (user+system, /proc/%ld/stat): %.3f s (system %.3f s), %.1f us per "
	       "attestation\n",
	    (long)b->pid, (double)b->cpu_ns / 1e9, (double)b->sys_ns / 1e9, cpu_us);
	printf("broker VmRSS KiB: start %" PRIu64 " end %" PRIu64 "\n", rss0, rss1);
	printf("one raw P-384 verify (CPU time here): nettle %.1f us, OpenSSL %.1f us\n", nettle_us,
	    openssl_us);
	printf("ratios: attestation/nettle verify %.2f, attestation/OpenSSL verify %.2f, "
	       "nettle/OpenSSL %.2f\n",
	    cpu_us / nettle_us, cpu_us / openssl_us, nettle_us / openssl_us);
	if (b->o.json)
		printf(
		    "{\"requests\":%zu,\"ok\":%zu,\"failed\":%zu,\"batches\":%zu,\"concurrency\":%lu,"
		    "\"secrets\":%lu,\"chips\":%zu,\"wall_s\":%.6f,\"rps\":%.2f,\"p50_ms\":%.4f,"
		    "\"p99_ms\":%.4f,\"max_ms\":%.4f,\"broker_cpu_s\":%.3f,\"broker_sys_s\":%.3f,"
		    "\"attest_cpu_us\":%.2f,\"verify_cpu_us\":%.2f,\"openssl_verify_cpu_us\":%.2f,"
		    "\"ratio\":%.4f,\"ratio_openssl\":%.4f,\"rss_start_kib\":%" PRIu64
		    ",\"rss_end_kib\":%" PRIu64 "}\n",
		    b->measured, b->ok, b->failed, b->batches, b->o.concurrency, b->o.secrets,
		    b->nchips, (double)b->wall_ns / 1e9, rps, p50, p99, pmax,
		    (double)b->cpu_ns / 1e9, (double)b->sys_ns / 1e9, cpu_us, nettle_us, openssl_us,
		    cpu_us / nettle_us, cpu_us / openssl_us, rss0, rss1);
	printf("attest_cpu_us=%.1f verify_cpu_us=%.1f openssl_verify_cpu_us=%.1f ratio=%.3f "
	       "rps=%.1f p50_ms=%.3f p99_ms=%.3f\n",
	    cpu_us, nettle_us, openssl_us, cpu_us / nettle_us, rps, p50, p99);
	fflush(stdout);
	if (b->failed > 0) {
		fprintf(stderr, "kbs-bench: %zu attestation(s) failed\n", b->failed);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench b;
	size_t i, t;
	int rc;

	memset(&b, 0, sizeof(b));
	if ((rc = parse_args(argc, argv, &b.o)) != 0)
		return rc;
	if (url_port(b.o.url) == 0) {
		fprintf(stderr, "kbs-bench: --url: http://HOST:PORT\n");
		return 2;
	}
	if (kbs_crypto_init() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "kbs-bench: libsodium or libcurl failed to initialise\n");
		return 1;
	}
	pthread_mutex_init(&b.msg_lock, NULL);
	rc = run(&b);
	for (t = 0; b.conns != NULL && t < b.o.concurrency; t++)
		kbsc_http_free(b.conns[t]);
	free(b.conns);
	for (i = 0; i < b.nchips; i++)
		for (t = 0; t < PREP_THREADS; t++)
			attester_close(b.chips[i].att[t]);
	free(b.chips);
	free(b.latencies);
	sodium_memzero(b.token, sizeof(b.token));
	sodium_memzero(b.values, sizeof(b.values));
	pthread_mutex_destroy(&b.msg_lock);
	curl_global_cleanup();
	return rc;
}
