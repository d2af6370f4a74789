/* tensor_file.c: see tensor_file.h. */
#include "io/tensor_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

#include "io/npy.h"
#include "io/pth.h"
#include "io/safetensors.h"

const char *tensor_file_kind_name(tensor_file_kind k) {
    switch (k) {
    case TENSOR_FILE_PTH: return "pth";
    case TENSOR_FILE_PICKLE: return "pickle";
    case TENSOR_FILE_SAFETENSORS: return "safetensors";
    case TENSOR_FILE_NPZ: return "npz";
    case TENSOR_FILE_NPY: return "npy";
    case TENSOR_FILE_UNKNOWN: break;
    }
    return "unknown";
}

/* a zip holding "<x>/data.pkl" (torch) or only .npy entries (npz) */
static tensor_file_kind zip_kind(const char *path) {
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z) return TENSOR_FILE_PTH; /* a broken zip: let the .pth reader say what is wrong */
    tensor_file_kind k = TENSOR_FILE_PTH;
    zip_int64_t n = zip_get_num_entries(z, 0);
    int npy = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        size_t l = name ? strlen(name) : 0;
        if (l >= 8 && strcmp(name + l - 8, "data.pkl") == 0) {
            npy = 0;
            break;
        }
        if (l >= 4 && strcmp(name + l - 4, ".npy") == 0) npy++;
    }
    if (npy) k = TENSOR_FILE_NPZ;
    zip_discard(z);
    return k;
}

vct_status tensor_file_detect(const char *path, tensor_file_kind *kind, vct_error *err) {
    unsigned char b[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    *kind = TENSOR_FILE_UNKNOWN;
    if (n == 0) return vct_fail(err, VCT_STATUS_FORMAT, "%s: empty file", path);
    if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) *kind = zip_kind(path);
    else if (n >= 4 && (memcmp(b, "PK\x05\x06", 4) == 0)) *kind = TENSOR_FILE_PTH; /* empty zip */
    else if (n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) *kind = TENSOR_FILE_NPY;
    else if (b[0] == 0x80 && n >= 2 && b[1] >= 2 && b[1] <= 5) *kind = TENSOR_FILE_PICKLE;
    else if (n >= 9 && b[8] == '{') *kind = TENSOR_FILE_SAFETENSORS;
    if (*kind == TENSOR_FILE_UNKNOWN)
        return vct_fail(err, VCT_STATUS_FORMAT,
                        "%s: not a tensor file vct knows (.pth/.pkl, .safetensors, .npz, .npy)", path);
    return VCT_STATUS_OK;
}

vct_status tensor_file_read(const char *path, int all, tensor_dict *d, tensor_file_kind *kind, vct_error *err) {
    tensor_file_kind k;
    tensor_dict_init(d);
    VCT_TRY(tensor_file_detect(path, &k, err));
    if (kind) *kind = k;
    switch (k) {
    case TENSOR_FILE_PTH:
    case TENSOR_FILE_PICKLE: return all ? pth_read_all(path, d, err) : pth_read_state_dict(path, d, err);
    case TENSOR_FILE_SAFETENSORS: return safetensors_read(path, d, err);
    case TENSOR_FILE_NPZ: return npz_read(path, d, err);
    case TENSOR_FILE_NPY: return npy_read(path, d, err);
    case TENSOR_FILE_UNKNOWN: break;
    }
    return vct_fail(err, VCT_STATUS_INTERNAL, "%s: unhandled file kind", path);
}
