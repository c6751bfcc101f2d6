/*
 * gw_gpio.h - riskgwd's kill button: the [gpio] section wired to the event
 * loop and to gw_trip() (gateway/gpio.h reads the line; docs/riskgwd.md).
 *
 * One button per riskgwd, so the state is the module's own (like the
 * control server's), not a member of struct gw.
 */
#ifndef GW_GW_GPIO_H
#define GW_GW_GPIO_H

#include <jansson.h>

struct gw;

/* Opens the configured button and watches it. No [gpio] section: nothing.
 * A button that cannot be opened ends riskgwd with fatalx() naming chip,
 * line and cause, unless the section says optional = yes: then a warning,
 * riskgwd runs without it and tries again every 5 s. Call once, after the
 * journal is open (a press trips the switch) and before loop_run(). */
void gw_gpio_start(struct gw *);
void gw_gpio_stop(struct gw *);

/* The button for STATUS (docs/control.md): a new object, or NULL without
 * memory. {"state": "none"} without a [gpio] section; else state "up",
 * "absent" (optional and not opened at start) or "lost" (gone while
 * running), with source, optional, events_from, kernel_debounce, presses
 * and error (null while up). */
json_t *gw_gpio_status(void);

#endif
