/*
 * kbs-store: operator commands on a keystore directory, safe to run while
 * the broker runs (LMDB allows several processes):
 *
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) backup DEST
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) verify
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) verify-audit [--expect-head SEQ:HASH]
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) export-audit [--from-seq N] [--from-time T]
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) rotate-key (-k NEWKEYFILE | -c NEWCREDENTIAL)
 *
 * rotate-key is the exception to "while the broker runs": stop it first.
 * A broker still holding the old key refuses every request that touches
 * the store (store_master_key) until it is started with the new one.
 *
 * verify checks the whole store (keystore_verify_state); verify-audit only the
 * audit chain, and with --expect-head that the log still extends a head
 * recorded earlier (printed by every export and verify). A head is
 * SEQ:HASH, the decimal sequence number and the 64 hex digits of that
 * record's SHA-256.
 *
 * Exit status: 0 on success, 1 when the command fails (a verify: what is
 * wrong is printed), 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "keystore.h"

#define HEAD_TEXT_LEN (20 + 1 + 64 + 1)

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) backup DEST\n"
	    "       kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) verify\n"
	    "       kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) verify-audit "
	    "[--expect-head SEQ:HASH]\n"
	    "       kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) export-audit "
	    "[--from-seq N] [--from-time RFC3339]\n"
	    "       kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) rotate-key "
	    "(-k NEWKEYFILE | -c NEWCREDENTIAL)\n");
}

static int
parse_u64(const char *s, size_t len, uint64_t *ret)
{
	char buf[24], *end = NULL;
	unsigned long long v;

	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return KBS_ERR_NUMBER_RANGE;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || *end != 0)
		return KBS_ERR_NUMBER_RANGE;
	*ret = v;
	return 0;
}

/* parse_head reads SEQ:HASH. */
static int
parse_head(const char *s, struct keystore_audit_head *ret)
{
	const char *colon = strchr(s, ':');

	if (colon == NULL || parse_u64(s, (size_t)(colon - s), &ret->seq) != 0)
		return KBS_ERR_INVALID_ARGUMENT;
	return kbs_hex_decode_exact(colon + 1, strlen(colon + 1), ret->sha256, 32);
}

static void
head_text(const struct keystore_audit_head *h, char out[HEAD_TEXT_LEN])
{
	char hex[65];

	if (kbs_hex_encode(h->sha256, 32, hex, sizeof(hex)) != 0)
		hex[0] = 0;
	snprintf(out, HEAD_TEXT_LEN, "%llu:%s", (unsigned long long)h->seq, hex);
}

static int
cmd_export(struct keystore *ks, int argc, char **argv)
{
	struct keystore_audit_head head;
	char ht[HEAD_TEXT_LEN];
	uint64_t from_seq = 0, n = 0;
	int64_t from_time = 0;
	int i, r;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--from-seq") == 0 && i + 1 < argc) {
			if (parse_u64(argv[i + 1], strlen(argv[i + 1]), &from_seq) != 0) {
				fprintf(
				    stderr, "kbs-store: bad sequence number %.100s\n", argv[i + 1]);
				return 2;
			}
			i++;
		} else if (strcmp(argv[i], "--from-time") == 0 && i + 1 < argc) {
			if (kbs_time_parse_rfc3339(argv[++i], &from_time) != 0) {
				fprintf(stderr, "kbs-store: bad time %.100s\n", argv[i]);
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}
	if ((r = keystore_audit_export(ks, stdout, from_seq, from_time, &n, &head)) != 0) {
		fprintf(stderr, "kbs-store: export: %s\n", kbs_err_str(r));
		return 1;
	}
	head_text(&head, ht);
	fprintf(
	    stderr, "kbs-store: exported %llu records; audit head %s\n", (unsigned long long)n, ht);
	return 0;
}

static int
cmd_verify_audit(struct keystore *ks, int argc, char **argv)
{
	struct keystore_audit_head head, expect;
	char ht[HEAD_TEXT_LEN];
	uint64_t count = 0, bad = 0;
	bool expecting = false;
	int r;

	if (argc == 2 && strcmp(argv[0], "--expect-head") == 0) {
		if (parse_head(argv[1], &expect) != 0) {
			fprintf(
			    stderr, "kbs-store: bad head %.100s (SEQ:HASH expected)\n", argv[1]);
			return 2;
		}
		expecting = true;
	} else if (argc != 0) {
		usage();
		return 2;
	}
	r = keystore_audit_verify(ks, &count, &bad, &head);
	if (r == KBS_ERR_STORE_AUDIT_CHAIN) {
		printf("audit chain broken at seq %llu\n", (unsigned long long)bad);
		return 1;
	}
	if (r != 0) {
		fprintf(stderr, "kbs-store: verify: %s\n", kbs_err_str(r));
		return 1;
	}
	head_text(&head, ht);
	printf("audit chain intact: %llu records, head %s\n", (unsigned long long)count, ht);
	if (!expecting)
		return 0;
	head_text(&expect, ht);
	if ((r = keystore_audit_expect_head(ks, &expect)) == 0) {
		printf("audit log extends the expected head %s\n", ht);
		return 0;
	}
	if (r == KBS_ERR_STORE_AUDIT_ROLLBACK)
		printf("audit log does not extend the expected head %s: rolled back or replaced\n",
		    ht);
	else
		fprintf(stderr, "kbs-store: expect-head: %s\n", kbs_err_str(r));
	return 1;
}

