/*
 * test_gpio.c - gateway/gpio.c without a GPIO chip (build machines have
 * none, and no gpio-sim module):
 *
 *  - the reader, fed struct gpio_v2_line_event records through pipes and a
 *    socketpair, through the same gpio_button_read() that reads a line
 *    request fd: one press, edge and line filtering, the debounce window, a
 *    bounce storm of 500 edges in 2 ms as one press, a second press after
 *    the window, partial records (completed, and cut by end of file), end
 *    of file, a read error;
 *  - the line request as built for the kernel (flags, active-low, the
 *    debounce attribute);
 *  - gpio_line_open()'s errors from the system: no such chip, /dev/null
 *    (not a GPIO chip), a directory, permission denied (as root: in a child
 *    that drops to uid 65534);
 *  - gpio_line_open() against a chip simulated by wrapping ioctl()
 *    (-Wl,--wrap=ioctl): line out of range, line busy with its consumer,
 *    a chip that refuses the debounce attribute, the line fd handed back
 *    non-blocking and read by the reader, a kernel without uAPI v2.
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
#include <sys/socket.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gpio.h"
#include "testutil.h"

#define MS UINT64_C(1000000)
#define US UINT64_C(1000)
#define T0 (UINT64_C(5000) * MS) /* a monotonic time, far from 0 */

static char *dir;

static int gsetup(void **state)
{
	(void)state;
	dir = tu_mkdtemp("gpio");
	return 0;
}

static int gteardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	free(dir);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static struct gpio_v2_line_event ev(uint64_t ts, uint32_t id, uint32_t offset)
{
	static uint32_t seq;
	struct gpio_v2_line_event e;

	memset(&e, 0, sizeof(e));
	e.timestamp_ns = ts;
	e.id = id;
	e.offset = offset;
	e.seqno = ++seq;
	e.line_seqno = seq;
	return e;
}

static void put(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		assert_true(w > 0);
		c += w;
		n -= (size_t)w;
	}
}

static void put_ev(int fd, uint64_t ts, uint32_t id, uint32_t offset)
{
	struct gpio_v2_line_event e = ev(ts, id, offset);

	put(fd, &e, sizeof(e));
}

