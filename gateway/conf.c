/*
 * conf.c - riskgwd.conf parser and validator (see conf.h).
 */
#include "config.h"

#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "rules.h"
#include "tls.h"

#define LINE_MAX_LEN 1024

struct parser {
	const char *file;
	int line;
	char *err;
	struct conf *c;
	struct conf_route *route;        /* current [route] or NULL in [gateway], [gpio] */
	bool in_gpio;                    /* in [gpio] */
	bool in_section;
	int sect_line;                   /* line of the current section's header */
	uint64_t seen;                   /* keys seen in the current section (bit per key) */
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message quotes the file's bytes: control characters go out as \xNN
 * (rules_text_safe()). */
static int perr(struct parser *p, const char *fmt, ...)
{
	char raw[CONF_ERRLEN];
	va_list ap;
	int n = p->line > 0 ? snprintf(raw, sizeof(raw), "%s:%d: ", p->file, p->line)
			    : snprintf(raw, sizeof(raw), "%s: ", p->file);

	if (n < 0 || (size_t)n >= sizeof(raw))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(raw + n, sizeof(raw) - (size_t)n, fmt, ap);
	va_end(ap);
	(void)rules_text_safe(p->err, CONF_ERRLEN, raw);
	return -1;
}

/* ---- value parsers -------------------------------------------------------------- */

static int v_str(struct parser *p, const char *key, const char *v, char *dst, size_t n)
{
	size_t i, len = strlen(v);

	if (len == 0)
		return perr(p, "%s: empty value", key);
	if (len >= n)
		return perr(p, "%s: value longer than %zu characters", key, n - 1);
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return perr(p, "%s: '%s' must be printable ASCII without spaces", key, v);
	memcpy(dst, v, len + 1);
	return 0;
}

static int v_int(struct parser *p, const char *key, const char *v, long lo, long hi, int *dst)
{
	char *end;
	long x;

	if (*v == '\0' || *v == '+' || *v == '-' || *v == ' ')
		return perr(p, "%s: '%s' is not a number", key, v);
	errno = 0;
	x = strtol(v, &end, 10);
	if (*end != '\0' || errno != 0)
		return perr(p, "%s: '%s' is not a number", key, v);
	if (x < lo || x > hi)
		return perr(p, "%s: %ld is out of range %ld..%ld", key, x, lo, hi);
	*dst = (int)x;
	return 0;
}

static int v_bool(struct parser *p, const char *key, const char *v, bool *dst)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0)
		*dst = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0)
		*dst = false;
	else
		return perr(p, "%s: '%s' is not yes or no", key, v);
	return 0;
}

/* host:port, [v6]:port; port 0 (an ephemeral port) only for listen. */
static int v_addr(struct parser *p, const char *key, const char *v, struct conf_addr *a)
{
	long min_port = strcmp(key, "listen") == 0 ? 0 : 1;
	const char *colon;
	char host[CONF_NAME_MAX];
	size_t hl;
	int port;

	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (rb == NULL || rb[1] != ':')
			return perr(p, "%s: '%s' is not [address]:port", key, v);
		hl = (size_t)(rb - v - 1);
		if (hl == 0 || hl >= sizeof(host))
			return perr(p, "%s: bad address in '%s'", key, v);
		memcpy(host, v + 1, hl);
		colon = rb + 1;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL || colon == v)
			return perr(p, "%s: '%s' is not host:port", key, v);
		hl = (size_t)(colon - v);
		if (hl >= sizeof(host))
			return perr(p, "%s: host name too long", key);
		memcpy(host, v, hl);
		if (memchr(host, ':', hl) != NULL)
			return perr(p, "%s: write an IPv6 address as [address]:port", key);
	}
	host[hl] = '\0';
	if (v_int(p, key, colon + 1, min_port, 65535, &port) != 0)
		return -1;
	if (v_str(p, key, host, a->ca_host, sizeof(a->ca_host)) != 0)
		return -1;
	a->ca_port = (uint16_t)port;
	return 0;
}

static int v_tags(struct parser *p, const char *key, const char *v, int *dst, int max, int *n)
{
	char buf[LINE_MAX_LEN], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	*n = 0;
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		int t, i;

		if (*n == max)
			return perr(p, "%s: at most %d tags", key, max);
		if (v_int(p, key, tok, 1, 999999, &t) != 0)
			return -1;
		for (i = 0; i < *n; i++)
			if (dst[i] == t)
				return perr(p, "%s: tag %d listed twice", key, t);
		dst[(*n)++] = t;
	}
	return 0;
}

