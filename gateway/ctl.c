/*
 * ctl.c - the control socket server (see ctl.h).
 *
 * Each client has an input buffer that holds one request of the largest
 * size accepted (CTL_HDR_LEN + CTL_MAX_REQUEST) and an output buffer that
 * grows to at most one chunk above CTL_OUT_LOW: a chunked reply's next chunk
 * is made only when less than CTL_OUT_LOW is queued, so a client that does
 * not read costs at most that much memory and no loop time.
 *
 * Like conn.c, output is written only up to cl_out_safe: what was queued
 * before the last ctl_server_committed(), i.e. after the owner's journal
 * commit. A client is closed by marking it dead (its fd unwatched and
 * closed at once, so the loop sends it nothing more); its memory is freed
 * from ctl_server_committed(), never inside one of its own callbacks.
 */
#include "config.h"

#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define SRV_MAGIC     0x63746c73u /* "ctls" */
#define CL_MAGIC      0x63746c63u /* "ctlc" */
#define IN_CAP        (CTL_HDR_LEN + CTL_MAX_REQUEST)
#define OUT_MAX       (CTL_OUT_LOW + CTL_HDR_LEN + CTL_MAX_PAYLOAD)
#define ACCEPT_BUDGET 16
#define MAX_GROUPS    256

enum cl_state {
	CL_OPEN = 0, /* reading requests, serving them */
	CL_DRAINING, /* no more requests: send what is queued, then close */
	CL_DEAD,     /* closed; freed by ctl_server_committed() */
};

struct client {
	uint32_t cl_magic;
	struct ctl_server *cl_srv;
	struct client *cl_prev, *cl_next; /* every live client */
	struct client *cl_next_dead;
	int cl_fd;
	enum cl_state cl_state;
	bool cl_eof; /* the peer shut down its writing side */
	bool cl_in_job, cl_deferred, cl_blocked;
	unsigned cl_watch;
	uid_t cl_uid;
	pid_t cl_pid;
	char *cl_in;
	size_t cl_in_len;
	char *cl_out;
	size_t cl_out_off, cl_out_safe, cl_out_len, cl_out_cap;
	struct ctl_job cl_job;
	json_t *cl_body; /* the job's request body */
	struct loop_timer cl_timer;
};

struct ctl_server {
	uint32_t s_magic;
	struct loop *s_loop;
	int s_fd;
	char s_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t s_dev;
	ino_t s_ino;
	struct ctl_server_config s_cfg;
	ctl_handler *s_handler;
	ctl_event_cb *s_event;
	void *s_arg;
	uid_t s_euid;
	struct client *s_all;
	struct client *s_dead;
	size_t s_nclients;
	struct loop_timer s_kick; /* a turn for requests left waiting */
};

static void event(struct ctl_server *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void event(struct ctl_server *s, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (s->s_event == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->s_event(s->s_arg, level, msg);
}

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, CTL_ERRLEN, fmt, ap);
	va_end(ap);
}

static struct client *client_of(void *arg)
{
	struct client *c = arg;

	if (c == NULL || c->cl_magic != CL_MAGIC)
		abort(); /* a callback with foreign data: memory is corrupt */
	return c;
}

static struct ctl_server *server_of(void *arg)
{
	struct ctl_server *s = arg;

	if (s == NULL || s->s_magic != SRV_MAGIC)
		abort();
	return s;
}

/* ---- client teardown ------------------------------------------------------------- */

/* Reads and drops what the peer sent that nobody will read (a bounded
 * amount): closing a unix socket with unread input resets the peer, which
 * then loses the error reply queued before the close. */
