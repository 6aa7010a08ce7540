/*
 * load.c: a policy from a file, for the tools (kbs-policy, kbs-client) and
 * later the broker's policy loader. The file is read with the size cap of
 * the language; an oversized file is reported like any other invalid
 * policy, at 1:1, so every caller prints the same message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int
policy_parse_file(const char *path, struct policy **ret, struct policy_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r, saved;

	memset(err, 0, sizeof(*err));
	r = kbs_file_read(path, POLICY_MAX_FILE_SIZE, &data, &len);
	if (r == KBS_ERR_TOO_LARGE) {
		err->code = r;
		err->line = 1;
		err->column = 1;
		snprintf(err->message, sizeof(err->message), "file is larger than %u bytes",
		    POLICY_MAX_FILE_SIZE);
		return r;
	}
	if (r != 0) {
		saved = errno;
		err->code = r;
		snprintf(err->message, sizeof(err->message), "%s",
		    r == KBS_ERR_SYSTEM ? strerror(saved) : kbs_err_str(r));
		errno = saved;
		return r;
	}
	r = policy_parse(data, len, ret, err);
	free(data);
	return r;
}
