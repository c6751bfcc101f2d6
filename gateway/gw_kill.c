/*
 * gw_kill.c - what a kill does inside riskgwd (the state itself is kill.c).
 *
 * Timings kept for the status: block (a breach: from the check's verdict on
 * the breaching order to the kill in force; any other trigger: from the
 * start of the loop turn that read it), the sweep (to every cancel queued)
 * and all closed (to no order open in the killed scopes).
 *
 *
 *   block      route.c asks gw_kill_blocking() for every new order and
 *              replace, before the checks: one compare while nothing is
 *              tripped. A trip takes effect for the next message parsed,
 *              in the same loop turn.
 *   cancel     every open child order the tripped scope covers gets an
 *              OrderCancelRequest from riskgwd (new ClOrdID, OrigClOrdID)
 *              on its venue session, at once (route_cancel_where()).
 *   track      g_kill_open counts the open orders covered by any tripped
 *              scope; each venue report that finishes one of them lowers
 *              it; at zero the sweep is done, logged and alerted. Orders
 *              whose cancel the venue refused, or whose venue session was
 *              down, get another cancel from the retry timer (every
 *              KILL_RETRY_MS) and when their venue logs on again.
 *   alert      LOG_ALERT with the reason, and the alert command
 *              (gw_alert.c, docs/riskgwd.md).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "gw_alert.h"
#include "log.h"

#define NSEC INT64_C(1000000000)
#define KILL_RETRY_MS 1000

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static const char *route_name(const struct gw *g, uint32_t tag)
{
	return tag < (uint32_t)g->g_nroutes ? g->g_routes[tag].r_cfg->cr_name : "";
}

/* Is the live order l covered by a tripped scope? */
static bool covered(const struct gw *g, const struct rules_live *l)
{
	return kill_blocking(&g->g_ks, route_name(g, l->rl_tag), l->rl_account, l->rl_symbol) !=
	       NULL;
}

static bool want_cancel(void *arg, const struct rules_live *l)
{
	struct gw *g = arg;

	if (!covered(g, l))
		return false;
	g->g_kill_count++;
	return !l->rl_cancel_pending;
}

static void all_closed(struct gw *g)
{
	json_t *ev;

	g->g_kill_done_ns = mono_ns() - g->g_kill_trip_mono;
	loop_timer_cancel(g->g_loop, &g->g_kill_retry);
	if (g->g_kill_quiet_close)
		return;
	ev = json_pack("{s:s, s:f, s:I}", "event", "kill_orders_closed", "ms_after_trip",
	    (double)g->g_kill_done_ns / 1e6, "cancels_sent", (json_int_t)g->g_kill_cancels);
	(void)gw_alert(ev, "kill switch: no order is open at any venue in the killed scopes any "
	                   "more (%.1f ms after the trip, %" PRIu64 " cancels sent)",
	    (double)g->g_kill_done_ns / 1e6, g->g_kill_cancels);
	json_decref(ev);
}

/* Sends a cancel for every covered open order without one in flight and
 * counts the covered open orders. Returns the cancels sent. */
static int sweep(struct gw *g, const char *why)
{
	size_t down = 0;
	int sent;

	g->g_kill_count = 0;
	sent = route_cancel_where(g, want_cancel, g, why, &down);
	g->g_kill_open = g->g_kill_count;
	g->g_kill_cancels += (uint64_t)sent;
	if (sent > 0 || down > 0)
		log_notice("kill switch: %d cancels sent, %zu orders wait for their venue session, "
		           "%" PRIu64 " orders open in killed scopes",
		    sent, down, g->g_kill_open);
	if (g->g_kill_open > 0) {
		if (!loop_timer_armed(&g->g_kill_retry))
			loop_timer_set(g->g_loop, &g->g_kill_retry, KILL_RETRY_MS * INT64_C(1000000));
	} else if (g->g_kill_done_ns < 0) {
		all_closed(g);
	}
	return sent;
}

static void on_retry(struct loop *l, void *arg)
{
	struct gw *g = arg;

	(void)l;
	if (!kill_any_tripped(&g->g_ks))
		return;
	if (++g->g_kill_retries == 10)
		log_alert("kill switch: %" PRIu64 " orders still open at venues after 10 s of "
		          "cancels; check the venues",
		    g->g_kill_open);
	(void)sweep(g, "kill switch: retry");
}

