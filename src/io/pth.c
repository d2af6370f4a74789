/* pth.c: PyTorch checkpoint (zip, legacy) and pickle reader; see pth.h.
 *
 * Steps: sniff the file (zip, legacy torch.save, plain pickle), run its pickle
 * on the safe VM (a legacy file through pth_legacy.c), pick the tensors (the
 * state_dict or every tensor by path), then materialise each one from its
 * storage. A zip storage entry is read once, when its first tensor needs it,
 * and freed after its last tensor; a storage whose bytes are in the file's
 * buffer (legacy files, _load_from_bytes) is read in place. */
#include "io/pth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/pickle.h"
#include "io/pth_legacy.h"
#include "io/zipfile.h"

#define PTH_MAX_PLAIN_BYTES ((size_t)4 << 30) /* a plain .pkl holds its data inline */
#define PTH_MAX_META 4096
#define PTH_MAX_META_LEN 1024

typedef struct slot {
    char key[64];
    vct_dtype dtype;
    int64_t numel;
    int64_t refs; /* pending tensors that still need it */
    unsigned char *data;
} slot;

typedef struct pending {
    char *name;
    const pickle_value *v;
} pending;

typedef struct reader {
    const char *path;
    zipfile *zip;    /* NULL for a plain pickle */
    char prefix[256]; /* "model_best/" */
    unsigned char *pkl;
    size_t pkl_len;
    pickle_result *res;
    const pickle_value *root;
    slot *slots;
    int64_t nslots, capslots;
    int64_t *hash; /* open addressing over slots by key: index+1, 0 = empty */
    int64_t hcap;
    pending *items;
    int64_t nitems, capitems;
    uint64_t budget, used; /* bytes materialised (and pending-name bytes) */
    uint64_t visits, max_visits;
    vct_error *err;
} reader;

/* ---- small helpers ------------------------------------------------------------------------- */

typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

static int sb_put(strbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->len + n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) return -1;
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
    return 0;
}

static vct_status oom(reader *r) {
    return vct_fail(r->err, VCT_STATUS_NO_MEMORY, "%s: out of memory", r->path);
}

static int charge(reader *r, uint64_t n) {
    if (n > r->budget || r->used + n > r->budget) return -1;
    r->used += n;
    return 0;
}

/* text of a scalar value for a name or metadata; 0 if x is not a scalar */
static int scalar_text(const pickle_value *x, char *buf, size_t cap) {
    switch (x->kind) {
    case PK_NONE: snprintf(buf, cap, "None"); return 1;
    case PK_BOOL: snprintf(buf, cap, "%s", x->u.i ? "True" : "False"); return 1;
    case PK_INT: snprintf(buf, cap, "%lld", (long long)x->u.i); return 1;
    case PK_FLOAT: /* the shortest of %.15g..%.17g that reads back exactly (Python's repr, mostly) */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, x->u.f);
            if (strtod(buf, NULL) == x->u.f) break;
        }
        return 1;
    case PK_STR:
    case PK_BYTES: {
        size_t n = x->u.s.len < cap - 1 ? x->u.s.len : cap - 1;
        memcpy(buf, x->u.s.data, n);
        buf[n] = 0;
        for (size_t i = 0; i < n; i++)
            if (buf[i] == 0) buf[i] = '?';
        return 1;
    }
    default: return 0;
    }
}

static int is_tensor(const pickle_value *x) { return x->kind == PK_TENSOR || x->kind == PK_NDARRAY; }

/* a torch tensor whose storage bytes are in a zip entry (not in memory already) */
static int in_zip(const pickle_value *x) { return x->kind == PK_TENSOR && !x->u.tensor.storage->u.storage.data; }

/* ---- opening ------------------------------------------------------------------------------- */

static vct_status read_plain(reader *r) {
    FILE *f = fopen(r->path, "rb");
    if (!f) return vct_fail(r->err, VCT_STATUS_IO, "%s: cannot open: %s", r->path, strerror(errno));
    vct_status st = VCT_STATUS_OK;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0) sz = ftell(f);
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = vct_fail(r->err, VCT_STATUS_IO, "%s: cannot seek", r->path);
        goto done;
    }
    if ((uint64_t)sz > PTH_MAX_PLAIN_BYTES) {
        st = vct_fail(r->err, VCT_STATUS_FORMAT, "%s: pickle of %ld bytes is larger than the %zu allowed",
                      r->path, sz, PTH_MAX_PLAIN_BYTES);
        goto done;
    }
    r->pkl = malloc((size_t)sz + 1);
    if (!r->pkl) {
        st = oom(r);
        goto done;
    }
    r->pkl_len = fread(r->pkl, 1, (size_t)sz, f);
    if (r->pkl_len != (size_t)sz)
        st = vct_fail(r->err, VCT_STATUS_IO, "%s: read error", r->path);
