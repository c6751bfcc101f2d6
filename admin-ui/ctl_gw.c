/*
 * ctl_gw.c - riskgwctl's commands that talk to a running riskgwd over its
 * control socket (gateway/ctl_proto.h, docs/control.md):
 *
 *   riskgwctl [-s SOCKET] status|sessions|parents|counters [--json]
 *   riskgwctl [-s SOCKET] kill --who USER --reason TEXT [--json]
 *
 * The socket is -s SOCKET, else $RISKGW_CONTROL, else CTL_DEFAULT_SOCKET.
 * Human tables by default; --json prints riskgwd's reply as JSON (the
 * chunks of a long reply merged into one document). One request per run;
 * every wait is bounded (CTL_CLIENT_TIMEOUT_S).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_proto.h"

#define CTL_CLIENT_TIMEOUT_S 30

/* ---- the connection -------------------------------------------------------------- */

static int gw_connect(const struct ctl *c, int *out)
{
	struct sockaddr_un sa;
	int fd, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(c->c_socket) >= sizeof(sa.sun_path))
		return ctl_err("%s: socket path too long", c->c_socket);
	memcpy(sa.sun_path, c->c_socket, strlen(c->c_socket));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctl_err("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return ctl_err("cannot connect to %s: riskgwd not running?", c->c_socket);
		if (e == EACCES || e == EPERM)
			return ctl_err("cannot connect to %s: permission denied (root, riskgwd's "
			               "user or its control group only)",
			               c->c_socket);
		return ctl_err("cannot connect to %s: %s", c->c_socket, strerror(e));
	}
	*out = fd;
	return CTL_OK;
}

/* Waits for fd to be ready for ev. CTL_OK or CTL_ERR (printed). */
static int wait_fd(const struct ctl *c, int fd, short ev)
{
	struct pollfd p = {fd, ev, 0};
	int rc;

	do
		rc = poll(&p, 1, CTL_CLIENT_TIMEOUT_S * 1000);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return ctl_err("%s: no answer from riskgwd within %d s", c->c_socket,
		               CTL_CLIENT_TIMEOUT_S);
	if (rc < 0)
		return ctl_err("poll: %s", strerror(errno));
	return CTL_OK;
}

static int send_all(const struct ctl *c, int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c, fd, POLLOUT) != CTL_OK)
				return CTL_ERR;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return CTL_OK; /* refused: riskgwd's reason is there to read */
		if (n < 0)
			return ctl_err("%s: sending: %s", c->c_socket, strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return CTL_OK;
}

/* Reads exactly len bytes. *eof is set when the connection ended before
 * the first byte. CTL_OK or CTL_ERR (printed, unless *eof). */
static int recv_all(const struct ctl *c, int fd, char *buf, size_t len, bool *eof)
{
	size_t got = 0;

	*eof = false;
	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c, fd, POLLIN) != CTL_OK)
				return CTL_ERR;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && got == 0) {
			*eof = true;
			return CTL_ERR;
		}
		if (n <= 0)
			return ctl_err("%s: riskgwd closed the connection in the middle of a "
			               "reply%s%s",
			               c->c_socket, n < 0 ? ": " : "",
			               n < 0 ? strerror(errno) : "");
		got += (size_t)n;
	}
	return CTL_OK;
}