static void close_quietly(int fd)
{
	char buf[4096];
	int i;

	for (i = 0; i < 64 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
	close(fd);
}

static void end_job(struct client *c)
{
	json_decref(c->cl_body);
	c->cl_body = NULL;
	memset(&c->cl_job, 0, sizeof(c->cl_job));
	c->cl_in_job = c->cl_deferred = false;
}

/* The one teardown: the fd goes now, the memory at the next committed(). */
static void kill_client(struct client *c, const char *why)
{
	struct ctl_server *s = c->cl_srv;

	if (c->cl_state == CL_DEAD)
		return;
	if (c->cl_in_job)
		event(s, LOG_DEBUG, "control: uid %u pid %d: closed during a %s request: %s",
		      (unsigned)c->cl_uid, (int)c->cl_pid, ctl_type_name(c->cl_job.cj_type), why);
	else
		event(s, LOG_DEBUG, "control: uid %u pid %d: closed: %s", (unsigned)c->cl_uid,
		      (int)c->cl_pid, why);
	c->cl_state = CL_DEAD;
	loop_unwatch(s->s_loop, c->cl_fd);
	loop_timer_cancel(s->s_loop, &c->cl_timer);
	close_quietly(c->cl_fd);
	c->cl_fd = -1;
	end_job(c);
	if (c->cl_prev != NULL)
		c->cl_prev->cl_next = c->cl_next;
	else
		s->s_all = c->cl_next;
	if (c->cl_next != NULL)
		c->cl_next->cl_prev = c->cl_prev;
	c->cl_prev = c->cl_next = NULL;
	c->cl_next_dead = s->s_dead;
	s->s_dead = c;
	s->s_nclients--;
}

static void free_client(struct client *c)
{
	c->cl_magic = 0;
	free(c->cl_in);
	free(c->cl_out);
	free(c);
}

/* ---- output ------------------------------------------------------------------------ */

static size_t queued(const struct client *c)
{
	return c->cl_out_len - c->cl_out_off;
}

/* Makes room for n more bytes. 0 or -ENOBUFS (beyond OUT_MAX) / -ENOMEM. */
static int room(struct client *c, size_t n)
{
	size_t cap;
	char *p;

	if (c->cl_out_off > 0 && c->cl_out_len + n > c->cl_out_cap) {
		/* compact; cl_out_safe moves with the bytes */
		memmove(c->cl_out, c->cl_out + c->cl_out_off, queued(c));
		c->cl_out_len -= c->cl_out_off;
		c->cl_out_safe -= c->cl_out_off;
		c->cl_out_off = 0;
	}
	if (c->cl_out_len + n <= c->cl_out_cap)
		return 0;
	if (c->cl_out_len + n > OUT_MAX)
		return -ENOBUFS;
	cap = c->cl_out_cap ? c->cl_out_cap : 4096;
	while (cap < c->cl_out_len + n)
		cap *= 2;
	if (cap > OUT_MAX)
		cap = OUT_MAX;
	if ((p = realloc(c->cl_out, cap)) == NULL)
		return -ENOMEM;
	c->cl_out = p;
	c->cl_out_cap = cap;
	return 0;
}

static void queue_error(struct client *c, uint32_t id, const char *name, const char *text);

/* Queues one message; takes the reference to body. Returns true when it is
 * queued. A reply that cannot be encoded or queued becomes an error reply;
 * if even that fails the client is closed. */
static bool queue(struct client *c, unsigned type, uint32_t id, json_t *body)
{
	char err[CTL_ERRLEN] = "";
	size_t need = 0;
	int rc;

	rc = ctl_encode_into(type, id, body, NULL, 0, &need, err);
	if (rc == -ENOBUFS) {
		rc = room(c, need);
		if (rc == 0)
			rc = ctl_encode_into(type, id, body, c->cl_out + c->cl_out_len,
			                     c->cl_out_cap - c->cl_out_len, &need, err);
		else
			seterr(err, "%zu bytes do not fit the client's buffer: %s", need,
			       strerror(-rc));
	}
	json_decref(body);
	if (rc == 0) {
		c->cl_out_len += need;
		return true;
	}
	if (type == CTL_T_ERROR) {
		kill_client(c, "cannot queue an error reply");
		return false;
	}
	event(c->cl_srv, LOG_WARNING, "control: uid %u pid %d: %s reply not sent: %s",
	      (unsigned)c->cl_uid, (int)c->cl_pid, ctl_type_name(type), err);
	queue_error(c, id, "internal", err);
	return false;
}

static void queue_error(struct client *c, uint32_t id, const char *name, const char *text)
{
	json_t *b = ctl_error_body(name, text);

	if (b == NULL) {
		kill_client(c, "out of memory");
		return;
	}
	queue(c, CTL_T_ERROR, id, b);
}

static void arm_timer(struct client *c)
{
	struct ctl_server *s = c->cl_srv;
	bool busy = c->cl_in_job || c->cl_in_len > 0 || queued(c) > 0;

	(void)loop_timer_set(s->s_loop, &c->cl_timer,
	                     busy ? s->s_cfg.cs_stall_ns : s->s_cfg.cs_idle_ns);
}

static void on_client(struct loop *, int fd, unsigned ev, void *arg);

static void update_watch(struct client *c)
{
	unsigned want = 0;

	if (c->cl_state == CL_DEAD)
		return;
	if (c->cl_state == CL_OPEN && !c->cl_eof && c->cl_in_len < IN_CAP)
		want |= LOOP_READ;
	if (c->cl_blocked && c->cl_out_off < c->cl_out_safe)
		want |= LOOP_WRITE;
	if (want != c->cl_watch) {
		if (loop_watch(c->cl_srv->s_loop, c->cl_fd, want, on_client, c) != 0) {
			kill_client(c, "cannot watch the socket");
			return;
		}
		c->cl_watch = want;
	}
}

/* Writes what is safe to write. */
static void write_out(struct client *c)
{
	bool progress = false;

	c->cl_blocked = false;
	while (c->cl_state != CL_DEAD && c->cl_out_off < c->cl_out_safe) {
		ssize_t n = send(c->cl_fd, c->cl_out + c->cl_out_off,
		                 c->cl_out_safe - c->cl_out_off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->cl_blocked = true;
				break;
			}
			kill_client(c, strerror(errno));
			return;
		}
		c->cl_out_off += (size_t)n;
		progress = true;
	}
	if (c->cl_state == CL_DEAD)
		return;
	if (c->cl_out_off == c->cl_out_len) {
		c->cl_out_off = c->cl_out_len = c->cl_out_safe = 0;
		if (c->cl_state == CL_DRAINING ||
		    (c->cl_eof && !c->cl_in_job && c->cl_in_len == 0)) {
			kill_client(c, c->cl_state == CL_DRAINING ? "after an error reply"
			                                          : "the client is done");
			return;
		}
	}
	if (progress)
		arm_timer(c);
}

