/*
 * test_store.c - rules.mdb (rules/store.h): round trips, the audit trail,
 * batches, snapshots, other processes, and refusal of damaged files.
 *
 * Every test has its own temporary directory. A second view of the same
 * file always lives in another process (fork): LMDB forbids opening one
 * environment twice in a process.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "crc32c.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "../testutil.h"

struct fx {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->dir = tu_mkdtemp("store");
	fx->path = tu_path(fx->dir, "rules.mdb");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

static const struct rules_actor alice = {"alice", "raise for the close"};
static const struct rules_actor bob = {"bob", "new desk \xc3\xa9t\xc3\xa9"};

static struct rules_store *open_ok(const char *path, unsigned flags)
{
	struct rules_store *st = NULL;
	char err[RULES_ERRLEN] = "";
	int rc = rules_store_open(&st, path, flags, 0, err);

	if (rc != 0)
		fail_msg("open %s: %d %s", path, rc, err);
	return st;
}

static struct rules_wr *begin_ok(struct rules_store *st)
{
	struct rules_wr *wr = NULL;
	char err[RULES_ERRLEN] = "";

	if (rules_store_wr_begin(st, &wr, err) != 0)
		fail_msg("wr_begin: %s", err);
	return wr;
}

static void commit_ok(struct rules_wr *wr)
{
	char err[RULES_ERRLEN] = "";

	if (rules_wr_commit(wr, err) != 0)
		fail_msg("commit: %s", err);
}

static struct rules_limits limits_of(int64_t qty, int64_t notional)
{
	struct rules_limits l;

	memset(&l, 0, sizeof(l));
	l.rl_set = RULES_BIT(RULES_LIM_ORDER_QTY) | RULES_BIT(RULES_LIM_ORDER_NOTIONAL);
	l.rl_trip = RULES_BIT(RULES_LIM_ORDER_NOTIONAL);
	l.rl_val[RULES_LIM_ORDER_QTY] = qty;
	l.rl_val[RULES_LIM_ORDER_NOTIONAL] = notional;
	return l;
}

static struct rules_limits all_limits(void)
{
	struct rules_limits l;

	memset(&l, 0, sizeof(l));
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		l.rl_set |= RULES_BIT(i);
		l.rl_val[i] = 100 + (int64_t)i;
	}
	l.rl_val[RULES_LIM_ORDER_NOTIONAL] = INT64_MAX;
	l.rl_trip = RULES_TRIP_DEFAULT | RULES_BIT(RULES_LIM_COLLAR_BPS);
	return l;
}

static struct rules_parent parent_of(const char *id, const char *symbol, int64_t qty)
{
	struct rules_parent p;

	memset(&p, 0, sizeof(p));
	snprintf(p.rp_id, sizeof(p.rp_id), "%s", id);
	snprintf(p.rp_account, sizeof(p.rp_account), "ACC1");
	snprintf(p.rp_symbol, sizeof(p.rp_symbol), "%s", symbol);
	p.rp_side = '2';
	p.rp_qty = qty;
	p.rp_limit_px = 150250000;
	p.rp_max_notional = 0;
	p.rp_max_rate = 25;
	p.rp_trip = RULES_TRIP_DEFAULT;
	return p;
}

/* A store with one record of every kind, committed. */
static void populate(const char *path)
{
	struct rules_store *st = open_ok(path, RULES_STORE_CREATE);
	struct rules_wr *wr = begin_ok(st);
	struct rules_limits g = all_limits(), a = limits_of(500, 1000000);
	struct rules_parent p = parent_of("P1", "IBM", 212000);
	char err[RULES_ERRLEN];

	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_GLOBAL, "", &g, err), 0);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_ACCOUNT, "ACC1", &a, err), 0);
	assert_int_equal(rules_wr_put_parent(wr, &alice, &p, err), 0);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", 150000000, err), 0);
	assert_int_equal(rules_wr_put_restricted(wr, &alice, "XYZ", "halted", err), 0);
	commit_ok(wr);
	rules_store_close(st);
}

/* Opens path and expects code, with want inside err. */
static void open_fails(const char *path, unsigned flags, int code, const char *want)
{
	struct rules_store *st = (struct rules_store *)0x1;
	char err[RULES_ERRLEN] = "";
	int rc = rules_store_open(&st, path, flags, 0, err);

	if (rc != code || (want != NULL && strstr(err, want) == NULL))
		fail_msg("open %s (flags %u): rc %d '%s', want %d '%s'", path, flags, rc, err, code,
		    want ? want : "");
	assert_null(st);
}

/* ---- collecting callbacks ----------------------------------------------------- */

struct audit_list {
	struct rules_audit *a;
	size_t n;
};

static int collect_audit(void *arg, const struct rules_audit *a)
{
	struct audit_list *l = arg;
	struct rules_audit *na = realloc(l->a, (l->n + 1) * sizeof(*na));

	if (na == NULL)
		return -ENOMEM;
	l->a = na;
	l->a[l->n++] = *a;
	return 0;
}

static struct audit_list audit_from(struct rules_store *st, uint64_t from)
{
	struct audit_list l = {NULL, 0};

	assert_int_equal(rules_store_foreach_audit(st, from, collect_audit, &l), 0);
	return l;
}

static int count_parent(void *arg, const struct rules_parent *p)
{
	(void)p;
	(*(size_t *)arg)++;
	return 0;
}

static size_t parents_in(struct rules_store *st)
{
	size_t n = 0;

	assert_int_equal(rules_store_foreach_parent(st, count_parent, &n), 0);
	return n;
}

/* ---- basics ------------------------------------------------------------------------ */

