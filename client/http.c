/*
 * http.c: the HTTP layer of libkbsclient and kbs-admin, on libcurl.
 *
 * Limits and refusals, because the answers come from the network:
 *   - connect and total timeouts on every request;
 *   - only http and https, never a redirect (a 3xx is handed back as an
 *     answer, and the caller refuses it);
 *   - TLS peer and host verification always on, against the system CA
 *     bundle or one pinned CA file;
 *   - the body is capped (max_body) while it arrives, and wiped when freed,
 *     since admin answers carry new tokens;
 *   - the Authorization header is wiped in our copy and in the header
 *     list handed to libcurl before they are freed (libcurl's own send
 *     buffer is out of reach), and neither it nor any body is ever logged.
 * One easy handle per context, reset before each request, keeps the
 * connection alive between the challenge and the attest (the broker's
 * nonces are bound to the replica that issued them).
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kbsclient-int.h"

#define UNIX_PREFIX "unix:"
#define UNIX_PATH_MAX 107 /* sun_path holds 108 bytes with the NUL */
#define URL_MAX 2048
#define KBSC_HTTP_BEARER_MAX 16384 /* the longest token sent (protocol tokens are far shorter) */

struct kbsc_http {
	CURL *curl;
	char *base;      /* scheme://authority[/prefix], no trailing '/' */
	char *unix_path; /* NULL unless unix:PATH */
	char *ca_file;   /* NULL: system bundle */
	unsigned connect_ms, total_ms;
	size_t max_body;
	char if_match[24]; /* a revision for If-Match, or "" (kbs-admin --if-match) */
};

/* The body being received, with the cap enforced as it grows. */
struct body_sink {
	uint8_t *data;
	size_t len, cap, max;
	int too_large;
};

/* wipe_free zeroes n bytes of p and frees it. */
static void
wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	sodium_memzero(p, n);
	free(p);
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body_sink *s = userdata;
	size_t n = size * nmemb, cap;
	uint8_t *grown;

	if (n > s->max - s->len) {
		s->too_large = 1;
		return 0;
	}
	if (n + 1 > s->cap - s->len) {
		/* Grow by copying, so no unwiped copy is left behind by realloc. */
		cap = s->cap == 0 ? 4096 : s->cap;
		while (cap - s->len < n + 1)
			cap = cap > (s->max + 1) / 2 ? s->max + 1 : cap * 2;
		if ((grown = malloc(cap)) == NULL)
			return 0;
		if (s->len > 0)
			memcpy(grown, s->data, s->len);
		wipe_free(s->data, s->cap);
		s->data = grown;
		s->cap = cap;
	}
	memcpy(s->data + s->len, ptr, n);
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

/* on_header keeps X-Request-Id (letters, digits, '-', at most 64). */
static size_t
on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	static const char name[] = "x-request-id:";
	struct kbsc_http_response *r = userdata;
	size_t n = size * nitems, i, o = 0;

	if (n < sizeof(name) - 1 || strncasecmp(buf, name, sizeof(name) - 1) != 0)
		return n;
	for (i = sizeof(name) - 1; i < n && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	for (; i < n && o < sizeof(r->request_id) - 1; i++) {
		char ch = buf[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
			(ch >= 'A' && ch <= 'Z') || ch == '-'))
			break;
		r->request_id[o++] = ch;
	}
	r->request_id[o] = '\0';
	return n;
}

int
kbsc_http_transient(long status)
{
	return status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

int
kbsc_http_path(
    const char *prefix, const char *segment, const char *query, char *out, size_t out_size)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t o, need;

	o = strlen(prefix);
	need = o + 3 * strlen(segment) + (query != NULL ? strlen(query) : 0) + 1;
	if (need > out_size)
		return KBS_ERR_BUFFER_TOO_SMALL;
	memcpy(out, prefix, o);
	for (p = (const unsigned char *)segment; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (query != NULL) {
		memcpy(out + o, query, strlen(query));
		o += strlen(query);
	}
	out[o] = '\0';
	return 0;
}

int
kbsc_http_url_check(const char *url)
{
	size_t i, n;
	const char *rest;

	if (url == NULL || (n = strlen(url)) == 0 || n > URL_MAX)
		return KBS_ERR_CLIENT_URL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)url[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#')
			return KBS_ERR_CLIENT_URL;
	}
	if (strncmp(url, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0) {
		rest = url + strlen(UNIX_PREFIX);
		if (rest[0] == '\0' || strlen(rest) > UNIX_PATH_MAX)
			return KBS_ERR_CLIENT_URL;
		return 0;
	}
	if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else
		return KBS_ERR_CLIENT_URL;
	/* An authority is required, and userinfo (a password on the command line) is refused. */
	if (rest[0] == '\0' || rest[0] == '/' || strchr(rest, '@') != NULL)
		return KBS_ERR_CLIENT_URL;
	return 0;
}

void
kbsc_http_free(struct kbsc_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->base);
	free(h->unix_path);
	free(h->ca_file);
	free(h);
}

