/*
 * config.c: defaults and the strict JSON configuration file.
 *
 * The file is one JSON object; each member is described by a row of the
 * settings table below (name, kind, where it lands, bounds), so adding a
 * setting is one row and docs/operations.md lists the same rows. The file
 * is read by policy/'s strict reader, which refuses duplicate keys and
 * keeps line and column for every value, so an operator's typo is an
 * error that points at the spot ("did you mean" included).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "metrics.h"

void
kbs_config_defaults(struct kbs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8080");
	snprintf(cfg->admin_listen, sizeof(cfg->admin_listen), "127.0.0.1:8081");
	snprintf(cfg->replica_id, sizeof(cfg->replica_id), "kbs-0");
	cfg->threads = 0;
	cfg->max_body = 256u << 10;
	cfg->admin_max_body = 2u << 20;
	cfg->max_connections = 256;
	cfg->per_ip_connections = 32;
	cfg->connection_timeout = 10;
	cfg->request_deadline = 30;
	cfg->rate_per_ip = 50;
	cfg->rate_burst = 100;
	cfg->nonce_lifetime = 120;
	cfg->token_lifetime = 300;
	cfg->refused_audit_per_minute = 6;
	cfg->allow_stale_crl = 0;
	cfg->log_level = KBS_LOG_INFO;
	cfg->webhook_queue = 1024;
	snprintf(cfg->kds_url, sizeof(cfg->kds_url), "https://kdsintf.amd.com");
	cfg->kds_timeout = 5;
	cfg->crl_grace = 86400;
	cfg->kds_fetch = 1;
	cfg->kds_fetches_per_minute = 10;
	kbs_config_etcd_defaults(&cfg->etcd);
}

int
kbs_config_list_add(struct kbs_config_list *list, const char *value)
{
	size_t n = strlen(value);

	if (list->n >= KBS_CONFIG_MAX_LIST || n >= KBS_CONFIG_PATH_MAX)
		return KBS_ERR_TOO_LARGE;
	memcpy(list->item[list->n], value, n + 1);
	list->n++;
	return 0;
}

enum setting_kind {
	SET_STRING,
	SET_UINT,
	SET_BOOL,
	SET_LIST,
	SET_LOG_LEVEL,
	SET_WEBHOOKS,
	SET_ETCD,
};

struct setting {
	const char *name;
	enum setting_kind kind;
	size_t offset;
	size_t size;  /* SET_STRING: buffer size */
	uint64_t min; /* SET_UINT bounds */
	uint64_t max;
};

#define S_STR(n, f) \
	{ \
		n, SET_STRING, offsetof(struct kbs_config, f), \
		    sizeof(((struct kbs_config *)0)->f), 0, 0 \
	}
#define S_UINT(n, f, lo, hi) \
	{ \
		n, SET_UINT, offsetof(struct kbs_config, f), 0, lo, hi \
	}
#define S_LIST(n, f) \
	{ \
		n, SET_LIST, offsetof(struct kbs_config, f), 0, 0, 0 \
	}

