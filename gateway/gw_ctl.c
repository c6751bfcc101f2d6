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
#include <pwd.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "fixed.h"
#include "alert.h"
#include "gw_alert.h"
#include "gw_ctl.h"
#include "gw_gpio.h"
#include "log.h"

#define NSEC              INT64_C(1000000000)
#define PARENTS_PER_CHUNK 256

static struct ctl_server *srv;
static int64_t started_rt, started_mono;

/* ---- helpers ------------------------------------------------------------------------- */

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

/* The journal's size: what status shows (null fields if LMDB cannot say). */
static json_t *journal_json(const struct gw *g)
{
	struct journal_usage ju;

	if (journal_usage(g->g_journal, &ju, true) != 0)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o}", "used_bytes", u64(ju.ju_used), "live_bytes",
	    u64(ju.ju_live), "prepared_bytes", u64(ju.ju_prepared), "map_bytes", u64(ju.ju_map));
}

static json_t *kill_json(const struct journal_kill *k)
{
	bool tripped = k->jk_state == JOURNAL_KILL_TRIPPED;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o}", "state", tripped ? "tripped" : "armed",
	                      "reason", k->jk_reason, "source", kill_source_name(k->jk_source), "who",
	                      k->jk_who, "time", iso_time(k->jk_time_ns));

	if (j != NULL)
		json_object_set_new(j, "time_ns", json_integer((json_int_t)k->jk_time_ns));
	if (j != NULL)
		json_object_set_new(j, "reset_request",
		                    k->jk_req_who[0] == '\0'
		                        ? json_null()
		                        : json_pack("{s:s, s:s, s:o}", "who", k->jk_req_who, "reason",
		                                    k->jk_req_reason, "time",
		                                    iso_time(k->jk_req_time_ns)));
	return j;
}

/* The whole kill switch: the global state (as "kill" always was), the
 * tripped scopes, and the sweep. */
