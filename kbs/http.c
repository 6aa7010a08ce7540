/*
 * http.c: libmicrohttpd behind the small request/response model of http.h.
 *
 * Limits, all from the configuration: a connection limit and a per-address
 * connection limit, an inactivity timeout (slow clients are cut off), a
 * per-connection memory limit, a per-address request rate (429), and a
 * body cap enforced as the body grows (413: a body over the cap is read
 * and dropped up to twice the cap, so that clients that write their whole
 * body before reading get the answer; a declared Content-Length over twice
 * the cap is answered before any byte of the body is read, and a chunked
 * body that runs past twice the cap has its connection closed). Every
 * other answer decided from the head alone (404, 405, 429, and 401 for an
 * admin route without a valid token: kbs_route_admit) is sent at once,
 * without reading the body. The request's time (req.now, for every
 * expiry check) is taken once the body is in. The body is collected in
 * per-request state, wiped and freed in the completion callback (admin
 * bodies carry secret values). upload_data lives only for one callback, so
 * it is always copied.
 *
 * A thread pool serves each listener; handlers may block on the keystore's
 * group commit, so the pool has several threads per core (config.threads).
 *
 * The request deadline: MHD's timeout is one of inactivity, so a client
 * that sends one byte every few seconds would keep its connection (and a
 * slot of max_connections and per_ip_connections) for ever. Each
 * connection has a clock, armed when it opens and again when an answer
 * completes (the next request on a kept-alive connection), disarmed once
 * its request has arrived whole (the broker's own time to answer is not
 * counted). A sweeper thread shuts down the socket of every connection
 * whose clock ran out (request_deadline), so MHD reads end-of-file and
 * closes it. The shutdown is made under the lock that MHD's close
 * notification takes before MHD closes the descriptor, so it never
 * reaches a descriptor already reused.
 */
#include "http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "metrics.h"
#include "routes.h"
#include "status.h"

#define KBS_HTTP_CONNECTION_MEMORY (40 * 1024)
#define SWEEP_INTERVAL_MS 250
#define SWEEP_LOG_MAX 16

/* One per connection, from MHD's start notification to its close notification. */
struct conn_clock {
	struct conn_clock *prev, *next;
	int fd;
	int64_t deadline_ms; /* CLOCK_MONOTONIC; 0 while disarmed */
	char addr[48];
};

struct kbs_http {
	struct kbs_broker *broker;
	atomic_uint inflight; /* requests from their head to their completion */
	enum kbs_listener listener;
	struct MHD_Daemon *daemon;
	size_t max_body;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unlinked on stop */
	int is_unix;
	char *tls_cert;
	char *tls_key;
	int64_t deadline_ms;  /* request_deadline */
	pthread_mutex_t lock; /* clocks, stopping */
	pthread_cond_t wake;
	struct conn_clock *clocks;
	int stopping;
	int sweeping; /* the sweeper thread runs */
	pthread_t sweeper;
};

/* Per-request state, from the first callback to the completion callback. */
struct conn_state {
	struct kbs_req req;
	const struct kbs_route *route;
	int early_status; /* answer decided before the body (401, 404, 405, 413, 429) */
	int early_code;
	char path[512];
	char query[512];
	uint8_t *body;
	size_t len, cap;
	int too_large;
	size_t discarded; /* once too large: the body's bytes so far (at most twice the cap) */
	int answered;     /* a response was queued */
	struct timespec start;
};

/* ---- Responses ------------------------------------------------------ */

void
kbs_resp_json(struct kbs_resp *resp, unsigned status, char *body)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = body;
	resp->len = body != NULL ? strlen(body) : 0;
}

void
kbs_resp_text(struct kbs_resp *resp, unsigned status, const char *content_type, const char *text)
{
	resp->status = status;
	resp->content_type = content_type;
	resp->body = strdup(text);
	resp->len = resp->body != NULL ? strlen(resp->body) : 0;
}

