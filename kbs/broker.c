/*
 * broker.c: building and tearing down the broker's shared state, and the
 * small services the HTTP layer calls for every request (rate limit,
 * metrics, the request log line).
 */
#include "broker.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_auth.h"
#include "etcd.h"
#include "kds.h"
#include "keystore.h"
#include "metrics.h"
#include "nonce.h"
#include "policy.h"
#include "policy_cache.h"
#include "ratelimit.h"
#include "replica.h"
#include "snp.h"
#include "state.h"
#include "token.h"
#include "webhook.h"

#define POLICY_CACHE_ENTRIES 256

const struct kbs_config *
kbs_broker_config(const struct kbs_broker *b)
{
	return &b->cfg;
}

static int
fail(char *msg, size_t size, int r, const char *what, const char *file)
{
	snprintf(msg, size, "%s%s%s: %s (%s)", what, file != NULL ? " " : "",
	    file != NULL ? file : "", kbs_err_str(r), kbs_err_name(r));
	return r;
}

/*
 * identity_load reads the Ed25519 seed, or creates it on the first start
 * (a new identity for an existing store would lock out every guest that
 * pinned the old one), and derives the public forms.
 */
static int
identity_load(struct kbs_broker *b, int first, int *created)
{
	uint8_t seed[32];
	size_t jwks_len = 0;
	int r;

	if ((r = kbs_state_key(b->data_dir, "identity.key", first, seed, created)) != 0)
		return r;
	r = KBS_ERR_ALLOC;
	if ((b->identity_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		goto out;
	r = KBS_ERR_INTERNAL;
	if (crypto_sign_seed_keypair(b->identity_pk, b->identity_sk, seed) != 0)
		goto out;
	(void)sodium_mprotect_readonly(b->identity_sk);
	if ((r = kbs_token_key_init(b->identity_pk, &b->token_key)) != 0 ||
	    (r = kbs_token_jwks(&b->token_key, &b->jwks, &jwks_len)) != 0)
		goto out;
	r = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	return r;
}

/*
 * load_crl loads "PRODUCT:vcek|vlek:FILE": AMD's two lists per product
 * cannot be told apart by their contents, so the configuration says which
 * chain each one is for (the KDS path it was fetched from).
 */
static int
load_crl(struct kbs_broker *b, const char *spec)
{
	char product_name[16];
	const char *c1 = strchr(spec, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
	enum snp_product product;
	enum snp_signing_key signer;
	struct kbs_blob f = { NULL, 0 };
	int r;

	if (c1 == NULL || c2 == NULL || (size_t)(c1 - spec) >= sizeof(product_name))
		return KBS_ERR_CONFIG;
	memcpy(product_name, spec, (size_t)(c1 - spec));
	product_name[c1 - spec] = '\0';
	if (snp_product_from_name(product_name, &product) != 0)
		return KBS_ERR_CONFIG;
	if (c2 - c1 == 5 && strncmp(c1 + 1, "vcek", 4) == 0)
		signer = SNP_SIGNING_KEY_VCEK;
	else if (c2 - c1 == 5 && strncmp(c1 + 1, "vlek", 4) == 0)
		signer = SNP_SIGNING_KEY_VLEK;
	else
		return KBS_ERR_CONFIG;
	if ((r = kbs_file_read(c2 + 1, POLICY_INPUT_CRL_MAX, &f.data, &f.len)) != 0)
		return r;
	r = snp_crl_load_for(f.data, f.len, signer, &b->crls[b->n_crls]);
	free(f.data);
	if (r != 0)
		return r;
	/*
	 * Checked now against the trust roots (added above), as every list
	 * the KDS fetcher takes in is: a list no trusted ARK of product
	 * signed would otherwise fail each attestation of product.
	 */
	if ((r = snp_verifier_crl_check(b->verifier, b->crls[b->n_crls], product, NULL, 0)) != 0) {
		snp_crl_free(b->crls[b->n_crls]);
		b->crls[b->n_crls] = NULL;
		return r;
	}
	b->crl_products[b->n_crls++] = (int)product;
	return 0;
}

/* check_cert_file parses a configured certificate file once, as every attestation would. */
static int
check_cert_file(const struct kbs_blob *f)
{
	struct snp_certs *certs = NULL;
	int r;

	if ((r = snp_certs_new(&certs)) != 0)
		return r;
	r = snp_certs_add(certs, f->data, f->len);
	snp_certs_free(certs);
	return r;
}

static int
load_files(struct kbs_broker *b, char *msg, size_t msg_size)
{
	size_t i;
	int r;

	for (i = 0; i < b->cfg.trust_roots.n; i++) {
		struct kbs_blob f = { NULL, 0 };

		if ((r = kbs_file_read(b->cfg.trust_roots.item[i], 1u << 20, &f.data, &f.len)) != 0)
			return fail(msg, msg_size, r, "trust root", b->cfg.trust_roots.item[i]);
		r = snp_verifier_add_root(b->verifier, f.data, f.len);
		free(f.data);
		if (r != 0)
			return fail(msg, msg_size, r, "trust root", b->cfg.trust_roots.item[i]);
	}
	for (i = 0; i < b->cfg.cert_files.n; i++) {
		struct kbs_blob *f = &b->cert_files[i];

		if ((r = kbs_file_read(b->cfg.cert_files.item[i], 1u << 20, &f->data, &f->len)) !=
		    0)
			return fail(
			    msg, msg_size, r, "certificate file", b->cfg.cert_files.item[i]);
		b->n_cert_files++;
		if ((r = check_cert_file(f)) != 0)
			return fail(
			    msg, msg_size, r, "certificate file", b->cfg.cert_files.item[i]);
	}
	for (i = 0; i < b->cfg.crls.n; i++)
		if ((r = load_crl(b, b->cfg.crls.item[i])) != 0)
			return fail(msg, msg_size, r, "CRL", b->cfg.crls.item[i]);
	return 0;
}

/* map_size feeds the LMDB gauge at scrape time. */
static int
map_size(void *ctx, uint64_t *ret)
{
	*ret = keystore_map_size(ctx);
	return 0;
}

/*
 * metrics_new labels denied rules with the policy language's fixed rule
 * ids. It runs before the keystore opens, so the store's commits (its
 * group-commit batch sizes) are counted from the first.
 */
static int
metrics_new(struct kbs_broker *b)
{
	static const char *ids[POLICY_MAX_RESULTS + 8];
	size_t n = 0;

	while (n < KBS_ARRAY_SIZE(ids) && (ids[n] = policy_rule_id(n)) != NULL)
		n++;
	return kbs_metrics_new(ids, n, &b->metrics);
}

/* commit_observed is the keystore's on_commit hook: one batch of writes made durable. */
static void
commit_observed(void *ctx, size_t writes)
{
	kbs_metrics_commit_batch(ctx, writes);
}

/* metrics_gauges adds the gauges read from the open store at scrape time. */
static int
metrics_gauges(struct kbs_broker *b)
{
	struct kbs_metrics_gauge g = { "kbs_store_map_size_bytes",
		"Size of the LMDB map (it grows on demand)", map_size, NULL };

	struct kbs_metrics_gauge q = { "kbs_webhook_queue_depth",
		"Webhook deliveries queued or in flight", kbs_webhooks_depth, NULL };
	int r;

	g.ctx = b->ks;
	q.ctx = b->webhooks;
	if ((r = kbs_metrics_add_gauge(b->metrics, &g)) != 0)
		return r;
	return kbs_metrics_add_gauge(b->metrics, &q);
}

/*
 * startup_chain_event tells the webhooks, before the broker gives up, that
 * the start-up check found the audit chain broken: the one notice a
 * tampered store can give before nothing serves. It waits for the
 * delivery at most KBS_WEBHOOK_DRAIN_MS.
 */
static void
startup_chain_event(struct kbs_broker *b, uint64_t bad_seq)
{
	cJSON *o;

	if (!kbs_webhooks_wanted(b->webhooks, KBS_METRICS_WEBHOOK_AUDIT_CHAIN_FAILURE))
		return;
	if ((o = cJSON_CreateObject()) != NULL &&
	    (cJSON_AddStringToObject(o, "found_by", "startup") == NULL ||
		cJSON_AddNumberToObject(o, "first_bad_seq", (double)bad_seq) == NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	kbs_webhooks_emit(b->webhooks, KBS_METRICS_WEBHOOK_AUDIT_CHAIN_FAILURE, kbs_time_now(), o);
	kbs_webhooks_drain(b->webhooks, KBS_WEBHOOK_DRAIN_MS);
}

/* live_set copies the reloadable settings request threads read (struct kbs_live). */
static void
live_set(struct kbs_broker *b, const struct kbs_config *cfg)
{
	atomic_store(&b->live.token_lifetime, cfg->token_lifetime);
	atomic_store(&b->live.allow_stale_crl, cfg->allow_stale_crl);
	atomic_store(&b->live.refused_audit_per_minute, cfg->refused_audit_per_minute);
}

int
kbs_broker_open(const struct kbs_config *cfg, const char *data_dir, struct kbs_broker **ret,
    int *ret_first_start, char *msg, size_t msg_size)
{
	struct kbs_broker *b = NULL;
	struct keystore_key_source ksrc;
	struct keystore_options kopts;
	struct keystore_verify_report vrep;
	char store_dir[KBS_CONFIG_PATH_MAX + 16], key_path[KBS_CONFIG_PATH_MAX + 16];
	uint8_t nonce_key[32], master[32];
	int created = 0, first = 0, r = KBS_ERR_ALLOC;

	msg[0] = '\0';
	if (strlen(data_dir) >= KBS_CONFIG_PATH_MAX)
		return fail(msg, msg_size, KBS_ERR_INVALID_ARGUMENT, "data directory", NULL);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto out;
	b->cfg = *cfg;
	memcpy(b->data_dir, data_dir, strlen(data_dir) + 1);
	if ((r = kbs_state_dir(data_dir)) != 0) {
		fail(msg, msg_size, r, "data directory", data_dir);
		goto out;
	}
	first = !kbs_state_exists(data_dir, "store");

	snprintf(store_dir, sizeof(store_dir), "%s/store", data_dir);
	snprintf(key_path, sizeof(key_path), "%s/master.key", data_dir);
	ksrc.kind = KEYSTORE_KEY_FILE;
	ksrc.name = key_path;
	if (cfg->master_key_credential[0] != '\0') {
		/*
		 * A systemd credential: the key never lies in the data directory
		 * (nor in its backups) and is made by the operator, never here.
		 */
		if (strchr(cfg->master_key_credential, '/') != NULL ||
		    strcmp(cfg->master_key_credential, "..") == 0 ||
		    strcmp(cfg->master_key_credential, ".") == 0) {
			r = KBS_ERR_CONFIG;
			fail(msg, msg_size, r, "master_key_credential", cfg->master_key_credential);
			goto out;
		}
		ksrc.kind = KEYSTORE_KEY_CREDENTIAL;
		ksrc.name = b->cfg.master_key_credential;
	} else {
		/*
		 * The master key file: keystore/ reads it itself and checks its
		 * mode. Only a first start (no store yet) may create it.
		 */
		if ((r = kbs_state_key(data_dir, "master.key", first, master, &created)) != 0) {
			fail(msg, msg_size, r, "master key", "master.key");
			goto out;
		}
		sodium_memzero(master, sizeof(master));
	}
	if ((r = metrics_new(b)) != 0) {
		fail(msg, msg_size, r, "metrics", NULL);
		goto out;
	}
	memset(&kopts, 0, sizeof(kopts));
	kopts.on_commit = commit_observed;
	kopts.on_commit_ctx = b->metrics;
	if (cfg->no_audit_sync)
		kopts.flags |= KEYSTORE_NO_SYNC;
	if ((r = keystore_open(store_dir, &ksrc, &kopts, &b->ks)) != 0) {
		/*
		 * A first start that failed (a missing or unusable credential)
		 * must not leave the empty store directory that would make the
		 * next start take it for an existing store. rmdir removes
		 * nothing else.
		 */
		if (first)
			(void)rmdir(store_dir);
		fail(msg, msg_size, r, "keystore", store_dir);
		goto out;
	}
	if ((r = kbs_webhooks_new(cfg, b->metrics, &b->webhooks, msg, msg_size)) != 0)
		goto out;
	if ((r = keystore_verify_state(b->ks, &vrep)) != 0) {
		fail(msg, msg_size, r, "keystore state check", store_dir);
		if (r == KBS_ERR_STORE_AUDIT_CHAIN)
			startup_chain_event(b, vrep.bad_seq);
		goto out;
	}
	if ((r = identity_load(b, first, &created)) != 0) {
		fail(msg, msg_size, r, "identity key", "identity.key");
		goto out;
	}
	/* A lost nonce key only voids outstanding nonces: it may be made again. */
	if ((r = kbs_state_key(data_dir, "nonce.key", 1, nonce_key, &created)) != 0 ||
	    (r = kbs_nonce_issuer_new(nonce_key, cfg->replica_id, strlen(cfg->replica_id),
		 cfg->nonce_lifetime, &b->nonces)) != 0) {
		fail(msg, msg_size, r, "nonce key", "nonce.key");
		goto out;
	}
	if ((r = kbs_admin_bootstrap(b, first)) != 0) {
		fail(msg, msg_size, r, "bootstrap admin token", "admin.token");
		goto out;
	}
	if ((r = snp_verifier_new(&b->verifier)) != 0 || (r = load_files(b, msg, msg_size)) != 0) {
		if (msg[0] == '\0')
			fail(msg, msg_size, r, "verifier", NULL);
		goto out;
	}
	/* After the trust roots: the fetcher takes a CRL only under an ARK the verifier trusts. */
	if ((r = kbs_kds_new(cfg, b->ks, b->verifier, b->metrics, &b->kds)) != 0) {
		fail(msg, msg_size, r, "AMD KDS fetcher", NULL);
		goto out;
	}
	if ((r = kbs_policy_cache_new(POLICY_CACHE_ENTRIES, &b->policies)) != 0 ||
	    (r = kbs_ratelimit_new(cfg->rate_per_ip, 1, cfg->rate_burst, &b->rate)) != 0 ||
	    (r = kbs_ratelimit_new(cfg->rate_per_ip, 1, cfg->rate_burst, &b->admin_rate)) != 0 ||
	    (r = kbs_ratelimit_new(cfg->refused_audit_per_minute, 60,
		 cfg->refused_audit_per_minute > 0 ? cfg->refused_audit_per_minute : 1,
		 &b->audit_quota)) != 0 ||
	    (r = kbs_ratelimit_new(cfg->refused_audit_per_minute * KBS_REFUSED_AUDIT_ALL_FACTOR, 60,
		 cfg->refused_audit_per_minute > 0
		     ? cfg->refused_audit_per_minute * KBS_REFUSED_AUDIT_ALL_FACTOR
		     : 1,
		 &b->audit_quota_all)) != 0) {
		fail(msg, msg_size, r, "start-up", NULL);
		goto out;
	}
	if ((r = metrics_gauges(b)) != 0) {
		fail(msg, msg_size, r, "start-up", NULL);
		goto out;
	}
	/* A typo in the etcd TLS files fails now, not at the first write. */
	if (cfg->etcd.n_endpoints > 0 && (r = kbs_etcd_check_files(&cfg->etcd, msg, msg_size)) != 0)
		goto out;
	/* The watcher starts here: guests are served from the store whatever etcd does. */
	if (cfg->etcd.n_endpoints > 0 &&
	    ((r = kbs_replica_new(&cfg->etcd, cfg->replica_id, b->ks, b->metrics, &b->replica)) !=
		    0 ||
		(r = kbs_replica_start(b->replica)) != 0)) {
		fail(msg, msg_size, r, "etcd replication", NULL);
		goto out;
	}
	live_set(b, cfg);
	*ret_first_start = first;
	*ret = b;
	b = NULL;
	r = 0;
out:
	sodium_memzero(nonce_key, sizeof(nonce_key));
	kbs_broker_close(b);
	return r;
}

void
kbs_broker_close(struct kbs_broker *b)
{
	size_t i;

	if (b == NULL)
		return;
	kbs_webhooks_free(b->webhooks); /* its events come from request threads: stopped first */
	kbs_kds_free(b->kds);           /* its refresher uses the store and the metrics */
	kbs_replica_free(b->replica);   /* joins the watcher, which writes to the store */
	keystore_close(b->ks);
	snp_verifier_free(b->verifier);
	if (b->identity_sk != NULL)
		sodium_free(b->identity_sk);
	free(b->jwks);
	kbs_nonce_issuer_free(b->nonces);
	kbs_metrics_free(b->metrics);
	kbs_policy_cache_free(b->policies);
	kbs_ratelimit_free(b->rate);
	kbs_ratelimit_free(b->admin_rate);
	kbs_ratelimit_free(b->audit_quota);
	kbs_ratelimit_free(b->audit_quota_all);
	for (i = 0; i < b->n_cert_files; i++)
		free(b->cert_files[i].data);
	for (i = 0; i < b->n_crls; i++)
		snp_crl_free(b->crls[i]);
	free(b);
}

/* list_equal: the same entries in the same order (the order of roots and lists is kept). */
static int
list_equal(const struct kbs_config_list *x, const struct kbs_config_list *y)
{
	size_t i;

	if (x->n != y->n)
		return 0;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->item[i], y->item[i]) != 0)
			return 0;
	return 1;
}

/* webhooks_equal: the same webhooks, in order (their sender is built once, at start-up). */
static int
webhooks_equal(const struct kbs_config *x, const struct kbs_config *y)
{
	size_t i;

	if (x->n_webhooks != y->n_webhooks || x->webhook_queue != y->webhook_queue)
		return 0;
	for (i = 0; i < x->n_webhooks; i++)
		if (strcmp(x->webhooks[i].url, y->webhooks[i].url) != 0 ||
		    strcmp(x->webhooks[i].secret_file, y->webhooks[i].secret_file) != 0 ||
		    x->webhooks[i].events != y->webhooks[i].events)
			return 0;
	return 1;
}

/* etcd_equal: the same replication settings (the fetcher and watcher are built once). */
static int
etcd_equal(const struct kbs_config_etcd *a, const struct kbs_config_etcd *b)
{
	size_t i;

	if (a->n_endpoints != b->n_endpoints || strcmp(a->prefix, b->prefix) != 0 ||
	    a->timeout_ms != b->timeout_ms || a->max_lag != b->max_lag ||
	    strcmp(a->ca_file, b->ca_file) != 0 || strcmp(a->cert_file, b->cert_file) != 0 ||
	    strcmp(a->key_file, b->key_file) != 0)
		return 0;
	for (i = 0; i < a->n_endpoints; i++)
		if (strcmp(a->endpoints[i], b->endpoints[i]) != 0)
			return 0;
	return 1;
}

int
kbs_broker_reload_check(
    const struct kbs_broker *b, const struct kbs_config *cfg, char *msg, size_t msg_size)
{
	const struct kbs_config *o = &b->cfg;
	const char *what = NULL;

	/*
	 * Listening addresses and the replica id are who the broker is; the
	 * nonce lifetime bounds how long a consumed nonce must stay recorded
	 * (a longer one could let a purged nonce be replayed); the verifier's
	 * roots, certificates and CRLs are shared without locks by every
	 * attestation, so they are built once; so are the webhook sender,
	 * the KDS fetcher and the etcd watcher, with their settings.
	 */
	if (strcmp(o->listen, cfg->listen) != 0)
		what = "listen";
	else if (strcmp(o->admin_listen, cfg->admin_listen) != 0)
		what = "admin_listen";
	else if (strcmp(o->replica_id, cfg->replica_id) != 0)
		what = "replica_id";
	else if (o->nonce_lifetime != cfg->nonce_lifetime)
		what = "nonce_lifetime";
	else if (!list_equal(&o->trust_roots, &cfg->trust_roots))
		what = "trust_roots";
	else if (!list_equal(&o->cert_files, &cfg->cert_files))
		what = "cert_files";
	else if (!list_equal(&o->crls, &cfg->crls))
		what = "crls";
	else if (strcmp(o->master_key_credential, cfg->master_key_credential) != 0)
		what = "master_key_credential";
	else if (!webhooks_equal(o, cfg))
		what = "webhooks";
	else if (strcmp(o->kds_url, cfg->kds_url) != 0 || o->kds_timeout != cfg->kds_timeout ||
	    strcmp(o->kds_cache_dir, cfg->kds_cache_dir) != 0 || o->crl_grace != cfg->crl_grace ||
	    o->kds_fetch != cfg->kds_fetch)
		what = "kds_url, kds_timeout, kds_cache_dir, crl_grace or kds_fetch";
	else if (!etcd_equal(&o->etcd, &cfg->etcd))
		what = "etcd";
	if (what == NULL)
		return 0;
	snprintf(msg, msg_size, "%s: changed; it takes effect only on a restart", what);
	return KBS_ERR_RELOAD_RESTART;
}

void
kbs_broker_reload(struct kbs_broker *b, const struct kbs_config *cfg)
{
	uint32_t audit = cfg->refused_audit_per_minute;

	kbs_log_set_level(cfg->log_level);
	live_set(b, cfg);
	kbs_ratelimit_set(b->rate, cfg->rate_per_ip, 1, cfg->rate_burst);
	kbs_ratelimit_set(b->admin_rate, cfg->rate_per_ip, 1, cfg->rate_burst);
	kbs_ratelimit_set(b->audit_quota, audit, 60, audit > 0 ? audit : 1);
	kbs_ratelimit_set(b->audit_quota_all, audit * KBS_REFUSED_AUDIT_ALL_FACTOR, 60,
	    audit > 0 ? audit * KBS_REFUSED_AUDIT_ALL_FACTOR : 1);
}

int
kbs_broker_housekeeping(struct kbs_broker *b, int64_t now, size_t *ret_purged)
{
	size_t n = 0;
	int r;

	if ((r = keystore_nonce_purge(b->ks, now - KBS_NONCE_PURGE_MARGIN, &n)) != 0)
		return r;
	if (ret_purged != NULL)
		*ret_purged = n;
	return 0;
}

void
kbs_broker_rate_key(const char *addr, char out[KBS_ADDR_SIZE])
{
	struct in6_addr a6;

	snprintf(out, KBS_ADDR_SIZE, "%s", addr);
	if (strchr(addr, ':') == NULL || inet_pton(AF_INET6, addr, &a6) != 1 ||
	    IN6_IS_ADDR_V4MAPPED(&a6)) /* an IPv4 client of a dual-stack socket: itself */
		return;
	memset(a6.s6_addr + 8, 0, 8);
	if (inet_ntop(AF_INET6, &a6, out, KBS_ADDR_SIZE - 3) != NULL)
		memcpy(out + strlen(out), "/64", 4);
}

int
kbs_broker_refused_audit_ok(struct kbs_broker *b, const char *addr, int64_t now)
{
	char key[KBS_ADDR_SIZE];

	/* 0 is no budget at all (the limiter would read it as no limit). */
	if (atomic_load(&b->live.refused_audit_per_minute) == 0)
		return 0;
	kbs_broker_rate_key(addr, key);
	/* The address's own budget first: one address alone cannot spend the global one. */
	return kbs_ratelimit_take(b->audit_quota, key, now * 1000) &&
	    kbs_ratelimit_take(b->audit_quota_all, "*", now * 1000);
}

int
kbs_broker_rate_ok(struct kbs_broker *b, enum kbs_listener listener, const char *addr)
{
	struct timespec ts;
	char key[KBS_ADDR_SIZE];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	kbs_broker_rate_key(addr, key);
	return kbs_ratelimit_take(listener == KBS_LISTENER_ADMIN ? b->admin_rate : b->rate, key,
	    (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
kbs_broker_observe(struct kbs_broker *b, enum kbs_metrics_route route, unsigned status,
    const struct timespec *start)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - start->tv_sec) * 1000000000 + (now.tv_nsec - start->tv_nsec);
	kbs_metrics_request(b->metrics, route, status, ns > 0 ? (uint64_t)ns : 0);
}

void
kbs_broker_log_request(struct kbs_broker *b, const struct kbs_req *req, const struct kbs_resp *resp)
{
	static const char *const methods[] = { "?", "GET", "POST", "PUT", "DELETE" };

	(void)b;
	/* The path may hold a secret's name (not a value); it is bounded and was URL-decoded. */
	kbs_log(resp->status >= 500 ? KBS_LOG_WARNING : KBS_LOG_INFO,
	    "{\"event\":\"request\",\"request_id\":\"%s\",\"client\":\"%.64s\",\"method\":\"%s\","
	    "\"route\":\"%s\",\"status\":%u,\"error\":\"%s\"}",
	    req->request_id, req->client_addr,
	    methods[(unsigned)req->method < 5 ? (unsigned)req->method : 0],
	    req->listener == KBS_LISTENER_ADMIN ? "admin" : "public", resp->status,
	    resp->error != NULL ? resp->error : "");
}
