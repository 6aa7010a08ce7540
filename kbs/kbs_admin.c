/*
 * kbs_admin.c: kbs-admin, the command-line client of the broker's admin
 * API (docs/admin-api.md), on libkbsclient's HTTP layer.
 *
 *   kbs-admin [--url URL] [--token-file F] [--ca FILE] [--timeout S] GROUP VERB ...
 *
 * What it promises: the admin token is read from a file (never from the
 * command line, where `ps` shows it), kept in sodium_malloc memory, sent
 * only in the Authorization header and never printed; secret values are
 * read from a file or from standard input (never a terminal, which would
 * echo them), never from an argument; a new token goes to --out F (0600)
 * when asked. Answers are re-printed through cJSON, so control bytes a
 * broker might send reach the terminal escaped.
 *
 * Exit codes: 0 success, 1 the broker refused (its error code printed)
 * or answered malformed, or `audit verify` found the chain broken, 2
 * usage or local I/O error, 3 the broker could not be reached.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbsclient-int.h"

#define EXIT_OK 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

#define DEFAULT_URL "http://127.0.0.1:8081"
#define TOKEN_FILE_MAX 4096
#define SECRET_MAX (64u * 1024)       /* bytes of a secret value */
#define POLICY_FILE_MAX (256u * 1024) /* docs/policy.md */
#define ANSWER_MAX (1u << 20)
#define AUDIT_ANSWER_MAX (256u << 20) /* one page of an audit export */
#define PATH_MAX_LEN (64 + 3 * 255 + 64)

struct admin {
	struct kbsc_http *http;
	char *token; /* sodium_malloc'd, NUL-terminated */
	size_t token_cap;
};

static void
usage(FILE *out)
{
	fputs(
	    "usage: kbs-admin [--url URL] [--token-file F] [--ca FILE] [--timeout S] COMMAND\n"
	    "\n"
	    "  secret put NAME --policy P (--from-file F | --stdin) [--if-match REV]\n"
	    "  secret list | secret show NAME | secret delete NAME [--if-match REV]\n"
	    "  policy put FILE [--if-match REV] | policy list | policy show NAME [--version N] | policy history NAME\n"
	    "  token create --role admin|auditor [--out F] | token list | token revoke ID\n"
	    "  audit export [--since SEQ] | audit verify\n"
	    "  backup DEST\n"
	    "  certs import DIR   (VCEKs, chains and CRLs; kbs or Trustee layout)\n"
	    "\n"
	    "--url defaults to $KBS_ADMIN_URL, else " DEFAULT_URL "; unix:PATH is a unix socket.\n"
	    "--token-file defaults to $KBS_ADMIN_TOKEN_FILE.\n"
	    "exit status: 0 success, 1 the broker refused, 2 usage or I/O error,\n"
	    "  3 the broker could not be reached\n",
	    out);
}

static int
fail_usage(const char *msg)
{
	fprintf(stderr, "kbs-admin: %s\n", msg);
	usage(stderr);
	return EXIT_USAGE;
}

static void
sys_error(const char *what, const char *path)
{
	fprintf(stderr, "kbs-admin: cannot read %s %.200s: %s\n", what, path, strerror(errno));
}

/* ---- Token and value input ------------------------------------------ */

static int
is_token_char(int ch)
{
	return ch > 0x20 && ch < 0x7f;
}

