/*
 * gpio.c - the kill button's GPIO line and its event reader (see gpio.h).
 */
#include "config.h"

#include "gpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define EVENT_BUFFER   64 /* events the kernel keeps for us */
#define READ_RECORDS   64 /* records per read() */
#define READS_PER_CALL 64 /* read()s per gpio_button_read() */

/* ---- the line ------------------------------------------------------------------------ */

void gpio_line_request_init(struct gpio_v2_line_request *req, const struct gpio_line_config *gl,
    bool with_debounce)
{
	uint64_t flags = GPIO_V2_LINE_FLAG_INPUT;

	memset(req, 0, sizeof(*req));
	req->offsets[0] = gl->gl_line;
	req->num_lines = 1;
	req->event_buffer_size = EVENT_BUFFER;
	snprintf(req->consumer, sizeof(req->consumer), "%s",
	    gl->gl_consumer != NULL ? gl->gl_consumer : "riskgwd");
	if (gl->gl_edges & GPIO_EDGE_RISING)
		flags |= GPIO_V2_LINE_FLAG_EDGE_RISING;
	if (gl->gl_edges & GPIO_EDGE_FALLING)
		flags |= GPIO_V2_LINE_FLAG_EDGE_FALLING;
	if (gl->gl_active_low)
		flags |= GPIO_V2_LINE_FLAG_ACTIVE_LOW;
	req->config.flags = flags;
	if (with_debounce && gl->gl_debounce_us > 0) {
		struct gpio_v2_line_config_attribute *a = &req->config.attrs[0];

		a->attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
		a->attr.debounce_period_us = gl->gl_debounce_us;
		a->mask = 1; /* the first (only) requested line */
		req->config.num_attrs = 1;
	}
}