static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(rules_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(rules_crc32c(0, "", 0), 0);
	/* incremental == one shot */
	assert_int_equal(rules_crc32c(rules_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	/* every length and alignment (the 8-byte steps and the tail of the
	 * instruction path) against a bitwise reference */
	{
		unsigned char buf[80];
		uint32_t x = 12345;

		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; off + len <= sizeof(buf); len++) {
				uint32_t c = 0xffffffffu;

				for (size_t i = 0; i < len; i++) {
					c ^= buf[off + i];
					for (int k = 0; k < 8; k++)
						c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
				}
				assert_int_equal(rules_crc32c(0, buf + off, len), ~c);
				assert_int_equal(rules_crc32c(rules_crc32c(0, buf + off, len / 3),
				    buf + off + len / 3, len - len / 3), ~c);
			}
	}
}

static void test_missing_file(void **state)
{
	struct fx *fx = *state;
	struct stat sb;

	open_fails(fx->path, RULES_STORE_RDONLY, -ENOENT, fx->path);
	open_fails(fx->path, 0, -ENOENT, "No such file");
	/* nothing was created by trying */
	assert_int_not_equal(stat(fx->path, &sb), 0);
	open_fails(fx->path, RULES_STORE_RDONLY | RULES_STORE_CREATE, RULES_EINVAL, NULL);
}

static void test_create_reopen(void **state)
{
	struct fx *fx = *state;
	struct rules_store *st;
	struct rules_limits l;
	uint64_t t;

	st = open_ok(fx->path, RULES_STORE_CREATE);
	t = rules_store_last_txnid(st);
	assert_true(t >= 1); /* the initialising commit */
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_GLOBAL, "", &l), RULES_ENOTFOUND);
	rules_store_close(st);
	/* CREATE on an existing store opens it as it is */
	st = open_ok(fx->path, RULES_STORE_CREATE);
	assert_int_equal(rules_store_last_txnid(st), t);
	rules_store_close(st);
	st = open_ok(fx->path, RULES_STORE_RDONLY);
	assert_int_equal(rules_store_last_txnid(st), t);
	rules_store_close(st);
}

struct lim_seen {
	enum rules_scope scope[8];
	char key[8][RULES_ID_MAX + 1];
	struct rules_limits l[8];
	size_t n;
};

static int collect_limits(void *arg, enum rules_scope scope, const char *key,
    const struct rules_limits *l)
{
	struct lim_seen *s = arg;

	if (s->n == 8)
		return 99;
	s->scope[s->n] = scope;
	snprintf(s->key[s->n], sizeof(s->key[0]), "%s", key);
	s->l[s->n++] = *l;
	return 0;
}

static int collect_refpx(void *arg, const char *symbol, int64_t px)
{
	char *out = arg;

	snprintf(out + strlen(out), 200 - strlen(out), "%s=%lld;", symbol, (long long)px);
	return 0;
}

static int collect_restricted(void *arg, const char *symbol, const char *reason)
{
	char *out = arg;

	snprintf(out + strlen(out), 200 - strlen(out), "%s=%s;", symbol, reason);
	return 0;
}

static int stop_at_second(void *arg, const struct rules_parent *p)
{
	(void)p;
	return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_round_trip(void **state)
{
	struct fx *fx = *state;
	struct rules_limits g = all_limits(), a = limits_of(500, 1000000), s = limits_of(7, 8),
			    par = limits_of(1, 1), got;
	struct rules_parent p1 = parent_of("P1", "IBM", 212000), p2 = parent_of("P2", "MSFT", 5),
			    gotp;
	char err[RULES_ERRLEN], reason[RULES_REASON_MAX + 1], text[200];
	struct rules_store *st;
	struct rules_wr *wr;
	struct lim_seen seen;
	int64_t px;
	int n = 0;

	st = open_ok(fx->path, RULES_STORE_CREATE);
	wr = begin_ok(st);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_PARENT, "P1", &par, err), 0);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_SYMBOL, "IBM", &s, err), 0);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_ACCOUNT, "ACC1", &a, err), 0);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_GLOBAL, NULL, &g, err), 0);
	assert_int_equal(rules_wr_put_parent(wr, &alice, &p2, err), 0);
	assert_int_equal(rules_wr_put_parent(wr, &alice, &p1, err), 0);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "MSFT", 1, err), 0);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", INT64_MAX, err), 0);
	assert_int_equal(
	    rules_wr_put_restricted(wr, &alice, "XYZ", "halted: news pending", err), 0);
	commit_ok(wr);
	rules_store_close(st);

	/* reopened read-only: open verified every record */
	st = open_ok(fx->path, RULES_STORE_RDONLY);
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_GLOBAL, "", &got), 0);
	assert_memory_equal(&got, &g, sizeof(g));
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_GLOBAL, NULL, &got), 0);
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_ACCOUNT, "ACC1", &got), 0);
	assert_memory_equal(&got, &a, sizeof(a));
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_SYMBOL, "IBM", &got), 0);
	assert_memory_equal(&got, &s, sizeof(s));
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_PARENT, "P1", &got), 0);
	assert_memory_equal(&got, &par, sizeof(par));
	/* the same key in another scope is another record */
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_ACCOUNT, "IBM", &got),
	    RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_GLOBAL, "x", &got),
	    RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_ACCOUNT, "A B", &got),
	    RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_parent(st, "P1", &gotp), 0);
	assert_memory_equal(&gotp, &p1, sizeof(p1));
	assert_int_equal(rules_store_get_parent(st, "P2", &gotp), 0);
	assert_memory_equal(&gotp, &p2, sizeof(p2));
	assert_int_equal(rules_store_get_parent(st, "P3", &gotp), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_refpx(st, "IBM", &px), 0);
	assert_int_equal(px, INT64_MAX);
	assert_int_equal(rules_store_get_refpx(st, "XYZ", &px), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_restricted(st, "XYZ", reason), 0);
	assert_string_equal(reason, "halted: news pending");
	assert_int_equal(rules_store_get_restricted(st, "XYZ", NULL), 0);
	assert_int_equal(rules_store_get_restricted(st, "IBM", reason), RULES_ENOTFOUND);

	/* iteration: key order (scope byte first), GLOBAL key "" */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(rules_store_foreach_limits(st, collect_limits, &seen), 0);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.scope[0], RULES_SCOPE_GLOBAL);
	assert_string_equal(seen.key[0], "");
	assert_memory_equal(&seen.l[0], &g, sizeof(g));
	assert_int_equal(seen.scope[1], RULES_SCOPE_ACCOUNT);
	assert_string_equal(seen.key[1], "ACC1");
	assert_int_equal(seen.scope[2], RULES_SCOPE_SYMBOL);
	assert_int_equal(seen.scope[3], RULES_SCOPE_PARENT);
	assert_string_equal(seen.key[3], "P1");
	text[0] = '\0';
	assert_int_equal(rules_store_foreach_refpx(st, collect_refpx, text), 0);
	assert_string_equal(text, "IBM=9223372036854775807;MSFT=1;");
	text[0] = '\0';
	assert_int_equal(rules_store_foreach_restricted(st, collect_restricted, text), 0);
	assert_string_equal(text, "XYZ=halted: news pending;");
	assert_int_equal(parents_in(st), 2);
	/* a callback's non-zero return stops the walk and is returned */
	assert_int_equal(rules_store_foreach_parent(st, stop_at_second, &n), 42);
	assert_int_equal(n, 2);
	rules_store_close(st);
}

