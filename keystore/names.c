/*
 * names.c: which secret and policy names the store accepts.
 *
 * Names appear in URLs, policy files, audit records and JSON, so they are
 * limited to a small set of characters that need no escaping anywhere and
 * cannot be confused with a path component ("." and ".." are refused).
 */
#include "keystore-int.h"

#include <string.h>

static bool
name_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '-' || c == ':' || c == '/' || c == '@' || c == '+';
}

int
ks_name_check_bytes(const uint8_t *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0 || len > KEYSTORE_NAME_MAX)
		return KBS_ERR_INVALID_ARGUMENT;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return KBS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < len; i++) {
		if (!name_char_ok(name[i]))
			return KBS_ERR_INVALID_ARGUMENT;
	}
	return 0;
}

int
ks_name_check(const char *name, size_t *ret_len)
{
	size_t len;
	int r;

	if (name == NULL)
		return KBS_ERR_INVALID_ARGUMENT;
	len = strnlen(name, KEYSTORE_NAME_MAX + 1);
	if ((r = ks_name_check_bytes((const uint8_t *)name, len)) != 0)
		return r;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}
