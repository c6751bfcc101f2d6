/*
 * test_ctl_proto.c - the control socket's wire protocol (gateway/ctl_proto.h):
 * header layout, round trips, every decoding error, request schemas, and a
 * deterministic fuzz-like loop over random, truncated and mutated inputs.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_proto.h"

static unsigned char *msg(unsigned type, uint32_t id, const char *payload, size_t *len)
{
	size_t n = payload ? strlen(payload) : 0;
	unsigned char *b = malloc(CTL_HDR_LEN + n + 1);

	assert_non_null(b);
	ctl_hdr_put(b, type, (uint32_t)n, id);
	if (n)
		memcpy(b + CTL_HDR_LEN, payload, n);
	*len = CTL_HDR_LEN + n;
	return b;
}

static void test_header_layout(void **state)
{
	unsigned char h[CTL_HDR_LEN];
	static const unsigned char want[CTL_HDR_LEN] = {'R', 'G', 'C', 'T', 0,    1,    0x80, 0x05,
	                                                0,   1,   0,   2,   0xde, 0xad, 0xbe, 0xef};
	struct ctl_hdr hd;

	(void)state;
	ctl_hdr_put(h, CTL_T_KILL | CTL_T_REPLY, 0x10002, 0xdeadbeef);
	assert_memory_equal(h, want, CTL_HDR_LEN);
	assert_int_equal(ctl_hdr_get(h, CTL_MAX_PAYLOAD, &hd, NULL), 0);
	assert_int_equal(hd.h_type, CTL_T_KILL | CTL_T_REPLY);
	assert_int_equal(hd.h_len, 0x10002);
	assert_int_equal(hd.h_id, 0xdeadbeef);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_type_name(CTL_T_STATUS), "status");
	assert_string_equal(ctl_type_name(CTL_T_PARENTS | CTL_T_REPLY), "parents-reply");
	assert_string_equal(ctl_type_name(CTL_T_ERROR), "error");
	assert_string_equal(ctl_type_name(0), "unknown");
	assert_string_equal(ctl_type_name(CTL_T_RESET_APPROVE), "reset-approve");
	assert_string_equal(ctl_type_name(CTL_T_METRICS | CTL_T_REPLY), "metrics-reply");
	assert_string_equal(ctl_type_name(CTL_T_LAST + 1), "unknown");
	assert_string_equal(ctl_type_name(CTL_T_REPLY), "unknown");
	assert_string_equal(ctl_type_name(CTL_T_REPLY | (CTL_T_LAST + 1)), "unknown");
	assert_false(ctl_type_valid(0));
	assert_true(ctl_type_valid(CTL_T_COUNTERS | CTL_T_REPLY));
	assert_string_equal(ctl_strerror(CTL_ETRAILING),
	                    "trailing bytes after the control message");
	assert_string_equal(ctl_strerror(-ENOMEM), strerror(ENOMEM));
	assert_string_equal(ctl_strerror(CTL_ELAST), "unknown error");
}

static void test_round_trip(void **state)
{
	json_t *body = json_pack("{s:s, s:i, s:[i,i], s:b}", "name", "caf\xc3\xa9", "n",
	                         (json_int_t)-5, "list", 1, 2, "more", 1);
	struct ctl_msg m;
	void *buf;
	size_t len;
	bool more;
	char err[CTL_ERRLEN];

	(void)state;
	assert_int_equal(ctl_encode(CTL_T_PARENTS | CTL_T_REPLY, 77, body, &buf, &len, err), 0);
	assert_int_equal(ctl_decode(buf, len, CTL_MAX_PAYLOAD, &m, err), 0);
	assert_int_equal(m.cm_type, CTL_T_PARENTS | CTL_T_REPLY);
	assert_int_equal(m.cm_id, 77);
	assert_true(json_equal(m.cm_body, body));
	assert_int_equal(ctl_reply_more(m.cm_body, &more, err), 0);
	assert_true(more);
	ctl_msg_clear(&m);
	assert_null(m.cm_body);
	free(buf);

	/* no body and an empty body: an empty payload, decoded as {} */
	assert_int_equal(ctl_encode(CTL_T_STATUS, 1, NULL, &buf, &len, err), 0);
	assert_int_equal(len, CTL_HDR_LEN);
	assert_int_equal(ctl_decode(buf, len, CTL_MAX_REQUEST, &m, err), 0);
	assert_int_equal(json_object_size(m.cm_body), 0);
	assert_int_equal(ctl_request_check(m.cm_type, m.cm_body, err), 0);
	ctl_msg_clear(&m);
	free(buf);
	json_decref(body);
}

