/*
 * test_conn.c - gateway/conn.c over real TLS on loopback TCP with the dev
 * PKI: an echo of 1 MiB, output held until conn_set_flush (write-ahead),
 * the read and message budgets per turn,
 * a slow peer's full output buffer, connect refused, a refused certificate,
 * a handshake timeout.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn.h"
#include "loop.h"
#include "testutil.h"
#include "tls.h"

static char *pki;

static int gsetup(void **state)
{
	(void)state;
	pki = tu_mkpki("conn", 2);
	return pki != NULL ? 0 : -1;
}

static int gteardown(void **state)
{
	(void)state;
	tu_rmtree(pki);
	free(pki);
	return 0;
}

static struct tls_ctx *ctx(bool server, const char *name)
{
	char c[512], k[512], ca[512], err[TLS_ERRLEN];
	struct tls_ctx *t;
	int rc;

	snprintf(c, sizeof(c), "%s/%s.crt", pki, name);
	snprintf(k, sizeof(k), "%s/%s.key", pki, name);
	snprintf(ca, sizeof(ca), "%s/ca.crt", pki);
	rc = server ? tls_ctx_server(&t, c, k, ca, err) : tls_ctx_client(&t, ca, c, k, err);
	if (rc != 0)
		fail_msg("%s", err);
	return t;
}

/* A test world: a loop, a set, a listener and the conns on both ends. */
struct world {
	struct loop *l;
	struct conn_set *s;
	int lfd;
	struct sockaddr_in addr;
	struct tls_ctx *sctx, *cctx;
	struct conn *srv, *cli;
	bool auto_flush;
	bool echo;
	size_t got;            /* bytes the client received */
	unsigned char *expect; /* what it should receive */
	size_t srv_got;
	char srv_closed[256], cli_closed[256];
	bool cli_open;
	struct conn_params p;
	/* lines mode: the server takes one "L%04u\n" line per co_data call */
	bool lines;
	unsigned turn, srv_lines, line_turn, in_turn, max_in_turn, turns_with_lines;
};

static void hook(struct loop *l, void *arg)
{
	struct world *w = arg;

	(void)l;
	w->turn++;
	if (w->auto_flush)
		conn_set_flush(w->s);
	conn_set_reap(w->s);
}

/* One line per call; checks the order, counts lines per loop turn. */
static size_t srv_line(struct world *w, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	char want[16];

	if (nl == NULL)
		return 0;
	snprintf(want, sizeof(want), "L%04u\n", w->srv_lines);
	if ((size_t)(nl - buf) + 1 != strlen(want) || memcmp(buf, want, strlen(want)) != 0)
		fail_msg("line %u out of order: %.*s", w->srv_lines, (int)(nl - buf), buf);
	w->srv_lines++;
	if (w->turns_with_lines == 0 || w->line_turn != w->turn) {
		w->line_turn = w->turn;
		w->in_turn = 0;
		w->turns_with_lines++;
	}
	if (++w->in_turn > w->max_in_turn)
		w->max_in_turn = w->in_turn;
	return (size_t)(nl - buf) + 1;
}

static size_t srv_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct world *w = arg;

	if (w->lines)
		return srv_line(w, buf, len);
	w->srv_got += len;
	if (w->echo && conn_send(c, buf, len) != 0)
		return 0;
	return len;
}

static void srv_close(struct conn *c, const char *reason, void *arg)
{
	struct world *w = arg;

	(void)c;
	snprintf(w->srv_closed, sizeof(w->srv_closed), "%s", reason);
	w->srv = NULL;
}

static const struct conn_ops srv_ops = {NULL, srv_data, srv_close};

static void cli_open(struct conn *c, void *arg)
{
	struct world *w = arg;

	(void)c;
	w->cli_open = true;
}

static size_t cli_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct world *w = arg;

	(void)c;
	if (w->expect != NULL && memcmp(buf, w->expect + w->got, len) != 0)
		fail_msg("echo differs at byte %zu", w->got);
	w->got += len;
	return len;
}

static void cli_close(struct conn *c, const char *reason, void *arg)
{
	struct world *w = arg;

	(void)c;
	snprintf(w->cli_closed, sizeof(w->cli_closed), "%s", reason);
	w->cli = NULL;
}

static const struct conn_ops cli_ops = {cli_open, cli_data, cli_close};

static void on_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct world *w = arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	(void)l;
	(void)ev;
	if (cfd >= 0)
		assert_int_equal(conn_accept(w->s, cfd, w->sctx, &w->p, &srv_ops, w, &w->srv), 0);
}

