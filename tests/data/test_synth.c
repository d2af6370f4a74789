/* test_synth.c: SynthAVS (data/synth.h).
 *
 *  1. Every task and layout: the set written by synth_write_dataset opens with the
 *     AVSBench readers (data/avsbench.h) in that layout (and in AUTO), with the
 *     right clip count per split; every frame, mask, Maskige, WAV and .pkl the
 *     layout names exists and decodes with the right size; the .pkl log-mel is
 *     bit-identical to the official front end applied to the WAV.
 *  2. Ground truth: the classes in every labelled frame are exactly the AVSS
 *     classes of the objects heard in that second that are visible in it (from
 *     the plan, not from the mask writer); colour labels decode to the id labels;
 *     binary masks are the non-zero ids; the sounds of the heard seconds are
 *     louder than the ambient floor.
 *  3. Maskiges: ids < 150, several segments per frame, and across the set some
 *     objects are split (over-segmentation) and some segments span two objects
 *     or an object and background (under-segmentation).
 *  4. Determinism: the same seed with 1 thread and with all threads gives
 *     byte-identical files; another seed gives different files.
 *  5. Refusals: fewer than 3 clips, a folder that is not empty (nothing written). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/decode.h"
#include "core/omp.h"
#include "data/avsbench.h"
#include "data/synth.h"
#include "io/resize.h"
#include "testlib.h"

#define CLIPS 3

static char g_tmp[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}
static void rm_rf(const char *p) { nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

/* ---- file lists ------------------------------------------------------------------------ */

typedef struct flist {
    char **names;
    int n, cap;
    size_t root_len;
} flist;

static flist *g_fl;
static int list_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)ftw;
    if (flag != FTW_F) return 0;
    if (g_fl->n == g_fl->cap) {
        g_fl->cap = g_fl->cap ? 2 * g_fl->cap : 256;
        g_fl->names = realloc(g_fl->names, (size_t)g_fl->cap * sizeof *g_fl->names);
    }
    g_fl->names[g_fl->n++] = strdup(p + g_fl->root_len);
    return 0;
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void list_files(const char *root, flist *fl) {
    memset(fl, 0, sizeof *fl);
    fl->root_len = strlen(root);
    g_fl = fl;
    nftw(root, list_cb, 16, FTW_PHYS);
    qsort(fl->names, (size_t)fl->n, sizeof *fl->names, cmp_str);
}
static void flist_free(flist *fl) {
    for (int i = 0; i < fl->n; i++) free(fl->names[i]);
    free(fl->names);
}

