/*
 * test_ctl.c - the control socket server (gateway/ctl.h) on a real loop and
 * real unix sockets, with a fake handler: socket file life cycle, replies
 * only after the commit hook, deferred replies, chunked replies to a slow
 * reader, pipelining, garbage, peer credential checks (getsockopt is
 * wrapped to fake another uid), client limits and timeouts.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"
#include "loop.h"
#include "testutil.h"

/* ---- getsockopt wrapper: fake peer credentials ------------------------------------ */

int __real_getsockopt(int fd, int level, int opt, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int opt, void *val, socklen_t *len);

static bool fake_cred;
static uid_t fake_uid;
static gid_t fake_gid;

int __wrap_getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
	int rc = __real_getsockopt(fd, level, opt, val, len);

	if (rc == 0 && fake_cred && level == SOL_SOCKET && opt == SO_PEERCRED) {
		struct ucred *cr = val;

		cr->uid = fake_uid;
		cr->gid = fake_gid;
	}
#ifdef SO_PEERGROUPS
	if (fake_cred && level == SOL_SOCKET && opt == SO_PEERGROUPS) {
		*len = 0; /* no supplementary groups */
		return 0;
	}
#endif
	return rc;
}

/* ---- fixture ---------------------------------------------------------------------- */

#define TOTAL_ITEMS 10000
#define CHUNK       500

struct fx {
	char *dir, *path;
	struct loop *l;
	struct ctl_server *s;
	int calls, committed_calls, max_cursor;
	uint32_t last_uid;
	char events[4096];
	int warnings;
};

static void on_event(void *arg, int level, const char *msg)
{
	struct fx *f = arg;
	size_t n = strlen(f->events);

	if (level <= LOG_WARNING)
		f->warnings++;
	snprintf(f->events + n, sizeof(f->events) - n, "%s\n", msg);
}

/* STATUS: {"ok":true}; KILL: defers, then {"killed":who}; PARENTS: TOTAL_ITEMS
 * items in chunks; COUNTERS: an error; SESSIONS: {"n":calls}. */
static int handler(void *arg, struct ctl_job *j, json_t **reply, char err[CTL_ERRLEN])
{
	struct fx *f = arg;

	f->calls++;
	f->last_uid = (uint32_t)j->cj_uid;
	if (j->cj_committed)
		f->committed_calls++;
	switch (j->cj_type) {
	case CTL_T_STATUS:
		*reply = json_pack("{s:b}", "ok", 1);
		return CTL_SERVE_DONE;
	case CTL_T_SESSIONS:
		*reply = json_pack("{s:i}", "n", f->calls);
		return CTL_SERVE_DONE;
	case CTL_T_KILL:
		if (!j->cj_committed)
			return CTL_SERVE_DEFER;
		*reply = json_pack("{s:O}", "killed", json_object_get(j->cj_body, "who"));
		return CTL_SERVE_DONE;
	case CTL_T_PARENTS: {
		json_t *a = json_array();
		uint64_t i;

		for (i = j->cj_cursor; i < j->cj_cursor + CHUNK && i < TOTAL_ITEMS; i++)
			json_array_append_new(a, json_pack("{s:I, s:s}", "i", (json_int_t)i, "pad",
			                                   "012345678901234567890123456789012345678"
			                                   "9012345678901234567890123"));
		j->cj_cursor = i;
		if ((int)i > f->max_cursor)
			f->max_cursor = (int)i;
		*reply = json_pack("{s:o, s:b}", "items", a, "more", i < TOTAL_ITEMS);
		return i < TOTAL_ITEMS ? CTL_SERVE_MORE : CTL_SERVE_DONE;
	}
	default:
		snprintf(err, CTL_ERRLEN, "counters are broken today");
		return -EIO;
	}
}

