/* str.c: see str.h. */
#include "core/str.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *str_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int natural_cmp(const char *a, const char *b) {
    const char *pa = a, *pb = b;
    for (;;) {
        /* the text parts up to the next digit: compared as strings */
        const char *ea = pa, *eb = pb;
        while (*ea && !is_digit(*ea)) ea++;
        while (*eb && !is_digit(*eb)) eb++;
        size_t la = (size_t)(ea - pa), lb = (size_t)(eb - pb), m = la < lb ? la : lb;
        int c = memcmp(pa, pb, m);
        if (c) return c < 0 ? -1 : 1;
        if (la != lb) return la < lb ? -1 : 1;
        pa = ea;
        pb = eb;
        if (!*pa || !*pb) {
            if (*pa || *pb) return *pa ? 1 : -1;
            return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;
        }
        /* the digit runs: compared as numbers of any length (leading zeros skipped) */
        ea = pa;
        eb = pb;
        while (*ea == '0' && is_digit(ea[1])) ea++;
        while (*eb == '0' && is_digit(eb[1])) eb++;
        const char *da = ea, *db = eb;
        while (is_digit(*ea)) ea++;
        while (is_digit(*eb)) eb++;
        la = (size_t)(ea - da);
        lb = (size_t)(eb - db);
        if (la != lb) return la < lb ? -1 : 1;
        c = memcmp(da, db, la);
        if (c) return c < 0 ? -1 : 1;
        pa = ea;
        pb = eb;
    }
}

int natural_cmp_ptr(const void *a, const void *b) {
    return natural_cmp(*(char *const *)a, *(char *const *)b);
}
