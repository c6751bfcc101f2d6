/*
 * bigmem.c - zeroed arrays for the engine's tables (see bigmem.h).
 *
 * Every block starts with a 64-byte header that holds its mapped size (0 for
 * a calloc()ed block), so that the array after it is cache-line aligned.
 */
#include "config.h"

#include "bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HDR 64
#define BIG ((size_t)2 << 20)

void *bigmem_calloc(size_t n, size_t size)
{
	size_t bytes, used, head;
	char *p;

	if (size != 0 && n > (SIZE_MAX - HDR - 2 * BIG) / size)
		return NULL;
	bytes = n * size + HDR;
	if (bytes < BIG) {
		p = aligned_alloc(HDR, (bytes + HDR - 1) / HDR * HDR);
		if (p == NULL)
			return NULL;
		memset(p, 0, bytes);
		*(size_t *)p = 0;
		return p + HDR;
	}
	used = bytes;
	bytes = (bytes + BIG - 1) / BIG * BIG;
	/* Aligned to 2 MiB, so that every page of it can be a huge one: mapped
	 * 2 MiB larger, and the ends that are not in the aligned range are
	 * given back. */
	p = mmap(NULL, bytes + BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	head = (BIG - (uintptr_t)p % BIG) % BIG;
	if (head != 0)
		(void)munmap(p, head);
	(void)munmap(p + head + bytes, BIG - head);
	p += head;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only */
#endif
	/* every page of the array touched now (zero is written), so that its
	 * faults, 2 MiB of zeroing each on huge pages, are not taken by the
	 * first checks that reach it */
	for (size_t i = 0; i < used; i += 4096)
		((volatile char *)p)[i] = 0;
	((volatile char *)p)[used - 1] = 0;
	*(size_t *)p = bytes;
	return p + HDR;
}

void bigmem_free(void *q)
{
	char *p;
	size_t bytes;

	if (q == NULL)
		return;
	p = (char *)q - HDR;
	bytes = *(size_t *)p;
	if (bytes == 0)
		free(p);
	else
		munmap(p, bytes);
}