done:
    fclose(f);
    return st;
}

static vct_status open_zip(reader *r) {
    VCT_TRY(zipfile_open(r->path, &r->zip, r->err));
    int64_t n = zipfile_count(r->zip), pkl = -1;
    uint64_t storage_bytes = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *nm = zipfile_name(r->zip, i);
        if (!nm) continue;
        size_t len = strlen(nm);
        const char *slash = strchr(nm, '/');
        if (pkl < 0 && len >= 8 && strcmp(nm + len - 8, "data.pkl") == 0 &&
            (len == 8 || (slash == nm + len - 9 && len - 8 < sizeof r->prefix))) {
            pkl = i;
            memcpy(r->prefix, nm, len - 8);
            r->prefix[len - 8] = 0;
        }
        uint64_t sz;
        if (zipfile_size(r->zip, i, &sz, r->err) == VCT_STATUS_OK) storage_bytes += sz;
    }
    if (pkl < 0)
        return vct_fail(r->err, VCT_STATUS_FORMAT,
                        "%s: no data.pkl entry in the zip: not a torch checkpoint", r->path);
    char bo[300];
    snprintf(bo, sizeof bo, "%sbyteorder", r->prefix);
    int64_t ib = zipfile_find(r->zip, bo);
    if (ib >= 0) {
        unsigned char *d;
        size_t dl;
        VCT_TRY(zipfile_read(r->zip, ib, 64, &d, &dl, r->err));
        int big = dl >= 3 && memcmp(d, "big", 3) == 0;
        free(d);
        if (big)
            return vct_fail(r->err, VCT_STATUS_UNSUPPORTED, "%s: big-endian checkpoint not supported",
                            r->path);
    }
    VCT_TRY(zipfile_read(r->zip, pkl, PTH_MAX_PICKLE_BYTES, &r->pkl, &r->pkl_len, r->err));
    r->budget = 2 * storage_bytes + ((uint64_t)256 << 20);
    return VCT_STATUS_OK;
}

static vct_status reader_open(reader *r) {
    FILE *f = fopen(r->path, "rb");
    if (!f) return vct_fail(r->err, VCT_STATUS_IO, "%s: cannot open: %s", r->path, strerror(errno));
    unsigned char head[32] = {0};
    size_t nh = fread(head, 1, sizeof head, f);
    fclose(f);
    if (nh == 0) return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: empty file, not a zip file", r->path);
    pickle_options opt = {PICKLE_PERSID_NONE, 0, 0};
    if (nh >= 4 && head[0] == 'P' && head[1] == 'K') {
        VCT_TRY(open_zip(r));
        opt.allow_persistent_id = 1;
        if (pickle_load(r->pkl, r->pkl_len, &opt, &r->res, &r->root, r->err) != VCT_STATUS_OK)
            return vct_error_wrap(r->err, "%s: data.pkl", r->path);
        return VCT_STATUS_OK;
    }
    if (pth_legacy_sniff(head, nh)) {
        VCT_TRY(read_plain(r));
        r->budget = 2 * (uint64_t)r->pkl_len + ((uint64_t)256 << 20);
        pth_legacy lg;
        if (pth_legacy_load(r->pkl, r->pkl_len, NULL, &lg, r->err) != VCT_STATUS_OK)
            return vct_error_wrap(r->err, "%s", r->path);
        r->res = lg.res; /* the storages point into r->pkl */
        r->root = lg.root;
        return VCT_STATUS_OK;
    }
    if (nh >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) {
        VCT_TRY(read_plain(r));
        r->budget = 2 * (uint64_t)r->pkl_len + ((uint64_t)256 << 20);
        if (pickle_load(r->pkl, r->pkl_len, &opt, &r->res, &r->root, r->err) != VCT_STATUS_OK)
            return vct_error_wrap(r->err, "%s", r->path);
        return VCT_STATUS_OK;
    }
    return vct_fail(r->err, VCT_STATUS_FORMAT,
                    "%s: not a zip file (nor a pickle): not a torch checkpoint", r->path);
}

