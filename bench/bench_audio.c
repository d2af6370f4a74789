/* bench_audio.c: the audio path for a 10 s clip, ours: file -> log-mel examples
 * [10,96,64] (decode, resample to 16 kHz, log-mel; src/audio/frontend.h), then VGGish
 * [10,512,6,4] (and VGGish + the audio MLP through src/model/audio_model.h when a
 * checkpoint is given). bench/bench_audio.sh runs it next to the official Python front
 * end and torchvggish (bench/bench_audio_torch.py) and prints the comparison; run alone
 * (`make bench`) it prints its own lines.
 *
 *   bench_audio [--clips DIR] [--model CKPT|none] [--dump]
 *
 * Clips (written into DIR, default a temporary directory that is removed): 10 s of a
 * chirp plus noise, as a 16 kHz mono and a 44.1 kHz stereo int16 WAV. Weights: CKPT (a
 * VCT checkpoint: audio_backbone.features.* and the audio MLP), default the shared
 * case's model_best.pth if it exists, else random VGGish weights of the right shapes.
 * --dump writes DIR/<clip>.logmel.f32 and DIR/<clip>.vggish.f32 (raw float32) so the
 * Python side can compare outputs.
 * Time: the first call (cold: the resampler builds its table then) and the best of
 * >= 5 runs and >= 1 s after it.
 * Output: "INFO ..." lines and one line per measurement:
 *   RESULT <clip> <stage> ours <best s> <first s> <runs>
 * stages: frontend (file -> examples), vggish, vggish+mlp (with a checkpoint), total
 * (file -> VGGish features). Threads: $VCT_THREADS, else OMP_NUM_THREADS, else all cores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audio/frontend.h"
#include "audio/mel.h"
#include "audio/vggish.h"
#include "core/arena.h"
#include "core/omp.h"
#include "io/tensor_file.h"
#include "model/audio_model.h"

#define DEFAULT_CKPT "../shared/conformance/cases/ss-reduced-1f/model_best.pth"
#define SECONDS 10

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void put_le(unsigned char *p, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* 10 s of a 100 Hz -> rate/2.2 chirp plus noise, int16, `C` channels */
static int write_clip(const char *path, int rate, int C) {
    const int64_t n = (int64_t)SECONDS * rate;
    const uint32_t bytes = (uint32_t)(n * C * 2);
    unsigned char h[44];
    memcpy(h, "RIFF", 4);
    put_le(h + 4, 36 + bytes, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le(h + 16, 16, 4);
    put_le(h + 20, 1, 2);
    put_le(h + 22, (uint32_t)C, 2);
    put_le(h + 24, (uint32_t)rate, 4);
    put_le(h + 28, (uint32_t)(rate * C * 2), 4);
    put_le(h + 32, (uint32_t)(C * 2), 2);
    put_le(h + 34, 16, 2);
    memcpy(h + 36, "data", 4);
    put_le(h + 40, bytes, 4);
    unsigned char *d = malloc(bytes);
    if (!d) return -1;
    uint32_t s = 12345;
    const double f0 = 100.0, f1 = rate / 2.2, T = SECONDS;
    for (int64_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double ph = 6.283185307179586 * (f0 * t + 0.5 * (f1 - f0) / T * t * t);
        for (int c = 0; c < C; c++) {
            s = s * 1664525u + 1013904223u;
            double v = 0.5 * sin(ph + c) + 0.1 * ((double)(s >> 16) / 32768.0 - 1.0);
            put_le(d + (i * C + c) * 2, (uint32_t)(int16_t)lrint(v * 32767.0), 2);
        }
    }
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(h, 1, 44, f) == 44 && fwrite(d, 1, bytes, f) == bytes;
    if (f && fclose(f) != 0) ok = 0;
    free(d);
    return ok ? 0 : -1;
}

typedef struct bench_model {
    int have_ckpt;
    audio_model am;     /* with a checkpoint */
    param_table pt;     /* random weights otherwise */
    vggish_weights rnd;
} bench_model;

static const vggish_weights *model_vgg(const bench_model *m) { return m->have_ckpt ? &m->am.vgg : &m->rnd; }

static int load_model(bench_model *m, const char *ckpt) {
    memset(m, 0, sizeof *m);
    vct_error err = {0};
    if (ckpt && strcmp(ckpt, "none") != 0 && access(ckpt, R_OK) == 0) {
        tensor_dict sd;
        if (tensor_file_read(ckpt, 0, &sd, NULL, &err) != VCT_STATUS_OK) {
            fprintf(stderr, "bench_audio: %s\n", err.msg);
            return -1;
        }
        vct_status st = audio_model_load(&m->am, &sd, ckpt, &err);
        tensor_dict_free(&sd);
        if (st != VCT_STATUS_OK) {
            fprintf(stderr, "bench_audio: %s\n", err.msg);
            return -1;
        }
        m->have_ckpt = 1;
        printf("INFO weights %s (VGGish + audio MLP, %d -> %lld)\n", ckpt, 512,
               (long long)m->am.mlp_cfg.out_dim);
        return 0;
    }
    param_table_init(&m->pt);
    vggish_register(&m->pt, "audio_backbone.", &m->rnd);
    if (param_table_alloc(&m->pt, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return -1;
    }
    uint32_t s = 7;
    for (int64_t i = 0; i < m->pt.total; i++) {
        s = s * 1664525u + 1013904223u;
        m->pt.data[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 0.1f;
    }
    printf("INFO weights random (VGGish shapes; no checkpoint at %s)\n", ckpt ? ckpt : "-");
    return 0;
}

static void model_free(bench_model *m) {
    if (m->have_ckpt) audio_model_free(&m->am);
    else param_table_free(&m->pt);
}

/* one stage, timed: first call, then best of >= 5 runs and >= 1 s */
typedef int (*stage_fn)(void *ctx);

static int timeit(stage_fn fn, void *ctx, double *first, double *best, int *runs) {
    double t0 = now();
    if (fn(ctx)) return -1;
    *first = now() - t0;
    *best = 1e30;
    *runs = 0;
    double total = 0;
    while (*runs < 5 || (total < 1.0 && *runs < 50)) {
        t0 = now();
        if (fn(ctx)) return -1;
        double t = now() - t0;
        total += t;
        (*runs)++;
        if (t < *best) *best = t;
    }
    return 0;
}

typedef struct ctx {
    const char *path;
    const bench_model *m;
    float *ex;      /* last examples */
    int64_t N;
    float *feat;    /* [N,512,6,4] */
    arena scratch;
} ctx;

static int run_frontend(void *p) {
    ctx *c = p;
    vct_error err = {0};
    free(c->ex);
    c->ex = NULL;
    if (audio_file_examples_all(&c->ex, &c->N, c->path, NULL, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int run_vggish(void *p) {
    ctx *c = p;
    vct_error err = {0};
    if (vggish_forward(model_vgg(c->m), c->ex, c->N, c->feat, &c->scratch, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int run_total(void *p) { return run_frontend(p) || run_vggish(p); }

static int run_audio_model(void *p) {
    ctx *c = p;
    vct_error err = {0};
    audio_model_outputs o;
    if (audio_model_run(&c->m->am, c->ex, c->N, NULL, &o, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return -1;
    }
    audio_model_outputs_free(&o);
    return 0;
}

static int dump(const char *dir, const char *clip, const char *what, const float *x, int64_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.%s.f32", dir, clip, what);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(x, sizeof *x, (size_t)n, f) == (size_t)n;
    if (f && fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    vct_error terr = {0};
    if (threads_init(&terr) != VCT_STATUS_OK) {
        fprintf(stderr, "%s\n", terr.msg);
        return 2;
    }
    const char *clips = NULL, *ckpt = DEFAULT_CKPT;
    int want_dump = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--clips") && i + 1 < argc) clips = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) ckpt = argv[++i];
        else if (!strcmp(argv[i], "--dump")) want_dump = 1;
        else {
            fprintf(stderr, "usage: bench_audio [--clips DIR] [--model CKPT|none] [--dump]\n");
            return 2;
        }
    }
    char tmpdir[] = "/tmp/vct_bench_audio_XXXXXX";
    const char *dir = clips;
    if (!dir) {
        if (!mkdtemp(tmpdir)) {
            perror("bench_audio: mkdtemp");
            return 1;
        }
        dir = tmpdir;
    }
    printf("INFO threads %d (ours: OpenMP; VCT_THREADS=%s)\n", threads_max(),
           getenv("VCT_THREADS") ? getenv("VCT_THREADS") : "(unset)");
    bench_model m;
    if (load_model(&m, ckpt)) return 1;
    static const struct {
        const char *name;
        int rate, C;
    } CLIPS[2] = {{"clip_16k_mono", 16000, 1}, {"clip_44k_stereo", 44100, 2}};
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.wav", dir, CLIPS[k].name);
        if (write_clip(path, CLIPS[k].rate, CLIPS[k].C)) {
            fprintf(stderr, "bench_audio: cannot write %s\n", path);
            rc = 1;
            break;
        }
        printf("INFO clip %s: %d s, %d Hz, %d channel%s, int16 WAV (%s)\n", CLIPS[k].name, SECONDS,
               CLIPS[k].rate, CLIPS[k].C, CLIPS[k].C > 1 ? "s" : "", path);
        ctx c = {path, &m, NULL, 0, NULL, {0}};
        vct_error err = {0};
        c.feat = malloc((size_t)SECONDS * 512 * 24 * sizeof(float));
        if (!c.feat || arena_init(&c.scratch, vggish_arena_bytes(SECONDS), &err) != VCT_STATUS_OK) {
            fprintf(stderr, "bench_audio: out of memory\n");
            rc = 1;
        }
        double first, best;
        int runs;
        if (!rc && !timeit(run_frontend, &c, &first, &best, &runs))
            printf("RESULT %s frontend ours %.6f %.6f %d   # %lld examples\n", CLIPS[k].name, best, first, runs,
                   (long long)c.N);
        else rc = 1;
        if (!rc && !timeit(run_vggish, &c, &first, &best, &runs))
            printf("RESULT %s vggish ours %.6f %.6f %d\n", CLIPS[k].name, best, first, runs);
        else rc = 1;
        if (!rc && m.have_ckpt) {
            if (!timeit(run_audio_model, &c, &first, &best, &runs))
                printf("RESULT %s vggish+mlp ours %.6f %.6f %d\n", CLIPS[k].name, best, first, runs);
            else rc = 1;
        }
        if (!rc && !timeit(run_total, &c, &first, &best, &runs))
            printf("RESULT %s total ours %.6f %.6f %d\n", CLIPS[k].name, best, first, runs);
        else rc = 1;
        if (!rc && want_dump &&
            (dump(dir, CLIPS[k].name, "logmel", c.ex, c.N * VGGISH_EXAMPLE_FRAMES * VGGISH_BANDS) ||
             dump(dir, CLIPS[k].name, "vggish", c.feat, c.N * 512 * 24))) {
            fprintf(stderr, "bench_audio: cannot write the dumps in %s\n", dir);
            rc = 1;
        }
        fflush(stdout);
        free(c.ex);
        free(c.feat);
        arena_free(&c.scratch);
        if (!clips) unlink(path);
    }
    model_free(&m);
    if (!clips) rmdir(tmpdir);
    return rc;
}
