/*
 * ctl_proto.h - the wire protocol of riskgwd's control socket, shared by the
 * server (ctl.c in riskgwd) and its clients (riskgwctl, riskgw-admin).
 *
 * A message is a fixed 16-byte header, all fields big-endian:
 *
 *   u32 magic    CTL_MAGIC ("RGCT")
 *   u16 version  CTL_VERSION
 *   u16 type     enum ctl_type
 *   u32 length   payload bytes that follow, at most the receiver's cap
 *                (CTL_MAX_PAYLOAD, 1 MiB; riskgwd takes requests of at most
 *                CTL_MAX_REQUEST)
 *   u32 id       request id, chosen by the client, echoed in every reply
 *
 * followed by the payload: empty, or exactly one JSON object (UTF-8, no
 * duplicate keys, nothing after its closing brace, not even whitespace).
 * An empty payload means the same as {}. docs/control.md has every type's
 * members. Decoding is strict: a wrong magic or version, an unknown type, a
 * length above the cap, a truncated message, bytes after the object, and a
 * request member that its type does not define are each an error with its
 * own code and a one-line message; nothing here aborts on any input.
 *
 * Nothing here does I/O or logs. Functions that can fail take
 * char err[CTL_ERRLEN], filled with one line (err may be NULL).
 * Errors are 0, a negative errno, or a CTL_E* code; ctl_strerror() names
 * each. JSON values are jansson's: ownership is stated per function.
 */
#ifndef GW_CTL_PROTO_H
#define GW_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_MAGIC       UINT32_C(0x52474354) /* "RGCT" */
#define CTL_VERSION     1
#define CTL_HDR_LEN     16
#define CTL_MAX_PAYLOAD (UINT32_C(1) << 20)  /* any message */
#define CTL_MAX_REQUEST (UINT32_C(64) << 10) /* what riskgwd accepts */
#define CTL_ERRLEN      256

/* The user and the reason of a KILL: the limits of struct journal_kill. */
#define CTL_WHO_MAX    64  /* 1..64 printable ASCII, no space (0x21..0x7e) */
#define CTL_REASON_MAX 256 /* 1..256 bytes of UTF-8, no control characters */
#define CTL_SCOPE_MAX  80  /* "global", "route:NAME", "account:ID", "symbol:ID" */
#define CTL_ID_MAX     64  /* a parent id: 1..64 printable ASCII, no space */

/* Message types. A reply to request type t has type t | CTL_T_REPLY; an
 * error reply to any request is CTL_T_ERROR. The numbers are stable. */
enum ctl_type {
	CTL_T_STATUS = 1,   /* {} -> kill state, day, uptime, routes up */
	CTL_T_SESSIONS = 2, /* {} -> per route: both legs' FIX sessions */
	CTL_T_PARENTS = 3,  /* {} -> live exposure per parent, in chunks */
	CTL_T_COUNTERS = 4, /* {} -> per route counters */
	CTL_T_KILL = 5,     /* {"who","reason"[,"scope","source"]} -> the kill, once durable */
	CTL_T_RESET_REQUEST = 6,  /* {"who","reason"[,"scope"]} -> the kill state */
	CTL_T_RESET_APPROVE = 7,  /* {"who"[,"scope"]} -> the kill state (armed) */
	CTL_T_RESET_WITHDRAW = 8, /* {"who"[,"scope"]} -> the kill state */
	CTL_T_RELEASE = 9,        /* {"who","reason","parent"} -> the parent released */
	CTL_T_KILL_LOG = 10,      /* {["from"]} -> kill log lines, in chunks */
	CTL_T_METRICS = 11,       /* {} -> {"text": Prometheus text exposition} */
	CTL_T_REPLY = 0x8000,
	CTL_T_ERROR = 0xffff, /* {"error": name, "message": text} */
};
#define CTL_T_FIRST CTL_T_STATUS
#define CTL_T_LAST  CTL_T_METRICS

/* Project error codes: a range of their own (rules: -31000, fix: -31100). */
enum {
	CTL_EBASE = -31200,
	CTL_EMAGIC = CTL_EBASE, /* not a control protocol message */
	CTL_EVERSION,           /* another protocol version */
	CTL_ETYPE,              /* unknown message type */
	CTL_ETOOBIG,            /* length above the cap */
	CTL_ETRUNC,             /* fewer bytes than the header says */
	CTL_ETRAILING,          /* bytes after the message or the JSON object */
	CTL_EJSON,              /* the payload is not one JSON object */
	CTL_ESCHEMA,            /* a member is missing, unknown or of the wrong type */
	CTL_ELAST
};
/* More input is needed (ctl_frame): not an error. */
#define CTL_NEED_MORE 1

const char *ctl_strerror(int err);
/* "status", ..., "status-reply", ..., "error"; "unknown" for others. */
const char *ctl_type_name(unsigned type);
/* True for a type a message may carry: a request, a reply or an error. */
bool ctl_type_valid(unsigned type);

struct ctl_hdr {
	uint16_t h_type;
	uint32_t h_len;
	uint32_t h_id;
};

/* Writes a header (magic and version included) to out. */
void ctl_hdr_put(unsigned char out[CTL_HDR_LEN], unsigned type, uint32_t len, uint32_t id);
/* Reads and checks the header at buf (CTL_HDR_LEN bytes). 0, CTL_EMAGIC,
 * CTL_EVERSION, CTL_ETYPE, CTL_ETOOBIG (length above max_payload). */