static unsigned char *slurp(const char *p, long *n) {
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)*n + 1);
    if (b && fread(b, 1, (size_t)*n, f) != (size_t)*n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

/* number of files that differ (or exist in one tree only) */
static int tree_diff(const char *a, const char *b, int *n_files, int verbose) {
    flist fa, fb;
    list_files(a, &fa);
    list_files(b, &fb);
    int diff = fa.n != fb.n;
    *n_files = fa.n;
    for (int i = 0; i < fa.n && i < fb.n; i++) {
        char pa[1024], pb[1024];
        if (strcmp(fa.names[i], fb.names[i]) != 0) {
            diff++;
            continue;
        }
        snprintf(pa, sizeof pa, "%s%s", a, fa.names[i]);
        snprintf(pb, sizeof pb, "%s%s", b, fb.names[i]);
        long na = 0, nb = 0;
        unsigned char *da = slurp(pa, &na), *db = slurp(pb, &nb);
        if (!da || !db || na != nb || memcmp(da, db, (size_t)na) != 0) {
            if (verbose && diff < 3) printf("  differs: %s\n", fa.names[i]);
            diff++;
        }
        free(da);
        free(db);
    }
    flist_free(&fa);
    flist_free(&fb);
    return diff;
}

/* ---- checks of one data set ---------------------------------------------------------------- */

typedef struct mk_stats {
    int frames, split_objects, merged_segments, objects;
} mk_stats;

/* Maskige of a frame vs the true instance map at the same size: an object
 * covered >= 15 % by each of two segments is split; a segment covering >= 15 %
 * of two objects (or >= 15 % of an object and >= 15 % of its own area in the
 * background) merges them. */
static void maskige_stats(const image_u8 *mk, const uint8_t *inst, int n_obj, mk_stats *s) {
    int64_t N = mk->h * mk->w;
    static int64_t cnt[256][SYNTH_MAX_OBJECTS + 1];
    int64_t seg_area[256] = {0}, obj_area[SYNTH_MAX_OBJECTS + 1] = {0};
    memset(cnt, 0, sizeof cnt);
    /* the Maskige is RGB: map colours back to ids through the palette */
    const uint8_t *pal = synth_ade_palette();
    for (int64_t k = 0; k < N; k++) {
        const uint8_t *p = mk->data + 3 * k;
        int id = 0;
        for (int j = 0; j < SYNTH_MAX_MASKIGE; j++)
            if (pal[3 * j] == p[0] && pal[3 * j + 1] == p[1] && pal[3 * j + 2] == p[2]) {
                id = j;
                break;
            }
        cnt[id][inst[k]]++;
        seg_area[id]++;
        obj_area[inst[k]]++;
    }
    s->frames++;
    for (int o = 1; o <= n_obj; o++) {
        if (obj_area[o] < 200) continue;
        s->objects++;
        int big = 0;
        for (int id = 1; id < 256; id++) big += cnt[id][o] >= 0.15 * obj_area[o];
        s->split_objects += big >= 2;
    }
    for (int id = 1; id < 256; id++) {
        if (seg_area[id] < 200) continue;
        int objs = 0;
        for (int o = 1; o <= n_obj; o++) objs += obj_area[o] >= 200 && cnt[id][o] >= 0.15 * obj_area[o];
        int bg = cnt[id][0] >= 0.15 * seg_area[id];
        s->merged_segments += objs >= 2 || (objs >= 1 && bg);
    }
}

/* instance map of frame t at W x H (test failure if it cannot be made) */
static void render_inst(const synth_clip *c, int t, int W, int H, uint8_t *inst) {
    vct_error err = {0};
    if (synth_render(c, t, W, H, NULL, inst, &err) != VCT_STATUS_OK) {
        tl_fail("render", "%s", err.msg);
        memset(inst, 0, (size_t)W * H);
    }
}

static int64_t label_classes(const image_u8 *ids, uint8_t *present) {
    memset(present, 0, AVS_NUM_CLASSES);
    int64_t fg = 0;
    for (int64_t k = 0; k < ids->h * ids->w; k++) {
        present[ids->data[k] < AVS_NUM_CLASSES ? ids->data[k] : 0] = 1;
        fg += ids->data[k] != 0;
    }
    return fg;
}

/* the AVSS classes of objects heard in second t that are visible at W x H */
static void expected_classes(const synth_clip *c, int t, int W, int H, uint8_t *want) {
    uint8_t *inst = malloc((size_t)W * H);
    memset(want, 0, AVS_NUM_CLASSES);
    render_inst(c, t, W, H, inst);
    for (int64_t k = 0; k < (int64_t)W * H; k++)
        if (inst[k] && synth_object_heard(c, inst[k] - 1, t))
            want[synth_class_get(c->obj[inst[k] - 1].cls)->avss_class] = 1;
    want[0] = 0;
    free(inst);
}

/* pixels of a 0/1 mask that differ from "an object heard in second t is the
 * topmost one here": rendered at the mask's size (published layout, annotated
 * at 224), or natively and nearest-resized as the VCT scripts resize masks */
static int64_t binary_mismatch(const synth_clip *c, int t, const image_u8 *m, int at_mask_size) {
    image_u8 nat = {0}, rs = {0};
    vct_error err = {0};
    int W = at_mask_size ? (int)m->w : c->W, H = at_mask_size ? (int)m->h : c->H;
    if (image_alloc(&nat, H, W, 1, &err) != VCT_STATUS_OK) return -1;
    render_inst(c, t, W, H, nat.data);
    for (int64_t k = 0; k < nat.h * nat.w; k++) nat.data[k] = nat.data[k] && synth_object_heard(c, nat.data[k] - 1, t);
    const image_u8 *want = &nat;
    if (m->h != nat.h || m->w != nat.w) {
        if (resize_nearest_pil(&rs, &nat, m->h, m->w, &err) != VCT_STATUS_OK) return -1;
        want = &rs;
    }
    int64_t off = 0;
    for (int64_t k = 0; k < m->h * m->w; k++) off += want->data[k] != m->data[k];
    image_free(&nat);
    image_free(&rs);
    return off;
}

static int find_clip(const synth_clip *plans, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(plans[i].name, name) == 0) return i;
    return -1;
}

