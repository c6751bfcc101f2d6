/*
 * loop.h - the event loop: epoll for file descriptors, a binary heap of
 * caller-owned timers, and a before-sleep hook.
 *
 * One loop per process, one thread. Callbacks run on the loop's thread and
 * may watch/unwatch any fd and arm/cancel any timer, including their own.
 * An fd unwatched during a turn gets no further callback in that turn.
 *
 * The before-sleep hook runs once per turn after every ready callback and
 * every due timer, before the loop blocks again: riskgwd commits its journal
 * there and only then flushes output (an order is durable before it is on
 * the wire, with one commit per turn).
 *
 * Nothing here allocates after loop_new(), except the timer heap growing when
 * more timers are armed at once than ever before.
 */
#ifndef GW_LOOP_H
#define GW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

#define LOOP_READ 0x1u
#define LOOP_WRITE 0x2u
#define LOOP_ERROR 0x4u /* EPOLLERR/EPOLLHUP: reported with READ */

typedef void loop_io_cb(struct loop *, int fd, unsigned events, void *arg);
typedef void loop_timer_cb(struct loop *, void *arg);
typedef void loop_hook_cb(struct loop *, void *arg);

/* A timer lives in its owner's struct. */
struct loop_timer {
	int64_t lt_when;       /* CLOCK_MONOTONIC ns it fires at */
	uint32_t lt_idx;       /* heap position + 1; 0 = not armed */
	uint64_t lt_gen;       /* the loop's timer pass it was armed in */
	loop_timer_cb *lt_cb;
	void *lt_arg;
};

/* maxfds: fds numbered below it can be watched. Returns 0 or -errno. */
int loop_new(struct loop **out, int maxfds);
void loop_free(struct loop *);

/* Watches fd for events (LOOP_READ | LOOP_WRITE); called again it changes the
 * events, the callback and the argument. events 0 keeps the fd registered but
 * quiet. Returns 0, -EBADF (fd out of range), or -errno from epoll_ctl. */
int loop_watch(struct loop *, int fd, unsigned events, loop_io_cb *cb, void *arg);
/* Stops watching fd (before the caller closes it). Safe if not watched. */
void loop_unwatch(struct loop *, int fd);

void loop_timer_init(struct loop_timer *, loop_timer_cb *cb, void *arg);
/* Arms (or re-arms) t to fire delay_ns from loop_now(). Returns 0 or -ENOMEM. */
int loop_timer_set(struct loop *, struct loop_timer *t, int64_t delay_ns);
void loop_timer_cancel(struct loop *, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->lt_idx != 0;
}

void loop_set_before_sleep(struct loop *, loop_hook_cb *cb, void *arg);

/* CLOCK_MONOTONIC ns, read at the start of the turn and after each wait. */
int64_t loop_now(const struct loop *);
/* Reads the clock now and updates loop_now(). */
int64_t loop_update_now(struct loop *);

/* Runs until loop_stop(). Returns 0, or -errno if epoll_wait fails. */
int loop_run(struct loop *);
/* Runs one turn, waiting at most timeout_ms (-1: until an event or timer). */
int loop_run_once(struct loop *, int timeout_ms);
void loop_stop(struct loop *);

#endif