int ctl_hdr_get(const void *buf, uint32_t max_payload, struct ctl_hdr *out, char err[CTL_ERRLEN]);

/*
 * Frames a stream: looks at buf[0..len) for one message. Returns 0 with
 * *total = CTL_HDR_LEN + its length when all of it is there; CTL_NEED_MORE
 * when not yet (a header is checked as soon as it is whole, so a bad one is
 * refused before its payload arrives); or ctl_hdr_get's error. After an
 * error the stream cannot be resynchronised: close it.
 */
int ctl_frame(const void *buf, size_t len, uint32_t max_payload, struct ctl_hdr *hdr, size_t *total,
              char err[CTL_ERRLEN]);

/*
 * Decodes a payload of len bytes: len 0 gives an empty object; else it must
 * be exactly one JSON object. *out gets a new reference (json_decref it).
 * 0, CTL_EJSON, CTL_ETRAILING, CTL_ETOOBIG (above CTL_MAX_PAYLOAD), -ENOMEM.
 */
int ctl_payload_decode(const void *p, size_t len, json_t **out, char err[CTL_ERRLEN]);

/* One decoded message. cm_body is owned by it: ctl_msg_clear() frees it. */
struct ctl_msg {
	uint16_t cm_type;
	uint32_t cm_id;
	json_t *cm_body; /* an object, never NULL after a successful decode */
};
/*
 * Decodes exactly one whole message of len bytes, nothing before or after.
 * 0, CTL_ETRUNC (shorter than its header says), CTL_ETRAILING, or an error
 * of ctl_hdr_get() (with max_payload) or ctl_payload_decode(). On error
 * out->cm_body is NULL.
 */
int ctl_decode(const void *buf, size_t len, uint32_t max_payload, struct ctl_msg *out,
               char err[CTL_ERRLEN]);
void ctl_msg_clear(struct ctl_msg *);

/*
 * Encodes a message into buf (cap bytes): body NULL or an empty object gives
 * an empty payload; else compact JSON, members in insertion order.
 * *len gets the message size. 0, -ENOBUFS (cap too small: *len then gets the
 * size needed), CTL_ETOOBIG (payload above CTL_MAX_PAYLOAD), CTL_ETYPE,
 * CTL_EJSON (body not an object, or not encodable), -ENOMEM.
 */
int ctl_encode_into(unsigned type, uint32_t id, const json_t *body, void *buf, size_t cap,
                    size_t *len, char err[CTL_ERRLEN]);
/* The same into a malloc'ed buffer (*out, free() it). */
int ctl_encode(unsigned type, uint32_t id, const json_t *body, void **out, size_t *len,
               char err[CTL_ERRLEN]);

/* ---- request bodies ---------------------------------------------------------- */

/*
 * Checks a request's body against its type: STATUS, SESSIONS, PARENTS,
 * COUNTERS and METRICS take no member; KILL takes "who" and "reason", and
 * optionally "scope" and "source" ("cli" or "http": who asks); RESET_REQUEST
 * "who", "reason" and optionally "scope"; RESET_APPROVE and RESET_WITHDRAW
 * "who" and optionally "scope"; RELEASE "who", "reason" and "parent";
 * KILL_LOG optionally "from" (an integer >= 1). Strings within the limits
 * above; a scope is only checked for its length and characters here (riskgwd
 * parses it). 0, CTL_ETYPE (not a request type), CTL_ESCHEMA.
 */
int ctl_request_check(unsigned type, const json_t *body, char err[CTL_ERRLEN]);

/* The members of a request; "" / 0 when absent. */
struct ctl_kill_req {
	char ck_who[CTL_WHO_MAX + 1];
	char ck_reason[CTL_REASON_MAX + 1];
	char ck_scope[CTL_SCOPE_MAX + 1];
	char ck_source[8];
	char ck_parent[CTL_ID_MAX + 1];
	int64_t ck_from;
};
/* Reads a body of type (ctl_request_check()ed here too). 0 or CTL_ESCHEMA/CTL_ETYPE. */
int ctl_req_get(unsigned type, const json_t *body, struct ctl_kill_req *out,
                char err[CTL_ERRLEN]);
/* A new body of type with the non-empty members of r, or NULL (out of
 * memory, or a member invalid for type). */
json_t *ctl_req_body(unsigned type, const struct ctl_kill_req *r);
/* Reads a KILL body. 0 or CTL_ESCHEMA. */
int ctl_kill_get(const json_t *body, struct ctl_kill_req *out, char err[CTL_ERRLEN]);
/* A new KILL body, or NULL (out of memory, or who/reason invalid). */
json_t *ctl_kill_body(const char *who, const char *reason);

/* ---- reply bodies ------------------------------------------------------------- */

/* A new error body {"error": ctl_strerror-like name, "message": text}; the
 * name is short and stable ("bad_request", "permission", "busy",
 * "internal", ...). NULL when out of memory. */
json_t *ctl_error_body(const char *name, const char *message);
/* Reads an error body: 0 and pointers into body, or CTL_ESCHEMA. */
int ctl_error_get(const json_t *body, const char **name, const char **message,
                  char err[CTL_ERRLEN]);
/* A reply sent in chunks has "more": true on all but its last message.
 * Sets *more; 0, or CTL_ESCHEMA if "more" is there and not a boolean. */
int ctl_reply_more(const json_t *body, bool *more, char err[CTL_ERRLEN]);

#endif
