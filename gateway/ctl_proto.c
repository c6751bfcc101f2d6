/*
 * ctl_proto.c - encoding and strict decoding of control socket messages
 * (ctl_proto.h). No I/O, no logging.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, CTL_ERRLEN, fmt, ap);
	va_end(ap);
}

static const char *const err_names[] = {
    [CTL_EMAGIC - CTL_EBASE] = "not a riskgw control message (bad magic)",
    [CTL_EVERSION - CTL_EBASE] = "unsupported control protocol version",
    [CTL_ETYPE - CTL_EBASE] = "unknown control message type",
    [CTL_ETOOBIG - CTL_EBASE] = "control message too large",
    [CTL_ETRUNC - CTL_EBASE] = "control message truncated",
    [CTL_ETRAILING - CTL_EBASE] = "trailing bytes after the control message",
    [CTL_EJSON - CTL_EBASE] = "control message payload is not one JSON object",
    [CTL_ESCHEMA - CTL_EBASE] = "control message member missing, unknown or invalid",
};

const char *ctl_strerror(int err)
{
	if (err >= CTL_EBASE && err < CTL_ELAST)
		return err_names[err - CTL_EBASE];
	if (err == 0)
		return "success";
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

static const char *const type_names[] = {
    [CTL_T_STATUS] = "status",     [CTL_T_SESSIONS] = "sessions", [CTL_T_PARENTS] = "parents",
    [CTL_T_COUNTERS] = "counters", [CTL_T_KILL] = "kill",
    [CTL_T_RESET_REQUEST] = "reset-request", [CTL_T_RESET_APPROVE] = "reset-approve",
    [CTL_T_RESET_WITHDRAW] = "reset-withdraw", [CTL_T_RELEASE] = "release",
    [CTL_T_KILL_LOG] = "kill-log", [CTL_T_METRICS] = "metrics",
};

static const char *const reply_names[] = {
    [CTL_T_STATUS] = "status-reply",   [CTL_T_SESSIONS] = "sessions-reply",
    [CTL_T_PARENTS] = "parents-reply", [CTL_T_COUNTERS] = "counters-reply",
    [CTL_T_KILL] = "kill-reply",
    [CTL_T_RESET_REQUEST] = "reset-request-reply", [CTL_T_RESET_APPROVE] = "reset-approve-reply",
    [CTL_T_RESET_WITHDRAW] = "reset-withdraw-reply", [CTL_T_RELEASE] = "release-reply",
    [CTL_T_KILL_LOG] = "kill-log-reply", [CTL_T_METRICS] = "metrics-reply",
};

static bool is_request(unsigned t)
{
	return t >= CTL_T_FIRST && t <= CTL_T_LAST;
}

bool ctl_type_valid(unsigned t)
{
	return is_request(t) || t == CTL_T_ERROR ||
	       ((t & CTL_T_REPLY) != 0 && is_request(t & ~(unsigned)CTL_T_REPLY));
}

const char *ctl_type_name(unsigned t)
{
	if (is_request(t))
		return type_names[t];
	if (t == CTL_T_ERROR)
		return "error";
	if (ctl_type_valid(t))
		return reply_names[t & ~(unsigned)CTL_T_REPLY];
	return "unknown";
}

/* ---- header ---------------------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void ctl_hdr_put(unsigned char out[CTL_HDR_LEN], unsigned type, uint32_t len, uint32_t id)
{
	put32(out, CTL_MAGIC);
	put16(out + 4, CTL_VERSION);
	put16(out + 6, type);
	put32(out + 8, len);
	put32(out + 12, id);
}

int ctl_hdr_get(const void *buf, uint32_t max_payload, struct ctl_hdr *out, char err[CTL_ERRLEN])
{
	const unsigned char *p = buf;
	uint32_t magic = get32(p);
	unsigned version = get16(p + 4);

	if (magic != CTL_MAGIC) {
		seterr(err, "bad magic 0x%08x: not a riskgw control message", magic);
		return CTL_EMAGIC;
	}
	if (version != CTL_VERSION) {
		seterr(err, "protocol version %u; this side speaks version %u", version,
		       CTL_VERSION);
		return CTL_EVERSION;
	}
	out->h_type = get16(p + 6);
	out->h_len = get32(p + 8);
	out->h_id = get32(p + 12);
	if (!ctl_type_valid(out->h_type)) {
		seterr(err, "unknown message type %u", out->h_type);
		return CTL_ETYPE;
	}
	if (out->h_len > max_payload || out->h_len > CTL_MAX_PAYLOAD) {
		seterr(err, "%s message of %u bytes, above the %u-byte cap",
		       ctl_type_name(out->h_type), out->h_len,
		       max_payload < CTL_MAX_PAYLOAD ? max_payload : CTL_MAX_PAYLOAD);
		return CTL_ETOOBIG;
	}
	return 0;
}

int ctl_frame(const void *buf, size_t len, uint32_t max_payload, struct ctl_hdr *hdr, size_t *total,
              char err[CTL_ERRLEN])
{
	int rc;

	*total = 0;
	if (len < CTL_HDR_LEN)
		return CTL_NEED_MORE;
	if ((rc = ctl_hdr_get(buf, max_payload, hdr, err)) != 0)
		return rc;
	if (len - CTL_HDR_LEN < hdr->h_len)
		return CTL_NEED_MORE;
	*total = CTL_HDR_LEN + (size_t)hdr->h_len;
	return 0;
}

/* ---- payload ---------------------------------------------------------------------- */

