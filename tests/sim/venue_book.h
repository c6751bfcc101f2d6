/*
 * venue_book.h - the venue simulator's orders: every NewOrderSingle (D) and
 * OrderCancelReplaceRequest (G) becomes a record in a preallocated table,
 * found by ClOrdID through an open-addressing hash; fills are scheduled in a
 * FIFO (the delay is the same for all, so due times only grow) driven by one
 * loop timer. Execution reports go out through the session the order came
 * from. Nothing here allocates after vbook_new().
 *
 * Counters per symbol, account and parent (the value of the parent tag, if
 * the order carries one) are kept for the stats file.
 */
#ifndef VENUE_BOOK_H
#define VENUE_BOOK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fix.h"
#include "loop.h"
#include "session.h"

enum vbook_fill { VBOOK_FILL_NONE = 0, VBOOK_FILL_FULL, VBOOK_FILL_PARTIAL };

struct vbook_cfg {
	enum vbook_fill bc_fill;
	unsigned bc_slices;        /* partial: fills per order (>= 1) */
	int64_t bc_fill_delay_ns;  /* before the first fill and between slices */
	double bc_reject_rate;     /* 0..1: share of valid orders rejected at random */
	uint64_t bc_seed;
	uint32_t bc_max_orders;    /* records (D and G); more are rejected */
	uint32_t bc_max_keys;      /* distinct symbols / accounts / parents each */
	int bc_parent_tag42;       /* the tag naming the parent on FIX 4.2 / 4.4 */
	int bc_parent_tag44;
	int64_t bc_ref_px;         /* fill price of a market order (1e-6) */
	/* The session of index sidx, for fills that come later (NULL if gone). */
	struct session *(*bc_session)(void *arg, unsigned sidx);
	void *bc_arg;
};

struct vbook;

/* Returns 0, -EINVAL or -ENOMEM. */
int vbook_new(struct vbook **out, struct loop *, const struct vbook_cfg *);
void vbook_free(struct vbook *);

/*
 * Handles one inbound application message of session sidx, answering through
 * s. Returns true if it was a NewOrderSingle (for --disconnect-after).
 */
bool vbook_on_app(struct vbook *, struct session *s, unsigned sidx, const struct fix_msg *m,
    bool possdup);

/* NewOrderSingles received so far (duplicates and invalid ones included). */
uint64_t vbook_orders_received(const struct vbook *);

/*
 * Writes the book's members of the stats object (without braces): counters,
 * "symbols", "accounts", "parents" and, up to max_list records, "orders".
 * name(arg, sidx) names session sidx. Returns 0 or -1 on a write error.
 */
int vbook_json(const struct vbook *, FILE *, uint64_t max_list,
    const char *(*name)(void *arg, unsigned sidx), void *arg);
/* One line per counter for a human, on f. */
void vbook_summary(const struct vbook *, FILE *f);

#endif
