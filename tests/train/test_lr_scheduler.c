/* test_lr_scheduler.c: lr_scheduler_lr against detectron2's own schedulers
 * (tests/ref/gen_lr_sched.py): for 8 configs (the VCT WarmupPolyLR over 45000
 * iterations; WarmupPolyLR with linear and constant warm-up and a constant ending;
 * WarmupMultiStepLR with and without RESCALE_INTERVAL; WarmupCosineLR with and
 * without warm-up; WarmupStepWithFixedGammaLR), the SOLVER node the generator
 * dumped is parsed with io/yaml and solver_config_from_yaml, and the lr of two
 * groups (BASE_LR, BASE_LR * 0.1) must equal detectron2's double bit for bit at
 * every recorded iteration (0 .. MAX_ITER). Where detectron2 raises, this must fail
 * too; and WarmupPolyLR past MAX_ITER fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/yaml.h"
#include "train/lr_scheduler.h"
#include "testlib.h"

static tensor_dict R;

static void run_case(const char *c) {
    char key[128], name[192];
    snprintf(key, sizeof key, "%s.solver_yaml", c);
    const char *y = tensor_dict_get_meta(&R, key);
    snprintf(key, sizeof key, "%s.iters", c);
    const tensor *it = tl_ref_typed(&R, key, VCT_DTYPE_I64, -1);
    int64_t n = it ? tensor_numel(it) : 0;
    snprintf(key, sizeof key, "%s.lr", c);
    const tensor *lr = it ? tl_ref_typed(&R, key, VCT_DTYPE_F64, 2 * n) : NULL;
    snprintf(name, sizeof name, "%s: the dumped SOLVER config parses", c);
    cJSON *cfg = NULL;
    solver_config sc;
    vct_error err = {0};
    if (!tl_expect(y && lr && yaml_parse(y, c, &cfg, &err) == VCT_STATUS_OK &&
                       solver_config_from_yaml(&sc, cfg, c, &err) == VCT_STATUS_OK,
                   name, "%s", y ? err.msg : "no solver_yaml metadata")) {
        cJSON_Delete(cfg);
        return;
    }
    const int64_t *its = it->data;
    const double *want = lr->data;
    double base[2] = {sc.base_lr, sc.base_lr * 0.1};
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        for (int g = 0; g < 2; g++) {
            double got = -1;
            vct_status st = lr_scheduler_lr(&sc, base[g], (long)its[i], &got, &err);
            if (st != VCT_STATUS_OK || memcmp(&got, &want[2 * i + g], sizeof got) != 0) {
                if (bad < 3)
                    printf("  %s it %lld group %d: %.17g, detectron2 %.17g %s\n", c, (long long)its[i], g, got,
                           want[2 * i + g], st ? err.msg : "");
                bad++;
            }
        }
    snprintf(name, sizeof name, "%s (%s): %lld iterations x 2 groups bit-identical to detectron2", c,
             solver_scheduler_name(sc.scheduler), (long long)n);
    tl_expect(bad == 0, name, "%lld values differ", (long long)bad);
    snprintf(key, sizeof key, "%s.raises_at", c);
    const char *ra = tensor_dict_get_meta(&R, key);
    long raises = ra ? strtol(ra, NULL, 10) : -1;
    double dummy;
    if (raises >= 0) {
        snprintf(name, sizeof name, "%s: fails at iteration %ld where detectron2 raises", c, raises);
        vct_status st = lr_scheduler_lr(&sc, base[0], raises, &dummy, &err);
        tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "MAX_ITER"), name, "status %d: %s", (int)st, err.msg);
    }
    if (sc.scheduler == SOLVER_WARMUP_POLY) {
        snprintf(name, sizeof name, "%s: iteration MAX_ITER + 1 is refused (math domain error in detectron2)", c);
        vct_status st = lr_scheduler_lr(&sc, base[0], sc.max_iter + 1, &dummy, &err);
        tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "past SOLVER.MAX_ITER"), name, "status %d", (int)st);
    }
    cJSON_Delete(cfg);
}

int main(void) {
    if (tl_ref_open("lr_sched", &R)) return tl_summary("test_lr_scheduler");
    const char *cases = tensor_dict_get_meta(&R, "cases");
    char buf[512];
    snprintf(buf, sizeof buf, "%s", cases ? cases : "");
    int n = 0;
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
        run_case(s);
        n++;
    }
    tl_expect(n == 8, "8 scheduler cases in the reference", "%d", n);
    tensor_dict_free(&R);
    return tl_summary("test_lr_scheduler");
}
