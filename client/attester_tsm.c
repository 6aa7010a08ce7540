/*
 * attester_tsm.c: the "tsm" attester, the Linux configfs-tsm report
 * interface (the kernel's Documentation/ABI/testing/configfs-tsm).
 *
 * One request is one entry of ROOT (/sys/kernel/config/tsm/report, or
 * $KBS_TSM_ROOT for tests only):
 *   mkdir ROOT/kbs-client-PID-RANDOM   the kernel fills it with attributes
 *   provider                           must read "sev_guest"
 *   privlevel_floor, privlevel         the lowest level the kernel allows
 *                                      is written (the guest's own VMPL)
 *   inblob                             the 64 bytes of REPORT_DATA
 *   generation                         read before and after the blobs:
 *                                      it counts writes to the entry, so a
 *                                      change means another writer raced us
 *   outblob                            the report (generated on this read)
 *   auxblob                            the certificate table; absent or
 *                                      empty when the host serves none
 *   rmdir                              always, also after a failure
 * Each step fails with its own code and errno kept (EBADMSG for content
 * that is wrong), and attester_detail names the step.
 */
#include "attester-int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TSM_DEFAULT_ROOT "/sys/kernel/config/tsm/report"
#define TSM_ROOT_ENV "KBS_TSM_ROOT"
#define TSM_OUTBLOB_MAX (32u * 1024) /* the kernel's TSM_OUTBLOB_MAX */
#define TSM_AUXBLOB_MAX (64u * 1024)
#define TSM_SMALL_MAX 64u /* provider, generation, privlevel_floor */
#define TSM_PROVIDER "sev_guest"

struct tsm_state {
	char root[PATH_MAX];
	char detail[ATTESTER_DETAIL_MAX];
};

static const char *
tsm_root(void)
{
	const char *r = getenv(TSM_ROOT_ENV);

	return r != NULL && *r != '\0' ? r : TSM_DEFAULT_ROOT;
}

static int
tsm_present(void)
{
	struct stat st;

	return stat(tsm_root(), &st) == 0 && S_ISDIR(st.st_mode);
}

/* fail records "STEP: reason" with errno kept, and returns code. */
static int
fail(struct tsm_state *s, int code, const char *step)
{
	int saved = errno;

	snprintf(s->detail, sizeof(s->detail), "%s: %s", step, strerror(saved));
	errno = saved;
	return code;
}

static int
attr_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * read_attr reads an attribute to its end into a malloc'd buffer (one
 * byte more, NUL); -1 with errno (EFBIG past max).
 */
static int
read_attr(const char *dir, const char *name, size_t max, uint8_t **ret, size_t *ret_len)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len = 0;
	ssize_t n;
	int fd, saved;

	if (attr_path(path, sizeof(path), dir, name) != 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len < max + 1 ? len : max] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
fail:
	saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return -1;
}

/* write_attr writes data to an existing attribute in one write; -1 with errno. */
static int
write_attr(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, saved;

	if (attr_path(path, sizeof(path), dir, name) != 0)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n != len)
		errno = EIO; /* configfs takes an attribute in one write */
	saved = errno;
	if (close(fd) != 0 && n >= 0 && (size_t)n == len)
		return -1;
	errno = saved;
	return n >= 0 && (size_t)n == len ? 0 : -1;
}

int
attester_tsm_parse_text(const uint8_t *buf, size_t len, char *out, size_t size)
{
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	if (len >= size || memchr(buf, '\0', len) != NULL) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	return 0;
}

int
attester_tsm_parse_u64(const uint8_t *buf, size_t len, unsigned long long *ret)
{
	char text[TSM_SMALL_MAX];
	char *end = NULL;
	unsigned long long v;

	if (attester_tsm_parse_text(buf, len, text, sizeof(text)) != 0)
		return -1;
	errno = 0;
	if (text[0] < '0' || text[0] > '9') {
		errno = EBADMSG;
		return -1;
	}
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0') {
		errno = EBADMSG;
		return -1;
	}
	*ret = v;
	return 0;
}

/* read_text reads a short text attribute without its trailing newline. */
static int
read_text(const char *dir, const char *name, char *out, size_t size)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r, saved;

	if (read_attr(dir, name, TSM_SMALL_MAX, &buf, &len) != 0)
		return -1;
	r = attester_tsm_parse_text(buf, len, out, size);
	saved = errno;
	free(buf);
	errno = saved;
	return r;
}

/* read_u64 reads a decimal attribute (generation, privlevel_floor). */
static int
read_u64(const char *dir, const char *name, unsigned long long *ret)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r, saved;

	if (read_attr(dir, name, TSM_SMALL_MAX, &buf, &len) != 0)
		return -1;
	r = attester_tsm_parse_u64(buf, len, ret);
	saved = errno;
	free(buf);
	errno = saved;
	return r;
}

/* The entry's steps after mkdir; the caller removes the entry. */
static int
tsm_request(struct tsm_state *s, const char *entry, const uint8_t report_data[64],
    struct attester_evidence *e)
{
	char text[TSM_SMALL_MAX];
	unsigned long long floor = 0, gen_before, gen_after;
	uint8_t *blob = NULL;
	size_t len = 0;
	int n;

