/* test_solver_config.c: SOLVER.* read from a config tree.
 *  - the shared case's config.yaml gives the values of training.md §1.3 (AdamW,
 *    BASE_LR 1e-4, WEIGHT_DECAY 0.05, norm/embed 0, BACKBONE_MULTIPLIER 0.1,
 *    full-model clipping at 0.01, WarmupPolyLR 45000 / 0.9, no warm-up);
 *  - what the official code rejects, or accepts but vct does not implement, is
 *    refused with a message naming the key and the value: an unknown optimizer, LR
 *    scheduler, warm-up method, clip type, a per-parameter norm clip of order 1, a
 *    milestone not below MAX_ITER, a missing key;
 *  - the clip rules of train_net.py / detectron2: full_model with ENABLED false or
 *    CLIP_VALUE 0 is no clipping; value / norm are per-parameter; SGD reads MOMENTUM. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/yaml.h"
#include "train/solver_config.h"
#include "testlib.h"

#define CASE_DIR "../shared/conformance/cases/ss-reduced-1f"

/* a complete SOLVER node; `over` lines replace the defaults of the same key ("KEY: -" drops it) */
static const char *BASE[] = {
    "OPTIMIZER: ADAMW", "BASE_LR: 0.0001", "WEIGHT_DECAY: 0.05", "WEIGHT_DECAY_NORM: 0.0",
    "WEIGHT_DECAY_EMBED: 0.0", "BACKBONE_MULTIPLIER: 0.1", "MOMENTUM: 0.9", "LR_SCHEDULER_NAME: WarmupPolyLR",
    "MAX_ITER: 45000", "WARMUP_ITERS: 0", "WARMUP_FACTOR: 1.0", "WARMUP_METHOD: linear", "POLY_LR_POWER: 0.9",
    "POLY_LR_CONSTANT_ENDING: 0.0", "GAMMA: 0.1", "STEPS: [30000]", "BASE_LR_END: 0.0", "NUM_DECAYS: 3", NULL};

static vct_status parse(const char *over1, const char *over2, solver_config *sc, vct_error *err, const char *clip) {
    char text[4096] = "SOLVER:\n";
    for (int i = 0; BASE[i]; i++) {
        size_t klen = strcspn(BASE[i], ":");
        const char *line = BASE[i];
        if (over1 && strncmp(over1, BASE[i], klen + 1) == 0) line = over1;
        if (over2 && strncmp(over2, BASE[i], klen + 1) == 0) line = over2;
        if (strcmp(line + klen, ": -") == 0) continue; /* "KEY: -" drops the key */
        snprintf(text + strlen(text), sizeof text - strlen(text), "  %s\n", line);
    }
    snprintf(text + strlen(text), sizeof text - strlen(text), "  CLIP_GRADIENTS:\n%s", clip);
    cJSON *cfg = NULL;
    vct_status st = yaml_parse(text, "test.yaml", &cfg, err);
    if (st == VCT_STATUS_OK) st = solver_config_from_yaml(sc, cfg, "test.yaml", err);
    cJSON_Delete(cfg);
    return st;
}

#define CLIP_FULL "    ENABLED: true\n    CLIP_TYPE: full_model\n    CLIP_VALUE: 0.01\n    NORM_TYPE: 2.0\n"

static void refused(const char *over, const char *clip, const char *needle, const char *what) {
    solver_config sc;
    vct_error err = {0};
    vct_status st = parse(over, NULL, &sc, &err, clip ? clip : CLIP_FULL);
    char name[256];
    snprintf(name, sizeof name, "refused: %s", what);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, needle) != NULL, name, "status %d, message '%s'", (int)st, err.msg);
    if (st != VCT_STATUS_OK) printf("  message: %s\n", err.msg);
}

static void case_config(void) {
    cJSON *cfg = NULL;
    vct_error err = {0};
    solver_config sc;
    if (yaml_read(CASE_DIR "/config.yaml", &cfg, &err) != VCT_STATUS_OK) {
        tl_skip("case config", "no " CASE_DIR "/config.yaml");
        return;
    }
    int ok = solver_config_from_yaml(&sc, cfg, "config.yaml", &err) == VCT_STATUS_OK;
    tl_expect(ok, "the shared case's SOLVER config is accepted", "%s", err.msg);
    if (ok)
        tl_expect(sc.optimizer == SOLVER_ADAMW && sc.base_lr == 1e-4 && sc.weight_decay == 0.05 &&
                      sc.weight_decay_norm == 0 && sc.weight_decay_embed == 0 && sc.backbone_multiplier == 0.1 &&
                      sc.clip == SOLVER_CLIP_FULL_MODEL && sc.clip_value == 0.01 && sc.scheduler == SOLVER_WARMUP_POLY &&
                      sc.max_iter == 45000 && sc.warmup_iters == 0 && sc.poly_power == 0.9 &&
                      sc.poly_constant_ending == 0 && sc.beta1 == 0.9 && sc.beta2 == 0.999 && sc.eps == 1e-8 &&
                      !sc.amsgrad && sc.amp,
                  "case: the values of training.md 1.3 (AdamW 1e-4, wd 0.05, clip 0.01, WarmupPolyLR 45000^0.9)",
                  "unexpected values");
    cJSON_Delete(cfg);
}

