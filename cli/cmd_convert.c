/* cmd_convert.c: `vct convert IN OUT.safetensors`: an official detectron2
 * checkpoint (or any tensor file vct reads) to a vct safetensors checkpoint:
 * the same official keys and values, plus versioned metadata and, with
 * --config, the detectron2 config the model was built from (as JSON). vct
 * loads both forms; the safetensors one loads without a pickle. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "io/yaml.h"
#include "vct.h"

#define VCT_CHECKPOINT_FORMAT "vct-checkpoint"
#define VCT_CHECKPOINT_VERSION "1"

static cli_opt opts[] = {
    {"config", 'c', 1, NULL, "the detectron2 config.yaml of the model, stored in the metadata", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"convert", "IN.pth OUT.safetensors [options]",
                            "convert an official checkpoint (state_dict or detectron2 {'model': ...}) to safetensors",
                            2, 2, opts};

int cmd_convert(int argc, char **argv) {
    const char *pos[2];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    size_t ol = strlen(pos[1]);
    if (ol < 12 || strcmp(pos[1] + ol - 12, ".safetensors") != 0) {
        fprintf(stderr, "vct convert: the output must end in .safetensors: %s\n", pos[1]);
        return 2;
    }
    vct_error err = {0};
    tensor_dict d;
    tensor_file_kind kind;
    vct_status st = tensor_file_read(pos[0], 0, &d, &kind, &err);
    if (st != VCT_STATUS_OK) {
        fprintf(stderr, "vct convert: %s\n", err.msg);
        return 1;
    }
    if (d.count == 0) st = vct_fail(&err, VCT_STATUS_FORMAT, "%s: holds no tensors", pos[0]);
    const char *cfg_path = cli_get(&cmd, "config");
    char *cfg_json = NULL;
    if (st == VCT_STATUS_OK && cfg_path) {
        cJSON *cfg = NULL;
        st = yaml_read(cfg_path, &cfg, &err);
        if (st == VCT_STATUS_OK) {
            cfg_json = cJSON_PrintUnformatted(cfg);
            if (!cfg_json) st = vct_fail(&err, VCT_STATUS_NO_MEMORY, "out of memory");
        }
        cJSON_Delete(cfg);
    }
    if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&d, "format", VCT_CHECKPOINT_FORMAT, &err);
    if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&d, "format_version", VCT_CHECKPOINT_VERSION, &err);
    if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&d, "vct_version", VCT_VERSION_STRING, &err);
    if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&d, "source_kind", tensor_file_kind_name(kind), &err);
    if (st == VCT_STATUS_OK && cfg_json) st = tensor_dict_set_meta(&d, "detectron2_config", cfg_json, &err);
    if (st == VCT_STATUS_OK) st = safetensors_write(pos[1], &d, &err);
    if (st == VCT_STATUS_OK)
        printf("convert: %lld tensors from %s (%s) -> %s\n", (long long)d.count, pos[0], tensor_file_kind_name(kind), pos[1]);
    else
        fprintf(stderr, "vct convert: %s\n", err.msg);
    free(cfg_json);
    tensor_dict_free(&d);
    return st == VCT_STATUS_OK ? 0 : 1;
}
