/*
 * load.c: files for the tools (kbs-policy, kbs-client): a policy, read
 * with the size cap of the language (an oversized file is reported like
 * any other invalid policy, at 1:1, so every caller prints the same
 * message), and the evidence files, read with the caps of the pipeline's
 * inputs (policy.h), so both tools take the same sizes. policy_verify
 * itself reads no file.
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

int
policy_input_read_file(
    const char *path, enum policy_input_part part, uint8_t **ret_data, size_t *ret_len)
{
	static const size_t caps[] = {
		[POLICY_INPUT_REPORT] = POLICY_INPUT_REPORT_MAX,
		[POLICY_INPUT_CERT] = POLICY_INPUT_CERT_MAX,
		[POLICY_INPUT_CERTTABLE] = POLICY_INPUT_CERTTABLE_MAX,
		[POLICY_INPUT_VCEK_CRL] = POLICY_INPUT_CRL_MAX,
		[POLICY_INPUT_VLEK_CRL] = POLICY_INPUT_CRL_MAX,
	};

	if ((unsigned)part >= KBS_ARRAY_SIZE(caps) || caps[part] == 0)
		return KBS_ERR_INVALID_ARGUMENT;
	return kbs_file_read(path, caps[part], ret_data, ret_len);
}
