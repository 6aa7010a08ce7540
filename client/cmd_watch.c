/*
 * cmd_watch.c: `kbs-client watch`, continuous attestation (docs/guest.md).
 *
 * Every --interval a round runs one exchange of protocol v1 through
 * libkbsclient for --name, as get-secret does, and prints one JSON line
 * on standard output: time, url, name, outcome (released, denied, error),
 * the failed rules or the error code and sentence, the request id and the
 * round's latency. The released value is wiped unseen: a round says only
 * that it was released, under which policy and version. With --webhook
 * the same line is POSTed, signed as docs/webhooks.md says (the key from
 * --webhook-secret-file; an unsigned post would let anyone on the path
 * forge outcomes, so a webhook needs its key).
 *
 * Bounds: a round makes at most three requests (challenge, attest, one
 * re-challenge for another replica's nonce), each with a third of
 * --timeout (at least 1 s) and no retry: the next round is the retry. A
 * post gets 5 s. Rounds start --interval apart (at once when one ran
 * longer); SIGINT or SIGTERM ends the command after the current round.
 *
 * Exit codes: those of get-secret (enum kbs_client_class) for the last
 * round; --once and --count N end with that round's code. Standard output
 * that cannot be written (its reader gone) ends the watch with 2.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "cli.h"
#include "kbs_webhook_sig.h"
#include "kbsclient.h"

#define PROG "kbs-client watch"
#define MAX_INTERVAL_S 86400u
#define MAX_TIMEOUT_S 3600u
#define MAX_COUNT 1000000u
#define POST_TIMEOUT_MS 5000L
#define POST_CONNECT_MS 2000L

static const char usage_line[] =
    "usage: kbs-client watch --url URL --interval DURATION --name NAME [--once] [--count N]\n"
    "       [--webhook URL --webhook-secret-file FILE] [--server-key KEY] [--attester SPEC]\n"
    "       [--ca FILE] [--timeout S]\n";

struct watch_args {
	const char *url;
	const char *name;
	const char *webhook;
	const char *webhook_key_file;
	const char *server_key;
	const char *attester;
	const char *ca_file;
	unsigned interval_s;
	unsigned timeout_s;
	unsigned count; /* 0: until a signal */
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
fail_usage(const char *msg)
{
	fprintf(stderr, PROG ": %s\n%s", msg, usage_line);
	return KBS_CLIENT_CLASS_USAGE;
}

/*
 * watch_parse_interval reads DURATION: a decimal number without sign or
 * leading zero and one unit, s, m or h, from 1 s to 24 h.
 * KBS_ERR_CLIENT_WATCH_INTERVAL otherwise; *ret_s set only on success.
 */
static int
watch_parse_interval(const char *s, unsigned *ret_s)
{
	static const struct {
		char unit;
		unsigned seconds;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 } };
	unsigned long long v = 0;
	size_t i, n = strlen(s);

	if (n < 2 || n > 8 || s[0] < '1' || s[0] > '9')
		return KBS_ERR_CLIENT_WATCH_INTERVAL;
	for (i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return KBS_ERR_CLIENT_WATCH_INTERVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	for (i = 0; i < KBS_ARRAY_SIZE(units); i++)
		if (s[n - 1] == units[i].unit) {
			if (v > MAX_INTERVAL_S / units[i].seconds)
				return KBS_ERR_CLIENT_WATCH_INTERVAL;
			*ret_s = (unsigned)v * units[i].seconds;
			return 0;
		}
	return KBS_ERR_CLIENT_WATCH_INTERVAL;
}

