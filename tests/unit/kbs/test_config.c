/*
 * Unit tests for kbs/config.c: the defaults, a file that sets every kind
 * of setting, and each refusal with its exact message, which names the
 * file, the line and column of the fault and the setting: unknown keys
 * (with "did you mean"), duplicates, wrong types, numbers out of range,
 * bad log levels, list limits, TLS halves, JSON syntax, a file that is
 * not an object, missing or too large; the webhooks list (members, URLs,
 * event names, entry count). A refused file leaves what it set
 * before the fault only in the caller's copy: main exits on any error.
 */
#include <unistd.h>

#include "config.h"
#include "metrics.h"
#include "test.h"

static char dir[64];

static const char *
write_cfg(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

/* refused checks that text is refused with KBS_ERR_CONFIG and exactly want after "PATH:". */
static void
refused(const char *text, const char *want)
{
	struct kbs_config cfg;
	char msg[512], full[700];
	const char *path = write_cfg("bad.json", text);

	kbs_config_defaults(&cfg);
	CHECK_ERR(kbs_config_load(&cfg, path, msg, sizeof(msg)), KBS_ERR_CONFIG);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	if (strcmp(msg, full) != 0)
		fprintf(stderr, "for %s\n  got  %s\n  want %s\n", text, msg, full);
	CHECK_STR_EQ(msg, full);
}

static void
test_defaults(void)
{
	struct kbs_config cfg;

	kbs_config_defaults(&cfg);
	CHECK_STR_EQ(cfg.listen, "127.0.0.1:8080");
	CHECK_STR_EQ(cfg.admin_listen, "127.0.0.1:8081");
	CHECK_STR_EQ(cfg.replica_id, "kbs-0");
	CHECK_UINT_EQ(cfg.max_body, 256u << 10);
	CHECK_UINT_EQ(cfg.nonce_lifetime, 120);
	CHECK_UINT_EQ(cfg.token_lifetime, 300);
	CHECK_UINT_EQ(cfg.refused_audit_per_minute, 6);
	CHECK_UINT_EQ(cfg.request_deadline, 30);
	CHECK_UINT_EQ(cfg.trust_roots.n, 0);
	CHECK_INT_EQ(cfg.allow_stale_crl, 0);
	CHECK_INT_EQ(cfg.log_level, KBS_LOG_INFO);
}

static void
test_every_kind(void)
{
	struct kbs_config cfg;
	char msg[512];
	const char *path = write_cfg("good.json",
	    "{\n  \"listen\": \"0.0.0.0:9000\",\n  \"replica_id\": \"kbs-7\",\n"
	    "  \"trust_roots\": [\"/a.pem\", \"/b.pem\"],\n  \"max_body\": 4096,\n"
	    "  \"rate_per_ip\": 0,\n  \"allow_stale_crl\": true,\n  \"log_level\": \"debug\",\n"
	    "  \"tls_cert\": \"/c.pem\", \"tls_key\": \"/k.pem\"\n}\n");

	kbs_config_defaults(&cfg);
	CHECK_OK(kbs_config_load(&cfg, path, msg, sizeof(msg)));
	CHECK_STR_EQ(msg, "");
	CHECK_STR_EQ(cfg.listen, "0.0.0.0:9000");
	CHECK_STR_EQ(cfg.admin_listen, "127.0.0.1:8081"); /* untouched */
	CHECK_STR_EQ(cfg.replica_id, "kbs-7");
	CHECK_UINT_EQ(cfg.trust_roots.n, 2);
	CHECK_STR_EQ(cfg.trust_roots.item[1], "/b.pem");
	CHECK_UINT_EQ(cfg.max_body, 4096);
	CHECK_UINT_EQ(cfg.rate_per_ip, 0);
	CHECK_INT_EQ(cfg.allow_stale_crl, 1);
	CHECK_INT_EQ(cfg.log_level, KBS_LOG_DEBUG);
	CHECK_STR_EQ(cfg.tls_key, "/k.pem");
}

static void
test_refusals(void)
{
	char many[4096];
	size_t off = 0;
	int i;

	refused(
	    "{\n  \"listn\": \"x\"\n}", "2:3: listn: unknown setting (did you mean \"listen\"?)");
	refused("{\"frobnicate\": 1}", "1:2: frobnicate: unknown setting");
	refused("{\"threads\": 1,\n \"threads\": 2}",
	    "2:2: duplicate key \"threads\" (first at line 1, column 2)");
	refused("{\"threads\": \"4\"}", "1:13: threads: must be an integer from 0 to 256");
	refused("{\"threads\": 257}", "1:13: threads: must be an integer from 0 to 256");
	refused("{\"threads\": -1}", "1:13: threads: must be an integer from 0 to 256");
	refused("{\"threads\": 2.0}", "1:13: threads: must be an integer from 0 to 256");
	refused("{\"max_body\": 4095}", "1:14: max_body: must be an integer from 4096 to 16777216");
	refused("{\"nonce_lifetime\": 99999999999999999999}",
	    "1:20: nonce_lifetime: must be an integer from 5 to 3600");
	refused("{\"listen\": 8080}", "1:12: listen: must be a string");
	refused("{\"request_deadline\": 0}",
	    "1:22: request_deadline: must be an integer from 1 to 3600");
	refused("{\"request_deadline\": 3601}",
	    "1:22: request_deadline: must be an integer from 1 to 3600");
	refused("{\"allow_stale_crl\": 1}", "1:21: allow_stale_crl: must be true or false");
	refused("{\"log_level\": \"loud\"}",
	    "1:15: log_level: must be \"error\", \"warning\", \"info\" or \"debug\"");
	refused(
	    "{\"trust_roots\": \"/a.pem\"}", "1:17: trust_roots: must be an array of file names");
	refused("{\"crls\": [\"\"]}", "1:11: crls: must hold non-empty strings");
	refused("{\"tls_cert\": \"/c.pem\"}", "1:1: tls_cert and tls_key go together");
	refused("[1]", "1:1: the configuration must be a JSON object");
	refused("{\"threads\": 1,}", "1:15: expected a member name in quotes");
	/* Seventeen trust roots: one more than the list holds. */
	off += (size_t)snprintf(many + off, sizeof(many) - off, "{\"trust_roots\": [");
	for (i = 0; i < KBS_CONFIG_MAX_LIST + 1; i++)
		off +=
		    (size_t)snprintf(many + off, sizeof(many) - off, "%s\"/r%d\"", i ? "," : "", i);
	snprintf(many + off, sizeof(many) - off, "]}");
	refused(many, "1:120: trust_roots: has too many or too long entries");
}

/* The TLS members of "etcd": set together with https:// endpoints only, each refusal exact. */
static void
test_etcd_tls(void)
{
	struct kbs_config cfg;
	char msg[512];
	const char *path = write_cfg("etcd-tls.json",
	    "{\"etcd\": {\"endpoints\": [\"https://10.0.0.1:2379\", \"https://e:2379\"],\n"
	    " \"ca_file\": \"/etc/kbs/ca.pem\", \"cert_file\": \"/etc/kbs/c.pem\",\n"
	    " \"key_file\": \"c.key\"}}");

	kbs_config_defaults(&cfg);
	CHECK_STR_EQ(cfg.etcd.ca_file, "");
	CHECK_STR_EQ(cfg.etcd.cert_file, "");
	CHECK_STR_EQ(cfg.etcd.key_file, "");
	CHECK_INT_EQ(kbs_config_load(&cfg, path, msg, sizeof(msg)), 0);
	CHECK_STR_EQ(cfg.etcd.ca_file, "/etc/kbs/ca.pem");
	CHECK_STR_EQ(cfg.etcd.cert_file, "/etc/kbs/c.pem");
	CHECK_STR_EQ(cfg.etcd.key_file, "c.key");
	/* ca_file alone: a private CA, no client certificate. */
	path = write_cfg("etcd-tls2.json",
	    "{\"etcd\": {\"endpoints\": [\"https://e:1\"], \"ca_file\": \"/ca.pem\"}}");
	kbs_config_defaults(&cfg);
	CHECK_INT_EQ(kbs_config_load(&cfg, path, msg, sizeof(msg)), 0);
	CHECK_STR_EQ(cfg.etcd.ca_file, "/ca.pem");
	CHECK_STR_EQ(cfg.etcd.cert_file, "");

	refused("{\"etcd\": {\"endpoints\": [\"https://e:1\"], \"cert_file\": \"/c.pem\"}}",
	    "1:10: etcd.cert_file: needs key_file (set both or neither)");
	refused("{\"etcd\": {\"endpoints\": [\"https://e:1\"], \"key_file\": \"/c.key\"}}",
	    "1:10: etcd.key_file: needs cert_file (set both or neither)");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"ca_file\": \"/ca.pem\"}}",
	    "1:10: etcd.ca_file: needs every endpoint to be https://");
	refused("{\"etcd\": {\"endpoints\": [\"https://e:1\", \"http://f:1\"], "
		"\"cert_file\": \"/c.pem\", \"key_file\": \"/c.key\"}}",
	    "1:10: etcd.cert_file: needs every endpoint to be https://");
	refused("{\"etcd\": {\"endpoints\": [\"https://e:1\"], \"ca_file\": \"\"}}",
	    "1:52: etcd.ca_file: must be a file name (1 to 1023 bytes, no NUL)");
	refused("{\"etcd\": {\"endpoints\": [\"https://e:1\"], \"ca_file\": 1}}",
	    "1:52: etcd.ca_file: must be a file name (1 to 1023 bytes, no NUL)");
	refused("{\"etcd\": {\"endpoints\": [\"https://e:1\"], \"key_file\": \"/a\\u0000b\"}}",
	    "1:56: \\u0000 is not allowed in strings"); /* the reader's refusal, first */
	refused("{\"etcd\": {\"endpoints\": [\"https://e:1\"], \"cert_file\": \"/a\", "
		"\"cert_file\": \"/b\"}}",
	    "1:60: duplicate key \"cert_file\" (first at line 1, column 41)");
}

