/*
 * riskgwd.c - the data path daemon: startup, the router listener, venue
 * connections, the loop hook (journal commit, then flush), signals.
 *
 *   riskgwd [-d] [-v] [-P FILE] -c FILE   run (-d: foreground, log to stderr;
 *                                         -P: write the listening port to FILE)
 *   riskgwd -n -c FILE                    check the configuration and exit
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"
#include "gw_alert.h"
#include "gw_ctl.h"
#include "gw_gpio.h"
#include "log.h"

#define NSEC INT64_C(1000000000)
#define MAX_FDS 65536
#define BACKOFF_MAX_S 30

static struct gw G;

static void usage(void)
{
	fprintf(stderr, "usage: riskgwd [-dv] [-P PORTFILE] -c FILE\n"
			"       riskgwd -n -c FILE   check the configuration and exit\n");
	exit(2);
}

/* ---- the loop hook: commit, then flush ------------------------------------------------------ */

/* Alerts when the journal's data passes 80% and then 90% of its map
 * (riskgwd stops when a turn cannot be committed); again after it went
 * below 70% (a new day empties it). Each turn reads LMDB's meta page; the
 * data's size (a read transaction) only once the file's high-water mark
 * has passed 70%, where a few busy seconds can fill the rest. */
static void journal_watch(struct gw *g)
{
	static const unsigned levels[] = {90, 80};
	struct journal_usage ju;
	unsigned pct;
	json_t *ev;

	if (journal_usage(g->g_journal, &ju, false) != 0 || ju.ju_map == 0)
		return;
	if (ju.ju_used * 10 < ju.ju_map * 7) {
		g->g_journal_alerted = 0;
		return;
	}
	if (journal_usage(g->g_journal, &ju, true) != 0)
		return;
	pct = (unsigned)(ju.ju_live * 100 / ju.ju_map);
	if (pct < 70)
		g->g_journal_alerted = 0;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (pct < levels[i] || g->g_journal_alerted >= levels[i])
			continue;
		g->g_journal_alerted = levels[i];
		ev = json_pack("{s:s, s:I, s:I, s:i}", "event", "journal_filling", "live_bytes",
		    (json_int_t)ju.ju_live, "map_bytes", (json_int_t)ju.ju_map, "percent", (int)pct);
		(void)gw_alert(ev,
		    "JOURNAL %u%% FULL: %.1f of %.0f MiB in use; riskgwd stops when it is full "
		    "(journal-map-size)",
		    pct, (double)ju.ju_live / 1048576.0, (double)ju.ju_map / 1048576.0);
		json_decref(ev);
		break;
	}
}

static void before_sleep(struct loop *l, void *arg)
{
	struct gw *g = arg;
	char err[RULES_ERRLEN];
	int rc;

	(void)l;
	rc = route_store_flush(g, err); /* the sessions' seqnums join the turn */
	if (rc != 0 || journal_in_turn(g->g_journal)) {
		if (rc == 0)
			rc = journal_commit(g->g_journal, err);
		if (rc != 0) {
			/* What this turn queued is not durable: it must not leave.
			 * Exiting drops it with the process; the journal holds the
			 * last committed state, which a restart resumes. */
			log_alert("journal commit failed: %s; stopping without sending this "
				  "turn's messages",
			    err);
			exit(1);
		}
		if (kill_any_tripped(&g->g_ks) && (rc = journal_flush(g->g_journal)) != 0)
			log_warnx("journal flush: %s", strerror(-rc));
	}
	gw_ctl_committed(g); /* control replies, KILLs included, after the commit */
	conn_set_flush(g->g_conns);
	/* The journal's next pages, now that the turn's output has left. */
	if (journal_prepare(g->g_journal, err) != 0) {
		/* What was committed stays; the reserve left holds the next turns,
		 * but the disk will not: stop while the journal is whole. */
		log_alert("%s; stopping", err);
		exit(1);
	}
	journal_watch(g);
	conn_set_reap(g->g_conns);
	if (g->g_stopping) {
		bool busy = false;
		int i;

		for (i = 0; i < g->g_nroutes; i++)
			busy |= g->g_routes[i].r_rconn != NULL || g->g_routes[i].r_vconn != NULL;
		if (!busy || loop_now(g->g_loop) > g->g_stop_deadline)
			loop_stop(g->g_loop);
	}
}

/* ---- router connections ------------------------------------------------------------------- */

static size_t router_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct route *r = arg;

	(void)c;
	return session_input(r->r_rs, buf, len);
}

static void router_close(struct conn *c, const char *reason, void *arg)
{
	struct route *r = arg;

	(void)c;
	r->r_rconn = NULL;
	session_detach(r->r_rs, reason);
	log_info("%s: connection closed: %s", r->r_rname, reason);
}

static const struct conn_ops router_conn_ops = {NULL, router_data, router_close};

