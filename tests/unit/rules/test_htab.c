/*
 * test_htab.c - the string index under the engine's tables (rules/htab.h):
 * finds, inserts at the probed slot, the per-slot hash bytes, a full table,
 * a clear.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_add),
		cmocka_unit_test(test_same_byte),
		cmocka_unit_test(test_full_and_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