/* ---- requests ------------------------------------------------------------------------ */

static const char *error_name(int rc)
{
	switch (rc) {
	case CTL_EJSON:
	case CTL_ESCHEMA:
	case CTL_ETYPE:
	case CTL_ETRAILING:
		return "bad_request";
	case -EPERM:
	case -EACCES:
		return "permission";
	case -EBUSY:
		return "busy";
	default:
		return "failed";
	}
}

/* Runs one step of the current job. */
static void step(struct client *c)
{
	struct ctl_server *s = c->cl_srv;
	char err[CTL_ERRLEN] = "";
	json_t *reply = NULL;
	int rc;

	rc = s->s_handler(s->s_arg, &c->cl_job, &reply, err);
	switch (rc) {
	case CTL_SERVE_DONE:
	case CTL_SERVE_MORE:
		if (reply == NULL) {
			queue_error(c, c->cl_job.cj_id, "internal", "the handler made no reply");
			end_job(c);
			return;
		}
		if ((!queue(c, c->cl_job.cj_type | CTL_T_REPLY, c->cl_job.cj_id, reply) ||
		     rc == CTL_SERVE_DONE) &&
		    c->cl_state != CL_DEAD)
			end_job(c);
		return;
	case CTL_SERVE_DEFER:
		json_decref(reply);
		if (c->cl_job.cj_committed) {
			queue_error(c, c->cl_job.cj_id, "internal", "reply deferred twice");
			end_job(c);
			return;
		}
		c->cl_deferred = true;
		return;
	default:
		json_decref(reply);
		if (rc >= 0)
			seterr(err, "the handler returned %d", rc);
		queue_error(c, c->cl_job.cj_id,
		    c->cl_job.cj_errname != NULL ? c->cl_job.cj_errname : error_name(rc),
		    err[0] ? err : ctl_strerror(rc));
		end_job(c);
		return;
	}
}

