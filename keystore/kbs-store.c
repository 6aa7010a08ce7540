/*
 * kbs-store: operator commands on a keystore directory, safe to run while
 * the broker runs (LMDB allows several processes):
 *
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) backup DEST
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) verify-audit
 *   kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) export-audit [--from-seq N] [--from-time T]
 *
 * Exit status: 0 on success, 1 when the command fails (verify-audit: the
 * chain is broken, and the first bad sequence number is printed), 2 on a
 * usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keystore.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) backup DEST\n"
	    "       kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) verify-audit\n"
	    "       kbs-store -d DIR (-k KEYFILE | -c CREDENTIAL) export-audit "
	    "[--from-seq N] [--from-time RFC3339]\n");
}

static int
parse_u64(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return KBS_ERR_NUMBER_RANGE;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != 0)
		return KBS_ERR_NUMBER_RANGE;
	*ret = v;
	return 0;
}

static int
cmd_export(struct keystore *ks, int argc, char **argv)
{
	uint64_t from_seq = 0, n = 0;
	int64_t from_time = 0;
	int i, r;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--from-seq") == 0 && i + 1 < argc) {
			if (parse_u64(argv[++i], &from_seq) != 0) {
				fprintf(stderr, "kbs-store: bad sequence number %.100s\n", argv[i]);
				return 2;
			}
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
	if ((r = keystore_audit_export(ks, stdout, from_seq, from_time, &n)) != 0) {
		fprintf(stderr, "kbs-store: export: %s\n", kbs_err_str(r));
		return 1;
	}
	fprintf(stderr, "kbs-store: exported %llu records\n", (unsigned long long)n);
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
	uint64_t count = 0, bad = 0;
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
	} else if (strcmp(cmd, "verify-audit") == 0 && i == argc) {
		r = keystore_audit_verify(ks, &count, &bad);
		if (r == 0) {
			printf("audit chain intact: %llu records\n", (unsigned long long)count);
			status = 0;
		} else if (r == KBS_ERR_STORE_AUDIT_CHAIN) {
			printf("audit chain broken at seq %llu\n", (unsigned long long)bad);
		} else {
			fprintf(stderr, "kbs-store: verify: %s\n", kbs_err_str(r));
		}
	} else if (strcmp(cmd, "export-audit") == 0) {
		status = cmd_export(ks, argc - i, argv + i);
	} else {
		usage();
		status = 2;
	}
	keystore_close(ks);
	return status;
}
