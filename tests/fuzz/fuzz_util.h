/*
 * fuzz_util.h - what the newer fuzz targets share: CHECK(), which names the
 * failed invariant and aborts (libFuzzer then keeps the input), and
 * fuzz_tmpdir(), a directory of a target's own for the files it works on
 * (fuzz_import: rules.mdb stores; fuzz_conf: riskgwd.conf; fuzz_engine) under
 * $TMPDIR, else /dev/shm (no disk writes for thousands of inputs a second),
 * else /tmp. The target removes its files and the directory at exit.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Makes "<tmp>/riskgw-fuzz-<tag>-XXXXXX" into dir[n]; aborts if it cannot. */
static inline void fuzz_tmpdir(char *dir, size_t n, const char *tag)
{
	const char *t = getenv("TMPDIR");

	if (t == NULL || t[0] == '\0')
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if ((size_t)snprintf(dir, n, "%s/riskgw-fuzz-%s-XXXXXX", t, tag) >= n ||
	    mkdtemp(dir) == NULL) {
		perror("fuzz_tmpdir");
		abort();
	}
}

#endif
