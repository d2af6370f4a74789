/* test_image.c: PNG/JPEG decoding against PIL (Image.open(p).convert('RGB') and the raw
 * single-channel view), refusal of broken files, PNG writing round trips, and pixel
 * normalisation against torch. Reference: tests/ref/gen_images.py. Bit-exact everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/image.h"
#include "io/pixels.h"
#include "image_check.h"
#include "testlib.h"

#define IMG_DIR "tests/data/images/"

/* split a comma-separated metadata list in place; returns the count */
static int split_list(char *s, char **items, int cap) {
    int n = 0;
    for (char *p = strtok(s, ","); p && n < cap; p = strtok(NULL, ",")) items[n++] = p;
    return n;
}

static char *meta_dup(const tensor_dict *d, const char *key) {
    const char *v = tensor_dict_get_meta(d, key);
    if (!v) {
        tl_fail(key, "metadata missing in images_decode (run `make ref`)");
        return NULL;
    }
    return strdup(v);
}

static void test_decode(void) {
    tensor_dict d;
    if (tl_ref_open("images_decode", &d) != 0) return;
    const char *sv = tensor_dict_get_meta(&d, "stride");
    int64_t stride = sv ? atoll(sv) : 7;
    char *files = meta_dup(&d, "files"), *idx = meta_dup(&d, "index_files"),
         *fails = meta_dup(&d, "fail_files");
    char *items[256];
    char path[512], key[512];
    if (files) {
        int n = split_list(files, items, 256);
        tl_expect(n >= 30, "decode: file list", "only %d files listed", n);
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, IMG_DIR "%s", items[i]);
            snprintf(key, sizeof key, "rgb/%s", items[i]);
            image_u8 im;
            vct_error err = {0};
            if (image_read_rgb(path, &im, &err) != VCT_STATUS_OK) {
                tl_fail(key, "decode failed: %s", err.msg);
                continue;
            }
            tl_check_image_ref(&d, key, &im, stride);
            /* the in-memory decoder gives the same pixels */
            if (i == 0 || strstr(items[i], ".jpg")) {
                FILE *f = fopen(path, "rb");
                static uint8_t buf[1 << 20];
                size_t m = f ? fread(buf, 1, sizeof buf, f) : 0;
                if (f) fclose(f);
                image_u8 im2;
                if (image_decode_rgb(buf, m, path, &im2, &err) == VCT_STATUS_OK) {
                    tl_expect(im2.h == im.h && im2.w == im.w &&
                                  memcmp(im2.data, im.data, (size_t)(im.h * im.w * 3)) == 0,
                              path, "image_decode_rgb differs from image_read_rgb");
                    image_free(&im2);
                } else {
                    tl_fail(path, "image_decode_rgb failed: %s", err.msg);
                }
            }
            image_free(&im);
        }
    }
    if (idx) {
        int n = split_list(idx, items, 256);
        tl_expect(n >= 5, "decode: index file list", "only %d single-channel files listed", n);
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, IMG_DIR "%s", items[i]);
            snprintf(key, sizeof key, "index/%s", items[i]);
            image_u8 im;
            vct_error err = {0};
            if (image_read_index(path, &im, &err) != VCT_STATUS_OK) {
                tl_fail(key, "decode failed: %s", err.msg);
                continue;
            }
            tl_check_image_ref(&d, key, &im, stride);
            image_free(&im);
        }
    }
    if (fails) {
        int n = split_list(fails, items, 256);
        tl_expect(n >= 3, "decode: refused-file list", "only %d files listed", n);
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, IMG_DIR "%s", items[i]);
            image_u8 im = {0};
            vct_error err = {0};
            vct_status st = image_read_rgb(path, &im, &err);
            tl_expect(st != VCT_STATUS_OK && strstr(err.msg, path) != NULL && im.data == NULL, path,
                      "PIL refuses this file; we returned status %d, message '%s'", (int)st, err.msg);
            if (st == VCT_STATUS_OK) image_free(&im);
            else printf("  (message: %s)\n", err.msg);
        }
    }
    free(files);
    free(idx);
    free(fails);
    tensor_dict_free(&d);
}

static void test_refusals(void) {
    image_u8 im = {0};
    vct_error err = {0};
    const char *missing = IMG_DIR "no_such_file.png";
    vct_status st = image_read_rgb(missing, &im, &err);
    tl_expect(st == VCT_STATUS_IO && strstr(err.msg, missing), "missing file", "status %d, '%s'", (int)st,
              err.msg);
    const char *rgb = IMG_DIR "noise_rgb_71x30.png";
    st = image_read_index(rgb, &im, &err);
    tl_expect(st == VCT_STATUS_UNSUPPORTED && strstr(err.msg, rgb), "index view of an RGB PNG",
              "status %d, '%s'", (int)st, err.msg);
    const char *jpg = IMG_DIR "q75_s2_224x224.jpg";
    st = image_read_index(jpg, &im, &err);
    tl_expect(st == VCT_STATUS_UNSUPPORTED && strstr(err.msg, jpg), "index view of a colour JPEG",
              "status %d, '%s'", (int)st, err.msg);
    const char *g16 = IMG_DIR "gray16_10x6.png";
    st = image_read_index(g16, &im, &err);
    tl_expect(st == VCT_STATUS_UNSUPPORTED, "index view of a 16-bit gray PNG", "status %d, '%s'",
              (int)st, err.msg);
}

