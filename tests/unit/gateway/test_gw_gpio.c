/*
 * test_gw_gpio.c - gateway/gw_gpio.c, riskgwd's kill button, against a chip
 * simulated by wrapping ioctl() (-Wl,--wrap=ioctl) whose line request fds
 * are pipes, with gw_trip(), gw_killed() and gw_alert() replaced by
 * recorders: a press trips (source gpio, who gpio, the reason naming chip
 * and line), a press while tripped does not trip again; an optional button
 * that is busy at start is absent, then up after the retry; end of file on
 * the line fd is the button lost (the kill_button_lost alert, status lost),
 * then back after the retry, and a press trips again. The retries are 5 s
 * apart, so this test takes about 10 s.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gpio.h"
#include "gw.h"
#include "gw_alert.h"
#include "gw_gpio.h"
#include "log.h"
#include "testutil.h"

#define MS UINT64_C(1000000)

static char *dir;

/* ---- recorders for what gw_gpio.c calls in riskgwd ----------------------------------- */

static struct {
	int trips;
	enum journal_kill_source src;
	char who[64], reason[512];
	bool killed;
	int alerts;
	char alert_event[64], alert_msg[1024];
} rec;

void gw_trip(struct gw *g, enum journal_kill_source src, const char *who, const char *reason)
{
	(void)g;
	rec.trips++;
	rec.src = src;
	snprintf(rec.who, sizeof(rec.who), "%s", who);
	snprintf(rec.reason, sizeof(rec.reason), "%s", reason);
	rec.killed = true;
}

bool gw_killed(const struct gw *g)
{
	(void)g;
	return rec.killed;
}

