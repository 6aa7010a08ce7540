/*
 * cmd_get_secret.c: `kbs-client get-secret`, the boot-time fetch of
 * secrets through libkbsclient (docs/guest.md).
 *
 * Where secrets go: only to --out. "-" is standard output (for
 * `cryptsetup --key-file=-`) and is refused when it is a terminal;
 * /dev/stdout, /dev/fd/N and /proc/self/fd/N name a descriptor the caller
 * passed, and the secret is written to that descriptor. A path that exists
 * and is neither a regular file nor a directory (a FIFO) is written in
 * place only when it is not a symbolic link and this user (the effective
 * uid) owns it: in a shared sticky directory such as /tmp another user
 * could have made it and be reading it (client_out_unsafe); a terminal is
 * refused as well. Any other path is written as a new 0600 file beside it
 * and renamed over it, so a reader never sees half a key (a symbolic link
 * there is replaced, its target untouched). Several names need --out DIR,
 * an existing directory: each secret becomes DIR/NAME (0600), all written
 * before any is renamed into place.
 * Everything that can be checked before the exchange (arguments, the
 * terminal, the directory) is checked first, so a mistake does not spend
 * a nonce and an audit record.
 *
 * Exit codes (enum kbs_client_class): 0 released, 1 denied by a policy
 * (the failed rules printed), 2 usage or local I/O error, 3 broker
 * unreachable after the retries, 4 bad evidence or attester, 5 broker not
 * authenticated or protocol violation, 6 refused for another reason (the
 * broker's error code printed).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attester.h"
#include "cli.h"
#include "kbsclient-int.h"

#define PROG "kbs-client get-secret"
#define MAX_TIMEOUT_S 3600u
#define CONNECT_TIMEOUT_MS 5000u

/* ---- The attester hook -------------------------------------------------- */

/*
 * The one built-in source, "test:unsigned": a version 3 report that
 * carries REPORT_DATA and nothing else, unsigned. No broker accepts it (it
 * fails report_signature); it exists so that tests can drive the exchange,
 * the broker's evidence refusal and the client's error paths without a
 * chip.
 */
#define TEST_UNSIGNED_SPEC "test:unsigned"
#define REPORT_VERSION_OFFSET 0x00
#define REPORT_SIG_ALGO_OFFSET 0x34
#define REPORT_DATA_OFFSET 0x50

static int
test_unsigned_get(void *ctx, const uint8_t report_data[KBS_CLIENT_REPORT_DATA_SIZE],
    struct kbs_client_evidence *ret)
{
	(void)ctx;
	memset(ret->report, 0, sizeof(ret->report));
	ret->report[REPORT_VERSION_OFFSET] = 3;
	ret->report[REPORT_SIG_ALGO_OFFSET] = 1;
	memcpy(ret->report + REPORT_DATA_OFFSET, report_data, KBS_CLIENT_REPORT_DATA_SIZE);
	return 0;
}

/*
 * attester_source_get adapts an attester of client/attester.h to
 * libkbsclient's evidence source: the report, and its certificates copied
 * into the evidence (which libkbsclient frees).
 */
static int
attester_source_get(void *ctx, const uint8_t report_data[KBS_CLIENT_REPORT_DATA_SIZE],
    struct kbs_client_evidence *ret)
{
	struct attester_evidence ev;
	size_t i;
	int r;

	memset(&ev, 0, sizeof(ev));
	if ((r = attester_get_report(ctx, report_data, &ev)) != 0) {
		const char *d = attester_detail(ctx);

		fprintf(stderr, PROG ": attester %s: %s%s%s\n", attester_kind(ctx), kbs_err_str(r),
		    *d != '\0' ? ": " : "", d);
		return r;
	}
	memcpy(ret->report, ev.report, sizeof(ret->report));
	r = KBS_ERR_ALLOC;
	for (i = 0; i < ev.ncerts && i < KBS_CLIENT_MAX_CERTS; i++) {
		if ((ret->certs[i] = malloc(ev.certs[i].len)) == NULL)
			goto out;
		memcpy(ret->certs[i], ev.certs[i].der, ev.certs[i].len);
		ret->cert_lens[i] = ev.certs[i].len;
		ret->cert_count = i + 1;
	}
	r = 0;
out:
	attester_evidence_clear(&ev);
	return r;
}

