/*
 * alert.c - alert events to the log and to the alert command (see alert.h).
 */
#include "config.h"

#include "alert.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define NSEC        INT64_C(1000000000)
#define TICK_NS     (NSEC / 20) /* reap and timeout checks while commands run */
#define ERRLINE     200         /* bytes of a command's stderr kept for the log */
#define NAMELEN     48
#define MAX_RUNNING 4
#define MAX_QUEUED  16

extern char **environ;

struct child {
	pid_t c_pid;   /* 0: slot free */
	uint64_t c_id; /* the alert's number, for the log */
	char c_event[NAMELEN];
	int c_in;    /* stdin pipe, write end; -1 once all written */
	char *c_buf; /* the event line */
	size_t c_len, c_off;
	int c_err; /* stderr pipe, read end; -1 once closed */
	char c_errline[ERRLINE + 1];
	size_t c_errlen;
	int64_t c_deadline; /* CLOCK_MONOTONIC ns */
	bool c_killed;      /* SIGKILL sent after the timeout */
};

struct pending {
	uint64_t p_id;
	char p_event[NAMELEN];
	char *p_buf;
	size_t p_len;
	bool p_urgent; /* a kill_* event: never dropped for a lesser one */
};

/* The kill switch's events go before, and push out, any other waiting
 * event: a flood of parent warnings must not drop or delay a trip. */
static bool urgent_event(const char *name)
{
	return strncmp(name, "kill_", 5) == 0;
}

static struct pending *qslot(struct alert *a, int k);

struct alert {
	struct loop *a_loop;
	char *a_cmd; /* NULL: log only */
	int64_t a_timeout_ns;
	int a_max_running, a_max_queued;
	int a_qcap;          /* a_max_running + a_max_queued: every event waits here */
	struct child *a_run; /* a_max_running slots */
	int a_nrun;
	struct pending *a_queue; /* a ring of a_qcap */
	int a_qhead, a_nqueue;
	struct loop_timer a_tick; /* reaps and times out while commands run */
	struct loop_timer a_kick; /* starts waiting commands in the next turn */
	uint64_t a_seq;
	char a_host[256];
	struct alert_counters a_cnt;
};

/* ---- helpers ----------------------------------------------------------------------- */

void alert_time(int64_t ns, char buf[ALERT_TIMEBUF])
{
	time_t t = (time_t)(ns / NSEC);
	struct tm tm;

	buf[0] = '\0';
	if (ns < 0 || gmtime_r(&t, &tm) == NULL)
		return;
	snprintf(buf, ALERT_TIMEBUF, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(ns % NSEC / 1000000));
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void describe(char *out, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(out, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "ended with wait status 0x%x", (unsigned)status);
}

/* ---- a running command -------------------------------------------------------------- */

static void on_stdin(struct loop *l, int fd, unsigned ev, void *arg);
static void on_stderr(struct loop *l, int fd, unsigned ev, void *arg);

static void close_stdin(struct alert *a, struct child *c)
{
	if (c->c_in < 0)
		return;
	loop_unwatch(a->a_loop, c->c_in);
	close(c->c_in);
	c->c_in = -1;
	free(c->c_buf);
	c->c_buf = NULL;
}

static void close_stderr(struct alert *a, struct child *c)
{
	if (c->c_err < 0)
		return;
	loop_unwatch(a->a_loop, c->c_err);
	close(c->c_err);
	c->c_err = -1;
}

/* Writes what the pipe takes; closes it when all is written or the command
 * stopped reading (EPIPE: its exit status tells the rest). */
static void feed(struct alert *a, struct child *c)
{
	while (c->c_off < c->c_len) {
		ssize_t w = write(c->c_in, c->c_buf + c->c_off, c->c_len - c->c_off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (loop_watch(a->a_loop, c->c_in, LOOP_WRITE, on_stdin, a) == 0)
					return;
				log_warnx("alert %" PRIu64 ": cannot watch the command's stdin: "
					  "the event is cut short",
				    c->c_id);
			} else if (errno != EPIPE) {
				log_warn("alert %" PRIu64 ": writing the event to the command",
				    c->c_id);
			}
			break;
		}
		c->c_off += (size_t)w;
	}
	close_stdin(a, c);
}

