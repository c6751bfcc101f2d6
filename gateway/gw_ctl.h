/*
 * gw_ctl.h - riskgwd's side of the control socket: what STATUS, SESSIONS,
 * PARENTS, COUNTERS and KILL mean for struct gw (gw_ctl.c), on top of the
 * server in ctl.h. Not a library header: only riskgwd uses it.
 */
#ifndef GW_GW_CTL_H
#define GW_GW_CTL_H

#include "gw.h"

/* Opens the socket named by the config's `control` (group `control-group`)
 * and watches it on g's loop. Exits through fatalx() when it cannot: a
 * riskgwd nobody can stop or query is not started. */
void gw_ctl_start(struct gw *g);

/* From the loop's before-sleep hook, after the journal commit and before
 * anything else is flushed: answers the KILLs of this turn (now durable),
 * then writes the control clients' output. */
void gw_ctl_committed(struct gw *g);

/* Closes the clients and removes the socket. */
void gw_ctl_stop(struct gw *g);

#endif