/* A router connection before its Logon names the route. */
static size_t pending_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct gw *g = arg;
	struct fix_msg *m;
	struct fix_reject rej;
	const struct conf_route *cr;
	char sender[CONF_NAME_MAX], target[CONF_NAME_MAX], type[4];
	const char *v;
	size_t n = 0, vl;
	int why = 0, r, i;

	r = fix_frame(buf, len, (size_t)g->g_conf->c_max_msg, &n, &why);
	if (r == FIX_FRAME_NEED_MORE)
		return 0;
	if (r != FIX_FRAME_MSG) {
		conn_close(c, false, "router %s: garbled first message (%s)", conn_addr(c),
		    fix_strerror(why));
		return len;
	}
	m = malloc(sizeof(*m)); /* once per connection, not per message */
	if (m == NULL || fix_parse(m, buf, n, NULL, &rej) != 0) {
		free(m);
		conn_close(c, false, "router %s: malformed first message", conn_addr(c));
		return len;
	}
	sender[0] = target[0] = type[0] = '\0';
	if (fix_get_str(m, 49, &v, &vl) == 0 && vl < sizeof(sender))
		snprintf(sender, sizeof(sender), "%.*s", (int)vl, v);
	if (fix_get_str(m, 56, &v, &vl) == 0 && vl < sizeof(target))
		snprintf(target, sizeof(target), "%.*s", (int)vl, v);
	if (fix_get_str(m, 35, &v, &vl) == 0 && vl < sizeof(type))
		snprintf(type, sizeof(type), "%.*s", (int)vl, v);
	free(m);
	if (strcmp(type, "A") != 0) {
		conn_close(c, false, "router %s: first message is 35=%s, not Logon", conn_addr(c),
		    type);
		return len;
	}
	for (i = 0; i < g->g_nroutes; i++)
		if (!g->g_routes[i].r_removed &&
		    strcmp(g->g_routes[i].r_cfg->cr_router_comp, sender) == 0 &&
		    strcmp(g->g_routes[i].r_cfg->cr_gw_comp, target) == 0)
			break;
	if (i == g->g_nroutes) {
		conn_close(c, false, "router %s (%s): no route for SenderCompID %s TargetCompID %s",
		    conn_addr(c), conn_peer(c), sender, target);
		return len;
	}
	cr = g->g_routes[i].r_cfg;
	if (strcmp(conn_peer(c), cr->cr_router_identity) != 0) {
		conn_close(c, false, "router %s: certificate %s is not allowed on route %s "
				     "(it expects %s)",
		    conn_addr(c), conn_peer(c), cr->cr_name, cr->cr_router_identity);
		return len;
	}
	if (g->g_routes[i].r_rconn != NULL) {
		conn_close(c, false, "router %s: route %s already has a router connected",
		    conn_addr(c), cr->cr_name);
		return len;
	}
	if (g->g_stopping) {
		conn_close(c, false, "router %s: shutting down", conn_addr(c));
		return len;
	}
	g->g_routes[i].r_rconn = c;
	conn_set_arg(c, &router_conn_ops, &g->g_routes[i]);
	session_attach(g->g_routes[i].r_rs, c);
	return session_input(g->g_routes[i].r_rs, buf, len);
}

static void pending_close(struct conn *c, const char *reason, void *arg)
{
	(void)c;
	(void)arg;
	log_warnx("refused: %s", reason);
}

static const struct conn_ops pending_ops = {NULL, pending_data, pending_close};

static void on_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct gw *g = arg;
	struct conn *c;
	int i;

	(void)l;
	(void)ev;
	for (i = 0; i < 64; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (conn_accept(g->g_conns, cfd, g->g_sctx, &g->g_params, &pending_ops, g, &c) !=
		    0)
			log_warnx("cannot take a router connection: out of memory");
	}
}

/* ---- venue connections -------------------------------------------------------------------- */

static void venue_connect(struct route *r);

static void venue_open(struct conn *c, void *arg)
{
	struct route *r = arg;

	log_info("%s: TLS %s up to %s", r->r_vname, conn_tls_version(c), conn_addr(c));
	session_attach(r->r_vs, c);
}

static size_t venue_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct route *r = arg;

	(void)c;
	return session_input(r->r_vs, buf, len);
}

static void venue_close(struct conn *c, const char *reason, void *arg)
{
	struct route *r = arg;
	struct gw *g = r->r_gw;

	(void)c;
	r->r_vconn = NULL;
	session_detach(r->r_vs, reason);
	if (g->g_stopping || r->r_removed)
		return;
	r->r_backoff_s = r->r_backoff_s == 0 ? 1 : r->r_backoff_s * 2;
	if (r->r_backoff_s > BACKOFF_MAX_S)
		r->r_backoff_s = BACKOFF_MAX_S;
	log_warnx("%s: connection to %s closed: %s; reconnecting in %d s", r->r_vname,
	    r->r_cfg->cr_venue.ca_host, reason, r->r_backoff_s);
	(void)loop_timer_set(g->g_loop, &r->r_reconnect, (int64_t)r->r_backoff_s * NSEC);
}

