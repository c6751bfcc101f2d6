/*
 * fuzz_fix.c - fuzz target for the FIX codec (gateway/fix.h).
 *
 * The input is a byte stream as a connection would deliver it. Invariants
 * checked (a violation aborts):
 *  - framing the stream in one buffer and framing it in a max_msg buffer fed
 *    in small, varying reads find the same messages at the same offsets;
 *    NEED_MORE never comes with a full max_msg buffer; every skip is >= 1;
 *  - every framed message has a valid CheckSum and BodyLength, and parses to
 *    0 or a session reject (never FIX_EFRAME);
 *  - a parsed message relays; the relayed message re-frames whole, re-parses,
 *    has the new header and the inbound body byte for byte minus the
 *    removed tags;
 *  - int, price and timestamp values found in the body survive a round trip
 *    through the builder and the accessors.
 * Random bytes rarely carry a right CheckSum, so the input is also repaired:
 * its header and trailer are replaced by a correct BodyLength and CheckSum
 * (repair()), and the result goes through the same checks as a message; this
 * is what lets the fuzzer reach the parser with mutated bodies.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define MAX_MSGS 4096
#define BIG_MSG  2048

static const int interpreted[] = {11, 38, 40, 41, 44, 54, 55, 1, 583};
static const struct fix_tags unique = {interpreted, sizeof(interpreted) / sizeof(interpreted[0])};
static const int removals[] = {583, 95};
static const struct fix_tags strip = {removals, 2};

struct found {
	size_t off, len;
};

/* Frames s[0..len) in one buffer; records the messages. */
static size_t frame_whole(const char *s, size_t len, size_t max_msg, struct found *out)
{
	size_t pos = 0, nmsg = 0, n;
	int why, rc;

	while (pos < len) {
		rc = fix_frame(s + pos, len - pos, max_msg, &n, &why);
		CHECK(rc >= 0);
		if (rc == FIX_FRAME_NEED_MORE) {
			CHECK(len - pos < max_msg && n == 0);
			break;
		}
		CHECK(n >= 1 && n <= len - pos);
		if (rc == FIX_FRAME_MSG) {
			CHECK(n <= max_msg);
			CHECK(nmsg < MAX_MSGS);
			out[nmsg].off = pos;
			out[nmsg++].len = n;
		} else {
			CHECK(rc == FIX_FRAME_GARBLED && why >= FIX_EBEGIN && why <= FIX_ECHECKSUM);
		}
		pos += n;
	}
	return nmsg;
}

/* Frames s[0..len) as a connection would: a max_msg input buffer filled by
 * reads of 1..17 bytes (a fixed pseudo-random sequence). */
static size_t frame_reads(const char *s, size_t len, size_t max_msg, struct found *out)
{
	static char buf[BIG_MSG];
	size_t have = 0, fed = 0, consumed = 0, nmsg = 0, n;
	uint32_t x = 0x9e3779b9u ^ (uint32_t)len;
	int why, rc;

	CHECK(max_msg <= sizeof(buf));
	for (;;) {
		rc = fix_frame(buf, have, max_msg, &n, &why);
		CHECK(rc >= 0);
		if (rc == FIX_FRAME_NEED_MORE) {
			size_t k;

			CHECK(have < max_msg);
			if (fed == len)
				break;
			x = x * 1103515245u + 12345u;
			k = 1 + (x >> 16) % 17;
			if (k > len - fed)
				k = len - fed;
			if (k > max_msg - have)
				k = max_msg - have;
			memcpy(buf + have, s + fed, k);
			have += k;
			fed += k;
			continue;
		}
		CHECK(n >= 1 && n <= have);
		if (rc == FIX_FRAME_MSG) {
			CHECK(nmsg < MAX_MSGS);
			out[nmsg].off = consumed;
			out[nmsg++].len = n;
		}
		memmove(buf, buf + n, have - n);
		have -= n;
		consumed += n;
	}
	return nmsg;
}

static void check_checksum(const char *m, size_t len)
{
	unsigned sum = 0, want;

	for (size_t i = 0; i < len - 7; i++)
		sum += (unsigned char)m[i];
	CHECK(memcmp(m + len - 7, "10=", 3) == 0);
	want = (unsigned)(m[len - 4] - '0') * 100 + (unsigned)(m[len - 3] - '0') * 10 +
	       (unsigned)(m[len - 2] - '0');
	CHECK(want == sum % 256);
}