static void test_audit_trail(void **state)
{
	struct fx *fx = *state;
	struct rules_limits a1 = limits_of(500, 1500000), a2 = limits_of(600, 1500000);
	struct rules_parent p = parent_of("P1", "IBM", 100);
	char err[RULES_ERRLEN];
	struct rules_store *st;
	struct rules_wr *wr;
	struct audit_list l;
	struct timespec ts;
	int64_t before, after;

	static const struct {
		const char *who, *what, *old, *new;
	} want[] = {
		{"alice", "limits/account/ACC1", "",
		    "{\"order_qty\":{\"value\":500,\"action\":\"reject\"},"
		    "\"order_notional\":{\"value\":\"1.5\",\"action\":\"trip\"}}"},
		{"alice", "limits/account/ACC1",
		    "{\"order_qty\":{\"value\":500,\"action\":\"reject\"},"
		    "\"order_notional\":{\"value\":\"1.5\",\"action\":\"trip\"}}",
		    "{\"order_qty\":{\"value\":600,\"action\":\"reject\"},"
		    "\"order_notional\":{\"value\":\"1.5\",\"action\":\"trip\"}}"},
		{"alice", "limits/global", "",
		    "{\"order_qty\":{\"value\":500,\"action\":\"reject\"},"
		    "\"order_notional\":{\"value\":\"1.5\",\"action\":\"trip\"}}"},
		{"alice", "parents/P1", "",
		    "{\"id\":\"P1\",\"account\":\"ACC1\",\"symbol\":\"IBM\",\"side\":\"sell\","
		    "\"qty\":100,\"limit_px\":\"150.25\",\"max_rate\":25,"
		    "\"trip\":[\"qty\",\"notional\",\"rate\"]}"},
		{"alice", "refpx/IBM", "", "\"150\""},
		{"alice", "refpx/IBM", "\"150\"", "\"151.5\""},
		{"alice", "restricted/XYZ", "", "\"halted\""},
		/* second batch, by bob */
		{"bob", "limits/account/ACC1",
		    "{\"order_qty\":{\"value\":600,\"action\":\"reject\"},"
		    "\"order_notional\":{\"value\":\"1.5\",\"action\":\"trip\"}}",
		    ""},
		{"bob", "parents/P1",
		    "{\"id\":\"P1\",\"account\":\"ACC1\",\"symbol\":\"IBM\",\"side\":\"sell\","
		    "\"qty\":100,\"limit_px\":\"150.25\",\"max_rate\":25,"
		    "\"trip\":[\"qty\",\"notional\",\"rate\"]}",
		    ""},
		{"bob", "refpx/IBM", "\"151.5\"", ""},
		{"bob", "restricted/XYZ", "\"halted\"", ""},
		{"bob", "restricted/XYZ", "", "\"halted again\""},
		{"bob", "clear", "{\"limits\":1,\"parents\":0,\"refpx\":0,\"restricted\":1}", ""},
	};

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	st = open_ok(fx->path, RULES_STORE_CREATE);
	wr = begin_ok(st);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_ACCOUNT, "ACC1", &a1, err), 0);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_ACCOUNT, "ACC1", &a2, err), 0);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_GLOBAL, "", &a1, err), 0);
	assert_int_equal(rules_wr_put_parent(wr, &alice, &p, err), 0);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", 150000000, err), 0);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", 151500000, err), 0);
	assert_int_equal(rules_wr_put_restricted(wr, &alice, "XYZ", "halted", err), 0);
	commit_ok(wr);
	wr = begin_ok(st);
	assert_int_equal(rules_wr_del_limits(wr, &bob, RULES_SCOPE_ACCOUNT, "ACC1", err), 0);
	assert_int_equal(rules_wr_del_parent(wr, &bob, "P1", err), 0);
	assert_int_equal(rules_wr_del_refpx(wr, &bob, "IBM", err), 0);
	assert_int_equal(rules_wr_del_restricted(wr, &bob, "XYZ", err), 0);
	assert_int_equal(rules_wr_put_restricted(wr, &bob, "XYZ", "halted again", err), 0);
	assert_int_equal(rules_wr_clear(wr, &bob, err), 0);
	commit_ok(wr);
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	after = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

	/* the deletes and the clear took effect */
	assert_int_equal(rules_store_get_restricted(st, "XYZ", NULL), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_GLOBAL, "", &a1), RULES_ENOTFOUND);

	l = audit_from(st, 0);
	assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l.n; i++) {
		const struct rules_audit *a = &l.a[i];

		assert_int_equal(a->ra_seq, i + 1);
		assert_true(a->ra_when_ms >= before && a->ra_when_ms <= after);
		assert_string_equal(a->ra_who, want[i].who);
		assert_string_equal(a->ra_what, want[i].what);
		assert_string_equal(a->ra_old, want[i].old);
		assert_string_equal(a->ra_new, want[i].new);
		assert_string_equal(a->ra_reason,
		    strcmp(want[i].who, "bob") == 0 ? bob.ra_reason : alice.ra_reason);
	}
	free(l.a);
	/* from_seq */
	l = audit_from(st, 12);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.a[0].ra_seq, 12);
	free(l.a);
	l = audit_from(st, 1000);
	assert_int_equal(l.n, 0);
	free(l.a);
	rules_store_close(st);

	/* the log continues across opens */
	st = open_ok(fx->path, 0);
	wr = begin_ok(st);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", 1, err), 0);
	commit_ok(wr);
	l = audit_from(st, 14);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.a[0].ra_seq, 14);
	free(l.a);
	rules_store_close(st);
}

