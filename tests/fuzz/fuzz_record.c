/*
 * fuzz_record.c - fuzz target for the record decoders of rules.mdb
 * (rules/record.h) and journal.mdb (gateway/journal_rec.h): what riskgwd
 * and riskgwctl read back from disk, where a torn write, a bad disk or an
 * older binary's bytes must be refused, never half-read.
 *
 * The input is one selector byte, then the bytes to decode. Selector % 16
 * picks a decoder (the table below); with bit 0x80 clear the rest is taken
 * as a payload and sealed first (rules_rec_seal(): the CRC-32C, the type
 * and the version the decoder wants), so that mutations reach the field
 * checks instead of dying at the CRC; with 0x80 set the bytes are decoded
 * as they are (header checks). Keys are decoded as they are.
 * FUZZ_RECORD_TRACE=1 prints the decoder and its verdict per input. Invariants (a
 * violation aborts):
 *  - a decoder returns 0 or RULES_ECORRUPT, and on RULES_ECORRUPT names
 *    what failed (*why, one line);
 *  - what decodes is canonical: encoding the decoded value gives back the
 *    same bytes, and the decoded value passes its type's validation.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "journal.h"
#include "journal_rec.h"
#include "record.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEALED_MAX 8192

enum dec {
	D_U32, D_LIMITS, D_PARENT, D_REFPX, D_RESTRICTED, D_AUDIT, /* rules.mdb values */
	D_SESSION, D_EVENT, D_KILL, D_KILL_LOG,                    /* journal.mdb values */
	D_LIMITS_KEY, D_ID_KEY, D_SEQ_KEY,                          /* keys */
	D_MSGS, D_MSG,                                              /* journal.mdb messages */
	D_COUNT
};

static const uint16_t rec_type[] = {
	[D_U32] = RULES_REC_META_U32, [D_LIMITS] = RULES_REC_LIMITS,
	[D_PARENT] = RULES_REC_PARENT, [D_REFPX] = RULES_REC_REFPX,
	[D_RESTRICTED] = RULES_REC_RESTRICTED, [D_AUDIT] = RULES_REC_AUDIT,
	[D_SESSION] = JOURNAL_REC_SESSION, [D_EVENT] = JOURNAL_REC_EVENT,
	[D_KILL] = JOURNAL_REC_KILL, [D_KILL_LOG] = JOURNAL_REC_KILL_LOG,
	[D_MSGS] = JOURNAL_REC_MSGS, [D_MSG] = JOURNAL_REC_MSG,
};

static const char *const dec_name[] = {"u32", "limits", "parent", "refpx", "restricted", "audit",
    "session", "event", "kill", "kill_log", "limits_key", "id_key", "seq_key", "msgs", "msg"};
static enum dec cur;

/* FUZZ_RECORD_TRACE=1: one line per input, the decoder and what it said. */
static void trace(int rc, const char *why)
{
	static int on = -1;

	if (on < 0)
		on = getenv("FUZZ_RECORD_TRACE") != NULL;
	if (on)
		fprintf(stderr, "fuzz_record: %s: %s\n", dec_name[cur], rc == 0 ? "decoded" : why);
}

static void check_why(int rc, const char *why)
{
	CHECK(rc == RULES_ECORRUPT);
	CHECK(why != NULL && why[0] != '\0' && strchr(why, '\n') == NULL);
}

/* The encoding of what was decoded equals the n bytes at v. */
static void same(const uint8_t *enc, size_t elen, const uint8_t *v, size_t n)
{
	if (elen != n || memcmp(enc, v, n) != 0) {
		fprintf(stderr, "fuzz_record: decoded, but encodes to %zu other bytes (was %zu)\n",
		    elen, n);
		abort();
	}
}

static void values(enum dec d, const uint8_t *v, size_t n)
{
	static uint8_t enc[RULES_REC_BUFLEN > JOURNAL_REC_BUFLEN ? RULES_REC_BUFLEN
								  : JOURNAL_REC_BUFLEN];
	char err[RULES_ERRLEN];
	const char *why = NULL;
	int rc;

/* A record of struct type T: decoded, valid (valid is an expression of x),
 * and encoded back to the same bytes. */
#define ROUND_TRIP(T, dec, enc_fn, valid)                                                          \
	{                                                                                          \
		T x;                                                                               \
		if ((rc = dec(v, n, &x, &why)) == 0) {                                             \
			CHECK(valid);                                                              \
			same(enc, enc_fn(enc, &x), v, n);                                          \
		}                                                                                  \
		break;                                                                             \
	}

	switch (d) {
	case D_U32: {
		uint32_t x;

		if ((rc = rules_rec_dec_u32(v, n, &x, &why)) == 0)
			same(enc, rules_rec_enc_u32(enc, x), v, n);
		break;
	}
	case D_REFPX: {
		int64_t px;

		if ((rc = rules_rec_dec_refpx(v, n, &px, &why)) == 0) {
			CHECK(px > 0);
			same(enc, rules_rec_enc_refpx(enc, px), v, n);
		}
		break;
	}
	case D_RESTRICTED: {
		char reason[RULES_REASON_MAX + 1];

		if ((rc = rules_rec_dec_restricted(v, n, reason, &why)) == 0)
			same(enc, rules_rec_enc_restricted(enc, reason), v, n);
		break;
	}
	case D_LIMITS:
		ROUND_TRIP(struct rules_limits, rules_rec_dec_limits, rules_rec_enc_limits,
		    rules_limits_validate(&x, err) == 0)
	case D_PARENT:
		ROUND_TRIP(struct rules_parent, rules_rec_dec_parent, rules_rec_enc_parent,
		    rules_parent_validate(&x, err) == 0)
	case D_AUDIT:
		ROUND_TRIP(struct rules_audit, rules_rec_dec_audit, rules_rec_enc_audit, true)
	case D_SESSION:
		ROUND_TRIP(struct journal_session, journal_rec_dec_session, journal_rec_enc_session,
		    true)
	case D_EVENT:
		ROUND_TRIP(struct journal_event, journal_rec_dec_event, journal_rec_enc_event,
		    journal_ev_validate(&x, err) == 0)
	case D_KILL:
		ROUND_TRIP(struct journal_kill, journal_rec_dec_kill, journal_rec_enc_kill,
		    journal_kill_validate(&x, err) == 0)
	case D_KILL_LOG:
		ROUND_TRIP(struct journal_kill_log, journal_rec_dec_kill_log, journal_rec_enc_kill_log,
		    journal_kill_log_validate(&x, err) == 0)
	default:
		abort();
	}
#undef ROUND_TRIP
	trace(rc, why);
	if (rc != 0)
		check_why(rc, why);
}

