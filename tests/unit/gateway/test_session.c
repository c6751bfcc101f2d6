/*
 * test_session.c - gateway/session.c against a scripted peer over real TLS on
 * loopback: the peer is a raw conn that sends hand-built FIX messages with
 * chosen sequence numbers and records what the session answers.
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
#include "fix.h"
#include "loop.h"
#include "session.h"
#include "testutil.h"
#include "tls.h"

static char *pki;

static int gsetup(void **state)
{
	(void)state;
	pki = tu_mkpki("session", 1);
	return pki != NULL ? 0 : -1;
}

static int gteardown(void **state)
{
	(void)state;
	tu_rmtree(pki);
	free(pki);
	return 0;
}

/* ---- an in-memory session store ------------------------------------------------ */

#define MAXOUT 1024
struct mstore {
	uint64_t next_in, next_out;
	char *msg[MAXOUT];
	size_t len[MAXOUT];
	int saves, resets;
};

static int ms_save_seq(void *arg, uint64_t in, uint64_t out)
{
	struct mstore *m = arg;

	m->next_in = in;
	m->next_out = out;
	m->saves++;
	return 0;
}

static int ms_save_out(void *arg, uint64_t seq, const char *msg, size_t len)
{
	struct mstore *m = arg;

	if (seq >= MAXOUT)
		return -ENOSPC;
	free(m->msg[seq]);
	m->msg[seq] = malloc(len);
	memcpy(m->msg[seq], msg, len);
	m->len[seq] = len;
	return 0;
}

static int ms_each_out(void *arg, uint64_t from, uint64_t to,
    int (*cb)(void *, uint64_t, const char *, size_t), void *cbarg)
{
	struct mstore *m = arg;
	uint64_t i;
	int rc;

	for (i = from; i <= to && i < MAXOUT; i++)
		if (m->msg[i] != NULL && (rc = cb(cbarg, i, m->msg[i], m->len[i])) != 0)
			return rc;
	return 0;
}

static int ms_reset(void *arg)
{
	struct mstore *m = arg;
	int i;

	for (i = 0; i < MAXOUT; i++) {
		free(m->msg[i]);
		m->msg[i] = NULL;
	}
	m->resets++;
	return 0;
}

static void ms_free(struct mstore *m)
{
	ms_reset(m);
}

/* ---- the world: loop, session (acceptor) and a raw peer (initiator) ------------ */

#define MAXMSG 1400
struct world {
	struct loop *l;
	struct conn_set *set;
	int lfd;
	struct sockaddr_in addr;
	struct tls_ctx *sctx, *cctx;
	struct conn *sconn, *peer;
	struct session *s;
	struct mstore st;
	struct conn_params p;
	/* what the session told its owner */
	int active, apps, downs, apps_possdup;
	char app_ids[16][32];
	char down_reason[256];
	bool logon_refuse;
	/* what the peer received */
	char *rx[MAXMSG];
	size_t rxlen[MAXMSG];
	int nrx;
	bool peer_open;
	char peer_closed[256];
	uint64_t peer_seq;     /* next MsgSeqNum the peer sends */
};

static void hook(struct loop *l, void *arg)
{
	struct world *w = arg;

	(void)l;
	conn_set_flush(w->set);
	conn_set_reap(w->set);
}

/* session owner callbacks */
static int o_check(struct session *s, const struct fix_msg *m, char *why, size_t len, void *arg)
{
	struct world *w = arg;

	(void)s;
	(void)m;
	if (w->logon_refuse) {
		snprintf(why, len, "not your route");
		return 1;
	}
	return 0;
}

static void o_active(struct session *s, void *arg)
{
	struct world *w = arg;

	(void)s;
	w->active++;
}

static void o_app(struct session *s, const struct fix_msg *m, bool possdup, void *arg)
{
	struct world *w = arg;
	const char *v;
	size_t n;

	(void)s;
	if (w->apps < 16 && fix_get_str(m, 11, &v, &n) == 0)
		snprintf(w->app_ids[w->apps], 32, "%.*s", (int)n, v);
	w->apps++;
	if (possdup)
		w->apps_possdup++;
}

static void o_down(struct session *s, bool clean, const char *reason, void *arg)
{
	struct world *w = arg;

	(void)s;
	(void)clean;
	w->downs++;
	snprintf(w->down_reason, sizeof(w->down_reason), "%s", reason);
}

static const struct session_ops sops = {o_check, o_active, o_app, o_down};

/* the session's conn */
static size_t s_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct world *w = arg;

	(void)c;
	return session_input(w->s, buf, len);
}

