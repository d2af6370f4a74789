/* test_param_groups.c: the parameter groups of the shared case's model against the
 * ones the official Trainer.build_optimizer made (the case manifest's
 * optim.param_groups: per tensor, in the official order, the lr multiplier, the
 * weight decay and the rule; expected values, which a test may read and `vct
 * conform` may not). The model is built by vct_model_build from config.yaml and
 * model_best.pth, its table made trainable as the official model is
 * (train/train_params.h: all but the frozen VGGish, criterion.logit_scale from the
 * checkpoint). Checked: the number of groups and trainable numbers, the name of
 * every group in order, each lr (= BASE_LR x multiplier, as a double) and weight
 * decay. Then the count per (lr, weight decay) class of training.md / the README:
 * lr x0.1 / wd 0: 112, x0.1 / 0.05: 138, x1 / 0: 46, x1 / 0.05: 128. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/conform_case.h"
#include "model/vct_model.h"
#include "train/param_groups.h"
#include "train/train_params.h"
#include "testlib.h"

#define CASE_DIR "../shared/conformance/cases/ss-reduced-1f"

int main(void) {
    conform_case c;
    vct_error err = {0};
    FILE *f = fopen(CASE_DIR "/optim.npz", "rb");
    if (!f) {
        tl_skip("case param groups", "no " CASE_DIR "/optim.npz");
        return tl_summary("test_param_groups");
    }
    fclose(f);
    if (!tl_expect(conform_case_load(CASE_DIR, &c, &err) == VCT_STATUS_OK, "load the shared case", "%s", err.msg))
        return tl_summary("test_param_groups");
    vct_model m;
    train_params tp;
    solver_config sc;
    optim_groups gs;
    memset(&gs, 0, sizeof gs);
    memset(&tp, 0, sizeof tp);
    int ok = vct_model_build(&m, cJSON_Duplicate(c.config, 1), "config.yaml", &c.weights, "model_best.pth", &err) ==
                 VCT_STATUS_OK &&
             train_params_build(&tp, &m.pt, 1, c.config, &c.weights, "model_best.pth", &err) == VCT_STATUS_OK &&
             solver_config_from_yaml(&sc, c.config, "config.yaml", &err) == VCT_STATUS_OK &&
             optim_groups_build(&gs, &tp.pt, &sc, &err) == VCT_STATUS_OK;
    vct_model_release(&m);
    tl_expect(ok, "model, training table and groups built", "%s", err.msg);
    const cJSON *om = cJSON_GetObjectItemCaseSensitive(c.manifest, "optim");
    const cJSON *pg = om ? cJSON_GetObjectItemCaseSensitive(om, "param_groups") : NULL;
    if (ok && tl_expect(cJSON_IsArray(pg), "manifest has optim.param_groups", "missing")) {
        int n = cJSON_GetArraySize(pg), i = 0;
        int64_t bad_name = 0, bad_lr = 0, bad_wd = 0, cls[2][2] = {{0, 0}, {0, 0}};
        for (const cJSON *e = pg->child; e; e = e->next, i++) {
            if (i >= gs.n) break;
            const char *name = cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring;
            double mult = cJSON_GetObjectItemCaseSensitive(e, "lr_multiplier")->valuedouble;
            double wd = cJSON_GetObjectItemCaseSensitive(e, "weight_decay")->valuedouble;
            const optim_group *g = &gs.g[i];
            if (strcmp(name, g->name) != 0) {
                if (bad_name < 3) printf("  group %d: official %s, vct %s\n", i, name, g->name);
                bad_name++;
            }
            /* the manifest stores initial_lr / BASE_LR, so compare the ratio */
            if (fabs(g->initial_lr / sc.base_lr - mult) > 1e-12) {
                if (bad_lr < 3) printf("  %s: lr x%g, official x%g\n", g->name, g->initial_lr / sc.base_lr, mult);
                bad_lr++;
            }
            if (g->weight_decay != wd) {
                if (bad_wd < 3) printf("  %s: wd %g, official %g (rule %s)\n", g->name, g->weight_decay, wd,
                                       cJSON_GetObjectItemCaseSensitive(e, "rule")->valuestring);
                bad_wd++;
            }
            cls[g->initial_lr == sc.base_lr][g->weight_decay != 0]++;
        }
        char name[160];
        snprintf(name, sizeof name, "%lld groups, %lld trainable numbers (official: %d groups, 13067187)",
                 (long long)gs.n, (long long)gs.n_elements, n);
        tl_expect(gs.n == n && gs.n_elements == 13067187, name, "differs");
        tl_expect(bad_name == 0, "every group's tensor in the official order", "%lld differ", (long long)bad_name);
        tl_expect(bad_lr == 0, "every group's lr multiplier as build_optimizer's", "%lld differ", (long long)bad_lr);
        tl_expect(bad_wd == 0, "every group's weight decay as build_optimizer's", "%lld differ", (long long)bad_wd);
        snprintf(name, sizeof name, "classes x0.1/0: %lld, x0.1/0.05: %lld, x1/0: %lld, x1/0.05: %lld (112, 138, 46, 128)",
                 (long long)cls[0][0], (long long)cls[0][1], (long long)cls[1][0], (long long)cls[1][1]);
        tl_expect(cls[0][0] == 112 && cls[0][1] == 138 && cls[1][0] == 46 && cls[1][1] == 128, name, "differs");
    }
    optim_groups_free(&gs);
    train_params_free(&tp);
    conform_case_free(&c);
    return tl_summary("test_param_groups");
}
