/*
 * test_loop.c - gateway/loop.c: fd callbacks, timers in order, cancel and
 * re-arm, unwatch during a turn, the before-sleep hook.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

#define MS INT64_C(1000000)

struct rec {
	int order[64];
	int n;
};

struct tctx {
	struct rec *rec;
	int id;
};

static void on_timer(struct loop *l, void *arg)
{
	struct tctx *t = arg;

	(void)l;
	t->rec->order[t->rec->n++] = t->id;
}

static void run_until_idle(struct loop *l, int turns)
{
	while (turns-- > 0)
		assert_int_equal(loop_run_once(l, 5), 0);
}

static void test_timers_fire_in_order(void **state)
{
	struct loop *l;
	struct rec rec = {{0}, 0};
	struct loop_timer t[40];
	struct tctx c[40];
	int i;

	(void)state;
	assert_int_equal(loop_new(&l, 64), 0);
	/* armed in a scrambled order, all within a few ms */
	for (i = 0; i < 40; i++) {
		int id = (i * 17) % 40;

		c[id].rec = &rec;
		c[id].id = id;
		loop_timer_init(&t[id], on_timer, &c[id]);
		assert_int_equal(loop_timer_set(l, &t[id], (int64_t)id * MS / 4), 0);
	}
	/* cancel a few, including the earliest and one in the middle */
	loop_timer_cancel(l, &t[0]);
	loop_timer_cancel(l, &t[21]);
	assert_false(loop_timer_armed(&t[21]));
	assert_true(loop_timer_armed(&t[22]));
	run_until_idle(l, 40);
	assert_int_equal(rec.n, 38);
	for (i = 1; i < rec.n; i++)
		assert_true(rec.order[i - 1] < rec.order[i]);
	for (i = 0; i < rec.n; i++)
		assert_true(rec.order[i] != 0 && rec.order[i] != 21);
	loop_free(l);
}

static void test_timer_rearm_moves_it(void **state)
{
	struct loop *l;
	struct rec rec = {{0}, 0};
	struct loop_timer a, b;
	struct tctx ca = {&rec, 1}, cb = {&rec, 2};

	(void)state;
	assert_int_equal(loop_new(&l, 64), 0);
	loop_timer_init(&a, on_timer, &ca);
	loop_timer_init(&b, on_timer, &cb);
	assert_int_equal(loop_timer_set(l, &a, 1 * MS), 0);
	assert_int_equal(loop_timer_set(l, &b, 5 * MS), 0);
	assert_int_equal(loop_timer_set(l, &a, 10 * MS), 0); /* a now after b */
	run_until_idle(l, 10);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[0], 2);
	assert_int_equal(rec.order[1], 1);
	loop_free(l);
}

struct io {
	struct loop *l;
	int fds[2];
	int reads;
	int other_fd; /* unwatched by the callback */
	int hooks;
};

static void on_read(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct io *io = arg;
	char buf[16];

	assert_true(ev & LOOP_READ);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	io->reads++;
	if (io->other_fd >= 0) {
		loop_unwatch(l, io->other_fd);
		io->other_fd = -1;
	}
}

static void on_hook(struct loop *l, void *arg)
{
	struct io *io = arg;

	(void)l;
	io->hooks++;
}

static void test_fd_callbacks_and_unwatch_in_turn(void **state)
{
	struct loop *l;
	struct io a, b;

	(void)state;
	assert_int_equal(loop_new(&l, 1024), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(pipe(a.fds), 0);
	assert_int_equal(pipe(b.fds), 0);
	a.other_fd = b.fds[0];
	b.other_fd = a.fds[0];
	assert_int_equal(loop_watch(l, a.fds[0], LOOP_READ, on_read, &a), 0);
	assert_int_equal(loop_watch(l, b.fds[0], LOOP_READ, on_read, &b), 0);
	loop_set_before_sleep(l, on_hook, &a);
	/* both ready in the same turn: whichever runs first unwatches the other */
	assert_int_equal(write(a.fds[1], "x", 1), 1);
	assert_int_equal(write(b.fds[1], "y", 1), 1);
	assert_int_equal(loop_run_once(l, 100), 0);
	assert_int_equal(a.reads + b.reads, 1);
	assert_int_equal(a.hooks, 1);
	/* the unwatched one stays quiet though its data waits */
	assert_int_equal(loop_run_once(l, 10), 0);
	assert_int_equal(a.reads + b.reads, 1);
	assert_int_equal(a.hooks, 2);
	/* an fd out of range is refused */
	assert_int_equal(loop_watch(l, 5000, LOOP_READ, on_read, &a), -EBADF);
	close(a.fds[0]);
	close(a.fds[1]);
	close(b.fds[0]);
	close(b.fds[1]);
	loop_free(l);
}

static void on_stop(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

static void test_run_until_stop(void **state)
{
	struct loop *l;
	struct loop_timer t;
	int64_t t0;

	(void)state;
	assert_int_equal(loop_new(&l, 16), 0);
	loop_timer_init(&t, on_stop, NULL);
	t0 = loop_update_now(l);
	assert_int_equal(loop_timer_set(l, &t, 20 * MS), 0);
	assert_int_equal(loop_run(l), 0);
	assert_true(loop_now(l) - t0 >= 20 * MS);
	loop_free(l);
}

struct rearm {
	struct loop_timer t;
	int fired;
};

static void on_rearm(struct loop *l, void *arg)
{
	struct rearm *r = arg;

	r->fired++;
	assert_int_equal(loop_timer_set(l, &r->t, 0), 0);
}

/* A timer that re-arms itself with no delay fires once a turn, and the
 * turn still returns (I/O and signals are not starved). */
static void test_self_rearming_timer_yields(void **state)
{
	struct loop *l;
	struct rearm r = {{0}, 0};

	(void)state;
	assert_int_equal(loop_new(&l, 16), 0);
	loop_timer_init(&r.t, on_rearm, &r);
	assert_int_equal(loop_timer_set(l, &r.t, 0), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(r.fired, 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(r.fired, 2);
	loop_timer_cancel(l, &r.t);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_order),
		cmocka_unit_test(test_timer_rearm_moves_it),
		cmocka_unit_test(test_fd_callbacks_and_unwatch_in_turn),
		cmocka_unit_test(test_run_until_stop),
		cmocka_unit_test(test_self_rearming_timer_yields),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
