/*
 * rules_demo.c - the Knight Capital scenario through the rules engine, until
 * the gateway exists.
 *
 * Creates rules.mdb in a temporary directory (or --dir DIR), loads the limits
 * and 212 parent orders (retail sizes, 100 to 1,000 shares, over 50 symbols,
 * from 8 router accounts), then streams child orders from 7 well-behaved
 * routers, which work each parent and count what they sent and what was
 * filled, and 1 runaway router (Power Peg: it keeps sending children for its
 * parents and counts nothing). A simulated venue acks and fills what reaches
 * it. Every child goes through rules_check(); every execution report through
 * rules_on_exec(). The first child that trips (RULES_TRIP) fires the
 * simulated kill switch: from then on nothing is forwarded and everything
 * resting at the venue is cancelled. The summary shows what was sent,
 * accepted and rejected (by reason), the first trip, and every parent's
 * filled shares against its quantity.
 *
 *   rules-demo [--dir DIR] [--seed N] [--duration SECONDS] [--quiet]
 *
 * Without --duration the scenario runs once. With it, the scenario runs
 * again (seed, seed + 1, ...) until SECONDS have passed. Deterministic for a
 * seed: simulated time, a splitmix64 PRNG. Exit status: 0, 1 if any parent
 * was filled beyond its quantity (or the kill switch never tripped), 2 on a
 * setup error.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "fixed.h"
#include "store.h"

#define NPARENTS 212
#define NROUTERS 8
#define RUNAWAY 7              /* router index of the Power Peg server */
#define NSYMBOLS 50
#define MAXCHILD 200000
#define TICK_NS INT64_C(1000000)   /* 1 ms of simulated time per step */
#define MAX_TICKS 120000           /* two simulated minutes */
#define AFTER_TRIP_TICKS 500       /* routers keep sending for 0.5 s after the kill */
#define RUNAWAY_START 2000         /* the runaway's first child: 2 s into the day */
#define PX(units, cents) ((int64_t)(units) * RULES_PX_SCALE + (int64_t)(cents) * 10000)

static const char *const tickers[NSYMBOLS] = {
	"AA", "ABT", "AIG", "AMD", "AXP", "BA", "BAC", "BK", "C", "CAT",
	"CSCO", "CVX", "DD", "DIS", "EMC", "F", "GE", "GS", "HD", "HPQ",
	"IBM", "INTC", "JNJ", "JPM", "KO", "MCD", "MMM", "MO", "MRK", "MS",
	"MSFT", "NOK", "ORCL", "PFE", "PG", "QCOM", "RSH", "S", "SNE", "T",
	"TRV", "TXN", "UNH", "USB", "UTX", "VZ", "WFC", "WMT", "XOM", "YHOO",
};

struct parent {
	char id[16];
	int router, sym;
	char side;
	int64_t qty;
	int64_t sent_open;  /* well-behaved router: shares it has open */
	int64_t filled;     /* venue truth */
	int64_t open_child; /* well-behaved router: its one open child, -1 none */
};

struct child {
	int parent;
	char clid[16], xid[16];
	int64_t qty, px, cum;
	bool acked, open;
};

struct demo {
	uint64_t rng;
	bool quiet;
	char dir[256], path[300];
	bool own_dir;
	struct rules_store *st;
	struct rules_engine *en;
	struct parent par[NPARENTS];
	int64_t refpx[NSYMBOLS];
	struct child *ch;
	int nch;
	int64_t now;
	/* results */
	bool tripped;
	int64_t trip_tick;
	int trip_parent;
	int rr;                   /* the runaway's next parent */
	int first_open;           /* no child below this one is open */
	struct rules_decision trip;
	unsigned long sent, accepted, rejected, blocked;
	unsigned long by_reason[RULES_R_COUNT];
	unsigned long router_sent[NROUTERS];
	int64_t runaway_stopped;  /* shares of the runaway's children not forwarded */
	int64_t cancelled_at_kill;
};

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int64_t rnd(struct demo *d, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next(&d->rng) % (uint64_t)(hi - lo + 1));
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "rules-demo: %s: %s\n", what, detail);
	exit(2);
}

