/*
 * fix_build.c - writing messages into a caller-owned buffer, and the relay.
 *
 * Room for "9=<digits of the capacity><SOH>" is reserved after BeginString;
 * finish() writes the real BodyLength and moves the body down over the
 * unused part, so that BodyLength is minimal and the message starts at the
 * buffer's first byte. The move costs one memmove of the body; it keeps every
 * caller's view simple (the message is buf[0..len)).
 */
#include "config.h"

#include <string.h>

#include "fix.h"
#include "fixed.h"

#define BEGIN_LEN   10 /* "8=FIX.4.x<SOH>" */
#define TRAILER_LEN 7

/* Writes v in decimal at p (room for 20 bytes); returns the length. */
static size_t put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t k = 0, n = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (k > 0)
		p[n++] = tmp[--k];
	return n;
}

static size_t ndigits(uint64_t v)
{
	char tmp[20];

	return put_u64(tmp, v);
}

static int fail(struct fix_builder *b, int err)
{
	if (b->fb_err == 0)
		b->fb_err = err;
	return b->fb_err;
}

/* Appends len bytes, or fails with FIX_ENOSPC. */
static int put(struct fix_builder *b, const char *s, size_t len)
{
	if (len > b->fb_cap - b->fb_len)
		return fail(b, FIX_ENOSPC);
	memcpy(b->fb_buf + b->fb_len, s, len);
	b->fb_len += len;
	return 0;
}

/* Appends "tag=value<SOH>" after checking the tag and the value. */
static int put_field(struct fix_builder *b, int tag, const char *val, size_t len)
{
	char t[8];
	size_t tl;

	if (b->fb_err != 0)
		return b->fb_err;
	if (tag < 1 || tag > FIX_TAG_MAX || tag == 8 || tag == 9 || tag == 10 || tag == 35 ||
	    val == NULL || len == 0 || memchr(val, FIX_SOH, len) != NULL)
		return fail(b, FIX_EINVAL);
	tl = put_u64(t, (uint64_t)tag);
	t[tl++] = '=';
	if (tl + len + 1 > b->fb_cap - b->fb_len)
		return fail(b, FIX_ENOSPC);
	put(b, t, tl);
	put(b, val, len);
	return put(b, "\001", 1);
}

int fix_build_begin(struct fix_builder *b, char *buf, size_t cap, enum fix_version version,
                    const char *type, size_t type_len)
{
	const char *bs;
	size_t reserve;

	if (b == NULL)
		return FIX_EINVAL;
	memset(b, 0, sizeof(*b));
	b->fb_buf = buf;
	b->fb_cap = cap;
	if (buf == NULL || (version != FIX_42 && version != FIX_44) ||
	    !fix_msgtype_valid(version, type, type_len))
		return fail(b, FIX_EINVAL);
	bs = version == FIX_42 ? "8=FIX.4.2\001" : "8=FIX.4.4\001";
	/* "9=" + as many digits as the capacity has + SOH always holds the
	 * BodyLength, which is below the capacity. */
	reserve = 2 + ndigits(cap) + 1;
	if (BEGIN_LEN + reserve > cap)
		return fail(b, FIX_ENOSPC);
	put(b, bs, BEGIN_LEN);
	b->fb_len += reserve;
	b->fb_body = b->fb_len;
	if (3 + type_len + 1 > cap - b->fb_len)
		return fail(b, FIX_ENOSPC);
	put(b, "35=", 3);
	put(b, type, type_len);
	return put(b, "\001", 1);
}

int fix_add_str(struct fix_builder *b, int tag, const char *val, size_t len)
{
	return put_field(b, tag, val, len);
}

int fix_add_int(struct fix_builder *b, int tag, int64_t val)
{
	char v[21];
	size_t n = 0;

	if (val < 0)
		v[n++] = '-';
	n += put_u64(v + n, val < 0 ? (uint64_t)0 - (uint64_t)val : (uint64_t)val);
	return put_field(b, tag, v, n);
}

int fix_add_char(struct fix_builder *b, int tag, char val)
{
	return put_field(b, tag, &val, 1);
}