/* Takes the next whole request from the input buffer. Returns false when
 * there is none (or the client is no longer open). */
static bool next_request(struct client *c)
{
	char err[CTL_ERRLEN] = "";
	struct ctl_hdr h;
	json_t *body = NULL;
	size_t total = 0;
	int rc;

	rc = ctl_frame(c->cl_in, c->cl_in_len, CTL_MAX_REQUEST, &h, &total, err);
	if (rc == CTL_NEED_MORE) {
		if (c->cl_eof && c->cl_in_len > 0) {
			queue_error(c, 0, "protocol", "the connection ended inside a request");
			c->cl_state = CL_DRAINING;
		}
		return false;
	}
	if (rc != 0) {
		/* the stream cannot be resynchronised: answer, then close */
		event(c->cl_srv, LOG_NOTICE, "control: uid %u pid %d: %s", (unsigned)c->cl_uid,
		      (int)c->cl_pid, err);
		queue_error(c, 0, "protocol", err);
		if (c->cl_state == CL_OPEN)
			c->cl_state = CL_DRAINING;
		return false;
	}
	rc = ctl_payload_decode(c->cl_in + CTL_HDR_LEN, h.h_len, &body, err);
	if (rc == 0)
		rc = ctl_request_check(h.h_type, body, err);
	memmove(c->cl_in, c->cl_in + total, c->cl_in_len - total);
	c->cl_in_len -= total;
	if (rc != 0) {
		json_decref(body);
		event(c->cl_srv, LOG_INFO, "control: uid %u pid %d: bad %s request: %s",
		      (unsigned)c->cl_uid, (int)c->cl_pid, ctl_type_name(h.h_type), err);
		queue_error(c, h.h_id, error_name(rc), err);
		return c->cl_state == CL_OPEN;
	}
	c->cl_in_job = true;
	c->cl_body = body;
	c->cl_job.cj_type = h.h_type;
	c->cl_job.cj_id = h.h_id;
	c->cl_job.cj_body = body;
	c->cl_job.cj_uid = c->cl_uid;
	c->cl_job.cj_pid = c->cl_pid;
	event(c->cl_srv, LOG_DEBUG, "control: uid %u pid %d: %s request %u", (unsigned)c->cl_uid,
	      (int)c->cl_pid, ctl_type_name(h.h_type), h.h_id);
	step(c);
	return true;
}

/* Serves what can be served now: the current job, then the next requests,
 * while less than CTL_OUT_LOW is queued (a client that pipelines and does
 * not read is served as it reads). */
static void pump(struct client *c, bool may_start)
{
	while (c->cl_state == CL_OPEN && queued(c) < CTL_OUT_LOW) {
		if (c->cl_in_job) {
			if (c->cl_deferred)
				return;
			step(c);
			continue;
		}
		if (!may_start || !next_request(c))
			return;
	}
}

