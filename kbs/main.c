/*
 * main.c: the kbs daemon.
 *
 *   kbs --data-dir DIR [--listen HOST:PORT] [--admin-listen HOST:PORT|unix:PATH]
 *       [--config FILE] [--trust-root ARK.pem]... [--log-level L]
 *       [--no-audit-sync]   (benchmarks only: nothing is flushed to disk)
 *
 * Start-up order: settings (defaults, then the file, then flags), the
 * state (keys, keystore, verifier), the listeners; then "listening" lines
 * with the real ports on standard output (port 0 picks one), READY=1 to
 * systemd, and the wait for SIGTERM or SIGINT, running the housekeeping
 * (the purge of expired nonces) once a minute. Shutdown: stop accepting,
 * let in-flight requests finish (at most 10 s), give queued webhook
 * deliveries one last attempt (at most 2 s), then close the keystore,
 * which answers every queued write before it returns, and exit 0.
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

#include "broker.h"
#include "config.h"
#include "http.h"
#include "kbs_common.h"
#include "webhook.h"

#define SHUTDOWN_GRACE_SECONDS 10

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kbs --data-dir DIR [--listen HOST:PORT] "
	    "[--admin-listen HOST:PORT|unix:PATH]\n"
	    "           [--config FILE] [--trust-root ARK.pem]... "
	    "[--log-level error|warning|info|debug]\n"
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

static int
build_config(const struct args *a, struct kbs_config *cfg)
{
	char msg[512];
	size_t i;

	kbs_config_defaults(cfg);
	if (a->config != NULL && kbs_config_load(cfg, a->config, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "kbs: %s\n", msg);
		return 2;
	}
	if (a->listen != NULL)
		snprintf(cfg->listen, sizeof(cfg->listen), "%s", a->listen);
	if (a->admin_listen != NULL)
		snprintf(cfg->admin_listen, sizeof(cfg->admin_listen), "%s", a->admin_listen);
	if (a->log_level != NULL && kbs_config_log_level(a->log_level, &cfg->log_level) != 0) {
		fprintf(stderr, "kbs: --log-level: error, warning, info or debug\n");
		return 2;
	}
	cfg->no_audit_sync = a->no_audit_sync;
	for (i = 0; i < a->n_roots; i++)
		if (kbs_config_list_add(&cfg->trust_roots, a->roots[i]) != 0) {
			fprintf(stderr, "kbs: too many trust roots\n");
			return 2;
		}
	return 0;
}

/*
 * wait_signal waits for SIGTERM or SIGINT (masked in every thread by
 * main) and meanwhile runs the housekeeping every KBS_HOUSEKEEPING_SECONDS
 * (consumed nonces past their margin are purged, so the nonce table stays
 * the size of the traffic of the last few minutes).
 */
static int
wait_signal(struct kbs_broker *b, const sigset_t *set)
{
	const struct timespec period = { KBS_HOUSEKEEPING_SECONDS, 0 };
	size_t purged = 0;
	int sig, r;

	for (;;) {
		if ((sig = sigtimedwait(set, NULL, &period)) == SIGHUP) {
			/* Re-reading the configuration is not supported yet: say so, keep serving.
			 */
			kbs_log(KBS_LOG_WARNING,
			    "{\"event\":\"sighup\",\"note\":\"reload is not "
			    "supported; restart to apply a new configuration\"}");
			continue;
		}
		if (sig > 0)
			return sig;
		if (errno != EAGAIN)
			continue; /* EINTR */
		if ((r = kbs_broker_housekeeping(b, (int64_t)time(NULL), &purged)) != 0)
			kbs_log(KBS_LOG_WARNING, "{\"event\":\"housekeeping\",\"error\":\"%s\"}",
			    kbs_err_name(r));
		else if (purged > 0)
			kbs_log(KBS_LOG_DEBUG, "{\"event\":\"housekeeping\",\"nonces_purged\":%zu}",
			    purged);
	}
}

static void
drain(struct kbs_http *pub, struct kbs_http *adm)
{
	struct timespec t0, now, nap = { 0, 20 * 1000 * 1000 };

	kbs_http_quiesce(pub);
	kbs_http_quiesce(adm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (kbs_http_active(pub) + kbs_http_active(adm) == 0)
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
	struct kbs_http *pub = NULL, *adm = NULL;
	struct kbs_config cfg;
	struct args a;
	sigset_t set;
	char msg[1024];
	unsigned pub_port = 0, adm_port = 0;
	int first = 0, r, rc = 1, sig;

	if ((r = parse_args(argc, argv, &a)) != 0)
		return r;
	if ((r = build_config(&a, &cfg)) != 0)
		return r;
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
	if ((r = kbs_http_start(b, KBS_LISTENER_PUBLIC, cfg.listen, &pub_port, &pub)) != 0) {
		fprintf(stderr, "kbs: public listener %s: %s\n", cfg.listen, kbs_err_str(r));
		goto out;
	}
	if ((r = kbs_http_start(b, KBS_LISTENER_ADMIN, cfg.admin_listen, &adm_port, &adm)) != 0) {
		fprintf(stderr, "kbs: admin listener %s: %s\n", cfg.admin_listen, kbs_err_str(r));
		goto out;
	}
	if (first)
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

	sig = wait_signal(b, &set);
	kbs_log(KBS_LOG_INFO, "{\"event\":\"shutdown\",\"signal\":%d}", sig);
	notify("STOPPING=1");
	atomic_store(&b->ready, 0);
	drain(pub, adm);
	kbs_webhooks_drain(b->webhooks, KBS_WEBHOOK_DRAIN_MS);
	rc = 0;
out:
	kbs_http_stop(pub);
	kbs_http_stop(adm);
	kbs_broker_close(b);
	return rc;
}
