/* npy.h: NumPy .npy (format 1.0/2.0/3.0, little-endian, C order) and .npz
 * (a zip of .npy entries, stored or deflated) reading and writing. */
#ifndef VCT_IO_NPY_H
#define VCT_IO_NPY_H

#include "core/tensor.h"

/* Parse one .npy image in memory; `what` names it in messages. Adds it to d as `name`. */
vct_status npy_parse(const unsigned char *buf, size_t len, const char *what, const char *name,
                     tensor_dict *d, vct_error *err);
/* Serialise t as .npy version 1.0 into a malloc'ed buffer. */
vct_status npy_serialize(const tensor *t, unsigned char **out, size_t *out_len, vct_error *err);

vct_status npy_read(const char *path, tensor_dict *d, vct_error *err); /* one tensor named "" */
vct_status npy_write(const char *path, const tensor *t, vct_error *err);

/* Every "<name>.npy" entry of an .npz, as tensor <name>. */
vct_status npz_read(const char *path, tensor_dict *d, vct_error *err);
/* Read only the named entries (names without .npy); missing names are an error. */
vct_status npz_read_some(const char *path, const char *const *names, int n_names, tensor_dict *d,
                         vct_error *err);
/* The same, but a name the file lacks is skipped (the caller checks what it needs). */
vct_status npz_read_present(const char *path, const char *const *names, int n_names, tensor_dict *d,
                            vct_error *err);
/* Write an uncompressed .npz atomically. */
vct_status npz_write(const char *path, const tensor_dict *d, vct_error *err);

#endif