static void test_validation_writes_nothing(void **state)
{
	struct fx *fx = *state;
	struct rules_limits bad = limits_of(0, 1), good = limits_of(1, 1);
	struct rules_parent badp = parent_of("P1", "IBM", 100);
	struct rules_actor nobody = {"", "x"}, noreason = {"carol", ""};
	char err[RULES_ERRLEN], *before, *after;
	size_t blen, alen;
	struct rules_store *st;
	struct rules_wr *wr;
	struct audit_list l;
	uint64_t t0;
	int64_t px;

	populate(fx->path);
	before = tu_read_file(fx->path, &blen);
	assert_non_null(before);
	st = open_ok(fx->path, 0);
	t0 = rules_store_last_txnid(st);
	wr = begin_ok(st);
#define REFUSED(call, code, msg)                                                                   \
	do {                                                                                       \
		err[0] = '\0';                                                                     \
		assert_int_equal(call, code);                                                      \
		if (strstr(err, msg) == NULL)                                                      \
			fail_msg("%s: err '%s' lacks '%s'", #call, err, msg);                      \
	} while (0)
	REFUSED(rules_wr_put_limits(wr, &alice, RULES_SCOPE_ACCOUNT, "ACC1", &bad, err),
	    RULES_ERANGE, "order_qty: must be > 0");
	REFUSED(rules_wr_put_limits(wr, &alice, RULES_SCOPE_GLOBAL, "ACC1", &good, err),
	    RULES_EINVAL, "key: global limits take no key");
	REFUSED(rules_wr_put_limits(wr, &alice, RULES_SCOPE_ACCOUNT, "", &good, err), RULES_EINVAL,
	    "key:");
	REFUSED(rules_wr_put_limits(wr, &alice, RULES_SCOPE_SYMBOL, "I B M", &good, err),
	    RULES_EINVAL, "key:");
	REFUSED(rules_wr_put_limits(wr, &alice, RULES_SCOPE_COUNT, "X", &good, err), RULES_EINVAL,
	    "scope:");
	REFUSED(rules_wr_put_limits(wr, &nobody, RULES_SCOPE_GLOBAL, "", &good, err), RULES_EINVAL,
	    "who:");
	REFUSED(rules_wr_put_limits(wr, &noreason, RULES_SCOPE_GLOBAL, "", &good, err),
	    RULES_EINVAL, "reason:");
	REFUSED(rules_wr_put_limits(wr, NULL, RULES_SCOPE_GLOBAL, "", &good, err), RULES_EINVAL,
	    "actor");
	badp.rp_qty = -1;
	REFUSED(rules_wr_put_parent(wr, &alice, &badp, err), RULES_ERANGE, "qty: must be > 0");
	badp = parent_of("P1", "IBM", 100);
	badp.rp_side = 'X';
	REFUSED(rules_wr_put_parent(wr, &alice, &badp, err), RULES_EINVAL, "side:");
	REFUSED(rules_wr_put_refpx(wr, &alice, "IBM", 0, err), RULES_ERANGE, "px: must be > 0");
	REFUSED(rules_wr_put_refpx(wr, &alice, "", 5, err), RULES_EINVAL, "symbol:");
	REFUSED(rules_wr_put_restricted(wr, &alice, "XYZ", "two\nlines", err), RULES_EINVAL,
	    "reason:");
	REFUSED(rules_wr_put_restricted(wr, &alice, "X\tZ", "ok", err), RULES_EINVAL, "symbol:");
	REFUSED(rules_wr_del_parent(wr, &alice, "NOPE", err), RULES_ENOTFOUND,
	    "parents/NOPE: not found");
	REFUSED(rules_wr_del_limits(wr, &alice, RULES_SCOPE_SYMBOL, "NOPE", err), RULES_ENOTFOUND,
	    "limits/symbol/NOPE: not found");
	REFUSED(rules_wr_del_refpx(wr, &alice, "NOPE", err), RULES_ENOTFOUND, "not found");
	REFUSED(rules_wr_del_restricted(wr, &alice, "NOPE", err), RULES_ENOTFOUND, "not found");
#undef REFUSED
	/* nothing to commit: no new transaction, not one byte changed */
	commit_ok(wr);
	assert_int_equal(rules_store_last_txnid(st), t0);
	rules_store_close(st);
	after = tu_read_file(fx->path, &alen);
	assert_non_null(after);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(before);
	free(after);

	/* the batch stays usable after a refusal: good, bad, good */
	st = open_ok(fx->path, 0);
	wr = begin_ok(st);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "AAA", 1, err), 0);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "BBB", -1, err), RULES_ERANGE);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "CCC", 3, err), 0);
	commit_ok(wr);
	assert_true(rules_store_last_txnid(st) > t0);
	l = audit_from(st, 0);
	assert_int_equal(l.n, 5 + 2); /* populate wrote 5 */
	assert_string_equal(l.a[5].ra_what, "refpx/AAA");
	assert_string_equal(l.a[6].ra_what, "refpx/CCC");
	free(l.a);
	assert_int_equal(rules_store_get_refpx(st, "BBB", &px), RULES_ENOTFOUND);
	rules_store_close(st);
}

