/* cmd_conform.c: `vct conform CASE_DIR --dump OUT.safetensors`.
 * Loads the case's inputs only (see io/conform_case.h), runs every stage that
 * exists, and writes the tensors under the case's names for compare.py. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "conform_stages.h"
#include "core/log.h"
#include "io/safetensors.h"
#include "vct.h"

#define MAX_INJECT 16

static cli_opt opts[] = {
    {"dump", 'o', 1, NULL, "write the computed tensors to this .safetensors file (required)", NULL, 0},
    {"inject", 0, 1, NULL, "replace a computed tensor by the case's reference decision, e.g. ppqg.assign_idx "
                           "(comma-separated; for near-ties only, see the conformance README)", NULL, 0},
    {"list", 0, 0, NULL, "list the stages and the names they produce, then exit", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"conform", "CASE_DIR --dump OUT.safetensors [options]",
                            "run a conformance case on vct and dump every tensor it computes under the case's names",
                            0, 1, opts};

static vct_status inject(const conform_case *c, tensor_dict *dump, const char *name, vct_error *err) {
    tensor_dict ref;
    VCT_TRY(conform_case_read_reference(c, name, &ref, err));
    vct_status st = VCT_STATUS_OK;
    const tensor *r = tensor_dict_find(&ref, name);
    for (int64_t i = 0; i < dump->count; i++)
        if (strcmp(dump->items[i].name, name) == 0) {
            tensor *t = &dump->items[i].t;
            char a[128], b[128];
            if (!shape_equal(t->ndim, t->shape, r->ndim, r->shape))
                st = vct_fail(err, VCT_STATUS_SHAPE, "--inject %s: computed shape %s, reference %s", name,
                              shape_str(t->ndim, t->shape, a, sizeof a), shape_str(r->ndim, r->shape, b, sizeof b));
            else
                for (int64_t k = 0; k < tensor_numel(t); k++) {
                    double v = dtype_get_f64(r->data, r->dtype, k);
                    switch (t->dtype) {
                    case VCT_DTYPE_F32: ((float *)t->data)[k] = (float)v; break;
                    case VCT_DTYPE_I64: ((int64_t *)t->data)[k] = (int64_t)v; break;
                    case VCT_DTYPE_I32: ((int32_t *)t->data)[k] = (int32_t)v; break;
                    default: st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "--inject %s: dtype %s", name, dtype_name(t->dtype));
                    }
                    if (st != VCT_STATUS_OK) break;
                }
            tensor_dict_free(&ref);
            return st;
        }
    tensor_dict_free(&ref);
    return VCT_STATUS_OK; /* not produced (yet): nothing to replace */
}

int cmd_conform(int argc, char **argv) {
    const char *pos[1];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    if (cli_flag(&cmd, "list")) {
        for (int i = 0; i < conform_stage_count; i++)
            printf("%-24s %s\n", conform_stages[i].name, conform_stages[i].produces);
        if (conform_stage_count == 0) printf("(no stages yet)\n");
        return 0;
    }
    const char *out = cli_get(&cmd, "dump");
    if (npos != 1 || !out) {
        fprintf(stderr, "vct conform: need CASE_DIR and --dump OUT.safetensors\n");
        cli_usage(&cmd, stderr);
        return 2;
    }
    char inj_buf[1024] = "";
    const char *inj[MAX_INJECT];
    int n_inj = 0;
    if (cli_get(&cmd, "inject")) {
        snprintf(inj_buf, sizeof inj_buf, "%s", cli_get(&cmd, "inject"));
        for (char *s = strtok(inj_buf, ","); s && n_inj < MAX_INJECT; s = strtok(NULL, ",")) inj[n_inj++] = s;
    }
    vct_error err = {0};
    conform_case c;
    double t0 = wall_seconds();
    if (conform_case_load(pos[0], &c, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct conform: %s\n", err.msg);
        return 1;
    }
    log_info("conform: %s: %lld weights, %lld inputs, %lld train inputs (%.1f s)", pos[0],
             (long long)c.weights.count, (long long)c.inputs.count, (long long)c.train_inputs.count,
             wall_seconds() - t0);
    tensor_dict dump;
    tensor_dict_init(&dump);
    vct_status st = VCT_STATUS_OK;
    for (int i = 0; i < conform_stage_count && st == VCT_STATUS_OK; i++) {
        double ts = wall_seconds();
        int64_t before = dump.count;
        st = conform_stages[i].run(&c, &dump, &err);
        if (st != VCT_STATUS_OK) {
            vct_error_wrap(&err, "stage %s", conform_stages[i].name);
            break;
        }
        for (int k = 0; k < n_inj && st == VCT_STATUS_OK; k++) st = inject(&c, &dump, inj[k], &err);
        log_info("conform: stage %-20s %lld tensors (%.2f s)", conform_stages[i].name,
                 (long long)(dump.count - before), wall_seconds() - ts);
    }
    if (st == VCT_STATUS_OK) {
        char stages[1024] = "";
        for (int i = 0; i < conform_stage_count; i++)
            snprintf(stages + strlen(stages), sizeof stages - strlen(stages), "%s%s", i ? "," : "",
                     conform_stages[i].name);
        st = tensor_dict_set_meta(&dump, "vct_version", VCT_VERSION_STRING, &err);
        if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&dump, "stages", stages, &err);
        if (st == VCT_STATUS_OK && n_inj)
            st = tensor_dict_set_meta(&dump, "injected", cli_get(&cmd, "inject"), &err);
    }
    if (st == VCT_STATUS_OK) st = safetensors_write(out, &dump, &err);
    if (st == VCT_STATUS_OK)
        printf("conform: wrote %lld tensors from %d stages to %s\n", (long long)dump.count, conform_stage_count, out);
    else
        fprintf(stderr, "vct conform: %s\n", err.msg);
    tensor_dict_free(&dump);
    conform_case_free(&c);
    return st == VCT_STATUS_OK ? 0 : 1;
}
