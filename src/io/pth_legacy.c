/* pth_legacy.c: the legacy torch.save stream; see pth_legacy.h.
 *
 * The magic pickle is matched byte by byte (a 10-byte integer is wider than
 * the VM's), the other four pickles run on the VM one after another with what
 * is left of one budget, the object pickle in PICKLE_PERSID_LEGACY mode so its
 * storages become PK_STORAGE values that the VM lists for us. The declared
 * storages are sorted by key; the key list and the data section are checked
 * against them, and each storage value gets a pointer to its bytes. */
#include "io/pth_legacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char magic_le[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

typedef struct decl {
    const char *key;
    vct_dtype dtype;
    int64_t numel;
    int listed;
    const unsigned char *data;
} decl;

static int cmp_decl(const void *a, const void *b) {
    return strcmp(((const decl *)a)->key, ((const decl *)b)->key);
}

static decl *find_decl(decl *d, int64_t n, const char *key) {
    decl k = {key, VCT_DTYPE_F32, 0, 0, NULL};
    return bsearch(&k, d, (size_t)n, sizeof *d, cmp_decl);
}

static uint64_t rd_le64(const unsigned char *p) {
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) x = (x << 8) | p[i];
    return x;
}

/* offset of the magic's LONG1 opcode, or 0 if the stream does not start like one */
static size_t magic_at(const unsigned char *p, size_t len) {
    if (len < 2 || p[0] != 0x80 || p[1] < 2 || p[1] > 5) return 0;
    size_t i = 2;
    if (len > i && p[i] == 0x95) i += 9; /* FRAME (protocol 4+) */
    if (len < i + 2 || p[i] != 0x8a || p[i + 1] != 10) return 0;
    return i;
}

int pth_legacy_sniff(const unsigned char *data, size_t len) { return magic_at(data, len) != 0; }

typedef struct stream {
    const unsigned char *p;
    size_t len, pos, budget, used;
    int nesting;
    vct_error *err;
} stream;

/* run the next pickle of the stream */
static vct_status next_pickle(stream *s, const char *what, int persid, pickle_result **res,
                              const pickle_value **root) {
    if (s->pos >= s->len)
        return vct_fail(s->err, VCT_STATUS_FORMAT, "legacy torch.save: truncated: the stream ends at byte %zu, "
                        "before the %s pickle", s->pos, what);
    size_t left = s->used < s->budget ? s->budget - s->used : 0;
    pickle_options o = {persid, left ? left : 1, s->nesting};
    if (pickle_load_at(s->p, s->len, &s->pos, &o, res, root, s->err) != VCT_STATUS_OK)
        return vct_error_wrap(s->err, "legacy torch.save: %s pickle", what);
    s->used += pickle_used(*res);
    return VCT_STATUS_OK;
}

static vct_status check_header(stream *s) {
    size_t m = magic_at(s->p, s->len);
    if (!m)
        return vct_fail(s->err, VCT_STATUS_FORMAT,
                        "legacy torch.save: does not start with the magic number pickle: not a torch.save stream");
    if (s->len < m + 13 || s->p[m + 12] != '.')
        return vct_fail(s->err, VCT_STATUS_FORMAT, "legacy torch.save: truncated magic number pickle (%zu bytes)",
                        s->len);
    if (memcmp(s->p + m + 2, magic_le, sizeof magic_le) != 0) {
        char hex[24];
        for (int i = 0; i < 10; i++) snprintf(hex + 2 * i, 3, "%02x", s->p[m + 11 - i]);
        return vct_fail(s->err, VCT_STATUS_FORMAT,
                        "legacy torch.save: wrong magic number 0x%s (torch's is 0x1950a86a20f9469cfc6c): not a "
                        "torch.save stream", hex);
    }
    s->pos = m + 13;
    pickle_result *res = NULL;
    const pickle_value *v;
    VCT_TRY(next_pickle(s, "protocol version", PICKLE_PERSID_NONE, &res, &v));
    int ok = v->kind == PK_INT && v->u.i == PTH_LEGACY_PROTOCOL;
    long long got = v->kind == PK_INT ? (long long)v->u.i : -1;
    pickle_free(res);
    if (!ok)
        return vct_fail(s->err, VCT_STATUS_FORMAT, "legacy torch.save: protocol version %lld, expected %d", got,
                        PTH_LEGACY_PROTOCOL);
    VCT_TRY(next_pickle(s, "sys info", PICKLE_PERSID_NONE, &res, &v));
    const pickle_value *le = pickle_dict_get(v, "little_endian");
    int is_bool = le && le->kind == PK_BOOL, little = is_bool && le->u.i;
    pickle_free(res);
    if (is_bool && !little)
        return vct_fail(s->err, VCT_STATUS_UNSUPPORTED, "legacy torch.save: big-endian data is not supported");
    if (!little)
        return vct_fail(s->err, VCT_STATUS_FORMAT,
                        "legacy torch.save: sys info has no 'little_endian' flag (a dict is expected)");
    return VCT_STATUS_OK;
}

