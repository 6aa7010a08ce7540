/*
 * kbs_log.c: leveled logging to stderr with sd-daemon priority prefixes,
 * so journald files each line at the right priority. The level is the
 * only global: set at start-up and again by a reload.
 */
#include "kbs_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

/* Atomic: a reload (SIGHUP) changes it while request threads log. */
static atomic_int kbs_log_max = KBS_LOG_INFO;

void
kbs_log_set_level(enum kbs_log_level level)
{
	atomic_store_explicit(&kbs_log_max, (int)level, memory_order_relaxed);
}

void
kbs_log(enum kbs_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if ((int)level > atomic_load_explicit(&kbs_log_max, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>%s\n", (int)level, line);
}