/* load_token reads the bearer token (surrounding whitespace dropped) into sodium memory. */
static int
load_token(struct admin *adm, const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0, start = 0, end = 0, i;
	struct stat st;
	int r, rc = EXIT_USAGE;

	if ((r = kbs_file_read(path, TOKEN_FILE_MAX, &data, &len)) != 0) {
		if (r == KBS_ERR_SYSTEM)
			sys_error("token file", path);
		else
			fprintf(stderr, "kbs-admin: token file %.200s: %s\n", path, kbs_err_str(r));
		return EXIT_USAGE;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		fprintf(stderr,
		    "kbs-admin: warning: token file %.200s is readable by group or others\n", path);
	kbsc_trim_space(data, len, &start, &end);
	for (i = start; i < end; i++) {
		if (!is_token_char(data[i]))
			break;
	}
	if (end == start || i != end) {
		fprintf(stderr, "kbs-admin: token file %.200s does not hold one token\n", path);
		goto out;
	}
	adm->token_cap = end - start + 1;
	if ((adm->token = sodium_malloc(adm->token_cap)) == NULL) {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		goto out;
	}
	memcpy(adm->token, data + start, end - start);
	adm->token[end - start] = '\0';
	rc = EXIT_OK;
out:
	sodium_memzero(data, len);
	free(data);
	return rc;
}

/*
 * read_value reads a secret value from path or, with path NULL, from
 * standard input (refused when it is a terminal: the value would echo),
 * into sodium memory of at most SECRET_MAX bytes.
 */
static int
read_value(const char *path, uint8_t **ret, size_t *ret_len)
{
	uint8_t *buf = NULL, *data = NULL;
	size_t len = 0, dlen = 0;
	ssize_t n;
	int r;

	if ((buf = sodium_malloc(SECRET_MAX + 1)) == NULL) {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		return EXIT_USAGE;
	}
	if (path != NULL) {
		if ((r = kbs_file_read(path, SECRET_MAX, &data, &dlen)) != 0) {
			if (r == KBS_ERR_SYSTEM)
				sys_error("secret file", path);
			else
				fprintf(stderr,
				    "kbs-admin: secret file %.200s: %s (at most %u bytes)\n", path,
				    kbs_err_str(r), SECRET_MAX);
			sodium_free(buf);
			return EXIT_USAGE;
		}
		memcpy(buf, data, dlen);
		len = dlen;
		sodium_memzero(data, dlen);
		free(data);
	} else {
		if (isatty(STDIN_FILENO)) {
			fprintf(stderr,
			    "kbs-admin: refusing to read a secret from a terminal "
			    "(it would echo); pipe it in or use --from-file\n");
			sodium_free(buf);
			return EXIT_USAGE;
		}
		while ((n = read(STDIN_FILENO, buf + len, SECRET_MAX + 1 - len)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || (len += (size_t)n) > SECRET_MAX) {
				if (n < 0)
					sys_error("secret from", "standard input");
				else
					fprintf(stderr,
					    "kbs-admin: the secret on standard input exceeds %u bytes\n",
					    SECRET_MAX);
				sodium_free(buf);
				return EXIT_USAGE;
			}
		}
	}
	if (len == 0) {
		fprintf(stderr, "kbs-admin: the secret value is empty\n");
		sodium_free(buf);
		return EXIT_USAGE;
	}
	*ret = buf;
	*ret_len = len;
	return EXIT_OK;
}

/* ---- Calls ----------------------------------------------------------- */

/* print_refusal says why the broker refused, from its error object when there is one. */
static void
print_refusal(const struct kbsc_http_response *resp)
{
	struct kbs_client_failure *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		fprintf(stderr, "kbs-admin: refused: HTTP %ld\n", resp->status);
		return;
	}
	snprintf(f->request_id, sizeof(f->request_id), "%s", resp->request_id);
	(void)kbsc_parse_failure(resp->status, resp->body, resp->len, f);
	fprintf(stderr, "kbs-admin: refused: HTTP %ld %s%s%s (request %s)\n", resp->status,
	    f->error[0] != '\0' ? f->error : "(no error code)", f->message[0] != '\0' ? ": " : "",
	    f->message, f->request_id[0] != '\0' ? f->request_id : "unknown");
	free(f);
}

/*
 * call sends one request; returns EXIT_OK with *ret for a 2xx answer,
 * else prints why and returns the exit code.
 */
static int
call(struct admin *adm, const char *method, const char *path, const uint8_t *body, size_t len,
    size_t max, struct kbsc_http_response *ret)
{
	struct kbsc_http_response resp;
	int r;

	kbsc_http_set_max_body(adm->http, max);
	if ((r = kbsc_http_request(adm->http, method, path, adm->token, body, len, &resp)) != 0) {
		fprintf(stderr, "kbs-admin: %s%s%s\n",
		    r == KBS_ERR_CLIENT_UNREACHABLE ? "the broker could not be reached"
						    : kbs_err_str(r),
		    resp.transport[0] != '\0' ? ": " : "", resp.transport);
		kbsc_http_response_clear(&resp);
		return r == KBS_ERR_CLIENT_UNREACHABLE || r == KBS_ERR_CLIENT_TLS ? EXIT_UNREACHABLE
										  : EXIT_REFUSED;
	}
	if (resp.status < 200 || resp.status > 299) {
		print_refusal(&resp);
		kbsc_http_response_clear(&resp);
		return EXIT_REFUSED;
	}
	*ret = resp;
	return EXIT_OK;
}

