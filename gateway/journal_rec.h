/*
 * journal_rec.h - the on-disk form of the keys and values of journal.mdb
 * (journal.c). Internal to riskgwd; the unit tests use it to forge records.
 *
 * Every value has the rules.mdb record header (rules/record.h:
 * rules_rec_seal/rules_rec_open: u32 CRC-32C of the payload, u16 type,
 * u16 version) and a payload, all integers little-endian:
 *
 *   META_U32   rules.mdb's RULES_REC_META_U32 record, reused as is
 *   SESSION    u64 next_in, u64 next_out, u32 day
 *   MSG        u64 seq, then the message bytes (the rest of the value);
 *              schema 1 wrote one per message, schema 2 reads them still
 *   MSGS       u32 count >= 1, then count x (u64 seq, u32 len, len bytes):
 *              the outbound messages of one session written in one turn,
 *              seqs strictly increasing (schema 2)
 *   EVENT      u64 seq, u8 type, id route, then by type:
 *                ORDER   u8 kind, id clordid, id origclordid, id parent,
 *                        id account, id symbol, u8 side, u8 ordtype, i64 qty,
 *                        i64 px, i64 declared_qty, u8 allow_declare, i64 now_ns
 *                EXEC    id clordid, id origclordid, u8 exec_type,
 *                        u8 ord_status, i64 last_qty, last_px, cum_qty,
 *                        leaves_qty, order_qty, px
 *                CANCEL_SENT    id clordid, id origclordid
 *                CANCEL_REJECT  id clordid, id origclordid, u8 response_to
 *   KILL       u8 state, u8 source, i64 time_ns, id who, u16-length reason
 *              [, id req_who, i64 req_time_ns, u16-length req_reason] (a reset request)
 *   KILL_LOG   u64 seq, i64 time_ns, u8 action, u8 source, u8-length scope, id who,
 *              u16-length reason
 *
 * id = u8 length (0..RULES_ID_MAX) + bytes. Decoding checks the header, the
 * exact length, and every field as journal.h states it (journal_ev_validate
 * for events); any failure is RULES_ECORRUPT with *why set to a static
 * phrase.
 *
 * Keys: sessions = the name; msgs = u8 name length + name + u64 seq
 * big-endian, the seq of the record's first message (one session's records
 * are contiguous, in seq order, and their seqs do not overlap); events =
 * u64 seq big-endian (rules_rec_seq_key); meta and kill = a fixed name.
 */
#ifndef GW_JOURNAL_REC_H
#define GW_JOURNAL_REC_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "record.h"

enum journal_rec_type {
	JOURNAL_REC_SESSION = RULES_REC_FOREIGN + 1,
	JOURNAL_REC_MSG = RULES_REC_FOREIGN + 2,
	JOURNAL_REC_EVENT = RULES_REC_FOREIGN + 3,
	JOURNAL_REC_KILL = RULES_REC_FOREIGN + 4,
	JOURNAL_REC_KILL_LOG = RULES_REC_FOREIGN + 5,
	JOURNAL_REC_MSGS = RULES_REC_FOREIGN + 6,
};

/* Large enough for every record but MSG (whose payload is the message). */
#define JOURNAL_REC_BUFLEN 1024
#define JOURNAL_MSG_HDR (RULES_REC_HDR_LEN + 8) /* a MSG value before its bytes */
#define JOURNAL_MSGKEY_LEN (1 + JOURNAL_NAME_MAX + 8)
#define JOURNAL_MSGS_HDR (RULES_REC_HDR_LEN + 4) /* a MSGS value before its entries */
#define JOURNAL_MSGS_ENTRY 12                     /* u64 seq, u32 len */

/* Session names: 1..JOURNAL_NAME_MAX printable ASCII (0x21..0x7e). */
bool journal_name_valid(const char *name);
/* A day YYYYMMDD with month 1..12, day 1..31, year 1970..9999. */
bool journal_day_valid(uint32_t day);

/* The checks of the writers, also applied to every record decoded.
 * 0 or RULES_EINVAL with err (err may be NULL). */
int journal_session_validate(const char *name, const struct journal_session *,
    char err[RULES_ERRLEN]);
int journal_kill_validate(const struct journal_kill *, char err[RULES_ERRLEN]);
int journal_kill_log_validate(const struct journal_kill_log *, char err[RULES_ERRLEN]);

/* Encoders take valid input and return the value length. */
size_t journal_rec_enc_session(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_session *);
size_t journal_rec_enc_event(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_event *);
size_t journal_rec_enc_kill(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_kill *);
size_t journal_rec_enc_kill_log(uint8_t buf[JOURNAL_REC_BUFLEN], const struct journal_kill_log *);
/* A MSG value in buf[0..JOURNAL_MSG_HDR + len): writes header and seq
 * around the len message bytes already at buf + JOURNAL_MSG_HDR. */
void journal_rec_seal_msg(uint8_t *buf, uint64_t seq, size_t len);

/* Decoders: 0, or RULES_ECORRUPT with *why set. */
int journal_rec_dec_session(const void *v, size_t n, struct journal_session *out,
    const char **why);
int journal_rec_dec_event(const void *v, size_t n, struct journal_event *out, const char **why);
int journal_rec_dec_kill(const void *v, size_t n, struct journal_kill *out, const char **why);
int journal_rec_dec_kill_log(const void *v, size_t n, struct journal_kill_log *out,
    const char **why);
/* Points *msg / *len at the message bytes inside v; *seq gets the seq. */
int journal_rec_dec_msg(const void *v, size_t n, uint64_t *seq, const uint8_t **msg,
    size_t *len, const char **why);

/* A MSGS value in buf[0..len): the entries are at buf + JOURNAL_MSGS_HDR
 * (each written with journal_rec_msgs_entry() then its bytes); writes the
 * count and the header. */
void journal_rec_seal_msgs(uint8_t *buf, size_t len, uint32_t count);
/* Writes an entry's head (seq, len) at p; returns JOURNAL_MSGS_ENTRY. */
size_t journal_rec_msgs_entry(uint8_t *p, uint64_t seq, size_t len);

/* The messages of a msgs value, MSGS or (schema 1) MSG. dec checks the whole
 * record (framing, every entry: seq >= 1 and increasing, 1..JOURNAL_MSG_MAX
 * bytes, exact length) and sets the first and last seqs; next then gives
 * the entries in order (true while there is one). */
struct journal_msgs_it {
	const uint8_t *mi_p, *mi_end;
	uint64_t mi_first, mi_last;
	uint32_t mi_count;
	bool mi_single; /* a schema 1 MSG record */
};
int journal_rec_dec_msgs(const void *v, size_t n, struct journal_msgs_it *it, const char **why);
bool journal_rec_msgs_next(struct journal_msgs_it *it, uint64_t *seq, const uint8_t **msg,
    size_t *len);

/* msgs keys: the encoder takes a valid name; the decoder checks name and
 * seq (>= 1) and, if want != NULL, that the name is want. */
size_t journal_rec_msg_key(uint8_t buf[JOURNAL_MSGKEY_LEN], const char *name, uint64_t seq);
int journal_rec_msg_key_dec(const void *k, size_t n, const char *want, uint64_t *seq,
    const char **why);

#endif