static void read_in(struct client *c)
{
	while (c->cl_state == CL_OPEN && !c->cl_eof && c->cl_in_len < IN_CAP) {
		ssize_t n =
		    recv(c->cl_fd, c->cl_in + c->cl_in_len, IN_CAP - c->cl_in_len, MSG_DONTWAIT);

		if (n > 0) {
			c->cl_in_len += (size_t)n;
			arm_timer(c);
			continue;
		}
		if (n == 0) {
			c->cl_eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			kill_client(c, strerror(errno));
		break;
	}
}

/* After input or output: serve, and close a client that is done. New
 * requests start only inside a turn (may_start), never after the commit:
 * one that writes the journal (a KILL) must have a commit after it. */
static void settle(struct client *c, bool may_start)
{
	pump(c, may_start);
	if (c->cl_state != CL_DEAD && c->cl_eof && !c->cl_in_job && c->cl_in_len == 0 &&
	    queued(c) == 0)
		kill_client(c, "the client is done");
	if (c->cl_state != CL_DEAD)
		update_watch(c);
}

static void on_client(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct client *c = client_of(arg);

	(void)l;
	(void)fd;
	if (ev & LOOP_WRITE)
		write_out(c);
	if (c->cl_state == CL_DEAD)
		return;
	if (ev & LOOP_READ) {
		if ((c->cl_watch & LOOP_READ) == 0) {
			/* a hangup while not reading: nobody is left to answer */
			if ((ev & LOOP_ERROR) != 0)
				kill_client(c, "connection lost");
			return;
		}
		read_in(c);
	}
	if (c->cl_state != CL_DEAD)
		settle(c, true);
}

static void on_timer(struct loop *l, void *arg)
{
	struct client *c = client_of(arg);
	bool busy = c->cl_in_job || c->cl_in_len > 0 || queued(c) > 0;

	(void)l;
	event(c->cl_srv, busy ? LOG_NOTICE : LOG_DEBUG, "control: uid %u pid %d: %s, closing",
	      (unsigned)c->cl_uid, (int)c->cl_pid,
	      busy ? "no progress (a client that does not read?)" : "idle");
	kill_client(c, busy ? "stalled" : "idle");
}

/* ---- accepting --------------------------------------------------------------------- */

static bool in_group(int fd, gid_t gid, gid_t egid)
{
	gid_t groups[MAX_GROUPS];
	socklen_t len = sizeof(groups);
	size_t i;

	if (egid == gid)
		return true;
#ifdef SO_PEERGROUPS
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == gid)
				return true;
	}
#else
	(void)fd;
	(void)groups;
	(void)len;
	(void)i;
#endif
	return false;
}

/* Best effort: one error message to a client being turned away. */
static void turn_away(int fd, const char *name, const char *text)
{
	char buf[CTL_HDR_LEN + 512];
	json_t *b = ctl_error_body(name, text);
	size_t len;

	if (b != NULL && ctl_encode_into(CTL_T_ERROR, 0, b, buf, sizeof(buf), &len, NULL) == 0)
		(void)send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	json_decref(b);
	close_quietly(fd);
}

static void take(struct ctl_server *s, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct client *c;
	char text[200];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr)) {
		event(s, LOG_WARNING, "control: refused a connection: no peer credentials: %s",
		      strerror(errno));
		close(fd);
		return;
	}
	if (cr.uid != 0 && cr.uid != s->s_euid &&
	    !(s->s_cfg.cs_have_gid && in_group(fd, s->s_cfg.cs_gid, cr.gid))) {
		event(s, LOG_WARNING,
		      "control: refused uid %u gid %u pid %d: only root%s%s may connect",
		      (unsigned)cr.uid, (unsigned)cr.gid, (int)cr.pid,
		      s->s_euid != 0 ? ", riskgwd's user" : "",
		      s->s_cfg.cs_have_gid ? " and the control group" : "");
		snprintf(text, sizeof(text), "uid %u may not use riskgwd's control socket",
		         (unsigned)cr.uid);
		turn_away(fd, "permission", text);
		return;
	}
	if (s->s_nclients >= (size_t)s->s_cfg.cs_max_clients) {
		event(s, LOG_WARNING, "control: refused uid %u pid %d: %zu clients already",
		      (unsigned)cr.uid, (int)cr.pid, s->s_nclients);
		turn_away(fd, "busy", "too many control clients; try again");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->cl_in = malloc(IN_CAP)) == NULL) {
		free(c);
		event(s, LOG_WARNING, "control: refused a connection: out of memory");
		close(fd);
		return;
	}
	c->cl_magic = CL_MAGIC;
	c->cl_srv = s;
	c->cl_fd = fd;
	c->cl_uid = cr.uid;
	c->cl_pid = cr.pid;
	loop_timer_init(&c->cl_timer, on_timer, c);
	if (loop_watch(s->s_loop, fd, LOOP_READ, on_client, c) != 0) {
		event(s, LOG_WARNING, "control: cannot watch a client socket");
		free_client(c);
		close(fd);
		return;
	}
	c->cl_watch = LOOP_READ;
	c->cl_next = s->s_all;
	if (s->s_all != NULL)
		s->s_all->cl_prev = c;
	s->s_all = c;
	s->s_nclients++;
	arm_timer(c);
	event(s, LOG_DEBUG, "control: uid %u pid %d connected", (unsigned)cr.uid, (int)cr.pid);
}

