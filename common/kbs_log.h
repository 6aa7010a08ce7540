/*
 * kbs_log.h: one line per event on stderr (journald adds the time).
 *
 * Only kbs/ and client/ log above debug; library modules return codes.
 * Never pass secret material or raw request bytes; bound untrusted strings
 * with a precision ("%.100s").
 */
#ifndef KBS_LOG_H
#define KBS_LOG_H

enum kbs_log_level {
	KBS_LOG_ERROR = 3,
	KBS_LOG_WARNING = 4,
	KBS_LOG_INFO = 6,
	KBS_LOG_DEBUG = 7,
};

/* kbs_log_set_level sets the most verbose level printed (default INFO). */
void kbs_log_set_level(enum kbs_log_level level);

/* kbs_log prints "<N>message" (the sd-daemon priority prefix) when level passes. */
void kbs_log(enum kbs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
