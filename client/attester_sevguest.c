/*
 * attester_sevguest.c: the "sev-guest" attester, the SNP_GET_EXT_REPORT
 * ioctl of the Linux sev-guest driver (/dev/sev-guest, or
 * $KBS_SEV_GUEST_DEVICE for tests only).
 *
 * The structures below are the kernel's uapi (include/uapi/linux/
 * sev-guest.h), written out here so the build needs no kernel headers;
 * their sizes are asserted. One request: REPORT_DATA and VMPL 0 in the
 * request, a buffer for the certificate table, and a 4000-byte response
 * (status u32, report size u32, 24 reserved bytes, the report). When the
 * host's table does not fit, the ioctl fails with EIO and hypervisor error
 * "invalid length" and the kernel writes the length it needs into
 * certs_len: the request is repeated with that length (rounded up to
 * pages), at most SG_ATTEMPTS times and never past SG_CERTS_MAX.
 */
#include "attester-int.h"
#include "kbs_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SG_DEFAULT_DEVICE "/dev/sev-guest"
#define SG_DEVICE_ENV "KBS_SEV_GUEST_DEVICE"
#define SG_PAGE 4096u
#define SG_CERTS_FIRST (4u * SG_PAGE) /* AMD's three certificates fit in 16 KiB */
#define SG_CERTS_MAX (64u * SG_PAGE)
#define SG_ATTEMPTS 3
#define SG_MSG_VERSION 1
#define SG_VMM_ERR_INVALID_LEN 1u
#define SG_RESP_REPORT_OFFSET 0x20

struct sg_report_req {
	uint8_t user_data[64];
	uint32_t vmpl;
	uint8_t rsvd[28];
};

struct sg_ext_report_req {
	struct sg_report_req data;
	uint64_t certs_address;
	uint32_t certs_len;
};

struct sg_report_resp {
	uint8_t data[4000];
};

struct sg_guest_request_ioctl {
	uint8_t msg_version;
	uint64_t req_data;
	uint64_t resp_data;
	union {
		uint64_t exitinfo2;
		struct {
			uint32_t fw_error;
			uint32_t vmm_error;
		} err;
	} u;
};

_Static_assert(sizeof(struct sg_report_req) == 96, "snp_report_req layout");
_Static_assert(sizeof(struct sg_ext_report_req) == 112, "snp_ext_report_req layout");
_Static_assert(sizeof(struct sg_guest_request_ioctl) == 32, "snp_guest_request_ioctl layout");

#define SG_GET_EXT_REPORT _IOWR('S', 0x2, struct sg_guest_request_ioctl)

struct sg_state {
	int fd;
	char detail[ATTESTER_DETAIL_MAX];
};

static const char *
sg_device(void)
{
	const char *d = getenv(SG_DEVICE_ENV);

	return d != NULL && *d != '\0' ? d : SG_DEFAULT_DEVICE;
}

static int
sg_present(void)
{
	struct stat st;

	return stat(sg_device(), &st) == 0;
}

static int
fail(struct sg_state *s, int code, const char *step)
{
	int saved = errno;

	snprintf(s->detail, sizeof(s->detail), "%s: %s", step, strerror(saved));
	errno = saved;
	return code;
}

/* one_request issues the ioctl once; 1 asks the caller to retry with *certs_len. */
static int
one_request(struct sg_state *s, const uint8_t report_data[64], uint8_t *certs, uint32_t *certs_len,
    struct sg_report_resp *resp)
{
	struct sg_ext_report_req req;
	struct sg_guest_request_ioctl io;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&io, 0, sizeof(io));
	memset(resp, 0, sizeof(*resp));
	memcpy(req.data.user_data, report_data, 64);
	req.certs_address = (uint64_t)(uintptr_t)certs;
	req.certs_len = *certs_len;
	io.msg_version = SG_MSG_VERSION;
	io.req_data = (uint64_t)(uintptr_t)&req;
	io.resp_data = (uint64_t)(uintptr_t)resp;
	do
		rc = ioctl(s->fd, SG_GET_EXT_REPORT, &io);
	while (rc < 0 && errno == EINTR);
	if (rc >= 0)
		return 0;
	if (errno == EIO && io.u.err.vmm_error == SG_VMM_ERR_INVALID_LEN) {
		*certs_len = req.certs_len;
		return 1;
	}
	if (errno == EIO && io.u.exitinfo2 != 0) {
		snprintf(s->detail, sizeof(s->detail),
		    "SNP_GET_EXT_REPORT: firmware error 0x%x, hypervisor error 0x%x",
		    io.u.err.fw_error, io.u.err.vmm_error);
		errno = EIO;
		return KBS_ERR_SEV_GUEST_FIRMWARE;
	}
	return fail(s, KBS_ERR_SEV_GUEST_IOCTL, "SNP_GET_EXT_REPORT");
}