void gw_kill_init(struct gw *g)
{
	loop_timer_init(&g->g_kill_retry, on_retry, g);
	g->g_kill_done_ns = -1;
}

int gw_kill_trip(struct gw *g, const char *scope, enum journal_kill_source src, const char *who,
    const char *reason)
{
	char err[RULES_ERRLEN];
	int rc = kill_trip(&g->g_ks, scope, src, who, reason, realtime_ns(), err);

	if (rc < 0) {
		/* a refusal changes nothing; a journal error already tripped it
		 * in memory, and the turn's commit will fail and stop riskgwd */
		log_warnx("kill switch (%s): %s", scope, err);
		if (kill_find(&g->g_ks, strcmp(scope, "global") == 0 ? "global" : scope) == NULL)
			return rc;
	} else if (rc == 0) {
		return 0; /* tripped already */
	}
	/* blocked from here on: the order path reads g_ks for the next message */
	g->g_kill_trip_mono = mono_ns();
	g->g_kill_block_ns = g->g_kill_trip_mono -
	                     (g->g_kill_cause_mono > 0 ? g->g_kill_cause_mono : loop_now(g->g_loop));
	g->g_kill_cause_mono = 0;
	g->g_kill_done_ns = -1;
	g->g_kill_retries = 0;
	g->g_kill_fwd_at_trip = 0;
	for (int i = 0; i < g->g_nroutes; i++)
		g->g_kill_fwd_at_trip += g->g_routes[i].r_cnt.rc_forwarded;
	{ /* LOG_ALERT "KILL SWITCH TRIPPED (...)", and the alert command (it
	   * starts in the next turn: about 3 us here) */
		const struct kill_entry *e = kill_find(&g->g_ks, scope);

		gw_alert_kill(g, scope, src, who, reason, e != NULL ? e->ke_k.jk_time_ns : realtime_ns());
	}
	g->g_kill_quiet_close = true; /* nothing open at the trip: no "all closed" alert */
	g->g_kill_sweep_sent = (uint64_t)sweep(g, "kill switch");
	g->g_kill_quiet_close = false;
	g->g_kill_sweep_ns = mono_ns() - g->g_kill_trip_mono;
	log_notice("kill switch: blocked %.1f us after the turn began, %" PRIu64
	           " cancels queued in %.3f ms, %" PRIu64 " orders had been forwarded",
	    (double)g->g_kill_block_ns / 1e3, g->g_kill_sweep_sent, (double)g->g_kill_sweep_ns / 1e6,
	    g->g_kill_fwd_at_trip);
	return rc < 0 ? rc : 1;
}

void gw_trip(struct gw *g, enum journal_kill_source src, const char *who, const char *reason)
{
	(void)gw_kill_trip(g, "global", src, who, reason);
}

bool gw_killed(const struct gw *g)
{
	return kill_global_tripped(&g->g_ks);
}

void gw_kill_reset_done(struct gw *g)
{
	g->g_kill_count = 0;
	if (!kill_any_tripped(&g->g_ks)) {
		g->g_kill_open = 0;
		loop_timer_cancel(g->g_loop, &g->g_kill_retry);
		return;
	}
	(void)sweep(g, "kill switch");
}

void gw_kill_venue_up(struct route *r)
{
	struct gw *g = r->r_gw;

	if (kill_any_tripped(&g->g_ks) && g->g_kill_open > 0)
		(void)sweep(g, "kill switch: venue back");
}

bool gw_kill_report_before(struct gw *g, const char *clid, const char *orig)
{
	struct rules_live l;

	if (!kill_any_tripped(&g->g_ks) || g->g_kill_open == 0)
		return false;
	if (rules_order_find(g->g_engine, clid, &l) != 0 &&
	    (orig == NULL || orig[0] == '\0' || rules_order_find(g->g_engine, orig, &l) != 0))
		return false;
	return covered(g, &l);
}

