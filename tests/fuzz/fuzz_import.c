/*
 * fuzz_import.c - fuzz target for the limit set importers (rules/io.h):
 * rules_import_json() and rules_import_parents_csv().
 *
 * The input is one byte of settings, then the file:
 *   bit 0  CSV of parents (else the JSON limit set)
 *   bit 1  RULES_IMPORT_REPLACE
 *   bit 2  RULES_IMPORT_DRYRUN
 * Each input is imported into a fresh rules.mdb holding a small base set
 * (BASE below), as `riskgwctl limits import` would. Invariants checked (a
 * violation aborts):
 *  - the import returns 0, a RULES_E* code or a negative errno; on an error
 *    err is one line (no control character), not empty;
 *  - after an error, and after a dry run, nothing changed: the store's
 *    transaction id, its JSON export and the length of its audit log are
 *    those from before;
 *  - after a successful import, the store opens again (rules_store_open()
 *    verifies every record); the same import once more succeeds and changes
 *    no record; and the export, imported with RULES_IMPORT_REPLACE into an
 *    empty store, exports byte for byte the same (and so does the CSV of
 *    parents): what an import accepts survives a backup and a restore.
 * FUZZ_IMPORT_TRACE=1 prints one line per input: what was imported, or the
 * error. The stores live in a directory of their own under $TMPDIR (else /dev/shm,
 * else /tmp), made once per process and removed at exit.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "fuzz_util.h"
#include "rules.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_CSV 0x1u
#define F_REPLACE 0x2u
#define F_DRYRUN 0x4u
#define MAPSIZE ((size_t)8 << 20)

/* What each store holds before the import: a record of every kind, so that a
 * merge, a replace and a failed import have something to keep or clear. */
static const char BASE[] =
    "{\"format\": \"riskgw-limits\", \"version\": 1,\n"
    " \"limits\": [\n"
    "  {\"scope\": \"global\", \"key\": \"\", \"limits\": {\"order_qty\": {\"value\": 5000},\n"
    "   \"parent_rate\": {\"value\": 20, \"action\": \"trip\"}}},\n"
    "  {\"scope\": \"account\", \"key\": \"ACC1\", \"limits\": {\"account_notional\": "
    "{\"value\": \"2500000.5\"}}},\n"
    "  {\"scope\": \"symbol\", \"key\": \"IBM\", \"limits\": {\"collar_bps\": {\"value\": 300}}}],\n"
    " \"parents\": [\n"
    "  {\"id\": \"P1\", \"account\": \"ACC1\", \"symbol\": \"IBM\", \"side\": \"buy\", \"qty\": 1000,\n"
    "   \"limit_px\": \"150.25\", \"max_rate\": 5, \"trip\": [\"qty\"]},\n"
    "  {\"id\": \"P2\", \"account\": \"ACC2\", \"symbol\": \"MSFT\", \"side\": \"sell_short\", "
    "\"qty\": 7}],\n"
    " \"ref_prices\": [{\"symbol\": \"IBM\", \"px\": \"150\"}],\n"
    " \"restricted\": [{\"symbol\": \"XYZ\", \"reason\": \"under review\"}]}\n";

static const struct rules_actor actor = {"fuzz", "fuzz import"};
static char dir[256];
static char path_a[300], path_b[300];

static void rm_store(const char *path)
{
	char lock[320];

	snprintf(lock, sizeof(lock), "%s-lock", path);
	(void)unlink(path);
	(void)unlink(lock);
}

static void cleanup(void)
{
	rm_store(path_a);
	rm_store(path_b);
	(void)rmdir(dir);
}

static void init_once(void)
{
	if (dir[0] != '\0')
		return;
	fuzz_tmpdir(dir, sizeof(dir), "import");
	snprintf(path_a, sizeof(path_a), "%s/a.mdb", dir);
	snprintf(path_b, sizeof(path_b), "%s/b.mdb", dir);
	atexit(cleanup);
}

static struct rules_store *fresh(const char *path)
{
	struct rules_store *st;
	char err[RULES_ERRLEN];

	rm_store(path);
	if (rules_store_open(&st, path, RULES_STORE_CREATE, MAPSIZE, err) != 0) {
		fprintf(stderr, "fuzz_import: %s: %s\n", path, err);
		abort();
	}
	return st;
}

/* Imports the n bytes at p; an empty file is an empty stream. */
static int import(struct rules_store *st, const void *p, size_t n, bool csv, unsigned flags,
    char err[RULES_ERRLEN])
{
	FILE *in = n > 0 ? fmemopen((void *)(uintptr_t)p, n, "r") : fopen("/dev/null", "r");
	int rc;

	CHECK(in != NULL);
	rc = csv ? rules_import_parents_csv(st, &actor, in, flags, err)
		 : rules_import_json(st, &actor, in, flags, err);
	fclose(in);
	return rc;
}