static const char *router_name(int r)
{
	static const char *const names[NROUTERS] = {"SMARS1", "SMARS2", "SMARS3", "SMARS4",
	    "SMARS5", "SMARS6", "SMARS7", "SMARS8"};

	return names[r];
}

static const struct rules_actor actor = {"demo", "Knight Capital scenario"};

static void lim(struct rules_limits *l, enum rules_limit which, int64_t v, bool trip)
{
	l->rl_set |= RULES_BIT(which);
	l->rl_val[which] = v;
	if (trip)
		l->rl_trip |= RULES_BIT(which);
}

/* The limits and the 212 parents, in one transaction (the store audits it). */
static void load(struct demo *d)
{
	struct rules_wr *w;
	struct rules_limits g, a;
	char err[RULES_ERRLEN];
	int i;

	if (rules_store_wr_begin(d->st, &w, err) != 0)
		die("store", err);
	if (rules_wr_clear(w, &actor, err) != 0)
		die("clear", err);
	memset(&g, 0, sizeof(g));
	lim(&g, RULES_LIM_ORDER_QTY, 1000, false);
	lim(&g, RULES_LIM_ORDER_NOTIONAL, PX(100000, 0), false);
	lim(&g, RULES_LIM_COLLAR_BPS, 500, false);
	lim(&g, RULES_LIM_PARENT_RATE, 50, true);
	if (rules_wr_put_limits(w, &actor, RULES_SCOPE_GLOBAL, "", &g, err) != 0)
		die("global limits", err);
	for (i = 0; i < NROUTERS; i++) {
		char acct[16];

		memset(&a, 0, sizeof(a));
		lim(&a, RULES_LIM_ACCOUNT_NOTIONAL, PX(5000000, 0), true);
		snprintf(acct, sizeof(acct), "%s", router_name(i));
		if (rules_wr_put_limits(w, &actor, RULES_SCOPE_ACCOUNT, acct, &a, err) != 0)
			die("account limits", err);
	}
	for (i = 0; i < NSYMBOLS; i++) {
		d->refpx[i] = PX(rnd(d, 5, 120), rnd(d, 0, 99));
		if (rules_wr_put_refpx(w, &actor, tickers[i], d->refpx[i], err) != 0)
			die("reference price", err);
	}
	for (i = 0; i < NPARENTS; i++) {
		struct parent *p = &d->par[i];
		struct rules_parent rp;

		memset(p, 0, sizeof(*p));
		snprintf(p->id, sizeof(p->id), "PO%03d", i + 1);
		p->router = i % NROUTERS;
		p->sym = (int)rnd(d, 0, NSYMBOLS - 1);
		p->side = rnd(d, 0, 1) ? '1' : '2';
		p->qty = rnd(d, 1, 10) * 100;
		p->open_child = -1;
		memset(&rp, 0, sizeof(rp));
		strcpy(rp.rp_id, p->id);
		strcpy(rp.rp_account, router_name(p->router));
		strcpy(rp.rp_symbol, tickers[p->sym]);
		rp.rp_side = p->side;
		rp.rp_qty = p->qty;
		rp.rp_trip = RULES_TRIP_DEFAULT;
		if (rules_wr_put_parent(w, &actor, &rp, err) != 0)
			die("parent", err);
	}
	if (rules_wr_commit(w, err) != 0)
		die("commit", err);
}

static void exec(struct demo *d, const char *clid, const char *orig, char et, char st,
    int64_t last, int64_t px, int64_t cum, int64_t leaves)
{
	struct rules_exec x = {clid, orig, et, st, last, px, cum, leaves, -1, -1};
	int rc = rules_on_exec(d->en, &x);

	if (rc != 0)
		die("rules_on_exec", rules_strerror(rc));
}

/* A router sends a child: the gateway checks it, and forwards it if accepted
 * and the kill switch is not tripped. */
