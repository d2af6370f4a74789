/* cmd_features.c: `vct features INPUT --out FILE`: the VGGish log-mel examples
 * [N,96,64] of any audio or video file, exactly as the official front end makes
 * them; with --task, fitted to the task's rows; with --model, also the VGGish
 * features and the audio embeddings the decoder receives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "audio/decode.h"
#include "audio/frontend.h"
#include "commands.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "model/audio_model.h"

static cli_opt opts[] = {
    {"out", 'o', 1, NULL, "output file: .npy (log-mel only) or .safetensors (required)", NULL, 0},
    {"task", 't', 1, "none", "fit the examples to a task: s4 and ms3 (5 rows, last repeated), avss (10 rows, zero-padded), none", NULL, 0},
    {"model", 'm', 1, NULL, "a checkpoint (.pth or .safetensors): also write VGGish features and audio embeddings", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"features", "INPUT --out FILE [options]",
                            "write the VGGish log-mel examples of an audio or video file (and, with --model, the audio features)",
                            1, 1, opts};

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

int cmd_features(int argc, char **argv) {
    const char *pos[1];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    const char *out = cli_get(&cmd, "out"), *task_name = cli_get(&cmd, "task"), *model = cli_get(&cmd, "model");
    if (!out) {
        fprintf(stderr, "vct features: --out FILE is required\n");
        return 2;
    }
    int as_npy = ends_with(out, ".npy");
    if (!as_npy && !ends_with(out, ".safetensors")) {
        fprintf(stderr, "vct features: --out must end in .npy or .safetensors: %s\n", out);
        return 2;
    }
    if (as_npy && model) {
        fprintf(stderr, "vct features: --model writes several tensors: use a .safetensors output\n");
        return 2;
    }
    audio_task task = AUDIO_TASK_S4;
    int fit = strcmp(task_name, "none") != 0;
    if (fit && audio_task_from_name(task_name, &task) != 0) {
        fprintf(stderr, "vct features: unknown --task '%s' (s4, ms3, avss or none)\n", task_name);
        return 2;
    }
    vct_error err = {0};
    vct_status st;
    float *ex = NULL;
    int64_t N = 0;
    if (fit) {
        N = audio_task_rows(task);
        ex = malloc((size_t)N * 96 * 64 * sizeof(float));
        audio_decode_params p = audio_decode_default_params();
        st = ex ? audio_file_examples(ex, NULL, pos[0], task, &p, &err)
                : vct_fail(&err, VCT_STATUS_NO_MEMORY, "out of memory");
    } else {
        st = audio_file_examples_all(&ex, &N, pos[0], NULL, &err);
    }
    tensor_dict d;
    tensor_dict_init(&d);
    int64_t shape[3] = {N, 96, 64};
    if (st == VCT_STATUS_OK) st = tensor_dict_add(&d, "log_mel", VCT_DTYPE_F32, 3, shape, ex, NULL, &err);
    if (st == VCT_STATUS_OK && model) {
        tensor_dict sd;
        audio_model m;
        audio_model_outputs o;
        st = tensor_file_read(model, 0, &sd, NULL, &err);
        if (st == VCT_STATUS_OK) {
            st = audio_model_load(&m, &sd, model, &err);
            tensor_dict_free(&sd);
        }
        if (st == VCT_STATUS_OK) {
            /* every example is a frame here: no vid flags */
            st = audio_model_run(&m, ex, N, NULL, &o, &err);
            int64_t E = m.mlp_cfg.out_dim, vs[4] = {N, 512, 6, 4}, fs[4] = {N, E, 6, 4}, as[2] = {N, E};
            if (st == VCT_STATUS_OK) st = tensor_dict_add(&d, "vggish_features", VCT_DTYPE_F32, 4, vs, o.vggish, NULL, &err);
            if (st == VCT_STATUS_OK) st = tensor_dict_add(&d, "audio_embeddings", VCT_DTYPE_F32, 4, fs, o.features, NULL, &err);
            if (st == VCT_STATUS_OK && o.audio_feat)
                st = tensor_dict_add(&d, "audio_feat", VCT_DTYPE_F32, 2, as, o.audio_feat, NULL, &err);
            if (o.vggish) audio_model_outputs_free(&o);
            audio_model_free(&m);
        }
    }
    if (st == VCT_STATUS_OK) {
        st = tensor_dict_set_meta(&d, "source", pos[0], &err);
        if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&d, "task", task_name, &err);
    }
    if (st == VCT_STATUS_OK) {
        st = as_npy ? npy_write(out, &d.items[0].t, &err) : safetensors_write(out, &d, &err);
    }
    if (st == VCT_STATUS_OK) printf("features: %lld log-mel examples%s -> %s\n", (long long)N, model ? " + audio features" : "", out);
    else fprintf(stderr, "vct features: %s\n", err.msg);
    tensor_dict_free(&d);
    free(ex);
    return st == VCT_STATUS_OK ? 0 : 1;
}
