/*
 * recjson.c - records to and from jansson json_t, strict both ways.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fixed.h"
#include "recjson.h"
#include "rules.h"

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, RULES_ERRLEN, fmt, ap);
	va_end(ap);
}

/* JSON type names for error messages. */
static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

/* ---- sides ---------------------------------------------------------------- */

static const struct {
	char side;
	const char *name;
} sides[] = {
	{'1', "buy"},
	{'2', "sell"},
	{'5', "sell_short"},
	{'6', "sell_short_exempt"},
};

const char *rules_side_name(char side)
{
	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
		if (sides[i].side == side)
			return sides[i].name;
	return NULL;
}

int rules_side_parse(const char *name, char *out)
{
	if (name == NULL)
		return RULES_EINVAL;
	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		if (strcmp(sides[i].name, name) == 0) {
			*out = sides[i].side;
			return 0;
		}
	}
	return RULES_EINVAL;
}

/* ---- values ----------------------------------------------------------------- */

/* A decimal string for a px value; NULL if out of memory. */
static json_t *px_json(int64_t px)
{
	char buf[RULES_PX_BUFLEN];

	if (rules_px_format(px, buf, sizeof(buf)) < 0)
		return NULL;
	return json_string(buf);
}

/*
 * Reads a px value from a JSON decimal string at path (for messages).
 * min is the smallest value allowed (0 or 1).
 */
static int px_from(const json_t *j, const char *path, int64_t min, int64_t *out, char *err)
{
	const char *s;
	size_t len;
	int rc;

	if (!json_is_string(j)) {
		seterr(err, "%s: must be a decimal string (e.g. \"150.25\"), not %s", path,
		    type_name(j));
		return RULES_EPARSE;
	}
	s = json_string_value(j);
	len = json_string_length(j);
	rc = rules_px_parse(s, len, out);
	if (rc == RULES_ERANGE) {
		seterr(err, "%s: too large", path);
		return RULES_ERANGE;
	}
	if (rc != 0) {
		seterr(err, "%s: not a decimal with at most %d decimals: \"%.40s\"", path,
		    RULES_PX_DECIMALS, s);
		return RULES_EPARSE;
	}
	if (*out < min) {
		seterr(err, "%s: must be %s", path, min > 0 ? "> 0" : ">= 0");
		return RULES_ERANGE;
	}
	return 0;
}

/* Reads a JSON integer in [min, max] at path. */
static int int_from(const json_t *j, const char *path, int64_t min, int64_t max, int64_t *out,
    char *err)
{
	json_int_t v;

	if (!json_is_integer(j)) {
		seterr(err, "%s: must be an integer, not %s", path, type_name(j));
		return RULES_EPARSE;
	}
	v = json_integer_value(j);
	if (v < min) {
		seterr(err, "%s: must be %s", path, min > 0 ? "> 0" : ">= 0");
		return RULES_ERANGE;
	}
	if (v > max) {
		seterr(err, "%s: must be <= %lld", path, (long long)max);
		return RULES_ERANGE;
	}
	*out = (int64_t)v;
	return 0;
}

/* Copies an identifier from a JSON string into a RULES_ID_MAX + 1 array. */
static int id_from(const json_t *j, const char *path, char out[RULES_ID_MAX + 1], char *err)
{
	const char *s;
	size_t len;

	if (!json_is_string(j)) {
		seterr(err, "%s: must be a string, not %s", path, type_name(j));
		return RULES_EPARSE;
	}
	s = json_string_value(j);
	len = json_string_length(j);
	if (len == 0 || len > RULES_ID_MAX || strlen(s) != len || !rules_id_valid(s)) {
		seterr(err, "%s: must be 1..%d printable ASCII characters", path, RULES_ID_MAX);
		return RULES_EINVAL;
	}
	memcpy(out, s, len + 1);
	return 0;
}

/* ---- limits ------------------------------------------------------------------ */