/* print_json prints one parsed answer, indented (cJSON escapes control bytes). */
static int
print_json(const cJSON *root)
{
	char *text = cJSON_Print(root);

	if (text == NULL) {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		return EXIT_USAGE;
	}
	printf("%s\n", text);
	free(text);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

/* parse_answer parses a 2xx answer as one JSON object. */
static int
parse_answer(const struct kbsc_http_response *resp, cJSON **ret)
{
	if (kbsc_json_parse(resp->body, resp->len, ret) != 0) {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_CLIENT_RESPONSE_MALFORMED));
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* simple runs a call whose answer is printed as it is. */
static int
simple(struct admin *adm, const char *method, const char *path, const uint8_t *body, size_t len)
{
	struct kbsc_http_response resp;
	cJSON *root = NULL;
	int rc;

	if ((rc = call(adm, method, path, body, len, ANSWER_MAX, &resp)) != EXIT_OK)
		return rc;
	if ((rc = parse_answer(&resp, &root)) == EXIT_OK)
		rc = print_json(root);
	cJSON_Delete(root);
	kbsc_http_response_clear(&resp);
	return rc;
}

/* name_path builds PREFIX + escaped NAME + QUERY, checking the name first. */
static int
name_path(const char *prefix, const char *name, const char *query, char *out, size_t size)
{
	if (!kbs_client_name_valid(name)) {
		fprintf(stderr,
		    "kbs-admin: '%.100s' is not a valid name (1 to 255 characters "
		    "from A-Z a-z 0-9 . _ : / @ + -)\n",
		    name);
		return EXIT_USAGE;
	}
	if (kbsc_http_path(prefix, name, query, out, size) != 0)
		return fail_usage("name too long");
	return EXIT_OK;
}

/* ---- Commands -------------------------------------------------------- */

/*
 * Each command gets argv[0] = its verb and parses the rest itself. The
 * option table is shared; each command says which options it accepts.
 */
enum opt_bit {
	OPT_POLICY = 1 << 0,
	OPT_FROM_FILE = 1 << 1,
	OPT_STDIN = 1 << 2,
	OPT_VERSION = 1 << 3,
	OPT_ROLE = 1 << 4,
	OPT_OUT = 1 << 5,
	OPT_SINCE = 1 << 6,
	OPT_IF_MATCH = 1 << 7, /* a replicated broker's expected revision */
};

struct cmd_args {
	const char *pos[2];
	size_t npos;
	const char *policy, *from_file, *role, *out, *if_match;
	int use_stdin;
	unsigned long version, since;
	int has_version, has_since;
};

static int
parse_number(const char *s, unsigned long *ret)
{
	char *end = NULL;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 0xffffffffffffUL)
		return -1;
	*ret = v;
	return 0;
}

static int
parse_cmd(int argc, char **argv, unsigned allowed, size_t npos, struct cmd_args *a)
{
	static const struct option options[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "from-file", required_argument, NULL, OPT_FROM_FILE },
		{ "stdin", no_argument, NULL, OPT_STDIN },
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "if-match", required_argument, NULL, OPT_IF_MATCH },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	/* 0, not 1: glibc then forgets main's "+" (stop at the first word) and permutes again. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == '?' || ((unsigned)c & allowed) == 0)
			return fail_usage("option not accepted by this command");
		switch (c) {
		case OPT_POLICY:
			a->policy = optarg;
			break;
		case OPT_FROM_FILE:
			a->from_file = optarg;
			break;
		case OPT_STDIN:
			a->use_stdin = 1;
			break;
		case OPT_VERSION:
			if (parse_number(optarg, &a->version) != 0 || a->version > 0xffffffffUL)
				return fail_usage("--version needs a number");
			a->has_version = 1;
			break;
		case OPT_ROLE:
			a->role = optarg;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_SINCE:
			if (parse_number(optarg, &a->since) != 0)
				return fail_usage("--since needs a sequence number");
			a->has_since = 1;
			break;
		case OPT_IF_MATCH:
			a->if_match = optarg;
			break;
		default:
			return fail_usage("option not accepted by this command");
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == npos)
			return fail_usage("unexpected argument");
		a->pos[a->npos++] = argv[optind];
	}
	if (a->npos != npos)
		return fail_usage(
		    npos == 1 ? "this command needs one argument" : "missing argument");
	return EXIT_OK;
}

/* if_match sends --if-match REV with the change about to be made. */
static int
if_match(struct admin *adm, const struct cmd_args *a)
{
	if (a->if_match != NULL && kbsc_http_set_if_match(adm->http, a->if_match) != 0)
		return fail_usage("--if-match needs a revision number");
	return EXIT_OK;
}

