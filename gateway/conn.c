/*
 * conn.c - TLS connections on the event loop (see conn.h).
 *
 * Output is written only up to c_out_safe: the bytes queued before the last
 * conn_set_flush(). The owner calls conn_set_flush() after committing its
 * journal, so a socket that becomes writable in the middle of a turn cannot
 * send an order the journal does not hold yet.
 */
#include "config.h"

#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_MAGIC 0x636f6e6eu /* "conn" */

struct conn {
	uint32_t c_magic;
	struct conn_set *c_set;
	struct conn *c_prev, *c_next;      /* all conns of the set */
	struct conn *c_next_dirty;         /* output to flush this turn */
	struct conn *c_next_dead;          /* closed, to reap */
	int c_fd;
	enum conn_state c_state;
	bool c_server;
	bool c_dirty, c_closing, c_graceful;
	unsigned c_watch;                  /* events asked of the loop */
	struct tls_conn *c_tls;
	const struct conn_ops *c_ops;
	void *c_arg;
	char *c_in;
	size_t c_in_len, c_in_cap;
	unsigned c_turn_msgs;              /* cp_turn_msgs, defaulted */
	size_t c_turn_bytes;               /* cp_turn_bytes, defaulted */
	char *c_out;
	size_t c_out_off, c_out_safe, c_out_len, c_out_cap;
	struct loop_timer c_hs_timer;
	struct loop_timer c_more;          /* input TLS holds after a read budget */
	char c_reason[200];
	char c_peer[128];
	char c_addr[64];
};

struct conn_set {
	struct loop *s_loop;
	struct conn *s_all;
	struct conn *s_dirty;
	struct conn *s_dead;
};

static struct conn *conn_of(void *arg)
{
	struct conn *c = arg;

	if (c == NULL || c->c_magic != CONN_MAGIC)
		abort(); /* a callback with foreign data: memory is corrupt */
	return c;
}

/* ---- the set ----------------------------------------------------------------- */

int conn_set_new(struct conn_set **out, struct loop *l)
{
	struct conn_set *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	s->s_loop = l;
	*out = s;
	return 0;
}

static void teardown(struct conn *c);

void conn_set_free(struct conn_set *s)
{
	if (s == NULL)
		return;
	while (s->s_all != NULL) {
		struct conn *c = s->s_all;

		if (!c->c_closing)
			snprintf(c->c_reason, sizeof(c->c_reason), "shutting down");
		teardown(c);
	}
	free(s);
}

/* ---- I/O --------------------------------------------------------------------- */

static void on_io(struct loop *l, int fd, unsigned ev, void *arg);

static void watch(struct conn *c, unsigned ev)
{
	if (c->c_watch == ev || c->c_fd < 0)
		return;
	if (loop_watch(c->c_set->s_loop, c->c_fd, ev, on_io, c) == 0)
		c->c_watch = ev;
}

static void fail(struct conn *c, const char *what, const char *err)
{
	conn_close(c, false, "%s: %s: %s", c->c_addr, what, err);
}

static void do_write(struct conn *c)
{
	char err[TLS_ERRLEN];

	while (c->c_out_off < c->c_out_safe) {
		ssize_t n = tls_write(c->c_tls, c->c_out + c->c_out_off,
		    c->c_out_safe - c->c_out_off, err);

		if (n > 0) {
			c->c_out_off += (size_t)n;
			continue;
		}
		if (n == TLS_WANT_WRITE || n == TLS_WANT_READ) {
			watch(c, LOOP_READ | LOOP_WRITE);
			return;
		}
		fail(c, "write", err);
		return;
	}
	if (c->c_out_off == c->c_out_len) {
		c->c_out_off = c->c_out_safe = c->c_out_len = 0;
	}
	watch(c, LOOP_READ);
}

/* Hands complete messages to the owner, at most *msgs of them; returns
 * true when input is left for a later turn. */
static bool deliver(struct conn *c, unsigned *msgs)
{
	size_t off = 0;

	while (off < c->c_in_len && !c->c_closing && *msgs > 0) {
		size_t used = c->c_ops->co_data(c, c->c_in + off, c->c_in_len - off, c->c_arg);

		if (used == 0)
			break;
		off += used;
		(*msgs)--;
	}
	if (off > 0) {
		memmove(c->c_in, c->c_in + off, c->c_in_len - off);
		c->c_in_len -= off;
	}
	return *msgs == 0 && c->c_in_len > 0;
}