/* The "etcd" object: what it sets, its defaults, and each refusal. */
static void
test_etcd(void)
{
	struct kbs_config cfg;
	char msg[512];
	const char *path = write_cfg("etcd.json",
	    "{\"etcd\": {\"endpoints\": [\"http://10.0.0.1:2379\", \"https://[fd00::1]:2379\"],\n"
	    " \"prefix\": \"/kbs-prod/\", \"timeout\": \"500ms\", \"max_lag\": 7}}");

	kbs_config_defaults(&cfg);
	CHECK_UINT_EQ(cfg.etcd.n_endpoints, 0); /* off */
	CHECK_STR_EQ(cfg.etcd.prefix, "/kbs/");
	CHECK_UINT_EQ(cfg.etcd.timeout_ms, 2000);
	CHECK_UINT_EQ(cfg.etcd.max_lag, 1000);
	CHECK_OK(kbs_config_load(&cfg, path, msg, sizeof(msg)));
	CHECK_UINT_EQ(cfg.etcd.n_endpoints, 2);
	CHECK_STR_EQ(cfg.etcd.endpoints[1], "https://[fd00::1]:2379");
	CHECK_STR_EQ(cfg.etcd.prefix, "/kbs-prod/");
	CHECK_UINT_EQ(cfg.etcd.timeout_ms, 500);
	CHECK_UINT_EQ(cfg.etcd.max_lag, 7);
	path = write_cfg(
	    "etcd2.json", "{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"timeout\": \"3s\"}}");
	kbs_config_defaults(&cfg);
	CHECK_OK(kbs_config_load(&cfg, path, msg, sizeof(msg)));
	CHECK_UINT_EQ(cfg.etcd.timeout_ms, 3000);
	CHECK_STR_EQ(cfg.etcd.prefix, "/kbs/");

	refused("{\"etcd\": []}", "1:10: etcd: must be an object");
	refused("{\"etcd\": {}}", "1:10: etcd.endpoints: is required");
	refused("{\"etcd\": {\"endpoints\": []}}",
	    "1:24: etcd.endpoints: must be a non-empty array of URLs");
	refused("{\"etcd\": {\"endpoints\": [\"ftp://e:1\"]}}",
	    "1:25: etcd.endpoints: must hold http://HOST:PORT or https://HOST:PORT URLs without a "
	    "path");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1/v3\"]}}",
	    "1:25: etcd.endpoints: must hold http://HOST:PORT or https://HOST:PORT URLs without a "
	    "path");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:0\"]}}",
	    "1:25: etcd.endpoints: must hold http://HOST:PORT or https://HOST:PORT URLs without a "
	    "path");
	refused("{\"etcd\": {\"endpoints\": [\"http://e\"]}}",
	    "1:25: etcd.endpoints: must hold http://HOST:PORT or https://HOST:PORT URLs without a "
	    "path");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\",\"http://e:1\",\"http://e:1\","
		"\"http://e:1\",\"http://e:1\",\"http://e:1\",\"http://e:1\",\"http://e:1\","
		"\"http://e:1\"]}}",
	    "1:129: etcd.endpoints: has more than 8 entries");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"prefix\": \"kbs/\"}}",
	    "1:50: etcd.prefix: must start and end with '/', at most 200 bytes of [A-Za-z0-9._/-]");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"prefix\": \"/kbs\"}}",
	    "1:50: etcd.prefix: must start and end with '/', at most 200 bytes of [A-Za-z0-9._/-]");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"prefix\": \"/k b/\"}}",
	    "1:50: etcd.prefix: must start and end with '/', at most 200 bytes of [A-Za-z0-9._/-]");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"timeout\": \"2\"}}",
	    "1:51: etcd.timeout: must be a duration from \"100ms\" to \"60s\" (\"Ns\" or \"Nms\")");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"timeout\": \"99ms\"}}",
	    "1:51: etcd.timeout: must be a duration from \"100ms\" to \"60s\" (\"Ns\" or \"Nms\")");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"timeout\": \"61s\"}}",
	    "1:51: etcd.timeout: must be a duration from \"100ms\" to \"60s\" (\"Ns\" or \"Nms\")");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"max_lag\": 0}}",
	    "1:51: etcd.max_lag: must be an integer from 1 to 100000000");
	refused("{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"prefx\": \"/a/\"}}",
	    "1:40: etcd.prefx: unknown setting");
	refused(
	    "{\"etcd\": {\"endpoints\": [\"http://e:1\"], \"prefix\": \"/a/\", \"prefix\": \"/b/\"}}",
	    "1:57: duplicate key \"prefix\" (first at line 1, column 40)");
	test_etcd_tls();
}