static bool known_app_msgtype(const char *t)
{
	static const char *const ok[] = {"D", "F", "G", "H", NULL};
	int i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(t, ok[i]) == 0)
			return true;
	return false;
}

static int v_msgtypes(struct parser *p, const char *key, const char *v, struct conf_route *r)
{
	char buf[LINE_MAX_LEN], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	r->cr_nmsgtypes = 0;
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		if (!known_app_msgtype(tok))
			return perr(p,
			    "%s: '%s' is not an order message type riskgwd relays (D F G H)", key,
			    tok);
		if (r->cr_nmsgtypes == CONF_MAX_MSGTYPES)
			return perr(p, "%s: too many message types", key);
		snprintf(r->cr_msgtypes[r->cr_nmsgtypes++], sizeof(r->cr_msgtypes[0]), "%s", tok);
	}
	if (r->cr_nmsgtypes == 0)
		return perr(p, "%s: empty list", key);
	return 0;
}

static int v_names(struct parser *p, const char *key, const char *v, struct conf_names *dst)
{
	char buf[LINE_MAX_LEN], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	dst->cn_count = 0;
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		if (strlen(tok) >= CONF_NAME_MAX)
			return perr(p, "%s: '%.20s...' is longer than %d characters", key, tok,
			    CONF_NAME_MAX - 1);
		for (const char *c = tok; *c; c++)
			if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
				return perr(p, "%s: '%s' is not a user name", key, tok);
		for (int i = 0; i < dst->cn_count; i++)
			if (strcmp(dst->cn_name[i], tok) == 0)
				return perr(p, "%s: '%s' is listed twice", key, tok);
		if (dst->cn_count == CONF_MAX_NAMES)
			return perr(p, "%s: more than %d names", key, CONF_MAX_NAMES);
		snprintf(dst->cn_name[dst->cn_count++], CONF_NAME_MAX, "%s", tok);
	}
	if (dst->cn_count == 0)
		return perr(p, "%s: empty list", key);
	return 0;
}