/* Reads one message into *m. CTL_OK or CTL_ERR (printed). */
static int recv_msg(const struct ctl *c, int fd, struct ctl_msg *m)
{
	char hdr[CTL_HDR_LEN], err[CTL_ERRLEN], *buf;
	struct ctl_hdr h;
	bool eof;
	int rc;

	if (recv_all(c, fd, hdr, sizeof(hdr), &eof) != CTL_OK) {
		if (eof)
			return ctl_err("%s: riskgwd closed the connection without a reply",
			               c->c_socket);
		return CTL_ERR;
	}
	if ((rc = ctl_hdr_get(hdr, CTL_MAX_PAYLOAD, &h, err)) != 0)
		return ctl_err("%s: bad reply from riskgwd: %s", c->c_socket, err);
	if ((buf = malloc(CTL_HDR_LEN + (size_t)h.h_len)) == NULL)
		return ctl_err("out of memory");
	memcpy(buf, hdr, CTL_HDR_LEN);
	if (h.h_len > 0 && recv_all(c, fd, buf + CTL_HDR_LEN, h.h_len, &eof) != CTL_OK) {
		free(buf);
		if (eof)
			return ctl_err("%s: riskgwd closed the connection in the middle of a "
			               "reply",
			               c->c_socket);
		return CTL_ERR;
	}
	rc = ctl_decode(buf, CTL_HDR_LEN + (size_t)h.h_len, CTL_MAX_PAYLOAD, m, err);
	free(buf);
	if (rc != 0)
		return ctl_err("%s: bad reply from riskgwd: %s", c->c_socket, err);
	return CTL_OK;
}

/*
 * Sends one request (takes body) and collects its reply into *out: for a
 * chunked reply, the arrays under list_key of every chunk are joined into
 * the first chunk's. CTL_OK, or CTL_ERR with the message printed (riskgwd's
 * error reply included).
 */
static int request(const struct ctl *c, unsigned type, json_t *body, const char *list_key,
                   json_t **out)
{
	const uint32_t id = (uint32_t)getpid();
	char err[CTL_ERRLEN];
	json_t *all = NULL;
	void *buf;
	size_t len;
	bool more = true;
	int fd = -1, rc;

	*out = NULL;
	rc = ctl_encode(type, id, body, &buf, &len, err);
	json_decref(body);
	if (rc != 0)
		return ctl_err("cannot encode the request: %s", err);
	if (gw_connect(c, &fd) != CTL_OK) {
		free(buf);
		return CTL_ERR;
	}
	rc = send_all(c, fd, buf, len);
	free(buf);
	while (rc == CTL_OK && more) {
		struct ctl_msg m;
		const char *name, *text;

		if ((rc = recv_msg(c, fd, &m)) != CTL_OK)
			break;
		if (m.cm_type == CTL_T_ERROR) {
			if (ctl_error_get(m.cm_body, &name, &text, err) == 0)
				rc = ctl_err("riskgwd: %s (%s)", text, name);
			else
				rc = ctl_err("riskgwd: an error reply without a message");
		} else if (m.cm_type != (type | CTL_T_REPLY) || m.cm_id != id) {
			rc = ctl_err("%s: unexpected %s message (id %u) from riskgwd", c->c_socket,
			             ctl_type_name(m.cm_type), m.cm_id);
		} else if (ctl_reply_more(m.cm_body, &more, err) != 0) {
			rc = ctl_err("%s: bad reply from riskgwd: %s", c->c_socket, err);
		} else if (all == NULL) {
			all = json_incref(m.cm_body);
		} else if (list_key == NULL ||
		           json_array_extend(json_object_get(all, list_key),
		                             json_object_get(m.cm_body, list_key)) != 0) {
			rc = ctl_err("%s: bad reply from riskgwd: chunks without \"%s\"",
			             c->c_socket, list_key ? list_key : "?");
		}
		ctl_msg_clear(&m);
	}
	close(fd);
	if (rc != CTL_OK) {
		json_decref(all);
		return rc;
	}
	json_object_del(all, "more");
	*out = all;
	return CTL_OK;
}

/* ---- output helpers --------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : "-";
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* Prints riskgwd's reply j as JSON and frees it (every --json output). */
static int print_json(json_t *j)
{
	int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (rc != 0)
		return ctl_err("writing the output failed");
	putchar('\n');
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

/* Parses the options of a read command: --json only, no operands. */
static int read_opts(const struct ctl_cmd *cmd, int argc, char **argv, bool *json)
{
	struct ctl_opts o;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, "j", &o, &first)) != CTL_OK)
		return rc;
	if (first != argc)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first]);
	*json = o.co_json;
	return CTL_OK;
}