static void world_init(struct world *w, bool accept)
{
	socklen_t sl = sizeof(w->addr);
	int one = 1;

	memset(w, 0, sizeof(*w));
	w->p.cp_in_cap = 16384;
	w->p.cp_out_cap = 256 * 1024;
	w->p.cp_handshake_timeout_ns = INT64_C(2000000000);
	assert_int_equal(loop_new(&w->l, 4096), 0);
	assert_int_equal(conn_set_new(&w->s, w->l), 0);
	loop_set_before_sleep(w->l, hook, w);
	w->auto_flush = true;
	w->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(w->lfd >= 0);
	setsockopt(w->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	w->addr.sin_family = AF_INET;
	w->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	w->addr.sin_port = 0; /* an ephemeral port */
	assert_int_equal(bind(w->lfd, (struct sockaddr *)&w->addr, sizeof(w->addr)), 0);
	assert_int_equal(listen(w->lfd, 16), 0);
	assert_int_equal(getsockname(w->lfd, (struct sockaddr *)&w->addr, &sl), 0);
	if (accept)
		assert_int_equal(loop_watch(w->l, w->lfd, LOOP_READ, on_accept, w), 0);
	w->sctx = ctx(true, "riskgwd");
	w->cctx = ctx(false, "router1");
}

static void world_connect(struct world *w, const char *name)
{
	assert_int_equal(conn_connect(w->s, (struct sockaddr *)&w->addr, sizeof(w->addr),
			     w->cctx, name, &w->p, &cli_ops, w, &w->cli),
	    0);
}

static void world_free(struct world *w)
{
	conn_set_free(w->s);
	loop_unwatch(w->l, w->lfd);
	close(w->lfd);
	loop_free(w->l);
	tls_ctx_free(w->sctx);
	tls_ctx_free(w->cctx);
	free(w->expect);
}

/* Runs turns until cond or about 3 s. */
#define RUN_UNTIL(w, cond)                                                                 \
	do {                                                                               \
		int i_;                                                                    \
		for (i_ = 0; i_ < 3000 && !(cond); i_++)                                   \
			assert_int_equal(loop_run_once((w)->l, 1), 0);                     \
		assert_true(cond);                                                         \
	} while (0)

static void test_echo_one_mib(void **state)
{
	struct world w;
	size_t total = 1024 * 1024, sent = 0, i;

	(void)state;
	world_init(&w, true);
	w.echo = true;
	w.expect = malloc(total);
	for (i = 0; i < total; i++)
		w.expect[i] = (unsigned char)(i * 7 + i / 251);
	world_connect(&w, "localhost");
	/* in TLS 1.3 the client is done before the server has checked it */
	RUN_UNTIL(&w, w.cli_open && w.srv != NULL && conn_state(w.srv) == CONN_OPEN);
	assert_string_equal(conn_peer(w.cli), "localhost");
	assert_string_equal(conn_tls_version(w.cli), "TLSv1.3");
	assert_string_equal(conn_peer(w.srv), "router1");
	while (sent < total) {
		size_t n = total - sent < 60000 ? total - sent : 60000;

		if (conn_room(w.cli) >= n) {
			assert_int_equal(conn_send(w.cli, w.expect + sent, n), 0);
			sent += n;
		}
		assert_int_equal(loop_run_once(w.l, 1), 0);
	}
	RUN_UNTIL(&w, w.got == total);
	assert_int_equal(w.srv_got, total);
	/* a graceful close reaches the other end as a close */
	conn_close(w.cli, true, "done");
	RUN_UNTIL(&w, w.srv == NULL);
	assert_string_equal(w.cli_closed, "done");
	assert_string_equal(w.srv_closed, "closed by peer");
	world_free(&w);
}

static void test_output_waits_for_flush(void **state)
{
	struct world w;
	int i;

	(void)state;
	world_init(&w, true);
	world_connect(&w, "localhost");
	RUN_UNTIL(&w, w.cli_open && w.srv != NULL && conn_state(w.srv) == CONN_OPEN);
	w.auto_flush = false;
	assert_int_equal(conn_send(w.cli, "8=FIX.4.4", 9), 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(loop_run_once(w.l, 1), 0);
	/* not flushed: nothing left the process */
	assert_int_equal(w.srv_got, 0);
	assert_int_equal(conn_pending(w.cli), 9);
	conn_set_flush(w.s);
	RUN_UNTIL(&w, w.srv_got == 9);
	assert_int_equal(conn_pending(w.cli), 0);
	world_free(&w);
}

/* A read turn ends after a budget of bytes (8 KiB). When it ends inside
 * the last TLS record the peer sent, the rest of that record is plaintext
 * in TLS and nothing is left in the socket for epoll to report: the conn
 * must come back for it by itself. Records here: 10,000 bytes, read 1,000
 * bytes at a time: the budget runs out 9,000 bytes into it; then 16 of
 * 16 KiB. */
static void test_read_budget_inside_last_record(void **state)
{
	struct world w;
	static char buf[10000 + 16 * 16384];

	(void)state;
	world_init(&w, true);
	w.p.cp_in_cap = 1000;
	w.p.cp_out_cap = 512 * 1024;
	world_connect(&w, "localhost");
	RUN_UNTIL(&w, w.cli_open && w.srv != NULL && conn_state(w.srv) == CONN_OPEN);
	w.auto_flush = false;
	memset(buf, 'r', sizeof(buf));
	assert_int_equal(conn_send(w.cli, buf, 10000), 0);
	conn_set_flush(w.s);
	RUN_UNTIL(&w, w.srv_got == 10000);
	assert_int_equal(conn_send(w.cli, buf + 10000, sizeof(buf) - 10000), 0);
	conn_set_flush(w.s);
	assert_int_equal(conn_pending(w.cli), 0);
	RUN_UNTIL(&w, w.srv_got == sizeof(buf));
	world_free(&w);
}

/* At most cp_turn_msgs (default CONN_MSG_BUDGET) messages per conn and
 * turn: 100 lines sent in one TLS record reach the owner that many per
 * turn (the loop's before-sleep hook between them), in order, all of them,
 * although after the first turn the socket has nothing left to report:
 * the conn comes back by itself for what its buffer holds. */
static void message_budget(unsigned turn_msgs, unsigned want)
{
	struct world w;
	char buf[100 * 6 + 1];
	size_t n = 0;
	unsigned i;

	world_init(&w, true);
	w.p.cp_turn_msgs = turn_msgs;
	world_connect(&w, "localhost");
	RUN_UNTIL(&w, w.cli_open && w.srv != NULL && conn_state(w.srv) == CONN_OPEN);
	w.lines = true;
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "L%04u\n", i);
	assert_int_equal(n, 600);
	assert_int_equal(conn_send(w.cli, buf, n), 0); /* one write: one record */
	RUN_UNTIL(&w, w.srv_lines == 100);
	assert_int_equal(w.max_in_turn, want);
	assert_int_equal(w.turns_with_lines, (100 + want - 1) / want);
	/* and the conn still reads what comes next */
	assert_int_equal(conn_send(w.cli, "L0100\n", 6), 0);
	RUN_UNTIL(&w, w.srv_lines == 101);
	world_free(&w);
}

static void test_message_budget(void **state)
{
	(void)state;
	message_budget(0, CONN_MSG_BUDGET); /* the default */
	message_budget(7, 7);               /* cp_turn_msgs */
}

static void test_slow_peer_is_closed(void **state)
{
	struct world w;
	char chunk[4096];
	int i, rc = 0;

	(void)state;
	world_init(&w, true);
	world_connect(&w, "localhost");
	RUN_UNTIL(&w, w.cli_open);
	memset(chunk, 'x', sizeof(chunk));
	/* nothing is flushed, as if the peer never read: the buffer fills */
	RUN_UNTIL(&w, w.srv != NULL && conn_state(w.srv) == CONN_OPEN);
	w.auto_flush = false;
	for (i = 0; i < 100 && rc == 0; i++)
		rc = conn_send(w.cli, chunk, sizeof(chunk));
	assert_int_equal(rc, -ENOBUFS);
	RUN_UNTIL(&w, w.cli == NULL);
	assert_non_null(strstr(w.cli_closed, "peer too slow"));
	world_free(&w);
}

static void test_connect_refused(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, false);
	close(w.lfd); /* nobody listens on that port any more */
	w.lfd = -1;
	world_connect(&w, "localhost");
	RUN_UNTIL(&w, w.cli == NULL);
	assert_non_null(strstr(w.cli_closed, "Connection refused"));
	assert_false(w.cli_open);
	conn_set_free(w.s);
	loop_free(w.l);
	tls_ctx_free(w.sctx);
	tls_ctx_free(w.cctx);
}

