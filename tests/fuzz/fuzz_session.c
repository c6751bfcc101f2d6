/*
 * fuzz_session.c - fuzz target for the FIX session layer's input path,
 * session_input() (gateway/session.h), in both roles, FIX 4.2 and 4.4.
 *
 * Set up once per process: a loop, a conn_set, the dev PKI (tu_mkpki), and a
 * TLS pair over a socketpair: the session's side is a conn (conn_accept, as
 * riskgwd's), the peer's a bare tls_conn that reads what the session writes.
 * A conn the session closed is torn down and the pair made again (a new
 * handshake) for the next input; one still open is reused.
 *
 * Each input makes a fresh session with an in-memory store. The input is
 *
 *   byte 0     flags: 0x01 initiator (else acceptor), 0x02 FIX 4.2 (else
 *              4.4), 0x04 initiator sends ResetSeqNumFlag=Y, 0x08 answer each
 *              application message with session_send(), 0x10 relay it with
 *              session_relay(), 0x20 session_logout() once logged on, 0x40 the
 *              acceptor refuses the Logon, 0x80 one garbled message is enough
 *              to disconnect (else 3)
 *   bytes 1-4  next_in, next_out restored (little endian, 16 bits; 0 is 1)
 *   byte 5     application messages stored below next_out: count in bits
 *              0-4; 0x40 the lowest one is unreadable (a damaged journal);
 *              0x80 every third number is missing (gap-filled on a resend)
 *   byte 6     reads: 0 as much as the input buffer takes, else 1..n bytes
 *              from a generator seeded with n
 *   byte 7     bits 0-1 sc_max_msg (4096, 1024, 256, 16384; the input buffer
 *              is that big); 0x04 sc_queue_when_down, and one application
 *              message is sent before the connection is attached; 0x08
 *              repair: each message of the stream (a piece starting with
 *              "8=FIX" at a field start) gets a right BodyLength and CheckSum
 *              first, so that mutated messages reach the session layer
 *              instead of failing the framing
 *   then       the byte stream the peer sends, fed to session_input() as
 *              riskgwd's conn does (called again while it consumes, the rest
 *              kept), until the session closes the conn.
 *
 * Invariants checked (a violation aborts with the line):
 *  - session_input() consumes exactly what fix_frame() says (0 for NEED_MORE,
 *    which never comes with a full buffer), never more than given; in_msgs
 *    and garbled count what was framed and parsed;
 *  - next_in and next_out never go down, except through a Logon with
 *    ResetSeqNumFlag=Y received while logging on; the store holds the
 *    session's numbers after every call; the store's messages have the
 *    number next_out had when they were saved, increasing;
 *  - the session becomes active only by a Logon with the right CompIDs and
 *    HeartBtInt; so_active at most once; so_down exactly once iff the
 *    connection went away, clean only from a Logout;
 *  - so_app gets application messages only while logged on, each in
 *    sequence (its MsgSeqNum is next_in - 1), with increasing numbers, the
 *    right CompIDs and possdup as sent;
 *  - every message the session writes frames with a valid CheckSum, parses,
 *    has the session's version and CompIDs, and its MsgSeqNum is the next
 *    one (+1 each, 1 again only for a reset Logon), below next_out; a PossDup
 *    message has a lower number: a GapFill whose NewSeqNo is above its
 *    MsgSeqNum and not beyond the numbers used, or a stored message resent
 *    with its type and body byte for byte;
 *  - while the connection stays open, what the peer received matches the
 *    counters (messages, rejects, resend requests, resends served) and no
 *    partial message is left.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "fix.h"
#include "loop.h"
#include "session.h"
#include "testutil.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(why)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_session.c:%d: %s\n", __LINE__, why);                         \
		abort();                                                                           \
	} while (0)
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			FAIL(#c);                                                                  \
	} while (0)

#define F_INITIATOR   0x01u
#define F_FIX42       0x02u
#define F_RESET       0x04u
#define F_ECHO        0x08u
#define F_RELAY       0x10u
#define F_LOGOUT      0x20u
#define F_REFUSE      0x40u
#define F_GARBLED1    0x80u
#define O_QUEUE_DOWN  0x04u
#define O_REPAIR      0x08u
#define HDR_LEN       8
#define MAX_INPUT     (64 * 1024)

#define SENDER        "GW"
#define TARGET        "PEER"
#define PEER_MAX_MSG  70000 /* above session.c's outbound scratch buffer */
#define PEER_CAP      (2 * PEER_MAX_MSG)
#define OUT_CAP       (256 * 1024)

static const int unique_tags[] = {11, 38};
static const struct fix_tags unique = {unique_tags, 2};
static const int relay_strip[] = {58};
static const struct fix_tags strip = {relay_strip, 1};

