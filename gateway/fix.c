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
 * Every tag below CLASS_TAGS has an entry; every tag at or above it is a
 * plain body tag (the standard header, trailer and length/data tags are all
 * below 1024). One table lookup per field instead of three switch calls.
 *
 * tc_bit: the duplicate-check bit of a standard header tag (0..27) or
 * trailer tag (32..34), so that duplicates are found with one 64-bit mask.
 * The hop group's member tags (628 629 630) are header tags without a bit:
 * they repeat once per hop. tc_pair: the data tag of a length tag, or the
 * length tag of a data tag.
 */
#define CLASS_TAGS 1024
enum { TC_BODY = 0, TC_HDR = 1, TC_TRL = 2, TC_HOP = 3 };
enum { TC_LEN = 4, TC_DATA = 8 };
struct tag_class {
	uint8_t tc_kind; /* TC_BODY/HDR/TRL/HOP | TC_LEN or TC_DATA */
	uint8_t tc_bit;
	uint16_t tc_pair;
};

#define HDR(b) {TC_HDR, (b), 0}
#define LENF(d) {TC_LEN, 0, (d)}
#define DATAF(l) {TC_DATA, 0, (l)}
static const struct tag_class tag_class[CLASS_TAGS] = {
	[8] = HDR(0), [9] = HDR(1), [35] = HDR(2), [49] = HDR(3), [56] = HDR(4),
	[115] = HDR(5), [128] = HDR(6), [90] = {TC_HDR | TC_LEN, 7, 91},
	[91] = {TC_HDR | TC_DATA, 8, 90}, [34] = HDR(9), [50] = HDR(10), [142] = HDR(11),
	[57] = HDR(12), [143] = HDR(13), [116] = HDR(14), [144] = HDR(15), [129] = HDR(16),
	[145] = HDR(17), [43] = HDR(18), [97] = HDR(19), [52] = HDR(20), [122] = HDR(21),
	[212] = {TC_HDR | TC_LEN, 22, 213}, [213] = {TC_HDR | TC_DATA, 23, 212},
	[347] = HDR(24), [369] = HDR(25), [370] = HDR(26), [627] = HDR(27),
	[628] = {TC_HOP, 0, 0}, [629] = {TC_HOP, 0, 0}, [630] = {TC_HOP, 0, 0},
	[93] = {TC_TRL | TC_LEN, 32, 89}, [89] = {TC_TRL | TC_DATA, 33, 93},
	[10] = {TC_TRL, 34, 0},
	/* SecureDataLen/SecureData, SignatureLength/Signature and XmlData are
	 * above; RawDataLength/RawData and the Encoded* pairs are body tags. */
	[95] = LENF(96), [96] = DATAF(95),
	[348] = LENF(349), [349] = DATAF(348), [350] = LENF(351), [351] = DATAF(350),
	[352] = LENF(353), [353] = DATAF(352), [354] = LENF(355), [355] = DATAF(354),
	[356] = LENF(357), [357] = DATAF(356), [358] = LENF(359), [359] = DATAF(358),
	[360] = LENF(361), [361] = DATAF(360), [362] = LENF(363), [363] = DATAF(362),
	[364] = LENF(365), [365] = DATAF(364),
	[445] = LENF(446), [446] = DATAF(445), [618] = LENF(619), [619] = DATAF(618),
	[621] = LENF(622), [622] = DATAF(621),
};
#undef HDR
#undef LENF
#undef DATAF

static inline struct tag_class class_of(int tag)
{
	static const struct tag_class body = {TC_BODY, 0, 0};

	return tag > 0 && tag < CLASS_TAGS ? tag_class[tag] : body;
}

bool fix_tag_is_header(int tag)
{
	unsigned k = class_of(tag).tc_kind & 3;

	return k == TC_HDR || k == TC_HOP;
}

bool fix_tag_is_trailer(int tag)
{
	return (class_of(tag).tc_kind & 3) == TC_TRL;
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
	struct tag_class c = class_of(len_tag);

	return c.tc_kind & TC_LEN ? c.tc_pair : 0;
}

