/*
 * http.h: the broker's HTTP layer. Only http.c includes microhttpd.h;
 * routes see a finished request (method, path, query, bounded body, the
 * caller's address, its bearer token) and fill a response, so every route
 * can be read and tested without libmicrohttpd's callback protocol.
 */
#ifndef KBS_HTTP_H
#define KBS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kbs_common.h"
#include "metrics.h"

struct kbs_broker;

enum kbs_listener {
	KBS_LISTENER_PUBLIC = 1,
	KBS_LISTENER_ADMIN = 2,
};

enum kbs_method {
	KBS_GET = 1,
	KBS_POST,
	KBS_PUT,
	KBS_DELETE,
};

#define KBS_REQUEST_ID_SIZE 33 /* 32 hex digits and a NUL */
#define KBS_ADDR_SIZE 64
#define KBS_BEARER_MAX 32768 /* the longest token kbs makes (token.h) */

struct kbs_req {
	enum kbs_listener listener;
	enum kbs_method method;
	const char *path;  /* without the query, e.g. "/v1/secrets/disk-key" */
	const char *param; /* the part matched by a route's trailing '*', or "" */
	const char *query; /* after '?', or "" */
	const uint8_t *body;
	size_t body_len;
	const char *bearer;   /* the Authorization: Bearer value, or NULL */
	const char *if_match; /* the If-Match header, or NULL (admin writes, with etcd) */
	char client_addr[KBS_ADDR_SIZE];
	char request_id[KBS_REQUEST_ID_SIZE];
	int64_t now; /* Unix seconds when the request arrived */
};

struct kbs_resp {
	unsigned status;
	const char *content_type; /* static; "application/json" when NULL */
	char *body;               /* malloc'd; the HTTP layer wipes and frees it */
	size_t len;
	const char *error;    /* kbs_err name for logs and metrics, NULL on success */
	unsigned retry_after; /* seconds for Retry-After on 429/503; 0: the default 1 */
};

/*
 * kbs_resp_json sets a 2xx/4xx answer with body (taken: malloc'd, NUL-
 * terminated). kbs_resp_error sets {"error","message","request_id"} for
 * code with status; extra (may be NULL; taken and freed) is an object
 * whose members follow request_id ("denied", "check", ...).
 */
void kbs_resp_json(struct kbs_resp *resp, unsigned status, char *body);
void kbs_resp_error(
    struct kbs_resp *resp, const struct kbs_req *req, unsigned status, int code, cJSON *extra);
void kbs_resp_text(
    struct kbs_resp *resp, unsigned status, const char *content_type, const char *text);

struct kbs_http;

/*
 * kbs_http_start listens on addr ("HOST:PORT", port 0 picks one, or
 * "unix:PATH" for the admin listener) and serves routes of listener.
 * *ret_port gets the bound port (0 for a unix socket). KBS_ERR_LISTEN,
 * KBS_ERR_TLS, KBS_ERR_CONFIG (address syntax), KBS_ERR_ALLOC.
 */
KBS_MUST_CHECK int kbs_http_start(struct kbs_broker *b, enum kbs_listener listener,
    const char *addr, unsigned *ret_port, struct kbs_http **ret);

/* kbs_http_quiesce stops accepting connections; in-flight requests go on. */
void kbs_http_quiesce(struct kbs_http *h);

/*
 * kbs_http_active returns the number of requests in progress, from their
 * head to their answer's completion. Idle keep-alive connections are not
 * counted: waiting for them would hold a shutdown for the whole
 * connection timeout; kbs_http_stop closes them.
 */
unsigned kbs_http_active(struct kbs_http *h);

/* kbs_http_stop closes everything and frees h (NULL is fine). */
void kbs_http_stop(struct kbs_http *h);

#endif
