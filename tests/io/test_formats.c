/* test_formats.c: safetensors and npy/npz. Reads the shared case's inputs.npz
 * (written by numpy), checks that our .npy serialisation is byte-identical to
 * numpy's, round-trips both formats with metadata, and refuses damaged files
 * with messages that name the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "io/npy.h"
#include "io/safetensors.h"
#include "testlib.h"

#define CASE_DIR "../shared/conformance/cases/ss-reduced-1f"

static int write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static void expect_refused(const char *name, const char *path, const void *data, size_t n, int npz_or_st) {
    write_file(path, data, n);
    tensor_dict d;
    vct_error err = {0};
    vct_status st = npz_or_st == 0 ? safetensors_read(path, &d, &err) : npz_or_st == 1 ? npy_read(path, &d, &err)
                                                                                      : npz_read(path, &d, &err);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, path) != NULL, name, "status %d, message '%s'", st, err.msg);
    if (st == VCT_STATUS_OK) tensor_dict_free(&d);
    remove(path);
}

/* the raw bytes numpy wrote for entry <name>.npy */
static unsigned char *raw_entry(const char *zpath, const char *name, size_t *len) {
    zip_t *z = zip_open(zpath, ZIP_RDONLY, NULL);
    if (!z) return NULL;
    char en[256];
    snprintf(en, sizeof en, "%s.npy", name);
    zip_stat_t zs;
    unsigned char *b = NULL;
    if (zip_stat(z, en, 0, &zs) == 0 && (b = malloc(zs.size))) {
        zip_file_t *f = zip_fopen(z, en, 0);
        if (!f || zip_fread(f, b, zs.size) != (zip_int64_t)zs.size) {
            free(b);
            b = NULL;
        }
        if (f) zip_fclose(f);
        *len = zs.size;
    }
    zip_discard(z);
    return b;
}