int fix_tag_length_of(int data_tag)
{
	struct tag_class c = class_of(data_tag);

	return c.tc_kind & TC_DATA ? c.tc_pair : 0;
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

/* The offset of the first SOH in buf[i..len), or len: eight bytes at a time
 * (no call per field: most values are a few bytes long). */
static inline size_t find_soh(const char *buf, size_t i, size_t len)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t highs = UINT64_C(0x8080808080808080);

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, buf + i, 8);
		w ^= ones; /* an SOH byte becomes 0 */
		w = (w - ones) & ~w & highs;
		if (w != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)(__builtin_ctzll(w) >> 3);
#else
			break;
#endif
		}
	}
	for (; i < len; i++)
		if (buf[i] == FIX_SOH)
			return i;
	return len;
}

/* Appends a field and indexes its first occurrence (fix_find). */
static inline void add_field(struct fix_msg *m, int tag, size_t off, size_t len)
{
	struct fix_field *f = &m->fm_f[m->fm_nfields++];

	f->ff_tag = (uint32_t)tag;
	f->ff_off = (uint32_t)off;
	f->ff_len = (uint32_t)len;
	if (tag < FIX_FIRST_TAGS && m->fm_first[tag] == 0)
		m->fm_first[tag] = (uint16_t)m->fm_nfields;
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
	struct tag_class prev = class_of(0);

	m->fm_nfields = 0;
	while (i < len) {
		size_t start = i, vlen;
		int tag = 0;
		struct tag_class c;

		for (; i < len && buf[i] >= '0' && buf[i] <= '9' && i - start < 7; i++)
			tag = tag * 10 + (buf[i] - '0');
		if (i == start || i == len || buf[i] != '=' || buf[start] == '0' ||
		    tag > FIX_TAG_MAX) {
			if (find_soh(buf, start, len) == len)
				return FIX_EFRAME;
			return reject(rej, FIX_R_INVALID_TAG, 0);
		}
		i++; /* '=' */
		if (m->fm_nfields == FIX_MAX_FIELDS)
			return reject(rej, FIX_R_OTHER, 0);
		c = class_of(tag);
		if (c.tc_kind & TC_DATA) {
			/* A data field: its length field must come right before. */
			const struct fix_field *lf;
			long dl;

			if (prev_tag != c.tc_pair)
				return reject(rej, FIX_R_REQUIRED_MISSING, c.tc_pair);
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
			size_t soh;

			if (prev.tc_kind & TC_LEN)
				return reject(rej, FIX_R_REQUIRED_MISSING, prev.tc_pair);
			soh = find_soh(buf, i, len);
			if (soh == len)
				return FIX_EFRAME;
			vlen = soh - i;
			if (vlen == 0)
				return reject(rej, FIX_R_NO_VALUE, tag);
		}
		add_field(m, tag, i, vlen);
		i += vlen + 1;
		prev_tag = tag;
		prev = c;
	}
	if (prev.tc_kind & TC_LEN)
		return reject(rej, FIX_R_REQUIRED_MISSING, prev.tc_pair);
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
		struct tag_class c = class_of(tag);

		switch (c.tc_kind & 3) {
		case TC_HOP:
			if (part != HDR)
				return reject(rej, FIX_R_OUT_OF_ORDER, tag);
			continue;
		case TC_HDR:
			if (part != HDR)
				return reject(rej, FIX_R_OUT_OF_ORDER, tag);
			break;
		case TC_TRL:
			if (part != TRL)
				m->fm_trailer = i;
			if (part == HDR)
				m->fm_body = i;
			part = TRL;
			break;
		default:
			if (part == TRL)
				return reject(rej, FIX_R_OUT_OF_ORDER, tag);
			if (part == HDR)
				m->fm_body = i;
			part = BODY;
			if (unique != NULL && (bit = tags_index(unique, tag)) != -1) {
				if (seen_body & (UINT64_C(1) << bit))
					return reject(rej, FIX_R_DUPLICATE, tag);
				seen_body |= UINT64_C(1) << bit;
			}
			continue;
		}
		if (seen & (UINT64_C(1) << c.tc_bit))
			return reject(rej, FIX_R_DUPLICATE, tag);
		seen |= UINT64_C(1) << c.tc_bit;
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
	memset(m->fm_first, 0, sizeof(m->fm_first));

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
	add_field(m, 10, len - 4, 3);

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
	if (tag > 0 && tag < FIX_FIRST_TAGS)
		return (int)m->fm_first[tag] - 1;
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
