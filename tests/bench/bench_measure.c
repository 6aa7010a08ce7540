/*
 * bench_measure.c: what `kbs-policy measure` costs for a realistic guest:
 * a 4 MiB OVMF, a 15 MiB kernel and a 60 MiB initrd.
 *
 * The shared fixtures are only the last 4 KiB of an OVMF build (where the
 * footer table and SEV metadata live), so the 4 MiB firmware is built by
 * prepending pseudo-random bytes to the AmdSev fixture: the footer stays at
 * the end, where OVMF has it, and every offset in it counts from the end,
 * so the image parses and measures like a real 4 MiB build. Kernel and
 * initrd are pseudo-random too (SHA-256 does not care). All three are
 * written to a fresh directory under --dir (default $TMPDIR or /tmp) and
 * removed afterwards; reads are therefore from the page cache.
 *
 * Measured, each as the median and minimum of --runs runs:
 *   full        read the three files, SHA-256 kernel, initrd and command
 *               line, snp_launch_digest (1 vCPU): the tool's whole work
 *   phases      the same split into reading, SHA-256 of kernel+initrd,
 *               SHA-384 of the OVMF pages, and the rest (metadata, VMSA)
 *   hash-only   read the OVMF and snp_ovmf_digest (--ovmf-hash-only)
 *   reuse       read kernel and initrd and the OVMF's last 4 KiB, start
 *               from the OVMF digest (--snp-ovmf-hash)
 *   vcpus       snp_launch_digest alone with 1, 64 and 4096 vCPUs
 *   tool        the real kbs-policy binary, wall clock, process start
 *               included (full, hash-only and reuse)
 * A benchmark, not a test: it checks only that the two ways to the digest
 * agree.
 *
 * usage: bench_measure [--runs N] [--dir DIR] [--no-tool]
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snp.h"

#ifndef KBS_MEASURE_FIXTURE
#define KBS_MEASURE_FIXTURE "tests/vectors/measure/ovmf_AmdSev_suffix.bin"
#endif
#ifndef KBS_POLICY_PATH
#define KBS_POLICY_PATH "build/policy/kbs-policy"
#endif

#define OVMF_SIZE (4u << 20)
#define KERNEL_SIZE (15u << 20)
#define INITRD_SIZE (60u << 20)
#define MAX_RUNS 64
#define CMDLINE "console=ttyS0 root=/dev/vda1 ro quiet"

extern char **environ;

static char ovmf_path[4200], tail_path[4200], kernel_path[4200], initrd_path[4200];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "bench_measure: %s: %s\n", what, r != 0 ? kbs_err_str(r) : strerror(errno));
	exit(2);
}

/* write_file writes len bytes: prefix (may be NULL) then xorshift bytes then suffix. */
static void
write_file(const char *path, size_t len, const uint8_t *suffix, size_t suffix_len, uint64_t seed)
{
	uint8_t buf[1 << 16];
	size_t done = 0, body = len - suffix_len;
	uint64_t x = seed | 1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		die(path, 0);
	while (done < body) {
		size_t n = body - done < sizeof(buf) ? body - done : sizeof(buf), i;

		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		if (write(fd, buf, n) != (ssize_t)n)
			die(path, 0);
		done += n;
	}
	if (suffix_len > 0 && write(fd, suffix, suffix_len) != (ssize_t)suffix_len)
		die(path, 0);
	if (close(fd) != 0)
		die(path, 0);
}

static uint8_t *
slurp(const char *path, size_t max, size_t *len)
{
	uint8_t *d = NULL;
	int r;

	if ((r = kbs_file_read(path, max, &d, len)) != 0)
		die(path, r);
	return d;
}

struct phases {
	double read, sha256, launch, ovmf_pages, rest, total;
};

