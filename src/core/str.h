/* str.h: small string helpers. */
#ifndef VCT_CORE_STR_H
#define VCT_CORE_STR_H

#include "core/error.h"

/* printf into a malloc'ed string of the exact length; NULL when out of memory. */
char *str_printf(const char *fmt, ...) VCT_PRINTF(1, 2);

#endif