static int
secret_put(struct admin *adm, int argc, char **argv)
{
	static const char pre[] = "{\"policy\":\"", mid[] = "\",\"value\":\"", post[] = "\"}";
	struct cmd_args a;
	char path[PATH_MAX_LEN];
	uint8_t *value = NULL;
	char *body = NULL;
	size_t vlen = 0, blen = 0, o, b64;
	int rc;

	if ((rc = parse_cmd(argc, argv, OPT_POLICY | OPT_FROM_FILE | OPT_STDIN | OPT_IF_MATCH, 1,
		 &a)) != EXIT_OK ||
	    (rc = if_match(adm, &a)) != EXIT_OK)
		return rc;
	if (a.policy == NULL)
		return fail_usage("secret put needs --policy P");
	if ((a.from_file != NULL) == (a.use_stdin != 0))
		return fail_usage("secret put needs exactly one of --from-file F and --stdin");
	if (!kbs_client_name_valid(a.policy))
		return fail_usage("--policy: not a valid policy name");
	if ((rc = name_path("/v1/admin/secrets/", a.pos[0], NULL, path, sizeof(path))) != EXIT_OK)
		return rc;
	if ((rc = read_value(a.from_file, &value, &vlen)) != EXIT_OK)
		return rc;
	/* The body holds the value: built by hand in sodium memory, never by cJSON. */
	b64 = kbs_b64_encoded_len(vlen);
	blen = sizeof(pre) - 1 + strlen(a.policy) + sizeof(mid) - 1 + b64 - 1 + sizeof(post) - 1;
	rc = EXIT_USAGE;
	if ((body = sodium_malloc(blen + 1)) == NULL) {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		goto out;
	}
	o = 0;
	memcpy(body + o, pre, sizeof(pre) - 1);
	o += sizeof(pre) - 1;
	memcpy(body + o, a.policy, strlen(a.policy));
	o += strlen(a.policy);
	memcpy(body + o, mid, sizeof(mid) - 1);
	o += sizeof(mid) - 1;
	if (kbs_b64_encode(value, vlen, body + o, b64) != 0)
		goto out;
	o += b64 - 1;
	memcpy(body + o, post, sizeof(post));
	rc = simple(adm, "PUT", path, (const uint8_t *)body, blen);
out:
	if (body != NULL)
		sodium_free(body);
	sodium_free(value);
	return rc;
}

static int
secret_list(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 0, &a)) != EXIT_OK)
		return rc;
	return simple(adm, "GET", "/v1/admin/secrets", NULL, 0);
}

static int
secret_show_or_delete(struct admin *adm, int argc, char **argv, const char *method)
{
	struct cmd_args a;
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = parse_cmd(argc, argv, strcmp(method, "DELETE") == 0 ? OPT_IF_MATCH : 0, 1, &a)) !=
		EXIT_OK ||
	    (rc = if_match(adm, &a)) != EXIT_OK ||
	    (rc = name_path("/v1/admin/secrets/", a.pos[0], NULL, path, sizeof(path))) != EXIT_OK)
		return rc;
	return simple(adm, method, path, NULL, 0);
}

static int
secret_show(struct admin *adm, int argc, char **argv)
{
	return secret_show_or_delete(adm, argc, argv, "GET");
}

static int
secret_delete(struct admin *adm, int argc, char **argv)
{
	return secret_show_or_delete(adm, argc, argv, "DELETE");
}

static int
policy_put(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc, r;

	if ((rc = parse_cmd(argc, argv, OPT_IF_MATCH, 1, &a)) != EXIT_OK ||
	    (rc = if_match(adm, &a)) != EXIT_OK)
		return rc;
	if ((r = kbs_file_read(a.pos[0], POLICY_FILE_MAX, &data, &len)) != 0) {
		if (r == KBS_ERR_SYSTEM)
			sys_error("policy", a.pos[0]);
		else
			fprintf(stderr, "kbs-admin: policy %.200s: %s\n", a.pos[0], kbs_err_str(r));
		return EXIT_USAGE;
	}
	/* The file's exact bytes: its SHA-256 is the policy's identity. */
	rc = simple(adm, "POST", "/v1/admin/policies", data, len);
	free(data);
	return rc;
}

