/* main.c: the vct binary: dispatch to one subcommand. Only the CLI turns a
 * status into a message and an exit code: 0 success, 1 runtime error, 2 usage. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/omp.h"
#include "ops/gemm.h"
#include "vct.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"inspect", cmd_inspect, "list every tensor of a .pth, .safetensors, .npz or .npy file"},
    {"conform", cmd_conform, "run a conformance case and dump every named tensor vct computes"},
    {"eval", cmd_eval, "score predictions with the official AVSBench/VCT M_J and M_F"},
    {"data", cmd_data, "check an AVSBench-layout data set as the official loaders read it"},
    {"convert", cmd_convert, "convert an official .pth checkpoint to a vct safetensors checkpoint"},
    {"features", cmd_features, "the VGGish log-mel of an audio or video file (and audio features with --model)"},
    {"synth", cmd_synth, "write SynthAVS, a procedural audio-visual data set in an AVSBench layout"},
    {"segment", cmd_segment, "segment the sounding objects of a clip (frames + audio + Maskiges, or a video)"},
};

/* Planned in docs/architecture.md; not built yet, so they say so instead of pretending. */
static const char *planned[] = {"train", "bench"};

static void usage(FILE *f) {
    fprintf(f, "usage: vct <command> [options]   (vct <command> --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\nnot yet available:");
    for (size_t i = 0; i < sizeof planned / sizeof planned[0]; i++) fprintf(f, " %s", planned[i]);
    fprintf(f, "\n\nexit status: 0 success, 1 runtime error, 2 usage error\n");
}

int main(int argc, char **argv) {
    vct_error err = {0};
    gemm_backend be;
    if (threads_init(&err) != VCT_STATUS_OK || gemm_get_backend(&be, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct: %s\n", err.msg);
        return 2;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("vct %s\n", VCT_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(name, subcommands[i].name) == 0) return subcommands[i].run(argc - 2, argv + 2);
    for (size_t i = 0; i < sizeof planned / sizeof planned[0]; i++)
        if (strcmp(name, planned[i]) == 0) {
            fprintf(stderr, "vct: '%s' is not implemented yet (see README: what works so far)\n", name);
            return 1;
        }
    fprintf(stderr, "vct: unknown command '%s'\n", name);
    usage(stderr);
    return 2;
}
