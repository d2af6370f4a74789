/* tensor_file.h: read any tensor container vct knows, chosen by content (not
 * by file name): PyTorch .pth (zip with data.pkl, or a plain pickle such as
 * detectron2's .pkl), safetensors, .npz and .npy. */
#ifndef VCT_IO_TENSOR_FILE_H
#define VCT_IO_TENSOR_FILE_H

#include "core/tensor.h"

typedef enum tensor_file_kind {
    TENSOR_FILE_UNKNOWN = 0,
    TENSOR_FILE_PTH,
    TENSOR_FILE_PICKLE,
    TENSOR_FILE_SAFETENSORS,
    TENSOR_FILE_NPZ,
    TENSOR_FILE_NPY
} tensor_file_kind;

const char *tensor_file_kind_name(tensor_file_kind k);
/* Sniff the first bytes. Fails (IO) if unreadable, (FORMAT) if unrecognised. */
vct_status tensor_file_detect(const char *path, tensor_file_kind *kind, vct_error *err);
/* Read tensors. For .pth/pickle: all=0 gives the state_dict, all=1 every tensor in the object. */
vct_status tensor_file_read(const char *path, int all, tensor_dict *d, tensor_file_kind *kind, vct_error *err);

#endif