static void s_open(struct conn *c, void *arg)
{
	struct world *w = arg;

	session_attach(w->s, c);
}

static void s_close(struct conn *c, const char *reason, void *arg)
{
	struct world *w = arg;

	(void)c;
	session_detach(w->s, reason);
	w->sconn = NULL;
}

static const struct conn_ops s_ops = {s_open, s_data, s_close};

/* the raw peer's conn: frames what it gets */
static size_t p_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	struct world *w = arg;
	size_t n = 0;
	int why, r = fix_frame(buf, len, 8192, &n, &why);

	(void)c;
	if (r == FIX_FRAME_NEED_MORE)
		return 0;
	assert_int_equal(r, FIX_FRAME_MSG);
	if (w->nrx < MAXMSG) {
		w->rx[w->nrx] = malloc(n + 1);
		memcpy(w->rx[w->nrx], buf, n);
		w->rx[w->nrx][n] = '\0';
		w->rxlen[w->nrx++] = n;
	}
	return n;
}

static void p_open(struct conn *c, void *arg)
{
	struct world *w = arg;

	(void)c;
	w->peer_open = true;
}

static void p_close(struct conn *c, const char *reason, void *arg)
{
	struct world *w = arg;

	(void)c;
	snprintf(w->peer_closed, sizeof(w->peer_closed), "%s", reason);
	w->peer = NULL;
}

static const struct conn_ops p_ops = {p_open, p_data, p_close};

static void on_accept(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct world *w = arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	(void)l;
	(void)ev;
	if (cfd >= 0)
		assert_int_equal(conn_accept(w->set, cfd, w->sctx, &w->p, &s_ops, w, &w->sconn), 0);
}

static struct tls_ctx *ctx(bool server, const char *name)
{
	char c[512], k[512], ca[512], err[TLS_ERRLEN];
	struct tls_ctx *t;

	snprintf(c, sizeof(c), "%s/%s.crt", pki, name);
	snprintf(k, sizeof(k), "%s/%s.key", pki, name);
	snprintf(ca, sizeof(ca), "%s/ca.crt", pki);
	if ((server ? tls_ctx_server(&t, c, k, ca, err) : tls_ctx_client(&t, ca, c, k, err)) != 0)
		fail_msg("%s", err);
	return t;
}

#define RUN_UNTIL(w, cond)                                                                 \
	do {                                                                               \
		int i_;                                                                    \
		for (i_ = 0; i_ < 4000 && !(cond); i_++)                                   \
			assert_int_equal(loop_run_once((w)->l, 1), 0);                     \
		if (!(cond))                                                               \
			fail_msg("timed out waiting for %s", #cond);                       \
	} while (0)

static void peer_connect(struct world *w)
{
	w->peer_open = false;
	assert_int_equal(conn_connect(w->set, (struct sockaddr *)&w->addr, sizeof(w->addr),
			     w->cctx, "localhost", &w->p, &p_ops, w, &w->peer),
	    0);
	RUN_UNTIL(w, w->peer_open && w->sconn != NULL && conn_state(w->sconn) == CONN_OPEN);
}

static void world_init_role(struct world *w, enum fix_version v, enum session_role role);

static void world_init(struct world *w, enum fix_version v)
{
	world_init_role(w, v, SESSION_ACCEPTOR);
}

/* role INITIATOR: the session sends its Logon as soon as the peer's TCP
 * connection is up (which end connected does not matter to it). */
static void world_init_role(struct world *w, enum fix_version v, enum session_role role)
{
	socklen_t sl = sizeof(w->addr);
	struct session_config cfg;
	struct session_store store = {ms_save_seq, ms_save_out, ms_each_out, ms_reset, NULL};
	static const int unique_tags[] = {11, 38};
	static const struct fix_tags unique = {unique_tags, 2};

	memset(w, 0, sizeof(*w));
	w->p.cp_in_cap = 16384;
	w->p.cp_out_cap = 256 * 1024;
	w->p.cp_handshake_timeout_ns = INT64_C(3000000000);
	assert_int_equal(loop_new(&w->l, 4096), 0);
	assert_int_equal(conn_set_new(&w->set, w->l), 0);
	loop_set_before_sleep(w->l, hook, w);
	w->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	w->addr.sin_family = AF_INET;
	w->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(w->lfd, (struct sockaddr *)&w->addr, sizeof(w->addr)), 0);
	assert_int_equal(listen(w->lfd, 16), 0);
	assert_int_equal(getsockname(w->lfd, (struct sockaddr *)&w->addr, &sl), 0);
	assert_int_equal(loop_watch(w->l, w->lfd, LOOP_READ, on_accept, w), 0);
	w->sctx = ctx(true, "riskgwd");
	w->cctx = ctx(false, "router1");
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc_name = "test/router";
	cfg.sc_version = v;
	cfg.sc_role = role;
	snprintf(cfg.sc_sender, sizeof(cfg.sc_sender), "GW");
	snprintf(cfg.sc_target, sizeof(cfg.sc_target), "R1");
	cfg.sc_heartbeat_s = 30;
	cfg.sc_logon_timeout_s = 5;
	cfg.sc_max_msg = 4096;
	cfg.sc_max_garbled = 3;
	cfg.sc_unique = &unique;
	store.ss_arg = &w->st;
	assert_int_equal(session_new(&w->s, w->l, &cfg, &store, &sops, w), 0);
	w->peer_seq = 1;
}