static int
policy_list(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 0, &a)) != EXIT_OK)
		return rc;
	return simple(adm, "GET", "/v1/admin/policies", NULL, 0);
}

static int
policy_show(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	char path[PATH_MAX_LEN], query[32];
	int rc;

	if ((rc = parse_cmd(argc, argv, OPT_VERSION, 1, &a)) != EXIT_OK)
		return rc;
	snprintf(query, sizeof(query), "?version=%lu", a.version);
	if ((rc = name_path("/v1/admin/policies/", a.pos[0], a.has_version ? query : NULL, path,
		 sizeof(path))) != EXIT_OK)
		return rc;
	return simple(adm, "GET", path, NULL, 0);
}

static int
policy_history(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 1, &a)) != EXIT_OK ||
	    (rc = name_path("/v1/admin/policies/", a.pos[0], "?history=1", path, sizeof(path))) !=
		EXIT_OK)
		return rc;
	return simple(adm, "GET", path, NULL, 0);
}

/* wipe_json_string zeroes a string member of a parsed answer before the tree is freed. */
static void
wipe_json_string(cJSON *obj, const char *key)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsString(it) && it->valuestring != NULL)
		sodium_memzero(it->valuestring, strlen(it->valuestring));
}

static int
token_create(struct admin *adm, int argc, char **argv)
{
	struct kbsc_http_response resp;
	struct cmd_args a;
	cJSON *root = NULL, *tok;
	char body[64];
	int rc, n, r;

	if ((rc = parse_cmd(argc, argv, OPT_ROLE | OPT_OUT, 0, &a)) != EXIT_OK)
		return rc;
	if (a.role == NULL || (strcmp(a.role, "admin") != 0 && strcmp(a.role, "auditor") != 0))
		return fail_usage("token create needs --role admin or --role auditor");
	n = snprintf(body, sizeof(body), "{\"role\":\"%s\"}", a.role);
	if ((rc = call(adm, "POST", "/v1/admin/tokens", (const uint8_t *)body, (size_t)n,
		 ANSWER_MAX, &resp)) != EXIT_OK)
		return rc;
	if ((rc = parse_answer(&resp, &root)) != EXIT_OK)
		goto out;
	tok = cJSON_GetObjectItemCaseSensitive(root, "token");
	if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0') {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_CLIENT_RESPONSE_MALFORMED));
		rc = EXIT_REFUSED;
		goto out;
	}
	if (a.out != NULL) {
		/* The token is shown once: to the file only, and the rest of the answer to stdout.
		 */
		if ((r = kbsc_write_private_file(a.out, (const uint8_t *)tok->valuestring,
			 strlen(tok->valuestring))) != 0) {
			fprintf(stderr, "kbs-admin: cannot write token to %.200s: %s\n", a.out,
			    r == KBS_ERR_SYSTEM ? strerror(errno) : kbs_err_str(r));
			rc = EXIT_USAGE;
			goto out;
		}
		wipe_json_string(root, "token");
		cJSON_DeleteItemFromObjectCaseSensitive(root, "token");
	}
	rc = print_json(root);
out:
	if (root != NULL)
		wipe_json_string(root, "token");
	cJSON_Delete(root);
	kbsc_http_response_clear(&resp);
	return rc;
}

static int
token_list(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 0, &a)) != EXIT_OK)
		return rc;
	return simple(adm, "GET", "/v1/admin/tokens", NULL, 0);
}

static int
token_revoke(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 1, &a)) != EXIT_OK ||
	    (rc = name_path("/v1/admin/tokens/", a.pos[0], NULL, path, sizeof(path))) != EXIT_OK)
		return rc;
	return simple(adm, "DELETE", path, NULL, 0);
}

/*
 * page_next reads the "next" of a page's head line: 0 when the line has
 * none (the last page), the seq to ask for next, or -1 when it is not a
 * sequence number past from (so a broker cannot keep the loop going).
 */
