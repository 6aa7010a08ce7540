/*
 * kbs_err.h: the one list of error codes used by every module.
 *
 * A fallible function returns int: 0 on success or a negative KBS_ERR_*
 * from this list. kbs_err_str() gives a short, fixed English sentence for
 * each code; the sentences never contain secret material, so they are safe
 * in logs, HTTP answers and audit records.
 *
 * The codes, their names and sentences are written once, in
 * kbs_err_list.h, which also says which numeric block each module owns.
 */
#ifndef KBS_ERR_H
#define KBS_ERR_H

#include <errno.h>

#define KBS_MUST_CHECK __attribute__((warn_unused_result))

/*
 * The constants, from the one list in kbs_err_list.h. An enum rather than
 * #defines so that the list is written once; the values are the fixed
 * numbers written there.
 */
enum kbs_err_code {
#define KBS_ERR_X(constant, name, code, text) KBS_ERR_##constant = (code),
#include "kbs_err_list.h"
#undef KBS_ERR_X
};

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
