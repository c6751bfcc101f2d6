/*
 * test_alert.c - gateway/alert.c with real commands (shell scripts in the
 * test's temporary directory) and a real event loop: the event arrives on
 * stdin intact, as one line, with the event name as argv[1], "time" and
 * "host" added; a large event goes through a pipe that fills; the child
 * starts with an empty signal mask, default signal actions and a process
 * group of its own; a command that hangs is killed (with what it started)
 * after the timeout; a failing command is logged with its status and its
 * stderr, and the next alert still runs; a missing or non-executable
 * command is logged; the concurrency limit queues, then drops; without a
 * command only the log line. The log (foreground) goes to a file per test
 * (log_setstream()); stderr stays free for cmocka and sanitizer reports.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alert.h"
#include "log.h"
#include "loop.h"
#include "testutil.h"

static char *dir;
static struct loop *L;
static FILE *logfile; /* while a test captures the log */
static char *logpath;

static int gsetup(void **state)
{
	(void)state;
	dir = tu_mkdtemp("alert");
	signal(SIGPIPE, SIG_IGN); /* alert.h: the caller ignores SIGPIPE */
	log_init("test_alert", true, LOG_DEBUG);
	return loop_new(&L, 1024);
}

static int gteardown(void **state)
{
	(void)state;
	loop_free(L);
	tu_rmtree(dir);
	free(dir);
	free(logpath);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */


/* Sends the log to a fresh file until log_end(); stderr stays what it is,
 * for cmocka and sanitizer reports. */
static void log_begin(void)
{
	free(logpath);
	logpath = tu_path(dir, "log");
	logfile = fopen(logpath, "w");
	assert_non_null(logfile);
	log_setstream(logfile);
}

/* Sends the log to stderr again; returns what was logged (malloc'ed). */
static char *log_end(void)
{
	size_t len;
	char *s;

	log_setstream(NULL);
	assert_int_equal(fclose(logfile), 0);
	logfile = NULL;
	s = tu_read_file(logpath, &len);
	assert_non_null(s);
	return s;
}

/* After each test: one that failed while capturing the log prints what
 * was captured, next to cmocka's message. */
static int end_capture(void **state)
{
	char *s;

	(void)state;
	if (logfile == NULL)
		return 0;
	s = log_end();
	fprintf(stderr, "---- logged before the failure:\n%s---- end\n", s);
	free(s);
	return 0;
}

static void expect_log(const char *log, const char *want)
{
	if (strstr(log, want) == NULL)
		fail_msg("no '%s' in the log:\n%s", want, log);
}

/* Writes an executable script NAME with body (after #!/bin/sh) into the
 * test directory; returns its path (malloc'ed). $D in body is the
 * directory. */
static char *script(const char *name, const char *body)
{
	char *p = tu_path(dir, name), text[4096];
	int n;

	n = snprintf(text, sizeof(text), "#!/bin/sh\nD='%s'\n%s\n", dir, body);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(tu_write_file(p, text, (size_t)n), 0);
	assert_int_equal(chmod(p, 0755), 0);
	return p;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until no command runs and none waits, at most ms. */
static void settle(struct alert *a, int ms)
{
	int64_t end = mono_ms() + ms;

	while (alert_running(a) > 0 || alert_queued(a) > 0) {
		if (mono_ms() > end)
			fail_msg("alert commands still running after %d ms", ms);
		assert_int_equal(loop_run_once(L, 20), 0);
	}
}

static struct alert *alerter(const char *cmd, int timeout_s, int running, int queued)
{
	struct alert_config c = {cmd, timeout_s, running, queued};
	struct alert *a;

	assert_int_equal(alert_new(&a, L, &c), 0);
	return a;
}

static json_t *trip_event(const char *reason)
{
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "event", "kill_tripped", "source", "gpio",
	    "who", "gpio", "reason", reason);

	assert_non_null(ev);
	return ev;
}

static char *read_in(const char *name, size_t *len)
{
	char *p = tu_path(dir, name), *s;
	size_t n;

	s = tu_read_file(p, &n);
	free(p);
	if (len != NULL)
		*len = n;
	return s;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_time_format(void **state)
{
	char buf[ALERT_TIMEBUF];

	(void)state;
	alert_time(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	alert_time(INT64_C(1704205840001999999), buf);
	assert_string_equal(buf, "2024-01-02T14:30:40.001Z");
	alert_time(-1, buf);
	assert_string_equal(buf, "");
}

static void test_json_intact(void **state)
{
	/* The signal state first, with builtins only: once dash has forked,
	 * it blocks every signal for a moment each time it waits for a
	 * child (waitproc()), and a grep of its status could see that. */
	char *cmd = script("page-json",
	    "while IFS= read -r l; do case $l in SigBlk:*|SigIgn:*) printf '%s\\n' \"$l\";; "
	    "esac; done </proc/$$/status >\"$D/sig\"\n"
	    "printf '%s\\n' \"$1\" >\"$D/argv1\"\n"
	    "cut -d' ' -f5 /proc/$$/stat >\"$D/pgrp\"; echo $$ >\"$D/pid\"\n"
	    "cat >\"$D/stdin.json\"");
	const char *reason = "runaway \"router 3\" \\ \xc3\xbc\xe2\x82\xac (P1)";
	struct alert *a = alerter(cmd, 10, 0, 0);
	json_t *ev = trip_event(reason), *got;
	json_error_t jerr;
	sigset_t block, old;
	char *in, *log, *s, *s2;
	size_t len;

	(void)state;
	json_object_set_new(ev, "trading_day", json_integer(20240102));
	/* as in riskgwd: signals blocked for its signalfd, SIGPIPE ignored */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old), 0);
	log_begin();
	assert_int_equal(alert_fire(a, ev, "KILL SWITCH TRIPPED: %s", reason), 0);
	/* not in the turn of the event: in the next one */
	assert_int_equal(alert_running(a), 0);
	assert_int_equal(alert_queued(a), 1);
	assert_int_equal(loop_run_once(L, 100), 0);
	assert_int_equal(alert_running(a), 1);
	assert_int_equal(alert_queued(a), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	settle(a, 5000);
	log = log_end();
	expect_log(log, "test_alert: KILL SWITCH TRIPPED: runaway \"router 3\"");
	expect_log(log, "alert 1 (kill_tripped): command ");
	expect_log(log, "page-json done");
	assert_int_equal(alert_counters(a)->ac_ok, 1);
	assert_int_equal(alert_counters(a)->ac_started, 1);

	in = read_in("stdin.json", &len);
	assert_non_null(in);
	assert_true(len > 2);
	assert_int_equal(in[len - 1], '\n');    /* one object and a newline */
	assert_null(memchr(in, '\n', len - 1)); /* on one line */
	got = json_loads(in, 0, &jerr);
	if (got == NULL)
		fail_msg("stdin is not JSON: %s: %s", jerr.text, in);
	assert_string_equal(json_string_value(json_object_get(got, "event")), "kill_tripped");
	assert_string_equal(json_string_value(json_object_get(got, "source")), "gpio");
	assert_string_equal(json_string_value(json_object_get(got, "who")), "gpio");
	assert_string_equal(json_string_value(json_object_get(got, "reason")), reason);
	assert_int_equal(json_integer_value(json_object_get(got, "trading_day")), 20240102);
	assert_non_null(json_string_value(json_object_get(got, "host")));
	s = (char *)json_string_value(json_object_get(got, "time"));
	assert_non_null(s);
	assert_int_equal(strlen(s), 24); /* 2024-01-02T14:30:40.001Z */
	assert_int_equal(s[10], 'T');
	assert_int_equal(s[19], '.');
	assert_int_equal(s[23], 'Z');
	/* the caller's object is not changed */
	assert_null(json_object_get(ev, "time"));
	json_decref(got);

	s = read_in("argv1", NULL);
	assert_string_equal(s, "kill_tripped\n");
	free(s);
	/* its own process group; nothing blocked, nothing ignored */
	s = read_in("pgrp", NULL);
	s2 = read_in("pid", NULL);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	s = read_in("sig", NULL);
	{
		unsigned long long blk, ign;

		/* signals 1..31: glibc's sigfillset() leaves out its own
		 * real-time signals (32, 33), whose disposition the child
		 * inherits whatever it is */
		assert_int_equal(sscanf(s, "SigBlk:\t%llx\nSigIgn:\t%llx", &blk, &ign), 2);
		assert_int_equal(blk, 0);
		assert_int_equal(ign & 0x7fffffffULL, 0);
	}
	free(s);
	free(in);
	free(log);
	json_decref(ev);
	alert_free(a);
	free(cmd);
}

/* 1 MB of reason: more than a pipe holds, written as the pipe drains. */
static void test_large_event(void **state)
{
	char *cmd = script("page-big", "cat >\"$D/big.json\"");
	struct alert *a = alerter(cmd, 10, 0, 0);
	size_t n = 1 << 20, len;
	char *reason = malloc(n + 1), *in, *log;
	json_t *ev, *got;

	(void)state;
	assert_non_null(reason);
	memset(reason, 'x', n);
	reason[n] = '\0';
	ev = trip_event(reason);
	log_begin();
	assert_int_equal(alert_fire(a, ev, "big"), 0);
	settle(a, 10000);
	log = log_end();
	in = read_in("big.json", &len);
	assert_non_null(in);
	assert_true(len > n);
	got = json_loads(in, 0, NULL);
	assert_non_null(got);
	assert_int_equal(strlen(json_string_value(json_object_get(got, "reason"))), n);
	assert_int_equal(alert_counters(a)->ac_ok, 1);
	json_decref(got);
	json_decref(ev);
	free(in);
	free(log);
	free(reason);
	alert_free(a);
	free(cmd);
}

/* A command that hangs is killed after the timeout, with the process it
 * started (its process group). */
static void test_timeout_kills(void **state)
{
	char *cmd = script("page-hang",
	    "sleep 30 &\necho $! >\"$D/sleep.pid\"\nwait\n"
	    "echo finished >\"$D/finished\"");
	struct alert *a = alerter(cmd, 1, 0, 0);
	json_t *ev = trip_event("hang");
	char *log, *s, stat[64], *f;
	int64_t t0, took;
	int i, sleep_pid;

	(void)state;
	log_begin();
	t0 = mono_ms();
	assert_int_equal(alert_fire(a, ev, "hang"), 0);
	settle(a, 6000);
	took = mono_ms() - t0;
	log = log_end();
	if (took < 900 || took > 4000)
		fail_msg("the command ended after %lld ms, not after about 1 s", (long long)took);
	expect_log(log,
	    "page-hang still running after 1 s: killing it (SIGKILL, its process group)");
	expect_log(log, "page-hang killed after the alert timeout");
	assert_int_equal(alert_counters(a)->ac_timeouts, 1);
	assert_int_equal(alert_counters(a)->ac_failed, 1);
	f = tu_path(dir, "finished");
	assert_int_not_equal(access(f, F_OK), 0);
	free(f);
	/* the sleep it started is gone too (or a zombie waiting for init) */
	s = read_in("sleep.pid", NULL);
	assert_non_null(s);
	sleep_pid = atoi(s);
	assert_true(sleep_pid > 1);
	snprintf(stat, sizeof(stat), "/proc/%d/stat", sleep_pid);
	for (i = 0; i < 100; i++) {
		size_t len;
		char *st = tu_read_file(stat, &len), *rp;

		if (st == NULL)
			break; /* gone */
		rp = strrchr(st, ')');
		if (rp != NULL && rp[1] == ' ' && rp[2] == 'Z') {
			free(st);
			break; /* dead, not reaped yet */
		}
		free(st);
		usleep(10000);
	}
	if (i == 100)
		fail_msg("the command's sleep (pid %d) survived the timeout", sleep_pid);
	free(s);
	free(log);
	json_decref(ev);
	alert_free(a);
	free(cmd);
}

/* A failing command is logged with its status and the first line of its
 * stderr; the next alert runs all the same. */
static void test_failing_command(void **state)
{
	char *cmd = script("page-fail",
	    "echo 'pager: no route to host' >&2\n"
	    "echo 'second line' >&2\nexit 3");
	char *sig = script("page-signal", "kill -TERM $$");
	struct alert *a = alerter(cmd, 10, 0, 0), *b = alerter(sig, 10, 0, 0);
	json_t *ev = trip_event("fail");
	char *log;

	(void)state;
	log_begin();
	assert_int_equal(alert_fire(a, ev, "first"), 0);
	settle(a, 5000);
	assert_int_equal(alert_fire(a, ev, "second"), 0);
	settle(a, 5000);
	assert_int_equal(alert_fire(b, ev, "third"), 0);
	settle(b, 5000);
	log = log_end();
	expect_log(log, "alert 1 (kill_tripped): command ");
	expect_log(log, "page-fail exited with status 3: \"pager: no route to host\"\n");
	expect_log(log, "alert 2 (kill_tripped): command ");
	expect_log(log, "page-signal killed by signal 15 (Terminated)");
	assert_null(strstr(log, "second line"));
	assert_int_equal(alert_counters(a)->ac_started, 2);
	assert_int_equal(alert_counters(a)->ac_failed, 2);
	assert_int_equal(alert_counters(b)->ac_failed, 1);
	free(log);
	json_decref(ev);
	alert_free(a);
	alert_free(b);
	free(cmd);
	free(sig);
}

/* A command removed or made non-executable since the configuration was
 * checked: logged, and the caller goes on. */
static void test_missing_command(void **state)
{
	char *gone = tu_path(dir, "page-gone"), *noexec = script("page-noexec", "exit 0");
	struct alert *a = alerter(gone, 10, 0, 0), *b;
	struct alert_config bad = {"page-relative", 10, 0, 0};
	json_t *ev = trip_event("missing");
	char *log;

	(void)state;
	assert_int_equal(alert_new(&b, L, &bad), -EINVAL);
	bad.ac_command = NULL;
	bad.ac_timeout_s = 0;
	assert_int_equal(alert_new(&b, L, &bad), -EINVAL);
	assert_int_equal(chmod(noexec, 0644), 0);
	b = alerter(noexec, 10, 0, 0);
	log_begin();
	assert_int_equal(alert_fire(a, ev, "missing"), 0);
	assert_int_equal(alert_fire(b, ev, "noexec"), 0);
	settle(a, 1000);
	settle(b, 1000);
	log = log_end();
	expect_log(log, "test_alert: missing\n");
	expect_log(log, "page-gone cannot be started: No such file or directory");
	expect_log(log, "page-noexec cannot be started: Permission denied");
	assert_int_equal(alert_counters(a)->ac_spawn_errors, 1);
	assert_int_equal(alert_running(a), 0);
	free(log);
	json_decref(ev);
	alert_free(a);
	alert_free(b);
	free(gone);
	free(noexec);
}

/* Two at once, two waiting, the fifth dropped; the waiting ones run when
 * the first end. */
static void test_concurrency(void **state)
{
	char *cmd = script("page-slow", "sleep 0.3\ncat >>\"$D/q.log\"");
	struct alert *a = alerter(cmd, 10, 2, 2);
	json_t *ev = trip_event("queue");
	char *log, *q;
	size_t len, lines = 0, i;

	(void)state;
	log_begin();
	assert_int_equal(alert_fire(a, ev, "1"), 0);
	assert_int_equal(alert_fire(a, ev, "2"), 0);
	assert_int_equal(alert_fire(a, ev, "3"), 0);
	assert_int_equal(alert_fire(a, ev, "4"), 0);
	assert_int_equal(alert_queued(a), 4);
	assert_int_equal(alert_fire(a, ev, "5"), ALERT_EDROPPED);
	assert_int_equal(loop_run_once(L, 100), 0);
	assert_int_equal(alert_running(a), 2);
	assert_int_equal(alert_queued(a), 2);
	settle(a, 5000);
	log = log_end();
	expect_log(log,
	    "alert 3 (kill_tripped): queued behind 2 others (at most 2 commands run at "
	    "once)");
	expect_log(log,
	    "alert 5 (kill_tripped): 4 alert commands running or waiting, the most there may be: "
	    "dropped");
	q = read_in("q.log", &len);
	assert_non_null(q);
	for (i = 0; i < len; i++)
		lines += q[i] == '\n';
	assert_int_equal(lines, 4);
	assert_int_equal(alert_counters(a)->ac_ok, 4);
	assert_int_equal(alert_counters(a)->ac_dropped, 1);
	assert_int_equal(alert_counters(a)->ac_fired, 5);
	free(q);
	free(log);
	json_decref(ev);
	alert_free(a);
	free(cmd);
}

/* A flood of warnings fills the queue: a kill event pushes out the newest
 * warning and goes before the waiting ones; kill events are dropped only for
 * want of room among kill events. */
static void test_urgent_first(void **state)
{
	char *cmd = script("page-order", "cat >>\"$D/order.log\"");
	struct alert *a = alerter(cmd, 10, 1, 3);
	json_t *w = json_pack("{s:s, s:s}", "event", "parent_warning", "parent", "P1");
	json_t *k = trip_event("flood");
	char *log, *q;
	const char *p1, *p2, *p3, *p4;

	(void)state;
	log_begin();
	assert_int_equal(alert_fire(a, w, "w1"), 0);
	assert_int_equal(alert_fire(a, w, "w2"), 0);
	assert_int_equal(alert_fire(a, w, "w3"), 0);
	assert_int_equal(alert_fire(a, w, "w4"), 0);
	assert_int_equal(alert_queued(a), 4);
	assert_int_equal(alert_fire(a, w, "w5"), ALERT_EDROPPED); /* a warning: no room */
	assert_int_equal(alert_fire(a, k, "k1"), 0);              /* pushes out w4 */
	assert_int_equal(alert_queued(a), 4);
	assert_int_equal(alert_fire(a, k, "k2"), 0);              /* pushes out w3 */
	settle(a, 5000);
	log = log_end();
	expect_log(log, "alert 4 (parent_warning): dropped to make room for alert 6 (kill_tripped)");
	expect_log(log, "alert 3 (parent_warning): dropped to make room for alert 7 (kill_tripped)");
	q = read_in("order.log", NULL);
	assert_non_null(q);
	/* the kill events ran before the warnings that were waiting */
	p1 = strstr(q, "kill_tripped");
	p2 = strstr(p1 != NULL ? p1 + 1 : q, "kill_tripped");
	p3 = strstr(q, "parent_warning");
	p4 = p3 != NULL ? strstr(p3 + 1, "parent_warning") : NULL;
	assert_non_null(p1);
	assert_non_null(p2);
	assert_non_null(p3);
	assert_non_null(p4);
	assert_null(strstr(p4 + 1, "parent_warning"));
	assert_true(p2 < p4); /* w1 may have started first: it was running */
	assert_int_equal(alert_counters(a)->ac_dropped, 3);
	assert_int_equal(alert_counters(a)->ac_ok, 4);
	free(q);
	free(log);
	json_decref(w);
	json_decref(k);
	alert_free(a);
	free(cmd);
}

/* No command: the log line only. A malformed event is logged too. Freeing
 * with events queued logs them. */
static void test_log_only_and_bad_events(void **state)
{
	char *cmd = script("page-wait", "sleep 0.2");
	struct alert *a = alerter(NULL, 30, 0, 0), *b = alerter(cmd, 10, 1, 4);
	json_t *ev = trip_event("log only"), *noname = json_pack("{s:s}", "reason", "x");
	json_t *arr = json_array();
	char *log;

	(void)state;
	log_begin();
	assert_int_equal(alert_fire(a, ev, "KILL SWITCH TRIPPED: %s", "log only"), 0);
	assert_int_equal(alert_fire(a, ev, NULL), 0);
	assert_int_equal(alert_fire(a, noname, "no name"), -EINVAL);
	assert_int_equal(alert_fire(a, arr, NULL), -EINVAL);
	assert_int_equal(alert_running(a), 0);
	assert_int_equal(alert_fire(b, ev, "b1"), 0);
	assert_int_equal(alert_fire(b, ev, "b2"), 0);
	alert_free(b); /* b1 started and left running, b2 never started */
	log = log_end();
	expect_log(log, "test_alert: KILL SWITCH TRIPPED: log only\n");
	expect_log(log, "test_alert: alert kill_tripped: {\"event\":\"kill_tripped\"");
	expect_log(log, "test_alert: no name\n");
	expect_log(log, "alert 3: the event is not a JSON object with an \"event\" name");
	expect_log(log, "alert 1 (kill_tripped): command ");
	expect_log(log, "left running");
	expect_log(log, "alert 2 (kill_tripped): stopping: not handed to the command");
	assert_int_equal(alert_counters(a)->ac_fired, 4);
	assert_int_equal(alert_counters(a)->ac_started, 0);
	free(log);
	json_decref(ev);
	json_decref(noname);
	json_decref(arr);
	alert_free(a);
	free(cmd);
	usleep(300000); /* b1's sleep 0.2 ends (init or nobody reaps it: it is ours) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_time_format, end_capture),
	    cmocka_unit_test_teardown(test_json_intact, end_capture),
	    cmocka_unit_test_teardown(test_large_event, end_capture),
	    cmocka_unit_test_teardown(test_timeout_kills, end_capture),
	    cmocka_unit_test_teardown(test_failing_command, end_capture),
	    cmocka_unit_test_teardown(test_missing_command, end_capture),
	    cmocka_unit_test_teardown(test_concurrency, end_capture),
	    cmocka_unit_test_teardown(test_urgent_first, end_capture),
	    cmocka_unit_test_teardown(test_log_only_and_bad_events, end_capture),
	};

	return cmocka_run_group_tests_name("alert", tests, gsetup, gteardown);
}
