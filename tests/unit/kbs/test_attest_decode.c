/*
 * Unit tests for kbs_attest_decode (kbs/attest.c), the reader of POST
 * /v1/attest bodies, on what the performance work changed: the per-name
 * slots are allocated for the names the request carries (the struct of one
 * attestation stays small, so a request no longer zeroes and wipes 850 KiB
 * of slots it does not use), every limit still holds, and a refused body
 * frees cleanly (LeakSanitizer checks that in the sanitizer build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest-int.h"
#include "test.h"

/* A body with a valid nonce (32 zero bytes) and report (1184 zero bytes) and n names. */
static char *
body_with(size_t n, int repeat_first)
{
	static const char nonce[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	size_t cap = 4096 + 40 * n, len, i;
	char *s = malloc(cap);

	CHECK(s != NULL);
	if (s == NULL)
		return NULL;
	len = (size_t)snprintf(s, cap, "{\"nonce\":\"%s\",\"report\":\"", nonce);
	for (i = 0; i < SNP_REPORT_SIZE / 3; i++)
		len += (size_t)snprintf(s + len, cap - len, "AAAA");
	/* 1184 = 3 * 394 + 2 bytes */
	len += (size_t)snprintf(s + len, cap - len, "AAA=\",\"secrets\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s\"s%zu\"", i > 0 ? "," : "",
		    repeat_first && i == n - 1 ? (size_t)0 : i);
	snprintf(s + len, cap - len, "]}");
	return s;
}

static int
decode(const char *body, struct kbs_attest **ret, const char **reason)
{
	static struct kbs_req req;
	struct kbs_attest *a = calloc(1, sizeof(*a));
	int r;

	CHECK(a != NULL);
	memset(&req, 0, sizeof(req));
	req.body = (const uint8_t *)body;
	req.body_len = strlen(body);
	a->req = &req;
	r = kbs_attest_decode(a, reason);
	*ret = a;
	return r;
}

static void
test_small_struct(void)
{
	/* The fixed part is the report, the certificate pointers and the verifier's result. */
	CHECK(sizeof(struct kbs_attest) < 16 * 1024);
}

static void
test_slots_per_name(void)
{
	size_t counts[] = { 1, 2, KBS_ATTEST_MAX_SECRETS }, k, i;

	for (k = 0; k < KBS_ARRAY_SIZE(counts); k++) {
		char *body = body_with(counts[k], 0), want[32];
		struct kbs_attest *a = NULL;
		const char *reason = NULL;

		CHECK_OK(decode(body, &a, &reason));
		CHECK_UINT_EQ(a->n_secrets, counts[k]);
		CHECK_UINT_EQ(a->secrets_cap, counts[k]);
		CHECK_UINT_EQ(a->report_len, SNP_REPORT_SIZE);
		for (i = 0; i < a->n_secrets; i++) {
			snprintf(want, sizeof(want), "s%zu", i);
			CHECK_STR_EQ(a->secrets[i].name, want);
			/* Slots start empty: nothing evaluated, nothing opened. */
			CHECK(a->secrets[i].secret == NULL && a->secrets[i].policy == NULL);
			CHECK_UINT_EQ(a->secrets[i].result.count, 0);
		}
		kbs_attest_free(a);
		free(body);
	}
}

static void
test_limits_hold(void)
{
	struct kbs_attest *a = NULL;
	const char *reason = NULL;
	char *body;

	/* One name too many: refused by the field table before any slot is allocated. */
	body = body_with(KBS_ATTEST_MAX_SECRETS + 1, 0);
	CHECK_ERR(decode(body, &a, &reason), KBS_ERR_BAD_REQUEST);
	CHECK_STR_EQ(reason, "member must be a non-empty array within its limit");
	CHECK(a->secrets == NULL);
	kbs_attest_free(a);
	free(body);

	/* A name twice: refused after the slots were allocated; freed all the same. */
	body = body_with(3, 1);
	CHECK_ERR(decode(body, &a, &reason), KBS_ERR_BAD_REQUEST);
	CHECK_STR_EQ(reason, "a secret is named twice");
	CHECK_UINT_EQ(a->secrets_cap, 3);
	CHECK_UINT_EQ(a->n_secrets, 2);
	kbs_attest_free(a);
	free(body);

	/* No names at all. */
	CHECK_ERR(decode("{\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"report\":"
			 "\"AAAA\",\"secrets\":[]}",
		      &a, &reason),
	    KBS_ERR_BAD_REQUEST);
	CHECK(a->secrets == NULL);
	kbs_attest_free(a);
}

TEST_MAIN(TEST(test_small_struct), TEST(test_slots_per_name), TEST(test_limits_hold))