void gw_kill_report_after(struct gw *g, const char *clid, const char *orig, bool was_open)
{
	struct rules_live l;

	if (!was_open)
		return;
	if (rules_order_find(g->g_engine, clid, &l) == 0 ||
	    (orig != NULL && orig[0] != '\0' && rules_order_find(g->g_engine, orig, &l) == 0))
		return; /* still open */
	if (g->g_kill_open > 0 && --g->g_kill_open == 0 && g->g_kill_done_ns < 0)
		all_closed(g);
}

static void journal_parent(struct gw *g, enum journal_ev_type type, const char *route,
    const char *parent)
{
	struct journal_event ev;
	char err[RULES_ERRLEN];

	if (journal_ev_parent(&ev, type, route, parent) != 0 ||
	    journal_append(g->g_journal, &ev, err) != 0)
		log_warnx("journal: parent %s %s not journaled", parent,
		    type == JOURNAL_EV_PARENT_BLOCK ? "block" : "release");
}

void gw_kill_block_parent(struct route *r, const char *parent, const char *reason)
{
	struct gw *g = r->r_gw;
	char err[RULES_ERRLEN];
	int rc = rules_parent_block(g->g_engine, parent);

	if (rc != 0) {
		log_warnx("kill switch: parent %s cannot be blocked: %s", parent, rules_strerror(rc));
		return;
	}
	journal_parent(g, JOURNAL_EV_PARENT_BLOCK, r->r_cfg->cr_name, parent);
	if (kill_log(&g->g_ks, JOURNAL_KA_PARENT_BLOCK, JOURNAL_KSRC_BREACH, parent, "", reason,
	        realtime_ns(), err) != 0)
		log_warnx("kill log: %s", err);
	log_notice("kill switch: parent %s blocked: it stays refused after a reset until it is "
	           "released or its limits change",
	    parent);
}

int gw_kill_release_parent(struct gw *g, const char *parent, const char *who, const char *reason,
    char err[RULES_ERRLEN])
{
	int rc;

	if (!kill_is_operator(&g->g_ks, who)) {
		snprintf(err, RULES_ERRLEN, "%s: %s", who, kill_strerror(KILL_EOPERATOR));
		return KILL_EOPERATOR;
	}
	if ((rc = rules_parent_release(g->g_engine, parent)) != 0) {
		snprintf(err, RULES_ERRLEN, "parent %s: %s", parent,
		    rc == RULES_ENOTFOUND ? "not blocked" : rules_strerror(rc));
		return rc;
	}
	journal_parent(g, JOURNAL_EV_PARENT_RELEASE, "control", parent);
	if ((rc = kill_log(&g->g_ks, JOURNAL_KA_PARENT_RELEASE, JOURNAL_KSRC_NONE, parent, who,
	         reason, realtime_ns(), err)) != 0)
		return rc;
	log_notice("kill switch: parent %s released by %s: %s", parent, who, reason);
	return 0;
}

void gw_warn(struct route *r, const struct rules_order *o, unsigned warn)
{
	struct gw *g = r->r_gw;
	struct rules_exposure x;
	const char *what = (warn & RULES_WARN_QTY) && (warn & RULES_WARN_NOTIONAL)
	                       ? "quantity and max notional"
	                   : (warn & RULES_WARN_QTY) ? "quantity"
	                                             : "max notional";
	json_t *ev;

	g->g_warnings++;
	if (rules_parent_exposure(g->g_engine, o->ro_parent, &x) != 0)
		memset(&x, 0, sizeof(x));
	/* an alert, not a block: once per parent and limit per day (the engine) */
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I}", "event", "parent_warning",
	    "parent", o->ro_parent, "route", r->r_cfg->cr_name, "order", o->ro_clordid, "limit",
	    what, "pct", g->g_conf->c_warn_pct, "open_qty", (json_int_t)x.ex_open_qty,
	    "filled_qty", (json_int_t)x.ex_filled_qty);
	(void)gw_alert(ev,
	    "warning: parent %s (route %s, order %s) reached %d%% of its %s: open %" PRId64
	    " + filled %" PRId64 " shares",
	    o->ro_parent, r->r_cfg->cr_name, o->ro_clordid, g->g_conf->c_warn_pct, what,
	    x.ex_open_qty, x.ex_filled_qty);
	json_decref(ev);
}