	if (read_text(entry, "provider", text, sizeof(text)) != 0)
		return fail(s, KBS_ERR_TSM_PROVIDER, "read provider");
	if (strcmp(text, TSM_PROVIDER) != 0) {
		errno = EBADMSG;
		fail(s, KBS_ERR_TSM_PROVIDER, "provider");
		snprintf(
		    s->detail, sizeof(s->detail), "provider is '%.40s', not " TSM_PROVIDER, text);
		return KBS_ERR_TSM_PROVIDER;
	}
	/* An older kernel has no floor: the guest then asks for VMPL 0. */
	if (read_u64(entry, "privlevel_floor", &floor) != 0 && errno != ENOENT)
		return fail(s, KBS_ERR_TSM_PRIVLEVEL, "read privlevel_floor");
	n = snprintf(text, sizeof(text), "%llu\n", floor);
	if (write_attr(entry, "privlevel", text, (size_t)n) != 0)
		return fail(s, KBS_ERR_TSM_PRIVLEVEL, "write privlevel");
	if (write_attr(entry, "inblob", report_data, 64) != 0)
		return fail(s, KBS_ERR_TSM_INBLOB, "write inblob");
	if (read_u64(entry, "generation", &gen_before) != 0)
		return fail(s, KBS_ERR_TSM_GENERATION, "read generation");
	if (read_attr(entry, "outblob", TSM_OUTBLOB_MAX, &blob, &len) != 0)
		return fail(s, KBS_ERR_TSM_OUTBLOB, "read outblob");
	if (len != SNP_REPORT_SIZE) {
		free(blob);
		errno = EBADMSG;
		fail(s, KBS_ERR_TSM_OUTBLOB, "outblob");
		snprintf(s->detail, sizeof(s->detail), "outblob is %zu bytes, not %u", len,
		    (unsigned)SNP_REPORT_SIZE);
		return KBS_ERR_TSM_OUTBLOB;
	}
	memcpy(e->report, blob, SNP_REPORT_SIZE);
	free(blob);
	blob = NULL;
	if (read_attr(entry, "auxblob", TSM_AUXBLOB_MAX, &blob, &len) != 0) {
		if (errno != ENOENT)
			return fail(s, KBS_ERR_TSM_AUXBLOB, "read auxblob");
		blob = NULL;
		len = 0;
	}
	if (read_u64(entry, "generation", &gen_after) != 0) {
		free(blob);
		return fail(s, KBS_ERR_TSM_GENERATION, "read generation");
	}
	if (gen_after != gen_before) {
		free(blob);
		errno = ESTALE;
		fail(s, KBS_ERR_TSM_GENERATION, "generation");
		snprintf(s->detail, sizeof(s->detail),
		    "generation changed from %llu to %llu: another writer used the entry",
		    gen_before, gen_after);
		return KBS_ERR_TSM_GENERATION;
	}
	if (len == 0) {
		free(blob);
		return 0;
	}
	return attester_evidence_take_certtable(e, blob, len);
}

static int
tsm_get_report(void *state, const uint8_t report_data[64], struct attester_evidence *ret)
{
	struct tsm_state *s = state;
	struct attester_evidence e;
	char entry[PATH_MAX];
	uint8_t rnd[8];
	char hex[2 * sizeof(rnd) + 1];
	int r, saved, n;

	memset(&e, 0, sizeof(e));
	s->detail[0] = '\0';
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = snprintf(entry, sizeof(entry), "%s/kbs-client-%ld-%s", s->root, (long)getpid(), hex);
	if (n < 0 || (size_t)n >= sizeof(entry)) {
		errno = ENAMETOOLONG;
		return fail(s, KBS_ERR_TSM_MKDIR, "mkdir");
	}
	if (mkdir(entry, 0700) != 0)
		return fail(s, KBS_ERR_TSM_MKDIR, "mkdir");
	r = tsm_request(s, entry, report_data, &e);
	saved = errno;
	if (rmdir(entry) != 0 && r == 0)
		r = fail(s, KBS_ERR_TSM_RMDIR, "rmdir");
	else
		errno = saved;
	if (r != 0) {
		attester_evidence_clear(&e);
		return r;
	}
	*ret = e;
	return 0;
}

static int
tsm_open(const char *arg, void **ret_state)
{
	struct tsm_state *s;
	struct stat st;
	const char *root = tsm_root();

	if (arg != NULL)
		return KBS_ERR_ATTESTER_SPEC; /* "tsm" takes no ARG */
	if (strlen(root) >= sizeof(s->root) - 64) {
		errno = ENAMETOOLONG;
		return KBS_ERR_TSM_MKDIR;
	}
	if (stat(root, &st) != 0)
		return KBS_ERR_TSM_MKDIR;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return KBS_ERR_TSM_MKDIR;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KBS_ERR_ALLOC;
	memcpy(s->root, root, strlen(root) + 1);
	*ret_state = s;
	return 0;
}

static void
tsm_close(void *state)
{
	free(state);
}

static const char *
tsm_detail(const void *state)
{
	return ((const struct tsm_state *)state)->detail;
}

const struct attester_backend attester_tsm_backend = {
	.kind = "tsm",
	.needs_arg = 0,
	.simulated = 0,
	.open = tsm_open,
	.get_report = tsm_get_report,
	.close = tsm_close,
	.detail = tsm_detail,
	.present = tsm_present,
};
