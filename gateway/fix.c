/*
 * fix.c - parsing a framed FIX message into a zero-copy view, the session
 * level checks, and the typed accessors.
 */
#include "config.h"

#include <string.h>

#include "fix.h"
#include "fixed.h"
#include "rules.h"

const char *fix_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case FIX_EINVAL:
		return "invalid argument";
	case FIX_ENOTFOUND:
		return "tag not in message";
	case FIX_EFORMAT:
		return "value has the wrong format";
	case FIX_ERANGE:
		return "value out of range";
	case FIX_ENOSPC:
		return "output buffer too small";
	case FIX_EFRAME:
		return "not a framed FIX message";
	case FIX_EREJECT:
		return "message rejected (session level)";
	case FIX_EBEGIN:
		return "garbled: no BeginString FIX.4.2/FIX.4.4 first";
	case FIX_EBODYLEN:
		return "garbled: BodyLength missing or malformed";
	case FIX_ETOOBIG:
		return "garbled: message longer than the maximum";
	case FIX_EMSGTYPE:
		return "garbled: MsgType missing or not third";
	case FIX_ETRAILER:
		return "garbled: no CheckSum where BodyLength ends";
	case FIX_ECHECKSUM:
		return "garbled: CheckSum mismatch";
	default:
		if (err < 0 && err > -4096)
			return strerror(-err);
		return "unknown error";
	}
}

/* ---- tag classes ---------------------------------------------------------------- */

/*
 * Bit index for each standard header and trailer tag (bits 0..31), so that
 * duplicates are found with one 64-bit mask; -1 for any other tag. The hop
 * group's member tags (628 629 630) are header tags without a bit: they
 * repeat once per hop.
 */
#define HOP_MEMBER (-2)
static int hdr_bit(int tag)
{
	switch (tag) {
	case 8:
		return 0;
	case 9:
		return 1;
	case 35:
		return 2;
	case 49:
		return 3;
	case 56:
		return 4;
	case 115:
		return 5;
	case 128:
		return 6;
	case 90:
		return 7;
	case 91:
		return 8;
	case 34:
		return 9;
	case 50:
		return 10;
	case 142:
		return 11;
	case 57:
		return 12;
	case 143:
		return 13;
	case 116:
		return 14;
	case 144:
		return 15;
	case 129:
		return 16;
	case 145:
		return 17;
	case 43:
		return 18;
	case 97:
		return 19;
	case 52:
		return 20;
	case 122:
		return 21;
	case 212:
		return 22;
	case 213:
		return 23;
	case 347:
		return 24;
	case 369:
		return 25;
	case 370:
		return 26;
	case 627:
		return 27;
	case 628:
	case 629:
	case 630:
		return HOP_MEMBER;
	default:
		return -1;
	}
}

static int trl_bit(int tag)
{
	switch (tag) {
	case 93:
		return 32;
	case 89:
		return 33;
	case 10:
		return 34;
	default:
		return -1;
	}
}

bool fix_tag_is_header(int tag)
{
	return hdr_bit(tag) != -1;
}

bool fix_tag_is_trailer(int tag)
{
	return trl_bit(tag) != -1;
}

bool fix_tags_has(const struct fix_tags *set, int tag)
{
	if (set == NULL)
		return false;
	for (size_t i = 0; i < set->ft_n; i++)
		if (set->ft_tags[i] == tag)
			return true;
	return false;
}

static int tags_index(const struct fix_tags *set, int tag)
{
	if (set != NULL)
		for (size_t i = 0; i < set->ft_n; i++)
			if (set->ft_tags[i] == tag)
				return (int)i;
	return -1;
}

int fix_tag_data_of(int len_tag)
{
	switch (len_tag) {
	case 90:
		return 91; /* SecureDataLen, SecureData */
	case 93:
		return 89; /* SignatureLength, Signature */
	case 95:
		return 96; /* RawDataLength, RawData */
	case 212:
		return 213; /* XmlDataLen, XmlData */
	case 348:
	case 350:
	case 352:
	case 354:
	case 356:
	case 358:
	case 360:
	case 362:
	case 364:
		return len_tag + 1; /* EncodedIssuerLen .. EncodedUnderlyingSecurityDescLen */
	case 445:
		return 446; /* EncodedListStatusTextLen */
	case 618:
		return 619; /* EncodedLegIssuerLen */
	case 621:
		return 622; /* EncodedLegSecurityDescLen */
	default:
		return 0;
	}
}

