/* safetensors.h: read and write the safetensors format (8-byte LE header
 * length, JSON header with "__metadata__", raw little-endian C-order data).
 * Our checkpoints, conformance dumps and test reference vectors use it. */
#ifndef VCT_IO_SAFETENSORS_H
#define VCT_IO_SAFETENSORS_H

#include "core/tensor.h"

/* Read every tensor (and string metadata) of path into d (initialised by the call). */
vct_status safetensors_read(const char *path, tensor_dict *d, vct_error *err);
/* Write d to path atomically (path.tmp, then rename). Metadata is written as
 * "__metadata__" when d has any. */
vct_status safetensors_write(const char *path, const tensor_dict *d, vct_error *err);

#endif