int
kbsc_http_new(const struct kbsc_http_options *opts, struct kbsc_http **ret)
{
	struct kbsc_http *h = NULL;
	size_t n;
	int r;

	if ((r = kbsc_http_url_check(opts->url)) != 0)
		return r;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return KBS_ERR_ALLOC;
	r = KBS_ERR_ALLOC;
	if (strncmp(opts->url, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0) {
		if ((h->unix_path = strdup(opts->url + strlen(UNIX_PREFIX))) == NULL ||
		    (h->base = strdup("http://localhost")) == NULL)
			goto out;
	} else {
		if ((h->base = strdup(opts->url)) == NULL)
			goto out;
		n = strlen(h->base);
		while (n > 0 && h->base[n - 1] == '/')
			h->base[--n] = '\0';
	}
	if (opts->ca_file != NULL && (h->ca_file = strdup(opts->ca_file)) == NULL)
		goto out;
	h->connect_ms = opts->connect_ms;
	h->total_ms = opts->total_ms;
	h->max_body = opts->max_body;
	r = KBS_ERR_INTERNAL;
	if ((h->curl = curl_easy_init()) == NULL)
		goto out;
	*ret = h;
	h = NULL;
	r = 0;
out:
	kbsc_http_free(h);
	return r;
}

int
kbsc_http_set_timeouts(struct kbsc_http *h, unsigned connect_ms, unsigned total_ms)
{
	if (connect_ms != 0)
		h->connect_ms = connect_ms;
	if (total_ms != 0)
		h->total_ms = total_ms;
	return 0;
}

void
kbsc_http_set_max_body(struct kbsc_http *h, size_t max_body)
{
	h->max_body = max_body;
}

int
kbsc_http_set_if_match(struct kbsc_http *h, const char *revision)
{
	size_t n, i;

	if (revision == NULL) {
		h->if_match[0] = '\0';
		return 0;
	}
	n = strlen(revision);
	if (n == 0 || n > 19)
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < n; i++)
		if (revision[i] < '0' || revision[i] > '9')
			return KBS_ERR_INVALID_ARGUMENT;
	memcpy(h->if_match, revision, n + 1);
	return 0;
}

int
kbsc_http_set_ca_file(struct kbsc_http *h, const char *path)
{
	char *copy;

	if (path == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((copy = strdup(path)) == NULL)
		return KBS_ERR_ALLOC;
	free(h->ca_file);
	h->ca_file = copy;
	return 0;
}

void
kbsc_http_response_clear(struct kbsc_http_response *r)
{
	if (r == NULL)
		return;
	wipe_free(r->body, r->body != NULL ? r->len + 1 : 0);
	memset(r, 0, sizeof(*r));
}

/* slist_wipe_free zeroes every header (one holds the bearer token) before freeing. */
static void
slist_wipe_free(struct curl_slist *list)
{
	struct curl_slist *it;

	for (it = list; it != NULL; it = it->next)
		sodium_memzero(it->data, strlen(it->data));
	curl_slist_free_all(list);
}

/* translate maps a libcurl failure onto the client codes. */
static int
translate(CURLcode cc, const struct body_sink *sink)
{
	switch (cc) {
	case CURLE_OK:
		return 0;
	case CURLE_WRITE_ERROR:
		return sink->too_large ? KBS_ERR_TOO_LARGE : KBS_ERR_ALLOC;
	case CURLE_FILESIZE_EXCEEDED:
		return KBS_ERR_TOO_LARGE;
	case CURLE_OUT_OF_MEMORY:
		return KBS_ERR_ALLOC;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		/* Not transient: a retry meets the same certificate. */
		return KBS_ERR_CLIENT_TLS;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return KBS_ERR_CLIENT_URL;
	default:
		return KBS_ERR_CLIENT_UNREACHABLE;
	}
}

/* set_options configures the reset handle for one request; 0 or KBS_ERR_INTERNAL. */
static int
set_options(struct kbsc_http *h, const char *url, struct curl_slist *headers,
    struct body_sink *sink, struct kbsc_http_response *resp, char *errbuf)
{
	CURL *c = h->curl;
	int bad = 0;

	bad |= curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->connect_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->total_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, sink) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERDATA, resp) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "kbs-client/" KBS_CLIENT_VERSION) != CURLE_OK;
	if (h->ca_file != NULL)
		bad |= curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file) != CURLE_OK;
	if (h->unix_path != NULL) {
		bad |= curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->unix_path) != CURLE_OK;
		/* A proxy from the environment must not take a local socket's requests. */
		bad |= curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK;
	}
	return bad ? KBS_ERR_INTERNAL : 0;
}