int fix_add_px(struct fix_builder *b, int tag, int64_t px)
{
	char v[RULES_PX_BUFLEN];
	int n = rules_px_format(px, v, sizeof(v));

	if (n < 0)
		return fail(b, FIX_ERANGE); /* cannot happen: RULES_PX_BUFLEN fits all */
	return put_field(b, tag, v, (size_t)n);
}

int fix_add_time(struct fix_builder *b, int tag, int64_t ns)
{
	char v[FIX_TIME_LEN];

	if (b->fb_err != 0)
		return b->fb_err;
	if (fix_time_format(ns, v) != 0)
		return fail(b, FIX_ERANGE);
	return put_field(b, tag, v, sizeof(v));
}

int fix_add_raw(struct fix_builder *b, const char *bytes, size_t len)
{
	if (b->fb_err != 0)
		return b->fb_err;
	if (bytes == NULL || len == 0 || bytes[len - 1] != FIX_SOH)
		return fail(b, FIX_EINVAL);
	return put(b, bytes, len);
}

/* Appends "<tag>=" (tag_eq, tl bytes) and a value already known to be
 * valid (non-empty, no SOH), then SOH. */
static int put_known(struct fix_builder *b, const char *tag_eq, size_t tl, const char *val,
    size_t len)
{
	char *p;

	if (b->fb_err != 0)
		return b->fb_err;
	if (tl + len + 1 > b->fb_cap - b->fb_len)
		return fail(b, FIX_ENOSPC);
	p = b->fb_buf + b->fb_len;
	memcpy(p, tag_eq, tl);
	memcpy(p + tl, val, len);
	p[tl + len] = FIX_SOH;
	b->fb_len += tl + len + 1;
	return 0;
}

/* A CompID: non-empty, no SOH. Returns its length, or 0 if it is not valid. */
static size_t compid_len(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return n > 0 && memchr(s, FIX_SOH, n) == NULL ? n : 0;
}

int fix_add_header(struct fix_builder *b, const struct fix_hdr *h)
{
	char v[FIX_TIME_LEN > 21 ? FIX_TIME_LEN : 21];
	size_t sl, tl, n;

	if (b->fb_err != 0)
		return b->fb_err;
	if (h == NULL || (sl = compid_len(h->fh_sender)) == 0 ||
	    (tl = compid_len(h->fh_target)) == 0 || h->fh_seq == 0 || h->fh_seq > INT64_MAX)
		return fail(b, FIX_EINVAL);
	/* The values are checked above or made here: no per-field checks. */
	put_known(b, "49=", 3, h->fh_sender, sl);
	put_known(b, "56=", 3, h->fh_target, tl);
	n = put_u64(v, h->fh_seq);
	put_known(b, "34=", 3, v, n);
	if (h->fh_possdup)
		put_known(b, "43=", 3, "Y", 1);
	if (fix_time_format(h->fh_sending_ns, v) != 0)
		return fail(b, FIX_ERANGE);
	put_known(b, "52=", 3, v, FIX_TIME_LEN);
	if (h->fh_possdup) {
		if (fix_time_format(h->fh_orig_ns, v) != 0)
			return fail(b, FIX_ERANGE);
		put_known(b, "122=", 4, v, FIX_TIME_LEN);
	}
	return b->fb_err;
}

int fix_build_finish(struct fix_builder *b, size_t *len)
{
	char nine[16];
	size_t nl, body_len, total;
	unsigned sum = 0;
	char *p;

	if (b == NULL || len == NULL)
		return FIX_EINVAL;
	if (b->fb_err != 0)
		return b->fb_err;
	body_len = b->fb_len - b->fb_body;
	nine[0] = '9';
	nine[1] = '=';
	nl = 2 + put_u64(nine + 2, body_len);
	nine[nl++] = FIX_SOH;
	total = BEGIN_LEN + nl + body_len + TRAILER_LEN;
	if (total > b->fb_cap)
		return fail(b, FIX_ENOSPC);
	p = b->fb_buf;
	memmove(p + BEGIN_LEN + nl, p + b->fb_body, body_len);
	memcpy(p + BEGIN_LEN, nine, nl);
	sum = fix_checksum(p, total - TRAILER_LEN);
	p += total - TRAILER_LEN;
	memcpy(p, "10=", 3);
	p[3] = (char)('0' + sum / 100);
	p[4] = (char)('0' + sum / 10 % 10);
	p[5] = (char)('0' + sum % 10);
	p[6] = FIX_SOH;
	*len = total;
	b->fb_err = FIX_EINVAL; /* finished: further adds are refused */
	return 0;
}