void
kbs_resp_error(
    struct kbs_resp *resp, const struct kbs_req *req, unsigned status, int code, cJSON *extra)
{
	cJSON *o = cJSON_CreateObject(), *m;
	char *json = NULL;

	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
	resp->status = 500;
	resp->error = kbs_err_name(code);
	if (o == NULL || cJSON_AddStringToObject(o, "error", kbs_err_name(code)) == NULL ||
	    cJSON_AddStringToObject(o, "message", kbs_err_str(code)) == NULL ||
	    cJSON_AddStringToObject(o, "request_id", req->request_id) == NULL)
		goto out;
	/* Move extra's members over, in order. */
	while (extra != NULL && (m = extra->child) != NULL) {
		cJSON_DetachItemViaPointer(extra, m);
		if (!cJSON_AddItemToObject(o, m->string, m)) {
			cJSON_Delete(m);
			goto out;
		}
	}
	if ((json = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	kbs_resp_json(resp, status, json);
	json = NULL;
out:
	free(json);
	cJSON_Delete(extra);
	cJSON_Delete(o);
}

/* ---- Request state -------------------------------------------------- */

static void
client_addr(struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(out, size, "local");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		    (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, (socklen_t)size);
}

static enum kbs_method
method_of(const char *m)
{
	if (strcmp(m, MHD_HTTP_METHOD_GET) == 0)
		return KBS_GET;
	if (strcmp(m, MHD_HTTP_METHOD_POST) == 0)
		return KBS_POST;
	if (strcmp(m, MHD_HTTP_METHOD_PUT) == 0)
		return KBS_PUT;
	if (strcmp(m, MHD_HTTP_METHOD_DELETE) == 0)
		return KBS_DELETE;
	return 0;
}

static void
conn_state_free(struct conn_state *st)
{
	if (st == NULL)
		return;
	if (st->body != NULL) {
		sodium_memzero(st->body, st->cap);
		free(st->body);
	}
	free(st);
}

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* conn_notify keeps the connection's clock (MHD_OPTION_NOTIFY_CONNECTION). */
static void
conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct kbs_http *h = cls;
	struct conn_clock *k = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) == NULL)
			return;
		if ((k = calloc(1, sizeof(*k))) == NULL) {
			/* A connection without a deadline would be unbounded: refuse it. */
			(void)shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		k->fd = ci->connect_fd;
		client_addr(c, k->addr, sizeof(k->addr));
		pthread_mutex_lock(&h->lock);
		k->deadline_ms = now_ms() + h->deadline_ms;
		k->next = h->clocks;
		if (h->clocks != NULL)
			h->clocks->prev = k;
		h->clocks = k;
		pthread_mutex_unlock(&h->lock);
		*socket_context = k;
		return;
	}
	if (k == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		h->clocks = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&h->lock);
	free(k);
	*socket_context = NULL;
}

/* clock_set arms (a new request may start) or disarms (the request is in) c's clock. */
static void
clock_set(struct kbs_http *h, struct MHD_Connection *c, int arm)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_clock *k = ci != NULL ? ci->socket_context : NULL;

	if (k == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	k->deadline_ms = arm ? now_ms() + h->deadline_ms : 0;
	pthread_mutex_unlock(&h->lock);
}

/*
 * sweeper closes, every SWEEP_INTERVAL_MS, the connections past their
 * deadline. It logs after letting go of the lock (a slow log must not
 * stall MHD's threads), naming at most SWEEP_LOG_MAX addresses a round;
 * the metric counts every one.
 */