static void on_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct ctl_server *s = server_of(arg);
	int i;

	(void)l;
	(void)ev;
	for (i = 0; i < ACCEPT_BUDGET; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				event(s, LOG_WARNING, "control: accept: %s", strerror(errno));
			return;
		}
		take(s, cfd);
	}
}

/* ---- the server ---------------------------------------------------------------------- */

/* Is something serving at path? 0 no (nothing there, or a stale socket,
 * removed), or -EADDRINUSE, -EEXIST, -errno with err filled. */
static int clear_path(const char *path, const struct sockaddr_un *sa, char err[CTL_ERRLEN])
{
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		seterr(err, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		seterr(err,
		       "%s exists and is not a socket: remove it or configure another "
		       "control path",
		       path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		seterr(err, "socket: %s", strerror(e));
		return -e;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN) {
		seterr(err, "%s: another riskgwd is serving this control socket", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		seterr(err, "%s: cannot tell whether it is in use: %s", path, strerror(e));
		return -e;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		e = errno;
		seterr(err, "%s: cannot remove the stale socket: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

static void on_kick(struct loop *, void *arg);

int ctl_server_open(struct ctl_server **out, struct loop *l, const struct ctl_server_config *cfg,
                    ctl_handler *handler, ctl_event_cb *ev, void *arg, char err[CTL_ERRLEN])
{
	struct ctl_server *s;
	struct sockaddr_un sa;
	struct stat st;
	mode_t um;
	int rc, e;

	*out = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (cfg->cs_path == NULL || cfg->cs_path[0] == '\0' ||
	    strlen(cfg->cs_path) >= sizeof(sa.sun_path)) {
		seterr(err, "control socket path must be 1 to %zu bytes", sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, cfg->cs_path, strlen(cfg->cs_path));
	if ((rc = clear_path(cfg->cs_path, &sa, err)) != 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		seterr(err, "out of memory");
		return -ENOMEM;
	}
	s->s_magic = SRV_MAGIC;
	s->s_loop = l;
	s->s_cfg = *cfg;
	s->s_cfg.cs_path = NULL; /* the caller's string: s_path is ours */
	if (s->s_cfg.cs_max_clients <= 0)
		s->s_cfg.cs_max_clients = CTL_MAX_CLIENTS;
	if (s->s_cfg.cs_stall_ns <= 0)
		s->s_cfg.cs_stall_ns = CTL_STALL_NS;
	if (s->s_cfg.cs_idle_ns <= 0)
		s->s_cfg.cs_idle_ns = CTL_IDLE_NS;
	memcpy(s->s_path, sa.sun_path, sizeof(s->s_path));
	s->s_handler = handler;
	s->s_event = ev;
	s->s_arg = arg;
	s->s_euid = geteuid();
	loop_timer_init(&s->s_kick, on_kick, s);
	s->s_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->s_fd < 0) {
		e = errno;
		seterr(err, "socket: %s", strerror(e));
		free(s);
		return -e;
	}
	/* created 0660 at once: never a moment with more */
	um = umask(0117);
	rc = bind(s->s_fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(um);
	if (rc != 0) {
		if (e == ENOENT)
			seterr(err, "%s: its directory does not exist", s->s_path);
		else
			seterr(err, "%s: bind: %s", s->s_path, strerror(e));
		close(s->s_fd);
		free(s);
		return -e;
	}
	if (chmod(s->s_path, 0660) != 0 || lstat(s->s_path, &st) != 0 ||
	    (cfg->cs_have_gid && chown(s->s_path, (uid_t)-1, cfg->cs_gid) != 0) ||
	    listen(s->s_fd, 16) != 0 ||
	    (rc = loop_watch(l, s->s_fd, LOOP_READ, on_accept, s)) != 0) {
		e = rc != 0 ? -rc : errno;
		seterr(err, "%s: %s", s->s_path, strerror(e));
		(void)unlink(s->s_path);
		close(s->s_fd);
		free(s);
		return -e;
	}
	s->s_dev = st.st_dev;
	s->s_ino = st.st_ino;
	*out = s;
	return 0;
}

/* A whole request (or a bad header) is in the input buffer. */
static bool request_waiting(const struct client *c)
{
	struct ctl_hdr h;
	size_t total;

	return ctl_frame(c->cl_in, c->cl_in_len, CTL_MAX_REQUEST, &h, &total, NULL) !=
	       CTL_NEED_MORE;
}

static void on_kick(struct loop *l, void *arg)
{
	struct ctl_server *s = server_of(arg);
	struct client *c, *next;

	(void)l;
	for (c = s->s_all; c != NULL; c = next) {
		next = c->cl_next;
		settle(c, true);
	}
}

void ctl_server_committed(struct ctl_server *s)
{
	struct client *c, *next;
	bool kick = false;

	if (s == NULL)
		return;
	for (c = s->s_all; c != NULL; c = next) {
		next = c->cl_next;
		if (c->cl_deferred) {
			c->cl_deferred = false;
			c->cl_job.cj_committed = true;
			step(c);
			if (c->cl_state == CL_DEAD)
				continue;
		}
		settle(c, false); /* the next chunks, where there is room */
		if (c->cl_state == CL_DEAD)
			continue;
		c->cl_out_safe = c->cl_out_len;
		if (!c->cl_blocked)
			write_out(c);
		if (c->cl_state == CL_DEAD)
			continue;
		update_watch(c);
		/* requests that waited behind a deferred one: the next turn */
		if (c->cl_state == CL_OPEN && !c->cl_in_job && queued(c) < CTL_OUT_LOW &&
		    request_waiting(c))
			kick = true;
	}
	if (kick)
		(void)loop_timer_set(s->s_loop, &s->s_kick, 0);
	while ((c = s->s_dead) != NULL) {
		s->s_dead = c->cl_next_dead;
		free_client(c);
	}
}

size_t ctl_server_clients(const struct ctl_server *s)
{
	return s->s_nclients;
}

void ctl_server_close(struct ctl_server *s)
{
	struct stat st;
	struct client *c;

	if (s == NULL)
		return;
	while (s->s_all != NULL)
		kill_client(s->s_all, "riskgwd is stopping");
	while ((c = s->s_dead) != NULL) {
		s->s_dead = c->cl_next_dead;
		free_client(c);
	}
	loop_timer_cancel(s->s_loop, &s->s_kick);
	loop_unwatch(s->s_loop, s->s_fd);
	close(s->s_fd);
	if (lstat(s->s_path, &st) == 0 && st.st_dev == s->s_dev && st.st_ino == s->s_ino)
		(void)unlink(s->s_path);
	s->s_magic = 0;
	free(s);
}
