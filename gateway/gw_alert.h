/*
 * gw_alert.h - riskgwd's alerts: alert-command and alert-timeout from
 * [gateway] wired to gateway/alert.h, and the events riskgwd raises.
 *
 * One alerter per riskgwd, so its state is the module's own (like the
 * control server's), not a member of struct gw.
 */
#ifndef GW_GW_ALERT_H
#define GW_GW_ALERT_H

#include <stdint.h>

#include <jansson.h>

#include "journal.h"

struct gw;

/* Call once, after the loop exists and before anything can trip the kill
 * switch (the journal replay can). fatalx() without memory. */
void gw_alert_start(struct gw *);
void gw_alert_stop(struct gw *);

/*
 * A scope of the kill switch has just tripped: logs
 * "KILL SWITCH TRIPPED (<scope>, by <source>[ <who>]): <reason>" at
 * LOG_ALERT and hands the command
 *   {"event": "kill_tripped", "scope": "global", "source": "gpio",
 *    "who": "gpio", "reason": "...", "time": "2024-01-02T14:30:40.001Z",
 *    "trading_day": 20240102, "pid": 1234, "host": "..."}
 * time_ns is the trip's (CLOCK_REALTIME). Before gw_alert_start() it only
 * logs.
 */
void gw_alert_kill(struct gw *, const char *scope, enum journal_kill_source, const char *who,
    const char *reason, int64_t time_ns);

/* Any other event (the kill button's loss; warnings, cancels done and
 * resets to come): an object with an "event" name, borrowed; fmt is the
 * LOG_ALERT line (NULL: the JSON). "host" and "time" are added to what the
 * command gets when missing. Before gw_alert_start() it only logs. Returns
 * alert_fire()'s result (every failure is logged). */
int gw_alert(json_t *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The alerter's counters (zeros before gw_alert_start()), for the metrics. */
struct alert_counters;
const struct alert_counters *gw_alert_counters(void);

#endif
