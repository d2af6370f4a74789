/* test_avsbench.c: the AVSBench readers against the OFFICIAL loaders.
 *
 * tests/ref/gen_avsbench.py laid out a fake data set (S4, MS3, AVSS) and ran the
 * official AVSBench Dataset classes and VCT's register_* listing functions over
 * it, recording every file they open. This test rebuilds that tree, opens it with
 * avs_dataset_open in both layouts and compares, split by split and clip by clip,
 * the frames, masks, Maskiges and audio files vct names. It also compares the
 * decoding of colour, binary and id masks with color_mask_to_label, convert('1'),
 * convert('P') + ToTensor and VCT's // 255, the 71-colour palette with
 * get_v2_pallete, reads the pickled log-mel tensor, and checks avs_check on a
 * small valid data set and on each kind of damage (missing mask, mask of another
 * size, corrupt PNG, off-palette colour, truncated WAV, empty split).
 *
 * `test_avsbench --make-fixture DIR` only writes that small valid data set (AVSS
 * and S4, published layout) for tests/cli/test_data.sh and test_eval.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/avsbench.h"
#include "io/fs.h"
#include "io/image.h"
#include "testlib.h"

static const char *const TASK_DIR[3] = {"Single-source", "Multi-sources", "AVSBench_semantic"};

/* ---- files ------------------------------------------------------------------------- */

static int write_file(const char *path, const void *data, size_t n) {
    fs_mkdirs_parent(path, NULL); /* a failure shows when the file is opened */
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    return fclose(f) == 0 && w == n;
}

static char *ref_text(const tensor_dict *ref, const char *name) {
    const tensor *t = tl_ref_tensor(ref, name);
    if (!t) return NULL;
    int64_t n = tensor_numel(t);
    char *s = malloc((size_t)n + 1);
    memcpy(s, t->data, (size_t)n);
    s[n] = '\0';
    return s;
}

/* ---- 1. paths ------------------------------------------------------------------------ */

static void append(char **buf, size_t *len, size_t *cap, const char *a, const char *b) {
    size_t need = strlen(a) + strlen(b) + 2;
    if (*len + need + 1 > *cap) {
        *cap = (*cap + need) * 2;
        *buf = realloc(*buf, *cap);
    }
    *len += (size_t)sprintf(*buf + *len, "%s%s\n", a, b);
}

static const char *relp(const char *root, const char *p) {
    size_t n = strlen(root);
    return strncmp(p, root, n) == 0 && p[n] == '/' ? p + n + 1 : p;
}

