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

/* Makes the dev PKI of certs/mkcerts.sh (routers router1..N) in a fresh
 * temporary directory and returns its path (malloc'ed), or NULL with a
 * message on stderr. Finds the script through $top_srcdir. */
char *tu_mkpki(const char *tag, int routers);

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
