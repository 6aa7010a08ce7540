/*
 * fake_broker.c: a stand-in for the kbs daemon over real HTTP (loopback
 * TCP or a unix socket), so the shell tests drive kbs-client get-secret
 * and kbs-admin through libcurl before the daemon exists. The guest side
 * answers like docs/protocol.md (mock_broker.c: kbs_proto's wrap and
 * signature), taking the guest key from the report's REPORT_DATA and
 * checking the nonce binding, but verifies no evidence; the admin side
 * logs each request and answers with canned bodies. Test code only.
 *
 *   fake_broker --port-file F | --unix PATH  [--mode MODE] [--log F]
 *               [--key-out F] [--expect-token T]
 *
 * MODE: release (default), deny, badsig, evidence, other-replica-once,
 * unavailable-once, unavailable, big, redirect, admin, admin-broken-audit.
 * One connection at a time, keep-alive honoured; runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "kbs_common.h"
#include "mock_broker.h"

#define HEAD_MAX 65536
#define BODY_MAX (1u << 20)
#define RID "00112233445566778899aabbccddeeff"

struct req {
	char method[16];
	char path[2048];
	char auth[4096];
	uint8_t *body;
	size_t len;
};

static const char *mode = "release";
static const char *log_path;
static const char *expect_token;
static struct mock_broker broker, impostor;
static uint8_t issued[32];
static unsigned challenges, attests;

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static int
mode_is(const char *m)
{
	return strcmp(mode, m) == 0;
}

/* read_request reads one request; 1 at EOF before any byte, -1 on error. */
static int
read_request(int fd, struct req *rq)
{
	char head[HEAD_MAX + 1], *end, *line, *save = NULL, *cl;
	size_t have = 0, body_have, clen = 0;
	ssize_t n;

	memset(rq, 0, sizeof(*rq));
	for (;;) {
		n = read(fd, head + have, HEAD_MAX - have);
		if (n <= 0)
			return have == 0 ? 1 : -1;
		have += (size_t)n;
		head[have] = '\0';
		if ((end = strstr(head, "\r\n\r\n")) != NULL)
			break;
		if (have == HEAD_MAX)
			return -1;
	}
	*end = '\0';
	body_have = have - (size_t)(end + 4 - head);
	line = strtok_r(head, "\r\n", &save);
	if (line == NULL || sscanf(line, "%15s %2047s", rq->method, rq->path) != 2)
		return -1;
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			clen = strtoul(line + 15, NULL, 10);
		} else if (strncasecmp(line, "Authorization:", 14) == 0) {
			for (cl = line + 14; *cl == ' '; cl++)
				;
			snprintf(rq->auth, sizeof(rq->auth), "%s", cl);
		}
	}
	if (clen > BODY_MAX || body_have > clen)
		return -1;
	if ((rq->body = calloc(1, clen + 1)) == NULL)
		die("calloc");
	memcpy(rq->body, end + 4, body_have);
	while (body_have < clen) {
		n = read(fd, rq->body + body_have, clen - body_have);
		if (n <= 0)
			return -1;
		body_have += (size_t)n;
	}
	rq->len = clen;
	return 0;
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

static void
respond(int fd, int status, const char *extra, const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
	    "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "X-Request-Id: " RID "\r\n%s\r\n",
	    status, strlen(body), extra != NULL ? extra : "");
	send_all(fd, head, (size_t)n);
	send_all(fd, body, strlen(body));
}

static void
respond_free(int fd, int status, char *body)
{
	respond(fd, status, NULL, body);
	free(body);
}

static void
log_request(const struct req *rq)
{
	FILE *f;
	size_t i;

	if (log_path == NULL || (f = fopen(log_path, "a")) == NULL)
		return;
	fprintf(f, "%s %s auth=%s body=", rq->method, rq->path, rq->auth);
	for (i = 0; i < rq->len; i++) {
		if (rq->body[i] == '\n')
			fputs("\\n", f);
		else
			fputc(rq->body[i], f);
	}
	fputc('\n', f);
	fclose(f);
}