static void reader_close(reader *r) {
    zipfile_close(r->zip);
    free(r->pkl);
    pickle_free(r->res);
    for (int64_t i = 0; i < r->nslots; i++) free(r->slots[i].data);
    free(r->slots);
    free(r->hash);
    for (int64_t i = 0; i < r->nitems; i++) free(r->items[i].name);
    free(r->items);
}

/* ---- choosing tensors ---------------------------------------------------------------------- */

static vct_status add_pending(reader *r, const char *name, const pickle_value *v) {
    size_t n = strlen(name);
    if (charge(r, n + 64))
        return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: too many tensors (over the memory limit)",
                        r->path);
    if (r->nitems == r->capitems) {
        int64_t nc = r->capitems ? 2 * r->capitems : 64;
        pending *ni = realloc(r->items, (size_t)nc * sizeof *ni);
        if (!ni) return oom(r);
        r->items = ni;
        r->capitems = nc;
    }
    char *c = malloc(n + 1);
    if (!c) return oom(r);
    memcpy(c, name, n + 1);
    r->items[r->nitems].name = c;
    r->items[r->nitems].v = v;
    r->nitems++;
    return VCT_STATUS_OK;
}

static vct_status add_meta(reader *r, tensor_dict *out, const char *key, const pickle_value *x) {
    char val[PTH_MAX_META_LEN];
    if (x->kind == PK_NONE || out->meta_count >= PTH_MAX_META) return VCT_STATUS_OK;
    if (!scalar_text(x, val, sizeof val)) return VCT_STATUS_OK;
    return tensor_dict_set_meta(out, key, val, r->err);
}

static vct_status walk(reader *r, tensor_dict *out, const pickle_value *x, strbuf *path, int depth,
                       int in_seq) {
    if (++r->visits > r->max_visits)
        return vct_fail(r->err, VCT_STATUS_FORMAT,
                        "%s: object graph too large (shared references visited too often)", r->path);
    if (depth > PICKLE_MAX_DEPTH)
        return vct_fail(r->err, VCT_STATUS_FORMAT,
                        "%s: object nested deeper than %d levels (a cycle?) at '%.200s'", r->path,
                        PICKLE_MAX_DEPTH, path->s ? path->s : "");
    if (is_tensor(x)) return add_pending(r, path->len ? path->s : "tensor", x);
    if (x->kind == PK_DICT || x->kind == PK_LIST || x->kind == PK_TUPLE) {
        int dict = x->kind == PK_DICT;
        int64_t n = dict ? x->u.seq.n / 2 : x->u.seq.n;
        size_t keep = path->len;
        for (int64_t i = 0; i < n; i++) {
            char key[256];
            if (!dict) snprintf(key, sizeof key, "%lld", (long long)i);
            else if (!scalar_text(x->u.seq.items[2 * i], key, sizeof key)) snprintf(key, sizeof key, "?");
            if ((keep && sb_put(path, ".", 1)) || sb_put(path, key, strlen(key))) return oom(r);
            const pickle_value *child = x->u.seq.items[dict ? 2 * i + 1 : i];
            vct_status st = walk(r, out, child, path, depth + 1, !dict);
            if (st != VCT_STATUS_OK) return st;
            path->len = keep;
            if (path->s) path->s[keep] = 0;
        }
        return VCT_STATUS_OK;
    }
    if (!in_seq && path->len) return add_meta(r, out, path->s, x);
    return VCT_STATUS_OK;
}

static int dict_has_tensor(const pickle_value *d, int all) {
    if (!d || d->kind != PK_DICT || d->u.seq.n == 0) return 0;
    int any = 0;
    for (int64_t i = 1; i < d->u.seq.n; i += 2) {
        if (is_tensor(d->u.seq.items[i])) any = 1;
        else if (all) return 0;
    }
    return any;
}

