/*
 * bench_rules.c - latency of rules_check() on a day-sized book.
 *
 * Sets up a real rules.mdb in a temporary directory (10,000 registered
 * parents over 100 accounts and 2,000 symbols, global limits, reference
 * prices), warms up with a first child for every parent (so every table
 * entry and rate window exists), then times 1,000,000 rules_check() calls:
 * mostly accepts, some rejects (order quantity, collar, a runaway child
 * beyond its parent, duplicate ClOrdIDs), interleaved with the venue's acks,
 * fills and cancels through rules_on_exec() as a real stream would be. Only
 * the checks are timed (rdtsc, calibrated against CLOCK_MONOTONIC, on x86-64;
 * clock_gettime elsewhere).
 *
 * The machine's state in the same run: this VM's host moves its memory
 * latency by 3x from one minute to the next (docs/bench.md), so the bench
 * measures a dependent random load over 4 MiB and over 64 MiB (huge
 * pages), before and after the timed checks, and prints them beside the
 * figures.
 *
 * Heap allocations are counted by interposing malloc/calloc/realloc in this
 * binary (forwarding to glibc's __libc_* entry points) over the whole timed
 * phase, checks and reports both; the answer must be 0.
 *
 * Then the cost of the limits cache refresh: 200,000 checks with no commit,
 * then 200,000 with a limits commit (which makes every cached record stale)
 * before every 1,000 checks, the commits themselves not timed.
 *
 *   bench_rules [--checks N] [--seed N] [--mlock] [--warn PCT] [--cold-input] [--rate N]
 *               [--parents N]
 *                                --warn: ec_warn_pct (default 0, off)
 *                                --parents: registered parents (default
 *                                10,000; 100..99,999), the simulated clock
 *                                scaled so that each still gets ~100
 *                                children/s. With 1,000 (and 100,000
 *                                checks, so that no parent fills up) every
 *                                table a check reads stays in the cache:
 *                                what a check costs on this machine with
 *                                (almost) no misses, the floor under the
 *                                10,000-parent figure
 *                                --rate: the global parent_rate (default
 *                                1,000/s: a parent's window never fills, so
 *                                no check reads it; its children come ~100/s,
 *                                so with 50 the window is full after 50 of
 *                                them and then every check compares its
 *                                oldest time, and many trip)
 *                                By default each order's strings are read
 *                                (untimed) just before its check, as
 *                                riskgwd's FIX parser has just read them
 *                                (rules_check() gets pointers into the
 *                                message); --cold-input: they are wherever
 *                                the stream's arrays left them (the parent's
 *                                id, one of 10,000, often not in cache)
 *   bench_rules --callgrind N    setup, then N checks, each inside
 *                                bench_timed_region(): run under
 *                                valgrind --tool=callgrind
 *                                --toggle-collect=bench_timed_region
 *
 * Not part of `make check`; built by `make bench`. See docs/bench.md and
 * tests/bench/run-rules-bench.sh.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "fixed.h"
#include "store.h"

#define NPARENTS_DEFAULT 10000
#define NACCOUNTS 100
#define NSYMBOLS 2000
#define NCHECKS 1000000
#define REFRESH_BLOCK 1000
#define REFRESH_BLOCKS 200     /* of each: without commits, then a commit before each */
#define IDLEN 16

/* --parents: registered parents (the stream's children spread over them) */
static size_t nparents = NPARENTS_DEFAULT;
/* simulated time between two children: 1 us with 10,000 parents (1M
 * children/s), so that a parent gets ~100 children/s however many there are */
static int64_t step_ns = 1000;

/* ---- counting allocator ---------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#if defined(__GLIBC__)
#define COUNT_ALLOCS 1
#else
#define COUNT_ALLOCS 0
#endif
#endif

static volatile int counting;
static unsigned long nallocs;

#if COUNT_ALLOCS
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);

void *malloc(size_t n)
{
	if (counting)
		nallocs++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t sz)
{
	if (counting)
		nallocs++;
	return __libc_calloc(n, sz);
}

void *realloc(void *p, size_t n)
{
	if (counting)
		nallocs++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

/* ---- clock -------------------------------------------------------------------------- */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if defined(__x86_64__)
#include <x86intrin.h>
static inline uint64_t ticks(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}
static const char *clock_name = "rdtsc";
#else
static inline uint64_t ticks(void)
{
	return (uint64_t)mono_ns();
}
static const char *clock_name = "clock_gettime(CLOCK_MONOTONIC)";
#endif