static bool kept(const struct fix_msg *m, unsigned i)
{
	int tag = (int)m->fm_f[i].ff_tag;

	if (fix_tags_has(&strip, tag))
		return false;
	if (fix_tag_data_of(tag) != 0 && i + 1 < m->fm_trailer &&
	    m->fm_f[i + 1].ff_tag == (uint32_t)fix_tag_data_of(tag))
		return !fix_tags_has(&strip, fix_tag_data_of(tag));
	if (fix_tag_length_of(tag) != 0 && i > m->fm_body &&
	    m->fm_f[i - 1].ff_tag == (uint32_t)fix_tag_length_of(tag))
		return !fix_tags_has(&strip, fix_tag_length_of(tag));
	return true;
}

static bool field_eq(const struct fix_msg *a, unsigned i, const struct fix_msg *b, unsigned j)
{
	const struct fix_field *x = &a->fm_f[i], *y = &b->fm_f[j];

	return x->ff_tag == y->ff_tag && x->ff_len == y->ff_len &&
	       memcmp(a->fm_buf + x->ff_off, b->fm_buf + y->ff_off, x->ff_len) == 0;
}

static void check_relay(const struct fix_msg *in)
{
	static char out[BIG_MSG + 512];
	static struct fix_msg re;
	const struct fix_hdr h = {
	    "GW", "VENUE", 4242, INT64_C(1700000000123456789), true, INT64_C(1699999999000000000)};
	struct fix_reject rej;
	size_t len, n;
	unsigned j;
	int why, rc;

	rc = fix_relay(in, &h, &strip, out, sizeof(out), &len);
	CHECK(rc == 0);
	CHECK(fix_frame(out, len, sizeof(out), &n, &why) == FIX_FRAME_MSG && n == len);
	check_checksum(out, len);
	rc = fix_parse(&re, out, len, &unique, &rej);
	CHECK(rc == 0);
	CHECK(re.fm_version == in->fm_version && field_eq(in, 2, &re, 2));
	CHECK(re.fm_f[3].ff_tag == 49 && re.fm_f[4].ff_tag == 56 && re.fm_f[5].ff_tag == 34);
	j = re.fm_body;
	for (unsigned i = in->fm_body; i < in->fm_trailer; i++) {
		if (!kept(in, i))
			continue;
		CHECK(j < re.fm_trailer && field_eq(in, i, &re, j));
		j++;
	}
	CHECK(j == re.fm_trailer);
}

/* Typed values found in the body survive the builder and the accessors. */
static void check_values(const struct fix_msg *in)
{
	static char out[1024];
	static struct fix_msg re;
	enum { INT, PX, TIME } kind;
	struct fix_builder b;
	struct fix_reject rej;
	const struct fix_hdr h = {"A", "B", 1, 0, false, 0};
	int64_t v, w;
	size_t len;
	int rc;

	for (unsigned i = in->fm_body; i < in->fm_trailer && i < in->fm_body + 8; i++) {
		const struct fix_field *f = &in->fm_f[i];
		const char *s = in->fm_buf + f->ff_off;

		if (fix_int_parse(s, f->ff_len, &v) == 0)
			kind = INT;
		else if (fix_get_px(in, (int)f->ff_tag, &v) == 0 &&
		         fix_find(in, (int)f->ff_tag) == (int)i)
			kind = PX;
		else if (fix_time_parse(s, f->ff_len, &v) == 0)
			kind = TIME;
		else
			continue;
		CHECK(fix_build_begin(&b, out, sizeof(out), FIX_44, "D", 1) == 0);
		fix_add_header(&b, &h);
		if (kind == TIME) {
			fix_add_time(&b, 60, v);
		} else {
			fix_add_int(&b, 100, v);
			fix_add_px(&b, 44, v);
		}
		CHECK(fix_build_finish(&b, &len) == 0);
		rc = fix_parse(&re, out, len, &unique, &rej);
		CHECK(rc == 0);
		if (kind == TIME) {
			CHECK(fix_get_time(&re, 60, &w) == 0 && w == v - v % 1000000);
		} else {
			CHECK(fix_get_int(&re, 100, &w) == 0 && w == v);
			rc = fix_get_px(&re, 44, &w);
			CHECK(v < 0 ? rc == FIX_EFORMAT : rc == 0 && w == v);
			if (v >= 0 && v % 1000000 == 0) {
				/* a whole price is a quantity too */
				CHECK(fix_get_qty(&re, 44, &w) == 0 && w == v / 1000000);
			}
		}
	}
}