static void check_paths(const tensor_dict *ref) {
    char *files = ref_text(ref, "tree_files");
    if (!files) return;
    char tmp[] = "/tmp/vct_test_avsbench_XXXXXX";
    if (!mkdtemp(tmp)) {
        tl_fail("paths", "mkdtemp");
        free(files);
        return;
    }
    int made = 0;
    for (char *line = strtok(files, "\n"); line; line = strtok(NULL, "\n")) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", tmp, line);
        made += write_file(path, "", 0);
    }
    /* the CSVs and label list with their text */
    static const char *const texts[4][2] = {
        {"text_Single_source_s4_meta_data_csv", "Single-source/s4_meta_data.csv"},
        {"text_Multi_sources_ms3_meta_data_csv", "Multi-sources/ms3_meta_data.csv"},
        {"text_AVSBench_semantic_metadata_csv", "AVSBench_semantic/metadata.csv"},
        {"text_AVSBench_semantic_label2idx_json", "AVSBench_semantic/label2idx.json"}};
    for (int i = 0; i < 4; i++) {
        char *t = ref_text(ref, texts[i][0]), path[4096];
        snprintf(path, sizeof path, "%s/%s", tmp, texts[i][1]);
        if (t) write_file(path, t, strlen(t));
        free(t);
    }
    tl_expect(made > 100, "fake tree", "only %d files made", made);
    for (int task = 0; task < 3; task++)
        for (int lay = AVS_LAYOUT_AVSBENCH; lay <= AVS_LAYOUT_VCT; lay++) {
            char root[4096];
            snprintf(root, sizeof root, "%s/%s", tmp, TASK_DIR[task]);
            avs_dataset ds;
            vct_error err = {0};
            char name[128];
            snprintf(name, sizeof name, "paths %s %s", avs_task_name((avs_task)task), avs_layout_name((avs_layout)lay));
            if (avs_dataset_open(&ds, root, (avs_task)task, (avs_layout)lay, &err) != VCT_STATUS_OK) {
                tl_fail(name, "%s", err.msg);
                continue;
            }
            for (int s = 0; s < AVS_SPLIT_COUNT; s++) {
                char key[128], *want;
                snprintf(key, sizeof key, "paths_%s_%s_%s", avs_task_name((avs_task)task),
                         avs_layout_name((avs_layout)lay), avs_split_name((avs_split)s));
                if (!(want = ref_text(ref, key))) continue;
                char *got = NULL;
                size_t len = 0, cap = 0;
                append(&got, &len, &cap, "", "");
                len = 0;
                got[0] = '\0';
                for (int64_t i = 0; i < ds.n_clips; i++) {
                    const avs_clip *c = &ds.clips[i];
                    if (c->split != (avs_split)s) continue;
                    for (int t = 0; t < c->n_frames; t++) append(&got, &len, &cap, "F ", relp(ds.root, c->frame[t]));
                    for (int t = 0; t < c->n_frames; t++)
                        if (c->labelled[t]) append(&got, &len, &cap, "M ", relp(ds.root, c->mask[t]));
                    if (c->needs_maskige)
                        for (int t = 0; t < c->n_frames; t++) append(&got, &len, &cap, "P ", relp(ds.root, c->maskige[t]));
                    append(&got, &len, &cap, "A ", relp(ds.root, c->needs_pkl ? c->audio_pkl : c->audio_wav));
                    append(&got, &len, &cap, "--", "");
                }
                char nm[200];
                snprintf(nm, sizeof nm, "%s %s: files as the official loader reads them", name,
                         avs_split_name((avs_split)s));
                if (strcmp(got, want) == 0) {
                    tl_pass(nm);
                } else {
                    size_t k = 0;
                    while (got[k] && got[k] == want[k]) k++;
                    size_t b = k > 80 ? k - 80 : 0;
                    tl_fail(nm, "first difference at byte %zu:\n  vct:      ...%.160s\n  official: ...%.160s", k,
                            got + b, want + b);
                }
                free(got);
                free(want);
            }
            avs_dataset_free(&ds);
        }
    fs_remove_tree(tmp, NULL);
    free(files);
}

/* ---- 2. decoding ------------------------------------------------------------------------ */

static int same_u8_f32(const image_u8 *im, const tensor *want, int64_t *bad_at) {
    int64_t n = tensor_numel(want);
    if (im->h * im->w * im->c != n) {
        *bad_at = -1;
        return 0;
    }
    for (int64_t i = 0; i < n; i++)
        if ((double)im->data[i] != dtype_get_f64(want->data, want->dtype, i)) {
            *bad_at = i;
            return 0;
        }
    return 1;
}

static void expect_same(const char *name, const image_u8 *im, const tensor *want) {
    int64_t at = 0;
    if (!want) return;
    if (same_u8_f32(im, want, &at)) tl_pass(name);
    else if (at < 0) tl_fail(name, "vct %lldx%lldx%lld, official %lld values", (long long)im->h, (long long)im->w,
                             (long long)im->c, (long long)tensor_numel(want));
    else tl_fail(name, "pixel %lld: vct %u, official %g", (long long)at, im->data[at],
                 dtype_get_f64(want->data, want->dtype, at));
}

static void expect_error(const char *name, vct_status st, const vct_error *e, const char *must1, const char *must2) {
    tl_expect(st != VCT_STATUS_OK && strstr(e->msg, must1) && (!must2 || strstr(e->msg, must2)), name,
              "status %d, message '%s' (must name '%s'%s%s)", (int)st, e->msg, must1, must2 ? " and " : "",
              must2 ? must2 : "");
}

