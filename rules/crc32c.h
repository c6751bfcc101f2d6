/*
 * crc32c.h - CRC-32C (Castagnoli), as used by the record headers of
 * rules.mdb (store.c). Internal to librules; tests use it to forge records.
 */
#ifndef RULES_CRC32C_H
#define RULES_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over len bytes of buf; start with crc = 0. The CRC-32C of
 * "123456789" is 0xe3069283. */
uint32_t rules_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
