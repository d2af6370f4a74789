/* crc32.h: CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the value of
 * Python's zlib.crc32(data). The conformance harness seeds torch generators
 * with zlib.crc32 of a string (the weight perturbation, the optimizer case's
 * seeded gradients), so vct needs the same number. */
#ifndef VCT_CORE_CRC32_H
#define VCT_CORE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC of n bytes continuing from crc (start with 0, as zlib.crc32(data) does). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);
/* zlib.crc32(s.encode()) for a NUL-terminated string. */
uint32_t crc32_str(const char *s);

#endif
