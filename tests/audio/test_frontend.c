/* test_frontend.c: file -> the task's [T,96,64] examples.
 *  - a 3.2 s 8 kHz clip (3 official examples): S4/MS3 rows and AVSS rows follow the
 *    official padding (AVSBench preprocess_s4.py repeats the last example; VCT
 *    preprocess_avss_audio.py zero-fills), as the row maps recorded by gen_audio.py
 *    from the official code say; values within 1e-4 of the official examples;
 *  - more examples than rows: the first T are kept (same values as vggish_examples
 *    on the same waveform: a structural check);
 *  - under one example (0.2 s) and a missing file: errors naming the file;
 *  - task names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/frontend.h"
#include "audio/mel.h"
#include "audio_ref.h"
#include "core/log.h"

#define ROW (VGGISH_EXAMPLE_FRAMES * VGGISH_BANDS)

static void check_rows(const char *name, const float *out, int T, const int64_t *map, int64_t nmap,
                       const float *ex, int64_t N) {
    if (nmap != T) {
        tl_fail(name, "row map has %lld entries, expected %d", (long long)nmap, T);
        return;
    }
    static float zeros[ROW];
    int ok = 1;
    for (int r = 0; r < T; r++) {
        const float *want = map[r] >= 0 && map[r] < N ? ex + map[r] * ROW : map[r] == -1 ? zeros : NULL;
        char nm[300];
        snprintf(nm, sizeof nm, "%s row %d (official: %s %lld)", name, r,
                 map[r] >= 0 ? "example" : "zeros", (long long)map[r]);
        if (!want) {
            tl_fail(nm, "unexpected row map value %lld", (long long)map[r]);
            ok = 0;
            continue;
        }
        ok &= tl_check_close(nm, out + (int64_t)r * ROW, want, ROW, 1e-4, 0.0);
    }
    (void)ok;
}

static void test_padding(void) {
    tensor_dict d;
    if (tl_ref_open("audio_frontend", &d)) return;
    int64_t nex = 0, ns4 = 0, nss = 0;
    const float *ex = tl_ref_f32(&d, "pad.examples", &nex);
    const tensor *s4 = tl_ref_tensor(&d, "pad.s4_rows");
    const tensor *ss = tl_ref_tensor(&d, "pad.avss_rows");
    if (!ex || !s4 || !ss || s4->dtype != VCT_DTYPE_I64 || ss->dtype != VCT_DTYPE_I64) {
        tl_fail("padding reference", "missing");
        tensor_dict_free(&d);
        return;
    }
    ns4 = tensor_numel(s4);
    nss = tensor_numel(ss);
    int64_t N = nex / ROW;
    const char *path = AR_MEDIA "/audio_8k_chirp_s16_mono.wav";
    float out[10 * ROW];
    const audio_task tasks[3] = {AUDIO_TASK_S4, AUDIO_TASK_MS3, AUDIO_TASK_AVSS};
    for (int t = 0; t < 3; t++) {
        vct_error err = {0};
        int64_t nreal = -1;
        char name[128];
        snprintf(name, sizeof name, "%s examples", audio_task_name(tasks[t]));
        if (audio_file_examples(out, &nreal, path, tasks[t], NULL, &err) != VCT_STATUS_OK) {
            tl_fail(name, "%s", err.msg);
            continue;
        }
        tl_expect(nreal == N, name, "%lld real examples, official %lld", (long long)nreal,
                  (long long)N);
        if (tasks[t] == AUDIO_TASK_AVSS)
            check_rows(name, out, 10, ss->data, nss, ex, N);
        else
            check_rows(name, out, 5, s4->data, ns4, ex, N);
    }
    tensor_dict_free(&d);
}

static void test_long_and_short(void) {
    /* 10.5 s of noise at 16 kHz: 10 examples; S4 keeps the first 5, AVSS all 10 */
    const int64_t S = 168000;
    double *x = malloc((size_t)S * sizeof *x);
    float *u = malloc((size_t)S * sizeof *u);
    float *ex = malloc((size_t)10 * ROW * sizeof *ex);
    float out[10 * ROW];
    vct_error err = {0};
    if (!x || !u || !ex) {
        tl_fail("long clip", "out of memory");
        goto done;
    }
    tl_fill_uniform(u, S, 7, -0.3f, 0.3f);
    for (int64_t i = 0; i < S; i++) x[i] = (double)(int)(u[i] * 32768.0f) / 32768.0;
    int64_t N = 0, nreal = 0;
    if (vggish_examples(ex, &N, x, S, &err) != VCT_STATUS_OK || N != 10) {
        tl_fail("long clip", "vggish_examples: %lld examples: %s", (long long)N, err.msg);
        goto done;
    }
    if (audio_examples_for_task(out, &nreal, x, S, 16000, AUDIO_TASK_S4, "long", &err) == VCT_STATUS_OK) {
        tl_expect(nreal == 5, "s4 on 10 examples keeps 5", "n_real %lld", (long long)nreal);
        tl_check_close("s4 on 10 examples: first 5 rows", out, ex, 5 * ROW, 0.0, 0.0);
    } else {
        tl_fail("s4 on 10 examples", "%s", err.msg);
    }
    if (audio_examples_for_task(out, &nreal, x, S, 16000, AUDIO_TASK_AVSS, "long", &err) ==
        VCT_STATUS_OK) {
        tl_expect(nreal == 10, "avss on 10 examples", "n_real %lld", (long long)nreal);
        tl_check_close("avss on 10 examples: all rows", out, ex, 10 * ROW, 0.0, 0.0);
    } else {
        tl_fail("avss on 10 examples", "%s", err.msg);
    }
    /* under one example: the 0.2 s file */
    const char *shortf = AR_MEDIA "/audio_16k_square_s16_mono.wav";
    vct_status st = audio_file_examples(out, &nreal, shortf, AUDIO_TASK_AVSS, NULL, &err);
    tl_expect(st == VCT_STATUS_FORMAT && strstr(err.msg, shortf) && strstr(err.msg, "0.975"),
              "0.2 s clip refused with a message", "status %s: %s", vct_status_name(st), err.msg);
    printf("  %s\n", err.msg);
    /* one sample short of an example at 16 kHz, and exactly one */
    st = audio_examples_for_task(out, &nreal, x, VGGISH_EXAMPLE_MIN_SAMPLES - 1, 16000,
                                 AUDIO_TASK_S4, "short", &err);
    tl_expect(st == VCT_STATUS_FORMAT, "15599 samples refused", "status %s", vct_status_name(st));
    st = audio_examples_for_task(out, &nreal, x, VGGISH_EXAMPLE_MIN_SAMPLES, 16000, AUDIO_TASK_S4,
                                 "one", &err);
    tl_expect(st == VCT_STATUS_OK && nreal == 1, "15600 samples: one example repeated",
              "status %s n_real %lld", vct_status_name(st), (long long)nreal);
    if (st == VCT_STATUS_OK)
        tl_check_close("15600 samples: row 4 repeats row 0", out + 4 * ROW, out, ROW, 0.0, 0.0);
    st = audio_file_examples(out, &nreal, AR_MEDIA "/missing.wav", AUDIO_TASK_S4, NULL, &err);
    tl_expect(st == VCT_STATUS_IO && strstr(err.msg, "missing.wav"), "missing file", "%s", err.msg);
done:
    free(x);
    free(u);
    free(ex);
}

static void test_names(void) {
    audio_task t = AUDIO_TASK_S4;
    tl_expect(!audio_task_from_name("avss", &t) && t == AUDIO_TASK_AVSS && audio_task_rows(t) == 10 &&
                  !audio_task_from_name("ms3", &t) && t == AUDIO_TASK_MS3 && audio_task_rows(t) == 5 &&
                  !audio_task_from_name("s4", &t) && t == AUDIO_TASK_S4 &&
                  audio_task_from_name("s5", &t) == -1,
              "task names and rows", "mismatch");
}

int main(void) {
    log_set_level(VCT_LOG_ERROR);
    test_padding();
    test_long_and_short();
    test_names();
    return tl_summary("audio/frontend");
}
