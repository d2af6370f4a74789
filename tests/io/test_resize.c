/* test_resize.c: PIL-exact resizing. Every case of tests/ref/data/images_resize.safetensors
 * (made by tests/ref/gen_images.py with Pillow 9.4: Image.resize(size, BILINEAR / NEAREST) on
 * RGB and single-channel images, up and down, one axis only, identity) must match bit for bit.
 * Inputs are the committed test images decoded by image_read_rgb / image_read_index (checked
 * against PIL in test_image). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "io/image.h"
#include "io/resize.h"
#include "image_check.h"
#include "testlib.h"

#define IMG_DIR "tests/data/images/"

static void test_cases(void) {
    tensor_dict d;
    if (tl_ref_open("images_resize", &d) != 0) return;
    const char *sv = tensor_dict_get_meta(&d, "stride");
    int64_t stride = sv ? atoll(sv) : 7;
    const char *cv = tensor_dict_get_meta(&d, "cases");
    if (!cv) {
        tl_fail("images_resize", "metadata 'cases' missing (run `make ref`)");
        tensor_dict_free(&d);
        return;
    }
    char *cases = strdup(cv);
    int n = 0, n_bil = 0, n_near = 0;
    char *save = NULL;
    for (char *c = strtok_r(cases, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        char file[256], view[16], filt[16];
        int w = 0, h = 0;
        char spec[512];
        snprintf(spec, sizeof spec, "%s", c);
        for (char *p = spec; *p; p++)
            if (*p == ':') *p = ' ';
        if (sscanf(spec, "%255s %15s %dx%d %15s", file, view, &w, &h, filt) != 5) {
            tl_fail(c, "cannot parse the case name");
            continue;
        }
        n++;
        char path[512];
        snprintf(path, sizeof path, IMG_DIR "%s", file);
        image_u8 in, out;
        vct_error err = {0};
        vct_status st = strcmp(view, "rgb") == 0 ? image_read_rgb(path, &in, &err)
                                                 : image_read_index(path, &in, &err);
        if (st != VCT_STATUS_OK) {
            tl_fail(c, "input: %s", err.msg);
            continue;
        }
        int bil = strcmp(filt, "bilinear") == 0;
        n_bil += bil;
        n_near += !bil;
        double t0 = wall_seconds();
        st = bil ? resize_bilinear_pil(&out, &in, h, w, &err) : resize_nearest_pil(&out, &in, h, w, &err);
        double dt = wall_seconds() - t0;
        if (st != VCT_STATUS_OK) {
            tl_fail(c, "resize: %s", err.msg);
        } else {
            if (w * h >= 384 * 384) printf("  %s: %.2f ms\n", c, dt * 1e3);
            tl_check_image_ref(&d, c, &out, stride);
            image_free(&out);
        }
        image_free(&in);
    }
    tl_expect(n >= 20 && n_bil >= 10 && n_near >= 5, "resize: case list",
              "%d cases (%d bilinear, %d nearest)", n, n_bil, n_near);
    free(cases);
    tensor_dict_free(&d);
}

static void test_refusals(void) {
    image_u8 in, out = {0};
    vct_error err = {0};
    if (image_alloc(&in, 3, 4, 3, &err) != VCT_STATUS_OK) return;
    memset(in.data, 7, 36);
    vct_status st = resize_bilinear_pil(&out, &in, 0, 5, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && out.data == NULL, "resize: zero height refused",
              "status %d", (int)st);
    st = resize_nearest_pil(&out, &in, 5, -1, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && out.data == NULL, "resize: negative width refused",
              "status %d", (int)st);
    image_u8 empty = {0};
    st = resize_bilinear_pil(&out, &empty, 4, 4, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, "resize: empty input refused", "status %d", (int)st);
    image_free(&in);
}

/* resize_pil_in_place: the same pixels as the out-of-place resize, the image left as it
 * is at its own size, and unchanged when the resize is refused */
static void test_in_place(void) {
    image_u8 in = {0}, want = {0}, im = {0};
    vct_error err = {0};
    if (image_alloc(&in, 5, 7, 3, &err) != VCT_STATUS_OK) return;
    for (int64_t i = 0; i < 5 * 7 * 3; i++) in.data[i] = (uint8_t)(i * 37 % 251);
    for (int nearest = 0; nearest < 2; nearest++) {
        const char *name = nearest ? "in place, nearest" : "in place, bilinear";
        vct_status st = nearest ? resize_nearest_pil(&want, &in, 9, 4, &err) : resize_bilinear_pil(&want, &in, 9, 4, &err);
        if (st == VCT_STATUS_OK && image_alloc(&im, 5, 7, 3, &err) == VCT_STATUS_OK) {
            memcpy(im.data, in.data, 5 * 7 * 3);
            st = resize_pil_in_place(&im, 9, 4, nearest, &err);
            tl_expect(st == VCT_STATUS_OK && im.h == 9 && im.w == 4 && im.c == 3 &&
                          memcmp(im.data, want.data, 9 * 4 * 3) == 0,
                      name, "status %d, %lldx%lld", (int)st, (long long)im.h, (long long)im.w);
        }
        image_free(&want);
        image_free(&im);
    }
    uint8_t *before = in.data;
    vct_status st = resize_pil_in_place(&in, 5, 7, 0, &err);
    tl_expect(st == VCT_STATUS_OK && in.data == before, "in place, same size: nothing done", "status %d", (int)st);
    st = resize_pil_in_place(&in, 0, 7, 1, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && in.data == before && in.h == 5 && in.w == 7,
              "in place, refused: image unchanged", "status %d", (int)st);
    image_free(&in);
}

int main(void) {
    test_cases();
    test_refusals();
    test_in_place();
    return tl_summary("test_resize");
}