static json_t *kill_all_json(const struct gw *g)
{
	json_t *scopes = json_array(), *j;

	for (int i = 0; scopes != NULL && i < g->g_ks.k_nscoped; i++) {
		json_t *e = kill_json(&g->g_ks.k_scoped[i].ke_k);

		if (e != NULL)
			json_object_set_new(e, "scope", json_string(g->g_ks.k_scoped[i].ke_scope));
		if (e == NULL || json_array_append_new(scopes, e) != 0) {
			json_decref(scopes);
			return NULL;
		}
	}
	j = kill_json(&g->g_ks.k_global.ke_k);
	if (j == NULL || scopes == NULL) {
		json_decref(j);
		json_decref(scopes);
		return NULL;
	}
	json_object_set_new(j, "scopes", scopes);
	json_object_set_new(j, "open_orders", u64(g->g_kill_open));
	json_object_set_new(j, "cancels_sent", u64(g->g_kill_cancels));
	json_object_set_new(j, "orders_refused", u64(g->g_kill_refused));
	json_object_set_new(j, "forwarded_at_trip", u64(g->g_kill_fwd_at_trip));
	json_object_set_new(j, "block_us", g->g_kill_trip_mono > 0
	                                      ? json_real((double)g->g_kill_block_ns / 1e3)
	                                      : json_null());
	json_object_set_new(j, "sweep_cancels", u64(g->g_kill_sweep_sent));
	json_object_set_new(j, "sweep_ms", g->g_kill_trip_mono > 0
	                                      ? json_real((double)g->g_kill_sweep_ns / 1e6)
	                                      : json_null());
	json_object_set_new(j, "all_closed_ms",
	                    g->g_kill_done_ns >= 0 ? json_real((double)g->g_kill_done_ns / 1e6)
	                                           : json_null());
	return j;
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
	    kill_all_json(g), "trading_day", (json_int_t)g->g_day, "journal_last_event",
	    u64(journal_last_event(g->g_journal)), "routes", g->g_nroutes, "routes_up", both,
	    "routers_up", rup, "venues_up", vup, "stopping", g->g_stopping, "control_clients",
	    (json_int_t)ctl_server_clients(srv));
	if (*reply != NULL && (json_object_set_new(*reply, "gpio", gw_gpio_status()) != 0 ||
				  json_object_set_new(*reply, "journal", journal_json(g)) != 0)) {
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
	if (j != NULL) {
		json_object_set_new(j, "blocked", json_boolean(p->rpi_blocked));
		json_object_set_new(j, "warned_qty", json_boolean(p->rpi_warned & RULES_WARN_QTY));
		json_object_set_new(j, "warned_notional",
		                    json_boolean(p->rpi_warned & RULES_WARN_NOTIONAL));
	}
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

/* ---- KILL and the reset ------------------------------------------------------------------ */

static uid_t delegates[CONF_MAX_NAMES];
static int ndelegates;

/*
 * Who a request names must be who asks: the peer's own user name, unless
 * the peer runs as one of the control-delegates (the admin UI, which
 * authenticates its users and names them). Without this, anyone on the
 * socket could play both people of the two-person reset.
 */
static int check_who(struct ctl_job *j, const char *who, char err[CTL_ERRLEN])
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	for (int i = 0; i < ndelegates; i++)
		if (delegates[i] == j->cj_uid)
			return 0;
	if (getpwuid_r(j->cj_uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		snprintf(err, CTL_ERRLEN, "uid %u has no user name: it cannot act as \"%s\"",
		         (unsigned)j->cj_uid, who);
		return -EPERM;
	}
	if (strcmp(pw.pw_name, who) != 0) {
		snprintf(err, CTL_ERRLEN,
		         "user %s cannot act as \"%s\" (only control-delegates name other users)",
		         pw.pw_name, who);
		return -EPERM;
	}
	return 0;
}

static int64_t now_rt(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static int kill_refused(struct ctl_job *j, int rc, const char *err)
{
	j->cj_errname = kill_errname(rc);
	log_warnx("control: %s refused: %s", ctl_type_name(j->cj_type), err);
	return rc == KILL_ESAMEPERSON || rc == KILL_EOPERATOR ? -EPERM : -EINVAL;
}

enum { KILL_TRIPPED_NOW = 1, KILL_WAS_TRIPPED = 2 };

static int do_kill(struct gw *g, struct ctl_job *j, json_t **reply, char err[CTL_ERRLEN])
{
	char scope[JOURNAL_SCOPE_MAX + 1], kerr[RULES_ERRLEN];
	struct ctl_kill_req k;
	struct journal_kill jk;
	int rc;

	if ((rc = ctl_req_get(CTL_T_KILL, j->cj_body, &k, err)) != 0)
		return rc;
	if (kill_parse_scope(k.ck_scope[0] ? k.ck_scope : "global", scope, kerr) != 0) {
		snprintf(err, CTL_ERRLEN, "%s", kerr);
		return kill_refused(j, KILL_ESCOPE, kerr);
	}
	if (!j->cj_committed) {
		if ((rc = check_who(j, k.ck_who, err)) != 0)
			return rc;
		log_notice("control: kill (%s) requested by %s (uid %u pid %d): %s", scope, k.ck_who,
		           (unsigned)j->cj_uid, (int)j->cj_pid, k.ck_reason);
		j->cj_state = kill_find(&g->g_ks, scope) != NULL ? KILL_WAS_TRIPPED : KILL_TRIPPED_NOW;
		rc = gw_kill_trip(g, scope,
		                  strcmp(k.ck_source, "http") == 0 ? JOURNAL_KSRC_HTTP : JOURNAL_KSRC_CLI,
		                  k.ck_who, k.ck_reason);
		if (rc < 0 && kill_find(&g->g_ks, scope) == NULL) {
			snprintf(err, CTL_ERRLEN, "%s", kill_strerror(rc));
			return kill_refused(j, rc, err);
		}
		return CTL_SERVE_DEFER;
	}
	/* after the commit: tell what the journal holds, not what memory says */
	if (strcmp(scope, "global") == 0) {
		rc = journal_kill_get(g->g_journal, &jk);
		if (rc != 0 || jk.jk_state != JOURNAL_KILL_TRIPPED) {
			snprintf(err, CTL_ERRLEN,
			         "the kill switch is tripped in riskgwd but the journal does not hold "
			         "it (%s): it would not survive a restart",
			         rc != 0 ? rules_strerror(rc) : "armed there");
			return -EIO;
		}
	} else {
		jk = kill_find(&g->g_ks, scope)->ke_k;
	}
	*reply = json_pack("{s:b, s:s, s:o, s:o}", "already_tripped", j->cj_state == KILL_WAS_TRIPPED,
	                   "scope", scope, "kill", kill_json(&jk), "state", kill_all_json(g));
	return *reply != NULL ? CTL_SERVE_DONE : -ENOMEM;
}

/* RESET_REQUEST, RESET_APPROVE, RESET_WITHDRAW: done in the turn, answered
 * after the commit with the whole kill state. */
static int do_reset(struct gw *g, struct ctl_job *j, json_t **reply, char err[CTL_ERRLEN])
{
	char kerr[RULES_ERRLEN], requester[JOURNAL_ID_SIZE] = "";
	const struct kill_entry *e;
	struct ctl_kill_req k;
	const char *scope;
	int rc;

	if (j->cj_committed) {
		*reply = json_pack("{s:o}", "kill", kill_all_json(g));
		return *reply != NULL ? CTL_SERVE_DONE : -ENOMEM;
	}
	if ((rc = ctl_req_get(j->cj_type, j->cj_body, &k, err)) != 0)
		return rc;
	if ((rc = check_who(j, k.ck_who, err)) != 0)
		return rc;
	scope = k.ck_scope[0] ? k.ck_scope : "global";
	if ((e = kill_find(&g->g_ks, scope)) != NULL)
		snprintf(requester, sizeof(requester), "%s", e->ke_k.jk_req_who);
	if (j->cj_type == CTL_T_RESET_REQUEST)
		rc = kill_reset_request(&g->g_ks, scope, k.ck_who, k.ck_reason, now_rt(), kerr);
	else if (j->cj_type == CTL_T_RESET_APPROVE)
		rc = kill_reset_approve(&g->g_ks, scope, k.ck_who, now_rt(), kerr);
	else
		rc = kill_reset_withdraw(&g->g_ks, scope, k.ck_who, now_rt(), kerr);
	if (rc != 0) {
		snprintf(err, CTL_ERRLEN, "%s", kerr);
		if (rc > KILL_EBASE + 100 || rc < KILL_EBASE) /* a journal error */
			return -EIO;
		return kill_refused(j, rc, kerr);
	}
	if (j->cj_type == CTL_T_RESET_APPROVE) {
		json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "event", "kill_reset", "scope", scope,
		                       "requested_by", requester, "approved_by", k.ck_who);

		(void)gw_alert(ev, "kill switch %s RESET: requested by %s, approved by %s (uid %u)",
		               scope, requester, k.ck_who, (unsigned)j->cj_uid);
		json_decref(ev);
		gw_kill_reset_done(g);
	} else {
		log_notice("control: %s of the kill switch %s by %s (uid %u)%s%s",
		           ctl_type_name(j->cj_type), scope, k.ck_who, (unsigned)j->cj_uid,
		           k.ck_reason[0] ? ": " : "", k.ck_reason);
	}
	return CTL_SERVE_DEFER;
}

/* RELEASE: a parent blocked by a breach may trade again. */
static int do_release(struct gw *g, struct ctl_job *j, json_t **reply, char err[CTL_ERRLEN])
{
	char kerr[RULES_ERRLEN];
	struct ctl_kill_req k;
	int rc;

	if (j->cj_committed) {
		*reply = json_pack("{s:s, s:b}", "parent", json_string_value(json_object_get(
		                                               j->cj_body, "parent")),
		                   "released", true);
		return *reply != NULL ? CTL_SERVE_DONE : -ENOMEM;
	}
	if ((rc = ctl_req_get(CTL_T_RELEASE, j->cj_body, &k, err)) != 0)
		return rc;
	if ((rc = check_who(j, k.ck_who, err)) != 0)
		return rc;
	rc = gw_kill_release_parent(g, k.ck_parent, k.ck_who, k.ck_reason, kerr);
	if (rc != 0) {
		snprintf(err, CTL_ERRLEN, "%s", kerr);
		if (rc == KILL_EOPERATOR)
			return kill_refused(j, rc, kerr);
		j->cj_errname = rc == RULES_ENOTFOUND ? "not_blocked" : NULL;
		return rc == RULES_ENOTFOUND ? -ENOENT : -EIO;
	}
	return CTL_SERVE_DEFER;
}

/* KILL_LOG: the lines from "from" on, in chunks. */
#define LOG_PER_CHUNK 256

struct log_chunk {
	json_t *list;
	size_t n;
	uint64_t next;
};

static int add_log(void *arg, const struct journal_kill_log *l)
{
	struct log_chunk *c = arg;
	json_t *e;

	if (c->n == LOG_PER_CHUNK) {
		c->next = l->kl_seq;
		return 1;
	}
	e = json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:s}", "seq", u64(l->kl_seq), "time",
	              iso_time(l->kl_time_ns), "action", kill_action_name(l->kl_action), "source",
	              kill_source_name(l->kl_source), "scope", l->kl_scope, "who", l->kl_who,
	              "reason", l->kl_reason);
	if (e == NULL || json_array_append_new(c->list, e) != 0)
		return -ENOMEM;
	c->n++;
	return 0;
}