static const struct setting settings[] = {
	S_STR("listen", listen),
	S_STR("admin_listen", admin_listen),
	S_STR("tls_cert", tls_cert),
	S_STR("tls_key", tls_key),
	S_STR("replica_id", replica_id),
	S_LIST("trust_roots", trust_roots),
	S_LIST("cert_files", cert_files),
	S_LIST("crls", crls),
	S_UINT("threads", threads, 0, 256),
	S_UINT("max_body", max_body, 4096, 16u << 20),
	S_UINT("admin_max_body", admin_max_body, 4096, 64u << 20),
	S_UINT("max_connections", max_connections, 1, 65536),
	S_UINT("per_ip_connections", per_ip_connections, 1, 65536),
	S_UINT("connection_timeout", connection_timeout, 1, 3600),
	S_UINT("request_deadline", request_deadline, 1, 3600),
	S_UINT("rate_per_ip", rate_per_ip, 0, 1000000),
	S_UINT("rate_burst", rate_burst, 1, 1000000),
	S_UINT("nonce_lifetime", nonce_lifetime, 5, 3600),
	S_UINT("token_lifetime", token_lifetime, 10, 86400),
	S_UINT("refused_audit_per_minute", refused_audit_per_minute, 0, 10000),
	{ "allow_stale_crl", SET_BOOL, offsetof(struct kbs_config, allow_stale_crl), 0, 0, 0 },
	{ "log_level", SET_LOG_LEVEL, offsetof(struct kbs_config, log_level), 0, 0, 0 },
	{ "webhooks", SET_WEBHOOKS, offsetof(struct kbs_config, webhooks), 0, 0, 0 },
	S_UINT("webhook_queue", webhook_queue, 1, 65536),
	S_STR("kds_url", kds_url),
	S_UINT("kds_timeout", kds_timeout, 1, 60),
	S_STR("kds_cache_dir", kds_cache_dir),
	S_UINT("crl_grace", crl_grace, 0, 30u * 86400),
	{ "kds_fetch", SET_BOOL, offsetof(struct kbs_config, kds_fetch), 0, 0, 0 },
	S_UINT("kds_fetches_per_minute", kds_fetches_per_minute, 0, 10000),
	{ "etcd", SET_ETCD, offsetof(struct kbs_config, etcd), 0, 0, 0 },
	S_STR("master_key_credential", master_key_credential),
};

static const struct {
	const char *name;
	enum kbs_log_level level;
} log_levels[] = {
	{ "error", KBS_LOG_ERROR },
	{ "warning", KBS_LOG_WARNING },
	{ "info", KBS_LOG_INFO },
	{ "debug", KBS_LOG_DEBUG },
};

int
kbs_config_log_level(const char *name, enum kbs_log_level *ret)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(log_levels); i++)
		if (strcmp(name, log_levels[i].name) == 0) {
			*ret = log_levels[i].level;
			return 0;
		}
	return KBS_ERR_CONFIG;
}

struct cfg_ctx {
	const char *path;
	char *msg;
	size_t msg_size;
};

static int
cfg_err(struct cfg_ctx *c, const struct pj_node *n, const char *key, const char *what)
{
	snprintf(c->msg, c->msg_size, "%s:%u:%u: %s%s%s", c->path, n != NULL ? n->line : 1,
	    n != NULL ? n->column : 1, key != NULL ? key : "", key != NULL ? ": " : "", what);
	return KBS_ERR_CONFIG;
}

/* edit_distance: Levenshtein distance of short ASCII names, for "did you mean". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

static int
unknown_key(struct cfg_ctx *c, const struct pj_node *n)
{
	char what[160];
	size_t i, best = 99, best_i = 0;

	for (i = 0; i < KBS_ARRAY_SIZE(settings); i++) {
		size_t d = edit_distance(n->key, settings[i].name);

		if (d < best) {
			best = d;
			best_i = i;
		}
	}
	if (best <= 2)
		snprintf(what, sizeof(what), "unknown setting (did you mean \"%s\"?)",
		    settings[best_i].name);
	else
		snprintf(what, sizeof(what), "unknown setting");
	snprintf(c->msg, c->msg_size, "%s:%u:%u: %.64s: %s", c->path, n->key_line, n->key_column,
	    n->key, what);
	return KBS_ERR_CONFIG;
}

static int
set_string(
    struct cfg_ctx *c, const struct setting *s, const struct pj_node *n, char *dst, size_t size)
{
	if (n->type != PJ_STRING)
		return cfg_err(c, n, s->name, "must be a string");
	if (n->str_len >= size)
		return cfg_err(c, n, s->name, "is too long");
	memcpy(dst, n->str, n->str_len + 1);
	return 0;
}

/*
 * The members of one "webhooks" entry. The URL is checked for its scheme
 * and for bytes no URL has (spaces, controls), so a typo is caught here
 * rather than as failed deliveries; libcurl parses the rest.
 */
enum { WH_URL, WH_EVENTS, WH_SECRET_FILE, WH_COUNT };

static const char *const webhook_members[WH_COUNT] = { "url", "events", "secret_file" };

