/*
 * main.c: the kbs daemon.
 *
 *   kbs --data-dir DIR [--listen HOST:PORT] [--admin-listen HOST:PORT|unix:PATH]
 *       [--config FILE] [--trust-root ARK.pem]... [--log-level L]
 *       [--master-key-credential NAME]
 *       [--no-audit-sync]   (benchmarks only: nothing is flushed to disk)
 *
 * Start-up order: settings (defaults, then the file, then flags), the
 * state (keys, keystore, verifier), the listeners; then "listening" lines
 * with the real ports on standard output (port 0 picks one), READY=1 to
 * systemd, and the wait for SIGTERM or SIGINT, running the housekeeping
 * (the purge of expired nonces) once a minute; SIGHUP reloads (below).
 * Shutdown: stop accepting, let in-flight requests finish (at most 10 s),
 * give queued webhook deliveries one last attempt (at most 2 s), then
 * close the keystore,
 * which answers every queued write before it returns, and exit 0.
 *
 * Reload (SIGHUP): the file is read again and the flags applied over it
 * again, as at start-up; a configuration that does not load, that changes
 * a setting only a restart applies (kbs_broker_reload_check), or whose
 * TLS files cannot be used is refused as a whole: one log line says why
 * and the old configuration goes on. Otherwise each listener gets a new
 * daemon on the same socket (new limits, TLS files read again), the old
 * one stops accepting but finishes its connections (at most the
 * connection timeout plus the shutdown grace), and the live settings
 * change (kbs_broker_reload). No connection is dropped.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "broker.h"
#include "config.h"
#include "http.h"
#include "kbs_common.h"
#include "webhook.h"

#define SHUTDOWN_GRACE_SECONDS 10
#define MAX_RETIRING 16 /* listeners replaced by reloads, still finishing connections */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kbs --data-dir DIR [--listen HOST:PORT] "
	    "[--admin-listen HOST:PORT|unix:PATH]\n"
	    "           [--config FILE] [--trust-root ARK.pem]... "
	    "[--log-level error|warning|info|debug]\n"
	    "           [--master-key-credential NAME]\n"

	    "           [--no-audit-sync]   (benchmarks only, never in production)\n");
}

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET, if set. */
static void
notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	size_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

struct args {
	const char *data_dir;
	const char *config;
	const char *listen;
	const char *admin_listen;
	const char *log_level;
	const char *master_key_credential;
	const char *roots[KBS_CONFIG_MAX_LIST];
	size_t n_roots;
	int no_audit_sync;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "admin-listen", required_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "trust-root", required_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "master-key-credential", required_argument, NULL, 'k' },
		{ "no-audit-sync", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->data_dir = optarg;
			break;
		case 'l':
			a->listen = optarg;
			break;
		case 'a':
			a->admin_listen = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 't':
			if (a->n_roots == KBS_CONFIG_MAX_LIST) {
				fprintf(
				    stderr, "kbs: at most %d --trust-root\n", KBS_CONFIG_MAX_LIST);
				return 2;
			}
			a->roots[a->n_roots++] = optarg;
			break;
		case 'v':
			a->log_level = optarg;
			break;
		case 'k':
			a->master_key_credential = optarg;
			break;
		case 'S':
			a->no_audit_sync = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || a->data_dir == NULL) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* build_config: defaults, the file, the flags; at start-up and on every reload. */
static int
build_config(const struct args *a, struct kbs_config *cfg, char *msg, size_t msg_size)
{
	size_t i;
	int r;

	kbs_config_defaults(cfg);
	if (a->config != NULL && (r = kbs_config_load(cfg, a->config, msg, msg_size)) != 0)
		return r;
	if (a->listen != NULL)
		snprintf(cfg->listen, sizeof(cfg->listen), "%s", a->listen);
	if (a->admin_listen != NULL)
		snprintf(cfg->admin_listen, sizeof(cfg->admin_listen), "%s", a->admin_listen);
	if (a->master_key_credential != NULL &&
	    snprintf(cfg->master_key_credential, sizeof(cfg->master_key_credential), "%s",
		a->master_key_credential) >= (int)sizeof(cfg->master_key_credential)) {
		snprintf(msg, msg_size, "--master-key-credential: too long");
		return KBS_ERR_CONFIG;
	}
	if (a->log_level != NULL && kbs_config_log_level(a->log_level, &cfg->log_level) != 0) {
		snprintf(msg, msg_size, "--log-level: error, warning, info or debug");
		return KBS_ERR_CONFIG;
	}
	cfg->no_audit_sync = a->no_audit_sync;
	for (i = 0; i < a->n_roots; i++)
		if (kbs_config_list_add(&cfg->trust_roots, a->roots[i]) != 0) {
			snprintf(msg, msg_size, "too many trust roots");
			return KBS_ERR_CONFIG;
		}
	return 0;
}