static void print_one_kill(const char *scope, const json_t *k)
{
	const json_t *rq = json_object_get(k, "reset_request");

	printf("%-13s TRIPPED at %s by %s (%s): %s\n", scope, str(k, "time"),
	       str(k, "who")[0] ? str(k, "who") : "-", str(k, "source"), str(k, "reason"));
	if (json_is_object(rq))
		printf("%-13s reset requested at %s by %s: %s (waiting for a second person)\n", "",
		       str(rq, "time"), str(rq, "who"), str(rq, "reason"));
}

static void print_kill(const json_t *k)
{
	const json_t *scopes = json_object_get(k, "scopes"), *e;
	size_t i;

	if (strcmp(str(k, "state"), "tripped") == 0)
		print_one_kill("global", k);
	else
		printf("global        armed\n");
	json_array_foreach(scopes, i, e) print_one_kill(str(e, "scope"), e);
	if (json_object_get(k, "open_orders") != NULL &&
	    (strcmp(str(k, "state"), "tripped") == 0 || json_array_size(scopes) > 0)) {
		printf("%-13s %lld orders still open at venues, %lld cancels sent, %lld orders "
		       "refused\n",
		       "", num(k, "open_orders"), num(k, "cancels_sent"), num(k, "orders_refused"));
		if (json_is_number(json_object_get(k, "all_closed_ms")))
			printf("%-13s all closed %.1f ms after the trip\n", "",
			       json_number_value(json_object_get(k, "all_closed_ms")));
	}
}

/* The rest of the journal's line of status: how full it is, if riskgwd says. */
static void print_journal(const json_t *j)
{
	double mib = 1024.0 * 1024.0, live = (double)num(j, "live_bytes"),
	       map = (double)num(j, "map_bytes");

	if (json_is_object(j) && map > 0) {
		printf(", %.1f MiB of %.0f MiB in use (%.0f%%)", live / mib, map / mib,
		       100.0 * live / map);
		if (num(j, "prepared_bytes") > 0)
			printf(", %.1f MiB prepared ahead", (double)num(j, "prepared_bytes") / mib);
	}
	printf("\n");
}

/* The kill button's line of status; nothing from a riskgwd that does not say. */
static void print_button(const json_t *b)
{
	const char *st = str(b, "state");

	if (!json_is_object(b))
		return;
	if (strcmp(st, "none") == 0)
		printf("kill button:  none configured\n");
	else if (strcmp(st, "up") == 0)
		printf("kill button:  up (%s), %lld presses\n", str(b, "source"), num(b, "presses"));
	else
		printf("kill button:  %s: %s\n", strcmp(st, "absent") == 0 ? "ABSENT" : "LOST",
		       str(b, "error"));
}

/* ---- commands ----------------------------------------------------------------------- */