static double ns_per_tick = 1.0;

static void calibrate(void)
{
#if defined(__x86_64__)
	int64_t n0 = mono_ns(), n1;
	uint64_t t0 = ticks(), t1;

	do
		n1 = mono_ns();
	while (n1 - n0 < 200000000);
	t1 = ticks();
	ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
#endif
}

/* ---- the book ------------------------------------------------------------------------- */

struct child {
	uint32_t parent;
	uint32_t kind;    /* what the stream means it to be, for the mix report */
	int64_t qty, px;
};

enum { CK_NORMAL, CK_ORDER_QTY, CK_COLLAR, CK_RUNAWAY, CK_DUP, CK_COUNT };

struct bench {
	char dir[64], path[96];
	struct rules_store *st;
	struct rules_engine *en;
	char (*pid)[IDLEN], (*acct)[IDLEN], (*sym)[IDLEN];
	int64_t *refpx;
	char (*clid)[IDLEN];  /* ClOrdID of child i */
	char (*xid)[IDLEN];   /* ClOrdID of the cancel of child i */
	struct child *ch;     /* the stream */
	size_t nch;
	bool *live;           /* child i accepted and not finished */
	int64_t *cum;
	uint32_t *ring;       /* recently accepted children, for fills and cancels */
	size_t ring_n, ring_head;
	uint32_t *lat;        /* ticks of each timed check */
	int64_t now;
	uint64_t rng;
	unsigned long verdicts[3];
	unsigned long reasons[RULES_R_COUNT];
	unsigned warn_pct;    /* ec_warn_pct */
	bool cold_input;      /* --cold-input */
};

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int64_t rnd(struct bench *b, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next(&b->rng) % (uint64_t)(hi - lo + 1));
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_rules: %s: %s\n", what, detail);
	exit(2);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (p == NULL)
		die("calloc", strerror(ENOMEM));
	return p;
}

static const struct rules_actor actor = {"bench", "benchmark setup"};

static void lim(struct rules_limits *l, enum rules_limit which, int64_t v, bool trip)
{
	l->rl_set |= RULES_BIT(which);
	l->rl_val[which] = v;
	if (trip)
		l->rl_trip |= RULES_BIT(which);
}

/* --rate: the global parent_rate limit. */
static int64_t parent_rate = 1000;

static void global_limits(struct rules_limits *g, int64_t order_notional_units)
{
	memset(g, 0, sizeof(*g));
	lim(g, RULES_LIM_ORDER_QTY, 10000, false);
	lim(g, RULES_LIM_ORDER_NOTIONAL, order_notional_units * RULES_PX_SCALE, false);
	lim(g, RULES_LIM_COLLAR_BPS, 500, false);
	lim(g, RULES_LIM_ACCOUNT_NOTIONAL, INT64_C(5000000000) * RULES_PX_SCALE, true);
	lim(g, RULES_LIM_PARENT_NOTIONAL, INT64_C(50000000) * RULES_PX_SCALE, true);
	lim(g, RULES_LIM_PARENT_RATE, parent_rate, true);
}