int fix_tag_length_of(int data_tag)
{
	switch (data_tag) {
	case 89:
		return 93;
	case 91:
		return 90;
	case 96:
		return 95;
	case 213:
		return 212;
	case 349:
	case 351:
	case 353:
	case 355:
	case 357:
	case 359:
	case 361:
	case 363:
	case 365:
	case 446:
	case 619:
	case 622:
		return data_tag - 1;
	default:
		return 0;
	}
}

/* ---- MsgType -------------------------------------------------------------------- */

bool fix_msgtype_is_admin(const char *type, size_t len)
{
	if (type == NULL || len != 1)
		return false;
	switch (type[0]) {
	case '0': /* Heartbeat */
	case '1': /* TestRequest */
	case '2': /* ResendRequest */
	case '3': /* Reject */
	case '4': /* SequenceReset */
	case '5': /* Logout */
	case 'A': /* Logon */
		return true;
	default:
		return false;
	}
}

bool fix_msgtype_valid(enum fix_version version, const char *type, size_t len)
{
	/* 4.2: 0-9 A-H J-N P-T V-Z a-m. 4.4 adds n-z and AA..BH. "U..." is
	 * user-defined in both. */
	static const char v42[] = "0123456789ABCDEFGHJKLMNPQRSTVWXYZabcdefghijklm";
	char c;

	if (type == NULL || len == 0)
		return false;
	c = type[0];
	if (c == 'U') {
		for (size_t i = 1; i < len; i++)
			if (type[i] == FIX_SOH)
				return false;
		return true;
	}
	if (len == 1) {
		if (c != '\0' && strchr(v42, c) != NULL)
			return true;
		return version == FIX_44 && c >= 'n' && c <= 'z';
	}
	if (len == 2 && version == FIX_44)
		return (c == 'A' && type[1] >= 'A' && type[1] <= 'Z') ||
		       (c == 'B' && type[1] >= 'A' && type[1] <= 'H');
	return false;
}

bool fix_msg_is_admin(const struct fix_msg *m)
{
	const struct fix_field *f = &m->fm_f[2];

	return fix_msgtype_is_admin(m->fm_buf + f->ff_off, f->ff_len);
}

/* ---- parsing -------------------------------------------------------------------- */

static int reject(struct fix_reject *rej, int reason, int tag)
{
	rej->fr_reason = reason;
	rej->fr_reftag = tag;
	return FIX_EREJECT;
}

/* Strict non-negative decimal for length fields: digits only, no leading
 * zero, at most 9 digits. Returns -1 if malformed. */
