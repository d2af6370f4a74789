/* avsbench.c: names, the AVSS palette and the image readers of avsbench.h.
 * The clip lists are in avsbench_layout.c, the audio readers in avsbench_audio.c. */
#include "data/avsbench.h"

#include <string.h>

static const char *const task_names[] = {"s4", "ms3", "avss"};
static const char *const layout_names[] = {"auto", "avsbench", "vct"};
static const char *const split_names[] = {"train", "val", "test"};

/* label2idx.json key order (design/avsbench.md §1.4) */
static const char *const class_names[AVS_NUM_CLASSES] = {
    "background", "accordion", "airplane", "axe", "baby", "bassoon", "bell", "bird", "boat", "boy",
    "bus", "car", "cat", "cello", "clarinet", "clipper", "clock", "dog", "donkey", "drum",
    "duck", "elephant", "emergency-car", "erhu", "flute", "frying-food", "girl", "goose", "guitar", "gun",
    "guzheng", "hair-dryer", "handpan", "harmonica", "harp", "helicopter", "hen", "horse", "keyboard", "leopard",
    "lion", "man", "marimba", "missile-rocket", "motorcycle", "mower", "parrot", "piano", "pig", "pipa",
    "saw", "saxophone", "sheep", "sitar", "sorna", "squirrel", "tabla", "tank", "tiger", "tractor",
    "train", "trombone", "truck", "trumpet", "tuba", "ukulele", "utv", "vacuum-cleaner", "violin", "wolf",
    "woman"};

/* VCT register_avss4_sem.py category_labels, label i + 1 at index i */
static const char *const s4_categories[AVS_S4_CATEGORIES] = {
    "helicopter", "mynah_bird_singing", "typing_on_computer_keyboard", "playing_violin",
    "playing_glockenspiel", "playing_piano", "lions_roaring", "baby_laughter", "male_speech",
    "lawn_mowing", "playing_ukulele", "playing_tabla", "driving_buses", "cap_gun_shooting",
    "chainsawing_trees", "playing_acoustic_guitar", "cat_meowing", "female_singing",
    "ambulance_siren", "dog_barking", "horse_clip-clop", "coyote_howling", "race_car"};

