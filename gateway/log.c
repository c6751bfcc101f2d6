/*
 * log.c - stderr or syslog (see log.h).
 */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules.h"

static bool log_fg = true;
static int log_level = LOG_INFO;
static const char *log_ident = "riskgwd";
static FILE *log_out; /* NULL: stderr */

void log_init(const char *ident, bool foreground, int level)
{
	log_ident = ident;
	log_fg = foreground;
	log_level = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_setstream(FILE *f)
{
	log_out = f;
}

void log_setlevel(int level)
{
	log_level = level;
}

int log_getlevel(void)
{
	return log_level;
}

/* A line may quote what a peer sent (a FIX field, a reason text): control
 * characters are written as \xNN (rules_text_safe()), so that no peer can
 * end a log line early, forge the next one or send escape sequences to a
 * terminal that shows the log. */
static void vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char raw[1024], msg[1024], sfx[256];

	if (pri > log_level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	(void)rules_text_safe(msg, sizeof(msg), raw);
	if (suffix != NULL) {
		(void)rules_text_safe(sfx, sizeof(sfx), suffix);
		suffix = sfx;
	}
	if (log_fg) {
		struct timespec ts;
		struct tm tm;
		char t[32];
		FILE *out = log_out != NULL ? log_out : stderr;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(out, "%s.%03ldZ %s: %s%s%s\n", t, ts.tv_nsec / 1000000, log_ident, msg,
		    suffix ? ": " : "", suffix ? suffix : "");
		fflush(out);
	} else {
		syslog(pri, "%s%s%s", msg, suffix ? ": " : "", suffix ? suffix : "");
	}
}

#define LOGFN(name, pri)                                                                   \
	void name(const char *fmt, ...)                                                    \
	{                                                                                  \
		va_list ap;                                                                \
		va_start(ap, fmt);                                                         \
		vlog(pri, fmt, ap, NULL);                                                  \
		va_end(ap);                                                                \
	}

LOGFN(log_alert, LOG_ALERT)
LOGFN(log_error, LOG_ERR)
LOGFN(log_warnx, LOG_WARNING)
LOGFN(log_notice, LOG_NOTICE)
LOGFN(log_info, LOG_INFO)
LOGFN(log_debug, LOG_DEBUG)

void log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, e);
	va_end(ap);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
