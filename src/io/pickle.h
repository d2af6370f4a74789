/* pickle.h: a safe subset of the Python pickle virtual machine, enough for
 * PyTorch checkpoints (torch.save, zip and legacy formats, protocols 2-5),
 * pickle.dump'ed torch tensors, and NumPy arrays
 * pickled by detectron2 (model-zoo .pkl files).
 *
 * Nothing is ever executed. The VM builds inert values; the only "callables"
 * are a fixed allow-list of globals, each with a small C implementation that
 * builds a value from its arguments:
 *   torch._utils._rebuild_tensor_v2 / _rebuild_tensor / _rebuild_parameter
 *   collections.OrderedDict, collections.Counter (both become dicts)
 *   torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage
 *     (only as the type inside a persistent id)
 *   numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype,
 *   numpy.core.multiarray.scalar, numpy.core.numeric._frombuffer
 *     (also spelt numpy._core.*), _codecs.encode (latin-1 only: how
 *     protocol 2 stores bytes under Python 3)
 *   torch.storage._load_from_bytes(bytes): how a tensor's storage pickles
 *     itself (pickle.dump(tensor)); the bytes are a legacy torch.save stream,
 *     read by io/pth_legacy.c on this same VM one level down (at most
 *     PICKLE_MAX_NESTING levels, charged to the caller's memory budget)
 * Any other global (os.system, builtins.eval, ...) is refused when it is
 * named (GLOBAL, STACK_GLOBAL, INST); REDUCE/BUILD/NEWOBJ on anything that is
 * not allow-listed, OBJ, INST, extension codes and out-of-band buffers are
 * refused. Limits: at most PICKLE_MAX_MARKS nested marks, memo indices below
 * PICKLE_MAX_MEMO, and the VM's total allocation capped (see pickle_options).
 *
 * Tensors stay references: a pickle_tensor names its storage key, dtype,
 * offset, sizes and strides; pth.c reads the bytes from the zip, or finds them
 * in the storage value itself (legacy streams, _load_from_bytes).
 * Errors name the problem and the byte offset, e.g.
 *   "global 'os.system' is not allowed (byte 2)"; callers prefix the file. */
#ifndef VCT_IO_PICKLE_H
#define VCT_IO_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/tensor.h"

#define PICKLE_MAX_MARKS 1024
#define PICKLE_MAX_MEMO (1 << 24)
#define PICKLE_MAX_DEPTH 64 /* for walkers of the result (cycles are possible) */
#define PICKLE_MAX_NESTING 2 /* levels of pickle streams: a file's, and one _load_from_bytes down */

/* pickle_options.allow_persistent_id */
#define PICKLE_PERSID_NONE 0
#define PICKLE_PERSID_ZIP 1    /* ('storage', type, key, location, numel) */
#define PICKLE_PERSID_LEGACY 2 /* the same plus view_metadata, which must be None */

typedef enum pickle_kind {
    PK_NONE = 0,
    PK_BOOL,
    PK_INT,
    PK_FLOAT,
    PK_STR,   /* unicode, UTF-8 bytes */
    PK_BYTES, /* bytes, bytearray, Python 2 str */
    PK_TUPLE,
    PK_LIST, /* also set / frozenset */
    PK_DICT, /* also OrderedDict / Counter; insertion-ordered key/value pairs */
    PK_GLOBAL,
    PK_STORAGE, /* a torch storage reference from a persistent id */
    PK_TENSOR,  /* torch tensor: storage + offset + sizes + strides */
    PK_NDARRAY, /* numpy array: dtype + shape + C-order data (points into a bytes value) */
    PK_DTYPE    /* numpy dtype */
} pickle_kind;

/* The allow-listed globals. */
typedef enum pickle_global {
    PG_REBUILD_TENSOR_V2 = 0,
    PG_REBUILD_TENSOR,
    PG_REBUILD_PARAMETER,
    PG_ORDERED_DICT,
    PG_COUNTER,
    PG_STORAGE_TYPE, /* torch.<X>Storage; the dtype is in the value */
    PG_NP_RECONSTRUCT,
    PG_NP_NDARRAY,
    PG_NP_DTYPE,
    PG_NP_SCALAR,
    PG_NP_FROMBUFFER,
    PG_CODECS_ENCODE,
    PG_LOAD_FROM_BYTES /* torch.storage._load_from_bytes */
} pickle_global;

