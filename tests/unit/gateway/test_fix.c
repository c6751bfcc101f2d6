/*
 * test_fix.c - the FIX codec (gateway/fix.h): framing, parsing and its
 * session-level rejects, accessors, builder, relay.
 *
 * Fixtures are written with '|' for SOH; mk() adds BodyLength and CheckSum,
 * computed here independently of the code under test.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fix.h"

#define MAXMSG 4096

/* ---- fixtures --------------------------------------------------------------------- */

/* Copies s into out with '|' turned into SOH; returns the length. */
static size_t soh(char *out, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == '|' ? FIX_SOH : s[i];
	return n;
}

static unsigned checksum(const char *s, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)s[i];
	return sum % 256;
}

/*
 * Writes "8=<bs>|9=<len>|<body>10=<sum>|" into out; body is '|'-separated
 * and ends with '|'. bodylen_delta and sum_delta spoil the message on
 * purpose. Returns the length.
 */
static size_t mk_spoilt(char *out, const char *bs, const char *body, int bodylen_delta,
                        int sum_delta)
{
	char b[MAXMSG];
	size_t bl = soh(b, body), n;

	n = (size_t)sprintf(out, "8=%s%c9=%d%c", bs, FIX_SOH, (int)bl + bodylen_delta, FIX_SOH);
	memcpy(out + n, b, bl);
	n += bl;
	n += (size_t)sprintf(out + n, "10=%03u%c", (checksum(out, n) + (unsigned)sum_delta) % 256,
	                     FIX_SOH);
	return n;
}

static size_t mk(char *out, const char *bs, const char *body)
{
	return mk_spoilt(out, bs, body, 0, 0);
}

/* Real messages: NewOrderSingle 4.2 and 4.4 (with a parties group and
 * ClOrdLinkID), ExecutionReport, Logon. */
#define HDR_ROUTER "49=ROUTER1|56=RISKGW|34=3|52=20240102-14:30:00.123|"
#define NOS42_BODY                                                                                 \
	"35=D|" HDR_ROUTER "11=ORD-0001|1=ACC1|21=1|55=IBM|54=1|60=20240102-14:30:00|38=100|"      \
	"40=2|44=101.25|59=0|5001=PARENT-7|"
#define NOS44_BODY                                                                                 \
	"35=D|49=ROUTER1|56=RISKGW|115=DESK|34=3|97=N|52=20240102-14:30:00.123|"                   \
	"11=ORD-0002|583=PARENT-7|1=ACC1|453=2|448=DESK1|447=D|452=1|448=TRADER9|447=D|452=11|"    \
	"55=MSFT|54=2|60=20240102-14:30:00.500|38=250|40=2|44=402.5|59=0|"
#define ER44_BODY                                                                                  \
	"35=8|49=VENUEA|56=RISKGW|34=8|52=20240102-14:30:01.001|37=V-2|17=E-2|150=F|39=2|"         \
	"11=ORD-0002|55=MSFT|54=2|38=250|32=250|31=402.5|151=0|14=250|6=402.5|"
#define LOGON42_BODY "35=A|" HDR_ROUTER "98=0|108=30|"

static const int interpreted[] = {11, 38, 40, 41, 44, 54, 55, 1, 583};
static const struct fix_tags unique = {interpreted, 9};

/* Parses out[0..n) and returns the rc; the reject goes to *rej. */
static int parse(struct fix_msg *m, const char *buf, size_t n, struct fix_reject *rej)
{
	return fix_parse(m, buf, n, &unique, rej);
}

/* Parses a '|' body built with mk() and expects a reject (reason, reftag). */
static void expect_reject(const char *bs, const char *body, int reason, int reftag)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	size_t n = mk(buf, bs, body), k;
	int why;

	/* The framing is fine: the reject is the parser's. */
	assert_int_equal(fix_frame(buf, n, MAXMSG, &k, &why), FIX_FRAME_MSG);
	assert_int_equal(parse(&m, buf, n, &rej), FIX_EREJECT);
	assert_int_equal(rej.fr_reason, reason);
	assert_int_equal(rej.fr_reftag, reftag);
}

static void expect_ok(const char *bs, const char *body)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	size_t n = mk(buf, bs, body);

	assert_int_equal(parse(&m, buf, n, &rej), 0);
}

/* ---- framing ---------------------------------------------------------------------- */

static void test_frame_one_two_and_a_half(void **state)
{
	char buf[3 * MAXMSG];
	size_t a, b, c, len, n;
	int why;

	(void)state;
	a = mk(buf, "FIX.4.2", NOS42_BODY);
	b = mk(buf + a, "FIX.4.4", NOS44_BODY);
	c = mk(buf + a + b, "FIX.4.4", ER44_BODY);
	len = a + b + c / 2;

	assert_int_equal(fix_frame(buf, len, MAXMSG, &n, &why), FIX_FRAME_MSG);
	assert_int_equal(n, a);
	assert_int_equal(fix_frame(buf + a, len - a, MAXMSG, &n, &why), FIX_FRAME_MSG);
	assert_int_equal(n, b);
	assert_int_equal(fix_frame(buf + a + b, len - a - b, MAXMSG, &n, &why),
	                 FIX_FRAME_NEED_MORE);
	assert_int_equal(n, 0);
	/* The rest arrives. */
	assert_int_equal(fix_frame(buf + a + b, c, MAXMSG, &n, &why), FIX_FRAME_MSG);
	assert_int_equal(n, c);
}

static void test_frame_byte_by_byte(void **state)
{
	char buf[3 * MAXMSG];
	size_t ends[3], len, start = 0, found = 0, n;
	int why, rc;

	(void)state;
	len = mk(buf, "FIX.4.2", LOGON42_BODY);
	ends[0] = len;
	len += mk(buf + len, "FIX.4.4", NOS44_BODY);
	ends[1] = len;
	len += mk(buf + len, "FIX.4.4", ER44_BODY);
	ends[2] = len;

	/* The buffer grows one byte at a time; a message is reported exactly
	 * when its last byte is in, never earlier, never garbled. */
	for (size_t have = 1; have <= len; have++) {
		rc = fix_frame(buf + start, have - start, MAXMSG, &n, &why);
		if (found < 3 && have == ends[found]) {
			assert_int_equal(rc, FIX_FRAME_MSG);
			assert_int_equal(start + n, ends[found]);
			start += n;
			found++;
		} else {
			assert_int_equal(rc, FIX_FRAME_NEED_MORE);
		}
	}
	assert_int_equal(found, 3);
}