static struct child *child_by_fd(struct alert *a, int fd, bool err)
{
	int i;

	for (i = 0; i < a->a_max_running; i++)
		if (a->a_run[i].c_pid != 0 && (err ? a->a_run[i].c_err : a->a_run[i].c_in) == fd)
			return &a->a_run[i];
	return NULL;
}

static void on_stdin(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct alert *a = arg;
	struct child *c = child_by_fd(a, fd, false);

	(void)l;
	(void)ev;
	if (c != NULL)
		feed(a, c);
}

/* Keeps the first ERRLINE bytes of the command's stderr, reads the rest
 * away. */
static void drain_stderr(struct alert *a, struct child *c)
{
	char buf[512];

	while (c->c_err >= 0) {
		ssize_t r = read(c->c_err, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			close_stderr(a, c);
			return;
		}
		if (c->c_errlen < ERRLINE) {
			size_t n =
			    (size_t)r < ERRLINE - c->c_errlen ? (size_t)r : ERRLINE - c->c_errlen;

			memcpy(c->c_errline + c->c_errlen, buf, n);
			c->c_errlen += n;
			c->c_errline[c->c_errlen] = '\0';
		}
	}
}

static void on_stderr(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct alert *a = arg;
	struct child *c = child_by_fd(a, fd, true);

	(void)l;
	(void)ev;
	if (c != NULL)
		drain_stderr(a, c);
}

/* The first line of what the command wrote to stderr, printable. */
static const char *errline(struct child *c)
{
	size_t i;

	for (i = 0; i < c->c_errlen; i++) {
		if (c->c_errline[i] == '\n') {
			c->c_errline[i] = '\0';
			break;
		}
		if ((unsigned char)c->c_errline[i] < 0x20 || c->c_errline[i] == 0x7f)
			c->c_errline[i] = '?';
	}
	return c->c_errline;
}

static int start(struct alert *a, uint64_t id, const char *event, char *buf, size_t len);

/* The k-th waiting event, 0 = the next to start. */
static struct pending *qslot(struct alert *a, int k)
{
	return &a->a_queue[(a->a_qhead + k) % a->a_qcap];
}

static void start_queued(struct alert *a)
{
	while (a->a_nqueue > 0 && a->a_nrun < a->a_max_running) {
		struct pending p = a->a_queue[a->a_qhead];

		a->a_qhead = (a->a_qhead + 1) % a->a_qcap;
		a->a_nqueue--;
		(void)start(a, p.p_id, p.p_event, p.p_buf, p.p_len);
	}
}

/* The command c ended with status (a wait status; -1: unknown). */
static void reaped(struct alert *a, struct child *c, int status)
{
	char how[96];

	drain_stderr(a, c);
	close_stdin(a, c);
	close_stderr(a, c);
	if (status == -1)
		snprintf(how, sizeof(how), "ended with an unknown status");
	else
		describe(how, sizeof(how), status);
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !c->c_killed) {
		a->a_cnt.ac_ok++;
		log_info("alert %" PRIu64 " (%s): command %s done", c->c_id, c->c_event, a->a_cmd);
	} else {
		a->a_cnt.ac_failed++;
		if (c->c_killed)
			how[0] = '\0';
		log_error("alert %" PRIu64 " (%s): command %s %s%s%s%s", c->c_id, c->c_event,
		    a->a_cmd, c->c_killed ? "killed after the alert timeout" : how,
		    c->c_errlen > 0 ? ": \"" : "", c->c_errlen > 0 ? errline(c) : "",
		    c->c_errlen > 0 ? "\"" : "");
	}
	memset(c, 0, sizeof(*c));
	c->c_in = c->c_err = -1;
	a->a_nrun--;
}

