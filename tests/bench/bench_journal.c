/*
 * bench_journal.c - what a journal commit costs: turns of 1, 10 and 100
 * order events, with jc_sync on (LMDB syncs at every commit) and off
 * (MDB_NOSYNC | MDB_NOMETASYNC). Built by `make bench`, never run by
 * `make check`; the figures are in docs/journal.md.
 *
 *   bench_journal [-d dir] [-t seconds] [-n max_commits]
 *
 * dir (default ".") must be on the disk the journal will live on: a tmpfs
 * makes every sync free. Each case runs on a fresh journal for the given
 * time (default 3 s) or max_commits turns, whichever comes first.
 *
 * Two kinds of turn: "events", N order events alone; "order", per order an
 * event, a 240-byte outbound message and the session's seqnum update (what
 * relaying one NewOrderSingle writes).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_journal: %s: %s\n", what, err);
	exit(1);
}

struct result {
	double commits_per_s;
	double events_per_s;
	double commit_us_mean; /* journal_commit() alone */
	double commit_us_p99;
	double turn_us_mean;   /* the writes, the commit and the top-up */
};

static struct result run(const char *dir, bool sync, int n, bool full_order, double secs,
    long max_commits)
{
	struct journal_config cfg = {(size_t)4 << 30, sync, true, JOURNAL_RESERVE_DEFAULT, 0};
	struct journal_session sess = {1, 1, 20240102};
	char path[4096], lock[4200], err[RULES_ERRLEN], msg[240], clid[32];
	int64_t *lat = malloc(sizeof(int64_t) * (size_t)max_commits);
	int64_t start, end, t0, t1, sum_commit = 0;
	struct rules_order o = {
		.ro_kind = RULES_NEW,
		.ro_parent = "PARENT-000001",
		.ro_account = "ACCOUNT-01",
		.ro_symbol = "SYM1",
		.ro_side = '1',
		.ro_ordtype = '2',
		.ro_qty = 100,
		.ro_px = 10000000,
		.ro_now_ns = 0,
	};
	struct result r;
	struct journal *j;
	long commits = 0;
	uint64_t seq = 0;

	if (lat == NULL)
		die("malloc", "out of memory");
	snprintf(path, sizeof(path), "%s/bench-journal.mdb", dir);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	(void)unlink(path);
	(void)unlink(lock);
	if (journal_open(&j, path, &cfg, err) != 0)
		die("open", err);
	memset(msg, 'x', sizeof(msg));
	o.ro_clordid = clid;
	start = now_ns();
	end = start + (int64_t)(secs * 1e9);
	while (commits < max_commits && now_ns() < end) {
		t0 = now_ns();
		for (int i = 0; i < n; i++) {
			struct journal_event ev;

			seq++;
			snprintf(clid, sizeof(clid), "CLORD-%012" PRIu64, seq);
			o.ro_now_ns = t0;
			if (journal_ev_order(&ev, "router1", &o) != 0 ||
			    journal_append(j, &ev, err) != 0)
				die("append", err);
			if (full_order) {
				if (journal_msg_put(j, "router1/venue", seq, msg, sizeof(msg), err) != 0)
					die("msg_put", err);
				sess.js_next_out = seq + 1;
				if (journal_session_put(j, "router1/venue", &sess, err) != 0)
					die("session_put", err);
			}
		}
		t1 = now_ns();
		if (journal_commit(j, err) != 0)
			die("commit", err);
		lat[commits] = now_ns() - t1;
		sum_commit += lat[commits];
		commits++;
		if (journal_prepare(j, err) != 0) /* as riskgwd does after each turn's output */
			die("prepare", err);
	}
	end = now_ns();
	journal_close(j);
	(void)unlink(path);
	(void)unlink(lock);

	qsort(lat, (size_t)commits, sizeof(lat[0]), cmp_i64);
	r.commits_per_s = (double)commits / ((double)(end - start) / 1e9);
	r.events_per_s = r.commits_per_s * n;
	r.commit_us_mean = (double)sum_commit / (double)commits / 1e3;
	r.commit_us_p99 = (double)lat[(size_t)((double)commits * 0.99)] / 1e3;
	r.turn_us_mean = (double)(end - start) / (double)commits / 1e3;
	free(lat);
	return r;
}

int main(int argc, char **argv)
{
	const char *dir = ".";
	double secs = 3;
	long max_commits = 200000;
	const int sizes[] = {1, 10, 100};
	int c;

	while ((c = getopt(argc, argv, "d:t:n:")) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'n':
			max_commits = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_journal [-d dir] [-t seconds] [-n max_commits]\n");
			return 2;
		}
	}
	if (secs <= 0 || max_commits <= 0) {
		fprintf(stderr, "bench_journal: -t and -n must be > 0\n");
		return 2;
	}
	printf("| sync | turn | orders/commit | commits/s | orders/s | commit µs (mean) | "
	       "commit µs (p99) | turn µs (mean) |\n");
	printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (int full = 0; full <= 1; full++) {
		for (int s = 1; s >= 0; s--) {
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				struct result r = run(dir, s == 1, sizes[i], full == 1, secs, max_commits);

				printf("| %s | %s | %d | %.0f | %.0f | %.1f | %.1f | %.1f |\n",
				    s ? "on" : "off", full ? "order" : "events", sizes[i],
				    r.commits_per_s, r.events_per_s, r.commit_us_mean, r.commit_us_p99,
				    r.turn_us_mean);
				fflush(stdout);
			}
		}
	}
	return 0;
}
