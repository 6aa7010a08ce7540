/*
 * Unit tests for kbs/broker.c: the broker opened on a fresh data directory
 * (no listeners) and its housekeeping. Consumed nonces are purged only
 * KBS_NONCE_PURGE_MARGIN seconds after they expire: one just inside the
 * margin is still refused as reused after a purge, one past it is gone.
 * Rate keys group an IPv6 address by its /64 (not IPv4 on a dual-stack
 * socket); the refused-evidence audit budget holds per address, per /64
 * and for all addresses together, and 0 means none. A store whose master
 * or identity key went missing does not get a new one. A reload refuses
 * every restart-only setting and applies the live ones; the master key
 * may come from a systemd credential.
 */
#define _GNU_SOURCE /* nftw */
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "config.h"
#include "keystore.h"
#include "test.h"
#include "test_tree.h"

static const struct keystore_audit_record rec = { .event = "attest", .decision = "release" };

static void
test_housekeeping_purges_past_margin(void)
{
	char root[64] = "/tmp/kbs-broker-XXXXXX", dir[96], msg[512];
	struct kbs_broker *b = NULL;
	struct kbs_config cfg;
	uint8_t old_nonce[32], recent[32], fresh[32];
	const int64_t now = 1800000000;
	size_t purged = 99;
	int first = 0;

	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(dir, sizeof(dir), "%s/data", root);
	kbs_config_defaults(&cfg);
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	if (b == NULL) {
		fprintf(stderr, "kbs_broker_open: %s\n", msg);
		return;
	}
	CHECK_INT_EQ(first, 1);
	memset(old_nonce, 1, sizeof(old_nonce));
	memset(recent, 2, sizeof(recent));
	memset(fresh, 3, sizeof(fresh));
	CHECK_OK(
	    keystore_attest_commit(b->ks, old_nonce, now - KBS_NONCE_PURGE_MARGIN - 1, &rec, NULL));
	CHECK_OK(keystore_attest_commit(b->ks, recent, now - KBS_NONCE_PURGE_MARGIN, &rec, NULL));
	CHECK_OK(keystore_attest_commit(b->ks, fresh, now + 60, &rec, NULL));

	CHECK_OK(kbs_broker_housekeeping(b, now, &purged));
	CHECK_UINT_EQ(purged, 1);
	/* Inside the margin and unexpired: still consumed. */
	CHECK_ERR(
	    keystore_attest_commit(b->ks, recent, now, &rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	CHECK_ERR(
	    keystore_attest_commit(b->ks, fresh, now, &rec, NULL), KBS_ERR_STORE_NONCE_REUSED);
	/* Past the margin: gone (the nonce itself is long expired, so nonce_check refuses it). */
	CHECK_OK(keystore_attest_commit(b->ks, old_nonce, now, &rec, NULL));
	CHECK_OK(kbs_broker_housekeeping(b, now, NULL));
	CHECK_OK(kbs_broker_housekeeping(b, now, &purged));
	CHECK_UINT_EQ(purged, 0);

	kbs_broker_close(b);
	test_rm_rf(root);
}

static void
test_rate_key(void)
{
	static const struct {
		const char *addr, *key;
	} cases[] = {
		{ "192.0.2.1", "192.0.2.1" }, { "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64" }, { "::1", "::/64" },
		{ "::ffff:192.0.2.7", "::ffff:192.0.2.7" }, /* IPv4 on a dual-stack socket */
		{ "local", "local" },
		{ "fe80::1%eth0", "fe80::1%eth0" }, /* not an address inet_pton reads: as it is */
	};
	char key[KBS_ADDR_SIZE];
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(cases); i++) {
		kbs_broker_rate_key(cases[i].addr, key);
		CHECK_STR_EQ(key, cases[i].key);
	}
}

static void
test_refused_audit_budget(void)
{
	char root[64] = "/tmp/kbs-broker-XXXXXX", dir[96], msg[512], addr[64];
	struct kbs_broker *b = NULL;
	struct kbs_config cfg;
	const int64_t now = 1800000000;
	int first = 0, i, ok = 0;

	if (mkdtemp(root) == NULL)
		exit(2);
	snprintf(dir, sizeof(dir), "%s/data", root);
	kbs_config_defaults(&cfg);
	cfg.refused_audit_per_minute = 2;
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	if (b == NULL)
		return;
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "192.0.2.1", now), 1);
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "192.0.2.1", now), 1);
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "192.0.2.1", now), 0);
	/* Another address of the same /64 shares the budget. */
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "2001:db8::1", now), 1);
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "2001:db8::2", now), 1);
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "2001:db8::3", now), 0);
	/* 4 taken; many addresses together get at most 10 times 2 in all. */
	for (i = 0; i < 50; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		ok += kbs_broker_refused_audit_ok(b, addr, now);
	}
	CHECK_INT_EQ(ok, 2 * KBS_REFUSED_AUDIT_ALL_FACTOR - 4);
	/* A minute later the budgets have refilled. */
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "192.0.2.1", now + 60), 1);
	kbs_broker_close(b);
	test_rm_rf(root);

	/* 0 is none, not unlimited. */
	snprintf(root, sizeof(root), "/tmp/kbs-broker-XXXXXX");
	if (mkdtemp(root) == NULL)
		exit(2);
	snprintf(dir, sizeof(dir), "%s/data", root);
	cfg.refused_audit_per_minute = 0;
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	if (b == NULL)
		return;
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "192.0.2.1", now), 0);
	kbs_broker_close(b);
	test_rm_rf(root);
}

