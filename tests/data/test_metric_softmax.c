/* test_metric_softmax.c: the softmax VCT's evaluators apply to sem_seg before
 * scoring, bit for bit against torch.softmax (tests/ref/gen_metric_softmax.py):
 * the S4/MS3 foreground probability and the AVSS argmax after the softmax. */
#include <stdlib.h>
#include <string.h>

#include "data/metrics.h"
#include "testlib.h"

int main(void) {
    tensor_dict ref;
    if (tl_ref_open("metric_softmax", &ref) != 0) return tl_summary("metric_softmax");
    const tensor *b = tl_ref_tensor(&ref, "binary_scores"), *a = tl_ref_tensor(&ref, "avss_scores");
    const float *fg = tl_ref_f32(&ref, "binary_fg", NULL);
    const tensor *am = tl_ref_tensor(&ref, "avss_argmax"), *differs = tl_ref_tensor(&ref, "avss_raw_argmax_differs");
    if (b && a && fg && am && differs) {
        int64_t N = b->shape[0], P = b->shape[2] * b->shape[3], bad = 0, first = -1;
        const float *s = b->data;
        for (int64_t n = 0; n < N; n++)
            for (int64_t i = 0; i < P; i++) {
                float p = metric_softmax_fg(s[(n * 2) * P + i], s[(n * 2 + 1) * P + i]);
                if (memcmp(&p, &fg[n * P + i], 4) != 0 && bad++ == 0) first = n * P + i;
            }
        if (bad)
            tl_fail("softmax fg", "%lld of %lld differ from torch.softmax(dim=1)[:,1]; first at %lld: vct %a torch %a",
                    (long long)bad, (long long)(N * P), (long long)first,
                    (double)metric_softmax_fg(s[(first / P * 2) * P + first % P], s[(first / P * 2 + 1) * P + first % P]),
                    (double)fg[first]);
        else
            tl_pass("S4/MS3 foreground probability bit-exact vs torch.softmax (ties, 1-ulp pairs, gaps of 60)");

        int64_t C = a->shape[1], Na = a->shape[0], Pa = a->shape[2] * a->shape[3], wrong = 0, raw_wrong = 0;
        const float *sa = a->data;
        const int64_t *want = am->data;
        for (int64_t n = 0; n < Na; n++)
            for (int64_t i = 0; i < Pa; i++) {
                const float *px = sa + n * C * Pa + i;
                wrong += metric_softmax_argmax(px, C, Pa) != want[n * Pa + i];
                int raw = 0;
                for (int64_t c = 1; c < C; c++)
                    if (px[c * Pa] > px[raw * Pa]) raw = (int)c;
                raw_wrong += raw != want[n * Pa + i];
            }
        tl_expect(wrong == 0, "AVSS argmax after softmax", "%lld of %lld pixels differ from torch", (long long)wrong,
                  (long long)(Na * Pa));
        /* the reference holds pixels where the softmax merges two scores: the raw argmax would miss them */
        int64_t torch_differs = ((const int64_t *)differs->data)[0];
        tl_expect(raw_wrong == torch_differs && raw_wrong > 0, "the data needs the softmax",
                  "argmax of the raw scores differs on %lld pixels, torch says %lld (want > 0)", (long long)raw_wrong,
                  (long long)torch_differs);
    }
    tensor_dict_free(&ref);
    return tl_summary("metric_softmax");
}
