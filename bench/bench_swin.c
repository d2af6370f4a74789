/* bench_swin.c: vct's Swin forward at one frame, inference mode, random weights.
 * Prints "RESULT swin <config> ms_per_frame <t> peak_rss_mib <m> arena_peak_mib <a>".
 * usage: bench_swin [--embed 128] [--depths 2,2,18,2] [--heads 4,8,16,32] [--size 384]
 *        [--runs 3]. bench/bench_swin.sh runs it next to the official PyTorch module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "backbone/swin.h"
#include "core/log.h"
#include "core/omp.h"

static void parse_list(const char *s, int *out, int n) {
    for (int i = 0; i < n && s; i++) {
        out[i] = atoi(s);
        s = strchr(s, ',');
        if (s) s++;
    }
}

int main(int argc, char **argv) {
    vct_error terr = {0};
    if (threads_init(&terr) != VCT_STATUS_OK) {
        fprintf(stderr, "%s\n", terr.msg);
        return 2;
    }
    swin_config cfg = swin_config_default();
    int64_t size = 384;
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--embed")) cfg.embed_dim = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--depths")) parse_list(argv[i + 1], cfg.depths, 4);
        else if (!strcmp(argv[i], "--heads")) parse_list(argv[i + 1], cfg.num_heads, 4);
        else if (!strcmp(argv[i], "--size")) size = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_swin: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    vct_error err = {0};
    if (swin_config_check(&cfg, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "bench_swin: %s\n", err.msg);
        return 2;
    }
    param_table pt;
    param_table_init(&pt);
    swin_weights w;
    memset(&w, 0, sizeof w);
    swin_register(&pt, "backbone.", &cfg, &w, 0);
    if (param_table_alloc(&pt, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "bench_swin: %s\n", err.msg);
        return 1;
    }
    uint64_t s = 12345;
    for (int64_t i = 0; i < pt.total; i++) { /* small random weights keep activations sane */
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        pt.data[i] = (float)((double)(s >> 40) / 16777216.0 - 0.5) * 0.04f;
    }
    float *img = malloc((size_t)(3 * size * size) * sizeof(float));
    for (int64_t i = 0; i < 3 * size * size; i++) img[i] = (float)((i * 7919) % 255) / 128.0f - 1.0f;
    arena mem, scratch;
    if (arena_init(&mem, (size_t)3 << 30, &err) != VCT_STATUS_OK || arena_init(&scratch, (size_t)1 << 30, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "bench_swin: %s\n", err.msg);
        return 1;
    }
    double best = 1e30;
    for (int r = 0; r < runs + 1; r++) { /* the first run warms up */
        arena_rewind(&mem, 0);
        ag_tape t;
        ag_tape_init(&t, &mem, &scratch, 0, 0, &err);
        int64_t shape[4] = {1, 3, size, size};
        ag_var *x = ag_leaf(&t, img, NULL, 4, shape, 0), *outs[4];
        double t0 = wall_seconds();
        ag_var *y = swin_forward(&t, &cfg, &w, x, NULL, "backbone", outs);
        double dt = wall_seconds() - t0;
        if (!y) {
            fprintf(stderr, "bench_swin: %s\n", t.err.msg);
            return 1;
        }
        if (r > 0 && dt < best) best = dt;
        ag_tape_free(&t);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("RESULT swin embed%d-depths%d,%d,%d,%d ms_per_frame %.1f peak_rss_mib %.0f arena_peak_mib %.0f threads %d params_m %.1f\n",
           cfg.embed_dim, cfg.depths[0], cfg.depths[1], cfg.depths[2], cfg.depths[3], best * 1e3,
           (double)ru.ru_maxrss / 1024.0, (double)(mem.peak + scratch.peak) / 1048576.0, threads_max(),
           (double)pt.total / 1e6);
    free(img);
    arena_free(&mem);
    arena_free(&scratch);
    param_table_free(&pt);
    return 0;
}
