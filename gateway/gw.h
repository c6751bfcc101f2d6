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
	const struct conf_route *r_cfg;
	uint32_t r_idx;
	struct session *r_rs;            /* router leg: we accept */
	struct session *r_vs;            /* venue leg: we initiate */
	struct conn *r_rconn, *r_vconn;
	struct tls_ctx *r_vctx;
	struct sockaddr_storage r_vaddr;
	socklen_t r_vaddrlen;
	struct loop_timer r_reconnect;
	int r_backoff_s;
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
	struct route *g_routes;
	int g_nroutes;
	struct journal_kill g_kill;      /* kill switch state */
	uint32_t g_day;                  /* trading day, YYYYMMDD */
	uint64_t g_idseq;                /* ids riskgwd makes (ExecID, cancel ClOrdID) */
	bool g_stopping;
	int64_t g_stop_deadline;
	struct conn_params g_params;
};

/* route.c: the sessions' callbacks and the order path */
extern const struct session_ops route_router_ops;
extern const struct session_ops route_venue_ops;
/* Sends the venue a cancel for every open order of the route (its router
 * dropped). Returns how many were sent. */
int route_cancel_open(struct route *, const char *why);
/* Trips the kill switch (persisted in this turn; effective at once). */
void gw_trip(struct gw *, enum journal_kill_source, const char *who, const char *reason);
bool gw_killed(const struct gw *);
/* A ClOrdID / ExecID riskgwd makes: "RGW<day>-<n>" */
void gw_make_id(struct gw *, char *buf, size_t len);

/* the session stores, backed by journal.mdb */
extern const struct session_store route_store_template;
/* Writes the sequence numbers the sessions saved this turn into the turn;
 * call before journal_commit(). 0 or the journal's error (the turn is then
 * lost, as for a failed commit). */
int route_store_flush(struct gw *, char err[RULES_ERRLEN]);

#endif
