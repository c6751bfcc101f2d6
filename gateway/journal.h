/*
 * journal.h - journal.mdb, riskgwd's write-ahead log: FIX session sequence
 * numbers, outbound messages for ResendRequest, the order event log that
 * rebuilds every exposure after a restart, and the kill switch state.
 *
 * Written by riskgwd alone: one process, one thread. journal_open() takes an
 * exclusive flock(2) on the file, so a second riskgwd on the same journal is
 * refused (-EBUSY) instead of interleaving its sequence numbers.
 *
 * One LMDB file (MDB_NOSUBDIR) plus "<path>-lock". Named databases:
 *
 *   meta      "schema_version" -> u32, "trading_day" -> u32 (YYYYMMDD)
 *   sessions  session name     -> struct journal_session
 *   msgs      u8 len, session name, u64 seq big-endian -> the session's
 *             outbound messages of one turn, from that seq (schema 2; a
 *             schema 1 file, one message per record, is read and upgraded)
 *   events    u64 event number big-endian -> struct journal_event
 *   kill      "state"          -> struct journal_kill (the global kill switch)
 *             "scope/" + scope -> struct journal_kill (a scoped kill, while tripped)
 *             "log/" + u64 seq big-endian -> struct journal_kill_log
 *
 * Every value carries the rules.mdb record header (rules/record.h: CRC-32C of
 * the payload, type, version) and is decoded field by field, exact length, no
 * trailing bytes (gateway/journal_rec.h). journal_open() verifies the whole
 * file before it returns: file size against LMDB's last page, the schema
 * version, every record of every database, and that the event log is
 * 1, 2, ..., N with no gap. A corrupt, truncated or newer file is refused
 * there and never half-read.
 *
 * Transactions: group commit per event-loop turn. The first write of a turn
 * begins one LMDB write transaction; every later write of the turn joins it;
 * journal_commit() (from the loop's before-sleep hook, before any output is
 * flushed to a socket) commits it. Reads see the current turn's uncommitted
 * writes (they use the write transaction when one is open).
 *
 * A write that fails inside LMDB (map full, disk full, I/O error) kills the
 * turn: LMDB cannot continue a failed transaction, so every write of that
 * turn is lost, and later writes of the turn and journal_commit() return the
 * same code. journal_commit() or journal_abort() then ends the turn and the
 * journal is usable again from the next write, on the last committed state.
 * The caller must then treat the whole turn as not journaled (send nothing
 * it produced, and fail closed). A write refused for a bad argument
 * (RULES_EINVAL) writes nothing and does not kill the turn.
 *
 * Durability: jc_sync true, LMDB syncs the data and meta pages at every
 * commit (survives power loss). jc_sync false, MDB_NOSYNC | MDB_NOMETASYNC:
 * a commit is in the OS page cache when journal_commit() returns, so it
 * survives a crash or kill -9 of riskgwd but not a power loss or kernel
 * crash, which may lose the last commits (never corrupt the file: LMDB's
 * copy-on-write keeps the previous meta page valid). journal_flush() forces
 * a sync, whatever jc_sync says. docs/journal.md has the measured costs.
 *
 * Errors: 0 or a negative code: RULES_E* (rules/rules.h), a negative errno;
 * rules_strerror() names each. Functions that take `char err[RULES_ERRLEN]`
 * fill it with one line on failure (err may be NULL).
 */
#ifndef GW_JOURNAL_H
#define GW_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "rules.h"

#define JOURNAL_SCHEMA_VERSION 2
#define JOURNAL_MAPSIZE_DEFAULT ((size_t)1 << 30) /* 1 GiB */
/* A session name ("router1/router"): 1..JOURNAL_NAME_MAX printable ASCII
 * characters (0x21..0x7e). Route names in events are rules_id_valid(). */
#define JOURNAL_NAME_MAX 128
/* The largest outbound message stored. */
#define JOURNAL_MSG_MAX (1u << 20)

struct journal;

/* Bytes riskgwd keeps written and mapped ahead of LMDB's last page. */
#define JOURNAL_RESERVE_DEFAULT (4u << 20)
/* What journal_prepare() adds at a time (64 pages: ~0.4 ms on this VM). */
#define JOURNAL_PREPARE_STEP (256u << 10)