static void check_decoding(const tensor_dict *ref) {
    const tensor *pal = tl_ref_tensor(ref, "palette");
    if (pal) {
        int bad = 0;
        for (int c = 0; c < AVS_NUM_CLASSES; c++) {
            uint8_t rgb[3];
            avs_palette_colour(c, rgb);
            for (int k = 0; k < 3; k++) bad += rgb[k] != ((const int64_t *)pal->data)[3 * c + k];
            bad += avs_palette_class(rgb) != c;
        }
        tl_expect(bad == 0, "palette = get_v2_pallete (71 colours) and back", "%d mismatches", bad);
    }
    image_u8 im = {0};
    vct_error e = {0};
    const char *D = "tests/data/avsbench/";
    char p[512];
    snprintf(p, sizeof p, "%scolour_ok_13x17.png", D);
    if (avs_read_colour_mask(p, 1, &im, &e) == VCT_STATUS_OK) expect_same("colour mask = color_mask_to_label", &im,
                                                                           tl_ref_tensor(ref, "labels_colour_ok_13x17"));
    else tl_fail("colour mask", "%s", e.msg);
    image_free(&im);
    snprintf(p, sizeof p, "%scolour_off_palette_13x17.png", D);
    vct_status st = avs_read_colour_mask(p, 1, &im, &e);
    expect_error("off-palette colour: error naming the file and colour", st, &e, "colour_off_palette_13x17.png",
                 "(1,2,3)");
    image_free(&im);
    if (avs_read_colour_mask(p, 0, &im, &e) == VCT_STATUS_OK)
        expect_same("off-palette colour, lenient = color_mask_to_label (class 0)", &im,
                    tl_ref_tensor(ref, "labels_colour_off_palette_13x17"));
    else tl_fail("lenient colour mask", "%s", e.msg);
    image_free(&im);
    snprintf(p, sizeof p, "%sids_13x17.png", D);
    if (avs_read_label_map(p, 1, &im, &e) == VCT_STATUS_OK) expect_same("id mask = np.array(Image.open)", &im,
                                                                         tl_ref_tensor(ref, "ids_13x17"));
    else tl_fail("id mask", "%s", e.msg);
    image_free(&im);
    snprintf(p, sizeof p, "%sbinary_L_11x14.png", D);
    if (avs_read_binary_mask(p, 0, &im, &e) == VCT_STATUS_OK) {
        expect_same("binary L mask = S4 convert('1') + ToTensor", &im, tl_ref_tensor(ref, "s4_binary_L_11x14"));
        expect_same("binary L mask = MS3 convert('P') + ToTensor", &im, tl_ref_tensor(ref, "ms3_binary_L_11x14"));
        expect_same("binary L mask = VCT // 255", &im, tl_ref_tensor(ref, "vct_binary_L_11x14"));
    } else {
        tl_fail("binary mask", "%s", e.msg);
    }
    image_free(&im);
    snprintf(p, sizeof p, "%sbinary_RGB_11x14.png", D);
    if (avs_read_binary_mask(p, 1, &im, &e) == VCT_STATUS_OK)
        expect_same("binary RGB mask (allowed) = S4 convert('1')", &im, tl_ref_tensor(ref, "s4_binary_RGB_11x14"));
    else tl_fail("binary RGB mask", "%s", e.msg);
    image_free(&im);
    st = avs_read_binary_mask(p, 0, &im, &e);
    expect_error("binary RGB mask where the loader needs one channel: error", st, &e, "binary_RGB_11x14.png", NULL);
    image_free(&im);
    snprintf(p, sizeof p, "%sbinary_P01_11x14.png", D);
    st = avs_read_binary_mask(p, 0, &im, &e);
    expect_error("palette mask with indices 0/1: error (MS3 and VCT would read 1/255 and 0)", st, &e,
                 "binary_P01_11x14.png", "value 1");
    image_free(&im);
    snprintf(p, sizeof p, "%sbinary_gray17_11x14.png", D);
    st = avs_read_binary_mask(p, 0, &im, &e);
    expect_error("gray value 17 in a binary mask: error naming it", st, &e, "binary_gray17_11x14.png", "value 17");
    image_free(&im);

    /* log-mel pickles */
    int64_t n = 0;
    const float *want = tl_ref_f32(ref, "logmel", &n);
    static const char *const pk[2] = {"logmel_torchsave.pkl", "logmel_pickle.pkl"};
    for (int i = 0; i < 2 && want; i++) {
        float *lm = NULL;
        int64_t rows = 0;
        snprintf(p, sizeof p, "%s%s", D, pk[i]);
        char nm[128];
        snprintf(nm, sizeof nm, "log-mel %s", pk[i]);
        st = avs_read_audio_pkl(p, 1, &lm, &rows, &e);
        if (st == VCT_STATUS_OK) {
            tl_expect(rows == 1, nm, "rows %lld", (long long)rows);
            if (rows == 1) tl_check_close(nm, lm, want, n, 0, 0);
        } else {
            tl_fail(nm, "%s", e.msg);
        }
        free(lm);
        if (st == VCT_STATUS_OK) {
            st = avs_read_audio_pkl(p, 5, &lm, &rows, &e);
            expect_error("log-mel with the wrong row count: error", st, &e, pk[i], "rows");
            free(lm);
        }
    }
}

