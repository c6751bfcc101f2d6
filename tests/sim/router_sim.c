/*
 * router_sim.c - router-sim: an order router for tests and benchmarks. A FIX
 * 4.2/4.4 initiator over TLS with a client certificate that slices parent
 * orders into child orders (router_orders.c) and sends them open loop at a
 * fixed rate, or closed loop with a window of orders in flight, or as a
 * runaway router that counts nothing. It measures each order's latency to
 * its first answer and reports counts at the end. tests/sim/README.md has
 * the options.
 *
 * Phases: CONNECTING -> RUNNING (sending) -> DRAIN (sending stopped; waiting
 * for the answers, fills and cancels still due) -> LOGOUT -> DONE.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "conn.h"
#include "fix.h"
#include "fixed.h"
#include "loop.h"
#include "router_orders.h"
#include "session.h"
#include "sim_store.h"
#include "sim_util.h"
#include "tls.h"

#define MAX_MSG 8192
#define TICK_NS (10 * INT64_C(1000000))

enum phase { P_CONNECTING = 0, P_RUNNING, P_DRAIN, P_LOGOUT, P_DONE };

struct ropts {
	const char *o_connect, *o_cert, *o_key, *o_ca, *o_server_name;
	struct sockaddr_in o_addr;
	int o_fix;
	char o_sender[64], o_target[64];
	int o_parent_tag, o_declared_qty_tag;
	const char *o_parents, *o_write_parents;
	int64_t o_gen_parents;
	uint64_t o_seed;
	double o_rate;
	int64_t o_window;
	bool o_runaway;
	double o_duration;
	int64_t o_count;
	double o_cancel_pct, o_replace_pct;
	int64_t o_slices, o_child_qty, o_ref_px, o_px_ticks, o_max_orders;
	const char *o_prefix;
	int64_t o_heartbeat;
	bool o_reconnect, o_no_reset, o_busy, o_json, o_quiet;
	int64_t o_reconnect_ms, o_drain_ms;
};

struct router {
	struct ropts r_o;
	struct loop *r_loop;
	struct conn_set *r_set;
	struct tls_ctx *r_tls;
	struct session *r_s;
	struct sim_store *r_st;
	struct conn *r_c;
	struct rorders *r_ro;
	struct ro_parent *r_par;
	uint32_t r_npar;
	enum phase r_phase;
	bool r_active, r_ever_active, r_stop_sending, r_attached;
	int64_t r_t_start, r_t_stop, r_last_rx;
	int64_t r_period_ns;
	uint64_t r_k;                 /* rate mode: slots scheduled */
	uint64_t r_skipped;           /* rate mode: slots with nothing to send */
	uint64_t r_disconnects, r_logons, r_send_errors;
	struct loop_timer r_tick_timer, r_reconnect_timer;
	int r_tfd;                    /* rate mode: timerfd of the next slot */
	int r_exit;
	int r_signals;
	char r_fail[300];
	char r_logout_text[160];      /* 58 of the peer's Logout, if any */
	struct fix_msg r_msg;         /* a Logout being looked at */
};