/* the key list against the declared storages, then the data section */
static vct_status read_data(stream *s, const pickle_value *keys, decl *d, int64_t nd) {
    if (keys->kind != PK_LIST && keys->kind != PK_TUPLE)
        return vct_fail(s->err, VCT_STATUS_FORMAT, "legacy torch.save: the storage key list is a %s, not a list",
                        pickle_kind_name(keys->kind));
    for (int64_t i = 0; i < keys->u.seq.n; i++) {
        const pickle_value *k = keys->u.seq.items[i];
        char key[64];
        if (k->kind != PK_STR || k->u.s.len >= sizeof key || memchr(k->u.s.data, 0, k->u.s.len))
            return vct_fail(s->err, VCT_STATUS_FORMAT,
                            "legacy torch.save: key list mismatch: entry %lld is not a storage key", (long long)i);
        memcpy(key, k->u.s.data, k->u.s.len + 1);
        decl *e = find_decl(d, nd, key);
        if (!e)
            return vct_fail(s->err, VCT_STATUS_FORMAT,
                            "legacy torch.save: key list mismatch: storage '%s' is listed but the pickle "
                            "declares no such storage", key);
        if (e->listed)
            return vct_fail(s->err, VCT_STATUS_FORMAT,
                            "legacy torch.save: key list mismatch: storage '%s' is listed twice", key);
        e->listed = 1;
        size_t at = s->pos, es = dtype_size(e->dtype);
        if (s->len - s->pos < 8)
            return vct_fail(s->err, VCT_STATUS_FORMAT,
                            "legacy torch.save: truncated: storage '%s' (%lld of %lld) at byte %zu needs an 8-byte "
                            "size, %zu bytes left", key, (long long)i + 1, (long long)keys->u.seq.n, at,
                            s->len - s->pos);
        uint64_t count = rd_le64(s->p + s->pos);
        s->pos += 8;
        if (count != (uint64_t)e->numel)
            return vct_fail(s->err, VCT_STATUS_FORMAT,
                            "legacy torch.save: storage '%s' at byte %zu holds %llu elements, the pickle declares "
                            "%lld: storage %s", key, at, (unsigned long long)count, (long long)e->numel,
                            count < (uint64_t)e->numel ? "too short" : "size mismatch");
        if ((uint64_t)e->numel > (s->len - s->pos) / es)
            return vct_fail(s->err, VCT_STATUS_FORMAT,
                            "legacy torch.save: truncated: storage '%s' at byte %zu needs %lld %s elements (%llu "
                            "bytes), %zu bytes left", key, at, (long long)e->numel, dtype_name(e->dtype),
                            (unsigned long long)e->numel * es, s->len - s->pos);
        e->data = s->p + s->pos;
        s->pos += (size_t)e->numel * es;
    }
    for (int64_t i = 0; i < nd; i++)
        if (!d[i].listed)
            return vct_fail(s->err, VCT_STATUS_FORMAT,
                            "legacy torch.save: key list mismatch: storage '%s' is declared in the pickle but "
                            "not listed (its data is missing)", d[i].key);
    if (s->pos != s->len)
        return vct_fail(s->err, VCT_STATUS_FORMAT, "legacy torch.save: %zu stray bytes after the last storage "
                        "(byte %zu)", s->len - s->pos, s->pos);
    return VCT_STATUS_OK;
}