static int
set_method(CURL *c, const char *method, const uint8_t *body, size_t body_len)
{
	int bad = 0;

	if (body != NULL) {
		bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body) != CURLE_OK;
		bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len) !=
		    CURLE_OK;
		if (strcmp(method, "POST") != 0)
			bad |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK;
	} else {
		bad |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK;
		if (strcmp(method, "GET") != 0)
			bad |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK;
	}
	return bad ? KBS_ERR_INTERNAL : 0;
}

/* add_header appends one header; 0 or KBS_ERR_ALLOC (the list is kept either way). */
static int
add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);

	if (n == NULL)
		return KBS_ERR_ALLOC;
	*list = n;
	return 0;
}

/* bearer_header appends "Authorization: Bearer TOKEN" through a wiped stack copy. */
static int
bearer_header(struct curl_slist **list, const char *bearer)
{
	char line[KBSC_HTTP_BEARER_MAX + 64];
	int r, n;

	n = snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		r = KBS_ERR_INVALID_ARGUMENT;
		goto out;
	}
	r = add_header(list, line);
out:
	sodium_memzero(line, sizeof(line));
	return r;
}

int
kbsc_http_request(struct kbsc_http *h, const char *method, const char *path, const char *bearer,
    const uint8_t *body, size_t body_len, struct kbsc_http_response *ret)
{
	struct body_sink sink = { NULL, 0, 0, h->max_body, 0 };
	struct kbsc_http_response resp;
	struct curl_slist *headers = NULL;
	char url[URL_MAX + 1024], errbuf[CURL_ERROR_SIZE];
	CURLcode cc;
	long status = 0;
	int r = KBS_ERR_INTERNAL, n;

	memset(&resp, 0, sizeof(resp));
	errbuf[0] = '\0';
	n = snprintf(url, sizeof(url), "%s%s", h->base, path);
	if (n < 0 || (size_t)n >= sizeof(url) || path[0] != '/') {
		r = KBS_ERR_INVALID_ARGUMENT;
		goto out;
	}
	/* "Expect:" stops libcurl waiting for a 100 Continue before larger bodies. */
	if ((r = add_header(&headers, "Expect:")) != 0 ||
	    (body != NULL && (r = add_header(&headers, "Content-Type: application/json")) != 0) ||
	    (bearer != NULL && (r = bearer_header(&headers, bearer)) != 0))
		goto out;
	if (h->if_match[0] != '\0') {
		char line[48];

		snprintf(line, sizeof(line), "If-Match: \"%s\"", h->if_match);
		if ((r = add_header(&headers, line)) != 0)
			goto out;
	}
	curl_easy_reset(h->curl);
	if ((r = set_options(h, url, headers, &sink, &resp, errbuf)) != 0 ||
	    (r = set_method(h->curl, method, body, body_len)) != 0)
		goto out;
	cc = curl_easy_perform(h->curl);
	if ((r = translate(cc, &sink)) != 0) {
		snprintf(resp.transport, sizeof(resp.transport), "%s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	if (curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
		r = KBS_ERR_INTERNAL;
		goto out;
	}
	resp.status = status;
	if (sink.data == NULL) {
		/* An empty body is still a NUL-terminated buffer for the parsers. */
		if ((sink.data = calloc(1, 1)) == NULL) {
			r = KBS_ERR_ALLOC;
			goto out;
		}
		sink.cap = 1;
	}
	resp.body = sink.data;
	resp.len = sink.len;
	sink.data = NULL;
	r = 0;
out:
	/*
	 * The handle points at our header list, body, sink and error buffer,
	 * all about to go: reset it (live connections survive a reset).
	 */
	curl_easy_reset(h->curl);
	slist_wipe_free(headers);
	wipe_free(sink.data, sink.cap);
	/* The transport text is reported on failure too, so callers can say why. */
	*ret = resp;
	return r;
}
