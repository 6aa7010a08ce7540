/*
 * webhook.c: the delivery queue and its one sender thread (webhook.h).
 *
 * The queue is a fixed array of webhook_queue slots with a stack of free
 * slot indices, so queueing under the lock is O(1) and allocates only the
 * body copy. Each slot is one delivery: an event's body for one webhook,
 * its event id, its attempt count and when it is next due (monotonic
 * milliseconds). The sender picks the due slot queued first, sends it with
 * the lock released, and then frees it, or sets its next due time
 * (KBS_WEBHOOK_BACKOFF_FIRST_MS doubling to KBS_WEBHOOK_BACKOFF_MAX_MS,
 * plus up to 25% random jitter so that many brokers do not retry in step),
 * or gives it up after KBS_WEBHOOK_ATTEMPTS or on a 4xx that a retry
 * cannot change. A receiver that is down therefore delays only its own
 * deliveries' retries, not other webhooks' first attempts.
 *
 * Each attempt is signed afresh (a new KBS-Webhook-Timestamp) under the
 * same KBS-Webhook-Id. libcurl is confined to http and https, follows no
 * redirect, verifies TLS peers against the system store, and has hard
 * connect and total timeouts; answer bodies are discarded unread. An
 * attempt in flight when the sender is told to stop is cut by libcurl's
 * progress callback (called at least once a second): at the drain's
 * deadline, or at once.
 */
#include "webhook.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbs_webhook_sig.h"
#include "outbound.h"

struct hook {
	char url[KBS_CONFIG_PATH_MAX];
	unsigned events;
	uint8_t *key; /* sodium_malloc'd, KBS_WEBHOOK_KEY_MAX bytes */
	size_t key_len;
};

struct slot {
	int used, in_flight, drain_tried;
	unsigned hook;
	unsigned attempts;
	enum kbs_metrics_webhook_kind kind;
	int64_t due_ms;
	uint64_t seq; /* queueing order */
	char id[KBS_WEBHOOK_ID_SIZE];
	char *body;
	size_t len;
};

struct kbs_webhooks {
	struct hook hooks[KBS_CONFIG_MAX_WEBHOOKS];
	size_t n_hooks;
	unsigned wanted; /* union of the hooks' event bits */
	char replica[64];
	struct kbs_metrics *metrics;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct slot *slots;
	size_t *free_stack, n_free, n_slots;
	uint64_t next_seq;
	int draining, stopping;
	int64_t drain_deadline_ms;
	_Atomic int64_t cut_ms; /* 0, or when an attempt in flight is aborted (read unlocked) */