struct journal_config {
	size_t jc_mapsize; /* bytes; 0 = JOURNAL_MAPSIZE_DEFAULT */
	bool jc_sync;      /* see "Durability" above */
	bool jc_create;    /* create and initialise a missing file */
	/* jc_sync false only: the file is kept written with zeros, mapped
	 * (MADV_POPULATE_WRITE) and touched this many bytes beyond LMDB's last
	 * page (journal_prepare()), so that the next turns' new pages are not
	 * each a page fault and a block reservation (docs/journal.md); a disk
	 * that cannot take that much more fails journal_open() or
	 * journal_prepare() (RULES_EFULL) instead of faulting later. 0: none. */
	size_t jc_reserve;
	/* jc_sync false and jc_reserve > 0 only: journal_open() prepares this
	 * many bytes ahead (if more than jc_reserve): the day's journal made
	 * ready before the first order, not page by page after the turns. */
	size_t jc_prealloc;
};

/*
 * Opens the journal at path. A missing file is created (mode 0600 less the
 * umask) only with jc_create; an empty (0-byte) file is never taken for a
 * new one. Reader slots left by dead processes (a kill -9) are cleared
 * (mdb_reader_check); a write lock held by a dead writer is recovered by
 * LMDB itself (robust mutex).
 * Returns 0, or: -ENOENT (missing, no jc_create), -EBUSY (another process
 * has it open), RULES_ESCHEMA (newer schema), RULES_ECORRUPT (not an LMDB
 * file, truncated, a record fails its check, a gap in the event log),
 * RULES_EINVAL, a negative errno, RULES_ESTORE. err says which and where.
 */
int journal_open(struct journal **out, const char *path, const struct journal_config *,
    char err[RULES_ERRLEN]);
/* Aborts a turn left open (its writes are lost) and closes. NULL is a no-op. */
void journal_close(struct journal *);
/* How many reader slots of dead processes journal_open() cleared. */
unsigned journal_readers_cleared(const struct journal *);

/* ---- turns ------------------------------------------------------------------ */

/*
 * Commits the current turn. 0 (also when the turn wrote nothing); or the code
 * that killed the turn (nothing committed); or RULES_EFULL (map or disk full
 * at commit: nothing committed), RULES_ESTORE, a negative errno. After any
 * return the turn is over and the journal usable.
 */
int journal_commit(struct journal *, char err[RULES_ERRLEN]);

/* How full the file is, as of the last commit. */
struct journal_usage {
	uint64_t ju_used;     /* bytes up to LMDB's last page (a high-water mark) */
	uint64_t ju_live;     /* bytes of those in the databases (the rest is free pages) */
	uint64_t ju_prepared; /* bytes beyond them written and mapped ahead (the reserve) */
	uint64_t ju_map;      /* the map size: used can never pass it */
};
/* 0, or an LMDB error as RULES_E*. Without live, ju_live is 0 and nothing is
 * read but LMDB's meta page (cheap enough for every turn). */
int journal_usage(struct journal *, struct journal_usage *, bool live);

/*
 * Tops the reserve up (jc_reserve bytes beyond LMDB's last page, written,
 * mapped and touched) by JOURNAL_PREPARE_STEP, when at least that much is
 * missing. Call it
 * between turns, after the turn's output has left: it takes time (a page
 * touched costs ~5 us on a VM), which would otherwise be spent inside the
 * turns. 0 if there is nothing to do, with jc_sync or without a reserve,
 * and inside a turn. RULES_EFULL ("cannot extend ...") if the disk cannot
 * take the bytes: what was committed stays, and the part of the reserve
 * that is left still holds the next turns; the caller should stop taking
 * orders.
 */
int journal_prepare(struct journal *, char err[RULES_ERRLEN]);
/* Discards the current turn's writes. Safe without a turn. */
void journal_abort(struct journal *);
/* True between a turn's first write and its commit/abort. */
bool journal_in_turn(const struct journal *);
/* Forces committed data to disk (fdatasync), also with jc_sync false: for a
 * record that must survive power loss before a reply (a kill). 0 or -errno. */
int journal_flush(struct journal *);

/* ---- FIX sessions ----------------------------------------------------------- */

struct journal_session {
	uint64_t js_next_in;  /* next expected inbound MsgSeqNum, >= 1 */
	uint64_t js_next_out; /* next outbound MsgSeqNum, >= 1 */
	uint32_t js_day;      /* the session's trading day, YYYYMMDD */
};

/* 0, RULES_ENOTFOUND, RULES_ECORRUPT, RULES_ESTORE. An invalid name is
 * RULES_ENOTFOUND (no such record can exist). */
