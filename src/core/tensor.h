/* tensor.h: dtypes, contiguous tensor views with int64_t sizes, and a named
 * tensor list (what a checkpoint, safetensors or npz file holds).
 *
 * A tensor view does not own its data. Layout is always C-order contiguous;
 * readers of strided storage (the .pth reader) materialise contiguous copies. */
#ifndef VCT_CORE_TENSOR_H
#define VCT_CORE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define VCT_MAX_DIMS 8

typedef enum vct_dtype {
    VCT_DTYPE_F32 = 0,
    VCT_DTYPE_F64,
    VCT_DTYPE_F16,
    VCT_DTYPE_BF16,
    VCT_DTYPE_I64,
    VCT_DTYPE_I32,
    VCT_DTYPE_I16,
    VCT_DTYPE_I8,
    VCT_DTYPE_U8,
    VCT_DTYPE_U16,
    VCT_DTYPE_U32,
    VCT_DTYPE_U64,
    VCT_DTYPE_BOOL,
    VCT_DTYPE_COUNT
} vct_dtype;

size_t dtype_size(vct_dtype dt);
/* safetensors spelling: "F32", "I64", "BOOL", ... */
const char *dtype_name(vct_dtype dt);
/* parse a safetensors dtype name; returns 0 on success, -1 if unknown */
int dtype_from_name(const char *name, vct_dtype *out);
/* element i of a buffer of dtype dt, converted to double (f16/bf16 exactly) */
double dtype_get_f64(const void *data, vct_dtype dt, int64_t i);
float f16_to_f32(uint16_t h);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f); /* round to nearest even */

/* A view: data not owned. */
typedef struct tensor {
    void *data;
    vct_dtype dtype;
    int ndim;
    int64_t shape[VCT_MAX_DIMS];
} tensor;

int64_t shape_numel(int ndim, const int64_t *shape);
int64_t tensor_numel(const tensor *t);
size_t tensor_nbytes(const tensor *t);
/* "[2,3,384,384]" into buf */
const char *shape_str(int ndim, const int64_t *shape, char *buf, size_t cap);
int shape_equal(int na, const int64_t *a, int nb, const int64_t *b);

/* One named tensor that owns its data (malloc'ed). */
typedef struct named_tensor {
    char *name;
    tensor t;
} named_tensor;

/* An ordered list of named tensors plus optional string metadata. Owns everything. */
typedef struct tensor_dict {
    named_tensor *items;
    int64_t count, cap;
    char **meta_keys, **meta_values; /* safetensors __metadata__ (string -> string) */
    int64_t meta_count;
} tensor_dict;

void tensor_dict_init(tensor_dict *d);
void tensor_dict_free(tensor_dict *d);
/* Add a tensor; copies name and, if data != NULL, nbytes of data (else zero-fills).
 * Returns the stored tensor's view via *out (may be NULL). */
vct_status tensor_dict_add(tensor_dict *d, const char *name, vct_dtype dt, int ndim,
                           const int64_t *shape, const void *data, tensor **out, vct_error *err);
/* Take ownership of a malloc'ed buffer of the right size. */
vct_status tensor_dict_add_owned(tensor_dict *d, const char *name, vct_dtype dt, int ndim,
                                 const int64_t *shape, void *data, vct_error *err);
const tensor *tensor_dict_find(const tensor_dict *d, const char *name);
vct_status tensor_dict_set_meta(tensor_dict *d, const char *key, const char *value, vct_error *err);
const char *tensor_dict_get_meta(const tensor_dict *d, const char *key);

/* Look up name and require dtype and exact shape; message names the tensor, got and expected. */
vct_status tensor_dict_get_checked(const tensor_dict *d, const char *name, vct_dtype dt, int ndim,
                                   const int64_t *shape, const tensor **out, vct_error *err);

#endif
