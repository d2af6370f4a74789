/* test_core.c: errors (wrapping, truncation), arenas (alignment, mark/rewind,
 * exhaustion), tensor dicts, dtype conversions, the progress line. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/tensor.h"
#include "testlib.h"

int main(void) {
    vct_error err = {0};
    vct_status st = vct_fail(&err, VCT_STATUS_FORMAT, "tensor '%s': shape %s, expected %s", "w", "[2,3]", "[3,2]");
    vct_error_wrap(&err, "model_best.pth");
    tl_expect(st == VCT_STATUS_FORMAT && err.status == VCT_STATUS_FORMAT &&
                  strcmp(err.msg, "model_best.pth: tensor 'w': shape [2,3], expected [3,2]") == 0,
              "error wrap reads outermost first", "'%s'", err.msg);
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    vct_fail(&err, VCT_STATUS_IO, "%s", big);
    vct_error_wrap(&err, "ctx");
    tl_expect(strncmp(err.msg, "ctx: xxx", 8) == 0 && strlen(err.msg) == VCT_ERROR_MSG_MAX - 1,
              "error wrap truncates safely", "len %zu", strlen(err.msg));
    tl_expect(vct_fail(NULL, VCT_STATUS_IO, "x") == VCT_STATUS_IO, "NULL error record accepted", "bad status");

    arena a;
    tl_expect(arena_init(&a, 1000, &err) == VCT_STATUS_OK, "arena init", "%s", err.msg);
    void *p1 = arena_alloc(&a, 10);
    size_t m = arena_mark(&a);
    void *p2 = arena_alloc(&a, 100);
    tl_expect(p1 && p2 && ((uintptr_t)p1 % 64) == 0 && ((uintptr_t)p2 % 64) == 0, "arena: 64-byte aligned", "%p %p", p1, p2);
    arena_rewind(&a, m);
    void *p3 = arena_alloc(&a, 100);
    tl_expect(p3 == p2, "arena: rewind reuses memory", "%p vs %p", p3, p2);
    tl_expect(arena_alloc(&a, 5000) == NULL, "arena: exhaustion returns NULL", "got memory");
    tl_expect(a.peak >= 164 && a.peak <= a.cap, "arena: peak tracked", "peak %zu", a.peak);
    arena_free(&a);

    tensor_dict d;
    tensor_dict_init(&d);
    int64_t shape[2] = {2, 3};
    float vals[6] = {1, 2, 3, 4, 5, 6};
    tensor_dict_add(&d, "a.b", VCT_DTYPE_F32, 2, shape, vals, NULL, &err);
    const tensor *t = NULL;
    int64_t wrong[2] = {3, 2};
    st = tensor_dict_get_checked(&d, "a.b", VCT_DTYPE_F32, 2, wrong, &t, &err);
    tl_expect(st == VCT_STATUS_SHAPE && strstr(err.msg, "shape [2,3], expected [3,2]"), "got/expected not swapped",
              "'%s'", err.msg);
    st = tensor_dict_get_checked(&d, "nope", VCT_DTYPE_F32, 2, shape, &t, &err);
    tl_expect(st == VCT_STATUS_FORMAT && strstr(err.msg, "'nope' is missing"), "missing tensor named", "'%s'", err.msg);
    int64_t neg[1] = {-1};
    tl_expect(tensor_dict_add(&d, "neg", VCT_DTYPE_F32, 1, neg, NULL, NULL, &err) != VCT_STATUS_OK,
              "negative size refused", "accepted");
    tensor_dict_free(&d);

    /* f16/bf16: exact on representable values, round to nearest even */
    tl_expect(f16_to_f32(0x3c00) == 1.0f && f16_to_f32(0xc000) == -2.0f && f16_to_f32(0x0001) == ldexpf(1, -24) &&
                  isinf(f16_to_f32(0x7c00)) && isnan(f16_to_f32(0x7e00)),
              "f16 decode", "wrong");
    tl_expect(f32_to_f16(1.0f) == 0x3c00 && f32_to_f16(65504.0f) == 0x7bff && f32_to_f16(1e6f) == 0x7c00 &&
                  f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3c00 && f32_to_f16(1.0f + 3 * ldexpf(1, -11)) == 0x3c02,
              "f16 encode, ties to even", "wrong");
    int ok = 1;
    for (uint32_t h = 0; h < 0x7c00; h++) ok &= f32_to_f16(f16_to_f32((uint16_t)h)) == h;
    tl_expect(ok, "f16 round trip over every finite half", "mismatch");
    tl_expect(bf16_to_f32(0x3f80) == 1.0f, "bf16 decode", "wrong");

    progress p;
    progress_begin(&p, "test", 20);
    for (int i = 0; i < 20; i++) progress_step(&p, 1);
    progress_end(&p);
    tl_expect(p.done == 20, "progress counts", "%lld", (long long)p.done);
    return tl_summary("test_core");
}