/* ---- usage ---------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: router-sim --connect ADDR:PORT --ca FILE [--cert FILE --key FILE] [options]\n"
	    "  --server-name NAME        name or IP the venue's certificate must match\n"
	    "                            (default: the address's host)\n"
	    "  --fix 4.2|4.4             FIX version (default 4.4)\n"
	    "  --sender ID --target ID   CompIDs (default ROUTER1, VENUE)\n"
	    "  --parent-tag TAG          tag naming the parent (default 583 on 4.4, 5001 on 4.2)\n"
	    "  --declared-qty-tag TAG    also send the parent's quantity in this tag\n"
	    "  --parents FILE            parents as CSV (riskgwctl parents export-csv)\n"
	    "  --gen-parents N           or N generated parents (default 10)\n"
	    "  --write-parents FILE      write the parents as CSV (for riskgwctl); without\n"
	    "                            --connect, only that\n"
	    "  --seed N                  PRNG seed (default 1)\n"
	    "  --slices N                child quantity = parent quantity / N (default 10)\n"
	    "  --child-qty Q             or a fixed child quantity\n"
	    "  --ref-px PX               price of parents without a limit (default 100)\n"
	    "  --px-ticks K              children priced 0..K cents passive (default 4)\n"
	    "  --rate R                  open loop: R orders/s on a fixed schedule\n"
	    "  --window W                closed loop: W orders waiting for an answer\n"
	    "                            (default 1; with --rate, a cap)\n"
	    "  --runaway                 Knight's Power Peg: count neither sent nor filled\n"
	    "  --count N                 stop after N orders\n"
	    "  --duration S              stop sending after S seconds\n"
	    "  --cancel-pct P            cancel P %% of the acknowledged orders\n"
	    "  --replace-pct P           replace (smaller, less aggressive) P %% of them\n"
	    "  --id-prefix STR           ClOrdID prefix, up to 40 characters (default SENDER-)\n"
	    "  --max-orders N            order table slots (default 262144)\n"
	    "  --heartbeat S             HeartBtInt (default 30)\n"
	    "  --reconnect               reconnect when the session ends (else exit 1)\n"
	    "  --reconnect-ms MS         delay before reconnecting (default 500)\n"
	    "  --no-reset                no ResetSeqNumFlag on the first Logon\n"
	    "  --drain-ms MS             after sending, wait for answers until MS pass quietly\n"
	    "                            (default 1000)\n"
	    "  --busy-poll               never sleep: answers are read at once (one core busy)\n"
	    "  --json                    the report as one JSON line on stdout\n"
	    "  --quiet                   no log lines on stderr but errors\n"
	    "exit status: 0 done, 1 the session ended or could not start, 2 bad options\n");
}

static void bad(const char *opt, const char *val)
{
	fprintf(stderr, "router-sim: bad value for %s: '%s'\n", opt, val ? val : "");
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

static double opt_double(const char *opt, const char *val, double min, double max)
{
	double v;

	if (sim_parse_double(val, min, max, &v) != 0)
		bad(opt, val);
	return v;
}

static void opt_comp(const char *opt, const char *val, char out[64])
{
	size_t i, n = strlen(val);

	if (n == 0 || n > 63)
		bad(opt, val);
	for (i = 0; i < n; i++)
		if ((unsigned char)val[i] < 0x21 || (unsigned char)val[i] > 0x7e)
			bad(opt, val);
	memcpy(out, val, n + 1);
}

static void parse_opts(struct ropts *o, int argc, char **argv)
{
	enum {
		O_CONNECT = 256, O_CERT, O_KEY, O_CA, O_SNI, O_FIX, O_SENDER, O_TARGET, O_PTAG,
		O_DQTAG, O_PARENTS, O_GEN, O_SEED, O_SLICES, O_CHILDQ, O_REFPX, O_TICKS, O_RATE,
		O_WINDOW, O_RUNAWAY, O_COUNT, O_DURATION, O_CANCEL, O_REPLACE, O_PREFIX, O_MAXORD,
		O_HB, O_RECONNECT, O_RECONNECT_MS, O_NORESET, O_DRAIN, O_BUSY, O_JSON, O_QUIET,
		O_WRITE_PARENTS, O_HELP
	};
	static const struct option lo[] = {
		{"write-parents", required_argument, NULL, O_WRITE_PARENTS},
		{"connect", required_argument, NULL, O_CONNECT},
		{"cert", required_argument, NULL, O_CERT},
		{"key", required_argument, NULL, O_KEY},
		{"ca", required_argument, NULL, O_CA},
		{"server-name", required_argument, NULL, O_SNI},
		{"fix", required_argument, NULL, O_FIX},
		{"sender", required_argument, NULL, O_SENDER},
		{"target", required_argument, NULL, O_TARGET},
		{"parent-tag", required_argument, NULL, O_PTAG},
		{"declared-qty-tag", required_argument, NULL, O_DQTAG},
		{"parents", required_argument, NULL, O_PARENTS},
		{"gen-parents", required_argument, NULL, O_GEN},
		{"seed", required_argument, NULL, O_SEED},
		{"slices", required_argument, NULL, O_SLICES},
		{"child-qty", required_argument, NULL, O_CHILDQ},
		{"ref-px", required_argument, NULL, O_REFPX},
		{"px-ticks", required_argument, NULL, O_TICKS},
		{"rate", required_argument, NULL, O_RATE},
		{"window", required_argument, NULL, O_WINDOW},
		{"runaway", no_argument, NULL, O_RUNAWAY},
		{"count", required_argument, NULL, O_COUNT},
		{"duration", required_argument, NULL, O_DURATION},
		{"cancel-pct", required_argument, NULL, O_CANCEL},
		{"replace-pct", required_argument, NULL, O_REPLACE},
		{"id-prefix", required_argument, NULL, O_PREFIX},
		{"max-orders", required_argument, NULL, O_MAXORD},
		{"heartbeat", required_argument, NULL, O_HB},
		{"reconnect", no_argument, NULL, O_RECONNECT},
		{"reconnect-ms", required_argument, NULL, O_RECONNECT_MS},
		{"no-reset", no_argument, NULL, O_NORESET},
		{"drain-ms", required_argument, NULL, O_DRAIN},
		{"busy-poll", no_argument, NULL, O_BUSY},
		{"json", no_argument, NULL, O_JSON},
		{"quiet", no_argument, NULL, O_QUIET},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->o_fix = FIX_44;
	snprintf(o->o_sender, sizeof(o->o_sender), "ROUTER1");
	snprintf(o->o_target, sizeof(o->o_target), "VENUE");
	o->o_gen_parents = 10;
	o->o_seed = 1;
	o->o_slices = 10;
	o->o_ref_px = 100 * INT64_C(1000000);
	o->o_px_ticks = 4;
	o->o_max_orders = 1 << 18;
	o->o_heartbeat = 30;
	o->o_reconnect_ms = 500;
	o->o_drain_ms = 1000;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_CONNECT:
			o->o_connect = optarg;
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
		case O_SNI:
			o->o_server_name = optarg;
			break;
		case O_FIX:
			if (sim_parse_fix_version(optarg, &o->o_fix) != 0)
				bad("--fix", optarg);
			break;
		case O_SENDER:
			opt_comp("--sender", optarg, o->o_sender);
			break;
		case O_TARGET:
			opt_comp("--target", optarg, o->o_target);
			break;
		case O_PTAG:
			o->o_parent_tag = (int)opt_i64("--parent-tag", optarg, 1, FIX_TAG_MAX);
			break;
		case O_DQTAG:
			o->o_declared_qty_tag = (int)opt_i64("--declared-qty-tag", optarg, 1, FIX_TAG_MAX);
			break;
		case O_PARENTS:
			o->o_parents = optarg;
			break;
		case O_WRITE_PARENTS:
			o->o_write_parents = optarg;
			break;
		case O_GEN:
			o->o_gen_parents = opt_i64("--gen-parents", optarg, 1, 10000000);
			break;
		case O_SEED:
			o->o_seed = (uint64_t)opt_i64("--seed", optarg, 0, INT64_MAX);
			break;
		case O_SLICES:
			o->o_slices = opt_i64("--slices", optarg, 1, 1000000);
			break;
		case O_CHILDQ:
			o->o_child_qty = opt_i64("--child-qty", optarg, 1, INT64_C(1000000000));
			break;
		case O_REFPX:
			if (rules_px_parse(optarg, strlen(optarg), &o->o_ref_px) != 0 || o->o_ref_px <= 0)
				bad("--ref-px", optarg);
			break;
		case O_TICKS:
			o->o_px_ticks = opt_i64("--px-ticks", optarg, 0, 10000);
			break;
		case O_RATE:
			o->o_rate = opt_double("--rate", optarg, 0.001, 1e7);
			break;
		case O_WINDOW:
			o->o_window = opt_i64("--window", optarg, 1, 1 << 20);
			break;
		case O_RUNAWAY:
			o->o_runaway = true;
			break;
		case O_COUNT:
			o->o_count = opt_i64("--count", optarg, 1, INT64_MAX);
			break;
		case O_DURATION:
			o->o_duration = opt_double("--duration", optarg, 0.001, 1e7);
			break;
		case O_CANCEL:
			o->o_cancel_pct = opt_double("--cancel-pct", optarg, 0, 100);
			break;
		case O_REPLACE:
			o->o_replace_pct = opt_double("--replace-pct", optarg, 0, 100);
			break;
		case O_PREFIX:
			if (strlen(optarg) == 0 || strlen(optarg) > 40)
				bad("--id-prefix", optarg);
			o->o_prefix = optarg;
			break;
		case O_MAXORD:
			o->o_max_orders = opt_i64("--max-orders", optarg, 16, 1 << 28);
			break;
		case O_HB:
			o->o_heartbeat = opt_i64("--heartbeat", optarg, 1, 3600);
			break;
		case O_RECONNECT:
			o->o_reconnect = true;
			break;
		case O_RECONNECT_MS:
			o->o_reconnect_ms = opt_i64("--reconnect-ms", optarg, 0, 3600000);
			break;
		case O_NORESET:
			o->o_no_reset = true;
			break;
		case O_DRAIN:
			o->o_drain_ms = opt_i64("--drain-ms", optarg, 0, 3600000);
			break;
		case O_BUSY:
			o->o_busy = true;
			break;
		case O_JSON:
			o->o_json = true;
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
		fprintf(stderr, "router-sim: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (o->o_connect == NULL && o->o_write_parents != NULL)
		return; /* only writing the parents */
	if (o->o_connect == NULL || o->o_ca == NULL) {
		fprintf(stderr, "router-sim: --connect and --ca are required\n");
		usage(stderr);
		exit(2);
	}
	if ((o->o_cert == NULL) != (o->o_key == NULL)) {
		fprintf(stderr, "router-sim: --cert and --key go together\n");
		usage(stderr);
		exit(2);
	}
	if (o->o_cancel_pct + o->o_replace_pct > 100) {
		fprintf(stderr, "router-sim: --cancel-pct and --replace-pct add up to more than 100\n");
		usage(stderr);
		exit(2);
	}
	if (sim_parse_addr(o->o_connect, &o->o_addr) != 0 || o->o_addr.sin_port == 0)
		bad("--connect", o->o_connect);
	if (o->o_parent_tag == 0)
		o->o_parent_tag = o->o_fix == FIX_42 ? 5001 : 583;
	if (o->o_rate == 0 && o->o_window == 0)
		o->o_window = 1;
}