static void test_abort_and_batch_rules(void **state)
{
	struct fx *fx = *state;
	struct rules_parent p = parent_of("P9", "IBM", 10);
	char err[RULES_ERRLEN], *before, *after;
	struct rules_store *st, *ro;
	struct rules_wr *wr, *wr2;
	size_t blen, alen;
	uint64_t t0;
	int64_t px;

	populate(fx->path);
	before = tu_read_file(fx->path, &blen);
	st = open_ok(fx->path, 0);
	t0 = rules_store_last_txnid(st);
	wr = begin_ok(st);
	/* one batch at a time */
	assert_int_equal(rules_store_wr_begin(st, &wr2, err), RULES_EINVAL);
	assert_null(wr2);
	assert_int_equal(rules_wr_put_parent(wr, &alice, &p, err), 0);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", 99, err), 0);
	assert_int_equal(rules_wr_del_restricted(wr, &alice, "XYZ", err), 0);
	assert_int_equal(rules_wr_clear(wr, &alice, err), 0);
	/* not visible to readers before commit */
	assert_int_equal(rules_store_get_parent(st, "P9", &p), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_refpx(st, "IBM", &px), 0);
	assert_int_equal(px, 150000000);
	rules_wr_abort(wr);
	rules_wr_abort(NULL);
	assert_int_equal(rules_store_last_txnid(st), t0);
	assert_int_equal(rules_store_get_parent(st, "P9", &p), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_restricted(st, "XYZ", NULL), 0);
	/* a new batch can begin after the abort */
	wr = begin_ok(st);
	rules_wr_abort(wr);
	rules_store_close(st);
	after = tu_read_file(fx->path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(before);
	free(after);

	/* a read-only store takes no batch */
	ro = open_ok(fx->path, RULES_STORE_RDONLY);
	assert_int_equal(rules_store_wr_begin(ro, &wr, err), RULES_EINVAL);
	assert_non_null(strstr(err, "read-only"));
	rules_store_close(ro);

	/* closing a store with an open batch aborts it */
	st = open_ok(fx->path, 0);
	wr = begin_ok(st);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "ZZZ", 5, err), 0);
	rules_store_close(st);
	st = open_ok(fx->path, RULES_STORE_RDONLY);
	assert_int_equal(rules_store_get_refpx(st, "ZZZ", &px), RULES_ENOTFOUND);
	rules_store_close(st);
}

/* ---- snapshots and other processes ------------------------------------------------ */

static void test_snapshot_isolation(void **state)
{
	struct fx *fx = *state;
	struct rules_limits l = limits_of(1, 1), got;
	char err[RULES_ERRLEN];
	struct rules_store *st;
	struct rules_wr *wr;
	uint64_t t1, t2;
	int64_t px;

	populate(fx->path);
	st = open_ok(fx->path, 0);
	assert_int_equal(rules_store_rd_begin(st, &t1), 0);
	assert_int_equal(t1, rules_store_last_txnid(st));
	wr = begin_ok(st);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", 7, err), 0);
	assert_int_equal(rules_wr_put_limits(wr, &alice, RULES_SCOPE_ACCOUNT, "ACC1", &l, err), 0);
	commit_ok(wr);
	assert_true(rules_store_last_txnid(st) > t1);
	/* the snapshot still shows the old values */
	assert_int_equal(rules_store_get_refpx(st, "IBM", &px), 0);
	assert_int_equal(px, 150000000);
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_ACCOUNT, "ACC1", &got), 0);
	assert_int_equal(got.rl_val[RULES_LIM_ORDER_QTY], 500);
	rules_store_rd_end(st);
	/* the next one shows the commit */
	assert_int_equal(rules_store_rd_begin(st, &t2), 0);
	assert_int_equal(t2, rules_store_last_txnid(st));
	assert_true(t2 > t1);
	assert_int_equal(rules_store_get_refpx(st, "IBM", &px), 0);
	assert_int_equal(px, 7);
	assert_int_equal(rules_store_get_limits(st, RULES_SCOPE_ACCOUNT, "ACC1", &got), 0);
	assert_int_equal(got.rl_val[RULES_LIM_ORDER_QTY], 1);
	rules_store_rd_end(st);
	rules_store_rd_end(st); /* harmless */
	rules_store_close(st);
}

/* Child: opens path read-write and sets refpx IBM to px; exits 0 on success. */
static void child_write_refpx(const char *path, int64_t px)
{
	struct rules_store *st = NULL;
	struct rules_wr *wr = NULL;
	char err[RULES_ERRLEN];

	if (rules_store_open(&st, path, 0, 0, err) != 0)
		_exit(10);
	if (rules_store_wr_begin(st, &wr, err) != 0)
		_exit(11);
	if (rules_wr_put_refpx(wr, &alice, "IBM", px, err) != 0)
		_exit(12);
	if (rules_wr_commit(wr, err) != 0)
		_exit(13);
	rules_store_close(st);
	_exit(0);
}

static void wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child failed: status 0x%x", (unsigned)status);
}

static void test_other_process_writes(void **state)
{
	struct fx *fx = *state;
	struct rules_store *ro;
	uint64_t t0, t1;
	int64_t px;
	pid_t pid;

	populate(fx->path);
	ro = open_ok(fx->path, RULES_STORE_RDONLY);
	t0 = rules_store_last_txnid(ro);
	assert_int_equal(rules_store_rd_begin(ro, &t1), 0);
	assert_int_equal(t1, t0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_write_refpx(fx->path, 42);
	wait_child(pid);

	/* the reader sees the new txn id at once, its snapshot does not move */
	assert_true(rules_store_last_txnid(ro) > t0);
	assert_int_equal(rules_store_get_refpx(ro, "IBM", &px), 0);
	assert_int_equal(px, 150000000);
	rules_store_rd_end(ro);
	/* outside a snapshot, a get reads the latest commit */
	assert_int_equal(rules_store_get_refpx(ro, "IBM", &px), 0);
	assert_int_equal(px, 42);
	assert_int_equal(rules_store_rd_begin(ro, &t1), 0);
	assert_int_equal(t1, rules_store_last_txnid(ro));
	rules_store_rd_end(ro);
	rules_store_close(ro);
}

/* Child: a reader opened while the parent holds a write batch open. Reports
 * its view over a pipe protocol: waits for 'c' (committed), then checks. */
static void child_reader(const char *path, int rfd, int wfd, uint64_t parent_t0)
{
	struct rules_store *st = NULL;
	char err[RULES_ERRLEN], c;
	uint64_t t0;
	int64_t px;

	if (rules_store_open(&st, path, RULES_STORE_RDONLY, 0, err) != 0)
		_exit(20);
	t0 = rules_store_last_txnid(st);
	if (t0 != parent_t0)
		_exit(21);
	if (rules_store_get_refpx(st, "NEW", &px) != RULES_ENOTFOUND)
		_exit(22); /* uncommitted data seen */
	if (write(wfd, "o", 1) != 1)
		_exit(23);
	if (read(rfd, &c, 1) != 1 || c != 'c')
		_exit(24);
	if (rules_store_last_txnid(st) <= t0)
		_exit(25);
	if (rules_store_get_refpx(st, "NEW", &px) != 0 || px != 77)
		_exit(26);
	rules_store_close(st);
	_exit(0);
}

static void test_reader_while_writing(void **state)
{
	struct fx *fx = *state;
	int to_child[2], to_parent[2];
	char err[RULES_ERRLEN], c;
	struct rules_store *st;
	struct rules_wr *wr;
	uint64_t t0;
	pid_t pid;

	populate(fx->path);
	st = open_ok(fx->path, 0);
	t0 = rules_store_last_txnid(st);
	wr = begin_ok(st);
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "NEW", 77, err), 0);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		child_reader(fx->path, to_child[0], to_parent[1], t0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	/* the child opened and read while our write txn is open */
	if (read(to_parent[0], &c, 1) != 1) {
		wait_child(pid);
		fail_msg("child reader did not get going");
	}
	commit_ok(wr);
	assert_int_equal(write(to_child[1], "c", 1), 1);
	wait_child(pid);
	close(to_child[1]);
	close(to_parent[0]);
	rules_store_close(st);
}