static void test_encode_errors(void **state)
{
	json_t *arr = json_array(), *big = json_object(), *obj = json_object();
	char *s = malloc(CTL_MAX_PAYLOAD + 1);
	unsigned char small[20];
	size_t len;
	void *buf;
	char err[CTL_ERRLEN];

	(void)state;
	assert_int_equal(ctl_encode(99, 1, NULL, &buf, &len, err), CTL_ETYPE);
	assert_null(buf);
	assert_int_equal(ctl_encode(CTL_T_STATUS, 1, arr, &buf, &len, err), CTL_EJSON);
	memset(s, 'x', CTL_MAX_PAYLOAD);
	s[CTL_MAX_PAYLOAD] = '\0';
	json_object_set_new(big, "x", json_string(s));
	assert_int_equal(ctl_encode(CTL_T_STATUS | CTL_T_REPLY, 1, big, &buf, &len, err),
	                 CTL_ETOOBIG);
	assert_non_null(strstr(err, "above the 1048576-byte cap"));
	json_object_set_new(obj, "a", json_string("bcd"));
	/* {"a":"bcd"} is 11 bytes: 27 in all */
	assert_int_equal(ctl_encode_into(CTL_T_STATUS, 1, obj, small, sizeof(small), &len, err),
	                 -ENOBUFS);
	assert_int_equal(len, 27);
	free(s);
	json_decref(arr);
	json_decref(big);
	json_decref(obj);
}

#define DECODE_FAILS(buf, len, cap, code, text)                                                    \
	do {                                                                                       \
		struct ctl_msg m_;                                                                 \
		char e_[CTL_ERRLEN] = "";                                                          \
		int rc_ = ctl_decode((buf), (len), (cap), &m_, e_);                                \
		if (rc_ != (code) || strstr(e_, (text)) == NULL)                                   \
			fail_msg("decode: got %d (%s), want %d with '%s'", rc_, e_, (code),        \
			         (text));                                                          \
		assert_null(m_.cm_body);                                                           \
	} while (0)

static void test_decode_errors(void **state)
{
	unsigned char *b;
	size_t len;

	(void)state;
	b = msg(CTL_T_STATUS, 1, "{}", &len);
	b[0] = 'X';
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EMAGIC, "bad magic");
	free(b);

	b = msg(CTL_T_STATUS, 1, "{}", &len);
	b[5] = 2;
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EVERSION, "protocol version 2");
	free(b);

	b = msg(42, 1, "{}", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_ETYPE, "unknown message type 42");
	free(b);

	b = msg(CTL_T_STATUS, 1, "{}", &len);
	ctl_hdr_put(b, CTL_T_STATUS, CTL_MAX_PAYLOAD + 1, 1);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_ETOOBIG, "above the 1048576-byte cap");
	ctl_hdr_put(b, CTL_T_STATUS, CTL_MAX_REQUEST + 1, 1);
	DECODE_FAILS(b, len, CTL_MAX_REQUEST, CTL_ETOOBIG, "above the 65536-byte cap");
	free(b);

	b = msg(CTL_T_STATUS, 1, "{\"a\":1}", &len);
	DECODE_FAILS(b, len - 1, CTL_MAX_PAYLOAD, CTL_ETRUNC, "6 payload bytes of 7");
	DECODE_FAILS(b, 3, CTL_MAX_PAYLOAD, CTL_ETRUNC, "shorter than the 16-byte header");
	DECODE_FAILS(b, 0, CTL_MAX_PAYLOAD, CTL_ETRUNC, "shorter");
	free(b);

	/* a whole message and a byte more */
	b = msg(CTL_T_STATUS, 1, "{}x", &len);
	ctl_hdr_put(b, CTL_T_STATUS, 2, 1);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_ETRAILING, "1 bytes after its 2-byte payload");
	free(b);

	/* trailing bytes inside the payload, even whitespace */
	b = msg(CTL_T_STATUS, 1, "{} ", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_ETRAILING, "1 bytes after its JSON object");
	free(b);
	b = msg(CTL_T_STATUS, 1, "{}{}", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_ETRAILING, "2 bytes after");
	free(b);

	b = msg(CTL_T_STATUS, 1, " {}", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EJSON, "does not start with '{'");
	free(b);
	b = msg(CTL_T_STATUS, 1, "[1]", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EJSON, "does not start");
	free(b);
	b = msg(CTL_T_STATUS, 1, "{\"a\":1,\"a\":2}", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EJSON, "duplicate object key");
	free(b);
	b = msg(CTL_T_STATUS, 1, "{\"a\":", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EJSON, "payload:");
	free(b);
	b = msg(CTL_T_STATUS, 1, "{\"a\":\"\\u0000\"}", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EJSON, "not allowed");
	free(b);
	b = msg(CTL_T_STATUS, 1, "{\"a\":\"\xff\"}", &len);
	DECODE_FAILS(b, len, CTL_MAX_PAYLOAD, CTL_EJSON, "payload:");
	free(b);
}

