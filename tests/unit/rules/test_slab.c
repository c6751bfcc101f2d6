/*
 * test_slab.c - the rate windows' allocator (rules/slab.h): zeroed, aligned,
 * non-overlapping blocks in 2 MiB-aligned chunks, reuse by size class, big
 * blocks on their own, none prefaulted, reset.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "slab.h"

#define MIB ((uintptr_t)1 << 20)

static void assert_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i], 0);
}

/* Blocks of many sizes: each zeroed, apart from the others (each filled
 * with its own byte, all checked at the end); the small ones 64-byte
 * aligned and sharing a 2 MiB-aligned chunk, one huge page. */
static void test_blocks(void **state)
{
	static const size_t sizes[] = {1, 8, 64, 65, 100, 1000, 8000, 8192, 65536, 500000};
	enum { N = 200 };
	struct slab s;
	unsigned char *p[N];
	size_t n[N];

	(void)state;
	slab_init(&s);
	for (int i = 0; i < N; i++) {
		n[i] = sizes[i % 10];
		p[i] = slab_alloc(&s, n[i]);
		assert_non_null(p[i]);
		if (n[i] <= SLAB_SMALL_MAX)
			assert_int_equal((uintptr_t)p[i] % 64, 0);
		assert_zero(p[i], n[i]);
		memset(p[i], i + 1, n[i]);
	}
	for (int i = 0; i < N; i++)
		for (size_t j = 0; j < n[i]; j++)
			assert_int_equal(p[i][j], (unsigned char)(i + 1));
	for (int i = 0; i < N; i++)
		if (n[i] > SLAB_SMALL_MAX)
			slab_free(&s, p[i], n[i]); /* the large ones are the caller's to free */
	/* the first blocks came from the first chunk: one aligned 2 MiB page */
	assert_int_equal((uintptr_t)p[0] / (2 * MIB), (uintptr_t)p[5] / (2 * MIB));
	assert_int_equal(((uintptr_t)p[0] - 64) % (2 * MIB), 0);
	assert_int_equal(slab_alloc(&s, 0), NULL);
	slab_destroy(&s);
}

/* A freed block is the next one of its size class, zeroed again; other
 * classes do not take it. */
static void test_reuse(void **state)
{
	struct slab s;
	unsigned char *a, *b, *c, *d;

	(void)state;
	slab_init(&s);
	a = slab_alloc(&s, 8000); /* class 8 KiB */
	b = slab_alloc(&s, 8000);
	memset(a, 0xab, 8000);
	slab_free(&s, a, 8000);
	c = slab_alloc(&s, 4096); /* another class: fresh */
	assert_ptr_not_equal(c, a);
	d = slab_alloc(&s, 7000); /* the same class (8 KiB): a again */
	assert_ptr_equal(d, a);
	assert_zero(d, 8192);
	assert_ptr_not_equal(b, d);
	slab_free(&s, NULL, 64); /* nothing */
	slab_destroy(&s);
}

/* A block over SLAB_SMALL_MAX comes from calloc(): no chunk is mapped for
 * it; freed in any order (the first, a middle and the last of the slab's
 * list), the others stay whole (AddressSanitizer checks the pairing). */
static void test_big(void **state)
{
	struct slab s;
	unsigned char *a, *b[4];
	size_t maps, n = SLAB_SMALL_MAX + 1;

	(void)state;
	slab_init(&s);
	a = slab_alloc(&s, 64);
	maps = s.s_nmaps;
	for (int i = 0; i < 4; i++) {
		b[i] = slab_alloc(&s, n);
		assert_non_null(b[i]);
		assert_int_equal((uintptr_t)b[i] % 64, 0); /* a ring's line is one cache line */
		assert_zero(b[i], n);
		memset(b[i], i + 1, n);
	}
	assert_int_equal(s.s_nmaps, maps);
	slab_free(&s, b[3], n); /* the list's first */
	slab_free(&s, b[1], n); /* a middle one */
	slab_free(&s, b[0], n); /* the last */
	for (size_t j = 0; j < n; j++)
		assert_int_equal(b[2][j], 3);
	slab_free(&s, b[2], n);
	assert_null(s.s_big);
	assert_non_null(a);
	slab_destroy(&s);
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &pages, &rss), 2);
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A large block takes memory only where it is written: a rate window far
 * larger than its parent's pace costs the pages its times reach. */
static void test_lazy(void **state)
{
	struct slab s;
	unsigned char *big;
	long before, after;

	(void)state;
	slab_init(&s);
	before = rss_kib();
	big = slab_alloc(&s, 64 * MIB);
	assert_non_null(big);
	big[0] = 1;
	big[64 * MIB - 1] = 1; /* writable to its end */
	after = rss_kib();
	assert_true(after - before < 8 * 1024); /* not 64 MiB */
	slab_free(&s, big, 64 * MIB);
	slab_destroy(&s);
}

/* After a reset nothing is mapped or allocated (large blocks included; a
 * leak would fail the sanitizer build), and blocks come again. */
static void test_reset(void **state)
{
	struct slab s;
	unsigned char *a;

	(void)state;
	slab_init(&s);
	for (int i = 0; i < 600; i++) /* 600 x 8 KiB: three chunks */
		assert_non_null(slab_alloc(&s, 8192));
	assert_int_equal(s.s_nmaps, 3);
	for (int i = 0; i < 3; i++) /* large ones, not freed: the reset frees them */
		assert_non_null(slab_alloc(&s, 2 * SLAB_SMALL_MAX));
	slab_reset(&s);
	assert_int_equal(s.s_nmaps, 0);
	assert_null(s.s_big);
	for (int c = 0; c < SLAB_CLASSES; c++)
		assert_null(s.s_free[c]);
	a = slab_alloc(&s, 100);
	assert_non_null(a);
	assert_zero(a, 100);
	slab_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_lazy),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
