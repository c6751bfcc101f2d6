/*
 * fuzz_tmp.h - a directory of a fuzz target's own for the files it works on
 * (fuzz_import: rules.mdb stores; fuzz_conf: riskgwd.conf): under $TMPDIR,
 * else /dev/shm (no disk writes for thousands of inputs a second), else
 * /tmp. The target removes its files and the directory at exit.
 */
#ifndef FUZZ_TMP_H
#define FUZZ_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
