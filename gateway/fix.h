/*
 * fix.h - the FIX 4.2 / 4.4 tag=value codec of riskgwd, used on both legs.
 *
 * Four parts, none of which allocates, logs or keeps global state:
 *
 *   framing   fix_frame() finds the next message in a connection's input
 *             buffer, strictly per the session spec's garbled-message rules.
 *   parsing   fix_parse() turns one framed message into a zero-copy view
 *             (struct fix_msg: tag, offset, length per field) and checks the
 *             session-level rules; a failure carries the SessionRejectReason
 *             (373) and RefTagID (371) for the 35=3 answer.
 *   reading   fix_find(), fix_get_*(): typed, strict accessors.
 *   writing   fix_build_*(), fix_add_*(): a message into a caller-owned
 *             buffer; fix_relay(): an inbound application message with a
 *             fresh header and its body byte for byte.
 *
 * Errors are an int: 0, or a FIX_E* code below (a reserved negative range);
 * fix_strerror() names each. Single-threaded use per object; the functions
 * themselves are reentrant.
 */
#ifndef RG_FIX_H
#define RG_FIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIX_SOH '\001'

/* Project error codes: a reserved range below librules' (-31000..). */
enum {
	FIX_EBASE = -31100,
	FIX_EINVAL = FIX_EBASE, /* bad argument: tag, value, size, version */
	FIX_ENOTFOUND,          /* the tag is not in the message */
	FIX_EFORMAT,            /* the value does not have the type's syntax */
	FIX_ERANGE,             /* the value is out of range or overflows */
	FIX_ENOSPC,             /* the output buffer is too small */
	FIX_EFRAME,             /* fix_parse(): not a framed message */
	FIX_EREJECT,            /* fix_parse(): session-level reject, see fix_reject */
	/* fix_frame() garbled-message reasons (the *why out-parameter): */
	FIX_EBEGIN,    /* no "8=FIX.4.2"/"8=FIX.4.4" field at the start */
	FIX_EBODYLEN,  /* BodyLength (9) missing, not second, or malformed */
	FIX_ETOOBIG,   /* BodyLength makes the message longer than max_msg */
	FIX_EMSGTYPE,  /* MsgType (35) missing, empty or not third */
	FIX_ETRAILER,  /* no "10=NNN<SOH>" where BodyLength says it ends */
	FIX_ECHECKSUM, /* CheckSum (10) does not match the bytes */
	FIX_ELAST
};

/* Returns a static string for a FIX_E* code or a negative errno. */
const char *fix_strerror(int err);

/* The two versions spoken. */
enum fix_version {
	FIX_42 = 1, /* "FIX.4.2" */
	FIX_44 = 2, /* "FIX.4.4" */
};

/* Tags are 1..FIX_TAG_MAX, written in decimal without leading zeros. */
#define FIX_TAG_MAX 999999

/* ---- framing ------------------------------------------------------------------ */

enum {
	FIX_FRAME_NEED_MORE = 0, /* no decision yet: read more and call again */
	FIX_FRAME_MSG = 1,       /* buf[0..*n) is one complete, verified message */
	FIX_FRAME_GARBLED = 2,   /* drop buf[0..*n), count it, call again */
};

/* The smallest max_msg fix_frame() accepts. */
#define FIX_FRAME_MIN 64

/*
 * Looks at the start of a connection's input buffer buf[0..len), which must
 * begin at a field start (the stream's start, or just after what an earlier
 * call returned). Returns:
 *
 *  FIX_FRAME_MSG: buf[0..*n) is a message with "8=FIX.4.2" or "8=FIX.4.4"
 *     first, "9=<BodyLength>" second (digits, no leading zero, counting the
 *     bytes after its SOH up to and including the SOH before "10="), "35=<v>"
 *     third (v non-empty) and "10=NNN<SOH>" last, NNN the sum of all bytes
 *     before "10=" mod 256 in three digits, and *n <= max_msg. Nothing else
 *     is checked: fix_parse() does the rest.
 *  FIX_FRAME_GARBLED: the bytes at the start are not such a message. *why gets
 *     the reason (FIX_EBEGIN..FIX_ECHECKSUM). *n >= 1 bytes are to be dropped:
 *     the whole message if it is intact but for its CheckSum or MsgType, else
 *     up to the next "8=FIX" at a field start (after an SOH), or, when there
 *     is none yet, through the last complete field (a field without an SOH
 *     for max_msg bytes is cut after max_msg bytes).
 *  FIX_FRAME_NEED_MORE: the buffer ends before a decision can be made. This
 *     is only returned while len < max_msg, so an input buffer of max_msg
 *     bytes never needs to grow; *n is 0.
 *  FIX_EINVAL: buf or an out-parameter is NULL, or max_msg < FIX_FRAME_MIN.
 *
 * A BodyLength that makes the message longer than max_msg is garbled at once
 * (FIX_ETOOBIG), before its body is buffered. The messages returned do not
 * depend on how the stream was split into reads; the number of garbled
 * results for a run of garbage may. Cost: O(len) per call until BodyLength
 * is read, O(1) while waiting for the rest of the message.
 */