static void test_frame_bad_checksum(void **state)
{
	char buf[2 * MAXMSG];
	size_t a, b, n;
	int why;

	(void)state;
	a = mk_spoilt(buf, "FIX.4.4", ER44_BODY, 0, 1);
	b = mk(buf + a, "FIX.4.4", ER44_BODY);
	assert_int_equal(fix_frame(buf, a + b, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_ECHECKSUM);
	assert_int_equal(n, a); /* the whole message, framed by its BodyLength */
	assert_int_equal(fix_frame(buf + a, b, MAXMSG, &n, &why), FIX_FRAME_MSG);
	assert_int_equal(n, b);

	/* A CheckSum that is not three digits is no trailer at all. */
	a = mk(buf, "FIX.4.4", ER44_BODY);
	buf[a - 2] = 'x';
	assert_int_equal(fix_frame(buf, a, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_ETRAILER);
}

static void test_frame_body_length_short_and_long(void **state)
{
	char buf[2 * MAXMSG];
	size_t a, b, n;
	int why;

	(void)state;
	/* Short: "10=" is not where BodyLength says; resync at the next "8=FIX". */
	a = mk_spoilt(buf, "FIX.4.4", ER44_BODY, -3, 0);
	b = mk(buf + a, "FIX.4.2", NOS42_BODY);
	assert_int_equal(fix_frame(buf, a + b, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_ETRAILER);
	assert_int_equal(n, a);
	assert_int_equal(fix_frame(buf + a, b, MAXMSG, &n, &why), FIX_FRAME_MSG);

	/* Long: alone, it waits for the bytes it claims... */
	a = mk_spoilt(buf, "FIX.4.4", ER44_BODY, 5, 0);
	assert_int_equal(fix_frame(buf, a, MAXMSG, &n, &why), FIX_FRAME_NEED_MORE);
	/* ...and once the next message is there, it is garbled and the next
	 * message is found intact. */
	b = mk(buf + a, "FIX.4.2", NOS42_BODY);
	assert_int_equal(fix_frame(buf, a + b, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_ETRAILER);
	assert_int_equal(n, a);
	assert_int_equal(fix_frame(buf + a, b, MAXMSG, &n, &why), FIX_FRAME_MSG);
	assert_int_equal(n, b);
}

static void test_frame_field_order(void **state)
{
	static const struct {
		const char *text; /* a whole message, '|' for SOH, no valid 10 needed */
		int why;
	} cases[] = {
	    {"9=5|8=FIX.4.2|35=0|10=000|", FIX_EBEGIN},
	    {"35=0|8=FIX.4.2|9=5|10=000|", FIX_EBEGIN},
	    {"8=FIX.4.2|35=0|9=5|10=000|", FIX_EBODYLEN},
	    {"8=FIX.4.2|9=11|49=A|35=0|10=000|", FIX_EMSGTYPE},
	    {"8=FIX.4.3|9=5|35=0|10=000|", FIX_EBEGIN},
	    {"8=FIXT.1.1|9=5|35=0|10=000|", FIX_EBEGIN},
	    {"8=FIX.4.2x|9=5|35=0|10=000|", FIX_EBEGIN},
	    {"8=FIX.4.2|9=05|35=0|10=000|", FIX_EBODYLEN},
	    {"8=FIX.4.2|9=|35=0|10=000|", FIX_EBODYLEN},
	    {"8=FIX.4.2|9=-5|35=0|10=000|", FIX_EBODYLEN},
	    {"8=FIX.4.2|9=5a|35=0|10=000|", FIX_EBODYLEN},
	    {"8=FIX.4.2|9= 5|35=0|10=000|", FIX_EBODYLEN},
	    {"8=FIX.4.2|9=12345678901234567890|35=0|10=000|", FIX_ETOOBIG},
	};
	char buf[MAXMSG];
	size_t a, b, n;
	int why;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t pos = 0;
		int rc;

		a = soh(buf, cases[i].text);
		b = mk(buf + a, "FIX.4.4", ER44_BODY);
		assert_int_equal(fix_frame(buf, a + b, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
		assert_int_equal(why, cases[i].why);
		/* The skips (an "8=FIX" at a field start inside the garbage is
		 * tried too) land on the next message, which is found whole. */
		do {
			pos += n;
			rc = fix_frame(buf + pos, a + b - pos, MAXMSG, &n, &why);
		} while (rc == FIX_FRAME_GARBLED);
		assert_int_equal(rc, FIX_FRAME_MSG);
		assert_int_equal(pos, a);
		assert_int_equal(n, b);
	}

	/* Intact frame, but "35=" with no value: dropped whole. */
	a = mk(buf, "FIX.4.2", "35=|49=A|");
	assert_int_equal(fix_frame(buf, a, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_EMSGTYPE);
	assert_int_equal(n, a);
}

static void test_frame_resync_after_garbage(void **state)
{
	char buf[MAXMSG];
	size_t g, b, n, pos = 0;
	int why, rc, garbled = 0;

	(void)state;
	/* "8=FIX" in the middle of a field is not a resync point, nor is a
	 * field that only starts like one. */
	g = soh(buf, "junk|more junk 8=FIX.4.2|9=5|x=8=FIX|80=8|8=FIZ|");
	b = mk(buf + g, "FIX.4.2", NOS42_BODY);
	while ((rc = fix_frame(buf + pos, g + b - pos, MAXMSG, &n, &why)) == FIX_FRAME_GARBLED) {
		assert_int_equal(why, FIX_EBEGIN);
		pos += n;
		garbled++;
	}
	assert_int_equal(rc, FIX_FRAME_MSG);
	assert_int_equal(pos, g);
	assert_int_equal(n, b);
	assert_int_equal(garbled, 1); /* one skip, straight to the message */

	/* Garbage with no SOH yet: wait for its end (bounded by max_msg). */
	assert_int_equal(fix_frame("hello", 5, MAXMSG, &n, &why), FIX_FRAME_NEED_MORE);
	/* A field start that may become "8=FIX" is kept. */
	g = soh(buf, "junk|8=FI");
	assert_int_equal(fix_frame(buf, g, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(n, 5);
}

static void test_frame_max_size(void **state)
{
	char buf[2 * MAXMSG], body[MAXMSG];
	size_t a, n, max;
	int why;

	(void)state;
	/* A message of exactly max_msg bytes passes; one more byte does not. */
	a = mk(buf, "FIX.4.4", ER44_BODY);
	assert_int_equal(fix_frame(buf, a, a, &n, &why), FIX_FRAME_MSG);
	assert_int_equal(n, a);
	assert_int_equal(fix_frame(buf, a, a - 1, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_ETOOBIG);

	/* An absurd BodyLength is refused from the header alone: the body is
	 * never buffered. */
	a = soh(buf, "8=FIX.4.4|9=99999999|35=D|");
	assert_int_equal(fix_frame(buf, a, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_ETOOBIG);
	a = soh(buf, "8=FIX.4.4|9=99999");
	assert_int_equal(fix_frame(buf, a, MAXMSG, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(why, FIX_ETOOBIG);

	/* A big message just within max. */
	memset(body, 'x', sizeof(body));
	memcpy(body, "35=0|58=", 8);
	max = 1000;
	a = mk(buf, "FIX.4.4", "35=0|");
	body[8 + (max - a) - 6] = '\0';
	strcat(body, "|");
	a = mk(buf, "FIX.4.4", body);
	assert_int_equal(a, max);
	assert_int_equal(fix_frame(buf, a, max, &n, &why), FIX_FRAME_MSG);
	assert_int_equal(fix_frame(buf, a, max - 1, &n, &why), FIX_FRAME_GARBLED);

	/* A field with no SOH for max_msg bytes is cut: nothing waits forever. */
	memset(buf, 'y', 200);
	assert_int_equal(fix_frame(buf, 199, 200, &n, &why), FIX_FRAME_NEED_MORE);
	assert_int_equal(fix_frame(buf, 200, 200, &n, &why), FIX_FRAME_GARBLED);
	assert_int_equal(n, 200);
}

static void test_frame_arguments(void **state)
{
	size_t n;
	int why;

	(void)state;
	assert_int_equal(fix_frame("8", 1, FIX_FRAME_MIN - 1, &n, &why), FIX_EINVAL);
	assert_int_equal(fix_frame(NULL, 0, MAXMSG, &n, &why), FIX_EINVAL);
	assert_int_equal(fix_frame("", 0, MAXMSG, &n, &why), FIX_FRAME_NEED_MORE);
	assert_string_equal(fix_strerror(FIX_ECHECKSUM), "garbled: CheckSum mismatch");
}

/* ---- parsing ---------------------------------------------------------------------- */

static void test_parse_new_order_44(void **state)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	const char *v;
	size_t n = mk(buf, "FIX.4.4", NOS44_BODY), vl;
	int64_t x;
	char c;

	(void)state;
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(m.fm_version, FIX_44);
	assert_int_equal(m.fm_nfields, 27);
	assert_int_equal(m.fm_body, 9); /* 8 9 35 49 56 115 34 97 52 */
	assert_int_equal(m.fm_f[m.fm_body].ff_tag, 11);
	assert_int_equal(m.fm_trailer, 26);
	assert_int_equal(m.fm_f[26].ff_tag, 10);
	assert_false(fix_msg_is_admin(&m));

	assert_int_equal(fix_get_str(&m, 583, &v, &vl), 0);
	assert_int_equal(vl, 8);
	assert_memory_equal(v, "PARENT-7", 8);
	assert_int_equal(fix_get_str(&m, 448, &v, &vl), 0); /* the first occurrence */
	assert_memory_equal(v, "DESK1", 5);
	assert_int_equal(fix_get_qty(&m, 38, &x), 0);
	assert_int_equal(x, 250);
	assert_int_equal(fix_get_px(&m, 44, &x), 0);
	assert_int_equal(x, INT64_C(402500000));
	assert_int_equal(fix_get_char(&m, 54, &c), 0);
	assert_int_equal(c, '2');
	assert_int_equal(fix_get_int(&m, 34, &x), 0);
	assert_int_equal(x, 3);
	assert_int_equal(fix_get_time(&m, 52, &x), 0);
	assert_int_equal(x, INT64_C(1704205800123000000));
	assert_int_equal(fix_get_str(&m, 58, &v, &vl), FIX_ENOTFOUND);
	assert_int_equal(fix_get_int(&m, 58, &x), FIX_ENOTFOUND);
}

static void test_parse_fix42_and_admin(void **state)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	size_t n;
	int64_t x;

	(void)state;
	n = mk(buf, "FIX.4.2", LOGON42_BODY);
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(m.fm_version, FIX_42);
	assert_true(fix_msg_is_admin(&m));
	assert_int_equal(fix_get_int(&m, 108, &x), 0);
	assert_int_equal(x, 30);
	/* No body tags but trailer: the body is empty. */
	n = mk(buf, "FIX.4.2", "35=0|" HDR_ROUTER);
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(m.fm_body, m.fm_trailer);

	n = mk(buf, "FIX.4.2", NOS42_BODY);
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(fix_get_px(&m, 44, &x), 0);
	assert_int_equal(x, INT64_C(101250000));

	assert_true(fix_msgtype_is_admin("A", 1));
	assert_true(fix_msgtype_is_admin("5", 1));
	assert_false(fix_msgtype_is_admin("D", 1));
	assert_false(fix_msgtype_is_admin("8", 1));
	assert_false(fix_msgtype_is_admin("AB", 2));
	assert_false(fix_msgtype_is_admin("", 0));
}

static void test_parse_invalid_tag(void **state)
{
	(void)state;
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "abc=1|", FIX_R_INVALID_TAG, 0);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "0=1|", FIX_R_INVALID_TAG, 0);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "058=x|", FIX_R_INVALID_TAG, 0);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "1000000=x|", FIX_R_INVALID_TAG, 0);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "58x|", FIX_R_INVALID_TAG, 0);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "=x|", FIX_R_INVALID_TAG, 0);
	expect_ok("FIX.4.4", "35=0|" HDR_ROUTER "999999=x|");
}

static void test_parse_no_value_and_missing(void **state)
{
	(void)state;
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "58=|", FIX_R_NO_VALUE, 58);
	expect_reject("FIX.4.4", "35=0|49=A|56=B|34=1|", FIX_R_REQUIRED_MISSING, 52);
	expect_reject("FIX.4.4", "35=0|56=B|34=1|52=20240102-14:30:00|", FIX_R_REQUIRED_MISSING,
	              49);
	expect_reject("FIX.4.4", "35=0|49=A|56=B|52=20240102-14:30:00|", FIX_R_REQUIRED_MISSING,
	              34);
	expect_reject("FIX.4.4", "35=0|49=A|34=1|52=20240102-14:30:00|", FIX_R_REQUIRED_MISSING,
	              56);
}

static void test_parse_values(void **state)
{
	(void)state;
	expect_reject("FIX.4.4", "35=0|49=A|56=B|34=0|52=20240102-14:30:00|", FIX_R_VALUE_INCORRECT,
	              34);
	expect_reject("FIX.4.4", "35=0|49=A|56=B|34=x1|52=20240102-14:30:00|", FIX_R_FORMAT, 34);
	expect_reject("FIX.4.4", "35=0|49=A|56=B|34=-1|52=20240102-14:30:00|", FIX_R_FORMAT, 34);
	expect_reject("FIX.4.4", "35=0|49=A|56=B|34=1|52=2024-01-02 14:30:00|", FIX_R_FORMAT, 52);
	expect_reject("FIX.4.4", "35=0|49=A|56=B|34=1|52=20240230-14:30:00|", FIX_R_FORMAT, 52);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "43=X|", FIX_R_VALUE_INCORRECT, 43);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "97=yes|", FIX_R_VALUE_INCORRECT, 97);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "43=Y|122=yesterday|", FIX_R_FORMAT, 122);
	expect_ok("FIX.4.4", "35=0|" HDR_ROUTER "43=Y|122=20240102-14:29:00.000|");
}

