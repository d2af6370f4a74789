/* rng.h: torch 1.13's CPU random generator, and the draw source the model
 * calls for every random draw of a training step.
 *
 * 1. torch_generator reproduces `torch.manual_seed(s)` (or a fresh
 *    `torch.Generator().manual_seed(s)`) followed by draws of the CPU generator:
 *    MT19937 seeded with the low 32 bits of s, torch's 24-bit float / 53-bit
 *    double uniforms, the cached second Box-Muller value of the scalar normal
 *    path, and the 16-wide normal path for float tensors of >= 16 elements.
 *    Bit-exact against Debian's torch 1.13.1 (AVX2 dispatch, no MKL; checked
 *    in tests/core/test_rng.c, notes in docs/rng.md):
 *      torch_rand_f32          torch.rand(shape)
 *      torch_bernoulli_f32     x.new_empty(shape).bernoulli_(p), p a Python float
 *      torch_normal_f32        torch.randn / normal_(mean, std): the scalar double
 *                              path for n < 16, the 16-wide float path (Cephes
 *                              log/sincos as torch's AVX2 kernel) for n >= 16
 *      torch_gumbel_f32        Gumbel(0,1).sample(shape) (= rsample), with
 *                              torch.log's SLEEF logf_u10 arithmetic
 *    Interleaved calls stay in sync: every function consumes the MT stream
 *    exactly as torch does, and the scalar normal cache is kept.
 *
 * 2. draw_source: the model asks it for every random draw, in the order the
 *    official code makes them. It either generates from a torch_generator
 *    (optionally recording what it drew), or replays draws recorded by the
 *    conformance harness (train.npz entries "rng.NNNN.<kind>", float32, in
 *    consumption order), checking each draw's kind and shape.
 *    Kinds (the harness's names):
 *      "torch.rand"     torch.rand(shape) -> uniforms in [0,1)
 *      "gumbel"         Gumbel(0,1).sample(shape) -> the Gumbel noise itself
 *      "droppath_keep"  timm drop_path keep mask [B,1,..,1] of 0/1 (not yet
 *                       divided by keep_prob; the caller divides, as timm does)
 *
 *    Usage:
 *      torch_generator g; torch_generator_manual_seed(&g, 2);
 *      draw_source ds; draw_source_init_generate(&ds, &g);
 *      // or: draw_source_init_replay(&ds, &train_npz_dict, "rng", &err)
 *      VCT_TRY(draw_source_droppath_keep(&ds, mask, B, 3, 0.9, "backbone...", &err));
 *      VCT_TRY(draw_source_gumbel(&ds, noise, 4, (int64_t[]){1,1,Q,HW}, NULL, &err));
 *      ...
 *      VCT_TRY(draw_source_finish(&ds, &err));  // replay: every draw used
 *      draw_source_free(&ds);
 *
 * Thread safety: a generator or draw source is used by one thread at a time.
 */
#ifndef VCT_CORE_RNG_H
#define VCT_CORE_RNG_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

/* ---------------------------------------------------------------- generator */

#define TORCH_MT_N 624
/* torch's default_rng_seed_val: the seed of a fresh torch.Generator() */
#define TORCH_DEFAULT_SEED UINT64_C(67280421310721)

typedef struct torch_generator {
    uint32_t mt[TORCH_MT_N]; /* MT19937 state */
    int idx;                 /* next state word to temper; TORCH_MT_N = twist first */
    uint64_t seed;           /* as given to manual_seed (only the low 32 bits are used) */
    int has_normal;          /* cached second Box-Muller value (scalar double path) */
    double normal;
} torch_generator;

/* torch.manual_seed(seed) / torch.Generator().manual_seed(seed): reseeds and
 * clears the cached normal. A negative Python seed s is 2^64 + s. */
void torch_generator_manual_seed(torch_generator *g, uint64_t seed);
/* A fresh torch.Generator() (seed TORCH_DEFAULT_SEED). */
void torch_generator_init(torch_generator *g);

/* Raw draws: random() is one MT19937 output; random64() is two, the first in
 * the high half (torch's CPUGeneratorImpl::random64). */
uint32_t torch_generator_random(torch_generator *g);
uint64_t torch_generator_random64(torch_generator *g);
/* One uniform in [0,1): float from 24 bits of random(), double from 53 bits of random64(). */
float torch_uniform_f32(torch_generator *g);
double torch_uniform_f64(torch_generator *g);

/* torch.rand(n) (any shape with n elements, float32). */
void torch_rand_f32(torch_generator *g, float *out, int64_t n);
/* torch.empty(n).bernoulli_(p) for a float32 tensor and a Python-float p in [0,1]:
 * out[i] = (double uniform < p), one random64() per element. */