static void on_kick(struct loop *l, void *arg)
{
	(void)l;
	start_queued(arg);
}

static void on_tick(struct loop *l, void *arg)
{
	struct alert *a = arg;
	int64_t now = clock_ns(CLOCK_MONOTONIC);
	int i, status;

	for (i = 0; i < a->a_max_running; i++) {
		struct child *c = &a->a_run[i];
		pid_t r;

		if (c->c_pid == 0)
			continue;
		r = waitpid(c->c_pid, &status, WNOHANG);
		if (r == c->c_pid) {
			reaped(a, c, status);
			continue;
		}
		if (r < 0 && errno != EINTR) { /* not ours any more: cannot happen */
			log_warn("alert %" PRIu64 ": waitpid %d", c->c_id, (int)c->c_pid);
			reaped(a, c, -1);
			continue;
		}
		if (!c->c_killed && now >= c->c_deadline) {
			log_error("alert %" PRIu64 " (%s): command %s still running after %" PRId64
				  " s: killing it (SIGKILL, its process group)",
			    c->c_id, c->c_event, a->a_cmd, a->a_timeout_ns / NSEC);
			(void)kill(-c->c_pid, SIGKILL); /* its process group: what it started */
			(void)kill(c->c_pid, SIGKILL);  /* and itself, if it left the group */
			c->c_killed = true;
			a->a_cnt.ac_timeouts++;
		}
	}
	start_queued(a);
	if (a->a_nrun > 0)
		(void)loop_timer_set(l, &a->a_tick, TICK_NS);
}

/* Starts the command for one event; takes buf (freed in any case). */
static int start(struct alert *a, uint64_t id, const char *event, char *buf, size_t len)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t none, all;
	struct child *c = NULL;
	char *argv[3];
	int in[2] = {-1, -1}, er[2] = {-1, -1}, rc, i;
	pid_t pid;

	for (i = 0; i < a->a_max_running && c == NULL; i++)
		if (a->a_run[i].c_pid == 0)
			c = &a->a_run[i];
	if (c == NULL) { /* the callers checked a_nrun */
		free(buf);
		return -EAGAIN;
	}
	/* blocking pipes: the command's ends must be; riskgwd's are made
	 * non-blocking below (each end is its own open file description) */
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(er, O_CLOEXEC) != 0) {
		rc = -errno;
		goto fail_pipes;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		rc = -rc;
		goto fail_pipes;
	}
	if ((rc = posix_spawnattr_init(&sa)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		rc = -rc;
		goto fail_pipes;
	}
	sigemptyset(&none);
	sigfillset(&all);
	rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&sa,
		    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&sa, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&sa, &all);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(&sa, 0);
	argv[0] = a->a_cmd;
	argv[1] = (char *)event;
	argv[2] = NULL;
	if (rc == 0)
		rc = posix_spawn(&pid, a->a_cmd, &fa, &sa, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	if (rc != 0) {
		rc = -rc;
		goto fail_pipes;
	}
	close(in[0]);
	close(er[1]);
	a->a_cnt.ac_started++;
	a->a_nrun++;
	memset(c, 0, sizeof(*c));
	c->c_pid = pid;
	c->c_id = id;
	snprintf(c->c_event, sizeof(c->c_event), "%s", event);
	c->c_in = in[1];
	c->c_err = er[0];
	c->c_buf = buf;
	c->c_len = len;
	/* the clock now, not the loop's (read at the start of the turn) */
	c->c_deadline = clock_ns(CLOCK_MONOTONIC) + a->a_timeout_ns;
	log_debug("alert %" PRIu64 " (%s): command %s started, pid %d", id, event, a->a_cmd,
	    (int)pid);
	(void)fcntl(c->c_in, F_SETFL, O_NONBLOCK);
	(void)fcntl(c->c_err, F_SETFL, O_NONBLOCK);
	if (loop_watch(a->a_loop, c->c_err, LOOP_READ, on_stderr, a) != 0)
		close_stderr(a, c);
	feed(a, c);
	if (!loop_timer_armed(&a->a_tick))
		(void)loop_timer_set(a->a_loop, &a->a_tick, TICK_NS);
	return 0;

fail_pipes:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (er[i] >= 0)
			close(er[i]);
	}
	free(buf);
	a->a_cnt.ac_spawn_errors++;
	log_error("alert %" PRIu64 " (%s): command %s cannot be started: %s", id, event, a->a_cmd,
	    strerror(-rc));
	return rc;
}

