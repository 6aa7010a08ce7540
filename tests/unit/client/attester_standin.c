/*
 * attester_standin.c: an LD_PRELOAD stand-in for the two real attesters,
 * built only for tests. It answers with reports signed by the simulated
 * chip in $KBS_STANDIN_SIM_DIR (through the sim:DIR attester), so they
 * verify only with that chip's ark.pem as an extra root.
 *
 * sev-guest: open() of exactly $KBS_SEV_GUEST_DEVICE returns a descriptor
 * of /dev/null that ioctl() and close() recognise. SNP_GET_EXT_REPORT is
 * answered as the kernel does, per $KBS_STANDIN_SEV_MODE:
 *   ok (default)  the report, and the table if certs_len holds it (else
 *                 EIO, hypervisor error 1 and the needed length: the
 *                 table is padded to 5 pages so that the attester's first
 *                 4-page buffer is always too short and it must retry)
 *   grow          "invalid length" every time, asking for twice as much
 *   huge          "invalid length", asking for 1 MiB
 *   fw-error      EIO with firmware error 0x16 (INVALID_PARAM)
 *   status        success, but the response status is 0x16
 *   errno         the ioctl fails with ENOTTY
 *   no-certs      the report and an empty table (the terminator only)
 * kbs_standin_ioctls counts the SNP_GET_EXT_REPORT calls.
 *
 * tsm: mkdir() of an entry directly under $KBS_TSM_ROOT also makes what
 * configfs would (provider, privlevel, privlevel_floor, inblob,
 * generation, and outblob as a FIFO), and starts a helper thread. It polls
 * (1 ms, 5 s deadline) until the attester opens outblob for reading, which
 * it does after writing inblob; then reads inblob, signs, writes auxblob and
 * the report into outblob. rmdir() of the entry stops the thread and
 * removes the files. $KBS_STANDIN_TSM_MODE:
 *   ok (default), no-auxblob, generation (bumped while the blobs are
 *   read), provider (reads "tdx_guest"), short-outblob (100 bytes),
 *   no-privlevel and no-inblob (that attribute is missing), auxblob-dir
 *   (auxblob is a directory: its read fails with EISDIR), rmdir-busy
 *   (the entry is removed, but rmdir says EBUSY).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attester.h"

#define SEV_IOCTL_EXT_REPORT _IOWR('S', 0x2, struct standin_ioctl)
#define PAGE 4096u

struct standin_report_req {
	uint8_t user_data[64];
	uint32_t vmpl;
	uint8_t rsvd[28];
};
struct standin_ext_req {
	struct standin_report_req data;
	uint64_t certs_address;
	uint32_t certs_len;
};
struct standin_ioctl {
	uint8_t msg_version;
	uint64_t req_data;
	uint64_t resp_data;
	uint32_t fw_error;
	uint32_t vmm_error;
};

unsigned kbs_standin_ioctls;

/* next_sym: the POSIX way to a function pointer from dlsym (ISO C has none). */
static void
next_sym(void **slot, const char *name)
{
	*slot = dlsym(RTLD_NEXT, name);
}

static int fake_fd = -1;

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* sign gets a sim report and its certificate table for report_data. */
static int
sign(const uint8_t report_data[64], uint8_t report[SNP_REPORT_SIZE], uint8_t **table,
    size_t *table_len)
{
	char spec[4200];
	struct attester *a = NULL;
	struct attester_evidence e;
	int r;

	memset(&e, 0, sizeof(e));
	snprintf(spec, sizeof(spec), "sim:%s", env_or("KBS_STANDIN_SIM_DIR", "/nonexistent"));
	if ((r = attester_open(spec, &a)) != 0)
		return r;
	if ((r = attester_get_report(a, report_data, &e)) == 0) {
		memcpy(report, e.report, SNP_REPORT_SIZE);
		r = attester_certtable_build(&e, table, table_len);
	}
	attester_evidence_clear(&e);
	attester_close(a);
	return r;
}

/* ---- sev-guest ----------------------------------------------------------- */

