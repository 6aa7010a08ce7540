/*
 * kbs_log.c: leveled logging to stderr with sd-daemon priority prefixes,
 * so journald files each line at the right priority. The level is the
 * only global and is set once at start-up.
 */
#include "kbs_log.h"

#include <stdarg.h>
#include <stdio.h>

static enum kbs_log_level kbs_log_max = KBS_LOG_INFO;

void
kbs_log_set_level(enum kbs_log_level level)
{
	kbs_log_max = level;
}

void
kbs_log(enum kbs_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > kbs_log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>%s\n", (int)level, line);
}