static void world_free(struct world *w)
{
	int i;

	conn_set_free(w->set);
	session_free(w->s);
	loop_unwatch(w->l, w->lfd);
	close(w->lfd);
	loop_free(w->l);
	tls_ctx_free(w->sctx);
	tls_ctx_free(w->cctx);
	ms_free(&w->st);
	for (i = 0; i < w->nrx; i++)
		free(w->rx[i]);
}

/* Peer sends type with "tag=value" pairs (a NULL-terminated list), at seq. */
static void peer_send_at(struct world *w, uint64_t seq, const char *type, bool possdup, ...)
{
	char buf[2048];
	struct fix_builder b;
	struct fix_hdr h = {"R1", "GW", seq, INT64_C(1764000000000000000), possdup,
	    INT64_C(1764000000000000000)};
	size_t len;
	va_list ap;
	const char *f;

	fix_build_begin(&b, buf, sizeof(buf), FIX_44, type, strlen(type));
	fix_add_header(&b, &h);
	va_start(ap, possdup);
	while ((f = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(f, '=');

		fix_add_str(&b, atoi(f), eq + 1, strlen(eq + 1));
	}
	va_end(ap);
	assert_int_equal(fix_build_finish(&b, &len), 0);
	assert_int_equal(conn_send(w->peer, buf, len), 0);
}

#define PEER_SEND(w, type, ...) peer_send_at((w), (w)->peer_seq++, (type), false, __VA_ARGS__)

/* The i-th message the peer received, parsed. */
static const struct fix_msg *rxmsg(struct world *w, int i)
{
	static struct fix_msg m;
	struct fix_reject rej;

	assert_true(i < w->nrx);
	assert_int_equal(fix_parse(&m, w->rx[i], w->rxlen[i], NULL, &rej), 0);
	return &m;
}

static bool rx_is(struct world *w, int i, int tag, const char *want)
{
	const char *v;
	size_t n;

	return i < w->nrx && fix_get_str(rxmsg(w, i), tag, &v, &n) == 0 && n == strlen(want) &&
	    memcmp(v, want, n) == 0;
}

static void logon(struct world *w)
{
	peer_connect(w);
	PEER_SEND(w, "A", "98=0", "108=30", NULL);
	RUN_UNTIL(w, w->active == 1 && w->nrx >= 1);
	assert_true(rx_is(w, 0, 35, "A"));
	assert_true(rx_is(w, 0, 108, "30"));
	assert_true(rx_is(w, 0, 49, "GW"));
	assert_true(rx_is(w, 0, 56, "R1"));
}

static void test_logon_app_and_persisted_seqnums(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, FIX_44);
	assert_string_equal(session_down_reason(w.s), ""); /* never down yet */
	logon(&w);
	assert_int_equal(session_state(w.s), SESSION_ACTIVE);
	PEER_SEND(&w, "D", "11=C1", "55=IBM", "54=1", "38=100", "40=2", "44=10", NULL);
	PEER_SEND(&w, "D", "11=C2", "55=IBM", "54=1", "38=100", "40=2", "44=10", NULL);
	RUN_UNTIL(&w, w.apps == 2);
	assert_string_equal(w.app_ids[1], "C2");
	assert_int_equal(session_next_in(w.s), 4);
	assert_int_equal(w.st.next_in, 4);
	assert_int_equal(w.st.next_out, 2);
	/* a TestRequest is answered with its id */
	PEER_SEND(&w, "1", "112=PING7", NULL);
	RUN_UNTIL(&w, w.nrx >= 2);
	assert_true(rx_is(&w, 1, 35, "0"));
	assert_true(rx_is(&w, 1, 112, "PING7"));
	/* an application message sent by the owner is stored with its number */
	assert_int_equal(session_send(w.s, "8", NULL, NULL), 0);
	RUN_UNTIL(&w, w.nrx >= 3);
	assert_true(rx_is(&w, 2, 34, "3"));
	assert_non_null(w.st.msg[3]);
	/* Logout from the peer is answered and ends the session cleanly */
	PEER_SEND(&w, "5", NULL);
	RUN_UNTIL(&w, w.downs == 1 && w.nrx >= 4);
	assert_true(rx_is(&w, 3, 35, "5"));
	assert_string_equal(w.down_reason, "logged out by peer");
	/* the conn closing after the Logout may restate it */
	assert_non_null(strstr(session_down_reason(w.s), "logged out by peer"));
	/* a connection that never got to a Logon leaves its reason too (the
	 * owner's so_down is not called: the session was never up) */
	w.downs = 0;
	session_detach(w.s, "connect: Connection refused");
	assert_string_equal(session_down_reason(w.s), "connect: Connection refused");
	assert_int_equal(w.downs, 0);
	world_free(&w);
}

