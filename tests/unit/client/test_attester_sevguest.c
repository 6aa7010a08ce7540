/*
 * test_attester_sevguest.c: the sev-guest attester against
 * attester_standin.so (LD_PRELOAD; see its header for the modes): a report
 * signed by the simulated chip after the short-buffer retry, verified
 * under the chip's ARK; auto picks it when configfs-tsm is absent; each
 * failure (no device, the retry bound, an oversized ask, a firmware error,
 * a response status, an ioctl errno) with its exact code, errno and line.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "attester-int.h"
#include "attester_test.h"
#include "test.h"

static char device[400];

static unsigned
ioctls(void)
{
	unsigned *n = dlsym(RTLD_DEFAULT, "kbs_standin_ioctls");

	CHECK(n != NULL); /* run with LD_PRELOAD=attester_standin.so */
	return n != NULL ? *n : 0;
}

static void
setup(void)
{
	int fd;

	at_setup("sevguest");
	snprintf(device, sizeof(device), "%s/sev-guest", sim_test_base);
	CHECK((fd = open(device, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	CHECK(setenv("KBS_SEV_GUEST_DEVICE", device, 1) == 0);
	CHECK(setenv("KBS_TSM_ROOT", "/nonexistent/tsm", 1) == 0);
}

static struct attester *
open_mode(const char *spec, const char *mode)
{
	struct attester *a = NULL;

	CHECK(setenv("KBS_STANDIN_SEV_MODE", mode, 1) == 0);
	CHECK_OK(attester_open(spec, &a));
	return a;
}

static void
test_report_after_retry_verifies(void)
{
	struct attester_evidence e;
	struct attester *a;
	uint8_t rd[64];
	unsigned before;
	size_t i;

	setup();
	for (i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(0x80 + i);
	a = open_mode("sev-guest", "ok");
	CHECK_STR_EQ(attester_kind(a), "sev-guest");
	CHECK_INT_EQ(attester_is_simulated(a), 0);
	before = ioctls();
	CHECK_OK(attester_get_report(a, rd, &e));
	CHECK_UINT_EQ(ioctls() - before, 2); /* 16 KiB was short: retried with 20 KiB */
	CHECK_UINT_EQ(e.ncerts, 2);
	CHECK(e.certtable != NULL);
	CHECK_UINT_EQ(e.certtable_len, 5 * 4096);
	CHECK_STR_EQ(attester_detail(a), "");
	at_verify(&e, rd);
	attester_evidence_clear(&e);
	attester_close(a);

	/* auto: no configfs-tsm here, the device is there. */
	a = open_mode("auto", "ok");
	CHECK_STR_EQ(attester_kind(a), "sev-guest");
	CHECK_OK(attester_get_report(a, rd, &e));
	at_verify(&e, rd);
	attester_evidence_clear(&e);
	attester_close(a);

	/* A host that serves no certificates: the report alone, one ioctl. */
	a = open_mode("sev-guest", "no-certs");
	before = ioctls();
	CHECK_OK(attester_get_report(a, rd, &e));
	CHECK_UINT_EQ(ioctls() - before, 1);
	CHECK_UINT_EQ(e.ncerts, 0);
	CHECK(e.certtable == NULL);
	attester_evidence_clear(&e);
	attester_close(a);
}

static void
test_failures(void)
{
	struct attester *a = NULL;
	unsigned before;
	char missing[420];

	setup();
	a = open_mode("sev-guest", "grow");
	before = ioctls();
	at_expect_fail(a, KBS_ERR_SEV_GUEST_CERTS_LEN, EMSGSIZE,
	    "SNP_GET_EXT_REPORT: the host asks for 131072 bytes of certificates (bound 262144, 3 "
	    "attempts)");
	CHECK_UINT_EQ(ioctls() - before, 3);
	attester_close(a);

	a = open_mode("sev-guest", "huge");
	before = ioctls();
	at_expect_fail(a, KBS_ERR_SEV_GUEST_CERTS_LEN, EMSGSIZE,
	    "SNP_GET_EXT_REPORT: the host asks for 1048576 bytes of certificates (bound 262144, 3 "
	    "attempts)");
	CHECK_UINT_EQ(ioctls() - before, 1);
	attester_close(a);

	a = open_mode("sev-guest", "fw-error");
	at_expect_fail(a, KBS_ERR_SEV_GUEST_FIRMWARE, EIO,
	    "SNP_GET_EXT_REPORT: firmware error 0x16, hypervisor error 0x0");
	attester_close(a);

	a = open_mode("sev-guest", "status");
	at_expect_fail(a, KBS_ERR_SEV_GUEST_RESPONSE, EBADMSG,
	    "SNP_GET_EXT_REPORT response: status 0x16, report size 1184");
	attester_close(a);

	a = open_mode("sev-guest", "errno");
	at_expect_fail(a, KBS_ERR_SEV_GUEST_IOCTL, ENOTTY,
	    "SNP_GET_EXT_REPORT: Inappropriate ioctl for device");
	attester_close(a);

	/* No device: open fails with the real errno; auto finds nothing. */
	snprintf(missing, sizeof(missing), "%s/none", sim_test_base);
	CHECK(setenv("KBS_SEV_GUEST_DEVICE", missing, 1) == 0);
	a = NULL;
	errno = 0;
	CHECK_ERR(attester_open("sev-guest", &a), KBS_ERR_SEV_GUEST_OPEN);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK_ERR(attester_open("auto", &a), KBS_ERR_ATTESTER_NONE);
	CHECK_ERR(attester_open("sev-guest:x", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK(a == NULL);
	CHECK(setenv("KBS_SEV_GUEST_DEVICE", device, 1) == 0);
}

/*
 * attester_sevguest_take_response, the read of what the ioctl returned
 * (fuzzed by fuzz_attester_answers): a status or report size other than
 * the expected is KBS_ERR_SEV_GUEST_RESPONSE with EBADMSG and the values
 * named; a buffer starting with the terminator is no certificates; a
 * table that does not parse is the table's code; *ret is untouched on
 * failure.
 */
static void
test_take_response(void)
{
	static uint8_t resp[4000];
	struct attester_evidence e, keep;
	char detail[ATTESTER_DETAIL_MAX];
	uint8_t *certs;

	memset(resp, 0, sizeof(resp));
	resp[4] = 0xa0; /* report size 0x4a0, little-endian */
	resp[5] = 0x04;
	memset(resp + 0x20, 0x77, SNP_REPORT_SIZE);
	memset(&e, 0x5a, sizeof(e));
	keep = e;

	resp[0] = 0x16; /* status INVALID_PARAM */
	CHECK((certs = calloc(1, 4096)) != NULL);
	errno = 0;
	CHECK_ERR(attester_sevguest_take_response(
		      resp, sizeof(resp), certs, 4096, &e, detail, sizeof(detail)),
	    KBS_ERR_SEV_GUEST_RESPONSE);
	CHECK_INT_EQ(errno, EBADMSG);
	CHECK_STR_EQ(detail, "SNP_GET_EXT_REPORT response: status 0x16, report size 1184");
	CHECK(memcmp(&e, &keep, sizeof(e)) == 0);
	resp[0] = 0;

	resp[4] = 0xa1;
	CHECK((certs = calloc(1, 4096)) != NULL);
	CHECK_ERR(attester_sevguest_take_response(
		      resp, sizeof(resp), certs, 4096, &e, detail, sizeof(detail)),
	    KBS_ERR_SEV_GUEST_RESPONSE);
	CHECK_STR_EQ(detail, "SNP_GET_EXT_REPORT response: status 0x0, report size 1185");
	resp[4] = 0xa0;

	/* A response too short to hold the report. */
	CHECK((certs = calloc(1, 4096)) != NULL);
	CHECK_ERR(attester_sevguest_take_response(
		      resp, 0x20 + SNP_REPORT_SIZE - 1, certs, 4096, &e, detail, sizeof(detail)),
	    KBS_ERR_SEV_GUEST_RESPONSE);

	/* A first entry that is not the terminator, pointing out of the buffer. */
	CHECK((certs = calloc(1, 4096)) != NULL);
	certs[0] = 1;
	certs[16] = 0xff;
	certs[17] = 0xff;
	CHECK_ERR(attester_sevguest_take_response(
		      resp, sizeof(resp), certs, 4096, &e, detail, sizeof(detail)),
	    KBS_ERR_CERTTABLE_PARSE);
	CHECK(memcmp(&e, &keep, sizeof(e)) == 0);

	CHECK((certs = calloc(1, 4096)) != NULL);
	CHECK_OK(attester_sevguest_take_response(
	    resp, sizeof(resp), certs, 4096, &e, detail, sizeof(detail)));
	CHECK_INT_EQ(e.ncerts, 0);
	CHECK(e.report[0] == 0x77 && e.report[SNP_REPORT_SIZE - 1] == 0x77);
	attester_evidence_clear(&e);
}

static void
teardown(void)
{
	sim_test_teardown();
}

TEST_MAIN(TEST(test_report_after_retry_verifies), TEST(test_failures), TEST(test_take_response),
    TEST(teardown))
