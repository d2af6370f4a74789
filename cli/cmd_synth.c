/* cmd_synth.c: `vct synth --task s4|ms3|avss --layout avsbench|vct --out DIR
 * --clips N --seed S`: write SynthAVS (data/synth.h), a procedural
 * audio-visual data set in the AVSBench layouts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "data/synth.h"

static cli_opt opts[] = {
    {"task", 't', 1, "s4", "s4, ms3 or avss", NULL, 0},
    {"layout", 'l', 1, "avsbench", "avsbench (the published files) or vct (the reorganised 384 layout VCT trains from)", NULL, 0},
    {"out", 'o', 1, NULL, "output folder = the data set root (Single-source/, Multi-sources/ or AVSBench_semantic/ for VCT's scripts) (required)", NULL, 0},
    {"clips", 'n', 1, "200", "number of clips (>= 3): 70 % train, 15 % val, 15 % test", NULL, 0},
    {"seed", 's', 1, "0", "random seed: the same seed gives the same files", NULL, 0},
    {"force", 0, 0, NULL, "write into a folder that is not empty", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"synth", "--out DIR [options]",
                            "write SynthAVS, a procedural audio-visual data set in an AVSBench layout", 0, 0, opts};

static int parse_u64(const char *s, unsigned long long *out) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return -1;
    *out = strtoull(s, &end, 10);
    return (errno || *end) ? -1 : 0;
}

int cmd_synth(int argc, char **argv) {
    const char *pos[1];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    synth_params p = synth_default_params();
    const char *out = cli_get(&cmd, "out");
    unsigned long long clips, seed;
    if (!out) {
        fprintf(stderr, "vct synth: --out DIR is required\n");
        return 2;
    }
    if (avs_task_from_name(cli_get(&cmd, "task"), &p.task) != 0) {
        fprintf(stderr, "vct synth: unknown --task '%s' (s4, ms3 or avss)\n", cli_get(&cmd, "task"));
        return 2;
    }
    if (avs_layout_from_name(cli_get(&cmd, "layout"), &p.layout) != 0 || p.layout == AVS_LAYOUT_AUTO) {
        fprintf(stderr, "vct synth: unknown --layout '%s' (avsbench or vct)\n", cli_get(&cmd, "layout"));
        return 2;
    }
    if (parse_u64(cli_get(&cmd, "clips"), &clips) != 0 || clips < 3 || clips > 10000000) {
        fprintf(stderr, "vct synth: --clips must be a whole number from 3 (one clip per split) up: '%s'\n",
                cli_get(&cmd, "clips"));
        return 2;
    }
    if (parse_u64(cli_get(&cmd, "seed"), &seed) != 0) {
        fprintf(stderr, "vct synth: --seed must be a non-negative whole number: '%s'\n", cli_get(&cmd, "seed"));
        return 2;
    }
    p.clips = (int64_t)clips;
    p.seed = seed;
    p.force = cli_flag(&cmd, "force");
    vct_error err = {0};
    synth_stats s;
    vct_status st = synth_write_dataset(out, &p, &s, &err);
    if (st != VCT_STATUS_OK) {
        fprintf(stderr, "vct synth: %s\n", err.msg);
        if (st == VCT_STATUS_INVALID_ARGUMENT && !p.force && strstr(err.msg, "not empty"))
            fprintf(stderr, "vct synth: --force writes into it anyway\n");
        return st == VCT_STATUS_INVALID_ARGUMENT ? 2 : 1;
    }
    printf("synth: %s %s layout: %lld clips (train %lld, val %lld, test %lld), %lld frames, %lld files in %.1f s "
           "(%.2f clips/s) -> %s\n",
           avs_task_name(p.task), avs_layout_name(p.layout), (long long)s.clips, (long long)s.per_split[0],
           (long long)s.per_split[1], (long long)s.per_split[2], (long long)s.frames, (long long)s.files, s.seconds,
           s.seconds > 0 ? (double)s.clips / s.seconds : 0.0, out);
    return 0;
}
