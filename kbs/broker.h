/*
 * broker.h: the broker's shared state and the services routes use.
 *
 * One struct kbs_broker lives for the process. Everything in it is either
 * immutable after kbs_broker_open (configuration, keys, verifier roots,
 * configured certificates and CRLs) or safe for concurrent use by its own
 * design (the keystore's group commit, the verifier's chain cache, the
 * policy cache's lock, the rate limiter's striped locks, atomic metrics),
 * so request threads share it without a global lock.
 */
#ifndef KBS_BROKER_H
#define KBS_BROKER_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "http.h"
#include "kbs_common.h"
#include "token.h"

struct keystore;
struct snp_verifier;
struct snp_crl;
struct policy;
struct kbs_policy_cache;
struct kbs_ratelimit;
struct kbs_webhooks;
struct kbs_kds;
struct kbs_replica;

#define KBS_VERSION "0.1.0"

struct kbs_blob {
	uint8_t *data;
	size_t len;
};

struct kbs_broker {
	struct kbs_config cfg;
	char data_dir[KBS_CONFIG_PATH_MAX];
	struct keystore *ks;
	struct snp_verifier *verifier;

	/* Identity (Ed25519): sk in sodium_malloc'd read-only memory. */
	uint8_t *identity_sk; /* 64 bytes */
	uint8_t identity_pk[32];
	struct kbs_token_key token_key; /* pk, its JWK x (what a guest pins), kid */
	char *jwks;                     /* the /v1/keys body, built once */

	struct kbs_nonce_issuer *nonces;
	struct kbs_metrics *metrics;
	struct kbs_policy_cache *policies;
	struct kbs_ratelimit *rate;        /* public requests per address */
	struct kbs_ratelimit *admin_rate;  /* admin requests per address: guests cannot use it up */
	struct kbs_ratelimit *audit_quota; /* audit records of refused evidence per address */
	struct kbs_ratelimit *audit_quota_all; /* ... and from all addresses together */
	struct kbs_webhooks *webhooks;         /* outgoing event notifications (webhook.h) */

	size_t n_cert_files;
	struct kbs_blob cert_files[KBS_CONFIG_MAX_LIST];
	size_t n_crls;
	struct snp_crl *crls[KBS_CONFIG_MAX_LIST];
	int crl_products[KBS_CONFIG_MAX_LIST]; /* enum snp_product of each list */
	struct kbs_kds *kds;                   /* VCEKs, chains and CRLs from AMD KDS (kds.h) */

	/* Replication through etcd (replica.h); NULL for a broker on its own. */
	struct kbs_replica *replica;

	atomic_int ready;
};

/*
 * kbs_broker_open prepares everything but the listeners: creates the data
 * directory and, on first start, the master key, identity key, nonce key
 * and bootstrap admin token (all 0600; *ret_first_start set), opens the
 * keystore, checks its state, loads the verifier with the compiled-in AMD
 * roots and the configured extra roots, certificates and CRLs. On failure
 * msg says which file or step.
 */
KBS_MUST_CHECK int kbs_broker_open(const struct kbs_config *cfg, const char *data_dir,
    struct kbs_broker **ret, int *ret_first_start, char *msg, size_t msg_size);

void kbs_broker_close(struct kbs_broker *b);

const struct kbs_config *kbs_broker_config(const struct kbs_broker *b);

/*
 * Consumed nonces are kept until KBS_NONCE_PURGE_MARGIN seconds after
 * they expire, then purged by kbs_broker_housekeeping, which main runs
 * every KBS_HOUSEKEEPING_SECONDS. A nonce is checked when its request
 * arrives and consumed at the commit, later; the margin keeps the record
 * a replay must run into for any request whose commit comes at most
 * KBS_NONCE_COMMIT_GRACE seconds after its nonce expired, and the attest
 * path refuses a later commit (nonce_expired), so no purge can let a
 * nonce be used twice.
 */
#define KBS_NONCE_PURGE_MARGIN 300
#define KBS_NONCE_COMMIT_GRACE 60
#define KBS_HOUSEKEEPING_SECONDS 60

/*
 * kbs_broker_housekeeping purges the nonces that expired more than
 * KBS_NONCE_PURGE_MARGIN seconds before now (Unix seconds); *ret_purged
 * (may be NULL) gets how many. The keystore's errors.
 */
KBS_MUST_CHECK int kbs_broker_housekeeping(struct kbs_broker *b, int64_t now, size_t *ret_purged);

/*
 * Refused evidence is audited within refused_audit_per_minute per address
 * and KBS_REFUSED_AUDIT_ALL_FACTOR times that from all addresses together,
 * so callers with many addresses cannot grow the store at their pace.
 */
#define KBS_REFUSED_AUDIT_ALL_FACTOR 10

/*
 * kbs_broker_rate_key gives the key addr is limited under: an IPv4
 * address as it is, an IPv6 address by its /64 (one host usually has a
 * whole /64 to pick addresses from), anything else as it is.
 */
void kbs_broker_rate_key(const char *addr, char out[KBS_ADDR_SIZE]);

/*
 * kbs_broker_refused_audit_ok takes one audit record of refused evidence
 * from addr's and the global budget; 0 when either is spent (or is 0).
 */
int kbs_broker_refused_audit_ok(struct kbs_broker *b, const char *addr, int64_t now);

/*
 * kbs_broker_rate_ok takes one request from addr's bucket of listener's
 * limiter (each listener has its own, so guests behind one address, such
 * as a local TLS proxy, cannot lock the operators out); 0 when empty.
 */
int kbs_broker_rate_ok(struct kbs_broker *b, enum kbs_listener listener, const char *addr);

/* kbs_broker_observe counts a finished request in the metrics. */
void kbs_broker_observe(struct kbs_broker *b, enum kbs_metrics_route route, unsigned status,
    const struct timespec *start);

/* kbs_broker_log_request writes the request's JSON log line (no secrets, no bodies). */
void kbs_broker_log_request(
    struct kbs_broker *b, const struct kbs_req *req, const struct kbs_resp *resp);

#endif