static void send_child(struct demo *d, int pi, int64_t qty)
{
	struct parent *p = &d->par[pi];
	struct child *c;
	struct rules_order o;
	struct rules_decision dec;
	enum rules_verdict v;
	int64_t ref = d->refpx[p->sym];

	if (d->nch >= MAXCHILD)
		return;
	d->sent++;
	d->router_sent[p->router]++;
	if (d->tripped) {
		d->blocked++; /* the kill switch: rejected without a check */
		if (p->router == RUNAWAY)
			d->runaway_stopped += qty;
		return;
	}
	c = &d->ch[d->nch];
	memset(c, 0, sizeof(*c));
	c->parent = pi;
	c->qty = qty;
	/* a marketable limit, a few cents through the reference */
	c->px = p->side == '1' ? ref + rnd(d, 0, 5) * 10000 : ref - rnd(d, 0, 5) * 10000;
	snprintf(c->clid, sizeof(c->clid), "%s-%d", router_name(p->router), d->nch);
	snprintf(c->xid, sizeof(c->xid), "K%d", d->nch);
	memset(&o, 0, sizeof(o));
	o.ro_kind = RULES_NEW;
	o.ro_clordid = c->clid;
	o.ro_parent = p->id;
	o.ro_account = router_name(p->router);
	o.ro_symbol = tickers[p->sym];
	o.ro_side = p->side;
	o.ro_ordtype = RULES_ORDTYPE_LIMIT;
	o.ro_qty = qty;
	o.ro_px = c->px;
	o.ro_now_ns = d->now;
	v = rules_check(d->en, &o, &dec);
	d->by_reason[dec.rd_reason]++;
	if (v == RULES_ACCEPT) {
		d->accepted++;
		c->open = true;
		d->nch++;
		if (p->router != RUNAWAY) {
			p->open_child = d->nch - 1;
			p->sent_open += qty;
		}
		return;
	}
	d->rejected++;
	if (p->router == RUNAWAY)
		d->runaway_stopped += qty;
	if (v == RULES_TRIP) {
		/* the kill switch: this child is the last one checked */
		d->tripped = true;
		d->trip = dec;
		d->trip_parent = pi;
		d->trip_tick = d->now;
		if (!d->quiet)
			printf("KILL SWITCH TRIPPED %.3f s into the day by child %s of %s from %s: "
			       "%s\n",
			    (double)(d->now - INT64_C(1000000000)) / 1e9, c->clid, p->id,
			    router_name(p->router), dec.rd_text);
	}
}

/* The venue works one child: ack, then fills at the child's price. */
static void venue_fill(struct demo *d, int ci)
{
	struct child *c = &d->ch[ci];
	struct parent *p = &d->par[c->parent];
	int64_t left = c->qty - c->cum, q;

	if (!c->acked) {
		c->acked = true;
		exec(d, c->clid, NULL, '0', '0', 0, 0, 0, c->qty);
		return;
	}
	q = rnd(d, 0, 2) == 0 ? left : rnd(d, 1, left);
	c->cum += q;
	p->filled += q;
	if (p->router != RUNAWAY)
		p->sent_open -= q;
	if (c->cum == c->qty) {
		c->open = false;
		if (p->open_child == ci)
			p->open_child = -1;
		exec(d, c->clid, NULL, 'F', '2', q, c->px, c->cum, 0);
	} else {
		exec(d, c->clid, NULL, 'F', '1', q, c->px, c->cum, c->qty - c->cum);
	}
}

/* The kill switch's cancel of everything resting; now and then a fill gets
 * there first. */
static void cancel_all(struct demo *d)
{
	int i, rc;

	for (i = 0; i < d->nch; i++) {
		struct child *c = &d->ch[i];

		if (!c->open)
			continue;
		if (c->acked && rnd(d, 0, 9) == 0)
			venue_fill(d, i);
		if (!c->open)
			continue;
		rc = rules_on_cancel_sent(d->en, c->xid, c->clid);
		if (rc != 0)
			die("rules_on_cancel_sent", rules_strerror(rc));
		exec(d, c->xid, c->clid, '4', '4', 0, 0, c->cum, 0);
		c->open = false;
		d->cancelled_at_kill++;
	}
}

