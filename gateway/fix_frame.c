/*
 * fix_frame.c - finding messages in a byte stream (FIX session spec,
 * "garbled messages").
 *
 * A message is accepted only when its first three fields are 8, 9 and 35,
 * its BodyLength puts "10=NNN<SOH>" exactly at its end and the CheckSum
 * matches. Anything else is garbled: the caller drops the bytes this returns
 * and calls again. Resynchronisation looks for the next "8=FIX" at a field
 * start; the bytes in between are never interpreted.
 */
#include "config.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fix.h"

static const char begin_pfx[] = "8=FIX.4.";
#define BEGIN_LEN   10 /* "8=FIX.4.x<SOH>" */
#define RESYNC      "8=FIX"
#define RESYNC_LEN  5
#define TRAILER_LEN 7 /* "10=NNN<SOH>" */

/* Returns true if s[0..len) and p[0..plen) agree on their common length. */
static bool prefix_ok(const char *s, size_t len, const char *p, size_t plen)
{
	size_t n = len < plen ? len : plen;

	return memcmp(s, p, n) == 0;
}

/*
 * The skip for a garbled message starting at buf[0]: walk the fields after
 * it, from SOH to SOH, to the first one that starts with "8=FIX" (or with a
 * prefix of it that runs to the end of the buffer). A field that has not
 * ended yet is kept: with nothing before it to drop, the answer is to wait
 * for its SOH (NEED_MORE). A field longer than max_msg is cut after max_msg
 * bytes, so nothing is buffered without bound. Every decision depends only
 * on the bytes, not on how they arrived, so the messages found later are the
 * same for every split of the stream into reads.
 */
static int resync(const char *buf, size_t len, size_t max_msg, size_t *n)
{
	size_t fs = 0; /* start of the field being walked */

	for (;;) {
		size_t span = len - fs < max_msg ? len - fs : max_msg;
		const char *soh = memchr(buf + fs, FIX_SOH, span);

		if (soh == NULL) {
			if (len - fs >= max_msg)
				fs += max_msg; /* an overlong field: cut it */
			*n = fs;
			return fs > 0 ? FIX_FRAME_GARBLED : FIX_FRAME_NEED_MORE;
		}
		fs = (size_t)(soh - buf) + 1;
		if (prefix_ok(buf + fs, len - fs, RESYNC, RESYNC_LEN)) {
			*n = fs;
			return FIX_FRAME_GARBLED;
		}
	}
}

static int garbled(const char *buf, size_t len, size_t max_msg, size_t *n, int *why, int reason)
{
	*why = reason;
	return resync(buf, len, max_msg, n);
}

/* Number of decimal digits of v. */
static size_t ndigits(size_t v)
{
	size_t k = 1;

	while (v >= 10) {
		v /= 10;
		k++;
	}
	return k;
}

unsigned fix_checksum(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	uint64_t sum = 0;
	size_t i = 0;

#ifdef __SSE2__
	/* psadbw against zero: two 16-bit sums of 8 bytes each per 16 bytes. */
	__m128i acc = _mm_setzero_si128(), zero = _mm_setzero_si128();

	for (; i + 16 <= len; i += 16)
		acc = _mm_add_epi64(acc,
		    _mm_sad_epu8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), zero));
	sum = (uint64_t)_mm_cvtsi128_si64(acc) +
	    (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
#endif
	for (; i < len; i++)
		sum += p[i];
	return (unsigned)(sum % 256);
}

int fix_frame(const char *buf, size_t len, size_t max_msg, size_t *n, int *why)
{
	size_t i, body_start, body_len, total, maxdig;
	unsigned sum, want;
	const char *t;

	if (buf == NULL || n == NULL || why == NULL || max_msg < FIX_FRAME_MIN)
		return FIX_EINVAL;
	*why = 0;
	*n = 0;

	/* BeginString: "8=FIX.4.2<SOH>" or "8=FIX.4.4<SOH>". */
	if (!prefix_ok(buf, len, begin_pfx, sizeof(begin_pfx) - 1))
		return garbled(buf, len, max_msg, n, why, FIX_EBEGIN);
	if (len > 8 && buf[8] != '2' && buf[8] != '4')
		return garbled(buf, len, max_msg, n, why, FIX_EBEGIN);
	if (len > 9 && buf[9] != FIX_SOH)
		return garbled(buf, len, max_msg, n, why, FIX_EBEGIN);
	if (len <= BEGIN_LEN)
		return FIX_FRAME_NEED_MORE;

	/* BodyLength: "9=" then digits without leading zero, then SOH. The
	 * digits are bounded by those of max_msg, so a long run is refused as
	 * soon as it is seen. */
	if (!prefix_ok(buf + BEGIN_LEN, len - BEGIN_LEN, "9=", 2))
		return garbled(buf, len, max_msg, n, why, FIX_EBODYLEN);
	maxdig = ndigits(max_msg);
	body_len = 0;
	for (i = BEGIN_LEN + 2; i < len && buf[i] != FIX_SOH; i++) {
		if (buf[i] < '0' || buf[i] > '9' ||
		    (i == BEGIN_LEN + 2 && buf[i] == '0' && i + 1 < len && buf[i + 1] != FIX_SOH))
			return garbled(buf, len, max_msg, n, why, FIX_EBODYLEN);
		if (i - (BEGIN_LEN + 2) >= maxdig)
			return garbled(buf, len, max_msg, n, why, FIX_ETOOBIG);
		body_len = body_len * 10 + (size_t)(buf[i] - '0');
	}
	if (i >= len)
		return FIX_FRAME_NEED_MORE; /* < BEGIN_LEN + 3 + maxdig bytes */
	if (i == BEGIN_LEN + 2)
		return garbled(buf, len, max_msg, n, why, FIX_EBODYLEN); /* "9=<SOH>" */
	body_start = i + 1;
	if (body_len > max_msg || body_start + body_len + TRAILER_LEN > max_msg)
		return garbled(buf, len, max_msg, n, why, FIX_ETOOBIG);
	total = body_start + body_len + TRAILER_LEN;

	/* MsgType third: checked as soon as its bytes are in, so that a stream
	 * of something else is refused before its BodyLength is buffered. */
	if (!prefix_ok(buf + body_start, len - body_start, "35=", 3))
		return garbled(buf, len, max_msg, n, why, FIX_EMSGTYPE);
	if (len < total)
		return FIX_FRAME_NEED_MORE;

	/* Trailer exactly where BodyLength says. */
	t = buf + body_start + body_len;
	if (memcmp(t, "10=", 3) != 0 || t[6] != FIX_SOH || t[3] < '0' || t[3] > '9' || t[4] < '0' ||
	    t[4] > '9' || t[5] < '0' || t[5] > '9' || t[-1] != FIX_SOH)
		return garbled(buf, len, max_msg, n, why, FIX_ETRAILER);

	/* From here the frame is intact: a bad MsgType or CheckSum drops it whole. */
	if (body_len < 5 || (t = memchr(buf + body_start + 3, FIX_SOH, body_len - 3)) == NULL ||
	    t == buf + body_start + 3) {
		*why = FIX_EMSGTYPE;
		*n = total;
		return FIX_FRAME_GARBLED;
	}
	sum = fix_checksum(buf, body_start + body_len);
	t = buf + body_start + body_len + 3;
	want = (unsigned)(t[0] - '0') * 100 + (unsigned)(t[1] - '0') * 10 + (unsigned)(t[2] - '0');
	if (want != sum % 256) {
		*why = FIX_ECHECKSUM;
		*n = total;
		return FIX_FRAME_GARBLED;
	}
	*n = total;
	return FIX_FRAME_MSG;
}