int fix_frame(const char *buf, size_t len, size_t max_msg, size_t *n, int *why);

/* The FIX CheckSum of buf[0..len): the sum of its bytes mod 256 (16 bytes at
 * a time where the CPU has SSE2). */
unsigned fix_checksum(const char *buf, size_t len);

/* ---- parsing ------------------------------------------------------------------ */

/* Field capacity of a struct fix_msg (about 6 KiB per struct). */
#define FIX_MAX_FIELDS 512

/* One field: value at fm_buf[ff_off .. ff_off + ff_len), then an SOH. */
struct fix_field {
	uint32_t ff_tag;
	uint32_t ff_off;
	uint32_t ff_len;
};

/* Tags below this are indexed by fix_parse(): fix_find() is one load. */
#define FIX_FIRST_TAGS 256

/*
 * A parsed message: a view into the caller's buffer, valid while that buffer
 * is unchanged. Fields are in wire order: fm_f[0..fm_body) is the standard
 * header (8, 9, 35 first), fm_f[fm_body..fm_trailer) the body, and
 * fm_f[fm_trailer..fm_nfields) the trailer (10 last). fm_first[tag] is 1 +
 * the index of tag's first field, 0 if absent (tags < FIX_FIRST_TAGS): only
 * fix_parse() fills a fix_msg.
 */
struct fix_msg {
	const char *fm_buf;
	size_t fm_len;
	enum fix_version fm_version;
	unsigned fm_nfields;
	unsigned fm_body;
	unsigned fm_trailer;
	uint16_t fm_first[FIX_FIRST_TAGS];
	struct fix_field fm_f[FIX_MAX_FIELDS];
};

/* SessionRejectReason (373) values, FIX 4.4 numbering (4.2 defines 0..11). */
enum fix_reject_reason {
	FIX_R_INVALID_TAG = 0,      /* malformed tag, 0, or above FIX_TAG_MAX */
	FIX_R_REQUIRED_MISSING = 1, /* a required tag is missing */
	FIX_R_NO_VALUE = 4,         /* tag specified without a value */
	FIX_R_VALUE_INCORRECT = 5,  /* value is incorrect (out of range) */
	FIX_R_FORMAT = 6,           /* incorrect data format for value */
	FIX_R_INVALID_MSGTYPE = 11, /* MsgType not defined for the version */
	FIX_R_DUPLICATE = 13,       /* tag appears more than once */
	FIX_R_OUT_OF_ORDER = 14,    /* tag specified out of required order */
	FIX_R_OTHER = 99,           /* too many fields for FIX_MAX_FIELDS */
};

/* Why fix_parse() refused a message: 373 and 371 (0 when the tag itself was
 * unreadable, so the answer omits 371). */
struct fix_reject {
	int fr_reason;
	int fr_reftag;
};

/* A small caller-owned set of tags (at most FIX_TAGS_MAX), e.g. the body
 * tags the gateway interprets, or the tags a route removes. */
#define FIX_TAGS_MAX 64
struct fix_tags {
	const int *ft_tags;
	size_t ft_n;
};

/* Returns true if tag is in set (a NULL set is empty). */
bool fix_tags_has(const struct fix_tags *set, int tag);