static void
test_file_errors(void)
{
	struct kbs_config cfg;
	char msg[512], path[128], *big;
	FILE *f;

	kbs_config_defaults(&cfg);
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	CHECK(kbs_config_load(&cfg, path, msg, sizeof(msg)) != 0);
	CHECK(strncmp(msg, path, strlen(path)) == 0);
	/* One byte over the limit. */
	snprintf(path, sizeof(path), "%s/big.json", dir);
	if ((big = malloc(KBS_CONFIG_MAX_FILE + 1)) == NULL || (f = fopen(path, "w")) == NULL)
		exit(2);
	memset(big, ' ', KBS_CONFIG_MAX_FILE + 1);
	big[0] = '{';
	big[KBS_CONFIG_MAX_FILE] = '}';
	if (fwrite(big, 1, KBS_CONFIG_MAX_FILE + 1, f) != KBS_CONFIG_MAX_FILE + 1 || fclose(f) != 0)
		exit(2);
	free(big);
	CHECK_ERR(kbs_config_load(&cfg, path, msg, sizeof(msg)), KBS_ERR_TOO_LARGE);
}

static void
test_list_add(void)
{
	struct kbs_config_list l;
	char longest[KBS_CONFIG_PATH_MAX + 1];
	int i;

	memset(&l, 0, sizeof(l));
	memset(longest, 'a', sizeof(longest));
	longest[KBS_CONFIG_PATH_MAX] = '\0';
	CHECK_ERR(kbs_config_list_add(&l, longest), KBS_ERR_TOO_LARGE);
	longest[KBS_CONFIG_PATH_MAX - 1] = '\0';
	CHECK_OK(kbs_config_list_add(&l, longest));
	for (i = 1; i < KBS_CONFIG_MAX_LIST; i++)
		CHECK_OK(kbs_config_list_add(&l, "/x"));
	CHECK_ERR(kbs_config_list_add(&l, "/x"), KBS_ERR_TOO_LARGE);
	CHECK_UINT_EQ(l.n, KBS_CONFIG_MAX_LIST);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kbs-config-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
}

