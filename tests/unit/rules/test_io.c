/*
 * test_io.c - import and export of the limit set (io.h): JSON and CSV round
 * trips, every class of bad input (named error, store unchanged), merge vs
 * replace, dry run, CSV quoting and line ends, a 10,000-parent import.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixed.h"
#include "io.h"
#include "rules.h"
#include "store.h"
#include "../testutil.h"

#define MAPSIZE ((size_t)512 << 20)

static const struct rules_actor alice = {"alice", "quarterly limits review"};

struct fx {
	char *dir;
	char *path;
	struct rules_store *st;
};

static struct rules_store *open_store(const char *path)
{
	char err[RULES_ERRLEN] = "";
	struct rules_store *st = NULL;
	int rc = rules_store_open(&st, path, RULES_STORE_CREATE, MAPSIZE, err);

	if (rc != 0)
		fail_msg("open %s: %d %s", path, rc, err);
	return st;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->dir = tu_mkdtemp("io");
	fx->path = tu_path(fx->dir, "rules.mdb");
	fx->st = open_store(fx->path);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	rules_store_close(fx->st);
	tu_rmtree(fx->dir);
	free(fx->path);
	free(fx->dir);
	free(fx);
	return 0;
}

/* JSON written with ' for " to keep the C literals readable. */
static char *q(const char *s)
{
	char *d = strdup(s), *p;

	assert_non_null(d);
	for (p = d; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static int import_json(struct rules_store *st, const char *text, unsigned flags,
                       char err[RULES_ERRLEN])
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	err[0] = '\0';
	rc = rules_import_json(st, &alice, f, flags, err);
	fclose(f);
	return rc;
}

/* Imports JSON written with ' for ". */
static int import_q(struct rules_store *st, const char *text, unsigned flags,
                    char err[RULES_ERRLEN])
{
	char *t = q(text);
	int rc = import_json(st, t, flags, err);

	free(t);
	return rc;
}

static int import_csv(struct rules_store *st, const char *text, unsigned flags,
                      char err[RULES_ERRLEN])
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	err[0] = '\0';
	rc = rules_import_parents_csv(st, &alice, f, flags, err);
	fclose(f);
	return rc;
}

static char *export_json(struct rules_store *st)
{
	char err[RULES_ERRLEN] = "", *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	assert_non_null(f);
	rc = rules_export_json(st, f, err);
	fclose(f);
	if (rc != 0)
		fail_msg("export: %d %s", rc, err);
	return buf;
}

static char *export_csv(struct rules_store *st)
{
	char err[RULES_ERRLEN] = "", *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	assert_non_null(f);
	rc = rules_export_parents_csv(st, f, err);
	fclose(f);
	if (rc != 0)
		fail_msg("export csv: %d %s", rc, err);
	return buf;
}

static int count_cb(void *arg, const struct rules_parent *p)
{
	(void)p;
	(*(size_t *)arg)++;
	return 0;
}

static size_t count_parents(struct rules_store *st)
{
	size_t n = 0;

	assert_int_equal(rules_store_foreach_parent(st, count_cb, &n), 0);
	return n;
}