static int
sg_get_report(void *state, const uint8_t report_data[64], struct attester_evidence *ret)
{
	struct sg_state *s = state;
	struct sg_report_resp resp;
	uint8_t *certs = NULL;
	uint32_t len = SG_CERTS_FIRST, want;
	int r = 0, attempt;

	s->detail[0] = '\0';
	for (attempt = 0; attempt < SG_ATTEMPTS; attempt++) {
		free(certs);
		if ((certs = calloc(1, len)) == NULL)
			return KBS_ERR_ALLOC;
		want = len;
		if ((r = one_request(s, report_data, certs, &want, &resp)) <= 0)
			break;
		/* The host needs more room: page-rounded, bounded, and more than before. */
		if (want <= len || want > SG_CERTS_MAX) {
			r = KBS_ERR_SEV_GUEST_CERTS_LEN;
			break;
		}
		len = (want + SG_PAGE - 1) / SG_PAGE * SG_PAGE;
	}
	if (r == 1)
		r = KBS_ERR_SEV_GUEST_CERTS_LEN;
	if (r == KBS_ERR_SEV_GUEST_CERTS_LEN) {
		snprintf(s->detail, sizeof(s->detail),
		    "SNP_GET_EXT_REPORT: the host asks for %u bytes of certificates (bound %u, "
		    "%d attempts)",
		    want, SG_CERTS_MAX, SG_ATTEMPTS);
		errno = EMSGSIZE;
	}
	if (r != 0)
		goto out;
	r = attester_sevguest_take_response(
	    resp.data, sizeof(resp.data), certs, len, ret, s->detail, sizeof(s->detail));
	certs = NULL;
out:
	free(certs);
	return r;
}

int
attester_sevguest_take_response(const uint8_t *resp, size_t resp_len, uint8_t *certs,
    size_t certs_len, struct attester_evidence *ret, char *detail, size_t detail_size)
{
	static const uint8_t zero_entry[24];
	struct attester_evidence e;
	struct kbs_buf b;
	uint32_t status = 0, size = 0;
	int r;

	memset(&e, 0, sizeof(e));
	kbs_buf_init(&b, resp, resp_len);
	if (kbs_buf_get_u32le(&b, &status) != 0 || kbs_buf_get_u32le(&b, &size) != 0 ||
	    status != 0 || size != SNP_REPORT_SIZE ||
	    resp_len < SG_RESP_REPORT_OFFSET + SNP_REPORT_SIZE) {
		snprintf(detail, detail_size,
		    "SNP_GET_EXT_REPORT response: status 0x%x, report size %u", status, size);
		errno = EBADMSG;
		r = KBS_ERR_SEV_GUEST_RESPONSE;
		goto out;
	}
	memcpy(e.report, resp + SG_RESP_REPORT_OFFSET, SNP_REPORT_SIZE);
	/* A table that starts with the terminator: the host serves no certificates. */
	if (certs_len < sizeof(zero_entry) || memcmp(certs, zero_entry, sizeof(zero_entry)) != 0) {
		r = attester_evidence_take_certtable(&e, certs, certs_len);
		certs = NULL;
		if (r != 0)
			goto out;
	}
	*ret = e;
	memset(&e, 0, sizeof(e));
	r = 0;
out:
	free(certs);
	attester_evidence_clear(&e);
	return r;
}

static int
sg_open(const char *arg, void **ret_state)
{
	struct sg_state *s;
	int fd;

	if (arg != NULL)
		return KBS_ERR_ATTESTER_SPEC; /* "sev-guest" takes no ARG */
	if ((fd = open(sg_device(), O_RDWR | O_CLOEXEC)) < 0)
		return KBS_ERR_SEV_GUEST_OPEN;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return KBS_ERR_ALLOC;
	}
	s->fd = fd;
	*ret_state = s;
	return 0;
}

static void
sg_close(void *state)
{
	struct sg_state *s = state;

	if (s == NULL)
		return;
	close(s->fd);
	free(s);
}

static const char *
sg_detail(const void *state)
{
	return ((const struct sg_state *)state)->detail;
}

const struct attester_backend attester_sevguest_backend = {
	.kind = "sev-guest",
	.needs_arg = 0,
	.simulated = 0,
	.open = sg_open,
	.get_report = sg_get_report,
	.close = sg_close,
	.detail = sg_detail,
	.present = sg_present,
};
