/*
 * gpio.h - the kill button: one line of a Linux GPIO character device
 * (uAPI v2, <linux/gpio.h>) requested as an input with edge events, and
 * the reader of its event records with a software debounce.
 *
 * Two halves:
 *
 *   gpio_line_open()    opens the chip, checks the line offset against the
 *                       chip's line count, requests the line (input, the
 *                       edges, active-low, the kernel debounce) and returns
 *                       the line request fd, non-blocking.
 *   struct gpio_button  reads struct gpio_v2_line_event records from any
 *                       fd (the line request fd, or a FIFO or pipe that
 *                       carries the same records: tests and benchmarks) and
 *                       says how many presses they held.
 *
 * Edges are the kernel's, after its active-low inversion: with
 * GPIO_V2_LINE_FLAG_ACTIVE_LOW a physical high-to-low transition is reported
 * as GPIO_V2_LINE_EVENT_RISING_EDGE (inactive to active). A press is an
 * event of a configured edge; the reader never inverts again.
 *
 * Library code: nothing here logs. Errors are 0, -errno, or the GPIO_E*
 * codes below; gpio_strerror() names each. Single-threaded.
 */
#ifndef GW_GPIO_H
#define GW_GPIO_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/gpio.h>

#define GPIO_ERRLEN 320

#define GPIO_EDGE_RISING  0x1u /* inactive to active: pressed, by default */
#define GPIO_EDGE_FALLING 0x2u

/* project error codes (negative errno values are errors of the system) */
#define GPIO_EEOF       (-20001) /* the fd reached end of file */
#define GPIO_ETRUNCATED (-20002) /* end of file in the middle of a record */

#define GPIO_EVENT_SIZE ((int)sizeof(struct gpio_v2_line_event)) /* 48 bytes */

struct gpio_line_config {
	const char *gl_chip; /* "/dev/gpiochip0" */
	uint32_t gl_line;    /* offset on the chip */
	bool gl_active_low;
	unsigned gl_edges;       /* GPIO_EDGE_*, at least one */
	uint32_t gl_debounce_us; /* kernel debounce; 0 = none */
	const char *gl_consumer; /* label the kernel shows, e.g. "riskgwd-kill" */
};

/*
 * Fills *req to request one line as gl describes: input, the edges,
 * active-low if set, the debounce attribute if gl_debounce_us > 0 (and
 * with_debounce), an event buffer of 64 events. Pure: for tests.
 */
void gpio_line_request_init(struct gpio_v2_line_request *req, const struct gpio_line_config *gl,
    bool with_debounce);

/*
 * Opens gl->gl_chip and requests the line. On success *fd is the line
 * request fd (O_NONBLOCK, O_CLOEXEC; the chip fd is closed again) and
 * *kernel_debounce says whether the kernel took the debounce attribute (a
 * chip whose driver refuses it is requested again without; the reader's
 * software debounce applies in any case). Returns 0, or -errno with
 * "CHIP line N: cause" in err:
 *   -ENOENT   no such GPIO chip
 *   -EACCES   permission denied (also -EPERM)
 *   -ENOTTY   not a GPIO chip (the ioctl is unknown to that device)
 *   -ERANGE   line offset out of range (the chip has N lines, 0..N-1)
 *   -EBUSY    line busy, with its consumer's label when the kernel says it
 *   other     the open or ioctl's errno, named
 */
int gpio_line_open(const struct gpio_line_config *gl, int *fd, bool *kernel_debounce,
    char err[GPIO_ERRLEN]);

/* ---- the reader ------------------------------------------------------------------- */

struct gpio_button;

struct gpio_button_config {
	uint32_t gb_line;       /* records for another offset are ignored */
	unsigned gb_edges;      /* GPIO_EDGE_*: which event ids are presses */
	int64_t gb_debounce_ns; /* after an accepted press, edges within it are ignored */
};

struct gpio_counters {
	uint64_t gc_events;     /* whole records read */
	uint64_t gc_presses;    /* accepted presses */
	uint64_t gc_debounced;  /* press edges within the window of the last press */
	uint64_t gc_other_edge; /* the edge that is not a press */
	uint64_t gc_other_line; /* another line offset */
	uint64_t gc_bad_id;     /* an event id that is neither edge */
};

/* Returns 0 or -ENOMEM. */
int gpio_button_new(struct gpio_button **out, const struct gpio_button_config *);
void gpio_button_free(struct gpio_button *);

/*
 * Reads every record fd holds now (fd must be non-blocking), up to a bound
 * per call (4096 records; a level-triggered loop calls again), and adds the
 * presses among them to *presses (which the caller zeroes). A press is an
 * event of a configured edge for the configured line whose timestamp is
 * debounce or more after the last accepted press (or the first one, or one
 * whose timestamp is earlier than the last press: a clock that went back
 * never hides a press). Timestamps are the records' own (CLOCK_MONOTONIC
 * from the kernel), so a storm of edges is judged by when the edges
 * happened, not by when riskgwd read them.
 *
 * Records are 48 bytes. The kernel never returns part of one; a pipe may
 * (a large write is read in pieces), so a partial record is kept and
 * completed by the next read.
 *
 * Returns 0 when the fd would block (or the bound is reached), with the
 * presses of every whole record read; GPIO_EEOF at end of file;
 * GPIO_ETRUNCATED at end of file with a partial record pending (its length
 * in gpio_button_partial()); -errno if read() fails. Records read before
 * an error are counted in *presses all the same.
 */
int gpio_button_read(struct gpio_button *, int fd, unsigned *presses);

/* Forgets a partial record (a new fd: the next record starts afresh). The
 * debounce state and the counters stay. */
void gpio_button_new_stream(struct gpio_button *);
/* Bytes of a partial record waiting for the rest, 0..47. */
int gpio_button_partial(const struct gpio_button *);
const struct gpio_counters *gpio_button_counters(const struct gpio_button *);

/* Text for a GPIO_E* code or a negative errno. */
const char *gpio_strerror(int rc);

#endif