/* A non-blocking pipe: p[0] read, p[1] write. */
static void mkpipe(int p[2])
{
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static struct gpio_button *button(uint32_t line, unsigned edges, int64_t debounce_ns)
{
	struct gpio_button_config c = {line, edges, debounce_ns};
	struct gpio_button *b;

	assert_int_equal(gpio_button_new(&b, &c), 0);
	return b;
}

/* Reads what fd holds; returns the presses, asserts the return code. */
static unsigned drain(struct gpio_button *b, int fd, int want_rc)
{
	unsigned n = 0;

	assert_int_equal(gpio_button_read(b, fd, &n), want_rc);
	return n;
}

/* ---- the reader ------------------------------------------------------------------- */

static void test_single_press(void **state)
{
	struct gpio_button *b = button(17, GPIO_EDGE_RISING, 50 * (int64_t)MS);
	int p[2];

	(void)state;
	mkpipe(p);
	assert_int_equal(drain(b, p[0], 0), 0); /* nothing there: EAGAIN */
	put_ev(p[1], T0, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	assert_int_equal(drain(b, p[0], 0), 1);
	assert_int_equal(drain(b, p[0], 0), 0);
	assert_int_equal(gpio_button_counters(b)->gc_events, 1);
	assert_int_equal(gpio_button_counters(b)->gc_presses, 1);
	assert_int_equal(gpio_button_partial(b), 0);
	close(p[0]);
	close(p[1]);
	gpio_button_free(b);
}

/* Only the configured edges of the configured line are presses. With
 * active-low the kernel has already inverted (a button that pulls the line
 * low is reported as a rising edge): the reader does not invert again, so
 * the same records give the same presses whatever active-low is. */
static void test_edge_and_line_filter(void **state)
{
	struct gpio_button *rise = button(17, GPIO_EDGE_RISING, 0);
	struct gpio_button *fall = button(17, GPIO_EDGE_FALLING, 0);
	struct gpio_button *both = button(17, GPIO_EDGE_RISING | GPIO_EDGE_FALLING, 0);
	struct gpio_button *bs[3] = {rise, fall, both};
	unsigned got[3];
	int i, p[3][2];

	(void)state;
	for (i = 0; i < 3; i++) {
		mkpipe(p[i]);
		put_ev(p[i][1], T0, GPIO_V2_LINE_EVENT_FALLING_EDGE, 17);
		put_ev(p[i][1], T0 + 1 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
		put_ev(p[i][1], T0 + 2 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 3); /* another line */
		put_ev(p[i][1], T0 + 3 * MS, 7, 17);                             /* no such id */
		put_ev(p[i][1], T0 + 4 * MS, GPIO_V2_LINE_EVENT_FALLING_EDGE, 17);
		got[i] = drain(bs[i], p[i][0], 0);
	}
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 2);
	assert_int_equal(got[2], 3);
	assert_int_equal(gpio_button_counters(rise)->gc_other_edge, 2);
	assert_int_equal(gpio_button_counters(fall)->gc_other_edge, 1);
	assert_int_equal(gpio_button_counters(both)->gc_other_edge, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(gpio_button_counters(bs[i])->gc_events, 5);
		assert_int_equal(gpio_button_counters(bs[i])->gc_other_line, 1);
		assert_int_equal(gpio_button_counters(bs[i])->gc_bad_id, 1);
		close(p[i][0]);
		close(p[i][1]);
		gpio_button_free(bs[i]);
	}
}

static void test_debounce_window(void **state)
{
	struct gpio_button *b = button(17, GPIO_EDGE_RISING, 50 * (int64_t)MS);
	int p[2];

	(void)state;
	mkpipe(p);
	put_ev(p[1], T0, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	put_ev(p[1], T0 + 1 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	put_ev(p[1], T0 + 49 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	assert_int_equal(drain(b, p[0], 0), 1);
	assert_int_equal(gpio_button_counters(b)->gc_debounced, 2);
	/* the window is measured from the accepted press, not from the bounces */
	put_ev(p[1], T0 + 50 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	assert_int_equal(drain(b, p[0], 0), 1);
	/* a timestamp before the last press (a clock that went back) never
	 * hides a press */
	put_ev(p[1], T0 - 10 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	assert_int_equal(drain(b, p[0], 0), 1);
	assert_int_equal(gpio_button_counters(b)->gc_presses, 3);
	close(p[0]);
	close(p[1]);
	gpio_button_free(b);

	/* debounce 0: every press edge counts */
	b = button(17, GPIO_EDGE_RISING, 0);
	mkpipe(p);
	put_ev(p[1], T0, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	put_ev(p[1], T0, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	assert_int_equal(drain(b, p[0], 0), 2);
	close(p[0]);
	close(p[1]);
	gpio_button_free(b);
}

/* 500 edges of both kinds in 2 ms is one press; a press 100 ms later is
 * the second. Written in one go (the reader takes 64 records per read())
 * and again in 1000-byte pieces read in between (partial records). */
static void test_bounce_storm(void **state)
{
	struct gpio_v2_line_event *storm = calloc(500, sizeof(*storm));
	int round;

	(void)state;
	assert_non_null(storm);
	for (int i = 0; i < 500; i++)
		storm[i] = ev(T0 + (uint64_t)i * 4 * US,
		    i % 2 ? GPIO_V2_LINE_EVENT_FALLING_EDGE : GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	assert_true(storm[499].timestamp_ns - storm[0].timestamp_ns < 2 * MS);
	for (round = 0; round < 2; round++) {
		struct gpio_button *b =
		    button(17, GPIO_EDGE_RISING | GPIO_EDGE_FALLING, 50 * (int64_t)MS);
		unsigned presses = 0;
		int p[2];

		mkpipe(p);
		if (round == 0) {
			put(p[1], storm, 500 * sizeof(*storm));
			presses = drain(b, p[0], 0);
		} else {
			const char *c = (const char *)storm;
			size_t left = 500 * sizeof(*storm);

			while (left > 0) {
				size_t n = left < 1000 ? left : 1000;

				put(p[1], c, n);
				c += n;
				left -= n;
				presses += drain(b, p[0], 0);
			}
		}
		assert_int_equal(presses, 1);
		assert_int_equal(gpio_button_counters(b)->gc_events, 500);
		assert_int_equal(gpio_button_counters(b)->gc_debounced, 499);
		assert_int_equal(gpio_button_partial(b), 0);
		put_ev(p[1], T0 + 100 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
		assert_int_equal(drain(b, p[0], 0), 1);
		assert_int_equal(gpio_button_counters(b)->gc_presses, 2);
		close(p[0]);
		close(p[1]);
		gpio_button_free(b);
	}
	free(storm);
}

/* A record cut in two is completed by the next read; end of file with a
 * part of one pending is GPIO_ETRUNCATED, on a socketpair too. */
static void test_partial_records(void **state)
{
	struct gpio_button *b = button(17, GPIO_EDGE_RISING, 0);
	struct gpio_v2_line_event e = ev(T0, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	int p[2], s[2];

	(void)state;
	mkpipe(p);
	put(p[1], &e, 20);
	assert_int_equal(drain(b, p[0], 0), 0);
	assert_int_equal(gpio_button_partial(b), 20);
	put(p[1], (char *)&e + 20, sizeof(e) - 20);
	assert_int_equal(drain(b, p[0], 0), 1);
	assert_int_equal(gpio_button_partial(b), 0);
	/* a record and a half, then end of file */
	e = ev(T0 + 1 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	put(p[1], &e, sizeof(e));
	put(p[1], &e, 30);
	close(p[1]);
	assert_int_equal(drain(b, p[0], GPIO_ETRUNCATED), 1); /* the whole one counts */
	assert_int_equal(gpio_button_partial(b), 30);
	assert_string_equal(gpio_strerror(GPIO_ETRUNCATED),
	    "end of file in the middle of an event record");
	close(p[0]);
	/* a new stream starts afresh */
	gpio_button_new_stream(b);
	assert_int_equal(gpio_button_partial(b), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s), 0);
	put(s[1], &e, 47);
	assert_int_equal(drain(b, s[0], 0), 0);
	assert_int_equal(shutdown(s[1], SHUT_WR), 0);
	assert_int_equal(drain(b, s[0], GPIO_ETRUNCATED), 0);
	close(s[0]);
	close(s[1]);
	gpio_button_free(b);
}

static void test_eof_and_read_error(void **state)
{
	struct gpio_button *b = button(17, GPIO_EDGE_RISING, 0);
	int p[2];

	(void)state;
	mkpipe(p);
	put_ev(p[1], T0, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	close(p[1]);
	/* the press before the end still counts */
	assert_int_equal(drain(b, p[0], GPIO_EEOF), 1);
	assert_int_equal(drain(b, p[0], GPIO_EEOF), 0);
	assert_string_equal(gpio_strerror(GPIO_EEOF), "end of file");
	close(p[0]);
	/* read() on a write end fails: the errno comes back */
	mkpipe(p);
	assert_int_equal(drain(b, p[1], -EBADF), 0);
	close(p[0]);
	close(p[1]);
	gpio_button_free(b);
}

/* ---- the line request ----------------------------------------------------------------- */

static void test_request_init(void **state)
{
	struct gpio_line_config gl = {"/dev/gpiochip0", 17, false, GPIO_EDGE_RISING, 50000,
	    "riskgwd-kill"};
	struct gpio_v2_line_request req;

	(void)state;
	gpio_line_request_init(&req, &gl, true);
	assert_int_equal(req.num_lines, 1);
	assert_int_equal(req.offsets[0], 17);
	assert_string_equal(req.consumer, "riskgwd-kill");
	assert_true(req.event_buffer_size >= 16);
	assert_true(req.config.flags == (GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING));
	assert_int_equal(req.config.num_attrs, 1);
	assert_int_equal(req.config.attrs[0].attr.id, GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
	assert_int_equal(req.config.attrs[0].attr.debounce_period_us, 50000);
	assert_int_equal(req.config.attrs[0].mask, 1);

	gl.gl_active_low = true;
	gl.gl_edges = GPIO_EDGE_FALLING;
	gpio_line_request_init(&req, &gl, false); /* without the debounce attribute */
	assert_true(req.config.flags ==
	    (GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_FALLING |
		GPIO_V2_LINE_FLAG_ACTIVE_LOW));
	assert_int_equal(req.config.num_attrs, 0);

	gl.gl_edges = GPIO_EDGE_RISING | GPIO_EDGE_FALLING;
	gl.gl_debounce_us = 0;
	gpio_line_request_init(&req, &gl, true);
	assert_true(req.config.flags ==
	    (GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING |
		GPIO_V2_LINE_FLAG_EDGE_FALLING | GPIO_V2_LINE_FLAG_ACTIVE_LOW));
	assert_int_equal(req.config.num_attrs, 0); /* debounce 0: none asked */
}

static int open_line(const char *chip, uint32_t line, int *fd, bool *kdeb, char *err)
{
	struct gpio_line_config gl = {chip, line, false, GPIO_EDGE_RISING, 50000, "riskgwd-kill"};

	return gpio_line_open(&gl, fd, kdeb, err);
}

static void test_open_errors(void **state)
{
	char err[GPIO_ERRLEN], *nochip = tu_path(dir, "gpiochip9"), want[600];
	bool kdeb = true;
	int fd = 5;

	(void)state;
	assert_int_equal(open_line(nochip, 17, &fd, &kdeb, err), -ENOENT);
	assert_int_equal(fd, -1);
	assert_false(kdeb);
	snprintf(want, sizeof(want), "%s line 17: no such GPIO chip (No such file or directory)",
	    nochip);
	assert_string_equal(err, want);

	assert_int_equal(open_line("/dev/null", 3, &fd, &kdeb, err), -ENOTTY);
	assert_string_equal(err,
	    "/dev/null line 3: not a GPIO chip (Inappropriate ioctl for device)");

	assert_int_equal(open_line(dir, 0, &fd, &kdeb, err), -ENOTTY);
	assert_non_null(strstr(err, " line 0: not a GPIO chip (a directory)"));
	free(nochip);
}

/* A chip riskgwd's user may not open. As root, open() ignores the mode, so
 * the check runs in a child that drops to uid/gid 65534 (nobody); where
 * that is not possible the test is skipped, saying why. */
static void test_open_permission(void **state)
{
	char err[GPIO_ERRLEN], *chip = tu_path(dir, "gpiochip-noperm");
	bool kdeb;
	int fd, st;
	pid_t pid;

	(void)state;
	assert_int_equal(tu_write_file(chip, "", 0), 0);
	assert_int_equal(chmod(chip, 0), 0);
	if (geteuid() != 0) {
		assert_int_equal(open_line(chip, 17, &fd, &kdeb, err), -EACCES);
		assert_non_null(strstr(err, " line 17: permission denied: riskgwd (uid "));
		free(chip);
		return;
	}
	assert_int_equal(chmod(dir, 0711), 0); /* nobody may reach the file, not open it */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(77);
		if (open_line(chip, 17, &fd, &kdeb, err) != -EACCES) {
			fprintf(stderr, "as uid 65534: %s\n", err);
			_exit(1);
		}
		if (strstr(err, " line 17: permission denied: riskgwd (uid 65534)") == NULL) {
			fprintf(stderr, "as uid 65534: %s\n", err);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(chmod(dir, 0700), 0);
	free(chip);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		fprintf(stderr,
		    "test_open_permission: running as root and cannot drop to uid "
		    "65534 (open() ignores file modes for root): skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- a chip simulated through ioctl() ---------------------------------------------------- */

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

static struct {
	bool on; /* answer the GPIO ioctls; else pass through */
	uint32_t lines;
	int chipinfo_errno;
	int request_errno;    /* every line request fails so */
	int debounce_errno;   /* a request with a debounce attribute fails so */
	const char *consumer; /* GPIO_V2_GET_LINEINFO_IOCTL's answer */
	int line_fd;          /* the line request fd handed back */
	int requests;
	struct gpio_v2_line_request last;
} sim;

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!sim.on)
		return __real_ioctl(fd, req, arg);
	if (req == GPIO_GET_CHIPINFO_IOCTL) {
		struct gpiochip_info *ci = arg;

		if (sim.chipinfo_errno != 0) {
			errno = sim.chipinfo_errno;
			return -1;
		}
		memset(ci, 0, sizeof(*ci));
		snprintf(ci->name, sizeof(ci->name), "gpiochip0");
		snprintf(ci->label, sizeof(ci->label), "sim");
		ci->lines = sim.lines;
		return 0;
	}
	if (req == GPIO_V2_GET_LINE_IOCTL) {
		struct gpio_v2_line_request *r = arg;

		sim.requests++;
		sim.last = *r;
		if (sim.request_errno != 0) {
			errno = sim.request_errno;
			return -1;
		}
		if (sim.debounce_errno != 0 && r->config.num_attrs > 0) {
			errno = sim.debounce_errno;
			return -1;
		}
		r->fd = sim.line_fd;
		return 0;
	}
	if (req == GPIO_V2_GET_LINEINFO_IOCTL) {
		struct gpio_v2_line_info *li = arg;

		if (sim.consumer == NULL) {
			errno = EINVAL;
			return -1;
		}
		snprintf(li->consumer, sizeof(li->consumer), "%s", sim.consumer);
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static int sim_setup(void **state)
{
	(void)state;
	memset(&sim, 0, sizeof(sim));
	sim.on = true;
	sim.lines = 32;
	sim.line_fd = -1;
	return 0;
}

static int sim_teardown(void **state)
{
	(void)state;
	sim.on = false;
	return 0;
}

static char *sim_chip(void)
{
	char *chip = tu_path(dir, "gpiochip-sim");

	assert_int_equal(tu_write_file(chip, "", 0), 0); /* a file to open O_RDWR */
	return chip;
}

static void test_sim_open_errors(void **state)
{
	char err[GPIO_ERRLEN], want[600], *chip = sim_chip();
	bool kdeb;
	int fd;

	(void)state;
	sim.lines = 8;
	assert_int_equal(open_line(chip, 17, &fd, &kdeb, err), -ERANGE);
	snprintf(want, sizeof(want),
	    "%s line 17: line offset out of range: chip gpiochip0 has 8 lines (0..7)", chip);
	assert_string_equal(err, want);
	assert_int_equal(open_line(chip, 8, &fd, &kdeb, err), -ERANGE);
	assert_int_equal(sim.requests, 0);

	sim.lines = 32;
	sim.request_errno = EBUSY;
	sim.consumer = "gpio-keys";
	assert_int_equal(open_line(chip, 17, &fd, &kdeb, err), -EBUSY);
	snprintf(want, sizeof(want), "%s line 17: line busy (used by \"gpio-keys\")", chip);
	assert_string_equal(err, want);
	sim.consumer = NULL;
	assert_int_equal(open_line(chip, 17, &fd, &kdeb, err), -EBUSY);
	assert_non_null(strstr(err, "line 17: line busy (requested by another process)"));

	sim.request_errno = ENOTTY; /* chip info works, the v2 request does not */
	assert_int_equal(open_line(chip, 17, &fd, &kdeb, err), -ENOTTY);
	assert_non_null(strstr(err, "uAPI v2"));

	sim.request_errno = EIO;
	assert_int_equal(open_line(chip, 17, &fd, &kdeb, err), -EIO);
	assert_non_null(strstr(err, "line 17: line request: Input/output error"));

	sim.request_errno = 0;
	sim.chipinfo_errno = EIO;
	assert_int_equal(open_line(chip, 17, &fd, &kdeb, err), -EIO);
	assert_non_null(strstr(err, "line 17: chip info: Input/output error"));
	assert_int_equal(fd, -1);
	free(chip);
}

/* The line fd comes back non-blocking and close-on-exec, and the reader
 * reads it: here a pipe stands in for the kernel's line request fd. */
static void test_sim_open_and_read(void **state)
{
	char err[GPIO_ERRLEN], *chip = sim_chip();
	struct gpio_button *b = button(17, GPIO_EDGE_RISING, 50 * (int64_t)MS);
	bool kdeb = false;
	int fd, p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0); /* blocking: gpio_line_open() fixes it */
	sim.line_fd = p[0];
	if (open_line(chip, 17, &fd, &kdeb, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(fd, p[0]);
	assert_true(kdeb);
	assert_int_equal(sim.requests, 1);
	assert_int_equal(sim.last.offsets[0], 17);
	assert_int_equal(sim.last.config.num_attrs, 1);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	put_ev(p[1], T0, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	put_ev(p[1], T0 + 2 * MS, GPIO_V2_LINE_EVENT_RISING_EDGE, 17);
	assert_int_equal(drain(b, fd, 0), 1);
	close(p[0]);
	close(p[1]);
	gpio_button_free(b);

	/* a chip that refuses the debounce attribute: asked again without */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	sim.line_fd = p[0];
	sim.requests = 0;
	sim.debounce_errno = EINVAL;
	if (open_line(chip, 17, &fd, &kdeb, err) != 0)
		fail_msg("%s", err);
	assert_false(kdeb);
	assert_int_equal(sim.requests, 2);
	assert_int_equal(sim.last.config.num_attrs, 0);
	assert_true(sim.last.config.flags & GPIO_V2_LINE_FLAG_EDGE_RISING);
	close(p[0]);
	close(p[1]);
	free(chip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_press),
	    cmocka_unit_test(test_edge_and_line_filter),
	    cmocka_unit_test(test_debounce_window),
	    cmocka_unit_test(test_bounce_storm),
	    cmocka_unit_test(test_partial_records),
	    cmocka_unit_test(test_eof_and_read_error),
	    cmocka_unit_test(test_request_init),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_open_permission),
	    cmocka_unit_test_setup_teardown(test_sim_open_errors, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_open_and_read, sim_setup, sim_teardown),
	};

	return cmocka_run_group_tests_name("gpio", tests, gsetup, gteardown);
}