/* Offset of the first byte ("tag=") of field f. Tags have no leading zeros
 * in a parsed message, so the tag's text is exactly its decimal digits. */
static size_t field_start(const struct fix_field *f)
{
	return f->ff_off - 1 - ndigits(f->ff_tag);
}

/* Whether body field i of in is dropped by the relay: its tag is in remove,
 * or it is one of a length/data pair whose other field's tag is. */
static bool removed(const struct fix_msg *in, unsigned i, const struct fix_tags *remove)
{
	int tag = (int)in->fm_f[i].ff_tag, other;

	if (fix_tags_has(remove, tag))
		return true;
	if ((other = fix_tag_data_of(tag)) != 0 && i + 1 < in->fm_trailer &&
	    in->fm_f[i + 1].ff_tag == (uint32_t)other)
		return fix_tags_has(remove, other);
	if ((other = fix_tag_length_of(tag)) != 0 && i > in->fm_body &&
	    in->fm_f[i - 1].ff_tag == (uint32_t)other)
		return fix_tags_has(remove, other);
	return false;
}

/* Whether no body field of in is dropped by remove: true when remove is
 * empty, or when none of its tags, nor the other field of a length/data pair
 * it names, is anywhere in the message (a cheap test through the index; a
 * false answer only means the exact walk below). */
static bool keeps_all(const struct fix_msg *in, const struct fix_tags *remove)
{
	if (remove == NULL)
		return true;
	for (size_t i = 0; i < remove->ft_n; i++) {
		int t = remove->ft_tags[i], other;

		if (fix_find(in, t) >= 0)
			return false;
		if (((other = fix_tag_data_of(t)) != 0 || (other = fix_tag_length_of(t)) != 0) &&
		    fix_find(in, other) >= 0)
			return false;
	}
	return true;
}

int fix_relay(const struct fix_msg *in, const struct fix_hdr *h, const struct fix_tags *remove,
              char *out, size_t cap, size_t *len)
{
	struct fix_builder b;
	const struct fix_field *f;
	size_t run = 0;
	bool open = false;

	if (in == NULL || in->fm_nfields < 4 || in->fm_body > in->fm_trailer ||
	    in->fm_trailer >= in->fm_nfields)
		return FIX_EINVAL;
	f = &in->fm_f[2];
	fix_build_begin(&b, out, cap, in->fm_version, in->fm_buf + f->ff_off, f->ff_len);
	fix_add_header(&b, h);
	if (in->fm_body == in->fm_trailer)
		return fix_build_finish(&b, len);
	if (keeps_all(in, remove)) {
		/* The body is contiguous in the inbound buffer: one copy. */
		run = field_start(&in->fm_f[in->fm_body]);
		fix_add_raw(&b, in->fm_buf + run, field_start(&in->fm_f[in->fm_trailer]) - run);
		return fix_build_finish(&b, len);
	}
	/* Copy each run of kept fields between removed ones with one
	 * fix_add_raw(). */
	for (unsigned i = in->fm_body; i < in->fm_trailer; i++) {
		f = &in->fm_f[i];
		if (!removed(in, i, remove)) {
			if (!open)
				run = field_start(f);
			open = true;
		} else if (open) {
			fix_add_raw(&b, in->fm_buf + run, field_start(f) - run);
			open = false;
		}
	}
	if (open)
		fix_add_raw(&b, in->fm_buf + run, field_start(&in->fm_f[in->fm_trailer]) - run);
	return fix_build_finish(&b, len);
}