static void test_parse_msgtype(void **state)
{
	(void)state;
	expect_reject("FIX.4.4", "35=ZZ|" HDR_ROUTER, FIX_R_INVALID_MSGTYPE, 35);
	expect_reject("FIX.4.4", "35=I|" HDR_ROUTER, FIX_R_INVALID_MSGTYPE, 35);
	expect_reject("FIX.4.4", "35=BI|" HDR_ROUTER, FIX_R_INVALID_MSGTYPE, 35);
	/* 4.4-only types are refused on a 4.2 session. */
	expect_reject("FIX.4.2", "35=AE|" HDR_ROUTER, FIX_R_INVALID_MSGTYPE, 35);
	expect_reject("FIX.4.2", "35=q|" HDR_ROUTER, FIX_R_INVALID_MSGTYPE, 35);
	expect_ok("FIX.4.4", "35=AE|" HDR_ROUTER);
	expect_ok("FIX.4.4", "35=q|" HDR_ROUTER);
	expect_ok("FIX.4.2", "35=j|" HDR_ROUTER);
	expect_ok("FIX.4.2", "35=U7|" HDR_ROUTER); /* user-defined */
}

static void test_parse_duplicates(void **state)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	size_t n;
	int64_t x;

	(void)state;
	/* Header and trailer tags never repeat. */
	expect_reject("FIX.4.4", "35=0|49=A|56=B|49=A|34=1|52=20240102-14:30:00|", FIX_R_DUPLICATE,
	              49);
	expect_reject("FIX.4.4", "35=0|35=0|" HDR_ROUTER, FIX_R_DUPLICATE, 35);
	expect_reject("FIX.4.4", "35=0|" HDR_ROUTER "58=x|93=1|89=a|93=1|89=b|", FIX_R_DUPLICATE,
	              93);
	/* An interpreted body tag twice: a second quantity is not passed. */
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=A|38=10|55=X|38=1000000|", FIX_R_DUPLICATE,
	              38);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "583=P1|11=A|583=P2|", FIX_R_DUPLICATE, 583);
	/* Other body tags may repeat (groups): parties, and hops in the header. */
	expect_ok("FIX.4.4", NOS44_BODY);
	expect_ok("FIX.4.4", "35=0|49=A|56=B|34=1|52=20240102-14:30:00|627=2|628=H1|629="
	                     "20240102-14:30:00|628=H2|629=20240102-14:30:00|");
	/* Without the caller's set, 38 twice is a group member like any. */
	n = mk(buf, "FIX.4.4", "35=D|" HDR_ROUTER "11=A|38=10|55=X|38=1000000|");
	assert_int_equal(fix_parse(&m, buf, n, NULL, &rej), 0);
	/* On a reject, what was read is there for the 35=3 answer (RefSeqNum). */
	assert_int_equal(parse(&m, buf, n, &rej), FIX_EREJECT);
	assert_int_equal(fix_get_int(&m, 34, &x), 0);
	assert_int_equal(x, 3);
}