static const struct conn_ops venue_conn_ops = {venue_open, venue_data, venue_close};

static void venue_connect(struct route *r)
{
	struct gw *g = r->r_gw;
	int rc;

	rc = conn_connect(g->g_conns, (struct sockaddr *)&r->r_vaddr, r->r_vaddrlen, r->r_vctx,
	    r->r_cfg->cr_venue_name, &g->g_params, &venue_conn_ops, r, &r->r_vconn);
	if (rc != 0) {
		log_warnx("%s: connect: %s", r->r_vname, strerror(-rc));
		r->r_vconn = NULL;
		(void)loop_timer_set(g->g_loop, &r->r_reconnect, NSEC);
	}
}

static void on_reconnect(struct loop *l, void *arg)
{
	struct route *r = arg;

	(void)l;
	if (r->r_vconn == NULL && !r->r_gw->g_stopping && !r->r_removed)
		venue_connect(r);
}

/* ---- signals ------------------------------------------------------------------------------- */

/* While stopping, wakes the loop so that before_sleep() can see the
 * sessions gone or the deadline passed. */
static struct loop_timer stop_timer;

static void on_stop_tick(struct loop *l, void *arg)
{
	(void)arg;
	(void)loop_timer_set(l, &stop_timer, NSEC / 10);
}

static void stop(struct gw *g, const char *why)
{
	int i;

	if (g->g_stopping)
		return;
	log_notice("stopping: %s", why);
	g->g_stopping = true;
	g->g_stop_deadline = loop_now(g->g_loop) + 3 * NSEC;
	loop_timer_init(&stop_timer, on_stop_tick, g);
	(void)loop_timer_set(g->g_loop, &stop_timer, NSEC / 10);
	for (i = 0; i < g->g_nroutes; i++) {
		struct route *r = &g->g_routes[i];

		loop_timer_cancel(g->g_loop, &r->r_reconnect);
		if (r->r_rconn != NULL)
			session_logout(r->r_rs, "riskgwd shutting down");
		if (r->r_vconn != NULL)
			session_logout(r->r_vs, "riskgwd shutting down");
	}
}

/* What a route needs from outside before it can be set up (prepare_route()). */
struct route_prep {
	struct tls_ctx *rp_vctx;
	struct sockaddr_storage rp_addr;
	socklen_t rp_addrlen;
};
static int prepare_route(const struct conf_route *, struct route_prep *, char *err, size_t len);
static void route_tags(struct route *);
static void setup_route(struct gw *, struct route *, const struct conf_route *, int idx,
    struct route_prep *);

/* Why route x cannot become y in place (its sessions or where they go
 * changed), or NULL. What may change in place: the checks' tags, the
 * allowed message types, the cancel settings, the venue's TLS files. */
static const char *hard_change(const struct conf_route *x, const struct conf_route *y)
{
	if (strcmp(x->cr_begin, y->cr_begin) != 0)
		return "fix-version";
	if (strcmp(x->cr_router_comp, y->cr_router_comp) != 0 ||
	    strcmp(x->cr_gw_comp, y->cr_gw_comp) != 0)
		return "router-comp-id or gateway-comp-id";
	if (strcmp(x->cr_router_identity, y->cr_router_identity) != 0)
		return "router-identity";
	if (strcmp(x->cr_venue.ca_host, y->cr_venue.ca_host) != 0 ||
	    x->cr_venue.ca_port != y->cr_venue.ca_port || strcmp(x->cr_venue_name, y->cr_venue_name) != 0)
		return "venue or venue-name";
	if (strcmp(x->cr_venue_sender, y->cr_venue_sender) != 0 ||
	    strcmp(x->cr_venue_target, y->cr_venue_target) != 0)
		return "venue-sender-comp-id or venue-target-comp-id";
	if (x->cr_heartbeat != y->cr_heartbeat)
		return "heartbeat";
	if (x->cr_venue_reset != y->cr_venue_reset)
		return "venue-reset-on-logon";
	return NULL;
}

static int count_route_orders(void *arg, const struct rules_live *l)
{
	struct route *r = arg;

	if (l->rl_tag == r->r_idx)
		r->r_cnt.rc_scratch++;
	return 0;
}

/* The active route named name, or NULL. */
static struct route *route_named(struct gw *g, const char *name)
{
	for (int i = 0; i < g->g_nroutes; i++)
		if (!g->g_routes[i].r_removed && strcmp(g->g_routes[i].r_cfg->cr_name, name) == 0)
			return &g->g_routes[i];
	return NULL;
}