static void do_read(struct conn *c)
{
	size_t budget = c->c_turn_bytes;
	unsigned msgs = c->c_turn_msgs;
	bool more = deliver(c, &msgs); /* what an earlier turn left */
	char err[TLS_ERRLEN];

	while (!c->c_closing && !more && budget > 0) {
		ssize_t n;

		if (c->c_in_len == c->c_in_cap) {
			conn_close(c, false, "input buffer full (%zu bytes) without a message",
			    c->c_in_cap);
			return;
		}
		n = tls_read(c->c_tls, c->c_in + c->c_in_len, c->c_in_cap - c->c_in_len, err);
		if (n > 0) {
			c->c_in_len += (size_t)n;
			budget = budget > (size_t)n ? budget - (size_t)n : 0;
			more = deliver(c, &msgs);
			continue;
		}
		if (n == TLS_WANT_READ)
			return;
		if (n == TLS_WANT_WRITE) {
			watch(c, LOOP_READ | LOOP_WRITE);
			return;
		}
		if (n == TLS_CLOSED) {
			conn_close(c, false, "closed by peer");
			return;
		}
		fail(c, "read", err);
		return;
	}
	/* Out of budget: what is still in the socket wakes epoll again, but
	 * messages already read, or plaintext TLS already holds, would not;
	 * come back next turn, after this turn's commit and flush. 1 ns, not
	 * 0: the loop runs the timers due at the end of this turn, and reads
	 * its clock only after the next epoll_wait(). */
	if (!c->c_closing && (more || tls_pending(c->c_tls) > 0))
		(void)loop_timer_set(c->c_set->s_loop, &c->c_more, 1);
}

static void on_more(struct loop *l, void *arg)
{
	struct conn *c = conn_of(arg);

	(void)l;
	if (!c->c_closing && c->c_state == CONN_OPEN)
		do_read(c);
}

static void handshake(struct conn *c)
{
	char err[TLS_ERRLEN];
	int r = tls_handshake(c->c_tls, err);

	if (r == TLS_WANT_READ) {
		watch(c, LOOP_READ);
		return;
	}
	if (r == TLS_WANT_WRITE) {
		watch(c, LOOP_READ | LOOP_WRITE);
		return;
	}
	if (r != 0) {
		fail(c, "TLS", err);
		return;
	}
	loop_timer_cancel(c->c_set->s_loop, &c->c_hs_timer);
	c->c_state = CONN_OPEN;
	if (tls_peer_identity(c->c_tls, c->c_peer, sizeof(c->c_peer)) != 0)
		c->c_peer[0] = '\0';
	watch(c, LOOP_READ);
	if (c->c_ops->co_open != NULL)
		c->c_ops->co_open(c, c->c_arg);
	if (!c->c_closing)
		do_read(c); /* bytes may have come with the last handshake flight */
}

static void on_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct conn *c = conn_of(arg);

	(void)l;
	(void)fd;
	if (c->c_closing)
		return;
	switch (c->c_state) {
	case CONN_CONNECTING: {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(c->c_fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0) {
			conn_close(c, false, "connect to %s: %s", c->c_addr, strerror(soerr));
			return;
		}
		c->c_state = CONN_HANDSHAKE;
		handshake(c);
		return;
	}
	case CONN_HANDSHAKE:
		handshake(c);
		return;
	case CONN_OPEN:
		if (ev & LOOP_WRITE)
			do_write(c);
		if (!c->c_closing && (ev & LOOP_READ))
			do_read(c);
		return;
	case CONN_CLOSED:
		return;
	}
}

static void on_hs_timeout(struct loop *l, void *arg)
{
	struct conn *c = conn_of(arg);

	(void)l;
	if (c->c_state != CONN_OPEN)
		conn_close(c, false, "%s timed out",
		    c->c_state == CONN_CONNECTING ? "TCP connect" : "TLS handshake");
}

/* ---- making conns ------------------------------------------------------------ */

static void fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	} else {
		snprintf(buf, len, "unix");
	}
}