static void setup_store(struct bench *b)
{
	struct rules_wr *w;
	struct rules_limits g;
	char err[RULES_ERRLEN];
	size_t i;

	snprintf(b->dir, sizeof(b->dir), "%s/riskgw-bench-XXXXXX",
	    getenv("TMPDIR") != NULL && *getenv("TMPDIR") != '\0' ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(b->dir) == NULL)
		die("mkdtemp", strerror(errno));
	snprintf(b->path, sizeof(b->path), "%s/rules.mdb", b->dir);
	if (rules_store_open(&b->st, b->path, RULES_STORE_CREATE, (size_t)1 << 30, err) != 0)
		die("store", err);
	b->pid = xcalloc(nparents, IDLEN);
	b->acct = xcalloc(NACCOUNTS, IDLEN);
	b->sym = xcalloc(NSYMBOLS, IDLEN);
	b->refpx = xcalloc(NSYMBOLS, sizeof(*b->refpx));
	if (rules_store_wr_begin(b->st, &w, err) != 0)
		die("wr_begin", err);
	for (i = 0; i < NACCOUNTS; i++)
		snprintf(b->acct[i], IDLEN, "ACC%03zu", i);
	for (i = 0; i < NSYMBOLS; i++) {
		snprintf(b->sym[i], IDLEN, "SYM%04zu", i);
		b->refpx[i] = rnd(b, 1000, 50000) * (RULES_PX_SCALE / 100); /* 10.00 .. 500.00 */
		if (rules_wr_put_refpx(w, &actor, b->sym[i], b->refpx[i], err) != 0)
			die("put_refpx", err);
	}
	for (i = 0; i < nparents; i++) {
		struct rules_parent p;

		memset(&p, 0, sizeof(p));
		snprintf(b->pid[i], IDLEN, "PAR%05zu", i);
		strcpy(p.rp_id, b->pid[i]);
		strcpy(p.rp_account, b->acct[i % NACCOUNTS]);
		strcpy(p.rp_symbol, b->sym[i % NSYMBOLS]);
		p.rp_side = i % 3 == 0 ? '2' : '1';
		p.rp_qty = 100000;
		p.rp_trip = RULES_TRIP_DEFAULT;
		if (rules_wr_put_parent(w, &actor, &p, err) != 0)
			die("put_parent", err);
	}
	global_limits(&g, 10000000);
	if (rules_wr_put_limits(w, &actor, RULES_SCOPE_GLOBAL, "", &g, err) != 0)
		die("put_limits", err);
	if (rules_wr_commit(w, err) != 0)
		die("commit", err);
}

/* A commit that changes one global value: every cached record goes stale. */
static void commit_limits(struct bench *b, int64_t order_notional_units)
{
	struct rules_wr *w;
	struct rules_limits g;
	char err[RULES_ERRLEN];

	global_limits(&g, order_notional_units);
	if (rules_store_wr_begin(b->st, &w, err) != 0 ||
	    rules_wr_put_limits(w, &actor, RULES_SCOPE_GLOBAL, "", &g, err) != 0 ||
	    rules_wr_commit(w, err) != 0)
		die("limits commit", err);
}

static void cleanup(struct bench *b)
{
	char p[128];

	rules_engine_free(b->en);
	rules_store_close(b->st);
	unlink(b->path);
	snprintf(p, sizeof(p), "%s-lock", b->path);
	unlink(p);
	rmdir(b->dir);
	free(b->pid);
	free(b->acct);
	free(b->sym);
	free(b->refpx);
	free(b->ch);
	free(b->clid);
	free(b->xid);
	free(b->live);
	free(b->cum);
	free(b->ring);
	free(b->lat);
}

/* Children 0..nparents-1 are the warm-up (one per parent); the rest is the
 * stream: ~95% normal children, the rest meant to be rejected. */
static void gen_stream(struct bench *b, size_t n)
{
	size_t i;

	b->nch = n;
	b->ch = xcalloc(n, sizeof(*b->ch));
	b->clid = xcalloc(n, IDLEN);
	b->xid = xcalloc(n, IDLEN);
	b->live = xcalloc(n, sizeof(*b->live));
	b->cum = xcalloc(n, sizeof(*b->cum));
	b->ring = xcalloc(4096, sizeof(*b->ring));
	for (i = 0; i < n; i++) {
		struct child *c = &b->ch[i];
		int64_t ref, k = rnd(b, 0, 999);

		c->parent = i < nparents ? (uint32_t)i : (uint32_t)rnd(b, 0, (int64_t)nparents - 1);
		ref = b->refpx[c->parent % NSYMBOLS];
		c->qty = rnd(b, 1, 5) * 100;
		c->px = ref + rnd(b, -100, 100) * (ref / 10000); /* within 1% */
		c->kind = CK_NORMAL;
		if (i >= nparents) {
			if (k < 20) {
				c->kind = CK_ORDER_QTY;
				c->qty = 20000;
			} else if (k < 30) {
				c->kind = CK_COLLAR;
				c->px = ref + ref / 10;
			} else if (k < 35) {
				c->kind = CK_RUNAWAY; /* beyond the parent's 100,000 */
				c->qty = 9000;
				c->px = 0;
			} else if (k < 40) {
				c->kind = CK_DUP;
			}
		}
		snprintf(b->clid[i], IDLEN, "C%07" PRIu32, (uint32_t)i);
		snprintf(b->xid[i], IDLEN, "X%07" PRIu32, (uint32_t)i);
	}
	/* a runaway child goes out again and again: 12 of 9,000 pass a
	 * parent of 100,000 shares less what it has, then every one breaches */
	for (i = nparents; i < n; i++) {
		if (b->ch[i].kind == CK_RUNAWAY)
			b->ch[i].parent = 7; /* one parent: Power Peg */
		if (b->ch[i].kind == CK_DUP)
			memcpy(b->clid[i], b->clid[i - 1], IDLEN);
	}
}

