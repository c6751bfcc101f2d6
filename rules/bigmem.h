/*
 * bigmem.h - zeroed arrays for the engine's day-sized tables.
 *
 * A table of 2 MiB or more is mapped on its own and advised to use
 * transparent huge pages (MADV_HUGEPAGE): the checks probe these tables at
 * random, and with 4 KiB pages nearly every probe of a 32 MiB index would
 * also miss the TLB (a two-dimensional page walk under a hypervisor). Smaller
 * tables come from calloc(). Every page is touched at allocation (calloc's
 * memset, or a store per page of a mapping): the tables fill in order of
 * arrival or are probed at random, and each new page, 2 MiB of zeroing on
 * huge pages, would otherwise be faulted in by a check (riskgwd at window
 * 64: ~4-5% of its samples, and stalls of milliseconds). The memory is taken
 * at start, as the day's capacity.
 */
#ifndef RULES_BIGMEM_H
#define RULES_BIGMEM_H

#include <stddef.h>

/* n zeroed elements of size bytes, aligned to 64 bytes; NULL on overflow or
 * no memory. Free with bigmem_free(). */
void *bigmem_calloc(size_t n, size_t size);
void bigmem_free(void *p);

#endif
