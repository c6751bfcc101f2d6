/*
 * conf.h - riskgwd's configuration: parsed once into immutable structs;
 * a reload parses and validates a whole new struct conf, then the daemon
 * swaps it in or keeps the old one (all or nothing).
 *
 * The format is line-based: `key = value` lines, `[gateway]`, `[route NAME]`
 * and `[gpio]` sections, `#` comments. Every error names file:line.
 * docs/riskgwd.conf.example documents every key.
 */
#ifndef GW_CONF_H
#define GW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_ERRLEN 512
#define CONF_NAME_MAX 64
#define CONF_PATH_MAX 256
#define CONF_MAX_ROUTES 64
#define CONF_MAX_STRIP 16
#define CONF_MAX_MSGTYPES 16

#define CONF_MAX_NAMES 32

/* A list of user names (1..63 printable ASCII characters each). */
struct conf_names {
	char cn_name[CONF_MAX_NAMES][CONF_NAME_MAX];
	int cn_count;
};

struct conf_addr {
	char ca_host[CONF_NAME_MAX];  /* numeric address or host name */
	uint16_t ca_port;
};

struct conf_route {
	char cr_name[CONF_NAME_MAX];
	int cr_line;                       /* where [route NAME] was */
	char cr_begin[16];                 /* "FIX.4.2" or "FIX.4.4" */

	/* router leg: riskgwd is the acceptor */
	char cr_router_comp[CONF_NAME_MAX];   /* the router's SenderCompID */
	char cr_gw_comp[CONF_NAME_MAX];       /* our CompID toward the router */
	char cr_router_identity[CONF_NAME_MAX]; /* client certificate identity */

	/* venue leg: riskgwd is the initiator */
	struct conf_addr cr_venue;
	char cr_venue_name[CONF_NAME_MAX];    /* name or IP the venue cert must match */
	char cr_venue_ca[CONF_PATH_MAX];
	char cr_venue_cert[CONF_PATH_MAX];    /* optional client certificate */
	char cr_venue_key[CONF_PATH_MAX];
	char cr_venue_sender[CONF_NAME_MAX];  /* our SenderCompID toward the venue */
	char cr_venue_target[CONF_NAME_MAX];  /* the venue's CompID */

	/* checks */
	int cr_parent_tag;                 /* tag naming the parent on a child */
	int cr_declared_qty_tag;           /* 0 = children cannot declare parents */
	int cr_strip[CONF_MAX_STRIP];      /* tags removed before the venue sees them */
	int cr_nstrip;
	char cr_msgtypes[CONF_MAX_MSGTYPES][3]; /* application MsgTypes allowed */
	int cr_nmsgtypes;
	bool cr_cancel_on_disconnect;
	bool cr_cancel_on_logout;          /* also on a clean logout */
	int cr_heartbeat;                  /* HeartBtInt toward the venue, s */
	bool cr_venue_reset;               /* every venue Logon asks for a reset (141=Y) */
};

/* [gpio]: the kill button (gateway/gpio.h, docs/riskgwd.md). Edges are
 * after the kernel's active-low inversion: rising = the line becomes
 * active = pressed. */
#define CONF_EDGE_RISING 0x1
#define CONF_EDGE_FALLING 0x2

struct conf_gpio {
	bool cg_enabled;                   /* a [gpio] section exists */
	int cg_line_no;                    /* where [gpio] was */
	char cg_chip[CONF_PATH_MAX];       /* "/dev/gpiochip0"; "" with events-from */
	int cg_line;                       /* line offset on the chip */
	bool cg_active_low;
	int cg_edges;                      /* CONF_EDGE_* bits; default rising */
	int cg_debounce_ms;                /* kernel and software debounce; default 50 */
	bool cg_optional;                  /* missing: a warning, not fatal */
	char cg_events_from[CONF_PATH_MAX]; /* tests and benchmarks: a FIFO of events */
};

struct conf {
	char c_file[CONF_PATH_MAX];
	struct conf_addr c_listen;         /* router-facing listener */
	char c_cert[CONF_PATH_MAX];        /* riskgwd's server certificate */
	char c_key[CONF_PATH_MAX];
	char c_client_ca[CONF_PATH_MAX];   /* CA of router client certificates */
	char c_journal[CONF_PATH_MAX];
	char c_rules[CONF_PATH_MAX];
	char c_control[CONF_PATH_MAX];     /* control socket path */
	char c_control_group[CONF_NAME_MAX]; /* group also allowed on it; "" none */
	int c_log_level;                   /* syslog priority: LOG_ERR .. LOG_DEBUG */
	bool c_sync_commit;                /* fsync the journal every turn */
	size_t c_journal_prealloc;         /* MiB of journal prepared at start (no sync) */
	size_t c_journal_map;              /* MiB: the journal's map size, its most */
	size_t c_max_orders;               /* engine capacity per day */
	int c_logon_timeout;               /* s */
	int c_max_msg;                     /* max FIX message size, bytes */
	struct conf_names c_reset_ops;     /* who may request/approve kill resets; none = anyone */
	struct conf_names c_delegates;     /* control clients that name their users (the admin UI) */
	int c_warn_pct;                    /* parent warning threshold, % of a limit; 0 = off */
	char c_alert_command[CONF_PATH_MAX]; /* absolute path; "" none */
	int c_alert_timeout;               /* s a command may run before SIGKILL */
	struct conf_gpio c_gpio;
	struct conf_route c_routes[CONF_MAX_ROUTES];
	int c_nroutes;
};

/*
 * Parses path into *out (allocated; free with conf_free). Checks every key,
 * every value and the whole (unique route names and CompID pairs, required
 * keys, key files not readable by group/others when check_files is true).
 * Returns 0, or -1 with "file:line: message" in err (the first error).
 */
int conf_load(const char *path, bool check_files, struct conf **out, char err[CONF_ERRLEN]);
void conf_free(struct conf *);

/* The route a router's Logon names (its SenderCompID and TargetCompID), or NULL. */
const struct conf_route *conf_route_by_comp(const struct conf *, const char *router_comp,
    const char *gw_comp);

#endif
