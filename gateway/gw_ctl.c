/*
 * gw_ctl.c - riskgwd's control socket requests (see gw_ctl.h, ctl.h and
 * docs/control.md for the members of each reply).
 *
 * Every reply reads struct gw as it is after the turn's journal commit (the
 * server writes only from gw_ctl_committed()). A KILL trips the switch in
 * the turn the request arrives, like a breach would, and its reply is
 * deferred to the commit: it is made only once the journal holds the trip,
 * read back from the journal.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "fixed.h"
#include "gw_ctl.h"
#include "gw_gpio.h"
#include "log.h"

#define NSEC              INT64_C(1000000000)
#define PARENTS_PER_CHUNK 256

static struct ctl_server *srv;
static int64_t started_rt, started_mono;

/* ---- helpers ------------------------------------------------------------------------- */

static const char *ksrc_name(enum journal_kill_source s)
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

/* CLOCK_REALTIME ns as "2024-01-02T14:30:00.123Z". */
static json_t *iso_time(int64_t ns)
{
	char buf[40];
	time_t t = (time_t)(ns / NSEC);
	struct tm tm;

	if (ns <= 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(ns % NSEC / 1000000));
	return json_string(buf);
}

/* A px-scale amount as an exact decimal string. */
static json_t *px(int64_t v)
{
	char buf[RULES_PX_BUFLEN];

	if (rules_px_format(v, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static json_t *u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *kill_json(const struct journal_kill *k)
{
	bool tripped = k->jk_state == JOURNAL_KILL_TRIPPED;

	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "state", tripped ? "tripped" : "armed",
	                 "reason", k->jk_reason, "source", ksrc_name(k->jk_source), "who",
	                 k->jk_who, "time", iso_time(k->jk_time_ns));
}

/* ---- STATUS ------------------------------------------------------------------------- */

static int do_status(struct gw *g, json_t **reply)
{
	struct timespec ts;
	int i, rup = 0, vup = 0, both = 0;

	for (i = 0; i < g->g_nroutes; i++) {
		bool r = session_state(g->g_routes[i].r_rs) == SESSION_ACTIVE;
		bool v = session_state(g->g_routes[i].r_vs) == SESSION_ACTIVE;

		rup += r;
		vup += v;
		both += r && v;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	*reply = json_pack(
	    "{s:s, s:i, s:o, s:I, s:o, s:I, s:o, s:i, s:i, s:i, s:i, s:b, s:I}", "version",
	    PACKAGE_VERSION, "pid", (int)getpid(), "started", iso_time(started_rt), "uptime_s",
	    (json_int_t)(((int64_t)ts.tv_sec * NSEC + ts.tv_nsec - started_mono) / NSEC), "kill",
	    kill_json(&g->g_kill), "trading_day", (json_int_t)g->g_day, "journal_last_event",
	    u64(journal_last_event(g->g_journal)), "routes", g->g_nroutes, "routes_up", both,
	    "routers_up", rup, "venues_up", vup, "stopping", g->g_stopping, "control_clients",
	    (json_int_t)ctl_server_clients(srv));
	if (*reply != NULL && json_object_set_new(*reply, "gpio", gw_gpio_status()) != 0) {
		json_decref(*reply);
		*reply = NULL;
	}
	return *reply != NULL ? CTL_SERVE_DONE : -ENOMEM;
}

static json_t *sess_counters(const struct session *s)
{
	const struct session_counters *c = session_counters(s);

	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "in_msgs", u64(c->sc_in_msgs),
	                 "out_msgs", u64(c->sc_out_msgs), "garbled", u64(c->sc_garbled),
	                 "rejects_sent", u64(c->sc_rejects_sent), "resends_served",
	                 u64(c->sc_resends_served), "possdup_dropped", u64(c->sc_possdup_dropped),
	                 "gaps", u64(c->sc_gaps));
}

/* ---- SESSIONS ----------------------------------------------------------------------- */

static json_t *leg(const struct session *s, const struct conn *c)
{
	const struct session_config *sc = session_config(s);
	enum session_state st = session_state(s);
	json_t *j;

	j = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "session", sc->sc_name, "state",
	              session_state_name(st), "next_in", (json_int_t)session_next_in(s), "next_out",
	              (json_int_t)session_next_out(s), "sender", sc->sc_sender, "target",
	              sc->sc_target);
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "peer", c != NULL ? json_string(conn_addr(c)) : json_null());
	json_object_set_new(j, "identity",
	                    c != NULL && conn_peer(c)[0] != '\0' ? json_string(conn_peer(c))
	                                                         : json_null());
	json_object_set_new(j, "tls",
	                    c != NULL && conn_state(c) == CONN_OPEN
	                        ? json_string(conn_tls_version(c))
	                        : json_null());
	json_object_set_new(j, "counters", sess_counters(s));
	json_object_set_new(j, "down_reason",
	                    st != SESSION_ACTIVE && session_down_reason(s)[0] != '\0'
	                        ? json_string(session_down_reason(s))
	                        : json_null());
	return j;
}