static int
parse_args(int argc, char **argv, struct watch_args *a)
{
	static const struct option options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "interval", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "webhook", required_argument, NULL, 'w' },
		{ "webhook-secret-file", required_argument, NULL, 'W' },
		{ "once", no_argument, NULL, '1' },
		{ "count", required_argument, NULL, 'c' },
		{ "server-key", required_argument, NULL, 'k' },
		{ "attester", required_argument, NULL, 'a' },
		{ "ca", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r, once = 0, counted = 0;

	memset(a, 0, sizeof(*a));
	a->attester = "auto";
	a->timeout_s = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'u':
			a->url = optarg;
			break;
		case 'i':
			if ((r = watch_parse_interval(optarg, &a->interval_s)) != 0) {
				fprintf(stderr, PROG ": --interval %.40s: %s\n%s", optarg,
				    kbs_err_str(r), usage_line);
				return KBS_CLIENT_CLASS_USAGE;
			}
			break;
		case 'n':
			if (a->name != NULL)
				return fail_usage("--name given twice (one secret per watch)");
			if (!kbs_client_name_valid(optarg))
				return fail_usage("--name: a name is 1 to 255 characters from "
						  "A-Z a-z 0-9 . _ : / @ + -");
			a->name = optarg;
			break;
		case 'w':
			a->webhook = optarg;
			break;
		case 'W':
			a->webhook_key_file = optarg;
			break;
		case '1':
			once = 1;
			break;
		case 'c':
			if (cli_parse_uint(optarg, 1, MAX_COUNT, &a->count) != 0)
				return fail_usage("--count needs a number from 1 to 1000000");
			counted = 1;
			break;
		case 'k':
			a->server_key = optarg;
			break;
		case 'a':
			a->attester = optarg;
			break;
		case 'C':
			a->ca_file = optarg;
			break;
		case 't':
			if (cli_parse_uint(optarg, 1, MAX_TIMEOUT_S, &a->timeout_s) != 0)
				return fail_usage("--timeout needs whole seconds from 1 to 3600");
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
	if (a->interval_s == 0 && !once)
		return fail_usage("--interval is required (or --once)");
	if (a->name == NULL)
		return fail_usage("--name is required: the broker decides per secret");
	if (once && counted)
		return fail_usage("--once and --count exclude each other");
	if (once)
		a->count = 1;
	if ((a->webhook == NULL) != (a->webhook_key_file == NULL))
		return fail_usage("--webhook and --webhook-secret-file go together (posts are "
				  "always signed)");
	if (a->webhook != NULL &&
	    ((strncmp(a->webhook, "http://", 7) != 0 && strncmp(a->webhook, "https://", 8) != 0) ||
		strpbrk(a->webhook, " \t\r\n") != NULL))
		return fail_usage("--webhook must be an http:// or https:// URL");
	return 0;
}

/* ---- one round ------------------------------------------------------------ */

struct round {
	int rc; /* the class: get-secret's exit code */
	cJSON *line;
};

/* add_failure adds what a refused or failed round's last failure says. */
static int
add_failure(cJSON *o, int r, const struct kbs_client_failure *f)
{
	cJSON *rules;
	size_t i, j;

	if (cJSON_AddStringToObject(o, "error", kbs_err_name(r)) == NULL ||
	    cJSON_AddNumberToObject(o, "code", r) == NULL ||
	    cJSON_AddStringToObject(o, "message", kbs_err_str(r)) == NULL)
		return KBS_ERR_ALLOC;
	if (f == NULL)
		return 0;
	if (f->request_id[0] != '\0' &&
	    cJSON_AddStringToObject(o, "request_id", f->request_id) == NULL)
		return KBS_ERR_ALLOC;
	if (f->http_status != 0 &&
	    cJSON_AddNumberToObject(o, "http_status", (double)f->http_status) == NULL)
		return KBS_ERR_ALLOC;
	/* The broker's own words, already cut to bounded printable ASCII by libkbsclient. */
	if (f->error[0] != '\0' && cJSON_AddStringToObject(o, "broker_error", f->error) == NULL)
		return KBS_ERR_ALLOC;
	if (f->check[0] != '\0' && cJSON_AddStringToObject(o, "check", f->check) == NULL)
		return KBS_ERR_ALLOC;
	if (f->transport[0] != '\0' &&
	    cJSON_AddStringToObject(o, "transport", f->transport) == NULL)
		return KBS_ERR_ALLOC;
	if (f->denied_count == 0)
		return 0;
	if ((rules = cJSON_AddArrayToObject(o, "failed_rules")) == NULL ||
	    cJSON_AddStringToObject(o, "policy", f->denied[0].policy) == NULL)
		return KBS_ERR_ALLOC;
	for (i = 0; i < f->denied_count; i++)
		for (j = 0; j < f->denied[i].rule_count; j++)
			if (!cJSON_AddItemToArray(rules, cJSON_CreateString(f->denied[i].rules[j])))
				return KBS_ERR_ALLOC;
	return 0;
}

