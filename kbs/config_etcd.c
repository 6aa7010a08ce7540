/*
 * config_etcd.c: the "etcd" member of the configuration file, strict like
 * the rest of it (config.c):
 *
 *   "etcd": {"endpoints": ["http://10.0.0.1:2379", ...], "prefix": "/kbs/",
 *            "timeout": "2s", "max_lag": 1000,
 *            "ca_file": "/etc/kbs/etcd-ca.pem",
 *            "cert_file": "/etc/kbs/etcd-client.pem",
 *            "key_file": "/etc/kbs/etcd-client.key"}
 *
 * endpoints: 1..8 URLs "http://HOST:PORT" or "https://HOST:PORT" without
 * a path (the v3 JSON gateway's paths are appended), each at most 255
 * bytes; prefix: "/" ... "/", at most 200 bytes of [A-Za-z0-9._/-], so it
 * can never be a prefix of another deployment's "/kbs-other/"; timeout:
 * "Ns" or "Nms", 100 ms to 60 s; max_lag: 1..100000000 revisions. Unknown
 * or repeated members are errors (the reader refuses duplicates).
 *
 * ca_file, cert_file, key_file: file names of 1 to 1023 bytes (as other
 * path settings, relative to the working directory when not absolute),
 * for TLS to etcd: ca_file replaces the system CAs in verifying etcd's
 * certificate; cert_file and key_file, set together, are the client
 * certificate for etcd's --client-cert-auth. Any of them needs every
 * endpoint to be https:// (a plain endpoint would send the same writes
 * unprotected). Their contents are checked at start-up, not here
 * (kbs_etcd_check_files), so this parser does no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"

#define PREFIX_MAX 200

void
kbs_config_etcd_defaults(struct kbs_config_etcd *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->prefix, sizeof(e->prefix), "/kbs/");
	e->timeout_ms = 2000;
	e->max_lag = 1000;
}

struct ectx {
	const char *path;
	char *msg;
	size_t msg_size;
};

static int
err(struct ectx *c, const struct pj_node *n, const char *key, const char *what)
{
	snprintf(c->msg, c->msg_size, "%s:%u:%u: etcd%s%s: %s", c->path, n->line, n->column,
	    key != NULL ? "." : "", key != NULL ? key : "", what);
	return KBS_ERR_CONFIG;
}

/* endpoint_ok: http(s)://HOST:PORT, HOST of [A-Za-z0-9.-] or [IPv6], PORT 1..65535. */
static int
endpoint_ok(const char *s)
{
	const char *p, *colon;
	unsigned long port;
	char *end = NULL;

	if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		p = s + 8;
	else
		return 0;
	if (*p == '[') {
		if ((colon = strchr(p, ']')) == NULL || colon[1] != ':' || colon == p + 1)
			return 0;
		for (p++; p < colon; p++)
			if (strchr("0123456789abcdefABCDEF:.", *p) == NULL)
				return 0;
		colon++;
	} else {
		if ((colon = strrchr(p, ':')) == NULL || colon == p)
			return 0;
		for (; p < colon; p++)
			if (strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
				*p) == NULL)
				return 0;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	return errno == 0 && *end == '\0' && port >= 1 && port <= 65535;
}

/* tls_path reads a file-name member into dst (KBS_CONFIG_PATH_MAX bytes). */
static int
tls_path(struct ectx *c, const struct pj_node *m, char *dst)
{
	if (m->type != PJ_STRING || m->str_len == 0 || m->str_len >= KBS_CONFIG_PATH_MAX ||
	    strlen(m->str) != m->str_len)
		return err(c, m, m->key, "must be a file name (1 to 1023 bytes, no NUL)");
	memcpy(dst, m->str, m->str_len + 1);
	return 0;
}

static int
prefix_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || len > PREFIX_MAX || s[0] != '/' || s[len - 1] != '/')
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-",
			s[i]) == NULL)
			return 0;
	return 1;
}