void torch_bernoulli_f32(torch_generator *g, float *out, int64_t n, double p);
/* torch.empty(n).normal_(mean, std); torch.randn(n) is mean 0, std 1.
 * n < 16: scalar double Box-Muller with the cache (mean, std in double);
 * n >= 16: torch's 16-wide float path (mean, std rounded to float); see the
 * header comment for exactness. */
void torch_normal_f32(torch_generator *g, float *out, int64_t n, double mean, double std);
/* torch.distributions.Gumbel(0., 1.).sample((n,)) in float32:
 * u = tiny + rand * ((1 - eps) - tiny), g = -log(-log(u)). */
void torch_gumbel_f32(torch_generator *g, float *out, int64_t n);

/* -------------------------------------------------------------- draw source */

typedef enum draw_source_mode {
    DRAW_SOURCE_GENERATE = 0, /* draw from gen */
    DRAW_SOURCE_REPLAY        /* return the recorded draws in order */
} draw_source_mode;

typedef struct draw_source {
    draw_source_mode mode;
    torch_generator *gen;    /* GENERATE: not owned */
    tensor_dict *record;     /* GENERATE: if not NULL, every draw is appended as
                                "<prefix>.NNNN.<kind>" (float32), like the harness */
    const tensor **draws;    /* REPLAY: draws[i] is recorded draw i (views into the dict) */
    const char **kinds;      /* REPLAY: kind of draw i (points into the dict's names) */
    int64_t n_draws;         /* REPLAY: number of recorded draws */
    int64_t pos;             /* number of draws made so far = index of the next one */
    const char *const *sites; /* REPLAY, optional: the recorded call site of draw i
                                (manifest.json "rng_draws"), checked against the
                                caller's site; not owned */
    char prefix[32];
} draw_source;

/* Generate from g (not owned; the caller seeds it). */
void draw_source_init_generate(draw_source *ds, torch_generator *g);
/* Generate from g and append every draw to rec (not owned) named
 * "<prefix>.NNNN.<kind>" (NNNN at least 4 digits), as the harness records them. */
void draw_source_init_record(draw_source *ds, torch_generator *g, tensor_dict *rec,
                             const char *prefix);
/* Replay the tensors of rec named "<prefix>.<digits>.<kind>" in numeric order.
 * Other tensors are ignored. Fails (VCT_STATUS_FORMAT) if the numbers are not
 * exactly 0..N-1, a number repeats, or a draw is not float32. rec must outlive ds. */
vct_status draw_source_init_replay(draw_source *ds, const tensor_dict *rec, const char *prefix,
                                   vct_error *err);
void draw_source_free(draw_source *ds);
/* Replay: also check every draw's call site against sites[i] (n entries, one per
 * recorded draw; NULL entries are not checked; the array must outlive ds). A
 * caller's site matches a recorded one if it is equal to it or a prefix of it
 * ending where the recorded site continues with ':' (the recorded sites of
 * torch.rand / gumbel end in a line number: "matcher.py:memory_efficient_forward:107").
 * A draw made with site NULL is not checked. Fails if n is not the number of
 * recorded draws. */
vct_status draw_source_set_sites(draw_source *ds, const char *const *sites, int64_t n, vct_error *err);

/* torch.rand(shape) -> out (numel(shape) floats). site (may be NULL) names the
 * call site in error messages, e.g. "matcher.py:memory_efficient_forward". */
vct_status draw_source_rand(draw_source *ds, float *out, int ndim, const int64_t *shape,
                            const char *site, vct_error *err);
/* Gumbel(0,1).sample(shape) -> out. */
vct_status draw_source_gumbel(draw_source *ds, float *out, int ndim, const int64_t *shape,
                              const char *site, vct_error *err);
/* timm drop_path keep mask for x of x_ndim dims and batch B: shape [B,1,..,1],
 * mask[b] in {0,1} (Bernoulli(keep_prob)); the caller scales by 1/keep_prob.
 * Replayed masks must hold only 0 and 1. Call it only where timm draws: training
 * and drop_prob > 0 (keep_prob = 1 - drop_prob, drop_prob as a Python float). */
vct_status draw_source_droppath_keep(draw_source *ds, float *mask, int64_t B, int x_ndim,
                                     double keep_prob, const char *site, vct_error *err);
/* Replay: fail unless every recorded draw was consumed. Generate: OK. */
vct_status draw_source_finish(const draw_source *ds, vct_error *err);

#endif