/* One millisecond of the trading day. */
static void tick(struct demo *d, int64_t t)
{
	int i, k;

	/* well-behaved routers: one child at a time per parent, sized by what
	 * is left after what they sent and what was filled */
	for (i = 0; i < NPARENTS; i++) {
		struct parent *p = &d->par[i];
		int64_t left = p->qty - p->filled - p->sent_open;

		if (p->router == RUNAWAY || p->open_child >= 0 || left <= 0)
			continue;
		if (rnd(d, 0, 199) == 0)
			send_child(d, i, left < 300 ? left : rnd(d, 1, 3) * 100);
	}
	/* the runaway: a child of 100 for its next parent, every tick and the
	 * next, counting nothing */
	if (t >= RUNAWAY_START && t % 2 == 0) {
		for (k = 0; k < NPARENTS; k++) {
			d->rr = (d->rr + 1) % NPARENTS;
			if (d->par[d->rr].router == RUNAWAY)
				break;
		}
		send_child(d, d->rr, 100);
	}
	/* the venue: marketable children are acked at once and fill within
	 * milliseconds */
	for (k = d->first_open; k < d->nch; k++) {
		if (k == d->first_open && !d->ch[k].open) {
			d->first_open++;
			continue;
		}
		if (d->ch[k].open && (!d->ch[k].acked || rnd(d, 0, 9) < 3))
			venue_fill(d, k);
	}
}