static int open_server(struct fx *f, const struct ctl_server_config *base)
{
	struct ctl_server_config cfg = {0};
	char err[CTL_ERRLEN];
	int rc;

	if (base != NULL)
		cfg = *base;
	cfg.cs_path = f->path;
	rc = ctl_server_open(&f->s, f->l, &cfg, handler, on_event, f, err);
	if (rc != 0)
		fprintf(stderr, "ctl_server_open: %s\n", err);
	return rc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_mkdtemp("ctl");
	f->path = tu_path(f->dir, "control.sock");
	if (loop_new(&f->l, 1024) != 0)
		return -1;
	fake_cred = false;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ctl_server_close(f->s);
	loop_free(f->l);
	tu_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

/* One loop turn as riskgwd runs it: callbacks, then (the journal commit
 * and) ctl_server_committed(). */
static void turn(struct fx *f)
{
	assert_int_equal(loop_run_once(f->l, 5), 0);
	ctl_server_committed(f->s);
}

static int client(struct fx *f)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_req(int fd, unsigned type, uint32_t id, json_t *body)
{
	void *buf;
	size_t len;
	char err[CTL_ERRLEN];

	assert_int_equal(ctl_encode(type, id, body, &buf, &len, err), 0);
	send_all(fd, buf, len);
	free(buf);
	json_decref(body);
}

static bool readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) == 1;
}

/* Reads one message, running loop turns while waiting. Returns 0, or -1 on
 * EOF before a byte of it. */
static int recv_msg(struct fx *f, int fd, struct ctl_msg *m)
{
	unsigned char hdr[CTL_HDR_LEN], *buf;
	struct ctl_hdr h;
	size_t got = 0, need = CTL_HDR_LEN;
	char err[CTL_ERRLEN];
	int spins = 0;

	buf = hdr;
	for (;;) {
		ssize_t n;

		if (!readable(fd)) {
			assert_true(++spins < 2000);
			turn(f);
			continue;
		}
		n = recv(fd, buf + got, need - got, 0);
		if (n == 0 && got == 0 && buf == hdr)
			return -1;
		assert_true(n > 0);
		got += (size_t)n;
		if (got < need)
			continue;
		if (buf == hdr) {
			assert_int_equal(ctl_hdr_get(hdr, CTL_MAX_PAYLOAD, &h, err), 0);
			buf = malloc(CTL_HDR_LEN + h.h_len);
			memcpy(buf, hdr, CTL_HDR_LEN);
			need = CTL_HDR_LEN + h.h_len;
			if (got < need)
				continue;
		}
		break;
	}
	assert_int_equal(ctl_decode(buf, need, CTL_MAX_PAYLOAD, m, err), 0);
	free(buf);
	return 0;
}

static void expect_eof(struct fx *f, int fd)
{
	char b;
	int spins = 0;

	while (!readable(fd)) {
		assert_true(++spins < 2000);
		turn(f);
	}
	assert_int_equal(recv(fd, &b, 1, 0), 0);
}

static void expect_error(struct fx *f, int fd, uint32_t id, const char *name, const char *text)
{
	struct ctl_msg m;
	const char *n, *t;
	char err[CTL_ERRLEN];

	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_type, CTL_T_ERROR);
	assert_int_equal(m.cm_id, id);
	assert_int_equal(ctl_error_get(m.cm_body, &n, &t, err), 0);
	assert_string_equal(n, name);
	if (strstr(t, text) == NULL)
		fail_msg("error message '%s' lacks '%s'", t, text);
	ctl_msg_clear(&m);
}

/* ---- the socket file ---------------------------------------------------------------- */