/* ---- 3. a small valid data set, and damage ------------------------------------------------ */

static int write_wav(const char *path, int64_t n, int rate, int claim_extra) {
    size_t bytes = (size_t)n * 2;
    unsigned char *b = calloc(44 + bytes, 1);
    uint32_t data = (uint32_t)bytes + (uint32_t)claim_extra;
    memcpy(b, "RIFF", 4);
    uint32_t riff = 36 + data;
    for (int k = 0; k < 4; k++) b[4 + k] = (unsigned char)(riff >> (8 * k));
    memcpy(b + 8, "WAVEfmt ", 8);
    b[16] = 16;
    b[20] = 1;
    b[22] = 1;
    for (int k = 0; k < 4; k++) b[24 + k] = (unsigned char)((unsigned)rate >> (8 * k));
    uint32_t br = (uint32_t)rate * 2;
    for (int k = 0; k < 4; k++) b[28 + k] = (unsigned char)(br >> (8 * k));
    b[32] = 2;
    b[34] = 16;
    memcpy(b + 36, "data", 4);
    for (int k = 0; k < 4; k++) b[40 + k] = (unsigned char)(data >> (8 * k));
    for (int64_t i = 0; i < n; i++) { /* a 440 Hz tone with a little noise */
        double v = 8000.0 * sin(2 * 3.14159265358979323846 * 440.0 * (double)i / rate) + (double)((i * 7919) % 61) - 30;
        int16_t s = (int16_t)lrint(v);
        b[44 + 2 * i] = (unsigned char)(s & 0xff);
        b[45 + 2 * i] = (unsigned char)((uint16_t)s >> 8);
    }
    int ok = write_file(path, b, 44 + bytes);
    free(b);
    return ok;
}

static int write_png_file(const char *path, const uint8_t *px, int64_t h, int64_t w, int c) {
    fs_mkdirs_parent(path, NULL); /* a failure shows when the file is opened */
    image_u8 im = {(uint8_t *)px, h, w, c};
    vct_error e = {0};
    return image_write_png(path, &im, NULL, 0, &e) == VCT_STATUS_OK;
}

/* AVSS: 3 clips (train v1s, val v1m, test v2) of 24x32 frames (PNG bytes in .jpg
 * names: the readers go by content), colour masks with two classes, 16 kHz WAVs.
 * S4: 1 clip per split, 0/255 masks (no .pkl: use --quick or eval on its masks). */