static void test_parse_order(void **state)
{
	(void)state;
	expect_reject("FIX.4.4", "35=D|49=A|56=B|11=X|34=1|52=20240102-14:30:00|",
	              FIX_R_OUT_OF_ORDER, 34);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|93=1|89=a|55=IBM|", FIX_R_OUT_OF_ORDER,
	              55);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|8=FIX.4.4|", FIX_R_OUT_OF_ORDER, 8);
	expect_ok("FIX.4.4", "35=D|" HDR_ROUTER "11=X|93=3|89=abc|");
}

static void test_parse_data_fields(void **state)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	const char *v;
	size_t n, vl;

	(void)state;
	/* RawData holds SOH and "=": its length says where it ends. */
	n = mk(buf, "FIX.4.4", "35=D|" HDR_ROUTER "11=X|95=10|96=ab|=cd|10=|55=IBM|");
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(fix_get_str(&m, 96, &v, &vl), 0);
	assert_int_equal(vl, 10);
	assert_memory_equal(v, "ab\001=cd\00110=", 10);
	assert_int_equal(fix_find(&m, 55), (int)m.fm_trailer - 1);

	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|96=ab|", FIX_R_REQUIRED_MISSING, 95);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|95=2|55=X|", FIX_R_REQUIRED_MISSING, 96);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|95=3|96=ab|", FIX_R_VALUE_INCORRECT, 95);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|95=02|96=ab|", FIX_R_FORMAT, 95);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|95=0|96=|", FIX_R_NO_VALUE, 96);
	expect_reject("FIX.4.4", "35=D|" HDR_ROUTER "11=X|95=4|96=ab|55=X|", FIX_R_VALUE_INCORRECT,
	              95);
	/* A length that would swallow the CheckSum field is refused. */
	n = mk(buf, "FIX.4.4", "35=D|" HDR_ROUTER "11=X|95=10|96=a|");
	assert_int_equal(parse(&m, buf, n, &rej), FIX_EREJECT);
	assert_int_equal(rej.fr_reason, FIX_R_VALUE_INCORRECT);
	assert_int_equal(rej.fr_reftag, 95);
}