/* An import that must succeed; what names it in the abort's message. */
static void must_import(struct rules_store *st, const void *p, size_t n, bool csv,
    unsigned flags, const char *what)
{
	char err[RULES_ERRLEN];

	if (import(st, p, n, csv, flags, err) != 0) {
		fprintf(stderr, "fuzz_import: %s: %s\n", what, err);
		abort();
	}
}

/* The store's JSON export (csv: its parents as CSV), malloc()ed. */
static char *export(struct rules_store *st, bool csv, size_t *len)
{
	char err[RULES_ERRLEN], *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	int rc;

	CHECK(out != NULL);
	rc = csv ? rules_export_parents_csv(st, out, err) : rules_export_json(st, out, err);
	if (rc != 0) {
		fprintf(stderr, "fuzz_import: export: %s\n", err);
		abort();
	}
	CHECK(fclose(out) == 0);
	return buf;
}

static int count_audit(void *arg, const struct rules_audit *a)
{
	(void)a;
	++*(size_t *)arg;
	return 0;
}

static size_t audit_len(struct rules_store *st)
{
	size_t n = 0;

	CHECK(rules_store_foreach_audit(st, 0, count_audit, &n) == 0);
	return n;
}

static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void check_err(int rc, const char *err)
{
	size_t i, n = strnlen(err, RULES_ERRLEN);

	CHECK((rc >= RULES_EBASE && rc < RULES_ELAST) || (rc < 0 && rc > -4096));
	CHECK(n > 0 && n < RULES_ERRLEN);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_store *a, *b;
	char err[RULES_ERRLEN], *before, *after, *again, *back;
	size_t blen, alen, glen, klen, audits;
	unsigned set, flags = 0;
	uint64_t txn;
	bool csv;
	int rc;

	if (size < 1)
		return 0;
	init_once();
	set = data[0];
	csv = (set & F_CSV) != 0;
	if (set & F_REPLACE)
		flags |= RULES_IMPORT_REPLACE;
	if (set & F_DRYRUN)
		flags |= RULES_IMPORT_DRYRUN;
	data++;
	size--;

	a = fresh(path_a);
	must_import(a, BASE, strlen(BASE), false, 0, "the base set");
	before = export(a, false, &blen);
	audits = audit_len(a);
	txn = rules_store_last_txnid(a);

	err[0] = '\0';
	rc = import(a, data, size, csv, flags, err);
	if (getenv("FUZZ_IMPORT_TRACE") != NULL)
		fprintf(stderr, "fuzz_import: %s%s%s %zu bytes: %s%s%s\n", csv ? "csv" : "json",
		    (flags & RULES_IMPORT_REPLACE) != 0 ? " replace" : "",
		    (flags & RULES_IMPORT_DRYRUN) != 0 ? " dry-run" : "", size,
		    rc == 0 ? "imported" : rules_strerror(rc), rc == 0 ? "" : ": ", rc == 0 ? "" : err);
	if (rc != 0 || (flags & RULES_IMPORT_DRYRUN) != 0) {
		if (rc != 0)
			check_err(rc, err);
		CHECK(rules_store_last_txnid(a) == txn);
		after = export(a, false, &alen);
		CHECK(same(before, blen, after, alen));
		CHECK(audit_len(a) == audits);
		free(after);
		goto out;
	}

	/* every record the import wrote passes the checks of an open */
	rules_store_close(a);
	if (rules_store_open(&a, path_a, 0, MAPSIZE, err) != 0) {
		fprintf(stderr, "fuzz_import: reopen after the import: %s\n", err);
		abort();
	}
	after = export(a, false, &alen);

	/* the same file again: nothing to change */
	must_import(a, data, size, csv, flags, "the same import again");
	again = export(a, false, &glen);
	CHECK(same(after, alen, again, glen));
	free(again);

	/* a backup restored into an empty store is the same store */
	b = fresh(path_b);
	must_import(b, after, alen, false, RULES_IMPORT_REPLACE, "the export does not import");
	back = export(b, false, &klen);
	CHECK(same(after, alen, back, klen));
	free(back);
	free(after);
	after = export(a, true, &alen);
	back = export(b, true, &klen);
	CHECK(same(after, alen, back, klen));
	free(back);
	free(after);
	rules_store_close(b);
out:
	free(before);
	rules_store_close(a);
	return 0;
}