int journal_session_get(struct journal *, const char *name, struct journal_session *out);
/* 0, RULES_EINVAL (bad name, seqnum 0, not a YYYYMMDD date), or a turn
 * failure (see above). */
int journal_session_put(struct journal *, const char *name, const struct journal_session *,
    char err[RULES_ERRLEN]);

/* ---- outbound messages (ResendRequest) -------------------------------------- */

/* Stores msg[0..len) as sent with MsgSeqNum seq on session name (replacing
 * one stored under the same seq), in the current turn. The messages of one
 * session and turn are gathered and written as one record when the turn
 * commits (or when that session's messages are read, or 256 KiB gather):
 * a map-full failure may then show at journal_commit() rather than here.
 * Seqs above every stored one (the normal case) cost a copy; a seq at or
 * below one takes a slower path. 0, RULES_EINVAL (bad name, seq 0, len 0 or
 * > JOURNAL_MSG_MAX), -ENOMEM, or a turn failure. */
int journal_msg_put(struct journal *, const char *name, uint64_t seq, const void *msg,
    size_t len, char err[RULES_ERRLEN]);
/* Copies message seq of session name into buf[0..cap); *len is its length.
 * 0, RULES_ENOTFOUND, RULES_ERANGE (cap too small: *len says how much is
 * needed, nothing copied), RULES_ECORRUPT, RULES_ESTORE. */
int journal_msg_get(struct journal *, const char *name, uint64_t seq, void *buf, size_t cap,
    size_t *len);
/*
 * Calls cb for every message stored for session name with from <= seq <= to
 * (to == 0: no upper bound, as FIX EndSeqNo 0), in seq order. Seqnums not
 * stored (session-level messages) are skipped: the caller fills the gaps
 * with SequenceReset-GapFill. msg points into the journal's map and is valid
 * only during the call; cb must not call any journal function. cb returns 0
 * to go on, anything else stops the walk and is returned.
 * Returns 0, that value, RULES_EINVAL (bad name, from 0, or to < from),
 * RULES_ECORRUPT, RULES_ESTORE.
 */
typedef int journal_msg_cb(void *arg, uint64_t seq, const void *msg, size_t len);
int journal_msg_range(struct journal *, const char *name, uint64_t from, uint64_t to,
    journal_msg_cb *cb, void *arg);
/* Deletes every message of session name (a sequence reset). 0, RULES_EINVAL,
 * or a turn failure. */
int journal_msg_drop(struct journal *, const char *name, char err[RULES_ERRLEN]);

/* ---- the order event log ---------------------------------------------------- */

enum journal_ev_type {
	JOURNAL_EV_ORDER = 1,         /* rules_check() accepted an order (new or replace) */
	JOURNAL_EV_EXEC = 2,          /* rules_on_exec() was called with a report */
	JOURNAL_EV_CANCEL_SENT = 3,   /* rules_on_cancel_sent() */
	JOURNAL_EV_CANCEL_REJECT = 4, /* rules_on_cancel_reject() */
	JOURNAL_EV_PARENT_BLOCK = 5,  /* rules_parent_block(): a parent breached */
	JOURNAL_EV_PARENT_RELEASE = 6,/* rules_parent_release() */
};

/* Strings are NUL-terminated; "" for an absent optional field. */
#define JOURNAL_ID_SIZE (RULES_ID_MAX + 1)
struct journal_order {           /* struct rules_order, by value */
	enum rules_order_kind jo_kind;
	char jo_clordid[JOURNAL_ID_SIZE];
	char jo_origclordid[JOURNAL_ID_SIZE]; /* replace only, else "" */
	char jo_parent[JOURNAL_ID_SIZE];
	char jo_account[JOURNAL_ID_SIZE];
	char jo_symbol[JOURNAL_ID_SIZE];
	char jo_side;
	char jo_ordtype;
	int64_t jo_qty;
	int64_t jo_px;
	int64_t jo_declared_qty;
	bool jo_allow_declare;
	int64_t jo_now_ns;
};
struct journal_exec {            /* struct rules_exec, by value */
	char jx_clordid[JOURNAL_ID_SIZE];
	char jx_origclordid[JOURNAL_ID_SIZE];
	char jx_exec_type;
	char jx_ord_status;
	int64_t jx_last_qty;
	int64_t jx_last_px;
	int64_t jx_cum_qty;
	int64_t jx_leaves_qty;
	int64_t jx_order_qty;
	int64_t jx_px;
};
struct journal_cancel {          /* cancel sent, cancel reject */
	char jc_clordid[JOURNAL_ID_SIZE];
	char jc_origclordid[JOURNAL_ID_SIZE]; /* "" allowed in a reject only */
	char jc_response_to;                  /* reject only (434): '1' or '2'; else 0 */
};

