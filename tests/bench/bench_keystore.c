/*
 * bench_keystore.c: keystore throughput and latency (docs/performance.md).
 *
 *   1. Durable writes per second, each write one audit record of a typical
 *      attestation (about 400 bytes), by 1, 8 and 64 concurrent writers,
 *      in four modes: group commit (the default), one durable commit per
 *      write, and each of those with sync disabled (MDB_NOSYNC, NOT
 *      durable, for comparison only).
 *   2. Lookup latency (keystore_secret_get: read transaction, B-tree
 *      search, decrypt, copy) at 10^3 and 10^6 secrets, random names.
 *
 * Usage: bench_keystore [--dir DIR] [--seconds S] [--lookups N] [--big]
 *                       [--writes-only | --lookups-only]
 *   --dir      where to create the stores (default /var/tmp); it must be on
 *              the disk you care about: on tmpfs fsync costs nothing
 *   --seconds  per write case (default 3)
 *   --big      10 s per write case, 10^7 secrets as a third lookup size
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_record.h"
#include "keystore.h"
#include "test_tree.h"

uint64_t keystore_test_batches(struct keystore *ks); /* keystore-int.h */

#define MAX_LAT 2000000

static const char *bench_root = "/var/tmp";

struct store {
	char root[256];
	char dir[300];
	char key[300];
	struct keystore_key_source src;
};

static void
store_make(struct store *s)
{
	uint8_t key[32];
	int fd;

	snprintf(s->root, sizeof(s->root), "%s/kbs-bench-XXXXXX", bench_root);
	if (mkdtemp(s->root) == NULL) {
		perror(s->root);
		exit(1);
	}
	snprintf(s->dir, sizeof(s->dir), "%s/data", s->root);
	snprintf(s->key, sizeof(s->key), "%s/master.key", s->root);
	memset(key, 0x42, sizeof(key));
	fd = open(s->key, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, key, sizeof(key)) != (ssize_t)sizeof(key)) {
		perror(s->key);
		exit(1);
	}
	close(fd);
	s->src.kind = KEYSTORE_KEY_FILE;
	s->src.name = s->key;
}

static void
store_drop(struct store *s)
{
	test_rm_rf(s->root);
}

