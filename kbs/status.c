/*
 * status.c: the HTTP status of each error code, in one table, so every
 * route answers the same code with the same status (docs/protocol.md's
 * error table). A code not listed is a server fault: 500.
 */
#include "status.h"

#include "kbs_common.h"

static const struct {
	int code;
	unsigned status;
} statuses[] = {
	{ KBS_ERR_BAD_REQUEST, 400 },
	{ KBS_ERR_BAD_BASE64, 400 },
	{ KBS_ERR_INVALID_ARGUMENT, 400 },
	{ KBS_ERR_REPORT_LENGTH, 400 },
	{ KBS_ERR_REPORT_VERSION, 400 },
	{ KBS_ERR_REPORT_SIG_ALGO, 400 },
	{ KBS_ERR_REPORT_RESERVED, 400 },
	{ KBS_ERR_REPORT_SIGNING_KEY, 400 },
	{ KBS_ERR_REPORT_VMPL, 400 },
	{ KBS_ERR_REPORT_SIG_FORMAT, 400 },
	{ KBS_ERR_NONCE_MALFORMED, 400 },
	{ KBS_ERR_WRAP_WEAK_KEY, 400 },
	{ KBS_ERR_CERT_PARSE, 400 },
	{ KBS_ERR_CERT_NOT_DER, 400 },
	{ KBS_ERR_CERTTABLE_PARSE, 400 },
	{ KBS_ERR_CERTTABLE_DUPLICATE, 400 },
	{ KBS_ERR_POLICY_SYNTAX, 400 },
	{ KBS_ERR_POLICY_LIMIT, 400 },
	{ KBS_ERR_POLICY_UNKNOWN_KEY, 400 },
	{ KBS_ERR_POLICY_DUPLICATE_KEY, 400 },
	{ KBS_ERR_POLICY_TYPE, 400 },
	{ KBS_ERR_POLICY_VALUE, 400 },
	{ KBS_ERR_POLICY_MISSING_KEY, 400 },
	{ KBS_ERR_POLICY_VERSION, 400 },
	{ KBS_ERR_POLICY_LINT, 400 },
	{ KBS_ERR_ETCD_IF_MATCH, 400 },
	{ KBS_ERR_NONCE_MAC, 401 },
	{ KBS_ERR_NONCE_EXPIRED, 401 },
	{ KBS_ERR_NONCE_OTHER_REPLICA, 401 },
	{ KBS_ERR_NONCE_REPLAYED, 401 },
	{ KBS_ERR_REPORT_DATA_NONCE, 401 },
	{ KBS_ERR_EVIDENCE, 401 },
	{ KBS_ERR_UNAUTHORIZED, 401 },
	{ KBS_ERR_TOKEN_INVALID, 401 },
	{ KBS_ERR_POLICY_DENIED, 403 },
	{ KBS_ERR_NO_POLICY, 403 },
	{ KBS_ERR_FORBIDDEN, 403 },
	{ KBS_ERR_NOT_FOUND, 404 },
	{ KBS_ERR_METHOD, 405 },
	{ KBS_ERR_EXISTS, 409 },
	{ KBS_ERR_STORE_TOKEN_REVOKED, 409 }, /* revoking a token twice */
	{ KBS_ERR_ETCD_CONFLICT, 409 },       /* another admin wrote it first */
	{ KBS_ERR_CRL_OTHER_ARK, 409 },       /* a CRL of another trusted ARK is held */
	{ KBS_ERR_CRL_ROLLBACK, 409 },        /* a CRL older than the held one, imported */
	{ KBS_ERR_TOO_LARGE, 413 },
	{ KBS_ERR_RATE_LIMITED, 429 },
	{ KBS_ERR_UNAVAILABLE, 503 },
	{ KBS_ERR_STORE_FULL, 503 },
	{ KBS_ERR_KDS_NO_KEY, 400 },
	{ KBS_ERR_KDS_LAYOUT, 400 },
	{ KBS_ERR_KDS_HTTP, 502 },
	{ KBS_ERR_KDS_CONTENT, 502 },
	{ KBS_ERR_KDS_WRONG_CERT, 502 },
	{ KBS_ERR_KDS_UNAVAILABLE, 503 },
	{ KBS_ERR_KDS_TIMEOUT, 503 },
	{ KBS_ERR_KDS_OFFLINE, 503 },
	{ KBS_ERR_KDS_BUSY, 503 },
	{ KBS_ERR_KDS_BUDGET, 503 },
	{ KBS_ERR_CRL_EXPIRED, 503 },
	{ KBS_ERR_ETCD_UNAVAILABLE, 503 },
	{ KBS_ERR_ETCD_NOT_SYNCED, 503 },
};

unsigned
kbs_http_status_of(int code)
{
	size_t i;

	for (i = 0; i < KBS_ARRAY_SIZE(statuses); i++)
		if (statuses[i].code == code)
			return statuses[i].status;
	return 500;
}