/* ---- the in-memory store ------------------------------------------------------ */

#define ST_MAX 64
#define ST_ARENA (256 * 1024)

struct stored {
	uint64_t seq;
	size_t off, len;
};

static struct {
	uint64_t next_in, next_out; /* the last ss_save_seq */
	struct stored e[ST_MAX];
	int n;
	char arena[ST_ARENA];
	size_t used;
} st;

/* ---- the process-wide world, and what one input saw ------------------------------ */

static struct {
	bool up;
	char *pki;
	struct loop *l;
	struct conn_set *set;
	struct tls_ctx *sctx, *cctx;
	struct conn_params p;
	struct conn *conn;     /* the session's side; NULL once torn down */
	bool conn_open;
	struct tls_conn *peer; /* the peer's side */
	int peer_fd;
	bool peer_gone;        /* the peer read the end of the stream */
} w;

static struct {
	struct session *s;
	struct session_config cfg;
	unsigned flags;
	bool ending;           /* our own detach at the end of the input */
	bool in_input;         /* inside session_input() */
	char cur_type[4];      /* MsgType of the message being processed */
	bool closed;           /* the conn went away during this input */
	int actives, downs, apps;
	uint64_t last_app;     /* MsgSeqNum of the last message so_app got */
	bool logout_done;
	/* what the peer received */
	uint64_t expect;       /* MsgSeqNum of the next fresh (not PossDup) message */
	uint64_t n_msgs, n_rejects, n_resend_reqs, n_resent;
	uint64_t n_foreign;    /* of the other FIX version (see check_sent) */
} in;

static bool trace; /* FUZZ_SESSION_TRACE set: one line per input on stderr */
static bool strict_version; /* FUZZ_SESSION_STRICT_VERSION set: see check_sent() */
static char rx[PEER_CAP]; /* what the peer read, not yet a whole message */
static size_t in_rxlen;
static struct fix_msg scratch, stored_msg;

/* ---- store callbacks ----------------------------------------------------------- */

static int ss_save_seq(void *arg, uint64_t next_in, uint64_t next_out)
{
	(void)arg;
	CHECK(next_in >= 1 && next_out >= 1);
	st.next_in = next_in;
	st.next_out = next_out;
	return 0;
}

static int st_add(uint64_t seq, const char *msg, size_t len)
{
	if (st.n == ST_MAX || len > ST_ARENA - st.used)
		return -ENOSPC;
	memcpy(st.arena + st.used, msg, len);
	st.e[st.n].seq = seq;
	st.e[st.n].off = st.used;
	st.e[st.n].len = len;
	st.n++;
	st.used += len;
	return 0;
}

static int ss_save_out(void *arg, uint64_t seq, const char *msg, size_t len)
{
	size_t n;
	int why;

	(void)arg;
	/* The number the message goes out with is next_out; numbers only
	 * grow within a store's life (ss_reset ends it). */
	CHECK(seq == session_next_out(in.s));
	CHECK(st.n == 0 || seq > st.e[st.n - 1].seq);
	CHECK(fix_frame(msg, len, PEER_MAX_MSG, &n, &why) == FIX_FRAME_MSG && n == len);
	return st_add(seq, msg, len);
}

static int ss_each_out(void *arg, uint64_t from, uint64_t to,
    int (*cb)(void *cbarg, uint64_t seq, const char *msg, size_t len), void *cbarg)
{
	int rc;

	(void)arg;
	CHECK(from >= 1 && from <= to && to < session_next_out(in.s));
	for (int i = 0; i < st.n; i++) {
		if (st.e[i].seq < from || st.e[i].seq > to)
			continue;
		if ((rc = cb(cbarg, st.e[i].seq, st.arena + st.e[i].off, st.e[i].len)) != 0)
			return rc;
	}
	return 0;
}

static int ss_reset(void *arg)
{
	(void)arg;
	st.n = 0;
	st.used = 0;
	return 0;
}

static const struct stored *st_find(uint64_t seq)
{
	for (int i = 0; i < st.n; i++)
		if (st.e[i].seq == seq)
			return &st.e[i];
	return NULL;
}

/* ---- session callbacks ----------------------------------------------------------- */

static bool str_is(const struct fix_msg *m, int tag, const char *want)
{
	const char *v;
	size_t n;

	return fix_get_str(m, tag, &v, &n) == 0 && n == strlen(want) && memcmp(v, want, n) == 0;
}

static int o_check(struct session *s, const struct fix_msg *m, char *why, size_t len, void *arg)
{
	(void)arg;
	CHECK(s == in.s && in.in_input);
	CHECK(in.cfg.sc_role == SESSION_ACCEPTOR && session_state(s) == SESSION_AWAIT_LOGON);
	CHECK(str_is(m, 35, "A") && str_is(m, 49, TARGET) && str_is(m, 56, SENDER));
	if (in.flags & F_REFUSE) {
		snprintf(why, len, "refused by the fuzzer");
		return 1;
	}
	return 0;
}

