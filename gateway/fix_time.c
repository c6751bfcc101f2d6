/*
 * fix_time.c - UTCTimestamp <-> nanoseconds since the Unix epoch.
 *
 * Days from a civil date and back use Howard Hinnant's algorithms
 * (proleptic Gregorian, exact for every date here), so there is no timegm(),
 * no locale and no TZ in the way.
 */
#include "config.h"

#include "fix.h"

#define NS_PER_SEC  INT64_C(1000000000)
#define SEC_PER_DAY INT64_C(86400)
/* 2262-01-01T00:00:00Z is past INT64_MAX ns; years 1970..2261 all fit. */
#define YEAR_MIN 1970
#define YEAR_MAX 2261

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : dim[m - 1];
}

/* Reads n digits at s into *v; false if any is not a digit. */
static bool digits(const char *s, size_t n, unsigned *v)
{
	unsigned acc = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		acc = acc * 10 + (unsigned)(s[i] - '0');
	}
	*v = acc;
	return true;
}

int fix_time_parse(const char *s, size_t len, int64_t *ns)
{
	unsigned y, mo, d, h, mi, sec, frac = 0;
	size_t fl;
	int64_t t;

	if (s == NULL || ns == NULL)
		return FIX_EINVAL;
	/* YYYYMMDD-HH:MM:SS is 17 bytes; then nothing, or '.' and 3, 6 or 9. */
	if (len < 17)
		return FIX_EFORMAT;
	fl = len == 17 ? 0 : len - 18;
	if (len != 17 && (s[17] != '.' || (fl != 3 && fl != 6 && fl != 9)))
		return FIX_EFORMAT;
	if (s[8] != '-' || s[11] != ':' || s[14] != ':')
		return FIX_EFORMAT;
	if (!digits(s, 4, &y) || !digits(s + 4, 2, &mo) || !digits(s + 6, 2, &d) ||
	    !digits(s + 9, 2, &h) || !digits(s + 12, 2, &mi) || !digits(s + 15, 2, &sec) ||
	    (fl > 0 && !digits(s + 18, fl, &frac)))
		return FIX_EFORMAT;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return FIX_EFORMAT;
	if (d > days_in_month(y, mo))
		return FIX_EFORMAT;
	if (y < YEAR_MIN || y > YEAR_MAX)
		return FIX_ERANGE;
	for (size_t i = fl; i < 9; i++)
		frac *= 10;
	t = days_from_civil(y, mo, d) * SEC_PER_DAY + (int64_t)h * 3600 + (int64_t)mi * 60 + sec;
	*ns = t * NS_PER_SEC + frac;
	return 0;
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

int fix_time_format(int64_t ns, char out[FIX_TIME_LEN])
{
	int64_t days, secs, y;
	unsigned m, d, ms;

	if (ns < 0)
		return FIX_ERANGE; /* before 1970, and the gateway's clock is not */
	days = ns / NS_PER_SEC / SEC_PER_DAY;
	secs = ns / NS_PER_SEC % SEC_PER_DAY;
	ms = (unsigned)(ns % NS_PER_SEC / 1000000);
	civil_from_days(days, &y, &m, &d);
	put2(out, (unsigned)(y / 100));
	put2(out + 2, (unsigned)(y % 100));
	put2(out + 4, m);
	put2(out + 6, d);
	out[8] = '-';
	put2(out + 9, (unsigned)(secs / 3600));
	out[11] = ':';
	put2(out + 12, (unsigned)(secs / 60 % 60));
	out[14] = ':';
	put2(out + 15, (unsigned)(secs % 60));
	out[17] = '.';
	out[18] = (char)('0' + ms / 100);
	put2(out + 19, ms % 100);
	return 0;
}