/* The listeners, and those a reload replaced that still finish their connections. */
struct listeners {
	struct kbs_http *pub, *adm;
	struct {
		struct kbs_http *h;
		struct timespec since;
		unsigned timeout_s; /* the connection timeout it was started with */
	} retiring[MAX_RETIRING];
	size_t n_retiring;
};

/*
 * retire_poll stops the replaced listeners whose connections are all
 * closed, or that have had their connection timeout plus the shutdown
 * grace (an idle keep-alive connection is closed by then anyway); with
 * force, all of them. Returns how many are left.
 */
static size_t
retire_poll(struct listeners *l, int force)
{
	struct timespec now;
	size_t i = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	while (i < l->n_retiring) {
		struct kbs_http *h = l->retiring[i].h;

		if (force || kbs_http_connections(h) == 0 ||
		    now.tv_sec - l->retiring[i].since.tv_sec >=
			(time_t)l->retiring[i].timeout_s + SHUTDOWN_GRACE_SECONDS) {
			kbs_http_stop(h);
			l->retiring[i] = l->retiring[--l->n_retiring];
			continue;
		}
		i++;
	}
	return l->n_retiring;
}

/* retire_add: h no longer accepts; it is stopped once its connections are closed. */
static void
retire_add(struct listeners *l, struct kbs_http *h, unsigned timeout_s)
{
	clock_gettime(CLOCK_MONOTONIC, &l->retiring[l->n_retiring].since);
	l->retiring[l->n_retiring].timeout_s = timeout_s;
	l->retiring[l->n_retiring++].h = h;
}

static void
retire(struct listeners *l, struct kbs_http *old, struct kbs_http *next, unsigned timeout_s)
{
	kbs_http_handover(old, next);
	retire_add(l, old, timeout_s);
}

/* reload_refused logs why; msg quotes file names and keys, so cJSON escapes it. */
static void
reload_refused(int r, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *line = NULL;

	if (o != NULL && cJSON_AddStringToObject(o, "event", "reload") != NULL &&
	    cJSON_AddStringToObject(o, "result", "refused") != NULL &&
	    cJSON_AddStringToObject(o, "error", kbs_err_name(r)) != NULL &&
	    cJSON_AddStringToObject(o, "message", msg) != NULL &&
	    cJSON_AddStringToObject(o, "note", "the running configuration is unchanged") != NULL)
		line = cJSON_PrintUnformatted(o);
	kbs_log(KBS_LOG_ERROR, "%s",
	    line != NULL ? line : "{\"event\":\"reload\",\"result\":\"refused\"}");
	cJSON_free(line);
	cJSON_Delete(o);
}

/* monotonic_usec: CLOCK_MONOTONIC in microseconds, for systemd's reload protocol. */
static unsigned long long
monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000;
}

/*
 * reload builds the new configuration and both new listeners before it
 * changes anything, so a refused reload leaves everything as it was.
 */