int main(void) {
    case_config();
    refused("OPTIMIZER: LAMB", NULL, "SOLVER.OPTIMIZER 'LAMB' is not implemented", "unknown optimizer LAMB");
    refused("LR_SCHEDULER_NAME: OneCycleLR", NULL, "SOLVER.LR_SCHEDULER_NAME 'OneCycleLR' is not implemented",
            "unknown scheduler OneCycleLR");
    refused("WARMUP_METHOD: exp", NULL, "SOLVER.WARMUP_METHOD 'exp'", "unknown warm-up method");
    refused(NULL, "    ENABLED: true\n    CLIP_TYPE: agc\n    CLIP_VALUE: 0.01\n    NORM_TYPE: 2.0\n",
            "CLIP_TYPE 'agc' is unknown", "unknown clip type agc");
    refused(NULL, "    ENABLED: true\n    CLIP_TYPE: norm\n    CLIP_VALUE: 1.0\n    NORM_TYPE: 1.0\n",
            "NORM_TYPE 1 is not implemented", "per-parameter 1-norm clipping");
    solver_config sc;
    vct_error err = {0};
    /* multistep: STEPS [30000] < 45000 is fine; a milestone equal to MAX_ITER is refused (fvcore) */
    vct_status st = parse("LR_SCHEDULER_NAME: WarmupMultiStepLR", "STEPS: [100, 45000]", &sc, &err, CLIP_FULL);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "milestone 45000 must be smaller than MAX_ITER"),
              "refused: a milestone equal to MAX_ITER", "status %d '%s'", (int)st, err.msg);
    st = parse("LR_SCHEDULER_NAME: WarmupMultiStepLR", "STEPS: [300, 100]", &sc, &err, CLIP_FULL);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "milestone 100 must be larger than 300"),
              "refused: milestones out of order", "status %d '%s'", (int)st, err.msg);
    st = parse("LR_SCHEDULER_NAME: WarmupMultiStepLR", "STEPS: [100, 90000]", &sc, &err, CLIP_FULL);
    tl_expect(st == VCT_STATUS_OK && sc.n_steps == 1 && sc.steps[0] == 100,
              "multistep: steps past MAX_ITER are dropped as detectron2 drops them", "status %d n %d", (int)st,
              sc.n_steps);
    st = parse("POLY_LR_POWER: -", NULL, &sc, &err, CLIP_FULL);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "SOLVER.POLY_LR_POWER is missing"),
              "refused: a missing key is named", "status %d '%s'", (int)st, err.msg);
    /* clip rules */
    st = parse(NULL, NULL, &sc, &err, "    ENABLED: false\n    CLIP_TYPE: full_model\n    CLIP_VALUE: 0.01\n");
    tl_expect(st == VCT_STATUS_OK && sc.clip == SOLVER_CLIP_NONE, "full_model with ENABLED false: no clipping", "%d",
              (int)sc.clip);
    st = parse(NULL, NULL, &sc, &err, "    ENABLED: true\n    CLIP_TYPE: full_model\n    CLIP_VALUE: 0.0\n");
    tl_expect(st == VCT_STATUS_OK && sc.clip == SOLVER_CLIP_NONE, "full_model with CLIP_VALUE 0: no clipping", "%d",
              (int)sc.clip);
    st = parse(NULL, NULL, &sc, &err, "    ENABLED: false\n    CLIP_TYPE: agc\n    CLIP_VALUE: 1.0\n");
    tl_expect(st == VCT_STATUS_OK && sc.clip == SOLVER_CLIP_NONE,
              "an unknown clip type with clipping disabled is never read (as detectron2)", "%d", (int)st);
    st = parse(NULL, NULL, &sc, &err, "    ENABLED: true\n    CLIP_TYPE: value\n    CLIP_VALUE: 0.5\n");
    tl_expect(st == VCT_STATUS_OK && sc.clip == SOLVER_CLIP_VALUE && sc.clip_value == 0.5,
              "CLIP_TYPE value: detectron2's per-parameter value clipping", "%d", (int)sc.clip);
    st = parse(NULL, NULL, &sc, &err, "    ENABLED: true\n    CLIP_TYPE: norm\n    CLIP_VALUE: 1.0\n    NORM_TYPE: 2.0\n");
    tl_expect(st == VCT_STATUS_OK && sc.clip == SOLVER_CLIP_NORM && sc.norm_type == 2.0,
              "CLIP_TYPE norm: detectron2's per-parameter norm clipping", "%d", (int)sc.clip);
    st = parse("OPTIMIZER: SGD", "MOMENTUM: 0.8", &sc, &err, CLIP_FULL);
    tl_expect(st == VCT_STATUS_OK && sc.optimizer == SOLVER_SGD && sc.momentum == 0.8, "SGD reads MOMENTUM", "%d",
              (int)st);
    return tl_summary("test_solver_config");
}