static int
real_open(const char *path, int flags, mode_t mode)
{
	static int (*next)(const char *, int, ...);

	if (next == NULL)
		next_sym((void **)&next, "open");
	return next(path, flags, mode);
}

static int
standin_open(const char *path, int flags, mode_t mode)
{
	const char *dev = getenv("KBS_SEV_GUEST_DEVICE");

	/* Only a device path that exists: a missing one fails as the real open does. */
	if (dev != NULL && strcmp(path, dev) == 0 && access(path, F_OK) == 0) {
		int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC, 0);

		if (fd >= 0)
			fake_fd = fd;
		return fd;
	}
	return real_open(path, flags, mode);
}

/* With _FILE_OFFSET_BITS=64 (meson's default) this is open64, as the attester calls. */
int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return standin_open(path, flags, mode);
}

int
close(int fd)
{
	static int (*next)(int);

	if (next == NULL)
		next_sym((void **)&next, "close");
	if (fd >= 0 && fd == fake_fd)
		fake_fd = -1;
	return next(fd);
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int
ext_report(struct standin_ioctl *io)
{
	struct standin_ext_req *req = (struct standin_ext_req *)(uintptr_t)io->req_data;
	uint8_t *resp = (uint8_t *)(uintptr_t)io->resp_data;
	const char *mode = env_or("KBS_STANDIN_SEV_MODE", "ok");
	uint8_t report[SNP_REPORT_SIZE];
	uint8_t *table = NULL;
	size_t table_len = 0;
	uint32_t need;

	kbs_standin_ioctls++;
	if (io->msg_version != 1 || req == NULL || resp == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(mode, "errno") == 0) {
		errno = ENOTTY;
		return -1;
	}
	if (strcmp(mode, "fw-error") == 0) {
		io->fw_error = 0x16;
		errno = EIO;
		return -1;
	}
	if (strcmp(mode, "grow") == 0 || strcmp(mode, "huge") == 0) {
		req->certs_len = strcmp(mode, "huge") == 0 ? 1024u * 1024 : 2 * req->certs_len;
		io->vmm_error = 1;
		errno = EIO;
		return -1;
	}
	if (sign(req->data.user_data, report, &table, &table_len) != 0) {
		errno = EIO;
		io->fw_error = 0xff;
		return -1;
	}
	need = 5 * PAGE;
	if (strcmp(mode, "no-certs") != 0 && req->certs_len < need) {
		free(table);
		req->certs_len = need;
		io->vmm_error = 1;
		errno = EIO;
		return -1;
	}
	memset(resp, 0, 4000);
	put_le32(resp, strcmp(mode, "status") == 0 ? 0x16 : 0);
	put_le32(resp + 4, SNP_REPORT_SIZE);
	memcpy(resp + 0x20, report, SNP_REPORT_SIZE);
	if (strcmp(mode, "no-certs") == 0)
		memset((void *)(uintptr_t)req->certs_address, 0, 24);
	else
		memcpy((void *)(uintptr_t)req->certs_address, table, table_len);
	free(table);
	return 0;
}

int
ioctl(int fd, unsigned long request, ...)
{
	static int (*next)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == fake_fd) {
		if (request != SEV_IOCTL_EXT_REPORT) {
			errno = ENOTTY;
			return -1;
		}
		return ext_report(arg);
	}
	if (next == NULL)
		next_sym((void **)&next, "ioctl");
	return next(fd, request, arg);
}

/* ---- tsm ------------------------------------------------------------------- */

static const char *const tsm_files[] = { "provider", "privlevel", "privlevel_floor", "inblob",
	"generation", "outblob", "auxblob" };

static struct {
	pthread_t thread;
	int running;
	volatile int stop;
	char dir[4096];
	char mode[32];
} tsm;