static void o_active(struct session *s, void *arg)
{
	(void)arg;
	CHECK(s == in.s && in.in_input && strcmp(in.cur_type, "A") == 0);
	CHECK(session_state(s) == SESSION_ACTIVE);
	CHECK(++in.actives == 1);
}

static int fill_er(struct fix_builder *b, void *arg)
{
	const struct fix_msg *m = arg;
	const char *v;
	size_t n;

	fix_add_str(b, 37, "FZ1", 3);
	fix_add_str(b, 17, "E1", 2);
	if (m != NULL && fix_get_str(m, 11, &v, &n) == 0)
		fix_add_str(b, 11, v, n);
	fix_add_char(b, 150, '0');
	fix_add_char(b, 39, '0');
	return 0;
}

static void o_app(struct session *s, const struct fix_msg *m, bool possdup, void *arg)
{
	enum session_state stt = session_state(s);
	bool pd = false;
	int64_t seq;
	int rc;

	(void)arg;
	CHECK(s == in.s && in.in_input && in.actives == 1);
	CHECK(stt == SESSION_ACTIVE || stt == SESSION_LOGOUT_SENT);
	CHECK(!fix_msg_is_admin(m));
	CHECK(str_is(m, 49, TARGET) && str_is(m, 56, SENDER));
	CHECK(fix_get_int(m, 34, &seq) == 0 && seq >= 1);
	CHECK((uint64_t)seq == session_next_in(s) - 1);
	CHECK((uint64_t)seq > in.last_app);
	in.last_app = (uint64_t)seq;
	in.apps++;
	(void)fix_get_bool(m, 43, &pd);
	CHECK(pd == possdup);
	if (in.flags & F_ECHO) {
		rc = session_send(s, "8", fill_er, (void *)m);
		if (stt == SESSION_ACTIVE)
			CHECK(rc == 0 || rc == -ENOSPC);
		else
			CHECK(rc == -ENOTCONN);
	}
	if (in.flags & F_RELAY) {
		rc = session_relay(s, m, &strip);
		if (stt == SESSION_ACTIVE)
			CHECK(rc == 0 || rc == -ENOSPC);
		else
			CHECK(rc == -ENOTCONN);
	}
}

static void o_down(struct session *s, bool clean, const char *reason, void *arg)
{
	(void)arg;
	(void)reason;
	CHECK(s == in.s && session_state(s) == SESSION_DOWN);
	if (in.ending)
		return;
	CHECK(++in.downs == 1);
	/* Clean only from a Logout the session processed. */
	if (clean)
		CHECK(in.in_input && strcmp(in.cur_type, "5") == 0);
}

static const struct session_ops ops = {o_check, o_active, o_app, o_down};

/* ---- the conn and the peer --------------------------------------------------------- */

static void c_open(struct conn *c, void *arg)
{
	(void)arg;
	CHECK(c == w.conn);
	w.conn_open = true;
}

static size_t c_data(struct conn *c, const char *buf, size_t len, void *arg)
{
	(void)c;
	(void)buf;
	(void)len;
	(void)arg;
	FAIL("the peer never writes");
	return 0;
}

static void c_close(struct conn *c, const char *reason, void *arg)
{
	(void)arg;
	CHECK(c == w.conn);
	w.conn = NULL;
	w.conn_open = false;
	in.closed = true;
	if (in.s != NULL && session_conn(in.s) == c)
		session_detach(in.s, reason);
}

static const struct conn_ops cops = {c_open, c_data, c_close};

static void hook(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	conn_set_flush(w.set);
	conn_set_reap(w.set);
}

static void pair_free(void)
{
	if (w.peer != NULL)
		tls_conn_free(w.peer);
	if (w.peer_fd >= 0)
		close(w.peer_fd);
	w.peer = NULL;
	w.peer_fd = -1;
}

/* A new socketpair with the handshake done. */
static void pair_up(void)
{
	char err[TLS_ERRLEN];
	int sv[2], hs = TLS_WANT_READ;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	w.conn_open = false;
	w.peer_gone = false;
	CHECK(conn_accept(w.set, sv[0], w.sctx, &w.p, &cops, NULL, &w.conn) == 0);
	CHECK(tls_conn_new(&w.peer, w.cctx, sv[1], false, "localhost") == 0);
	w.peer_fd = sv[1];
	for (int i = 0; i < 10000 && (hs != 0 || !w.conn_open); i++) {
		if (hs != 0) {
			hs = tls_handshake(w.peer, err);
			if (hs == TLS_ERROR) {
				fprintf(stderr, "fuzz_session: handshake: %s\n", err);
				abort();
			}
		}
		CHECK(loop_run_once(w.l, hs == 0 ? 1 : 0) == 0);
	}
	CHECK(hs == 0 && w.conn_open);
}