static int audit_cb(void *arg, const struct rules_audit *a)
{
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

static size_t count_audit(struct rules_store *st)
{
	size_t n = 0;

	assert_int_equal(rules_store_foreach_audit(st, 0, audit_cb, &n), 0);
	return n;
}

/* What must not change when an import fails or is a dry run. */
struct snap {
	uint64_t txnid;
	char *json;
	char *csv;
	size_t audit;
};

static void snap_take(struct rules_store *st, struct snap *s)
{
	s->txnid = rules_store_last_txnid(st);
	s->json = export_json(st);
	s->csv = export_csv(st);
	s->audit = count_audit(st);
}

static void snap_free(struct snap *s)
{
	free(s->json);
	free(s->csv);
}

static void assert_unchanged(struct rules_store *st, struct snap *before, const char *what)
{
	struct snap after;

	snap_take(st, &after);
	if (after.txnid != before->txnid || strcmp(after.json, before->json) != 0 ||
	    strcmp(after.csv, before->csv) != 0 || after.audit != before->audit)
		fail_msg("store changed by: %s", what);
	snap_free(&after);
}

/* ---- a full document ------------------------------------------------------ */

/* Every section, optional fields present and absent, ids that need CSV
 * quoting. Keys in the order the export writes them. */
static const char full_doc[] =
    "{'format':'riskgw-limits','version':1,"
    "'limits':["
    "{'scope':'global','key':'','limits':{"
    "'order_qty':{'value':10000,'action':'reject'},"
    "'order_notional':{'value':'1000000.5','action':'trip'},"
    "'collar_bps':{'value':500,'action':'reject'},"
    "'parent_qty':{'value':1000000,'action':'trip'}}},"
    "{'scope':'account','key':'ACC1','limits':{"
    "'account_notional':{'value':'25000000','action':'reject'}}},"
    "{'scope':'symbol','key':'IBM','limits':{'collar_abs':{'value':'2.5','action':'reject'}}},"
    "{'scope':'parent','key':'P1','limits':{'parent_rate':{'value':50,'action':'reject'}}}"
    "],"
    "'parents':["
    "{'id':'P1','account':'ACC1','symbol':'IBM','side':'buy','qty':1000,"
    "'limit_px':'150.25','max_notional':'150250','max_rate':10,"
    "'trip':['qty','notional','rate']},"
    "{'id':'P,2','account':'ACC1','symbol':'MSFT','side':'sell_short','qty':5,"
    "'trip':[]},"
    "{'id':'P\\'3','account':'AC,C2','symbol':'IBM','side':'sell_short_exempt','qty':7,"
    "'max_rate':3,'trip':['notional']}"
    "],"
    "'ref_prices':[{'symbol':'IBM','px':'150.25'},{'symbol':'MSFT','px':'0.000001'}],"
    "'restricted':[{'symbol':'XYZ','reason':'under investigation (\\u00e9)'}]}";

static void test_empty_export(void **state)
{
	struct fx *fx = *state;
	char *j = export_json(fx->st), *c = export_csv(fx->st);

	assert_string_equal(j, "{\n  \"format\": \"riskgw-limits\",\n  \"version\": 1,\n"
	                       "  \"limits\": [],\n  \"parents\": [],\n  \"ref_prices\": [],\n"
	                       "  \"restricted\": []\n}\n");
	assert_string_equal(c, "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\n");
	free(j);
	free(c);
}

static void test_json_roundtrip(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], *p2 = tu_path(fx->dir, "two.mdb"), *e1, *e2;
	struct rules_store *st2;
	struct rules_parent p;
	struct rules_limits l;
	char reason[RULES_REASON_MAX + 1];
	int64_t px;

	assert_int_equal(import_q(fx->st, full_doc, 0, err), 0);

	/* values landed exactly */
	assert_int_equal(rules_store_get_parent(fx->st, "P1", &p), 0);
	assert_int_equal(p.rp_side, '1');
	assert_int_equal(p.rp_qty, 1000);
	assert_int_equal(p.rp_limit_px, INT64_C(150250000));
	assert_int_equal(p.rp_max_notional, INT64_C(150250) * RULES_PX_SCALE);
	assert_int_equal(p.rp_max_rate, 10);
	assert_int_equal(p.rp_trip, RULES_TRIP_DEFAULT);
	assert_int_equal(rules_store_get_parent(fx->st, "P,2", &p), 0);
	assert_int_equal(p.rp_side, '5');
	assert_int_equal(p.rp_trip, 0);
	assert_int_equal(p.rp_limit_px, 0);
	assert_int_equal(rules_store_get_parent(fx->st, "P\"3", &p), 0);
	assert_string_equal(p.rp_account, "AC,C2");
	assert_int_equal(p.rp_trip, RULES_BIT(RULES_LIM_PARENT_NOTIONAL));
	assert_int_equal(rules_store_get_limits(fx->st, RULES_SCOPE_GLOBAL, "", &l), 0);
	assert_int_equal(l.rl_val[RULES_LIM_ORDER_NOTIONAL], INT64_C(1000000500000));
	assert_true(l.rl_trip & RULES_BIT(RULES_LIM_ORDER_NOTIONAL));
	assert_false(l.rl_trip & RULES_BIT(RULES_LIM_ORDER_QTY));
	assert_int_equal(rules_store_get_refpx(fx->st, "MSFT", &px), 0);
	assert_int_equal(px, 1);
	assert_int_equal(rules_store_get_restricted(fx->st, "XYZ", reason), 0);
	assert_string_equal(reason, "under investigation (\xc3\xa9)");

	/* export -> import (replace) into an empty store -> same export */
	e1 = export_json(fx->st);
	st2 = open_store(p2);
	assert_int_equal(import_json(st2, e1, RULES_IMPORT_REPLACE, err), 0);
	e2 = export_json(st2);
	assert_string_equal(e1, e2);
	free(e2);

	/* and again into the same store: replace with itself changes nothing
	 * but the audit log */
	assert_int_equal(import_json(fx->st, e1, RULES_IMPORT_REPLACE, err), 0);
	e2 = export_json(fx->st);
	assert_string_equal(e1, e2);
	free(e2);

	/* the CSV of the parents round trips too (quoted ids included) */
	free(e1);
	e1 = export_csv(fx->st);
	/* key order is byte order: '"' < ',' < '1' */
	assert_string_equal(e1, "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\n"
	                        "\"P\"\"3\",\"AC,C2\",IBM,sell_short_exempt,7,,,3,notional\n"
	                        "\"P,2\",ACC1,MSFT,sell_short,5,,,,none\n"
	                        "P1,ACC1,IBM,buy,1000,150.25,150250,10,qty|notional|rate\n");
	free(e1);
	rules_store_close(st2);
	free(p2);
}

/* The export is a fixed, documented layout (docs/limits-format.md). */
static void test_export_layout(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], *e;

	assert_int_equal(import_q(fx->st,
	                          "{'format':'riskgw-limits','version':1,'limits':[],"
	                          "'parents':[{'id':'P1','account':'A','symbol':'IBM','side':'buy',"
	                          "'qty':10}],'ref_prices':[{'symbol':'IBM','px':'150.250'}],"
	                          "'restricted':[]}",
	                          0, err),
	                 0);
	e = export_json(fx->st);
	assert_string_equal(e, "{\n  \"format\": \"riskgw-limits\",\n  \"version\": 1,\n"
	                       "  \"limits\": [],\n  \"parents\": [\n    {\n"
	                       "      \"id\": \"P1\",\n      \"account\": \"A\",\n"
	                       "      \"symbol\": \"IBM\",\n      \"side\": \"buy\",\n"
	                       "      \"qty\": 10,\n      \"trip\": [\n        \"qty\",\n"
	                       "        \"notional\",\n        \"rate\"\n      ]\n    }\n  ],\n"
	                       "  \"ref_prices\": [\n    {\n      \"symbol\": \"IBM\",\n"
	                       "      \"px\": \"150.25\"\n    }\n  ],\n  \"restricted\": []\n}\n");
	free(e);
}

