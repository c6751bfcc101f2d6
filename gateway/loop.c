/*
 * loop.c - epoll event loop with a timer heap (see loop.h).
 */
#include "config.h"

#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 256

struct watch {
	unsigned w_events;   /* what the caller asked for; 0 = not watched */
	bool w_registered;   /* known to epoll */
	loop_io_cb *w_cb;
	void *w_arg;
};

struct loop {
	int l_epfd;
	int l_maxfds;
	bool l_stop;
	int64_t l_now;
	struct watch *l_watch;
	struct loop_timer **l_heap;
	uint32_t l_nheap, l_capheap;
	uint64_t l_gen;            /* run_timers() pass; timers armed in it wait */
	loop_hook_cb *l_hook;
	void *l_hook_arg;
	struct epoll_event l_ev[LOOP_BATCH];
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int loop_new(struct loop **out, int maxfds)
{
	struct loop *l;

	*out = NULL;
	if (maxfds <= 0)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->l_watch = calloc((size_t)maxfds, sizeof(*l->l_watch));
	l->l_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->l_watch == NULL || l->l_epfd < 0) {
		int e = l->l_watch == NULL ? -ENOMEM : -errno;

		if (l->l_epfd >= 0)
			close(l->l_epfd);
		free(l->l_watch);
		free(l);
		return e;
	}
	l->l_maxfds = maxfds;
	l->l_now = mono_ns();
	*out = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	close(l->l_epfd);
	free(l->l_watch);
	free(l->l_heap);
	free(l);
}

static uint32_t to_epoll(unsigned events)
{
	uint32_t e = 0;

	if (events & LOOP_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & LOOP_WRITE)
		e |= EPOLLOUT;
	return e;
}

int loop_watch(struct loop *l, int fd, unsigned events, loop_io_cb *cb, void *arg)
{
	struct epoll_event ev;
	struct watch *w;

	if (fd < 0 || fd >= l->l_maxfds)
		return -EBADF;
	w = &l->l_watch[fd];
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.fd = fd;
	if (epoll_ctl(l->l_epfd, w->w_registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->w_registered = true;
	w->w_events = events;
	w->w_cb = cb;
	w->w_arg = arg;
	return 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	struct watch *w;

	if (fd < 0 || fd >= l->l_maxfds)
		return;
	w = &l->l_watch[fd];
	if (w->w_registered)
		(void)epoll_ctl(l->l_epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(w, 0, sizeof(*w));
}

/* ---- timers: a binary min-heap on lt_when ------------------------------------- */

static void heap_place(struct loop *l, uint32_t i, struct loop_timer *t)
{
	l->l_heap[i] = t;
	t->lt_idx = i + 1;
}

static void heap_up(struct loop *l, uint32_t i)
{
	struct loop_timer *t = l->l_heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (l->l_heap[p]->lt_when <= t->lt_when)
			break;
		heap_place(l, i, l->l_heap[p]);
		i = p;
	}
	heap_place(l, i, t);
}

static void heap_down(struct loop *l, uint32_t i)
{
	struct loop_timer *t = l->l_heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= l->l_nheap)
			break;
		if (c + 1 < l->l_nheap && l->l_heap[c + 1]->lt_when < l->l_heap[c]->lt_when)
			c++;
		if (t->lt_when <= l->l_heap[c]->lt_when)
			break;
		heap_place(l, i, l->l_heap[c]);
		i = c;
	}
	heap_place(l, i, t);
}

void loop_timer_init(struct loop_timer *t, loop_timer_cb *cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->lt_cb = cb;
	t->lt_arg = arg;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	uint32_t i;

	if (t->lt_idx == 0)
		return;
	i = t->lt_idx - 1;
	t->lt_idx = 0;
	l->l_nheap--;
	if (i == l->l_nheap)
		return;
	{
		struct loop_timer *moved = l->l_heap[l->l_nheap];

		heap_place(l, i, moved);
		heap_up(l, i);
		heap_down(l, moved->lt_idx - 1);
	}
}

int loop_timer_set(struct loop *l, struct loop_timer *t, int64_t delay_ns)
{
	if (t->lt_idx != 0)
		loop_timer_cancel(l, t);
	if (l->l_nheap == l->l_capheap) {
		uint32_t cap = l->l_capheap ? l->l_capheap * 2 : 64;
		struct loop_timer **h = realloc(l->l_heap, cap * sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		l->l_heap = h;
		l->l_capheap = cap;
	}
	t->lt_when = l->l_now + (delay_ns > 0 ? delay_ns : 0);
	t->lt_gen = l->l_gen;
	heap_place(l, l->l_nheap, t);
	l->l_nheap++;
	heap_up(l, l->l_nheap - 1);
	return 0;
}

/* Fires the timers due now. One armed (or re-armed) by a callback of this
 * pass waits for the next turn, even with a delay of 0, so that a timer that
 * re-arms itself cannot keep the loop from I/O. */
static void run_timers(struct loop *l)
{
	l->l_gen++;
	while (l->l_nheap > 0 && l->l_heap[0]->lt_when <= l->l_now &&
	    l->l_heap[0]->lt_gen != l->l_gen) {
		struct loop_timer *t = l->l_heap[0];

		loop_timer_cancel(l, t);
		t->lt_cb(l, t->lt_arg);
	}
}

/* ---- running ----------------------------------------------------------------- */

void loop_set_before_sleep(struct loop *l, loop_hook_cb *cb, void *arg)
{
	l->l_hook = cb;
	l->l_hook_arg = arg;
}

int64_t loop_now(const struct loop *l)
{
	return l->l_now;
}

int64_t loop_update_now(struct loop *l)
{
	l->l_now = mono_ns();
	return l->l_now;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	int n, i;

	if (l->l_hook != NULL)
		l->l_hook(l, l->l_hook_arg);
	if (l->l_nheap > 0) {
		int64_t wait = l->l_heap[0]->lt_when - mono_ns();
		int ms = wait <= 0 ? 0 : (int)((wait + 999999) / 1000000);

		if (timeout_ms < 0 || ms < timeout_ms)
			timeout_ms = ms;
	}
	n = epoll_wait(l->l_epfd, l->l_ev, LOOP_BATCH, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;
	loop_update_now(l);
	for (i = 0; i < n; i++) {
		int fd = l->l_ev[i].data.fd;
		struct watch *w = &l->l_watch[fd];
		uint32_t e = l->l_ev[i].events;
		unsigned ev = 0;

		if (w->w_events == 0 || w->w_cb == NULL)
			continue; /* unwatched during this turn */
		if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			ev |= LOOP_READ;
		if (e & EPOLLOUT)
			ev |= LOOP_WRITE;
		if (e & (EPOLLHUP | EPOLLERR))
			ev |= LOOP_ERROR;
		ev &= w->w_events | LOOP_ERROR;
		if (ev != 0)
			w->w_cb(l, fd, ev, w->w_arg);
	}
	run_timers(l);
	return 0;
}

int loop_run(struct loop *l)
{
	int rc = 0;

	l->l_stop = false;
	while (!l->l_stop && (rc = loop_run_once(l, -1)) == 0)
		;
	return rc;
}

void loop_stop(struct loop *l)
{
	l->l_stop = true;
}
