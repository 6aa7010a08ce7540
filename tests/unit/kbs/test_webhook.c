/*
 * Unit tests for kbs/webhook.c without a receiver: no webhooks is a no-op;
 * a bad secret file stops the start with its exact code and message; a
 * full queue drops and counts (deliveries that failed to connect keep
 * their slot for the retry, so a queue of 2 holds exactly 2); only the
 * subscribed kinds are queued; the drain gives each delivery one more
 * attempt and drops the rest as "shutdown" within its bound; emits after
 * it are dropped. The delivery paths against a real receiver are in
 * tests/integration/test_webhooks.sh.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "webhook.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kbs-webhook-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static const char *
key_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) != 0 ||
	    close(fd) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

/* series returns the value of one line of the exposition, or -1. */
static long long
series(struct kbs_metrics *m, const char *name)
{
	char *text = NULL, *p;
	size_t len = 0, n = strlen(name);
	long long v = -1;

	if (kbs_metrics_render(m, &text, &len) != 0)
		return -1;
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			v = strtoll(p + n + 1, NULL, 10);
			break;
		}
	free(text);
	return v;
}

static cJSON *
fields(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "request_id", "r1");
	return o;
}

static void
test_no_webhooks(void)
{
	struct kbs_config cfg;
	struct kbs_webhooks *w = NULL;
	char msg[256];
	uint64_t depth = 9;

	kbs_config_defaults(&cfg);
	CHECK_OK(kbs_webhooks_new(&cfg, NULL, &w, msg, sizeof(msg)));
	CHECK(!kbs_webhooks_wanted(w, KBS_METRICS_WEBHOOK_RELEASE));
	kbs_webhooks_emit(w, KBS_METRICS_WEBHOOK_RELEASE, 1, fields()); /* freed, not queued */
	CHECK_OK(kbs_webhooks_depth(w, &depth));
	CHECK_UINT_EQ(depth, 0);
	kbs_webhooks_drain(w, 100);
	kbs_webhooks_free(w);
	kbs_webhooks_free(NULL);
	CHECK(!kbs_webhooks_wanted(NULL, KBS_METRICS_WEBHOOK_RELEASE));
	kbs_webhooks_emit(NULL, KBS_METRICS_WEBHOOK_RELEASE, 1, fields());
}

static void
test_bad_key_file(void)
{
	struct kbs_config cfg;
	struct kbs_webhooks *w = NULL;
	char msg[512], want[512];
	const char *path = key_file(
	    "open.key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0644);

	kbs_config_defaults(&cfg);
	cfg.n_webhooks = 1;
	snprintf(cfg.webhooks[0].url, sizeof(cfg.webhooks[0].url), "http://127.0.0.1:1/");
	snprintf(cfg.webhooks[0].secret_file, sizeof(cfg.webhooks[0].secret_file), "%s", path);
	cfg.webhooks[0].events = 1u << KBS_METRICS_WEBHOOK_RELEASE;
	CHECK_ERR(kbs_webhooks_new(&cfg, NULL, &w, msg, sizeof(msg)), KBS_ERR_WEBHOOK_KEY_FILE);
	CHECK(w == NULL);
	snprintf(want, sizeof(want), "webhook 0: secret file %s: %s (webhook_key_file)", path,
	    kbs_err_str(KBS_ERR_WEBHOOK_KEY_FILE));
	CHECK_STR_EQ(msg, want);
	unlink(path);
}

static void
test_queue_full_and_drain(void)
{
	struct kbs_config cfg;
	struct kbs_metrics *m = NULL;
	struct kbs_webhooks *w = NULL;
	struct timespec t0, t1, nap = { 0, 300 * 1000 * 1000 };
	char msg[256];
	uint64_t depth = 0;
	long long ms;
	int i;
	const char *path = key_file(
	    "good.key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600);

	CHECK_OK(kbs_metrics_new(NULL, 0, &m));
	kbs_config_defaults(&cfg);
	cfg.webhook_queue = 2;
	cfg.n_webhooks = 1;
	/* Port 1 on loopback: every attempt is refused at once. */
	snprintf(cfg.webhooks[0].url, sizeof(cfg.webhooks[0].url), "http://127.0.0.1:1/hook");
	snprintf(cfg.webhooks[0].secret_file, sizeof(cfg.webhooks[0].secret_file), "%s", path);
	cfg.webhooks[0].events = 1u << KBS_METRICS_WEBHOOK_RELEASE;
	CHECK_OK(kbs_webhooks_new(&cfg, m, &w, msg, sizeof(msg)));
	CHECK(kbs_webhooks_wanted(w, KBS_METRICS_WEBHOOK_RELEASE));
	CHECK(!kbs_webhooks_wanted(w, KBS_METRICS_WEBHOOK_DENIAL));
	for (i = 0; i < 5; i++)
		kbs_webhooks_emit(w, KBS_METRICS_WEBHOOK_RELEASE, 1, fields());
	kbs_webhooks_emit(w, KBS_METRICS_WEBHOOK_DENIAL, 1, fields()); /* not subscribed */
	kbs_webhooks_emit(w, KBS_METRICS_WEBHOOK_RELEASE, 1, NULL);    /* out of memory */
	CHECK_INT_EQ(series(m, "kbs_webhook_events_total{kind=\"release\"}"), 6);
	CHECK_INT_EQ(series(m, "kbs_webhook_events_total{kind=\"denial\"}"), 0);
	CHECK_INT_EQ(series(m, "kbs_webhook_dropped_total{reason=\"queue_full\"}"), 4);
	CHECK_OK(kbs_webhooks_depth(w, &depth));
	CHECK_UINT_EQ(depth, 2);
	nanosleep(&nap, NULL); /* both first attempts fail; their retries are 1 s away */
	CHECK_INT_EQ(series(m, "kbs_webhook_deliveries_total{result=\"connect_error\"}"), 2);
	CHECK_OK(kbs_webhooks_depth(w, &depth));
	CHECK_UINT_EQ(depth, 2);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	kbs_webhooks_drain(w, 800);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms < 800); /* one refused attempt each, not the backoff */
	CHECK_INT_EQ(series(m, "kbs_webhook_deliveries_total{result=\"connect_error\"}"), 4);
	CHECK_INT_EQ(series(m, "kbs_webhook_dropped_total{reason=\"shutdown\"}"), 2);
	CHECK_OK(kbs_webhooks_depth(w, &depth));
	CHECK_UINT_EQ(depth, 0);
	kbs_webhooks_emit(w, KBS_METRICS_WEBHOOK_RELEASE, 1, fields());
	CHECK_INT_EQ(series(m, "kbs_webhook_dropped_total{reason=\"shutdown\"}"), 3);
	kbs_webhooks_free(w);
	kbs_metrics_free(m);
	unlink(path);
}

static void
teardown(void)
{
	rmdir(dir);
}

TEST_MAIN(TEST(setup), TEST(test_no_webhooks), TEST(test_bad_key_file),
    TEST(test_queue_full_and_drain), TEST(teardown))