static int
webhook_url_ok(const char *url)
{
	size_t i, host;

	if (strncmp(url, "http://", 7) == 0)
		host = 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = 8;
	else
		return 0;
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	return url[host] != '\0' && url[host] != '/';
}

static int
webhook_events(struct cfg_ctx *c, const struct pj_node *n, struct kbs_config_webhook *w)
{
	enum kbs_metrics_webhook_kind kind;
	const struct pj_node *e;

	if (n->type != PJ_ARRAY || n->child == NULL)
		return cfg_err(
		    c, n, "webhooks: events", "must be a non-empty array of event names");
	for (e = n->child; e != NULL; e = e->next) {
		if (e->type != PJ_STRING || kbs_metrics_webhook_kind_parse(e->str, &kind) != 0)
			return cfg_err(c, e, "webhooks: events",
			    "must name release, denial, policy_change, audit_chain_failure or "
			    "token_revoked");
		if ((w->events & (1u << kind)) != 0)
			return cfg_err(c, e, "webhooks: events", "names an event twice");
		w->events |= 1u << kind;
	}
	return 0;
}

static int
webhook_entry(struct cfg_ctx *c, const struct pj_node *n, struct kbs_config_webhook *w)
{
	const struct pj_node *m, *seen[WH_COUNT] = { NULL };
	size_t i;
	int r;

	if (n->type != PJ_OBJECT)
		return cfg_err(c, n, "webhooks", "must hold objects {url, events, secret_file}");
	memset(w, 0, sizeof(*w));
	for (m = n->child; m != NULL; m = m->next) {
		for (i = 0; i < WH_COUNT && strcmp(m->key, webhook_members[i]) != 0; i++)
			;
		if (i == WH_COUNT) {
			snprintf(c->msg, c->msg_size,
			    "%s:%u:%u: webhooks: %.64s: unknown member (url, events, secret_file)",
			    c->path, m->key_line, m->key_column, m->key);
			return KBS_ERR_CONFIG;
		}
		seen[i] = m;
	}
	for (i = 0; i < WH_COUNT; i++)
		if (seen[i] == NULL) {
			char what[64];

			snprintf(what, sizeof(what), "an entry lacks \"%s\"", webhook_members[i]);
			return cfg_err(c, n, "webhooks", what);
		}
	m = seen[WH_URL];
	if (m->type != PJ_STRING || m->str_len >= sizeof(w->url) || !webhook_url_ok(m->str))
		return cfg_err(c, m, "webhooks: url",
		    "must be an http:// or https:// URL without spaces, shorter than 1024 bytes");
	memcpy(w->url, m->str, m->str_len + 1);
	m = seen[WH_SECRET_FILE];
	if (m->type != PJ_STRING || m->str_len == 0 || m->str_len >= sizeof(w->secret_file))
		return cfg_err(
		    c, m, "webhooks: secret_file", "must be a file name (1 to 1023 bytes)");
	memcpy(w->secret_file, m->str, m->str_len + 1);
	if ((r = webhook_events(c, seen[WH_EVENTS], w)) != 0)
		return r;
	return 0;
}

static int
apply_webhooks(struct cfg_ctx *c, struct kbs_config *cfg, const struct pj_node *n)
{
	const struct pj_node *e;
	int r;

	if (n->type != PJ_ARRAY)
		return cfg_err(c, n, "webhooks", "must be an array of objects");
	cfg->n_webhooks = 0;
	for (e = n->child; e != NULL; e = e->next) {
		if (cfg->n_webhooks == KBS_CONFIG_MAX_WEBHOOKS)
			return cfg_err(c, e, "webhooks", "has more than 8 entries");
		if ((r = webhook_entry(c, e, &cfg->webhooks[cfg->n_webhooks])) != 0)
			return r;
		cfg->n_webhooks++;
	}
	return 0;
}