static int do_sessions(struct gw *g, json_t **reply)
{
	json_t *routes = json_array();
	int i;

	for (i = 0; routes != NULL && i < g->g_nroutes; i++) {
		const struct route *r = &g->g_routes[i];
		const struct conf_route *cr = r->r_cfg;
		char venue[CONF_NAME_MAX + 16];
		json_t *j;

		snprintf(venue, sizeof(venue), "%s:%u", cr->cr_venue.ca_host, cr->cr_venue.ca_port);
		j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "route", cr->cr_name, "fix_version",
		              cr->cr_begin, "router_identity", cr->cr_router_identity, "venue",
		              venue, "router", leg(r->r_rs, r->r_rconn), "venue_session",
		              leg(r->r_vs, r->r_vconn));
		if (j == NULL || json_array_append_new(routes, j) != 0) {
			json_decref(routes);
			return -ENOMEM;
		}
	}
	*reply = routes != NULL ? json_pack("{s:o}", "routes", routes) : NULL;
	return *reply != NULL ? CTL_SERVE_DONE : -ENOMEM;
}

/* ---- COUNTERS ----------------------------------------------------------------------- */

static int do_counters(struct gw *g, json_t **reply)
{
	json_t *routes = json_array();
	int i;

	for (i = 0; routes != NULL && i < g->g_nroutes; i++) {
		const struct route *r = &g->g_routes[i];
		const struct route_counters *c = &r->r_cnt;
		json_t *j;

		j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "route",
		              r->r_cfg->cr_name, "orders", u64(c->rc_orders), "forwarded",
		              u64(c->rc_forwarded), "rejected", u64(c->rc_rejected), "cancels",
		              u64(c->rc_cancels), "gw_cancels", u64(c->rc_gw_cancels), "execs",
		              u64(c->rc_execs), "refused_types", u64(c->rc_refused_types), "router",
		              sess_counters(r->r_rs), "venue_session", sess_counters(r->r_vs));
		if (j == NULL || json_array_append_new(routes, j) != 0) {
			json_decref(routes);
			return -ENOMEM;
		}
	}
	*reply = routes != NULL ? json_pack("{s:o}", "routes", routes) : NULL;
	return *reply != NULL ? CTL_SERVE_DONE : -ENOMEM;
}

/* ---- PARENTS ------------------------------------------------------------------------ */

struct chunk {
	json_t *list;
	size_t n;
	size_t next; /* position to resume at */
	bool full;
};

static int add_parent(void *arg, size_t pos, const struct rules_parent_info *p)
{
	struct chunk *c = arg;
	const struct rules_exposure *x = &p->rpi_expo;
	char side[2] = {p->rpi_side ? p->rpi_side : '?', '\0'};
	json_t *j;

	if (c->n == PARENTS_PER_CHUNK) {
		c->next = pos;
		c->full = true;
		return 1;
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:b, s:b, s:b}",
	              "parent", p->rpi_id, "account", p->rpi_account, "symbol", p->rpi_symbol,
	              "side", side, "qty", (json_int_t)p->rpi_qty, "open_qty",
	              (json_int_t)x->ex_open_qty, "filled_qty", (json_int_t)x->ex_filled_qty,
	              "open_notional", px(x->ex_open_notional), "filled_notional",
	              px(x->ex_filled_notional), "orders", (json_int_t)x->ex_orders, "live",
	              (json_int_t)x->ex_live, "registered", p->rpi_registered, "declared",
	              p->rpi_declared, "pinned", p->rpi_pinned);
	if (j == NULL || json_array_append_new(c->list, j) != 0)
		return -ENOMEM;
	c->n++;
	return 0;
}

/* One chunk from cj_cursor on. The positions are the engine's: a parent
 * first seen while the chunks go out is in a later chunk; a new trading day
 * in between starts the positions over (the reply then ends early). */