/* ---- the API ---------------------------------------------------------------------------- */

int alert_new(struct alert **out, struct loop *l, const struct alert_config *cfg)
{
	struct alert *a;
	int i;

	*out = NULL;
	if (cfg->ac_timeout_s <= 0 ||
	    (cfg->ac_command != NULL && cfg->ac_command[0] != '\0' && cfg->ac_command[0] != '/'))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->a_loop = l;
	a->a_timeout_ns = (int64_t)cfg->ac_timeout_s * NSEC;
	a->a_max_running = cfg->ac_max_running > 0 ? cfg->ac_max_running : MAX_RUNNING;
	a->a_max_queued = cfg->ac_max_queued > 0 ? cfg->ac_max_queued : MAX_QUEUED;
	if (cfg->ac_command != NULL && cfg->ac_command[0] != '\0' &&
	    (a->a_cmd = strdup(cfg->ac_command)) == NULL)
		goto nomem;
	a->a_run = calloc((size_t)a->a_max_running, sizeof(*a->a_run));
	a->a_qcap = a->a_max_running + a->a_max_queued;
	a->a_queue = calloc((size_t)a->a_qcap, sizeof(*a->a_queue));
	if (a->a_run == NULL || a->a_queue == NULL)
		goto nomem;
	for (i = 0; i < a->a_max_running; i++)
		a->a_run[i].c_in = a->a_run[i].c_err = -1;
	loop_timer_init(&a->a_tick, on_tick, a);
	loop_timer_init(&a->a_kick, on_kick, a);
	if (gethostname(a->a_host, sizeof(a->a_host) - 1) != 0)
		snprintf(a->a_host, sizeof(a->a_host), "unknown");
	*out = a;
	return 0;
nomem:
	free(a->a_cmd);
	free(a->a_run);
	free(a->a_queue);
	free(a);
	return -ENOMEM;
}