/*
 * Only a first start makes the master and identity keys: with a store in
 * place a missing one stops the broker (KBS_ERR_NOT_FOUND) and no new file
 * appears; a missing nonce key is made again.
 */
static void
test_lost_keys_not_replaced(void)
{
	char root[64] = "/tmp/kbs-broker-XXXXXX", dir[96], msg[512], path[160];
	static const char *const names[] = { "master.key", "identity.key" };
	struct kbs_broker *b = NULL;
	struct kbs_config cfg;
	struct stat st;
	int first = 0;
	size_t i;

	if (mkdtemp(root) == NULL)
		exit(2);
	snprintf(dir, sizeof(dir), "%s/data", root);
	kbs_config_defaults(&cfg);
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	kbs_broker_close(b);
	for (i = 0; i < KBS_ARRAY_SIZE(names); i++) {
		char saved[160];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(saved, sizeof(saved), "%s/%s.saved", root, names[i]);
		CHECK(rename(path, saved) == 0);
		b = NULL;
		CHECK_ERR(
		    kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)), KBS_ERR_NOT_FOUND);
		CHECK(b == NULL);
		CHECK(strstr(msg, names[i]) != NULL);
		CHECK(stat(path, &st) != 0); /* nothing made in its place */
		CHECK(rename(saved, path) == 0);
	}
	snprintf(path, sizeof(path), "%s/nonce.key", dir);
	CHECK(unlink(path) == 0);
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	CHECK_INT_EQ(first, 0);
	CHECK(stat(path, &st) == 0);
	kbs_broker_close(b);
	test_rm_rf(root);
}

/*
 * A reload: every restart-only setting changed alone is refused with
 * KBS_ERR_RELOAD_RESTART and its name; the live ones pass the check and
 * kbs_broker_reload applies them (the audit budget, the token lifetime).
 */