struct journal_parent {          /* parent block, release */
	char jp_parent[JOURNAL_ID_SIZE];
};

struct journal_event {
	uint64_t ev_seq;                  /* event number: set by journal_append */
	enum journal_ev_type ev_type;
	char ev_route[JOURNAL_ID_SIZE];   /* the route it belongs to */
	union {
		struct journal_order order;
		struct journal_exec exec;
		struct journal_cancel cancel;
		struct journal_parent parent;
	} ev_u;
};

/*
 * Builders: fill *ev (zeroing it first) from what the engine was given.
 * 0, or RULES_EINVAL if a string does not fit or is not an identifier
 * (the event would not be accepted by journal_append).
 */
int journal_ev_order(struct journal_event *ev, const char *route, const struct rules_order *);
int journal_ev_exec(struct journal_event *ev, const char *route, const struct rules_exec *);
int journal_ev_cancel_sent(struct journal_event *ev, const char *route, const char *clordid,
    const char *origclordid);
/* A parent block or release event (type JOURNAL_EV_PARENT_BLOCK/_RELEASE). */
int journal_ev_parent(struct journal_event *ev, enum journal_ev_type type, const char *route,
    const char *parent);
int journal_ev_cancel_reject(struct journal_event *ev, const char *route, const char *clordid,
    const char *origclordid, char response_to);
/* Checks an event as journal_append does. 0 or RULES_EINVAL with err. */
int journal_ev_validate(const struct journal_event *, char err[RULES_ERRLEN]);

/*
 * Feeds one event to an engine, as riskgwd did when it happened: replaying
 * the log into a fresh engine (on the same limits) rebuilds every exposure.
 * Returns what the engine call returned (rules_on_exec & co.), except for an
 * order: 0 if rules_check() accepted it again, RULES_EINVAL if it did not (the
 * order is at the venue but the engine no longer counts it: the caller must
 * fail closed); d (may be NULL) gets the decision.
 * An order's rate window uses the journaled jo_now_ns (CLOCK_MONOTONIC of
 * the run that wrote it).
 */
int journal_ev_apply(struct rules_engine *, const struct journal_event *,
    struct rules_decision *d);

/* Appends ev to the log in the current turn and sets ev->ev_seq (1, 2, ...
 * since the last journal_new_day()). 0, RULES_EINVAL (journal_ev_validate),
 * or a turn failure. */
int journal_append(struct journal *, struct journal_event *ev, char err[RULES_ERRLEN]);
/* The number of the last event (committed or in the current turn); 0 if the
 * log is empty. */
uint64_t journal_last_event(const struct journal *);
/*
 * Calls cb for every event, in order, including the current turn's. cb must
 * not write to the journal; it returns 0 to go on, anything else stops the
 * replay and is returned. 0, that value, RULES_ECORRUPT (a record fails its
 * check, or the numbers are not 1..N), RULES_ESTORE.
 */
typedef int journal_event_cb(void *arg, const struct journal_event *);
int journal_replay(struct journal *, journal_event_cb *cb, void *arg);

/* ---- trading day ------------------------------------------------------------ */

/* The day set by the last journal_new_day(). 0 or RULES_ENOTFOUND (never). */
int journal_day(struct journal *, uint32_t *day);
/*
 * A new trading day, in the current turn (one transaction with the rest of
 * it; journal_commit() makes it durable): deletes every event and every
 * outbound message, sets every session to next_in = next_out = 1 on day, and
 * records day. The event numbers restart at 1. The kill switch state is kept.
 * 0, RULES_EINVAL (day not YYYYMMDD), or a turn failure.
 */
int journal_new_day(struct journal *, uint32_t day, char err[RULES_ERRLEN]);

/* ---- kill switch ------------------------------------------------------------ */