static void check_message(const char *s, size_t len)
{
	static struct fix_msg m;
	struct fix_reject rej;
	int rc;

	check_checksum(s, len);
	rc = fix_parse(&m, s, len, &unique, &rej);
	CHECK(rc == 0 || rc == FIX_EREJECT);
	if (rc != 0) {
		CHECK(rej.fr_reason >= 0 && rej.fr_reftag >= 0);
		return;
	}
	CHECK(m.fm_f[m.fm_nfields - 1].ff_tag == 10);
	CHECK(fix_msg_is_admin(&m) ==
	      (m.fm_f[2].ff_len == 1 && memchr("012345A", s[m.fm_f[2].ff_off], 7) != NULL));
	check_relay(&m);
	check_values(&m);
}

/*
 * Rewraps s as "8=FIX.4.x|9=<right>|<body>10=<right>|" into out: the body is
 * s without a leading "8=FIX.4.x|9=...|" and a trailing "10=...|", plus an
 * SOH if it does not end with one; the version is the input's (4.4 if none).
 * Returns the length, 0 if it does not fit.
 */
static size_t repair(const char *s, size_t len, char *out, size_t cap)
{
	const char *bs = "FIX.4.4";
	const char *body = s, *soh;
	size_t blen = len, n;
	unsigned sum = 0;
	bool add;

	if (len >= 12 && memcmp(s, "8=FIX.4.", 8) == 0 && (s[8] == '2' || s[8] == '4') &&
	    s[9] == FIX_SOH && memcmp(s + 10, "9=", 2) == 0 &&
	    (soh = memchr(s + 12, FIX_SOH, len - 12)) != NULL) {
		bs = s[8] == '2' ? "FIX.4.2" : "FIX.4.4";
		body = soh + 1;
		blen = len - (size_t)(body - s);
	}
	if (blen >= 8 && body[blen - 1] == FIX_SOH && memcmp(body + blen - 8, "\00110=", 4) == 0)
		blen -= 7;
	add = blen == 0 || body[blen - 1] != FIX_SOH; /* the SOH before "10=" */
	if (blen + 40 > cap)
		return 0;
	n = (size_t)snprintf(out, cap, "8=%s%c9=%zu%c", bs, FIX_SOH, blen + add, FIX_SOH);
	memcpy(out + n, body, blen);
	n += blen;
	if (add)
		out[n++] = FIX_SOH;
	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)out[i];
	n += (size_t)snprintf(out + n, cap - n, "10=%03u%c", sum % 256, FIX_SOH);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct found whole[MAX_MSGS], reads[MAX_MSGS];
	static char fixed[BIG_MSG];
	static const size_t max_msgs[] = {FIX_FRAME_MIN, BIG_MSG};
	const char *s = (const char *)data;
	size_t len, n;
	int why;

	if (size > 64 * 1024)
		return 0;
	for (size_t k = 0; k < 2; k++) {
		size_t nw = frame_whole(s, size, max_msgs[k], whole);
		size_t nr = frame_reads(s, size, max_msgs[k], reads);

		CHECK(nw == nr);
		for (size_t i = 0; i < nw; i++) {
			CHECK(whole[i].off == reads[i].off && whole[i].len == reads[i].len);
			if (k == 0)
				check_checksum(s + whole[i].off, whole[i].len);
			else
				check_message(s + whole[i].off, whole[i].len);
		}
	}

	/* The repaired input: framed whole unless MsgType is not third. */
	len = repair(s, size, fixed, sizeof(fixed));
	if (len > 0) {
		int rc = fix_frame(fixed, len, sizeof(fixed), &n, &why);

		if (rc == FIX_FRAME_MSG) {
			CHECK(n == len);
			check_message(fixed, len);
		} else {
			CHECK(rc == FIX_FRAME_GARBLED && why == FIX_EMSGTYPE);
		}
	}
	return 0;
}