static void cleanup(void)
{
	if (!w.up)
		return;
	conn_set_free(w.set);
	pair_free();
	loop_free(w.l);
	tls_ctx_free(w.sctx);
	tls_ctx_free(w.cctx);
	tu_rmtree(w.pki);
	free(w.pki);
	w.up = false;
}

static void setup(void)
{
	char c[1024], k[1024], ca[1024], err[TLS_ERRLEN];

	signal(SIGPIPE, SIG_IGN); /* as riskgwd: a write to a closed peer is EPIPE */
#ifdef FUZZ_TOP_SRCDIR
	setenv("top_srcdir", FUZZ_TOP_SRCDIR, 0);
#endif
	w.pki = tu_mkpki("fuzz-session", 1);
	CHECK(w.pki != NULL);
	snprintf(c, sizeof(c), "%s/riskgwd.crt", w.pki);
	snprintf(k, sizeof(k), "%s/riskgwd.key", w.pki);
	snprintf(ca, sizeof(ca), "%s/ca.crt", w.pki);
	if (tls_ctx_server(&w.sctx, c, k, NULL, err) != 0 ||
	    tls_ctx_client(&w.cctx, ca, NULL, NULL, err) != 0) {
		fprintf(stderr, "fuzz_session: %s\n", err);
		abort();
	}
	CHECK(loop_new(&w.l, 1024) == 0);
	CHECK(conn_set_new(&w.set, w.l) == 0);
	loop_set_before_sleep(w.l, hook, NULL);
	w.p.cp_in_cap = 16384; /* unused: the fuzzer feeds the session itself */
	w.p.cp_out_cap = OUT_CAP;
	w.p.cp_handshake_timeout_ns = INT64_C(10000000000);
	w.peer_fd = -1;
	w.up = true;
	atexit(cleanup);
}

/* ---- what the peer receives ------------------------------------------------------------ */

static void check_checksum(const char *m, size_t len)
{
	unsigned sum = 0, want;

	CHECK(len > 7 && memcmp(m + len - 7, "10=", 3) == 0);
	for (size_t i = 0; i < len - 7; i++)
		sum += (unsigned char)m[i];
	want = (unsigned)(m[len - 4] - '0') * 100 + (unsigned)(m[len - 3] - '0') * 10 +
	       (unsigned)(m[len - 2] - '0');
	CHECK(want == sum % 256);
}

/* The body fields, byte for byte. */
static bool same_body(const struct fix_msg *a, const struct fix_msg *b)
{
	if (a->fm_trailer - a->fm_body != b->fm_trailer - b->fm_body)
		return false;
	for (unsigned i = a->fm_body, j = b->fm_body; i < a->fm_trailer; i++, j++) {
		const struct fix_field *x = &a->fm_f[i], *y = &b->fm_f[j];

		if (x->ff_tag != y->ff_tag || x->ff_len != y->ff_len ||
		    memcmp(a->fm_buf + x->ff_off, b->fm_buf + y->ff_off, x->ff_len) != 0)
			return false;
	}
	return true;
}

static void check_sent(const char *msg, size_t len)
{
	struct fix_reject rej;
	const struct fix_msg *m = &scratch;
	bool possdup = false, reset = false;
	int64_t seq, ns;
	const char *type;
	size_t tlen;

	check_checksum(msg, len);
	CHECK(fix_parse(&scratch, msg, len, NULL, &rej) == 0);
	CHECK(str_is(m, 49, SENDER) && str_is(m, 56, TARGET));
	CHECK(fix_get_int(m, 34, &seq) == 0 && seq >= 1);
	CHECK(fix_get_str(m, 35, &type, &tlen) == 0);
	(void)fix_get_bool(m, 43, &possdup);
	(void)fix_get_bool(m, 141, &reset);
	/* session_input() ends a session on a message of the other version,
	 * so nothing fresh of another version goes out; a resend replays what
	 * the store holds, and this harness's store may be seeded with
	 * anything (riskgwd's holds only what the session sent). Without
	 * FUZZ_SESSION_STRICT_VERSION a resent application message may differ. */
	if (m->fm_version != in.cfg.sc_version) {
		CHECK(!fix_msg_is_admin(m) && possdup && !strict_version);
		in.n_foreign++;
	}
	in.n_msgs++;
	/* An initiator whose peer reset the numbers (a Logon answer with
	 * 141=Y) restarts at 1 after its own Logon went out with the old
	 * number, which the harness may check only after the reset. */
	CHECK((uint64_t)seq < session_next_out(in.s) ||
	    (session_counters(in.s)->sc_peer_resets > 0 && tlen == 1 && type[0] == 'A'));
	if (!possdup) {
		if ((uint64_t)seq != in.expect)
			CHECK(seq == 1 && tlen == 1 && type[0] == 'A' && reset);
		in.expect = (uint64_t)seq + 1;
		if (tlen == 1 && type[0] == '3')
			in.n_rejects++;
		if (tlen == 1 && type[0] == '2')
			in.n_resend_reqs++;
		return;
	}
	CHECK((uint64_t)seq < in.expect && fix_find(m, 122) >= 0);
	if (tlen == 1 && type[0] == '4') {
		CHECK(str_is(m, 123, "Y"));
		CHECK(fix_get_int(m, 36, &ns) == 0 && ns > seq && (uint64_t)ns <= in.expect);
		return;
	}
	{
		const struct stored *e = st_find((uint64_t)seq);
		const char *st_type;
		size_t st_tlen;

		/* A resent application message: the stored one, type and body. */
		CHECK(e != NULL);
		CHECK(fix_parse(&stored_msg, st.arena + e->off, e->len, NULL, &rej) == 0);
		CHECK(fix_get_str(&stored_msg, 35, &st_type, &st_tlen) == 0);
		CHECK(st_tlen == tlen && memcmp(st_type, type, tlen) == 0);
		CHECK(same_body(m, &stored_msg));
		in.n_resent++;
	}
}

