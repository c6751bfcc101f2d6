/*
 * recjson.h - the JSON form of one record: limits, a parent registration, a
 * reference price, a restricted symbol's reason.
 *
 * Used by the import/export (io.h), the admin API and the audit log. Both
 * directions are strict and exact: no value passes through floating point.
 *
 *   limits      {"order_qty":{"value":10000,"action":"reject"},
 *                "order_notional":{"value":"1000000.5","action":"trip"}, ...}
 *               Only the limits that are set appear. Quantities, rates and
 *               basis points are JSON integers; prices and notionals
 *               (rules_limit_is_px()) are decimal strings (fixed.h grammar),
 *               never JSON reals. "action" is "reject" or "trip"; on input
 *               it is optional and defaults to RULES_TRIP_DEFAULT (trip for
 *               parent_* limits, reject for the others).
 *   parent      {"id":"P1","account":"ACC1","symbol":"IBM","side":"buy",
 *                "qty":1000,"limit_px":"150.25","max_notional":"150250",
 *                "max_rate":10,"trip":["qty","notional","rate"]}
 *               side is "buy", "sell", "sell_short" or "sell_short_exempt"
 *               (FIX 54 '1', '2', '5', '6'). limit_px, max_notional and
 *               max_rate are optional (absent = 0 = none / from the limit
 *               scopes) and are omitted on output when 0. trip is optional
 *               on input (default: all three) and always written on output.
 *   refpx       "150.25"                      (a decimal string, > 0)
 *   restricted  "reason text"                 (rules_reason_valid())
 *
 * Input errors: unknown keys, missing keys, wrong JSON types (a JSON real
 * where an integer or a decimal string is expected included), bad decimals,
 * bad values. The err text starts with the path of the offending key inside
 * the object, e.g. "order_qty.value: must be > 0" or "trip[1]: unknown
 * limit \"foo\""; a caller embedding the object in a larger document
 * prefixes its own path. On error the output record is left untouched.
 *
 * Return codes of the *_from_json functions: 0; RULES_EPARSE for structure
 * (not an object, unknown or missing key, wrong type, malformed decimal);
 * RULES_EINVAL for a value of the right type that is not allowed (bad
 * action, side or id); RULES_ERANGE for a number out of range (<= 0, too
 * large).
 *
 * The *_to_json functions return a new reference (the caller json_decref()s
 * it), or NULL if out of memory or the record does not validate.
 *
 * Duplicate keys are the JSON parser's business: load documents with
 * JSON_REJECT_DUPLICATES.
 */
#ifndef RULES_RECJSON_H
#define RULES_RECJSON_H

#include <jansson.h>

#include "rules.h"

json_t *rules_limits_to_json(const struct rules_limits *);
int rules_limits_from_json(const json_t *, struct rules_limits *out, char err[RULES_ERRLEN]);

json_t *rules_parent_to_json(const struct rules_parent *);
int rules_parent_from_json(const json_t *, struct rules_parent *out, char err[RULES_ERRLEN]);

json_t *rules_refpx_to_json(int64_t px);
int rules_refpx_from_json(const json_t *, int64_t *out, char err[RULES_ERRLEN]);

json_t *rules_restricted_to_json(const char *reason);
/* Copies the reason into out (NUL-terminated). */
int rules_restricted_from_json(const json_t *, char out[RULES_REASON_MAX + 1],
    char err[RULES_ERRLEN]);

/* Side names: "buy" for '1' ...; NULL for an invalid side. */
const char *rules_side_name(char side);
/* Returns 0 and sets *out, or RULES_EINVAL. */
int rules_side_parse(const char *name, char *out);

/*
 * Compact JSON text of a record (the same JSON as above, JSON_COMPACT, keys
 * in a fixed order), for the audit log. Writes a NUL-terminated string into
 * buf and returns its length; RULES_ERANGE if it does not fit in len bytes
 * (buf then holds ""), RULES_EINVAL if the record does not validate,
 * -ENOMEM. RULES_AUDIT_VAL_MAX + 1 bytes is always enough for a valid record.
 */
int rules_limits_json_text(const struct rules_limits *, char *buf, size_t len);
int rules_parent_json_text(const struct rules_parent *, char *buf, size_t len);
int rules_refpx_json_text(int64_t px, char *buf, size_t len);
int rules_restricted_json_text(const char *reason, char *buf, size_t len);

#endif