int ctl_payload_decode(const void *p, size_t len, json_t **out, char err[CTL_ERRLEN])
{
	json_error_t je;
	json_t *j;

	*out = NULL;
	if (len > CTL_MAX_PAYLOAD) {
		seterr(err, "payload of %zu bytes, above the %u-byte cap", len, CTL_MAX_PAYLOAD);
		return CTL_ETOOBIG;
	}
	if (len == 0) {
		*out = json_object();
		return *out != NULL ? 0 : -ENOMEM;
	}
	if (*(const char *)p != '{') {
		seterr(err, "payload does not start with '{'");
		return CTL_EJSON;
	}
	j = json_loadb(p, len, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &je);
	if (j == NULL) {
		seterr(err, "payload: %s at byte %d", je.text, je.position);
		return CTL_EJSON;
	}
	if (!json_is_object(j)) { /* cannot happen after '{', but cheap */
		json_decref(j);
		seterr(err, "payload is not a JSON object");
		return CTL_EJSON;
	}
	if (je.position < 0 || (size_t)je.position != len) {
		seterr(err, "payload has %zu bytes after its JSON object",
		       len - (size_t)(je.position < 0 ? 0 : je.position));
		json_decref(j);
		return CTL_ETRAILING;
	}
	*out = j;
	return 0;
}

int ctl_decode(const void *buf, size_t len, uint32_t max_payload, struct ctl_msg *out,
               char err[CTL_ERRLEN])
{
	struct ctl_hdr h;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < CTL_HDR_LEN) {
		seterr(err, "%zu bytes: shorter than the %d-byte header", len, CTL_HDR_LEN);
		return CTL_ETRUNC;
	}
	if ((rc = ctl_hdr_get(buf, max_payload, &h, err)) != 0)
		return rc;
	if (len - CTL_HDR_LEN < h.h_len) {
		seterr(err, "%s message: %zu payload bytes of %u", ctl_type_name(h.h_type),
		       len - CTL_HDR_LEN, h.h_len);
		return CTL_ETRUNC;
	}
	if (len - CTL_HDR_LEN > h.h_len) {
		seterr(err, "%s message: %zu bytes after its %u-byte payload",
		       ctl_type_name(h.h_type), len - CTL_HDR_LEN - h.h_len, h.h_len);
		return CTL_ETRAILING;
	}
	rc = ctl_payload_decode((const char *)buf + CTL_HDR_LEN, h.h_len, &out->cm_body, err);
	if (rc != 0)
		return rc;
	out->cm_type = h.h_type;
	out->cm_id = h.h_id;
	return 0;
}

void ctl_msg_clear(struct ctl_msg *m)
{
	json_decref(m->cm_body);
	m->cm_body = NULL;
}