/* ---- bad JSON: named error, nothing changed -------------------------------- */

struct bad {
	const char *doc; /* ' for " */
	int rc;          /* 0: any error */
	const char *msg; /* substring of err */
};

#define DOC(limits, parents, refpx, restricted)                                                    \
	"{'format':'riskgw-limits','version':1,'limits':[" limits "],'parents':[" parents          \
	"],'ref_prices':[" refpx "],'restricted':[" restricted "]}"
#define PAR(extra) "{'id':'N1','account':'A','symbol':'IBM','side':'buy','qty':100" extra "}"
#define OKPAR      "{'id':'N0','account':'A','symbol':'IBM','side':'buy','qty':1}"

static const struct bad bad_json[] = {
    /* syntax and decoder checks */
    {"", RULES_EPARSE, "JSON line"},
    {"{", RULES_EPARSE, "JSON line 1"},
    {"[]", RULES_EPARSE, "must be an object"},
    {DOC("", "", "", "") " x", RULES_EPARSE, "JSON line"},
    {"{'format':'riskgw-limits','format':'riskgw-limits'}", RULES_EPARSE, "duplicate"},
    {DOC("", PAR(",'qty':5"), "", ""), RULES_EPARSE, "duplicate"},
    {DOC("", PAR(",'max_rate':NaN"), "", ""), RULES_EPARSE, "JSON line"},
    {DOC("", PAR(",'max_rate':Infinity"), "", ""), RULES_EPARSE, "JSON line"},
    {DOC("", PAR(",'max_rate':99999999999999999999"), "", ""), RULES_EPARSE, "too big"},
    {DOC("", PAR(",'max_rate':1e400"), "", ""), RULES_EPARSE, "overflow"},
    {DOC("", "", "", "{'symbol':'X\\u0000Y','reason':'r'}"), RULES_EPARSE, "NUL"},
    /* the envelope */
    {"{'format':'riskgw-limits','version':1,'limits':[],'parents':[],'ref_prices':[],"
     "'restricted':[],'extra':1}",
     RULES_EPARSE, "extra: unknown key"},
    {"{'format':'riskgw-limits','version':1,'limits':[],'parents':[],'ref_prices':[]}",
     RULES_EPARSE, "missing key \"restricted\""},
    {"{'format':'other','version':1,'limits':[],'parents':[],'ref_prices':[],'restricted':[]}",
     RULES_EPARSE, "format: must be \"riskgw-limits\""},
    {"{'format':'riskgw-limits','version':2,'limits':[],'parents':[],'ref_prices':[],"
     "'restricted':[]}",
     RULES_ESCHEMA, "version: 2 is not supported"},
    {"{'format':'riskgw-limits','version':1.0,'limits':[],'parents':[],'ref_prices':[],"
     "'restricted':[]}",
     RULES_EPARSE, "version: must be an integer"},
    {"{'format':'riskgw-limits','version':1,'limits':{},'parents':[],'ref_prices':[],"
     "'restricted':[]}",
     RULES_EPARSE, "limits: must be an array"},
    /* parents */
    {DOC("", OKPAR "," PAR(",'qtyy':1"), "", ""), RULES_EPARSE, "parents[1].qtyy: unknown key"},
    {DOC("", "{'id':'N1','account':'A','symbol':'IBM','side':'buy','qtyy':1}", "", ""),
     RULES_EPARSE, "parents[0].qtyy: unknown key"},
    {DOC("", "{'id':'N1','account':'A','symbol':'IBM','side':'buy'}", "", ""), RULES_EPARSE,
     "parents[0].qty: missing"},
    {DOC("", "1", "", ""), RULES_EPARSE, "parents[0]: must be an object"},
    {DOC("", "{'id':'N1','account':'A','symbol':'IBM','side':'buy','qty':100.0}", "", ""),
     RULES_EPARSE, "parents[0].qty: must be an integer"},
    {DOC("", "{'id':'N1','account':'A','symbol':'IBM','side':'buy','qty':-5}", "", ""),
     RULES_ERANGE, "parents[0].qty: must be > 0"},
    {DOC("", "{'id':'N1','account':'A','symbol':'IBM','side':'buy','qty':0}", "", ""), RULES_ERANGE,
     "parents[0].qty: must be > 0"},
    {DOC("", PAR(",'limit_px':150.25"), "", ""), RULES_EPARSE,
     "parents[0].limit_px: must be a decimal string"},
    {DOC("", PAR(",'limit_px':'1.0000001'"), "", ""), RULES_EPARSE, "parents[0].limit_px:"},
    {DOC("", PAR(",'limit_px':'-1'"), "", ""), RULES_EPARSE, "parents[0].limit_px:"},
    {DOC("", PAR(",'max_notional':'99999999999999999999'"), "", ""), RULES_ERANGE,
     "parents[0].max_notional: too large"},
    {DOC("", PAR(",'max_rate':100001"), "", ""), RULES_ERANGE, "parents[0].max_rate:"},
    {DOC("", "{'id':'N1','account':'A','symbol':'IBM','side':'short','qty':1}", "", ""),
     RULES_EINVAL, "parents[0].side:"},
    {DOC("", "{'id':'N 1','account':'A','symbol':'IBM','side':'buy','qty':1}", "", ""), 0,
     "parents[0].id:"},
    {DOC("", PAR(",'trip':['qty','foo']"), "", ""), 0, "parents[0].trip[1]: unknown"},
    {DOC("", OKPAR "," OKPAR, "", ""), RULES_EEXIST,
     "parents[1]: duplicate parent id \"N0\" (also at parents[0])"},
    /* limits */
    {DOC("{'scope':'global','key':'','limits':{'order_qty':{'value':0}}}", "", "", ""),
     RULES_ERANGE, "limits[0].limits.order_qty.value: must be > 0"},
    {DOC("{'scope':'global','key':'','limits':{'order_qty':{'value':1,'action':'kill'}}}", "", "",
         ""),
     0, "limits[0].limits.order_qty.action:"},
    {DOC("{'scope':'global','key':'','limits':{'bogus':{'value':1}}}", "", "", ""), 0,
     "limits[0].limits.bogus: unknown limit"},
    {DOC("{'scope':'global','key':'','limits':{'order_notional':{'value':1.5}}}", "", "", ""),
     RULES_EPARSE, "limits[0].limits.order_notional.value: must be a decimal string"},
    {DOC("{'scope':'global','key':'','limits':[]}", "", "", ""), RULES_EPARSE,
     "limits[0].limits: must be an object"},
    {DOC("{'scope':'global','key':'','limits':{},'x':1}", "", "", ""), RULES_EPARSE,
     "limits[0].x: unknown key"},
    {DOC("{'scope':'global','limits':{}}", "", "", ""), RULES_EPARSE,
     "limits[0]: missing key \"key\""},
    {DOC("{'scope':'world','key':'','limits':{}}", "", "", ""), RULES_EINVAL,
     "limits[0].scope: unknown scope"},
    {DOC("{'scope':'global','key':'G','limits':{}}", "", "", ""), RULES_EINVAL,
     "limits[0].key: must be \"\""},
    {DOC("{'scope':'account','key':'','limits':{}}", "", "", ""), RULES_EINVAL,
     "limits[0].key: must be 1..64"},
    {DOC("{'scope':'account','key':'A','limits':{'order_qty':{'value':1}}},"
         "{'scope':'symbol','key':'A','limits':{'order_qty':{'value':1}}},"
         "{'scope':'account','key':'A','limits':{'order_qty':{'value':2}}}",
         "", "", ""),
     RULES_EEXIST, "limits[2]: duplicate limits for account \"A\" (also at limits[0])"},
    /* reference prices */
    {DOC("", "", "{'symbol':'IBM','px':150.25}", ""), RULES_EPARSE,
     "ref_prices[0].px: must be a decimal string"},
    {DOC("", "", "{'symbol':'IBM','px':'0'}", ""), RULES_ERANGE, "ref_prices[0].px: must be > 0"},
    {DOC("", "", "{'symbol':'IBM','px':'nan'}", ""), RULES_EPARSE, "ref_prices[0].px:"},
    {DOC("", "", "{'symbol':'IBM'}", ""), RULES_EPARSE, "ref_prices[0]: missing key \"px\""},
    {DOC("", "", "{'symbol':'I M','px':'1'}", ""), RULES_EINVAL, "ref_prices[0].symbol:"},
    {DOC("", "", "{'symbol':'IBM','px':'1','when':1}", ""), RULES_EPARSE,
     "ref_prices[0].when: unknown key"},
    {DOC("", "", "{'symbol':'IBM','px':'1'},{'symbol':'A','px':'1'},{'symbol':'IBM','px':'2'}", ""),
     RULES_EEXIST, "ref_prices[2]: duplicate symbol \"IBM\" (also at ref_prices[0])"},
    /* restricted */
    {DOC("", "", "", "{'symbol':'X','reason':''}"), RULES_EINVAL, "restricted[0].reason:"},
    {DOC("", "", "", "{'symbol':'X','reason':'a\\u0001b'}"), RULES_EINVAL, "restricted[0].reason:"},
    {DOC("", "", "", "{'symbol':'X','reason':1}"), RULES_EPARSE, "restricted[0].reason:"},
    {DOC("", "", "", "{'symbol':'X','reason':'a'},{'symbol':'X','reason':'b'}"), RULES_EEXIST,
     "restricted[1]: duplicate symbol \"X\" (also at restricted[0])"},
};

