/*
 * io.h - import and export of the whole limit set, for backups and review.
 *
 * JSON (the whole set: limits, parents, reference prices, restricted
 * symbols) and CSV (parents only). Quantities and rates are JSON integers;
 * prices and notionals are decimal strings ("150.25"), never JSON floats,
 * so that no value passes through floating point. The format is documented
 * in docs/limits-format.md.
 *
 * An import is all or nothing: it is parsed and validated completely first
 * (unknown keys, missing keys, bad values, duplicates are errors naming the
 * line or JSON path), then written in one write batch with audit records.
 * On any error nothing on disk has changed.
 */
#ifndef RULES_IO_H
#define RULES_IO_H

#include <stdio.h>

#include "rules.h"
#include "store.h"

#define RULES_IMPORT_REPLACE 0x1u /* delete everything not in the file (default: merge) */
#define RULES_IMPORT_DRYRUN  0x2u /* validate only, write nothing */

/* Writes one JSON document of one snapshot. Returns 0 or an error. */
int rules_export_json(struct rules_store *, FILE *out, char err[RULES_ERRLEN]);
int rules_import_json(struct rules_store *, const struct rules_actor *, FILE *in,
    unsigned flags, char err[RULES_ERRLEN]);

/* CSV of parents: a header line
 * "id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip" then one
 * parent a line. */
int rules_export_parents_csv(struct rules_store *, FILE *out, char err[RULES_ERRLEN]);
int rules_import_parents_csv(struct rules_store *, const struct rules_actor *, FILE *in,
    unsigned flags, char err[RULES_ERRLEN]);

#endif