static int cmd_status(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t *r;
	bool json;
	long long up;
	int rc;

	if ((rc = read_opts(cmd, argc, argv, &json)) != CTL_OK)
		return rc;
	if ((rc = request(c, CTL_T_STATUS, NULL, NULL, &r)) != CTL_OK)
		return rc;
	if (json)
		return print_json(r);
	up = num(r, "uptime_s");
	printf("riskgwd:      %s, pid %lld, up %lldd %02lld:%02lld:%02lld (since %s)\n",
	       str(r, "version"), num(r, "pid"), up / 86400, up / 3600 % 24, up / 60 % 60, up % 60,
	       str(r, "started"));
	printf("kill switch:\n");
	print_kill(json_object_get(r, "kill"));
	printf("trading day:  %lld\n", num(r, "trading_day"));
	printf("journal:      last event %lld", num(r, "journal_last_event"));
	print_journal(json_object_get(r, "journal"));
	printf("routes:       %lld up of %lld (routers logged on %lld, venues logged on %lld)\n",
	       num(r, "routes_up"), num(r, "routes"), num(r, "routers_up"), num(r, "venues_up"));
	print_button(json_object_get(r, "gpio"));
	if (json_is_true(json_object_get(r, "stopping")))
		printf("state:        stopping\n");
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

static void print_leg(const char *route, const char *what, const json_t *l)
{
	printf("%-16s %-7s %-12s %8lld %8lld  %-22s %-16s %s\n", route, what, str(l, "state"),
	       num(l, "next_in"), num(l, "next_out"), str(l, "peer"), str(l, "identity"),
	       str(l, "down_reason"));
}

static int cmd_sessions(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t *r, *rt;
	size_t i;
	bool json;
	int rc;

	if ((rc = read_opts(cmd, argc, argv, &json)) != CTL_OK)
		return rc;
	if ((rc = request(c, CTL_T_SESSIONS, NULL, NULL, &r)) != CTL_OK)
		return rc;
	if (json)
		return print_json(r);
	printf("%-16s %-7s %-12s %8s %8s  %-22s %-16s %s\n", "ROUTE", "LEG", "STATE", "NEXT_IN",
	       "NEXT_OUT", "PEER", "IDENTITY", "DOWN_REASON");
	json_array_foreach(json_object_get(r, "routes"), i, rt)
	{
		print_leg(str(rt, "route"), "router", json_object_get(rt, "router"));
		print_leg(str(rt, "route"), "venue", json_object_get(rt, "venue_session"));
	}
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

static int cmd_parents(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t *r, *p;
	size_t i;
	bool json;
	int rc;

	if ((rc = read_opts(cmd, argc, argv, &json)) != CTL_OK)
		return rc;
	if ((rc = request(c, CTL_T_PARENTS, NULL, "parents", &r)) != CTL_OK)
		return rc;
	if (json)
		return print_json(r);
	printf("%-20s %-12s %-10s %4s %10s %10s %10s %16s %16s %7s %5s\n", "PARENT", "ACCOUNT",
	       "SYMBOL", "SIDE", "QTY", "OPEN_QTY", "FILLED_QTY", "OPEN_NOTIONAL",
	       "FILLED_NOTIONAL", "ORDERS", "LIVE");
	json_array_foreach(json_object_get(r, "parents"), i, p)
	{
		printf("%-20s %-12s %-10s %4s %10lld %10lld %10lld %16s %16s %7lld %5lld%s%s%s\n",
		       str(p, "parent"), str(p, "account"), str(p, "symbol"), str(p, "side"),
		       num(p, "qty"), num(p, "open_qty"), num(p, "filled_qty"),
		       str(p, "open_notional"), str(p, "filled_notional"), num(p, "orders"),
		       num(p, "live"), json_is_true(json_object_get(p, "pinned")) ? " pinned" : "",
		       json_is_true(json_object_get(p, "blocked")) ? " BLOCKED" : "",
		       json_is_true(json_object_get(p, "warned_qty")) ||
		               json_is_true(json_object_get(p, "warned_notional"))
		           ? " warned"
		           : "");
	}
	printf("%zu parents\n", json_array_size(json_object_get(r, "parents")));
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

static int cmd_counters(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t *r, *rt;
	size_t i;
	bool json;
	int rc;

	if ((rc = read_opts(cmd, argc, argv, &json)) != CTL_OK)
		return rc;
	if ((rc = request(c, CTL_T_COUNTERS, NULL, NULL, &r)) != CTL_OK)
		return rc;
	if (json)
		return print_json(r);
	printf("%-16s %9s %9s %9s %8s %10s %9s %8s  %9s %9s %9s %9s %7s %5s\n", "ROUTE", "ORDERS",
	       "FORWARDED", "REJECTED", "CANCELS", "GW_CANCELS", "EXECS", "REFUSED", "ROUTER_IN",
	       "ROUTER_OUT", "VENUE_IN", "VENUE_OUT", "GARBLED", "GAPS");
	json_array_foreach(json_object_get(r, "routes"), i, rt)
	{
		const json_t *rl = json_object_get(rt, "router"),
		             *vl = json_object_get(rt, "venue_session");

		printf("%-16s %9lld %9lld %9lld %8lld %10lld %9lld %8lld  %9lld %9lld %9lld %9lld "
		       "%7lld %5lld\n",
		       str(rt, "route"), num(rt, "orders"), num(rt, "forwarded"),
		       num(rt, "rejected"), num(rt, "cancels"), num(rt, "gw_cancels"),
		       num(rt, "execs"), num(rt, "refused_types"), num(rl, "in_msgs"),
		       num(rl, "out_msgs"), num(vl, "in_msgs"), num(vl, "out_msgs"),
		       num(rl, "garbled") + num(vl, "garbled"), num(rl, "gaps") + num(vl, "gaps"));
	}
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

/* --who, or the caller's own user name (riskgwd checks it is the caller's,
 * unless the caller is one of its control-delegates). */
static const char *who_or_me(const struct ctl_opts *o)
{
	const struct passwd *pw;

	if (o->co_actor.ra_who != NULL)
		return o->co_actor.ra_who;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : NULL;
}

static int cmd_kill(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_kill_req k;
	struct ctl_opts o;
	const char *who;
	json_t *r, *body;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, "wrjS", &o, &first)) != CTL_OK)
		return rc;
	if (first != argc)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first]);
	if ((who = who_or_me(&o)) == NULL)
		return ctl_usage(cmd, "--who USER is required (no user name for this uid)");
	if (o.co_actor.ra_reason == NULL)
		return ctl_usage(cmd, "--reason TEXT is required");
	memset(&k, 0, sizeof(k));
	snprintf(k.ck_who, sizeof(k.ck_who), "%s", who);
	snprintf(k.ck_reason, sizeof(k.ck_reason), "%s", o.co_actor.ra_reason);
	snprintf(k.ck_scope, sizeof(k.ck_scope), "%s", o.co_scope ? o.co_scope : "");
	if (strlen(who) > CTL_WHO_MAX || strlen(o.co_actor.ra_reason) > CTL_REASON_MAX ||
	    (o.co_scope != NULL && strlen(o.co_scope) > CTL_SCOPE_MAX) ||
	    (body = ctl_req_body(CTL_T_KILL, &k)) == NULL)
		return ctl_usage(cmd,
		                 "--who must be 1 to %d printable characters without spaces, "
		                 "--reason 1 to %d bytes without control characters, --scope "
		                 "global, route:NAME, account:ID or symbol:ID",
		                 CTL_WHO_MAX, CTL_REASON_MAX);
	if ((rc = request(c, CTL_T_KILL, body, NULL, &r)) != CTL_OK)
		return rc;
	if (o.co_json)
		return print_json(r);
	printf("kill switch %s%s\n", str(r, "scope"),
	       json_is_true(json_object_get(r, "already_tripped")) ? " was already tripped"
	                                                           : " tripped (on disk)");
	print_kill(json_object_get(r, "state"));
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