static long len_value(const char *s, size_t n)
{
	long v = 0;

	if (n == 0 || n > 9 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Splits buf into fields. Errors: a malformed tag (0), an empty value (4), a
 * data field whose length field is missing (1), malformed (6) or wrong (5),
 * too many fields (99); a buffer that does not end with an SOH is FIX_EFRAME.
 */
static int tokenize(struct fix_msg *m, const char *buf, size_t len, struct fix_reject *rej)
{
	size_t i = 0;
	int prev_tag = 0;

	m->fm_nfields = 0;
	while (i < len) {
		struct fix_field *f;
		size_t start = i, vlen;
		int tag = 0;
		const char *soh;

		for (; i < len && buf[i] >= '0' && buf[i] <= '9' && i - start < 7; i++)
			tag = tag * 10 + (buf[i] - '0');
		if (i == start || i == len || buf[i] != '=' || buf[start] == '0' ||
		    tag > FIX_TAG_MAX) {
			if (memchr(buf + start, FIX_SOH, len - start) == NULL)
				return FIX_EFRAME;
			return reject(rej, FIX_R_INVALID_TAG, 0);
		}
		i++; /* '=' */
		if (m->fm_nfields == FIX_MAX_FIELDS)
			return reject(rej, FIX_R_OTHER, 0);
		if (fix_tag_length_of(tag) != 0) {
			/* A data field: its length field must come right before. */
			const struct fix_field *lf;
			long dl;

			if (prev_tag != fix_tag_length_of(tag))
				return reject(rej, FIX_R_REQUIRED_MISSING, fix_tag_length_of(tag));
			lf = &m->fm_f[m->fm_nfields - 1];
			dl = len_value(buf + lf->ff_off, lf->ff_len);
			if (dl < 0)
				return reject(rej, FIX_R_FORMAT, prev_tag);
			if (dl == 0)
				return reject(rej, FIX_R_NO_VALUE, tag);
			if ((size_t)dl >= len - i || buf[i + (size_t)dl] != FIX_SOH)
				return reject(rej, FIX_R_VALUE_INCORRECT, prev_tag);
			vlen = (size_t)dl;
		} else {
			if (fix_tag_data_of(prev_tag) != 0)
				return reject(rej, FIX_R_REQUIRED_MISSING,
				              fix_tag_data_of(prev_tag));
			soh = memchr(buf + i, FIX_SOH, len - i);
			if (soh == NULL)
				return FIX_EFRAME;
			vlen = (size_t)(soh - (buf + i));
			if (vlen == 0)
				return reject(rej, FIX_R_NO_VALUE, tag);
		}
		f = &m->fm_f[m->fm_nfields++];
		f->ff_tag = (uint32_t)tag;
		f->ff_off = (uint32_t)i;
		f->ff_len = (uint32_t)vlen;
		i += vlen + 1;
		prev_tag = tag;
	}
	if (fix_tag_data_of(prev_tag) != 0)
		return reject(rej, FIX_R_REQUIRED_MISSING, fix_tag_data_of(prev_tag));
	return 0;
}

static bool value_is(const struct fix_msg *m, unsigned i, const char *s)
{
	size_t n = strlen(s);

	return m->fm_f[i].ff_len == n && memcmp(m->fm_buf + m->fm_f[i].ff_off, s, n) == 0;
}

/* Ordering and duplicates: header, then body, then trailer. */
static int check_order(struct fix_msg *m, const struct fix_tags *unique, struct fix_reject *rej)
{
	uint64_t seen = 0, seen_body = 0;
	enum { HDR, BODY, TRL } part = HDR;

	m->fm_body = m->fm_trailer = m->fm_nfields;
	for (unsigned i = 0; i < m->fm_nfields; i++) {
		int tag = (int)m->fm_f[i].ff_tag, bit;

		if ((bit = hdr_bit(tag)) != -1) {
			if (part != HDR)
				return reject(rej, FIX_R_OUT_OF_ORDER, tag);
		} else if ((bit = trl_bit(tag)) != -1) {
			if (part != TRL)
				m->fm_trailer = i;
			if (part == HDR)
				m->fm_body = i;
			part = TRL;
		} else {
			if (part == TRL)
				return reject(rej, FIX_R_OUT_OF_ORDER, tag);
			if (part == HDR)
				m->fm_body = i;
			part = BODY;
			if ((bit = tags_index(unique, tag)) != -1) {
				if (seen_body & (UINT64_C(1) << bit))
					return reject(rej, FIX_R_DUPLICATE, tag);
				seen_body |= UINT64_C(1) << bit;
			}
			continue;
		}
		if (bit >= 0) {
			if (seen & (UINT64_C(1) << bit))
				return reject(rej, FIX_R_DUPLICATE, tag);
			seen |= UINT64_C(1) << bit;
		}
	}
	return 0;
}

/* The header's values: one pass over the header fields only. */
static int check_header_values(const struct fix_msg *m, struct fix_reject *rej)
{
	static const int required[] = {49, 56, 34, 52};
	unsigned have = 0;
	int64_t x;

	for (unsigned i = 3; i < m->fm_body; i++) {
		const struct fix_field *f = &m->fm_f[i];
		const char *v = m->fm_buf + f->ff_off;
		int tag = (int)f->ff_tag;

		switch (tag) {
		case 49:
			have |= 1;
			break;
		case 56:
			have |= 2;
			break;
		case 34: /* MsgSeqNum: a positive integer */
			have |= 4;
			if (v[0] == '-' || fix_int_parse(v, f->ff_len, &x) != 0)
				return reject(rej, FIX_R_FORMAT, tag);
			if (x == 0)
				return reject(rej, FIX_R_VALUE_INCORRECT, tag);
			break;
		case 52: /* SendingTime, OrigSendingTime */
		case 122:
			have |= tag == 52 ? 8 : 0;
			if (fix_time_parse(v, f->ff_len, &x) != 0)
				return reject(rej, FIX_R_FORMAT, tag);
			break;
		case 43: /* PossDupFlag, PossResend */
		case 97:
			if (f->ff_len != 1 || (v[0] != 'Y' && v[0] != 'N'))
				return reject(rej, FIX_R_VALUE_INCORRECT, tag);
			break;
		default:
			break;
		}
	}
	for (unsigned k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (!(have & (1u << k)))
			return reject(rej, FIX_R_REQUIRED_MISSING, required[k]);
	return 0;
}

int fix_parse(struct fix_msg *m, const char *buf, size_t len, const struct fix_tags *unique,
              struct fix_reject *rej)
{
	const struct fix_field *f;
	int rc;

	if (m == NULL || buf == NULL || rej == NULL || len > UINT32_MAX ||
	    (unique != NULL && unique->ft_n > FIX_TAGS_MAX))
		return FIX_EINVAL;
	rej->fr_reason = 0;
	rej->fr_reftag = 0;
	m->fm_buf = buf;
	m->fm_len = len;
	m->fm_nfields = m->fm_body = m->fm_trailer = 0;

	/* The trailer "10=NNN<SOH>" is the last 7 bytes, after an SOH: it is
	 * taken as it stands, so that no data field can run into it. */
	if (len < 8 || buf[len - 8] != FIX_SOH || memcmp(buf + len - 7, "10=", 3) != 0 ||
	    buf[len - 1] != FIX_SOH)
		return FIX_EFRAME;
	rc = tokenize(m, buf, len - 7, rej);
	/* Whatever the outcome, the framing must be there, or this is not a
	 * message fix_frame() returned. */
	if (m->fm_nfields < 3 || m->fm_f[0].ff_tag != 8 || m->fm_f[1].ff_tag != 9 ||
	    m->fm_f[2].ff_tag != 35)
		return FIX_EFRAME;
	if (value_is(m, 0, "FIX.4.2"))
		m->fm_version = FIX_42;
	else if (value_is(m, 0, "FIX.4.4"))
		m->fm_version = FIX_44;
	else
		return FIX_EFRAME;
	if (rc != 0)
		return rc;
	if (m->fm_nfields == FIX_MAX_FIELDS)
		return reject(rej, FIX_R_OTHER, 0);
	m->fm_f[m->fm_nfields++] = (struct fix_field){10, (uint32_t)len - 4, 3};

	if ((rc = check_order(m, unique, rej)) != 0)
		return rc;
	f = &m->fm_f[2];
	if (!fix_msgtype_valid(m->fm_version, buf + f->ff_off, f->ff_len))
		return reject(rej, FIX_R_INVALID_MSGTYPE, 35);
	return check_header_values(m, rej);
}

/* ---- reading -------------------------------------------------------------------- */

int fix_find(const struct fix_msg *m, int tag)
{
	for (unsigned i = 0; i < m->fm_nfields; i++)
		if (m->fm_f[i].ff_tag == (uint32_t)tag)
			return (int)i;
	return -1;
}

int fix_get_str(const struct fix_msg *m, int tag, const char **val, size_t *len)
{
	int i = fix_find(m, tag);

	if (i < 0)
		return FIX_ENOTFOUND;
	*val = m->fm_buf + m->fm_f[i].ff_off;
	*len = m->fm_f[i].ff_len;
	return 0;
}

int fix_int_parse(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0, lim;
	bool neg;
	size_t i = 0;

	if (s == NULL || len == 0)
		return FIX_EFORMAT;
	neg = s[0] == '-';
	i = neg;
	if (i == len)
		return FIX_EFORMAT;
	for (size_t k = i; k < len; k++)
		if (s[k] < '0' || s[k] > '9')
			return FIX_EFORMAT;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (lim - d) / 10)
			return FIX_ERANGE;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int fix_get_int(const struct fix_msg *m, int tag, int64_t *out)
{
	const char *v;
	size_t n;

	if (fix_get_str(m, tag, &v, &n) != 0)
		return FIX_ENOTFOUND;
	return fix_int_parse(v, n, out);
}

int fix_get_char(const struct fix_msg *m, int tag, char *out)
{
	const char *v;
	size_t n;

	if (fix_get_str(m, tag, &v, &n) != 0)
		return FIX_ENOTFOUND;
	if (n != 1)
		return FIX_EFORMAT;
	*out = v[0];
	return 0;
}

int fix_get_bool(const struct fix_msg *m, int tag, bool *out)
{
	char c;
	int rc;

	if ((rc = fix_get_char(m, tag, &c)) != 0)
		return rc;
	if (c != 'Y' && c != 'N')
		return FIX_EFORMAT;
	*out = c == 'Y';
	return 0;
}

/* Maps librules' parse errors to ours. */
static int from_rules(int rc)
{
	return rc == 0 ? 0 : rc == RULES_ERANGE ? FIX_ERANGE : FIX_EFORMAT;
}

int fix_get_px(const struct fix_msg *m, int tag, int64_t *out)
{
	const char *v;
	size_t n;

	if (fix_get_str(m, tag, &v, &n) != 0)
		return FIX_ENOTFOUND;
	return from_rules(rules_px_parse(v, n, out));
}

int fix_get_qty(const struct fix_msg *m, int tag, int64_t *out)
{
	const char *v;
	size_t n;

	if (fix_get_str(m, tag, &v, &n) != 0)
		return FIX_ENOTFOUND;
	return from_rules(rules_qty_parse(v, n, out));
}

int fix_get_time(const struct fix_msg *m, int tag, int64_t *out)
{
	const char *v;
	size_t n;

	if (fix_get_str(m, tag, &v, &n) != 0)
		return FIX_ENOTFOUND;
	return fix_time_parse(v, n, out);
}
