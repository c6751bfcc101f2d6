/*
 * sim_hist.h - a log-linear latency histogram in the manner of HdrHistogram:
 * values below 2^SIM_HIST_BITS are counted exactly, larger ones in
 * 2^(SIM_HIST_BITS-1) buckets per power of two, so a reported value is within
 * 1/2^(SIM_HIST_BITS-1) (0.8 %) of the truth. Fixed size, no allocation:
 * recording is a few instructions.
 */
#ifndef SIM_HIST_H
#define SIM_HIST_H

#include <stdint.h>

#define SIM_HIST_BITS 8
/* Buckets for every uint64_t value below 2^63. */
#define SIM_HIST_N ((64 - SIM_HIST_BITS + 1) << (SIM_HIST_BITS - 1))

struct sim_hist {
	uint64_t h_count;
	uint64_t h_min, h_max;
	double h_sum;
	uint64_t h_b[SIM_HIST_N];
};

void sim_hist_init(struct sim_hist *);
void sim_hist_add(struct sim_hist *, uint64_t v);
/* The value at quantile q (0..1): the highest value of the bucket that holds
 * it, capped at the maximum recorded; 0 when empty. */
uint64_t sim_hist_quantile(const struct sim_hist *, double q);
double sim_hist_mean(const struct sim_hist *);

/* Bucket arithmetic, exposed for the unit test. */
unsigned sim_hist_index(uint64_t v);
uint64_t sim_hist_lowest(unsigned idx);
uint64_t sim_hist_highest(unsigned idx);

#endif
