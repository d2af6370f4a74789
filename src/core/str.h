/* str.h: small string helpers. */
#ifndef VCT_CORE_STR_H
#define VCT_CORE_STR_H

#include "core/error.h"

/* printf into a malloc'ed string of the exact length; NULL when out of memory. */
char *str_printf(const char *fmt, ...) VCT_PRINTF(1, 2);

/* Natural order: Python's sorted(key=[int(t) if t.isdigit() else t for t in
 * re.split(r"(\d+)", s)]) for ASCII digits, so "f_2" < "f_10" and "f.png" > "f1.png"
 * ("f." is longer than "f"); names equal under that key ("1" and "01") are ordered by
 * their bytes, so the order is total and deterministic. <0, 0 or >0 as strcmp. */
int natural_cmp(const char *a, const char *b);
/* natural_cmp for qsort over an array of char * */
int natural_cmp_ptr(const void *a, const void *b);

#endif
