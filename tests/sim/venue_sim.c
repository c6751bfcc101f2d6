/*
 * venue_sim.c - venue-sim: a trading venue for tests and benchmarks. A FIX
 * 4.2/4.4 acceptor over TLS that acknowledges, fills, cancels, replaces and
 * rejects orders per its options (venue_book.c), keeps each session's
 * sequence numbers and sent messages in memory for the life of the process
 * (a peer that reconnects resumes, and its ResendRequests are served), and
 * can drop connections on purpose. tests/sim/README.md has the options.
 *
 * The session is chosen when the connection's first message, which must be a
 * Logon, arrives: by its SenderCompID, TargetCompID and BeginString. Until
 * then the connection's input is looked at here, then fed to that session.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "fix.h"
#include "fixed.h"
#include "loop.h"
#include "session.h"
#include "sim_store.h"
#include "sim_util.h"
#include "tls.h"
#include "venue_book.h"

#define COMP_MAX 63
#define MAX_MSG 8192
#define LOGON_WAIT_NS (10 * SIM_NSEC)

struct vsess {
	struct session *vs_s;
	struct sim_store *vs_st;
	struct vconn *vs_vc;             /* the connection logged on, or NULL */
	enum fix_version vs_v;
	char vs_peer[COMP_MAX + 1];      /* the peer's SenderCompID */
	char vs_us[COMP_MAX + 1];        /* ours: the peer's TargetCompID */
	char vs_name[2 * COMP_MAX + 8];
	uint64_t vs_logons, vs_downs;
	unsigned vs_idx;
	struct venue *vs_v_owner;
};

struct vconn {
	bool vc_used;
	struct conn *vc_c;
	struct vsess *vc_s;              /* NULL until its Logon */
	struct loop_timer vc_timer;      /* Logon deadline */
	struct venue *vc_v;
};

struct allowed {
	char a_peer[COMP_MAX + 1], a_us[COMP_MAX + 1];
};

struct vopts {
	struct sockaddr_in o_listen;
	const char *o_listen_str;
	const char *o_cert, *o_key, *o_ca;
	const char *o_port_file, *o_stats_file;
	int o_fix;                       /* 0 any, else FIX_42 / FIX_44 */
	struct allowed *o_allowed;
	int o_nallowed;
	struct vbook_cfg o_book;
	int64_t o_disconnect_after;
	int64_t o_max_sessions, o_max_conns;
	uint64_t o_stats_orders;
	size_t o_store_bytes, o_store_msgs, o_out_cap;
	bool o_quiet;
};

struct venue {
	struct vopts v_o;
	struct loop *v_loop;
	struct conn_set *v_set;
	struct tls_ctx *v_tls;
	int v_lfd;
	unsigned v_port;
	struct vsess *v_sess;
	unsigned v_nsess;
	struct vconn *v_conns;
	struct vbook *v_book;
	struct fix_msg v_msg;            /* the Logon of an unbound conn */
	uint64_t v_accepted, v_refused, v_dropped_signal, v_dropped_after;
	bool v_disconnect_fired;
	bool v_exit;
};

