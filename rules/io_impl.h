/*
 * io_impl.h - what io.c (the parsed set, duplicate checks, the write
 * batch), io_json.c and io_csv.c share. Internal to librules.
 */
#ifndef RULES_IO_IMPL_H
#define RULES_IO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "store.h"

/* Fills err (when not NULL) like printf, and returns rc. */
int rules_io_fail(char err[RULES_ERRLEN], int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- the parsed set: phase 1's output, phase 2's input ------------------- */

struct io_lim {
	enum rules_scope il_scope;
	char il_key[RULES_ID_MAX + 1];
	struct rules_limits il_lim;
};

struct io_px {
	char ip_symbol[RULES_ID_MAX + 1];
	int64_t ip_px;
};

struct io_restr {
	char ir_symbol[RULES_ID_MAX + 1];
	char ir_reason[RULES_REASON_MAX + 1];
};

/* Everything an import will write, in input order. Arrays are malloc'ed
 * and owned by the set; rules_io_set_free() frees them and zeroes it. */
struct io_set {
	struct io_lim *is_lims;
	size_t is_nlims;
	struct rules_parent *is_parents;
	size_t is_nparents;
	size_t *is_lines; /* CSV: line of each parent; NULL for JSON */
	struct io_px *is_pxs;
	size_t is_npxs;
	struct io_restr *is_restr;
	size_t is_nrestr;
};
void rules_io_set_free(struct io_set *);

enum io_section { IO_SEC_LIMITS, IO_SEC_PARENTS, IO_SEC_REFPX, IO_SEC_RESTRICTED };

/* Names element i of a section for an error message: its JSON path
 * ("parents[3]") or, when the set came from CSV, its line ("line 5"). */
void rules_io_where(const struct io_set *, enum io_section, size_t i, char *buf, size_t len);

/* Copies an identifier already checked with rules_id_valid(). */
void rules_io_copy_id(char dst[RULES_ID_MAX + 1], const char *src);

/* Duplicate keys in any section (same scope+key, parent id, symbol): the
 * earliest repeat in input order is named with its first occurrence.
 * 0, RULES_EEXIST or -ENOMEM. */
int rules_io_check_dups(const struct io_set *, char err[RULES_ERRLEN]);

/* ---- phase 2 ----------------------------------------------------------------- */

enum io_replace {
	IO_MERGE = 0,       /* put every record of the set, keep the rest */
	IO_REPLACE_ALL,     /* rules_wr_clear, then put the set */
	IO_REPLACE_PARENTS, /* delete parents not in the set, then put the set */
};

/* Checks the arguments every import takes (non-NULL, known flags, a valid
 * actor). 0 or RULES_EINVAL with err filled. */
int rules_io_check_args(struct rules_store *, const struct rules_actor *, void *stream,
                        unsigned flags, char err[RULES_ERRLEN]);

/* Writes a validated set in one batch and commits it (aborts it for
 * RULES_IMPORT_DRYRUN). On any error the batch is aborted, nothing is
 * written, and err names the element ("parents[3]: ...", "line 5: ..."). */
int rules_io_apply(struct rules_store *, const struct rules_actor *, const struct io_set *,
                   enum io_replace, unsigned flags, char err[RULES_ERRLEN]);

#endif