static void
launch_params(struct snp_launch_params *p, const uint8_t *ovmf, size_t len,
    const struct snp_kernel_hashes *h, const uint8_t *seed, uint32_t vcpus)
{
	memset(p, 0, sizeof(*p));
	p->ovmf = ovmf;
	p->ovmf_len = len;
	p->ovmf_digest = seed;
	p->kernel = h;
	p->vcpus = vcpus;
	p->vcpu_sig = 0x00a00f11; /* EPYC-Milan */
	p->vmm = SNP_VMM_QEMU;
	p->guest_features = 0x21;
}

/*
 * run_full does what `kbs-policy measure` does for the full launch (read,
 * hash, snp_launch_digest), then repeats the two halves of the digest
 * apart: the OVMF pages (snp_ovmf_digest) and everything after them (the
 * digest started from that value).
 */
static void
run_full(struct phases *ph, uint8_t out[SNP_LAUNCH_DIGEST_SIZE])
{
	struct snp_kernel_hashes h;
	struct snp_launch_params p;
	uint8_t *ovmf, *kernel, *initrd, seed[SNP_LAUNCH_DIGEST_SIZE],
	    again[SNP_LAUNCH_DIGEST_SIZE];
	size_t olen, klen, ilen;
	double t0, t1, t2, t3, t4, t5;
	int r;

	t0 = now_ms();
	ovmf = slurp(ovmf_path, SNP_OVMF_MAX_SIZE, &olen);
	kernel = slurp(kernel_path, 1u << 30, &klen);
	initrd = slurp(initrd_path, 1u << 30, &ilen);
	t1 = now_ms();
	if ((r = snp_kernel_hashes_compute(kernel, klen, initrd, ilen, CMDLINE, &h)) != 0)
		die("kernel hashes", r);
	t2 = now_ms();
	launch_params(&p, ovmf, olen, &h, NULL, 1);
	if ((r = snp_launch_digest(&p, out)) != 0)
		die("launch digest", r);
	t3 = now_ms();
	if ((r = snp_ovmf_digest(ovmf, olen, seed)) != 0)
		die("ovmf digest", r);
	t4 = now_ms();
	launch_params(&p, ovmf, olen, &h, seed, 1);
	if ((r = snp_launch_digest(&p, again)) != 0)
		die("launch digest", r);
	t5 = now_ms();
	if (memcmp(out, again, sizeof(again)) != 0) {
		fprintf(stderr, "bench_measure: the split digest differs\n");
		exit(1);
	}
	free(ovmf);
	free(kernel);
	free(initrd);
	ph->read = t1 - t0;
	ph->sha256 = t2 - t1;
	ph->launch = t3 - t2;
	ph->total = t3 - t0;
	ph->ovmf_pages = t4 - t3;
	ph->rest = t5 - t4;
}

static double
run_hash_only(uint8_t out[SNP_LAUNCH_DIGEST_SIZE])
{
	double t0 = now_ms();
	size_t len;
	uint8_t *ovmf = slurp(ovmf_path, SNP_OVMF_MAX_SIZE, &len);
	int r;

	if ((r = snp_ovmf_digest(ovmf, len, out)) != 0)
		die("ovmf digest", r);
	free(ovmf);
	return now_ms() - t0;
}

static double
run_reuse(const uint8_t seed[SNP_LAUNCH_DIGEST_SIZE], uint8_t out[SNP_LAUNCH_DIGEST_SIZE])
{
	struct snp_kernel_hashes h;
	struct snp_launch_params p;
	double t0 = now_ms();
	size_t tlen, klen, ilen;
	uint8_t *tail = slurp(tail_path, SNP_OVMF_MAX_SIZE, &tlen);
	uint8_t *kernel = slurp(kernel_path, 1u << 30, &klen);
	uint8_t *initrd = slurp(initrd_path, 1u << 30, &ilen);
	int r;

	if ((r = snp_kernel_hashes_compute(kernel, klen, initrd, ilen, CMDLINE, &h)) != 0)
		die("kernel hashes", r);
	launch_params(&p, tail, tlen, &h, seed, 1);
	if ((r = snp_launch_digest(&p, out)) != 0)
		die("launch digest", r);
	free(tail);
	free(kernel);
	free(initrd);
	return now_ms() - t0;
}

