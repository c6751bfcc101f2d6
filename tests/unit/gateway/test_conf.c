/*
 * test_conf.c - gateway/conf.c: the documented example parses; each bad
 * input is refused with file:line and a message that names the problem.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <cmocka.h>

#include "conf.h"
#include "testutil.h"

static char *dir;

static int gsetup(void **state)
{
	(void)state;
	dir = tu_mkdtemp("conf");
	return 0;
}

static int gteardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	free(dir);
	return 0;
}

static char *write_conf(const char *text)
{
	char *p = tu_path(dir, "riskgwd.conf");

	assert_int_equal(tu_write_file(p, text, strlen(text)), 0);
	return p;
}

#define GW                                                                                 \
	"[gateway]\n"                                                                      \
	"listen = 127.0.0.1:9878\n"                                                        \
	"cert = c.crt\n"                                                                   \
	"key = c.key\n"                                                                    \
	"client-ca = ca.crt\n"                                                             \
	"journal = j.mdb\n"                                                                \
	"rules = r.mdb\n"
#define ROUTE44                                                                            \
	"[route r1]\n"                                                                     \
	"fix-version = FIX.4.4\n"                                                          \
	"router-comp-id = R1\n"                                                            \
	"gateway-comp-id = GW\n"                                                           \
	"router-identity = router1\n"                                                      \
	"venue = 127.0.0.1:9880\n"                                                         \
	"venue-ca = ca.crt\n"                                                              \
	"venue-sender-comp-id = GW1\n"                                                     \
	"venue-target-comp-id = V\n"                                                       \
	"parent-tag = 583\n"

static void test_example_config_parses(void **state)
{
	const char *src = getenv("top_srcdir");
	char path[1024], err[CONF_ERRLEN];
	struct conf *c;
	const struct conf_route *r;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/examples/riskgwd.conf", src ? src : ".");
	if (conf_load(path, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->c_nroutes, 2);
	assert_string_equal(c->c_listen.ca_host, "127.0.0.1");
	assert_int_equal(c->c_listen.ca_port, 9878);
	assert_int_equal(c->c_log_level, LOG_INFO);
	assert_true(c->c_sync_commit);
	assert_int_equal(c->c_max_orders, 2000000);
	r = conf_route_by_comp(c, "ROUTER2", "RISKGW");
	assert_non_null(r);
	assert_string_equal(r->cr_name, "router2");
	assert_string_equal(r->cr_begin, "FIX.4.2");
	assert_int_equal(r->cr_parent_tag, 5001);
	assert_int_equal(r->cr_declared_qty_tag, 5002);
	assert_int_equal(r->cr_nstrip, 2);
	assert_int_equal(r->cr_strip[1], 5002);
	assert_true(r->cr_cancel_on_disconnect); /* the default */
	assert_int_equal(r->cr_nmsgtypes, 3);
	assert_string_equal(r->cr_venue_name, "localhost");
	r = conf_route_by_comp(c, "ROUTER1", "RISKGW");
	assert_non_null(r);
	assert_int_equal(r->cr_parent_tag, 583);
	assert_null(conf_route_by_comp(c, "ROUTER1", "OTHER"));
	conf_free(c);
}

/* The example's commented-out keys (control-group, [gpio], ...) parse when
 * uncommented, all but events-from (chip or events-from, not both). */
static void test_example_commented_keys(void **state)
{
	const char *src = getenv("top_srcdir");
	char path[1024], err[CONF_ERRLEN], *text, *out, *line, *save = NULL, *p;
	struct conf *c;
	size_t len, n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/examples/riskgwd.conf", src ? src : ".");
	text = tu_read_file(path, &len);
	assert_non_null(text);
	out = calloc(1, len + 1);
	assert_non_null(out);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' && (line[1] == '[' || (line[1] >= 'a' && line[1] <= 'z')) &&
		    strncmp(line, "#events-from", 12) != 0)
			line++;
		n += (size_t)sprintf(out + n, "%s\n", line);
	}
	p = write_conf(out);
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_true(c->c_gpio.cg_enabled);
	assert_string_equal(c->c_gpio.cg_chip, "/dev/gpiochip0");
	assert_int_equal(c->c_gpio.cg_line, 17);
	assert_true(c->c_gpio.cg_active_low);
	assert_int_equal(c->c_gpio.cg_edges, CONF_EDGE_RISING);
	assert_int_equal(c->c_gpio.cg_debounce_ms, 50);
	assert_false(c->c_gpio.cg_optional);
	conf_free(c);
	free(p);
	free(out);
	free(text);
}