static void *
sweeper(void *arg)
{
	struct kbs_http *h = arg;
	struct conn_clock *k;
	struct timespec until;
	char addrs[SWEEP_LOG_MAX][sizeof(k->addr)];
	size_t i, n, more;
	int64_t now;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		now = now_ms();
		n = more = 0;
		for (k = h->clocks; k != NULL; k = k->next) {
			if (k->deadline_ms == 0 || now < k->deadline_ms)
				continue;
			k->deadline_ms = 0; /* once */
			(void)shutdown(k->fd, SHUT_RDWR);
			kbs_metrics_deadline_closed(h->broker->metrics);
			if (n < SWEEP_LOG_MAX)
				memcpy(addrs[n++], k->addr, sizeof(k->addr));
			else
				more++;
		}
		pthread_mutex_unlock(&h->lock);
		for (i = 0; i < n; i++)
			kbs_log(KBS_LOG_INFO,
			    "{\"event\":\"request_deadline\",\"client\":\"%.64s\",\"error\":\"%s\"}",
			    addrs[i], kbs_err_name(KBS_ERR_REQUEST_DEADLINE));
		if (more > 0)
			kbs_log(KBS_LOG_INFO,
			    "{\"event\":\"request_deadline\",\"more_clients\":%zu,\"error\":\"%s\"}",
			    more, kbs_err_name(KBS_ERR_REQUEST_DEADLINE));
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += SWEEP_INTERVAL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&h->lock);
		if (!h->stopping)
			(void)pthread_cond_timedwait(&h->wake, &h->lock, &until);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/*
 * query_collect rebuilds "k=v&k=v" from MHD's decoded arguments (MHD hands
 * the path without its query); a query too long for the buffer is cut at
 * an argument boundary, so a route sees whole arguments or none.
 */
static enum MHD_Result
query_collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct conn_state *st = cls;
	size_t have = strlen(st->query);
	int n;

	(void)kind;
	n = snprintf(st->query + have, sizeof(st->query) - have, "%s%s=%s", have > 0 ? "&" : "",
	    key, value != NULL ? value : "");
	if (n < 0 || (size_t)n >= sizeof(st->query) - have) {
		st->query[have] = '\0';
		return MHD_NO;
	}
	return MHD_YES;
}

/* first_call sets up the request and decides what can be decided from the head alone. */
static struct conn_state *
first_call(struct kbs_http *h, struct MHD_Connection *c, const char *url, const char *method)
{
	struct conn_state *st;
	const char *len_hdr, *auth;
	uint8_t id[16];
	int method_mismatch = 0, r;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	atomic_fetch_add(&h->inflight, 1); /* until completed() */
	clock_gettime(CLOCK_MONOTONIC, &st->start);
	st->req.listener = h->listener;
	st->req.now = (int64_t)time(NULL);
	randombytes_buf(id, sizeof(id));
	if (kbs_hex_encode(id, sizeof(id), st->req.request_id, sizeof(st->req.request_id)) != 0)
		st->req.request_id[0] = '\0';
	client_addr(c, st->req.client_addr, sizeof(st->req.client_addr));
	st->req.method = method_of(method);

	/* MHD gives the path without the query; the query is read back as arguments. */
	if (strlen(url) >= sizeof(st->path)) {
		st->early_status = 404;
		st->early_code = KBS_ERR_NOT_FOUND;
		return st;
	}
	memcpy(st->path, url, strlen(url) + 1);
	st->req.path = st->path;
	st->req.query = st->query;
	(void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_collect, st);

	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0 && strlen(auth + 7) <= KBS_BEARER_MAX)
		st->req.bearer = auth + 7; /* MHD keeps headers for the connection's request */
	st->req.if_match =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);

	st->route =
	    kbs_route_find(h->listener, st->req.method, st->path, &st->req.param, &method_mismatch);
	if (st->route == NULL) {
		st->early_status = method_mismatch ? 405 : 404;
		st->early_code = method_mismatch ? KBS_ERR_METHOD : KBS_ERR_NOT_FOUND;
		return st;
	}
	len_hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len_hdr != NULL) {
		char *end = NULL;
		unsigned long long n;

		errno = 0;
		n = strtoull(len_hdr, &end, 10);
		if (errno != 0 || end == len_hdr || *end != '\0' || n > 2 * (size_t)h->max_body) {
			st->early_status = 413;
			st->early_code = KBS_ERR_TOO_LARGE;
			return st;
		}
		/*
		 * Up to twice the cap is read and dropped before the 413, so a
		 * client that sends its whole body before reading (most do)
		 * sees the answer instead of a reset.
		 */
		if (n > h->max_body)
			st->too_large = 1;
	}
	if (!kbs_broker_rate_ok(h->broker, h->listener, st->req.client_addr)) {
		st->early_status = 429;
		st->early_code = KBS_ERR_RATE_LIMITED;
		return st;
	}
	/* After the rate check, so requests without a token are limited too. */
	if ((r = kbs_route_admit(st->route, h->broker, &st->req)) != 0) {
		st->early_status = (int)kbs_http_status_of(r);
		st->early_code = r;
	}
	return st;
}