/*
 * Parses buf[0..len), a message fix_frame() accepted, into *m. The structure
 * fix_frame() verified (8, 9, 35 first, 10 last) is checked again and a
 * failure is FIX_EFRAME; BodyLength and CheckSum are not recomputed.
 *
 * Checks, reporting the first failure as FIX_EREJECT with *rej filled:
 *  - every field is <tag>=<value><SOH>, tag 1..FIX_TAG_MAX without leading
 *    zero (else 0 Invalid tag number, 371 = 0), value non-empty (else 4);
 *    a data field (SecureData 91, RawData 96, XmlData 213, Signature 89,
 *    the Encoded* fields...) takes exactly the bytes its length field, which
 *    must immediately precede it, declares, SOH included (else 1 / 5 / 6);
 *  - standard header tags (8 9 35 49 56 115 128 90 91 34 50 142 57 143 116
 *    144 129 145 43 97 52 122 212 213 347 369 370 627 and the hop group
 *    628 629 630) come before every body tag (else 14), trailer tags (93 89
 *    10) after every body tag (else 14);
 *  - no header or trailer tag appears twice (hop tags excepted, they form a
 *    repeating group), nor a tag of `unique` (else 13); other body tags may
 *    repeat (repeating groups are not interpreted);
 *  - MsgType is defined for the version (0..9, A..Z, a..z and AA..BH as each
 *    version defines them, or user-defined "U..."; else 11);
 *  - 49, 56, 34 and 52 are present (else 1); 34 is a positive integer, 52 and
 *    122 UTCTimestamps (else 6); 43 and 97 are Y or N (else 5).
 * On FIX_EREJECT, *m holds the fields read so far (at least 8, 9 and 35 once
 * the framing is right), so that 34 and 35 can be looked up for the answer.
 *
 * Returns 0, FIX_EREJECT, FIX_EFRAME, or FIX_EINVAL (NULL argument, len above
 * UINT32_MAX, unique->ft_n above FIX_TAGS_MAX). unique may be NULL.
 */
int fix_parse(struct fix_msg *m, const char *buf, size_t len, const struct fix_tags *unique,
              struct fix_reject *rej);

/* Standard header / trailer membership, as fix_parse() uses them. */
bool fix_tag_is_header(int tag);
bool fix_tag_is_trailer(int tag);

/* The standard length/data field pairs (90/91, 93/89, 95/96, 212/213, 348/349
 * .. 364/365, 445/446, 618/619, 621/622): the data tag a length tag announces,
 * and the length tag of a data tag; 0 for other tags. */
int fix_tag_data_of(int length_tag);
int fix_tag_length_of(int data_tag);

/* Returns true for a session-level (admin) MsgType: 0 1 2 3 4 5 A. */
bool fix_msgtype_is_admin(const char *type, size_t len);

/* Returns true if type is a MsgType defined by version (see fix_parse). */
bool fix_msgtype_valid(enum fix_version version, const char *type, size_t len);

/* Returns true if m's MsgType is a session-level one. */
bool fix_msg_is_admin(const struct fix_msg *m);

/* ---- reading ------------------------------------------------------------------ */

/* Returns the index in m->fm_f of the first field with tag, or -1. */
int fix_find(const struct fix_msg *m, int tag);

/* The value of the first occurrence of tag: *val points into m->fm_buf (not
 * NUL-terminated), *len > 0. Returns 0 or FIX_ENOTFOUND. */
int fix_get_str(const struct fix_msg *m, int tag, const char **val, size_t *len);

/*
 * Typed accessors on the first occurrence of tag. Each returns 0 (and sets
 * *out), FIX_ENOTFOUND, FIX_EFORMAT (wrong syntax) or FIX_ERANGE; *out is
 * left alone on failure.
 *  int   optional '-' then 1..n ASCII digits (leading zeros allowed, as FIX
 *        allows them; "-0" is 0); no '+', spaces or anything else; a value
 *        outside int64_t is FIX_ERANGE.
 *  char  exactly one byte.
 *  bool  exactly "Y" or "N".
 *  px    a Price: rules_px_parse() (digits, at most one '.', at most 6
 *        decimals, no sign: a negative price is FIX_EFORMAT) to int64_t in
 *        1e-6 units.
 *  qty   a Qty: rules_qty_parse() (whole units, "100" or "100.00").
 *  time  a UTCTimestamp: see fix_time_parse().
 */
int fix_get_int(const struct fix_msg *m, int tag, int64_t *out);
int fix_get_char(const struct fix_msg *m, int tag, char *out);
int fix_get_bool(const struct fix_msg *m, int tag, bool *out);
int fix_get_px(const struct fix_msg *m, int tag, int64_t *out);
int fix_get_qty(const struct fix_msg *m, int tag, int64_t *out);
int fix_get_time(const struct fix_msg *m, int tag, int64_t *out);

/* The same conversions on a bare string s[0..len). */
int fix_int_parse(const char *s, size_t len, int64_t *out);

/*
 * Parses a UTCTimestamp "YYYYMMDD-HH:MM:SS" with an optional fraction of 3, 6
 * or 9 digits, to nanoseconds since the Unix epoch (UTC). Fields are range
 * checked (month 1..12, day in month with leap years, hour 0..23, minute
 * 0..59, second 0..60 for a leap second, counted as the next second's :00).
 * Returns 0, FIX_EFORMAT, or FIX_ERANGE for a year outside 1970..2261 (what
 * an int64_t of nanoseconds holds).
 */
