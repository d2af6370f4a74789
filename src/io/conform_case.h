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
} conform_case;

vct_status conform_case_load(const char *dir, conform_case *c, vct_error *err);
void conform_case_free(conform_case *c);
/* "<dir>/<file>" into buf */
const char *conform_case_path(const conform_case *c, const char *file, char *buf, size_t cap);
/* The manifest record of a tensor name, or NULL. */
const cJSON *conform_case_manifest_entry(const conform_case *c, const char *name);
/* Read one reference tensor (from whichever case file holds it) for --inject. */
vct_status conform_case_read_reference(const conform_case *c, const char *name, tensor_dict *out,
                                       vct_error *err);

#endif