static void test_parse_capacity_and_frame(void **state)
{
	static struct fix_msg m;
	static char body[16 * FIX_MAX_FIELDS], buf[16 * FIX_MAX_FIELDS + 64];
	struct fix_reject rej;
	size_t n, k;

	(void)state;
	/* FIX_MAX_FIELDS fields fit, one more is a reject (99). */
	k = (size_t)sprintf(body, "35=0|" HDR_ROUTER);
	for (int i = 0; i < FIX_MAX_FIELDS - 8; i++) /* + 8 9 35 49 56 34 52 10 */
		k += (size_t)sprintf(body + k, "58=x|");
	n = mk(buf, "FIX.4.4", body);
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(m.fm_nfields, FIX_MAX_FIELDS);
	sprintf(body + k, "58=x|");
	n = mk(buf, "FIX.4.4", body);
	assert_int_equal(parse(&m, buf, n, &rej), FIX_EREJECT);
	assert_int_equal(rej.fr_reason, FIX_R_OTHER);

	/* Not a framed message. */
	n = soh(buf, "35=0|8=FIX.4.4|9=5|10=000|");
	assert_int_equal(parse(&m, buf, n, &rej), FIX_EFRAME);
	n = soh(buf, "8=FIX.4.4|9=5|35=0|49=A");
	assert_int_equal(parse(&m, buf, n, &rej), FIX_EFRAME);
	n = soh(buf, "8=FIX.4.3|9=5|35=0|10=000|");
	assert_int_equal(parse(&m, buf, n, &rej), FIX_EFRAME);
	assert_int_equal(fix_parse(&m, buf, n, NULL, NULL), FIX_EINVAL);
}

/* ---- accessors -------------------------------------------------------------------- */

static void test_get_int_edges(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} cases[] = {
	    {"0", 0, 0},
	    {"-0", 0, 0},
	    {"007", 0, 7},
	    {"9223372036854775807", 0, INT64_MAX},
	    {"-9223372036854775808", 0, INT64_MIN},
	    {"9223372036854775808", FIX_ERANGE, 0},
	    {"-9223372036854775809", FIX_ERANGE, 0},
	    {"99999999999999999999", FIX_ERANGE, 0},
	    {"+1", FIX_EFORMAT, 0},
	    {" 1", FIX_EFORMAT, 0},
	    {"1 ", FIX_EFORMAT, 0},
	    {"-", FIX_EFORMAT, 0},
	    {"--1", FIX_EFORMAT, 0},
	    {"1.0", FIX_EFORMAT, 0},
	    {"0x10", FIX_EFORMAT, 0},
	    {"1e3", FIX_EFORMAT, 0},
	};
	static struct fix_msg m;
	char body[256], buf[MAXMSG];
	struct fix_reject rej;
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;

		snprintf(body, sizeof(body), "35=D|" HDR_ROUTER "110=%s|", cases[i].s);
		n = mk(buf, "FIX.4.4", body);
		assert_int_equal(parse(&m, buf, n, &rej), 0);
		v = 12345;
		assert_int_equal(fix_get_int(&m, 110, &v), cases[i].rc);
		assert_int_equal(v, cases[i].rc == 0 ? cases[i].v : 12345);
	}
}