static void test_json_bad(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN];
	struct snap before;
	size_t i;

	assert_int_equal(import_q(fx->st, full_doc, 0, err), 0);
	snap_take(fx->st, &before);
	for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		static const unsigned flags[] = {0, RULES_IMPORT_REPLACE, RULES_IMPORT_DRYRUN};

		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			int rc = import_q(fx->st, bad_json[i].doc, flags[f], err);

			if (rc == 0 || (bad_json[i].rc != 0 && rc != bad_json[i].rc) ||
			    strstr(err, bad_json[i].msg) == NULL)
				fail_msg("case %zu flags %u: rc %d err \"%s\", want %d \"%s\"", i,
				         flags[f], rc, err, bad_json[i].rc, bad_json[i].msg);
			assert_unchanged(fx->st, &before, bad_json[i].doc);
		}
	}
	snap_free(&before);
}

/* A bad element after many good ones: none of the good ones is written. */
static void test_json_bad_late(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], *doc, *p;
	struct snap before;
	size_t i, cap = 200 * 100 + 256;

	doc = p = malloc(cap);
	assert_non_null(doc);
	p += sprintf(p, "{\"format\":\"riskgw-limits\",\"version\":1,\"limits\":[],\"parents\":[");
	for (i = 0; i < 200; i++)
		p += sprintf(p,
		             "%s{\"id\":\"L%zu\",\"account\":\"A\",\"symbol\":\"S\","
		             "\"side\":\"buy\",\"qty\":%s}",
		             i ? "," : "", i, i == 199 ? "-1" : "1");
	sprintf(p, "],\"ref_prices\":[],\"restricted\":[]}");
	snap_take(fx->st, &before);
	assert_int_equal(import_json(fx->st, doc, 0, err), RULES_ERANGE);
	assert_string_equal(err, "parents[199].qty: must be > 0");
	assert_unchanged(fx->st, &before, "late error");
	assert_int_equal(count_parents(fx->st), 0);
	snap_free(&before);
	free(doc);
}