static double
run_vcpus(const uint8_t *ovmf, size_t len, const struct snp_kernel_hashes *h, uint32_t vcpus)
{
	struct snp_launch_params p;
	uint8_t out[SNP_LAUNCH_DIGEST_SIZE];
	double t0 = now_ms();
	int r;

	launch_params(&p, ovmf, len, h, NULL, vcpus);
	if ((r = snp_launch_digest(&p, out)) != 0)
		die("launch digest", r);
	return now_ms() - t0;
}

/* run_tool runs kbs-policy with args (stdout to /dev/null) and returns wall-clock ms. */
static double
run_tool(const char *const *args)
{
	posix_spawn_file_actions_t fa;
	char *argv[32];
	double t0;
	pid_t pid;
	size_t i;
	int status = 0;

	/* posix_spawn takes char *const[]; it does not write to the strings. */
	for (i = 0; i + 1 < KBS_ARRAY_SIZE(argv) && args[i] != NULL; i++)
		memcpy(&argv[i], &args[i], sizeof(argv[i]));
	argv[i] = NULL;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0)
		die("spawn setup", 0);
	t0 = now_ms();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		die(args[0], 0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_measure: %s failed\n", args[0]);
		exit(2);
	}
	posix_spawn_file_actions_destroy(&fa);
	return now_ms() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	printf("%-44s %9.2f %9.2f\n", name, v[n / 2], v[0]);
}

