/*
 * test_attester_tsm.c: the tsm attester against attester_standin.so
 * (LD_PRELOAD: a configfs-tsm tree under $KBS_TSM_ROOT whose mkdir makes
 * the attributes and starts a helper that answers outblob and auxblob with
 * a report signed by the simulated chip). The report verifies under the
 * chip's ARK, the entry is removed, auto picks tsm; a missing auxblob is
 * no certificates; a changed generation, a provider that is not sev_guest,
 * a short outblob, a missing privlevel or inblob, an unreadable auxblob, a
 * failed rmdir and a missing root fail with their exact code, errno and
 * line, and leave no entry behind.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attester-int.h"
#include "attester_test.h"
#include "test.h"

static char root[400];

static void
setup(void)
{
	at_setup("tsm");
	snprintf(root, sizeof(root), "%s/tsm-report", sim_test_base);
	CHECK(mkdir(root, 0700) == 0 || errno == EEXIST);
	CHECK(setenv("KBS_TSM_ROOT", root, 1) == 0);
	CHECK(setenv("KBS_SEV_GUEST_DEVICE", "/nonexistent/sev-guest", 1) == 0);
}

/* entries counts what is left in the root (every request removes its entry). */
static int
entries(void)
{
	DIR *d = opendir(root);
	struct dirent *de;
	int n = 0;

	CHECK(d != NULL);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static struct attester *
open_mode(const char *spec, const char *mode)
{
	struct attester *a = NULL;

	CHECK(setenv("KBS_STANDIN_TSM_MODE", mode, 1) == 0);
	CHECK_OK(attester_open(spec, &a));
	return a;
}

static void
test_report_verifies(void)
{
	struct attester_evidence e;
	struct attester *a;
	uint8_t rd[64];
	size_t i;

	setup();
	for (i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(7 * i + 3);
	a = open_mode("tsm", "ok");
	CHECK_STR_EQ(attester_kind(a), "tsm");
	CHECK_INT_EQ(attester_is_simulated(a), 0);
	CHECK_OK(attester_get_report(a, rd, &e));
	CHECK_UINT_EQ(e.ncerts, 2);
	CHECK(e.certtable != NULL);
	at_verify(&e, rd);
	attester_evidence_clear(&e);
	/* The same handle again: a fresh entry each time. */
	rd[0] ^= 0xff;
	CHECK_OK(attester_get_report(a, rd, &e));
	at_verify(&e, rd);
	attester_evidence_clear(&e);
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	a = open_mode("auto", "ok");
	CHECK_STR_EQ(attester_kind(a), "tsm");
	attester_close(a);

	/* No auxblob: the report, no certificates (the verifier fetches the VCEK). */
	a = open_mode("tsm", "no-auxblob");
	CHECK_OK(attester_get_report(a, rd, &e));
	CHECK_UINT_EQ(e.ncerts, 0);
	CHECK(e.certtable == NULL);
	CHECK_MEM_EQ(e.report + 0x50, rd, 64);
	attester_evidence_clear(&e);
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);
}

static void
test_failures(void)
{
	struct attester *a = NULL;
	char missing[420];

	setup();
	a = open_mode("tsm", "generation");
	at_expect_fail(a, KBS_ERR_TSM_GENERATION, ESTALE,
	    "generation changed from 2 to 3: another writer used the entry");
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	a = open_mode("tsm", "provider");
	at_expect_fail(a, KBS_ERR_TSM_PROVIDER, EBADMSG, "provider is 'tdx_guest', not sev_guest");
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	a = open_mode("tsm", "short-outblob");
	at_expect_fail(a, KBS_ERR_TSM_OUTBLOB, EBADMSG, "outblob is 100 bytes, not 1184");
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	a = open_mode("tsm", "no-privlevel");
	at_expect_fail(
	    a, KBS_ERR_TSM_PRIVLEVEL, ENOENT, "write privlevel: No such file or directory");
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	a = open_mode("tsm", "no-inblob");
	at_expect_fail(a, KBS_ERR_TSM_INBLOB, ENOENT, "write inblob: No such file or directory");
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	a = open_mode("tsm", "auxblob-dir");
	at_expect_fail(a, KBS_ERR_TSM_AUXBLOB, EISDIR, "read auxblob: Is a directory");
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	/* The report was good, but the entry could not be removed: fail closed. */
	a = open_mode("tsm", "rmdir-busy");
	at_expect_fail(a, KBS_ERR_TSM_RMDIR, EBUSY, "rmdir: Device or resource busy");
	attester_close(a);
	CHECK_INT_EQ(entries(), 0);

	/* The root vanishes after open: mkdir is the step that fails. */
	a = open_mode("tsm", "ok");
	CHECK(rmdir(root) == 0);
	at_expect_fail(a, KBS_ERR_TSM_MKDIR, ENOENT, "mkdir: No such file or directory");
	attester_close(a);
	CHECK(mkdir(root, 0700) == 0);

	snprintf(missing, sizeof(missing), "%s/none", sim_test_base);
	CHECK(setenv("KBS_TSM_ROOT", missing, 1) == 0);
	a = NULL;
	errno = 0;
	CHECK_ERR(attester_open("tsm", &a), KBS_ERR_TSM_MKDIR);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK_ERR(attester_open("auto", &a), KBS_ERR_ATTESTER_NONE);
	CHECK_ERR(attester_open("tsm:x", &a), KBS_ERR_ATTESTER_SPEC);
	CHECK(a == NULL);
	CHECK(setenv("KBS_TSM_ROOT", root, 1) == 0);
}

/*
 * The attribute readers (fuzzed by fuzz_attester_answers): trailing
 * newlines and NULs go, a NUL inside, a text that does not fit, or a
 * number with anything but digits or out of range is -1 with EBADMSG
 * and nothing written.
 */
static void
test_parse_attrs(void)
{
	char out[10];
	unsigned long long v = 7;

	CHECK_OK(attester_tsm_parse_text((const uint8_t *)"sev_guest\n\0", 11, out, sizeof(out)));
	CHECK_STR_EQ(out, "sev_guest");
	CHECK_OK(attester_tsm_parse_text((const uint8_t *)"", 0, out, sizeof(out)));
	CHECK_STR_EQ(out, "");
	errno = 0;
	CHECK_INT_EQ(
	    attester_tsm_parse_text((const uint8_t *)"sev\0guest", 9, out, sizeof(out)), -1);
	CHECK_INT_EQ(errno, EBADMSG);
	errno = 0;
	CHECK_INT_EQ(
	    attester_tsm_parse_text((const uint8_t *)"sev_guest!", 10, out, sizeof(out)), -1);
	CHECK_INT_EQ(errno, EBADMSG);

	CHECK_OK(attester_tsm_parse_u64((const uint8_t *)"0042\n", 5, &v));
	CHECK_UINT_EQ(v, 42);
	CHECK_OK(attester_tsm_parse_u64((const uint8_t *)"18446744073709551615", 20, &v));
	CHECK(v == 18446744073709551615ull);
	static const char *const bad[] = { "", "\n", "-1", " 1", "+1", "1x", "0x10",
		"18446744073709551616" };
	for (size_t i = 0; i < KBS_ARRAY_SIZE(bad); i++) {
		v = 7;
		errno = 0;
		CHECK_INT_EQ(
		    attester_tsm_parse_u64((const uint8_t *)bad[i], strlen(bad[i]), &v), -1);
		CHECK_INT_EQ(errno, EBADMSG);
		CHECK_UINT_EQ(v, 7);
	}
}

static void
teardown(void)
{
	sim_test_teardown();
}

TEST_MAIN(TEST(test_report_verifies), TEST(test_failures), TEST(test_parse_attrs), TEST(teardown))