static unsigned reset_type(const struct ctl_cmd *cmd)
{
	if (strcmp(cmd->cc_name, "reset-request") == 0)
		return CTL_T_RESET_REQUEST;
	if (strcmp(cmd->cc_name, "reset-approve") == 0)
		return CTL_T_RESET_APPROVE;
	return CTL_T_RESET_WITHDRAW;
}

static int cmd_reset(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	unsigned type = reset_type(cmd);
	struct ctl_kill_req k;
	struct ctl_opts o;
	const char *who;
	json_t *r, *body;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, type == CTL_T_RESET_REQUEST ? "wrjS" : "wjS", &o,
	                     &first)) != CTL_OK)
		return rc;
	if (first != argc)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first]);
	if ((who = who_or_me(&o)) == NULL)
		return ctl_usage(cmd, "--who USER is required (no user name for this uid)");
	if (type == CTL_T_RESET_REQUEST && o.co_actor.ra_reason == NULL)
		return ctl_usage(cmd, "--reason TEXT is required");
	memset(&k, 0, sizeof(k));
	if (strlen(who) > CTL_WHO_MAX ||
	    (o.co_actor.ra_reason != NULL && strlen(o.co_actor.ra_reason) > CTL_REASON_MAX) ||
	    (o.co_scope != NULL && strlen(o.co_scope) > CTL_SCOPE_MAX))
		return ctl_usage(cmd, "--who, --reason or --scope is too long");
	snprintf(k.ck_who, sizeof(k.ck_who), "%s", who);
	if (o.co_actor.ra_reason != NULL)
		snprintf(k.ck_reason, sizeof(k.ck_reason), "%s", o.co_actor.ra_reason);
	if (o.co_scope != NULL)
		snprintf(k.ck_scope, sizeof(k.ck_scope), "%s", o.co_scope);
	if ((body = ctl_req_body(type, &k)) == NULL)
		return ctl_usage(cmd, "--who must be 1 to %d printable characters without spaces, "
		                      "--reason text without control characters",
		                 CTL_WHO_MAX);
	if ((rc = request(c, type, body, NULL, &r)) != CTL_OK)
		return rc;
	if (o.co_json)
		return print_json(r);
	if (type == CTL_T_RESET_REQUEST)
		printf("reset of %s requested by %s; another person must approve it "
		       "(riskgwctl reset-approve%s%s)\n",
		       o.co_scope ? o.co_scope : "global", who, o.co_scope ? " --scope " : "",
		       o.co_scope ? o.co_scope : "");
	else if (type == CTL_T_RESET_APPROVE)
		printf("kill switch %s reset: approved by %s\n", o.co_scope ? o.co_scope : "global",
		       who);
	else
		printf("reset request of %s withdrawn by %s\n", o.co_scope ? o.co_scope : "global",
		       who);
	print_kill(json_object_get(r, "kill"));
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