static int
body_append(struct kbs_http *h, struct conn_state *st, const char *data, size_t n)
{
	uint8_t *nb;
	size_t ncap;

	if (n > h->max_body - st->len) {
		st->too_large = 1; /* what came so far is not needed any more */
		st->discarded = st->len + n;
		if (st->body != NULL)
			sodium_memzero(st->body, st->cap);
		free(st->body);
		st->body = NULL;
		st->len = st->cap = 0;
		return 0;
	}
	if (st->len + n + 1 > st->cap) {
		ncap = st->cap == 0 ? 4096 : st->cap;
		while (ncap < st->len + n + 1)
			ncap *= 2;
		if ((nb = malloc(ncap)) == NULL)
			return -1;
		if (st->body != NULL) {
			memcpy(nb, st->body, st->len);
			sodium_memzero(st->body, st->cap);
			free(st->body);
		}
		st->body = nb;
		st->cap = ncap;
	}
	memcpy(st->body + st->len, data, n);
	st->len += n;
	st->body[st->len] = 0;
	return 0;
}

/*
 * wipe_free frees a response body once MHD has sent it. Bodies are text
 * (JSON, Prometheus, JSON lines), so strlen covers them; some hold what
 * must not linger in freed memory (a new admin token).
 */
static void
wipe_free(void *p)
{
	if (p != NULL) {
		sodium_memzero(p, strlen(p));
		free(p);
	}
}

static enum MHD_Result
send_resp(
    struct kbs_http *h, struct MHD_Connection *c, struct conn_state *st, struct kbs_resp *resp)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;

	if (resp->body == NULL) /* allocation failed while answering */
		kbs_resp_text(resp, 500, "text/plain", "");
	if (resp->body == NULL)
		return MHD_NO;
	/* MHD sends our buffer and gives it back to wipe_free: no unwiped copy. */
	mr = MHD_create_response_from_buffer_with_free_callback(resp->len, resp->body, wipe_free);
	if (mr == NULL) {
		wipe_free(resp->body);
		resp->body = NULL;
		return MHD_NO;
	}
	resp->body = NULL; /* MHD's now */
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
	    resp->content_type != NULL ? resp->content_type : "application/json");
	MHD_add_response_header(mr, "X-Request-Id", st->req.request_id);
	MHD_add_response_header(mr, "Cache-Control", "no-store");
	if (resp->status == 429 || resp->status == 503) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%u", resp->retry_after > 0 ? resp->retry_after : 1);
		MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = MHD_queue_response(c, resp->status, mr);
	MHD_destroy_response(mr);
	kbs_broker_observe(h->broker,
	    st->route != NULL ? kbs_route_id(st->route) : KBS_METRICS_ROUTE_OTHER, resp->status,
	    &st->start);
	kbs_broker_log_request(h->broker, &st->req, resp);
	return ret;
}

/*
 * answer_early sends the answer decided before (or instead of) reading the
 * body. MHD allows a response queued before the body is read: it then
 * reads no more of it and closes the connection after the answer, so a
 * client that declares or streams a body over the cap cannot make the
 * broker read it (and a rate-limited one is not served its upload).
 */
