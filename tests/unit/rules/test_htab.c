/*
 * test_htab.c - the string index under the engine's tables (rules/htab.h):
 * finds, inserts at the probed slot, the per-slot hash bytes, a full table,
 * a clear; the same in home mode (the entries at their slots).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "htab.h"

struct ent {
	char key[17]; /* key_size 17: 8n + 1 */
	uint32_t n;
};

struct fx {
	struct htab t;
	struct ent *e;
	size_t cap;
};

static struct fx *fx_new(size_t cap)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->e = calloc(cap, sizeof(*f->e));
	assert_non_null(f->e);
	f->cap = cap;
	assert_int_equal(htab_init(&f->t, cap, f->e, sizeof(*f->e), sizeof(f->e->key)), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	htab_free(&f->t);
	free(f->e);
	free(f);
}

static void key_of(struct htab_key *k, const char *s)
{
	htab_key_set(k, s, strlen(s));
}

/* Inserts s at the slot htab_find_slot() gave; its index. */
static uint32_t put(struct fx *f, const char *s)
{
	struct htab_key k;
	uint32_t slot, idx;

	key_of(&k, s);
	assert_int_equal(htab_find_slot(&f->t, &k, &slot), HTAB_NONE);
	assert_int_not_equal(slot, UINT32_MAX);
	idx = htab_add_at(&f->t, slot, k.k_h);
	if (idx != HTAB_NONE) {
		strcpy(f->e[idx].key, s);
		f->e[idx].n = idx;
	}
	return idx;
}

static uint32_t find(const struct fx *f, const char *s)
{
	struct htab_key k;

	key_of(&k, s);
	return htab_find(&f->t, &k);
}

/* Every slot's byte says empty exactly where the slot is, and is the byte
 * of its entry's hash where it is not. */
static void check_bytes(const struct fx *f)
{
	for (uint32_t i = 0; i <= f->t.ht_mask; i++) {
		uint64_t s = f->t.ht_slots[i];

		if (s == 0) {
			assert_int_equal(f->t.ht_fp[i], 0);
			continue;
		}
		size_t len;
		uint64_t h = htab_hash(f->e[(uint32_t)s - 1].key, &len);

		assert_int_equal(f->t.ht_fp[i], htab_fp(h));
		assert_int_equal(s >> 32, h >> 32);
	}
}

static void test_find_add(void **state)
{
	struct fx *f = fx_new(1000);
	char s[32];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "K%05d", i);
		assert_int_equal(put(f, s), (uint32_t)i);
	}
	check_bytes(f);
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "K%05d", i);
		assert_int_equal(find(f, s), (uint32_t)i);
		snprintf(s, sizeof(s), "A%05d", i); /* absent */
		assert_int_equal(find(f, s), HTAB_NONE);
	}
	/* a key longer than any stored one is absent without a probe */
	assert_int_equal(find(f, "0123456789abcdefX"), HTAB_NONE);
	fx_free(f);
}

/* Keys whose hashes share the byte kept per slot (found by search), in a
 * small table: each probe goes past matching bytes whose slots belong to
 * other keys, and still finds its own, or none. */
static void test_same_byte(void **state)
{
	struct fx *f = fx_new(64);
	char keys[48][17], s[32];
	int n = 0, absent = 0;
	uint8_t want = 0;

	(void)state;
	for (int i = 0; n < 48 && i < 1000000; i++) {
		size_t len;

		snprintf(s, sizeof(s), "S%07d", i);
		uint8_t b = htab_fp(htab_hash(s, &len));

		if (n == 0)
			want = b;
		if (b == want)
			strcpy(keys[n++], s);
	}
	assert_int_equal(n, 48);
	for (int i = 0; i < 40; i++)
		assert_int_equal(put(f, keys[i]), (uint32_t)i);
	check_bytes(f);
	for (int i = 0; i < 40; i++)
		assert_int_equal(find(f, keys[i]), (uint32_t)i);
	for (int i = 40; i < 48; i++, absent++)
		assert_int_equal(find(f, keys[i]), HTAB_NONE);
	assert_int_equal(absent, 8);
	fx_free(f);
}

static void test_full_and_clear(void **state)
{
	struct fx *f = fx_new(10);
	struct htab_key k;
	char s[32];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(s, sizeof(s), "F%d", i);
		assert_int_equal(put(f, s), (uint32_t)i);
	}
	key_of(&k, "F10");
	assert_int_equal(htab_add(&f->t, k.k_h), HTAB_NONE); /* full */
	htab_clear(&f->t);
	check_bytes(f);
	for (uint32_t i = 0; i <= f->t.ht_mask; i++)
		assert_int_equal(f->t.ht_fp[i], 0);
	memset(f->e, 0, f->cap * sizeof(*f->e));
	assert_int_equal(find(f, "F3"), HTAB_NONE);
	assert_int_equal(put(f, "F3"), 0);
	assert_int_equal(find(f, "F3"), 0);
	assert_int_equal(htab_fp(0), 1); /* never the empty byte */
	fx_free(f);
}