typedef struct pickle_value pickle_value;

struct pickle_value {
    pickle_kind kind;
    union {
        int64_t i; /* PK_BOOL (0/1), PK_INT */
        double f;  /* PK_FLOAT */
        struct {   /* PK_STR, PK_BYTES */
            const unsigned char *data; /* NUL-terminated (a NUL may also occur inside) */
            size_t len;
        } s;
        struct { /* PK_TUPLE, PK_LIST; PK_DICT holds 2*n items: k0, v0, k1, v1, ... */
            pickle_value **items;
            int64_t n, cap;
        } seq;
        struct { /* PK_GLOBAL */
            pickle_global id;
            vct_dtype dtype; /* PG_STORAGE_TYPE */
            const char *name; /* "torch._utils._rebuild_tensor_v2" (owned by the result) */
        } g;
        struct { /* PK_STORAGE */
            vct_dtype dtype;
            char key[64];   /* the "<k>" of data/<k> */
            int64_t numel;  /* elements, as the pickle says */
            /* NULL: the bytes are in the zip entry data/<key>; else numel
             * little-endian elements here (a legacy stream's storage, not aligned) */
            const unsigned char *data;
        } storage;
        struct { /* PK_TENSOR */
            const pickle_value *storage; /* PK_STORAGE */
            int64_t offset;              /* in elements */
            int ndim;
            int64_t size[VCT_MAX_DIMS], stride[VCT_MAX_DIMS];
        } tensor;
        struct { /* PK_NDARRAY; data == NULL until BUILD gave it */
            vct_dtype dtype;
            int ndim, has_data;
            int64_t shape[VCT_MAX_DIMS];
            int64_t stride[VCT_MAX_DIMS]; /* in elements: C or Fortran order */
            const unsigned char *data;    /* points into a PK_BYTES value */
        } nd;
        struct { /* PK_DTYPE */
            vct_dtype dtype;
            int known; /* 0: a dtype vct does not handle (object, complex, big-endian...) */
            char descr[16];
        } dt;
    } u;
};

typedef struct pickle_options {
    int allow_persistent_id; /* PICKLE_PERSID_*: BINPERSID makes PK_STORAGE */
    size_t max_bytes;        /* cap on the VM's allocations; 0: 64 MiB + 64 x the pickle's size */
    int nesting;             /* 0 for a file's own pickles; _load_from_bytes runs one deeper */
} pickle_options;

typedef struct pickle_result pickle_result; /* owns every value */

/* Run the pickle in data[0..len) to STOP. On success *root is the unpickled
 * value, valid until pickle_free(*res). Errors are VCT_STATUS_FORMAT (malformed
 * or refused) or VCT_STATUS_NO_MEMORY; messages do not name the file. */
vct_status pickle_load(const unsigned char *data, size_t len, const pickle_options *opt,
                       pickle_result **res, const pickle_value **root, vct_error *err);
void pickle_free(pickle_result *res);

/* The same for a pickle that starts at data[*pos] and may be followed by more
 * bytes (a legacy torch.save is several pickles in a row): on success *pos is
 * just past its STOP. Byte offsets in messages count from data[0]. */
vct_status pickle_load_at(const unsigned char *data, size_t len, size_t *pos, const pickle_options *opt,
                          pickle_result **res, const pickle_value **root, vct_error *err);
/* Bytes of budget the load charged (values, stacks, memo, nested streams). */
size_t pickle_used(const pickle_result *res);
/* The PK_STORAGE values that persistent ids made, in stream order (one per
 * BINPERSID, so a shared storage appears several times): the legacy reader
 * attaches each one's data. */
pickle_value *const *pickle_storages(pickle_result *res, int64_t *n);

/* "dict", "tensor", ... for messages. */
const char *pickle_kind_name(pickle_kind k);
/* Look up a string key in a PK_DICT; NULL if absent or d is not a dict. */
const pickle_value *pickle_dict_get(const pickle_value *d, const char *key);

#endif