static void test_gap_resend_and_possdup(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, FIX_44);
	logon(&w);
	/* the peer skips 2..3: the session asks for them and drops 4 */
	w.peer_seq = 4;
	PEER_SEND(&w, "D", "11=C4", "55=IBM", "54=1", "38=1", "40=1", NULL);
	RUN_UNTIL(&w, w.nrx >= 2);
	assert_true(rx_is(&w, 1, 35, "2"));
	assert_true(rx_is(&w, 1, 7, "2"));
	assert_true(rx_is(&w, 1, 16, "0"));
	assert_int_equal(w.apps, 0);
	/* the peer resends 2..4 with PossDupFlag */
	peer_send_at(&w, 2, "D", true, "11=C2", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 3, "D", true, "11=C3", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 4, "D", true, "11=C4", "55=IBM", "54=1", "38=1", "40=1", NULL);
	RUN_UNTIL(&w, w.apps == 3);
	assert_string_equal(w.app_ids[0], "C2");
	assert_string_equal(w.app_ids[2], "C4");
	assert_int_equal(w.apps_possdup, 3);
	/* the same again is already processed: dropped, not counted twice */
	peer_send_at(&w, 3, "D", true, "11=C3", "55=IBM", "54=1", "38=1", "40=1", NULL);
	w.peer_seq = 5;
	PEER_SEND(&w, "0", NULL);
	RUN_UNTIL(&w, session_next_in(w.s) == 6);
	assert_int_equal(w.apps, 3);
	assert_int_equal(session_counters(w.s)->sc_possdup_dropped, 1);
	/* without PossDupFlag a low number ends the session */
	peer_send_at(&w, 2, "0", false, NULL);
	RUN_UNTIL(&w, w.downs == 1);
	assert_true(rx_is(&w, w.nrx - 1, 35, "5"));
	assert_non_null(strstr(w.down_reason, "MsgSeqNum too low, expecting 6 but received 2"));
	world_free(&w);
}

/* More messages past a gap while the ResendRequest (EndSeqNo 0: to the end)
 * is outstanding ask for nothing more: the resend covers them. (QuickFIX
 * showed riskgwd asking again for each one, and resending the range again.) */
static void test_gap_no_redundant_resend(void **state)
{
	struct world w;
	int i, rr = 0;

	(void)state;
	world_init(&w, FIX_44);
	logon(&w);
	w.peer_seq = 4; /* the peer skips 2..3 */
	PEER_SEND(&w, "D", "11=C4", "55=IBM", "54=1", "38=1", "40=1", NULL);
	RUN_UNTIL(&w, w.nrx >= 2);
	assert_true(rx_is(&w, 1, 35, "2"));
	PEER_SEND(&w, "D", "11=C5", "55=IBM", "54=1", "38=1", "40=1", NULL);
	PEER_SEND(&w, "0", NULL);
	peer_send_at(&w, 2, "D", true, "11=C2", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 3, "D", true, "11=C3", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 4, "D", true, "11=C4", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 5, "D", true, "11=C5", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 6, "0", true, NULL);
	RUN_UNTIL(&w, w.apps == 4);
	PEER_SEND(&w, "1", "112=T1", NULL); /* seq 7, in sequence: answered */
	RUN_UNTIL(&w, w.nrx >= 3 && rx_is(&w, w.nrx - 1, 112, "T1"));
	for (i = 0; i < w.nrx; i++)
		rr += rx_is(&w, i, 35, "2");
	assert_int_equal(rr, 1);
	assert_string_equal(w.app_ids[3], "C5");
	world_free(&w);
}

