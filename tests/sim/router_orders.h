/*
 * router_orders.h - the order side of router-sim: parents, the child orders
 * sent for them, what the execution reports say about them, and the counts
 * and latency histogram reported at the end.
 *
 * A correct router (the default) slices each parent's remaining quantity:
 * quantity - filled - open (open: the leaves of the live children), and
 * sends nothing for a parent with none left. The runaway router (Knight's
 * Power Peg) sends a slice for each parent in turn forever, counting nothing;
 * what happened is still recorded, for the report.
 *
 * Children live in a preallocated table indexed by the ClOrdID number
 * (PREFIX + n, slot n mod size); nothing here allocates after ro_new().
 */
#ifndef ROUTER_ORDERS_H
#define ROUTER_ORDERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fix.h"
#include "session.h"

#define RO_ID_MAX 64

struct ro_parent {
	char p_id[RO_ID_MAX + 1];
	char p_account[RO_ID_MAX + 1];
	char p_symbol[RO_ID_MAX + 1];
	char p_side;              /* FIX 54 */
	int64_t p_qty;
	int64_t p_limit_px;       /* 0: none */
	/* filled in by ro_new() and the run */
	int64_t p_child_qty;      /* slice size */
	int64_t p_open, p_filled; /* the correct router's accounting */
	int64_t p_sent_qty;       /* what was sent (new orders) */
	int64_t p_seen_filled;    /* fills reported, in any mode */
	uint64_t p_children;
	uint32_t p_active_pos;    /* position in the active list + 1, 0 if out */
};

struct ro_cfg {
	enum fix_version rc_version;
	int rc_parent_tag;
	int rc_declared_qty_tag;  /* 0: none */
	bool rc_runaway;
	double rc_cancel_pct, rc_replace_pct; /* 0..100, of the acknowledged orders */
	uint64_t rc_seed;
	uint32_t rc_max_orders;   /* table slots (rounded up to a power of two) */
	int64_t rc_child_qty;     /* 0: qty / rc_slices, rounded up */
	int64_t rc_slices;
	char rc_prefix[48];       /* ClOrdID prefix, at most 44 characters */
	int64_t rc_ref_px;        /* reference price for parents without a limit */
	int64_t rc_px_ticks;      /* children priced 0..ticks cents away from it */
};

struct rorders;

/* Takes the parents array (owned by the caller, lives as long as ro). */
int ro_new(struct rorders **out, const struct ro_cfg *, struct ro_parent *parents, uint32_t n);
void ro_free(struct rorders *);

/* Results of ro_send_new(). */
enum { RO_SENT = 0, RO_EXHAUSTED = 1, RO_TABLE_BUSY = 2 };
/* Sends one child order; t0 is its intended send time (CLOCK_MONOTONIC ns),
 * from which its latency is measured. RO_SENT, RO_EXHAUSTED (no parent has
 * quantity left: a correct router stops), RO_TABLE_BUSY (the slot of the
 * next ClOrdID still holds a live order), or a negative error of
 * session_send(). */
int ro_send_new(struct rorders *, struct session *, int64_t t0);

/* One application message from the venue, received at now (monotonic). */
void ro_on_app(struct rorders *, struct session *, const struct fix_msg *, int64_t now);

/* New orders waiting for their first answer; cancel/replace requests waiting
 * for theirs; children still open. */
uint64_t ro_inflight(const struct rorders *);
uint64_t ro_pending_requests(const struct rorders *);
uint64_t ro_live(const struct rorders *);
uint64_t ro_sent(const struct rorders *);
/* A correct router with no parent quantity left (never for the runaway). */
bool ro_exhausted(const struct rorders *);

/* The report: a human summary, or one JSON line. elapsed_ns: the sending
 * period. */
void ro_summary(const struct rorders *, FILE *, int64_t elapsed_ns);
void ro_json(const struct rorders *, FILE *, int64_t elapsed_ns, const char *mode);

/* Parents: from a CSV file as `riskgwctl parents export-csv` writes it
 * (header optional), or generated. Return the count, or -1 with err filled. */
int ro_parents_csv(const char *path, struct ro_parent **out, char *err, size_t errlen);
int ro_parents_gen(uint32_t n, uint64_t seed, int64_t ref_px, struct ro_parent **out);
/* Writes parents in the same CSV format (for riskgwctl parents import-csv).
 * Returns 0 or -errno. */
int ro_parents_write(const char *path, const struct ro_parent *ps, uint32_t n);

#endif