/* ---- home mode: the entries at their slots ---------------------------------------- */

struct hent {
	uint64_t pad;  /* the key need not be first: base points at it */
	char key[17];
};

struct hfx {
	struct htab t;
	struct hent *e;
	size_t slots;
};

static struct hfx *hfx_new(size_t cap)
{
	struct hfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->slots = htab_slots_for(cap);
	f->e = calloc(f->slots, sizeof(*f->e));
	assert_non_null(f->e);
	assert_int_equal(htab_init_home(&f->t, cap, &f->e[0].key, sizeof(*f->e),
				 sizeof(f->e->key)),
	    0);
	assert_null(f->t.ht_slots);
	assert_int_equal(f->t.ht_mask + 1, f->slots);
	return f;
}

static void hfx_free(struct hfx *f)
{
	htab_free(&f->t);
	free(f->e);
	free(f);
}

/* Adds s (absent) where htab_add_home() says; its slot. */
static uint32_t hput(struct hfx *f, const char *s)
{
	struct htab_key k;
	uint32_t i;

	key_of(&k, s);
	assert_int_equal(htab_find_home(&f->t, &k), HTAB_NONE);
	i = htab_add_home(&f->t, k.k_h);
	if (i != HTAB_NONE) {
		assert_true(i < f->slots);
		assert_int_equal(f->e[i].key[0], '\0'); /* an empty slot */
		strcpy(f->e[i].key, s);
	}
	return i;
}

static uint32_t hfind(const struct hfx *f, const char *s)
{
	struct htab_key k;

	key_of(&k, s);
	return htab_find_home(&f->t, &k);
}

/* Every key at its slot: where its probe from its home slot ends, with the
 * slot's byte its hash's, and empty bytes exactly at the empty entries. */
static void test_home_find_add(void **state)
{
	struct hfx *f = hfx_new(1000);
	uint32_t at[1000], home_hits = 0;
	char s[32];

	(void)state;
	assert_int_equal(f->slots, 2048);
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "H%05d", i);
		at[i] = hput(f, s);
		assert_int_not_equal(at[i], HTAB_NONE);
	}
	assert_int_equal(f->t.ht_count, 1000);
	for (int i = 0; i < 1000; i++) {
		struct htab_key k;

		snprintf(s, sizeof(s), "H%05d", i);
		key_of(&k, s);
		assert_int_equal(hfind(f, s), at[i]);
		assert_string_equal(f->e[at[i]].key, s);
		assert_int_equal(f->t.ht_fp[at[i]], htab_fp(k.k_h));
		home_hits += at[i] == htab_home(&f->t, k.k_h);
		snprintf(s, sizeof(s), "B%05d", i); /* absent */
		assert_int_equal(hfind(f, s), HTAB_NONE);
	}
	/* at half load most keys sit at their home slot (the prefetch's
	 * guess); the others a few slots on */
	assert_true(home_hits > 600);
	for (uint32_t i = 0; i < f->slots; i++)
		assert_int_equal(f->t.ht_fp[i] == 0, f->e[i].key[0] == '\0');
	hfx_free(f);
}

/* Keys with the same home slot and byte: a chain of matching bytes whose
 * keys differ, walked to the right one; full, then cleared. */
static void test_home_collide_full_clear(void **state)
{
	struct hfx *f = hfx_new(8); /* 16 slots */
	char keys[8][17], s[32];
	int n = 0;
	uint64_t want = 0;

	(void)state;
	for (int i = 0; n < 8 && i < 10000000; i++) {
		size_t len;
		uint64_t h;

		snprintf(s, sizeof(s), "C%07d", i);
		h = htab_hash(s, &len);
		if (n == 0)
			want = h;
		if (htab_home(&f->t, h) == htab_home(&f->t, want) && htab_fp(h) == htab_fp(want))
			strcpy(keys[n++], s);
	}
	assert_int_equal(n, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(hput(f, keys[i]), (htab_home(&f->t, want) + (uint32_t)i) & f->t.ht_mask);
	for (int i = 0; i < 8; i++)
		assert_int_equal(hfind(f, keys[i]), (htab_home(&f->t, want) + (uint32_t)i) & f->t.ht_mask);
	assert_int_equal(hfind(f, "C-absent"), HTAB_NONE);
	assert_int_equal(htab_add_home(&f->t, want), HTAB_NONE); /* full: cap 8 */
	htab_clear(&f->t);
	assert_int_equal(f->t.ht_count, 0);
	memset(f->e, 0, f->slots * sizeof(*f->e));
	assert_int_equal(hfind(f, keys[3]), HTAB_NONE);
	assert_int_equal(hput(f, keys[3]), htab_home(&f->t, want));
	assert_int_equal(hfind(f, keys[3]), htab_home(&f->t, want));
	hfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_add),
		cmocka_unit_test(test_same_byte),
		cmocka_unit_test(test_full_and_clear),
		cmocka_unit_test(test_home_find_add),
		cmocka_unit_test(test_home_collide_full_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
