/*
 * session.c - the FIX session layer of one leg (see session.h).
 */
#include "config.h"

#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESSION_MAGIC 0x73657373u /* "sess" */
#define OBUF_CAP 65536
#define NSEC INT64_C(1000000000)
#define LOGOUT_WAIT_NS (2 * NSEC)
/* A resend stops queuing while the conn's output buffer is more than half
 * full and looks again this often (see resend_pump). */
#define RESEND_POLL_NS (INT64_C(5) * 1000000)

struct session {
	uint32_t s_magic;
	struct session_config s_cfg;
	struct session_store s_store;
	struct session_ops s_ops;
	void *s_arg;
	struct loop *s_loop;
	struct conn *s_conn;
	enum session_state s_state;
	uint64_t s_next_in, s_next_out;
	int s_hb_s;                       /* the interval in force */
	int64_t s_last_in, s_last_out;    /* loop_now() of the last message */
	bool s_test_pending;
	int64_t s_test_sent;
	uint64_t s_test_id;
	uint64_t s_resend_until;          /* gap being refilled: ResendRequest sent up to */
	/* Initiator: we confirmed the acceptor's unasked reset with a Logon
	 * 34=1 141=Y, which an acceptor may answer as a reset request of ours
	 * (QuickFIX does): its Logon 34=1 141=Y is then that answer. */
	bool s_reset_confirm;
	int s_garbled_run;
	struct loop_timer s_tick;         /* heartbeats, test requests (1 s) */
	struct loop_timer s_deadline;     /* logon / logout timeout */
	struct session_counters s_cnt;
	/* A resend being served, paced by the conn's output buffer: the peer
	 * asked for [s_rs_next .. s_rs_to]; application messages from
	 * s_rs_held on are stored but not queued while it lasts, and go out
	 * after it, in order. */
	bool s_rs_active;
	uint64_t s_rs_next, s_rs_to, s_rs_held;
	struct loop_timer s_rs_timer;
	char s_name[96];
	char s_down_reason[160];          /* why it last went down (or detached) */
	char *s_obuf;                     /* outbound scratch, OBUF_CAP */
	struct fix_msg s_msg;             /* inbound parse view */
	struct fix_msg s_resend_msg;      /* parse view of a stored message */
};

static const char *const state_names[] = {"down", "await-logon", "logon-sent", "active",
    "logout-sent"};

const char *session_state_name(enum session_state st)
{
	return (unsigned)st < sizeof(state_names) / sizeof(state_names[0]) ? state_names[st]
									   : "?";
}

static struct session *sess_of(void *arg)
{
	struct session *s = arg;

