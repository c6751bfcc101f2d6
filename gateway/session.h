/*
 * session.h - one FIX session (one leg): Logon, Heartbeat, TestRequest,
 * ResendRequest, SequenceReset (gap fill and reset), Reject, Logout, with
 * sequence numbers and outbound application messages kept by the caller's
 * store so that a restart resumes the same session day.
 *
 * A session outlives its connections: attach() it to a conn when TLS is up,
 * feed it the conn's input, and detach() it when the conn is gone. The
 * session never closes the conn itself except through conn_close().
 *
 * Inbound application messages reach the owner in sequence, once: a message
 * below the expected MsgSeqNum with PossDupFlag=Y was processed before and is
 * dropped; one without it ends the session (the spec's "MsgSeqNum too low").
 * A gap triggers a ResendRequest and the out-of-sequence message is dropped
 * (the peer resends it).
 *
 * Outbound: session_send()/session_relay() give the next MsgSeqNum, store
 * the message (ss_save_out) and the sequence numbers (ss_save_seq), and queue
 * the bytes on the conn; the owner's commit-then-flush makes them leave.
 * Only application messages are stored: a resend replays them with
 * PossDupFlag=Y and OrigSendingTime, and fills admin numbers with
 * SequenceReset-GapFill. A resend is paced by the conn's output buffer (it
 * stops while the buffer is half full and resumes on a 5 ms timer);
 * application messages sent while one is being served are stored and
 * queued after it, in order.
 */
#ifndef GW_SESSION_H
#define GW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "fix.h"
#include "loop.h"

struct session;

enum session_role { SESSION_ACCEPTOR = 0, SESSION_INITIATOR = 1 };

enum session_state {
	SESSION_DOWN = 0,      /* no connection */
	SESSION_AWAIT_LOGON,   /* acceptor: TLS up, waiting for the peer's Logon */
	SESSION_LOGON_SENT,    /* initiator: Logon sent, waiting for the answer */
	SESSION_ACTIVE,        /* logged on */
	SESSION_LOGOUT_SENT,   /* Logout sent, waiting for the answer */
};
const char *session_state_name(enum session_state);

/* Persistence, provided by the owner (riskgwd: journal.mdb). Each returns 0
 * or a negative error; a failure to store makes the send fail. */
struct session_store {
	int (*ss_save_seq)(void *arg, uint64_t next_in, uint64_t next_out);
	int (*ss_save_out)(void *arg, uint64_t seq, const char *msg, size_t len);
	/* Calls cb for each stored message with from <= seq <= to, in order. */
	int (*ss_each_out)(void *arg, uint64_t from, uint64_t to,
	    int (*cb)(void *cbarg, uint64_t seq, const char *msg, size_t len), void *cbarg);
	/* Forgets every stored outbound message (sequence reset). */
	int (*ss_reset)(void *arg);
	void *ss_arg;
};

struct session_ops {
	/* Acceptor only: may this Logon (a parsed 35=A) use this session? 0 yes;
	 * else fill why (sent in the Logout's Text) and return non-zero. */
	int (*so_check_logon)(struct session *, const struct fix_msg *, char *why, size_t len,
	    void *arg);
	/* The session is logged on (and, after a reset, renumbered). */
	void (*so_active)(struct session *, void *arg);
	/* An application message, in sequence. possdup: it carried 43=Y. */
	void (*so_app)(struct session *, const struct fix_msg *, bool possdup, void *arg);
	/* The session went down (Logout or lost connection); clean: a Logout
	 * exchange completed. */
	void (*so_down)(struct session *, bool clean, const char *reason, void *arg);
};

struct session_config {
	const char *sc_name;           /* for logs: "router1/router" */
	enum fix_version sc_version;
	enum session_role sc_role;
	char sc_sender[64];            /* our CompID on this leg */
	char sc_target[64];            /* the peer's */
	int sc_heartbeat_s;            /* initiator: HeartBtInt we ask for */
	int sc_logon_timeout_s;
	bool sc_reset_on_logon;        /* initiator: send ResetSeqNumFlag=Y */
	size_t sc_max_msg;             /* largest inbound message */
	int sc_max_garbled;            /* garbled messages in a row before disconnect */
	const struct fix_tags *sc_unique; /* body tags that must not repeat */
	bool sc_queue_when_down;       /* application messages sent while the peer
					  is not logged on are stored (and take
					  their numbers) for its ResendRequest */
};

struct session_counters {
	uint64_t sc_in_msgs, sc_out_msgs, sc_garbled, sc_rejects_sent, sc_resends_served,
	    sc_possdup_dropped, sc_gaps;
	/* initiator: Logon answers with 141=Y that we did not ask for (both
	 * sides restarted at 1, the resend store emptied) */
	uint64_t sc_peer_resets;
};

int session_new(struct session **out, struct loop *, const struct session_config *,
    const struct session_store *, const struct session_ops *, void *arg);
void session_free(struct session *);

/* Sets the sequence numbers restored from the store (before attach). */
void session_restore(struct session *, uint64_t next_in, uint64_t next_out);

/* The conn is open (TLS up): the initiator sends Logon; the acceptor waits. */
void session_attach(struct session *, struct conn *);
/* Feeds input from the conn; returns bytes consumed (conn_ops co_data). */
size_t session_input(struct session *, const char *buf, size_t len);
/* The conn is gone. Calls so_down if the session was up. */
void session_detach(struct session *, const char *reason);

/* Sends Logout (with reason in Text) and closes after the answer or 2 s. */
void session_logout(struct session *, const char *reason);

/* Builds and sends one application message: fill adds the body fields after
 * the standard header. Returns 0, -ENOTCONN (not logged on, and the session
 * does not queue when down), or an error from the builder or the store
 * (nothing queued then). With sc_queue_when_down, a message for a peer that
 * is not logged on is stored only: it reaches the peer by its resend. */
typedef int session_fill_cb(struct fix_builder *, void *arg);
int session_send(struct session *, const char *msgtype, session_fill_cb *fill, void *arg);
/* Sends in's body under a fresh header, less the tags in remove. */
int session_relay(struct session *, const struct fix_msg *in, const struct fix_tags *remove);

enum session_state session_state(const struct session *);
/* Why the session last went down or lost its connection (also a connection
 * that never got as far as a Logon), "" if never; kept after it is up
 * again. Valid until the next session call. */
const char *session_down_reason(const struct session *);
uint64_t session_next_in(const struct session *);
uint64_t session_next_out(const struct session *);
const struct session_counters *session_counters(const struct session *);
const struct session_config *session_config(const struct session *);
struct conn *session_conn(const struct session *);

#endif