static void
reload(struct kbs_broker *b, const struct args *a, struct kbs_config *cur, struct listeners *l)
{
	struct kbs_config *cfg = NULL;
	struct kbs_http *pub = NULL, *adm = NULL;
	char msg[640], text[128];
	int r;

	snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%llu", monotonic_usec());
	notify(text);
	msg[0] = '\0';
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		reload_refused(KBS_ERR_ALLOC, "out of memory");
		goto out;
	}
	if ((r = build_config(a, cfg, msg, sizeof(msg))) != 0 ||
	    (r = kbs_broker_reload_check(b, cfg, msg, sizeof(msg))) != 0) {
		reload_refused(r, msg);
		goto out;
	}
	/* The bound on replaced listeners: wait for the earlier ones first. */
	if (retire_poll(l, 0) + 2 > MAX_RETIRING) {
		reload_refused(KBS_ERR_RELOAD_BUSY, kbs_err_str(KBS_ERR_RELOAD_BUSY));
		goto out;
	}
	if ((r = kbs_http_restart(l->pub, cfg, &pub)) != 0) {
		snprintf(msg, sizeof(msg),
		    "public listener: tls_cert \"%.256s\", tls_key \"%.256s\": %s", cfg->tls_cert,
		    cfg->tls_key, kbs_err_str(r));
		reload_refused(r, msg);
		goto out;
	}
	if ((r = kbs_http_restart(l->adm, cfg, &adm)) != 0) {
		snprintf(msg, sizeof(msg), "admin listener: %s", kbs_err_str(r));
		reload_refused(r, msg);
		/*
		 * The new public listener has been accepting beside the old one:
		 * it stops accepting and finishes what it took, like a replaced one.
		 */
		kbs_http_quiesce(pub);
		retire_add(l, pub, cfg->connection_timeout);
		pub = NULL;
		goto out;
	}
	/*
	 * Said under whichever of the two log levels shows it: a reload to a
	 * quieter level is still reported, as is one from a quieter level.
	 */
	if (cfg->log_level < KBS_LOG_INFO)
		kbs_log(KBS_LOG_INFO, "{\"event\":\"reload\",\"result\":\"applied\"}");
	kbs_broker_reload(b, cfg);
	if (cfg->log_level >= KBS_LOG_INFO)
		kbs_log(KBS_LOG_INFO, "{\"event\":\"reload\",\"result\":\"applied\"}");
	retire(l, l->pub, pub, cur->connection_timeout);
	retire(l, l->adm, adm, cur->connection_timeout);
	l->pub = pub;
	l->adm = adm;
	pub = adm = NULL;
	*cur = *cfg;
out:
	kbs_http_stop(pub);
	kbs_http_stop(adm);
	free(cfg);
	notify("READY=1");
}

/*
 * wait_signal waits for SIGTERM or SIGINT (masked in every thread by
 * main), reloads on SIGHUP, and meanwhile runs the housekeeping every
 * KBS_HOUSEKEEPING_SECONDS (consumed nonces past their margin are purged,
 * so the nonce table stays the size of the traffic of the last few
 * minutes) and, while replaced listeners finish, looks at them often.
 */
static int
wait_signal(struct kbs_broker *b, const sigset_t *set, const struct args *a, struct kbs_config *cur,
    struct listeners *l)
{
	const struct timespec poll = { 0, 200 * 1000 * 1000 };
	struct timespec period = { KBS_HOUSEKEEPING_SECONDS, 0 }, last, now;
	size_t purged = 0;
	int sig, r;

	clock_gettime(CLOCK_MONOTONIC, &last);
	for (;;) {
		sig = sigtimedwait(set, NULL, l->n_retiring > 0 ? &poll : &period);
		if (sig == SIGHUP) {
			reload(b, a, cur, l);
			continue;
		}
		if (sig > 0)
			return sig;
		if (errno != EAGAIN)
			continue; /* EINTR */
		(void)retire_poll(l, 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - last.tv_sec < KBS_HOUSEKEEPING_SECONDS)
			continue;
		last = now;
		if ((r = kbs_broker_housekeeping(b, (int64_t)time(NULL), &purged)) != 0)
			kbs_log(KBS_LOG_WARNING, "{\"event\":\"housekeeping\",\"error\":\"%s\"}",
			    kbs_err_name(r));
		else if (purged > 0)
			kbs_log(KBS_LOG_DEBUG, "{\"event\":\"housekeeping\",\"nonces_purged\":%zu}",
			    purged);
	}
}