/* ---- logging ------------------------------------------------------------------------------- */

static void logx(const struct router *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logx(const struct router *r, const char *fmt, ...)
{
	va_list ap;

	if (r->r_o.o_quiet)
		return;
	va_start(ap, fmt);
	fputs("router-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- sending ------------------------------------------------------------------------------- */

static bool limit_reached(struct router *r, int64_t now)
{
	if (r->r_o.o_count > 0 && ro_sent(r->r_ro) >= (uint64_t)r->r_o.o_count)
		return true;
	if (r->r_o.o_duration > 0 && r->r_t_start != 0 &&
	    now - r->r_t_start >= (int64_t)(r->r_o.o_duration * 1e9))
		return true;
	return false;
}

static void stop_sending(struct router *r, int64_t now)
{
	if (r->r_stop_sending)
		return;
	r->r_stop_sending = true;
	r->r_t_stop = now;
}

/* One child order; false when nothing more can be sent now. */
static bool send_one(struct router *r, int64_t t0, int *res)
{
	int rc;

	/* a connection found closed this turn is torn down at its end */
	if (session_conn(r->r_s) == NULL || conn_state(session_conn(r->r_s)) != CONN_OPEN) {
		*res = -ENOTCONN;
		return false;
	}
	rc = ro_send_new(r->r_ro, r->r_s, t0);

	*res = rc;
	if (rc < 0) {
		/* -EPIPE, -ENOTCONN: the connection is going; its close reports it */
		if (rc != -EPIPE && rc != -ENOTCONN && r->r_send_errors++ < 5)
			fprintf(stderr, "router-sim: cannot send an order: %s\n", fix_strerror(rc));
		return false;
	}
	return rc == RO_SENT;
}

/* Closed loop: top the window up. */
static void pump_window(struct router *r)
{
	int64_t now = sim_mono_ns();
	int res;

	while (ro_inflight(r->r_ro) < (uint64_t)r->r_o.o_window && !limit_reached(r, now))
		if (!send_one(r, now, &res))
			break;
}

/*
 * Open loop: every slot due by now, each timed from its slot; the timerfd is
 * armed for the next slot in the future. A slot held up by the window, the
 * table or a closing connection waits for the next turn (an answer, a
 * reconnect). (A loop timer re-armed at once from its own callback would be
 * run again and again within one turn: loop.c runs timers until none is due
 * with loop_now() fixed.)
 */
static void pump_rate(struct router *r)
{
	int64_t now = sim_mono_ns(), due;
	int res;

	for (;;) {
		due = r->r_t_start + (int64_t)((double)r->r_k * 1e9 / r->r_o.o_rate);
		if (limit_reached(r, due))
			return; /* step() stops sending */
		if (due > now) {
			struct itimerspec its;

			if (r->r_o.o_busy) /* busy polling runs this every turn */
				return;
			memset(&its, 0, sizeof(its));
			its.it_value.tv_sec = due / SIM_NSEC;
			its.it_value.tv_nsec = due % SIM_NSEC;
			(void)timerfd_settime(r->r_tfd, TFD_TIMER_ABSTIME, &its, NULL);
			return;
		}
		if (r->r_o.o_window > 0 && ro_inflight(r->r_ro) >= (uint64_t)r->r_o.o_window)
			return; /* the slot waits: its latency counts the wait */
		if (!send_one(r, due, &res)) {
			if (res != RO_EXHAUSTED)
				return;
			r->r_skipped++;
		}
		r->r_k++;
	}
}

static void on_send_timer(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct router *r = arg;
	uint64_t n;

	(void)l;
	(void)ev;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (r->r_active && !r->r_stop_sending)
		pump_rate(r);
}

/* ---- phases -------------------------------------------------------------------------------- */

static void finish(struct router *r)
{
	r->r_phase = P_DONE;
	loop_stop(r->r_loop);
}

static void logout(struct router *r)
{
	r->r_phase = P_LOGOUT;
	if (r->r_active && r->r_c != NULL)
		session_logout(r->r_s, "router-sim done");
	else
		finish(r);
}

/* Runs every turn (from the before-sleep hook) and on the tick timer. */
static void step(struct router *r)
{
	int64_t now = sim_mono_ns();

	switch (r->r_phase) {
	case P_RUNNING:
		if (r->r_active && !r->r_stop_sending) {
			if (r->r_o.o_rate > 0)
				pump_rate(r);
			else
				pump_window(r);
		}
		if (!r->r_stop_sending && limit_reached(r, now))
			stop_sending(r, now);
		/* a correct router with nothing left and nothing outstanding is done */
		if (!r->r_stop_sending && !r->r_o.o_runaway && r->r_active &&
		    ro_exhausted(r->r_ro) && ro_inflight(r->r_ro) == 0 &&
		    ro_pending_requests(r->r_ro) == 0)
			stop_sending(r, now);
		if (r->r_stop_sending) {
			r->r_phase = P_DRAIN;
			r->r_last_rx = now;
			logx(r, "sending stopped after %" PRIu64 " orders; draining", ro_sent(r->r_ro));
		}
		break;
	case P_DRAIN:
		if ((ro_inflight(r->r_ro) == 0 && ro_pending_requests(r->r_ro) == 0 &&
			ro_live(r->r_ro) == 0) ||
		    now - r->r_last_rx >= r->r_o.o_drain_ms * 1000000)
			logout(r);
		break;
	default:
		break;
	}
}

static void on_tick(struct loop *l, void *arg)
{
	struct router *r = arg;

	step(r);
	if (r->r_phase != P_DONE)
		(void)loop_timer_set(l, &r->r_tick_timer, TICK_NS);
}

static void before_sleep(struct loop *l, void *arg)
{
	struct router *r = arg;

	(void)l;
	step(r);
	conn_set_flush(r->r_set);
	conn_set_reap(r->r_set);
}

/* ---- the session ------------------------------------------------------------------------------ */

static void s_active(struct session *s, void *arg)
{
	struct router *r = arg;

	r->r_active = true;
	r->r_logons++;
	logx(r, "logged on as %s to %s (FIX.4.%c, %s), next in %" PRIu64 ", next out %" PRIu64,
	    r->r_o.o_sender, r->r_o.o_target, r->r_o.o_fix == FIX_42 ? '2' : '4',
	    conn_tls_version(session_conn(s)), session_next_in(s), session_next_out(s));
	if (!r->r_ever_active) {
		r->r_ever_active = true;
		r->r_t_start = sim_mono_ns();
		r->r_phase = P_RUNNING;
	}
}

static void s_app(struct session *s, const struct fix_msg *m, bool possdup, void *arg)
{
	struct router *r = arg;

	(void)possdup;
	r->r_last_rx = loop_now(r->r_loop);
	ro_on_app(r->r_ro, s, m, r->r_last_rx);
}

static void s_down(struct session *s, bool clean, const char *reason, void *arg)
{
	struct router *r = arg;

	(void)s;
	(void)clean;
	r->r_active = false;
	(void)reason;
}

static const struct session_ops sess_ops = {NULL, s_active, s_app, s_down};

static int make_session(struct router *r, bool reset)
{
	static const int unique_tags[] = {11, 14, 37, 39, 150, 151};
	static const struct fix_tags unique = {unique_tags, 6};
	struct session_config cfg;
	struct session_store store = sim_store_ops(r->r_st);
	int rc;

	if (r->r_s != NULL)
		session_free(r->r_s);
	r->r_s = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc_name = "router";
	cfg.sc_version = (enum fix_version)r->r_o.o_fix;
	cfg.sc_role = SESSION_INITIATOR;
	snprintf(cfg.sc_sender, sizeof(cfg.sc_sender), "%s", r->r_o.o_sender);
	snprintf(cfg.sc_target, sizeof(cfg.sc_target), "%s", r->r_o.o_target);
	cfg.sc_heartbeat_s = (int)r->r_o.o_heartbeat;
	cfg.sc_logon_timeout_s = 10;
	cfg.sc_reset_on_logon = reset;
	cfg.sc_max_msg = MAX_MSG;
	cfg.sc_max_garbled = 10;
	cfg.sc_unique = &unique;
	if ((rc = session_new(&r->r_s, r->r_loop, &cfg, &store, &sess_ops, r)) != 0)
		return rc;
	session_restore(r->r_s, sim_store_next_in(r->r_st), sim_store_next_out(r->r_st));
	return 0;
}

/* ---- the connection ------------------------------------------------------------------------------- */

static void c_open(struct conn *c, void *arg)
{
	struct router *r = arg;

	r->r_attached = true;
	session_attach(r->r_s, c);
}

/*
 * The session layer reports a peer's Logout as "logged out by peer", and a
 * Logout refusing our Logon as a first message that is not a Logon; the
 * reason the peer gave in Text (58) is lost. So a Logout is looked at here
 * before it is fed: "8=FIX.4.x<SOH>9=N<SOH>35=5<SOH>" at the start.
 */
static void peek_logout(struct router *r, const char *buf, size_t len)
{
	const char *p = len > 16 ? memchr(buf + 10, FIX_SOH, len < 24 ? len - 10 : 14) : NULL;
	struct fix_reject rej;
	const char *t;
	size_t n = 0, tl;
	int why;

	if (p == NULL || (size_t)(p - buf) + 6 > len || memcmp(p, "\00135=5\001", 6) != 0)
		return;
	if (fix_frame(buf, len, MAX_MSG, &n, &why) != FIX_FRAME_MSG ||
	    fix_parse(&r->r_msg, buf, n, NULL, &rej) != 0)
		return;
	if (fix_get_str(&r->r_msg, 58, &t, &tl) == 0)
		snprintf(r->r_logout_text, sizeof(r->r_logout_text), "%.*s",
		    (int)(tl < 150 ? tl : 150), t);
	else
		snprintf(r->r_logout_text, sizeof(r->r_logout_text), "(no Text)");
}

static size_t c_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct router *r = arg;

	(void)c;
	peek_logout(r, buf, len);
	return session_input(r->r_s, buf, len);
}

static int connect_now(struct router *r);

static void c_close(struct conn *c, const char *reason, void *arg)
{
	struct router *r = arg;
	bool was_active = r->r_active;

	(void)c;
	r->r_c = NULL;
	if (r->r_attached)
		session_detach(r->r_s, reason);
	r->r_attached = false;
	r->r_active = false;
	if (r->r_phase == P_LOGOUT || r->r_phase == P_DONE) {
		finish(r);
		return;
	}
	r->r_disconnects++;
	if (r->r_o.o_reconnect && r->r_signals == 0) {
		logx(r, "%s: %s%s%s%s; reconnecting in %" PRId64 " ms",
		    was_active ? "session ended" : "connection failed", reason,
		    r->r_logout_text[0] ? " (Logout: " : "", r->r_logout_text,
		    r->r_logout_text[0] ? ")" : "", r->r_o.o_reconnect_ms);
		r->r_logout_text[0] = '\0';
		(void)loop_timer_set(r->r_loop, &r->r_reconnect_timer, r->r_o.o_reconnect_ms * 1000000);
		return;
	}
	snprintf(r->r_fail, sizeof(r->r_fail), "%s: %s%s%s%s",
	    r->r_ever_active ? "the session ended" : "could not log on", reason,
	    r->r_logout_text[0] ? " (Logout: " : "", r->r_logout_text,
	    r->r_logout_text[0] ? ")" : "");
	r->r_exit = 1;
	if (!r->r_stop_sending)
		stop_sending(r, sim_mono_ns());
	finish(r);
}

static const struct conn_ops c_ops = {c_open, c_data, c_close};

static int connect_now(struct router *r)
{
	/* long turns, as in every published bench run (conn.h: budgets) */
	struct conn_params p = {MAX_MSG * 32, (size_t)16 << 20, 5 * SIM_NSEC, 4096, 256u << 10};
	char host[INET_ADDRSTRLEN];
	const char *sni = r->r_o.o_server_name;

	if (sni == NULL) {
		inet_ntop(AF_INET, &r->r_o.o_addr.sin_addr, host, sizeof(host));
		sni = strcmp(host, "127.0.0.1") == 0 && strncmp(r->r_o.o_connect, "localhost:", 10) == 0
		    ? "localhost"
		    : host;
	}
	return conn_connect(r->r_set, (const struct sockaddr *)&r->r_o.o_addr, sizeof(r->r_o.o_addr),
	    r->r_tls, sni, &p, &c_ops, r, &r->r_c);
}

static void on_reconnect(struct loop *l, void *arg)
{
	struct router *r = arg;
	int rc;

	(void)l;
	/* the same session day: numbers continue, no reset */
	if ((rc = make_session(r, false)) != 0 || (rc = connect_now(r)) != 0) {
		snprintf(r->r_fail, sizeof(r->r_fail), "reconnect: %s", strerror(-rc));
		r->r_exit = 1;
		finish(r);
	}
}

/* ---- signals ------------------------------------------------------------------------------------ */

static void on_signal(int sig, void *arg)
{
	struct router *r = arg;

	(void)sig;
	if (++r->r_signals > 1) {
		finish(r);
		return;
	}
	logx(r, "signal %d: stopping", sig);
	stop_sending(r, sim_mono_ns());
	logout(r);
}

/* ---- main ----------------------------------------------------------------------------------------- */

static void teardown(struct router *r, int sfd)
{
	r->r_phase = P_DONE; /* conns closed now are not reconnected */
	conn_set_free(r->r_set);
	session_free(r->r_s);
	if (r->r_loop != NULL) {
		if (r->r_tfd >= 0)
			loop_unwatch(r->r_loop, r->r_tfd);
		loop_timer_cancel(r->r_loop, &r->r_tick_timer);
		loop_timer_cancel(r->r_loop, &r->r_reconnect_timer);
		if (sfd >= 0)
			loop_unwatch(r->r_loop, sfd);
	}
	if (sfd >= 0)
		close(sfd);
	if (r->r_tfd >= 0)
		close(r->r_tfd);
	loop_free(r->r_loop);
	ro_free(r->r_ro);
	sim_store_free(r->r_st);
	tls_ctx_free(r->r_tls);
	free(r->r_par);
	free(r);
}

static void report(struct router *r)
{
	FILE *f = r->r_o.o_json ? stderr : stdout;
	int64_t elapsed;
	const char *mode;

	if (r->r_t_stop == 0)
		r->r_t_stop = sim_mono_ns();
	elapsed = r->r_t_start ? r->r_t_stop - r->r_t_start : 0;
	mode = r->r_o.o_runaway ? "runaway" : r->r_o.o_rate > 0 ? "rate" : "window";
	if (r->r_o.o_json)
		ro_json(r->r_ro, stdout, elapsed, mode);
	ro_summary(r->r_ro, f, elapsed);
	if (r->r_disconnects > 0 || r->r_skipped > 0)
		fprintf(f,
		    "router-sim: disconnects %" PRIu64 ", logons %" PRIu64
		    ", rate slots with nothing to send %" PRIu64 "\n",
		    r->r_disconnects, r->r_logons, r->r_skipped);
	fflush(stdout);
	if (r->r_exit != 0)
		fprintf(stderr, "router-sim: %s\n", r->r_fail[0] ? r->r_fail : "failed");
}

/* Everything but the options and the parents; returns the exit status. */
static int setup(struct router *r, int *sfd)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	struct ro_cfg cfg;
	char err[TLS_ERRLEN];
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.rc_version = (enum fix_version)r->r_o.o_fix;
	cfg.rc_parent_tag = r->r_o.o_parent_tag;
	cfg.rc_declared_qty_tag = r->r_o.o_declared_qty_tag;
	cfg.rc_runaway = r->r_o.o_runaway;
	cfg.rc_cancel_pct = r->r_o.o_cancel_pct;
	cfg.rc_replace_pct = r->r_o.o_replace_pct;
	cfg.rc_seed = r->r_o.o_seed;
	cfg.rc_max_orders = (uint32_t)r->r_o.o_max_orders;
	cfg.rc_child_qty = r->r_o.o_child_qty;
	cfg.rc_slices = r->r_o.o_slices;
	cfg.rc_ref_px = r->r_o.o_ref_px;
	cfg.rc_px_ticks = r->r_o.o_px_ticks;
	/* a ClOrdID is the prefix and up to 20 digits: at most 64 characters */
	if (r->r_o.o_prefix != NULL)
		snprintf(cfg.rc_prefix, sizeof(cfg.rc_prefix), "%.40s", r->r_o.o_prefix);
	else
		snprintf(cfg.rc_prefix, sizeof(cfg.rc_prefix), "%.39s-", r->r_o.o_sender);
	if (tls_ctx_client(&r->r_tls, r->r_o.o_ca, r->r_o.o_cert, r->r_o.o_key, err) != 0) {
		fprintf(stderr, "router-sim: TLS: %s\n", err);
		return 1;
	}
	if (ro_new(&r->r_ro, &cfg, r->r_par, r->r_npar) != 0 ||
	    sim_store_new(&r->r_st, (size_t)64 << 20, (size_t)1 << 19) != 0 ||
	    loop_new(&r->r_loop, 1024) != 0 || conn_set_new(&r->r_set, r->r_loop) != 0) {
		fprintf(stderr, "router-sim: out of memory\n");
		return 1;
	}
	loop_set_before_sleep(r->r_loop, before_sleep, r);
	loop_timer_init(&r->r_tick_timer, on_tick, r);
	/*
	 * The rate schedule runs on a timerfd: the loop's timers wake up through
	 * epoll_wait's millisecond timeout, rounded up, so a slot would leave up
	 * to 1 ms late and that lateness would count as latency. A timerfd with
	 * a 1 us slack keeps the schedule to a few microseconds without spinning.
	 */
	if (r->r_o.o_rate > 0 && !r->r_o.o_busy) {
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
		r->r_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (r->r_tfd < 0 ||
		    (rc = loop_watch(r->r_loop, r->r_tfd, LOOP_READ, on_send_timer, r)) != 0) {
			fprintf(stderr, "router-sim: timerfd: %s\n", strerror(errno));
			return 1;
		}
	}
	loop_timer_init(&r->r_reconnect_timer, on_reconnect, r);
	if ((*sfd = sim_signals(r->r_loop, sigs, sizeof(sigs) / sizeof(sigs[0]), on_signal, r)) < 0) {
		fprintf(stderr, "router-sim: signals: %s\n", strerror(-*sfd));
		return 1;
	}
	if ((rc = make_session(r, !r->r_o.o_no_reset)) != 0 || (rc = connect_now(r)) != 0) {
		fprintf(stderr, "router-sim: connect: %s\n", strerror(-rc));
		return 1;
	}
	(void)loop_timer_set(r->r_loop, &r->r_tick_timer, TICK_NS);
	return 0;
}

int main(int argc, char **argv)
{
	struct router *r = calloc(1, sizeof(*r));
	char perr[512];
	int rc, sfd = -1, n;

	if (r == NULL)
		return 1;
	r->r_tfd = -1;
	parse_opts(&r->r_o, argc, argv);
	if (r->r_o.o_parents != NULL)
		n = ro_parents_csv(r->r_o.o_parents, &r->r_par, perr, sizeof(perr));
	else
		n = ro_parents_gen((uint32_t)r->r_o.o_gen_parents, r->r_o.o_seed, r->r_o.o_ref_px,
		    &r->r_par);
	if (n <= 0) {
		fprintf(stderr, "router-sim: parents: %s\n", r->r_o.o_parents ? perr : "out of memory");
		teardown(r, sfd);
		return 2;
	}
	r->r_npar = (uint32_t)n;
	if (r->r_o.o_write_parents != NULL &&
	    (rc = ro_parents_write(r->r_o.o_write_parents, r->r_par, r->r_npar)) != 0) {
		fprintf(stderr, "router-sim: writing %s: %s\n", r->r_o.o_write_parents, strerror(-rc));
		teardown(r, sfd);
		return 1;
	}
	if (r->r_o.o_connect == NULL) { /* --write-parents only */
		teardown(r, sfd);
		return 0;
	}
	if ((rc = setup(r, &sfd)) != 0) {
		teardown(r, sfd);
		return rc;
	}
	while (r->r_phase != P_DONE)
		if ((rc = loop_run_once(r->r_loop, r->r_o.o_busy ? 0 : -1)) != 0) {
			snprintf(r->r_fail, sizeof(r->r_fail), "event loop: %s", strerror(-rc));
			r->r_exit = 1;
			break;
		}
	report(r);
	rc = r->r_exit;
	teardown(r, sfd);
	return rc;
}
