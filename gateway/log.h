/*
 * log.h - riskgwd's logging, OpenBSD style: to stderr in the foreground
 * (with a timestamp), to syslog (LOG_DAEMON) otherwise. log_warn() appends
 * strerror(errno); log_warnx() does not. Library modules never log: they
 * return codes and fill error buffers; the daemon logs once, at the boundary.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

void log_init(const char *ident, bool foreground, int level);
/* Foreground lines go to f instead of stderr (NULL: stderr again); for
 * tests that read what was logged while sanitizer reports stay on stderr. */
void log_setstream(FILE *f);
void log_setlevel(int level);
int log_getlevel(void);

void log_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* LOG_ERR */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs at LOG_CRIT and exits with status 1. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