static int make_fixture(const char *dir) {
    enum { H = 24, W = 32 };
    uint8_t rgb[H * W * 3], lab[H * W * 3], bin[H * W];
    char p[4096];
    int ok = 1;
    static const struct {
        const char *split, *label, *uid;
        int T;
    } clips[3] = {{"train", "v1s", "clipA_0_5000", 5}, {"val", "v1m", "clipB_0_5000", 5}, {"test", "v2", "clipC_0_10000", 10}};
    snprintf(p, sizeof p, "%s/AVSBench_semantic/metadata.csv", dir);
    char csv[1024] = "vid,uid,s_min,s_sec,a_obj,split,label\n";
    for (int i = 0; i < 3; i++)
        snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "vid%d,%s,0,0,dog,%s,%s\n", i, clips[i].uid,
                 clips[i].split, clips[i].label);
    ok &= write_file(p, csv, strlen(csv));
    char js[4096] = "{";
    for (int c = 0; c < AVS_NUM_CLASSES; c++)
        snprintf(js + strlen(js), sizeof js - strlen(js), "%s\"%s\": %d", c ? ", " : "", avs_class_name(c), c + 1);
    strcat(js, "}\n");
    snprintf(p, sizeof p, "%s/AVSBench_semantic/label2idx.json", dir);
    ok &= write_file(p, js, strlen(js));
    for (int i = 0; i < 3; i++) {
        for (int t = 0; t < clips[i].T; t++) {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    uint8_t *q = rgb + 3 * (y * W + x);
                    q[0] = (uint8_t)(x * 8);
                    q[1] = (uint8_t)(y * 10);
                    q[2] = (uint8_t)(40 * t);
                    int c = (x >= 4 + t && x < 14 + t && y >= 5 && y < 15) ? 17 : (x > 22 && y > 16) ? 41 : 0;
                    avs_palette_colour(c, lab + 3 * (y * W + x));
                }
            snprintf(p, sizeof p, "%s/AVSBench_semantic/%s/%s/frames/%d.jpg", dir, clips[i].label, clips[i].uid, t);
            ok &= write_png_file(p, rgb, H, W, 3);
            if (!strcmp(clips[i].label, "v1s") && !strcmp(clips[i].split, "train") && t > 0) continue;
            snprintf(p, sizeof p, "%s/AVSBench_semantic/%s/%s/labels_rgb/%d.png", dir, clips[i].label, clips[i].uid, t);
            ok &= write_png_file(p, lab, H, W, 3);
        }
        snprintf(p, sizeof p, "%s/AVSBench_semantic/%s/%s/audio.wav", dir, clips[i].label, clips[i].uid);
        ok &= write_wav(p, clips[i].T == 10 ? 160000 : 80000, 16000, 0);
    }
    /* S4 */
    static const char *const sp[3] = {"train", "val", "test"};
    char s4csv[512] = "name,start_time,category,split\n";
    for (int i = 0; i < 3; i++) {
        const char *cat = i == 1 ? "dog_barking" : "helicopter";
        char name[32];
        snprintf(name, sizeof name, "s4clip%d", i);
        snprintf(s4csv + strlen(s4csv), sizeof s4csv - strlen(s4csv), "%s,0,%s,%s\n", name, cat, sp[i]);
        for (int k = 1; k <= 5; k++) {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) bin[y * W + x] = (x >= 3 * k && x < 3 * k + 12 && y >= 4 && y < 18) ? 255 : 0;
            snprintf(p, sizeof p, "%s/Single-source/s4_data/visual_frames/%s/%s/%s/%s_%d.png", dir, sp[i], cat, name,
                     name, k);
            ok &= write_png_file(p, rgb, H, W, 3);
            if (i == 0 && k > 1) continue;
            snprintf(p, sizeof p, "%s/Single-source/s4_data/gt_masks/%s/%s/%s/%s_%d.png", dir, sp[i], cat, name, name, k);
            ok &= write_png_file(p, bin, H, W, 1);
        }
        snprintf(p, sizeof p, "%s/Single-source/s4_data/audio_wav/%s/%s/%s.wav", dir, sp[i], cat, name);
        ok &= write_wav(p, 80000, 16000, 0);
        snprintf(p, sizeof p, "%s/Single-source/s4_data/audio_log_mel/%s/%s/%s.pkl", dir, sp[i], cat, name);
        ok &= write_file(p, "", 0); /* present for --quick; unreadable on purpose */
    }
    snprintf(p, sizeof p, "%s/Single-source/s4_meta_data.csv", dir);
    ok &= write_file(p, s4csv, strlen(s4csv));
    return ok;
}

typedef struct plist {
    char all[16384];
    int n;
} plist;

static void collect(void *user, const char *msg) {
    plist *P = user;
    size_t l = strlen(P->all);
    snprintf(P->all + l, sizeof P->all - l, "%s\n", msg);
    P->n++;
}

static int run_check(const char *root, avs_task task, int quick, plist *P) {
    memset(P, 0, sizeof *P);
    avs_dataset ds;
    vct_error e = {0};
    if (avs_dataset_open(&ds, root, task, AVS_LAYOUT_AUTO, &e) != VCT_STATUS_OK) {
        collect(P, e.msg);
        return -1;
    }
    avs_check_params prm = avs_check_default_params();
    prm.quick = quick;
    avs_check_counts counts[AVS_SPLIT_COUNT];
    int64_t n = 0;
    vct_status st = avs_check(&ds, &prm, counts, &n, collect, P, &e);
    avs_dataset_free(&ds);
    return st == VCT_STATUS_OK ? (int)n : -1;
}

static void damage_case(const char *name, const char *root, const char *must1, const char *must2) {
    plist P;
    int n = run_check(root, AVS_TASK_AVSS, 0, &P);
    tl_expect(n >= 1 && strstr(P.all, must1) && (!must2 || strstr(P.all, must2)), name,
              "%d problems; want one naming '%s'%s%s:\n%s", n, must1, must2 ? " and " : "", must2 ? must2 : "", P.all);
}