enum journal_kill_state { JOURNAL_KILL_ARMED = 0, JOURNAL_KILL_TRIPPED = 1 };
enum journal_kill_source {
	JOURNAL_KSRC_NONE = 0, /* armed and never tripped */
	JOURNAL_KSRC_BREACH = 1,
	JOURNAL_KSRC_HTTP = 2,
	JOURNAL_KSRC_GPIO = 3,
	JOURNAL_KSRC_SIGNAL = 4,
	JOURNAL_KSRC_CLI = 5,
};
struct journal_kill {
	enum journal_kill_state jk_state;
	enum journal_kill_source jk_source;    /* of the last trip, or of the re-arm */
	char jk_reason[RULES_REASON_MAX + 1];  /* rules_reason_valid(); "" only when armed */
	char jk_who[JOURNAL_ID_SIZE];          /* rules_id_valid(), or "" (a breach) */
	int64_t jk_time_ns;                    /* CLOCK_REALTIME of the change, >= 0 */
	/* A pending reset request (tripped only): jk_req_who "" when none. A
	 * record written without one (the first layout) reads back as none. */
	char jk_req_who[JOURNAL_ID_SIZE];
	char jk_req_reason[RULES_REASON_MAX + 1];
	int64_t jk_req_time_ns;
};
/* 0, RULES_ENOTFOUND (never written: the caller decides), RULES_ECORRUPT,
 * RULES_ESTORE. */
int journal_kill_get(struct journal *, struct journal_kill *out);
/* 0, RULES_EINVAL, or a turn failure. A trip must reach the disk before
 * anyone is told: journal_commit(), then journal_flush() if jc_sync is off. */
int journal_kill_put(struct journal *, const struct journal_kill *, char err[RULES_ERRLEN]);

/*
 * Scoped kills. A scope is "route:NAME", "account:ID" or "symbol:ID" (NAME
 * and ID rules_id_valid()); journal_scope_valid() checks one. A tripped
 * scope is stored under "scope/" + scope; putting an armed one deletes it
 * (a reset scope leaves only its kill log lines behind).
 */
#define JOURNAL_SCOPE_MAX (8 + RULES_ID_MAX)
bool journal_scope_valid(const char *scope);
int journal_kill_scope_put(struct journal *, const char *scope, const struct journal_kill *,
    char err[RULES_ERRLEN]);
/* Calls cb for every tripped scope, in key order. 0, cb's non-zero value,
 * RULES_ECORRUPT, RULES_ESTORE. */
typedef int journal_kill_cb(void *arg, const char *scope, const struct journal_kill *);
int journal_kill_scope_foreach(struct journal *, journal_kill_cb *cb, void *arg);

/*
 * The kill log: every trip, reset request, approval, refusal, withdrawal,
 * parent block and release, in order; never rewritten (the audit trail of
 * the kill switch: rules.mdb's audit log is riskgw-admin's, and riskgwd
 * never writes rules.mdb).
 */
enum journal_kill_action {
	JOURNAL_KA_TRIP = 1,
	JOURNAL_KA_RESET_REQUEST = 2,
	JOURNAL_KA_RESET_APPROVE = 3, /* and the scope is armed again */
	JOURNAL_KA_RESET_REFUSED = 4,
	JOURNAL_KA_RESET_WITHDRAW = 5,
	JOURNAL_KA_PARENT_BLOCK = 6,
	JOURNAL_KA_PARENT_RELEASE = 7,
	JOURNAL_KA_LAST = JOURNAL_KA_PARENT_RELEASE
};
struct journal_kill_log {
	uint64_t kl_seq;                       /* 1, 2, ...: set by the append */
	int64_t kl_time_ns;                    /* CLOCK_REALTIME, >= 0 */
	enum journal_kill_action kl_action;
	enum journal_kill_source kl_source;    /* of a trip; NONE otherwise */
	char kl_scope[JOURNAL_SCOPE_MAX + 1];  /* "global", a scope, or a parent id */
	char kl_who[JOURNAL_ID_SIZE];          /* rules_id_valid(), or "" */
	char kl_reason[RULES_REASON_MAX + 1];  /* "" or rules_reason_valid() */
};
/* Appends *l with the next seq (written into l->kl_seq). 0, RULES_EINVAL, or
 * a turn failure. */
int journal_kill_log_append(struct journal *, struct journal_kill_log *l, char err[RULES_ERRLEN]);
/* Calls cb for each line with seq >= from, in order, until cb returns
 * non-zero (returned). 0, RULES_ECORRUPT, RULES_ESTORE. */
typedef int journal_kill_log_cb(void *arg, const struct journal_kill_log *);
int journal_kill_log_range(struct journal *, uint64_t from, journal_kill_log_cb *cb, void *arg);
/* The last seq (0: empty). */
uint64_t journal_kill_log_last(const struct journal *);

#endif