static vct_status choose_state_dict(reader *r, tensor_dict *out) {
    const pickle_value *root = r->root, *sd = NULL;
    if (is_tensor(root)) return add_pending(r, "tensor", root); /* pickle.dump(tensor), torch.save(tensor) */
    if (root->kind != PK_DICT)
        return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: top level is a %s, not a dict: no state_dict",
                        r->path, pickle_kind_name(root->kind));
    if (dict_has_tensor(root, 1)) sd = root;
    else if (dict_has_tensor(pickle_dict_get(root, "model"), 0)) sd = pickle_dict_get(root, "model");
    else if (dict_has_tensor(pickle_dict_get(root, "state_dict"), 0))
        sd = pickle_dict_get(root, "state_dict");
    else if (dict_has_tensor(pickle_dict_get(root, "blobs"), 0)) /* Detectron (Caffe2) .pkl */
        sd = pickle_dict_get(root, "blobs");
    if (!sd) {
        char keys[512] = "";
        size_t k = 0;
        for (int64_t i = 0; i < root->u.seq.n && k + 80 < sizeof keys; i += 2) {
            char t[64];
            if (!scalar_text(root->u.seq.items[i], t, sizeof t)) snprintf(t, sizeof t, "?");
            k += (size_t)snprintf(keys + k, sizeof keys - k, "%s'%s'", k ? ", " : "", t);
        }
        return vct_fail(r->err, VCT_STATUS_FORMAT,
                        "%s: no state_dict: the top-level dict {%s} is not a dict of tensors and "
                        "has no 'model', 'state_dict' or 'blobs' dict of tensors",
                        r->path, keys);
    }
    for (int64_t i = 0; i + 1 < sd->u.seq.n; i += 2) {
        char key[PTH_MAX_META_LEN];
        const pickle_value *k = sd->u.seq.items[i], *v = sd->u.seq.items[i + 1];
        if (!is_tensor(v)) continue;
        if (k->kind != PK_STR && k->kind != PK_BYTES)
            return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: state_dict key of type %s, expected str",
                            r->path, pickle_kind_name(k->kind));
        scalar_text(k, key, sizeof key);
        VCT_TRY(add_pending(r, key, v));
    }
    if (sd != root)
        for (int64_t i = 0; i + 1 < root->u.seq.n; i += 2) {
            char key[256];
            const pickle_value *k = root->u.seq.items[i];
            if ((k->kind == PK_STR || k->kind == PK_BYTES) && scalar_text(k, key, sizeof key))
                VCT_TRY(add_meta(r, out, key, root->u.seq.items[i + 1]));
        }
    return VCT_STATUS_OK;
}

/* ---- materialising ------------------------------------------------------------------------- */

static uint64_t key_hash(const char *k) { /* FNV-1a */
    uint64_t h = 1469598103934665603ull;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

/* the hash bucket of key: holds its slot index+1, or 0 where it would go */
static int64_t *bucket(const reader *r, const char *key) {
    uint64_t m = (uint64_t)r->hcap - 1;
    for (uint64_t i = key_hash(key) & m;; i = (i + 1) & m) {
        int64_t *b = &r->hash[i];
        if (*b == 0 || strcmp(r->slots[*b - 1].key, key) == 0) return b;
    }
}

static slot *find_slot(reader *r, const char *key) {
    if (!r->hcap) return NULL;
    int64_t b = *bucket(r, key);
    return b ? &r->slots[b - 1] : NULL;
}

/* grow the hash table to keep it at most half full */
static int rehash(reader *r) {
    if (2 * (r->nslots + 1) <= r->hcap) return 0;
    int64_t nc = r->hcap ? 2 * r->hcap : 256;
    while (2 * (r->nslots + 1) > nc) nc *= 2;
    int64_t *nh = calloc((size_t)nc, sizeof *nh);
    if (!nh) return -1;
    free(r->hash);
    r->hash = nh;
    r->hcap = nc;
    for (int64_t i = 0; i < r->nslots; i++) *bucket(r, r->slots[i].key) = i + 1;
    return 0;
}

static vct_status count_refs(reader *r) {
    for (int64_t i = 0; i < r->nitems; i++) {
        const pickle_value *v = r->items[i].v;
        if (!in_zip(v)) continue;
        const pickle_value *s = v->u.tensor.storage;
        slot *sl = find_slot(r, s->u.storage.key);
        if (sl) {
            if (sl->dtype != s->u.storage.dtype || sl->numel != s->u.storage.numel)
                return vct_fail(r->err, VCT_STATUS_FORMAT,
                                "%s: storage '%s' declared twice with different types or sizes",
                                r->path, sl->key);
            sl->refs++;
            continue;
        }
        if (r->nslots == r->capslots) {
            int64_t nc = r->capslots ? 2 * r->capslots : 64;
            slot *ns = realloc(r->slots, (size_t)nc * sizeof *ns);
            if (!ns) return oom(r);
            r->slots = ns;
            r->capslots = nc;
        }
        if (rehash(r)) return oom(r);
        *bucket(r, s->u.storage.key) = r->nslots + 1;
        sl = &r->slots[r->nslots++];
        memset(sl, 0, sizeof *sl);
        memcpy(sl->key, s->u.storage.key, sizeof sl->key);
        sl->dtype = s->u.storage.dtype;
        sl->numel = s->u.storage.numel;
        sl->refs = 1;
    }
    return VCT_STATUS_OK;
}

static vct_status load_slot(reader *r, slot *sl, const char *tname) {
    char entry[400];
    snprintf(entry, sizeof entry, "%sdata/%s", r->prefix, sl->key);
    int64_t idx = zipfile_find(r->zip, entry);
    if (idx < 0)
        return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: tensor '%s': missing zip entry '%s'", r->path,
                        tname, entry);
    size_t es = dtype_size(sl->dtype);
    if (sl->numel > INT64_MAX / 16)
        return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: storage '%s': size %lld is too large", r->path,
                        entry, (long long)sl->numel);
    uint64_t want = (uint64_t)sl->numel * es, have;
    VCT_TRY(zipfile_size(r->zip, idx, &have, r->err));
    if (have != want)
        return vct_fail(r->err, VCT_STATUS_FORMAT,
                        "%s: tensor '%s': storage '%s' is %llu bytes, but the pickle says %lld %s "
                        "elements (%llu bytes): storage %s",
                        r->path, tname, entry, (unsigned long long)have, (long long)sl->numel,
                        dtype_name(sl->dtype), (unsigned long long)want,
                        have < want ? "too short" : "size mismatch");
    size_t len;
    VCT_TRY(zipfile_read(r->zip, idx, want, &sl->data, &len, r->err));
    return VCT_STATUS_OK;
}