static void
test_reload(void)
{
	char root[64] = "/tmp/kbs-broker-XXXXXX", dir[96], msg[512];
	struct kbs_broker *b = NULL;
	static struct kbs_config cfg, next;
	const int64_t now = 1800000000;
	int first = 0;

	if (mkdtemp(root) == NULL)
		exit(2);
	snprintf(dir, sizeof(dir), "%s/data", root);
	kbs_config_defaults(&cfg);
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	if (b == NULL)
		return;
#define REFUSED(field_change, name) \
	do { \
		next = cfg; \
		field_change; \
		msg[0] = '\0'; \
		CHECK_INT_EQ( \
		    kbs_broker_reload_check(b, &next, msg, sizeof(msg)), KBS_ERR_RELOAD_RESTART); \
		CHECK_STR_EQ(msg, name ": changed; it takes effect only on a restart"); \
	} while (0)
	REFUSED(snprintf(next.listen, sizeof(next.listen), "127.0.0.1:1"), "listen");
	REFUSED(snprintf(next.admin_listen, sizeof(next.admin_listen), "unix:/x"), "admin_listen");
	REFUSED(snprintf(next.replica_id, sizeof(next.replica_id), "kbs-1"), "replica_id");
	REFUSED(next.nonce_lifetime = 121, "nonce_lifetime");
	REFUSED(CHECK_OK(kbs_config_list_add(&next.trust_roots, "/ark.pem")), "trust_roots");
	REFUSED(CHECK_OK(kbs_config_list_add(&next.cert_files, "/vcek.der")), "cert_files");
	REFUSED(CHECK_OK(kbs_config_list_add(&next.crls, "milan:vcek:/c")), "crls");
	REFUSED(snprintf(next.master_key_credential, sizeof(next.master_key_credential), "k"),
	    "master_key_credential");
	REFUSED(next.webhook_queue = 7, "webhooks");
	REFUSED(next.n_webhooks = 1, "webhooks");
	REFUSED(snprintf(next.kds_url, sizeof(next.kds_url), "http://127.0.0.1:9"),
	    "kds_url, kds_timeout, kds_cache_dir, crl_grace or kds_fetch");
	REFUSED(
	    next.kds_timeout = 9, "kds_url, kds_timeout, kds_cache_dir, crl_grace or kds_fetch");
	REFUSED(snprintf(next.kds_cache_dir, sizeof(next.kds_cache_dir), "/c"),
	    "kds_url, kds_timeout, kds_cache_dir, crl_grace or kds_fetch");
	REFUSED(next.crl_grace = 1, "kds_url, kds_timeout, kds_cache_dir, crl_grace or kds_fetch");
	REFUSED(next.kds_fetch = !cfg.kds_fetch,
	    "kds_url, kds_timeout, kds_cache_dir, crl_grace or kds_fetch");
	REFUSED(next.etcd.n_endpoints = 1, "etcd");
	REFUSED(next.etcd.max_lag = 3, "etcd");
	REFUSED(snprintf(next.etcd.prefix, sizeof(next.etcd.prefix), "/x/"), "etcd");
#undef REFUSED
	next = cfg;
	snprintf(next.tls_cert, sizeof(next.tls_cert), "/new.pem");
	next.refused_audit_per_minute = 0;
	next.token_lifetime = 77;
	next.rate_per_ip = 1;
	next.max_connections = 9;
	next.request_deadline = 5; /* each listener restarted by the reload takes it */
	next.log_level = cfg.log_level;
	CHECK_OK(kbs_broker_reload_check(b, &next, msg, sizeof(msg)));
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "192.0.2.1", now), 1);
	kbs_broker_reload(b, &next);
	CHECK_INT_EQ(kbs_broker_refused_audit_ok(b, "192.0.2.2", now), 0);
	CHECK_INT_EQ((int)atomic_load(&b->live.token_lifetime), 77);
	/* The start-up values stay in cfg: only live is read by requests. */
	CHECK_INT_EQ((int)b->cfg.token_lifetime, 300);
	kbs_broker_close(b);
	test_rm_rf(root);
}

/*
 * master_key_credential: a name with a slash is KBS_ERR_CONFIG; without
 * $CREDENTIALS_DIRECTORY KBS_ERR_NOT_FOUND; with it the key is read from
 * there and no DIR/master.key is made.
 */
static void
test_master_key_credential(void)
{
	char root[64] = "/tmp/kbs-broker-XXXXXX", dir[96], creds[96], path[160], msg[512];
	struct kbs_broker *b = NULL;
	static struct kbs_config cfg;
	struct stat st;
	FILE *f;
	int first = 0;

	if (mkdtemp(root) == NULL)
		exit(2);
	snprintf(dir, sizeof(dir), "%s/data", root);
	snprintf(creds, sizeof(creds), "%s/creds", root);
	kbs_config_defaults(&cfg);
	snprintf(cfg.master_key_credential, sizeof(cfg.master_key_credential), "../master.key");
	CHECK_INT_EQ(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)), KBS_ERR_CONFIG);
	snprintf(cfg.master_key_credential, sizeof(cfg.master_key_credential), "master.key");
	unsetenv("CREDENTIALS_DIRECTORY");
	CHECK_INT_EQ(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)), KBS_ERR_NOT_FOUND);
	CHECK(mkdir(creds, 0700) == 0);
	snprintf(path, sizeof(path), "%s/master.key", creds);
	CHECK((f = fopen(path, "w")) != NULL);
	if (f == NULL)
		return;
	fprintf(f, "%064x\n", 7);
	fclose(f);
	CHECK(chmod(path, 0600) == 0);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	CHECK_INT_EQ(first, 1);
	kbs_broker_close(b);
	b = NULL;
	snprintf(path, sizeof(path), "%s/master.key", dir);
	CHECK(stat(path, &st) != 0);
	/* The same store opens again from the credential. */
	CHECK_OK(kbs_broker_open(&cfg, dir, &b, &first, msg, sizeof(msg)));
	CHECK_INT_EQ(first, 0);
	kbs_broker_close(b);
	unsetenv("CREDENTIALS_DIRECTORY");
	test_rm_rf(root);
}

TEST_MAIN(TEST(test_reload), TEST(test_master_key_credential),
    TEST(test_housekeeping_purges_past_margin), TEST(test_lost_keys_not_replaced),
    TEST(test_rate_key), TEST(test_refused_audit_budget))
