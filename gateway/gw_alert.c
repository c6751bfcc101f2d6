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

static const char *source_name(enum journal_kill_source s)
{
	switch (s) {
	case JOURNAL_KSRC_NONE:
		return "none";
	case JOURNAL_KSRC_BREACH:
		return "breach";
	case JOURNAL_KSRC_HTTP:
		return "http";
	case JOURNAL_KSRC_GPIO:
		return "gpio";
	case JOURNAL_KSRC_SIGNAL:
		return "signal";
	case JOURNAL_KSRC_CLI:
		return "cli";
	}
	return "unknown";
}

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

void gw_alert_kill(struct gw *g)
{
	const struct journal_kill *k = &g->g_kill;
	char when[ALERT_TIMEBUF];
	json_t *ev;

	if (alerter == NULL) {
		log_alert("KILL SWITCH TRIPPED: %s", k->jk_reason);
		return;
	}
	alert_time(k->jk_time_ns, when);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i}", "event", "kill_tripped", "source",
	    source_name(k->jk_source), "who", k->jk_who, "reason", k->jk_reason, "time", when,
	    "trading_day", (json_int_t)g->g_day, "pid", (int)getpid());
	if (ev == NULL) { /* out of memory: the log line at least */
		log_alert("KILL SWITCH TRIPPED: %s", k->jk_reason);
		return;
	}
	(void)alert_fire(alerter, ev, "KILL SWITCH TRIPPED: %s", k->jk_reason);
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