static void order_of(const struct bench *b, size_t i, struct rules_order *o)
{
	const struct child *c = &b->ch[i];
	uint32_t p = c->parent;

	memset(o, 0, sizeof(*o));
	o->ro_kind = RULES_NEW;
	o->ro_clordid = b->clid[i];
	o->ro_parent = b->pid[p];
	o->ro_account = b->acct[p % NACCOUNTS];
	o->ro_symbol = b->sym[p % NSYMBOLS];
	o->ro_side = p % 3 == 0 ? '2' : '1';
	o->ro_ordtype = c->px > 0 ? RULES_ORDTYPE_LIMIT : RULES_ORDTYPE_MARKET;
	o->ro_qty = c->qty;
	o->ro_px = c->px;
	o->ro_now_ns = b->now;
}

/* The one function callgrind counts (--toggle-collect=bench_timed_region). */
enum rules_verdict bench_timed_region(struct rules_engine *, const struct rules_order *,
    struct rules_decision *);

__attribute__((noinline)) enum rules_verdict bench_timed_region(
    struct rules_engine *en, const struct rules_order *o, struct rules_decision *d)
{
	return rules_check(en, o, d);
}

static void exec(struct bench *b, const char *clid, const char *orig, char et, char st,
    int64_t last, int64_t px, int64_t cum, int64_t leaves)
{
	struct rules_exec x = {clid, orig, et, st, last, px, cum, leaves, -1, -1};
	int rc = rules_on_exec(b->en, &x);

	if (rc != 0)
		die("rules_on_exec", rules_strerror(rc));
}

/* What the venue does after child i was checked: an ack for an accepted
 * child, and now and then a fill or a cancel of a recent one. */
static void venue(struct bench *b, size_t i, enum rules_verdict v)
{
	const struct child *c = &b->ch[i];
	int64_t k = rnd(b, 0, 99);

	if (v == RULES_ACCEPT && c->kind != CK_DUP) {
		b->live[i] = true;
		exec(b, b->clid[i], NULL, '0', '0', 0, 0, 0, c->qty);
		b->ring[b->ring_head] = (uint32_t)i;
		b->ring_head = (b->ring_head + 1) % 4096;
		if (b->ring_n < 4096)
			b->ring_n++;
	}
	if (b->ring_n == 0)
		return;
	if (k < 30) {
		size_t j = b->ring[(size_t)rnd(b, 0, (int64_t)b->ring_n - 1)];
		int64_t q = b->ch[j].qty, d;

		if (!b->live[j])
			return;
		d = k < 15 ? q - b->cum[j] : (q - b->cum[j] + 1) / 2;
		b->cum[j] += d;
		if (b->cum[j] >= q) {
			b->live[j] = false;
			exec(b, b->clid[j], NULL, 'F', '2', d, b->ch[j].px, b->cum[j], 0);
		} else {
			exec(b, b->clid[j], NULL, 'F', '1', d, b->ch[j].px, b->cum[j],
			    q - b->cum[j]);
		}
	} else if (k < 35) {
		size_t j = b->ring[(size_t)rnd(b, 0, (int64_t)b->ring_n - 1)];
		int rc;

		if (!b->live[j])
			return;
		rc = rules_on_cancel_sent(b->en, b->xid[j], b->clid[j]);
		if (rc != 0)
			die("rules_on_cancel_sent", rules_strerror(rc));
		b->live[j] = false;
		exec(b, b->xid[j], b->clid[j], '4', '4', 0, 0, b->cum[j], 0);
	}
}

/* Reads s as a parser would have (the bytes end up in cache). */
static void touch(const char *s)
{
	unsigned char x = 0;

	while (*s != '\0')
		x ^= (unsigned char)*s++;
	__asm__ volatile("" : : "r"(x)); /* the reads are not optimised away */
}