/* Reads what the peer has: every complete message is checked. */
static void drain(void)
{
	char err[TLS_ERRLEN];

	while (w.peer != NULL && !w.peer_gone) {
		ssize_t n;
		size_t k;
		int why, r;

		CHECK(in_rxlen < PEER_CAP);
		n = tls_read(w.peer, rx + in_rxlen, PEER_CAP - in_rxlen, err);
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return;
		if (n <= 0) {
			/* the end: only once the session's side is gone */
			CHECK(w.conn == NULL);
			w.peer_gone = true;
			return;
		}
		in_rxlen += (size_t)n;
		while ((r = fix_frame(rx, in_rxlen, PEER_MAX_MSG, &k, &why)) == FIX_FRAME_MSG) {
			check_sent(rx, k);
			memmove(rx, rx + k, in_rxlen - k);
			in_rxlen -= k;
		}
		CHECK(r == FIX_FRAME_NEED_MORE);
	}
}

/* Runs the loop (flush, then reap) and reads the peer's side until the
 * session's output is all out, or its conn is gone and the peer read the
 * end. */
static void pump(void)
{
	for (int i = 0; i < 100000; i++) {
		CHECK(loop_run_once(w.l, 0) == 0);
		drain();
		if (w.conn != NULL && conn_state(w.conn) == CONN_OPEN && conn_pending(w.conn) == 0)
			return;
		if (w.conn == NULL && w.peer_gone)
			return;
	}
	FAIL("the output is stuck");
}

static bool conn_up(void)
{
	return w.conn != NULL && conn_state(w.conn) == CONN_OPEN;
}

/* ---- one call of session_input() --------------------------------------------------------- */

static struct fix_msg own;