static void test_defaults_and_ipv6(void **state)
{
	char err[CONF_ERRLEN];
	struct conf *c;
	char *p = write_conf(
	    "[gateway]\nlisten = [::1]:9878\ncert = c\nkey = k\nclient-ca = a\njournal = j\n"
	    "rules = r\n" ROUTE44 "venue-name = venue.example  # trailing comment\n");

	(void)state;
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(c->c_listen.ca_host, "::1");
	assert_string_equal(c->c_routes[0].cr_venue_name, "venue.example");
	assert_string_equal(c->c_control, "/run/riskgw/control.sock");
	assert_string_equal(c->c_control_group, ""); /* none unless configured */
	assert_int_equal(c->c_routes[0].cr_heartbeat, 30);
	assert_false(c->c_routes[0].cr_venue_reset); /* sequence numbers kept across logons */
	assert_int_equal(c->c_journal_prealloc, 0);
	assert_int_equal(c->c_journal_map, 4096);
	conf_free(c);
	free(p);
}

static void test_journal_prealloc(void **state)
{
	char err[CONF_ERRLEN];
	struct conf *c;
	char *p = write_conf(
	    GW "sync-commit = no\njournal-prealloc = 512\njournal-map-size = 8192\n" ROUTE44);

	(void)state;
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_false(c->c_sync_commit);
	assert_int_equal(c->c_journal_prealloc, 512);
	assert_int_equal(c->c_journal_map, 8192);
	conf_free(c);
	free(p);
}

static void test_venue_reset(void **state)
{
	char err[CONF_ERRLEN];
	struct conf *c;
	char *p = write_conf(GW ROUTE44 "venue-reset-on-logon = yes\n");

	(void)state;
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_true(c->c_routes[0].cr_venue_reset);
	conf_free(c);
	free(p);
}

static void test_control_group(void **state)
{
	char err[CONF_ERRLEN];
	struct conf *c;
	char *p = write_conf("[gateway]\nlisten = 127.0.0.1:1\ncert = c\nkey = k\n"
			     "client-ca = a\njournal = j\nrules = r\n"
			     "control = /tmp/x/control.sock\ncontrol-group = riskops\n" ROUTE44);

	(void)state;
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(c->c_control, "/tmp/x/control.sock");
	assert_string_equal(c->c_control_group, "riskops");
	conf_free(c);
	free(p);
	p = write_conf("[gateway]\nlisten = 127.0.0.1:1\ncert = c\nkey = k\n"
		       "client-ca = a\njournal = j\nrules = r\ncontrol-group = risk ops\n" ROUTE44);
	assert_int_not_equal(conf_load(p, false, &c, err), 0);
	assert_non_null(strstr(err, ":8: control-group: 'risk ops' must be printable ASCII"));
	free(p);
}

struct bad {
	const char *text;
	const char *want; /* substring of the error, with the line */
};

