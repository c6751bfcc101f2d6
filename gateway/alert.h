/*
 * alert.h - alerts: an event (a JSON object) is logged at LOG_ALERT and,
 * if an alert command is configured, handed to it on its stdin, without
 * the event loop ever waiting for the command.
 *
 * The command is run with posix_spawn(): argv[0] the command's path,
 * argv[1] the event's name (its "event" member); stdin a pipe that
 * receives the event as one line of compact JSON and then end of file;
 * stdout /dev/null; stderr a pipe of which riskgwd keeps the first line for
 * its log. The child starts with an empty signal mask and default signal
 * actions (riskgwd blocks and ignores some), in a process group of its own
 * (so that a timeout can kill what the command started too), with
 * riskgwd's environment and no other fd of riskgwd's (all are close-on-
 * exec).
 *
 * riskgwd never waits for it. The command starts in the loop turn after
 * the event's (posix_spawn() waits for the child's exec, a millisecond or
 * more, which the turn that trips the kill switch must not pay): riskgwd's
 * journal commit and flush of that turn come first. The stdin pipe is
 * written as far as it takes and then when writable; the commands are reaped with
 * waitpid(WNOHANG) from a timer that runs every 50 ms while one is
 * running (not SIGCHLD: the module stays self-contained and riskgwd's
 * signal handling untouched). A command still running alert-timeout
 * seconds after its start gets SIGKILL (its process group) and is logged.
 * At most ac_max_running commands run at once; up to ac_max_queued more
 * events wait and start as others end; beyond that an event is dropped
 * (it is in the log all the same) and the drop logged. A command
 * that cannot be started, exits non-zero or is killed by a signal is
 * logged at LOG_ERR with its status; nothing else happens.
 *
 * This module logs (through log.h): it is riskgwd's boundary for the
 * commands it runs. The caller must ignore SIGPIPE (a command that exits
 * without reading its stdin). Single-threaded, on the loop's thread.
 */
#ifndef GW_ALERT_H
#define GW_ALERT_H

#include <stdint.h>

#include <jansson.h>

#include "loop.h"

#define ALERT_TIMEBUF 32

struct alert;

struct alert_config {
	const char *ac_command; /* absolute path; NULL or "": log only */
	int ac_timeout_s;       /* SIGKILL after this; > 0 */
	int ac_max_running;     /* 0: 4 */
	int ac_max_queued;      /* 0: 16 */
};

struct alert_counters {
	uint64_t ac_fired;        /* events logged */
	uint64_t ac_started;      /* commands started */
	uint64_t ac_ok;           /* ... that exited 0 */
	uint64_t ac_failed;       /* ... that exited non-zero or were killed by a signal */
	uint64_t ac_timeouts;     /* ... that were killed after the timeout (also in failed) */
	uint64_t ac_spawn_errors; /* commands that could not be started */
	uint64_t ac_dropped;      /* events not handed to a command: queue full */
};

/* Returns 0, -ENOMEM or -EINVAL (a relative command, a timeout <= 0). */
int alert_new(struct alert **out, struct loop *, const struct alert_config *);

/*
 * Logs fmt (printf) at LOG_ALERT - or, with fmt NULL, the event's JSON -
 * and hands event to the command. event is borrowed (not stolen); it must
 * be an object with a string "event" member. "time" (now, see
 * alert_time()) and "host" (the host name) are added to the copy sent if
 * the event lacks them.
 *
 * Returns 0 when logged and the command queued to start in the next turn
 * (or none configured); -EINVAL (not an object, no "event" name, or not
 * serialisable: logged all the same), -ENOMEM, or ALERT_EDROPPED (too many
 * waiting). A command that cannot be started (removed since the
 * configuration was checked, say) is logged when it is tried. Every
 * failure is logged: callers may ignore the result.
 */
int alert_fire(struct alert *, json_t *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ALERT_EDROPPED (-20101)

/* Commands running now / events waiting for one. */
int alert_running(const struct alert *);
int alert_queued(const struct alert *);
const struct alert_counters *alert_counters(const struct alert *);

/* Starts the waiting events that have a free slot (at shutdown a page
 * should still go out), forgets the commands running (they finish on their
 * own; the timeout is no longer enforced; an event larger than the pipe is
 * cut short), logs the events that will not be handed to the command, and
 * frees everything. NULL is a no-op. */
void alert_free(struct alert *);

/* CLOCK_REALTIME ns as RFC 3339 UTC with milliseconds,
 * "2024-01-02T14:30:40.001Z"; "" for ns < 0. */
void alert_time(int64_t ns, char buf[ALERT_TIMEBUF]);

#endif