	CURL *curl;
	int curl_global, thread_started;
	pthread_t thread;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the queue (caller holds the lock) ------------------------------------ */

static void
slot_release(struct kbs_webhooks *w, size_t i)
{
	struct slot *s = &w->slots[i];

	free(s->body);
	memset(s, 0, sizeof(*s));
	w->free_stack[w->n_free++] = i;
}

static void
slot_drop(struct kbs_webhooks *w, size_t i, enum kbs_metrics_webhook_drop why)
{
	const struct slot *s = &w->slots[i];

	kbs_metrics_webhook_dropped(w->metrics, why);
	/* The URL is not logged: it may carry a receiver's credentials. */
	kbs_log(KBS_LOG_WARNING,
	    "{\"event\":\"webhook_dropped\",\"webhook\":%u,\"kind\":\"%s\",\"id\":\"%s\","
	    "\"attempts\":%u,\"reason\":\"%s\"}",
	    s->hook, kbs_metrics_webhook_kind_name(s->kind), s->id, s->attempts,
	    kbs_metrics_webhook_drop_name(why));
	slot_release(w, i);
}

/* pick: the due slot queued first (any untried one while draining); *ret_wait_ms otherwise. */
static int
pick(struct kbs_webhooks *w, int64_t now, size_t *ret, int64_t *ret_wait_ms)
{
	size_t i, best = SIZE_MAX;
	int64_t soonest = INT64_MAX;

	for (i = 0; i < w->n_slots; i++) {
		const struct slot *s = &w->slots[i];

		if (!s->used || s->in_flight || (w->draining && s->drain_tried))
			continue;
		if (!w->draining && s->due_ms > now) {
			if (s->due_ms < soonest)
				soonest = s->due_ms;
			continue;
		}
		if (best == SIZE_MAX || s->seq < w->slots[best].seq)
			best = i;
	}
	*ret = best;
	*ret_wait_ms = soonest == INT64_MAX ? -1 : soonest - now;
	return best != SIZE_MAX;
}

/* ---- one attempt ------------------------------------------------------------ */

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

/* cut: libcurl's progress callback; non-zero aborts the attempt (stop, below). */
static int
cut(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct kbs_webhooks *w = userdata;
	int64_t at = atomic_load(&w->cut_ms);

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return at != 0 && mono_ms() >= at;
}

/* The copy the sender works on while the lock is released. */
struct attempt {
	unsigned hook;
	char id[KBS_WEBHOOK_ID_SIZE];
	const char *body; /* the slot's: only the sender frees slots */
	size_t len;
	long timeout_ms;
};

/*
 * send_one makes one POST; *ret_permanent is 1 for an answer a retry
 * cannot change (4xx other than 408 and 429).
 */
static enum kbs_metrics_webhook_result
send_one(struct kbs_webhooks *w, const struct attempt *a, int *ret_permanent)
{
	const struct hook *h = &w->hooks[a->hook];
	struct kbs_webhook_headers hdr;
	struct curl_slist *list = NULL, *l;
	const char *lines[6] = { "Content-Type: application/json",
		"Expect:", "User-Agent: kbs-webhook/1", hdr.id, hdr.timestamp, hdr.signature };
	enum kbs_metrics_webhook_result res = KBS_METRICS_WEBHOOK_FAILED;
	long status = 0, connect_ms;
	size_t i;
	CURLcode cc = CURLE_OK;

	*ret_permanent = 0;
	if (kbs_webhook_headers_make(h->key, h->key_len, a->id, (uint64_t)time(NULL),
		(const uint8_t *)a->body, a->len, &hdr) != 0)
		return KBS_METRICS_WEBHOOK_FAILED;
	for (i = 0; i < KBS_ARRAY_SIZE(lines); i++) {
		if ((l = curl_slist_append(list, lines[i])) == NULL)
			goto out;
		list = l;
	}
	connect_ms = a->timeout_ms < KBS_WEBHOOK_CONNECT_TIMEOUT_MS
	    ? a->timeout_ms
	    : KBS_WEBHOOK_CONNECT_TIMEOUT_MS;
	curl_easy_reset(w->curl);
	if (kbs_outbound_setup(w->curl, h->url, connect_ms, a->timeout_ms) != 0 ||
	    curl_easy_setopt(w->curl, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, a->body) != CURLE_OK ||
	    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)a->len) !=
		CURLE_OK ||
	    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
	    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
	    curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, cut) != CURLE_OK ||
	    curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, w) != CURLE_OK ||
	    curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK)
		goto out;
	cc = curl_easy_perform(w->curl);
	switch (cc) {
	case CURLE_OK:
		(void)curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status <= 299) {
			res = KBS_METRICS_WEBHOOK_OK;
		} else {
			res = KBS_METRICS_WEBHOOK_HTTP_ERROR;
			*ret_permanent =
			    status >= 400 && status <= 499 && status != 408 && status != 429;
		}
		break;
	case CURLE_OPERATION_TIMEDOUT:
		res = KBS_METRICS_WEBHOOK_TIMEOUT;
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		res = KBS_METRICS_WEBHOOK_CONNECT_ERROR;
		break;
	default:
		res = KBS_METRICS_WEBHOOK_FAILED;
		break;
	}
	kbs_log(KBS_LOG_DEBUG,
	    "{\"event\":\"webhook_attempt\",\"webhook\":%u,\"id\":\"%s\",\"curl\":%d,"
	    "\"status\":%ld}",
	    a->hook, a->id, (int)cc, status);
out:
	curl_slist_free_all(list);
	return res;
}

/* backoff_ms: the wait before attempt n + 1 (n >= 1 attempts made), with jitter. */
static int64_t
backoff_ms(unsigned n)
{
	int64_t d = KBS_WEBHOOK_BACKOFF_FIRST_MS;

	while (n-- > 1 && d < KBS_WEBHOOK_BACKOFF_MAX_MS)
		d *= 2;
	if (d > KBS_WEBHOOK_BACKOFF_MAX_MS)
		d = KBS_WEBHOOK_BACKOFF_MAX_MS;
	return d + (int64_t)randombytes_uniform((uint32_t)(d / 4 + 1));
}

/* ---- the sender thread ---------------------------------------------------- */

/* finish settles slot i after an attempt (lock held): delivered, retried later, or given up. */
static void
finish(struct kbs_webhooks *w, size_t i, enum kbs_metrics_webhook_result res, int permanent)
{
	struct slot *s = &w->slots[i];

	s->in_flight = 0;
	s->attempts++;
	if (w->draining)
		s->drain_tried = 1;
	if (res == KBS_METRICS_WEBHOOK_OK) {
		slot_release(w, i);
		return;
	}
	if (permanent) {
		slot_drop(w, i, KBS_METRICS_WEBHOOK_REJECTED);
		return;
	}
	if (s->attempts >= KBS_WEBHOOK_ATTEMPTS) {
		slot_drop(w, i, KBS_METRICS_WEBHOOK_RETRIES);
		return;
	}
	s->due_ms = mono_ms() + backoff_ms(s->attempts);
}

