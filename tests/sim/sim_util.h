/*
 * sim_util.h - small pieces shared by venue-sim and router-sim: strict option
 * parsing, a deterministic PRNG, clocks, JSON string output, signals on the
 * event loop.
 *
 * Option parsers return 0 or -EINVAL and never print; the programs print the
 * usage and exit 2.
 */
#ifndef SIM_UTIL_H
#define SIM_UTIL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loop.h"

#define SIM_NSEC INT64_C(1000000000)

/* ---- options ------------------------------------------------------------------- */

/* Decimal integer in [min, max], the whole string. */
int sim_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Finite number in [min, max], the whole string ("0.05", "1e-3"). */
int sim_parse_double(const char *s, double min, double max, double *out);
/* "a.b.c.d:port" (IPv4 literal, or "localhost"), port 0..65535. */
int sim_parse_addr(const char *s, struct sockaddr_in *out);
/* "4.2" or "4.4" (also "FIX.4.2", "FIX.4.4"): 1 (FIX_42) or 2 (FIX_44). */
int sim_parse_fix_version(const char *s, int *out);

/* ---- PRNG: splitmix64-seeded xoshiro256** ------------------------------------- */

struct sim_rng {
	uint64_t r_s[4];
};
void sim_rng_seed(struct sim_rng *, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *);
/* In [0, n) (0 if n <= 1); the modulo bias is below n / 2^64. */
uint64_t sim_rng_below(struct sim_rng *, uint64_t n);
/* Uniform in [0, 1). */
double sim_rng_unit(struct sim_rng *);

/* ---- clocks -------------------------------------------------------------------- */

int64_t sim_mono_ns(void);
int64_t sim_wall_ns(void);

/* ---- output -------------------------------------------------------------------- */

/* Writes s (len bytes) as a JSON string with quotes. */
void sim_json_str(FILE *f, const char *s, size_t len);
/* Writes a 1e-6 fixed-point price as a JSON string "123.45". */
void sim_json_px(FILE *f, int64_t px);
/* Writes the fixed-point px into buf as a decimal (no trailing zeros). */
const char *sim_px_str(int64_t px, char buf[24]);

/* Formats an unsigned decimal into buf (no NUL); returns its length. */
size_t sim_utoa(uint64_t v, char *buf);

/*
 * Writes a file atomically: fn(f, arg) writes into "path.tmp", which is then
 * renamed over path. Returns 0 or -errno (fn's non-zero result is -EIO).
 */
int sim_write_file(const char *path, int (*fn)(FILE *, void *), void *arg);

/* ---- signals on the loop ------------------------------------------------------- */

/*
 * Blocks sigs[0..n) and watches a signalfd for them on the loop: cb runs on
 * the loop's thread with the signal number. SIGPIPE is ignored. Returns the
 * signalfd, or -errno.
 */
int sim_signals(struct loop *, const int *sigs, size_t n, void (*cb)(int sig, void *arg),
    void *arg);

#endif