static void test_bad_actor(void **state)
{
	struct fx *fx = *state;
	static const struct rules_actor nobody = {"", "why"}, noreason = {"bob", ""};
	char err[RULES_ERRLEN], *doc = q(DOC("", OKPAR, "", ""));
	struct snap before;
	FILE *f;

	snap_take(fx->st, &before);
	f = fmemopen(doc, strlen(doc), "r");
	assert_int_equal(rules_import_json(fx->st, &nobody, f, 0, err), RULES_EINVAL);
	assert_non_null(strstr(err, "who"));
	rewind(f);
	assert_int_equal(rules_import_json(fx->st, &noreason, f, 0, err), RULES_EINVAL);
	assert_non_null(strstr(err, "reason"));
	rewind(f);
	assert_int_equal(rules_import_json(fx->st, &alice, f, 0x80, err), RULES_EINVAL);
	rewind(f);
	assert_int_equal(rules_import_parents_csv(fx->st, &nobody, f, 0, err), RULES_EINVAL);
	fclose(f);
	assert_unchanged(fx->st, &before, "bad actor");
	snap_free(&before);
	free(doc);
}

/* ---- merge, replace, dry run ------------------------------------------------ */

static const char base_doc[] =
    DOC("{'scope':'account','key':'A','limits':{'order_qty':{'value':100}}},"
        "{'scope':'account','key':'B','limits':{'order_qty':{'value':200}}}",
        "{'id':'P1','account':'A','symbol':'IBM','side':'buy','qty':10},"
        "{'id':'P2','account':'A','symbol':'IBM','side':'buy','qty':20}",
        "{'symbol':'IBM','px':'150'}", "{'symbol':'BAD','reason':'no'}");

static const char update_doc[] =
    DOC("{'scope':'account','key':'B','limits':{'order_qty':{'value':250}}}",
        "{'id':'P2','account':'A','symbol':'IBM','side':'sell','qty':25},"
        "{'id':'P3','account':'A','symbol':'IBM','side':'buy','qty':30}",
        "", "");

static void test_merge(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], reason[RULES_REASON_MAX + 1];
	struct rules_parent p;
	struct rules_limits l;
	int64_t px;

	assert_int_equal(import_q(fx->st, base_doc, 0, err), 0);
	assert_int_equal(import_q(fx->st, update_doc, 0, err), 0);
	assert_int_equal(rules_store_get_parent(fx->st, "P1", &p), 0);
	assert_int_equal(p.rp_qty, 10);
	assert_int_equal(rules_store_get_parent(fx->st, "P2", &p), 0);
	assert_int_equal(p.rp_qty, 25);
	assert_int_equal(p.rp_side, '2');
	assert_int_equal(rules_store_get_parent(fx->st, "P3", &p), 0);
	assert_int_equal(rules_store_get_limits(fx->st, RULES_SCOPE_ACCOUNT, "A", &l), 0);
	assert_int_equal(l.rl_val[RULES_LIM_ORDER_QTY], 100);
	assert_int_equal(rules_store_get_limits(fx->st, RULES_SCOPE_ACCOUNT, "B", &l), 0);
	assert_int_equal(l.rl_val[RULES_LIM_ORDER_QTY], 250);
	assert_int_equal(rules_store_get_refpx(fx->st, "IBM", &px), 0);
	assert_int_equal(rules_store_get_restricted(fx->st, "BAD", reason), 0);
}

static void test_replace(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN];
	struct rules_parent p;
	struct rules_limits l;
	int64_t px;
	size_t audit;

	assert_int_equal(import_q(fx->st, base_doc, 0, err), 0);
	audit = count_audit(fx->st);
	assert_int_equal(import_q(fx->st, update_doc, RULES_IMPORT_REPLACE, err), 0);
	assert_int_equal(rules_store_get_parent(fx->st, "P1", &p), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_parent(fx->st, "P2", &p), 0);
	assert_int_equal(p.rp_qty, 25);
	assert_int_equal(rules_store_get_parent(fx->st, "P3", &p), 0);
	assert_int_equal(rules_store_get_limits(fx->st, RULES_SCOPE_ACCOUNT, "A", &l),
	                 RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_limits(fx->st, RULES_SCOPE_ACCOUNT, "B", &l), 0);
	assert_int_equal(rules_store_get_refpx(fx->st, "IBM", &px), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_restricted(fx->st, "BAD", NULL), RULES_ENOTFOUND);
	/* one audit record for the clear, one per record written */
	assert_int_equal(count_audit(fx->st), audit + 1 + 3);
}