/* ---- usage -------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: venue-sim --cert FILE --key FILE [options]\n"
	    "  --listen ADDR:PORT        listen address (default 127.0.0.1:0, an ephemeral port)\n"
	    "  --port-file FILE          write the port number there once listening\n"
	    "  --cert FILE --key FILE    the venue's server certificate and key\n"
	    "  --ca FILE                 require a client certificate signed by this CA\n"
	    "  --fix 4.2|4.4|any         FIX versions accepted (default any)\n"
	    "  --session PEER:VENUE      accept Logons with SenderCompID PEER and TargetCompID\n"
	    "                            VENUE (repeatable; default: any CompIDs)\n"
	    "  --fill none|full|partial  fill policy (default full)\n"
	    "  --slices N                partial: fills per order (default 2)\n"
	    "  --fill-delay-ms MS        before the first fill and between slices (default 0)\n"
	    "  --reject-rate P           reject this share (0..1) of valid orders (default 0)\n"
	    "  --seed N                  PRNG seed for the rejects (default 1)\n"
	    "  --ref-px PX               fill price of market orders (default 100)\n"
	    "  --parent-tag42 TAG        tag naming the parent on FIX 4.2 (default 5001)\n"
	    "  --parent-tag44 TAG        ... on FIX 4.4 (default 583)\n"
	    "  --disconnect-after N      drop the connection (no Logout) that brings order N,\n"
	    "                            once, after answering it\n"
	    "  --stats-file FILE         JSON stats, written at exit and on SIGUSR2\n"
	    "  --stats-orders N          list at most N orders in the stats (default all)\n"
	    "  --max-orders N            order table size (default 1048576)\n"
	    "  --max-keys N              distinct symbols/accounts/parents (default 65536)\n"
	    "  --max-sessions N          (default 64)   --max-conns N (default 64)\n"
	    "  --store-mb MB             sent messages kept per session for resend (default 64)\n"
	    "  --out-buffer-mb MB        output buffer per connection (default 16)\n"
	    "  --quiet                   no log lines on stderr but errors\n"
	    "signals: SIGTERM/SIGINT stats and exit, SIGUSR1 drop every connection now,\n"
	    "SIGUSR2 write the stats file now\n");
}

static void bad(const char *opt, const char *val)
{
	fprintf(stderr, "venue-sim: bad value for %s: '%s'\n", opt, val ? val : "");
	usage(stderr);
	exit(2);
}

static int64_t opt_i64(const char *opt, const char *val, int64_t min, int64_t max)
{
	int64_t v;

	if (sim_parse_i64(val, min, max, &v) != 0)
		bad(opt, val);
	return v;
}

static void parse_opts(struct vopts *o, int argc, char **argv)
{
	enum {
		O_LISTEN = 256, O_PORT_FILE, O_CERT, O_KEY, O_CA, O_FIX, O_SESSION, O_FILL, O_SLICES,
		O_DELAY, O_REJECT, O_SEED, O_REFPX, O_PT42, O_PT44, O_DISC, O_STATS, O_STATS_ORDERS,
		O_MAX_ORDERS, O_MAX_KEYS, O_MAX_SESS, O_MAX_CONNS, O_STORE, O_OUTBUF, O_QUIET,
		O_HELP
	};
	static const struct option lo[] = {
		{"listen", required_argument, NULL, O_LISTEN},
		{"port-file", required_argument, NULL, O_PORT_FILE},
		{"cert", required_argument, NULL, O_CERT},
		{"key", required_argument, NULL, O_KEY},
		{"ca", required_argument, NULL, O_CA},
		{"fix", required_argument, NULL, O_FIX},
		{"session", required_argument, NULL, O_SESSION},
		{"fill", required_argument, NULL, O_FILL},
		{"slices", required_argument, NULL, O_SLICES},
		{"fill-delay-ms", required_argument, NULL, O_DELAY},
		{"reject-rate", required_argument, NULL, O_REJECT},
		{"seed", required_argument, NULL, O_SEED},
		{"ref-px", required_argument, NULL, O_REFPX},
		{"parent-tag42", required_argument, NULL, O_PT42},
		{"parent-tag44", required_argument, NULL, O_PT44},
		{"disconnect-after", required_argument, NULL, O_DISC},
		{"stats-file", required_argument, NULL, O_STATS},
		{"stats-orders", required_argument, NULL, O_STATS_ORDERS},
		{"max-orders", required_argument, NULL, O_MAX_ORDERS},
		{"max-keys", required_argument, NULL, O_MAX_KEYS},
		{"max-sessions", required_argument, NULL, O_MAX_SESS},
		{"max-conns", required_argument, NULL, O_MAX_CONNS},
		{"store-mb", required_argument, NULL, O_STORE},
		{"out-buffer-mb", required_argument, NULL, O_OUTBUF},
		{"quiet", no_argument, NULL, O_QUIET},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->o_listen_str = "127.0.0.1:0";
	o->o_book.bc_fill = VBOOK_FILL_FULL;
	o->o_book.bc_slices = 2;
	o->o_book.bc_seed = 1;
	o->o_book.bc_max_orders = 1u << 20;
	o->o_book.bc_max_keys = 65536;
	o->o_book.bc_parent_tag42 = 5001;
	o->o_book.bc_parent_tag44 = 583;
	o->o_book.bc_ref_px = 100 * INT64_C(1000000);
	o->o_max_sessions = 64;
	o->o_max_conns = 64;
	o->o_stats_orders = UINT64_MAX;
	o->o_store_bytes = (size_t)64 << 20;
	o->o_out_cap = (size_t)16 << 20;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_LISTEN:
			o->o_listen_str = optarg;
			break;
		case O_PORT_FILE:
			o->o_port_file = optarg;
			break;
		case O_CERT:
			o->o_cert = optarg;
			break;
		case O_KEY:
			o->o_key = optarg;
			break;
		case O_CA:
			o->o_ca = optarg;
			break;
		case O_FIX:
			if (strcmp(optarg, "any") == 0)
				o->o_fix = 0;
			else if (sim_parse_fix_version(optarg, &o->o_fix) != 0)
				bad("--fix", optarg);
			break;
		case O_SESSION: {
			const char *colon = strchr(optarg, ':');
			struct allowed *a;
			size_t pl;

			if (colon == NULL || colon == optarg || colon[1] == '\0' ||
			    (pl = (size_t)(colon - optarg)) > COMP_MAX || strlen(colon + 1) > COMP_MAX ||
			    strchr(colon + 1, ':') != NULL)
				bad("--session", optarg);
			a = realloc(o->o_allowed, (size_t)(o->o_nallowed + 1) * sizeof(*a));
			if (a == NULL) {
				fprintf(stderr, "venue-sim: out of memory\n");
				exit(1);
			}
			o->o_allowed = a;
			a += o->o_nallowed++;
			memcpy(a->a_peer, optarg, pl);
			a->a_peer[pl] = '\0';
			snprintf(a->a_us, sizeof(a->a_us), "%s", colon + 1);
			break;
		}
		case O_FILL:
			if (strcmp(optarg, "none") == 0)
				o->o_book.bc_fill = VBOOK_FILL_NONE;
			else if (strcmp(optarg, "full") == 0)
				o->o_book.bc_fill = VBOOK_FILL_FULL;
			else if (strcmp(optarg, "partial") == 0)
				o->o_book.bc_fill = VBOOK_FILL_PARTIAL;
			else
				bad("--fill", optarg);
			break;
		case O_SLICES:
			o->o_book.bc_slices = (unsigned)opt_i64("--slices", optarg, 1, 1000);
			break;
		case O_DELAY:
			o->o_book.bc_fill_delay_ns =
			    opt_i64("--fill-delay-ms", optarg, 0, 3600000) * 1000000;
			break;
		case O_REJECT:
			if (sim_parse_double(optarg, 0.0, 1.0, &o->o_book.bc_reject_rate) != 0)
				bad("--reject-rate", optarg);
			break;
		case O_SEED:
			o->o_book.bc_seed = (uint64_t)opt_i64("--seed", optarg, 0, INT64_MAX);
			break;
		case O_REFPX:
			if (rules_px_parse(optarg, strlen(optarg), &o->o_book.bc_ref_px) != 0 ||
			    o->o_book.bc_ref_px <= 0)
				bad("--ref-px", optarg);
			break;
		case O_PT42:
			o->o_book.bc_parent_tag42 = (int)opt_i64("--parent-tag42", optarg, 1, FIX_TAG_MAX);
			break;
		case O_PT44:
			o->o_book.bc_parent_tag44 = (int)opt_i64("--parent-tag44", optarg, 1, FIX_TAG_MAX);
			break;
		case O_DISC:
			o->o_disconnect_after = opt_i64("--disconnect-after", optarg, 1, INT64_MAX);
			break;
		case O_STATS:
			o->o_stats_file = optarg;
			break;
		case O_STATS_ORDERS:
			o->o_stats_orders = (uint64_t)opt_i64("--stats-orders", optarg, 0, INT64_MAX);
			break;
		case O_MAX_ORDERS:
			o->o_book.bc_max_orders =
			    (uint32_t)opt_i64("--max-orders", optarg, 1, INT32_MAX / 4);
			break;
		case O_MAX_KEYS:
			o->o_book.bc_max_keys = (uint32_t)opt_i64("--max-keys", optarg, 1, 1 << 24);
			break;
		case O_MAX_SESS:
			o->o_max_sessions = opt_i64("--max-sessions", optarg, 1, 4096);
			break;
		case O_MAX_CONNS:
			o->o_max_conns = opt_i64("--max-conns", optarg, 1, 4096);
			break;
		case O_STORE:
			o->o_store_bytes = (size_t)opt_i64("--store-mb", optarg, 1, 65536) << 20;
			break;
		case O_OUTBUF:
			o->o_out_cap = (size_t)opt_i64("--out-buffer-mb", optarg, 1, 4096) << 20;
			break;
		case O_QUIET:
			o->o_quiet = true;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "venue-sim: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (o->o_cert == NULL || o->o_key == NULL) {
		fprintf(stderr, "venue-sim: --cert and --key are required\n");
		usage(stderr);
		exit(2);
	}
	if (sim_parse_addr(o->o_listen_str, &o->o_listen) != 0)
		bad("--listen", o->o_listen_str);
	/* ~1 index entry per 128 bytes of stored messages */
	o->o_store_msgs = o->o_store_bytes / 128;
}

