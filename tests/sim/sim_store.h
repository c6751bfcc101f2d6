/*
 * sim_store.h - an in-memory session store (struct session_store) for the
 * simulators: the sequence numbers, and the outbound application messages
 * kept for ResendRequest in a byte ring with an index by MsgSeqNum.
 *
 * Both are preallocated at creation; storing a message copies it into the
 * ring and never allocates. The ring keeps the most recent messages that fit
 * (arena bytes, and at most max_msgs of them): an older message asked for by
 * a ResendRequest is no longer there, and the session layer answers its
 * number with a SequenceReset-GapFill. Lives as long as the process, so a
 * peer that reconnects resumes the same numbers.
 */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

struct sim_store;

/* arena: ring bytes (>= 4096); max_msgs: index entries, rounded up to a power
 * of two. Returns 0 or -ENOMEM / -EINVAL. */
int sim_store_new(struct sim_store **out, size_t arena, size_t max_msgs);
void sim_store_free(struct sim_store *);

/* The callbacks for session_new(), with ss_arg set to st. */
struct session_store sim_store_ops(struct sim_store *st);

/* What ss_save_seq last saved (1, 1 before any). */
uint64_t sim_store_next_in(const struct sim_store *);
uint64_t sim_store_next_out(const struct sim_store *);
/* Messages stored since creation, and how many are still in the ring. */
uint64_t sim_store_saved(const struct sim_store *);
/* Returns 1 if seq is still held, else 0. */
int sim_store_has(const struct sim_store *, uint64_t seq);

#endif