static int do_kill_log(struct gw *g, struct ctl_job *j, json_t **reply, char err[CTL_ERRLEN])
{
	struct log_chunk c = {json_array(), 0, 0};
	struct ctl_kill_req k;
	int rc;

	if (c.list == NULL)
		return -ENOMEM;
	if (j->cj_cursor == 0) {
		if ((rc = ctl_req_get(CTL_T_KILL_LOG, j->cj_body, &k, err)) != 0) {
			json_decref(c.list);
			return rc;
		}
		j->cj_cursor = k.ck_from > 0 ? (uint64_t)k.ck_from : 1;
	}
	rc = journal_kill_log_range(g->g_journal, j->cj_cursor, add_log, &c);
	if (rc < 0) {
		json_decref(c.list);
		snprintf(err, CTL_ERRLEN, "kill log: %s", rules_strerror(rc));
		return rc;
	}
	j->cj_cursor = c.next;
	*reply = json_pack("{s:o, s:b}", "log", c.list, "more", c.next != 0);
	if (*reply == NULL)
		return -ENOMEM;
	return c.next != 0 ? CTL_SERVE_MORE : CTL_SERVE_DONE;
}

/* ---- METRICS: Prometheus text exposition ------------------------------------------------ */

struct mbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void mput(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mput(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (b->oom)
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->n) {
			b->n += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap * 2 + (size_t)(n > 0 ? n : 0);
			char *q = realloc(b->p, cap);

			if (q == NULL) {
				b->oom = true;
				return;
			}
			b->p = q;
			b->cap = cap;
		}
	}
}

