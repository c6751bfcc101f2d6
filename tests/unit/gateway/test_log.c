/*
 * test_log.c - gateway/log.c: a log line that quotes what a peer sent stays
 * one line, with its control characters written as \xNN.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static char *buf;
static size_t len;
static FILE *out;

static int setup(void **state)
{
	(void)state;
	out = open_memstream(&buf, &len);
	if (out == NULL)
		return -1;
	log_init("test_log", true, LOG_DEBUG);
	log_setstream(out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_setstream(NULL);
	fclose(out);
	free(buf);
	return 0;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void test_peer_text_one_line(void **state)
{
	(void)state;
	/* a venue's reject text trying to forge a second line and clear the
	 * screen of whoever tails the log */
	log_warnx("venue reject: 58=%s", "no\n2026-11-29T00:00:00.000Z riskgwd: kill switch reset\x1b[2J");
	fflush(out);
	assert_int_equal(lines(buf), 1);
	assert_non_null(strstr(buf, "riskgwd: kill switch reset\\x1b[2J\n"));
	assert_non_null(strstr(buf, "58=no\\x0a2026-11-29T"));
	assert_null(strchr(buf, '\x1b'));
}

static void test_errno_suffix_and_plain(void **state)
{
	(void)state;
	errno = ENOENT;
	log_warn("open %s", "/etc/riskgw/\tx.conf");
	log_info("route %s: logged on", "r44");
	fflush(out);
	assert_int_equal(lines(buf), 2);
	assert_non_null(strstr(buf, "open /etc/riskgw/\\x09x.conf: No such file or directory\n"));
	assert_non_null(strstr(buf, "route r44: logged on\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peer_text_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_suffix_and_plain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