static enum MHD_Result
answer_early(struct kbs_http *h, struct MHD_Connection *c, struct conn_state *st)
{
	struct kbs_resp resp;

	memset(&resp, 0, sizeof(resp));
	st->answered = 1;
	clock_set(h, c, 0);
	kbs_resp_error(&resp, &st->req, (unsigned)st->early_status, st->early_code, NULL);
	return send_resp(h, c, st, &resp);
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct kbs_http *h = cls;
	struct conn_state *st = *con_cls;
	struct kbs_resp resp;

	(void)version;
	if (st == NULL) {
		if ((st = first_call(h, c, url, method)) == NULL)
			return MHD_NO;
		*con_cls = st;
		return st->early_status != 0 ? answer_early(h, c, st) : MHD_YES;
	}
	if (st->answered) /* MHD does not call again after an answer; never answer twice */
		return MHD_NO;
	if (*upload_data_size > 0) {
		/*
		 * A body that outgrows the cap without declaring its length
		 * (chunked) cannot be answered mid-upload (MHD queues answers
		 * only before or after the body): the rest is discarded so it
		 * gets its 413, but only up to twice the cap in all, then
		 * the connection is closed, so no stream is read without end.
		 */
		if (st->too_large) {
			if (st->discarded > 2 * (size_t)h->max_body ||
			    *upload_data_size > 2 * (size_t)h->max_body - st->discarded)
				return MHD_NO;
			st->discarded += *upload_data_size;
		} else if (body_append(h, st, upload_data, *upload_data_size) != 0) {
			return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->too_large) {
		st->early_status = 413;
		st->early_code = KBS_ERR_TOO_LARGE;
		return answer_early(h, c, st);
	}
	memset(&resp, 0, sizeof(resp));
	st->answered = 1;
	clock_set(h, c, 0); /* the request is in: the time to answer is ours */
	/*
	 * Every expiry (nonce, token, certificate, CRL) is judged at this
	 * moment, once the body is in: the time of the head would let a
	 * client that sends the head just in time and the body slowly be
	 * judged up to request_deadline seconds in the past.
	 */
	st->req.now = (int64_t)time(NULL);
	st->req.body = st->body != NULL ? st->body : (const uint8_t *)"";
	st->req.body_len = st->len;
	kbs_route_call(st->route, h->broker, &st->req, &resp);
	return send_resp(h, c, st, &resp);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct kbs_http *h = cls;

	(void)toe;
	clock_set(h, c, 1); /* the next request on this connection */
	if (*con_cls == NULL)
		return;
	conn_state_free(*con_cls);
	*con_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

/* ---- Listening ------------------------------------------------------ */

/* parse_inet parses "HOST:PORT" or "[V6]:PORT" into sa. */
static int
parse_inet(const char *addr, struct sockaddr_storage *sa, socklen_t *ret_len)
{
	char host[256];
	const char *colon, *hs = addr, *he;
	char *end = NULL;
	unsigned long port;

	if (addr[0] == '[') {
		hs = addr + 1;
		if ((he = strchr(hs, ']')) == NULL || he[1] != ':')
			return KBS_ERR_CONFIG;
		colon = he + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return KBS_ERR_CONFIG;
		he = colon;
	}
	if ((size_t)(he - hs) >= sizeof(host) || he == hs)
		return KBS_ERR_CONFIG;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port > 65535)
		return KBS_ERR_CONFIG;
	memset(sa, 0, sizeof(*sa));
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
		((struct sockaddr_in *)sa)->sin_family = AF_INET;
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
		*ret_len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)sa)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)sa)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
		*ret_len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return KBS_ERR_CONFIG; /* host names are not resolved: say an address */
}

/* listen_unix binds a unix socket readable and writable by our user only. */
static int
listen_unix(struct kbs_http *h, const char *path, int *ret_fd)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, rc;

	if (strlen(path) == 0 || strlen(path) >= sizeof(sun.sun_path))
		return KBS_ERR_CONFIG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return KBS_ERR_LISTEN;
	(void)unlink(path); /* a stale socket from an earlier run */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0 || listen(fd, 64) != 0) {
		close(fd);
		return KBS_ERR_LISTEN;
	}
	memcpy(h->unix_path, path, strlen(path) + 1);
	*ret_fd = fd;
	return 0;
}