static const struct bad bads[] = {
	{"listen = 1:2\n", ":1: 'listen = 1:2' outside a section"},
	{"[gateway\n", ":1: section header '[gateway' lacks its ']'"},
	{"[gw]\n", ":1: unknown section [gw]"},
	{GW "bogus = 1\n", ":8: unknown key 'bogus' in [gateway]"},
	{GW "listen = 127.0.0.1:1\n", ":8: 'listen' set twice"},
	{"[gateway]\nlisten = 127.0.0.1\n", ":2: listen: '127.0.0.1' is not host:port"},
	{"[gateway]\nlisten = 127.0.0.1:70000\n", ":2: listen: 70000 is out of range 0..65535"},
	{GW "[route r1]\nvenue = 127.0.0.1:0\n", ":9: venue: 0 is out of range 1..65535"},
	{"[gateway]\nlisten = 127.0.0.1:-1\n", ":2: listen: '-1' is not a number"},
	{"[gateway]\nlisten = ::1:80\n", ":2: listen: write an IPv6 address as [address]:port"},
	{"[gateway]\ncert = a b\n", ":2: cert: 'a b' must be printable ASCII without spaces"},
	{"[gateway]\ncert =\n", ":2: cert: empty value"},
	{"[gateway]\ncert = a\x1b[31mred\n",
	    ":2: cert: 'a\\x1b[31mred' must be printable ASCII without spaces"},
	{"[gate\x1b]0;t\x07way]\n", ":1: unknown section [gate\\x1b]0;t\\x07way]"},
	{"[gateway]\nlog-level = loud\n", ":2: log-level: 'loud' is not one of"},
	{"[gateway]\nsync-commit = maybe\n", ":2: sync-commit: 'maybe' is not yes or no"},
	{"[gateway]\nmax-orders = 10\n", ":2: max-orders: 10 is out of range"},
	{"[gateway]\njournal-prealloc = 2000000\n", ":2: journal-prealloc: 2000000 is out of range"},
	{"[gateway]\njournal-map-size = 0\n", ":2: journal-map-size: 0 is out of range"},
	{GW "sync-commit = no\njournal-prealloc = 128\njournal-map-size = 128\n" ROUTE44,
	    ":1: [gateway]: journal-prealloc (128 MiB) must be less than journal-map-size (128 MiB)"},
	{GW "journal-prealloc = 64\n" ROUTE44,
	    ":1: [gateway]: journal-prealloc needs sync-commit = no"},
	{"[gateway]\nlisten 127.0.0.1:1\n", ":2: expected 'key = value'"},
	{"[gateway]\nlisten = 127.0.0.1:1\n", ":1: [gateway]: missing required key 'cert'"},
	{GW, "no [route NAME] section"},
	{GW ROUTE44 "fix-version = FIX.4.3\n", ":18: 'fix-version' set twice"},
	{GW "[route r1]\nfix-version = FIX.4.3\n", ":9: fix-version: 'FIX.4.3' is not FIX.4.2"},
	{GW "[route r1]\nparent-tag = 0\n", ":9: parent-tag: 0 is out of range"},
	{GW "[route r1]\nstrip-tags = 583 583\n", ":9: strip-tags: tag 583 listed twice"},
	{GW "[route r1]\nstrip-tags = 58x\n", ":9: strip-tags: '58x' is not a number"},
	{GW "[route r1]\nallow-msg-types = D 8\n", ":9: allow-msg-types: '8' is not an order"},
	{GW "[route r1]\nfix-version = FIX.4.4\n",
	    ":8: [route r1]: missing required key 'router-comp-id'"},
	{GW ROUTE44 "[route r1]\n", ":18: route 'r1' defined twice (first at line 8)"},
	{GW ROUTE44 "fix-version = FIX.4.2\n", "'fix-version' set twice"},
	{GW "[route r2]\nfix-version = FIX.4.2\nrouter-comp-id = R1\ngateway-comp-id = GW\n"
	    "router-identity = router1\nvenue = 127.0.0.1:9880\nvenue-ca = ca.crt\n"
	    "venue-sender-comp-id = GW1\nvenue-target-comp-id = V\nparent-tag = 583\n",
	    ":8: [route r2]: ClOrdLinkID (583) does not exist in FIX 4.2"},
	{GW ROUTE44 "declared-qty-tag = 583\n", ":8: [route r1]: parent-tag and declared-qty-tag"},
	{GW ROUTE44 "venue-cert = x.crt\n", ":8: [route r1]: venue-cert and venue-key go together"},
	{GW ROUTE44 "venue-reset-on-logon = always\n",
	    ":18: venue-reset-on-logon: 'always' is not yes or no"},
	{GW "alert-command = page-oncall\n", ":8: alert-command: 'page-oncall' is not an absolute"},
	{GW "alert-timeout = 0\n", ":8: alert-timeout: 0 is out of range 1..3600"},
	{GW ROUTE44 "[gpio]\nchip = /dev/gpiochip0\n", ":18: [gpio]: missing required key 'line'"},
	{GW ROUTE44 "[gpio]\nline = 17\n", ":18: [gpio]: set chip (the GPIO chip device) or "
					  "events-from (a FIFO, for tests), not neither"},
	{GW ROUTE44 "[gpio]\nline = 1\nchip = /dev/gpiochip0\nevents-from = /tmp/f\n",
	    ":18: [gpio]: set chip (the GPIO chip device) or events-from (a FIFO, for tests), "
	    "not both"},
	{GW ROUTE44 "[gpio]\nedge = up\n", ":19: edge: 'up' is not rising, falling or both"},
	{GW ROUTE44 "[gpio]\ndebounce-ms = 1001\n", ":19: debounce-ms: 1001 is out of range 0..1000"},
	{GW ROUTE44 "[gpio]\nline = -1\n", ":19: line: '-1' is not a number"},
	{GW ROUTE44 "[gpio]\nactive-low = low\n", ":19: active-low: 'low' is not yes or no"},
	{GW ROUTE44 "[gpio]\nlisten = 127.0.0.1:1\n", ":19: unknown key 'listen' in [gpio]"},
	{GW ROUTE44 "[gpio]\nline = 1\nline = 2\n", ":20: 'line' set twice"},
	{GW ROUTE44 "[gpio]\nline = 1\nchip = /c\n[gpio]\n", ":21: [gpio] defined twice (first "
								"at line 18)"},
	{GW ROUTE44 "[route r2]\nfix-version = FIX.4.4\nrouter-comp-id = R1\n"
	    "gateway-comp-id = GW\nrouter-identity = router1\nvenue = 127.0.0.1:9880\n"
	    "venue-ca = ca.crt\nvenue-sender-comp-id = GW1\nvenue-target-comp-id = V\n"
	    "parent-tag = 583\n",
	    ":18: route r2: router-comp-id/gateway-comp-id R1/GW already used by route r1"},
};