/* timeout_ms reads "Ns" or "Nms" (N decimal, no sign); 0 when malformed or out of range. */
static uint32_t
timeout_ms(const char *s)
{
	unsigned long long v;
	char *end = NULL;

	if (s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v > 60000)
		return 0;
	if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "ms") != 0)
		return 0;
	return v >= 100 && v <= 60000 ? (uint32_t)v : 0;
}

int
kbs_config_etcd_parse(struct kbs_config_etcd *e, const struct pj_node *n, const char *path,
    char *msg, size_t msg_size)
{
	struct ectx c = { path, msg, msg_size };
	const struct pj_node *m, *u;
	struct kbs_config_etcd v = *e;

	if (n->type != PJ_OBJECT)
		return err(&c, n, NULL, "must be an object");
	for (m = n->child; m != NULL; m = m->next) {
		if (strcmp(m->key, "endpoints") == 0) {
			if (m->type != PJ_ARRAY || m->child == NULL)
				return err(&c, m, m->key, "must be a non-empty array of URLs");
			v.n_endpoints = 0;
			for (u = m->child; u != NULL; u = u->next) {
				if (u->type != PJ_STRING || u->str_len >= KBS_ETCD_URL_MAX ||
				    !endpoint_ok(u->str))
					return err(&c, u, m->key,
					    "must hold http://HOST:PORT or https://HOST:PORT URLs "
					    "without a path");
				if (v.n_endpoints == KBS_ETCD_MAX_ENDPOINTS)
					return err(&c, u, m->key, "has more than 8 entries");
				memcpy(v.endpoints[v.n_endpoints++], u->str, u->str_len + 1);
			}
		} else if (strcmp(m->key, "prefix") == 0) {
			if (m->type != PJ_STRING || !prefix_ok(m->str, m->str_len))
				return err(&c, m, m->key,
				    "must start and end with '/', at most 200 bytes of "
				    "[A-Za-z0-9._/-]");
			memcpy(v.prefix, m->str, m->str_len + 1);
		} else if (strcmp(m->key, "timeout") == 0) {
			if (m->type != PJ_STRING || (v.timeout_ms = timeout_ms(m->str)) == 0)
				return err(&c, m, m->key,
				    "must be a duration from \"100ms\" to \"60s\" (\"Ns\" or \"Nms\")");
		} else if (strcmp(m->key, "max_lag") == 0) {
			if (m->type != PJ_NUMBER || !m->is_integer || !m->in_range ||
			    m->integer < 1 || m->integer > 100000000)
				return err(&c, m, m->key, "must be an integer from 1 to 100000000");
			v.max_lag = (uint32_t)m->integer;
		} else if (strcmp(m->key, "ca_file") == 0) {
			if (tls_path(&c, m, v.ca_file) != 0)
				return KBS_ERR_CONFIG;
		} else if (strcmp(m->key, "cert_file") == 0) {
			if (tls_path(&c, m, v.cert_file) != 0)
				return KBS_ERR_CONFIG;
		} else if (strcmp(m->key, "key_file") == 0) {
			if (tls_path(&c, m, v.key_file) != 0)
				return KBS_ERR_CONFIG;
		} else {
			snprintf(msg, msg_size, "%s:%u:%u: etcd.%.64s: unknown setting", path,
			    m->key_line, m->key_column, m->key);
			return KBS_ERR_CONFIG;
		}
	}
	if (v.n_endpoints == 0)
		return err(&c, n, "endpoints", "is required");
	if (v.cert_file[0] != '\0' && v.key_file[0] == '\0')
		return err(&c, n, "cert_file", "needs key_file (set both or neither)");
	if (v.cert_file[0] == '\0' && v.key_file[0] != '\0')
		return err(&c, n, "key_file", "needs cert_file (set both or neither)");
	if (v.ca_file[0] != '\0' || v.cert_file[0] != '\0') {
		size_t i;

		for (i = 0; i < v.n_endpoints; i++)
			if (strncmp(v.endpoints[i], "https://", 8) != 0)
				return err(&c, n, v.ca_file[0] != '\0' ? "ca_file" : "cert_file",
				    "needs every endpoint to be https://");
	}
	*e = v;
	return 0;
}
