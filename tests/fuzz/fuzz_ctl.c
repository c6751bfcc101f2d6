/*
 * fuzz_ctl.c - fuzz target for the control socket protocol
 * (gateway/ctl_proto.h).
 *
 * The input is a byte stream as riskgwd's control socket would receive it.
 * Invariants checked (a violation aborts):
 *  - framing the stream message by message (as the server does) and
 *    decoding each frame either succeeds or fails with a CTL_E* code, and
 *    stops for good at the first bad header;
 *  - a frame is never longer than the bytes available, and NEED_MORE comes
 *    only for a prefix shorter than the message its header announces;
 *  - a decoded message has an object body; it re-encodes, and the
 *    re-encoding decodes to an equal message (type, id and body);
 *  - a decoded message is never accepted once truncated by one byte or
 *    extended by one byte;
 *  - a request whose body passes ctl_request_check() is usable: a KILL then
 *    yields its who and reason within their limits.
 * The whole input is also decoded as one message.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void one_message(const uint8_t *p, size_t n)
{
	struct ctl_msg m, m2;
	char err[CTL_ERRLEN];
	void *out;
	size_t olen;
	int rc;

	rc = ctl_decode(p, n, CTL_MAX_PAYLOAD, &m, err);
	if (rc != 0) {
		CHECK(rc >= CTL_EBASE && rc < CTL_ELAST);
		CHECK(m.cm_body == NULL);
		return;
	}
	CHECK(json_is_object(m.cm_body));
	CHECK(ctl_type_valid(m.cm_type));
	rc = ctl_encode(m.cm_type, m.cm_id, m.cm_body, &out, &olen, err);
	CHECK(rc == 0);
	rc = ctl_decode(out, olen, CTL_MAX_PAYLOAD, &m2, err);
	CHECK(rc == 0);
	CHECK(m2.cm_type == m.cm_type && m2.cm_id == m.cm_id);
	CHECK(json_equal(m.cm_body, m2.cm_body));
	ctl_msg_clear(&m2);
	/* one byte less or more is never a message */
	CHECK(ctl_decode(p, n - 1, CTL_MAX_PAYLOAD, &m2, err) != 0);
	{
		unsigned char *longer = malloc(olen + 1);

		CHECK(longer != NULL);
		memcpy(longer, out, olen);
		longer[olen] = '}';
		CHECK(ctl_decode(longer, olen + 1, CTL_MAX_PAYLOAD, &m2, err) == CTL_ETRAILING);
		free(longer);
	}
	free(out);
	if (ctl_request_check(m.cm_type, m.cm_body, err) == 0 && m.cm_type == CTL_T_KILL) {
		struct ctl_kill_req k;

		CHECK(ctl_kill_get(m.cm_body, &k, err) == 0);
		CHECK(strlen(k.ck_who) >= 1 && strlen(k.ck_who) <= CTL_WHO_MAX);
		CHECK(strlen(k.ck_reason) >= 1 && strlen(k.ck_reason) <= CTL_REASON_MAX);
	}
	if (m.cm_type == CTL_T_ERROR) {
		const char *name, *text;

		(void)ctl_error_get(m.cm_body, &name, &text, err);
	}
	{
		bool more;

		(void)ctl_reply_more(m.cm_body, &more, err);
	}
	ctl_msg_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, total;
	struct ctl_hdr h;
	char err[CTL_ERRLEN];
	int rc;

	one_message(data, size);
	while (pos < size) {
		rc = ctl_frame(data + pos, size - pos, CTL_MAX_REQUEST, &h, &total, err);
		if (rc == CTL_NEED_MORE) {
			CHECK(size - pos < CTL_HDR_LEN ||
			      size - pos < CTL_HDR_LEN + (size_t)h.h_len);
			break;
		}
		if (rc != 0) {
			CHECK(rc >= CTL_EBASE && rc < CTL_ELAST);
			break; /* the server closes the stream here */
		}
		CHECK(total >= CTL_HDR_LEN && total <= size - pos);
		CHECK(total == CTL_HDR_LEN + (size_t)h.h_len && h.h_len <= CTL_MAX_REQUEST);
		one_message(data + pos, total);
		pos += total;
	}
	return 0;
}
