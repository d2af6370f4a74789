/* pth.h: read PyTorch checkpoints (torch.save's zip format: <a>/data.pkl plus
 * one raw storage per <a>/data/<k>, entries stored or deflated; and the legacy
 * pre-1.6 format, io/pth_legacy.h), plain pickles of torch tensors
 * (pickle.dump(tensor): each storage is a legacy stream inside
 * torch.storage._load_from_bytes, e.g. AVSBench's log-mel .pkl files) and of
 * NumPy arrays (detectron2 model-zoo .pkl files) into a tensor_dict.
 *
 * The pickle runs on the safe VM of pickle.h: nothing in the file is executed,
 * and anything outside the allow-list is refused with a FORMAT error naming the
 * file and the problem:
 *   "evil.pth: data.pkl: global 'os.system' is not allowed (byte 2)"
 * Tensors are materialised C-contiguous (storage offsets, strides, shared
 * storages and stride-0 views are resolved). dtypes: f32, f64, f16, bf16, i64,
 * i32, i16, i8, u8, bool (numpy also u16/u32/u64). Not supported: big-endian
 * data, sparse/quantized tensors, torch < 0.4 (tar) files.
 * Limits: data.pkl <= PTH_MAX_PICKLE_BYTES, a plain or legacy file <= 4 GiB,
 * the VM's memory (pickle.h), and the bytes materialised <= 2 x the storage
 * bytes the file holds + 256 MiB. */
#ifndef VCT_IO_PTH_H
#define VCT_IO_PTH_H

#include "core/tensor.h"

#define PTH_MAX_PICKLE_BYTES ((size_t)1 << 30)

/* The model weights. The state_dict is the top-level dict if its values are
 * all tensors, else its "model" (detectron2) or "state_dict" entry. Keys as in
 * the file, in file order; entries that are not tensors are skipped. (A
 * Detectron/Caffe2 .pkl's "blobs" dict is taken like "model"; a file that
 * holds one bare tensor gives it under the name "tensor".) Scalars
 * (int, float, bool, str) at the top level, e.g. "iteration", become metadata.
 * out is initialised by the call and freed on failure. */
vct_status pth_read_state_dict(const char *path, tensor_dict *out, vct_error *err);

/* Every tensor anywhere in the object, named by its path of dict keys and
 * list indices joined by '.', e.g. "model.backbone.conv1.weight",
 * "optimizer.state.0.exp_avg" (a bare tensor is named "tensor"). Scalars that
 * are dict values become metadata under their path ("iteration" -> "0"). */
vct_status pth_read_all(const char *path, tensor_dict *out, vct_error *err);

#endif