/*
 * The sent messages of a session turn (MSGS, or a schema 1 MSG): every
 * entry lies inside the record, seqs go up from mi_first to mi_last,
 * mi_count entries; written again entry by entry, the same bytes.
 */
static void messages(enum dec d, const uint8_t *v, size_t n)
{
	static uint8_t enc[SEALED_MAX];
	struct journal_msgs_it it;
	const char *why = NULL;
	const uint8_t *msg;
	uint64_t seq, prev = 0;
	uint32_t count = 0, want;
	size_t len, elen = JOURNAL_MSGS_HDR;
	int rc = journal_rec_dec_msgs(v, n, &it, &why);

	trace(rc, why);
	if (rc != 0) {
		check_why(rc, why);
		return;
	}
	/* a MSGS record decodes as one only under its own type, and so MSG */
	CHECK(it.mi_single == (d == D_MSG));
	want = it.mi_count; /* next() counts it down */
	while (journal_rec_msgs_next(&it, &seq, &msg, &len)) {
		CHECK(msg >= v && len >= 1 && len <= (size_t)(v + n - msg));
		CHECK(seq > prev && (count > 0 || seq == it.mi_first));
		prev = seq;
		count++;
		if (d == D_MSGS) {
			CHECK(elen + JOURNAL_MSGS_ENTRY + len <= sizeof(enc));
			elen += journal_rec_msgs_entry(enc + elen, seq, len);
			memcpy(enc + elen, msg, len);
			elen += len;
		} else {
			CHECK(JOURNAL_MSG_HDR + len <= sizeof(enc));
			memcpy(enc + JOURNAL_MSG_HDR, msg, len);
			journal_rec_seal_msg(enc, seq, len);
			elen = JOURNAL_MSG_HDR + len;
		}
	}
	CHECK(count == want && count >= 1 && prev == it.mi_last && it.mi_count == 0);
	if (d == D_MSGS)
		journal_rec_seal_msgs(enc, elen, count);
	same(enc, elen, v, n);
}

static void keys(enum dec d, const uint8_t *k, size_t n)
{
	uint8_t enc[RULES_REC_KEYLEN];
	char id[RULES_ID_MAX + 1];
	const char *why = NULL;
	int rc;

	switch (d) {
	case D_LIMITS_KEY: {
		enum rules_scope scope;

		if ((rc = rules_rec_limits_key_dec(k, n, &scope, id, &why)) == 0)
			same(enc, rules_rec_limits_key(enc, scope, id), k, n);
		break;
	}
	case D_ID_KEY:
		if ((rc = rules_rec_id_key_dec(k, n, id, &why)) == 0) {
			CHECK(rules_id_valid(id));
			same((const uint8_t *)id, strlen(id), k, n);
		}
		break;
	case D_SEQ_KEY: {
		uint64_t seq;

		if ((rc = rules_rec_seq_key_dec(k, n, &seq, &why)) == 0) {
			rules_rec_seq_key(enc, seq);
			same(enc, 8, k, n);
		}
		break;
	}
	default:
		abort();
	}
	trace(rc, why);
	if (rc != 0)
		check_why(rc, why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t sealed[SEALED_MAX];
	enum dec d;
	bool raw;

	if (size < 1)
		return 0;
	d = (enum dec)((data[0] & 0x7f) % D_COUNT);
	raw = (data[0] & 0x80) != 0;
	cur = d;
	data++;
	size--;
	if (d >= D_LIMITS_KEY && d <= D_SEQ_KEY) {
		keys(d, data, size);
		return 0;
	}
	if (!raw && size + RULES_REC_HDR_LEN <= sizeof(sealed)) {
		memcpy(sealed + RULES_REC_HDR_LEN, data, size);
		rules_rec_seal(sealed, size + RULES_REC_HDR_LEN, rec_type[d]);
		data = sealed;
		size += RULES_REC_HDR_LEN;
	}
	if (d == D_MSGS || d == D_MSG)
		messages(d, data, size);
	else
		values(d, data, size);
	return 0;
}