static void test_socket_file(void **state)
{
	struct fx *f = *state;
	struct ctl_server *s2;
	struct ctl_server_config cfg = {0};
	struct sockaddr_un sa;
	struct stat st;
	char err[CTL_ERRLEN], *p;
	int fd;

	/* a stale socket: bound by a process that is gone (no listener) */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(open_server(f, NULL), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	/* a live one: refused */
	cfg.cs_path = f->path;
	assert_int_equal(ctl_server_open(&s2, f->l, &cfg, handler, on_event, f, err), -EADDRINUSE);
	assert_non_null(strstr(err, "another riskgwd is serving"));
	assert_null(s2);

	/* closing removes it */
	ctl_server_close(f->s);
	f->s = NULL;
	assert_int_equal(stat(f->path, &st), -1);

	/* not a socket */
	assert_int_equal(tu_write_file(f->path, "x", 1), 0);
	assert_int_equal(ctl_server_open(&s2, f->l, &cfg, handler, on_event, f, err), -EEXIST);
	assert_non_null(strstr(err, "is not a socket"));
	unlink(f->path);

	/* no directory */
	p = tu_path(f->dir, "nodir/control.sock");
	cfg.cs_path = p;
	assert_int_equal(ctl_server_open(&s2, f->l, &cfg, handler, on_event, f, err), -ENOENT);
	assert_non_null(strstr(err, "its directory does not exist"));
	free(p);

	/* too long for sun_path */
	p = malloc(200);
	memset(p, 'a', 199);
	p[199] = '\0';
	cfg.cs_path = p;
	assert_int_equal(ctl_server_open(&s2, f->l, &cfg, handler, on_event, f, err),
	                 -ENAMETOOLONG);
	free(p);
}

/* ---- requests ----------------------------------------------------------------------- */

static void test_reply_after_commit(void **state)
{
	struct fx *f = *state;
	struct ctl_msg m;
	int fd, i;

	assert_int_equal(open_server(f, NULL), 0);
	fd = client(f);
	send_req(fd, CTL_T_STATUS, 41, NULL);
	/* turns without the commit hook: the request is served, nothing leaves */
	for (i = 0; i < 5; i++)
		assert_int_equal(loop_run_once(f->l, 5), 0);
	assert_int_equal(f->calls, 1);
	assert_false(readable(fd));
	ctl_server_committed(f->s);
	assert_true(readable(fd));
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_type, CTL_T_STATUS | CTL_T_REPLY);
	assert_int_equal(m.cm_id, 41);
	assert_true(json_is_true(json_object_get(m.cm_body, "ok")));
	ctl_msg_clear(&m);
	assert_int_equal(f->last_uid, (uint32_t)geteuid());
	assert_int_equal(ctl_server_clients(f->s), 1);

	/* a handler error becomes an error reply; the connection stays */
	send_req(fd, CTL_T_COUNTERS, 42, NULL);
	expect_error(f, fd, 42, "failed", "counters are broken today");
	send_req(fd, CTL_T_STATUS, 43, NULL);
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_id, 43);
	ctl_msg_clear(&m);
	close(fd);
	for (i = 0; i < 5; i++)
		turn(f);
	assert_int_equal(ctl_server_clients(f->s), 0);
}

static void test_deferred_reply(void **state)
{
	struct fx *f = *state;
	struct ctl_msg m;
	int fd, i;

	assert_int_equal(open_server(f, NULL), 0);
	fd = client(f);
	send_req(fd, CTL_T_KILL, 7, ctl_kill_body("alice", "drill"));
	for (i = 0; i < 5; i++)
		assert_int_equal(loop_run_once(f->l, 5), 0);
	assert_int_equal(f->calls, 1); /* deferred */
	assert_int_equal(f->committed_calls, 0);
	assert_false(readable(fd));
	ctl_server_committed(f->s); /* "after the journal commit" */
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->committed_calls, 1);
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_type, CTL_T_KILL | CTL_T_REPLY);
	assert_int_equal(m.cm_id, 7);
	assert_string_equal(json_string_value(json_object_get(m.cm_body, "killed")), "alice");
	ctl_msg_clear(&m);
	close(fd);
}

static void test_pipelined_and_half_closed(void **state)
{
	struct fx *f = *state;
	struct ctl_msg m;
	unsigned char buf[1024];
	size_t len, off = 0;
	char err[CTL_ERRLEN];
	json_t *k = ctl_kill_body("bob", "pipelined");
	int fd;

	assert_int_equal(open_server(f, NULL), 0);
	fd = client(f);
	assert_int_equal(ctl_encode_into(CTL_T_STATUS, 1, NULL, buf, sizeof(buf), &len, err), 0);
	off += len;
	assert_int_equal(ctl_encode_into(CTL_T_KILL, 2, k, buf + off, sizeof(buf) - off, &len, err),
	                 0);
	off += len;
	assert_int_equal(
	    ctl_encode_into(CTL_T_SESSIONS, 3, NULL, buf + off, sizeof(buf) - off, &len, err), 0);
	off += len;
	json_decref(k);
	send_all(fd, buf, off);
	shutdown(fd, SHUT_WR); /* the client is done writing, still reading */
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_id, 1);
	ctl_msg_clear(&m);
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_id, 2);
	assert_int_equal(m.cm_type, CTL_T_KILL | CTL_T_REPLY);
	ctl_msg_clear(&m);
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_id, 3);
	assert_int_equal(m.cm_type, CTL_T_SESSIONS | CTL_T_REPLY);
	/* the request behind the deferred KILL started in a turn of its own,
	 * after the KILL's commit call */
	assert_int_equal(json_integer_value(json_object_get(m.cm_body, "n")), 4);
	ctl_msg_clear(&m);
	expect_eof(f, fd);
	close(fd);
}

