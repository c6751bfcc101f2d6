/*
 * testutil.h - helpers shared by the cmocka unit test drivers.
 */
#ifndef RG_TESTUTIL_H
#define RG_TESTUTIL_H

#include <stddef.h>

/* Creates a fresh private temporary directory (under $TMPDIR or /tmp) and
 * returns its path (static storage per call site is the caller's: the string
 * is malloc'ed). Aborts the test program on failure. */
char *tu_mkdtemp(const char *tag);

/* Removes a directory tree made by tu_mkdtemp(). */
void tu_rmtree(const char *path);

/* Joins dir and name into a malloc'ed path. */
char *tu_path(const char *dir, const char *name);

/* Reads a whole file into a malloc'ed buffer (NUL-terminated); *len gets its
 * size. Returns NULL if it cannot be read. */
char *tu_read_file(const char *path, size_t *len);

/* Writes len bytes to path (created or truncated). Returns 0 or -errno. */
int tu_write_file(const char *path, const void *buf, size_t len);

#endif