static int who_cb(void *arg, const struct rules_audit *a)
{
	size_t *n = arg;

	if (strcmp(a->ra_who, alice.ra_who) == 0 && strcmp(a->ra_reason, alice.ra_reason) == 0)
		(*n)++;
	return 0;
}

static void test_audit_actor(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN];
	size_t n = 0;

	assert_int_equal(import_q(fx->st, base_doc, 0, err), 0);
	assert_int_equal(rules_store_foreach_audit(fx->st, 0, who_cb, &n), 0);
	assert_int_equal(n, 2 + 2 + 1 + 1);
	assert_int_equal(count_audit(fx->st), n);
}

static void test_dryrun(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN];
	struct snap before;

	assert_int_equal(import_q(fx->st, base_doc, 0, err), 0);
	snap_take(fx->st, &before);
	assert_int_equal(import_q(fx->st, update_doc, RULES_IMPORT_DRYRUN, err), 0);
	assert_unchanged(fx->st, &before, "json dry run");
	assert_int_equal(
	    import_q(fx->st, update_doc, RULES_IMPORT_DRYRUN | RULES_IMPORT_REPLACE, err), 0);
	assert_unchanged(fx->st, &before, "json dry run replace");
	assert_int_equal(
	    import_csv(fx->st,
	               "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\n"
	               "P9,A,IBM,buy,1,,,,\n",
	               RULES_IMPORT_DRYRUN | RULES_IMPORT_REPLACE, err),
	    0);
	assert_unchanged(fx->st, &before, "csv dry run replace");
	/* a dry run reports the errors a real import would */
	assert_int_equal(
	    import_q(fx->st, DOC("", PAR(",'qtyy':1"), "", ""), RULES_IMPORT_DRYRUN, err),
	    RULES_EPARSE);
	assert_string_equal(err, "parents[0].qtyy: unknown key");
	snap_free(&before);
}

/* ---- CSV ----------------------------------------------------------------- */

#define HDR "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip"

static void test_csv_import(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], *c, *p2 = tu_path(fx->dir, "two.mdb"), *c2;
	struct rules_store *st2;
	struct rules_parent p;
	FILE *f;

	/* CRLF, quoted fields ("" inside), empty optional columns, every trip
	 * form, no line end on the last line */
	assert_int_equal(import_csv(fx->st,
	                            HDR
	                            "\r\n"
	                            "P1,ACC1,IBM,buy,1000,150.25,150250,10,\r\n"
	                            "\"P,2\",ACC1,MSFT,sell,5,,,,none\r\n"
	                            "\"P\"\"3\",\"AC,C2\",IBM,sell_short_exempt,7,,,3,notional\n"
	                            "\"P4\",A,\"IBM\",sell_short,100.00,0.5,,,rate|qty",
	                            0, err),
	                 0);
	assert_int_equal(rules_store_get_parent(fx->st, "P1", &p), 0);
	assert_int_equal(p.rp_limit_px, INT64_C(150250000));
	assert_int_equal(p.rp_trip, RULES_TRIP_DEFAULT); /* empty trip column: the safe default */
	assert_int_equal(rules_store_get_parent(fx->st, "P,2", &p), 0);
	assert_int_equal(p.rp_trip, 0);
	assert_int_equal(p.rp_max_rate, 0);
	assert_int_equal(rules_store_get_parent(fx->st, "P\"3", &p), 0);
	assert_string_equal(p.rp_account, "AC,C2");
	assert_int_equal(p.rp_max_rate, 3);
	assert_int_equal(rules_store_get_parent(fx->st, "P4", &p), 0);
	assert_int_equal(p.rp_qty, 100);
	assert_int_equal(p.rp_side, '5');
	assert_int_equal(p.rp_trip,
	                 RULES_BIT(RULES_LIM_PARENT_QTY) | RULES_BIT(RULES_LIM_PARENT_RATE));

	c = export_csv(fx->st);
	assert_string_equal(c, HDR "\n"
	                           "\"P\"\"3\",\"AC,C2\",IBM,sell_short_exempt,7,,,3,notional\n"
	                           "\"P,2\",ACC1,MSFT,sell,5,,,,none\n"
	                           "P1,ACC1,IBM,buy,1000,150.25,150250,10,qty|notional|rate\n"
	                           "P4,A,IBM,sell_short,100,0.5,,,qty|rate\n");
	/* the export imports back to the same parents */
	st2 = open_store(p2);
	f = fmemopen(c, strlen(c), "r");
	assert_int_equal(rules_import_parents_csv(st2, &alice, f, 0, err), 0);
	fclose(f);
	c2 = export_csv(st2);
	assert_string_equal(c, c2);
	free(c2);
	c2 = export_json(st2);
	free(c);
	c = export_json(fx->st);
	assert_string_equal(c, c2);
	free(c);
	free(c2);
	rules_store_close(st2);
	free(p2);
}

static void test_csv_header_only(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN];

	assert_int_equal(import_q(fx->st, base_doc, 0, err), 0);
	assert_int_equal(import_csv(fx->st, HDR "\n", 0, err), 0);
	assert_int_equal(count_parents(fx->st), 2);
	assert_int_equal(import_csv(fx->st, HDR, RULES_IMPORT_REPLACE, err), 0);
	assert_int_equal(count_parents(fx->st), 0);
}