static int64_t
page_next(const cJSON *line, unsigned long from)
{
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(line, "next");
	double v;

	if (cJSON_GetObjectItemCaseSensitive(line, "head") == NULL || next == NULL)
		return 0;
	if (!cJSON_IsNumber(next))
		return -1;
	v = next->valuedouble;
	if (v != (double)(int64_t)v || v <= (double)from || v > 9007199254740992.0)
		return -1;
	return (int64_t)v;
}

/*
 * print_page re-prints a page's JSON lines one by one (a line that is not
 * an object fails) but for a head line that says where the next page
 * starts, which it gives in *ret_next (0 on the last page).
 */
static int
print_page(const struct kbsc_http_response *resp, unsigned long from, int64_t *ret_next)
{
	size_t off = 0, end;
	cJSON *line;
	char *text;
	int64_t next;
	int rc = EXIT_OK;

	*ret_next = 0;
	while (off < resp->len && rc == EXIT_OK) {
		for (end = off; end < resp->len && resp->body[end] != '\n'; end++)
			;
		if (end > off) {
			if (kbsc_json_parse(resp->body + off, end - off, &line) != 0) {
				fprintf(stderr, "kbs-admin: audit line at byte %zu: %s\n", off,
				    kbs_err_str(KBS_ERR_CLIENT_RESPONSE_MALFORMED));
				return EXIT_REFUSED;
			}
			if ((next = page_next(line, from)) < 0) {
				fprintf(stderr, "kbs-admin: audit page \"next\" at byte %zu: %s\n",
				    off, kbs_err_str(KBS_ERR_CLIENT_RESPONSE_MALFORMED));
				rc = EXIT_REFUSED;
			} else if (next > 0) {
				*ret_next = next;
			} else if ((text = cJSON_PrintUnformatted(line)) == NULL ||
			    printf("%s\n", text) < 0) {
				rc = EXIT_USAGE;
				free(text);
			} else {
				free(text);
			}
			cJSON_Delete(line);
		}
		off = end + 1;
	}
	return rc;
}

/*
 * audit_export prints the log from --since on, asking page after page
 * until a page's head line has no "next": the output is the records and
 * the last page's head line, as one answer would have been.
 */
static int
audit_export(struct admin *adm, int argc, char **argv)
{
	struct kbsc_http_response resp;
	struct cmd_args a;
	char path[64];
	unsigned long since;
	int64_t next = 0;
	int rc;

	if ((rc = parse_cmd(argc, argv, OPT_SINCE, 0, &a)) != EXIT_OK)
		return rc;
	since = a.has_since ? a.since : 0;
	do {
		snprintf(path, sizeof(path), "/v1/admin/audit?since=%lu", since);
		if ((rc = call(adm, "GET", path, NULL, 0, AUDIT_ANSWER_MAX, &resp)) != EXIT_OK)
			return rc;
		rc = print_page(&resp, since, &next);
		kbsc_http_response_clear(&resp);
		since = (unsigned long)next;
	} while (rc == EXIT_OK && next > 0);
	if (rc == EXIT_OK && fflush(stdout) != 0)
		rc = EXIT_USAGE;
	return rc;
}

static int
audit_verify(struct admin *adm, int argc, char **argv)
{
	struct kbsc_http_response resp;
	struct cmd_args a;
	const cJSON *intact;
	cJSON *root = NULL;
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 0, &a)) != EXIT_OK)
		return rc;
	if ((rc = call(adm, "GET", "/v1/admin/audit/verify", NULL, 0, ANSWER_MAX, &resp)) !=
	    EXIT_OK)
		return rc;
	if ((rc = parse_answer(&resp, &root)) != EXIT_OK)
		goto out;
	intact = cJSON_GetObjectItemCaseSensitive(root, "intact");
	if ((rc = print_json(root)) != EXIT_OK)
		goto out;
	/* A broken chain is the answer a script must not miss. */
	if (!cJSON_IsTrue(intact)) {
		fprintf(stderr, "kbs-admin: the audit chain is NOT intact\n");
		rc = EXIT_REFUSED;
	}
out:
	cJSON_Delete(root);
	kbsc_http_response_clear(&resp);
	return rc;
}