static int is_contiguous(int nd, const int64_t *size, const int64_t *stride) {
    int64_t expect = 1;
    for (int i = nd - 1; i >= 0; i--) {
        if (size[i] != 1 && stride[i] != expect) return 0;
        expect *= size[i];
    }
    return 1;
}

/* copy a strided view (element strides, offset) into a C-contiguous buffer */
static void gather(unsigned char *dst, const unsigned char *src, size_t es, int nd,
                   const int64_t *size, const int64_t *stride, int64_t offset) {
    int64_t numel = shape_numel(nd, size);
    if (numel == 0) return;
    if (is_contiguous(nd, size, stride)) {
        memcpy(dst, src + (size_t)offset * es, (size_t)numel * es);
        return;
    }
    int64_t idx[VCT_MAX_DIMS] = {0};
    int64_t inner = size[nd - 1], istride = stride[nd - 1], rows = numel / inner;
    for (int64_t row = 0; row < rows; row++) {
        int64_t base = offset;
        for (int i = 0; i < nd - 1; i++) base += idx[i] * stride[i];
        if (istride == 1) memcpy(dst, src + (size_t)base * es, (size_t)inner * es);
        else
            for (int64_t j = 0; j < inner; j++)
                memcpy(dst + (size_t)j * es, src + (size_t)(base + j * istride) * es, es);
        dst += (size_t)inner * es;
        for (int i = nd - 2; i >= 0; i--) {
            if (++idx[i] < size[i]) break;
            idx[i] = 0;
        }
    }
}

/* numel and the largest element index touched; -1 on overflow */
static int extent(int nd, const int64_t *size, const int64_t *stride, int64_t offset,
                  int64_t *numel, int64_t *last) {
    int64_t n = 1, hi = offset;
    for (int i = 0; i < nd; i++) {
        if (size[i] > 0 && n > INT64_MAX / 16 / size[i]) return -1;
        n *= size[i];
    }
    for (int i = 0; n > 0 && i < nd; i++) {
        int64_t m = size[i] - 1;
        if (m > 0 && stride[i] > (INT64_MAX - hi) / m) return -1;
        hi += m * stride[i];
    }
    *numel = n;
    *last = hi;
    return 0;
}

