/*
 * gw.h - riskgwd's own state: the daemon's structs shared by riskgwd.c
 * (startup, listener, venue connections, the loop hook, signals) and route.c
 * (the order path of one route). Not a library header: only riskgwd uses it.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "conn.h"
#include "engine.h"
#include "fix.h"
#include "journal.h"
#include "kill.h"
#include "loop.h"
#include "session.h"
#include "store.h"
#include "tls.h"

#define GW_MAX_UNIQUE 16

struct gw;

struct route_counters {
	uint64_t rc_orders;       /* D and G from the router */
	uint64_t rc_forwarded;    /* passed the checks and sent to the venue */
	uint64_t rc_rejected;     /* refused by the checks or the gateway */
	uint64_t rc_cancels;      /* F from the router, relayed */
	uint64_t rc_gw_cancels;   /* cancels riskgwd sent itself (router dropped) */
	uint64_t rc_execs;        /* execution reports from the venue */
	uint64_t rc_refused_types;/* application types the route does not allow */
	uint64_t rc_scratch;      /* riskgwd's, for a count in progress (not shown) */
};

/* The argument of a session store: which session of which daemon. The
 * sequence numbers of the turn's last message wait in js_next_in/out and go
 * to the journal once per turn (route_store_flush), not once per message. */
struct jstore {
	struct gw *js_gw;
	const char *js_name;
	bool js_dirty;
	uint64_t js_next_in, js_next_out;
};

struct route {
	struct gw *r_gw;
	const struct conf_route *r_cfg;  /* = &r_conf */
	struct conf_route r_conf;        /* the route's own copy: a reload updates it */
	bool r_removed;                  /* removed by a reload: its index stays taken */
	uint32_t r_idx;
	struct session *r_rs;            /* router leg: we accept */
	struct session *r_vs;            /* venue leg: we initiate */
	struct conn *r_rconn, *r_vconn;
	struct tls_ctx *r_vctx;
	struct sockaddr_storage r_vaddr;
	socklen_t r_vaddrlen;
	struct loop_timer r_reconnect;
	int r_backoff_s;
	uint64_t r_vresets;          /* the venue session's sc_peer_resets last seen */
	char r_rname[CONF_NAME_MAX + 8]; /* "<route>/router" */
	char r_vname[CONF_NAME_MAX + 8]; /* "<route>/venue" */
	struct jstore r_rstore, r_vstore;
	int r_unique_tags[GW_MAX_UNIQUE];
	struct fix_tags r_unique, r_strip;
	enum fix_version r_version;
	struct route_counters r_cnt;
};

struct gw {
	struct conf *g_conf;
	struct loop *g_loop;
	struct conn_set *g_conns;
	struct tls_ctx *g_sctx;          /* router-facing server context */
	struct rules_store *g_rules;
	struct rules_engine *g_engine;
	struct journal *g_journal;
	int g_lfd;
	int g_sigfd;
	struct route *g_routes;          /* CONF_MAX_ROUTES slots: a reload may add */
	int g_nroutes;                   /* slots in use, removed routes included */
	struct kill g_ks;                /* kill switch state (kill.c) */
	uint64_t g_kill_open;            /* orders open in killed scopes */
	uint64_t g_kill_count;           /* scratch of a sweep */
	uint64_t g_kill_cancels;         /* cancels the kill sweeps sent */
	uint64_t g_kill_refused;         /* orders and replaces refused by a kill */
	uint64_t g_warnings;             /* parents that reached the warning threshold */
	int64_t g_kill_trip_mono;        /* loop time of the last trip */
	int64_t g_kill_done_ns;          /* trip to no order open, ns; -1 not yet */
	int64_t g_kill_block_ns;         /* the trip's cause to blocked (see gw_kill.c) */
	int64_t g_kill_cause_mono;       /* set by the order path before a breach trip */
	int64_t g_kill_sweep_ns;         /* blocked to every cancel queued */
	uint64_t g_kill_sweep_sent;      /* cancels the trip's own sweep sent */
	uint64_t g_kill_fwd_at_trip;     /* orders forwarded to venues before the trip */
	int g_kill_retries;
	bool g_kill_quiet_close;         /* the trip's own sweep: nothing was open */
	struct loop_timer g_kill_retry;
	uint32_t g_day;                  /* trading day, YYYYMMDD */
	uint64_t g_idseq;                /* ids riskgwd makes (ExecID, cancel ClOrdID) */
	bool g_stopping;
	int64_t g_stop_deadline;
	unsigned g_journal_alerted;      /* the fullness (%) last alerted: 0, 80, 90 */
	struct conn_params g_params;
};

/* route.c: the sessions' callbacks and the order path */
extern const struct session_ops route_router_ops;
extern const struct session_ops route_venue_ops;
/* Sends the venue a cancel for every open order of the route (its router
 * dropped). Returns how many were sent. */
int route_cancel_open(struct route *, const char *why);
/* Sends a cancel for every live order want() says yes to, on its route's
 * venue session; orders whose venue session is down are counted in *down.
 * Returns how many cancels were sent. */
typedef bool route_order_filter(void *arg, const struct rules_live *);
int route_cancel_where(struct gw *, route_order_filter *want, void *arg, const char *why,
    size_t *down);
/* A ClOrdID / ExecID riskgwd makes: "RGW<day>-<n>" */
void gw_make_id(struct gw *, char *buf, size_t len);

/* gw_kill.c: the kill switch's effects (see there) */
void gw_kill_init(struct gw *);
/* Trips scope ("global", "route:NAME", ...): blocks at once, cancels what
 * is open in it, alerts. 1 tripped now, 0 was tripped, or kill_trip()'s error. */
int gw_kill_trip(struct gw *, const char *scope, enum journal_kill_source, const char *who,
    const char *reason);
/* Trips the global kill switch. */
void gw_trip(struct gw *, enum journal_kill_source, const char *who, const char *reason);
bool gw_killed(const struct gw *);
/* A breach by parent: it stays blocked after a reset until released or its
 * limits change (journaled, in the kill log). */
void gw_kill_block_parent(struct route *, const char *parent, const char *reason);
/* Releases a blocked parent. 0, or a RULES_E* or KILL_E* code with err. */
int gw_kill_release_parent(struct gw *, const char *parent, const char *who, const char *reason,
    char err[RULES_ERRLEN]);
/* An accepted order took its parent to the warning threshold (rd_warn). */
void gw_warn(struct route *, const struct rules_order *, unsigned warn);
/* After a reset: recounts (and cancels in) what is still tripped. */
void gw_kill_reset_done(struct gw *);
/* A venue session is back: cancels what waited for it. */
void gw_kill_venue_up(struct route *);
/* Around a venue report naming clid/orig: was it open in a killed scope
 * before (returned), and is it closed after (the count then drops). */
bool gw_kill_report_before(struct gw *, const char *clid, const char *orig);
void gw_kill_report_after(struct gw *, const char *clid, const char *orig, bool was_open);

/* the session stores, backed by journal.mdb */
extern const struct session_store route_store_template;
/* Writes the sequence numbers the sessions saved this turn into the turn;
 * call before journal_commit(). 0 or the journal's error (the turn is then
 * lost, as for a failed commit). */
int route_store_flush(struct gw *, char err[RULES_ERRLEN]);

#endif