/* ---- map full ------------------------------------------------------------------- */

static void test_map_full(void **state)
{
	struct fx *fx = *state;
	const size_t mapsize = 256 * 1024;
	char err[RULES_ERRLEN], want[64], id[32];
	struct rules_store *st = NULL;
	struct rules_parent p, got;
	struct rules_wr *wr;
	size_t committed = 0;
	int rc = 0, batch, i;

	snprintf(want, sizeof(want), "rules store full (map size %zu bytes)", mapsize);
	assert_int_equal(rules_store_open(&st, fx->path, RULES_STORE_CREATE, mapsize, err), 0);

	/* Small batches until one fails, at a put or (more often) at commit:
	 * LMDB may need its last pages to save the free list. */
	for (batch = 0; rc == 0 && batch < 1000; batch++) {
		wr = begin_ok(st);
		for (i = 0; rc == 0 && i < 10; i++) {
			snprintf(id, sizeof(id), "B%04d-%02d", batch, i);
			p = parent_of(id, "IBM", 1 + batch);
			rc = rules_wr_put_parent(wr, &alice, &p, err);
		}
		if (rc != 0) {
			rules_wr_abort(wr);
			break;
		}
		rc = rules_wr_commit(wr, err);
		if (rc == 0)
			committed += 10;
	}
	assert_int_equal(rc, RULES_EFULL);
	assert_non_null(strstr(err, want));
	assert_true(committed >= 10);
	/* the store works on after the failed batch */
	assert_int_equal(parents_in(st), committed);
	rules_store_close(st);

	/* Reopened: one big batch fills the map at a put. */
	st = NULL;
	assert_int_equal(rules_store_open(&st, fx->path, 0, mapsize, err), 0);
	assert_int_equal(parents_in(st), committed);
	wr = begin_ok(st);
	rc = 0;
	for (i = 0; rc == 0 && i < 100000; i++) {
		snprintf(id, sizeof(id), "BIG-%06d", i);
		p = parent_of(id, "IBM", 1);
		rc = rules_wr_put_parent(wr, &alice, &p, err);
	}
	assert_int_equal(rc, RULES_EFULL);
	assert_string_equal(err, want);
	/* the batch is dead: everything after says so, and abort is safe */
	p = parent_of("AFTER", "IBM", 1);
	assert_int_equal(rules_wr_put_parent(wr, &alice, &p, err), RULES_EFULL);
	assert_non_null(strstr(err, "abort it"));
	assert_int_equal(rules_wr_put_refpx(wr, &alice, "IBM", 1, err), RULES_EFULL);
	rules_wr_abort(wr);
	/* a dead batch's commit commits nothing and reports why */
	wr = begin_ok(st);
	rc = 0;
	for (i = 0; rc == 0 && i < 100000; i++) {
		snprintf(id, sizeof(id), "BIG-%06d", i);
		p = parent_of(id, "IBM", 1);
		rc = rules_wr_put_parent(wr, &alice, &p, err);
	}
	assert_int_equal(rc, RULES_EFULL);
	assert_int_equal(rules_wr_commit(wr, err), RULES_EFULL);
	assert_non_null(strstr(err, "nothing committed"));
	assert_int_equal(parents_in(st), committed);
	rules_store_close(st);

	/* reopens, verified, with every committed parent and none of the rest */
	st = NULL;
	assert_int_equal(rules_store_open(&st, fx->path, RULES_STORE_RDONLY, mapsize, err), 0);
	assert_int_equal(parents_in(st), committed);
	snprintf(id, sizeof(id), "B%04zu-%02d", committed / 10 - 1, 9);
	assert_int_equal(rules_store_get_parent(st, id, &got), 0);
	snprintf(id, sizeof(id), "B%04zu-%02d", committed / 10, 0);
	assert_int_equal(rules_store_get_parent(st, id, &got), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_parent(st, "BIG-000000", &got), RULES_ENOTFOUND);
	rules_store_close(st);
}

/* ---- damaged files ----------------------------------------------------------------- */

/* A store big enough to span many pages. */
static void populate_big(const char *path)
{
	struct rules_store *st = open_ok(path, RULES_STORE_CREATE);
	struct rules_wr *wr = begin_ok(st);
	char err[RULES_ERRLEN], id[32];

	for (int i = 0; i < 300; i++) {
		struct rules_parent p;

		snprintf(id, sizeof(id), "PARENT-%05d", i);
		p = parent_of(id, "IBM", 100 + i);
		assert_int_equal(rules_wr_put_parent(wr, &alice, &p, err), 0);
	}
	commit_ok(wr);
	rules_store_close(st);
}

