/*
 * sim_store.c - see sim_store.h.
 *
 * A message is at absolute ring position e_pos, offset e_pos % cap (it never
 * wraps: one that does not fit before the end starts the next lap). Its bytes
 * are intact while the writer has not gone past e_pos + cap, i.e. while
 * st_wpos <= e_pos + cap.
 */
#include "config.h"

#include "sim_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sim_entry {
	uint64_t e_seq;
	uint64_t e_pos;
	uint32_t e_len;
	uint32_t e_gen;
};

struct sim_store {
	char *st_ring;
	uint64_t st_cap;
	uint64_t st_wpos;
	struct sim_entry *st_idx;
	uint64_t st_mask;
	uint32_t st_gen;          /* bumped by a reset: older entries are void */
	uint64_t st_next_in, st_next_out;
	uint64_t st_saved;
};

int sim_store_new(struct sim_store **out, size_t arena, size_t max_msgs)
{
	struct sim_store *st;
	size_t n = 1;

	*out = NULL;
	if (arena < 4096 || max_msgs == 0 || max_msgs > ((size_t)1 << 40))
		return -EINVAL;
	while (n < max_msgs)
		n <<= 1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -ENOMEM;
	st->st_ring = malloc(arena);
	st->st_idx = calloc(n, sizeof(*st->st_idx));
	if (st->st_ring == NULL || st->st_idx == NULL) {
		sim_store_free(st);
		return -ENOMEM;
	}
	st->st_cap = arena;
	st->st_mask = n - 1;
	st->st_gen = 1;
	st->st_next_in = st->st_next_out = 1;
	*out = st;
	return 0;
}

void sim_store_free(struct sim_store *st)
{
	if (st == NULL)
		return;
	free(st->st_ring);
	free(st->st_idx);
	free(st);
}

static const struct sim_entry *held(const struct sim_store *st, uint64_t seq)
{
	const struct sim_entry *e = &st->st_idx[seq & st->st_mask];

	if (e->e_seq != seq || e->e_gen != st->st_gen || e->e_pos + st->st_cap < st->st_wpos)
		return NULL;
	return e;
}

static int ss_save_seq(void *arg, uint64_t next_in, uint64_t next_out)
{
	struct sim_store *st = arg;

	st->st_next_in = next_in;
	st->st_next_out = next_out;
	return 0;
}

static int ss_save_out(void *arg, uint64_t seq, const char *msg, size_t len)
{
	struct sim_store *st = arg;
	struct sim_entry *e = &st->st_idx[seq & st->st_mask];
	uint64_t off;

	if (len == 0 || len > st->st_cap || len > UINT32_MAX)
		return -ENOSPC;
	off = st->st_wpos % st->st_cap;
	if (off + len > st->st_cap) /* next lap */
		st->st_wpos += st->st_cap - off, off = 0;
	memcpy(st->st_ring + off, msg, len);
	e->e_seq = seq;
	e->e_pos = st->st_wpos;
	e->e_len = (uint32_t)len;
	e->e_gen = st->st_gen;
	st->st_wpos += len;
	st->st_saved++;
	return 0;
}

static int ss_each_out(void *arg, uint64_t from, uint64_t to,
    int (*cb)(void *, uint64_t, const char *, size_t), void *cbarg)
{
	struct sim_store *st = arg;
	uint64_t seq;
	int rc;

	for (seq = from; seq <= to && seq != 0; seq++) {
		const struct sim_entry *e = held(st, seq);

		if (e != NULL &&
		    (rc = cb(cbarg, seq, st->st_ring + e->e_pos % st->st_cap, e->e_len)) != 0)
			return rc;
		if (seq == UINT64_MAX)
			break;
	}
	return 0;
}

static int ss_reset(void *arg)
{
	struct sim_store *st = arg;

	st->st_gen++;
	return 0;
}

struct session_store sim_store_ops(struct sim_store *st)
{
	struct session_store s = {ss_save_seq, ss_save_out, ss_each_out, ss_reset, st};

	return s;
}

uint64_t sim_store_next_in(const struct sim_store *st)
{
	return st->st_next_in;
}

uint64_t sim_store_next_out(const struct sim_store *st)
{
	return st->st_next_out;
}

uint64_t sim_store_saved(const struct sim_store *st)
{
	return st->st_saved;
}

int sim_store_has(const struct sim_store *st, uint64_t seq)
{
	return held(st, seq) != NULL;
}