int main(void) {
    vct_error err = {0};
    tensor_dict in;
    if (npz_read(CASE_DIR "/inputs.npz", &in, &err) != VCT_STATUS_OK) {
        tl_fail("inputs.npz", "%s", err.msg);
        return tl_summary("test_formats");
    }
    const tensor *fr = NULL, *au = NULL;
    int64_t fshape[4] = {1, 3, 384, 384}, ashape[2] = {16000, 1};
    tl_expect(tensor_dict_get_checked(&in, "frames", VCT_DTYPE_U8, 4, fshape, &fr, &err) == VCT_STATUS_OK,
              "npz: frames u8 [1,3,384,384]", "%s", err.msg);
    tl_expect(tensor_dict_get_checked(&in, "audio_waveform_int16", VCT_DTYPE_I16, 2, ashape, &au, &err) ==
                  VCT_STATUS_OK, "npz: audio int16 [16000,1]", "%s", err.msg);
    tl_expect(tensor_dict_get_checked(&in, "frames", VCT_DTYPE_F32, 4, fshape, &fr, &err) == VCT_STATUS_FORMAT &&
                  strstr(err.msg, "dtype U8, expected F32"),
              "checked lookup names got and expected", "%s", err.msg);

    /* our .npy bytes equal numpy's for every entry */
    for (int64_t i = 0; i < in.count; i++) {
        size_t rl = 0, ol = 0;
        unsigned char *raw = raw_entry(CASE_DIR "/inputs.npz", in.items[i].name, &rl), *ours = NULL;
        npy_serialize(&in.items[i].t, &ours, &ol, &err);
        char nm[256];
        snprintf(nm, sizeof nm, "npy bytes identical to numpy: %s", in.items[i].name);
        tl_expect(raw && ours && rl == ol && memcmp(raw, ours, rl) == 0, nm, "lengths %zu vs %zu", rl, ol);
        free(raw);
        free(ours);
    }

    /* npz round trip */
    const char *tmpz = "build/test_formats.npz", *tmps = "build/test_formats.safetensors";
    tensor_dict back;
    tl_expect(npz_write(tmpz, &in, &err) == VCT_STATUS_OK, "npz write", "%s", err.msg);
    if (npz_read(tmpz, &back, &err) == VCT_STATUS_OK) {
        int same = back.count == in.count;
        for (int64_t i = 0; same && i < in.count; i++) {
            const tensor *a = &in.items[i].t, *b = tensor_dict_find(&back, in.items[i].name);
            same = b && a->dtype == b->dtype && shape_equal(a->ndim, a->shape, b->ndim, b->shape) &&
                   memcmp(a->data, b->data, tensor_nbytes(a)) == 0;
        }
        tl_expect(same, "npz round trip", "contents differ");
        tensor_dict_free(&back);
    } else {
        tl_fail("npz round trip", "%s", err.msg);
    }

    /* safetensors round trip with metadata, including a 0-d tensor */
    tensor_dict_set_meta(&in, "format_version", "7", &err);
    tensor_dict_set_meta(&in, "note", "quote \" and \\ survive", &err);
    float scalar = 3.5f;
    tensor_dict_add(&in, "scalar", VCT_DTYPE_F32, 0, NULL, &scalar, NULL, &err);
    tl_expect(safetensors_write(tmps, &in, &err) == VCT_STATUS_OK, "safetensors write", "%s", err.msg);
    if (safetensors_read(tmps, &back, &err) == VCT_STATUS_OK) {
        int same = back.count == in.count;
        for (int64_t i = 0; same && i < in.count; i++) {
            const tensor *a = &in.items[i].t, *b = tensor_dict_find(&back, in.items[i].name);
            same = b && a->dtype == b->dtype && shape_equal(a->ndim, a->shape, b->ndim, b->shape) &&
                   memcmp(a->data, b->data, tensor_nbytes(a)) == 0;
        }
        const char *m = tensor_dict_get_meta(&back, "note");
        tl_expect(same && m && strcmp(m, "quote \" and \\ survive") == 0 &&
                      strcmp(tensor_dict_get_meta(&back, "format_version"), "7") == 0,
                  "safetensors round trip with metadata", "contents or metadata differ");
        tensor_dict_free(&back);
    } else {
        tl_fail("safetensors round trip", "%s", err.msg);
    }
    remove(tmpz);
    remove(tmps);
    tensor_dict_free(&in);

    /* damaged files */
    const char *bad = "build/test_formats_bad.bin";
    expect_refused("safetensors: empty file", bad, "", 0, 0);
    expect_refused("safetensors: header longer than file", bad, "\xff\x00\x00\x00\x00\x00\x00\x00{}", 10, 0);
    const char bad_json[] = "\x08\x00\x00\x00\x00\x00\x00\x00{\"a\":1 ";
    expect_refused("safetensors: not JSON", bad, bad_json, sizeof bad_json - 1, 0);
    const char oob[] = "\x40\x00\x00\x00\x00\x00\x00\x00{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}    ";
    expect_refused("safetensors: data truncated", bad, oob, sizeof oob - 1, 0);
    const char mism[] = "\x40\x00\x00\x00\x00\x00\x00\x00{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}    12345678";
    expect_refused("safetensors: size disagrees with shape", bad, mism, sizeof mism - 1, 0);
    const char bdt[] = "\x40\x00\x00\x00\x00\x00\x00\x00{\"a\":{\"dtype\":\"X9\",\"shape\":[2],\"data_offsets\":[0,8]}}    12345678";
    expect_refused("safetensors: unknown dtype", bad, bdt, sizeof bdt - 1, 0);
    expect_refused("npy: bad magic", bad, "NUMPY\x01\x00", 7, 1);
    const char trunc[] = "\x93NUMPY\x01\x00\x36\x00{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n\x00\x00";
    expect_refused("npy: data truncated", bad, trunc, sizeof trunc - 1, 1);
    const char fort[] = "\x93NUMPY\x01\x00\x35\x00{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n\x00\x00\x00\x00";
    expect_refused("npy: fortran order refused", bad, fort, sizeof fort - 1, 1);
    const char obj[] = "\x93NUMPY\x01\x00\x35\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n\x00\x00\x00\x00";
    expect_refused("npy: object dtype refused", bad, obj, sizeof obj - 1, 1);
    expect_refused("npz: not a zip", bad, "hello world, no zip here", 24, 2);
    return tl_summary("test_formats");
}