static int
backup(struct admin *adm, int argc, char **argv)
{
	struct cmd_args a;
	cJSON *body = NULL;
	char *text = NULL;
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 1, &a)) != EXIT_OK)
		return rc;
	if (a.pos[0][0] != '/')
		return fail_usage("backup DEST must be an absolute path on the broker's host");
	if ((body = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(body, "dest", a.pos[0]) == NULL ||
	    (text = cJSON_PrintUnformatted(body)) == NULL) {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_ALLOC));
		cJSON_Delete(body);
		return EXIT_USAGE;
	}
	rc = simple(adm, "POST", "/v1/admin/backup", (const uint8_t *)text, strlen(text));
	free(text);
	cJSON_Delete(body);
	return rc;
}

/*
 * certs import DIR: every regular file under DIR (not following links, at
 * most CERTS_DEPTH levels, CERTS_FILES files) is sent to PUT
 * /v1/admin/certs/{path relative to DIR}; one line per file on standard
 * output, "imported PATH KEY" or "refused PATH ERROR". Exit 1 when any
 * file was refused. Hidden files (a name starting with '.') are skipped.
 */
#define CERTS_DEPTH 6
#define CERTS_FILES 10000
#define CERT_FILE_MAX (4u << 20)

struct certs_walk {
	struct admin *adm;
	size_t files, imported, refused;
	int rc;
};

static void
import_one(struct certs_walk *w, const char *full, const char *rel)
{
	struct kbsc_http_response resp;
	struct kbs_client_failure *f = NULL;
	char path[PATH_MAX_LEN];
	uint8_t *data = NULL;
	cJSON *root = NULL;
	const cJSON *key;
	size_t len = 0;
	int r;

	memset(&resp, 0, sizeof(resp));
	if ((r = kbs_file_read(full, CERT_FILE_MAX, &data, &len)) != 0) {
		printf("refused %s %s\n", rel, kbs_err_name(r));
		w->refused++;
		return;
	}
	if (!kbs_client_name_valid(rel) ||
	    kbsc_http_path("/v1/admin/certs/", rel, NULL, path, sizeof(path)) != 0) {
		printf("refused %s %s\n", rel, kbs_err_name(KBS_ERR_KDS_LAYOUT));
		w->refused++;
		goto out;
	}
	kbsc_http_set_max_body(w->adm->http, ANSWER_MAX);
	if ((r = kbsc_http_request(w->adm->http, "PUT", path, w->adm->token, data, len, &resp)) !=
	    0) {
		fprintf(stderr, "kbs-admin: %s%s%s\n",
		    r == KBS_ERR_CLIENT_UNREACHABLE ? "the broker could not be reached"
						    : kbs_err_str(r),
		    resp.transport[0] != '\0' ? ": " : "", resp.transport);
		w->rc = r == KBS_ERR_CLIENT_UNREACHABLE || r == KBS_ERR_CLIENT_TLS
		    ? EXIT_UNREACHABLE
		    : EXIT_REFUSED;
		goto out;
	}
	if (resp.status >= 200 && resp.status <= 299 &&
	    kbsc_json_parse(resp.body, resp.len, &root) == 0 &&
	    cJSON_IsString(key = cJSON_GetObjectItemCaseSensitive(root, "key"))) {
		printf("imported %s %s\n", rel, key->valuestring);
		w->imported++;
		goto out;
	}
	if ((f = calloc(1, sizeof(*f))) != NULL)
		(void)kbsc_parse_failure(resp.status, resp.body, resp.len, f);
	printf("refused %s %s\n", rel, f != NULL && f->error[0] != '\0' ? f->error : "malformed");
	w->refused++;
out:
	free(f);
	cJSON_Delete(root);
	kbsc_http_response_clear(&resp);
	free(data);
}

static void
walk(struct certs_walk *w, const char *dir, const char *rel, int depth)
{
	struct dirent *e;
	char full[PATH_MAX_LEN * 2], sub[PATH_MAX_LEN];
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		sys_error("directory", dir);
		w->rc = EXIT_USAGE;
		return;
	}
	while (w->rc == EXIT_OK && (e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, e->d_name) >= sizeof(full) ||
		    (size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] != '\0' ? "/" : "",
			e->d_name) >= sizeof(sub) ||
		    lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < CERTS_DEPTH) {
			walk(w, full, sub, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if (++w->files > CERTS_FILES) {
				fprintf(stderr, "kbs-admin: more than %u files\n", CERTS_FILES);
				w->rc = EXIT_USAGE;
				break;
			}
			import_one(w, full, sub);
		}
	}
	closedir(d);
}