json_t *rules_limits_to_json(const struct rules_limits *l)
{
	json_t *o;

	if (rules_limits_validate(l, NULL) != 0)
		return NULL;
	o = json_object();
	if (o == NULL)
		return NULL;
	for (unsigned i = 0; i < RULES_LIM_COUNT; i++) {
		enum rules_limit lim = (enum rules_limit)i;
		json_t *v, *ent;

		if (!(l->rl_set & RULES_BIT(i)))
			continue;
		v = rules_limit_is_px(lim) ? px_json(l->rl_val[i]) : json_integer(l->rl_val[i]);
		ent = json_object();
		if (v == NULL || ent == NULL) {
			json_decref(v);
			json_decref(ent);
			goto fail;
		}
		/* json_object_set_new() consumes the value even when it fails. */
		if (json_object_set_new(ent, "value", v) != 0 ||
		    json_object_set_new(ent, "action",
			json_string((l->rl_trip & RULES_BIT(i)) ? "trip" : "reject")) != 0) {
			json_decref(ent);
			goto fail;
		}
		if (json_object_set_new(o, rules_limit_name(lim), ent) != 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int rules_limits_from_json(const json_t *j, struct rules_limits *out, char err[RULES_ERRLEN])
{
	struct rules_limits l;
	const char *name;
	json_t *ent;
	int rc;

	if (!json_is_object(j)) {
		seterr(err, "limits: must be an object, not %s", j ? type_name(j) : "nothing");
		return RULES_EPARSE;
	}
	memset(&l, 0, sizeof(l));
	json_object_foreach((json_t *)j, name, ent) {
		enum rules_limit lim;
		const char *k;
		json_t *v, *val = NULL, *act = NULL;
		char path[96];
		bool trip;

		if (rules_limit_parse(name, &lim) != 0) {
			seterr(err, "%.64s: unknown limit", name);
			return RULES_EPARSE;
		}
		if (!json_is_object(ent)) {
			seterr(err, "%s: must be an object {\"value\":..., \"action\":...}, not %s",
			    name, type_name(ent));
			return RULES_EPARSE;
		}
		json_object_foreach(ent, k, v) {
			if (strcmp(k, "value") == 0) {
				val = v;
			} else if (strcmp(k, "action") == 0) {
				act = v;
			} else {
				seterr(err, "%s.%.64s: unknown key", name, k);
				return RULES_EPARSE;
			}
		}
		snprintf(path, sizeof(path), "%s.value", name);
		if (val == NULL) {
			seterr(err, "%s: missing", path);
			return RULES_EPARSE;
		}
		if (rules_limit_is_px(lim))
			rc = px_from(val, path, 1, &l.rl_val[lim], err);
		else
			rc = int_from(val, path, 1,
			    lim == RULES_LIM_PARENT_RATE ? RULES_RATE_MAX : INT64_MAX,
			    &l.rl_val[lim], err);
		if (rc != 0)
			return rc;
		trip = (RULES_TRIP_DEFAULT & RULES_BIT(lim)) != 0;
		if (act != NULL) {
			const char *a = json_string_value(act);

			if (!json_is_string(act)) {
				seterr(err, "%s.action: must be a string, not %s", name,
				    type_name(act));
				return RULES_EPARSE;
			}
			if (strcmp(a, "trip") == 0 && strlen(a) == json_string_length(act)) {
				trip = true;
			} else if (strcmp(a, "reject") == 0 &&
			    strlen(a) == json_string_length(act)) {
				trip = false;
			} else {
				seterr(err, "%s.action: must be \"reject\" or \"trip\"", name);
				return RULES_EINVAL;
			}
		}
		l.rl_set |= RULES_BIT(lim);
		if (trip)
			l.rl_trip |= RULES_BIT(lim);
	}
	if ((rc = rules_limits_validate(&l, err)) != 0)
		return rc;
	*out = l;
	return 0;
}

/* ---- parents ------------------------------------------------------------------ */

static const struct {
	enum rules_limit lim;
	const char *name;
} trip_names[] = {
	{RULES_LIM_PARENT_QTY, "qty"},
	{RULES_LIM_PARENT_NOTIONAL, "notional"},
	{RULES_LIM_PARENT_RATE, "rate"},
};
#define NTRIP (sizeof(trip_names) / sizeof(trip_names[0]))

json_t *rules_parent_to_json(const struct rules_parent *p)
{
	json_t *o, *trip;
	int bad = 0;

	if (rules_parent_validate(p, NULL) != 0)
		return NULL;
	o = json_object();
	trip = json_array();
	if (o == NULL || trip == NULL) {
		json_decref(o);
		json_decref(trip);
		return NULL;
	}
	bad |= json_object_set_new(o, "id", json_string(p->rp_id));
	bad |= json_object_set_new(o, "account", json_string(p->rp_account));
	bad |= json_object_set_new(o, "symbol", json_string(p->rp_symbol));
	bad |= json_object_set_new(o, "side", json_string(rules_side_name(p->rp_side)));
	bad |= json_object_set_new(o, "qty", json_integer(p->rp_qty));
	if (p->rp_limit_px != 0)
		bad |= json_object_set_new(o, "limit_px", px_json(p->rp_limit_px));
	if (p->rp_max_notional != 0)
		bad |= json_object_set_new(o, "max_notional", px_json(p->rp_max_notional));
	if (p->rp_max_rate != 0)
		bad |= json_object_set_new(o, "max_rate", json_integer(p->rp_max_rate));
	for (size_t i = 0; i < NTRIP; i++)
		if (p->rp_trip & RULES_BIT(trip_names[i].lim))
			bad |= json_array_append_new(trip, json_string(trip_names[i].name));
	bad |= json_object_set_new(o, "trip", trip);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int trip_from(const json_t *a, uint32_t *out, char *err)
{
	uint32_t bits = 0;
	size_t idx;
	json_t *v;

	if (!json_is_array(a)) {
		seterr(err, "trip: must be an array of \"qty\", \"notional\", \"rate\", not %s",
		    type_name(a));
		return RULES_EPARSE;
	}
	json_array_foreach(a, idx, v) {
		const char *s = json_string_value(v);
		uint32_t bit = 0;

		if (!json_is_string(v)) {
			seterr(err, "trip[%zu]: must be a string, not %s", idx, type_name(v));
			return RULES_EPARSE;
		}
		for (size_t i = 0; i < NTRIP; i++)
			if (strcmp(s, trip_names[i].name) == 0 &&
			    strlen(s) == json_string_length(v))
				bit = RULES_BIT(trip_names[i].lim);
		if (bit == 0) {
			seterr(err, "trip[%zu]: unknown limit \"%.32s\" (qty, notional, rate)", idx,
			    s);
			return RULES_EINVAL;
		}
		if (bits & bit) {
			seterr(err, "trip[%zu]: \"%s\" given twice", idx, s);
			return RULES_EINVAL;
		}
		bits |= bit;
	}
	*out = bits;
	return 0;
}

int rules_parent_from_json(const json_t *j, struct rules_parent *out, char err[RULES_ERRLEN])
{
	static const char *const required[] = {"id", "account", "symbol", "side", "qty"};
	struct rules_parent p;
	const char *k;
	json_t *v;
	int rc;

	if (!json_is_object(j)) {
		seterr(err, "parent: must be an object, not %s", j ? type_name(j) : "nothing");
		return RULES_EPARSE;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (json_object_get(j, required[i]) == NULL) {
			seterr(err, "%s: missing", required[i]);
			return RULES_EPARSE;
		}
	}
	memset(&p, 0, sizeof(p));
	p.rp_trip = RULES_TRIP_DEFAULT;
	json_object_foreach((json_t *)j, k, v) {
		if (strcmp(k, "id") == 0) {
			rc = id_from(v, k, p.rp_id, err);
		} else if (strcmp(k, "account") == 0) {
			rc = id_from(v, k, p.rp_account, err);
		} else if (strcmp(k, "symbol") == 0) {
			rc = id_from(v, k, p.rp_symbol, err);
		} else if (strcmp(k, "side") == 0) {
			if (!json_is_string(v)) {
				seterr(err, "side: must be a string, not %s", type_name(v));
				return RULES_EPARSE;
			}
			rc = rules_side_parse(json_string_value(v), &p.rp_side);
			if (rc != 0 || strlen(json_string_value(v)) != json_string_length(v)) {
				seterr(err, "side: must be \"buy\", \"sell\", \"sell_short\" or "
					    "\"sell_short_exempt\"");
				return RULES_EINVAL;
			}
		} else if (strcmp(k, "qty") == 0) {
			rc = int_from(v, k, 1, INT64_MAX, &p.rp_qty, err);
		} else if (strcmp(k, "limit_px") == 0) {
			rc = px_from(v, k, 0, &p.rp_limit_px, err);
		} else if (strcmp(k, "max_notional") == 0) {
			rc = px_from(v, k, 0, &p.rp_max_notional, err);
		} else if (strcmp(k, "max_rate") == 0) {
			rc = int_from(v, k, 0, RULES_RATE_MAX, &p.rp_max_rate, err);
		} else if (strcmp(k, "trip") == 0) {
			rc = trip_from(v, &p.rp_trip, err);
		} else {
			seterr(err, "%.64s: unknown key", k);
			return RULES_EPARSE;
		}
		if (rc != 0)
			return rc;
	}
	if ((rc = rules_parent_validate(&p, err)) != 0)
		return rc;
	*out = p;
	return 0;
}

/* ---- reference prices, restricted symbols ------------------------------------- */

json_t *rules_refpx_to_json(int64_t px)
{
	if (px <= 0)
		return NULL;
	return px_json(px);
}

int rules_refpx_from_json(const json_t *j, int64_t *out, char err[RULES_ERRLEN])
{
	int64_t px;
	int rc;

	if (j == NULL) {
		seterr(err, "refpx: missing");
		return RULES_EPARSE;
	}
	if ((rc = px_from(j, "refpx", 1, &px, err)) != 0)
		return rc;
	*out = px;
	return 0;
}

json_t *rules_restricted_to_json(const char *reason)
{
	if (!rules_reason_valid(reason))
		return NULL;
	return json_string(reason);
}

int rules_restricted_from_json(const json_t *j, char out[RULES_REASON_MAX + 1],
    char err[RULES_ERRLEN])
{
	const char *s;

	if (!json_is_string(j)) {
		seterr(err, "reason: must be a string, not %s", j ? type_name(j) : "nothing");
		return RULES_EPARSE;
	}
	s = json_string_value(j);
	if (strlen(s) != json_string_length(j) || !rules_reason_valid(s)) {
		seterr(err, "reason: must be 1..%d bytes of text without control characters",
		    RULES_REASON_MAX);
		return RULES_EINVAL;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* ---- compact text --------------------------------------------------------------- */

/* Dumps j (consumed) compactly into buf. */
static int dump_text(json_t *j, char *buf, size_t len)
{
	size_t n;

	if (j == NULL)
		return -ENOMEM;
	n = json_dumpb(j, buf, len, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (n == 0) {
		if (len > 0)
			buf[0] = '\0';
		return -ENOMEM;
	}
	if (n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return RULES_ERANGE;
	}
	buf[n] = '\0';
	return (int)n;
}

int rules_limits_json_text(const struct rules_limits *l, char *buf, size_t len)
{
	if (rules_limits_validate(l, NULL) != 0)
		return RULES_EINVAL;
	return dump_text(rules_limits_to_json(l), buf, len);
}

int rules_parent_json_text(const struct rules_parent *p, char *buf, size_t len)
{
	if (rules_parent_validate(p, NULL) != 0)
		return RULES_EINVAL;
	return dump_text(rules_parent_to_json(p), buf, len);
}

int rules_refpx_json_text(int64_t px, char *buf, size_t len)
{
	if (px <= 0)
		return RULES_EINVAL;
	return dump_text(rules_refpx_to_json(px), buf, len);
}

int rules_restricted_json_text(const char *reason, char *buf, size_t len)
{
	if (!rules_reason_valid(reason))
		return RULES_EINVAL;
	return dump_text(rules_restricted_to_json(reason), buf, len);
}