static vct_status materialise(reader *r, tensor_dict *out, const pending *it) {
    const pickle_value *v = it->v;
    vct_dtype dt;
    int nd;
    const int64_t *size, *stride;
    int64_t offset = 0, limit, numel, last;
    const unsigned char *src;
    slot *sl = NULL;
    if (v->kind == PK_TENSOR) {
        const pickle_value *s = v->u.tensor.storage;
        if (in_zip(v)) sl = find_slot(r, s->u.storage.key);
        dt = s->u.storage.dtype;
        nd = v->u.tensor.ndim;
        size = v->u.tensor.size;
        stride = v->u.tensor.stride;
        offset = v->u.tensor.offset;
        limit = s->u.storage.numel;
    } else {
        if (!v->u.nd.has_data)
            return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: array '%s' has no data (no BUILD)", r->path,
                            it->name);
        dt = v->u.nd.dtype;
        nd = v->u.nd.ndim;
        size = v->u.nd.shape;
        stride = v->u.nd.stride;
        limit = shape_numel(nd, size);
    }
    if (extent(nd, size, stride, offset, &numel, &last))
        return vct_fail(r->err, VCT_STATUS_FORMAT, "%s: tensor '%s': size overflows", r->path, it->name);
    if (numel > 0 && last >= limit)
        return vct_fail(r->err, VCT_STATUS_FORMAT,
                        "%s: tensor '%s': needs element %lld of a storage of %lld elements: storage "
                        "too short",
                        r->path, it->name, (long long)last, (long long)limit);
    size_t nbytes = (size_t)numel * dtype_size(dt);
    if (charge(r, nbytes))
        return vct_fail(r->err, VCT_STATUS_FORMAT,
                        "%s: tensor '%s': %zu bytes would exceed the limit of %llu bytes "
                        "materialised for this file (excessive size)",
                        r->path, it->name, nbytes, (unsigned long long)r->budget);
    if (sl && !sl->data) VCT_TRY(load_slot(r, sl, it->name));
    void *buf;
    if (sl && sl->refs == 1 && numel > 0 && numel == sl->numel && offset == 0 &&
        is_contiguous(nd, size, stride)) {
        buf = sl->data; /* the last user of the whole storage: take it, no copy */
        sl->data = NULL;
        sl->refs = 0;
    } else {
        src = sl ? sl->data : v->kind == PK_TENSOR ? v->u.tensor.storage->u.storage.data : v->u.nd.data;
        buf = malloc(nbytes ? nbytes : 1);
        if (!buf) return oom(r);
        gather(buf, src, dtype_size(dt), nd, size, stride, offset);
        if (sl && --sl->refs == 0) {
            free(sl->data);
            sl->data = NULL;
        }
    }
    vct_status st = tensor_dict_add_owned(out, it->name, dt, nd, size, buf, r->err);
    if (st != VCT_STATUS_OK) return vct_error_wrap(r->err, "%s", r->path);
    return VCT_STATUS_OK;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static vct_status check_unique(reader *r) {
    if (r->nitems < 2) return VCT_STATUS_OK;
    char **names = malloc((size_t)r->nitems * sizeof *names);
    if (!names) return oom(r);
    for (int64_t i = 0; i < r->nitems; i++) names[i] = r->items[i].name;
    qsort(names, (size_t)r->nitems, sizeof *names, cmp_name);
    vct_status st = VCT_STATUS_OK;
    for (int64_t i = 1; i < r->nitems && st == VCT_STATUS_OK; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            st = vct_fail(r->err, VCT_STATUS_FORMAT, "%s: duplicate tensor name '%.200s'", r->path,
                          names[i]);
    free(names);
    return st;
}

static vct_status pth_read(const char *path, int all, tensor_dict *out, vct_error *err) {
    vct_error local;
    if (!err) err = &local;
    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.err = err;
    tensor_dict_init(out);
    vct_status st = reader_open(&r);
    if (st != VCT_STATUS_OK) goto fail;
    r.max_visits = 16 * (uint64_t)r.pkl_len + 4096;
    if (all) {
        strbuf path_buf = {0};
        st = walk(&r, out, r.root, &path_buf, 0, 0);
        free(path_buf.s);
    } else {
        st = choose_state_dict(&r, out);
    }
    if (st != VCT_STATUS_OK) goto fail;
    if (r.nitems == 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: no tensors in the file", path);
        goto fail;
    }
    if ((st = check_unique(&r)) != VCT_STATUS_OK) goto fail;
    if (r.zip && (st = count_refs(&r)) != VCT_STATUS_OK) goto fail;
    for (int64_t i = 0; i < r.nitems; i++) {
        if (in_zip(r.items[i].v) && !r.zip) {
            st = vct_fail(err, VCT_STATUS_INTERNAL, "%s: torch tensor outside a zip", path);
            goto fail;
        }
        if ((st = materialise(&r, out, &r.items[i])) != VCT_STATUS_OK) goto fail;
    }
    reader_close(&r);
    return VCT_STATUS_OK;
fail:
    reader_close(&r);
    tensor_dict_free(out);
    return st;
}

vct_status pth_read_state_dict(const char *path, tensor_dict *out, vct_error *err) {
    return pth_read(path, 0, out, err);
}

vct_status pth_read_all(const char *path, tensor_dict *out, vct_error *err) {
    return pth_read(path, 1, out, err);
}