	if (s == NULL || s->s_magic != SESSION_MAGIC)
		abort();
	return s;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* ---- output ------------------------------------------------------------------- */

static int save_seq(struct session *s)
{
	return s->s_store.ss_save_seq(s->s_store.ss_arg, s->s_next_in, s->s_next_out);
}

static void hdr_init(struct session *s, struct fix_hdr *h, uint64_t seq)
{
	memset(h, 0, sizeof(*h));
	h->fh_sender = s->s_cfg.sc_sender;
	h->fh_target = s->s_cfg.sc_target;
	h->fh_seq = seq;
	h->fh_sending_ns = wall_ns();
}

/* Queues built bytes on the conn (all or nothing). */
static int queue(struct session *s, const char *msg, size_t len)
{
	int rc;

	if (s->s_conn == NULL)
		return -ENOTCONN;
	rc = conn_send(s->s_conn, msg, len);
	if (rc == 0) {
		s->s_last_out = loop_now(s->s_loop);
		s->s_cnt.sc_out_msgs++;
	}
	return rc;
}

/*
 * Builds one message with the next MsgSeqNum: header, then fill's fields.
 * Application messages are stored before they are queued; the sequence
 * numbers are saved with them.
 */
static int send_msg(struct session *s, const char *type, session_fill_cb *fill, void *arg,
    bool app)
{
	struct fix_builder b;
	struct fix_hdr h;
	size_t len;
	int rc;

	if (s->s_conn == NULL && !(app && s->s_cfg.sc_queue_when_down))
		return -ENOTCONN;
	hdr_init(s, &h, s->s_next_out);
	fix_build_begin(&b, s->s_obuf, OBUF_CAP, s->s_cfg.sc_version, type, strlen(type));
	fix_add_header(&b, &h);
	if (fill != NULL && (rc = fill(&b, arg)) != 0)
		return rc;
	if ((rc = fix_build_finish(&b, &len)) != 0)
		return rc;
	if (app && (rc = s->s_store.ss_save_out(s->s_store.ss_arg, h.fh_seq, s->s_obuf, len)) != 0)
		return rc;
	s->s_next_out++;
	if ((rc = save_seq(s)) != 0) {
		s->s_next_out--;
		return rc;
	}
	if (app && s->s_state != SESSION_ACTIVE)
		return 0; /* stored for the peer's resend (sc_queue_when_down) */
	if (app && s->s_rs_active)
		return 0; /* stored: goes out after the resend being served */
	rc = queue(s, s->s_obuf, len);
	/* A stored application message has its number: a connection that is
	 * closing (or was closed for a full buffer by conn_send) still gets it
	 * by the peer's ResendRequest after the reconnect. It counts as sent. */
	return app ? 0 : rc;
}

/* May an application message be sent (or stored for a resend) now? */
static bool app_ok(const struct session *s)
{
	return s->s_state == SESSION_ACTIVE ||
	    (s->s_cfg.sc_queue_when_down && s->s_state != SESSION_LOGOUT_SENT);
}

int session_send(struct session *s, const char *msgtype, session_fill_cb *fill, void *arg)
{
	if (!app_ok(s))
		return -ENOTCONN;
	return send_msg(s, msgtype, fill, arg, true);
}

int session_relay(struct session *s, const struct fix_msg *in, const struct fix_tags *remove)
{
	struct fix_hdr h;
	size_t len;
	int rc;

	if (!app_ok(s))
		return -ENOTCONN;
	hdr_init(s, &h, s->s_next_out);
	if ((rc = fix_relay(in, &h, remove, s->s_obuf, OBUF_CAP, &len)) != 0)
		return rc;
	if ((rc = s->s_store.ss_save_out(s->s_store.ss_arg, h.fh_seq, s->s_obuf, len)) != 0)
		return rc;
	s->s_next_out++;
	if ((rc = save_seq(s)) != 0) {
		s->s_next_out--;
		return rc;
	}
	if (s->s_state != SESSION_ACTIVE)
		return 0; /* stored for the peer's resend */
	if (s->s_rs_active)
		return 0; /* stored: goes out after the resend being served */
	(void)queue(s, s->s_obuf, len); /* stored: sent now or by a resend */
	return 0;
}

/* ---- admin messages ------------------------------------------------------------ */

struct fields {
	const int *tags;
	const char *const *vals;
	int n;
};

static int fill_fields(struct fix_builder *b, void *arg)
{
	const struct fields *f = arg;
	int i;

	for (i = 0; i < f->n; i++)
		if (f->vals[i] != NULL && f->vals[i][0] != '\0')
			fix_add_str(b, f->tags[i], f->vals[i], strlen(f->vals[i]));
	return 0;
}

static void send_admin(struct session *s, const char *type, const int *tags,
    const char *const *vals, int n)
{
	struct fields f = {tags, vals, n};
	int rc = send_msg(s, type, fill_fields, &f, false);

	if (rc != 0 && s->s_conn != NULL)
		conn_close(s->s_conn, false, "%s: cannot send %s: %s", s->s_name, type,
		    fix_strerror(rc));
}

static void send_logon(struct session *s, bool reset)
{
	char hb[16];
	const int tags[] = {98, 108, 141};
	const char *vals[] = {"0", hb, reset ? "Y" : NULL};

	snprintf(hb, sizeof(hb), "%d", s->s_hb_s);
	send_admin(s, "A", tags, vals, 3);
}

static void send_logout(struct session *s, const char *text)
{
	const int tags[] = {58};
	const char *vals[] = {text};

	send_admin(s, "5", tags, vals, 1);
}

static void send_reject(struct session *s, uint64_t refseq, int reftag, const char *reftype,
    int reason, const char *text)
{
	char seq[24], tag[16], why[8];
	const int tags[] = {45, 371, 372, 373, 58};
	const char *vals[] = {seq, reftag > 0 ? tag : NULL, reftype, why, text};

	snprintf(seq, sizeof(seq), "%" PRIu64, refseq);
	snprintf(tag, sizeof(tag), "%d", reftag);
	snprintf(why, sizeof(why), "%d", reason);
	if (s->s_cfg.sc_version == FIX_42 && reason > 11)
		vals[3] = NULL; /* 4.2 defines 373 values 0..11 only */
	send_admin(s, "3", tags, vals, 5);
	s->s_cnt.sc_rejects_sent++;
}

static void send_resend_request(struct session *s, uint64_t from)
{
	char b[24];
	const int tags[] = {7, 16};
	const char *vals[] = {b, "0"};

	snprintf(b, sizeof(b), "%" PRIu64, from);
	send_admin(s, "2", tags, vals, 2);
	s->s_cnt.sc_gaps++;
}

/* Sends a SequenceReset-GapFill at seq announcing new_seq, outside the normal
 * numbering (it takes the number of the message it replaces). */
static int gap_fill(struct session *s, uint64_t seq, uint64_t new_seq)
{
	struct fix_builder b;
	struct fix_hdr h;
	size_t len;
	int rc;

	hdr_init(s, &h, seq);
	h.fh_possdup = true;
	h.fh_orig_ns = h.fh_sending_ns;
	fix_build_begin(&b, s->s_obuf, OBUF_CAP, s->s_cfg.sc_version, "4", 1);
	fix_add_header(&b, &h);
	fix_add_str(&b, 123, "Y", 1);
	fix_add_int(&b, 36, (int64_t)new_seq);
	if ((rc = fix_build_finish(&b, &len)) != 0)
		return rc;
	return queue(s, s->s_obuf, len);
}

/* ---- resend ---------------------------------------------------------------------- */

/*
 * A ResendRequest is served by walking the store from s_rs_next, queuing
 * each stored application message again (PossDupFlag=Y, OrigSendingTime)
 * and a SequenceReset-GapFill over each run of numbers not stored (session
 * messages). A range can be far larger than the conn's output buffer, so
 * the walk stops while the buffer is more than half full and a timer
 * resumes it when the socket has taken some (RESEND_POLL_NS). Until the
 * walk is done, new application messages are stored and not queued: they
 * follow the resent ones, as sent the first time (they were never on the
 * wire), so that the peer sees every number in order.
 */
#define RESEND_PAUSE 1

struct resend {
	struct session *s;
	uint64_t next;  /* first number not yet covered */
	size_t floor;   /* pause while the conn has less room than this */
	int rc;
};

static int resend_one(void *arg, uint64_t seq, const char *msg, size_t len)
{
	struct resend *r = arg;
	struct session *s = r->s;
	struct fix_reject rej;
	struct fix_hdr h;
	int64_t orig;
	size_t out;
	int rc;

	if (seq < r->next)
		return 0;
	if (conn_room(s->s_conn) < r->floor)
		return RESEND_PAUSE; /* r->next is where to go on */
	if (seq > s->s_rs_to) {
		/* the asked range ends with session messages: fill them first */
		if (r->next <= s->s_rs_to) {
			if ((rc = gap_fill(s, r->next, s->s_rs_to + 1)) != 0)
				return r->rc = rc;
			r->next = s->s_rs_to + 1;
		}
		if (seq < s->s_rs_held)
			return 0; /* sent before the request, not asked for */
		/* held while the resend lasted: now on the wire for the first
		 * time, as it was built; from now on it counts as sent */
		if ((rc = queue(s, msg, len)) != 0)
			return r->rc = rc;
		r->next = seq + 1;
		s->s_rs_held = seq + 1;
		return 0;
	}
	if (seq > r->next && (rc = gap_fill(s, r->next, seq)) != 0)
		return r->rc = rc;
	if ((rc = fix_parse(&s->s_resend_msg, msg, len, NULL, &rej)) != 0)
		return r->rc = rc;
	if (fix_get_time(&s->s_resend_msg, 52, &orig) != 0)
		orig = wall_ns();
	hdr_init(s, &h, seq);
	h.fh_possdup = true;
	h.fh_orig_ns = orig;
	if ((rc = fix_relay(&s->s_resend_msg, &h, NULL, s->s_obuf, OBUF_CAP, &out)) != 0 ||
	    (rc = queue(s, s->s_obuf, out)) != 0)
		return r->rc = rc;
	r->next = seq + 1;
	s->s_cnt.sc_resends_served++;
	return 0;
}

static void resend_end(struct session *s)
{
	s->s_rs_active = false;
	loop_timer_cancel(s->s_loop, &s->s_rs_timer);
}

/* Queues as much of the resend as the conn's buffer takes (see above). */
static void resend_pump(struct session *s)
{
	struct resend r = {s, s->s_rs_next, 0, 0};
	size_t cap;
	int rc;

	if (!s->s_rs_active)
		return;
	if (s->s_conn == NULL || s->s_state != SESSION_ACTIVE) {
		resend_end(s);
		return;
	}
	cap = conn_room(s->s_conn) + conn_pending(s->s_conn);
	r.floor = cap / 2;
	rc = s->s_store.ss_each_out(s->s_store.ss_arg, r.next, s->s_next_out - 1, resend_one, &r);
	if (rc == RESEND_PAUSE) {
		s->s_rs_next = r.next;
		(void)loop_timer_set(s->s_loop, &s->s_rs_timer, RESEND_POLL_NS);
		return;
	}
	if (rc == 0 && r.rc == 0 && r.next <= s->s_rs_to)
		r.rc = gap_fill(s, r.next, s->s_rs_to + 1);
	resend_end(s);
	if (r.rc == 0 && rc != 0)
		r.rc = rc;
	if (r.rc != 0 && s->s_conn != NULL)
		conn_close(s->s_conn, false, "%s: resend failed: %s", s->s_name,
		    fix_strerror(r.rc));
}

static void on_resend_timer(struct loop *l, void *arg)
{
	(void)l;
	resend_pump(sess_of(arg));
}

static void serve_resend(struct session *s, uint64_t from, uint64_t to)
{
	uint64_t last = s->s_next_out - 1;

	if (to == 0 || to > last)
		to = last;
	/* A new request replaces one being served (the peer asks again from
	 * where it is); messages held for the old one stay held, and were
	 * never sent: not something to resend. */
	if (s->s_rs_active && to >= s->s_rs_held)
		to = s->s_rs_held - 1;
	if (from > to)
		return;
	if (!s->s_rs_active)
		s->s_rs_held = s->s_next_out;
	s->s_rs_active = true;
	s->s_rs_next = from;
	s->s_rs_to = to;
	resend_pump(s);
}

/* ---- state changes ---------------------------------------------------------------- */

static void go_down(struct session *s, bool clean, const char *reason)
{
	enum session_state was = s->s_state;

	snprintf(s->s_down_reason, sizeof(s->s_down_reason), "%s", reason);
	s->s_state = SESSION_DOWN;
	loop_timer_cancel(s->s_loop, &s->s_tick);
	loop_timer_cancel(s->s_loop, &s->s_deadline);
	s->s_test_pending = false;
	s->s_resend_until = 0;
	s->s_reset_confirm = false;
	resend_end(s);
	if (was != SESSION_DOWN && s->s_ops.so_down != NULL)
		s->s_ops.so_down(s, clean, reason, s->s_arg);
}

/* Ends the session with a Logout and closes the conn (errors the peer made). */
static void abort_session(struct session *s, const char *reason)
{
	if (s->s_conn == NULL)
		return;
	send_logout(s, reason);
	conn_close(s->s_conn, true, "%s: %s", s->s_name, reason);
}

static void on_tick(struct loop *l, void *arg)
{
	struct session *s = sess_of(arg);
	int64_t now = loop_now(l), hb = (int64_t)s->s_hb_s * NSEC;

	if (s->s_state != SESSION_ACTIVE || s->s_conn == NULL)
		return;
	if (s->s_test_pending && now - s->s_test_sent >= hb) {
		conn_close(s->s_conn, false, "%s: no answer to TestRequest within %d s", s->s_name,
		    s->s_hb_s);
		return;
	}
	if (!s->s_test_pending && now - s->s_last_in >= hb + hb / 5) {
		char id[24];
		const int tags[] = {112};
		const char *vals[] = {id};

		snprintf(id, sizeof(id), "TEST%" PRIu64, ++s->s_test_id);
		send_admin(s, "1", tags, vals, 1);
		s->s_test_pending = true;
		s->s_test_sent = now;
	}
	if (now - s->s_last_out >= hb)
		send_admin(s, "0", NULL, NULL, 0);
	(void)loop_timer_set(l, &s->s_tick, NSEC);
}

static void on_deadline(struct loop *l, void *arg)
{
	struct session *s = sess_of(arg);

	(void)l;
	if (s->s_conn == NULL)
		return;
	if (s->s_state == SESSION_LOGOUT_SENT)
		conn_close(s->s_conn, false, "%s: no Logout answer", s->s_name);
	else if (s->s_state != SESSION_ACTIVE)
		conn_close(s->s_conn, false, "%s: no Logon within %d s", s->s_name,
		    s->s_cfg.sc_logon_timeout_s);
}

static void become_active(struct session *s)
{
	s->s_state = SESSION_ACTIVE;
	loop_timer_cancel(s->s_loop, &s->s_deadline);
	(void)loop_timer_set(s->s_loop, &s->s_tick, NSEC);
	if (s->s_ops.so_active != NULL)
		s->s_ops.so_active(s, s->s_arg);
}

/* ---- inbound ---------------------------------------------------------------------- */

static bool field_is(const struct fix_msg *m, int tag, const char *want)
{
	const char *v;
	size_t n;

	return fix_get_str(m, tag, &v, &n) == 0 && n == strlen(want) && memcmp(v, want, n) == 0;
}

static void msgtype(const struct fix_msg *m, char out[4])
{
	const char *v = "";
	size_t n = 0;

	fix_get_str(m, 35, &v, &n);
	if (n > 3)
		n = 3;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* "what: <the Logout's Text>" or just what. */
static void logout_reason(const struct fix_msg *m, const char *what, char *buf, size_t len)
{
	const char *t;
	size_t n;

	if (fix_get_str(m, 58, &t, &n) == 0)
		snprintf(buf, len, "%s: %.*s", what, (int)(n > 120 ? 120 : n), t);
	else
		snprintf(buf, len, "%s", what);
}

/* Logon from the peer. Returns false if the session ended. */
static bool on_logon(struct session *s, const struct fix_msg *m, uint64_t seq)
{
	int64_t hb;
	bool reset = false;
	char why[160];

	if (fix_get_int(m, 108, &hb) != 0 || hb < 1 || hb > 3600) {
		abort_session(s, "Logon needs HeartBtInt (108) between 1 and 3600");
		return false;
	}
	(void)fix_get_bool(m, 141, &reset);
	if (s->s_cfg.sc_role == SESSION_ACCEPTOR) {
		why[0] = '\0';
		if (s->s_ops.so_check_logon != NULL &&
		    s->s_ops.so_check_logon(s, m, why, sizeof(why), s->s_arg) != 0) {
			abort_session(s, why[0] ? why : "Logon refused");
			return false;
		}
		s->s_hb_s = (int)hb;
	} else if (!reset || s->s_cfg.sc_reset_on_logon) {
		return true; /* the answer to our Logon */
	} else {
		/* The acceptor reset the sequence numbers without being asked.
		 * Our Logon's number is void, and the messages stored under the
		 * old numbers must never be resent (a ResendRequest after the
		 * reset would otherwise replay old orders as PossDup). Answered
		 * with a Logon 34=1 141=Y, as QuickFIX does. */
		s->s_cnt.sc_peer_resets++;
		s->s_reset_confirm = true;
	}
	if (reset) { /* both sides start again at 1: a reset Logon carries 34=1 */
		s->s_next_in = seq;
		s->s_next_out = 1;
		s->s_store.ss_reset(s->s_store.ss_arg);
	}
	send_logon(s, reset);
	return true;
}

static void process(struct session *s, const struct fix_msg *m)
{
	char type[4];
	int64_t seq64;
	uint64_t seq;
	bool possdup = false;

	msgtype(m, type);
	if (fix_get_int(m, 34, &seq64) != 0 || seq64 < 1) {
		abort_session(s, "MsgSeqNum (34) missing or invalid");
		return;
	}
	seq = (uint64_t)seq64;
	(void)fix_get_bool(m, 43, &possdup);

	/* CompIDs: the peer's 49 is our target, its 56 our sender */
	if (!field_is(m, 49, s->s_cfg.sc_target) || !field_is(m, 56, s->s_cfg.sc_sender)) {
		if (s->s_state == SESSION_ACTIVE)
			send_reject(s, seq, 49, type, 9, "CompID problem");
		abort_session(s, "SenderCompID/TargetCompID do not match this session");
		return;
	}
	if (s->s_state == SESSION_AWAIT_LOGON || s->s_state == SESSION_LOGON_SENT) {
		if (strcmp(type, "5") == 0) {
			char why[160];

			logout_reason(m, "Logout instead of Logon", why, sizeof(why));
			conn_close(s->s_conn, false, "%s: %s", s->s_name, why);
			return;
		}
		if (strcmp(type, "A") != 0) {
			conn_close(s->s_conn, false, "%s: first message is 35=%s, not Logon",
			    s->s_name, type);
			return;
		}
		if (!on_logon(s, m, seq))
			return;
		if (seq < s->s_next_in) {
			char t[128];

			snprintf(t, sizeof(t), "MsgSeqNum too low, expecting %" PRIu64
			    " but received %" PRIu64, s->s_next_in, seq);
			abort_session(s, t);
			return;
		}
		become_active(s);
		if (s->s_state != SESSION_ACTIVE)
			return;
		if (seq > s->s_next_in) {
			send_resend_request(s, s->s_next_in);
			s->s_resend_until = seq;
		} else {
			s->s_next_in = seq + 1;
		}
		save_seq(s);
		return;
	}

	/* The acceptor's answer to the Logon that confirmed its reset (see
	 * s_reset_confirm): it started again at 1 once more, and so did we
	 * when we sent that Logon. Not a new request: not answered. */
	if (s->s_reset_confirm && strcmp(type, "A") == 0 && seq == 1) {
		bool reset = false;

		(void)fix_get_bool(m, 141, &reset);
		if (reset) {
			s->s_reset_confirm = false;
			s->s_next_in = 2;
			s->s_resend_until = 0;
			save_seq(s);
			return;
		}
	}

	/* SequenceReset in reset mode ignores MsgSeqNum. */
	if (strcmp(type, "4") == 0 && !field_is(m, 123, "Y")) {
		int64_t ns;

		if (fix_get_int(m, 36, &ns) != 0 || ns < 1) {
			send_reject(s, seq, 36, type, 1, "NewSeqNo (36) missing or invalid");
			return;
		}
		if ((uint64_t)ns < s->s_next_in) {
			send_reject(s, seq, 36, type, 5, "NewSeqNo would lower MsgSeqNum");
			return;
		}
		s->s_next_in = (uint64_t)ns;
		save_seq(s);
		return;
	}

	if (seq < s->s_next_in) {
		char t[128];

		if (possdup) {
			s->s_cnt.sc_possdup_dropped++;
			return;
		}
		snprintf(t, sizeof(t), "MsgSeqNum too low, expecting %" PRIu64 " but received %" PRIu64,
		    s->s_next_in, seq);
		abort_session(s, t);
		return;
	}
	if (seq > s->s_next_in) {
		/* A gap. Logout and ResendRequest are honoured anyway. */
		if (strcmp(type, "5") == 0)
			goto logout;
		if (strcmp(type, "2") == 0) {
			int64_t b, e;

			if (fix_get_int(m, 7, &b) == 0 && fix_get_int(m, 16, &e) == 0 && b >= 1 &&
			    e >= 0)
				serve_resend(s, (uint64_t)b, (uint64_t)e);
		}
		/* The ResendRequest asks up to the end (16=0), so while one is
		 * outstanding a later message is covered: asking again only makes
		 * the peer resend the range again. */
		if (s->s_resend_until == 0)
			send_resend_request(s, s->s_next_in);
		if (s->s_resend_until < seq)
			s->s_resend_until = seq;
		return;
	}

	/* In sequence. */
	s->s_next_in = seq + 1;
	if (strcmp(type, "2") != 0 && strcmp(type, "4") != 0)
		s->s_reset_confirm = false; /* the session goes on: no answer came */
	if (s->s_resend_until != 0 && s->s_next_in > s->s_resend_until)
		s->s_resend_until = 0;
	if (type[1] == '\0') {
		switch (type[0]) {
		case '0': /* Heartbeat */
			if (s->s_test_pending && fix_find(m, 112) >= 0)
				s->s_test_pending = false;
			save_seq(s);
			return;
		case '1': { /* TestRequest */
			const char *id;
			size_t n;
			char idb[128];
			const int tags[] = {112};
			const char *vals[] = {idb};

			if (fix_get_str(m, 112, &id, &n) != 0) {
				send_reject(s, seq, 112, type, 1, "TestReqID (112) missing");
				save_seq(s);
				return;
			}
			snprintf(idb, sizeof(idb), "%.*s", (int)(n < 127 ? n : 127), id);
			save_seq(s);
			send_admin(s, "0", tags, vals, 1);
			return;
		}
		case '2': { /* ResendRequest */
			int64_t b, e;

			save_seq(s);
			if (fix_get_int(m, 7, &b) != 0 || fix_get_int(m, 16, &e) != 0 || b < 1 ||
			    e < 0) {
				send_reject(s, seq, 7, type, 5, "BeginSeqNo/EndSeqNo invalid");
				return;
			}
			/* FIX 4.2 peers may say 999999 for "infinity" */
			serve_resend(s, (uint64_t)b, e == 999999 ? 0 : (uint64_t)e);
			return;
		}
		case '3': /* Reject of one of ours: counted, nothing to undo */
			save_seq(s);
			return;
		case '4': { /* SequenceReset-GapFill */
			int64_t ns;

			if (fix_get_int(m, 36, &ns) != 0 || (uint64_t)ns <= seq) {
				send_reject(s, seq, 36, type, 5, "NewSeqNo must be above MsgSeqNum");
				save_seq(s);
				return;
			}
			s->s_next_in = (uint64_t)ns;
			save_seq(s);
			return;
		}
		case '5':
			goto logout;
		case 'A':
			save_seq(s);
			abort_session(s, "Logon received on an active session");
			return;
		default:
			break;
		}
	}
	save_seq(s);
	if (s->s_ops.so_app != NULL)
		s->s_ops.so_app(s, m, possdup, s->s_arg);
	return;

logout:
	/* In sequence, s_next_in is already past it. Past a gap it stays where
	 * it is: the messages of the gap were never seen, and the next Logon
	 * asks for them (ResendRequest from s_next_in; the peer gap-fills this
	 * Logout). Moving past the Logout would lose them for good. */
	save_seq(s);
	{
		char why[200];

		logout_reason(m, s->s_state == SESSION_LOGOUT_SENT ? "logged out" : "logged out by peer",
		    why, sizeof(why));
		if (seq >= s->s_next_in) {
			size_t n = strlen(why);

			snprintf(why + n, sizeof(why) - n,
			    " (MsgSeqNum %" PRIu64 ", %" PRIu64 " expected: the gap is asked for at "
			    "the next Logon)",
			    seq, s->s_next_in);
		}
		if (s->s_state == SESSION_LOGOUT_SENT) {
			conn_close(s->s_conn, true, "%s: %s", s->s_name, why);
			go_down(s, true, why);
			return;
		}
		send_logout(s, NULL);
		conn_close(s->s_conn, true, "%s: %s", s->s_name, why);
		go_down(s, true, why);
	}
}

size_t session_input(struct session *s, const char *buf, size_t len)
{
	size_t n = 0;
	int why = 0, r;
	struct fix_reject rej;

	if (s->s_conn == NULL)
		return len;
	r = fix_frame(buf, len, s->s_cfg.sc_max_msg, &n, &why);
	if (r == FIX_FRAME_NEED_MORE)
		return 0;
	if (r == FIX_FRAME_GARBLED) {
		s->s_cnt.sc_garbled++;
		if (++s->s_garbled_run >= s->s_cfg.sc_max_garbled)
			conn_close(s->s_conn, false, "%s: %d garbled messages in a row (last: %s)",
			    s->s_name, s->s_garbled_run, fix_strerror(why));
		return n;
	}
	if (r != FIX_FRAME_MSG) {
		conn_close(s->s_conn, false, "%s: framing: %s", s->s_name, fix_strerror(r));
		return len;
	}
	s->s_garbled_run = 0;
	s->s_last_in = loop_now(s->s_loop);
	s->s_cnt.sc_in_msgs++;
	r = fix_parse(&s->s_msg, buf, n, s->s_cfg.sc_unique, &rej);
	if (r == FIX_EREJECT) {
		int64_t seq = 0;
		char type[4];

		msgtype(&s->s_msg, type);
		if (s->s_state != SESSION_ACTIVE || fix_get_int(&s->s_msg, 34, &seq) != 0) {
			conn_close(s->s_conn, false, "%s: malformed message before Logon",
			    s->s_name);
			return n;
		}
		/* A rejected message still takes its sequence number. */
		if ((uint64_t)seq == s->s_next_in) {
			s->s_next_in++;
			save_seq(s);
		}
		send_reject(s, (uint64_t)seq, rej.fr_reftag, type, rej.fr_reason,
		    "malformed message");
		return n;
	}
	if (r != 0) {
		s->s_cnt.sc_garbled++;
		return n;
	}
	if (s->s_msg.fm_version != s->s_cfg.sc_version) {
		/* FIX: a BeginString other than the session's ends it (a Logout,
		 * then the disconnect; before the Logon, just the disconnect):
		 * never relay a message of another version to the other leg. */
		char text[96];

		snprintf(text, sizeof(text), "BeginString %s, but the session is %s",
		    s->s_msg.fm_version == FIX_42 ? "FIX.4.2" : "FIX.4.4",
		    s->s_cfg.sc_version == FIX_42 ? "FIX.4.2" : "FIX.4.4");
		if (s->s_state == SESSION_ACTIVE)
			abort_session(s, text);
		else
			conn_close(s->s_conn, false, "%s: %s", s->s_name, text);
		return n;
	}
	process(s, &s->s_msg);
	return n;
}

/* ---- lifetime ---------------------------------------------------------------------- */

int session_new(struct session **out, struct loop *l, const struct session_config *cfg,
    const struct session_store *store, const struct session_ops *ops, void *arg)
{
	struct session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	s->s_obuf = malloc(OBUF_CAP);
	if (s->s_obuf == NULL) {
		free(s);
		return -ENOMEM;
	}
	s->s_magic = SESSION_MAGIC;
	s->s_cfg = *cfg;
	if (s->s_cfg.sc_max_garbled <= 0)
		s->s_cfg.sc_max_garbled = 10;
	if (s->s_cfg.sc_heartbeat_s <= 0)
		s->s_cfg.sc_heartbeat_s = 30;
	if (s->s_cfg.sc_logon_timeout_s <= 0)
		s->s_cfg.sc_logon_timeout_s = 10;
	s->s_store = *store;
	s->s_ops = *ops;
	s->s_arg = arg;
	s->s_loop = l;
	s->s_next_in = s->s_next_out = 1;
	s->s_hb_s = s->s_cfg.sc_heartbeat_s;
	snprintf(s->s_name, sizeof(s->s_name), "%s", cfg->sc_name ? cfg->sc_name : "session");
	loop_timer_init(&s->s_tick, on_tick, s);
	loop_timer_init(&s->s_deadline, on_deadline, s);
	loop_timer_init(&s->s_rs_timer, on_resend_timer, s);
	*out = s;
	return 0;
}

void session_free(struct session *s)
{
	if (s == NULL)
		return;
	loop_timer_cancel(s->s_loop, &s->s_tick);
	loop_timer_cancel(s->s_loop, &s->s_deadline);
	loop_timer_cancel(s->s_loop, &s->s_rs_timer);
	free(s->s_obuf);
	s->s_magic = 0;
	free(s);
}

void session_restore(struct session *s, uint64_t next_in, uint64_t next_out)
{
	s->s_next_in = next_in > 0 ? next_in : 1;
	s->s_next_out = next_out > 0 ? next_out : 1;
}

void session_attach(struct session *s, struct conn *c)
{
	s->s_conn = c;
	s->s_garbled_run = 0;
	s->s_test_pending = false;
	s->s_last_in = s->s_last_out = loop_now(s->s_loop);
	(void)loop_timer_set(s->s_loop, &s->s_deadline,
	    (int64_t)s->s_cfg.sc_logon_timeout_s * NSEC);
	if (s->s_cfg.sc_role == SESSION_INITIATOR) {
		s->s_hb_s = s->s_cfg.sc_heartbeat_s;
		if (s->s_cfg.sc_reset_on_logon) {
			s->s_next_in = s->s_next_out = 1;
			s->s_store.ss_reset(s->s_store.ss_arg);
		}
		s->s_state = SESSION_LOGON_SENT;
		send_logon(s, s->s_cfg.sc_reset_on_logon);
	} else {
		s->s_state = SESSION_AWAIT_LOGON;
	}
}

void session_detach(struct session *s, const char *reason)
{
	s->s_conn = NULL;
	go_down(s, false, reason);
}

void session_logout(struct session *s, const char *reason)
{
	if (s->s_conn == NULL || s->s_state == SESSION_LOGOUT_SENT)
		return;
	if (s->s_state != SESSION_ACTIVE) {
		conn_close(s->s_conn, false, "%s: %s", s->s_name, reason);
		return;
	}
	send_logout(s, reason);
	s->s_state = SESSION_LOGOUT_SENT;
	(void)loop_timer_set(s->s_loop, &s->s_deadline, LOGOUT_WAIT_NS);
}

/* ---- accessors ---------------------------------------------------------------------- */

enum session_state session_state(const struct session *s)
{
	return s->s_state;
}

const char *session_down_reason(const struct session *s)
{
	return s->s_down_reason;
}

uint64_t session_next_in(const struct session *s)
{
	return s->s_next_in;
}

uint64_t session_next_out(const struct session *s)
{
	return s->s_next_out;
}

const struct session_counters *session_counters(const struct session *s)
{
	return &s->s_cnt;
}

const struct session_config *session_config(const struct session *s)
{
	return &s->s_cfg;
}

struct conn *session_conn(const struct session *s)
{
	return s->s_conn;
}