/* The hook that maps --attester to a source: see cli.h. */
int
get_secret_attester_open(
    const char *spec, struct kbs_client_evidence_source *ret_src, void **ret_handle)
{
	if (strcmp(spec, TEST_UNSIGNED_SPEC) == 0) {
		ret_src->ctx = NULL;
		ret_src->get = test_unsigned_get;
		*ret_handle = NULL;
		return 0;
	}
	{
		struct attester *att = NULL;
		int r;

		/* Any attester.h spec: tsm, sev-guest, auto, sim:DIR. */
		if ((r = attester_open(spec, &att)) != 0) {
			/* The cause (a missing directory or device, a bad chip.conf), then exit 4.
			 */
			fprintf(stderr, PROG ": %.100s: %s%s%s\n", spec, kbs_err_str(r),
			    attester_err_has_errno(r) ? ": " : "",
			    attester_err_has_errno(r) ? strerror(errno) : "");
			return KBS_ERR_CLIENT_ATTESTER;
		}
		if (attester_is_simulated(att))
			fprintf(stderr,
			    PROG ": attester %s is SIMULATED: only a broker run with "
				 "--trust-root for it accepts its reports\n",
			    attester_kind(att));
		else
			fprintf(stderr, PROG ": attester %s\n", attester_kind(att));
		ret_src->ctx = att;
		ret_src->get = attester_source_get;
		*ret_handle = att;
		return 0;
	}
}

void
get_secret_attester_close(void *handle)
{
	attester_close(handle);
}

/* ---- Arguments -------------------------------------------------------- */

struct gs_args {
	const char *url;
	const char *names[KBS_CLIENT_MAX_SECRETS];
	size_t count;
	const char *out;
	const char *server_key;
	const char *attester;
	const char *ca_file;
	const char *token_out;
	unsigned timeout_s;
	unsigned retries;
	int retries_set;
	int out_dir;      /* --out names an existing directory */
	int out_fd;       /* >= 0: --out names this descriptor (-, /dev/stdout, /dev/fd/N) */
	int out_in_place; /* --out is an existing FIFO or device of ours, written in place */
	dev_t out_dev;    /* ... and check_out approved this one */
	ino_t out_ino;
};

static const char usage_line[] =
    "usage: kbs-client get-secret --url URL --name NAME [--name NAME...] --out FILE|DIR|-\n"
    "       [--server-key KEY] [--attester SPEC] [--ca FILE] [--timeout S] [--retries N]\n"
    "       [--token-out FILE]\n";

/* The number reader of cli.h. */
int
cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	unsigned long v;
	char *end = NULL;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*ret = (unsigned)v;
	return 0;
}

/* fail_usage prints one line and the usage; returns the usage exit code. */
static int
fail_usage(const char *msg)
{
	fprintf(stderr, PROG ": %s\n%s", msg, usage_line);
	return KBS_CLIENT_CLASS_USAGE;
}

/* file_name_ok: a secret name can be a file name inside --out DIR. */
static int
file_name_ok(const char *name)
{
	return strchr(name, '/') == NULL && name[0] != '.';
}

/* A terminal is an operator's screen, its scrollback, a terminal logger: never a secret's home. */
int
get_secret_check_fd(int fd)
{
	return isatty(fd) ? KBS_ERR_CLIENT_OUT_TERMINAL : 0;
}

/*
 * out_fd_ref: the descriptor that --out names when it is /dev/stdout,
 * /dev/fd/N or /proc/self/fd/N, else -1. Those are links the kernel
 * resolves to the caller's own descriptor, which O_NOFOLLOW would refuse;
 * writing to the descriptor itself reaches the same pipe or file and opens
 * nothing another user could have planted.
 */
static int
out_fd_ref(const char *path)
{
	static const char *const prefixes[] = { "/dev/fd/", "/proc/self/fd/" };
	unsigned n;
	size_t i, len;

	if (strcmp(path, "/dev/stdout") == 0)
		return STDOUT_FILENO;
	for (i = 0; i < KBS_ARRAY_SIZE(prefixes); i++) {
		len = strlen(prefixes[i]);
		if (strncmp(path, prefixes[i], len) == 0 &&
		    cli_parse_uint(path + len, 0, INT_MAX, &n) == 0)
			return (int)n;
	}
	return -1;
}