int ctl_encode_into(unsigned type, uint32_t id, const json_t *body, void *buf, size_t cap,
                    size_t *len, char err[CTL_ERRLEN])
{
	size_t n = 0;

	*len = 0;
	if (!ctl_type_valid(type)) {
		seterr(err, "unknown message type %u", type);
		return CTL_ETYPE;
	}
	if (body != NULL && !json_is_object(body)) {
		seterr(err, "a payload must be a JSON object");
		return CTL_EJSON;
	}
	if (body != NULL && json_object_size(body) > 0) {
		n = json_dumpb(body, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (n == 0) {
			seterr(err, "payload cannot be encoded as JSON");
			return CTL_EJSON;
		}
	}
	if (n > CTL_MAX_PAYLOAD) {
		seterr(err, "%s payload of %zu bytes, above the %u-byte cap", ctl_type_name(type),
		       n, CTL_MAX_PAYLOAD);
		return CTL_ETOOBIG;
	}
	*len = CTL_HDR_LEN + n;
	if (cap < *len) {
		seterr(err, "%zu bytes needed, %zu available", *len, cap);
		return -ENOBUFS;
	}
	ctl_hdr_put(buf, type, (uint32_t)n, id);
	if (n > 0 && json_dumpb(body, (char *)buf + CTL_HDR_LEN, n,
	                        JSON_COMPACT | JSON_PRESERVE_ORDER) != n) {
		seterr(err, "payload changed size while encoded");
		return CTL_EJSON;
	}
	return 0;
}

int ctl_encode(unsigned type, uint32_t id, const json_t *body, void **out, size_t *len,
               char err[CTL_ERRLEN])
{
	size_t need = 0;
	void *buf;
	int rc;

	*out = NULL;
	rc = ctl_encode_into(type, id, body, NULL, 0, &need, err);
	if (rc != -ENOBUFS)
		return rc; /* an error, since even a header does not fit in 0 bytes */
	if ((buf = malloc(need)) == NULL)
		return -ENOMEM;
	rc = ctl_encode_into(type, id, body, buf, need, len, err);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* ---- bodies ----------------------------------------------------------------------- */

/* 1..max printable ASCII characters, no space. */
static bool token_valid(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n < 1 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool who_valid(const char *s, size_t n)
{
	return token_valid(s, n, CTL_WHO_MAX);
}

/* jansson guarantees valid UTF-8 without NUL (no JSON_ALLOW_NUL). */
static bool reason_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > CTL_REASON_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

/* The members a request may carry. */
enum member { M_WHO = 1, M_REASON = 2, M_SCOPE = 4, M_SOURCE = 8, M_PARENT = 16, M_FROM = 32 };
static const struct {
	const char *name;
	enum member m;
} members[] = {
    {"who", M_WHO},       {"reason", M_REASON}, {"scope", M_SCOPE},
    {"source", M_SOURCE}, {"parent", M_PARENT}, {"from", M_FROM},
};
/* allowed and required members per request type */
static const unsigned allowed[CTL_T_LAST + 1] = {
    [CTL_T_KILL] = M_WHO | M_REASON | M_SCOPE | M_SOURCE,
    [CTL_T_RESET_REQUEST] = M_WHO | M_REASON | M_SCOPE,
    [CTL_T_RESET_APPROVE] = M_WHO | M_SCOPE,
    [CTL_T_RESET_WITHDRAW] = M_WHO | M_SCOPE,
    [CTL_T_RELEASE] = M_WHO | M_REASON | M_PARENT,
    [CTL_T_KILL_LOG] = M_FROM,
};
static const unsigned required[CTL_T_LAST + 1] = {
    [CTL_T_KILL] = M_WHO | M_REASON,
    [CTL_T_RESET_REQUEST] = M_WHO | M_REASON,
    [CTL_T_RESET_APPROVE] = M_WHO,
    [CTL_T_RESET_WITHDRAW] = M_WHO,
    [CTL_T_RELEASE] = M_WHO | M_REASON | M_PARENT,
};

static const char *member_name(unsigned m)
{
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (members[i].m == m)
			return members[i].name;
	return "?";
}

/* Checks one member's value; NULL or what it must be. */
static const char *member_check(enum member m, const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t n = s != NULL ? json_string_length(v) : 0;

	switch (m) {
	case M_WHO:
		return s != NULL && who_valid(s, n) ? NULL
		                                    : "a user name of 1 to 64 printable characters "
		                                      "without spaces";
	case M_REASON:
		return s != NULL && reason_valid(s, n) ? NULL
		                                       : "text of 1 to 256 bytes without control "
		                                         "characters";
	case M_SCOPE:
		return s != NULL && token_valid(s, n, CTL_SCOPE_MAX)
		           ? NULL
		           : "global, route:NAME, account:ID or symbol:ID";
	case M_SOURCE:
		return s != NULL && (strcmp(s, "cli") == 0 || strcmp(s, "http") == 0)
		           ? NULL
		           : "cli or http";
	case M_PARENT:
		return s != NULL && token_valid(s, n, CTL_ID_MAX) ? NULL
		                                                       : "a parent id of 1 to 64 "
		                                                         "printable characters";
	case M_FROM:
		return json_is_integer(v) && json_integer_value(v) >= 1 ? NULL
		                                                        : "an integer >= 1";
	}
	return "unknown";
}

int ctl_request_check(unsigned type, const json_t *body, char err[CTL_ERRLEN])
{
	const char *key;
	json_t *v;
	unsigned have = 0;

	if (!is_request(type)) {
		seterr(err, "%s (%u) is not a request", ctl_type_name(type), type);
		return CTL_ETYPE;
	}
	if (!json_is_object(body)) {
		seterr(err, "a request body must be a JSON object");
		return CTL_ESCHEMA;
	}
	json_object_foreach((json_t *)body, key, v)
	{
		enum member m = 0;
		const char *what;

		for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			if (strcmp(key, members[i].name) == 0)
				m = members[i].m;
		if (m == 0 || (allowed[type] & m) == 0) {
			seterr(err, "%s: unknown member \"%.64s\"", ctl_type_name(type), key);
			return CTL_ESCHEMA;
		}
		if ((what = member_check(m, v)) != NULL) {
			seterr(err, "%s: \"%s\" must be %s", ctl_type_name(type), key, what);
			return CTL_ESCHEMA;
		}
		have |= m;
	}
	if ((have & required[type]) != required[type]) {
		unsigned miss = required[type] & ~have;

		seterr(err, "%s: \"%s\" is required", ctl_type_name(type),
		       member_name(miss & -miss));
		return CTL_ESCHEMA;
	}
	return 0;
}

static void copy_member(const json_t *body, const char *name, char *out, size_t cap)
{
	const json_t *v = json_object_get(body, name);

	if (v != NULL && json_string_length(v) < cap)
		memcpy(out, json_string_value(v), json_string_length(v));
}

int ctl_req_get(unsigned type, const json_t *body, struct ctl_kill_req *out, char err[CTL_ERRLEN])
{
	const json_t *from;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ctl_request_check(type, body, err)) != 0)
		return rc;
	/* lengths checked above */
	copy_member(body, "who", out->ck_who, sizeof(out->ck_who));
	copy_member(body, "reason", out->ck_reason, sizeof(out->ck_reason));
	copy_member(body, "scope", out->ck_scope, sizeof(out->ck_scope));
	copy_member(body, "source", out->ck_source, sizeof(out->ck_source));
	copy_member(body, "parent", out->ck_parent, sizeof(out->ck_parent));
	if ((from = json_object_get(body, "from")) != NULL)
		out->ck_from = (int64_t)json_integer_value(from);
	return 0;
}

json_t *ctl_req_body(unsigned type, const struct ctl_kill_req *r)
{
	json_t *j = json_object();
	int bad = j == NULL;

	if (r->ck_who[0] != '\0')
		bad |= json_object_set_new(j, "who", json_string(r->ck_who));
	if (r->ck_reason[0] != '\0')
		bad |= json_object_set_new(j, "reason", json_string(r->ck_reason));
	if (r->ck_scope[0] != '\0')
		bad |= json_object_set_new(j, "scope", json_string(r->ck_scope));
	if (r->ck_source[0] != '\0')
		bad |= json_object_set_new(j, "source", json_string(r->ck_source));
	if (r->ck_parent[0] != '\0')
		bad |= json_object_set_new(j, "parent", json_string(r->ck_parent));
	if (r->ck_from > 0)
		bad |= json_object_set_new(j, "from", json_integer((json_int_t)r->ck_from));
	if (bad || ctl_request_check(type, j, NULL) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int ctl_kill_get(const json_t *body, struct ctl_kill_req *out, char err[CTL_ERRLEN])
{
	return ctl_req_get(CTL_T_KILL, body, out, err);
}

json_t *ctl_kill_body(const char *who, const char *reason)
{
	struct ctl_kill_req r;

	if (who == NULL || reason == NULL || strlen(who) > CTL_WHO_MAX ||
	    strlen(reason) > CTL_REASON_MAX)
		return NULL;
	memset(&r, 0, sizeof(r));
	memcpy(r.ck_who, who, strlen(who));
	memcpy(r.ck_reason, reason, strlen(reason));
	if (who[0] == '\0' || reason[0] == '\0')
		return NULL;
	return ctl_req_body(CTL_T_KILL, &r);
}

json_t *ctl_error_body(const char *name, const char *message)
{
	return json_pack("{s:s, s:s}", "error", name, "message", message);
}

int ctl_error_get(const json_t *body, const char **name, const char **message, char err[CTL_ERRLEN])
{
	json_t *n = json_object_get(body, "error"), *m = json_object_get(body, "message");

	if (!json_is_string(n) || !json_is_string(m)) {
		seterr(err, "error reply without \"error\" and \"message\" strings");
		return CTL_ESCHEMA;
	}
	*name = json_string_value(n);
	*message = json_string_value(m);
	return 0;
}

int ctl_reply_more(const json_t *body, bool *more, char err[CTL_ERRLEN])
{
	json_t *m = json_object_get(body, "more");

	*more = false;
	if (m == NULL)
		return 0;
	if (!json_is_boolean(m)) {
		seterr(err, "\"more\" must be true or false");
		return CTL_ESCHEMA;
	}
	*more = json_is_true(m);
	return 0;
}
