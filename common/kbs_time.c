/*
 * kbs_time.c: strict RFC 3339 parsing without the locale- and
 * timezone-dependent libc calls (no strptime, no mktime): the civil date
 * is converted to days with the proleptic Gregorian formula.
 */
#include "kbs_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int
digits(const char *s, size_t n, int *ret)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return KBS_ERR_BAD_TIME;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* days_from_civil: days since 1970-01-01 for a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

int64_t
kbs_time_from_utc(int64_t year, int month, int day, int hour, int minute, int second)
{
	return days_from_civil(year, month, day) * 86400 + (int64_t)hour * 3600 +
	    (int64_t)minute * 60 + second;
}

int
kbs_time_parse_rfc3339(const char *s, int64_t *ret)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	size_t len, i;

	if (s == NULL)
		return KBS_ERR_BAD_TIME;
	len = strlen(s);
	if (len < 10 || digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &mo) != 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) != 0)
		return KBS_ERR_BAD_TIME;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return KBS_ERR_BAD_TIME;
	if (len > 10) {
		if (len < 20 || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) != 0 ||
		    s[13] != ':' || digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
		    digits(s + 17, 2, &sec) != 0)
			return KBS_ERR_BAD_TIME;
		if (h > 23 || mi > 59 || sec > 60)
			return KBS_ERR_BAD_TIME;
		i = 19;
		if (s[i] == '.') {
			i++;
			if (s[i] < '0' || s[i] > '9')
				return KBS_ERR_BAD_TIME;
			while (s[i] >= '0' && s[i] <= '9')
				i++;
		}
		if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0') {
			sign = 0;
		} else if ((s[i] == '+' || s[i] == '-') && len - i == 6 &&
		    digits(s + i + 1, 2, &oh) == 0 && s[i + 3] == ':' &&
		    digits(s + i + 4, 2, &om) == 0 && oh <= 23 && om <= 59) {
			sign = s[i] == '+' ? 1 : -1;
		} else {
			return KBS_ERR_BAD_TIME;
		}
		if (sec == 60)
			sec = 59; /* a leap second reads as the second before it */
	}
	*ret = kbs_time_from_utc(y, mo, d, h, mi, sec) - (int64_t)sign * (oh * 3600 + om * 60);
	return 0;
}

int
kbs_time_format_rfc3339(int64_t t, char *out, size_t out_size)
{
	struct tm tm;
	time_t tt = (time_t)t;
	int n;

	if (out_size < KBS_TIME_RFC3339_LEN)
		return KBS_ERR_BUFFER_TOO_SMALL;
	if (gmtime_r(&tt, &tm) == NULL)
		return KBS_ERR_BAD_TIME;
	n = snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= out_size)
		return KBS_ERR_BAD_TIME;
	return 0;
}

int64_t
kbs_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
kbs_time_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