/* A Logout past a gap: answered, and the session ends, but the gap is
 * not skipped: the expected number stays, and the next Logon asks for the
 * messages the peer sent and riskgwd never saw (the peer then resends them
 * and gap-fills the Logout). */
static void test_logout_past_gap(void **state)
{
	struct world w;
	int i, n0;

	(void)state;
	world_init(&w, FIX_44);
	logon(&w);
	w.peer_seq = 5; /* 2..4 never arrive */
	PEER_SEND(&w, "5", NULL);
	RUN_UNTIL(&w, w.downs == 1 && w.nrx >= 2 && w.sconn == NULL);
	assert_true(rx_is(&w, 1, 35, "5"));
	assert_non_null(strstr(w.down_reason, "logged out by peer"));
	assert_non_null(strstr(w.down_reason, "MsgSeqNum 5, 2 expected"));
	assert_int_equal(session_next_in(w.s), 2);
	assert_int_equal(w.st.next_in, 2);
	/* the peer comes back with its next number: Logon, then the request */
	RUN_UNTIL(&w, w.peer == NULL);
	n0 = w.nrx;
	peer_connect(&w);
	w.peer_seq = 6;
	PEER_SEND(&w, "A", "98=0", "108=30", NULL);
	RUN_UNTIL(&w, w.active == 2 && w.nrx >= n0 + 2);
	assert_true(rx_is(&w, n0, 35, "A"));
	assert_true(rx_is(&w, n0 + 1, 35, "2"));
	assert_true(rx_is(&w, n0 + 1, 7, "2"));
	/* the resend: 2..4 as PossDup, the old Logout (5) gap-filled */
	peer_send_at(&w, 2, "D", true, "11=G2", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 3, "D", true, "11=G3", "55=IBM", "54=1", "38=1", "40=1", NULL);
	peer_send_at(&w, 4, "D", true, "11=G4", "55=IBM", "54=1", "38=1", "40=1", NULL);
	w.peer_seq = 5;
	PEER_SEND(&w, "4", "123=Y", "36=7", NULL);
	RUN_UNTIL(&w, session_next_in(w.s) == 7);
	assert_int_equal(w.apps, 3);
	assert_string_equal(w.app_ids[0], "G2");
	assert_string_equal(w.app_ids[2], "G4");
	for (i = n0 + 2; i < w.nrx; i++)
		assert_false(rx_is(&w, i, 35, "5")); /* still logged on */
	world_free(&w);
}

/* The peer sends a Logon 34=1 141=Y. */
static void peer_sends_reset(struct world *w)
{
	w->peer_seq = 1;
	PEER_SEND(w, "A", "98=0", "108=30", "141=Y", NULL);
}

/* An initiator w at 50 in, 70 out (with an old order stored as 60 if
 * old_order) connects; the acceptor answers its Logon (34=70, no reset
 * asked) with a Logon 34=1 141=Y, which w confirms with a Logon 34=1 141=Y. */
static void peer_reset_logon(struct world *w, bool old_order)
{
	world_init_role(w, FIX_44, SESSION_INITIATOR);
	session_restore(w->s, 50, 70);
	if (old_order) {
		w->st.msg[60] = strdup("8=FIX.4.4\0019=5\00135=D\00110=000\001");
		w->st.len[60] = strlen(w->st.msg[60]);
	}
	peer_connect(w);
	RUN_UNTIL(w, w->nrx >= 1);
	assert_true(rx_is(w, 0, 35, "A"));
	assert_true(rx_is(w, 0, 34, "70"));
	assert_true(fix_find(rxmsg(w, 0), 141) < 0); /* no reset asked */
	peer_sends_reset(w);
	RUN_UNTIL(w, w->active == 1 && w->nrx >= 2);
	assert_true(rx_is(w, 1, 35, "A"));
	assert_true(rx_is(w, 1, 34, "1"));
	assert_true(rx_is(w, 1, 141, "Y"));
}

/* Initiator: the acceptor answers our Logon (34=70, no reset) with a
 * Logon 34=1 141=Y. Both sides restart at 1: a Logon 34=1 141=Y goes back,
 * the next message is 2, the resend store is emptied, so a ResendRequest
 * from 1 gets a gap fill and what was sent after the reset, never the old
 * orders. */