/*
 * start makes a listener with cfg's limits and TLS files: on addr, or,
 * when inherit_fd >= 0, on that listening socket (taken: closed on
 * failure), which is how a reload serves the same socket.
 */
static int
start(struct kbs_broker *b, enum kbs_listener listener, const char *addr,
    const struct kbs_config *cfg, int inherit_fd, unsigned *ret_port, struct kbs_http **ret)
{
	struct kbs_http *h = NULL;
	struct sockaddr_storage sa;
	socklen_t sa_len = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;
	unsigned threads = cfg->threads;
	int fd = -1, mhd_fd, r = KBS_ERR_ALLOC;
	struct MHD_OptionItem ops[17];
	size_t n = 0, listen_slot = 0;
	const union MHD_DaemonInfo *di;
	pthread_condattr_t ca;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto out;
	h->broker = b;
	h->listener = listener;
	h->deadline_ms = (int64_t)cfg->request_deadline * 1000;
	pthread_mutex_init(&h->lock, NULL);
	/*
	 * The sweeper's naps are timed on CLOCK_MONOTONIC: on the wall clock, a
	 * step back (NTP at boot, an operator) would stop it for that long and
	 * with it every request deadline.
	 */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	h->max_body = listener == KBS_LISTENER_ADMIN ? cfg->admin_max_body : cfg->max_body;
	if (inherit_fd >= 0) {
		fd = inherit_fd;
		inherit_fd = -1;
		listen_slot = n;
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, -1, NULL };
		h->is_unix = strncmp(addr, "unix:", 5) == 0;
	} else if (strncmp(addr, "unix:", 5) == 0) {
		if (listener != KBS_LISTENER_ADMIN) {
			r = KBS_ERR_CONFIG;
			goto out;
		}
		if ((r = listen_unix(h, addr + 5, &fd)) != 0)
			goto out;
		h->is_unix = 1;
		listen_slot = n;
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, -1, NULL };
	} else {
		if ((r = parse_inet(addr, &sa, &sa_len)) != 0)
			goto out;
		if (sa.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &sa };
	}
	if (threads == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		threads = (unsigned)(cores > 0 ? cores : 1) * 8;
		if (threads > 64)
			threads = 64;
	}
	if (listener == KBS_LISTENER_ADMIN)
		threads = 2; /* operators, not guests */
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
	ops[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		h->is_unix ? 0 : cfg->per_ip_connections, NULL };
	ops[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout, NULL };
	/*
	 * Each connection's pool is zeroed by libmicrohttpd (0.9.75) whenever a
	 * keep-alive request ends, so every connection that served a request
	 * keeps the whole pool resident while it idles: 1,000 idle connections
	 * cost 1,000 pools (docs/performance.md). 40 KiB is far above any header
	 * block a client of this API sends (bodies do not live in it: they are
	 * collected in conn_state) and keeps 1,000 idle connections near 50 MiB;
	 * above 32 KiB the library maps each pool (mmap) instead of malloc'ing
	 * it, so a closed connection's pool goes back to the system at once.
	 */
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		KBS_HTTP_CONNECTION_MEMORY, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, h };
	ops[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)conn_notify, h };
	if (listener == KBS_LISTENER_PUBLIC && cfg->tls_cert[0] != '\0') {
		size_t l1 = 0, l2 = 0;

		if (kbs_file_read(cfg->tls_cert, 1u << 20, (uint8_t **)&h->tls_cert, &l1) != 0 ||
		    kbs_file_read(cfg->tls_key, 1u << 20, (uint8_t **)&h->tls_key, &l2) != 0) {
			r = KBS_ERR_TLS;
			goto out;
		}
		flags |= MHD_USE_TLS;
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert };
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key };
	}
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/*
	 * A socket of ours goes to MHD as a copy: MHD closes the socket it was
	 * given when it fails to start (a bad certificate, say), so closing
	 * the same number here as well could close whatever another thread
	 * opened in between.
	 */
	if (fd >= 0) {
		if ((mhd_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
			r = KBS_ERR_LISTEN;
			goto out;
		}
		ops[listen_slot].value = mhd_fd;
	}
	h->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, access_handler, h, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (h->daemon == NULL) {
		r = (flags & MHD_USE_TLS) != 0 ? KBS_ERR_TLS : KBS_ERR_LISTEN;
		goto out; /* fd is ours alone and closed there */
	}
	if (fd >= 0)
		close(fd); /* the daemon has its own copy */
	fd = -1;
	if (pthread_create(&h->sweeper, NULL, sweeper, h) != 0) {
		r = KBS_ERR_SYSTEM;
		goto out;
	}
	h->sweeping = 1;
	if (ret_port != NULL) {
		*ret_port = 0;
		if (!h->is_unix) {
			di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
			*ret_port = di != NULL ? di->port : 0;
		}
	}
	*ret = h;
	h = NULL;
	r = 0;
out:
	if (inherit_fd >= 0)
		close(inherit_fd);
	if (fd >= 0)
		close(fd);
	kbs_http_stop(h);
	return r;
}