static void test_bad_configs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char err[CONF_ERRLEN];
		struct conf *c = (void *)1;
		char *p = write_conf(bads[i].text);

		if (conf_load(p, false, &c, err) == 0)
			fail_msg("case %zu accepted; expected '%s'", i, bads[i].want);
		assert_null(c);
		if (strstr(err, bads[i].want) == NULL)
			fail_msg("case %zu: got '%s', expected '%s'", i, err, bads[i].want);
		assert_non_null(strstr(err, "riskgwd.conf"));
		free(p);
	}
}

static void test_long_line_and_missing_file(void **state)
{
	char err[CONF_ERRLEN], *text = malloc(3000), *p;
	struct conf *c;

	(void)state;
	memset(text, 'x', 2999);
	text[2999] = '\0';
	memcpy(text, "[gateway]\ncert = ", 17);
	p = write_conf(text);
	assert_int_equal(conf_load(p, false, &c, err), -1);
	assert_non_null(strstr(err, ":2: line longer than"));
	assert_int_equal(conf_load("/nonexistent/riskgwd.conf", false, &c, err), -1);
	assert_non_null(strstr(err, "No such file"));
	/* a NUL byte would end the line early, the rest of the value unseen
	 * (found by tests/fuzz/fuzz_conf.c) */
	{
		static const char nul[] = GW "journal-map-size = 8192\0 # 64\n" ROUTE44;

		assert_int_equal(tu_write_file(p, nul, sizeof(nul) - 1), 0);
		assert_int_equal(conf_load(p, false, &c, err), -1);
		assert_non_null(strstr(err, ":8: NUL byte in the line"));
	}
	free(text);
	free(p);
}