static void test_get_char_bool_px(void **state)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	size_t n;
	int64_t v;
	char c;
	bool b;

	(void)state;
	n = mk(buf, "FIX.4.4",
	       "35=D|" HDR_ROUTER "54=12|59=0|44=0.000001|45=1.0000001|46=-1|47=1e3|48= 1|"
	       "99=9223372036854.775807|100=9223372036854.775808|114=Y|121=y|");
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(fix_get_char(&m, 54, &c), FIX_EFORMAT);
	assert_int_equal(fix_get_char(&m, 59, &c), 0);
	assert_int_equal(c, '0');
	assert_int_equal(fix_get_px(&m, 44, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(fix_get_px(&m, 45, &v), FIX_EFORMAT); /* 7 decimals: not rounded */
	assert_int_equal(fix_get_px(&m, 46, &v), FIX_EFORMAT);
	assert_int_equal(fix_get_px(&m, 47, &v), FIX_EFORMAT);
	assert_int_equal(fix_get_px(&m, 48, &v), FIX_EFORMAT);
	assert_int_equal(fix_get_px(&m, 99, &v), 0);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(fix_get_px(&m, 100, &v), FIX_ERANGE);
	assert_int_equal(fix_get_bool(&m, 114, &b), 0);
	assert_true(b);
	assert_int_equal(fix_get_bool(&m, 121, &b), FIX_EFORMAT);
}

static void test_time(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} cases[] = {
	    {"19700101-00:00:00", 0, 0},
	    {"20240102-14:30:00", 0, INT64_C(1704205800000000000)},
	    {"20240102-14:30:00.123", 0, INT64_C(1704205800123000000)},
	    {"20240102-14:30:00.123456", 0, INT64_C(1704205800123456000)},
	    {"20240102-14:30:00.123456789", 0, INT64_C(1704205800123456789)},
	    {"20240229-00:00:00", 0, INT64_C(1709164800000000000)},
	    {"20161231-23:59:60", 0, INT64_C(1483228800000000000)}, /* leap second */
	    {"22611231-23:59:59", 0, INT64_C(9214646399000000000)},
	    {"22620101-00:00:00", FIX_ERANGE, 0},
	    {"19691231-23:59:59", FIX_ERANGE, 0},
	    {"20230229-00:00:00", FIX_EFORMAT, 0},
	    {"20241301-00:00:00", FIX_EFORMAT, 0},
	    {"20240100-00:00:00", FIX_EFORMAT, 0},
	    {"20240102-24:00:00", FIX_EFORMAT, 0},
	    {"20240102-14:60:00", FIX_EFORMAT, 0},
	    {"20240102-14:30:61", FIX_EFORMAT, 0},
	    {"20240102-14:30:00.", FIX_EFORMAT, 0},
	    {"20240102-14:30:00.12", FIX_EFORMAT, 0},
	    {"20240102-14:30:00.1234", FIX_EFORMAT, 0},
	    {"20240102-14:30:00.123456789012", FIX_EFORMAT, 0},
	    {"20240102 14:30:00", FIX_EFORMAT, 0},
	    {"2024010-14:30:00", FIX_EFORMAT, 0},
	    {"20240102-14:30:0a", FIX_EFORMAT, 0},
	    {"20240102-14:30", FIX_EFORMAT, 0},
	};
	char out[FIX_TIME_LEN];
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -1;
		assert_int_equal(fix_time_parse(cases[i].s, strlen(cases[i].s), &v), cases[i].rc);
		assert_true(v == (cases[i].rc == 0 ? cases[i].v : -1));
	}
	assert_int_equal(fix_time_format(INT64_C(1704205800123987654), out), 0);
	assert_memory_equal(out, "20240102-14:30:00.123", FIX_TIME_LEN);
	assert_int_equal(fix_time_format(INT64_C(1709164800000000000), out), 0);
	assert_memory_equal(out, "20240229-00:00:00.000", FIX_TIME_LEN);
	assert_int_equal(fix_time_format(INT64_MAX, out), 0);
	assert_memory_equal(out, "22620411-23:47:16.854", FIX_TIME_LEN);
	assert_int_equal(fix_time_format(-1, out), FIX_ERANGE);
}

/* ---- building --------------------------------------------------------------------- */

static const struct fix_hdr gw_hdr = {"RISKGW", "VENUEA", 77, INT64_C(1704205801002999999),
                                      false,    0};

static void test_build_exact(void **state)
{
	char out[MAXMSG], want[MAXMSG];
	struct fix_builder b;
	size_t n, wn;

	(void)state;
	assert_int_equal(fix_build_begin(&b, out, sizeof(out), FIX_42, "D", 1), 0);
	assert_int_equal(fix_add_header(&b, &gw_hdr), 0);
	assert_int_equal(fix_add_str(&b, 11, "ORD-0001", 8), 0);
	assert_int_equal(fix_add_char(&b, 54, '1'), 0);
	assert_int_equal(fix_add_int(&b, 38, 100), 0);
	assert_int_equal(fix_add_px(&b, 44, INT64_C(101500000)), 0);
	assert_int_equal(fix_add_px(&b, 99, INT64_C(7000000)), 0);
	assert_int_equal(fix_add_int(&b, 5002, INT64_MIN), 0);
	assert_int_equal(fix_add_int(&b, 5003, 0), 0);
	assert_int_equal(fix_add_time(&b, 60, INT64_C(1704205800000999999)), 0);
	assert_int_equal(fix_add_raw(&b, "58=a\001", 5), 0);
	assert_int_equal(fix_build_finish(&b, &n), 0);

	wn = mk(want, "FIX.4.2",
	        "35=D|49=RISKGW|56=VENUEA|34=77|52=20240102-14:30:01.002|11=ORD-0001|54=1|38=100|"
	        "44=101.5|99=7|5002=-9223372036854775808|5003=0|60=20240102-14:30:00.000|58=a|");
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);

	/* PossDup header, and 4.4. */
	struct fix_hdr h = gw_hdr;
	h.fh_possdup = true;
	h.fh_orig_ns = INT64_C(1704205700000000000);
	assert_int_equal(fix_build_begin(&b, out, sizeof(out), FIX_44, "0", 1), 0);
	fix_add_header(&b, &h);
	assert_int_equal(fix_build_finish(&b, &n), 0);
	wn = mk(want, "FIX.4.4",
	        "35=0|49=RISKGW|56=VENUEA|34=77|43=Y|52=20240102-14:30:01.002|"
	        "122=20240102-14:28:20.000|");
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);
}

/* Builds the same small message into buf[0..cap); returns finish's rc. */
static int build_small(char *buf, size_t cap, size_t *n)
{
	struct fix_builder b;

	fix_build_begin(&b, buf, cap, FIX_44, "8", 1);
	fix_add_header(&b, &gw_hdr);
	fix_add_str(&b, 58, "some text", 9);
	fix_add_raw(&b, "11=A\00155=IBM\001", 12);
	fix_add_px(&b, 44, INT64_C(1500000));
	return fix_build_finish(&b, n);
}