/* refuse_unsafe prints the client_out_unsafe refusal of path and why; returns the usage exit. */
static int
refuse_unsafe(const char *path, const char *why)
{
	fprintf(
	    stderr, PROG ": %s: %.200s: %s\n", kbs_err_str(KBS_ERR_CLIENT_OUT_UNSAFE), path, why);
	return KBS_CLIENT_CLASS_USAGE;
}

/* check_out_fd: the descriptor --out names is open for writing and is not a terminal. */
static int
check_out_fd(const char *path, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_ACCMODE) == O_RDONLY) {
		fl = -1;
		errno = EBADF;
	}
	if (fl < 0) {
		fprintf(
		    stderr, PROG ": cannot write secret to %.200s: %s\n", path, strerror(errno));
		return KBS_CLIENT_CLASS_USAGE;
	}
	if (get_secret_check_fd(fd) != 0) {
		fprintf(
		    stderr, PROG ": %s: %.200s\n", kbs_err_str(KBS_ERR_CLIENT_OUT_TERMINAL), path);
		return KBS_CLIENT_CLASS_USAGE;
	}
	return 0;
}

/*
 * check_in_place decides about an existing --out (lst: its lstat) that is
 * neither a regular file nor a directory: written in place only if it is
 * not a symbolic link, not a terminal, and owned by the effective uid.
 */
static int
check_in_place(struct gs_args *a, const struct stat *lst)
{
	struct stat st;
	char why[96];
	int fd;

	if (S_ISLNK(lst->st_mode)) {
		/* A link to a regular file, or a dangling one, is replaced by the rename. */
		if (stat(a->out, &st) != 0 || S_ISREG(st.st_mode))
			return 0;
		return refuse_unsafe(
		    a->out, "a symbolic link to a file that is not a regular file");
	}
	/*
	 * Only a character device can be a terminal. A FIFO is not opened
	 * here: opening and closing it would hand its reader an early EOF.
	 */
	if (S_ISCHR(lst->st_mode)) {
		fd = open(a->out, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
		if (fd >= 0 && get_secret_check_fd(fd) != 0) {
			close(fd);
			fprintf(stderr, PROG ": %s: %.200s\n",
			    kbs_err_str(KBS_ERR_CLIENT_OUT_TERMINAL), a->out);
			return KBS_CLIENT_CLASS_USAGE;
		}
		if (fd >= 0)
			close(fd);
	}
	if (lst->st_uid != geteuid()) {
		snprintf(why, sizeof(why), "owned by uid %lu, not by this user (uid %lu)",
		    (unsigned long)lst->st_uid, (unsigned long)geteuid());
		return refuse_unsafe(a->out, why);
	}
	a->out_in_place = 1;
	a->out_dev = lst->st_dev;
	a->out_ino = lst->st_ino;
	return 0;
}

/* check_out validates --out against the names before anything is sent. */
static int
check_out(struct gs_args *a)
{
	struct stat st;
	size_t i;
	int fd;

	if (strcmp(a->out, "-") == 0) {
		if (a->count > 1)
			return fail_usage("several --name need --out DIR (an existing directory)");
		if (get_secret_check_fd(STDOUT_FILENO) != 0) {
			fprintf(stderr, PROG ": %s: standard output is a terminal\n",
			    kbs_err_str(KBS_ERR_CLIENT_OUT_TERMINAL));
			return KBS_CLIENT_CLASS_USAGE;
		}
		a->out_fd = STDOUT_FILENO;
		return 0;
	}
	if (stat(a->out, &st) == 0 && S_ISDIR(st.st_mode)) {
		a->out_dir = 1;
		for (i = 0; i < a->count; i++) {
			if (!file_name_ok(a->names[i])) {
				fprintf(stderr,
				    PROG ": secret name '%s' cannot be a file name in --out DIR\n",
				    a->names[i]);
				return KBS_CLIENT_CLASS_USAGE;
			}
		}
		return 0;
	}
	if (a->count > 1)
		return fail_usage("several --name need --out DIR (an existing directory)");
	if ((fd = out_fd_ref(a->out)) >= 0) {
		a->out_fd = fd;
		return check_out_fd(a->out, fd);
	}
	if (lstat(a->out, &st) != 0 || S_ISREG(st.st_mode))
		return 0; /* a new file, or a file replaced by the rename */
	return check_in_place(a, &st);
}

static int
parse_args(int argc, char **argv, struct gs_args *a)
{
	static const struct option options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "server-key", required_argument, NULL, 'k' },
		{ "attester", required_argument, NULL, 'a' },
		{ "ca", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "token-out", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t i;
	int c;

	memset(a, 0, sizeof(*a));
	a->out_fd = -1;
	a->attester = "auto";
	a->timeout_s = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'u':
			a->url = optarg;
			break;
		case 'n':
			if (a->count == KBS_CLIENT_MAX_SECRETS)
				return fail_usage("at most 32 --name");
			if (!kbs_client_name_valid(optarg)) {
				fprintf(stderr,
				    PROG ": --name: a name is 1 to 255 characters from "
					 "A-Z a-z 0-9 . _ : / @ + -\n");
				return KBS_CLIENT_CLASS_USAGE;
			}
			for (i = 0; i < a->count; i++) {
				if (strcmp(a->names[i], optarg) == 0)
					return fail_usage("--name given twice");
			}
			a->names[a->count++] = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'k':
			a->server_key = optarg;
			break;
		case 'a':
			a->attester = optarg;
			break;
		case 'c':
			a->ca_file = optarg;
			break;
		case 't':
			if (cli_parse_uint(optarg, 1, MAX_TIMEOUT_S, &a->timeout_s) != 0)
				return fail_usage("--timeout needs whole seconds from 1 to 3600");
			break;
		case 'r':
			if (cli_parse_uint(optarg, 0, 10, &a->retries) != 0)
				return fail_usage("--retries needs a number from 0 to 10");
			a->retries_set = 1;
			break;
		case 'T':
			a->token_out = optarg;
			break;
		case 'h':
			fputs(usage_line, stdout);
			return -1;
		default:
			fputs(usage_line, stderr);
			return KBS_CLIENT_CLASS_USAGE;
		}
	}
	if (optind != argc)
		return fail_usage("unexpected argument");
	if (a->url == NULL)
		return fail_usage("--url is required");
	if (a->count == 0)
		return fail_usage("--name is required");
	if (a->out == NULL)
		return fail_usage(
		    "--out is required (a file, a directory, or - for standard output)");
	return check_out(a);
}