static void test_chunked_reply_slow_reader(void **state)
{
	struct fx *f = *state;
	struct ctl_msg m;
	int fd, fd2, i, items = 0, chunks = 0;
	bool more = true;
	char err[CTL_ERRLEN];

	assert_int_equal(open_server(f, NULL), 0);
	fd = client(f);
	send_req(fd, CTL_T_PARENTS, 5, NULL);
	/* the client does not read: the server makes chunks only while its
	 * buffer and the socket's take them, and the loop goes on */
	for (i = 0; i < 200; i++)
		turn(f);
	assert_true(f->max_cursor > 0);
	assert_true(f->max_cursor < TOTAL_ITEMS);
	/* another client is served meanwhile */
	fd2 = client(f);
	send_req(fd2, CTL_T_STATUS, 6, NULL);
	assert_int_equal(recv_msg(f, fd2, &m), 0);
	assert_int_equal(m.cm_id, 6);
	ctl_msg_clear(&m);
	close(fd2);
	/* now it reads: every item arrives, in order, the last chunk says so */
	while (more) {
		json_t *a, *v;
		size_t k;

		assert_int_equal(recv_msg(f, fd, &m), 0);
		assert_int_equal(m.cm_type, CTL_T_PARENTS | CTL_T_REPLY);
		assert_int_equal(m.cm_id, 5);
		assert_int_equal(ctl_reply_more(m.cm_body, &more, err), 0);
		a = json_object_get(m.cm_body, "items");
		json_array_foreach(a, k, v)
		{
			assert_int_equal(json_integer_value(json_object_get(v, "i")), items);
			items++;
		}
		chunks++;
		ctl_msg_clear(&m);
	}
	assert_int_equal(items, TOTAL_ITEMS);
	assert_int_equal(chunks, TOTAL_ITEMS / CHUNK);
	close(fd);
}

static void test_garbage(void **state)
{
	struct fx *f = *state;
	struct ctl_msg m;
	unsigned char hdr[CTL_HDR_LEN];
	static const char http[] = "GET / HTTP/1.0\r\n\r\n";
	int fd;

	assert_int_equal(open_server(f, NULL), 0);

	/* not the protocol: an error, then the connection is closed */
	fd = client(f);
	send_all(fd, http, sizeof(http) - 1);
	expect_error(f, fd, 0, "protocol", "bad magic");
	expect_eof(f, fd);
	close(fd);

	/* a length above the request cap: refused from the header alone */
	fd = client(f);
	ctl_hdr_put(hdr, CTL_T_STATUS, CTL_MAX_REQUEST + 1, 9);
	send_all(fd, hdr, sizeof(hdr));
	expect_error(f, fd, 0, "protocol", "above the 65536-byte cap");
	expect_eof(f, fd);
	close(fd);

	/* a bad payload and a bad member: error replies, the stream goes on */
	fd = client(f);
	ctl_hdr_put(hdr, CTL_T_STATUS, 5, 10);
	send_all(fd, hdr, sizeof(hdr));
	send_all(fd, "{\"a\":", 5);
	expect_error(f, fd, 10, "bad_request", "payload:");
	send_req(fd, CTL_T_STATUS, 11, json_pack("{s:b}", "verbose", 1));
	expect_error(f, fd, 11, "bad_request", "unknown member \"verbose\"");
	send_req(fd, CTL_T_STATUS | CTL_T_REPLY, 12, NULL);
	expect_error(f, fd, 12, "bad_request", "is not a request");
	send_req(fd, CTL_T_KILL, 13, json_pack("{s:s}", "who", "x"));
	expect_error(f, fd, 13, "bad_request", "\"reason\" is required");
	send_req(fd, CTL_T_STATUS, 14, NULL);
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_id, 14);
	ctl_msg_clear(&m);

	/* the connection ends inside a request */
	send_all(fd, hdr, 7);
	shutdown(fd, SHUT_WR);
	expect_error(f, fd, 0, "protocol", "ended inside a request");
	expect_eof(f, fd);
	close(fd);
	assert_int_equal(f->calls, 1); /* the handler saw only the good request */
}

