/*
 * bench_fill.c: fills a broker's store fast, for kbs-bench's large-store
 * measurement (docs/performance.md).
 *
 *   bench_fill DATA_DIR SECRETS AUDIT_RECORDS
 *
 * Opens DATA_DIR/store (a broker's data directory, the broker stopped)
 * with DATA_DIR/master.key through the keystore API under
 * KEYSTORE_NO_SYNC (nothing is flushed until the close: fast, and fine
 * for a store that is thrown away), imports SECRETS secrets "fill-N"
 * (32 bytes each, bound to the policy "kbs-bench", which kbs-bench's own
 * setup creates) in transactions of 20 000, each with its own audit record,
 * then appends bench_record.h's typical attestation record from 8 threads until the audit
 * log holds AUDIT_RECORDS records in all. Then, once, it flushes the
 * file: otherwise the broker started next would pay for writing back
 * hundreds of megabytes on its first durable commits (fdatasync writes
 * every dirty page of the file), which measured the disk's writeback, not
 * the store's size (throughput a third of the empty store's).
 * Exit 0, 1 on a failure, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbs_common.h"
#include "bench_record.h"
#include "keystore.h"

#define CHUNK 20000

/* flush_store: fsync of STORE/data.mdb, so the fill is on disk before the broker runs. */
static int
flush_store(const char *store)
{
	char path[4096];
	int fd, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", store) >= sizeof(path))
		return 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "bench_fill: %s: %s\n", path, strerror(errno));
		return 1;
	}
	r = fsync(fd);
	if (r != 0)
		fprintf(stderr, "bench_fill: fsync %s: %s\n", path, strerror(errno));
	close(fd);
	return r != 0;
}
#define WRITERS 8
#define FILL_MAX 100000000ul

struct appender {
	struct keystore *ks;
	atomic_ulong *left;
	int id;
	int err;
};

static void *
append_main(void *arg)
{
	static const char *const names[] = { "disk-key" };
	struct appender *w = arg;
	struct keystore_audit_record r;
	char rid[40];
	unsigned long n = 0;

	bench_record_fill(&r, rid, names);
	for (;;) {
		unsigned long left = atomic_load(w->left);

		if (left == 0)
			break;
		if (!atomic_compare_exchange_weak(w->left, &left, left - 1))
			continue;
		snprintf(rid, sizeof(rid), "fill-%d-%lu", w->id, n++);
		if ((w->err = keystore_audit_append(w->ks, &r, NULL)) != 0)
			break;
	}
	return NULL;
}

static int
parse_count(const char *s, unsigned long *ret)
{
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	*ret = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *ret <= FILL_MAX ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct keystore_actor actor = { KEYSTORE_ACTOR_KBS_STORE, NULL, NULL };
	struct keystore_key_source src;
	struct keystore_options opts;
	struct keystore *ks = NULL;
	struct appender w[WRITERS];
	pthread_t th[WRITERS];
	char store[4200], key[4200];
	unsigned long nsec, naudit;
	atomic_ulong left;
	int r, t, started = 0, rc = 1;

	if (argc != 4 || strlen(argv[1]) > 4000 || parse_count(argv[2], &nsec) != 0 ||
	    parse_count(argv[3], &naudit) != 0 || naudit < nsec) {
		fprintf(stderr,
		    "usage: bench_fill DATA_DIR SECRETS AUDIT_RECORDS   "
		    "(AUDIT_RECORDS >= SECRETS, at most %lu)\n",
		    FILL_MAX);
		return 2;
	}
	if (kbs_crypto_init() != 0)
		return 1;
	snprintf(store, sizeof(store), "%s/store", argv[1]);
	snprintf(key, sizeof(key), "%s/master.key", argv[1]);
	src.kind = KEYSTORE_KEY_FILE;
	src.name = key;
	memset(&opts, 0, sizeof(opts));
	opts.flags = KEYSTORE_NO_SYNC;
	if ((r = keystore_open(store, &src, &opts, &ks)) != 0) {
		fprintf(stderr, "bench_fill: %s: %s\n", store, kbs_err_str(r));
		return 1;
	}
	if ((r = bench_import(ks, nsec, CHUNK, "fill-", "kbs-bench", &actor)) != 0) {
		fprintf(stderr, "bench_fill: import: %s\n", kbs_err_str(r));
		goto out;
	}
	/* Every imported secret wrote one audit record already. */
	atomic_init(&left, naudit - nsec);
	for (t = 0; t < WRITERS; t++) {
		w[t] = (struct appender){ ks, &left, t, 0 };
		if (pthread_create(&th[t], NULL, append_main, &w[t]) != 0)
			break;
		started++;
	}
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	for (t = 0; t < started; t++)
		if (w[t].err != 0) {
			fprintf(stderr, "bench_fill: audit append: %s\n", kbs_err_str(w[t].err));
			goto out;
		}
	if (started != WRITERS || atomic_load(&left) != 0)
		goto out;
	printf("bench_fill: %lu secrets and %lu audit records added to %s\n", nsec, naudit, store);
	rc = 0;
out:
	keystore_close(ks);
	if (rc == 0 && (rc = flush_store(store)) == 0)
		printf("bench_fill: flushed to disk\n");
	return rc;
}
