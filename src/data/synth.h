/* synth.h: SynthAVS, a procedural audio-visual data set written in the AVSBench
 * layouts (design/avsbench.md §1), so the AVSBench readers (avsbench.h), the
 * official loaders, `vct eval` and `vct train` read it unchanged.
 *
 * A clip is a scene in "native" pixel space (the video's size, 426x240: 240p,
 * 16:9; the published S4/MS3 layout samples it at 224x224, as AVSBench
 * resized its videos) with a
 * textured, slowly panning background and up to SYNTH_MAX_OBJECTS objects of
 * SYNTH_NUM_CLASSES classes. Each class has its own shape, colours, texture and
 * sound. Objects move, scale, rotate, occlude each other and may leave or enter
 * the frame. A sound source is an object (or nobody: an off-screen sound) that
 * is heard during some whole seconds of the clip; frame t (0-based, the frame
 * near the end of second t, as AVSBench samples them) shows as ground truth
 * exactly the visible pixels of the objects heard in second t.
 *
 *   S4 / AVSS v1s: one source heard all the time, 0-2 silent distractors
 *                  (sometimes of the same class), sometimes a quiet off-screen sound.
 *   MS3 / v1m / v2: 1-3 sources, some starting or stopping mid-clip, 0-3
 *                  distractors, off-screen sounds.
 *
 * Files per task and layout: synth_layout.c (and docs/synth.md). Audio: 16 kHz
 * mono PCM-16 WAV of exactly T seconds, and the official log-mel .pkl (a
 * pickle.dump of a float32 torch tensor, written in C). Maskiges: SAM-like
 * class-agnostic masks made from the true instance map with boundary noise,
 * over-/under-segmentation, missed objects, background regions and spurious
 * blobs, painted by ascending area with the ADE20K palette as VCT's
 * mask_precess_*.py does.
 *
 * Determinism: a clip depends only on (seed, task, clip index) (the layout
 * only changes which files show it, and the split on the clip count); the
 * same inputs and library versions (zlib, libpng, libjpeg) give byte-identical
 * files whatever the thread count. */
#ifndef VCT_DATA_SYNTH_H
#define VCT_DATA_SYNTH_H

#include <stdint.h>

#include "core/error.h"
#include "data/avsbench.h"

#define SYNTH_NUM_CLASSES 10
#define SYNTH_MAX_OBJECTS 8
#define SYNTH_MAX_SOUNDS 6
#define SYNTH_MAX_FRAMES 10
#define SYNTH_SAMPLE_RATE 16000
#define SYNTH_VERSION "1" /* bump when the same seed gives different clips */
#define SYNTH_PI 3.14159265358979323846

/* ---- classes ----------------------------------------------------------------------- */

typedef struct synth_class {
    const char *name;        /* "siren" */
    const char *s4_category; /* its S4 category (folder name in S4) */
    int avss_class;          /* its AVSS class id (1..70, avs_class_name) */
    const char *look;        /* shape, colours, texture (for docs and metadata) */
    const char *sound;       /* how it sounds */
} synth_class;

const synth_class *synth_class_get(int k); /* k in [0, SYNTH_NUM_CLASSES) */

/* ---- deterministic random numbers (splitmix64) --------------------------------------- */

typedef struct synth_rng {
    uint64_t s;
} synth_rng;

void synth_rng_seed(synth_rng *r, uint64_t a, uint64_t b); /* from two words (seed, stream) */
uint64_t synth_rng_u64(synth_rng *r);
double synth_rng_uniform(synth_rng *r);                 /* [0,1) */
double synth_rng_range(synth_rng *r, double lo, double hi);
int synth_rng_int(synth_rng *r, int n);                 /* [0,n) */
double synth_rng_normal(synth_rng *r);
uint64_t synth_hash(uint64_t x);                        /* splitmix64 finaliser */

/* ---- a clip --------------------------------------------------------------------------- */

typedef struct synth_object {
    int cls;                           /* synth class */
    uint8_t heard[SYNTH_MAX_FRAMES];   /* heard during second t */
    double x0, y0, vx, vy;             /* centre at t = 0 (native px), velocity (px/s) */
    double wob_a, wob_f, wob_p;        /* vertical wobble amplitude (px), Hz, phase */
    double s0, s1;                     /* size (px) at t = 0 and t = T */
    double rot0, rotv;                 /* rotation (rad) and its speed (rad/s) */
    double hue;                        /* colour jitter in [-1,1] */
    uint64_t seed;                     /* texture / maskige noise */
} synth_object;