static void check_set(const char *root, const synth_params *p, mk_stats *mks) {
    char name[160];
    snprintf(name, sizeof name, "%s/%s", avs_task_name(p->task), avs_layout_name(p->layout));
    vct_error err = {0};
    avs_dataset ds;
    if (!tl_expect(avs_dataset_open(&ds, root, p->task, p->layout, &err) == VCT_STATUS_OK, name, "open: %s", err.msg))
        return;
    avs_dataset ds_auto;
    if (tl_expect(avs_dataset_open(&ds_auto, root, p->task, AVS_LAYOUT_AUTO, &err) == VCT_STATUS_OK, name,
                  "open AUTO: %s", err.msg)) {
        /* AVSS: one root for both layouts (the vct files are extra), AUTO reads it as avsbench */
        avs_layout want = p->task == AVS_TASK_AVSS ? AVS_LAYOUT_AVSBENCH : p->layout;
        tl_expect(ds_auto.layout == want, name, "AUTO picked %s", avs_layout_name(ds_auto.layout));
        avs_dataset_free(&ds_auto);
    }
    synth_clip plans[CLIPS];
    for (int i = 0; i < CLIPS; i++) synth_plan_clip(&plans[i], p, i);
    tl_expect(ds.n_clips == CLIPS, name, "%lld clips, expected %d", (long long)ds.n_clips, CLIPS);
    for (int s = 0; s < AVS_SPLIT_COUNT; s++)
        tl_expect(avs_dataset_count(&ds, (avs_split)s) == 1, name, "split %s: %lld clips", avs_split_name((avs_split)s),
                  (long long)avs_dataset_count(&ds, (avs_split)s));
    int bad = 0, masks = 0, loud_ok = 1;
    for (int64_t i = 0; i < ds.n_clips && bad < 5; i++) {
        const avs_clip *ac = &ds.clips[i];
        int ci = find_clip(plans, CLIPS, ac->name);
        if (ci < 0 || plans[ci].T != ac->n_frames || plans[ci].split != ac->split) {
            tl_fail(name, "clip %s: not the planned clip (T %d)", ac->name, ac->n_frames);
            bad++;
            continue;
        }
        const synth_clip *c = &plans[ci];
        for (int t = 0; t < ac->n_frames; t++) {
            image_u8 fr = {0}, m = {0}, mk = {0};
            if (avs_read_frame(ac->frame[t], &fr, &err) != VCT_STATUS_OK) {
                tl_fail(name, "frame: %s", err.msg);
                bad++;
                continue;
            }
            int sq384 = p->layout == AVS_LAYOUT_VCT && (p->task != AVS_TASK_AVSS || ac->split != AVS_SPLIT_TRAIN);
            int small = p->layout == AVS_LAYOUT_AVSBENCH && p->task != AVS_TASK_AVSS; /* 224x224 */
            int64_t want_side = sq384 ? 384 : small ? 224 : c->H, fw = sq384 ? 384 : small ? 224 : c->W;
            if (fr.h != want_side || fr.w != fw) {
                tl_fail(name, "%s: %lldx%lld", ac->frame[t], (long long)fr.w, (long long)fr.h);
                bad++;
            }
            image_free(&fr);
            if (ac->maskige[t]) {
                if (avs_read_maskige(ac->maskige[t], &mk, &err) != VCT_STATUS_OK) {
                    tl_fail(name, "Maskige: %s", err.msg);
                    bad++;
                } else if (mks && p->task == AVS_TASK_AVSS && strstr(ac->maskige[t], "/frames/")) {
                    uint8_t *inst = malloc((size_t)mk.h * mk.w);
                    render_inst(c, t, (int)mk.w, (int)mk.h, inst);
                    maskige_stats(&mk, inst, c->n_obj, mks);
                    free(inst);
                }
                image_free(&mk);
            }
            if (!ac->mask[t]) continue;
            masks++;
            uint8_t got[AVS_NUM_CLASSES], want[AVS_NUM_CLASSES];
            vct_status st = p->task == AVS_TASK_AVSS ? avs_read_label_map(ac->mask[t], 1, &m, &err)
                                                     : avs_read_binary_mask(ac->mask[t], 0, &m, &err);
            if (st != VCT_STATUS_OK) {
                tl_fail(name, "mask: %s", err.msg);
                bad++;
                continue;
            }
            label_classes(&m, got);
            expected_classes(c, t, (int)m.w, (int)m.h, want);
            if (p->task != AVS_TASK_AVSS) { /* binary: exactly the heard objects' pixels */
                int64_t off = binary_mismatch(c, t, &m, p->layout == AVS_LAYOUT_AVSBENCH);
                if (off) {
                    tl_fail(name, "%s: %lld pixels differ from the heard objects' pixels", ac->mask[t], (long long)off);
                    bad++;
                }
                int any = 0;
                for (int k = 1; k < AVS_NUM_CLASSES; k++) any |= want[k];
                memset(want, 0, sizeof want);
                want[1] = (uint8_t)any;
            }
            for (int k = 1; k < AVS_NUM_CLASSES; k++)
                if (got[k] != want[k]) {
                    tl_fail(name, "%s: class %d %s, but the plan says it is %s", ac->mask[t], k,
                            got[k] ? "present" : "absent", want[k] ? "heard and visible" : "not");
                    bad++;
                    break;
                }
            if (p->task == AVS_TASK_AVSS) { /* the colour picture says the same */
                char rgb_path[1024];
                image_u8 col = {0};
                snprintf(rgb_path, sizeof rgb_path, "%s/%s/%s/labels_rgb/%d.png", root, c->subset, c->name, t);
                if (avs_read_colour_mask(rgb_path, 1, &col, &err) == VCT_STATUS_OK && col.h == c->H) {
                    image_u8 sem = {0};
                    snprintf(rgb_path, sizeof rgb_path, "%s/%s/%s/labels_semantic/%d.png", root, c->subset, c->name, t);
                    if (avs_read_index_mask(rgb_path, &sem, &err) != VCT_STATUS_OK ||
                        memcmp(sem.data, col.data, (size_t)(col.h * col.w)) != 0) {
                        tl_fail(name, "%s: labels_rgb and labels_semantic disagree", rgb_path);
                        bad++;
                    }
                    image_free(&sem);
                } else {
                    tl_fail(name, "labels_rgb: %s", err.msg);
                    bad++;
                }
                image_free(&col);
            }
            image_free(&m);
        }
        /* audio: the .pkl equals the front end on the WAV; heard seconds are loud */
        int64_t rows = p->task == AVS_TASK_AVSS ? 10 : 5, n_real = 0, got_rows = 0;
        float *wav_mel = NULL, *pkl_mel = NULL;
        if (avs_read_audio_examples(ac->audio_wav, p->task, ac->n_frames, &wav_mel, &n_real, &err) != VCT_STATUS_OK) {
            tl_fail(name, "wav: %s", err.msg);
            bad++;
        } else if (ac->audio_pkl && (ac->needs_pkl || p->layout == AVS_LAYOUT_VCT)) {
            if (avs_read_audio_pkl(ac->audio_pkl, rows, &pkl_mel, &got_rows, &err) != VCT_STATUS_OK) {
                tl_fail(name, "pkl: %s", err.msg);
                bad++;
            } else if (memcmp(pkl_mel, wav_mel, (size_t)rows * 96 * 64 * sizeof(float)) != 0) {
                tl_fail(name, "%s: log-mel differs from the WAV's", ac->audio_pkl);
                bad++;
            }
        }
        audio_pcm pcm;
        if (audio_decode(ac->audio_wav, &pcm, &err) == VCT_STATUS_OK) {
            tl_expect(pcm.sample_rate == 16000 && pcm.n == (int64_t)c->T * 16000, name, "%s: %d Hz, %lld samples",
                      ac->audio_wav, pcm.sample_rate, (long long)pcm.n);
            double floor_rms = 0;
            for (int t = 0; t < c->T; t++) {
                int heard = 0;
                for (int s = 0; s < c->n_snd; s++) heard |= c->snd[s].active[t];
                double e = 0;
                for (int64_t k = (int64_t)t * 16000; k < (int64_t)(t + 1) * 16000 && k < pcm.n; k++) e += pcm.samples[k] * pcm.samples[k];
                double rms = sqrt(e / 16000);
                if (!heard && rms > floor_rms) floor_rms = rms;
                if (heard && rms < 0.01) loud_ok = 0;
            }
            audio_pcm_free(&pcm);
        } else {
            tl_fail(name, "decode: %s", err.msg);
            bad++;
        }
        free(wav_mel);
        free(pkl_mel);
    }
    tl_expect(loud_ok, name, "a heard second is quieter than RMS 0.01");
    tl_expect(masks > 0, name, "no labelled frame");
    if (!bad) tl_pass(name);
    avs_dataset_free(&ds);
}

