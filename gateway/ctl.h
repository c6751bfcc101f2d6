/*
 * ctl.h - riskgwd's control socket server: a unix stream socket on the
 * event loop that speaks ctl_proto.h to riskgwctl and riskgw-admin.
 *
 * The server owns the socket, the clients and their bounded buffers; what a
 * request means is the owner's handler (riskgwd: gw_ctl.c). Nothing blocks
 * the loop: every socket is non-blocking, a client that stops reading only
 * stops getting output (its reply is produced in chunks as its buffer
 * drains), and one that makes no progress for a while is closed.
 *
 * Who may connect: the socket file is mode 0660 (owner riskgwd's uid, group
 * the configured group if any), and each connection's peer credentials
 * (SO_PEERCRED, SO_PEERGROUPS) are checked at accept: uid 0, riskgwd's own
 * uid, or a member of the configured group. Anyone else gets one error
 * message ("permission") and the connection is closed.
 *
 * Requests on one connection are served one at a time, in order (a client
 * may pipeline). A framing error (bad magic, version, type, length) gets an
 * error reply and the connection is closed after it; a bad payload (not one
 * JSON object, unknown member) gets an error reply and the connection stays.
 *
 * Output is written only from ctl_server_committed() and, when a socket was
 * full, from its write event: the owner calls ctl_server_committed() from
 * its before-sleep hook after the journal commit, so a reply never reports
 * state that is not on disk yet. A handler can also defer its reply to that
 * point explicitly (CTL_SERVE_DEFER: riskgwd's KILL).
 *
 * The library never logs: it reports what an operator should know through
 * the event callback, and the owner logs it.
 */
#ifndef GW_CTL_H
#define GW_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "ctl_proto.h"
#include "loop.h"

struct ctl_server;

#define CTL_DEFAULT_PATH "/run/riskgw/control.sock"
#define CTL_MAX_CLIENTS  32
#define CTL_STALL_NS     (INT64_C(10) * 1000000000)  /* no progress with work pending */
#define CTL_IDLE_NS      (INT64_C(300) * 1000000000) /* no request at all */
/* A chunked reply's next chunk is made when less than this is queued. */
#define CTL_OUT_LOW (64u * 1024)

struct ctl_server_config {
	const char *cs_path; /* socket path; its directory must exist */
	bool cs_have_gid;    /* a group is allowed besides root and our uid */
	gid_t cs_gid;        /* ... that group (the socket file gets it too) */
	int cs_max_clients;  /* 0: CTL_MAX_CLIENTS */
	int64_t cs_stall_ns; /* 0: CTL_STALL_NS */
	int64_t cs_idle_ns;  /* 0: CTL_IDLE_NS */
};

/* One request being served. The handler may keep state in cj_cursor and
 * cj_state between the calls of a chunked or deferred reply. */
struct ctl_job {
	uint16_t cj_type; /* a request type (ctl_request_check()ed) */
	uint32_t cj_id;
	const json_t *cj_body; /* the request body, valid until the job ends */
	uint64_t cj_cursor;    /* the handler's: 0 at the first call */
	uint64_t cj_state;     /* the handler's: 0 at the first call */
	bool cj_committed;     /* this call comes from ctl_server_committed() */
	uid_t cj_uid;          /* the peer, from SO_PEERCRED */
	pid_t cj_pid;
	const char *cj_errname; /* the handler's: the error reply's name (static), or NULL */
};

enum {
	CTL_SERVE_DONE = 0,  /* *reply is the reply (or its last chunk) */
	CTL_SERVE_MORE = 1,  /* *reply is a chunk; call again when there is room */
	CTL_SERVE_DEFER = 2, /* no reply yet: call again after the commit */
};
/*
 * Serves one step of a job. Returns CTL_SERVE_*, with *reply a new reference
 * the server takes (an object; NULL for DEFER); or a negative error with a
 * one-line message in err: the client then gets an error reply, named
 * "bad_request" for CTL_EJSON/CTL_ESCHEMA/CTL_ETYPE, "permission" for
 * -EPERM, "busy" for -EBUSY, else "failed" - or cj_errname when the handler
 * set it. A chunk must encode within
 * CTL_MAX_PAYLOAD. The handler must not call ctl_server_close().
 */
typedef int ctl_handler(void *arg, struct ctl_job *job, json_t **reply, char err[CTL_ERRLEN]);

/* level: a syslog priority (LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG). */
typedef void ctl_event_cb(void *arg, int level, const char *msg);

/*
 * Creates the socket at cfg->cs_path and watches it on the loop. A socket
 * file left there by a dead process (connect refused) is replaced; a live
 * one, or anything that is not a socket, is an error. The file is created
 * mode 0660 and, with cs_have_gid, given that group. Returns 0, or a
 * negative errno with err filled: -EADDRINUSE (a live server), -EEXIST
 * (not a socket), -ENAMETOOLONG, -ENOENT (no directory), ...
 */
int ctl_server_open(struct ctl_server **out, struct loop *, const struct ctl_server_config *,
                    ctl_handler *, ctl_event_cb *, void *arg, char err[CTL_ERRLEN]);

/* Call once per loop turn after the journal commit (riskgwd: before_sleep):
 * serves the deferred jobs, makes chunks where there is room, writes what
 * is queued, and frees the clients closed during the turn. */
void ctl_server_committed(struct ctl_server *);

/* Closes every client and the listening socket, and removes the socket
 * file if it is still the one this server made. NULL is a no-op. */
void ctl_server_close(struct ctl_server *);

/* Clients connected now (accepted and allowed). */
size_t ctl_server_clients(const struct ctl_server *);

#endif