static size_t call(const char *buf, size_t len)
{
	struct session *s = in.s;
	struct session_counters c0 = *session_counters(s), c1;
	enum session_state st0 = session_state(s), st1;
	uint64_t in0 = session_next_in(s), out0 = session_next_out(s), in1, out1;
	int apps0 = in.apps;
	struct fix_reject rej;
	size_t n = 0, got;
	int why = 0, r, pr = 0;
	int64_t seq = 0, hb = 0;
	bool possdup = false, reset = false, ids = false, is_app = false;

	CHECK(st0 != SESSION_DOWN);
	r = fix_frame(buf, len, in.cfg.sc_max_msg, &n, &why);
	CHECK(r == FIX_FRAME_NEED_MORE || r == FIX_FRAME_MSG || r == FIX_FRAME_GARBLED);
	in.cur_type[0] = '\0';
	if (r == FIX_FRAME_MSG) {
		const char *t;
		size_t tl;

		pr = fix_parse(&own, buf, n, &unique, &rej);
		if (fix_get_str(&own, 35, &t, &tl) == 0 && tl < sizeof(in.cur_type)) {
			memcpy(in.cur_type, t, tl);
			in.cur_type[tl] = '\0';
		}
		if (pr == 0) {
			CHECK(fix_get_int(&own, 34, &seq) == 0);
			(void)fix_get_bool(&own, 43, &possdup);
			(void)fix_get_bool(&own, 141, &reset);
			(void)fix_get_int(&own, 108, &hb);
			/* the session's CompIDs, and its version: a message of
			 * the other one ends the session, it is never delivered */
			ids = str_is(&own, 49, TARGET) && str_is(&own, 56, SENDER) &&
			    own.fm_version == in.cfg.sc_version;
			is_app = !fix_msg_is_admin(&own);
		}
	}

	in.in_input = true;
	got = session_input(s, buf, len);
	in.in_input = false;

	CHECK(got <= len);
	if (r == FIX_FRAME_NEED_MORE)
		CHECK(got == 0 && len < in.cfg.sc_max_msg);
	else
		CHECK(got == n && n >= 1);

	c1 = *session_counters(s);
	CHECK(c1.sc_in_msgs == c0.sc_in_msgs + (r == FIX_FRAME_MSG));
	CHECK(c1.sc_garbled == c0.sc_garbled + (r == FIX_FRAME_GARBLED ||
	    (r == FIX_FRAME_MSG && pr != 0 && pr != FIX_EREJECT)));
	CHECK(c1.sc_out_msgs >= c0.sc_out_msgs && c1.sc_rejects_sent >= c0.sc_rejects_sent &&
	    c1.sc_resends_served >= c0.sc_resends_served && c1.sc_gaps >= c0.sc_gaps);
	CHECK(c1.sc_possdup_dropped == c0.sc_possdup_dropped ||
	    (c1.sc_possdup_dropped == c0.sc_possdup_dropped + 1 && r == FIX_FRAME_MSG &&
	     pr == 0 && possdup && (uint64_t)seq < in0));

	in1 = session_next_in(s);
	out1 = session_next_out(s);
	st1 = session_state(s);
	CHECK((unsigned)st1 <= SESSION_LOGOUT_SENT);
	if (r != FIX_FRAME_MSG)
		CHECK(in1 == in0 && out1 == out0 && st1 == st0);
	/* Numbers go down only by a reset Logon while logging on. */
	if (!(r == FIX_FRAME_MSG && pr == 0 && reset && strcmp(in.cur_type, "A") == 0 &&
	    (st0 == SESSION_AWAIT_LOGON || st0 == SESSION_LOGON_SENT)))
		CHECK(in1 >= in0 && out1 >= out0);
	/* What the session knows is what a restart would resume. */
	CHECK(st.next_in == in1 && st.next_out == out1);
	/* Logged on only by a good Logon. */
	if (st1 == SESSION_ACTIVE && st0 != SESSION_ACTIVE)
		CHECK((st0 == SESSION_AWAIT_LOGON || st0 == SESSION_LOGON_SENT) &&
		    r == FIX_FRAME_MSG && pr == 0 && strcmp(in.cur_type, "A") == 0 && ids &&
		    hb >= 1 && hb <= 3600 && in.actives == 1);
	if (st1 == SESSION_LOGOUT_SENT)
		CHECK(st0 == SESSION_LOGOUT_SENT);
	/* A malformed message before the Logon ends the connection. */
	if (r == FIX_FRAME_MSG && pr == FIX_EREJECT && st0 != SESSION_ACTIVE)
		CHECK(!conn_up());
	/* An application message in sequence reaches the owner, and only it. */
	CHECK(in.apps == apps0 + (r == FIX_FRAME_MSG && pr == 0 && is_app && ids &&
	    (uint64_t)seq == in0 && (st0 == SESSION_ACTIVE || st0 == SESSION_LOGOUT_SENT)));
	return got;
}

/* Feeds buf[0..*have) as conn.c's deliver() does; keeps the rest. */
static void deliver(char *buf, size_t *have)
{
	size_t off = 0;

	while (off < *have && conn_up()) {
		size_t used = call(buf + off, *have - off);

		if (used == 0)
			break;
		off += used;
		/* The owner logs out between two messages (riskgwd: a stop). */
		if ((in.flags & F_LOGOUT) && !in.logout_done && conn_up() &&
		    session_state(in.s) == SESSION_ACTIVE) {
			session_logout(in.s, "fuzz logout");
			in.logout_done = true;
			CHECK(session_state(in.s) == SESSION_LOGOUT_SENT);
		}
	}
	memmove(buf, buf + off, *have - off);
	*have -= off;
}

/* ---- one input ------------------------------------------------------------------------ */