static void test_csv_replace(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN];
	struct rules_parent p;
	struct rules_limits l;
	int64_t px;

	assert_int_equal(import_q(fx->st, base_doc, 0, err), 0);
	assert_int_equal(import_csv(fx->st, HDR "\nP2,A,IBM,sell,22,,,,\nP3,A,IBM,buy,33,,,,\n",
	                            RULES_IMPORT_REPLACE, err),
	                 0);
	assert_int_equal(rules_store_get_parent(fx->st, "P1", &p), RULES_ENOTFOUND);
	assert_int_equal(rules_store_get_parent(fx->st, "P2", &p), 0);
	assert_int_equal(p.rp_qty, 22);
	assert_int_equal(rules_store_get_parent(fx->st, "P3", &p), 0);
	/* CSV replace is about parents only: the rest stays */
	assert_int_equal(rules_store_get_limits(fx->st, RULES_SCOPE_ACCOUNT, "A", &l), 0);
	assert_int_equal(rules_store_get_refpx(fx->st, "IBM", &px), 0);
	assert_int_equal(rules_store_get_restricted(fx->st, "BAD", NULL), 0);

	/* merge keeps what the file does not name */
	assert_int_equal(import_csv(fx->st, HDR "\nP4,A,IBM,buy,44,,,,\n", 0, err), 0);
	assert_int_equal(count_parents(fx->st), 3);
}

static const struct bad bad_csv[] = {
    {"", RULES_EPARSE, "empty input"},
    {"id,account,symbol,side,qty\nP1,A,IBM,buy,1\n", RULES_EPARSE,
     "line 1: the header must be exactly"},
    {"\xef\xbb\xbf" HDR "\n", RULES_EPARSE, "line 1: starts with a UTF-8 byte order mark"},
    {HDR "\nP1,A,IBM,buy,1,,,\n", RULES_EPARSE, "line 2: 8 fields, expected 9"},
    {HDR "\nP1,A,IBM,buy,1,,,,,\n", RULES_EPARSE, "line 2: 10 fields, expected 9"},
    {HDR "\nP1,A,IBM,buy,1,,,,,x,y\n", RULES_EPARSE, "line 2: 11 fields, expected 9"},
    {HDR "\nP1,A,IBM,buy,1,,,,\nP2,A,IBM,buy,abc,,,,\n", RULES_EPARSE,
     "line 3, column 5 (qty): \"abc\" is not a whole number"},
    {HDR "\nP1,A,IBM,buy,-5,,,,\n", RULES_EPARSE, "line 2, column 5 (qty):"},
    {HDR "\nP1,A,IBM,buy,,,,,\n", RULES_EPARSE, "line 2, column 5 (qty): must not be empty"},
    {HDR "\nP1,A,IBM,buy,0,,,,\n", RULES_ERANGE, "line 2: qty: must be > 0"},
    {HDR "\nP1,A,IBM,buy,1.5,,,,\n", RULES_EPARSE, "line 2, column 5 (qty):"},
    {HDR "\nP1,A,IBM,buy,99999999999999999999,,,,\n", RULES_ERANGE,
     "line 2, column 5 (qty): \"99999999999999999999\" is too large"},
    {HDR "\nP1,A,IBM,purchase,1,,,,\n", RULES_EINVAL, "line 2, column 4 (side):"},
    {HDR "\nP1,A,IBM,buy,1,1.0000001,,,\n", RULES_EPARSE, "line 2, column 6 (limit_px):"},
    {HDR "\nP1,A,IBM,buy,1,,1e6,,\n", RULES_EPARSE, "line 2, column 7 (max_notional):"},
    {HDR "\nP1,A,IBM,buy,1,,99999999999999999999,,\n", RULES_ERANGE,
     "line 2, column 7 (max_notional): \"99999999999999999999\" is too large"},
    {HDR "\nP1,A,IBM,buy,1,,,100001,\n", RULES_ERANGE, "line 2: max_rate:"},
    {HDR "\nP1,A,IBM,buy,1,,,,qty|qty\n", RULES_EINVAL,
     "line 2, column 9 (trip): \"qty\" given twice"},
    {HDR "\nP1,A,IBM,buy,1,,,,qty|kill\n", RULES_EINVAL,
     "line 2, column 9 (trip): unknown trip \"kill\""},
    {HDR "\nP1,A,IBM,buy,1,,,,qty|\n", RULES_EINVAL, "line 2, column 9 (trip): unknown trip \"\""},
    {HDR "\n,A,IBM,buy,1,,,,\n", RULES_EINVAL, "line 2, column 1 (id):"},
    {HDR "\nP1,,IBM,buy,1,,,,\n", RULES_EINVAL, "line 2, column 2 (account):"},
    {HDR "\nP1,A,I M,buy,1,,,,\n", RULES_EINVAL, "line 2, column 3 (symbol):"},
    {HDR "\n\"P1,A,IBM,buy,1,,,,\n", RULES_EPARSE, "line 2: column 1 (id): unterminated"},
    {HDR "\n\"P1\"x,A,IBM,buy,1,,,,\n", RULES_EPARSE,
     "line 2: column 1 (id): text after the closing quote"},
    {HDR "\nP\"1,A,IBM,buy,1,,,,\n", RULES_EPARSE, "line 2: column 1 (id): '\"' in an unquoted"},
    {HDR "\nP1,A,IBM,buy,1,,,,\n\nP2,A,IBM,buy,1,,,,\n", RULES_EPARSE, "line 3: empty line"},
    {HDR "\nP1,A,IBM,buy,1,,,,\n\n", RULES_EPARSE, "line 3: empty line"},
    {HDR "\nP1,A,IBM,buy,1,,,,\r\r\n", RULES_EPARSE, "line 2: invalid byte 0x0d"},
    {HDR "\nP1,A,IBM,buy,1,\t,,,\n", RULES_EPARSE, "line 2: invalid byte 0x09 at offset 16"},
    {HDR "\nP1,A,IB\xc3\xa9,buy,1,,,,\n", RULES_EPARSE, "line 2: invalid byte 0xc3"},
    {HDR "\nP1,A,IBM,buy,1,,,,\nP2,A,IBM,buy,1,,,,\nP1,B,IBM,buy,1,,,,\n", RULES_EEXIST,
     "line 4: duplicate parent id \"P1\" (also at line 2)"},
    {HDR "\n\"P1\",A,IBM,buy,1,,,,\nP1,B,IBM,buy,1,,,,\n", RULES_EEXIST,
     "line 3: duplicate parent id \"P1\" (also at line 2)"},
};

