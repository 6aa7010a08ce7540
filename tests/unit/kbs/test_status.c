/*
 * Unit tests for kbs/status.c: every row of docs/protocol.md's error table
 * is read from the page itself, and each code it names must answer with
 * the row's status, so the page and the table cannot drift; then the
 * statuses the protocol fixes outside the table (admin 401/403, the token
 * refusals that reach the wire as token_invalid) and the 500 default.
 */
#include "status.h"
#include "test.h"

/* code_of finds the code whose kbs_err_name is name; 0 when none is. */
static int
code_of(const char *name, size_t len)
{
	int c;

	for (c = -1; c >= -1000; c--) {
		const char *n = kbs_err_name(c);

		if (strlen(n) == len && strncmp(n, name, len) == 0)
			return c;
	}
	return 0;
}

/* check_row checks "| 401 | `a`, `b` | ..." and returns the number of codes in it. */
static int
check_row(const char *line)
{
	const char *p = line + 2, *col, *q;
	unsigned long status;
	char *end = NULL;
	int n = 0;

	status = strtoul(p, &end, 10);
	if (end == p || status < 400 || status > 599 || strncmp(end, " | ", 3) != 0)
		return -1;
	col = end + 3;
	for (q = col; *q != '\0' && *q != '|';) {
		const char *a = strchr(q, '`'), *b;
		int code;

		if (a == NULL || (b = strchr(a + 1, '`')) == NULL || a > strchr(q, '|'))
			break;
		code = code_of(a + 1, (size_t)(b - a - 1));
		/* "`evidence` + `check`": check is a member of the answer, not a code */
		if (code == 0 && !(b - a - 1 == 5 && strncmp(a + 1, "check", 5) == 0)) {
			fprintf(stderr, "protocol.md names an unknown code: %.*s\n",
			    (int)(b - a - 1), a + 1);
			return -1;
		}
		if (code != 0) {
			if (kbs_http_status_of(code) != status)
				fprintf(stderr, "%.*s: status %u, protocol.md says %lu\n",
				    (int)(b - a - 1), a + 1, kbs_http_status_of(code), status);
			CHECK_UINT_EQ(kbs_http_status_of(code), status);
			n++;
		}
		q = b + 1;
	}
	return n;
}

static void
test_protocol_table(void)
{
	const char *root = getenv("KBS_SOURCE_ROOT");
	char path[4096], *text, *line, *save = NULL;
	size_t len = 0;
	int in_table = 0, rows = 0, codes = 0, r;

	CHECK(root != NULL);
	if (root == NULL)
		return;
	snprintf(path, sizeof(path), "%s/docs/protocol.md", root);
	{
		uint8_t *data = test_read(path, &len);

		text = calloc(1, len + 1); /* strtok_r wants a terminated copy */
		CHECK(text != NULL);
		if (text != NULL)
			memcpy(text, data, len);
		free(data);
		if (text == NULL)
			return;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "| status | error | meaning |") == 0) {
			in_table = 1;
			continue;
		}
		if (!in_table || strncmp(line, "|---", 4) == 0)
			continue;
		if (line[0] != '|')
			break; /* the table ends at the first line that is not a row */
		r = check_row(line);
		CHECK(r > 0);
		rows++;
		codes += r > 0 ? r : 0;
	}
	/* The table has 23 rows naming 38 codes; a lost row would go unchecked. */
	CHECK_INT_EQ(rows, 23);
	CHECK_INT_EQ(codes, 38);
	free(text);
}

static void
test_fixed_statuses(void)
{
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_TOKEN_INVALID), 401);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_UNAUTHORIZED), 401);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_FORBIDDEN), 403);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_NO_POLICY), 403);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_EXISTS), 409);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_STORE_FULL), 503);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_POLICY_LINT), 400);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_CERT_PARSE), 400);
	/* A code the table does not list is a server fault. */
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_INTERNAL), 500);
	CHECK_UINT_EQ(kbs_http_status_of(KBS_ERR_STORE_CORRUPT), 500);
	CHECK_UINT_EQ(kbs_http_status_of(0), 500);
	CHECK_UINT_EQ(kbs_http_status_of(-99999), 500);
}

TEST_MAIN(TEST(test_protocol_table), TEST(test_fixed_statuses))