static int cmd_release(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_kill_req k;
	struct ctl_opts o;
	const char *who;
	json_t *r, *body;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, "wrj", &o, &first)) != CTL_OK)
		return rc;
	if (first != argc - 1)
		return ctl_usage(cmd, "give one PARENT");
	if ((who = who_or_me(&o)) == NULL)
		return ctl_usage(cmd, "--who USER is required (no user name for this uid)");
	if (o.co_actor.ra_reason == NULL)
		return ctl_usage(cmd, "--reason TEXT is required");
	memset(&k, 0, sizeof(k));
	if (strlen(who) > CTL_WHO_MAX || strlen(o.co_actor.ra_reason) > CTL_REASON_MAX ||
	    strlen(argv[first]) > CTL_ID_MAX)
		return ctl_usage(cmd, "--who, --reason or PARENT is too long");
	snprintf(k.ck_who, sizeof(k.ck_who), "%s", who);
	snprintf(k.ck_reason, sizeof(k.ck_reason), "%s", o.co_actor.ra_reason);
	snprintf(k.ck_parent, sizeof(k.ck_parent), "%s", argv[first]);
	if ((body = ctl_req_body(CTL_T_RELEASE, &k)) == NULL)
		return ctl_usage(cmd, "PARENT, --who and --reason must be printable");
	if ((rc = request(c, CTL_T_RELEASE, body, NULL, &r)) != CTL_OK)
		return rc;
	if (o.co_json)
		return print_json(r);
	printf("parent %s released by %s: its children are checked again\n", argv[first], who);
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