static void test_csv_bad(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN];
	struct snap before;
	size_t i;

	assert_int_equal(import_q(fx->st, full_doc, 0, err), 0);
	snap_take(fx->st, &before);
	for (i = 0; i < sizeof(bad_csv) / sizeof(bad_csv[0]); i++) {
		static const unsigned flags[] = {0, RULES_IMPORT_REPLACE, RULES_IMPORT_DRYRUN};

		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			int rc = import_csv(fx->st, bad_csv[i].doc, flags[f], err);

			if (rc == 0 || (bad_csv[i].rc != 0 && rc != bad_csv[i].rc) ||
			    strstr(err, bad_csv[i].msg) == NULL)
				fail_msg("case %zu flags %u: rc %d err \"%s\", want %d \"%s\"", i,
				         flags[f], rc, err, bad_csv[i].rc, bad_csv[i].msg);
			assert_unchanged(fx->st, &before, bad_csv[i].doc);
		}
	}
	snap_free(&before);
}

/* A line longer than the limit is refused, naming the line. */
static void test_csv_long_line(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], *doc;
	size_t n = sizeof(HDR) + 10000;

	doc = malloc(n + 1);
	assert_non_null(doc);
	memcpy(doc, HDR "\n", sizeof(HDR));
	memset(doc + sizeof(HDR), 'x', n - sizeof(HDR));
	doc[n] = '\0';
	assert_int_equal(import_csv(fx->st, doc, 0, err), RULES_EPARSE);
	assert_string_equal(err, "line 2: longer than 4096 bytes");
	free(doc);
}

/* ---- size ---------------------------------------------------------------- */

#define BIG 10000

static void test_big_import(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], *doc, *p, *e1, *e2, *c1;
	char *p2 = tu_path(fx->dir, "two.mdb");
	struct rules_store *st2;
	struct rules_parent par;
	size_t i, cap = (size_t)BIG * 160 + 256;
	FILE *f;

	doc = p = malloc(cap);
	assert_non_null(doc);
	p += sprintf(p, "{\"format\":\"riskgw-limits\",\"version\":1,\"limits\":[],\"parents\":[");
	for (i = 0; i < BIG; i++)
		p += sprintf(
		    p,
		    "%s{\"id\":\"PARENT-%05zu\",\"account\":\"ACC%zu\",\"symbol\":\"SYM%zu\","
		    "\"side\":\"buy\",\"qty\":%zu,\"limit_px\":\"%zu.%02zu\"}",
		    i ? "," : "", i, i % 7, i % 101, i + 1, 10 + i % 90, i % 100);
	sprintf(p, "],\"ref_prices\":[],\"restricted\":[]}");
	assert_true(strlen(doc) < cap);
	assert_int_equal(import_json(fx->st, doc, 0, err), 0);
	assert_int_equal(count_parents(fx->st), BIG);
	assert_int_equal(rules_store_get_parent(fx->st, "PARENT-09999", &par), 0);
	assert_int_equal(par.rp_qty, BIG);

	/* both exports of 10,000 parents import back identically */
	e1 = export_json(fx->st);
	c1 = export_csv(fx->st);
	st2 = open_store(p2);
	f = fmemopen(c1, strlen(c1), "r");
	assert_int_equal(rules_import_parents_csv(st2, &alice, f, 0, err), 0);
	fclose(f);
	e2 = export_json(st2);
	assert_string_equal(e1, e2);
	free(e2);
	/* replace with the JSON export: one clear + 10,000 puts, same result */
	assert_int_equal(import_json(st2, e1, RULES_IMPORT_REPLACE, err), 0);
	e2 = export_json(st2);
	assert_string_equal(e1, e2);
	assert_int_equal(count_parents(st2), BIG);
	rules_store_close(st2);
	free(e1);
	free(e2);
	free(c1);
	free(doc);
	free(p2);
}

/* ---- output errors ------------------------------------------------------- */

static void test_export_write_error(void **state)
{
	struct fx *fx = *state;
	char err[RULES_ERRLEN], *doc = q(base_doc);
	FILE *f;

	assert_int_equal(import_json(fx->st, doc, 0, err), 0);
	f = fopen("/dev/full", "w");
	if (f == NULL) {
		free(doc);
		skip();
	}
	assert_int_not_equal(rules_export_json(fx->st, f, err), 0);
	assert_non_null(strstr(err, "writing the export"));
	fclose(f);
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	assert_int_not_equal(rules_export_parents_csv(fx->st, f, err), 0);
	assert_non_null(strstr(err, "writing the export"));
	fclose(f);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty_export, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_bad_late, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_actor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_actor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dryrun, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_import, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_header_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big_import, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_write_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