static void test_truncated(void **state)
{
	struct fx *fx = *state;
	char *orig, *cut = tu_path(fx->dir, "cut.mdb");
	size_t len, sizes[16], nsizes = 0;
	long psize = 4096;

	populate_big(fx->path);
	orig = tu_read_file(fx->path, &len);
	assert_non_null(orig);
	assert_true(len > (size_t)(8 * psize));
	sizes[nsizes++] = 0;
	sizes[nsizes++] = 1;
	sizes[nsizes++] = 100;
	sizes[nsizes++] = (size_t)psize - 1;
	sizes[nsizes++] = (size_t)psize;
	sizes[nsizes++] = (size_t)psize + 1;
	sizes[nsizes++] = 2 * (size_t)psize;
	sizes[nsizes++] = 3 * (size_t)psize;
	sizes[nsizes++] = len / 2;
	sizes[nsizes++] = len - (size_t)psize;
	sizes[nsizes++] = len - 1;
	for (size_t i = 0; i < nsizes; i++) {
		char *lock = tu_path(fx->dir, "cut.mdb-lock");

		(void)unlink(lock);
		free(lock);
		assert_int_equal(tu_write_file(cut, orig, sizes[i]), 0);
		open_fails(cut, RULES_STORE_RDONLY, RULES_ECORRUPT, "corrupt");
		open_fails(cut, 0, RULES_ECORRUPT, "corrupt");
		open_fails(cut, RULES_STORE_CREATE, RULES_ECORRUPT, "corrupt");
	}
	/* the whole file is still fine */
	assert_int_equal(tu_write_file(cut, orig, len), 0);
	rules_store_close(open_ok(cut, RULES_STORE_RDONLY));
	free(orig);
	free(cut);
}

static void test_truncated_message(void **state)
{
	struct fx *fx = *state;
	char *orig;
	size_t len;

	populate_big(fx->path);
	orig = tu_read_file(fx->path, &len);
	assert_int_equal(tu_write_file(fx->path, orig, len - 4096), 0);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "truncated");
	assert_int_equal(tu_write_file(fx->path, orig, 0), 0);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "empty file");
	free(orig);
}

static void test_garbage(void **state)
{
	struct fx *fx = *state;
	static uint8_t junk[64 * 1024];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u; /* fixed seed: deterministic */
		junk[i] = (uint8_t)(x >> 16);
	}
	assert_int_equal(tu_write_file(fx->path, junk, sizeof(junk)), 0);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "not a usable LMDB file");
	open_fails(fx->path, RULES_STORE_CREATE, RULES_ECORRUPT, "corrupt");
	assert_int_equal(tu_write_file(fx->path, "hello", 5), 0);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "corrupt");
	memset(junk, 0, sizeof(junk));
	assert_int_equal(tu_write_file(fx->path, junk, sizeof(junk)), 0);
	open_fails(fx->path, 0, RULES_ECORRUPT, "corrupt");
}

static void test_flipped_byte(void **state)
{
	struct fx *fx = *state;
	const char *mark = "QQFLIPQQ";
	struct rules_parent p = parent_of("P1", mark, 100);
	struct rules_store *st = open_ok(fx->path, RULES_STORE_CREATE);
	struct rules_wr *wr = begin_ok(st);
	char err[RULES_ERRLEN], *buf;
	size_t len, flips = 0;

	assert_int_equal(rules_wr_put_parent(wr, &alice, &p, err), 0);
	commit_ok(wr);
	rules_store_close(st);
	buf = tu_read_file(fx->path, &len);
	assert_non_null(buf);
	/* the mark is in the parent payload and in the audit record's JSON */
	for (size_t i = 0; i + strlen(mark) <= len; i++) {
		if (memcmp(buf + i, mark, strlen(mark)) == 0) {
			buf[i + 3] ^= 0x01; /* 'F' -> 'G': still a valid id */
			flips++;
		}
	}
	assert_true(flips >= 1);
	assert_int_equal(tu_write_file(fx->path, buf, len), 0);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "CRC mismatch");
	open_fails(fx->path, 0, RULES_ECORRUPT, "CRC mismatch");
	free(buf);
}

/* Writes key -> val into database db of path through LMDB directly. */
static void raw_put(const char *path, const char *db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
	if (val != NULL)
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	else
		assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* A header + payload with a correct CRC: a record that passes the CRC check
 * and must then be refused for what is in it. */
static size_t forge(uint8_t *buf, uint16_t type, uint16_t version, const void *payload,
    size_t plen)
{
	uint32_t crc = rules_crc32c(0, payload, plen);

	for (int i = 0; i < 4; i++)
		buf[i] = (uint8_t)(crc >> (8 * i));
	buf[4] = (uint8_t)type;
	buf[5] = (uint8_t)(type >> 8);
	buf[6] = (uint8_t)version;
	buf[7] = (uint8_t)(version >> 8);
	memcpy(buf + 8, payload, plen);
	return 8 + plen;
}

static void test_schema(void **state)
{
	struct fx *fx = *state;
	uint8_t rec[RULES_REC_BUFLEN], v2[4] = {2, 0, 0, 0}, v0[4] = {0, 0, 0, 0};
	char err[RULES_ERRLEN];
	struct rules_store *st = NULL;
	size_t n;

	populate(fx->path);
	n = forge(rec, RULES_REC_META_U32, 1, v2, sizeof(v2));
	raw_put(fx->path, "meta", "schema_version", 14, rec, n);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ESCHEMA,
	    "schema 2 is newer than this binary's 1");
	open_fails(fx->path, 0, RULES_ESCHEMA, "schema 2 is newer than this binary's 1");
	assert_string_equal(rules_strerror(RULES_ESCHEMA),
	    "store schema is newer than this binary");

	n = forge(rec, RULES_REC_META_U32, 1, v0, sizeof(v0));
	raw_put(fx->path, "meta", "schema_version", 14, rec, n);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "schema_version 0");

	raw_put(fx->path, "meta", "schema_version", 14, NULL, 0);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "no schema_version");
	/* CREATE does not paper over a store that lost its schema */
	open_fails(fx->path, RULES_STORE_CREATE, RULES_ECORRUPT, "no schema_version");

	/* a good one again opens */
	n = rules_rec_enc_u32(rec, RULES_SCHEMA_VERSION);
	raw_put(fx->path, "meta", "schema_version", 14, rec, n);
	assert_int_equal(rules_store_open(&st, fx->path, RULES_STORE_RDONLY, 0, err), 0);
	rules_store_close(st);
}