static enum rules_verdict check_one(struct bench *b, size_t i, uint64_t *dt)
{
	struct rules_order o;
	struct rules_decision d;
	enum rules_verdict v;
	uint64_t t0, t1;

	order_of(b, i, &o);
	if (!b->cold_input) {
		touch(o.ro_clordid);
		touch(o.ro_parent);
		touch(o.ro_account);
		touch(o.ro_symbol);
	}
	t0 = ticks();
	v = rules_check(b->en, &o, &d);
	t1 = ticks();
	*dt = t1 - t0;
	b->verdicts[v]++;
	b->reasons[d.rd_reason]++;
	b->now += step_ns;
	return v;
}

/* ---- the machine's memory latency, in the same run ------------------------------- */

/*
 * ns per dependent load over a random cyclic permutation of the 64-byte
 * lines of mib MiB (huge pages advised): the latency a check's misses see
 * right now, from L3 (4 MiB) or DRAM (64 MiB).
 */
static double chase_ns(size_t mib)
{
	size_t bytes = mib << 20, n = bytes / 64, i, j, k = 0, steps = 2000000;
	uint64_t *m, *perm, rng = UINT64_C(0x636861736565);
	int64_t t;

	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap", strerror(errno));
#ifdef MADV_HUGEPAGE
	(void)madvise(m, bytes, MADV_HUGEPAGE);
#endif
	perm = xcalloc(n, sizeof(*perm));
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) { /* Fisher-Yates */
		uint64_t tmp;

		j = (size_t)(next(&rng) % (i + 1));
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (i = 0; i < n; i++)
		m[perm[i] * 8] = perm[(i + 1) % n] * 8;
	free(perm);
	for (i = 0; i < n; i++) /* once round, to fault and warm */
		k = m[k];
	t = mono_ns();
	for (i = 0; i < steps; i++)
		k = m[k];
	t = mono_ns() - t;
	__asm__ volatile("" : : "r"(k));
	munmap(m, bytes);
	return (double)t / (double)steps;
}

struct probe {
	double l3, dram;
};

static struct probe machine_probe(void)
{
	struct probe p;

	p.l3 = chase_ns(4);
	p.dram = chase_ns(64);
	return p;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct pct {
	double med, p99, p999, max, mean;
};

/* Sorts lat[0..n) and gives its percentiles in ns. */
static struct pct percentiles(uint32_t *lat, size_t n)
{
	struct pct r;
	double sum = 0;
	size_t i;

	qsort(lat, n, sizeof(*lat), cmp_u32);
	for (i = 0; i < n; i++)
		sum += lat[i];
	r.med = lat[n / 2] * ns_per_tick;
	r.p99 = lat[n * 99 / 100] * ns_per_tick;
	r.p999 = lat[n * 999 / 1000] * ns_per_tick;
	r.max = lat[n - 1] * ns_per_tick;
	r.mean = sum / (double)n * ns_per_tick;
	return r;
}

static void new_engine(struct bench *b, size_t orders)
{
	struct rules_engine_config cfg = {orders, nparents + 16, NACCOUNTS + 16, NSYMBOLS + 16,
	    b->warn_pct};
	char err[RULES_ERRLEN];

	if (rules_engine_new(&b->en, b->st, &cfg, err) != 0)
		die("engine", err);
}

static void warm_up(struct bench *b)
{
	size_t i;
	uint64_t dt;

	for (i = 0; i < nparents; i++) {
		enum rules_verdict v = check_one(b, i, &dt);

		if (v != RULES_ACCEPT)
			die("warm-up", "a first child was not accepted");
		venue(b, i, v);
	}
	memset(b->verdicts, 0, sizeof(b->verdicts));
	memset(b->reasons, 0, sizeof(b->reasons));
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s)
		die("bad number", s);
	return (uint64_t)v;
}