static int
file_put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4200];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static void *
tsm_helper(void *unused)
{
	char path[4200];
	uint8_t inblob[64], report[SNP_REPORT_SIZE];
	uint8_t *table = NULL;
	size_t table_len = 0;
	int fd = -1, i, in;

	(void)unused;
	snprintf(path, sizeof(path), "%s/outblob", tsm.dir);
	for (i = 0; i < 5000 && !tsm.stop; i++) {
		if ((fd = real_open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0)) >= 0)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	if (fd < 0)
		return NULL;
	fcntl(fd, F_SETFL, 0);
	snprintf(path, sizeof(path), "%s/inblob", tsm.dir);
	memset(inblob, 0, sizeof(inblob));
	if ((in = real_open(path, O_RDONLY | O_CLOEXEC, 0)) >= 0) {
		if (read(in, inblob, sizeof(inblob)) < 0)
			memset(inblob, 0, sizeof(inblob));
		close(in);
	}
	if (sign(inblob, report, &table, &table_len) == 0) {
		if (strcmp(tsm.mode, "no-auxblob") != 0)
			(void)file_put(tsm.dir, "auxblob", table, table_len);
		if (strcmp(tsm.mode, "generation") == 0)
			(void)file_put(tsm.dir, "generation", "3\n", 2);
		/* A reader that went away is nothing to report: the attester saw the failure. */
		ssize_t w = write(
		    fd, report, strcmp(tsm.mode, "short-outblob") == 0 ? 100 : sizeof(report));
		(void)w;
	}
	free(table);
	close(fd);
	return NULL;
}

static int
in_tsm_root(const char *path)
{
	const char *root = getenv("KBS_TSM_ROOT");
	size_t n;

	if (root == NULL || *root == '\0')
		return 0;
	n = strlen(root);
	return strncmp(path, root, n) == 0 && path[n] == '/' && strchr(path + n + 1, '/') == NULL;
}

int
mkdir(const char *path, mode_t mode)
{
	static int (*next)(const char *, mode_t);
	const char *provider;
	char fifo[4200];
	int r;

	if (next == NULL)
		next_sym((void **)&next, "mkdir");
	if ((r = next(path, mode)) != 0 || !in_tsm_root(path))
		return r;
	snprintf(tsm.dir, sizeof(tsm.dir), "%s", path);
	snprintf(tsm.mode, sizeof(tsm.mode), "%s", env_or("KBS_STANDIN_TSM_MODE", "ok"));
	provider = strcmp(tsm.mode, "provider") == 0 ? "tdx_guest\n" : "sev_guest\n";
	snprintf(fifo, sizeof(fifo), "%s/outblob", path);
	if (file_put(path, "provider", provider, strlen(provider)) != 0 ||
	    (strcmp(tsm.mode, "no-privlevel") != 0 && file_put(path, "privlevel", "", 0) != 0) ||
	    file_put(path, "privlevel_floor", "0\n", 2) != 0 ||
	    (strcmp(tsm.mode, "no-inblob") != 0 && file_put(path, "inblob", "", 0) != 0) ||
	    file_put(path, "generation", "2\n", 2) != 0 || mkfifo(fifo, 0600) != 0)
		return -1;
	snprintf(fifo, sizeof(fifo), "%s/auxblob", path);
	if (strcmp(tsm.mode, "auxblob-dir") == 0 && next(fifo, 0700) != 0)
		return -1;
	tsm.stop = 0;
	tsm.running = pthread_create(&tsm.thread, NULL, tsm_helper, NULL) == 0;
	return 0;
}

int
rmdir(const char *path)
{
	static int (*next)(const char *);
	char p[4200];
	size_t i;

	if (next == NULL)
		next_sym((void **)&next, "rmdir");
	if (in_tsm_root(path) && strcmp(path, tsm.dir) == 0) {
		tsm.stop = 1;
		if (tsm.running)
			pthread_join(tsm.thread, NULL);
		tsm.running = 0;
		for (i = 0; i < sizeof(tsm_files) / sizeof(tsm_files[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", path, tsm_files[i]);
			if (unlink(p) != 0 && errno == EISDIR)
				next(p);
		}
		if (strcmp(tsm.mode, "rmdir-busy") == 0) {
			(void)next(path);
			errno = EBUSY;
			return -1;
		}
	}
	return next(path);
}