static void test_initiator_peer_reset(void **state)
{
	struct world w;
	int n0;

	(void)state;
	peer_reset_logon(&w, true);
	assert_int_equal(session_next_in(w.s), 2);
	assert_int_equal(session_next_out(w.s), 2);
	assert_int_equal(w.st.resets, 1);
	assert_null(w.st.msg[60]);
	assert_int_equal(session_counters(w.s)->sc_peer_resets, 1);
	/* the next message is 2 */
	assert_int_equal(session_send(w.s, "8", NULL, NULL), 0);
	RUN_UNTIL(&w, w.nrx >= 3);
	assert_true(rx_is(&w, 2, 34, "2"));
	/* asked for everything from 1: no old order comes back */
	n0 = w.nrx;
	PEER_SEND(&w, "2", "7=1", "16=0", NULL);
	RUN_UNTIL(&w, w.nrx >= n0 + 2);
	assert_true(rx_is(&w, n0, 35, "4")); /* the Logon (1): gap-filled */
	assert_true(rx_is(&w, n0, 123, "Y"));
	assert_true(rx_is(&w, n0, 34, "1"));
	assert_true(rx_is(&w, n0, 36, "2"));
	assert_true(rx_is(&w, n0 + 1, 35, "8")); /* the report (2), PossDup */
	assert_true(rx_is(&w, n0 + 1, 43, "Y"));
	for (int i = n0; i < w.nrx; i++)
		assert_false(rx_is(&w, i, 35, "D"));
	assert_int_equal(session_counters(w.s)->sc_resends_served, 1);
	/* the session went on (a Heartbeat): a Logon now is no answer to
	 * ours (test_initiator_peer_reset_answered) but ends the session */
	PEER_SEND(&w, "0", NULL);
	peer_sends_reset(&w);
	RUN_UNTIL(&w, w.downs == 1);
	world_free(&w);
}

/* Initiator: an acceptor that reset unasked may take our confirming Logon
 * (34=1 141=Y) for a reset request and answer it with another Logon 34=1
 * 141=Y (QuickFIX does, after asking for what it missed before the reset).
 * That Logon is the answer: no third Logon, the session stays up and goes
 * on from 2. A Logon once the session has gone on is still an error. */
static void test_initiator_peer_reset_answered(void **state)
{
	struct world w;
	int n0;

	(void)state;
	peer_reset_logon(&w, false);
	/* what the acceptor asked for before our Logon came: from 1 */
	PEER_SEND(&w, "2", "7=1", "16=0", NULL);
	RUN_UNTIL(&w, w.nrx >= 3);
	assert_true(rx_is(&w, 2, 35, "4") && rx_is(&w, 2, 36, "2"));
	n0 = w.nrx;
	/* its answer to our Logon: it starts again at 1 */
	peer_sends_reset(&w);
	PEER_SEND(&w, "1", "112=T1", NULL); /* 2 */
	RUN_UNTIL(&w, w.nrx >= n0 + 1 || w.downs > 0);
	assert_int_equal(w.downs, 0);
	/* the Logon not answered: the first reply is the Heartbeat, our 2 */
	assert_true(rx_is(&w, n0, 35, "0") && rx_is(&w, n0, 112, "T1"));
	assert_true(rx_is(&w, n0, 34, "2"));
	assert_int_equal(session_next_in(w.s), 3);
	assert_int_equal(session_counters(w.s)->sc_peer_resets, 1);
	/* the session went on: a Logon now ends it */
	peer_sends_reset(&w);
	RUN_UNTIL(&w, w.downs == 1);
	world_free(&w);
}

static void test_resend_request_served(void **state)
{
	struct world w;
	int i, base;

	(void)state;
	world_init(&w, FIX_44);
	logon(&w);                                        /* our Logon was 1 */
	assert_int_equal(session_send(w.s, "8", NULL, NULL), 0); /* 2: app */
	PEER_SEND(&w, "1", "112=T", NULL);                /* our Heartbeat answer: 3 */
	RUN_UNTIL(&w, w.nrx >= 3);
	assert_int_equal(session_send(w.s, "8", NULL, NULL), 0); /* 4: app */
	RUN_UNTIL(&w, w.nrx >= 4);
	base = w.nrx;
	PEER_SEND(&w, "2", "7=1", "16=0", NULL);
	/* 1 (Logon) gap-filled to 2, 2 resent, 3 gap-filled to 4, 4 resent */
	RUN_UNTIL(&w, w.nrx >= base + 4);
	assert_true(rx_is(&w, base, 35, "4"));
	assert_true(rx_is(&w, base, 34, "1"));
	assert_true(rx_is(&w, base, 123, "Y"));
	assert_true(rx_is(&w, base, 36, "2"));
	assert_true(rx_is(&w, base + 1, 35, "8"));
	assert_true(rx_is(&w, base + 1, 34, "2"));
	assert_true(rx_is(&w, base + 1, 43, "Y"));
	assert_true(fix_find(rxmsg(&w, base + 1), 122) >= 0);
	assert_true(rx_is(&w, base + 2, 36, "4"));
	assert_true(rx_is(&w, base + 3, 34, "4"));
	for (i = base; i < base + 4; i++)
		assert_true(rx_is(&w, i, 43, "Y"));
	assert_int_equal(session_counters(w.s)->sc_resends_served, 2);
	assert_int_equal(session_next_out(w.s), 5); /* a resend takes no new numbers */
	world_free(&w);
}