static void prefill(const uint8_t *d, uint64_t next_out)
{
	char buf[512];
	unsigned count = d[5] & 0x1fu;
	uint64_t lo;

	if (count > next_out - 1)
		count = (unsigned)(next_out - 1);
	lo = next_out - count;
	for (uint64_t seq = lo; seq < next_out; seq++) {
		const struct fix_hdr h = {SENDER, TARGET, seq, INT64_C(1704205800123000000), false, 0};
		struct fix_builder b;
		size_t len;

		if ((d[5] & 0x80u) && seq % 3 == 0)
			continue;
		if ((d[5] & 0x40u) && seq == lo) {
			CHECK(st_add(seq, "garbage\001", 8) == 0);
			continue;
		}
		fix_build_begin(&b, buf, sizeof(buf), in.cfg.sc_version, "8", 1);
		fix_add_header(&b, &h);
		fix_add_str(&b, 37, "V1", 2);
		fix_add_int(&b, 17, (int64_t)seq);
		fix_add_int(&b, 11, (int64_t)seq * 7);
		fix_add_char(&b, 150, '0');
		fix_add_char(&b, 39, '0');
		CHECK(fix_build_finish(&b, &len) == 0);
		CHECK(st_add(seq, buf, len) == 0);
	}
}

static void config(const uint8_t *d)
{
	static const size_t max_msgs[] = {4096, 1024, 256, 16384};

	memset(&in.cfg, 0, sizeof(in.cfg));
	in.cfg.sc_name = "fuzz";
	in.cfg.sc_version = (d[0] & F_FIX42) ? FIX_42 : FIX_44;
	in.cfg.sc_role = (d[0] & F_INITIATOR) ? SESSION_INITIATOR : SESSION_ACCEPTOR;
	snprintf(in.cfg.sc_sender, sizeof(in.cfg.sc_sender), "%s", SENDER);
	snprintf(in.cfg.sc_target, sizeof(in.cfg.sc_target), "%s", TARGET);
	in.cfg.sc_heartbeat_s = 30;
	in.cfg.sc_logon_timeout_s = 10;
	in.cfg.sc_reset_on_logon = (d[0] & F_RESET) != 0;
	in.cfg.sc_max_msg = max_msgs[d[7] & 3u];
	in.cfg.sc_max_garbled = (d[0] & F_GARBLED1) ? 1 : 3;
	in.cfg.sc_unique = &unique;
	in.cfg.sc_queue_when_down = (d[7] & O_QUEUE_DOWN) != 0;
}

static bool msg_start(const char *s, size_t len, size_t i)
{
	return len - i >= 8 && memcmp(s + i, "8=FIX.4.", 8) == 0 && (i == 0 || s[i - 1] == FIX_SOH);
}

/*
 * Rewraps one piece as "8=FIX.4.x|9=<right>|<body>10=<right>|" at out: the
 * body is the piece less a leading "8=...|9=...|" and a trailing "10=...|",
 * plus an SOH if it does not end with one. The version is the piece's when
 * it says 4.2 or 4.4, else the session's. Returns the length, 0 if it does
 * not fit in cap.
 */
static size_t repair_one(const char *s, size_t len, char *out, size_t cap)
{
	const char *body = s, *soh;
	const char *bs = in.cfg.sc_version == FIX_42 ? "FIX.4.2" : "FIX.4.4";
	size_t blen = len, n;
	unsigned sum = 0;
	bool add;

	if (len >= 10 && (s[8] == '2' || s[8] == '4') && s[9] == FIX_SOH) {
		bs = s[8] == '2' ? "FIX.4.2" : "FIX.4.4";
		body = s + 10;
		blen = len - 10;
		if (blen >= 2 && memcmp(body, "9=", 2) == 0 &&
		    (soh = memchr(body, FIX_SOH, blen)) != NULL) {
			blen -= (size_t)(soh + 1 - body);
			body = soh + 1;
		}
	}
	if (blen >= 8 && body[blen - 1] == FIX_SOH && memcmp(body + blen - 8, "\00110=", 4) == 0)
		blen -= 7;
	add = blen == 0 || body[blen - 1] != FIX_SOH;
	if (blen + 40 > cap)
		return 0;
	n = (size_t)snprintf(out, cap, "8=%s%c9=%zu%c", bs, FIX_SOH, blen + add, FIX_SOH);
	memcpy(out + n, body, blen);
	n += blen;
	if (add)
		out[n++] = FIX_SOH;
	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)out[i];
	n += (size_t)snprintf(out + n, cap - n, "10=%03u%c", sum % 256, FIX_SOH);
	return n;
}