static int cmd_kill_log(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_kill_req k;
	struct ctl_opts o;
	json_t *r, *body, *l;
	size_t i;
	int first, rc;

	if ((rc = ctl_getopt(cmd, argc, argv, "Fj", &o, &first)) != CTL_OK)
		return rc;
	if (first != argc)
		return ctl_usage(cmd, "unexpected argument \"%s\"", argv[first]);
	memset(&k, 0, sizeof(k));
	if (o.co_from != NULL) {
		char *end;
		long long v = strtoll(o.co_from, &end, 10);

		if (*o.co_from == '\0' || *end != '\0' || v < 1)
			return ctl_usage(cmd, "--from must be a line number >= 1");
		k.ck_from = v;
	}
	if ((body = ctl_req_body(CTL_T_KILL_LOG, &k)) == NULL)
		return ctl_err("out of memory");
	if ((rc = request(c, CTL_T_KILL_LOG, body, "log", &r)) != CTL_OK)
		return rc;
	if (o.co_json)
		return print_json(r);
	printf("%-6s %-24s %-15s %-7s %-20s %-12s %s\n", "SEQ", "TIME", "ACTION", "SOURCE", "SCOPE",
	       "WHO", "REASON");
	json_array_foreach(json_object_get(r, "log"), i, l)
	{
		printf("%-6lld %-24s %-15s %-7s %-20s %-12s %s\n", num(l, "seq"), str(l, "time"),
		       str(l, "action"), str(l, "source"), str(l, "scope"),
		       str(l, "who")[0] ? str(l, "who") : "-", str(l, "reason"));
	}
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

static int cmd_metrics(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t *r;
	bool json;
	int rc;

	if ((rc = read_opts(cmd, argc, argv, &json)) != CTL_OK)
		return rc;
	if ((rc = request(c, CTL_T_METRICS, NULL, NULL, &r)) != CTL_OK)
		return rc;
	if (json)
		return print_json(r);
	fputs(str(r, "text"), stdout);
	json_decref(r);
	return fflush(stdout) == 0 ? CTL_OK : ctl_err("writing the output failed");
}

bool ctl_cmd_is_gw(const struct ctl_cmd *cmd)
{
	const struct ctl_cmd *p;

	for (p = ctl_cmds_gw; p->cc_name != NULL; p++)
		if (p == cmd)
			return true;
	return false;
}

const struct ctl_cmd ctl_cmds_gw[] = {
    {"status", NULL, cmd_status, "[--json]", "riskgwd: version, kill switch, day, routes up"},
    {"sessions", NULL, cmd_sessions, "[--json]", "riskgwd: both FIX sessions of every route"},
    {"parents", NULL, cmd_parents, "[--json]", "riskgwd: live exposure of every parent"},
    {"counters", NULL, cmd_counters, "[--json]", "riskgwd: per route and session counters"},
    {"kill", NULL, cmd_kill, "--reason TEXT [--scope SCOPE] [--who USER] [--json]",
     "riskgwd: trip the kill switch, or one scope: route:NAME, account:ID, symbol:ID "
     "(reply once it is on disk)"},
    {"reset-request", NULL, cmd_reset, "--reason TEXT [--scope SCOPE] [--who USER] [--json]",
     "riskgwd: ask for a kill switch reset (a second person must approve)"},
    {"reset-approve", NULL, cmd_reset, "[--scope SCOPE] [--who USER] [--json]",
     "riskgwd: approve another person's reset request: the scope is armed again"},
    {"reset-withdraw", NULL, cmd_reset, "[--scope SCOPE] [--who USER] [--json]",
     "riskgwd: withdraw a pending reset request"},
    {"release", NULL, cmd_release, "PARENT --reason TEXT [--who USER] [--json]",
     "riskgwd: let a parent blocked by a breach trade again (after a reset)"},
    {"metrics", NULL, cmd_metrics, "[--json]",
     "riskgwd: counters and gauges in the Prometheus text format"},
    {"kill-log", NULL, cmd_kill_log, "[--from N] [--json]",
     "riskgwd: every trip, reset request, approval and refusal, in order"},
    {NULL, NULL, NULL, NULL, NULL},
};
