/*
 * config.h: the broker's settings. Every setting has a default, so the
 * daemon runs with no file at all; --config FILE (strict JSON, see
 * docs/operations.md) overrides defaults, and command-line flags override
 * the file.
 */
#ifndef KBS_CONFIG_H
#define KBS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_common.h"

#define KBS_CONFIG_MAX_FILE (64u << 10)
#define KBS_CONFIG_PATH_MAX 1024
#define KBS_CONFIG_MAX_LIST 16 /* trust roots, certificate and CRL files */

struct kbs_config_list {
	size_t n;
	char item[KBS_CONFIG_MAX_LIST][KBS_CONFIG_PATH_MAX];
};

#define KBS_CONFIG_MAX_WEBHOOKS 8

/* One entry of "webhooks" (docs/webhooks.md). */
struct kbs_config_webhook {
	char url[KBS_CONFIG_PATH_MAX];         /* http:// or https:// */
	char secret_file[KBS_CONFIG_PATH_MAX]; /* its HMAC key (kbs_webhook_key_load) */
	unsigned events;                       /* bit (1 << enum kbs_metrics_webhook_kind) */
};

#define KBS_ETCD_MAX_ENDPOINTS 8
#define KBS_ETCD_URL_MAX 256

/*
 * Replication through etcd ("etcd": {...}; docs/operations.md, Scale-out).
 * n_endpoints 0 (the default) is a broker on its own: the keystore alone
 * is the source of truth, as without this setting.
 */
struct kbs_config_etcd {
	size_t n_endpoints;
	char endpoints[KBS_ETCD_MAX_ENDPOINTS][KBS_ETCD_URL_MAX]; /* http://HOST:PORT */
	char prefix[KBS_ETCD_URL_MAX];                            /* "/kbs/": /.../ */
	uint32_t timeout_ms;                                      /* each etcd request */
	uint32_t max_lag; /* revisions behind etcd past which /readyz says not ready */
	/* TLS to https:// endpoints (PEM paths, "" unset): CAs instead of the system's ... */
	char ca_file[KBS_CONFIG_PATH_MAX];
	char cert_file[KBS_CONFIG_PATH_MAX]; /* ... and a client certificate chain and key */
	char key_file[KBS_CONFIG_PATH_MAX];  /* (kbs_etcd_check_files) */
};

struct kbs_config {
	char listen[KBS_CONFIG_PATH_MAX];       /* HOST:PORT */
	char admin_listen[KBS_CONFIG_PATH_MAX]; /* HOST:PORT or unix:PATH */
	char tls_cert[KBS_CONFIG_PATH_MAX];     /* PEM; "" for plain HTTP */
	char tls_key[KBS_CONFIG_PATH_MAX];
	char replica_id[64];
	struct kbs_config_list trust_roots; /* extra ARKs (tests, simulators) */
	struct kbs_config_list cert_files;  /* VCEK/VLEK/ASK files the broker offers */
	struct kbs_config_list crls;        /* AMD CRLs: "PRODUCT:vcek|vlek:FILE" */
	uint32_t threads;                   /* 0: 8 per core, at most 64 */
	uint32_t max_body;                  /* public API request bodies */
	uint32_t admin_max_body;            /* admin API request bodies */
	uint32_t max_connections;
	uint32_t per_ip_connections;
	uint32_t connection_timeout; /* seconds of inactivity */
	uint32_t request_deadline;   /* seconds to receive one whole request (head and body) */
	uint32_t rate_per_ip;        /* requests per second per address, 0: off */
	uint32_t rate_burst;
	uint32_t nonce_lifetime;           /* seconds */
	uint32_t token_lifetime;           /* seconds */
	uint32_t refused_audit_per_minute; /* audit records for refused evidence, per address */
	int allow_stale_crl;
	enum kbs_log_level log_level;
	size_t n_webhooks;
	struct kbs_config_webhook webhooks[KBS_CONFIG_MAX_WEBHOOKS];
	uint32_t webhook_queue;                  /* deliveries waiting, all webhooks together */
	char kds_url[KBS_CONFIG_PATH_MAX];       /* AMD KDS base URL (kbs/kds.h) */
	uint32_t kds_timeout;                    /* seconds, hard, per fetch */
	char kds_cache_dir[KBS_CONFIG_PATH_MAX]; /* read-only pre-loaded certificates; "" none */
	uint32_t crl_grace;                      /* seconds a CRL is used past its nextUpdate */
	int kds_fetch;                           /* 0: offline, only caches */
	uint32_t kds_fetches_per_minute;         /* VCEK fetches per client address; 0: off */
	struct kbs_config_etcd etcd;
	/*
	 * The master key as a systemd credential (LoadCredential=NAME:...):
	 * a file name in $CREDENTIALS_DIRECTORY; "" for DATA_DIR/master.key.
	 */
	char master_key_credential[64];
	/*
	 * --no-audit-sync only (never from the file, so no configuration turns
	 * it on by accident): the keystore runs with KEYSTORE_NO_SYNC, nothing
	 * is flushed to disk. For benchmarks that compare against durable
	 * auditing; never in production.
	 */
	int no_audit_sync;
};

/* kbs_config_defaults fills every field with its documented default. */
void kbs_config_defaults(struct kbs_config *cfg);

/*
 * kbs_config_load reads path (at most KBS_CONFIG_MAX_FILE bytes) over the
 * values already in cfg. Unknown or duplicate keys, wrong types and
 * out-of-range numbers are errors: *msg (msg_size bytes) says
 * "FILE:LINE:COL: KEY: problem". Returns 0, KBS_ERR_CONFIG, or an I/O code.
 */
KBS_MUST_CHECK int kbs_config_load(
    struct kbs_config *cfg, const char *path, char *msg, size_t msg_size);

/* kbs_config_log_level reads "error", "warning", "info" or "debug"; KBS_ERR_CONFIG otherwise. */
KBS_MUST_CHECK int kbs_config_log_level(const char *name, enum kbs_log_level *ret);

/* kbs_config_etcd_defaults: off (no endpoints), prefix "/kbs/", 2 s, lag 1000. */
void kbs_config_etcd_defaults(struct kbs_config_etcd *e);

struct pj_node;

/*
 * kbs_config_etcd_parse reads the "etcd" object n of a configuration file
 * (config_etcd.c: members endpoints, prefix, timeout, max_lag, ca_file,
 * cert_file, key_file) over e.
 * KBS_ERR_CONFIG with msg "FILE:LINE:COL: etcd.KEY: problem".
 */
KBS_MUST_CHECK int kbs_config_etcd_parse(struct kbs_config_etcd *e, const struct pj_node *n,
    const char *path, char *msg, size_t msg_size);

/*
 * kbs_config_list_add appends value to list. KBS_ERR_TOO_LARGE when full
 * or the value is longer than KBS_CONFIG_PATH_MAX - 1.
 */
KBS_MUST_CHECK int kbs_config_list_add(struct kbs_config_list *list, const char *value);

#endif
