/*
 * fuzz_store.h - a rules.mdb of a fuzz target's own, for the targets that
 * run the engine's randomized tests with the fuzzer's input as their draws
 * (fuzz_engine, fuzz_overflow): in the target's scratch directory
 * (fuzz_tmpdir()), made afresh at the first input and every 1,024th (each
 * input writes its world, and the audit log would fill the map), removed
 * at exit. Needs librules' store.h.
 */
#ifndef FUZZ_STORE_H
#define FUZZ_STORE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "store.h"

struct fuzz_store {
	char dir[256], path[300], lock[310];
	struct rules_store *st;
	unsigned inputs;
};

/* Closes the store and removes its files. */
static inline void fuzz_store_drop(struct fuzz_store *f)
{
	if (f->st != NULL)
		rules_store_close(f->st);
	f->st = NULL;
	(void)unlink(f->path);
	(void)unlink(f->lock);
}

/* fuzz_store_drop(), and the directory: for the target's atexit function. */
static inline void fuzz_store_remove(struct fuzz_store *f)
{
	fuzz_store_drop(f);
	if (f->dir[0] != '\0')
		(void)rmdir(f->dir);
}

/* Whether this input gets a fresh store: the first, and every 1,024th. The
 * caller then frees what uses the old one and calls fuzz_store_renew(). */
static inline bool fuzz_store_due(struct fuzz_store *f)
{
	return f->st == NULL || ++f->inputs % 1024 == 0;
}

/* A fresh, empty store; aborts if it cannot. cleanup: the target's atexit
 * function, registered with the first store. */
static inline void fuzz_store_renew(struct fuzz_store *f, const char *tag, void (*cleanup)(void))
{
	char err[RULES_ERRLEN];

	if (f->dir[0] == '\0') {
		fuzz_tmpdir(f->dir, sizeof(f->dir), tag);
		snprintf(f->path, sizeof(f->path), "%s/rules.mdb", f->dir);
		snprintf(f->lock, sizeof(f->lock), "%s-lock", f->path);
		atexit(cleanup);
	}
	fuzz_store_drop(f);
	if (rules_store_open(&f->st, f->path, RULES_STORE_CREATE, 0, err) != 0) {
		fprintf(stderr, "fuzz_%s: %s\n", tag, err);
		abort();
	}
}

#endif