/* ---- who may connect ---------------------------------------------------------------- */

static void test_peer_uid_refused(void **state)
{
	struct fx *f = *state;
	struct ctl_msg m;
	int fd;

	assert_int_equal(open_server(f, NULL), 0);
	fake_cred = true;
	fake_uid = 12345;
	fake_gid = 12345;
	fd = client(f);
	send_req(fd, CTL_T_KILL, 1, ctl_kill_body("mallory", "let me in"));
	expect_error(f, fd, 0, "permission", "uid 12345 may not use");
	expect_eof(f, fd);
	close(fd);
	assert_int_equal(f->calls, 0);
	assert_int_equal(ctl_server_clients(f->s), 0);
	assert_non_null(strstr(f->events, "refused uid 12345 gid 12345"));
	assert_int_equal(f->warnings, 1);

	/* riskgwd's own uid is allowed (root here, or the test's user) */
	fake_uid = geteuid();
	fd = client(f);
	send_req(fd, CTL_T_STATUS, 2, NULL);
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_id, 2);
	ctl_msg_clear(&m);
	close(fd);
	fake_cred = false;
}

static void test_peer_group_allowed(void **state)
{
	struct fx *f = *state;
	struct ctl_server_config cfg = {0};
	struct ctl_msg m;
	struct stat st;
	int fd;

	cfg.cs_have_gid = true;
	cfg.cs_gid = getegid(); /* a group we may chown to */
	assert_int_equal(open_server(f, &cfg), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_gid, getegid());
	fake_cred = true;
	fake_uid = 12345;
	fake_gid = getegid();
	fd = client(f);
	send_req(fd, CTL_T_STATUS, 3, NULL);
	assert_int_equal(recv_msg(f, fd, &m), 0);
	assert_int_equal(m.cm_id, 3);
	assert_int_equal(f->last_uid, 12345);
	ctl_msg_clear(&m);
	close(fd);
	/* another group: refused */
	fake_gid = getegid() + 1;
	fd = client(f);
	expect_error(f, fd, 0, "permission", "uid 12345");
	close(fd);
	fake_cred = false;
}

/* ---- limits ------------------------------------------------------------------------- */

static void test_max_clients_and_stall(void **state)
{
	struct fx *f = *state;
	struct ctl_server_config cfg = {0};
	unsigned char hdr[CTL_HDR_LEN];
	int a, b, c, i;

	cfg.cs_max_clients = 2;
	cfg.cs_stall_ns = 50 * 1000000;
	cfg.cs_idle_ns = 5000 * (int64_t)1000000;
	assert_int_equal(open_server(f, &cfg), 0);
	a = client(f);
	b = client(f);
	for (i = 0; i < 3; i++)
		turn(f);
	assert_int_equal(ctl_server_clients(f->s), 2);
	c = client(f);
	expect_error(f, c, 0, "busy", "too many control clients");
	close(c);

	/* a client stuck inside a request is closed after the stall timeout;
	 * an idle one is kept */
	ctl_hdr_put(hdr, CTL_T_STATUS, 0, 1);
	send_all(a, hdr, 5);
	expect_eof(f, a);
	close(a);
	assert_int_equal(ctl_server_clients(f->s), 1);
	assert_false(readable(b));
	close(b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_socket_file),
	    T(test_reply_after_commit),
	    T(test_deferred_reply),
	    T(test_pipelined_and_half_closed),
	    T(test_chunked_reply_slow_reader),
	    T(test_garbage),
	    T(test_peer_uid_refused),
	    T(test_peer_group_allowed),
	    T(test_max_clients_and_stall),
	};

	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
