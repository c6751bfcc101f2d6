/*
 * gw_gpio.c - riskgwd's kill button (see gw_gpio.h).
 *
 * The button's fd (a GPIO line request, or with events-from a FIFO that
 * carries the same records) is watched by the event loop; every accepted
 * press trips the kill switch in the turn it is read, like a breach.
 *
 * A button that goes away while riskgwd runs (a read error, end of file,
 * a record cut short) is logged at LOG_ALERT: the switch can no longer be
 * tripped from it. That does not trip the switch by itself (the other
 * triggers still work, and a loose wire must not stop trading unannounced);
 * riskgwd tries to open it again every RETRY_S seconds and logs when it is
 * back. An optional button that could not be opened at start is retried
 * the same way.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpio.h"
#include "gw.h"
#include "gw_alert.h"
#include "gw_gpio.h"
#include "log.h"

#define NSEC    INT64_C(1000000000)
#define RETRY_S 5

enum button_state {
	BUTTON_NONE,   /* no [gpio] section */
	BUTTON_UP,     /* watched */
	BUTTON_ABSENT, /* optional, not opened at start; retrying */
	BUTTON_LOST,   /* gone while running; retrying */
};

static struct {
	struct gw *b_gw;
	const struct conf_gpio *b_cfg;
	enum button_state b_state;
	int b_fd;
	bool b_kdeb; /* the kernel took the debounce attribute */
	struct gpio_button *b_reader;
	struct loop_timer b_retry;
	char b_src[CONF_PATH_MAX + 16]; /* "/dev/gpiochip0 line 17" */
	char b_why[GPIO_ERRLEN];        /* why not up; "" while up */
} B = {.b_fd = -1};

static void on_readable(struct loop *l, int fd, unsigned ev, void *arg);

static const char *edge_name(int edges)
{
	switch (edges) {
	case CONF_EDGE_RISING:
		return "rising";
	case CONF_EDGE_FALLING:
		return "falling";
	default:
		return "both";
	}
}

/* events-from: a FIFO opened read-write, so that writers may come and go
 * without riskgwd ever reading end of file. */
static int open_fifo(const char *path, int *fd, char err[GPIO_ERRLEN])
{
	struct stat st;
	int e;

	*fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		e = errno;
		snprintf(err, GPIO_ERRLEN, "events-from %s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(*fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		close(*fd);
		*fd = -1;
		snprintf(err, GPIO_ERRLEN, "events-from %s: not a FIFO (mkfifo it)", path);
		return -EINVAL;
	}
	return 0;
}

/* Opens the button and watches it. 0, or an error with the message in err. */
static int button_open(char err[GPIO_ERRLEN])
{
	const struct conf_gpio *cg = B.b_cfg;
	int rc, fd;

	if (cg->cg_events_from[0] != '\0') {
		rc = open_fifo(cg->cg_events_from, &fd, err);
		B.b_kdeb = false;
	} else {
		struct gpio_line_config gl = {cg->cg_chip, (uint32_t)cg->cg_line, cg->cg_active_low,
		    0, (uint32_t)cg->cg_debounce_ms * 1000, "riskgwd-kill"};

		gl.gl_edges = ((cg->cg_edges & CONF_EDGE_RISING) ? GPIO_EDGE_RISING : 0) |
		    ((cg->cg_edges & CONF_EDGE_FALLING) ? GPIO_EDGE_FALLING : 0);
		rc = gpio_line_open(&gl, &fd, &B.b_kdeb, err);
	}
	if (rc != 0)
		return rc;
	if ((rc = loop_watch(B.b_gw->g_loop, fd, LOOP_READ, on_readable, NULL)) != 0) {
		close(fd);
		snprintf(err, GPIO_ERRLEN, "%s: cannot watch its fd: %s", B.b_src, strerror(-rc));
		return rc;
	}
	gpio_button_new_stream(B.b_reader);
	B.b_fd = fd;
	B.b_state = BUTTON_UP;
	B.b_why[0] = '\0';
	return 0;
}

static void on_press(unsigned presses)
{
	struct gw *g = B.b_gw;
	char reason[sizeof(B.b_src) + 32];

	if (gw_killed(g)) {
		log_notice("kill button pressed (%s): the kill switch is already tripped", B.b_src);
		return;
	}
	snprintf(reason, sizeof(reason), "kill button pressed (%s)", B.b_src);
	gw_trip(g, JOURNAL_KSRC_GPIO, "gpio", reason);
	if (presses > 1)
		log_notice("kill button: %u presses read at once", presses);
}

static void button_lost(int rc)
{
	char why[GPIO_ERRLEN];
	json_t *ev;

	if (rc == GPIO_ETRUNCATED)
		snprintf(why, sizeof(why), "%s (%d of %d bytes)", gpio_strerror(rc),
		    gpio_button_partial(B.b_reader), GPIO_EVENT_SIZE);
	else
		snprintf(why, sizeof(why), "%s", gpio_strerror(rc));
	loop_unwatch(B.b_gw->g_loop, B.b_fd);
	close(B.b_fd);
	B.b_fd = -1;
	B.b_state = BUTTON_LOST;
	snprintf(B.b_why, sizeof(B.b_why), "%s: read: %s", B.b_src, why);
	ev = json_pack("{s:s, s:s, s:s}", "event", "kill_button_lost", "source", B.b_src, "error",
	    why);
	(void)gw_alert(ev, "KILL BUTTON GONE: %s; it cannot trip the kill switch until it is back "
			   "(retrying every %d s)",
	    B.b_why, RETRY_S);
	json_decref(ev);
	(void)loop_timer_set(B.b_gw->g_loop, &B.b_retry, RETRY_S * NSEC);
}

