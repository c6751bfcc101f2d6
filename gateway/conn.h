/*
 * conn.h - a TLS connection on the event loop, with the buffers it owns.
 *
 * A conn is a non-blocking TCP socket wrapped in TLS, with one input buffer
 * and one output buffer allocated when it is made (nothing per message).
 * States: CONNECTING (TCP connect in progress, initiators only) ->
 * HANDSHAKE -> OPEN -> CLOSED. Every conn belongs to a conn_set, which the
 * owner of the loop drives from its before-sleep hook:
 *
 *   conn_set_flush()  writes pending output of every conn (call it after the
 *                     journal commit: nothing leaves before it is durable)
 *   conn_set_reap()   tears down conns closed during the turn
 *
 * Close is always deferred: conn_close() from any callback marks the conn,
 * stops its I/O and schedules teardown; on_close runs once, from reap, and
 * the conn is freed after it returns. A conn is never freed inside one of
 * its own callbacks.
 */
#ifndef GW_CONN_H
#define GW_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "tls.h"

struct conn;
struct conn_set;

/* Defaults of conn_params' budget per conn and loop turn: messages (co_data
 * calls that consume), and bytes read. */
#define CONN_MSG_BUDGET 32
#define CONN_READ_BUDGET (8 * 1024)

enum conn_state { CONN_CONNECTING = 0, CONN_HANDSHAKE, CONN_OPEN, CONN_CLOSED };

struct conn_ops {
	/* TLS is up: the peer's identity can be read. */
	void (*co_open)(struct conn *, void *arg);
	/* buf[0..len) is the unconsumed input; returns how many bytes were
	 * consumed (0..len): one message, or 0 for an incomplete one. Called
	 * again while it consumes and input remains, at most cp_turn_msgs
	 * times per conn and loop turn; the rest waits for the next turn,
	 * after the owner's commit and flush (the conn schedules that turn
	 * itself). */
	size_t (*co_data)(struct conn *, const char *buf, size_t len, void *arg);
	/* The conn is gone (reason says why); called once, from conn_set_reap. */
	void (*co_close)(struct conn *, const char *reason, void *arg);
};

int conn_set_new(struct conn_set **out, struct loop *);
void conn_set_free(struct conn_set *);   /* closes and frees every conn */
void conn_set_flush(struct conn_set *);
void conn_set_reap(struct conn_set *);

struct conn_params {
	size_t cp_in_cap;    /* input buffer bytes (>= the largest message) */
	size_t cp_out_cap;   /* output buffer bytes: beyond it the peer is too slow */
	int64_t cp_handshake_timeout_ns;
	/* What the conn hands its owner per loop turn before the rest waits
	 * for the next turn: at most cp_turn_msgs messages (0: CONN_MSG_BUDGET)
	 * from at most cp_turn_bytes read (0: CONN_READ_BUDGET). Short turns
	 * let the peers work on the start of a burst while the owner handles
	 * the rest; long turns share one commit among more messages, which is
	 * what pays when each commit is an fsync. */
	unsigned cp_turn_msgs;
	size_t cp_turn_bytes;
};

/* Wraps an accepted socket (server side of TLS). Takes fd (closed on error
 * and at teardown). Returns 0 or -errno. */
int conn_accept(struct conn_set *, int fd, struct tls_ctx *, const struct conn_params *,
    const struct conn_ops *, void *arg, struct conn **out);
/* Starts a non-blocking connect to addr and a TLS client handshake that
 * verifies server_name. Returns 0 or -errno (a refused connect is reported
 * later through co_close). */
int conn_connect(struct conn_set *, const struct sockaddr *addr, socklen_t addrlen,
    struct tls_ctx *, const char *server_name, const struct conn_params *,
    const struct conn_ops *, void *arg, struct conn **out);

/* Queues len bytes (all or nothing). Returns 0, or -ENOBUFS when the output
 * buffer cannot take them: the conn is then closed as too slow. Data queued
 * before the conn is open is sent after the handshake. */
int conn_send(struct conn *, const void *buf, size_t len);
/* Room in the output buffer, and a pointer to it for building in place:
 * write up to conn_room() bytes at conn_tail(), then conn_commit(n). */
size_t conn_room(const struct conn *);
char *conn_tail(struct conn *);
void conn_commit(struct conn *, size_t n);
/* Bytes queued, not yet written to the socket. */
size_t conn_pending(const struct conn *);

/* Schedules the close; the reason is kept for co_close and logs. Sends
 * queued output and a TLS close_notify first when graceful is true. */
void conn_close(struct conn *, bool graceful, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum conn_state conn_state(const struct conn *);
/* The peer certificate's identity (after co_open), "" if none. */
const char *conn_peer(const struct conn *);
/* "a.b.c.d:port" of the peer. */
const char *conn_addr(const struct conn *);
const char *conn_tls_version(const struct conn *);
void conn_set_arg(struct conn *, const struct conn_ops *, void *arg);

#endif
