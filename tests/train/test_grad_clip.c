/* test_grad_clip.c: gradient clipping against torch 1.13 (tests/ref/gen_optim.py).
 *  - torch_norm2_f32 == torch.norm(x) bit for bit for n = 1..40, 63..65, 100, 1000,
 *    4097, 33001 (magnitudes 1e-7..1e2): the 8-lane fused reduction of torch's AVX2
 *    kernel; a plain double-accumulated norm differs on some of them (shown);
 *  - clip_grad_norm_full == torch.nn.utils.clip_grad_norm_ over 6 tensors: the total
 *    norm, the factor and every clipped gradient bit for bit, clipped (max_norm 0.01)
 *    and not clipped (1e3: factor exactly 1, gradients unchanged);
 *  - the per-tensor detectron2 clippers: clip_grad_norm_(p, 0.5, 2.0) and
 *    clip_grad_value_(p, 0.05). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/grad_clip.h"
#include "testlib.h"

#define NC 6
static const int64_t clip_sizes[NC] = {5, 1, 300, 64, 17, 1031};
static tensor_dict R;

static int same_bits(const float *a, const float *b, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) return 0;
    return 1;
}

static void norms(void) {
    const tensor *sz = tl_ref_typed(&R, "norm.sizes", VCT_DTYPE_I64, -1);
    if (!sz) return;
    const int64_t *s = sz->data;
    int64_t n_sizes = tensor_numel(sz), bad = 0, dbl_differs = 0;
    for (int64_t j = 0; j < n_sizes; j++) {
        char kx[64], kn[64];
        snprintf(kx, sizeof kx, "norm.%lld.x", (long long)s[j]);
        snprintf(kn, sizeof kn, "norm.%lld.norm", (long long)s[j]);
        const float *x = tl_ref_f32_n(&R, kx, s[j]), *want = tl_ref_f32_n(&R, kn, 1);
        if (!x || !want) return;
        float got = torch_norm2_f32(x, s[j]);
        if (!same_bits(&got, want, 1)) {
            if (bad < 5) printf("  n=%lld: %.9g, torch %.9g\n", (long long)s[j], (double)got, (double)*want);
            bad++;
        }
        double acc = 0;
        for (int64_t i = 0; i < s[j]; i++) acc += (double)x[i] * x[i];
        dbl_differs += (float)sqrt(acc) != *want;
    }
    tl_expect(bad == 0, "torch_norm2_f32 == torch.norm bit for bit (48 sizes, 1 .. 33001)", "%lld of %lld sizes differ",
              (long long)bad, (long long)n_sizes);
    tl_expect(dbl_differs > 0, "a float64-accumulated norm differs from torch's on some size (the check has teeth)",
              "all %lld agree", (long long)n_sizes);
}

static void full_model(const char *c) {
    int64_t total_n = 0, off[NC];
    for (int i = 0; i < NC; i++) {
        off[i] = total_n;
        total_n += (clip_sizes[i] + 15) / 16 * 16; /* table-style padding: gaps must be ignored */
    }
    float *grad = tl_zeros(total_n);
    for (int64_t i = 0; i < total_n; i++) grad[i] = 1e6f; /* padding: poison, must not enter the norm */
    optim_group gr[NC];
    memset(gr, 0, sizeof gr);
    for (int i = 0; i < NC; i++) {
        char k[64];
        snprintf(k, sizeof k, "clip.%s.g.%d", c, i);
        const float *g = tl_ref_f32_n(&R, k, clip_sizes[i]);
        if (!g) return;
        memcpy(grad + off[i], g, (size_t)clip_sizes[i] * sizeof(float));
        gr[i].offset = off[i];
        gr[i].numel = clip_sizes[i];
    }
    optim_groups gs = {gr, NC, 0};
    char k[64], name[128];
    snprintf(k, sizeof k, "clip.%s.total", c);
    const float *want_total = tl_ref_f32_n(&R, k, 1);
    snprintf(k, sizeof k, "clip.%s.coef", c);
    const float *want_coef = tl_ref_f32_n(&R, k, 1);
    snprintf(k, sizeof k, "clip.%s.max_norm", c);
    const tensor *mn = tl_ref_typed(&R, k, VCT_DTYPE_F64, 1);
    if (!want_total || !want_coef || !mn) return;
    float total = 0, coef = 0;
    vct_error err = {0};
    tl_expect(clip_grad_norm_full(grad, &gs, *(const double *)mn->data, &total, &coef, &err) == VCT_STATUS_OK,
              "clip_grad_norm_full runs", "%s", err.msg);
    snprintf(name, sizeof name, "clip %s: total norm and factor bit-identical to clip_grad_norm_ (%.9g, %.9g)", c,
             (double)total, (double)coef);
    tl_expect(same_bits(&total, want_total, 1) && same_bits(&coef, want_coef, 1), name, "torch %.9g, %.9g",
              (double)*want_total, (double)*want_coef);
    int64_t bad = 0;
    for (int i = 0; i < NC; i++) {
        snprintf(k, sizeof k, "clip.%s.out.%d", c, i);
        const float *w = tl_ref_f32_n(&R, k, clip_sizes[i]);
        if (!w) return;
        bad += !same_bits(grad + off[i], w, clip_sizes[i]);
    }
    snprintf(name, sizeof name, "clip %s: every gradient bit-identical after clipping", c);
    tl_expect(bad == 0, name, "%lld of %d tensors differ", (long long)bad, NC);
    free(grad);
}

static void per_tensor(void) {
    int64_t bad_n = 0, bad_v = 0;
    for (int i = 0; i < NC; i++) {
        char k[64];
        int64_t n = clip_sizes[i];
        snprintf(k, sizeof k, "clipper.g.%d", i);
        const float *g = tl_ref_f32_n(&R, k, n);
        snprintf(k, sizeof k, "clipper.norm.%d", i);
        const float *wn = tl_ref_f32_n(&R, k, n);
        snprintf(k, sizeof k, "clipper.value.%d", i);
        const float *wv = tl_ref_f32_n(&R, k, n);
        if (!g || !wn || !wv) return;
        float *a = tl_dup(g, n), *b = tl_dup(g, n);
        clip_grad_norm_tensor(a, n, 0.5, 2.0);
        clip_grad_value_tensor(b, n, 0.05);
        bad_n += !same_bits(a, wn, n);
        bad_v += !same_bits(b, wv, n);
        free(a), free(b);
    }
    tl_expect(bad_n == 0, "detectron2 'norm' clipper == clip_grad_norm_(p, 0.5, 2.0) per tensor", "%lld tensors differ",
              (long long)bad_n);
    tl_expect(bad_v == 0, "detectron2 'value' clipper == clip_grad_value_(p, 0.05) per tensor", "%lld tensors differ",
              (long long)bad_v);
    float x[3] = {-3.0f, 4.0f, 0.0f};
    tl_expect(torch_norm_inf_f32(x, 3) == 4.0f, "inf-norm is max |x|", "%g", (double)torch_norm_inf_f32(x, 3));
}

int main(void) {
    if (tl_ref_open("optim", &R)) return tl_summary("test_grad_clip");
    norms();
    full_model("on");
    full_model("off");
    per_tensor();
    tensor_dict_free(&R);
    return tl_summary("test_grad_clip");
}