/*
 * SIGHUP: reads the configuration again and applies it all or nothing:
 * every certificate and key anew (the listener's, the client CA, each
 * route's venue CA and client certificate: new connections use them, open
 * ones keep theirs), the log level, and the routes:
 *   - a new route is set up and connects to its venue;
 *   - a route whose checks changed (parent tag, declared quantity tag,
 *     strip-tags, allow-msg-types, cancel-on-*) takes them for the next
 *     message;
 *   - a route that is gone is removed if it is idle (no router logged on,
 *     no open order): its venue session logs out. With a router on it or
 *     orders open, the reload is refused (stop the router, cancel the
 *     orders, or kill the route first);
 *   - a route whose sessions changed (CompIDs, FIX version, router identity,
 *     venue address or name, heartbeat) is refused: give it a new name (a
 *     new route) or restart.
 * A refusal changes nothing and says why in the log.
 */
static void reload(struct gw *g)
{
	struct conf *nc = NULL;
	struct tls_ctx *sctx = NULL;
	struct route_prep prep[CONF_MAX_ROUTES];
	char err[CONF_ERRLEN], terr[TLS_ERRLEN], why[CONF_ERRLEN] = "";
	int i, nadd = 0, nremove = 0, nchanged = 0, slots = g->g_nroutes;
	bool ok = true;

	if (conf_load(g->g_conf->c_file, true, &nc, err) != 0) {
		log_warnx("reload refused, running configuration kept: %s", err);
		return;
	}
	memset(prep, 0, sizeof(prep));
	/* routes gone: only idle ones */
	for (i = 0; ok && i < g->g_nroutes; i++) {
		struct route *r = &g->g_routes[i];
		int j;

		if (r->r_removed)
			continue;
		for (j = 0; j < nc->c_nroutes && strcmp(nc->c_routes[j].cr_name, r->r_cfg->cr_name); j++)
			;
		if (j < nc->c_nroutes)
			continue;
		r->r_cnt.rc_scratch = 0;
		(void)rules_foreach_live(g->g_engine, count_route_orders, r);
		if (r->r_rconn != NULL) {
			snprintf(why, sizeof(why), "route %s is removed but its router is connected",
			    r->r_cfg->cr_name);
			ok = false;
		} else if (r->r_cnt.rc_scratch > 0) {
			snprintf(why, sizeof(why), "route %s is removed but has %" PRIu64
			    " open orders at its venue (cancel them or kill the route first)",
			    r->r_cfg->cr_name, r->r_cnt.rc_scratch);
			ok = false;
		}
		nremove++;
	}
	/* routes kept or new */
	for (i = 0; ok && i < nc->c_nroutes; i++) {
		const struct conf_route *cr = &nc->c_routes[i];
		struct route *r = route_named(g, cr->cr_name);
		const char *what;

		if (r != NULL && (what = hard_change(r->r_cfg, cr)) != NULL) {
			snprintf(why, sizeof(why), "route %s: %s changed: give the route a new name or "
			    "restart riskgwd", cr->cr_name, what);
			ok = false;
			break;
		}
		if (r == NULL) {
			for (int k = 0; k < g->g_nroutes; k++) { /* CompIDs of another route */
				const struct conf_route *o = g->g_routes[k].r_cfg;

				if (!g->g_routes[k].r_removed && strcmp(o->cr_name, cr->cr_name) != 0 &&
				    strcmp(o->cr_router_comp, cr->cr_router_comp) == 0 &&
				    strcmp(o->cr_gw_comp, cr->cr_gw_comp) == 0) {
					int still = 0;

					for (int m = 0; m < nc->c_nroutes; m++)
						still |= strcmp(nc->c_routes[m].cr_name, o->cr_name) == 0;
					if (still || g->g_routes[k].r_rconn != NULL) {
						snprintf(why, sizeof(why), "route %s: its CompIDs are route "
						    "%s's", cr->cr_name, o->cr_name);
						ok = false;
					}
				}
			}
			if (ok && slots == CONF_MAX_ROUTES) {
				snprintf(why, sizeof(why), "route %s: no free route slot (%d routes "
				    "since start, removed ones included); restart riskgwd",
				    cr->cr_name, CONF_MAX_ROUTES);
				ok = false;
			}
			if (!ok)
				break;
			slots++;
			nadd++;
		}
		if (prepare_route(cr, &prep[i], why, sizeof(why)) != 0) {
			ok = false;
			break;
		}
		if (r != NULL && memcmp(&r->r_conf, cr, sizeof(*cr)) != 0)
			nchanged++;
	}
	if (ok && tls_ctx_server(&sctx, nc->c_cert, nc->c_key, nc->c_client_ca, terr) != 0) {
		snprintf(why, sizeof(why), "router TLS: %s", terr);
		ok = false;
	}
	if (!ok) {
		log_warnx("reload refused, running configuration kept: %s", why);
		for (i = 0; i < nc->c_nroutes; i++)
			tls_ctx_free(prep[i].rp_vctx);
		conf_free(nc);
		return;
	}

	/* apply: nothing below fails */
	tls_ctx_free(g->g_sctx); /* open connections hold their own reference */
	g->g_sctx = sctx;
	for (i = 0; i < g->g_nroutes; i++) {
		struct route *r = &g->g_routes[i];
		int j;

		if (r->r_removed)
			continue;
		for (j = 0; j < nc->c_nroutes && strcmp(nc->c_routes[j].cr_name, r->r_cfg->cr_name); j++)
			;
		if (j == nc->c_nroutes) {
			r->r_removed = true;
			loop_timer_cancel(g->g_loop, &r->r_reconnect);
			if (r->r_vconn != NULL)
				session_logout(r->r_vs, "route removed");
			log_notice("reload: route %s removed", r->r_cfg->cr_name);
			continue;
		}
		tls_ctx_free(r->r_vctx);
		r->r_vctx = prep[j].rp_vctx;
		prep[j].rp_vctx = NULL;
		if (memcmp(&r->r_conf, &nc->c_routes[j], sizeof(r->r_conf)) != 0) {
			r->r_conf = nc->c_routes[j];
			route_tags(r);
			log_notice("reload: route %s: checks and settings updated", r->r_cfg->cr_name);
		}
	}
	for (i = 0; i < nc->c_nroutes; i++) {
		struct route *r;

		if (prep[i].rp_vctx == NULL)
			continue; /* taken by a kept route */
		r = &g->g_routes[g->g_nroutes];
		setup_route(g, r, &nc->c_routes[i], g->g_nroutes, &prep[i]);
		g->g_nroutes++;
		log_notice("reload: route %s added", r->r_cfg->cr_name);
		venue_connect(r);
	}
	log_setlevel(nc->c_log_level);
	conf_free(nc);
	log_notice("reloaded: certificates and keys; routes: %d added, %d changed, %d removed", nadd,
	    nchanged, nremove);
}