static int run_callgrind(struct bench *b, size_t n)
{
	size_t i;

	gen_stream(b, nparents + n);
	new_engine(b, nparents + n + n / 10 + 16);
	warm_up(b);
	for (i = nparents; i < nparents + n; i++) {
		struct rules_order o;
		struct rules_decision d;
		enum rules_verdict v;

		order_of(b, i, &o);
		v = bench_timed_region(b->en, &o, &d);
		b->verdicts[v]++;
		b->now += step_ns;
		venue(b, i, v);
	}
	printf("callgrind checks: %zu (accept %lu, reject %lu, trip %lu)\n", n,
	    b->verdicts[RULES_ACCEPT], b->verdicts[RULES_REJECT], b->verdicts[RULES_TRIP]);
	cleanup(b);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench bb, *b = &bb;
	size_t n = NCHECKS, callgrind = 0, i, total, nref = REFRESH_BLOCK * REFRESH_BLOCKS;
	unsigned long verdicts[3], reasons[RULES_R_COUNT];
	int64_t t_setup, t_wall;
	uint64_t sum_ticks = 0, dt;
	uint32_t *acc_lat, *rej_lat, *ref_lat[2];
	size_t nacc = 0, nrej = 0, nr[2] = {0, 0};
	struct pct all, acc, rej, rf[2];
	struct probe pre, post;
	void *(*volatile alloc)(size_t) = malloc;
	void *probe;
	bool lock = false;
	int a;

	memset(b, 0, sizeof(*b));
	b->rng = UINT64_C(0x62656e6368);
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--checks") == 0 && a + 1 < argc)
			n = (size_t)parse_u64(argv[++a]);
		else if (strcmp(argv[a], "--callgrind") == 0 && a + 1 < argc)
			callgrind = (size_t)parse_u64(argv[++a]);
		else if (strcmp(argv[a], "--mlock") == 0)
			lock = true;
		else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc)
			b->rng = parse_u64(argv[++a]);
		else if (strcmp(argv[a], "--warn") == 0 && a + 1 < argc)
			b->warn_pct = (unsigned)parse_u64(argv[++a]);
		else if (strcmp(argv[a], "--cold-input") == 0)
			b->cold_input = true;
		else if (strcmp(argv[a], "--parents") == 0 && a + 1 < argc)
			nparents = (size_t)parse_u64(argv[++a]);
		else if (strcmp(argv[a], "--rate") == 0 && a + 1 < argc)
			parent_rate = (int64_t)parse_u64(argv[++a]);
		else {
			fprintf(stderr,
			    "usage: %s [--checks N] [--seed N] [--mlock] [--warn PCT] "
			    "[--cold-input] [--rate N] [--parents N] [--callgrind N]\n",
			    argv[0]);
			return 2;
		}
	}
	if (n == 0 || n > 50000000)
		die("--checks", "must be 1..50000000");
	if (nparents < 100 || nparents > 99999)
		die("--parents", "must be 100..99999");
	step_ns = 1000 * NPARENTS_DEFAULT / (int64_t)nparents;
	b->now = INT64_C(1000000000000);

	t_setup = mono_ns();
	setup_store(b);
	t_setup = mono_ns() - t_setup;
	if (callgrind > 0)
		return run_callgrind(b, callgrind);

	calibrate();
	total = nparents + n + 2 * nref;
	gen_stream(b, total);
	new_engine(b, total + total / 10 + 16);
	b->lat = xcalloc(n, sizeof(*b->lat));
	acc_lat = xcalloc(n, sizeof(*acc_lat));
	rej_lat = xcalloc(n, sizeof(*rej_lat));
	ref_lat[0] = xcalloc(nref, sizeof(uint32_t));
	ref_lat[1] = xcalloc(nref, sizeof(uint32_t));
	if (lock && mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		die("mlockall", strerror(errno));
	warm_up(b);

	/* the counter counts: one malloc through a volatile pointer */
	counting = 1;
	probe = alloc(16);
	counting = 0;
	free(probe);
	if (COUNT_ALLOCS && nallocs != 1)
		die("allocation counter", "self-test failed");
	nallocs = 0;

	pre = machine_probe();

	/* ---- the timed phase ---- */
	counting = 1;
	t_wall = mono_ns();
	for (i = 0; i < n; i++) {
		size_t c = nparents + i;
		enum rules_verdict v = check_one(b, c, &dt);

		b->lat[i] = (uint32_t)(dt > UINT32_MAX ? UINT32_MAX : dt);
		sum_ticks += dt;
		if (v == RULES_ACCEPT)
			acc_lat[nacc++] = b->lat[i];
		else
			rej_lat[nrej++] = b->lat[i];
		venue(b, c, v);
	}
	t_wall = mono_ns() - t_wall;
	counting = 0;
	post = machine_probe();
	memcpy(verdicts, b->verdicts, sizeof(verdicts));
	memcpy(reasons, b->reasons, sizeof(reasons));

	/* ---- the refresh cost: no commits, then a commit every 1,000 checks ---- */
	{
		size_t blk, k, c = nparents + n;

		for (blk = 0; blk < 2 * REFRESH_BLOCKS; blk++) {
			int after = blk >= REFRESH_BLOCKS;

			if (after)
				commit_limits(b, blk % 2 ? 9999999 : 10000000);
			for (k = 0; k < REFRESH_BLOCK; k++, c++) {
				enum rules_verdict v = check_one(b, c, &dt);

				ref_lat[after][nr[after]++] =
				    (uint32_t)(dt > UINT32_MAX ? UINT32_MAX : dt);
				venue(b, c, v);
			}
		}
	}

	/* ---- the freshness probe alone ---- */
	{
		uint64_t t0 = ticks(), x = 0;

		for (i = 0; i < 1000000; i++)
			x += rules_store_last_txnid(b->st);
		dt = ticks() - t0;
		if (x == 0)
			printf("(no txn)\n");
	}

	/* ---- the timer itself ---- */
	{
		uint64_t best = UINT64_MAX, t0;

		for (i = 0; i < 100000; i++) {
			t0 = ticks();
			t0 = ticks() - t0;
			if (t0 < best)
				best = t0;
		}
		printf("bench_rules: %zu parents, %d accounts, %d symbols; setup %.2f s; clock %s "
		       "(%.3f ns/tick, overhead >= %.0f ns, included below)\n",
		    nparents, NACCOUNTS, NSYMBOLS, (double)t_setup / 1e9, clock_name, ns_per_tick,
		    (double)best * ns_per_tick);
	}

	all = percentiles(b->lat, n);
	acc = percentiles(acc_lat, nacc);
	rej = nrej > 0 ? percentiles(rej_lat, nrej) : (struct pct){0, 0, 0, 0, 0};
	rf[0] = percentiles(ref_lat[0], nr[0]);
	rf[1] = percentiles(ref_lat[1], nr[1]);

	printf("machine: dependent random load over 4 MiB %.0f ns, over 64 MiB %.0f ns before the "
	       "timed checks; %.0f / %.0f ns after\n",
	    pre.l3, pre.dram, post.l3, post.dram);
	printf("input strings: %s\n",
	    b->cold_input ? "cold (--cold-input: where the stream left them)"
			  : "read just before each check, as a parser would have");
	printf("timed checks: %zu (accept %lu, reject %lu, trip %lu)\n", n,
	    verdicts[RULES_ACCEPT], verdicts[RULES_REJECT], verdicts[RULES_TRIP]);
	printf("reasons:");
	for (a = 1; a < RULES_R_COUNT; a++)
		if (reasons[a] != 0)
			printf(" %s %lu", rules_reason_name(a), reasons[a]);
	printf("\n");
	printf("ns per check: median %.0f  p99 %.0f  p99.9 %.0f  max %.0f  mean %.0f\n", all.med,
	    all.p99, all.p999, all.max, all.mean);
	printf("  accepts:    median %.0f  p99 %.0f  p99.9 %.0f\n", acc.med, acc.p99, acc.p999);
	printf("  rejects:    median %.0f  p99 %.0f  p99.9 %.0f\n", rej.med, rej.p99, rej.p999);
	printf("checks/s: %.2f M (check time only); %.2f M children/s with the venue's reports "
	       "(wall)\n",
	    (double)n / ((double)sum_ticks * ns_per_tick / 1e9) / 1e6,
	    (double)n / ((double)t_wall / 1e9) / 1e6);
	if (COUNT_ALLOCS)
		printf("heap allocations during timed checks: %lu\n", nallocs);
	else
		printf("heap allocations during timed checks: not counted (sanitizer build)\n");
	printf("cache refresh, median ns per check: never %.0f, commit every %d checks %.0f "
	       "(p99 %.0f vs %.0f)\n",
	    rf[0].med, REFRESH_BLOCK, rf[1].med, rf[0].p99, rf[1].p99);
	printf("freshness probe rules_store_last_txnid(): %.1f ns per call\n",
	    (double)dt * ns_per_tick / 1e6);
	cleanup(b);
	free(acc_lat);
	free(rej_lat);
	free(ref_lat[0]);
	free(ref_lat[1]);
	return COUNT_ALLOCS && nallocs != 0 ? 1 : 0;
}