int gw_alert(json_t *event, const char *fmt, ...)
{
	va_list ap;

	rec.alerts++;
	snprintf(rec.alert_event, sizeof(rec.alert_event), "%s",
	    json_string_value(json_object_get(event, "event")));
	va_start(ap, fmt);
	vsnprintf(rec.alert_msg, sizeof(rec.alert_msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- the simulated chip ---------------------------------------------------------------- */

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

static struct {
	int request_errno;    /* the next line requests fail so */
	int line_rd, line_wr; /* the pipe handed out as the line fd */
	int requests;
} sim = {0, -1, -1, 0};

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == GPIO_GET_CHIPINFO_IOCTL) {
		struct gpiochip_info *ci = arg;

		memset(ci, 0, sizeof(*ci));
		snprintf(ci->name, sizeof(ci->name), "gpiochip0");
		ci->lines = 32;
		return 0;
	}
	if (req == GPIO_V2_GET_LINE_IOCTL) {
		struct gpio_v2_line_request *r = arg;
		int p[2];

		sim.requests++;
		if (sim.request_errno != 0) {
			errno = sim.request_errno;
			return -1;
		}
		if (pipe2(p, O_CLOEXEC) != 0)
			return -1;
		sim.line_rd = p[0]; /* riskgwd owns and closes it */
		sim.line_wr = p[1];
		r->fd = p[0];
		return 0;
	}
	if (req == GPIO_V2_GET_LINEINFO_IOCTL) {
		errno = EINVAL;
		return -1;
	}
	return __real_ioctl(fd, req, arg);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static int gsetup(void **state)
{
	(void)state;
	dir = tu_mkdtemp("gwgpio");
	log_init("test_gw_gpio", true, LOG_WARNING);
	return 0;
}

static int gteardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	free(dir);
	return 0;
}

static void press(uint64_t ts)
{
	struct gpio_v2_line_event e;

	memset(&e, 0, sizeof(e));
	e.timestamp_ns = ts;
	e.id = GPIO_V2_LINE_EVENT_RISING_EDGE;
	e.offset = 17;
	assert_int_equal(write(sim.line_wr, &e, sizeof(e)), (ssize_t)sizeof(e));
}

static void turns(struct loop *l, int n)
{
	while (n-- > 0)
		assert_int_equal(loop_run_once(l, 10), 0);
}

/* The button's status member as a string: "state" or "state: error". */
static void status(char *out, size_t len)
{
	json_t *s = gw_gpio_status();
	const char *err;

	assert_non_null(s);
	err = json_string_value(json_object_get(s, "error"));
	snprintf(out, len, "%s%s%s", json_string_value(json_object_get(s, "state")),
	    err != NULL ? ": " : "", err != NULL ? err : "");
	json_decref(s);
}

static json_int_t presses(void)
{
	json_t *s = gw_gpio_status();
	json_int_t n = json_integer_value(json_object_get(s, "presses"));

	json_decref(s);
	return n;
}

/* Runs the loop until the button is up, at most ms. */
static void until_up(struct loop *l, int ms)
{
	char st[GPIO_ERRLEN + 16];
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		status(st, sizeof(st));
		if (strcmp(st, "up") == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			fail_msg("the button is not back after %d ms: %s", ms, st);
		assert_int_equal(loop_run_once(l, 50), 0);
	}
}

/* ---- the test ----------------------------------------------------------------------------- */

static void test_button_life(void **state)
{
	struct conf *c = calloc(1, sizeof(*c));
	char *chip = tu_path(dir, "gpiochip-sim"), st[GPIO_ERRLEN + 16], want[600];
	struct gw g;

	(void)state;
	assert_non_null(c);
	assert_int_equal(tu_write_file(chip, "", 0), 0); /* opened O_RDWR, then the ioctls */
	memset(&g, 0, sizeof(g));
	assert_int_equal(loop_new(&g.g_loop, 1024), 0);
	g.g_conf = c;
	snprintf(c->c_file, sizeof(c->c_file), "riskgwd.conf");
	c->c_gpio.cg_enabled = true;
	c->c_gpio.cg_line_no = 30;
	snprintf(c->c_gpio.cg_chip, sizeof(c->c_gpio.cg_chip), "%s", chip);
	c->c_gpio.cg_line = 17;
	c->c_gpio.cg_edges = CONF_EDGE_RISING;
	c->c_gpio.cg_debounce_ms = 50;
	c->c_gpio.cg_optional = true;

	/* busy at start, optional: absent, riskgwd runs */
	sim.request_errno = EBUSY;
	gw_gpio_start(&g);
	status(st, sizeof(st));
	snprintf(want, sizeof(want), "absent: %s line 17: line busy (requested by another process)",
	    chip);
	assert_string_equal(st, want);
	sim.request_errno = 0;
	until_up(g.g_loop, 7000); /* the retry, 5 s later */
	assert_int_equal(sim.requests, 2);

	/* a press trips, naming chip and line */
	press(1000 * MS);
	turns(g.g_loop, 2);
	assert_int_equal(rec.trips, 1);
	assert_int_equal(rec.src, JOURNAL_KSRC_GPIO);
	assert_string_equal(rec.who, "gpio");
	snprintf(want, sizeof(want), "kill button pressed (%s line 17)", chip);
	assert_string_equal(rec.reason, want);
	assert_int_equal(presses(), 1);
	/* a bounce is not a press; a press while tripped does not trip again */
	press(1010 * MS);
	press(1100 * MS);
	turns(g.g_loop, 2);
	assert_int_equal(rec.trips, 1);
	assert_int_equal(presses(), 2);

	/* end of file: the button is lost, the alert goes out */
	close(sim.line_wr);
	sim.line_wr = -1;
	turns(g.g_loop, 2);
	assert_int_equal(rec.alerts, 1);
	assert_string_equal(rec.alert_event, "kill_button_lost");
	snprintf(want, sizeof(want), "KILL BUTTON GONE: %s line 17: read: end of file", chip);
	assert_non_null(strstr(rec.alert_msg, want));
	status(st, sizeof(st));
	snprintf(want, sizeof(want), "lost: %s line 17: read: end of file", chip);
	assert_string_equal(st, want);

	/* back after the retry: a press trips again (the switch was re-armed) */
	rec.killed = false;
	until_up(g.g_loop, 7000);
	assert_int_equal(sim.requests, 3);
	press(9000 * MS);
	turns(g.g_loop, 2);
	assert_int_equal(rec.trips, 2);
	assert_int_equal(presses(), 3);

	gw_gpio_stop(&g);
	status(st, sizeof(st));
	assert_string_equal(st, "none");
	close(sim.line_wr);
	loop_free(g.g_loop);
	free(c);
	free(chip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_button_life),
	};

	return cmocka_run_group_tests_name("gw_gpio", tests, gsetup, gteardown);
}