static void test_frame(void **state)
{
	unsigned char *b;
	size_t len, total, i;
	struct ctl_hdr h;
	char err[CTL_ERRLEN];

	(void)state;
	b = msg(CTL_T_KILL, 9, "{\"who\":\"a\",\"reason\":\"b\"}", &len);
	for (i = 0; i < len; i++)
		assert_int_equal(ctl_frame(b, i, CTL_MAX_REQUEST, &h, &total, err), CTL_NEED_MORE);
	assert_int_equal(ctl_frame(b, len, CTL_MAX_REQUEST, &h, &total, err), 0);
	assert_int_equal(total, len);
	assert_int_equal(h.h_id, 9);
	/* a bad header is refused as soon as it is whole, before its payload */
	ctl_hdr_put(b, CTL_T_KILL, 1u << 30, 9);
	assert_int_equal(ctl_frame(b, CTL_HDR_LEN, CTL_MAX_REQUEST, &h, &total, err), CTL_ETOOBIG);
	free(b);
}

static void test_request_schemas(void **state)
{
	json_t *j;
	struct ctl_kill_req k;
	char err[CTL_ERRLEN], who[CTL_WHO_MAX + 2], reason[CTL_REASON_MAX + 2];
	int t;

	(void)state;
	j = json_object();
	for (t = CTL_T_FIRST; t <= CTL_T_LAST; t++)
		assert_int_equal(ctl_request_check((unsigned)t, j, err),
		                 (t >= CTL_T_KILL && t <= CTL_T_RELEASE) ? CTL_ESCHEMA : 0);
	assert_non_null(strstr(err, "\"who\" is required"));
	assert_int_equal(ctl_request_check(CTL_T_STATUS | CTL_T_REPLY, j, err), CTL_ETYPE);
	json_object_set_new(j, "verbose", json_true());
	assert_int_equal(ctl_request_check(CTL_T_STATUS, j, err), CTL_ESCHEMA);
	assert_non_null(strstr(err, "status: unknown member \"verbose\""));
	json_decref(j);

	j = ctl_kill_body("alice", "fat finger on desk 3");
	assert_non_null(j);
	assert_int_equal(ctl_kill_get(j, &k, err), 0);
	assert_string_equal(k.ck_who, "alice");
	assert_string_equal(k.ck_reason, "fat finger on desk 3");
	json_object_set_new(j, "extra", json_integer(1));
	assert_int_equal(ctl_kill_get(j, &k, err), CTL_ESCHEMA);
	json_decref(j);

	j = json_pack("{s:s}", "who", "alice");
	assert_int_equal(ctl_kill_get(j, &k, err), CTL_ESCHEMA);
	assert_non_null(strstr(err, "\"reason\" is required"));
	json_decref(j);
	j = json_pack("{s:i, s:s}", "who", 1, "reason", "x");
	assert_int_equal(ctl_request_check(CTL_T_KILL, j, err), CTL_ESCHEMA);
	json_decref(j);

	/* who: no spaces, 1..64; reason: no control characters, 1..256 */
	assert_null(ctl_kill_body("al ice", "x"));
	assert_null(ctl_kill_body("", "x"));
	assert_null(ctl_kill_body("alice", ""));
	assert_null(ctl_kill_body("alice", "line\nbreak"));
	memset(who, 'w', sizeof(who));
	who[CTL_WHO_MAX] = '\0';
	memset(reason, 'r', sizeof(reason));
	reason[CTL_REASON_MAX] = '\0';
	j = ctl_kill_body(who, reason);
	assert_non_null(j);
	assert_int_equal(ctl_kill_get(j, &k, err), 0);
	assert_int_equal(strlen(k.ck_who), CTL_WHO_MAX);
	assert_int_equal(strlen(k.ck_reason), CTL_REASON_MAX);
	json_decref(j);
	who[CTL_WHO_MAX] = 'w';
	who[CTL_WHO_MAX + 1] = '\0';
	assert_null(ctl_kill_body(who, "x"));
	reason[CTL_REASON_MAX] = 'r';
	reason[CTL_REASON_MAX + 1] = '\0';
	assert_null(ctl_kill_body("alice", reason));
	/* the kill switch's other requests */
	j = json_pack("{s:s, s:s, s:s}", "who", "bob", "reason", "drill", "scope", "route:r1");
	assert_int_equal(ctl_req_get(CTL_T_KILL, j, &k, err), 0);
	assert_string_equal(k.ck_scope, "route:r1");
	assert_int_equal(ctl_req_get(CTL_T_RESET_REQUEST, j, &k, err), 0);
	assert_int_equal(ctl_req_get(CTL_T_RESET_APPROVE, j, &k, err), CTL_ESCHEMA);
	assert_non_null(strstr(err, "reset-approve: unknown member \"reason\""));
	json_decref(j);
	j = json_pack("{s:s, s:s}", "who", "bob", "scope", "route r1");
	assert_int_equal(ctl_req_get(CTL_T_RESET_APPROVE, j, &k, err), CTL_ESCHEMA);
	assert_non_null(strstr(err, "\"scope\" must be"));
	json_decref(j);
	j = json_pack("{s:s, s:s, s:s}", "who", "bob", "reason", "x", "source", "gpio");
	assert_int_equal(ctl_req_get(CTL_T_KILL, j, &k, err), CTL_ESCHEMA);
	json_decref(j);
	j = json_pack("{s:s, s:s}", "who", "bob", "reason", "limits raised");
	assert_int_equal(ctl_req_get(CTL_T_RELEASE, j, &k, err), CTL_ESCHEMA);
	assert_non_null(strstr(err, "\"parent\" is required"));
	json_decref(j);
	j = json_pack("{s:I}", "from", (json_int_t)0);
	assert_int_equal(ctl_req_get(CTL_T_KILL_LOG, j, &k, err), CTL_ESCHEMA);
	json_decref(j);
	memset(&k, 0, sizeof(k));
	k.ck_from = 7;
	j = ctl_req_body(CTL_T_KILL_LOG, &k);
	assert_non_null(j);
	assert_int_equal(ctl_req_get(CTL_T_KILL_LOG, j, &k, err), 0);
	assert_true(k.ck_from == 7);
	json_decref(j);
	strcpy(k.ck_who, "bob"); /* not a member of KILL_LOG */
	assert_null(ctl_req_body(CTL_T_KILL_LOG, &k));

	/* a NUL inside a string built by a caller */
	j = json_pack("{s:s%, s:s}", "who", "a\0b", (size_t)3, "reason", "x");
	assert_int_equal(ctl_request_check(CTL_T_KILL, j, err), CTL_ESCHEMA);
	json_decref(j);
}