static void test_build_overflow(void **state)
{
	char out[MAXMSG];
	struct fix_builder b;
	size_t n, full, k;

	(void)state;
	assert_int_equal(build_small(out, sizeof(out), &full), 0);

	/* Every smaller buffer fails cleanly; the exact size works. Each is
	 * malloc'ed at its size, so that ASan sees any write past it. */
	for (size_t cap = 0; cap <= full; cap++) {
		char *small = malloc(cap > 0 ? cap : 1);

		k = 12345;
		if (cap < full) {
			assert_int_equal(build_small(small, cap, &k), FIX_ENOSPC);
			assert_int_equal(k, 12345);
		} else {
			assert_int_equal(build_small(small, cap, &k), 0);
			assert_int_equal(k, full);
			assert_memory_equal(small, out, full);
		}
		free(small);
	}
	/* Finished: no more fields. */
	fix_build_begin(&b, out, sizeof(out), FIX_44, "0", 1);
	fix_add_header(&b, &gw_hdr);
	assert_int_equal(fix_build_finish(&b, &n), 0);
	assert_int_equal(fix_add_str(&b, 58, "x", 1), FIX_EINVAL);
	assert_int_equal(fix_build_finish(&b, &n), FIX_EINVAL);
}

static void test_build_invalid(void **state)
{
	char out[MAXMSG];
	struct fix_builder b;
	struct fix_hdr h = gw_hdr;
	size_t n;

	(void)state;
	assert_int_equal(fix_build_begin(&b, out, sizeof(out), FIX_44, "ZZ", 2), FIX_EINVAL);
	assert_int_equal(fix_build_begin(&b, out, sizeof(out), (enum fix_version)3, "D", 1),
	                 FIX_EINVAL);
	static const int bad_tags[] = {0, -1, 8, 9, 10, 35, 1000000};
	for (size_t i = 0; i < sizeof(bad_tags) / sizeof(bad_tags[0]); i++) {
		fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
		assert_int_equal(fix_add_str(&b, bad_tags[i], "x", 1), FIX_EINVAL);
		/* The error sticks. */
		assert_int_equal(fix_add_str(&b, 58, "x", 1), FIX_EINVAL);
		assert_int_equal(fix_build_finish(&b, &n), FIX_EINVAL);
	}
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	assert_int_equal(fix_add_str(&b, 58, "", 0), FIX_EINVAL);
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	assert_int_equal(fix_add_str(&b, 58, "a\001b", 3), FIX_EINVAL);
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	assert_int_equal(fix_add_char(&b, 54, FIX_SOH), FIX_EINVAL);
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	assert_int_equal(fix_add_raw(&b, "58=a", 4), FIX_EINVAL);
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	assert_int_equal(fix_add_time(&b, 60, -1), FIX_ERANGE);
	h.fh_sender = "";
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	assert_int_equal(fix_add_header(&b, &h), FIX_EINVAL);
	h = gw_hdr;
	h.fh_seq = 0;
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	assert_int_equal(fix_add_header(&b, &h), FIX_EINVAL);
}

static void test_round_trip(void **state)
{
	static struct fix_msg m;
	char out[MAXMSG];
	struct fix_builder b;
	struct fix_reject rej;
	size_t n, k;
	int64_t v;
	int why;

	(void)state;
	fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1);
	fix_add_header(&b, &gw_hdr);
	fix_add_str(&b, 11, "C1", 2);
	fix_add_str(&b, 583, "PARENT-7", 8);
	fix_add_int(&b, 38, 250);
	fix_add_px(&b, 44, INT64_C(402500001));
	fix_add_time(&b, 60, INT64_C(1704205800123999999));
	assert_int_equal(fix_build_finish(&b, &n), 0);

	assert_int_equal(fix_frame(out, n, MAXMSG, &k, &why), FIX_FRAME_MSG);
	assert_int_equal(k, n);
	assert_int_equal(parse(&m, out, n, &rej), 0);
	assert_int_equal(fix_get_int(&m, 34, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(fix_get_px(&m, 44, &v), 0);
	assert_int_equal(v, INT64_C(402500001));
	assert_int_equal(fix_get_time(&m, 60, &v), 0);
	assert_int_equal(v, INT64_C(1704205800123000000));
	assert_int_equal(fix_get_time(&m, 52, &v), 0);
	assert_int_equal(v, INT64_C(1704205801002000000));
}

/* ---- relay ------------------------------------------------------------------------ */

static void test_relay(void **state)
{
	static struct fix_msg in;
	static const int strip[] = {583};
	const struct fix_tags remove = {strip, 1};
	char buf[MAXMSG], out[MAXMSG], want[MAXMSG];
	struct fix_reject rej;
	size_t n, wn;

	(void)state;
	/* Inbound from a router: OnBehalfOf (115) and PossResend (97) in the
	 * header, a parties group and the parent tag in the body, a signature
	 * in the trailer. */
	n = mk(buf, "FIX.4.4", NOS44_BODY "93=3|89=s|g|");
	assert_int_equal(parse(&in, buf, n, &rej), 0);
	assert_int_equal(fix_relay(&in, &gw_hdr, &remove, out, sizeof(out), &n), 0);
	wn = mk(want, "FIX.4.4",
	        "35=D|49=RISKGW|56=VENUEA|34=77|52=20240102-14:30:01.002|"
	        "11=ORD-0002|1=ACC1|453=2|448=DESK1|447=D|452=1|448=TRADER9|447=D|452=11|"
	        "55=MSFT|54=2|60=20240102-14:30:00.500|38=250|40=2|44=402.5|59=0|");
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);

	/* Nothing removed: the body is the inbound body byte for byte. */
	assert_int_equal(fix_relay(&in, &gw_hdr, NULL, out, sizeof(out), &n), 0);
	{
		const char *b0 = buf + in.fm_f[in.fm_body].ff_off - 3;    /* "11=" */
		const char *b1 = buf + in.fm_f[in.fm_trailer].ff_off - 3; /* "93=" */
		const char *o0 = (const char *)memmem(out, n, "\00111=", 4) + 1;

		assert_int_equal(n - (size_t)(o0 - out) - 7, (size_t)(b1 - b0));
		assert_memory_equal(o0, b0, (size_t)(b1 - b0));
	}

	/* Resend: PossDupFlag and OrigSendingTime. */
	struct fix_hdr h = gw_hdr;
	h.fh_possdup = true;
	h.fh_orig_ns = INT64_C(1704205700000000000);
	n = mk(buf, "FIX.4.2", "35=F|" HDR_ROUTER "41=A|11=B|55=IBM|54=1|38=5|");
	assert_int_equal(parse(&in, buf, n, &rej), 0);
	assert_int_equal(fix_relay(&in, &h, &remove, out, sizeof(out), &n), 0);
	wn = mk(want, "FIX.4.2",
	        "35=F|49=RISKGW|56=VENUEA|34=77|43=Y|52=20240102-14:30:01.002|"
	        "122=20240102-14:28:20.000|41=A|11=B|55=IBM|54=1|38=5|");
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);

	/* Too small an output buffer: an error, never part of a message. */
	assert_int_equal(fix_relay(&in, &h, &remove, out, wn - 1, &n), FIX_ENOSPC);
}