static void
challenge(int fd)
{
	cJSON *o;
	char *nb, *big;

	challenges++;
	if (mode_is("unavailable") || (mode_is("unavailable-once") && challenges == 1)) {
		respond_free(fd, 503, mock_error("unavailable", "nothing was released", NULL));
		return;
	}
	if (mode_is("redirect")) {
		respond(fd, 302, "Location: http://127.0.0.1:1/elsewhere\r\n", "{}");
		return;
	}
	if (mode_is("big")) {
		if ((big = malloc(BODY_MAX + 2)) == NULL)
			die("malloc");
		memset(big, ' ', BODY_MAX + 1);
		big[0] = '{';
		big[BODY_MAX] = '}';
		big[BODY_MAX + 1] = '\0';
		respond_free(fd, 200, big);
		return;
	}
	randombytes_buf(issued, sizeof(issued));
	o = cJSON_CreateObject();
	nb = mock_b64(issued, 32);
	cJSON_AddStringToObject(o, "nonce", nb);
	cJSON_AddNumberToObject(o, "expires_at", 1760000120);
	free(nb);
	respond_free(fd, 200, mock_print(o));
}

static cJSON *
denied_for(const char *name)
{
	cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject(), *rules;

	cJSON_AddStringToObject(e, "secret", name);
	cJSON_AddStringToObject(e, "policy", "prod-disk-unlock");
	rules = cJSON_AddArrayToObject(e, "rules");
	cJSON_AddItemToArray(rules, cJSON_CreateString("measurement"));
	cJSON_AddItemToArray(rules, cJSON_CreateString("min_tcb.milan"));
	cJSON_AddItemToArray(arr, e);
	return arr;
}

static void
attest(int fd, const struct req *rq)
{
	static char values[32][300];
	struct mock_secret s[32];
	cJSON *body = cJSON_ParseWithLength((const char *)rq->body, rq->len), *it;
	const cJSON *rep = cJSON_GetObjectItemCaseSensitive(body, "report"),
		    *non = cJSON_GetObjectItemCaseSensitive(body, "nonce"),
		    *names = cJSON_GetObjectItemCaseSensitive(body, "secrets");
	uint8_t report[1184], nonce[32];
	size_t rlen = 0, nlen = 0, n = 0;

	attests++;
	if (!cJSON_IsString(rep) || !cJSON_IsString(non) || !cJSON_IsArray(names) ||
	    kbs_b64_decode(
		rep->valuestring, strlen(rep->valuestring), report, sizeof(report), &rlen) != 0 ||
	    rlen != sizeof(report) ||
	    kbs_b64_decode(non->valuestring, strlen(non->valuestring), nonce, 32, &nlen) != 0 ||
	    nlen != 32) {
		respond_free(fd, 400, mock_error("bad_request", "the request is malformed", NULL));
		goto out;
	}
	if (mode_is("other-replica-once") && attests == 1) {
		respond_free(fd, 401, mock_error("nonce_other_replica", "challenge again", NULL));
		goto out;
	}
	if (memcmp(nonce, issued, 32) != 0 || memcmp(report + 0x50 + 32, issued, 32) != 0) {
		respond_free(
		    fd, 401, mock_error("report_data_nonce", "REPORT_DATA lacks the nonce", NULL));
		goto out;
	}
	if (mode_is("evidence")) {
		it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "error", "evidence");
		cJSON_AddStringToObject(it, "check", "report_signature");
		cJSON_AddStringToObject(it, "detail", "vcek");
		cJSON_AddStringToObject(it, "message", "the evidence failed verification");
		cJSON_AddStringToObject(it, "request_id", RID);
		respond_free(fd, 401, mock_print(it));
		goto out;
	}
	if (mode_is("deny")) {
		respond_free(fd, 403,
		    mock_error("policy_denied", "a policy refused the evidence",
			denied_for(cJSON_GetArrayItem(names, 0)->valuestring)));
		goto out;
	}
	cJSON_ArrayForEach(it, names)
	{
		if (n == 32)
			break;
		snprintf(values[n], sizeof(values[n]), "value-of-%s", it->valuestring);
		s[n] = (struct mock_secret){ it->valuestring, "prod-disk-unlock", 3, { 0x90 },
			(const uint8_t *)values[n], strlen(values[n]) };
		n++;
	}
	respond_free(fd, 200,
	    mock_print(mock_answer(mode_is("badsig") ? &impostor : &broker, issued, report + 0x50,
		s, n, RID, "eyJhbGciOiJFZERTQSJ9.e30.c2ln")));