static void test_bad_certificate_and_name(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	tls_ctx_free(w.cctx);
	w.cctx = ctx(false, "rogue");
	world_connect(&w, "localhost");
	/* TLS 1.3: the client may think it is done; the server's alert ends it */
	RUN_UNTIL(&w, w.cli == NULL && w.srv == NULL);
	assert_non_null(strstr(w.srv_closed, "certificate verification failed"));
	assert_non_null(strstr(w.cli_closed, "alert"));
	/* a venue name the certificate does not carry */
	tls_ctx_free(w.cctx);
	w.cctx = ctx(false, "router1");
	world_connect(&w, "venue.example");
	RUN_UNTIL(&w, w.cli == NULL);
	assert_non_null(strstr(w.cli_closed, "hostname mismatch"));
	world_free(&w);
}

static void test_handshake_timeout(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, false); /* listens, never accepts: TCP connects, TLS never starts */
	w.p.cp_handshake_timeout_ns = INT64_C(50000000);
	world_connect(&w, "localhost");
	RUN_UNTIL(&w, w.cli == NULL);
	assert_non_null(strstr(w.cli_closed, "TLS handshake timed out"));
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_one_mib),
		cmocka_unit_test(test_output_waits_for_flush),
		cmocka_unit_test(test_read_budget_inside_last_record),
		cmocka_unit_test(test_message_budget),
		cmocka_unit_test(test_slow_peer_is_closed),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_bad_certificate_and_name),
		cmocka_unit_test(test_handshake_timeout),
	};

	return cmocka_run_group_tests_name("conn", tests, gsetup, gteardown);
}
