/* crc32.c: see crc32.h. Bitwise, table-free: the callers hash a few short strings. */
#include "core/crc32.h"

#include <string.h>

uint32_t crc32_update(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint32_t crc32_str(const char *s) { return crc32_update(0, s, strlen(s)); }
