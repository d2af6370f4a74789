/* cmd_data.c: `vct data check DIR --task s4|ms3|avss [--layout ...] [--split ...]`:
 * validate an AVSBench data set (or SynthAVS) as the official loaders would read
 * it (data/avsbench.h): counts per split on stdout, then every problem found,
 * each naming its file. Exit 0 when there is none, 1 otherwise. Writes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "data/avsbench.h"

static cli_opt opts[] = {
    {"task", 't', 1, NULL, "s4, ms3 or avss (required)", NULL, 0},
    {"layout", 'l', 1, "auto", "avsbench (the published layout), vct (VCT's reorganised one) or auto", NULL, 0},
    {"split", 's', 1, "all", "train, val, test or all", NULL, 0},
    {"quick", 'q', 0, NULL, "only check that every file exists (decode nothing)", NULL, 0},
    {"progress", 0, 0, NULL, "show a progress line on stderr", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"data", "check DIR --task s4|ms3|avss [options]",
                            "validate an AVSBench-layout data set: counts per split and every problem, by file",
                            2, 2, opts};

typedef struct problems {
    char **v;
    int64_t n, cap;
    int oom;
} problems;

static void keep_problem(void *user, const char *msg) {
    problems *P = user;
    if (P->n == P->cap) {
        int64_t nc = P->cap ? 2 * P->cap : 64;
        char **nv = realloc(P->v, (size_t)nc * sizeof *nv);
        if (!nv) {
            P->oom = 1;
            return;
        }
        P->v = nv;
        P->cap = nc;
    }
    size_t len = strlen(msg) + 1;
    if (!(P->v[P->n] = malloc(len))) {
        P->oom = 1;
        return;
    }
    memcpy(P->v[P->n++], msg, len);
}

int cmd_data(int argc, char **argv) {
    const char *pos[2];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    if (strcmp(pos[0], "check") != 0) {
        fprintf(stderr, "vct data: unknown action '%s' (the only one is: check)\n", pos[0]);
        return 2;
    }
    avs_task task;
    const char *ts = cli_get(&cmd, "task");
    if (!ts || avs_task_from_name(ts, &task) != 0) {
        fprintf(stderr, "vct data check: --task must be s4, ms3 or avss%s%s\n", ts ? ", not " : "", ts ? ts : "");
        return 2;
    }
    avs_layout layout;
    if (avs_layout_from_name(cli_get(&cmd, "layout"), &layout) != 0) {
        fprintf(stderr, "vct data check: --layout must be avsbench, vct or auto, not %s\n", cli_get(&cmd, "layout"));
        return 2;
    }
    avs_check_params p = avs_check_default_params();
    const char *sp = cli_get(&cmd, "split");
    if (strcmp(sp, "all") != 0) {
        avs_split s;
        if (avs_split_from_name(sp, &s) != 0) {
            fprintf(stderr, "vct data check: --split must be train, val, test or all, not %s\n", sp);
            return 2;
        }
        p.splits = 1 << s;
    }
    p.quick = cli_flag(&cmd, "quick");
    p.progress = cli_flag(&cmd, "progress");

    vct_error err = {0};
    avs_dataset ds;
    if (avs_dataset_open(&ds, pos[1], task, layout, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct data check: %s\n", err.msg);
        return 1;
    }
    printf("%s: task %s, layout %s, clips from %s\n", ds.root, avs_task_name(task), avs_layout_name(ds.layout),
           ds.index_path);
    avs_check_counts counts[AVS_SPLIT_COUNT];
    int64_t n_problems = 0;
    problems P = {0};
    if (avs_check(&ds, &p, counts, &n_problems, keep_problem, &P, &err) != VCT_STATUS_OK || P.oom) {
        fprintf(stderr, "vct data check: %s\n", P.oom ? "out of memory" : err.msg);
        for (int64_t i = 0; i < P.n; i++) free(P.v[i]);
        free(P.v);
        avs_dataset_free(&ds);
        return 1;
    }
    printf("\n%-6s %8s %8s %8s %12s %9s %6s %6s\n", "split", "clips", "frames", "masks", "empty-masks", "maskiges",
           "wav", "pkl");
    for (int s = 0; s < AVS_SPLIT_COUNT; s++) {
        if (!((p.splits >> s) & 1)) continue;
        const avs_check_counts *c = &counts[s];
        printf("%-6s %8lld %8lld %8lld %12lld %9lld %6lld %6lld\n", avs_split_name((avs_split)s), (long long)c->clips,
               (long long)c->frames, (long long)c->masks, (long long)c->empty_masks, (long long)c->maskiges,
               (long long)c->wavs, (long long)c->pkls);
    }
    if (p.quick) printf("(--quick: files were found, not decoded)\n");
    if (P.n) printf("\nproblems:\n");
    for (int64_t i = 0; i < P.n; i++) {
        printf("  %s\n", P.v[i]);
        free(P.v[i]);
    }
    free(P.v);
    printf("\n%s: %lld problem%s\n", n_problems ? "FAILED" : "OK", (long long)n_problems, n_problems == 1 ? "" : "s");
    avs_dataset_free(&ds);
    return n_problems ? 1 : 0;
}