static void *
sender(void *arg)
{
	struct kbs_webhooks *w = arg;
	enum kbs_metrics_webhook_result res;
	struct attempt a;
	size_t i;
	int64_t now, wait_ms;
	int permanent;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		now = mono_ms();
		if (w->stopping || (w->draining && now >= w->drain_deadline_ms))
			break;
		if (!pick(w, now, &i, &wait_ms)) {
			struct timespec until;

			if (w->draining)
				break; /* every delivery had its last attempt */
			if (wait_ms < 0) {
				pthread_cond_wait(&w->wake, &w->lock);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (wait_ms % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			(void)pthread_cond_timedwait(&w->wake, &w->lock, &until);
			continue;
		}
		w->slots[i].in_flight = 1;
		a.hook = w->slots[i].hook;
		memcpy(a.id, w->slots[i].id, sizeof(a.id));
		a.body = w->slots[i].body;
		a.len = w->slots[i].len;
		a.timeout_ms = KBS_WEBHOOK_TIMEOUT_MS;
		if (w->draining && w->drain_deadline_ms - now < a.timeout_ms)
			a.timeout_ms =
			    w->drain_deadline_ms - now > 0 ? (long)(w->drain_deadline_ms - now) : 1;
		pthread_mutex_unlock(&w->lock);
		res = send_one(w, &a, &permanent);
		kbs_metrics_webhook_delivery(w->metrics, res);
		pthread_mutex_lock(&w->lock);
		finish(w, i, res, permanent);
	}
	for (i = 0; i < w->n_slots; i++)
		if (w->slots[i].used)
			slot_drop(w, i, KBS_METRICS_WEBHOOK_SHUTDOWN);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- the public side ------------------------------------------------------ */

static int
hooks_load(struct kbs_webhooks *w, const struct kbs_config *cfg, char *msg, size_t msg_size)
{
	size_t i;
	int r;

	for (i = 0; i < cfg->n_webhooks; i++) {
		struct hook *h = &w->hooks[i];

		memcpy(h->url, cfg->webhooks[i].url, sizeof(h->url));
		h->events = cfg->webhooks[i].events;
		if ((h->key = sodium_malloc(KBS_WEBHOOK_KEY_MAX)) == NULL)
			return KBS_ERR_ALLOC;
		w->n_hooks = i + 1;
		if ((r = kbs_webhook_key_load(cfg->webhooks[i].secret_file, h->key, &h->key_len)) !=
		    0) {
			snprintf(msg, msg_size, "webhook %zu: secret file %s: %s (%s)", i,
			    cfg->webhooks[i].secret_file, kbs_err_str(r), kbs_err_name(r));
			return r;
		}
		(void)sodium_mprotect_readonly(h->key);
		w->wanted |= h->events;
	}
	return 0;
}

int
kbs_webhooks_new(const struct kbs_config *cfg, struct kbs_metrics *m, struct kbs_webhooks **ret,
    char *msg, size_t msg_size)
{
	struct kbs_webhooks *w = NULL;
	pthread_condattr_t ca;
	size_t i;
	int r = KBS_ERR_ALLOC;

	msg[0] = '\0';
	if (cfg->n_webhooks > KBS_CONFIG_MAX_WEBHOOKS || cfg->webhook_queue == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto out;
	w->metrics = m;
	snprintf(w->replica, sizeof(w->replica), "%s", cfg->replica_id);
	pthread_mutex_init(&w->lock, NULL);
	/* The sender's timed waits are deadlines on CLOCK_MONOTONIC (mono_ms). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	if ((r = hooks_load(w, cfg, msg, msg_size)) != 0)
		goto out;
	if (w->n_hooks == 0) {
		*ret = w;
		return 0;
	}
	r = KBS_ERR_ALLOC;
	w->n_slots = cfg->webhook_queue;
	if ((w->slots = calloc(w->n_slots, sizeof(*w->slots))) == NULL ||
	    (w->free_stack = calloc(w->n_slots, sizeof(*w->free_stack))) == NULL)
		goto out;
	for (i = 0; i < w->n_slots; i++)
		w->free_stack[i] = w->n_slots - 1 - i;
	w->n_free = w->n_slots;
	r = KBS_ERR_INTERNAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out;
	w->curl_global = 1;
	if ((w->curl = curl_easy_init()) == NULL)
		goto out;
	if (pthread_create(&w->thread, NULL, sender, w) != 0)
		goto out;
	w->thread_started = 1;
	*ret = w;
	w = NULL;
	r = 0;
out:
	if (r != 0 && msg[0] == '\0')
		snprintf(msg, msg_size, "webhooks: %s", kbs_err_str(r));
	kbs_webhooks_free(w);
	return r;
}

int
kbs_webhooks_wanted(const struct kbs_webhooks *w, enum kbs_metrics_webhook_kind kind)
{
	return w != NULL && (unsigned)kind < KBS_METRICS_WEBHOOK_KIND_COUNT &&
	    (w->wanted & (1u << kind)) != 0;
}

/* event_body adds the common members to fields and prints it; NULL when out of memory. */
static char *
event_body(const struct kbs_webhooks *w, enum kbs_metrics_webhook_kind kind, const char *id,
    int64_t now, cJSON *fields)
{
	if (fields == NULL ||
	    cJSON_AddStringToObject(fields, "kind", kbs_metrics_webhook_kind_name(kind)) == NULL ||
	    cJSON_AddStringToObject(fields, "id", id) == NULL ||
	    cJSON_AddNumberToObject(fields, "time", (double)now) == NULL ||
	    cJSON_AddStringToObject(fields, "replica", w->replica) == NULL)
		return NULL;
	return cJSON_PrintUnformatted(fields);
}

void
kbs_webhooks_emit(
    struct kbs_webhooks *w, enum kbs_metrics_webhook_kind kind, int64_t now, cJSON *fields)
{
	char id[KBS_WEBHOOK_ID_SIZE], *body = NULL;
	size_t h, len, i;
	int64_t due = mono_ms();

	if (!kbs_webhooks_wanted(w, kind))
		goto out;
	kbs_metrics_webhook_event(w->metrics, kind);
	kbs_webhook_new_id(id);
	body = event_body(w, kind, id, now, fields);
	len = body != NULL ? strlen(body) : 0;
	pthread_mutex_lock(&w->lock);
	for (h = 0; h < w->n_hooks; h++) {
		struct slot *s;

		if ((w->hooks[h].events & (1u << kind)) == 0)
			continue;
		/* Out of memory and oversized bodies are counted as what they amount to: not
		 * queued. */
		if (w->draining || w->stopping) {
			kbs_metrics_webhook_dropped(w->metrics, KBS_METRICS_WEBHOOK_SHUTDOWN);
			continue;
		}
		if (body == NULL || len > KBS_WEBHOOK_BODY_MAX || w->n_free == 0) {
			kbs_metrics_webhook_dropped(w->metrics, KBS_METRICS_WEBHOOK_QUEUE_FULL);
			continue;
		}
		i = w->free_stack[--w->n_free];
		s = &w->slots[i];
		if ((s->body = malloc(len + 1)) == NULL) {
			w->free_stack[w->n_free++] = i;
			kbs_metrics_webhook_dropped(w->metrics, KBS_METRICS_WEBHOOK_QUEUE_FULL);
			continue;
		}
		memcpy(s->body, body, len + 1);
		s->len = len;
		s->used = 1;
		s->hook = (unsigned)h;
		s->kind = kind;
		s->due_ms = due;
		s->seq = w->next_seq++;
		memcpy(s->id, id, sizeof(id));
	}
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
out:
	cJSON_free(body);
	cJSON_Delete(fields);
}

int
kbs_webhooks_depth(void *ctx, uint64_t *ret)
{
	struct kbs_webhooks *w = ctx;

	pthread_mutex_lock(&w->lock);
	*ret = w->n_slots - w->n_free;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* stop ends the sender: after a drain of ms milliseconds, or at once (stopping). */
static void
stop(struct kbs_webhooks *w, unsigned ms, int at_once)
{
	if (w == NULL || !w->thread_started)
		return;
	pthread_mutex_lock(&w->lock);
	if (at_once)
		w->stopping = 1;
	if (!w->draining) {
		w->draining = 1;
		w->drain_deadline_ms = mono_ms() + ms;
	}
	/* The attempt in flight started with its whole timeout: it ends at the deadline too. */
	atomic_store(&w->cut_ms, w->stopping ? 1 : w->drain_deadline_ms);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->thread_started = 0;
}

void
kbs_webhooks_drain(struct kbs_webhooks *w, unsigned ms)
{
	stop(w, ms, 0);
}

void
kbs_webhooks_free(struct kbs_webhooks *w)
{
	size_t i;

	if (w == NULL)
		return;
	stop(w, 0, 1);
	for (i = 0; i < w->n_slots; i++)
		free(w->slots[i].body);
	free(w->slots);
	free(w->free_stack);
	for (i = 0; i < w->n_hooks; i++)
		if (w->hooks[i].key != NULL)
			sodium_free(w->hooks[i].key); /* sodium_free wipes */
	if (w->curl != NULL)
		curl_easy_cleanup(w->curl);
	if (w->curl_global)
		curl_global_cleanup();
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