static int line_err(const struct gpio_line_config *gl, char *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int line_err(const struct gpio_line_config *gl, char *err, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, GPIO_ERRLEN, "%s line %u: ", gl->gl_chip, gl->gl_line);

	if (n < 0 || n >= GPIO_ERRLEN)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err + n, GPIO_ERRLEN - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Who holds a busy line, as the kernel says ("" if it does not). */
static void line_consumer(int cfd, uint32_t line, char *out, size_t len)
{
	struct gpio_v2_line_info li;

	memset(&li, 0, sizeof(li));
	li.offset = line;
	out[0] = '\0';
	if (ioctl(cfd, GPIO_V2_GET_LINEINFO_IOCTL, &li) == 0)
		snprintf(out, len, "%.*s", (int)sizeof(li.consumer), li.consumer);
}

/* Linux's internal ENOTSUPP, which a driver's debounce may leak */
#define KERNEL_ENOTSUPP 524

int gpio_line_open(const struct gpio_line_config *gl, int *fd, bool *kernel_debounce,
    char err[GPIO_ERRLEN])
{
	struct gpiochip_info ci;
	struct gpio_v2_line_request req;
	bool deb = gl->gl_debounce_us > 0;
	int cfd, rc, e;

	*fd = -1;
	*kernel_debounce = false;
	err[0] = '\0';
	cfd = open(gl->gl_chip, O_RDWR | O_CLOEXEC);
	if (cfd < 0) {
		e = errno;
		switch (e) {
		case ENOENT:
		case ENODEV:
		case ENXIO:
			return line_err(gl, err, -e, "no such GPIO chip (%s)", strerror(e));
		case EACCES:
		case EPERM:
			return line_err(gl, err, -e,
			    "permission denied: riskgwd (uid %u) needs read and write access to "
			    "the chip",
			    (unsigned)geteuid());
		case EISDIR:
			return line_err(gl, err, -ENOTTY, "not a GPIO chip (a directory)");
		default:
			return line_err(gl, err, -e, "cannot open the chip: %s", strerror(e));
		}
	}
	memset(&ci, 0, sizeof(ci));
	if (ioctl(cfd, GPIO_GET_CHIPINFO_IOCTL, &ci) < 0) {
		e = errno;
		close(cfd);
		if (e == ENOTTY || e == EINVAL)
			return line_err(gl, err, -ENOTTY, "not a GPIO chip (%s)", strerror(e));
		return line_err(gl, err, -e, "chip info: %s", strerror(e));
	}
	if (gl->gl_line >= ci.lines) {
		close(cfd);
		if (ci.lines == 0)
			return line_err(gl, err, -ERANGE,
			    "line offset out of range: chip %.*s has no lines",
			    (int)sizeof(ci.name), ci.name);
		return line_err(gl, err, -ERANGE,
		    "line offset out of range: chip %.*s has %u lines (0..%u)",
		    (int)sizeof(ci.name), ci.name, ci.lines, ci.lines - 1);
	}
	for (;;) {
		gpio_line_request_init(&req, gl, deb);
		if (ioctl(cfd, GPIO_V2_GET_LINE_IOCTL, &req) == 0)
			break;
		e = errno;
		if (deb && (e == EINVAL || e == EOPNOTSUPP || e == KERNEL_ENOTSUPP)) {
			deb = false; /* this chip takes no debounce: the reader's is enough */
			continue;
		}
		if (e == EBUSY) {
			char who[GPIO_MAX_NAME_SIZE + 1];

			line_consumer(cfd, gl->gl_line, who, sizeof(who));
			close(cfd);
			if (who[0] != '\0')
				return line_err(gl, err, -EBUSY, "line busy (used by \"%s\")", who);
			return line_err(gl, err, -EBUSY,
			    "line busy (requested by another process)");
		}
		close(cfd);
		if (e == ENOTTY)
			return line_err(gl, err, -ENOTTY,
			    "the kernel lacks the GPIO character device uAPI v2 (Linux 5.10 or "
			    "later)");
		if (e == EACCES || e == EPERM)
			return line_err(gl, err, -e, "permission denied requesting the line");
		return line_err(gl, err, -e, "line request: %s", strerror(e));
	}
	close(cfd);
	if (req.fd < 0)
		return line_err(gl, err, -EIO, "line request returned no fd");
	if ((rc = fcntl(req.fd, F_GETFL)) < 0 || fcntl(req.fd, F_SETFL, rc | O_NONBLOCK) < 0 ||
	    fcntl(req.fd, F_SETFD, FD_CLOEXEC) < 0) {
		e = errno;
		close(req.fd);
		return line_err(gl, err, -e, "line fd: %s", strerror(e));
	}
	*fd = req.fd;
	*kernel_debounce = deb;
	return 0;
}

/* ---- the reader ---------------------------------------------------------------------- */

struct gpio_button {
	struct gpio_button_config b_cfg;
	bool b_have_press;  /* b_last_ns is set */
	uint64_t b_last_ns; /* timestamp of the last accepted press */
	int b_partlen;      /* bytes of a partial record at b_buf's start */
	struct gpio_counters b_cnt;
	struct gpio_v2_line_event b_buf[READ_RECORDS];
};

int gpio_button_new(struct gpio_button **out, const struct gpio_button_config *cfg)
{
	struct gpio_button *b = calloc(1, sizeof(*b));

	*out = b;
	if (b == NULL)
		return -ENOMEM;
	b->b_cfg = *cfg;
	if (b->b_cfg.gb_debounce_ns < 0)
		b->b_cfg.gb_debounce_ns = 0;
	return 0;
}

void gpio_button_free(struct gpio_button *b)
{
	free(b);
}

void gpio_button_new_stream(struct gpio_button *b)
{
	b->b_partlen = 0;
}

int gpio_button_partial(const struct gpio_button *b)
{
	return b->b_partlen;
}

const struct gpio_counters *gpio_button_counters(const struct gpio_button *b)
{
	return &b->b_cnt;
}

/* One record: true if it is an accepted press. */
static bool on_event(struct gpio_button *b, const struct gpio_v2_line_event *e)
{
	unsigned edge;

	b->b_cnt.gc_events++;
	if (e->offset != b->b_cfg.gb_line) {
		b->b_cnt.gc_other_line++;
		return false;
	}
	if (e->id == GPIO_V2_LINE_EVENT_RISING_EDGE)
		edge = GPIO_EDGE_RISING;
	else if (e->id == GPIO_V2_LINE_EVENT_FALLING_EDGE)
		edge = GPIO_EDGE_FALLING;
	else {
		b->b_cnt.gc_bad_id++;
		return false;
	}
	if (!(edge & b->b_cfg.gb_edges)) {
		b->b_cnt.gc_other_edge++;
		return false;
	}
	if (b->b_have_press && e->timestamp_ns >= b->b_last_ns &&
	    e->timestamp_ns - b->b_last_ns < (uint64_t)b->b_cfg.gb_debounce_ns) {
		b->b_cnt.gc_debounced++;
		return false;
	}
	b->b_have_press = true;
	b->b_last_ns = e->timestamp_ns;
	b->b_cnt.gc_presses++;
	return true;
}

int gpio_button_read(struct gpio_button *b, int fd, unsigned *presses)
{
	char *buf = (char *)b->b_buf;
	int i;

	for (i = 0; i < READS_PER_CALL; i++) {
		size_t total, nrec, k;
		ssize_t r;

		/* a partial record waits at the start of the buffer */
		r = read(fd, buf + b->b_partlen, sizeof(b->b_buf) - (size_t)b->b_partlen);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (r == 0)
			return b->b_partlen > 0 ? GPIO_ETRUNCATED : GPIO_EEOF;
		total = (size_t)b->b_partlen + (size_t)r;
		nrec = total / sizeof(b->b_buf[0]);
		for (k = 0; k < nrec; k++)
			if (on_event(b, &b->b_buf[k]))
				(*presses)++;
		b->b_partlen = (int)(total % sizeof(b->b_buf[0]));
		if (b->b_partlen > 0)
			memmove(buf, buf + nrec * sizeof(b->b_buf[0]), (size_t)b->b_partlen);
	}
	return 0;
}

const char *gpio_strerror(int rc)
{
	switch (rc) {
	case 0:
		return "no error";
	case GPIO_EEOF:
		return "end of file";
	case GPIO_ETRUNCATED:
		return "end of file in the middle of an event record";
	default:
		return rc < 0 ? strerror(-rc) : "unknown error";
	}
}