out:
	cJSON_Delete(body);
}

static void
admin(int fd, const struct req *rq)
{
	char want[4200];

	log_request(rq);
	snprintf(want, sizeof(want), "Bearer %s", expect_token != NULL ? expect_token : "");
	if (expect_token != NULL && strcmp(rq->auth, want) != 0) {
		respond_free(
		    fd, 401, mock_error("unauthorized", "the admin token is unknown", NULL));
		return;
	}
	if (strstr(rq->path, "missing") != NULL) {
		respond_free(fd, 404, mock_error("not_found", "not found", NULL));
	} else if (strcmp(rq->method, "POST") == 0 && strcmp(rq->path, "/v1/admin/tokens") == 0) {
		respond(fd, 201, NULL,
		    "{\"id\":\"t-1\",\"role\":\"auditor\",\"token\":\"kbs_tok_SECRET123\"}");
	} else if (strcmp(rq->path, "/v1/admin/audit/verify") == 0) {
		respond(fd, 200, NULL,
		    mode_is("admin-broken-audit")
			? "{\"intact\":false,\"first_bad_seq\":2}"
			: "{\"intact\":true,\"records\":2,\"head\":{\"seq\":2,\"sha256\":\"00\"}}");
	} else if (strncmp(rq->path, "/v1/admin/audit", 15) == 0) {
		respond(fd, 200, NULL,
		    "{\"seq\":1,\"kind\":\"release\"}\n{\"seq\":2,\"kind\":\"denial\"}\n"
		    "{\"head\":{\"seq\":2,\"sha256\":\"00\"}}\n");
	} else {
		respond(fd, 200, NULL, "{\"ok\":true}");
	}
}

static void
serve(int fd)
{
	struct req rq;
	int r;

	while ((r = read_request(fd, &rq)) == 0) {
		if (strncmp(mode, "admin", 5) == 0)
			admin(fd, &rq);
		else if (strcmp(rq.path, "/v1/challenge") == 0)
			challenge(fd);
		else if (strcmp(rq.path, "/v1/attest") == 0)
			attest(fd, &rq);
		else if (strcmp(rq.path, "/v1/keys") == 0)
			respond_free(fd, 200, mock_jwks(&broker));
		else
			respond_free(fd, 404, mock_error("not_found", "no such route", NULL));
		free(rq.body);
	}
	free(rq.body);
}

static int
listen_tcp(const char *port_file)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	FILE *f;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 16) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0)
		die("listen");
	if ((f = fopen(port_file, "w")) == NULL)
		die(port_file);
	fprintf(f, "%u\n", ntohs(a.sin_port));
	fclose(f);
	return s;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un a;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 16) != 0)
		die("listen unix");
	return s;
}

int
main(int argc, char **argv)
{
	const char *port_file = NULL, *unix_path = NULL, *key_out = NULL;
	struct timeval tv = { 10, 0 };
	FILE *f;
	int i, s, c;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--unix") == 0)
			unix_path = argv[i + 1];
		else if (strcmp(argv[i], "--mode") == 0)
			mode = argv[i + 1];
		else if (strcmp(argv[i], "--log") == 0)
			log_path = argv[i + 1];
		else if (strcmp(argv[i], "--key-out") == 0)
			key_out = argv[i + 1];
		else if (strcmp(argv[i], "--expect-token") == 0)
			expect_token = argv[i + 1];
		else
			return 2;
	}
	if (kbs_crypto_init() != 0 || (port_file == NULL) == (unix_path == NULL))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	mock_broker_init(&broker, 7);
	mock_broker_init(&impostor, 9);
	if (key_out != NULL) {
		if ((f = fopen(key_out, "w")) == NULL)
			die(key_out);
		fprintf(f, "%s\n", broker.id_x);
		fclose(f);
	}
	s = unix_path != NULL ? listen_unix(unix_path) : listen_tcp(port_file);
	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		serve(c);
		close(c);
	}
}