static void check_datasets(void) {
    char tmp[] = "/tmp/vct_test_avsds_XXXXXX";
    if (!mkdtemp(tmp)) return;
    if (!make_fixture(tmp)) {
        tl_fail("fixture", "could not write the small data set");
        fs_remove_tree(tmp, NULL);
        return;
    }
    char root[4200], p[4400];
    snprintf(root, sizeof root, "%s/AVSBench_semantic", tmp);
    plist P;
    int n = run_check(root, AVS_TASK_AVSS, 0, &P);
    tl_expect(n == 0, "valid AVSS data set: no problem", "%d problems:\n%s", n, P.all);
    snprintf(p, sizeof p, "%s/Single-source", tmp);
    n = run_check(p, AVS_TASK_S4, 1, &P);
    tl_expect(n == 0, "valid S4 data set (--quick): no problem", "%d problems:\n%s", n, P.all);
    n = run_check(p, AVS_TASK_S4, 0, &P);
    tl_expect(n == 3 && strstr(P.all, "s4clip0.pkl"), "S4 empty .pkl files: one problem each", "%d:\n%s", n, P.all);

    /* damage, one at a time */
    char victim[4400], keep[4500];
    snprintf(victim, sizeof victim, "%s/v1m/clipB_0_5000/labels_rgb/3.png", root);
    snprintf(keep, sizeof keep, "%s.keep", victim);
    rename(victim, keep);
    damage_case("missing mask", root, "clipB_0_5000/labels_rgb/3.png", "missing");
    rename(keep, victim);
    {
        uint8_t small[10 * 12 * 3] = {0};
        rename(victim, keep);
        write_png_file(victim, small, 10, 12, 3);
        damage_case("mask of another size", root, "clipB_0_5000/labels_rgb/3.png", "10x12");
        rename(keep, victim);
    }
    {
        FILE *f = fopen(victim, "rb");
        unsigned char buf[64];
        size_t got = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        rename(victim, keep);
        write_file(victim, buf, got / 2);
        damage_case("corrupt PNG", root, "clipB_0_5000/labels_rgb/3.png", NULL);
        rename(keep, victim);
    }
    {
        image_u8 im = {0};
        vct_error e = {0};
        if (image_read_rgb(victim, &im, &e) == VCT_STATUS_OK) {
            im.data[3 * 50 + 0] = 1;
            im.data[3 * 50 + 1] = 2;
            im.data[3 * 50 + 2] = 3;
            rename(victim, keep);
            write_png_file(victim, im.data, im.h, im.w, 3);
            damage_case("wrong palette colour", root, "clipB_0_5000/labels_rgb/3.png", "(1,2,3)");
            rename(keep, victim);
        }
        image_free(&im);
    }
    snprintf(victim, sizeof victim, "%s/v2/clipC_0_10000/audio.wav", root);
    snprintf(keep, sizeof keep, "%s.keep", victim);
    rename(victim, keep);
    write_wav(victim, 40000, 16000, 240000); /* header claims 10 s, file holds 2.5 s */
    damage_case("truncated wav", root, "clipC_0_10000/audio.wav", "truncated");
    write_wav(victim, 40000, 16000, 0); /* complete but too short for 10 frames */
    damage_case("short wav", root, "clipC_0_10000/audio.wav", "needs 10");
    rename(keep, victim);
    snprintf(p, sizeof p, "%.4300s/metadata.csv", root);
    snprintf(keep, sizeof keep, "%s.keep", p);
    rename(p, keep);
    const char *csv = "vid,uid,s_min,s_sec,a_obj,split,label\nvid0,clipA_0_5000,0,0,dog,train,v1s\n"
                      "vid1,clipB_0_5000,0,0,dog,val,v1m\n";
    write_file(p, csv, strlen(csv));
    damage_case("empty split", root, "split 'test' is empty", "metadata.csv");
    rename(keep, p);
    n = run_check(root, AVS_TASK_AVSS, 0, &P);
    tl_expect(n == 0, "restored data set: no problem", "%d problems:\n%s", n, P.all);
    fs_remove_tree(tmp, NULL);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--make-fixture") == 0) {
        if (!make_fixture(argv[2])) {
            fprintf(stderr, "test_avsbench: cannot write the fixture under %s\n", argv[2]);
            return 1;
        }
        return 0;
    }
    tensor_dict ref;
    if (tl_ref_open("avsbench", &ref) == 0) {
        check_paths(&ref);
        check_decoding(&ref);
        tensor_dict_free(&ref);
    }
    check_datasets();
    return tl_summary("avsbench");
}