/* ---- logging -------------------------------------------------------------------------- */

static void logx(const struct venue *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logx(const struct venue *v, const char *fmt, ...)
{
	va_list ap;

	if (v->v_o.o_quiet)
		return;
	va_start(ap, fmt);
	fputs("venue-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- sessions ------------------------------------------------------------------------- */

static struct vsess *vsess_of(void *arg)
{
	return arg;
}

static void s_active(struct session *s, void *arg)
{
	struct vsess *vs = vsess_of(arg);

	vs->vs_logons++;
	logx(vs->vs_v_owner, "session %s (FIX.4.%c) logged on, next in %" PRIu64 ", next out %" PRIu64,
	    vs->vs_name, vs->vs_v == FIX_42 ? '2' : '4', session_next_in(s), session_next_out(s));
}

static void s_app(struct session *s, const struct fix_msg *m, bool possdup, void *arg)
{
	struct vsess *vs = vsess_of(arg);
	struct venue *v = vs->vs_v_owner;

	if (!vbook_on_app(v->v_book, s, vs->vs_idx, m, possdup))
		return;
	if (v->v_o.o_disconnect_after > 0 && !v->v_disconnect_fired &&
	    vbook_orders_received(v->v_book) >= (uint64_t)v->v_o.o_disconnect_after &&
	    session_conn(s) != NULL) {
		v->v_disconnect_fired = true;
		v->v_dropped_after++;
		logx(v, "session %s: dropping the connection after order %" PRIu64
		    " (--disconnect-after)", vs->vs_name, vbook_orders_received(v->v_book));
		conn_close(session_conn(s), false, "--disconnect-after %" PRId64,
		    v->v_o.o_disconnect_after);
	}
}

static void s_down(struct session *s, bool clean, const char *reason, void *arg)
{
	struct vsess *vs = vsess_of(arg);

	(void)s;
	vs->vs_downs++;
	logx(vs->vs_v_owner, "session %s down (%s): %s", vs->vs_name, clean ? "logout" : "dropped",
	    reason);
}

static const struct session_ops sess_ops = {NULL, s_active, s_app, s_down};

static struct session *session_at(void *arg, unsigned sidx)
{
	struct venue *v = arg;

	return sidx < v->v_nsess ? v->v_sess[sidx].vs_s : NULL;
}

static const char *session_name(void *arg, unsigned sidx)
{
	struct venue *v = arg;

	return sidx < v->v_nsess ? v->v_sess[sidx].vs_name : "?";
}

/* The session for (peer, us, version), made on first use; NULL if full. */
static struct vsess *find_session(struct venue *v, const char *peer, const char *us,
    enum fix_version ver, char *why, size_t whylen)
{
	static const int unique_tags[] = {1, 11, 37, 38, 40, 41, 44, 54, 55};
	static const struct fix_tags unique = {unique_tags, 9};
	struct session_config cfg;
	struct session_store store;
	struct vsess *vs;
	unsigned i;
	int rc;

	for (i = 0; i < v->v_nsess; i++) {
		vs = &v->v_sess[i];
		if (vs->vs_v == ver && strcmp(vs->vs_peer, peer) == 0 && strcmp(vs->vs_us, us) == 0)
			return vs;
	}
	if (v->v_nsess == (unsigned)v->v_o.o_max_sessions) {
		snprintf(why, whylen, "too many sessions (--max-sessions %" PRId64 ")",
		    v->v_o.o_max_sessions);
		return NULL;
	}
	vs = &v->v_sess[v->v_nsess];
	memset(vs, 0, sizeof(*vs));
	vs->vs_v = ver;
	vs->vs_idx = v->v_nsess;
	vs->vs_v_owner = v;
	snprintf(vs->vs_peer, sizeof(vs->vs_peer), "%s", peer);
	snprintf(vs->vs_us, sizeof(vs->vs_us), "%s", us);
	snprintf(vs->vs_name, sizeof(vs->vs_name), "%s:%s", peer, us);
	if ((rc = sim_store_new(&vs->vs_st, v->v_o.o_store_bytes, v->v_o.o_store_msgs)) != 0) {
		snprintf(why, whylen, "session store: %s", strerror(-rc));
		return NULL;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc_name = vs->vs_name;
	cfg.sc_version = ver;
	cfg.sc_role = SESSION_ACCEPTOR;
	snprintf(cfg.sc_sender, sizeof(cfg.sc_sender), "%s", us);
	snprintf(cfg.sc_target, sizeof(cfg.sc_target), "%s", peer);
	cfg.sc_heartbeat_s = 30;
	cfg.sc_logon_timeout_s = 10;
	cfg.sc_max_msg = MAX_MSG;
	cfg.sc_max_garbled = 10;
	cfg.sc_unique = &unique;
	store = sim_store_ops(vs->vs_st);
	if ((rc = session_new(&vs->vs_s, v->v_loop, &cfg, &store, &sess_ops, vs)) != 0) {
		sim_store_free(vs->vs_st);
		snprintf(why, whylen, "session: %s", strerror(-rc));
		return NULL;
	}
	v->v_nsess++;
	return vs;
}

/* ---- connections ------------------------------------------------------------------------ */

static struct vconn *vconn_of(void *arg)
{
	return arg;
}

static void vc_logon_timeout(struct loop *l, void *arg)
{
	struct vconn *vc = vconn_of(arg);

	(void)l;
	if (vc->vc_c != NULL && vc->vc_s == NULL)
		conn_close(vc->vc_c, false, "no Logon within 10 s");
}

static void vc_open(struct conn *c, void *arg)
{
	struct vconn *vc = vconn_of(arg);

	logx(vc->vc_v, "connection from %s (TLS %s, peer '%s')", conn_addr(c), conn_tls_version(c),
	    conn_peer(c));
}

static bool allowed(const struct venue *v, const char *peer, const char *us)
{
	int i;

	if (v->v_o.o_nallowed == 0)
		return true;
	for (i = 0; i < v->v_o.o_nallowed; i++)
		if (strcmp(v->v_o.o_allowed[i].a_peer, peer) == 0 &&
		    strcmp(v->v_o.o_allowed[i].a_us, us) == 0)
			return true;
	return false;
}

/* Before the Logon: pick the session by the first message, then hand over. */
static size_t bind_session(struct venue *v, struct vconn *vc, const char *buf, size_t len)
{
	size_t n = 0, pl, ul;
	int why = 0, r;
	struct fix_reject rej;
	const char *peer, *us, *t;
	char p[COMP_MAX + 1], u[COMP_MAX + 1], err[160];
	struct vsess *vs;

	r = fix_frame(buf, len, MAX_MSG, &n, &why);
	if (r == FIX_FRAME_NEED_MORE)
		return 0;
	if (r != FIX_FRAME_MSG) {
		conn_close(vc->vc_c, false, "garbled first message: %s",
		    fix_strerror(r == FIX_FRAME_GARBLED ? why : r));
		return len;
	}
	if (fix_parse(&v->v_msg, buf, n, NULL, &rej) != 0 || fix_get_str(&v->v_msg, 35, &t, &pl) != 0 ||
	    pl != 1 || t[0] != 'A') {
		conn_close(vc->vc_c, false, "the first message is not a valid Logon");
		return len;
	}
	if (fix_get_str(&v->v_msg, 49, &peer, &pl) != 0 || fix_get_str(&v->v_msg, 56, &us, &ul) != 0 ||
	    pl > COMP_MAX || ul > COMP_MAX) {
		conn_close(vc->vc_c, false, "Logon without usable SenderCompID/TargetCompID");
		return len;
	}
	memcpy(p, peer, pl);
	p[pl] = '\0';
	memcpy(u, us, ul);
	u[ul] = '\0';
	if (v->v_o.o_fix != 0 && (int)v->v_msg.fm_version != v->v_o.o_fix) {
		conn_close(vc->vc_c, false, "Logon of %s:%s in FIX.4.%c refused (--fix)", p, u,
		    v->v_msg.fm_version == FIX_42 ? '2' : '4');
		v->v_refused++;
		return len;
	}
	if (!allowed(v, p, u)) {
		conn_close(vc->vc_c, false, "Logon of %s:%s refused: not a --session", p, u);
		v->v_refused++;
		return len;
	}
	if ((vs = find_session(v, p, u, v->v_msg.fm_version, err, sizeof(err))) == NULL) {
		conn_close(vc->vc_c, false, "Logon of %s:%s refused: %s", p, u, err);
		v->v_refused++;
		return len;
	}
	if (vs->vs_vc != NULL) {
		conn_close(vc->vc_c, false, "Logon of %s:%s refused: already logged on", p, u);
		v->v_refused++;
		return len;
	}
	loop_timer_cancel(v->v_loop, &vc->vc_timer);
	vs->vs_vc = vc;
	vc->vc_s = vs;
	session_attach(vs->vs_s, vc->vc_c);
	return session_input(vs->vs_s, buf, len);
}

static size_t vc_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct vconn *vc = vconn_of(arg);

	(void)c;
	if (vc->vc_s == NULL)
		return bind_session(vc->vc_v, vc, buf, len);
	return session_input(vc->vc_s->vs_s, buf, len);
}

static void vc_close(struct conn *c, const char *reason, void *arg)
{
	struct vconn *vc = vconn_of(arg);
	struct venue *v = vc->vc_v;

	(void)c;
	loop_timer_cancel(v->v_loop, &vc->vc_timer);
	if (vc->vc_s != NULL) {
		vc->vc_s->vs_vc = NULL;
		session_detach(vc->vc_s->vs_s, reason);
	} else {
		logx(v, "connection closed before Logon: %s", reason);
	}
	vc->vc_s = NULL;
	vc->vc_c = NULL;
	vc->vc_used = false;
}

static const struct conn_ops vc_ops = {vc_open, vc_data, vc_close};

static void on_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct venue *v = arg;
	/* long turns, as in every published bench run (conn.h: budgets) */
	struct conn_params p = {MAX_MSG * 8, v->v_o.o_out_cap, 5 * SIM_NSEC, 4096, 256u << 10};
	int cfd, i, rc;

	(void)l;
	(void)ev;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct vconn *vc = NULL;

		for (i = 0; i < v->v_o.o_max_conns; i++)
			if (!v->v_conns[i].vc_used) {
				vc = &v->v_conns[i];
				break;
			}
		if (vc == NULL) {
			logx(v, "connection refused: --max-conns %" PRId64 " reached",
			    v->v_o.o_max_conns);
			close(cfd);
			continue;
		}
		memset(vc, 0, sizeof(*vc));
		vc->vc_v = v;
		loop_timer_init(&vc->vc_timer, vc_logon_timeout, vc);
		if ((rc = conn_accept(v->v_set, cfd, v->v_tls, &p, &vc_ops, vc, &vc->vc_c)) != 0) {
			fprintf(stderr, "venue-sim: accept: %s\n", strerror(-rc));
			continue;
		}
		vc->vc_used = true;
		v->v_accepted++;
		(void)loop_timer_set(v->v_loop, &vc->vc_timer, LOGON_WAIT_NS);
	}
}

/* ---- stats ------------------------------------------------------------------------------- */

static int write_stats(FILE *f, void *arg)
{
	struct venue *v = arg;
	unsigned i;

	fprintf(f,
	    "{\"program\":\"venue-sim\",\"port\":%u,\"connections_accepted\":%" PRIu64
	    ",\"logons_refused\":%" PRIu64 ",\"dropped_by_signal\":%" PRIu64
	    ",\"dropped_by_disconnect_after\":%" PRIu64 ",\n\"sessions\":[",
	    v->v_port, v->v_accepted, v->v_refused, v->v_dropped_signal, v->v_dropped_after);
	for (i = 0; i < v->v_nsess; i++) {
		const struct vsess *vs = &v->v_sess[i];
		const struct session_counters *c = session_counters(vs->vs_s);

		fprintf(f, "%s\n{\"name\":", i ? "," : "");
		sim_json_str(f, vs->vs_name, strlen(vs->vs_name));
		fprintf(f, ",\"peer\":");
		sim_json_str(f, vs->vs_peer, strlen(vs->vs_peer));
		fprintf(f, ",\"venue\":");
		sim_json_str(f, vs->vs_us, strlen(vs->vs_us));
		fprintf(f,
		    ",\"fix\":\"FIX.4.%c\",\"state\":\"%s\",\"next_in\":%" PRIu64
		    ",\"next_out\":%" PRIu64 ",\"logons\":%" PRIu64 ",\"downs\":%" PRIu64
		    ",\"in_msgs\":%" PRIu64 ",\"out_msgs\":%" PRIu64 ",\"garbled\":%" PRIu64
		    ",\"rejects_sent\":%" PRIu64 ",\"resends_served\":%" PRIu64
		    ",\"possdup_dropped\":%" PRIu64 ",\"gaps\":%" PRIu64 "}",
		    vs->vs_v == FIX_42 ? '2' : '4', session_state_name(session_state(vs->vs_s)),
		    session_next_in(vs->vs_s), session_next_out(vs->vs_s), vs->vs_logons,
		    vs->vs_downs, c->sc_in_msgs, c->sc_out_msgs, c->sc_garbled, c->sc_rejects_sent,
		    c->sc_resends_served, c->sc_possdup_dropped, c->sc_gaps);
	}
	fprintf(f, "],\n");
	if (vbook_json(v->v_book, f, v->v_o.o_stats_orders, session_name, v) != 0)
		return -1;
	fprintf(f, "}\n");
	return ferror(f) ? -1 : 0;
}

static void save_stats(struct venue *v)
{
	int rc;

	if (v->v_o.o_stats_file == NULL)
		return;
	if ((rc = sim_write_file(v->v_o.o_stats_file, write_stats, v)) != 0)
		fprintf(stderr, "venue-sim: writing %s: %s\n", v->v_o.o_stats_file, strerror(-rc));
}

/* ---- signals and the loop ------------------------------------------------------------------ */

static void on_signal(int sig, void *arg)
{
	struct venue *v = arg;
	int i;

	switch (sig) {
	case SIGUSR1:
		for (i = 0; i < v->v_o.o_max_conns; i++)
			if (v->v_conns[i].vc_used && v->v_conns[i].vc_c != NULL) {
				conn_close(v->v_conns[i].vc_c, false, "SIGUSR1: dropped");
				v->v_dropped_signal++;
			}
		logx(v, "SIGUSR1: dropping every connection");
		break;
	case SIGUSR2:
		save_stats(v);
		break;
	default:
		v->v_exit = true;
		loop_stop(v->v_loop);
		break;
	}
}

static void before_sleep(struct loop *l, void *arg)
{
	struct venue *v = arg;

	(void)l;
	conn_set_flush(v->v_set);
	conn_set_reap(v->v_set);
}

static int listen_on(struct venue *v)
{
	struct sockaddr_in a = v->v_o.o_listen;
	socklen_t sl = sizeof(a);
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &sl) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	v->v_lfd = fd;
	v->v_port = ntohs(a.sin_port);
	return 0;
}