static void
teardown(void)
{
	char path[128];
	const char *names[] = { "bad.json", "good.json", "big.json" };
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

static void
test_webhooks(void)
{
	struct kbs_config cfg;
	char msg[512];
	const char *path = write_cfg("hooks.json",
	    "{\"webhook_queue\": 16, \"webhooks\": [\n"
	    " {\"url\": \"http://127.0.0.1:9/hook\", \"events\": [\"release\", \"denial\"],"
	    " \"secret_file\": \"/k1\"},\n"
	    " {\"secret_file\": \"/k2\", \"url\": \"https://siem.example/kbs\", \"events\":"
	    " [\"policy_change\", \"audit_chain_failure\", \"token_revoked\"]}]}\n");

	kbs_config_defaults(&cfg);
	CHECK_UINT_EQ(cfg.webhook_queue, 1024);
	CHECK_UINT_EQ(cfg.n_webhooks, 0);
	CHECK_OK(kbs_config_load(&cfg, path, msg, sizeof(msg)));
	CHECK_UINT_EQ(cfg.webhook_queue, 16);
	CHECK_UINT_EQ(cfg.n_webhooks, 2);
	CHECK_STR_EQ(cfg.webhooks[0].url, "http://127.0.0.1:9/hook");
	CHECK_STR_EQ(cfg.webhooks[0].secret_file, "/k1");
	CHECK_UINT_EQ(cfg.webhooks[0].events,
	    (1u << KBS_METRICS_WEBHOOK_RELEASE) | (1u << KBS_METRICS_WEBHOOK_DENIAL));
	CHECK_STR_EQ(cfg.webhooks[1].url, "https://siem.example/kbs");
	CHECK_UINT_EQ(cfg.webhooks[1].events,
	    (1u << KBS_METRICS_WEBHOOK_POLICY_CHANGE) |
		(1u << KBS_METRICS_WEBHOOK_AUDIT_CHAIN_FAILURE) |
		(1u << KBS_METRICS_WEBHOOK_TOKEN_REVOKED));
	/* An empty list is no webhook at all. */
	path = write_cfg("nohooks.json", "{\"webhooks\": []}");
	CHECK_OK(kbs_config_load(&cfg, path, msg, sizeof(msg)));
	CHECK_UINT_EQ(cfg.n_webhooks, 0);

	refused("{\"webhooks\": {}}", "1:14: webhooks: must be an array of objects");
	refused(
	    "{\"webhooks\": [1]}", "1:15: webhooks: must hold objects {url, events, secret_file}");
	refused("{\"webhooks\": [{\"url\": \"http://h\", \"events\": [\"release\"], "
		"\"secret_file\": \"/k\", \"retries\": 3}]}",
	    "1:79: webhooks: retries: unknown member (url, events, secret_file)");
	refused("{\"webhooks\": [{\"url\": \"http://h\", \"events\": [\"release\"]}]}",
	    "1:15: webhooks: an entry lacks \"secret_file\"");
	refused("{\"webhooks\": [{\"events\": [\"release\"], \"secret_file\": \"/k\"}]}",
	    "1:15: webhooks: an entry lacks \"url\"");
	refused("{\"webhooks\": [{\"url\": \"ftp://h\", \"events\": [\"release\"], "
		"\"secret_file\": \"/k\"}]}",
	    "1:23: webhooks: url: must be an http:// or https:// URL without spaces, shorter than "
	    "1024 bytes");
	refused("{\"webhooks\": [{\"url\": \"http://\", \"events\": [\"release\"], "
		"\"secret_file\": \"/k\"}]}",
	    "1:23: webhooks: url: must be an http:// or https:// URL without spaces, shorter than "
	    "1024 bytes");
	refused("{\"webhooks\": [{\"url\": \"http://h /x\", \"events\": [\"release\"], "
		"\"secret_file\": \"/k\"}]}",
	    "1:23: webhooks: url: must be an http:// or https:// URL without spaces, shorter than "
	    "1024 bytes");
	refused("{\"webhooks\": [{\"url\": \"http://h\", \"events\": [\"release\", \"rotate\"], "
		"\"secret_file\": \"/k\"}]}",
	    "1:57: webhooks: events: must name release, denial, policy_change, "
	    "audit_chain_failure or token_revoked");
	refused("{\"webhooks\": [{\"url\": \"http://h\", \"events\": [\"denial\", \"denial\"], "
		"\"secret_file\": \"/k\"}]}",
	    "1:56: webhooks: events: names an event twice");
	refused(
	    "{\"webhooks\": [{\"url\": \"http://h\", \"events\": [], \"secret_file\": \"/k\"}]}",
	    "1:45: webhooks: events: must be a non-empty array of event names");
	refused("{\"webhooks\": [{\"url\": \"http://h\", \"events\": [\"release\"], "
		"\"secret_file\": \"\"}]}",
	    "1:73: webhooks: secret_file: must be a file name (1 to 1023 bytes)");
	refused(
	    "{\"webhook_queue\": 0}", "1:19: webhook_queue: must be an integer from 1 to 65536");
	{
		char text[2048];
		size_t i, o = 0;

		o += (size_t)snprintf(text + o, sizeof(text) - o, "{\"webhooks\": [");
		for (i = 0; i < 9; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o,
			    "%s{\"url\":\"http://h\",\"events\":[\"release\"],\"secret_file\":\"/k\"}",
			    i > 0 ? "," : "");
		snprintf(text + o, sizeof(text) - o, "]}");
		refused(text, "1:487: webhooks: has more than 8 entries");
	}
}

TEST_MAIN(TEST(setup), TEST(test_defaults), TEST(test_every_kind), TEST(test_refusals),
    TEST(test_etcd), TEST(test_file_errors), TEST(test_list_add), TEST(test_webhooks),
    TEST(teardown))
