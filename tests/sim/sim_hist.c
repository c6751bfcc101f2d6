/*
 * sim_hist.c - see sim_hist.h.
 *
 * Index of v >= 2^B (B = SIM_HIST_BITS): with m the position of its top bit
 * and shift = m - B + 1, the top B bits t = v >> shift are in [2^(B-1), 2^B)
 * and the index is (shift << (B-1)) + t; indices run on from 2^B - 1, the
 * last exact one, without a hole.
 */
#include "config.h"

#include "sim_hist.h"

#include <string.h>

#define HALF (1u << (SIM_HIST_BITS - 1))

void sim_hist_init(struct sim_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->h_min = UINT64_MAX;
}

unsigned sim_hist_index(uint64_t v)
{
	unsigned m, shift;

	if (v < (UINT64_C(1) << SIM_HIST_BITS))
		return (unsigned)v;
	if (v >= (UINT64_C(1) << 63))
		v = (UINT64_C(1) << 63) - 1;
	m = 63u - (unsigned)__builtin_clzll(v);
	shift = m - SIM_HIST_BITS + 1;
	return (shift << (SIM_HIST_BITS - 1)) + (unsigned)(v >> shift);
}

uint64_t sim_hist_lowest(unsigned idx)
{
	unsigned shift;

	if (idx < (1u << SIM_HIST_BITS))
		return idx;
	shift = idx / HALF - 1;
	return (uint64_t)(idx - shift * HALF) << shift;
}

uint64_t sim_hist_highest(unsigned idx)
{
	unsigned shift;

	if (idx < (1u << SIM_HIST_BITS))
		return idx;
	shift = idx / HALF - 1;
	return (((uint64_t)(idx - shift * HALF) + 1) << shift) - 1;
}

void sim_hist_add(struct sim_hist *h, uint64_t v)
{
	h->h_b[sim_hist_index(v)]++;
	h->h_count++;
	h->h_sum += (double)v;
	if (v < h->h_min)
		h->h_min = v;
	if (v > h->h_max)
		h->h_max = v;
}

uint64_t sim_hist_quantile(const struct sim_hist *h, double q)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (h->h_count == 0)
		return 0;
	if (q <= 0)
		return h->h_min;
	if (q >= 1)
		return h->h_max;
	want = (uint64_t)(q * (double)h->h_count);
	if ((double)want < q * (double)h->h_count)
		want++; /* ceil: the q-quantile is the want-th smallest value */
	if (want == 0)
		want = 1;
	for (i = 0; i < SIM_HIST_N; i++) {
		seen += h->h_b[i];
		if (seen >= want) {
			uint64_t v = sim_hist_highest(i);

			return v < h->h_max ? v : h->h_max;
		}
	}
	return h->h_max;
}

double sim_hist_mean(const struct sim_hist *h)
{
	return h->h_count ? h->h_sum / (double)h->h_count : 0.0;
}