int alert_fire(struct alert *a, json_t *event, const char *fmt, ...)
{
	const char *name = json_string_value(json_object_get(event, "event"));
	char when[ALERT_TIMEBUF], *buf = NULL, *line;
	json_t *ev = NULL;
	uint64_t id = ++a->a_seq;
	size_t len;
	bool urgent;
	int k;

	a->a_cnt.ac_fired++;
	if (json_is_object(event) && name != NULL && (ev = json_copy(event)) != NULL) {
		if (json_object_get(ev, "time") == NULL) {
			alert_time(clock_ns(CLOCK_REALTIME), when);
			json_object_set_new(ev, "time", json_string(when));
		}
		if (json_object_get(ev, "host") == NULL)
			json_object_set_new(ev, "host", json_string(a->a_host));
		buf = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	if (fmt != NULL) {
		char msg[1024];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_alert("%s", msg);
	} else {
		log_alert("alert %s: %s", name != NULL ? name : "?",
		    buf != NULL ? buf : "(no JSON)");
	}
	json_decref(ev);
	if (buf == NULL) {
		log_error("alert %" PRIu64
			  ": the event is not a JSON object with an \"event\" name: "
			  "not handed to the alert command",
		    id);
		return name == NULL || !json_is_object(event) ? -EINVAL : -ENOMEM;
	}
	if (a->a_cmd == NULL) {
		free(buf);
		return 0;
	}
	len = strlen(buf);
	line = realloc(buf, len + 2);
	if (line == NULL) {
		free(buf);
		log_error("alert %" PRIu64 " (%s): out of memory: not handed to the command", id,
		    name);
		return -ENOMEM;
	}
	line[len++] = '\n';
	line[len] = '\0';
	urgent = urgent_event(name);
	if (a->a_nrun + a->a_nqueue >= a->a_qcap && urgent) {
		/* make room: the newest waiting event that is not urgent goes */
		for (k = a->a_nqueue - 1; k >= 0 && qslot(a, k)->p_urgent; k--)
			;
		if (k >= 0) {
			struct pending *v = qslot(a, k);

			a->a_cnt.ac_dropped++;
			log_error("alert %" PRIu64 " (%s): dropped to make room for alert %" PRIu64
				  " (%s)",
			    v->p_id, v->p_event, id, name);
			free(v->p_buf);
			for (; k < a->a_nqueue - 1; k++)
				*qslot(a, k) = *qslot(a, k + 1);
			a->a_nqueue--;
		}
	}
	if (a->a_nrun + a->a_nqueue >= a->a_qcap) {
		free(line);
		a->a_cnt.ac_dropped++;
		log_error("alert %" PRIu64 " (%s): %d alert commands running or waiting, the most "
			  "there may be: dropped, not handed to the command",
		    id, name, a->a_nrun + a->a_nqueue);
		return ALERT_EDROPPED;
	}
	{
		/* an urgent event waits behind urgent ones only */
		int pos = a->a_nqueue;
		struct pending *p;

		if (urgent)
			for (pos = 0; pos < a->a_nqueue && qslot(a, pos)->p_urgent; pos++)
				;
		for (k = a->a_nqueue; k > pos; k--)
			*qslot(a, k) = *qslot(a, k - 1);
		p = qslot(a, pos);
		p->p_id = id;
		snprintf(p->p_event, sizeof(p->p_event), "%s", name);
		p->p_buf = line;
		p->p_len = len;
		p->p_urgent = urgent;
		a->a_nqueue++;
	}
	if (a->a_nrun + a->a_nqueue > a->a_max_running)
		log_notice("alert %" PRIu64 " (%s): queued behind %d others (at most %d commands "
			   "run at once)",
		    id, name, a->a_nrun + a->a_nqueue - 1, a->a_max_running);
	/* Started from a timer 1 ns away: the loop reads its clock only after
	 * epoll_wait(), so the timer is not due before the next turn, that is
	 * after this turn's before-sleep hook (riskgwd: the journal commit and
	 * the flush). posix_spawn() waits for the child's exec, a millisecond
	 * or more: not in the turn that trips the switch. */
	if (!loop_timer_armed(&a->a_kick))
		(void)loop_timer_set(a->a_loop, &a->a_kick, 1);
	return 0;
}

int alert_running(const struct alert *a)
{
	return a->a_nrun;
}

int alert_queued(const struct alert *a)
{
	return a->a_nqueue;
}

const struct alert_counters *alert_counters(const struct alert *a)
{
	return &a->a_cnt;
}

void alert_free(struct alert *a)
{
	int i;

	if (a == NULL)
		return;
	start_queued(a); /* what has a free slot still goes out */
	loop_timer_cancel(a->a_loop, &a->a_tick);
	loop_timer_cancel(a->a_loop, &a->a_kick);
	for (i = 0; i < a->a_max_running; i++) {
		struct child *c = &a->a_run[i];

		if (c->c_pid == 0)
			continue;
		close_stdin(a, c);
		close_stderr(a, c);
		log_notice("alert %" PRIu64 " (%s): command %s, pid %d, left running", c->c_id,
		    c->c_event, a->a_cmd, (int)c->c_pid);
	}
	while (a->a_nqueue > 0) {
		struct pending *p = &a->a_queue[a->a_qhead];

		log_error("alert %" PRIu64 " (%s): stopping: not handed to the command", p->p_id,
		    p->p_event);
		free(p->p_buf);
		a->a_qhead = (a->a_qhead + 1) % a->a_qcap;
		a->a_nqueue--;
	}
	free(a->a_run);
	free(a->a_queue);
	free(a->a_cmd);
	free(a);
}