/* run_round attests once and builds the round's line; never prints the value. */
static void
run_round(const struct watch_args *a, struct kbs_client *c,
    const struct kbs_client_evidence_source *src, struct round *ret)
{
	struct kbs_client_release *rel = NULL;
	const char *names[1] = { a->name };
	char id[KBS_WEBHOOK_ID_SIZE];
	int64_t t0 = (int64_t)kbs_time_monotonic_ns(), now = kbs_time_now();
	cJSON *o = NULL;
	int r, ok;

	r = kbs_client_attest(c, src, names, 1, &rel, NULL);
	ret->rc = r == 0 ? KBS_CLIENT_RELEASED : (int)kbs_client_exit_class(r);
	kbs_webhook_new_id(id);
	ok = (o = cJSON_CreateObject()) != NULL &&
	    cJSON_AddStringToObject(o, "kind", "watch") != NULL &&
	    cJSON_AddStringToObject(o, "id", id) != NULL &&
	    cJSON_AddNumberToObject(o, "time", (double)now) != NULL &&
	    cJSON_AddStringToObject(o, "url", a->url) != NULL &&
	    cJSON_AddStringToObject(o, "name", a->name) != NULL &&
	    cJSON_AddStringToObject(o, "outcome",
		r == 0                                   ? "released"
		    : ret->rc == KBS_CLIENT_CLASS_DENIED ? "denied"
							 : "error") != NULL &&
	    cJSON_AddNumberToObject(o, "exit", ret->rc) != NULL;
	if (ok && r == 0)
		ok = cJSON_AddStringToObject(o, "request_id", rel->request_id) != NULL &&
		    cJSON_AddStringToObject(o, "policy", rel->secrets[0].policy_name) != NULL &&
		    cJSON_AddNumberToObject(o, "version", rel->secrets[0].policy_version) != NULL;
	else if (ok)
		ok = add_failure(o, r, kbs_client_last_failure(c)) == 0;
	/* The value is wiped here, before the line leaves the process. */
	kbs_client_release_free(rel);
	if (ok)
		ok = cJSON_AddNumberToObject(o, "latency_ms",
			 (double)(((int64_t)kbs_time_monotonic_ns() - t0) / 1000000)) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		o = NULL;
	}
	ret->line = o;
}

/* ---- the webhook ------------------------------------------------------------ */

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

/*
 * post_line POSTs text to the webhook, signed; 0 on a 2xx answer,
 * otherwise -1 after one line on standard error (the round's outcome and
 * exit code stay what they were: the webhook is a copy of standard output).
 */
static int
post_line(const struct watch_args *a, const uint8_t *key, size_t key_len, const char *id,
    const char *text)
{
	struct kbs_webhook_headers h;
	struct curl_slist *list = NULL, *l;
	const char *lines[5] = { "Content-Type: application/json", "Expect:", h.id, h.timestamp,
		h.signature };
	long status = 0;
	size_t i;
	CURL *curl = NULL;
	CURLcode cc = CURLE_FAILED_INIT;
	int r = -1;

	if (kbs_webhook_headers_make(key, key_len, id, (uint64_t)kbs_time_now(),
		(const uint8_t *)text, strlen(text), &h) != 0)
		goto out;
	for (i = 0; i < KBS_ARRAY_SIZE(lines); i++) {
		if ((l = curl_slist_append(list, lines[i])) == NULL)
			goto out;
		list = l;
	}
	if ((curl = curl_easy_init()) == NULL ||
	    curl_easy_setopt(curl, CURLOPT_URL, a->webhook) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, POST_CONNECT_MS) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, POST_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text)) !=
		CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
	    (a->ca_file != NULL && curl_easy_setopt(curl, CURLOPT_CAINFO, a->ca_file) != CURLE_OK))
		goto out;
	if ((cc = curl_easy_perform(curl)) == CURLE_OK &&
	    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status >= 200 &&
	    status <= 299)
		r = 0;
out:
	if (r != 0)
		fprintf(stderr, PROG ": webhook: not delivered (%s, HTTP %ld)\n",
		    cc == CURLE_OK ? "answered" : curl_easy_strerror(cc), status);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl_slist_free_all(list);
	return r;
}

/* ---- the loop --------------------------------------------------------------- */

/* setup builds the context: no retries, a third of the round for each request. */
static int
setup(const struct watch_args *a, struct kbs_client **ret)
{
	unsigned per_request_ms = a->timeout_s * 1000u / 3u;
	const struct cli_client_opts o = { a->url, a->ca_file, a->server_key,
		per_request_ms < 1000 ? 1000 : per_request_ms, 0, 1 };

	return cli_client_setup(PROG, &o, ret);
}