static int v_level(struct parser *p, const char *key, const char *v, int *dst)
{
	static const struct {
		const char *n;
		int l;
	} lv[] = {{"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	    {"info", LOG_INFO}, {"debug", LOG_DEBUG}};
	size_t i;

	for (i = 0; i < sizeof(lv) / sizeof(lv[0]); i++)
		if (strcmp(v, lv[i].n) == 0) {
			*dst = lv[i].l;
			return 0;
		}
	return perr(p, "%s: '%s' is not one of error, warning, notice, info, debug", key, v);
}

/* ---- keys ---------------------------------------------------------------------- */

enum ktype {
	K_STR, K_PATH, K_INT, K_BOOL, K_ADDR, K_TAGS, K_MSGTYPES, K_LEVEL, K_FIXVER, K_NAMES, K_CMD,
	K_EDGE
};

struct key {
	const char *k_name;
	enum ktype k_type;
	size_t k_off;     /* in struct conf or struct conf_route */
	size_t k_size;    /* for strings */
	long k_lo, k_hi;  /* for ints */
	bool k_required;
};

#define G(name, type, field, lo, hi, req)                                                 \
	{                                                                                 \
		name, type, offsetof(struct conf, field),                                 \
		    sizeof(((struct conf *)0)->field), lo, hi, req                        \
	}
#define P(name, type, field, lo, hi, req)                                                 \
	{                                                                                 \
		name, type, offsetof(struct conf_gpio, field),                            \
		    sizeof(((struct conf_gpio *)0)->field), lo, hi, req                   \
	}
#define R(name, type, field, lo, hi, req)                                                 \
	{                                                                                 \
		name, type, offsetof(struct conf_route, field),                           \
		    sizeof(((struct conf_route *)0)->field), lo, hi, req                  \
	}

static const struct key gkeys[] = {
	G("listen", K_ADDR, c_listen, 0, 0, true),
	G("cert", K_PATH, c_cert, 0, 0, true),
	G("key", K_PATH, c_key, 0, 0, true),
	G("client-ca", K_PATH, c_client_ca, 0, 0, true),
	G("journal", K_PATH, c_journal, 0, 0, true),
	G("rules", K_PATH, c_rules, 0, 0, true),
	G("control", K_PATH, c_control, 0, 0, false),
	G("control-group", K_STR, c_control_group, 0, 0, false),
	G("log-level", K_LEVEL, c_log_level, 0, 0, false),
	G("sync-commit", K_BOOL, c_sync_commit, 0, 0, false),
	G("journal-prealloc", K_INT, c_journal_prealloc, 0, 1048576, false),
	G("journal-map-size", K_INT, c_journal_map, 1, 1048576, false),
	G("max-orders", K_INT, c_max_orders, 1000, 100000000, false),
	G("logon-timeout", K_INT, c_logon_timeout, 1, 300, false),
	G("max-message-size", K_INT, c_max_msg, 512, 1048576, false),
	G("reset-operators", K_NAMES, c_reset_ops, 0, 0, false),
	G("control-delegates", K_NAMES, c_delegates, 0, 0, false),
	G("warn-pct", K_INT, c_warn_pct, 0, 100, false),
	G("alert-command", K_CMD, c_alert_command, 0, 0, false),
	G("alert-timeout", K_INT, c_alert_timeout, 1, 3600, false),
	{NULL, K_STR, 0, 0, 0, 0, false},
};

static const struct key rkeys[] = {
	R("fix-version", K_FIXVER, cr_begin, 0, 0, true),
	R("router-comp-id", K_STR, cr_router_comp, 0, 0, true),
	R("gateway-comp-id", K_STR, cr_gw_comp, 0, 0, true),
	R("router-identity", K_STR, cr_router_identity, 0, 0, true),
	R("venue", K_ADDR, cr_venue, 0, 0, true),
	R("venue-name", K_STR, cr_venue_name, 0, 0, false),
	R("venue-ca", K_PATH, cr_venue_ca, 0, 0, true),
	R("venue-cert", K_PATH, cr_venue_cert, 0, 0, false),
	R("venue-key", K_PATH, cr_venue_key, 0, 0, false),
	R("venue-sender-comp-id", K_STR, cr_venue_sender, 0, 0, true),
	R("venue-target-comp-id", K_STR, cr_venue_target, 0, 0, true),
	R("parent-tag", K_INT, cr_parent_tag, 1, 999999, true),
	R("declared-qty-tag", K_INT, cr_declared_qty_tag, 1, 999999, false),
	R("strip-tags", K_TAGS, cr_strip, 0, 0, false),
	R("allow-msg-types", K_MSGTYPES, cr_msgtypes, 0, 0, false),
	R("cancel-on-disconnect", K_BOOL, cr_cancel_on_disconnect, 0, 0, false),
	R("cancel-on-logout", K_BOOL, cr_cancel_on_logout, 0, 0, false),
	R("heartbeat", K_INT, cr_heartbeat, 1, 300, false),
	R("venue-reset-on-logon", K_BOOL, cr_venue_reset, 0, 0, false),
	{NULL, K_STR, 0, 0, 0, 0, false},
};

/* [gpio]: chip or events-from (one of them: end_section), line required */
static const struct key pkeys[] = {
	P("chip", K_PATH, cg_chip, 0, 0, false),
	P("line", K_INT, cg_line, 0, 65535, true),
	P("active-low", K_BOOL, cg_active_low, 0, 0, false),
	P("edge", K_EDGE, cg_edges, 0, 0, false),
	P("debounce-ms", K_INT, cg_debounce_ms, 0, 1000, false),
	P("optional", K_BOOL, cg_optional, 0, 0, false),
	P("events-from", K_PATH, cg_events_from, 0, 0, false),
	{NULL, K_STR, 0, 0, 0, 0, false},
};

static int set_key(struct parser *p, const struct key *k, void *base, const char *v)
{
	char *f = (char *)base + k->k_off;
	int x;

	switch (k->k_type) {
	case K_STR:
	case K_PATH:
		return v_str(p, k->k_name, v, f, k->k_size);
	case K_INT:
		if (v_int(p, k->k_name, v, k->k_lo, k->k_hi, &x) != 0)
			return -1;
		if (k->k_size == sizeof(size_t))
			*(size_t *)(void *)f = (size_t)x;
		else
			*(int *)(void *)f = x;
		return 0;
	case K_BOOL:
		return v_bool(p, k->k_name, v, (bool *)(void *)f);
	case K_ADDR:
		return v_addr(p, k->k_name, v, (struct conf_addr *)(void *)f);
	case K_TAGS:
		return v_tags(p, k->k_name, v, p->route->cr_strip, CONF_MAX_STRIP,
		    &p->route->cr_nstrip);
	case K_MSGTYPES:
		return v_msgtypes(p, k->k_name, v, p->route);
	case K_LEVEL:
		return v_level(p, k->k_name, v, (int *)(void *)f);
	case K_NAMES:
		return v_names(p, k->k_name, v, (struct conf_names *)(void *)f);
	case K_FIXVER:
		if (strcmp(v, "FIX.4.2") != 0 && strcmp(v, "FIX.4.4") != 0)
			return perr(p, "%s: '%s' is not FIX.4.2 or FIX.4.4", k->k_name, v);
		return v_str(p, k->k_name, v, f, k->k_size);
	case K_CMD:
		if (v[0] != '/')
			return perr(p, "%s: '%s' is not an absolute path", k->k_name, v);
		return v_str(p, k->k_name, v, f, k->k_size);
	case K_EDGE:
		if (strcmp(v, "rising") == 0)
			x = CONF_EDGE_RISING;
		else if (strcmp(v, "falling") == 0)
			x = CONF_EDGE_FALLING;
		else if (strcmp(v, "both") == 0)
			x = CONF_EDGE_RISING | CONF_EDGE_FALLING;
		else
			return perr(p, "%s: '%s' is not rising, falling or both", k->k_name, v);
		*(int *)(void *)f = x;
		return 0;
	}
	return perr(p, "internal: key type");
}

/* ---- sections and whole-file checks ------------------------------------------------ */

static int check_required(struct parser *p, const struct key *keys, uint64_t seen,
    const char *section)
{
	int i;

	for (i = 0; keys[i].k_name != NULL; i++)
		if (keys[i].k_required && !(seen & (UINT64_C(1) << i)))
			return perr(p, "%s: missing required key '%s'", section, keys[i].k_name);
	return 0;
}

static void route_defaults(struct conf_route *r)
{
	r->cr_cancel_on_disconnect = true;
	r->cr_cancel_on_logout = false;
	r->cr_heartbeat = 30;
	r->cr_venue_reset = false;
	snprintf(r->cr_msgtypes[0], sizeof(r->cr_msgtypes[0]), "D");
	snprintf(r->cr_msgtypes[1], sizeof(r->cr_msgtypes[1]), "F");
	snprintf(r->cr_msgtypes[2], sizeof(r->cr_msgtypes[2]), "G");
	r->cr_nmsgtypes = 3;
}

/* Closes the current section: required keys and per-route rules. Errors
 * name the section's header line. */
static int end_section(struct parser *p)
{
	struct conf_route *r = p->route;
	char sect[CONF_NAME_MAX + 16];
	int saved = p->line;

	if (!p->in_section)
		return 0;
	p->line = p->sect_line;
	if (p->in_gpio) {
		const struct conf_gpio *cg = &p->c->c_gpio;

		if (check_required(p, pkeys, p->seen, "[gpio]") != 0)
			return -1;
		if ((cg->cg_chip[0] == '\0') == (cg->cg_events_from[0] == '\0'))
			return perr(p, "[gpio]: set chip (the GPIO chip device) or events-from (a "
				       "FIFO, for tests), not %s",
			    cg->cg_chip[0] == '\0' ? "neither" : "both");
		p->line = saved;
		return 0;
	}
	if (r == NULL) {
		if (check_required(p, gkeys, p->seen, "[gateway]") != 0)
			return -1;
		if (p->c->c_journal_prealloc > 0 && p->c->c_sync_commit)
			return perr(p, "[gateway]: journal-prealloc needs sync-commit = no (with "
				       "syncs the journal is not written through its map)");
		if (p->c->c_journal_prealloc >= p->c->c_journal_map)
			return perr(p,
			    "[gateway]: journal-prealloc (%zu MiB) must be less than "
			    "journal-map-size (%zu MiB)",
			    p->c->c_journal_prealloc, p->c->c_journal_map);
		p->line = saved;
		return 0;
	}
	snprintf(sect, sizeof(sect), "[route %s]", r->cr_name);
	if (check_required(p, rkeys, p->seen, sect) != 0)
		return -1;
	if (r->cr_venue_name[0] == '\0')
		snprintf(r->cr_venue_name, sizeof(r->cr_venue_name), "%s", r->cr_venue.ca_host);
	if ((r->cr_venue_cert[0] == '\0') != (r->cr_venue_key[0] == '\0'))
		return perr(p, "%s: venue-cert and venue-key go together", sect);
	if (strcmp(r->cr_begin, "FIX.4.2") == 0 &&
	    (r->cr_parent_tag == 583 || r->cr_declared_qty_tag == 583))
		return perr(p,
		    "%s: ClOrdLinkID (583) does not exist in FIX 4.2; use a user-defined "
		    "tag (5000-9999) such as 5001",
		    sect);
	if (r->cr_declared_qty_tag != 0 && r->cr_declared_qty_tag == r->cr_parent_tag)
		return perr(p, "%s: parent-tag and declared-qty-tag must differ", sect);
	p->line = saved;
	return 0;
}

static int start_section(struct parser *p, char *s)
{
	size_t n = strlen(s);
	char *name;

	if (end_section(p) != 0)
		return -1;
	if (n < 2 || s[n - 1] != ']')
		return perr(p, "section header '%s' lacks its ']'", s);
	s[n - 1] = '\0';
	s++;
	p->seen = 0;
	p->in_section = true;
	p->in_gpio = false;
	p->sect_line = p->line;
	if (strcmp(s, "gateway") == 0) {
		p->route = NULL;
		return 0;
	}
	if (strcmp(s, "gpio") == 0) {
		struct conf_gpio *cg = &p->c->c_gpio;

		if (cg->cg_enabled)
			return perr(p, "[gpio] defined twice (first at line %d)", cg->cg_line_no);
		p->route = NULL;
		p->in_gpio = true;
		cg->cg_enabled = true;
		cg->cg_line_no = p->line;
		cg->cg_edges = CONF_EDGE_RISING;
		cg->cg_debounce_ms = 50;
		return 0;
	}
	if (strncmp(s, "route", 5) != 0 || (s[5] != ' ' && s[5] != '\t'))
		return perr(p, "unknown section [%s]: expected [gateway], [route NAME] or [gpio]",
		    s);
	name = s + 5;
	while (*name == ' ' || *name == '\t')
		name++;
	if (p->c->c_nroutes == CONF_MAX_ROUTES)
		return perr(p, "more than %d routes", CONF_MAX_ROUTES);
	for (int i = 0; i < p->c->c_nroutes; i++)
		if (strcmp(p->c->c_routes[i].cr_name, name) == 0)
			return perr(p, "route '%s' defined twice (first at line %d)", name,
			    p->c->c_routes[i].cr_line);
	p->route = &p->c->c_routes[p->c->c_nroutes++];
	route_defaults(p->route);
	p->route->cr_line = p->line;
	return v_str(p, "route name", name, p->route->cr_name, sizeof(p->route->cr_name));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int parse_line(struct parser *p, char *line)
{
	char *s = trim(line), *eq, *k, *v;
	const struct key *keys;
	const char *sect;
	void *base;
	int i;

	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[')
		return start_section(p, s);
	if (!p->in_section)
		return perr(p, "'%s' outside a section: start with [gateway]", s);
	eq = strchr(s, '=');
	if (eq == NULL)
		return perr(p, "expected 'key = value', got '%s'", s);
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	/* a trailing comment */
	{
		char *hash = strstr(v, " #");

		if (hash == NULL)
			hash = strstr(v, "\t#");
		if (hash != NULL) {
			*hash = '\0';
			v = trim(v);
		}
	}
	if (p->in_gpio) {
		keys = pkeys;
		base = &p->c->c_gpio;
		sect = "[gpio]";
	} else if (p->route == NULL) {
		keys = gkeys;
		base = p->c;
		sect = "[gateway]";
	} else {
		keys = rkeys;
		base = p->route;
		sect = "[route]";
	}
	for (i = 0; keys[i].k_name != NULL; i++) {
		if (strcmp(keys[i].k_name, k) != 0)
			continue;
		if (p->seen & (UINT64_C(1) << i))
			return perr(p, "'%s' set twice in this section", k);
		p->seen |= UINT64_C(1) << i;
		return set_key(p, &keys[i], base, v);
	}
	return perr(p, "unknown key '%s' in %s", k, sect);
}

static int check_file(struct parser *p, const char *what, const char *path, bool key)
{
	char err[TLS_ERRLEN];

	if (path[0] == '\0')
		return 0;
	if (key) {
		if (tls_check_key_file(path, err) != 0)
			return perr(p, "%s: %s", what, err);
		return 0;
	}
	if (access(path, R_OK) != 0)
		return perr(p, "%s: %s: %s", what, path, strerror(errno));
	return 0;
}

static int check_whole(struct parser *p)
{
	struct conf *c = p->c;
	int i, j;

	p->line = 0;
	if (c->c_cert[0] == '\0')
		return perr(p, "no [gateway] section");
	if (c->c_nroutes == 0)
		return perr(p, "no [route NAME] section: riskgwd would relay nothing");
	for (i = 0; i < c->c_nroutes; i++) {
		const struct conf_route *a = &c->c_routes[i];

		for (j = 0; j < i; j++) {
			const struct conf_route *b = &c->c_routes[j];

			p->line = a->cr_line;
			if (strcmp(a->cr_router_comp, b->cr_router_comp) == 0 &&
			    strcmp(a->cr_gw_comp, b->cr_gw_comp) == 0)
				return perr(p,
				    "route %s: router-comp-id/gateway-comp-id %s/%s already used by "
				    "route %s",
				    a->cr_name, a->cr_router_comp, a->cr_gw_comp, b->cr_name);
		}
	}
	return 0;
}

static int check_files(struct parser *p)
{
	struct conf *c = p->c;
	int i;

	p->line = 0;
	if (check_file(p, "cert", c->c_cert, false) || check_file(p, "key", c->c_key, true) ||
	    check_file(p, "client-ca", c->c_client_ca, false))
		return -1;
	if (c->c_alert_command[0] != '\0') {
		struct stat st;

		if (stat(c->c_alert_command, &st) != 0)
			return perr(p, "alert-command: %s: %s", c->c_alert_command, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return perr(p, "alert-command: %s: not a regular file", c->c_alert_command);
		if (access(c->c_alert_command, X_OK) != 0)
			return perr(p, "alert-command: %s: not executable (%s)", c->c_alert_command,
			    strerror(errno));
	}
	for (i = 0; i < c->c_nroutes; i++) {
		const struct conf_route *r = &c->c_routes[i];

		p->line = r->cr_line;
		if (check_file(p, "venue-ca", r->cr_venue_ca, false) ||
		    check_file(p, "venue-cert", r->cr_venue_cert, false) ||
		    check_file(p, "venue-key", r->cr_venue_key, true))
			return -1;
	}
	return 0;
}

int conf_load(const char *path, bool check, struct conf **out, char err[CONF_ERRLEN])
{
	struct parser p;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.file = path;
	p.err = err;
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, CONF_ERRLEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	p.c = calloc(1, sizeof(*p.c));
	if (p.c == NULL) {
		fclose(f);
		snprintf(err, CONF_ERRLEN, "%s: out of memory", path);
		return -1;
	}
	snprintf(p.c->c_file, sizeof(p.c->c_file), "%s", path);
	snprintf(p.c->c_control, sizeof(p.c->c_control), "/run/riskgw/control.sock");
	p.c->c_log_level = LOG_INFO;
	p.c->c_sync_commit = true;
	p.c->c_max_orders = 2000000;
	p.c->c_journal_map = 4096;
	p.c->c_logon_timeout = 10;
	p.c->c_max_msg = 8192;
	p.c->c_warn_pct = 80;
	p.c->c_alert_timeout = 30;
	/* Whole lines, whatever their length, so that a NUL byte (which would
	 * end the line early and drop the rest of a value unseen) and an
	 * overlong last line are refused like any other. */
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		p.line++;
		if (memchr(line, '\0', (size_t)len) != NULL)
			rc = perr(&p, "NUL byte in the line");
		else if (len - (len > 0 && line[len - 1] == '\n') > LINE_MAX_LEN)
			rc = perr(&p, "line longer than %d characters", LINE_MAX_LEN);
		else
			rc = parse_line(&p, line);
	}
	if (rc == 0 && ferror(f))
		rc = perr(&p, "read error: %s", strerror(errno));
	free(line);
	fclose(f);
	if (rc == 0)
		rc = end_section(&p);
	if (rc == 0)
		rc = check_whole(&p);
	if (rc == 0 && check)
		rc = check_files(&p);
	if (rc != 0) {
		free(p.c);
		return -1;
	}
	*out = p.c;
	return 0;
}

void conf_free(struct conf *c)
{
	free(c);
}

const struct conf_route *conf_route_by_comp(const struct conf *c, const char *router_comp,
    const char *gw_comp)
{
	int i;

	for (i = 0; i < c->c_nroutes; i++)
		if (strcmp(c->c_routes[i].cr_router_comp, router_comp) == 0 &&
		    strcmp(c->c_routes[i].cr_gw_comp, gw_comp) == 0)
			return &c->c_routes[i];
	return NULL;
}