static int fill_text(struct fix_builder *b, void *arg)
{
	char text[200];

	(void)arg;
	memset(text, 'x', sizeof(text));
	return fix_add_str(b, 58, text, sizeof(text));
}

/* A ResendRequest for far more than the conn's output buffer holds (600
 * messages of ~290 bytes, 16 KiB of buffer) is served a part at a time as
 * the socket drains, not refused by closing the conn as too slow; an
 * application message sent meanwhile waits and follows the resent ones,
 * in order, as a first send. */
static void test_resend_paced(void **state)
{
	struct world w;
	int i, base, n = 600;
	char want[24];

	(void)state;
	world_init(&w, FIX_44);
	w.p.cp_out_cap = 16 * 1024;
	logon(&w);                                     /* our Logon was 1 */
	for (i = 0; i < n; i += 20) {
		for (int k = 0; k < 20; k++)
			assert_int_equal(session_send(w.s, "8", fill_text, NULL), 0);
		RUN_UNTIL(&w, w.nrx >= 1 + i + 20);
	}
	assert_int_equal(session_next_out(w.s), 602);
	base = w.nrx;
	PEER_SEND(&w, "2", "7=1", "16=0", NULL);
	RUN_UNTIL(&w, w.nrx >= base + 20);
	assert_true(w.nrx < base + 1 + n); /* still going: paced */
	assert_int_equal(session_send(w.s, "8", fill_text, NULL), 0); /* 602, held */
	RUN_UNTIL(&w, w.nrx >= base + 1 + n + 1);
	assert_non_null(w.sconn);
	assert_string_equal(w.peer_closed, "");
	/* 1 (Logon) gap-filled to 2, then 2..601 with PossDupFlag, then 602 */
	assert_true(rx_is(&w, base, 35, "4"));
	assert_true(rx_is(&w, base, 36, "2"));
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%d", i + 2);
		assert_true(rx_is(&w, base + 1 + i, 34, want));
		assert_true(rx_is(&w, base + 1 + i, 43, "Y"));
	}
	assert_true(rx_is(&w, base + 1 + n, 34, "602"));
	assert_int_equal(fix_find(rxmsg(&w, base + 1 + n), 43), -1);
	assert_int_equal(session_counters(w.s)->sc_resends_served, n);
	/* after it, messages go out at once again */
	assert_int_equal(session_send(w.s, "8", NULL, NULL), 0);
	RUN_UNTIL(&w, w.nrx >= base + 1 + n + 2);
	assert_true(rx_is(&w, base + 1 + n + 1, 34, "603"));
	world_free(&w);
}

static void test_reset_logon_and_sequence_reset(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, FIX_44);
	session_restore(w.s, 50, 70);
	peer_connect(&w);
	PEER_SEND(&w, "A", "98=0", "108=30", "141=Y", NULL);
	RUN_UNTIL(&w, w.active == 1 && w.nrx >= 1);
	assert_true(rx_is(&w, 0, 141, "Y"));
	assert_true(rx_is(&w, 0, 34, "1"));
	assert_int_equal(session_next_in(w.s), 2);
	assert_int_equal(w.st.resets, 1);
	/* SequenceReset (reset mode) moves the expected number up, not down */
	PEER_SEND(&w, "4", "36=40", NULL);
	RUN_UNTIL(&w, session_next_in(w.s) == 40);
	w.peer_seq = 40;
	PEER_SEND(&w, "4", "36=30", NULL);
	RUN_UNTIL(&w, w.nrx >= 2);
	assert_true(rx_is(&w, 1, 35, "3"));
	assert_true(rx_is(&w, 1, 373, "5"));
	/* GapFill in sequence */
	w.peer_seq = 40;
	PEER_SEND(&w, "4", "123=Y", "36=45", NULL);
	RUN_UNTIL(&w, session_next_in(w.s) == 45);
	world_free(&w);
}