static void test_reply_bodies(void **state)
{
	json_t *j = ctl_error_body("permission", "uid 65534 may not use the control socket");
	const char *name, *text;
	bool more = true;
	char err[CTL_ERRLEN];

	(void)state;
	assert_int_equal(ctl_error_get(j, &name, &text, err), 0);
	assert_string_equal(name, "permission");
	assert_string_equal(text, "uid 65534 may not use the control socket");
	assert_int_equal(ctl_reply_more(j, &more, err), 0);
	assert_false(more);
	json_object_set_new(j, "more", json_string("yes"));
	assert_int_equal(ctl_reply_more(j, &more, err), CTL_ESCHEMA);
	json_object_del(j, "message");
	assert_int_equal(ctl_error_get(j, &name, &text, err), CTL_ESCHEMA);
	json_decref(j);
}

/* xorshift64*: a fixed seed, so every run sees the same inputs. */
static uint64_t rnd_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * UINT64_C(2685821657736338717);
}

/* Decodes buf every way a receiver would; checks the invariants. */
static int decode_all_ways(const unsigned char *buf, size_t len)
{
	struct ctl_msg m;
	struct ctl_hdr h;
	size_t total = 0;
	char err[CTL_ERRLEN];
	int rc = ctl_decode(buf, len, CTL_MAX_PAYLOAD, &m, err), frc;

	frc = ctl_frame(buf, len, CTL_MAX_PAYLOAD, &h, &total, err);
	if (rc == 0) {
		/* a whole message: frames whole, re-encodes to an equal message */
		void *out;
		size_t olen;
		struct ctl_msg m2;

		assert_int_equal(frc, 0);
		assert_int_equal(total, len);
		assert_non_null(m.cm_body);
		assert_true(json_is_object(m.cm_body));
		assert_int_equal(ctl_encode(m.cm_type, m.cm_id, m.cm_body, &out, &olen, err), 0);
		assert_int_equal(ctl_decode(out, olen, CTL_MAX_PAYLOAD, &m2, err), 0);
		assert_true(json_equal(m.cm_body, m2.cm_body));
		if (ctl_request_check(m.cm_type, m.cm_body, err) == 0 && m.cm_type == CTL_T_KILL) {
			struct ctl_kill_req k;

			assert_int_equal(ctl_kill_get(m.cm_body, &k, err), 0);
		}
		ctl_msg_clear(&m2);
		ctl_msg_clear(&m);
		free(out);
	} else {
		assert_true(rc >= CTL_EBASE && rc < CTL_ELAST);
		assert_null(m.cm_body);
		assert_true(frc != 0 || total != len || rc == CTL_EJSON || rc == CTL_ETRAILING);
	}
	return rc;
}