static void mhead(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mput(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int do_metrics(struct gw *g, json_t **reply)
{
	struct mbuf b = {malloc(4096), 0, 4096, false};
	struct journal_usage ju;
	static const enum journal_kill_source srcs[] = {JOURNAL_KSRC_BREACH, JOURNAL_KSRC_HTTP,
	    JOURNAL_KSRC_GPIO, JOURNAL_KSRC_SIGNAL, JOURNAL_KSRC_CLI};
	/* counters per route, each a metric with a route label */
	static const struct {
		const char *name, *help;
		size_t off;
	} per_route[] = {
	    {"riskgw_orders_total", "NewOrderSingle and CancelReplace from routers",
		offsetof(struct route_counters, rc_orders)},
	    {"riskgw_orders_forwarded_total", "orders that passed the checks",
		offsetof(struct route_counters, rc_forwarded)},
	    {"riskgw_orders_rejected_total", "orders refused by riskgwd",
		offsetof(struct route_counters, rc_rejected)},
	    {"riskgw_execs_total", "execution reports from venues",
		offsetof(struct route_counters, rc_execs)},
	};
	struct timespec ts;

	if (b.p == NULL)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mhead(&b, "riskgw_kill_tripped", "gauge", "1 if the global kill switch is tripped");
	mput(&b, "riskgw_kill_tripped %d\n", gw_killed(g) ? 1 : 0);
	mhead(&b, "riskgw_kill_scopes_tripped", "gauge", "scoped kills (route, account, symbol) in force");
	mput(&b, "riskgw_kill_scopes_tripped %d\n", g->g_ks.k_nscoped);
	mhead(&b, "riskgw_kill_reset_pending", "gauge", "1 if a reset of the global kill waits for approval");
	mput(&b, "riskgw_kill_reset_pending %d\n", g->g_ks.k_global.ke_k.jk_req_who[0] ? 1 : 0);
	mhead(&b, "riskgw_kill_trips_total", "counter", "kill switch trips since riskgwd started");
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++)
		mput(&b, "riskgw_kill_trips_total{source=\"%s\"} %" PRIu64 "\n",
		     kill_source_name(srcs[i]), g->g_ks.k_trips[srcs[i]]);
	mhead(&b, "riskgw_kill_resets_total", "counter", "kill resets approved by a second person");
	mput(&b, "riskgw_kill_resets_total %" PRIu64 "\n", g->g_ks.k_resets);
	mhead(&b, "riskgw_kill_reset_refusals_total", "counter", "approvals refused (same person, not an operator)");
	mput(&b, "riskgw_kill_reset_refusals_total %" PRIu64 "\n", g->g_ks.k_refusals);
	mhead(&b, "riskgw_kill_open_orders", "gauge", "orders still open at venues in killed scopes");
	mput(&b, "riskgw_kill_open_orders %" PRIu64 "\n", g->g_kill_open);
	mhead(&b, "riskgw_kill_cancels_sent_total", "counter", "cancels the kill switch sent");
	mput(&b, "riskgw_kill_cancels_sent_total %" PRIu64 "\n", g->g_kill_cancels);
	mhead(&b, "riskgw_kill_orders_refused_total", "counter", "orders and replaces refused by a kill");
	mput(&b, "riskgw_kill_orders_refused_total %" PRIu64 "\n", g->g_kill_refused);
	mhead(&b, "riskgw_parent_warnings_total", "counter",
	      "parents that reached the warning threshold of a limit");
	mput(&b, "riskgw_parent_warnings_total %" PRIu64 "\n", g->g_warnings);
	{
		const struct alert_counters *ac = gw_alert_counters();

		mhead(&b, "riskgw_alerts_total", "counter", "alert events raised (LOG_ALERT)");
		mput(&b, "riskgw_alerts_total %" PRIu64 "\n", ac->ac_fired);
		mhead(&b, "riskgw_alert_commands_total", "counter",
		      "alert commands by result: ok, failed (timeouts included), timeout, "
		      "spawn_error, dropped");
		mput(&b, "riskgw_alert_commands_total{result=\"ok\"} %" PRIu64 "\n", ac->ac_ok);
		mput(&b, "riskgw_alert_commands_total{result=\"failed\"} %" PRIu64 "\n", ac->ac_failed);
		mput(&b, "riskgw_alert_commands_total{result=\"timeout\"} %" PRIu64 "\n",
		     ac->ac_timeouts);
		mput(&b, "riskgw_alert_commands_total{result=\"spawn_error\"} %" PRIu64 "\n",
		     ac->ac_spawn_errors);
		mput(&b, "riskgw_alert_commands_total{result=\"dropped\"} %" PRIu64 "\n",
		     ac->ac_dropped);
	}
	for (size_t k = 0; k < sizeof(per_route) / sizeof(per_route[0]); k++) {
		mhead(&b, per_route[k].name, "counter", per_route[k].help);
		for (int i = 0; i < g->g_nroutes; i++) {
			const struct route *r = &g->g_routes[i];
			uint64_t v;

			memcpy(&v, (const char *)&r->r_cnt + per_route[k].off, sizeof(v));
			mput(&b, "%s{route=\"%s\"} %" PRIu64 "\n", per_route[k].name,
			     r->r_cfg->cr_name, v);
		}
	}
	mhead(&b, "riskgw_session_up", "gauge", "1 if the FIX session is logged on");
	for (int i = 0; i < g->g_nroutes; i++) {
		const struct route *r = &g->g_routes[i];

		mput(&b, "riskgw_session_up{route=\"%s\",leg=\"router\"} %d\n", r->r_cfg->cr_name,
		     session_state(r->r_rs) == SESSION_ACTIVE);
		mput(&b, "riskgw_session_up{route=\"%s\",leg=\"venue\"} %d\n", r->r_cfg->cr_name,
		     session_state(r->r_vs) == SESSION_ACTIVE);
	}
	mhead(&b, "riskgw_journal_last_event", "gauge", "number of the last journal event");
	mput(&b, "riskgw_journal_last_event %" PRIu64 "\n", journal_last_event(g->g_journal));
	if (journal_usage(g->g_journal, &ju, true) == 0) {
		const struct {
			const char *name, *help;
			uint64_t v;
		} jm[] = {
		    {"riskgw_journal_used_bytes",
			"bytes of journal.mdb up to its last page in use (a high-water mark)",
			ju.ju_used},
		    {"riskgw_journal_live_bytes",
			"bytes of the used ones that hold data (the rest is reused)", ju.ju_live},
		    {"riskgw_journal_prepared_bytes",
			"bytes written and mapped ahead of them (sync-commit = no)", ju.ju_prepared},
		    {"riskgw_journal_map_bytes",
			"the journal's map size: riskgwd stops when it is full", ju.ju_map},
		};

		for (size_t i = 0; i < sizeof(jm) / sizeof(jm[0]); i++) {
			mhead(&b, jm[i].name, "gauge", jm[i].help);
			mput(&b, "%s %" PRIu64 "\n", jm[i].name, jm[i].v);
		}
	}
	mhead(&b, "riskgw_uptime_seconds", "gauge", "seconds since riskgwd started");
	mput(&b, "riskgw_uptime_seconds %" PRId64 "\n",
	     ((int64_t)ts.tv_sec * NSEC + ts.tv_nsec - started_mono) / NSEC);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*reply = json_pack("{s:s%}", "text", b.p, b.n);
	free(b.p);
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
	case CTL_T_RESET_REQUEST:
	case CTL_T_RESET_APPROVE:
	case CTL_T_RESET_WITHDRAW:
		return do_reset(g, j, reply, err);
	case CTL_T_KILL_LOG:
		return do_kill_log(g, j, reply, err);
	case CTL_T_METRICS:
		return do_metrics(g, reply);
	case CTL_T_RELEASE:
		return do_release(g, j, reply, err);
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
	ndelegates = 0;
	for (int i = 0; i < g->g_conf->c_delegates.cn_count; i++) {
		const struct passwd *pw = getpwnam(g->g_conf->c_delegates.cn_name[i]);

		if (pw == NULL)
			fatalx("control-delegates: %s: no such user", g->g_conf->c_delegates.cn_name[i]);
		delegates[ndelegates++] = pw->pw_uid;
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