static void test_relay_data_pair(void **state)
{
	static struct fix_msg in;
	static const int strip[] = {95, 5001};
	const struct fix_tags remove = {strip, 2};
	char buf[MAXMSG], out[MAXMSG], want[MAXMSG];
	struct fix_reject rej;
	size_t n, wn;

	(void)state;
	/* Removing RawDataLength removes RawData with it, SOH and all. */
	n = mk(buf, "FIX.4.2", "35=D|" HDR_ROUTER "11=X|95=3|96=a|b|5001=P|55=IBM|");
	assert_int_equal(parse(&in, buf, n, &rej), 0);
	assert_int_equal(fix_relay(&in, &gw_hdr, &remove, out, sizeof(out), &n), 0);
	wn = mk(want, "FIX.4.2",
	        "35=D|49=RISKGW|56=VENUEA|34=77|52=20240102-14:30:01.002|"
	        "11=X|55=IBM|");
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);

	/* And removing RawData removes its length. */
	static const int strip_data[] = {96};
	const struct fix_tags remove_data = {strip_data, 1};
	assert_int_equal(fix_relay(&in, &gw_hdr, &remove_data, out, sizeof(out), &n), 0);
	wn = mk(want, "FIX.4.2",
	        "35=D|49=RISKGW|56=VENUEA|34=77|52=20240102-14:30:01.002|11=X|5001=P|55=IBM|");
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);
}

/* ---- fix_checksum and the tag index --------------------------------------------------- */

/* The vector sum against the bytewise one, every length 0..300 at every
 * alignment 0..15, bytes of every value (high bit set included). */
static void test_checksum_lengths(void **state)
{
	static unsigned char buf[320];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 151u + 7u);
	for (size_t al = 0; al < 16; al++)
		for (size_t n = 0; n + al <= 300; n++)
			assert_int_equal(fix_checksum((const char *)buf + al, n),
			    checksum((const char *)buf + al, n));
	memset(buf, 0xff, sizeof(buf)); /* the largest sums */
	assert_int_equal(fix_checksum((const char *)buf, sizeof(buf)),
	    checksum((const char *)buf, sizeof(buf)));
}

/* fix_find() through the index (tags < FIX_FIRST_TAGS) and by scan agree
 * with a linear walk for every tag of a message with repeating groups, and
 * an absent tag is -1 also after a message that had it. */
static void test_find_index(void **state)
{
	static struct fix_msg m;
	char buf[MAXMSG];
	struct fix_reject rej;
	size_t n = mk(buf, "FIX.4.4", NOS44_BODY);

	(void)state;
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	for (int tag = 1; tag < 1100; tag++) {
		int want = -1;

		for (unsigned i = 0; i < m.fm_nfields; i++)
			if (m.fm_f[i].ff_tag == (uint32_t)tag) {
				want = (int)i;
				break;
			}
		assert_int_equal(fix_find(&m, tag), want);
	}
	assert_int_equal(fix_find(&m, 448), 13); /* first of the group's two */
	assert_int_equal(fix_find(&m, 10), (int)m.fm_nfields - 1);
	n = mk(buf, "FIX.4.2", NOS42_BODY); /* no 115, 97, 453 */
	assert_int_equal(parse(&m, buf, n, &rej), 0);
	assert_int_equal(fix_find(&m, 115), -1);
	assert_int_equal(fix_find(&m, 97), -1);
	assert_int_equal(fix_find(&m, 0), -1);
	assert_int_equal(fix_find(&m, -5), -1);
	assert_int_equal(fix_find(&m, 5001), (int)m.fm_body + 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_one_two_and_a_half),
	    cmocka_unit_test(test_frame_byte_by_byte),
	    cmocka_unit_test(test_frame_bad_checksum),
	    cmocka_unit_test(test_frame_body_length_short_and_long),
	    cmocka_unit_test(test_frame_field_order),
	    cmocka_unit_test(test_frame_resync_after_garbage),
	    cmocka_unit_test(test_frame_max_size),
	    cmocka_unit_test(test_frame_arguments),
	    cmocka_unit_test(test_parse_new_order_44),
	    cmocka_unit_test(test_parse_fix42_and_admin),
	    cmocka_unit_test(test_parse_invalid_tag),
	    cmocka_unit_test(test_parse_no_value_and_missing),
	    cmocka_unit_test(test_parse_values),
	    cmocka_unit_test(test_parse_msgtype),
	    cmocka_unit_test(test_parse_duplicates),
	    cmocka_unit_test(test_parse_order),
	    cmocka_unit_test(test_parse_data_fields),
	    cmocka_unit_test(test_parse_capacity_and_frame),
	    cmocka_unit_test(test_get_int_edges),
	    cmocka_unit_test(test_get_char_bool_px),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_build_exact),
	    cmocka_unit_test(test_build_overflow),
	    cmocka_unit_test(test_build_invalid),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_relay),
	    cmocka_unit_test(test_relay_data_pair),
	    cmocka_unit_test(test_checksum_lengths),
	    cmocka_unit_test(test_find_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