static void test_fuzz_loop(void **state)
{
	static const char *const payloads[] = {
	    "",
	    "{}",
	    "{\"who\":\"ops\",\"reason\":\"drill\"}",
	    "{\"parents\":[{\"parent\":\"P1\",\"open_qty\":100}],\"more\":true}",
	    "{\"error\":\"bad_request\",\"message\":\"x\"}",
	    "{\"a\":[1,2,{\"b\":null}]}"};
	unsigned char buf[256];
	int i, ok = 0, bad = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		const char *p = payloads[rnd() % (sizeof(payloads) / sizeof(payloads[0]))];
		size_t n = strlen(p), len = CTL_HDR_LEN + n, j, cut;
		unsigned types[] = {CTL_T_STATUS, CTL_T_KILL, CTL_T_PARENTS | CTL_T_REPLY,
		                    CTL_T_ERROR, (unsigned)(rnd() & 0xffff)};

		ctl_hdr_put(buf, types[rnd() % 5], (uint32_t)n, (uint32_t)rnd());
		memcpy(buf + CTL_HDR_LEN, p, n);
		switch (rnd() % 4) {
		case 0: /* mutate a few bytes */
			for (j = rnd() % 4; j > 0; j--)
				buf[rnd() % len] = (unsigned char)rnd();
			break;
		case 1: /* truncate: never whole */
			cut = rnd() % len;
			assert_int_not_equal(decode_all_ways(buf, cut), 0);
			continue;
		case 2: /* random bytes */
			len = rnd() % sizeof(buf);
			for (j = 0; j < len; j++)
				buf[j] = (unsigned char)rnd();
			break;
		default: /* intact, or with bytes appended */
			if (rnd() % 2 && decode_all_ways(buf, len) == 0) {
				/* a whole message and one byte more */
				buf[len] = (unsigned char)rnd();
				len++;
				assert_int_equal(decode_all_ways(buf, len), CTL_ETRAILING);
				continue;
			}
			break;
		}
		if (decode_all_ways(buf, len) == 0)
			ok++;
		else
			bad++;
	}
	assert_true(ok > 1000);
	assert_true(bad > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_layout),   cmocka_unit_test(test_type_names),
	    cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_encode_errors),
	    cmocka_unit_test(test_decode_errors),   cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_request_schemas), cmocka_unit_test(test_reply_bodies),
	    cmocka_unit_test(test_fuzz_loop),
	};

	return cmocka_run_group_tests_name("ctl_proto", tests, NULL, NULL);
}