int
main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char dir[4096], hex[2 * SNP_LAUNCH_DIGEST_SIZE + 1];
	double read_t[MAX_RUNS], sha[MAX_RUNS], launch[MAX_RUNS], pages[MAX_RUNS], rest[MAX_RUNS];
	double total[MAX_RUNS];
	double only[MAX_RUNS], reuse[MAX_RUNS], v1[MAX_RUNS], v64[MAX_RUNS], v4096[MAX_RUNS];
	double tool_full[MAX_RUNS], tool_only[MAX_RUNS], tool_reuse[MAX_RUNS];
	uint8_t a[SNP_LAUNCH_DIGEST_SIZE], b[SNP_LAUNCH_DIGEST_SIZE], seed[SNP_LAUNCH_DIGEST_SIZE];
	uint8_t *fixture, *ovmf;
	struct snp_kernel_hashes h0;
	size_t flen, olen;
	int runs = 5, tool = 1, i, r;

	for (i = 1; i < argc; i++) {
		char *end = NULL;

		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			long n = strtol(argv[++i], &end, 10);

			if (end == argv[i] || *end != '\0' || n < 1 || n > MAX_RUNS) {
				fprintf(stderr, "bench_measure: --runs takes 1..%d\n", MAX_RUNS);
				return 2;
			}
			runs = (int)n;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			base = argv[++i];
		else if (strcmp(argv[i], "--no-tool") == 0)
			tool = 0;
		else {
			fprintf(
			    stderr, "usage: bench_measure [--runs N] [--dir DIR] [--no-tool]\n");
			return 2;
		}
	}
	if ((r = kbs_crypto_init()) != 0)
		die("crypto init", r);
	snprintf(dir, sizeof(dir), "%s/bench_measure.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die(dir, 0);
	snprintf(ovmf_path, sizeof(ovmf_path), "%s/OVMF.fd", dir);
	snprintf(tail_path, sizeof(tail_path), "%s/OVMF.tail", dir);
	snprintf(kernel_path, sizeof(kernel_path), "%s/vmlinuz", dir);
	snprintf(initrd_path, sizeof(initrd_path), "%s/initrd.img", dir);

	fixture = slurp(KBS_MEASURE_FIXTURE, 1u << 20, &flen);
	write_file(ovmf_path, OVMF_SIZE, fixture, flen, 0x0f3f);
	write_file(tail_path, flen, fixture, flen, 1);
	write_file(kernel_path, KERNEL_SIZE, NULL, 0, 0x4e11);
	write_file(initrd_path, INITRD_SIZE, NULL, 0, 0x1d1d);
	printf(
	    "files: OVMF %u MiB (AmdSev fixture at its end), kernel %u MiB, initrd %u MiB in %s\n",
	    OVMF_SIZE >> 20, KERNEL_SIZE >> 20, INITRD_SIZE >> 20, dir);
	printf("%d runs; milliseconds                                  median       min\n", runs);

	for (i = 0; i < runs; i++) {
		struct phases ph;

		run_full(&ph, a);
		read_t[i] = ph.read;
		sha[i] = ph.sha256;
		launch[i] = ph.launch;
		pages[i] = ph.ovmf_pages;
		rest[i] = ph.rest;
		total[i] = ph.total;
		only[i] = run_hash_only(seed);
		reuse[i] = run_reuse(seed, b);
		if (memcmp(a, b, sizeof(a)) != 0) {
			fprintf(stderr, "bench_measure: reuse gives another digest\n");
			return 1;
		}
	}
	report("full: read + hash + launch digest", total, runs);
	report("  read OVMF, kernel, initrd (page cache)", read_t, runs);
	report("  SHA-256 kernel + initrd + cmdline", sha, runs);
	report("  snp_launch_digest", launch, runs);
	report("    its SHA-384 of the 1024 OVMF pages", pages, runs);
	report("    its metadata sections + 1 VMSA", rest, runs);
	report("--ovmf-hash-only: read + OVMF digest", only, runs);
	report("--snp-ovmf-hash: read + hash, 4 KiB tail", reuse, runs);

	ovmf = slurp(ovmf_path, SNP_OVMF_MAX_SIZE, &olen);
	if ((r = snp_kernel_hashes_compute(NULL, 0, NULL, 0, NULL, &h0)) != 0)
		die("kernel hashes", r);
	for (i = 0; i < runs; i++) {
		v1[i] = run_vcpus(ovmf, olen, &h0, 1);
		v64[i] = run_vcpus(ovmf, olen, &h0, 64);
		v4096[i] = run_vcpus(ovmf, olen, &h0, 4096);
	}
	report("snp_launch_digest, 4 MiB OVMF, 1 vCPU", v1, runs);
	report("snp_launch_digest, 4 MiB OVMF, 64 vCPUs", v64, runs);
	report("snp_launch_digest, 4 MiB OVMF, 4096 vCPUs", v4096, runs);
	free(ovmf);

	if (tool) {
		const char *full_args[] = { KBS_POLICY_PATH, "measure", "--ovmf", ovmf_path,
			"--kernel", kernel_path, "--initrd", initrd_path, "--append", CMDLINE,
			"--vcpu-type", "EPYC-Milan", "--guest-features", "0x21", NULL };
		const char *only_args[] = { KBS_POLICY_PATH, "measure", "--ovmf", ovmf_path,
			"--ovmf-hash-only", NULL };
		const char *reuse_args[] = { KBS_POLICY_PATH, "measure", "--ovmf", tail_path,
			"--snp-ovmf-hash", hex, "--kernel", kernel_path, "--initrd", initrd_path,
			"--append", CMDLINE, "--vcpu-type", "EPYC-Milan", "--guest-features",
			"0x21", NULL };

		if ((r = kbs_hex_encode(seed, sizeof(seed), hex, sizeof(hex))) != 0)
			die("hex", r);
		for (i = 0; i < runs; i++) {
			tool_full[i] = run_tool(full_args);
			tool_only[i] = run_tool(only_args);
			tool_reuse[i] = run_tool(reuse_args);
		}
		report("kbs-policy measure (whole process)", tool_full, runs);
		report("kbs-policy measure --ovmf-hash-only", tool_only, runs);
		report("kbs-policy measure --snp-ovmf-hash (tail)", tool_reuse, runs);
	}
	if (kbs_hex_encode(a, sizeof(a), hex, sizeof(hex)) == 0)
		printf("digest %s\n", hex);
	unlink(ovmf_path);
	unlink(tail_path);
	unlink(kernel_path);
	unlink(initrd_path);
	rmdir(dir);
	free(fixture);
	return 0;
}