int
kbs_http_start(struct kbs_broker *b, enum kbs_listener listener, const char *addr,
    unsigned *ret_port, struct kbs_http **ret)
{
	return start(b, listener, addr, kbs_broker_config(b), -1, ret_port, ret);
}

int
kbs_http_restart(struct kbs_http *old, const struct kbs_config *cfg, struct kbs_http **ret)
{
	const union MHD_DaemonInfo *di;
	int fd;

	if (old == NULL || old->daemon == NULL ||
	    (di = MHD_get_daemon_info(old->daemon, MHD_DAEMON_INFO_LISTEN_FD)) == NULL ||
	    di->listen_fd == MHD_INVALID_SOCKET)
		return KBS_ERR_INVALID_ARGUMENT;
	/*
	 * A copy of the descriptor, not the same one: each daemon closes its
	 * own, whichever is stopped first, and the socket lives on in the other.
	 */
	if ((fd = fcntl(di->listen_fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return KBS_ERR_LISTEN;
	return start(old->broker, old->listener, old->is_unix ? "unix:" : "", cfg, fd, NULL, ret);
}

void
kbs_http_handover(struct kbs_http *old, struct kbs_http *next)
{
	kbs_http_quiesce(old);
	/* The socket file now belongs to next: old must not unlink it when it stops. */
	memcpy(next->unix_path, old->unix_path, sizeof(next->unix_path));
	old->unix_path[0] = '\0';
}

unsigned
kbs_http_connections(struct kbs_http *h)
{
	const union MHD_DaemonInfo *di;

	if (h == NULL || h->daemon == NULL ||
	    (di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)) == NULL)
		return 0;
	return di->num_connections;
}

void
kbs_http_quiesce(struct kbs_http *h)
{
	MHD_socket s;

	if (h == NULL || h->daemon == NULL)
		return;
	s = MHD_quiesce_daemon(h->daemon);
	if (s != MHD_INVALID_SOCKET)
		close(s);
}

unsigned
kbs_http_active(struct kbs_http *h)
{
	return h != NULL ? atomic_load(&h->inflight) : 0;
}

void
kbs_http_stop(struct kbs_http *h)
{
	if (h == NULL)
		return;
	if (h->sweeping) {
		pthread_mutex_lock(&h->lock);
		h->stopping = 1;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->sweeper, NULL);
	}
	if (h->daemon != NULL)
		MHD_stop_daemon(h->daemon); /* its close notifications free the clocks */
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	if (h->unix_path[0] != '\0')
		(void)unlink(h->unix_path);
	if (h->tls_key != NULL) {
		sodium_memzero(h->tls_key, strlen(h->tls_key));
		free(h->tls_key);
	}
	free(h->tls_cert);
	free(h);
}