/* Each forged record, written into a fresh copy of a good store, must make
 * open fail with RULES_ECORRUPT naming why. */
static void test_forged_records(void **state)
{
	struct fx *fx = *state;
	uint8_t rec[RULES_REC_BUFLEN], pay[RULES_REC_BUFLEN];
	struct rules_parent p = parent_of("P1", "IBM", 100);
	struct rules_limits l = limits_of(5, 5);
	char *good, *copy = tu_path(fx->dir, "copy.mdb");
	size_t glen, n;

	populate(fx->path);
	good = tu_read_file(fx->path, &glen);
	assert_non_null(good);

#define CASE(db, key, klen, buf, len, why)                                                         \
	do {                                                                                       \
		char *lock = tu_path(fx->dir, "copy.mdb-lock");                                    \
		(void)unlink(lock);                                                                \
		free(lock);                                                                        \
		assert_int_equal(tu_write_file(copy, good, glen), 0);                              \
		raw_put(copy, db, key, klen, buf, len);                                            \
		open_fails(copy, RULES_STORE_RDONLY, RULES_ECORRUPT, why);                         \
	} while (0)

	/* a parent with qty 0 and a correct CRC: the field check refuses it */
	p.rp_qty = 0;
	n = rules_rec_enc_parent(rec, &p);
	CASE("parents", "P1", 2, rec, n, "parent record fails validation");
	/* a good parent under another key */
	p = parent_of("P1", "IBM", 100);
	n = rules_rec_enc_parent(rec, &p);
	CASE("parents", "P2", 2, rec, n, "under another id's key");
	/* a refpx value stored as a limits record */
	n = rules_rec_enc_limits(rec, &l);
	CASE("refpx", "IBM", 3, rec, n, "wrong record type");
	/* an unknown record version */
	n = forge(rec, RULES_REC_REFPX, 2, "\x01\0\0\0\0\0\0\0", 8);
	CASE("refpx", "IBM", 3, rec, n, "unknown record version");
	/* one trailing byte, CRC made to match */
	memset(pay, 0, sizeof(pay));
	pay[0] = 1;
	n = forge(rec, RULES_REC_REFPX, 1, pay, 9);
	CASE("refpx", "IBM", 3, rec, n, "trailing bytes");
	/* one byte short */
	n = forge(rec, RULES_REC_REFPX, 1, pay, 7);
	CASE("refpx", "IBM", 3, rec, n, "too short");
	/* a negative reference price */
	n = rules_rec_enc_refpx(rec, -5);
	CASE("refpx", "IBM", 3, rec, n, "reference price <= 0");
	/* a value stored for an unset limit */
	n = rules_rec_enc_limits(pay, &l);
	pay[8 + 8 + 8 * RULES_LIM_COLLAR_BPS] = 1;
	n = forge(rec, RULES_REC_LIMITS, 1, pay + 8, n - 8);
	CASE("limits", "\x01" "ACC1", 5, rec, n, "unset limit");
	/* a bad limits key: unknown scope; global with a key */
	n = rules_rec_enc_limits(rec, &l);
	CASE("limits", "\x07" "X", 2, rec, n, "bad scope");
	CASE("limits", "\x00" "X", 2, rec, n, "global limits key with a key");
	/* a key that is not a valid identifier */
	n = rules_rec_enc_refpx(rec, 5);
	CASE("refpx", "I M", 3, rec, n, "bad identifier key");
	/* a NUL inside a key: it read as the id before it, a second P1 (found by
	 * tests/fuzz/fuzz_record.c) */
	CASE("refpx", "IBM\0X", 5, rec, n, "bad identifier key");
	p = parent_of("P1", "IBM", 100);
	n = rules_rec_enc_parent(rec, &p);
	CASE("parents", "P1\0" "2", 4, rec, n, "bad identifier key");
	/* and a NUL inside a parent record's id: "P1" of length 3 read as P1 */
	p = parent_of("P1", "IBM", 100);
	n = rules_rec_enc_parent(pay, &p);
	pay[RULES_REC_HDR_LEN] = 3;
	n = forge(rec, RULES_REC_PARENT, 1, pay + RULES_REC_HDR_LEN, n - RULES_REC_HDR_LEN);
	CASE("parents", "P1", 2, rec, n, "bad identifier in parent record");
	/* a restricted reason with a control character */
	n = forge(rec, RULES_REC_RESTRICTED, 1, "\x03\0a\nb", 5);
	CASE("restricted", "XYZ", 3, rec, n, "invalid reason");
	/* an audit record under the wrong seq */
	CASE("audit", "\0\0\0\0\0\0\0\x09", 8, rec, n, "wrong record type");
	/* an unknown meta key and an unknown database */
	n = rules_rec_enc_u32(rec, 1);
	CASE("meta", "colour", 6, rec, n, "unknown meta key");
	CASE("extra", "k", 1, rec, n, "unknown database 'extra'");
#undef CASE
	free(good);
	free(copy);
}

static void test_lmdb_without_store(void **state)
{
	struct fx *fx = *state;
	MDB_env *env;
	struct rules_store *st;

	/* an LMDB file that never had a rules store in it */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, fx->path, MDB_NOSUBDIR, 0600), 0);
	mdb_env_close(env);
	open_fails(fx->path, RULES_STORE_RDONLY, RULES_ECORRUPT, "without a rules store");
	open_fails(fx->path, 0, RULES_ECORRUPT, "without a rules store");
	/* CREATE initialises it (an interrupted first start) */
	st = open_ok(fx->path, RULES_STORE_CREATE);
	rules_store_close(st);
	st = open_ok(fx->path, RULES_STORE_RDONLY);
	rules_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_trail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_and_batch_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lmdb_without_store, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