static int name_lookup(const char *const *names, int n, const char *s) {
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

const char *avs_task_name(avs_task t) { return (unsigned)t < 3 ? task_names[t] : "?"; }
const char *avs_layout_name(avs_layout l) { return (unsigned)l < 3 ? layout_names[l] : "?"; }
const char *avs_split_name(avs_split s) { return (unsigned)s < 3 ? split_names[s] : "?"; }

int avs_task_from_name(const char *s, avs_task *out) {
    int i = name_lookup(task_names, 3, s);
    if (i < 0 && s && strcmp(s, "ss") == 0) i = AVS_TASK_AVSS;
    if (i < 0) return -1;
    *out = (avs_task)i;
    return 0;
}

int avs_layout_from_name(const char *s, avs_layout *out) {
    int i = name_lookup(layout_names, 3, s);
    if (i < 0) return -1;
    *out = (avs_layout)i;
    return 0;
}

int avs_split_from_name(const char *s, avs_split *out) {
    int i = name_lookup(split_names, 3, s);
    if (i < 0) return -1;
    *out = (avs_split)i;
    return 0;
}

const char *avs_class_name(int c) { return c >= 0 && c < AVS_NUM_CLASSES ? class_names[c] : "?"; }
const char *avs_s4_category_name(int i) { return i >= 0 && i < AVS_S4_CATEGORIES ? s4_categories[i] : "?"; }

void avs_palette_colour(int c, uint8_t rgb[3]) {
    unsigned r = 0, g = 0, b = 0;
    for (int i = 0; c > 0; i++, c >>= 3) {
        r |= (unsigned)((c >> 0) & 1) << (7 - i);
        g |= (unsigned)((c >> 1) & 1) << (7 - i);
        b |= (unsigned)((c >> 2) & 1) << (7 - i);
    }
    rgb[0] = (uint8_t)r;
    rgb[1] = (uint8_t)g;
    rgb[2] = (uint8_t)b;
}

/* Classes below 128 use the top 3 bits of each channel only, so a palette colour
 * has its low 5 bits clear and de-interleaves back to its class. */
int avs_palette_class(const uint8_t rgb[3]) {
    if ((rgb[0] | rgb[1] | rgb[2]) & 0x1f) return -1;
    int c = 0;
    for (int i = 0; i < 3; i++) {
        c |= ((rgb[0] >> (7 - i)) & 1) << (3 * i);
        c |= ((rgb[1] >> (7 - i)) & 1) << (3 * i + 1);
        c |= ((rgb[2] >> (7 - i)) & 1) << (3 * i + 2);
    }
    return c < AVS_NUM_CLASSES ? c : -1;
}

/* ---- readers ------------------------------------------------------------------------- */

vct_status avs_read_frame(const char *path, image_u8 *out, vct_error *err) {
    return image_read_rgb(path, out, err);
}

vct_status avs_read_maskige(const char *path, image_u8 *out, vct_error *err) {
    return image_read_rgb(path, out, err);
}

/* Read a single-channel image, or (rgb_ok) an RGB one; *was_rgb says which. */
static vct_status read_one_or_rgb(const char *path, int rgb_ok, image_u8 *out, int *was_rgb, vct_error *err) {
    *was_rgb = 0;
    vct_status st = image_read_index(path, out, err);
    if (st != VCT_STATUS_UNSUPPORTED || !rgb_ok) return st;
    vct_error_clear(err);
    *was_rgb = 1;
    return image_read_rgb(path, out, err);
}

vct_status avs_read_binary_mask(const char *path, int allow_rgb, image_u8 *out, vct_error *err) {
    image_u8 im = {0};
    int was_rgb = 0;
    vct_status st = read_one_or_rgb(path, allow_rgb, &im, &was_rgb, err);
    if (st == VCT_STATUS_UNSUPPORTED)
        return vct_error_wrap(err, "binary mask (must be single-channel, values 0 and 255)");
    if (st != VCT_STATUS_OK) return st;
    int64_t n = im.h * im.w;
    if (was_rgb) { /* gray stored as RGB: equal channels, compacted in place */
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *p = im.data + 3 * i;
            if (p[0] != p[1] || p[1] != p[2]) {
                st = vct_fail(err, VCT_STATUS_FORMAT,
                              "%s: binary mask has colour (%u,%u,%u) at x=%lld y=%lld; expected black "
                              "(0) and white (255) only",
                              path, p[0], p[1], p[2], (long long)(i % im.w), (long long)(i / im.w));
                image_free(&im);
                return st;
            }
            im.data[i] = p[0];
        }
        im.c = 1;
    }
    for (int64_t i = 0; i < n; i++) {
        uint8_t v = im.data[i];
        if (v != 0 && v != 255) {
            st = vct_fail(err, VCT_STATUS_FORMAT,
                          "%s: binary mask value %u at x=%lld y=%lld; the official loaders need 0 "
                          "(background) and 255 (sounding object) only",
                          path, v, (long long)(i % im.w), (long long)(i / im.w));
            image_free(&im);
            return st;
        }
        im.data[i] = v ? 1 : 0;
    }
    *out = im;
    return VCT_STATUS_OK;
}

vct_status avs_read_colour_mask(const char *path, int strict, image_u8 *out, vct_error *err) {
    image_u8 im = {0};
    VCT_TRY(image_read_rgb(path, &im, err));
    int64_t n = im.h * im.w;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = im.data + 3 * i;
        int c = avs_palette_class(p);
        if (c < 0) {
            if (strict) {
                vct_status st = vct_fail(err, VCT_STATUS_FORMAT,
                                         "%s: colour (%u,%u,%u) at x=%lld y=%lld is not one of the 71 AVSS "
                                         "palette colours",
                                         path, p[0], p[1], p[2], (long long)(i % im.w), (long long)(i / im.w));
                image_free(&im);
                return st;
            }
            c = 0;
        }
        im.data[i] = (uint8_t)c; /* i <= 3i: compaction never overwrites unread pixels */
    }
    im.c = 1;
    *out = im;
    return VCT_STATUS_OK;
}

vct_status avs_read_index_mask(const char *path, image_u8 *out, vct_error *err) {
    image_u8 im = {0};
    vct_status st = image_read_index(path, &im, err);
    if (st == VCT_STATUS_UNSUPPORTED) return vct_error_wrap(err, "class-id mask");
    if (st != VCT_STATUS_OK) return st;
    int64_t n = im.h * im.w;
    for (int64_t i = 0; i < n; i++)
        if (im.data[i] >= AVS_NUM_CLASSES) {
            st = vct_fail(err, VCT_STATUS_FORMAT,
                          "%s: class id %u at x=%lld y=%lld; AVSS ids are 0..%d", path, im.data[i],
                          (long long)(i % im.w), (long long)(i / im.w), AVS_NUM_CLASSES - 1);
            image_free(&im);
            return st;
        }
    *out = im;
    return VCT_STATUS_OK;
}

vct_status avs_read_label_map(const char *path, int strict, image_u8 *out, vct_error *err) {
    vct_status st = avs_read_index_mask(path, out, err);
    if (st != VCT_STATUS_UNSUPPORTED) return st;
    vct_error_clear(err);
    return avs_read_colour_mask(path, strict, out, err);
}