static void
drain(struct listeners *l)
{
	struct timespec t0, now, nap = { 0, 20 * 1000 * 1000 };
	unsigned active;
	size_t i;

	kbs_http_quiesce(l->pub);
	kbs_http_quiesce(l->adm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		active = kbs_http_active(l->pub) + kbs_http_active(l->adm);
		for (i = 0; i < l->n_retiring; i++)
			active += kbs_http_active(l->retiring[i].h);
		if (active == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= SHUTDOWN_GRACE_SECONDS) {
			kbs_log(KBS_LOG_WARNING,
			    "{\"event\":\"shutdown\",\"note\":\"grace period over, "
			    "closing open connections\"}");
			return;
		}
		nanosleep(&nap, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct kbs_broker *b = NULL;
	struct listeners l;
	static struct kbs_config cfg; /* large: not on the stack */
	struct args a;
	sigset_t set;
	char msg[1024];
	unsigned pub_port = 0, adm_port = 0;
	int first = 0, r, rc = 1, sig;

	memset(&l, 0, sizeof(l));
	if ((r = parse_args(argc, argv, &a)) != 0)
		return r;
	if (build_config(&a, &cfg, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "kbs: %s\n", msg);
		return 2;
	}
	kbs_log_set_level(cfg.log_level);
	if (kbs_crypto_init() != 0) {
		fprintf(stderr, "kbs: libsodium failed to initialise\n");
		return 1;
	}
	/* Signals are taken by sigwait in this thread only; every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.no_audit_sync) {
		/* Said before anything is written: every write of this run may be lost. */
		printf(
		    "kbs: WARNING: --no-audit-sync: the store is NOT flushed to disk; a crash or "
		    "power loss can lose answered releases, their audit records, consumed nonces "
		    "and admin writes. For benchmarks only, never in production\n");
		fflush(stdout);
		kbs_log(KBS_LOG_WARNING,
		    "{\"event\":\"no_audit_sync\",\"note\":\"the store is "
		    "not durable: benchmarks only\"}");
	}
	if ((r = kbs_broker_open(&cfg, a.data_dir, &b, &first, msg, sizeof(msg))) != 0) {
		fprintf(stderr, "kbs: %s\n", msg);
		goto out;
	}
	if ((r = kbs_http_start(b, KBS_LISTENER_PUBLIC, cfg.listen, &pub_port, &l.pub)) != 0) {
		fprintf(stderr, "kbs: public listener %s: %s\n", cfg.listen, kbs_err_str(r));
		goto out;
	}
	if ((r = kbs_http_start(b, KBS_LISTENER_ADMIN, cfg.admin_listen, &adm_port, &l.adm)) != 0) {
		fprintf(stderr, "kbs: admin listener %s: %s\n", cfg.admin_listen, kbs_err_str(r));
		goto out;
	}
	if (first && cfg.master_key_credential[0] != '\0')
		printf("kbs: first start: created %s/identity.key, nonce.key and admin.token (mode "
		       "0600); the master key is the credential %s\n",
		    a.data_dir, cfg.master_key_credential);
	else if (first)
		printf("kbs: first start: created %s/master.key, identity.key, nonce.key and "
		       "admin.token (mode 0600)\n",
		    a.data_dir);
	printf("kbs: identity key (Ed25519, pin this in the guest): %s\n", b->token_key.x);
	if (cfg.trust_roots.n > 0)
		printf("kbs: WARNING: %zu extra trust root(s) configured: decisions under them are "
		       "marked in the audit log\n",
		    cfg.trust_roots.n);
	printf("kbs: listening public %s port %u\n", cfg.listen, pub_port);
	printf("kbs: listening admin %s port %u\n", cfg.admin_listen, adm_port);
	fflush(stdout);
	atomic_store(&b->ready, 1);
	notify("READY=1");

	sig = wait_signal(b, &set, &a, &cfg, &l);
	kbs_log(KBS_LOG_INFO, "{\"event\":\"shutdown\",\"signal\":%d}", sig);
	notify("STOPPING=1");
	atomic_store(&b->ready, 0);
	drain(&l);
	kbs_webhooks_drain(b->webhooks, KBS_WEBHOOK_DRAIN_MS);
	rc = 0;
out:
	(void)retire_poll(&l, 1);
	kbs_http_stop(l.pub);
	kbs_http_stop(l.adm);
	kbs_broker_close(b);
	return rc;
}
