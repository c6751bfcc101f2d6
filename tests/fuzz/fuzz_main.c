/*
 * fuzz_main.c - runs a libFuzzer entry point over a seed corpus without
 * libFuzzer, so that `make check` (with the sanitizers when configured) turns
 * the committed seeds into regression tests.
 *
 * Usage: fuzz_main [DIR|FILE]...; with no argument, the corpus named by
 * FUZZ_CORPUS (relative to $top_srcdir) is used. Files run in name order.
 * Exit: 0, 99 (automake hard error) when the corpus cannot be read or is
 * empty. A failed invariant aborts in the entry point itself.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS "tests/fuzz/corpus/fix"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz_main: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz_main: %s: short read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

/* Runs every regular file of dir; returns how many, or -1. */
static int run_dir(const char *dir)
{
	struct dirent **ents;
	int n, ran = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz_main: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (ents[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) <
		        (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) != 0)
				ran = -1;
			else if (ran >= 0)
				ran++;
		}
		free(ents[i]);
	}
	free(ents);
	return ran;
}

static int run(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz_main: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path);
	return run_file(path) == 0 ? 1 : -1;
}

int main(int argc, char **argv)
{
	char def[4096];
	int total = 0, n;

	if (argc < 2) {
		const char *top = getenv("top_srcdir");

		snprintf(def, sizeof(def), "%s/%s", top != NULL ? top : ".", FUZZ_CORPUS);
		n = run(def);
		if (n <= 0) {
			fprintf(stderr, "fuzz_main: no seeds run from %s\n", def);
			return 99;
		}
		total = n;
	}
	for (int i = 1; i < argc; i++) {
		if ((n = run(argv[i])) < 0)
			return 99;
		total += n;
	}
	printf("fuzz_main: %d inputs, all invariants held\n", total);
	return 0;
}
