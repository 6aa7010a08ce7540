/*
 * webhook.h: the broker's outgoing webhooks (docs/webhooks.md).
 *
 * Events (a release, a denial, a policy change, an audit chain failure, a
 * token revoked) are handed over by the request threads where the broker
 * records them; each becomes one delivery per webhook that subscribes to
 * its kind, in a bounded in-memory queue (webhook_queue deliveries in
 * all). One sender thread POSTs them with libcurl, signed as
 * common/kbs_webhook_sig.h says, with hard timeouts, and retries failures
 * with exponential backoff. A request thread never waits for the network
 * or for a full queue: what does not fit is dropped and counted.
 *
 * Bodies never carry a secret value: names, versions, policy hashes, the
 * failed rule ids, the replica, the time and the audit sequence number.
 * The queue lives in memory only: events still queued when the broker
 * stops (after a bounded drain) are lost and counted; the audit log stays
 * the record of what happened.
 */
#ifndef KBS_WEBHOOK_H
#define KBS_WEBHOOK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kbs_common.h"
#include "metrics.h"

#define KBS_WEBHOOK_ATTEMPTS 5              /* per delivery, the first included */
#define KBS_WEBHOOK_BACKOFF_FIRST_MS 1000   /* before the second attempt */
#define KBS_WEBHOOK_BACKOFF_MAX_MS 30000    /* doubling stops here (plus jitter) */
#define KBS_WEBHOOK_CONNECT_TIMEOUT_MS 2000 /* TCP and TLS connection */
#define KBS_WEBHOOK_TIMEOUT_MS 5000         /* one whole attempt */
#define KBS_WEBHOOK_DRAIN_MS 2000           /* at shutdown */
#define KBS_WEBHOOK_BODY_MAX (64u << 10)    /* larger bodies are not sent */

struct kbs_webhooks;

/*
 * kbs_webhooks_new reads every configured webhook's secret file (into
 * sodium_malloc memory) and, when at least one webhook is configured,
 * starts the sender thread. Deliveries, drops and the queue depth are
 * counted in m (may be NULL). On failure msg says which webhook and file.
 * KBS_ERR_WEBHOOK_KEY_FILE, KBS_ERR_SYSTEM (errno kept), KBS_ERR_ALLOC,
 * KBS_ERR_INTERNAL (libcurl or the thread could not start).
 */
KBS_MUST_CHECK int kbs_webhooks_new(const struct kbs_config *cfg, struct kbs_metrics *m,
    struct kbs_webhooks **ret, char *msg, size_t msg_size);

/*
 * kbs_webhooks_wanted is 1 when some webhook subscribes to kind (so the
 * caller builds the body only then), else 0; 0 for NULL w.
 */
int kbs_webhooks_wanted(const struct kbs_webhooks *w, enum kbs_metrics_webhook_kind kind);

/*
 * kbs_webhooks_emit queues one event of kind for every webhook that wants
 * it. fields (taken, may be NULL when out of memory) holds the members of
 * its kind; emit adds "kind", "id" (the event's KBS-Webhook-Id), "time"
 * (now, Unix seconds) and "replica". Never blocks on the network: a
 * delivery that does not fit the queue is dropped and counted
 * (queue_full). Thread-safe; a NULL w only frees fields.
 */
void kbs_webhooks_emit(
    struct kbs_webhooks *w, enum kbs_metrics_webhook_kind kind, int64_t now, cJSON *fields);

/* kbs_webhooks_depth is the gauge reader: deliveries queued or in flight (ctx: the webhooks). */
int kbs_webhooks_depth(void *ctx, uint64_t *ret);

/*
 * kbs_webhooks_drain gives the queue at most ms milliseconds: every queued
 * delivery gets one more attempt without waiting for its backoff (each
 * attempt's timeout cut to what is left), then the rest are dropped and
 * counted (shutdown) and the sender stops. Later emits are dropped.
 */
void kbs_webhooks_drain(struct kbs_webhooks *w, unsigned ms);

/* kbs_webhooks_free stops the sender (no drain), wipes the keys and frees w (NULL ok). */
void kbs_webhooks_free(struct kbs_webhooks *w);

#endif