static int make(struct conn_set *s, int fd, bool server, const struct conn_params *p,
    const struct conn_ops *ops, void *arg, struct conn **out)
{
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	*out = NULL;
	if (c == NULL)
		return -ENOMEM;
	c->c_in = malloc(p->cp_in_cap);
	c->c_out = malloc(p->cp_out_cap);
	if (c->c_in == NULL || c->c_out == NULL) {
		free(c->c_in);
		free(c->c_out);
		free(c);
		return -ENOMEM;
	}
	c->c_magic = CONN_MAGIC;
	c->c_set = s;
	c->c_fd = fd;
	c->c_server = server;
	c->c_in_cap = p->cp_in_cap;
	c->c_turn_msgs = p->cp_turn_msgs != 0 ? p->cp_turn_msgs : CONN_MSG_BUDGET;
	c->c_turn_bytes = p->cp_turn_bytes != 0 ? p->cp_turn_bytes : CONN_READ_BUDGET;
	c->c_out_cap = p->cp_out_cap;
	c->c_ops = ops;
	c->c_arg = arg;
	loop_timer_init(&c->c_hs_timer, on_hs_timeout, c);
	loop_timer_init(&c->c_more, on_more, c);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->c_next = s->s_all;
	if (s->s_all != NULL)
		s->s_all->c_prev = c;
	s->s_all = c;
	*out = c;
	return 0;
}

static void unlink_conn(struct conn *c)
{
	struct conn_set *s = c->c_set;

	if (c->c_prev != NULL)
		c->c_prev->c_next = c->c_next;
	else
		s->s_all = c->c_next;
	if (c->c_next != NULL)
		c->c_next->c_prev = c->c_prev;
}

int conn_accept(struct conn_set *s, int fd, struct tls_ctx *ctx, const struct conn_params *p,
    const struct conn_ops *ops, void *arg, struct conn **out)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct conn *c;
	int rc, fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = make(s, fd, true, p, ops, arg, &c);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		fmt_addr((struct sockaddr *)&ss, c->c_addr, sizeof(c->c_addr));
	c->c_state = CONN_HANDSHAKE;
	if ((rc = tls_conn_new(&c->c_tls, ctx, fd, true, NULL)) != 0 ||
	    (rc = loop_watch(s->s_loop, fd, LOOP_READ, on_io, c)) != 0) {
		unlink_conn(c);
		tls_conn_free(c->c_tls);
		close(fd);
		free(c->c_in);
		free(c->c_out);
		free(c);
		return rc;
	}
	c->c_watch = LOOP_READ;
	if (p->cp_handshake_timeout_ns > 0)
		(void)loop_timer_set(s->s_loop, &c->c_hs_timer, p->cp_handshake_timeout_ns);
	*out = c;
	return 0;
}

int conn_connect(struct conn_set *s, const struct sockaddr *addr, socklen_t addrlen,
    struct tls_ctx *ctx, const char *server_name, const struct conn_params *p,
    const struct conn_ops *ops, void *arg, struct conn **out)
{
	struct conn *c;
	int fd, rc;

	*out = NULL;
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = make(s, fd, false, p, ops, arg, &c);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	fmt_addr(addr, c->c_addr, sizeof(c->c_addr));
	if ((rc = tls_conn_new(&c->c_tls, ctx, fd, false, server_name)) != 0)
		goto fail;
	c->c_state = CONN_CONNECTING;
	if (connect(fd, addr, addrlen) < 0 && errno != EINPROGRESS) {
		/* reported through co_close, like a refusal found later */
		conn_close(c, false, "connect to %s: %s", c->c_addr, strerror(errno));
		*out = c;
		return 0;
	}
	if ((rc = loop_watch(s->s_loop, fd, LOOP_WRITE, on_io, c)) != 0)
		goto fail;
	c->c_watch = LOOP_WRITE;
	if (p->cp_handshake_timeout_ns > 0)
		(void)loop_timer_set(s->s_loop, &c->c_hs_timer, p->cp_handshake_timeout_ns);
	*out = c;
	return 0;
fail:
	unlink_conn(c);
	tls_conn_free(c->c_tls);
	close(fd);
	free(c->c_in);
	free(c->c_out);
	free(c);
	return rc;
}

/* ---- output ------------------------------------------------------------------- */

static void mark_dirty(struct conn *c)
{
	if (c->c_dirty)
		return;
	c->c_dirty = true;
	c->c_next_dirty = c->c_set->s_dirty;
	c->c_set->s_dirty = c;
}

static void compact(struct conn *c)
{
	if (c->c_out_off == 0)
		return;
	memmove(c->c_out, c->c_out + c->c_out_off, c->c_out_len - c->c_out_off);
	c->c_out_len -= c->c_out_off;
	c->c_out_safe -= c->c_out_off;
	c->c_out_off = 0;
}