int fix_time_parse(const char *s, size_t len, int64_t *ns);

/* Writes ns (>= 0) as "YYYYMMDD-HH:MM:SS.sss" (milliseconds,
 * truncated) into out[0..FIX_TIME_LEN), no NUL. Returns 0 or FIX_ERANGE. */
#define FIX_TIME_LEN 21
int fix_time_format(int64_t ns, char out[FIX_TIME_LEN]);

/* ---- writing ------------------------------------------------------------------ */

/*
 * A message under construction in fb_buf[0..fb_cap), owned by the caller.
 * The first error sticks: every later call returns it and fix_build_finish()
 * fails, so a caller may check only the result of finish. Nothing in the
 * buffer is a message until finish returns 0.
 */
struct fix_builder {
	char *fb_buf;
	size_t fb_cap;
	size_t fb_len;  /* bytes written so far */
	size_t fb_body; /* where the bytes BodyLength counts start */
	int fb_err;     /* first error, or 0 */
};

/*
 * Starts "8=<version>|9=<reserved>|35=<type>|" in buf[0..cap). type must be
 * defined for version (fix_msgtype_valid). Returns 0, FIX_EINVAL or FIX_ENOSPC.
 */
int fix_build_begin(struct fix_builder *b, char *buf, size_t cap, enum fix_version version,
                    const char *type, size_t type_len);

/*
 * Append one field. The tag must be 1..FIX_TAG_MAX and none of 8, 9, 10, 35
 * (begin and finish write those), else FIX_EINVAL; FIX_ENOSPC when it does
 * not fit. Values:
 *  str   len > 0 bytes with no SOH (else FIX_EINVAL)
 *  int   minimal decimal, '-' for negatives
 *  char  one byte, not SOH
 *  px    rules_px_format(): no trailing zeros ("101.5", "7")
 *  time  fix_time_format() of a ns clock value, milliseconds
 */
int fix_add_str(struct fix_builder *b, int tag, const char *val, size_t len);
int fix_add_int(struct fix_builder *b, int tag, int64_t val);
int fix_add_char(struct fix_builder *b, int tag, char val);
int fix_add_px(struct fix_builder *b, int tag, int64_t px);
int fix_add_time(struct fix_builder *b, int tag, int64_t ns);

/* Appends len > 0 bytes of complete fields ("tag=value<SOH>..."), copied as
 * they are; they must end with an SOH (else FIX_EINVAL). */
int fix_add_raw(struct fix_builder *b, const char *bytes, size_t len);

/*
 * The standard header of an outbound message, after 8, 9 and 35: 49, 56, 34,
 * 52 and, for a resend (fh_possdup), 43=Y and 122.
 */
struct fix_hdr {
	const char *fh_sender; /* SenderCompID, NUL-terminated */
	const char *fh_target; /* TargetCompID, NUL-terminated */
	uint64_t fh_seq;       /* MsgSeqNum, >= 1 */
	int64_t fh_sending_ns; /* SendingTime, ns since the epoch */
	bool fh_possdup;       /* add PossDupFlag=Y and OrigSendingTime */
	int64_t fh_orig_ns;    /* OrigSendingTime, ns since the epoch */
};

/* Appends the fields of *h. Returns 0, FIX_EINVAL, FIX_ERANGE or FIX_ENOSPC. */
int fix_add_header(struct fix_builder *b, const struct fix_hdr *h);

/*
 * Writes BodyLength (minimal decimal) and "10=NNN<SOH>", moving the body down
 * so that the message is fb_buf[0..*len). Returns 0, or the builder's first
 * error, or FIX_ENOSPC; on failure the buffer holds no message and *len is
 * not set.
 */
int fix_build_finish(struct fix_builder *b, size_t *len);

/*
 * Builds into out[0..cap) the relayed form of in, a message fix_parse()
 * returned 0 for: 8 and 35 as inbound, 9 new, the header of *h, then every
 * body field of in, in order and byte for byte, except those whose tag is in
 * remove (may be NULL; removing either field of a length/data pair removes
 * both, so the pair stays consistent), then 10. Inbound header and trailer
 * fields are not copied. Returns 0 with *len set, FIX_EINVAL, FIX_ERANGE or
 * FIX_ENOSPC; out holds no message on failure.
 */
int fix_relay(const struct fix_msg *in, const struct fix_hdr *h, const struct fix_tags *remove,
              char *out, size_t cap, size_t *len);

#endif