/*
 * pause_until sleeps until the monotonic time deadline_ns, or a signal.
 * SIGINT and SIGTERM are blocked except inside pselect, which unblocks
 * them atomically with the wait: one that came during a round is taken
 * here at once, and none can slip in between the flag's check and the
 * sleep.
 */
static void
pause_until(int64_t deadline_ns, const sigset_t *waiting_mask)
{
	struct timespec ts;
	int64_t left;

	while (!stop_requested && (left = deadline_ns - (int64_t)kbs_time_monotonic_ns()) > 0) {
		ts.tv_sec = (time_t)(left / 1000000000);
		ts.tv_nsec = (long)(left % 1000000000);
		(void)pselect(0, NULL, NULL, NULL, &ts, waiting_mask); /* EINTR: the flag */
	}
}

int
cmd_watch(int argc, char **argv)
{
	struct kbs_client_evidence_source src;
	struct kbs_client *c = NULL;
	struct watch_args a;
	struct sigaction sa;
	sigset_t stop_signals, waiting_mask;
	uint8_t key[KBS_WEBHOOK_KEY_MAX];
	size_t key_len = 0;
	unsigned done = 0;
	void *att = NULL;
	int rc, r, att_open = 0, curl_ok = 0;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc < 0 ? KBS_CLIENT_RELEASED : rc;
	if (a.webhook_key_file != NULL &&
	    (r = kbs_webhook_key_load(a.webhook_key_file, key, &key_len)) != 0) {
		fprintf(stderr, PROG ": --webhook-secret-file %.200s: %s%s%s\n", a.webhook_key_file,
		    kbs_err_str(r), r == KBS_ERR_SYSTEM ? ": " : "",
		    r == KBS_ERR_SYSTEM ? strerror(errno) : "");
		return KBS_CLIENT_CLASS_USAGE;
	}
	rc = KBS_CLIENT_CLASS_USAGE;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, PROG ": %s\n", kbs_err_str(KBS_ERR_INTERNAL));
		goto out;
	}
	curl_ok = 1;
	if ((rc = setup(&a, &c)) != 0)
		goto out;
	if ((r = get_secret_attester_open(a.attester, &src, &att)) != 0) {
		fprintf(stderr, PROG ": --attester %.100s: %s\n", a.attester, kbs_err_str(r));
		rc = kbs_client_exit_class(r);
		goto out;
	}
	att_open = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the pause ends at once */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	(void)sigprocmask(SIG_BLOCK, &stop_signals, &waiting_mask);
	sigdelset(&waiting_mask, SIGINT);
	sigdelset(&waiting_mask, SIGTERM);
	for (;;) {
		int64_t start = (int64_t)kbs_time_monotonic_ns();
		struct round rd = { KBS_CLIENT_CLASS_USAGE, NULL };
		char *text = NULL;

		run_round(&a, c, &src, &rd);
		rc = rd.rc;
		if (rd.line == NULL || (text = cJSON_PrintUnformatted(rd.line)) == NULL) {
			fprintf(stderr, PROG ": %s\n", kbs_err_str(KBS_ERR_ALLOC));
			cJSON_Delete(rd.line);
			rc = KBS_CLIENT_CLASS_USAGE;
			goto out;
		}
		/* A reader that went away (SIGPIPE is ignored) ends the watch: nobody sees it. */
		if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
			fprintf(stderr, PROG ": cannot write to standard output: %s\n",
			    strerror(errno));
			cJSON_free(text);
			cJSON_Delete(rd.line);
			rc = KBS_CLIENT_CLASS_USAGE;
			goto out;
		}
		if (a.webhook != NULL)
			(void)post_line(&a, key, key_len,
			    cJSON_GetObjectItemCaseSensitive(rd.line, "id")->valuestring, text);
		cJSON_free(text);
		cJSON_Delete(rd.line);
		done++;
		if ((a.count != 0 && done >= a.count) || stop_requested)
			break;
		pause_until(start + (int64_t)a.interval_s * 1000000000, &waiting_mask);
		if (stop_requested)
			break;
	}
out:
	sodium_memzero(key, sizeof(key));
	if (att_open)
		get_secret_attester_close(att);
	kbs_client_free(c);
	if (curl_ok)
		curl_global_cleanup();
	return rc;
}