size_t conn_room(const struct conn *c)
{
	return c->c_out_cap - c->c_out_len + c->c_out_off;
}

char *conn_tail(struct conn *c)
{
	if (c->c_out_cap - c->c_out_len < conn_room(c))
		compact(c);
	return c->c_out + c->c_out_len;
}

void conn_commit(struct conn *c, size_t n)
{
	c->c_out_len += n;
	mark_dirty(c);
}

int conn_send(struct conn *c, const void *buf, size_t len)
{
	if (c->c_closing)
		return -EPIPE;
	if (len > conn_room(c)) {
		conn_close(c, false, "output buffer full (%zu bytes queued): peer too slow",
		    conn_pending(c));
		return -ENOBUFS;
	}
	memcpy(conn_tail(c), buf, len);
	conn_commit(c, len);
	return 0;
}

size_t conn_pending(const struct conn *c)
{
	return c->c_out_len - c->c_out_off;
}

void conn_set_flush(struct conn_set *s)
{
	struct conn *c = s->s_dirty;

	s->s_dirty = NULL;
	while (c != NULL) {
		struct conn *next = c->c_next_dirty;

		c->c_dirty = false;
		c->c_next_dirty = NULL;
		c->c_out_safe = c->c_out_len;
		if (c->c_state == CONN_OPEN && !c->c_closing)
			do_write(c);
		c = next;
	}
}

/* ---- closing ------------------------------------------------------------------- */

void conn_close(struct conn *c, bool graceful, const char *fmt, ...)
{
	va_list ap;

	if (c->c_closing)
		return;
	c->c_closing = true;
	c->c_graceful = graceful;
	va_start(ap, fmt);
	vsnprintf(c->c_reason, sizeof(c->c_reason), fmt, ap);
	va_end(ap);
	watch(c, 0);
	loop_timer_cancel(c->c_set->s_loop, &c->c_hs_timer);
	loop_timer_cancel(c->c_set->s_loop, &c->c_more);
	c->c_next_dead = c->c_set->s_dead;
	c->c_set->s_dead = c;
}

static void teardown(struct conn *c)
{
	struct conn_set *s = c->c_set;

	if (c->c_state == CONN_OPEN && c->c_graceful) {
		c->c_out_safe = c->c_out_len;
		while (c->c_out_off < c->c_out_len) {
			char err[TLS_ERRLEN];
			ssize_t n = tls_write(c->c_tls, c->c_out + c->c_out_off,
			    c->c_out_len - c->c_out_off, err);

			if (n <= 0)
				break;
			c->c_out_off += (size_t)n;
		}
		tls_shutdown(c->c_tls);
	}
	loop_timer_cancel(s->s_loop, &c->c_hs_timer);
	loop_timer_cancel(s->s_loop, &c->c_more);
	loop_unwatch(s->s_loop, c->c_fd);
	close(c->c_fd);
	c->c_fd = -1;
	c->c_state = CONN_CLOSED;
	unlink_conn(c);
	if (c->c_ops->co_close != NULL)
		c->c_ops->co_close(c, c->c_reason, c->c_arg);
	tls_conn_free(c->c_tls);
	free(c->c_in);
	free(c->c_out);
	c->c_magic = 0;
	free(c);
}

void conn_set_reap(struct conn_set *s)
{
	while (s->s_dead != NULL) {
		struct conn *c = s->s_dead;

		s->s_dead = c->c_next_dead;
		if (c->c_dirty) { /* drop it from the dirty list */
			struct conn **pp = &s->s_dirty;

			while (*pp != NULL && *pp != c)
				pp = &(*pp)->c_next_dirty;
			if (*pp == c)
				*pp = c->c_next_dirty;
		}
		teardown(c);
	}
}

/* ---- accessors ------------------------------------------------------------------ */

enum conn_state conn_state(const struct conn *c)
{
	return c->c_closing ? CONN_CLOSED : c->c_state;
}

const char *conn_peer(const struct conn *c)
{
	return c->c_peer;
}

const char *conn_addr(const struct conn *c)
{
	return c->c_addr;
}

const char *conn_tls_version(const struct conn *c)
{
	return c->c_state == CONN_OPEN ? tls_version(c->c_tls) : "";
}

void conn_set_arg(struct conn *c, const struct conn_ops *ops, void *arg)
{
	c->c_ops = ops;
	c->c_arg = arg;
}