static void test_file_checks(void **state)
{
	char err[CONF_ERRLEN], text[2048];
	struct conf *c;
	char *crt = tu_path(dir, "gw.crt"), *key = tu_path(dir, "gw.key"), *p;

	(void)state;
	assert_int_equal(tu_write_file(crt, "x", 1), 0);
	assert_int_equal(tu_write_file(key, "x", 1), 0);
	assert_int_equal(chmod(key, 0644), 0);
	snprintf(text, sizeof(text),
	    "[gateway]\nlisten = 127.0.0.1:1\ncert = %s\nkey = %s\nclient-ca = %s\njournal = j\n"
	    "rules = r\n" ROUTE44,
	    crt, key, crt);
	/* venue-ca = ca.crt does not exist relative to the cwd either */
	p = write_conf(text);
	assert_int_equal(conf_load(p, true, &c, err), -1);
	assert_non_null(strstr(err, "key: key file"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(conf_load(p, true, &c, err), -1);
	assert_non_null(strstr(err, ":8: venue-ca: ca.crt: No such file"));
	/* without file checks the same text is fine */
	assert_int_equal(conf_load(p, false, &c, err), 0);
	conf_free(c);
	free(crt);
	free(key);
	free(p);
}

static void test_gpio_section(void **state)
{
	char err[CONF_ERRLEN];
	struct conf *c;
	char *p;

	(void)state;
	/* none: no button */
	p = write_conf(GW ROUTE44);
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_false(c->c_gpio.cg_enabled);
	assert_string_equal(c->c_alert_command, "");
	assert_int_equal(c->c_alert_timeout, 30);
	conf_free(c);
	free(p);
	/* the defaults: rising, 50 ms, active high, required */
	p = write_conf(GW ROUTE44 "[gpio]\nchip = /dev/gpiochip0\nline = 17\n");
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_true(c->c_gpio.cg_enabled);
	assert_int_equal(c->c_gpio.cg_line_no, 18);
	assert_string_equal(c->c_gpio.cg_chip, "/dev/gpiochip0");
	assert_int_equal(c->c_gpio.cg_line, 17);
	assert_false(c->c_gpio.cg_active_low);
	assert_int_equal(c->c_gpio.cg_edges, CONF_EDGE_RISING);
	assert_int_equal(c->c_gpio.cg_debounce_ms, 50);
	assert_false(c->c_gpio.cg_optional);
	assert_string_equal(c->c_gpio.cg_events_from, "");
	conf_free(c);
	free(p);
	/* every key; [gpio] before the routes; a route after it */
	p = write_conf(GW "[gpio]\nevents-from = /tmp/x.fifo  # tests\nline = 0\n"
			  "active-low = yes\nedge = both\ndebounce-ms = 0\noptional = yes\n" ROUTE44
			  "alert-timeout = 5\n");
	assert_int_not_equal(conf_load(p, false, &c, err), 0); /* alert-timeout in a route */
	assert_non_null(strstr(err, ":25: unknown key 'alert-timeout' in [route]"));
	free(p);
	p = write_conf(GW "alert-timeout = 5\n[gpio]\nevents-from = /tmp/x.fifo  # tests\n"
			  "line = 0\nactive-low = yes\nedge = both\ndebounce-ms = 0\n"
			  "optional = yes\n" ROUTE44);
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->c_alert_timeout, 5);
	assert_string_equal(c->c_gpio.cg_events_from, "/tmp/x.fifo");
	assert_string_equal(c->c_gpio.cg_chip, "");
	assert_int_equal(c->c_gpio.cg_line, 0);
	assert_true(c->c_gpio.cg_active_low);
	assert_int_equal(c->c_gpio.cg_edges, CONF_EDGE_RISING | CONF_EDGE_FALLING);
	assert_int_equal(c->c_gpio.cg_debounce_ms, 0);
	assert_true(c->c_gpio.cg_optional);
	assert_int_equal(c->c_nroutes, 1);
	conf_free(c);
	free(p);
	p = write_conf(GW ROUTE44 "[gpio]\nchip = /dev/gpiochip1\nline = 3\nedge = falling\n");
	if (conf_load(p, false, &c, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->c_gpio.cg_edges, CONF_EDGE_FALLING);
	conf_free(c);
	free(p);
}

/* ROUTE44 with its venue-ca given as an argument */
#define ROUTE_CA                                                                           \
	"[route r1]\nfix-version = FIX.4.4\nrouter-comp-id = R1\ngateway-comp-id = GW\n"       \
	"router-identity = router1\nvenue = 127.0.0.1:9880\nvenue-ca = %s\n"                   \
	"venue-sender-comp-id = GW1\nvenue-target-comp-id = V\nparent-tag = 583\n"

/* alert-command: absolute (parse), and at the file checks a regular,
 * executable file */
static void test_alert_command_checks(void **state)
{
	char err[CONF_ERRLEN], text[2048];
	struct conf *c;
	char *crt = tu_path(dir, "a.crt"), *key = tu_path(dir, "a.key"), *cmd = tu_path(dir, "page"),
	     *p;

	(void)state;
	assert_int_equal(tu_write_file(crt, "x", 1), 0);
	assert_int_equal(tu_write_file(key, "x", 1), 0);
	assert_int_equal(chmod(key, 0600), 0);
	snprintf(text, sizeof(text),
	    "[gateway]\nlisten = 127.0.0.1:1\ncert = %s\nkey = %s\nclient-ca = %s\njournal = j\n"
	    "rules = r\nalert-command = %s\n" ROUTE_CA,
	    crt, key, crt, cmd, crt);
	p = write_conf(text);
	/* missing */
	assert_int_equal(conf_load(p, true, &c, err), -1);
	assert_non_null(strstr(err, "alert-command: "));
	assert_non_null(strstr(err, "/page: No such file or directory"));
	/* not executable (access(X_OK) wants an x bit, also for root) */
	assert_int_equal(tu_write_file(cmd, "#!/bin/sh\n", 10), 0);
	assert_int_equal(chmod(cmd, 0644), 0);
	assert_int_equal(conf_load(p, true, &c, err), -1);
	assert_non_null(strstr(err, "/page: not executable"));
	/* a directory */
	free(p);
	snprintf(text, sizeof(text),
	    "[gateway]\nlisten = 127.0.0.1:1\ncert = %s\nkey = %s\nclient-ca = %s\njournal = j\n"
	    "rules = r\nalert-command = %s\n" ROUTE_CA,
	    crt, key, crt, dir, crt);
	p = write_conf(text);
	assert_int_equal(conf_load(p, true, &c, err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	free(p);
	/* fine */
	snprintf(text, sizeof(text),
	    "[gateway]\nlisten = 127.0.0.1:1\ncert = %s\nkey = %s\nclient-ca = %s\njournal = j\n"
	    "rules = r\nalert-command = %s\n" ROUTE_CA,
	    crt, key, crt, cmd, crt);
	p = write_conf(text);
	assert_int_equal(chmod(cmd, 0755), 0);
	if (conf_load(p, true, &c, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(c->c_alert_command, cmd);
	conf_free(c);
	free(crt);
	free(key);
	free(cmd);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_config_parses),
		cmocka_unit_test(test_example_commented_keys),
		cmocka_unit_test(test_defaults_and_ipv6),
		cmocka_unit_test(test_venue_reset),
		cmocka_unit_test(test_control_group),
		cmocka_unit_test(test_journal_prealloc),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_long_line_and_missing_file),
		cmocka_unit_test(test_file_checks),
		cmocka_unit_test(test_gpio_section),
		cmocka_unit_test(test_alert_command_checks),
	};

	return cmocka_run_group_tests_name("conf", tests, gsetup, gteardown);
}