static void tmp_path(char *buf, size_t cap, const char *tag) {
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/vct_test_image_%ld_%s.png", dir && *dir ? dir : "/tmp", (long)getpid(), tag);
}

static int file_exists(const char *p) {
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static void test_write(void) {
    vct_error err = {0};
    char p[512], tmp[600];
    /* RGB round trip, odd size */
    image_u8 a, b;
    if (image_alloc(&a, 13, 7, 3, &err) != VCT_STATUS_OK) {
        tl_fail("write: alloc", "%s", err.msg);
        return;
    }
    for (int64_t i = 0; i < 13 * 7 * 3; i++) a.data[i] = (uint8_t)(i * 37 + 11);
    tmp_path(p, sizeof p, "rgb");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    vct_status st = image_write_png(p, &a, NULL, 0, &err);
    if (tl_expect(st == VCT_STATUS_OK, "write: RGB PNG", "%s", err.msg)) {
        tl_expect(!file_exists(tmp), "write: no .tmp left behind", "%s exists", tmp);
        st = image_read_rgb(p, &b, &err);
        tl_expect(st == VCT_STATUS_OK && b.h == 13 && b.w == 7 && memcmp(a.data, b.data, 13 * 7 * 3) == 0,
                  "write: RGB round trip", "%s", st ? err.msg : "pixels differ");
        if (st == VCT_STATUS_OK) image_free(&b);
    }
    remove(p);
    image_free(&a);

    /* palette (indexed) round trip: indices and colours */
    static const uint8_t pal[5 * 3] = {120, 120, 120, 180, 120, 120, 6, 230, 230, 80, 50, 50, 4, 200, 3};
    image_alloc(&a, 9, 11, 1, &err);
    for (int64_t i = 0; i < 99; i++) a.data[i] = (uint8_t)((i * 7) % 5);
    tmp_path(p, sizeof p, "pal");
    st = image_write_png(p, &a, pal, 5, &err);
    if (tl_expect(st == VCT_STATUS_OK, "write: palette PNG", "%s", err.msg)) {
        st = image_read_index(p, &b, &err);
        tl_expect(st == VCT_STATUS_OK && b.c == 1 && memcmp(a.data, b.data, 99) == 0,
                  "write: palette indices round trip", "%s", st ? err.msg : "indices differ");
        if (st == VCT_STATUS_OK) image_free(&b);
        st = image_read_rgb(p, &b, &err);
        int ok = st == VCT_STATUS_OK;
        for (int64_t i = 0; ok && i < 99; i++) ok = memcmp(b.data + 3 * i, pal + 3 * a.data[i], 3) == 0;
        tl_expect(ok, "write: palette colours round trip", "%s", st ? err.msg : "colours differ");
        if (st == VCT_STATUS_OK) image_free(&b);
    }
    remove(p);
    /* gray */
    tmp_path(p, sizeof p, "gray");
    st = image_write_png(p, &a, NULL, 0, &err);
    if (tl_expect(st == VCT_STATUS_OK, "write: gray PNG", "%s", err.msg)) {
        st = image_read_index(p, &b, &err);
        tl_expect(st == VCT_STATUS_OK && memcmp(a.data, b.data, 99) == 0, "write: gray round trip", "%s",
                  st ? err.msg : "pixels differ");
        if (st == VCT_STATUS_OK) image_free(&b);
    }
    remove(p);
    /* refusals: index past the palette, bad directory, wrong channel count */
    a.data[50] = 5;
    tmp_path(p, sizeof p, "bad");
    st = image_write_png(p, &a, pal, 5, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, p) && !file_exists(p),
              "write: index past palette refused", "status %d '%s'", (int)st, err.msg);
    const char *nodir = "/nonexistent_dir_vct/x.png";
    st = image_write_png(nodir, &a, NULL, 0, &err);
    tl_expect(st == VCT_STATUS_IO && strstr(err.msg, "/nonexistent_dir_vct/x.png"), "write: bad directory",
              "status %d '%s'", (int)st, err.msg);
    image_free(&a);
    image_alloc(&a, 2, 2, 2, &err);
    memset(a.data, 0, 8);
    st = image_write_png(p, &a, NULL, 0, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, "write: 2-channel refused", "status %d", (int)st);
    image_free(&a);
}

static void test_normalize(void) {
    tensor_dict d;
    if (tl_ref_open("images_normalize", &d) != 0) return;
    const tensor *tin = tl_ref_tensor(&d, "in");
    int64_t n = 0, nm = 0, ns = 0;
    const float *want = tl_ref_f32(&d, "out", &n);
    const float *mean = tl_ref_f32(&d, "mean", &nm), *std = tl_ref_f32(&d, "std", &ns);
    if (!tin || !want || !mean || !std || nm != 3 || ns != 3) goto done;
    tl_expect(memcmp(mean, pixels_mean_rgb, 12) == 0 && memcmp(std, pixels_std_rgb, 12) == 0,
              "normalize: pixel_mean/pixel_std constants", "differ from torch.Tensor(cfg values)");
    int64_t H = tin->shape[0], W = tin->shape[1];
    float *got = malloc(sizeof *got * (size_t)(3 * H * W));
    if (!got) goto done;
    pixels_normalize(got, tin->data, H, W, NULL, NULL);
    tl_check_close("normalize: (x - mean) / std vs torch", got, want, n, 0.0, 0.0);
    free(got);
done:
    tensor_dict_free(&d);
}

int main(void) {
    test_decode();
    test_refusals();
    test_write();
    test_normalize();
    return tl_summary("test_image");
}