static void test_bad_input(void **state)
{
	struct world w;
	const char junk[] = "8=FIX.4.4\0019=5\00135=0\00110=000\001";

	(void)state;
	/* first message not a Logon */
	world_init(&w, FIX_44);
	peer_connect(&w);
	PEER_SEND(&w, "D", "11=C1", NULL);
	RUN_UNTIL(&w, w.sconn == NULL);
	assert_int_equal(w.active, 0);
	world_free(&w);

	/* refused Logon: Logout with the reason */
	world_init(&w, FIX_44);
	w.logon_refuse = true;
	peer_connect(&w);
	PEER_SEND(&w, "A", "98=0", "108=30", NULL);
	RUN_UNTIL(&w, w.nrx >= 1 && w.sconn == NULL);
	assert_true(rx_is(&w, 0, 35, "5"));
	assert_true(rx_is(&w, 0, 58, "not your route"));
	world_free(&w);

	/* a duplicate interpreted tag: Reject 35=3 with 373=13, 371=11; the
	 * number is used up; the session stays */
	world_init(&w, FIX_44);
	logon(&w);
	PEER_SEND(&w, "D", "11=C1", "11=C2", "55=IBM", NULL);
	RUN_UNTIL(&w, w.nrx >= 2);
	assert_true(rx_is(&w, 1, 35, "3"));
	assert_true(rx_is(&w, 1, 373, "13"));
	assert_true(rx_is(&w, 1, 371, "11"));
	assert_true(rx_is(&w, 1, 45, "2"));
	assert_int_equal(session_next_in(w.s), 3);
	assert_int_equal(w.apps, 0);
	/* garbled messages: dropped; three in a row disconnect */
	assert_int_equal(conn_send(w.peer, junk, sizeof(junk) - 1), 0);
	assert_int_equal(conn_send(w.peer, junk, sizeof(junk) - 1), 0);
	RUN_UNTIL(&w, session_counters(w.s)->sc_garbled == 2);
	assert_int_equal(session_state(w.s), SESSION_ACTIVE);
	assert_int_equal(conn_send(w.peer, junk, sizeof(junk) - 1), 0);
	RUN_UNTIL(&w, w.sconn == NULL);
	assert_non_null(strstr(w.down_reason, "garbled"));
	world_free(&w);

	/* wrong CompIDs */
	world_init(&w, FIX_44);
	logon(&w);
	{
		char buf[512];
		struct fix_builder b;
		struct fix_hdr h = {"R9", "GW", 2, INT64_C(1764000000000000000), false, 0};
		size_t len;

		fix_build_begin(&b, buf, sizeof(buf), FIX_44, "0", 1);
		fix_add_header(&b, &h);
		assert_int_equal(fix_build_finish(&b, &len), 0);
		assert_int_equal(conn_send(w.peer, buf, len), 0);
	}
	RUN_UNTIL(&w, w.sconn == NULL);
	assert_true(rx_is(&w, w.nrx - 1, 35, "5"));
	assert_non_null(strstr(w.down_reason, "CompID"));
	world_free(&w);
}

static void test_heartbeat_and_test_request(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, FIX_44);
	peer_connect(&w);
	PEER_SEND(&w, "A", "98=0", "108=1", NULL); /* 1 s heartbeats */
	RUN_UNTIL(&w, w.active == 1);
	/* silence: a Heartbeat after 1 s, a TestRequest after 1.2 s */
	RUN_UNTIL(&w, w.nrx >= 3);
	assert_true(rx_is(&w, 1, 35, "0") || rx_is(&w, 1, 35, "1"));
	{
		int i, tr = -1;

		for (i = 1; i < w.nrx; i++)
			if (rx_is(&w, i, 35, "1"))
				tr = i;
		assert_true(tr > 0);
		assert_true(fix_find(rxmsg(&w, tr), 112) >= 0);
	}
	/* no answer: disconnect after another interval */
	RUN_UNTIL(&w, w.sconn == NULL);
	assert_non_null(strstr(w.down_reason, "no answer to TestRequest"));
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logon_app_and_persisted_seqnums),
		cmocka_unit_test(test_gap_resend_and_possdup),
		cmocka_unit_test(test_gap_no_redundant_resend),
		cmocka_unit_test(test_logout_past_gap),
		cmocka_unit_test(test_initiator_peer_reset),
		cmocka_unit_test(test_initiator_peer_reset_answered),
		cmocka_unit_test(test_resend_request_served),
		cmocka_unit_test(test_resend_paced),
		cmocka_unit_test(test_reset_logon_and_sequence_reset),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_heartbeat_and_test_request),
	};

	return cmocka_run_group_tests_name("session", tests, gsetup, gteardown);
}