static void setup(struct demo *d, const char *dir)
{
	char err[RULES_ERRLEN];
	const char *tmp = getenv("TMPDIR");

	if (dir != NULL) {
		if (snprintf(d->dir, sizeof(d->dir), "%s", dir) >= (int)sizeof(d->dir))
			die("--dir", "path too long");
		if (mkdir(d->dir, 0700) != 0 && errno != EEXIST)
			die(d->dir, strerror(errno));
	} else {
		snprintf(d->dir, sizeof(d->dir), "%s/riskgw-demo-XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(d->dir) == NULL)
			die("mkdtemp", strerror(errno));
		d->own_dir = true;
	}
	snprintf(d->path, sizeof(d->path), "%s/rules.mdb", d->dir);
	if (rules_store_open(&d->st, d->path, RULES_STORE_CREATE, 0, err) != 0)
		die(d->path, err);
	{
		struct rules_engine_config cfg = {MAXCHILD * 2, 1024, 64, 256, 0};

		if (rules_engine_new(&d->en, d->st, &cfg, err) != 0)
			die("engine", err);
	}
	d->ch = calloc(MAXCHILD, sizeof(*d->ch));
	if (d->ch == NULL)
		die("calloc", strerror(ENOMEM));
}

static void teardown(struct demo *d)
{
	rules_engine_free(d->en);
	rules_store_close(d->st);
	free(d->ch);
	if (d->own_dir) {
		char lock[320];

		snprintf(lock, sizeof(lock), "%s-lock", d->path);
		unlink(d->path);
		unlink(lock);
		rmdir(d->dir);
	}
}

/* Runs the scenario once; returns the number of overfilled parents. */
static int scenario(struct demo *d, uint64_t seed, bool summary)
{
	int64_t t, after = -1, parent_shares = 0, filled = 0, overfill = 0;
	int i, over = 0, best = 0, r;
	double best_ratio = 0;

	d->rng = seed;
	d->rr = 0;
	d->first_open = 0;
	d->nch = 0;
	d->tripped = false;
	d->sent = d->accepted = d->rejected = d->blocked = 0;
	d->cancelled_at_kill = 0;
	d->runaway_stopped = 0;
	memset(d->by_reason, 0, sizeof(d->by_reason));
	memset(d->router_sent, 0, sizeof(d->router_sent));
	rules_engine_new_day(d->en);
	load(d);
	d->now = INT64_C(1000000000);
	for (t = 0; t < MAX_TICKS; t++) {
		d->now += TICK_NS;
		tick(d, t);
		if (d->tripped && after < 0) {
			cancel_all(d);
			after = t + AFTER_TRIP_TICKS;
		}
		if (after >= 0 && t >= after)
			break;
	}

	for (i = 0; i < NPARENTS; i++) {
		struct parent *p = &d->par[i];
		struct rules_exposure x;
		double ratio = (double)p->filled / (double)p->qty;

		parent_shares += p->qty;
		filled += p->filled;
		if (p->filled > p->qty) {
			over++;
			overfill += p->filled - p->qty;
		}
		if (ratio > best_ratio) {
			best_ratio = ratio;
			best = i;
		}
		/* the engine's account of the fills is the venue's */
		if (rules_parent_exposure(d->en, p->id, &x) == 0 && x.ex_filled_qty != p->filled)
			die("exposure", "engine filled quantity differs from the venue's");
	}
	if (summary) {
		printf("summary (seed %" PRIu64 "):\n", seed);
		printf("  children sent %lu: accepted %lu, rejected by the checks %lu, "
		       "blocked by the kill switch %lu\n",
		    d->sent, d->accepted, d->rejected, d->blocked);
		printf("  sent per router:");
		for (r = 0; r < NROUTERS; r++)
			printf(" %s %lu%s", router_name(r), d->router_sent[r],
			    r == RUNAWAY ? " (runaway)" : "");
		printf("\n  rejected by reason:");
		for (r = 1; r < RULES_R_COUNT; r++)
			if (d->by_reason[r] != 0)
				printf(" %s %lu", rules_reason_name(r), d->by_reason[r]);
		printf(" kill_switch %lu\n", d->blocked);
		if (d->tripped) {
			printf("  first trip: parent %s, router %s, reason %s: %s\n",
			    d->par[d->trip_parent].id, router_name(d->par[d->trip_parent].router),
			    rules_reason_name((int)d->trip.rd_reason), d->trip.rd_text);
			printf("  tripped: yes, %.3f s into the day; %" PRId64
			       " open children cancelled; %" PRId64
			       " shares of the runaway's children stopped\n",
			    (double)(d->trip_tick - INT64_C(1000000000)) / 1e9,
			    d->cancelled_at_kill, d->runaway_stopped);
		} else {
			printf("  tripped: no\n");
		}
		printf("  filled shares %" PRId64 " of %" PRId64 " parent shares; overfill %" PRId64
		       " shares (%d parents)\n",
		    filled, parent_shares, overfill, over);
		printf("  largest parent fill ratio: %" PRId64 "/%" PRId64 " (%.1f%%), parent %s of %s\n",
		    d->par[best].filled, d->par[best].qty, best_ratio * 100.0, d->par[best].id,
		    router_name(d->par[best].router));
	} else {
		printf("seed %" PRIu64 ": sent %lu, accepted %lu, rejected %lu, blocked %lu; "
		       "tripped: %s; overfill %" PRId64 " shares\n",
		    seed, d->sent, d->accepted, d->rejected, d->blocked, d->tripped ? "yes" : "no",
		    overfill);
	}
	return over + (d->tripped ? 0 : 1);
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || s[0] == '-')
		die(opt, "expects a non-negative number");
	if (strcmp(opt, "--duration") == 0 && v > 86400)
		die(opt, "at most 86400 seconds");
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	struct demo *d = calloc(1, sizeof(*d));
	const char *dir = NULL;
	uint64_t seed = 1, duration = 0, runs = 0;
	int a, bad = 0;
	struct timespec t0, t1;

	if (d == NULL)
		die("calloc", strerror(ENOMEM));
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--dir") == 0 && a + 1 < argc)
			dir = argv[++a];
		else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc)
			seed = parse_u64("--seed", argv[++a]);
		else if (strcmp(argv[a], "--duration") == 0 && a + 1 < argc)
			duration = parse_u64("--duration", argv[++a]);
		else if (strcmp(argv[a], "--quiet") == 0)
			d->quiet = true;
		else {
			fprintf(stderr,
			    "usage: %s [--dir DIR] [--seed N] [--duration SECONDS] [--quiet]\n",
			    argv[0]);
			free(d);
			return 2;
		}
	}
	setup(d, dir);
	printf("riskgw rules demo: %d parents (100-1,000 shares) over %d symbols, %d routers "
	       "(%s runs Power Peg), store %s\n",
	    NPARENTS, NSYMBOLS, NROUTERS, router_name(RUNAWAY), d->path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		bad += scenario(d, seed + runs, !d->quiet || duration == 0) != 0;
		runs++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (duration > 0 && (t1.tv_sec - t0.tv_sec) * INT64_C(1000000000) +
					 (t1.tv_nsec - t0.tv_nsec) <
				     (int64_t)duration * INT64_C(1000000000));
	if (duration > 0)
		printf("%" PRIu64 " runs, %d with an overfill or no trip\n", runs, bad);
	printf("result: %s\n", bad == 0 ? "OK, no parent filled beyond its quantity" : "FAIL");
	teardown(d);
	free(d);
	return bad == 0 ? 0 : 1;
}