static void on_signal(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct gw *g = arg;
	struct signalfd_siginfo si;

	(void)l;
	(void)ev;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			stop(g, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		case SIGUSR1:
			gw_trip(g, JOURNAL_KSRC_SIGNAL, "", "SIGUSR1 received");
			break;
		case SIGHUP:
			reload(g);
			break;
		default:
			break;
		}
	}
}

/* ---- startup ------------------------------------------------------------------------------- */

static uint32_t today(void)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;
	char p[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(p, sizeof(p), "%u", port);
	rc = getaddrinfo(host, p, &hints, &res);
	if (rc != 0)
		return rc;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int listen_on(const struct conf_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, rc;

	if ((rc = resolve(a->ca_host, a->ca_port, &ss, &len)) != 0)
		fatalx("listen %s:%u: %s", a->ca_host, a->ca_port, gai_strerror(rc));
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatalx("socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0)
		fatalx("listen %s:%u: %s", a->ca_host, a->ca_port, strerror(errno));
	return fd;
}

struct replay {
	struct gw *g;
	uint64_t events, failed;
	int64_t now; /* CLOCK_MONOTONIC at the replay */
};

/* The index a route name will have: the journal is replayed before the
 * routes are set up, and route i is the configuration's route i. */
static uint32_t route_index(struct gw *g, const char *name)
{
	int i;

	for (i = 0; i < g->g_conf->c_nroutes; i++)
		if (strcmp(g->g_conf->c_routes[i].cr_name, name) == 0)
			return (uint32_t)i;
	return UINT32_MAX;
}

static int replay_one(void *arg, const struct journal_event *ev)
{
	struct replay *rp = arg;
	struct gw *g = rp->g;
	struct rules_decision d;
	int rc = 0;

	rp->events++;
	switch (ev->ev_type) {
	case JOURNAL_EV_ORDER: {
		const struct journal_order *jo = &ev->ev_u.order;
		struct rules_order o = {jo->jo_kind, jo->jo_clordid, jo->jo_origclordid,
		    jo->jo_parent, jo->jo_account, jo->jo_symbol, jo->jo_side, jo->jo_ordtype,
		    jo->jo_qty, jo->jo_px, jo->jo_declared_qty, jo->jo_allow_declare,
		    jo->jo_now_ns, route_index(g, ev->ev_route)};

		/* CLOCK_MONOTONIC starts again at boot: a time ahead of this
		 * boot's clock was journaled on a boot before, so the child was
		 * sent at least a reboot ago, outside every rate window (and
		 * would otherwise count as sent in the last second). */
		if (o.ro_now_ns > rp->now)
			o.ro_now_ns = rp->now - 2 * NSEC;
		rc = rules_restore(g->g_engine, &o, &d);
		if (rc != 0) {
			log_alert("journal replay: order %s cannot be booked: %s", jo->jo_clordid,
			    d.rd_text);
			rp->failed++;
		}
		return 0;
	}
	case JOURNAL_EV_PARENT_BLOCK:
	case JOURNAL_EV_PARENT_RELEASE:
		rc = journal_ev_apply(g->g_engine, ev, NULL);
		/* a block that cannot be restored fails closed; releasing a
		 * parent that is not blocked changes nothing */
		if (rc != 0 && (ev->ev_type == JOURNAL_EV_PARENT_BLOCK || rc != RULES_ENOTFOUND)) {
			log_alert("journal replay: parent %s: cannot %s it: %s",
			    ev->ev_u.parent.jp_parent,
			    ev->ev_type == JOURNAL_EV_PARENT_BLOCK ? "block" : "release",
			    rules_strerror(rc));
			rp->failed++;
		}
		return 0;
	case JOURNAL_EV_EXEC:
	case JOURNAL_EV_CANCEL_SENT:
	case JOURNAL_EV_CANCEL_REJECT:
		rc = journal_ev_apply(g->g_engine, ev, NULL);
		if (rc != 0 && rc != RULES_ENOTFOUND && rc != RULES_EEXIST)
			rp->failed++;
		return 0;
	}
	return 0;
}

/* The route's tag sets from its configuration: the body tags that must not
 * repeat (the base ones, the parent tag, the declared quantity tag) and the
 * tags stripped toward the venue. */
static void route_tags(struct route *r)
{
	static const int base_unique[] = {11, 41, 38, 40, 44, 54, 55, 1};
	const struct conf_route *cr = r->r_cfg;
	int n = 0;
	size_t i;

	for (i = 0; i < sizeof(base_unique) / sizeof(base_unique[0]); i++)
		r->r_unique_tags[n++] = base_unique[i];
	r->r_unique_tags[n++] = cr->cr_parent_tag;
	if (cr->cr_declared_qty_tag > 0)
		r->r_unique_tags[n++] = cr->cr_declared_qty_tag;
	r->r_unique.ft_tags = r->r_unique_tags;
	r->r_unique.ft_n = (size_t)n;
	r->r_strip.ft_tags = cr->cr_strip;
	r->r_strip.ft_n = (size_t)cr->cr_nstrip;
}

/* Sets up what a route needs from outside: its venue TLS context and
 * address. 0, or -1 with err (nothing kept). */
static int prepare_route(const struct conf_route *cr, struct route_prep *p, char *err, size_t len)
{
	char terr[TLS_ERRLEN];
	int rc;

	memset(p, 0, sizeof(*p));
	if (tls_ctx_client(&p->rp_vctx, cr->cr_venue_ca,
		cr->cr_venue_cert[0] ? cr->cr_venue_cert : NULL,
		cr->cr_venue_key[0] ? cr->cr_venue_key : NULL, terr) != 0) {
		snprintf(err, len, "route %s: venue TLS: %s", cr->cr_name, terr);
		return -1;
	}
	if ((rc = resolve(cr->cr_venue.ca_host, cr->cr_venue.ca_port, &p->rp_addr,
		 &p->rp_addrlen)) != 0) {
		snprintf(err, len, "route %s: venue %s: %s", cr->cr_name, cr->cr_venue.ca_host,
		    gai_strerror(rc));
		tls_ctx_free(p->rp_vctx);
		p->rp_vctx = NULL;
		return -1;
	}
	return 0;
}

static void setup_route(struct gw *g, struct route *r, const struct conf_route *cr, int idx,
    struct route_prep *prep)
{
	struct session_config sc;
	struct session_store st = route_store_template;
	struct journal_session js;

	memset(r, 0, sizeof(*r));
	r->r_gw = g;
	r->r_conf = *cr;
	r->r_cfg = &r->r_conf;
	cr = r->r_cfg;
	r->r_idx = (uint32_t)idx;
	r->r_version = strcmp(cr->cr_begin, "FIX.4.2") == 0 ? FIX_42 : FIX_44;
	snprintf(r->r_rname, sizeof(r->r_rname), "%s/router", cr->cr_name);
	snprintf(r->r_vname, sizeof(r->r_vname), "%s/venue", cr->cr_name);
	route_tags(r);
	loop_timer_init(&r->r_reconnect, on_reconnect, r);
	r->r_vctx = prep->rp_vctx;
	r->r_vaddr = prep->rp_addr;
	r->r_vaddrlen = prep->rp_addrlen;

	memset(&sc, 0, sizeof(sc));
	sc.sc_version = r->r_version;
	sc.sc_max_msg = (size_t)g->g_conf->c_max_msg;
	sc.sc_logon_timeout_s = g->g_conf->c_logon_timeout;
	sc.sc_max_garbled = 10;

	/* router leg: we accept; reports for a router that is away are kept
	 * for its resend */
	sc.sc_name = r->r_rname;
	sc.sc_role = SESSION_ACCEPTOR;
	snprintf(sc.sc_sender, sizeof(sc.sc_sender), "%s", cr->cr_gw_comp);
	snprintf(sc.sc_target, sizeof(sc.sc_target), "%s", cr->cr_router_comp);
	sc.sc_heartbeat_s = cr->cr_heartbeat;
	sc.sc_unique = &r->r_unique;
	sc.sc_queue_when_down = true;
	r->r_rstore.js_gw = g;
	r->r_rstore.js_name = r->r_rname;
	st.ss_arg = &r->r_rstore;
	if (session_new(&r->r_rs, g->g_loop, &sc, &st, &route_router_ops, r) != 0)
		fatalx("out of memory");
	if (journal_session_get(g->g_journal, r->r_rname, &js) == 0)
		session_restore(r->r_rs, js.js_next_in, js.js_next_out);

	/* venue leg: we initiate */
	sc.sc_name = r->r_vname;
	sc.sc_role = SESSION_INITIATOR;
	snprintf(sc.sc_sender, sizeof(sc.sc_sender), "%s", cr->cr_venue_sender);
	snprintf(sc.sc_target, sizeof(sc.sc_target), "%s", cr->cr_venue_target);
	sc.sc_unique = NULL;
	sc.sc_queue_when_down = false;
	sc.sc_reset_on_logon = cr->cr_venue_reset;
	r->r_vstore.js_gw = g;
	r->r_vstore.js_name = r->r_vname;
	st.ss_arg = &r->r_vstore;
	if (session_new(&r->r_vs, g->g_loop, &sc, &st, &route_venue_ops, r) != 0)
		fatalx("out of memory");
	if (journal_session_get(g->g_journal, r->r_vname, &js) == 0)
		session_restore(r->r_vs, js.js_next_in, js.js_next_out);
}

static void open_state(struct gw *g)
{
	struct conf *c = g->g_conf;
	struct journal_config jc = {c->c_journal_map << 20, c->c_sync_commit, true,
	    JOURNAL_RESERVE_DEFAULT, c->c_journal_prealloc << 20};
	struct rules_engine_config ec = {c->c_max_orders, 100000, 10000, 100000,
	    (unsigned)c->c_warn_pct};
	char err[RULES_ERRLEN];
	struct replay rp = {g, 0, 0, 0};
	struct timespec ts;
	uint32_t day = 0;
	int rc;

	if ((rc = rules_store_open(&g->g_rules, c->c_rules, RULES_STORE_RDONLY, 0, err)) != 0)
		fatalx("rules store: %s", err);
	if ((rc = rules_engine_new(&g->g_engine, g->g_rules, &ec, err)) != 0)
		fatalx("rules engine: %s", err);
	if ((rc = journal_open(&g->g_journal, c->c_journal, &jc, err)) != 0)
		fatalx("journal: %s", err);
	g->g_day = today();
	if (journal_day(g->g_journal, &day) != 0 || day != g->g_day) {
		if (journal_new_day(g->g_journal, g->g_day, err) != 0 ||
		    journal_commit(g->g_journal, err) != 0)
			fatalx("journal: new trading day: %s", err);
		log_notice("trading day %" PRIu32 ": sequence numbers and orders start afresh",
		    g->g_day);
	}
	gw_kill_init(g);
	if (kill_init(&g->g_ks, g->g_journal, err) != 0)
		fatalx("%s", err); /* fail closed: riskgwd does not guess a kill state */
	{
		const char *ops[CONF_MAX_NAMES];

		for (int i = 0; i < c->c_reset_ops.cn_count; i++)
			ops[i] = c->c_reset_ops.cn_name[i];
		if (kill_set_operators(&g->g_ks, ops, c->c_reset_ops.cn_count, err) != 0)
			fatalx("reset-operators: %s", err);
	}
	if (gw_killed(g))
		log_alert("kill switch is TRIPPED (since before this start): %s",
		    g->g_ks.k_global.ke_k.jk_reason);
	for (int i = 0; i < g->g_ks.k_nscoped; i++)
		log_alert("kill switch %s is TRIPPED (since before this start): %s",
		    g->g_ks.k_scoped[i].ke_scope, g->g_ks.k_scoped[i].ke_k.jk_reason);
	g->g_idseq = journal_last_event(g->g_journal) * 4 + 1000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	rp.now = (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
	rc = journal_replay(g->g_journal, replay_one, &rp);
	if (rc != 0)
		fatalx("journal replay: %s", rules_strerror(rc));
	if (rp.failed > 0)
		gw_trip(g, JOURNAL_KSRC_BREACH, "",
		    "journal replay could not rebuild every order's exposure");
	log_info("journal: %" PRIu64 " events replayed", rp.events);
}

static void setup_signals(struct gw *g)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fatalx("sigprocmask: %s", strerror(errno));
	g->g_sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (g->g_sigfd < 0)
		fatalx("signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if (loop_watch(g->g_loop, g->g_sigfd, LOOP_READ, on_signal, g) != 0)
		fatalx("cannot watch signals");
}

int main(int argc, char **argv)
{
	struct gw *g = &G;
	const char *file = NULL, *portfile = NULL;
	bool check = false, fg = false, verbose = false;
	char err[CONF_ERRLEN];
	int ch, i;

	while ((ch = getopt(argc, argv, "c:dnP:v")) != -1) {
		switch (ch) {
		case 'P':
			portfile = optarg;
			break;
		case 'c':
			file = optarg;
			break;
		case 'd':
			fg = true;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();
	if (conf_load(file, true, &g->g_conf, err) != 0) {
		fprintf(stderr, "riskgwd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("riskgwd: %s: configuration OK (%d routes)\n", file, g->g_conf->c_nroutes);
		conf_free(g->g_conf);
		return 0;
	}
	log_init("riskgwd", fg, verbose ? LOG_DEBUG : g->g_conf->c_log_level);

	if (loop_new(&g->g_loop, MAX_FDS) != 0 || conn_set_new(&g->g_conns, g->g_loop) != 0)
		fatalx("out of memory");
	g->g_params.cp_in_cap = (size_t)g->g_conf->c_max_msg * 2;
	g->g_params.cp_out_cap = 4u << 20;
	/* Each turn ends in a commit: with sync-commit = yes an fsync, which
	 * long turns share among more messages (docs/bench.md: 10,000 cancel
	 * confirmations took 77 ms in turns of up to 256 KiB, 158 ms in turns
	 * of 32 messages); without it, short turns let the venue work on the
	 * start of a burst while riskgwd checks the rest. */
	if (g->g_conf->c_sync_commit) {
		g->g_params.cp_turn_msgs = 4096;
		g->g_params.cp_turn_bytes = 256u << 10;
	}
	g->g_params.cp_handshake_timeout_ns = (int64_t)g->g_conf->c_logon_timeout * NSEC;
	if (tls_ctx_server(&g->g_sctx, g->g_conf->c_cert, g->g_conf->c_key,
		g->g_conf->c_client_ca, err) != 0)
		fatalx("router TLS: %s", err);
	gw_alert_start(g);
	open_state(g);
	g->g_nroutes = g->g_conf->c_nroutes;
	g->g_routes = calloc(CONF_MAX_ROUTES, sizeof(*g->g_routes));
	if (g->g_routes == NULL)
		fatalx("out of memory");
	for (i = 0; i < g->g_nroutes; i++) {
		struct route_prep prep;
		char perr[CONF_ERRLEN];

		if (prepare_route(&g->g_conf->c_routes[i], &prep, perr, sizeof(perr)) != 0)
			fatalx("%s", perr);
		setup_route(g, &g->g_routes[i], &g->g_conf->c_routes[i], i, &prep);
	}
	setup_signals(g);
	gw_gpio_start(g);
	g->g_lfd = listen_on(&g->g_conf->c_listen);
	if (loop_watch(g->g_loop, g->g_lfd, LOOP_READ, on_accept, g) != 0)
		fatalx("cannot watch the listener");
	gw_ctl_start(g);
	loop_set_before_sleep(g->g_loop, before_sleep, g);
	for (i = 0; i < g->g_nroutes; i++)
		venue_connect(&g->g_routes[i]);
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[64] = "?";
		unsigned port = 0;

		if (getsockname(g->g_lfd, (struct sockaddr *)&ss, &sl) == 0) {
			if (ss.ss_family == AF_INET) {
				struct sockaddr_in *in = (struct sockaddr_in *)(void *)&ss;

				inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
				port = ntohs(in->sin_port);
			} else if (ss.ss_family == AF_INET6) {
				struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&ss;

				inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
				port = ntohs(in6->sin6_port);
			}
		}
		log_notice("riskgwd %s: %d routes, listening on %s port %u, kill switch %s",
		    PACKAGE_VERSION, g->g_nroutes, host, port, gw_killed(g) ? "TRIPPED" : "armed");
		if (portfile != NULL) {
			char tmp[CONF_PATH_MAX + 8];
			FILE *f;

			snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
			f = fopen(tmp, "w");
			if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 ||
			    rename(tmp, portfile) != 0)
				fatalx("port file %s: %s", portfile, strerror(errno));
		}
	}
	if (loop_run(g->g_loop) != 0)
		log_warn("event loop");
	if (route_store_flush(g, err) == 0)
		(void)journal_commit(g->g_journal, err);
	gw_ctl_stop(g);
	gw_gpio_stop(g);
	gw_alert_stop(g);
	conn_set_free(g->g_conns);
	for (i = 0; i < g->g_nroutes; i++) {
		session_free(g->g_routes[i].r_rs);
		session_free(g->g_routes[i].r_vs);
		tls_ctx_free(g->g_routes[i].r_vctx);
	}
	free(g->g_routes);
	journal_close(g->g_journal);
	rules_engine_free(g->g_engine);
	rules_store_close(g->g_rules);
	tls_ctx_free(g->g_sctx);
	loop_free(g->g_loop);
	conf_free(g->g_conf);
	log_notice("stopped");
	return 0;
}