static int
certs_import(struct admin *adm, int argc, char **argv)
{
	struct certs_walk w;
	struct cmd_args a;
	int rc;

	if ((rc = parse_cmd(argc, argv, 0, 1, &a)) != EXIT_OK)
		return rc;
	memset(&w, 0, sizeof(w));
	w.adm = adm;
	w.rc = EXIT_OK;
	walk(&w, a.pos[0], "", 0);
	fflush(stdout);
	fprintf(
	    stderr, "kbs-admin: certs import: %zu imported, %zu refused\n", w.imported, w.refused);
	if (w.rc != EXIT_OK)
		return w.rc;
	return w.refused > 0 ? EXIT_REFUSED : EXIT_OK;
}

struct command {
	const char *group;
	const char *verb; /* NULL: the group is the whole command (backup) */
	int (*run)(struct admin *adm, int argc, char **argv);
};

static const struct command commands[] = {
	{ "secret", "put", secret_put },
	{ "secret", "list", secret_list },
	{ "secret", "show", secret_show },
	{ "secret", "delete", secret_delete },
	{ "policy", "put", policy_put },
	{ "policy", "list", policy_list },
	{ "policy", "show", policy_show },
	{ "policy", "history", policy_history },
	{ "token", "create", token_create },
	{ "token", "list", token_list },
	{ "token", "revoke", token_revoke },
	{ "audit", "export", audit_export },
	{ "audit", "verify", audit_verify },
	{ "backup", NULL, backup },
	{ "certs", "import", certs_import },
};

/* find_command matches argv[0] (and argv[1]); *ret_skip says how many words it used. */
static const struct command *
find_command(int argc, char **argv, int *ret_skip)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		if (strcmp(argv[0], c->group) != 0)
			continue;
		if (c->verb == NULL) {
			*ret_skip = 0;
			return c;
		}
		if (argc >= 2 && strcmp(argv[1], c->verb) == 0) {
			*ret_skip = 1;
			return c;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 't' },
		{ "ca", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kbsc_http_options ho = { NULL, 5000, 30000, NULL, ANSWER_MAX };
	struct admin adm;
	const struct command *cmd;
	const char *token_file = getenv("KBS_ADMIN_TOKEN_FILE");
	unsigned long timeout = 0;
	int c, skip = 0, rc = EXIT_USAGE, r;

	memset(&adm, 0, sizeof(adm));
	ho.url = getenv("KBS_ADMIN_URL") != NULL ? getenv("KBS_ADMIN_URL") : DEFAULT_URL;
	/* "+": global options stop at the command, whose own options follow it. */
	while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (c) {
		case 'u':
			ho.url = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'c':
			ho.ca_file = optarg;
			break;
		case 'T':
			if (parse_number(optarg, &timeout) != 0 || timeout == 0 || timeout > 3600)
				return fail_usage("--timeout needs whole seconds from 1 to 3600");
			ho.total_ms = (unsigned)timeout * 1000u;
			ho.connect_ms = ho.total_ms < 5000 ? ho.total_ms : 5000;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return fail_usage("missing command");
	if ((cmd = find_command(argc - optind, argv + optind, &skip)) == NULL) {
		fprintf(stderr, "kbs-admin: unknown command '%.40s%s%.40s'\n", argv[optind],
		    optind + 1 < argc ? " " : "", optind + 1 < argc ? argv[optind + 1] : "");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (token_file == NULL || token_file[0] == '\0')
		return fail_usage("no token: give --token-file F or set KBS_ADMIN_TOKEN_FILE");
	if (kbs_crypto_init() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "kbs-admin: %s\n", kbs_err_str(KBS_ERR_CRYPTO_INIT));
		return EXIT_USAGE;
	}
	if ((r = kbsc_http_new(&ho, &adm.http)) != 0) {
		fprintf(stderr, "kbs-admin: --url: %s\n", kbs_err_str(r));
		goto out;
	}
	if ((rc = load_token(&adm, token_file)) != EXIT_OK)
		goto out;
	rc = cmd->run(&adm, argc - optind - skip, argv + optind + skip);
out:
	if (adm.token != NULL)
		sodium_free(adm.token);
	kbsc_http_free(adm.http);
	curl_global_cleanup();
	return rc;
}
