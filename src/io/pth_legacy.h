/* pth_legacy.h: the legacy (pre-1.6, non-zip) torch.save format, read on the
 * safe pickle VM of pickle.h (nothing is executed; the VM's allow-list and
 * limits apply to every pickle in it). A legacy stream is five pickles and a
 * data section:
 *   1. the magic number 0x1950a86a20f9469cfc6c (LONG1 of 10 bytes)
 *   2. the protocol version, 1001
 *   3. sys info {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {...}}
 *   4. the saved object; each storage in it is a persistent id
 *      ('storage', torch.<T>Storage, key, location, numel, view_metadata=None)
 *   5. the list of storage keys, in the order of the data section
 *   data: per listed key, numel as an 8-byte little-endian integer, then numel
 *         little-endian elements.
 * torch.save wrote this before 1.6 (and still does with
 * _use_new_zipfile_serialization=False), and a storage's __reduce__ hands one
 * to torch.storage._load_from_bytes, so every pickle.dump(tensor) holds one.
 *
 * The checks are strict: the magic and the version; little-endian (else
 * UNSUPPORTED); every storage the object declares listed exactly once and
 * nothing else listed; each stored count equal to the declared numel; the data
 * filling the stream to its last byte. Anything else is a FORMAT error naming
 * the problem and the byte offset in the stream ("legacy torch.save: storage
 * '0' at byte 412 holds 5 elements, the pickle declares 6144: storage too
 * short"); callers prefix the file. Not supported: storage views
 * (view_metadata, torch < 1.0) and the tar format of torch < 0.4. */
#ifndef VCT_IO_PTH_LEGACY_H
#define VCT_IO_PTH_LEGACY_H

#include <stddef.h>

#include "io/pickle.h"

#define PTH_LEGACY_PROTOCOL 1001

typedef struct pth_legacy {
    pickle_result *res;       /* owns the values of the object pickle */
    const pickle_value *root; /* the saved object */
    size_t used;              /* VM budget charged by all five pickles */
} pth_legacy;

/* 1 if data starts like a legacy stream (PROTO 2-5, an optional FRAME, then a
 * LONG1 of 10 bytes: the magic number's shape; its value is checked by
 * pth_legacy_load), else 0. Needs at most the first 24 bytes. */
int pth_legacy_sniff(const unsigned char *data, size_t len);

/* Read the stream data[0..len). On success out->root is the saved object and
 * every PK_STORAGE in it has .data pointing into data, which must outlive
 * out->res. opt->max_bytes caps the memory of the five pickles together (0:
 * pickle_load's default for len); opt->nesting is passed on to the object
 * pickle; opt->allow_persistent_id is ignored. out is zeroed on failure. */
vct_status pth_legacy_load(const unsigned char *data, size_t len, const pickle_options *opt, pth_legacy *out,
                           vct_error *err);
void pth_legacy_free(pth_legacy *lg);

/* torch.storage._load_from_bytes(data): the stream must hold one storage;
 * *storage becomes that PK_STORAGE value, .data pointing into data. *used is
 * the budget it took (len, for the work of reading it, plus the VMs'), at most
 * opt->max_bytes, else a FORMAT error. Refused when opt->nesting >=
 * PICKLE_MAX_NESTING (a _load_from_bytes inside another one's bytes). */
vct_status pth_legacy_load_storage(const unsigned char *data, size_t len, const pickle_options *opt,
                                   pickle_value *storage, size_t *used, vct_error *err);

#endif