vct_status pth_legacy_load(const unsigned char *data, size_t len, const pickle_options *opt, pth_legacy *out,
                           vct_error *err) {
    vct_error local;
    if (!err) err = &local;
    memset(out, 0, sizeof *out);
    stream s = {data, len, 0, 0, 0, opt ? opt->nesting : 0, err};
    s.budget = opt && opt->max_bytes ? opt->max_bytes
                                     : (len > ((size_t)1 << 40) ? ((size_t)1 << 46) : 64 * len) + ((size_t)64 << 20);
    pickle_result *res = NULL, *kres = NULL;
    const pickle_value *root = NULL, *keys;
    decl *d = NULL;
    vct_status st = check_header(&s);
    if (st != VCT_STATUS_OK) goto fail;
    if ((st = next_pickle(&s, "object", PICKLE_PERSID_LEGACY, &res, &root)) != VCT_STATUS_OK) goto fail;
    if ((st = next_pickle(&s, "storage key list", PICKLE_PERSID_NONE, &kres, &keys)) != VCT_STATUS_OK) goto fail;
    int64_t n, nd = 0;
    pickle_value *const *sv = pickle_storages(res, &n);
    d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (!d) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "legacy torch.save: out of memory");
        goto fail;
    }
    for (int64_t i = 0; i < n; i++) d[i] = (decl){sv[i]->u.storage.key, sv[i]->u.storage.dtype, sv[i]->u.storage.numel,
                                                  0, NULL};
    qsort(d, (size_t)n, sizeof *d, cmp_decl);
    for (int64_t i = 0; i < n; i++) { /* one entry per key; repeats must agree */
        if (nd > 0 && strcmp(d[nd - 1].key, d[i].key) == 0) {
            if (d[nd - 1].dtype != d[i].dtype || d[nd - 1].numel != d[i].numel) {
                st = vct_fail(err, VCT_STATUS_FORMAT,
                              "legacy torch.save: storage '%s' declared twice with different types or sizes",
                              d[i].key);
                goto fail;
            }
            continue;
        }
        d[nd++] = d[i];
    }
    if ((st = read_data(&s, keys, d, nd)) != VCT_STATUS_OK) goto fail;
    for (int64_t i = 0; i < n; i++) sv[i]->u.storage.data = find_decl(d, nd, sv[i]->u.storage.key)->data;
    free(d);
    pickle_free(kres);
    out->res = res;
    out->root = root;
    out->used = s.used;
    return VCT_STATUS_OK;
fail:
    free(d);
    pickle_free(kres);
    pickle_free(res);
    return st;
}

void pth_legacy_free(pth_legacy *lg) {
    if (!lg) return;
    pickle_free(lg->res);
    memset(lg, 0, sizeof *lg);
}

vct_status pth_legacy_load_storage(const unsigned char *data, size_t len, const pickle_options *opt,
                                   pickle_value *storage, size_t *used, vct_error *err) {
    *used = 0;
    if (opt->nesting >= PICKLE_MAX_NESTING)
        return vct_fail(err, VCT_STATUS_FORMAT,
                        "a _load_from_bytes inside the bytes of another: nested deeper than %d pickle streams",
                        PICKLE_MAX_NESTING);
    if (len >= opt->max_bytes)
        return vct_fail(err, VCT_STATUS_FORMAT,
                        "reading a stream of %zu bytes would exceed the %zu bytes left of the file's memory "
                        "budget (excessive size)", len, opt->max_bytes);
    pickle_options o = *opt;
    o.max_bytes -= len;
    pth_legacy lg;
    VCT_TRY(pth_legacy_load(data, len, &o, &lg, err));
    vct_status st = VCT_STATUS_OK;
    if (lg.root->kind != PK_STORAGE)
        st = vct_fail(err, VCT_STATUS_FORMAT, "legacy torch.save: the stream holds a %s, not a storage",
                      pickle_kind_name(lg.root->kind));
    else
        *storage = *lg.root;
    *used = len + lg.used;
    pth_legacy_free(&lg);
    return st;
}
