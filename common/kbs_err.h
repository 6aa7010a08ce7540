/*
 * kbs_err.h: the one list of error codes used by every module.
 *
 * A fallible function returns int: 0 on success or a negative KBS_ERR_*
 * from this list. kbs_err_str() gives a short, fixed English sentence for
 * each code; the sentences never contain secret material, so they are safe
 * in logs, HTTP answers and audit records.
 *
 * Each module owns a numeric block so that codes stay stable when another
 * module adds one: common -1..-99, snp -100..-199, policy -200..-299,
 * keystore -300..-399, kbs (daemon) -400..-499, client -500..-599.
 * Codes are part of the wire and audit format: never renumber one.
 */
#ifndef KBS_ERR_H
#define KBS_ERR_H

#include <errno.h>

#define KBS_MUST_CHECK __attribute__((warn_unused_result))

/* common */
#define KBS_ERR_INTERNAL -1
#define KBS_ERR_ALLOC -2
#define KBS_ERR_SYSTEM -3 /* errno holds the cause */
#define KBS_ERR_INVALID_ARGUMENT -4
#define KBS_ERR_TRUNCATED -5
#define KBS_ERR_TRAILING_DATA -6
#define KBS_ERR_BAD_HEX -7
#define KBS_ERR_BAD_BASE64 -8
#define KBS_ERR_BAD_TIME -9
#define KBS_ERR_TOO_LARGE -10
#define KBS_ERR_NOT_FOUND -11
#define KBS_ERR_EXISTS -12
#define KBS_ERR_IO -13
#define KBS_ERR_BUFFER_TOO_SMALL -14
#define KBS_ERR_NUMBER_RANGE -15
#define KBS_ERR_CRYPTO_INIT -16

/* snp: report */
#define KBS_ERR_REPORT_LENGTH -100
#define KBS_ERR_REPORT_VERSION -101
#define KBS_ERR_REPORT_SIG_ALGO -102
#define KBS_ERR_REPORT_RESERVED -103
#define KBS_ERR_REPORT_SIGNING_KEY -104
#define KBS_ERR_REPORT_VMPL -105
#define KBS_ERR_PRODUCT_UNKNOWN -106
#define KBS_ERR_PRODUCT_MISMATCH -107
#define KBS_ERR_REPORT_SIG_FORMAT -108
/* snp: certificates and chain */
#define KBS_ERR_CERT_PARSE -120
#define KBS_ERR_CERT_MISSING -121
#define KBS_ERR_CERT_ARK_NOT_PINNED -122
#define KBS_ERR_CERT_ARK_SIGNATURE -123
#define KBS_ERR_CERT_ASK_SIGNATURE -124
#define KBS_ERR_CERT_VCEK_SIGNATURE -125
#define KBS_ERR_CERT_SIG_ALGORITHM -126
#define KBS_ERR_CERT_KEY -127
#define KBS_ERR_CERT_NOT_YET_VALID -128
#define KBS_ERR_CERT_EXPIRED -129
#define KBS_ERR_CERT_EXTENSION -130
#define KBS_ERR_CERT_REVOKED -131
#define KBS_ERR_CERT_ISSUER -132
#define KBS_ERR_CERT_SIGNER_KIND -133
#define KBS_ERR_CRL_PARSE -140
#define KBS_ERR_CRL_SIGNATURE -141
#define KBS_ERR_CRL_STALE -142
#define KBS_ERR_CRL_NOT_YET_VALID -143
#define KBS_ERR_CRL_ISSUER -144
#define KBS_ERR_REPORT_SIGNATURE -150
#define KBS_ERR_TCB_MISMATCH -151
#define KBS_ERR_CHIP_ID_MISMATCH -152
#define KBS_ERR_CERTTABLE_PARSE -160
#define KBS_ERR_CERTTABLE_DUPLICATE -161
#define KBS_ERR_MEASUREMENT_MISMATCH -170

/* policy */
#define KBS_ERR_POLICY_SYNTAX -200
#define KBS_ERR_POLICY_UNKNOWN_KEY -201
#define KBS_ERR_POLICY_DUPLICATE_KEY -202
#define KBS_ERR_POLICY_TYPE -203
#define KBS_ERR_POLICY_VALUE -204
#define KBS_ERR_POLICY_MISSING_KEY -205
#define KBS_ERR_POLICY_VERSION -206
#define KBS_ERR_POLICY_DENIED -207
#define KBS_ERR_POLICY_LIMIT -208

/* keystore */
#define KBS_ERR_STORE_OPEN -300
#define KBS_ERR_STORE_SCHEMA -301
#define KBS_ERR_STORE_MASTER_KEY -302
#define KBS_ERR_STORE_KEY_PERMS -303
#define KBS_ERR_STORE_DIR_OWNER -304
#define KBS_ERR_STORE_INTEGRITY -305
#define KBS_ERR_STORE_FULL -306
#define KBS_ERR_STORE_NONCE_REUSED -307
#define KBS_ERR_STORE_AUDIT_CHAIN -308
#define KBS_ERR_STORE_CORRUPT -309
#define KBS_ERR_STORE_BUSY -310
#define KBS_ERR_STORE_KEY_FORMAT -311
#define KBS_ERR_STORE_MAP_FULL -312 /* internal: the map is grown and the write retried */
#define KBS_ERR_STORE_DIR_PERMS -313

/* kbs daemon and client: reserved blocks, filled as those modules land */

/*
 * kbs_err_str returns a static sentence for code (never NULL); an unknown
 * code gives "unknown error".
 */
const char *kbs_err_str(int code);

/*
 * kbs_err_name returns the code's stable symbolic name without the
 * KBS_ERR_ prefix, lower case (e.g. "report_signature"), for JSON output
 * and audit records; "unknown" for an unknown code, "ok" for 0.
 */
const char *kbs_err_name(int code);

#endif
