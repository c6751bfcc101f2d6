/*
 * fuzz_conf.c - fuzz target for riskgwd's configuration parser
 * (gateway/conf.h, conf_load()).
 *
 * The input is a riskgwd.conf, written to a file and loaded as `riskgwd -n`
 * would (without the key files' permission checks). Invariants checked (a
 * violation aborts):
 *  - conf_load() returns 0 or -1; an error names the file (and its line),
 *    is one line and holds no control character, however the file is made;
 *  - loading the same file again gives the same result, byte for byte;
 *  - a comment and an empty line appended change nothing (the error, or
 *    the configuration);
 *  - a configuration that loads is one riskgwd can run: 1..64 routes with
 *    unique names and unique CompID pairs, each found by
 *    conf_route_by_comp(); ports, tags, heartbeats, counts and the other
 *    numbers within the ranges docs/examples/riskgwd.conf gives; CompIDs
 *    and paths printable ASCII without spaces.
 * The file lives in a directory of its own (fuzz_util.h), removed at exit.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], path[300];

static void cleanup(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

static void init_once(void)
{
	if (dir[0] != '\0')
		return;
	fuzz_tmpdir(dir, sizeof(dir), "conf");
	snprintf(path, sizeof(path), "%s/riskgwd.conf", dir);
	atexit(cleanup);
}

static void put(const uint8_t *data, size_t size, const char *more)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	CHECK(fwrite(data, 1, size, f) == size);
	if (more != NULL)
		CHECK(fputs(more, f) >= 0);
	CHECK(fclose(f) == 0);
}

/* A word: 1.. printable ASCII characters, no space (CompIDs, names, paths). */
static bool word(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0 || n == cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

/* An optional word: empty, or a word. */
static bool word0(const char *s, size_t cap)
{
	return s[0] == '\0' || word(s, cap);
}

static void check_route(const struct conf *c, const struct conf_route *r)
{
	CHECK(word(r->cr_name, sizeof(r->cr_name)));
	CHECK(strcmp(r->cr_begin, "FIX.4.2") == 0 || strcmp(r->cr_begin, "FIX.4.4") == 0);
	CHECK(word(r->cr_router_comp, sizeof(r->cr_router_comp)));
	CHECK(word(r->cr_gw_comp, sizeof(r->cr_gw_comp)));
	CHECK(word(r->cr_router_identity, sizeof(r->cr_router_identity)));
	CHECK(word(r->cr_venue.ca_host, sizeof(r->cr_venue.ca_host)) && r->cr_venue.ca_port > 0);
	CHECK(word0(r->cr_venue_name, sizeof(r->cr_venue_name)));
	CHECK(word(r->cr_venue_ca, sizeof(r->cr_venue_ca)));
	CHECK(word0(r->cr_venue_cert, sizeof(r->cr_venue_cert)));
	CHECK(word0(r->cr_venue_key, sizeof(r->cr_venue_key)));
	CHECK((r->cr_venue_cert[0] == '\0') == (r->cr_venue_key[0] == '\0'));
	CHECK(word(r->cr_venue_sender, sizeof(r->cr_venue_sender)));
	CHECK(word(r->cr_venue_target, sizeof(r->cr_venue_target)));
	CHECK(r->cr_parent_tag >= 1 && r->cr_parent_tag <= 999999);
	CHECK(r->cr_declared_qty_tag >= 0 && r->cr_declared_qty_tag <= 999999 &&
	    r->cr_declared_qty_tag != r->cr_parent_tag);
	CHECK(r->cr_nstrip >= 0 && r->cr_nstrip <= CONF_MAX_STRIP);
	for (int i = 0; i < r->cr_nstrip; i++) {
		CHECK(r->cr_strip[i] > 0);
		for (int j = 0; j < i; j++)
			CHECK(r->cr_strip[i] != r->cr_strip[j]);
	}
	CHECK(r->cr_nmsgtypes >= 0 && r->cr_nmsgtypes <= CONF_MAX_MSGTYPES);
	for (int i = 0; i < r->cr_nmsgtypes; i++)
		CHECK(word(r->cr_msgtypes[i], sizeof(r->cr_msgtypes[i])));
	CHECK(r->cr_heartbeat >= 1 && r->cr_heartbeat <= 300);
	CHECK(conf_route_by_comp(c, r->cr_router_comp, r->cr_gw_comp) == r);
}

static void check_conf(const struct conf *c)
{
	CHECK(strcmp(c->c_file, path) == 0);
	CHECK(word(c->c_listen.ca_host, sizeof(c->c_listen.ca_host)));
	CHECK(word(c->c_cert, sizeof(c->c_cert)) && word(c->c_key, sizeof(c->c_key)));
	CHECK(word(c->c_client_ca, sizeof(c->c_client_ca)));
	CHECK(word(c->c_journal, sizeof(c->c_journal)) && word(c->c_rules, sizeof(c->c_rules)));
	CHECK(word(c->c_control, sizeof(c->c_control)));
	CHECK(word0(c->c_control_group, sizeof(c->c_control_group)));
	CHECK(c->c_log_level >= LOG_EMERG && c->c_log_level <= LOG_DEBUG);
	CHECK(c->c_journal_prealloc < c->c_journal_map || c->c_journal_prealloc == 0);
	CHECK(c->c_max_orders >= 1000 && c->c_max_orders <= 100000000);
	CHECK(c->c_logon_timeout >= 1 && c->c_logon_timeout <= 300);
	CHECK(c->c_max_msg >= 512 && c->c_max_msg <= 1048576);
	CHECK(c->c_warn_pct >= 0 && c->c_warn_pct <= 100);
	CHECK(c->c_alert_command[0] == '\0' || c->c_alert_command[0] == '/');
	CHECK(c->c_alert_timeout >= 1 && c->c_alert_timeout <= 3600);
	CHECK(c->c_reset_ops.cn_count >= 0 && c->c_reset_ops.cn_count <= CONF_MAX_NAMES);
	CHECK(c->c_delegates.cn_count >= 0 && c->c_delegates.cn_count <= CONF_MAX_NAMES);
	if (c->c_gpio.cg_enabled) {
		CHECK((c->c_gpio.cg_chip[0] == '\0') != (c->c_gpio.cg_events_from[0] == '\0'));
		CHECK(c->c_gpio.cg_line >= 0 && c->c_gpio.cg_line <= 65535);
		CHECK(c->c_gpio.cg_edges >= 1 && c->c_gpio.cg_edges <= 3);
		CHECK(c->c_gpio.cg_debounce_ms >= 0 && c->c_gpio.cg_debounce_ms <= 1000);
	}
	CHECK(c->c_nroutes >= 1 && c->c_nroutes <= CONF_MAX_ROUTES);
	for (int i = 0; i < c->c_nroutes; i++) {
		check_route(c, &c->c_routes[i]);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(c->c_routes[i].cr_name, c->c_routes[j].cr_name) != 0);
	}
}