static void on_readable(struct loop *l, int fd, unsigned ev, void *arg)
{
	unsigned presses = 0;
	int rc;

	(void)l;
	(void)ev;
	(void)arg;
	rc = gpio_button_read(B.b_reader, fd, &presses);
	if (presses > 0)
		on_press(presses);
	if (rc != 0)
		button_lost(rc);
}

static void on_retry(struct loop *l, void *arg)
{
	char err[GPIO_ERRLEN];

	(void)arg;
	if (B.b_state == BUTTON_UP)
		return;
	if (button_open(err) == 0) {
		log_notice("kill button back: %s", B.b_src);
		return;
	}
	if (strcmp(err, B.b_why) != 0) { /* log a change, not every attempt */
		log_warnx("kill button still unavailable: %s", err);
		snprintf(B.b_why, sizeof(B.b_why), "%s", err);
	}
	(void)loop_timer_set(l, &B.b_retry, RETRY_S * NSEC);
}

void gw_gpio_start(struct gw *g)
{
	const struct conf_gpio *cg = &g->g_conf->c_gpio;
	struct gpio_button_config bc;
	char err[GPIO_ERRLEN];

	B.b_gw = g;
	B.b_cfg = cg;
	B.b_state = BUTTON_NONE;
	if (!cg->cg_enabled)
		return;
	snprintf(B.b_src, sizeof(B.b_src), "%s line %d",
	    cg->cg_events_from[0] != '\0' ? cg->cg_events_from : cg->cg_chip, cg->cg_line);
	bc.gb_line = (uint32_t)cg->cg_line;
	bc.gb_edges = ((cg->cg_edges & CONF_EDGE_RISING) ? GPIO_EDGE_RISING : 0) |
	    ((cg->cg_edges & CONF_EDGE_FALLING) ? GPIO_EDGE_FALLING : 0);
	bc.gb_debounce_ns = (int64_t)cg->cg_debounce_ms * 1000000;
	if (gpio_button_new(&B.b_reader, &bc) != 0)
		fatalx("out of memory");
	loop_timer_init(&B.b_retry, on_retry, NULL);
	if (button_open(err) != 0) {
		if (!cg->cg_optional)
			fatalx("kill button: %s (the [gpio] section at %s:%d; optional = yes runs "
			       "without it)",
			    err, g->g_conf->c_file, cg->cg_line_no);
		B.b_state = BUTTON_ABSENT;
		snprintf(B.b_why, sizeof(B.b_why), "%s", err);
		log_warnx("kill button ABSENT: %s; running without it (optional = yes), trying "
			  "again every %d s",
		    err, RETRY_S);
		(void)loop_timer_set(g->g_loop, &B.b_retry, RETRY_S * NSEC);
		return;
	}
	if (cg->cg_events_from[0] != '\0')
		log_warnx("kill button: reading events from %s, not from a GPIO chip (events-from "
			  "is for tests and benchmarks)",
		    cg->cg_events_from);
	else
		log_notice("kill button: %s, %s edge%s, active-%s, debounce %d ms (%s)", B.b_src,
		    edge_name(cg->cg_edges),
		    cg->cg_edges == CONF_EDGE_RISING || cg->cg_edges == CONF_EDGE_FALLING ? ""
											  : "s",
		    cg->cg_active_low ? "low" : "high", cg->cg_debounce_ms,
		    B.b_kdeb ? "kernel and riskgwd" : "riskgwd only: the chip takes none");
}

void gw_gpio_stop(struct gw *g)
{
	if (B.b_state == BUTTON_NONE)
		return;
	loop_timer_cancel(g->g_loop, &B.b_retry);
	if (B.b_fd >= 0) {
		loop_unwatch(g->g_loop, B.b_fd);
		close(B.b_fd);
		B.b_fd = -1;
	}
	gpio_button_free(B.b_reader);
	B.b_reader = NULL;
	B.b_state = BUTTON_NONE;
}

json_t *gw_gpio_status(void)
{
	static const char *const names[] = {"none", "up", "absent", "lost"};
	const struct conf_gpio *cg = B.b_cfg;

	if (B.b_state == BUTTON_NONE)
		return json_pack("{s:s}", "state", "none");
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:I, s:o}", "state", names[B.b_state], "source",
	    B.b_src, "optional", cg->cg_optional, "events_from", cg->cg_events_from[0] != '\0',
	    "kernel_debounce", B.b_kdeb && B.b_state == BUTTON_UP, "presses",
	    (json_int_t)gpio_button_counters(B.b_reader)->gc_presses, "error",
	    B.b_why[0] != '\0' ? json_string(B.b_why) : json_null());
}