typedef struct synth_sound {
    int cls;
    int object;                        /* index of the object it comes from; -1: off screen */
    uint8_t active[SYNTH_MAX_FRAMES];  /* heard during second t */
    double gain;
    uint64_t seed;
} synth_sound;

typedef struct synth_clip {
    int64_t index;
    avs_task task;
    avs_split split;
    const char *subset;                /* AVSS: "v1s", "v1m", "v2"; else NULL */
    char name[48];                     /* S4 name, MS3 video id, AVSS uid */
    char vid[48];                      /* AVSS vid column */
    int T;                             /* frames = seconds */
    int W, H;                          /* native size */
    int n_obj;                         /* objects, in drawing order (last on top) */
    synth_object obj[SYNTH_MAX_OBJECTS];
    int n_snd;
    synth_sound snd[SYNTH_MAX_SOUNDS];
    int bg_kind;                       /* 0 sky/ground, 1 wall/floor, 2 field */
    double bg_horizon, bg_wave_a, bg_wave_f, bg_pan;
    double bg_col[4][3];               /* background colours 0..1 */
    double ambient;                    /* ambient noise level */
    double peak;                       /* target peak of the mix */
    uint64_t seed;
} synth_clip;

typedef struct synth_params {
    avs_task task;
    avs_layout layout;   /* AVSBENCH or VCT */
    int64_t clips;       /* >= 3: every split gets a clip */
    uint64_t seed;
    int force;           /* write into a non-empty folder */
} synth_params;

synth_params synth_default_params(void);

/* Plan clip `index` of the data set (pure function of params and index). */
void synth_plan_clip(synth_clip *c, const synth_params *p, int64_t index);

/* Which object is heard in frame t (its second). */
int synth_object_heard(const synth_clip *c, int i, int t);

/* ---- rendering (synth_render.c) ------------------------------------------------------- */

/* Render frame t at W x H (any size; the scene is sampled in native space):
 * rgb [H][W][3] (may be NULL), inst [H][W] = 0 background, 1 + i for object i
 * (topmost object whose shape holds the pixel centre; may be NULL). */
vct_status synth_render(const synth_clip *c, int t, int W, int H, uint8_t *rgb, uint8_t *inst,
                        vct_error *err);

/* Maskige ids [H][W] of frame t at W x H: SAM-like masks made from the scene's
 * instances (boundaries perturbed, objects split, merged or missed, background
 * regions, spurious blobs), painted by ascending area: mask j of that order
 * gets id j + 1 where no smaller mask was painted; 0 = uncovered. Every id is
 * < SYNTH_MAX_MASKIGE (the ADE20K palette size). */
#define SYNTH_MAX_MASKIGE 150
vct_status synth_maskige(uint8_t *ids, const synth_clip *c, int t, int W, int H, vct_error *err);
/* ADE20K palette (150 RGB triplets), as VCT's ade_palette(). */
const uint8_t *synth_ade_palette(void);

/* ---- audio (synth_audio.c) ---------------------------------------------------------------- */

/* The clip's mix, quantised: pcm[T * 16000]. */
vct_status synth_audio(int16_t *pcm, const synth_clip *c, vct_error *err);
/* One source alone, normalised to RMS 0.15, gated to its seconds, times its gain,
 * added to x[n] (not quantised). */
vct_status synth_sound_add(double *x, int64_t n, const synth_sound *s, vct_error *err);
/* Mono PCM-16 WAV at 16 kHz, written atomically. */
vct_status synth_write_wav(const char *path, const int16_t *pcm, int64_t n, vct_error *err);
/* pickle.dump(torch float32 tensor [rows,1,96,64]) as torch 1.13 writes it
 * (protocol 4, storage as torch.storage._load_from_bytes of a legacy torch.save),
 * written atomically. */
vct_status synth_write_logmel_pkl(const char *path, const float *x, int64_t rows, vct_error *err);

/* ---- the data set (synth_layout.c) --------------------------------------------------------- */

typedef struct synth_stats {
    int64_t clips, files, frames;
    int64_t per_split[AVS_SPLIT_COUNT];
    double seconds;
} synth_stats;

/* Write the whole data set under out (created; must be empty unless p->force).
 * Progress on stderr (log.h). The index files (CSV, label2idx.json,
 * synthavs.json) are written last, after every clip succeeded. */
vct_status synth_write_dataset(const char *out, const synth_params *p, synth_stats *stats, vct_error *err);

/* Write one clip's files (used by synth_write_dataset; exposed for tests). */
vct_status synth_write_clip(const char *out, const synth_params *p, const synth_clip *c, int64_t *files,
                            vct_error *err);

#endif
