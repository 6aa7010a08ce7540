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

static void
teardown(void)
{
	sim_test_teardown();
}

TEST_MAIN(TEST(test_report_after_retry_verifies), TEST(test_failures), TEST(teardown))