static int do_parents(struct gw *g, struct ctl_job *j, json_t **reply)
{
	struct chunk c = {json_array(), 0, 0, false};
	int rc;

	if (c.list == NULL)
		return -ENOMEM;
	rc = rules_foreach_parent(g->g_engine, (size_t)j->cj_cursor, add_parent, &c);
	if (rc < 0) {
		json_decref(c.list);
		return rc;
	}
	j->cj_cursor = c.next;
	*reply = json_pack("{s:o, s:b}", "parents", c.list, "more", c.full);
	if (*reply == NULL)
		return -ENOMEM;
	return c.full ? CTL_SERVE_MORE : CTL_SERVE_DONE;
}

/* ---- KILL --------------------------------------------------------------------------- */

enum { KILL_TRIPPED_NOW = 1, KILL_WAS_TRIPPED = 2 };

static int do_kill(struct gw *g, struct ctl_job *j, json_t **reply, char err[CTL_ERRLEN])
{
	struct ctl_kill_req k;
	struct journal_kill jk;
	int rc;

	if (!j->cj_committed) {
		if ((rc = ctl_kill_get(j->cj_body, &k, err)) != 0)
			return rc;
		log_notice("control: kill requested by %s (uid %u pid %d): %s", k.ck_who,
		           (unsigned)j->cj_uid, (int)j->cj_pid, k.ck_reason);
		j->cj_state = gw_killed(g) ? KILL_WAS_TRIPPED : KILL_TRIPPED_NOW;
		gw_trip(g, JOURNAL_KSRC_CLI, k.ck_who, k.ck_reason);
		return CTL_SERVE_DEFER;
	}
	/* after the commit: tell what the journal holds, not what memory says */
	rc = journal_kill_get(g->g_journal, &jk);
	if (rc != 0 || jk.jk_state != JOURNAL_KILL_TRIPPED) {
		snprintf(err, CTL_ERRLEN,
		         "the kill switch is tripped in riskgwd but the journal does not hold it "
		         "(%s): it would not survive a restart",
		         rc != 0 ? rules_strerror(rc) : "armed there");
		return -EIO;
	}
	*reply = json_pack("{s:b, s:o}", "already_tripped", j->cj_state == KILL_WAS_TRIPPED, "kill",
	                   kill_json(&jk));
	return *reply != NULL ? CTL_SERVE_DONE : -ENOMEM;
}

/* ---- the server ---------------------------------------------------------------------- */

static int handler(void *arg, struct ctl_job *j, json_t **reply, char err[CTL_ERRLEN])
{
	struct gw *g = arg;

	switch (j->cj_type) {
	case CTL_T_STATUS:
		return do_status(g, reply);
	case CTL_T_SESSIONS:
		return do_sessions(g, reply);
	case CTL_T_PARENTS:
		return do_parents(g, j, reply);
	case CTL_T_COUNTERS:
		return do_counters(g, reply);
	case CTL_T_KILL:
		return do_kill(g, j, reply, err);
	default:
		snprintf(err, CTL_ERRLEN, "%s is not served", ctl_type_name(j->cj_type));
		return CTL_ETYPE;
	}
}

static void on_event(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= LOG_WARNING)
		log_warnx("%s", msg);
	else if (level == LOG_NOTICE)
		log_notice("%s", msg);
	else if (level == LOG_INFO)
		log_info("%s", msg);
	else
		log_debug("%s", msg);
}

void gw_ctl_start(struct gw *g)
{
	struct ctl_server_config cfg;
	struct timespec ts;
	char err[CTL_ERRLEN];

	memset(&cfg, 0, sizeof(cfg));
	cfg.cs_path = g->g_conf->c_control[0] ? g->g_conf->c_control : CTL_DEFAULT_PATH;
	if (g->g_conf->c_control_group[0] != '\0') {
		struct group *gr = getgrnam(g->g_conf->c_control_group);

		if (gr == NULL)
			fatalx("control-group %s: no such group", g->g_conf->c_control_group);
		cfg.cs_have_gid = true;
		cfg.cs_gid = gr->gr_gid;
	}
	if (ctl_server_open(&srv, g->g_loop, &cfg, handler, on_event, g, err) != 0)
		fatalx("control socket: %s", err);
	clock_gettime(CLOCK_REALTIME, &ts);
	started_rt = (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	started_mono = (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
	log_info("control socket %s", cfg.cs_path);
}

void gw_ctl_committed(struct gw *g)
{
	(void)g;
	ctl_server_committed(srv);
}

void gw_ctl_stop(struct gw *g)
{
	(void)g;
	ctl_server_close(srv);
	srv = NULL;
}
