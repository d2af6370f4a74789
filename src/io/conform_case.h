/* conform_case.h: load a conformance case directory (../shared/conformance/
 * cases/<name>) the way `vct conform` may: the checkpoint, the config, the
 * inputs, and ONLY the input entries of train.npz (targets and recorded random
 * draws) and of optim.npz (the seeded-gradient scales and the scheduler
 * iterations): the entries whose manifest record has no tolerance. outputs.npz and
 * every expected value are never read here; `--inject` is the one audited
 * exception and goes through conform_case_read_reference(). */
#ifndef VCT_IO_CONFORM_CASE_H
#define VCT_IO_CONFORM_CASE_H

#include <cjson/cJSON.h>

#include "core/tensor.h"

typedef struct conform_case {
    char dir[1024];
    tensor_dict weights;      /* model_best.pth state_dict (official keys) */
    tensor_dict inputs;       /* inputs.npz */
    tensor_dict train_inputs; /* train.npz entries without a tolerance: targets, rng.NNNN.* */
    tensor_dict optim_inputs; /* optim.npz entries without a tolerance: optim.grad_scale, step_iter, sched_probe_iters */
    cJSON *config;            /* config.yaml */
    cJSON *manifest;          /* manifest.json (names, shapes, subsets, rng call sites) */
    int has_train;            /* the case has a train.npz (else: inference only) */
    int has_optim;            /* the case has an optim.npz (else: no optimizer entries) */
} conform_case;

/* The recorded random draws of a case's training step, as manifest.json
 * "rng_draws" lists them (key "rng.NNNN.<kind>", kind, call site, shape). */
typedef struct conform_draws {
    int64_t n;
    const char **sites; /* [n] call sites (point into the manifest) */
} conform_draws;

vct_status conform_case_load(const char *dir, conform_case *c, vct_error *err);
void conform_case_free(conform_case *c);
/* "<dir>/<file>" into buf */
const char *conform_case_path(const conform_case *c, const char *file, char *buf, size_t cap);
/* The manifest record of a tensor name, or NULL. */
const cJSON *conform_case_manifest_entry(const conform_case *c, const char *name);
/* The draws a training step replays: every entry of manifest.json "rng_draws"
 * must be a train.npz input the case loaded, with the listed kind and shape.
 * Fails naming the problem: no train.npz, no "rng_draws" list, a listed draw that
 * train.npz lacks, a kind or shape that differs. Free with conform_draws_free. */
vct_status conform_case_draws(const conform_case *c, conform_draws *d, vct_error *err);
void conform_draws_free(conform_draws *d);
/* Read one reference tensor (from whichever case file holds it) for --inject. */
vct_status conform_case_read_reference(const conform_case *c, const char *name, tensor_dict *out,
                                       vct_error *err);

#endif