static int write_port(FILE *f, void *arg)
{
	return fprintf(f, "%u\n", *(unsigned *)arg) < 0 ? -1 : 0;
}

static void teardown(struct venue *v, int sfd)
{
	unsigned i;

	conn_set_free(v->v_set);
	for (i = 0; i < v->v_nsess; i++) {
		session_free(v->v_sess[i].vs_s);
		sim_store_free(v->v_sess[i].vs_st);
	}
	vbook_free(v->v_book);
	if (v->v_loop != NULL) {
		if (v->v_lfd >= 0)
			loop_unwatch(v->v_loop, v->v_lfd);
		if (sfd >= 0)
			loop_unwatch(v->v_loop, sfd);
	}
	if (v->v_lfd >= 0)
		close(v->v_lfd);
	if (sfd >= 0)
		close(sfd);
	loop_free(v->v_loop);
	tls_ctx_free(v->v_tls);
	free(v->v_sess);
	free(v->v_conns);
	free(v->v_o.o_allowed);
	free(v);
}

/* Everything up to listening; 0 or the exit status. */
static int setup(struct venue *v, int *sfd)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
	char err[TLS_ERRLEN], host[INET_ADDRSTRLEN];
	int rc;

	v->v_o.o_book.bc_session = session_at;
	v->v_o.o_book.bc_arg = v;
	if (tls_ctx_server(&v->v_tls, v->v_o.o_cert, v->v_o.o_key, v->v_o.o_ca, err) != 0) {
		fprintf(stderr, "venue-sim: TLS: %s\n", err);
		return 1;
	}
	v->v_sess = calloc((size_t)v->v_o.o_max_sessions, sizeof(*v->v_sess));
	v->v_conns = calloc((size_t)v->v_o.o_max_conns, sizeof(*v->v_conns));
	if (v->v_sess == NULL || v->v_conns == NULL || loop_new(&v->v_loop, 65536) != 0 ||
	    conn_set_new(&v->v_set, v->v_loop) != 0 ||
	    vbook_new(&v->v_book, v->v_loop, &v->v_o.o_book) != 0) {
		fprintf(stderr, "venue-sim: out of memory (--max-orders too large?)\n");
		return 1;
	}
	loop_set_before_sleep(v->v_loop, before_sleep, v);
	if ((*sfd = sim_signals(v->v_loop, sigs, sizeof(sigs) / sizeof(sigs[0]), on_signal, v)) < 0) {
		fprintf(stderr, "venue-sim: signals: %s\n", strerror(-*sfd));
		return 1;
	}
	if ((rc = listen_on(v)) != 0) {
		fprintf(stderr, "venue-sim: listen on %s: %s\n", v->v_o.o_listen_str, strerror(-rc));
		return 1;
	}
	if ((rc = loop_watch(v->v_loop, v->v_lfd, LOOP_READ, on_accept, v)) != 0) {
		fprintf(stderr, "venue-sim: %s\n", strerror(-rc));
		return 1;
	}
	if (v->v_o.o_port_file != NULL &&
	    (rc = sim_write_file(v->v_o.o_port_file, write_port, &v->v_port)) != 0) {
		fprintf(stderr, "venue-sim: writing %s: %s\n", v->v_o.o_port_file, strerror(-rc));
		return 1;
	}
	inet_ntop(AF_INET, &v->v_o.o_listen.sin_addr, host, sizeof(host));
	printf("venue-sim: listening on %s:%u\n", host, v->v_port);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct venue *v = calloc(1, sizeof(*v));
	int rc, sfd = -1;

	if (v == NULL)
		return 1;
	v->v_lfd = -1;
	parse_opts(&v->v_o, argc, argv);
	if ((rc = setup(v, &sfd)) != 0) {
		teardown(v, sfd);
		return rc;
	}
	if ((rc = loop_run(v->v_loop)) != 0)
		fprintf(stderr, "venue-sim: event loop: %s\n", strerror(-rc));
	save_stats(v);
	vbook_summary(v->v_book, stderr);
	teardown(v, sfd);
	return rc == 0 ? 0 : 1;
}