static int
apply(struct cfg_ctx *c, struct kbs_config *cfg, const struct setting *s, const struct pj_node *n)
{
	char *field = (char *)cfg + s->offset;
	const struct pj_node *e;

	switch (s->kind) {
	case SET_STRING:
		return set_string(c, s, n, field, s->size);
	case SET_UINT:
		if (n->type != PJ_NUMBER || !n->is_integer || !n->in_range || n->integer < 0 ||
		    (uint64_t)n->integer < s->min || (uint64_t)n->integer > s->max) {
			char what[96];

			snprintf(what, sizeof(what), "must be an integer from %llu to %llu",
			    (unsigned long long)s->min, (unsigned long long)s->max);
			return cfg_err(c, n, s->name, what);
		}
		*(uint32_t *)(void *)field = (uint32_t)n->integer;
		return 0;
	case SET_BOOL:
		if (n->type != PJ_BOOL)
			return cfg_err(c, n, s->name, "must be true or false");
		*(int *)(void *)field = n->boolean;
		return 0;
	case SET_LIST: {
		struct kbs_config_list *list = (struct kbs_config_list *)(void *)field;

		if (n->type != PJ_ARRAY)
			return cfg_err(c, n, s->name, "must be an array of file names");
		for (e = n->child; e != NULL; e = e->next) {
			if (e->type != PJ_STRING || e->str_len == 0)
				return cfg_err(c, e, s->name, "must hold non-empty strings");
			if (kbs_config_list_add(list, e->str) != 0)
				return cfg_err(c, e, s->name, "has too many or too long entries");
		}
		return 0;
	}
	case SET_LOG_LEVEL:
		if (n->type == PJ_STRING &&
		    kbs_config_log_level(n->str, (enum kbs_log_level *)(void *)field) == 0)
			return 0;
		return cfg_err(
		    c, n, s->name, "must be \"error\", \"warning\", \"info\" or \"debug\"");
	case SET_WEBHOOKS:
		return apply_webhooks(c, cfg, n);
	case SET_ETCD:
		return kbs_config_etcd_parse(
		    (struct kbs_config_etcd *)(void *)field, n, c->path, c->msg, c->msg_size);
	}
	return KBS_ERR_INTERNAL;
}

int
kbs_config_load(struct kbs_config *cfg, const char *path, char *msg, size_t msg_size)
{
	struct cfg_ctx c = { path, msg, msg_size };
	struct policy_error perr;
	struct pj_node *root = NULL;
	const struct pj_node *n;
	uint8_t *data = NULL;
	size_t len = 0, i;
	int r;

	msg[0] = '\0';
	if ((r = kbs_file_read(path, KBS_CONFIG_MAX_FILE, &data, &len)) != 0) {
		snprintf(msg, msg_size, "%s: %s", path, kbs_err_str(r));
		goto out;
	}
	memset(&perr, 0, sizeof(perr));
	if ((r = pj_parse(data, len, &root, &perr)) != 0) {
		snprintf(msg, msg_size, "%s:%u:%u: %s", path, perr.line, perr.column, perr.message);
		r = r == KBS_ERR_ALLOC ? r : KBS_ERR_CONFIG;
		goto out;
	}
	if (root->type != PJ_OBJECT) {
		r = cfg_err(&c, root, NULL, "the configuration must be a JSON object");
		goto out;
	}
	for (n = root->child; n != NULL; n = n->next) {
		for (i = 0; i < KBS_ARRAY_SIZE(settings); i++)
			if (strcmp(n->key, settings[i].name) == 0)
				break;
		if (i == KBS_ARRAY_SIZE(settings)) {
			r = unknown_key(&c, n);
			goto out;
		}
		if ((r = apply(&c, cfg, &settings[i], n)) != 0)
			goto out;
	}
	if (strncmp(cfg->kds_url, "https://", 8) != 0 && strncmp(cfg->kds_url, "http://", 7) != 0) {
		r = cfg_err(&c, root, "kds_url", "must start with https:// or http://");
		goto out;
	}
	if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
		r = cfg_err(&c, root, NULL, "tls_cert and tls_key go together");
		goto out;
	}
	r = 0;
out:
	pj_free(root);
	free(data);
	return r;
}