static void check_err(const char *err)
{
	size_t n = strnlen(err, CONF_ERRLEN), plen = strlen(path);

	CHECK(n > plen && n < CONF_ERRLEN);
	CHECK(strncmp(err, path, plen) == 0 && err[plen] == ':');
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
}

/* Loads the file: 0 and *c, or -1 and err. */
static int load(struct conf **c, char err[CONF_ERRLEN])
{
	int rc;

	*c = NULL;
	memset(err, 0, CONF_ERRLEN);
	rc = conf_load(path, false, c, err);
	CHECK(rc == 0 || rc == -1);
	CHECK((rc == 0) == (*c != NULL));
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONF_ERRLEN], err2[CONF_ERRLEN];
	struct conf *c, *c2;
	int rc, rc2;

	init_once();
	put(data, size, NULL);
	rc = load(&c, err);
	if (rc == 0)
		check_conf(c);
	else
		check_err(err);

	rc2 = load(&c2, err2);
	CHECK(rc2 == rc);
	if (rc == 0)
		CHECK(memcmp(c, c2, sizeof(*c)) == 0);
	else
		CHECK(strcmp(err, err2) == 0);
	conf_free(c2);

	put(data, size, "\n# appended\n\n");
	rc2 = load(&c2, err2);
	if (rc == 0) {
		if (rc2 != 0) {
			fprintf(stderr, "fuzz_conf: loads, but not with a comment appended: %s\n", err2);
			abort();
		}
		CHECK(memcmp(c, c2, sizeof(*c)) == 0);
	} else if (rc2 == 0) {
		fprintf(stderr, "fuzz_conf: refused (%s), but loads with a comment appended\n", err);
		abort();
	}
	conf_free(c2);
	conf_free(c);
	return 0;
}