/* The stream with every message repaired (bytes before the first kept). */
static size_t repair(const char *s, size_t len, char *out, size_t cap)
{
	size_t i = 0, n = 0;

	while (i < len && !msg_start(s, len, i))
		i++;
	memcpy(out, s, i);
	n = i;
	while (i < len) {
		size_t j = i + 1, k;

		while (j < len && !msg_start(s, len, j))
			j++;
		if ((k = repair_one(s + i, j - i, out + n, cap - n)) == 0)
			break;
		n += k;
		i = j;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ibuf[16384], fixed[4 * MAX_INPUT];
	static const struct session_store store = {ss_save_seq, ss_save_out, ss_each_out, ss_reset,
	    NULL};
	const struct session_counters *cnt;
	uint64_t next_in, next_out;
	uint32_t x;
	const char *src;
	size_t slen, pos = 0, have = 0;

	if (size < HDR_LEN || size > MAX_INPUT)
		return 0;
	src = (const char *)data + HDR_LEN;
	slen = size - HDR_LEN;
	if (!w.up) {
		setup();
		trace = getenv("FUZZ_SESSION_TRACE") != NULL;
		strict_version = getenv("FUZZ_SESSION_STRICT_VERSION") != NULL;
	}
	if (w.conn == NULL) {
		pair_free();
		pair_up();
	}
	memset(&in, 0, sizeof(in));
	in_rxlen = 0;
	in.flags = data[0];
	config(data);
	CHECK(in.cfg.sc_max_msg <= sizeof(ibuf));
	if (data[7] & O_REPAIR) {
		slen = repair(src, slen, fixed, sizeof(fixed));
		src = fixed;
	}
	next_in = (uint64_t)data[1] | (uint64_t)data[2] << 8;
	next_out = (uint64_t)data[3] | (uint64_t)data[4] << 8;
	next_in += next_in == 0;
	next_out += next_out == 0;

	ss_reset(NULL);
	CHECK(session_new(&in.s, w.l, &in.cfg, &store, &ops, NULL) == 0);
	session_restore(in.s, next_in, next_out);
	CHECK(session_next_in(in.s) == next_in && session_next_out(in.s) == next_out);
	st.next_in = next_in;
	st.next_out = next_out;
	prefill(data, next_out);
	if (in.cfg.sc_queue_when_down) {
		/* stored for the peer's resend, with the next number */
		CHECK(session_send(in.s, "8", fill_er, NULL) == 0);
		CHECK(session_next_out(in.s) == next_out + 1 && st.next_out == next_out + 1);
	}
	in.expect = session_next_out(in.s);
	session_attach(in.s, w.conn);
	CHECK(st.next_in == session_next_in(in.s) && st.next_out == session_next_out(in.s));

	x = data[6];
	while (conn_up() && pos < slen) {
		size_t k = data[6] == 0 ? sizeof(ibuf) : 1 + (x >> 16) % data[6];

		x = x * 1103515245u + 12345u;
		if (k > slen - pos)
			k = slen - pos;
		if (k > in.cfg.sc_max_msg - have)
			k = in.cfg.sc_max_msg - have;
		CHECK(k > 0); /* the input buffer never fills up without a message */
		memcpy(ibuf + have, src + pos, k);
		have += k;
		pos += k;
		deliver(ibuf, &have);
		if (!conn_up() || conn_pending(w.conn) > 0)
			pump();
	}
	pump();

	if (trace) {
		cnt = session_counters(in.s);
		fprintf(stderr, "fuzz_session: %s %s, %s%s, next %" PRIu64 "/%" PRIu64 ", in %" PRIu64
		    " garbled %" PRIu64 " apps %d, out %" PRIu64 " (peer got %" PRIu64 ": %" PRIu64
		    " rejects, %" PRIu64 " resend requests, %" PRIu64 " resent, %" PRIu64
		    " of the other version), dropped %" PRIu64 "\n",
		    in.cfg.sc_role == SESSION_ACCEPTOR ? "acceptor" : "initiator",
		    in.cfg.sc_version == FIX_42 ? "4.2" : "4.4", session_state_name(session_state(in.s)),
		    in.closed ? " (closed)" : "", session_next_in(in.s), session_next_out(in.s),
		    cnt->sc_in_msgs, cnt->sc_garbled, in.apps, cnt->sc_out_msgs, in.n_msgs,
		    in.n_rejects, in.n_resend_reqs, in.n_resent, in.n_foreign,
		    cnt->sc_possdup_dropped);
		if (in.closed)
			fprintf(stderr, "fuzz_session:   down: %s\n", session_down_reason(in.s));
	}
	/* so_down once iff the connection went away */
	CHECK(in.downs == (in.closed ? 1 : 0));
	CHECK(in.closed == (w.conn == NULL));
	cnt = session_counters(in.s);
	CHECK(in.n_msgs <= cnt->sc_out_msgs && in.n_rejects <= cnt->sc_rejects_sent &&
	    in.n_resend_reqs <= cnt->sc_gaps && in.n_resent <= cnt->sc_resends_served);
	if (!in.closed) {
		CHECK(in_rxlen == 0);
		CHECK(in.n_msgs == cnt->sc_out_msgs && in.n_rejects == cnt->sc_rejects_sent &&
		    in.n_resend_reqs == cnt->sc_gaps && in.n_resent == cnt->sc_resends_served);
		in.ending = true;
		session_detach(in.s, "end of input");
	} else {
		pair_free();
	}
	session_free(in.s);
	in.s = NULL;
	return 0;
}