static int write_set(const char *dir, avs_task task, avs_layout layout, uint64_t seed, vct_error *err) {
    synth_params p = synth_default_params();
    p.task = task;
    p.layout = layout;
    p.clips = CLIPS;
    p.seed = seed;
    synth_stats st;
    return synth_write_dataset(dir, &p, &st, err) == VCT_STATUS_OK && st.clips == CLIPS && st.files > 0;
}

int main(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/vct_test_synth_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        printf("cannot make a temporary folder\n");
        return 1;
    }
    vct_error err = {0};
    char dir[512], dir2[512];
    mk_stats mks = {0};
    /* 1-3: every task and layout */
    for (int task = 0; task < 3; task++)
        for (int lay = AVS_LAYOUT_AVSBENCH; lay <= AVS_LAYOUT_VCT; lay++) {
            synth_params p = synth_default_params();
            p.task = (avs_task)task;
            p.layout = (avs_layout)lay;
            p.clips = CLIPS;
            p.seed = 7;
            snprintf(dir, sizeof dir, "%s/%s-%s", g_tmp, avs_task_name(p.task), avs_layout_name(p.layout));
            if (!tl_expect(write_set(dir, p.task, p.layout, 7, &err), dir, "write: %s", err.msg)) continue;
            check_set(dir, &p, task == AVS_TASK_AVSS && lay == AVS_LAYOUT_VCT ? &mks : NULL);
        }
    /* more Maskige frames: a bigger AVSS set, statistics only */
    {
        synth_params p = synth_default_params();
        p.task = AVS_TASK_AVSS;
        p.clips = 6;
        p.seed = 11;
        for (int i = 0; i < p.clips; i++) {
            synth_clip c;
            synth_plan_clip(&c, &p, i);
            for (int t = 0; t < c.T; t++) {
                image_u8 mk = {0};
                uint8_t *ids = malloc((size_t)c.W * c.H), *inst = malloc((size_t)c.W * c.H);
                if (image_alloc(&mk, c.H, c.W, 3, &err) != VCT_STATUS_OK || !ids || !inst ||
                    synth_maskige(ids, &c, t, c.W, c.H, &err) != VCT_STATUS_OK) {
                    tl_fail("Maskige", "%s", err.msg);
                    free(ids);
                    free(inst);
                    image_free(&mk);
                    continue;
                }
                render_inst(&c, t, c.W, c.H, inst);
                int max_id = 0;
                for (int64_t k = 0; k < (int64_t)c.W * c.H; k++) {
                    memcpy(mk.data + 3 * k, synth_ade_palette() + 3 * ids[k], 3);
                    if (ids[k] > max_id) max_id = ids[k];
                }
                if (max_id >= SYNTH_MAX_MASKIGE) tl_fail("Maskige ids", "id %d", max_id);
                maskige_stats(&mk, inst, c.n_obj, &mks);
                image_free(&mk);
                free(ids);
                free(inst);
            }
        }
    }
    printf("Maskige: %d frames, %d objects, %d split, %d merged segments\n", mks.frames, mks.objects, mks.split_objects,
           mks.merged_segments);
    tl_expect(mks.frames >= 20 && mks.split_objects >= 3 && mks.merged_segments >= 3 &&
                  mks.split_objects < mks.objects / 2,
              "Maskige noise", "over-/under-segmentation missing or overwhelming");
    /* 4. determinism */
    struct {
        avs_task task;
        avs_layout layout;
    } det[2] = {{AVS_TASK_AVSS, AVS_LAYOUT_VCT}, {AVS_TASK_MS3, AVS_LAYOUT_AVSBENCH}};
    for (int d = 0; d < 2; d++) {
        char nm[64];
        snprintf(nm, sizeof nm, "determinism %s/%s", avs_task_name(det[d].task), avs_layout_name(det[d].layout));
        snprintf(dir, sizeof dir, "%s/%s-%s", g_tmp, avs_task_name(det[d].task), avs_layout_name(det[d].layout));
        snprintf(dir2, sizeof dir2, "%s/again-%d", g_tmp, d);
#ifdef _OPENMP
        int nt = omp_get_max_threads();
        omp_set_num_threads(1);
#endif
        int ok = write_set(dir2, det[d].task, det[d].layout, 7, &err);
#ifdef _OPENMP
        omp_set_num_threads(nt);
#endif
        int nf = 0, diff = ok ? tree_diff(dir, dir2, &nf, 1) : -1;
        tl_expect(ok && diff == 0 && nf > 20, nm, "1 thread vs all: %d of %d files differ (%s)", diff, nf, err.msg);
        snprintf(dir2, sizeof dir2, "%s/seed8-%d", g_tmp, d);
        ok = write_set(dir2, det[d].task, det[d].layout, 8, &err);
        diff = ok ? tree_diff(dir, dir2, &nf, 0) : 0;
        tl_expect(ok && diff > 0, nm, "seed 8 gives the same files as seed 7");
    }
    /* 5. refusals */
    {
        synth_params p = synth_default_params();
        synth_stats st;
        p.clips = 2;
        snprintf(dir, sizeof dir, "%s/two", g_tmp);
        tl_expect(synth_write_dataset(dir, &p, &st, &err) == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "at least 3"),
                  "refuse 2 clips", "%s", err.msg);
        p.clips = 3;
        snprintf(dir, sizeof dir, "%s/s4-avsbench", g_tmp);
        flist before, after;
        list_files(dir, &before);
        tl_expect(synth_write_dataset(dir, &p, &st, &err) == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "not empty"),
                  "refuse a non-empty folder", "%s", err.msg);
        list_files(dir, &after);
        tl_expect(before.n == after.n, "refuse a non-empty folder", "files changed: %d -> %d", before.n, after.n);
        flist_free(&before);
        flist_free(&after);
    }
    rm_rf(g_tmp);
    return tl_summary("synth");
}