static int
cmd_verify(struct keystore *ks)
{
	struct keystore_verify_report rep;
	char ht[HEAD_TEXT_LEN];
	int r;

	r = keystore_verify_state(ks, &rep);
	if (r != 0) {
		printf("store verify failed: %s", kbs_err_str(r));
		if (rep.bad_kind != 0)
			printf(
			    ": %s %.255s", keystore_object_kind_name(rep.bad_kind), rep.bad_name);
		if (rep.bad_seq != 0)
			printf(" (audit record %llu)", (unsigned long long)rep.bad_seq);
		printf("\n");
		return 1;
	}
	head_text(&rep.head, ht);
	printf("store verified: %llu audit records, head %s; %zu secrets, %zu policies, %zu "
	       "tokens\n",
	    (unsigned long long)rep.records, ht, rep.secrets, rep.policies, rep.tokens);
	return 0;
}

/*
 * cmd_rotate makes the key named by argv (-k FILE or -c CREDENTIAL, which
 * must exist: a rotation never makes a key) the store's master key, in one
 * transaction (keystore_rotate), then appends the audit record the
 * rotation itself does not write, so the log says when the key changed.
 */
static int
cmd_rotate(struct keystore *ks, int argc, char **argv)
{
	struct keystore_key_source nsrc;
	struct keystore_audit_record rec;
	struct stat st;
	uint64_t seq = 0;
	int r;

	if (argc != 2 || (strcmp(argv[0], "-k") != 0 && strcmp(argv[0], "-c") != 0)) {
		usage();
		return 2;
	}
	nsrc.kind = argv[0][1] == 'k' ? KEYSTORE_KEY_FILE : KEYSTORE_KEY_CREDENTIAL;
	nsrc.name = argv[1];
	if (nsrc.kind == KEYSTORE_KEY_FILE && stat(nsrc.name, &st) != 0) {
		fprintf(stderr, "kbs-store: rotate-key: %.200s: %s\n", nsrc.name, strerror(errno));
		return 1;
	}
	if ((r = keystore_rotate(ks, &nsrc)) != 0) {
		fprintf(stderr, "kbs-store: rotate-key: %s (nothing changed)\n", kbs_err_str(r));
		return 1;
	}
	memset(&rec, 0, sizeof(rec));
	rec.time = (int64_t)time(NULL);
	rec.event = "master_key_rotate";
	rec.request_id = "";
	rec.decision = "";
	rec.rules = "";
	rec.policy_name = "";
	rec.client_addr = "";
	rec.actor = KEYSTORE_ACTOR_KBS_STORE;
	if ((r = keystore_audit_append(ks, &rec, &seq)) != 0) {
		fprintf(stderr,
		    "kbs-store: rotate-key: the key is rotated, but its audit record failed: %s\n",
		    kbs_err_str(r));
		return 1;
	}
	printf("master key rotated; audit record %llu\n", (unsigned long long)seq);
	return 0;
}

int
main(int argc, char **argv)
{
	struct keystore_key_source src = { KEYSTORE_KEY_FILE, NULL };
	struct keystore *ks = NULL;
	const char *dir = NULL, *cmd;
	char data[4096];
	struct stat st;
	int i, r, status = 1;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-d") == 0) {
			dir = argv[i + 1];
		} else if (strcmp(argv[i], "-k") == 0) {
			src.kind = KEYSTORE_KEY_FILE;
			src.name = argv[i + 1];
		} else if (strcmp(argv[i], "-c") == 0) {
			src.kind = KEYSTORE_KEY_CREDENTIAL;
			src.name = argv[i + 1];
		} else {
			usage();
			return 2;
		}
	}
	if (dir == NULL || src.name == NULL || i >= argc) {
		usage();
		return 2;
	}
	cmd = argv[i++];
	/* Never create a store by accident: the directory must hold one. */
	snprintf(data, sizeof(data), "%s/data.mdb", dir);
	if (stat(data, &st) != 0) {
		fprintf(stderr, "kbs-store: %.200s: no store there\n", dir);
		return 1;
	}
	if ((r = keystore_open(dir, &src, NULL, &ks)) != 0) {
		fprintf(stderr, "kbs-store: cannot open %.200s: %s\n", dir, kbs_err_str(r));
		return 1;
	}
	if (strcmp(cmd, "backup") == 0 && i + 1 == argc) {
		if ((r = keystore_backup(ks, argv[i])) != 0)
			fprintf(
			    stderr, "kbs-store: backup to %.200s: %s\n", argv[i], kbs_err_str(r));
		else
			status = 0;
	} else if (strcmp(cmd, "verify") == 0 && i == argc) {
		status = cmd_verify(ks);
	} else if (strcmp(cmd, "verify-audit") == 0) {
		status = cmd_verify_audit(ks, argc - i, argv + i);
	} else if (strcmp(cmd, "export-audit") == 0) {
		status = cmd_export(ks, argc - i, argv + i);
	} else if (strcmp(cmd, "rotate-key") == 0) {
		status = cmd_rotate(ks, argc - i, argv + i);
	} else {
		usage();
		status = 2;
	}
	keystore_close(ks);
	return status;
}
