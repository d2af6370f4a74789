/* test_str.c: natural_cmp against Python's sorted() with the key
 * [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)], ties by bytes. The
 * expected order below was printed by /usr/bin/python3 for these names:
 *   sorted(names, key=lambda s: (key(s), s.encode()))
 * It includes the cases where a digit-by-digit byte comparison differs: a text part that
 * is a prefix of another ("f" vs "f."), leading zeros ("007" vs "7"), a separator below
 * '0' ("x 1" vs "x1"). */
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "testlib.h"

int main(void) {
    static const char *expected[] = {"007", "7", "09", "9", "10", "A", "a", "a0", "a_b2c9", "a_b2c10", "a_b10c1",
                                     "f01.png", "f1.png", "f-1.png", "f.png", "f_1.png", "f_2.png", "f_10.png",
                                     "img_99.jpg", "img_000123.jpg", "x1", "x 1"};
    enum { N = sizeof expected / sizeof *expected };
    /* a fixed shuffle of the expected order */
    const char *names[N];
    for (int i = 0; i < N; i++) names[i] = expected[(i * 7 + 3) % N];
    qsort(names, N, sizeof *names, natural_cmp_ptr);
    int same = 1;
    for (int i = 0; i < N; i++) same &= strcmp(names[i], expected[i]) == 0;
    tl_expect(same, "natural order equals Python's sorted() with the digit-run key", "first differing: %s",
              names[0]);
    int anti = 1, refl = 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int c = natural_cmp(expected[i], expected[j]);
            anti &= (c > 0) - (c < 0) == (i > j) - (i < j);
            refl &= (c == 0) == (i == j);
        }
    tl_expect(anti && refl, "natural_cmp is a total order on distinct names (0 only for equal strings)", "not");
    tl_expect(natural_cmp("f_2", "f_10") < 0 && natural_cmp("99999999999999999999999", "100000000000000000000000") < 0,
              "digit runs compare as numbers of any length", "wrong");
    return tl_summary("test_str");
}