/* ---- Output ----------------------------------------------------------- */

static void
io_error(const char *what, const char *path)
{
	fprintf(stderr, PROG ": cannot write %s %.200s: %s\n", what, path, strerror(errno));
}

/* write_in_place writes to a descriptor (stdout, /dev/fd/N, a FIFO check_out approved). */
static int
write_in_place(int fd, const char *what, const uint8_t *value, size_t len)
{
	if (get_secret_check_fd(fd) != 0) {
		fprintf(
		    stderr, PROG ": %s: %.200s\n", kbs_err_str(KBS_ERR_CLIENT_OUT_TERMINAL), what);
		return -1;
	}
	if (kbsc_write_fd(fd, value, len) != 0) {
		io_error("secret to", what);
		return -1;
	}
	return 0;
}

/* write_secrets puts every released value where --out says; 0 or -1 (printed). */
static int
write_secrets(const struct gs_args *a, const struct kbs_client_release *rel)
{
	struct kbsc_staged *st = NULL;
	struct stat sb;
	char path[4096];
	size_t i;
	int r = -1, fd, n;

	if (a->out_fd >= 0)
		return write_in_place(a->out_fd,
		    strcmp(a->out, "-") == 0 ? "standard output" : a->out, rel->secrets[0].value,
		    rel->secrets[0].len);
	if (a->out_in_place) {
		/* No O_CREAT: only the file check_out approved, not a link, still ours. */
		if ((fd = open(a->out, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
			if (errno == ELOOP)
				refuse_unsafe(
				    a->out, "it became a symbolic link after it was checked");
			else
				io_error("secret to", a->out);
			return -1;
		}
		if (fstat(fd, &sb) != 0) {
			io_error("secret to", a->out);
			close(fd);
			return -1;
		}
		if (sb.st_dev != a->out_dev || sb.st_ino != a->out_ino || sb.st_uid != geteuid()) {
			refuse_unsafe(a->out, "it was replaced after it was checked");
			close(fd);
			return -1;
		}
		r = write_in_place(fd, a->out, rel->secrets[0].value, rel->secrets[0].len);
		if (close(fd) != 0 && r == 0) {
			io_error("secret to", a->out);
			r = -1;
		}
		return r;
	}
	if ((st = calloc(rel->count, sizeof(*st))) == NULL) {
		fprintf(stderr, PROG ": %s\n", kbs_err_str(KBS_ERR_ALLOC));
		return -1;
	}
	for (i = 0; i < rel->count; i++) {
		if (a->out_dir)
			n = snprintf(path, sizeof(path), "%s/%s", a->out, rel->secrets[i].name);
		else
			n = snprintf(path, sizeof(path), "%s", a->out);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    kbsc_stage_file(&st[i], path, rel->secrets[i].value, rel->secrets[i].len) !=
			0) {
			io_error("secret to", n > 0 && (size_t)n < sizeof(path) ? path : a->out);
			goto out;
		}
	}
	/* Every secret is on disk: only now does any of them replace a destination. */
	for (i = 0; i < rel->count; i++) {
		if (kbsc_stage_commit(&st[i]) != 0) {
			io_error("secret to", st[i].dest);
			goto out;
		}
	}
	r = 0;
out:
	for (i = 0; i < rel->count; i++)
		kbsc_stage_abort(&st[i]);
	free(st);
	return r;
}

/* write_token saves the attestation token (not a secret, but a bearer credential: 0600). */
static int
write_token(const char *path, const char *token)
{
	if (kbsc_write_private_file(path, (const uint8_t *)token, strlen(token)) != 0) {
		io_error("token to", path);
		return -1;
	}
	return 0;
}

/* ---- Reporting -------------------------------------------------------- */

static void
print_denied(const struct kbs_client_failure *f)
{
	size_t i, j;

	fprintf(stderr, PROG ": denied by policy (request %s)\n",
	    f->request_id[0] != '\0' ? f->request_id : "unknown");
	for (i = 0; i < f->denied_count; i++) {
		const struct kbs_client_denied *d = &f->denied[i];

		fprintf(stderr, "  %s: policy %s failed", d->secret, d->policy);
		for (j = 0; j < d->rule_count; j++)
			fprintf(stderr, "%s %s", j == 0 ? "" : ",", d->rules[j]);
		fprintf(stderr, "%s\n", d->rule_count == 0 ? " (no rule named)" : "");
	}
}

static void
print_failure(int r, const struct kbs_client_failure *f)
{
	switch (kbs_client_exit_class(r)) {
	case KBS_CLIENT_CLASS_DENIED:
		print_denied(f);
		break;
	case KBS_CLIENT_CLASS_UNREACHABLE:
		if (f->http_status != 0)
			fprintf(stderr, PROG ": %s: HTTP %ld %s (%u attempt%s)\n", kbs_err_str(r),
			    f->http_status, f->error, f->attempts, f->attempts == 1 ? "" : "s");
		else
			fprintf(stderr, PROG ": %s: %s (%u attempt%s)\n", kbs_err_str(r),
			    f->transport, f->attempts, f->attempts == 1 ? "" : "s");
		break;
	case KBS_CLIENT_CLASS_EVIDENCE:
		if (r == KBS_ERR_CLIENT_EVIDENCE_REJECTED)
			fprintf(stderr, PROG ": %s: %s%s%s%s%s (request %s)\n", kbs_err_str(r),
			    f->error, f->check[0] != '\0' ? " at " : "", f->check,
			    f->detail[0] != '\0' ? ": " : "", f->detail,
			    f->request_id[0] != '\0' ? f->request_id : "unknown");
		else
			fprintf(stderr, PROG ": %s%s%s\n", kbs_err_str(r),
			    f->detail[0] != '\0' ? ": " : "", f->detail);
		break;
	case KBS_CLIENT_CLASS_UNAUTHENTICATED:
		fprintf(stderr,
		    PROG ": broker not authenticated or protocol violation: %s (%s)%s%s\n",
		    kbs_err_str(r), kbs_err_name(r), f->transport[0] != '\0' ? ": " : "",
		    f->transport);
		break;
	case KBS_CLIENT_CLASS_REFUSED:
		fprintf(stderr, PROG ": %s: HTTP %ld %s%s%s (request %s)\n", kbs_err_str(r),
		    f->http_status, f->error[0] != '\0' ? f->error : "(no error code)",
		    f->message[0] != '\0' ? ": " : "", f->message,
		    f->request_id[0] != '\0' ? f->request_id : "unknown");
		break;
	default:
		fprintf(stderr, PROG ": %s\n", kbs_err_str(r));
		break;
	}
}

/* The context builder of cli.h, shared with watch. */
int
cli_client_setup(const char *prog, const struct cli_client_opts *o, struct kbs_client **ret)
{
	struct kbs_client *c = NULL;
	int r;

	if ((r = kbs_client_new(o->url, &c)) != 0) {
		fprintf(stderr, "%s: --url: %s\n", prog, kbs_err_str(r));
		return KBS_CLIENT_CLASS_USAGE;
	}
	if ((r = kbs_client_set_timeouts(c,
		 o->total_ms < CONNECT_TIMEOUT_MS ? o->total_ms : CONNECT_TIMEOUT_MS,
		 o->total_ms)) != 0 ||
	    (o->retries_set && (r = kbs_client_set_retries(c, o->retries, 250)) != 0) ||
	    (o->ca_file != NULL && (r = kbs_client_set_ca_file(c, o->ca_file)) != 0)) {
		fprintf(stderr, "%s: %s\n", prog, kbs_err_str(r));
		kbs_client_free(c);
		return KBS_CLIENT_CLASS_USAGE;
	}
	if (o->server_key != NULL && (r = kbs_client_set_server_key(c, o->server_key)) != 0) {
		fprintf(stderr, "%s: --server-key: %s%s%s\n", prog, kbs_err_str(r),
		    r == KBS_ERR_SYSTEM ? ": " : "", r == KBS_ERR_SYSTEM ? strerror(errno) : "");
		kbs_client_free(c);
		return KBS_CLIENT_CLASS_USAGE;
	}
	if (o->server_key == NULL)
		fprintf(stderr,
		    "%s: WARNING: no --server-key: the broker is NOT authenticated; anyone "
		    "between this guest and the broker can hand it secrets of their choosing\n",
		    prog);
	*ret = c;
	return 0;
}

/* setup builds the context from the arguments; prints and returns an exit code on failure. */
static int
setup(const struct gs_args *a, struct kbs_client **ret)
{
	const struct cli_client_opts o = { a->url, a->ca_file, a->server_key, a->timeout_s * 1000u,
		a->retries, a->retries_set };

	return cli_client_setup(PROG, &o, ret);
}

int
cmd_get_secret(int argc, char **argv)
{
	struct kbs_client_evidence_source src;
	struct kbs_client *c = NULL;
	struct kbs_client_release *rel = NULL;
	struct gs_args a;
	void *att = NULL;
	int rc, r, att_open = 0;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc < 0 ? KBS_CLIENT_RELEASED : rc;
	/* A reader that goes away (cryptsetup failing) is an I/O error, exit 2, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, PROG ": %s\n", kbs_err_str(KBS_ERR_INTERNAL));
		return KBS_CLIENT_CLASS_USAGE;
	}
	if ((rc = setup(&a, &c)) != 0)
		goto out;
	if ((r = get_secret_attester_open(a.attester, &src, &att)) != 0) {
		fprintf(stderr, PROG ": --attester %.100s: %s\n", a.attester, kbs_err_str(r));
		rc = kbs_client_exit_class(r);
		goto out;
	}
	att_open = 1;
	if ((r = kbs_client_attest(c, &src, a.names, a.count, &rel, NULL)) != 0) {
		print_failure(r, kbs_client_last_failure(c));
		rc = kbs_client_exit_class(r);
		goto out;
	}
	rc = KBS_CLIENT_CLASS_USAGE;
	if (write_secrets(&a, rel) != 0)
		goto out;
	if (a.token_out != NULL && write_token(a.token_out, rel->token) != 0)
		goto out;
	fprintf(stderr, PROG ": released %zu secret%s (request %s)\n", rel->count,
	    rel->count == 1 ? "" : "s", rel->request_id);
	rc = KBS_CLIENT_RELEASED;
out:
	kbs_client_release_free(rel);
	if (att_open)
		get_secret_attester_close(att);
	kbs_client_free(c);
	curl_global_cleanup();
	return rc;
}