static struct keystore *
store_open(struct store *s, unsigned flags)
{
	struct keystore_options opts = { 256u << 20, 0, flags, NULL, NULL };
	struct keystore *ks = NULL;
	int r = keystore_open(s->dir, &s->src, &opts, &ks);

	if (r != 0) {
		fprintf(stderr, "keystore_open: %s\n", kbs_err_str(r));
		exit(1);
	}
	return ks;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- writes ------------------------------------------------------------ */

struct writer {
	struct keystore *ks;
	int id;
	uint64_t deadline;
	uint64_t ops;
	uint64_t *lat;
	size_t nlat, maxlat;
	int err;
};

static void *
writer_main(void *arg)
{
	static const char *const names[] = { "disk-key" };
	struct writer *w = arg;
	struct keystore_audit_record r;
	char rid[40];
	uint64_t t0, t1;
	int rc;

	bench_record_fill(&r, rid, names);
	for (;;) {
		t0 = kbs_time_monotonic_ns();
		if (t0 >= w->deadline)
			break;
		snprintf(rid, sizeof(rid), "w%d-%llu", w->id, (unsigned long long)w->ops);
		if ((rc = keystore_audit_append(w->ks, &r, NULL)) != 0) {
			w->err = rc;
			break;
		}
		t1 = kbs_time_monotonic_ns();
		if (w->nlat < w->maxlat)
			w->lat[w->nlat++] = t1 - t0;
		w->ops++;
	}
	return NULL;
}

static double
run_writes(unsigned flags, int nwriters, double seconds, double *ret_p50, double *ret_p99,
    double *ret_batch)
{
	struct store s;
	struct keystore *ks;
	struct writer *w = calloc((size_t)nwriters, sizeof(*w));
	pthread_t *th = calloc((size_t)nwriters, sizeof(*th));
	uint64_t start, end, ops = 0, b0, *all;
	size_t nall = 0, per = MAX_LAT / (size_t)nwriters;
	int i;

	store_make(&s);
	ks = store_open(&s, flags);
	b0 = keystore_test_batches(ks);
	start = kbs_time_monotonic_ns();
	for (i = 0; i < nwriters; i++) {
		w[i].ks = ks;
		w[i].id = i;
		w[i].deadline = start + (uint64_t)(seconds * 1e9);
		w[i].maxlat = per;
		w[i].lat = malloc(per * sizeof(uint64_t));
		if (pthread_create(&th[i], NULL, writer_main, &w[i]) != 0)
			exit(1);
	}
	all = malloc(MAX_LAT * sizeof(uint64_t));
	for (i = 0; i < nwriters; i++) {
		pthread_join(th[i], NULL);
		if (w[i].err != 0) {
			fprintf(stderr, "write failed: %s\n", kbs_err_str(w[i].err));
			exit(1);
		}
		ops += w[i].ops;
		memcpy(all + nall, w[i].lat, w[i].nlat * sizeof(uint64_t));
		nall += w[i].nlat;
		free(w[i].lat);
	}
	end = kbs_time_monotonic_ns();
	qsort(all, nall, sizeof(uint64_t), cmp_u64);
	*ret_p50 = nall > 0 ? (double)all[nall / 2] / 1e3 : 0;
	*ret_p99 = nall > 0 ? (double)all[nall * 99 / 100] / 1e3 : 0;
	*ret_batch = (double)ops / (double)(keystore_test_batches(ks) - b0);
	{
		uint64_t count = 0;

		if (keystore_audit_verify(ks, &count, NULL, NULL) != 0 || count != ops) {
			fprintf(stderr, "audit chain check failed after the run\n");
			exit(1);
		}
	}
	keystore_close(ks);
	store_drop(&s);
	free(all);
	free(w);
	free(th);
	return (double)ops / ((double)(end - start) / 1e9);
}

/* ---- lookups ------------------------------------------------------------- */

static void
fill(struct keystore *ks, size_t n)
{
	static const struct keystore_actor actor = { KEYSTORE_ACTOR_BOOTSTRAP, NULL, NULL };
	int r;

	if ((r = bench_import(ks, n, 100000, "secret-", "disk-policy", &actor)) != 0) {
		fprintf(stderr, "import: %s\n", kbs_err_str(r));
		exit(1);
	}
}

#define WARM_PASSES 5

struct pass_result {
	double mean, p50, p99;
};

static int
cmp_pass(const void *a, const void *b)
{
	double x = ((const struct pass_result *)a)->mean, y = ((const struct pass_result *)b)->mean;

	return x < y ? -1 : x > y;
}

/* lookup_pass times `lookups` gets of random names drawn with seed. */
static struct pass_result
lookup_pass(struct keystore *ks, size_t n, size_t lookups, uint64_t *lat, uint64_t seed)
{
	struct keystore_secret *sec = NULL;
	struct pass_result pr;
	uint64_t rng = seed, t0, t1, sum = 0;
	char name[32];
	size_t i;
	int r;

	for (i = 0; i < lookups; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		snprintf(name, sizeof(name), "secret-%09zu", (size_t)(rng % n));
		t0 = kbs_time_monotonic_ns();
		r = keystore_secret_get(ks, name, &sec);
		t1 = kbs_time_monotonic_ns();
		if (r != 0 || sec->value_len != 32) {
			fprintf(stderr, "lookup %s: %s\n", name, kbs_err_str(r));
			exit(1);
		}
		keystore_secret_free(sec);
		sec = NULL;
		lat[i] = t1 - t0;
		sum += lat[i];
	}
	qsort(lat, lookups, sizeof(uint64_t), cmp_u64);
	pr.mean = (double)sum / (double)lookups / 1e3;
	pr.p50 = (double)lat[lookups / 2] / 1e3;
	pr.p99 = (double)lat[lookups * 99 / 100] / 1e3;
	return pr;
}

/*
 * run_lookups fills n secrets, then times one cold pass (it pays for
 * mapping each page into this process after the fill) and WARM_PASSES
 * warm ones (the steady state of a running broker); *ret_warm is the warm
 * pass with the median mean, so one preempted pass does not skew it.
 */
static void
run_lookups(size_t n, size_t lookups, struct pass_result *ret_cold, struct pass_result *ret_warm,
    double *ret_fill_s)
{
	struct pass_result warm[WARM_PASSES];
	struct store s;
	struct keystore *ks;
	uint64_t *lat = malloc(lookups * sizeof(uint64_t)), t0;
	int pass;

	store_make(&s);
	ks = store_open(&s, 0);
	t0 = kbs_time_monotonic_ns();
	fill(ks, n);
	*ret_fill_s = (double)(kbs_time_monotonic_ns() - t0) / 1e9;
	*ret_cold = lookup_pass(ks, n, lookups, lat, 0x9e3779b97f4a7c15ULL);
	for (pass = 0; pass < WARM_PASSES; pass++)
		warm[pass] =
		    lookup_pass(ks, n, lookups, lat, 0x2545f4914f6cdd1dULL + (uint64_t)pass);
	qsort(warm, WARM_PASSES, sizeof(warm[0]), cmp_pass);
	*ret_warm = warm[WARM_PASSES / 2];
	keystore_close(ks);
	store_drop(&s);
	free(lat);
}

static void
describe_machine(void)
{
	struct utsname u;
	struct statfs sf;
	char line[256], model[256] = "?";
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "model name", 10) == 0) {
				char *c = strchr(line, ':');

				snprintf(model, sizeof(model), "%s", c != NULL ? c + 2 : line);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		}
		fclose(f);
	}
	uname(&u);
	printf("machine: %s, %ld online CPUs, %s %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	    u.sysname, u.release);
	if (statfs(bench_root, &sf) == 0)
		printf("store dir: %s (filesystem magic 0x%lx%s)\n", bench_root,
		    (unsigned long)sf.f_type,
		    sf.f_type == 0x01021994
			? ", tmpfs: fsync is free, durable numbers are meaningless"
			: "");
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		unsigned flags;
	} modes[] = {
		{ "group commit, durable", 0 },
		{ "one commit per write, durable", KEYSTORE_NO_GROUP_COMMIT },
		{ "group commit, no sync", KEYSTORE_NO_SYNC },
		{ "one commit per write, no sync", KEYSTORE_NO_GROUP_COMMIT | KEYSTORE_NO_SYNC },
	};
	static const int writers[] = { 1, 8, 64 };
	size_t sizes[3] = { 1000, 1000000, 10000000 }, nsizes = 2, lookups = 200000;
	double seconds = 3, rate[4][3], p50, p99, batch, fill_s;
	struct pass_result cold[3], warm[3];
	size_t m, i;
	int a, do_writes = 1, do_lookups = 1;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--dir") == 0 && a + 1 < argc) {
			bench_root = argv[++a];
		} else if (strcmp(argv[a], "--seconds") == 0 && a + 1 < argc) {
			seconds = strtod(argv[++a], NULL);
		} else if (strcmp(argv[a], "--lookups") == 0 && a + 1 < argc) {
			lookups = strtoul(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "--writes-only") == 0) {
			do_lookups = 0;
		} else if (strcmp(argv[a], "--lookups-only") == 0) {
			do_writes = 0;
		} else if (strcmp(argv[a], "--big") == 0) {
			seconds = 10;
			nsizes = 3;
		} else {
			fprintf(stderr,
			    "usage: %s [--dir DIR] [--seconds S] [--lookups N] [--big] "
			    "[--writes-only | --lookups-only]\n",
			    argv[0]);
			return 2;
		}
	}
	if (seconds <= 0 || lookups < 100)
		return 2;
	if (kbs_crypto_init() != 0)
		return 1;
	describe_machine();
	if (!do_writes)
		goto lookups;
	printf("\nwrites: one audit record per write, %.0f s per case\n", seconds);
	printf("%-32s %8s %12s %10s %10s %8s\n", "mode", "writers", "writes/s", "p50 us", "p99 us",
	    "batch");
	for (m = 0; m < KBS_ARRAY_SIZE(modes); m++) {
		for (i = 0; i < KBS_ARRAY_SIZE(writers); i++) {
			rate[m][i] =
			    run_writes(modes[m].flags, writers[i], seconds, &p50, &p99, &batch);
			printf("%-32s %8d %12.0f %10.1f %10.1f %8.1f\n", modes[m].name, writers[i],
			    rate[m][i], p50, p99, batch);
			fflush(stdout);
		}
	}
	printf(
	    "\n64 writers: group commit / one commit per write (durable) = %.1fx (target >= 10x)\n",
	    rate[0][2] / rate[1][2]);
	if (!do_lookups)
		return 0;
lookups:

	printf("\nlookups: keystore_secret_get of random names, %zu per size\n", lookups);
	printf("%-10s %8s | %-26s | %-26s\n", "", "", "cold (first pass)",
	    "warm (median of 5 passes)");
	printf("%-10s %8s | %8s %8s %8s | %8s %8s %8s\n", "secrets", "fill s", "mean us", "p50 us",
	    "p99 us", "mean us", "p50 us", "p99 us");
	for (i = 0; i < nsizes; i++) {
		run_lookups(sizes[i], lookups, &cold[i], &warm[i], &fill_s);
		printf("%-10zu %8.1f | %8.2f %8.2f %8.2f | %8.2f %8.2f %8.2f\n", sizes[i], fill_s,
		    cold[i].mean, cold[i].p50, cold[i].p99, warm[i].mean, warm[i].p50, warm[i].p99);
		fflush(stdout);
	}
	printf("\n10^6 / 10^3, warm: mean %.2fx, p50 %.2fx (target <= 2x); cold: mean %.2fx\n",
	    warm[1].mean / warm[0].mean, warm[1].p50 / warm[0].p50, cold[1].mean / cold[0].mean);
	return 0;
}
