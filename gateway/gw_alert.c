/*
 * gw_alert.c - riskgwd's alerts (see gw_alert.h, gateway/alert.h).
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "gw.h"
#include "gw_alert.h"
#include "log.h"

static struct alert *alerter;

void gw_alert_start(struct gw *g)
{
	struct alert_config ac = {g->g_conf->c_alert_command, g->g_conf->c_alert_timeout, 0, 0};
	int rc;

	/* a command that exits without reading its stdin must not end riskgwd
	 * (setup_signals() does the same, later than a replay's trip) */
	signal(SIGPIPE, SIG_IGN);
	if ((rc = alert_new(&alerter, g->g_loop, &ac)) != 0)
		fatalx("alerts: %s", strerror(-rc));
	if (ac.ac_command[0] != '\0')
		log_info("alert command: %s (killed after %d s)", ac.ac_command, ac.ac_timeout_s);
}

void gw_alert_stop(struct gw *g)
{
	(void)g;
	alert_free(alerter);
	alerter = NULL;
}

void gw_alert_kill(struct gw *g, const char *scope, enum journal_kill_source src,
    const char *who, const char *reason, int64_t time_ns)
{
	const char *sname = kill_source_name(src);
	char when[ALERT_TIMEBUF];
	json_t *ev = NULL;

	if (alerter != NULL) {
		alert_time(time_ns, when);
		ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i}", "event", "kill_tripped",
		    "scope", scope, "source", sname, "who", who, "reason", reason, "time", when,
		    "trading_day", (json_int_t)g->g_day, "pid", (int)getpid());
	}
	if (ev == NULL) { /* not started, or out of memory: the log line at least */
		log_alert("KILL SWITCH TRIPPED (%s, by %s%s%s): %s", scope, sname, who[0] ? " " : "",
		    who, reason);
		return;
	}
	(void)alert_fire(alerter, ev, "KILL SWITCH TRIPPED (%s, by %s%s%s): %s", scope, sname,
	    who[0] ? " " : "", who, reason);
	json_decref(ev);
}

int gw_alert(json_t *event, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int rc;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (alerter == NULL) {
		if (fmt != NULL)
			log_alert("%s", msg);
		else
			log_alert("alert: %s", json_string_value(json_object_get(event, "event")));
		return 0;
	}
	rc = fmt != NULL ? alert_fire(alerter, event, "%s", msg) : alert_fire(alerter, event, NULL);
	return rc;
}

const struct alert_counters *gw_alert_counters(void)
{
	static const struct alert_counters none;

	return alerter != NULL ? alert_counters(alerter) : &none;
}
