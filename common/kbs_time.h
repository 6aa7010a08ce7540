/*
 * kbs_time.h: RFC 3339 timestamps, always in UTC.
 */
#ifndef KBS_TIME_H
#define KBS_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "kbs_err.h"

/*
 * kbs_time_parse_rfc3339 parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"
 * (a date alone, "YYYY-MM-DD", means midnight UTC) into seconds since the
 * epoch. Fractions are dropped. KBS_ERR_BAD_TIME on anything else,
 * including out-of-range fields such as month 13 or second 61.
 */
KBS_MUST_CHECK int kbs_time_parse_rfc3339(const char *s, int64_t *ret);

#define KBS_TIME_RFC3339_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" and NUL */

/* kbs_time_format_rfc3339 writes t as "YYYY-MM-DDTHH:MM:SSZ". */
KBS_MUST_CHECK int kbs_time_format_rfc3339(int64_t t, char *out, size_t out_size);

/*
 * kbs_time_from_utc returns the seconds since the epoch of a UTC civil
 * time (proleptic Gregorian; fields are not range-checked, callers do).
 */
int64_t kbs_time_from_utc(int64_t year, int month, int day, int hour, int minute, int second);

/* kbs_time_now returns the current wall-clock time in seconds. */
int64_t kbs_time_now(void);

/* kbs_time_monotonic_ns returns a monotonic clock reading in nanoseconds. */
uint64_t kbs_time_monotonic_ns(void);

#endif
