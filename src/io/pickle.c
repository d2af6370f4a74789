/* pickle.c: the safe pickle VM subset; see pickle.h.
 *
 * One loop reads an opcode and acts on a value stack, with Python's "mark"
 * frames kept as stack positions and the memo as a dense array. Every value
 * and buffer comes from vm_alloc, which charges a byte budget and links the
 * block for pickle_free, so nothing is freed before the end and values may be
 * shared freely (the memo makes graphs, even cycles, possible). */
#include "io/pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/pth_legacy.h"

typedef union blk {
    union blk *next;
    max_align_t align_;
} blk;

struct pickle_result {
    blk *blocks;
    size_t used, max;
    pickle_value **storages; /* made by persistent ids, for the legacy reader */
    int64_t nstorages, capstorages;
};

typedef struct vm {
    pickle_result *r;
    const unsigned char *p;
    size_t len, pos, op_pos;
    int proto;
    const pickle_options *opt;
    pickle_value **stack;
    int64_t sn, scap;
    int64_t marks[PICKLE_MAX_MARKS];
    int nmarks;
    pickle_value **memo;
    int64_t mcap, mcount; /* mcount: distinct indices set (MEMOIZE uses it) */
    pickle_value *none, *true_, *false_;
    vct_error *err;
} vm;

/* ---- allocation ---------------------------------------------------------------------------- */

static vct_status over_budget(vm *v, size_t n) {
    return vct_fail(v->err, VCT_STATUS_FORMAT,
                    "pickle needs more than %zu bytes of memory (asked %zu more at byte %zu): refused",
                    v->r->max, n, v->op_pos);
}

static void *vm_alloc(vm *v, size_t n) {
    pickle_result *r = v->r;
    if (n > r->max || r->used + n + sizeof(blk) > r->max) {
        over_budget(v, n);
        return NULL;
    }
    blk *b = malloc(sizeof(blk) + n);
    if (!b) {
        vct_fail(v->err, VCT_STATUS_NO_MEMORY, "pickle: out of memory for %zu bytes", n);
        return NULL;
    }
    r->used += n + sizeof(blk);
    b->next = r->blocks;
    r->blocks = b;
    return b + 1;
}

/* grow a malloc'ed array (stack, memo), charging the budget for the growth */
static int vm_grow(vm *v, void **arr, int64_t *cap, int64_t need, size_t elem) {
    if (need <= *cap) return 0;
    int64_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    size_t add = (size_t)(nc - *cap) * elem;
    if (v->r->used + add > v->r->max) {
        over_budget(v, add);
        return -1;
    }
    void *na = realloc(*arr, (size_t)nc * elem);
    if (!na) {
        vct_fail(v->err, VCT_STATUS_NO_MEMORY, "pickle: out of memory");
        return -1;
    }
    memset((char *)na + (size_t)*cap * elem, 0, add);
    v->r->used += add;
    *arr = na;
    *cap = nc;
    return 0;
}

static pickle_value *new_value(vm *v, pickle_kind k) {
    pickle_value *x = vm_alloc(v, sizeof *x);
    if (!x) return NULL;
    memset(x, 0, sizeof *x);
    x->kind = k;
    return x;
}

static pickle_value *new_int(vm *v, int64_t i) {
    pickle_value *x = new_value(v, PK_INT);
    if (x) x->u.i = i;
    return x;
}

static pickle_value *new_float(vm *v, double f) {
    pickle_value *x = new_value(v, PK_FLOAT);
    if (x) x->u.f = f;
    return x;
}

static pickle_value *new_bytes(vm *v, pickle_kind k, const unsigned char *src, size_t n) {
    pickle_value *x = new_value(v, k);
    if (!x) return NULL;
    unsigned char *d = vm_alloc(v, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, src, n);
    d[n] = 0;
    x->u.s.data = d;
    x->u.s.len = n;
    return x;
}

static pickle_value *new_seq(vm *v, pickle_kind k, pickle_value *const *items, int64_t n) {
    pickle_value *x = new_value(v, k);
    if (!x) return NULL;
    if (n > 0) {
        x->u.seq.items = vm_alloc(v, (size_t)n * sizeof(pickle_value *));
        if (!x->u.seq.items) return NULL;
        memcpy(x->u.seq.items, items, (size_t)n * sizeof(pickle_value *));
    }
    x->u.seq.n = x->u.seq.cap = n;
    return x;
}

/* append n items to a list/dict's item array */
static int seq_append(vm *v, pickle_value *s, pickle_value *const *items, int64_t n) {
    if (n == 0) return 0; /* APPENDS of an empty frame; an empty list has no item array */
    if (s->u.seq.n + n > s->u.seq.cap) {
        int64_t nc = s->u.seq.cap ? s->u.seq.cap * 2 : 8;
        while (nc < s->u.seq.n + n) nc *= 2;
        pickle_value **na = vm_alloc(v, (size_t)nc * sizeof *na); /* old array stays charged */
        if (!na) return -1;
        if (s->u.seq.n) memcpy(na, s->u.seq.items, (size_t)s->u.seq.n * sizeof *na);
        s->u.seq.items = na;
        s->u.seq.cap = nc;
    }
    memcpy(s->u.seq.items + s->u.seq.n, items, (size_t)n * sizeof *items);
    s->u.seq.n += n;
    return 0;
}

/* ---- names and small helpers --------------------------------------------------------------- */

const char *pickle_kind_name(pickle_kind k) {
    static const char *names[] = {"None", "bool", "int", "float", "str", "bytes", "tuple",
                                  "list", "dict", "global", "storage", "tensor", "ndarray", "dtype"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static int str_is(const pickle_value *x, const char *s) {
    if (!x || (x->kind != PK_STR && x->kind != PK_BYTES)) return 0;
    size_t n = strlen(s);
    return x->u.s.len == n && memcmp(x->u.s.data, s, n) == 0;
}

const pickle_value *pickle_dict_get(const pickle_value *d, const char *key) {
    if (!d || d->kind != PK_DICT) return NULL;
    for (int64_t i = d->u.seq.n / 2 - 1; i >= 0; i--) /* the last one set wins, as in Python */
        if (str_is(d->u.seq.items[2 * i], key)) return d->u.seq.items[2 * i + 1];
    return NULL;
}

/* printable copy of untrusted text for messages */
static void clean_text(char *dst, size_t cap, const unsigned char *src, size_t n) {
    size_t j = 0;
    for (size_t i = 0; i < n && j + 4 < cap; i++) dst[j++] = (src[i] >= 32 && src[i] < 127) ? (char)src[i] : '?';
    if (n > 0 && j + 4 >= cap) {
        memcpy(dst + j, "...", 3);
        j += 3;
    }
    dst[j] = 0;
}

static const char *op_name(int op) {
    switch (op) {
    case 0x80: return "PROTO"; case 0x95: return "FRAME"; case '.': return "STOP";
    case '(': return "MARK"; case '0': return "POP"; case '1': return "POP_MARK"; case '2': return "DUP";
    case 'N': return "NONE"; case 0x88: return "NEWTRUE"; case 0x89: return "NEWFALSE";
    case 'J': return "BININT"; case 'K': return "BININT1"; case 'M': return "BININT2";
    case 0x8a: return "LONG1"; case 0x8b: return "LONG4"; case 'G': return "BINFLOAT";
    case 'X': return "BINUNICODE"; case 0x8c: return "SHORT_BINUNICODE"; case 0x8d: return "BINUNICODE8";
    case 'B': return "BINBYTES"; case 'C': return "SHORT_BINBYTES"; case 0x8e: return "BINBYTES8";
    case 0x96: return "BYTEARRAY8"; case 'T': return "BINSTRING"; case 'U': return "SHORT_BINSTRING";
    case ')': return "EMPTY_TUPLE"; case 't': return "TUPLE"; case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2"; case 0x87: return "TUPLE3"; case ']': return "EMPTY_LIST";
    case 'l': return "LIST"; case 'a': return "APPEND"; case 'e': return "APPENDS";
    case '}': return "EMPTY_DICT"; case 'd': return "DICT"; case 's': return "SETITEM";
    case 'u': return "SETITEMS"; case 0x8f: return "EMPTY_SET"; case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET"; case 'q': return "BINPUT"; case 'r': return "LONG_BINPUT";
    case 'h': return "BINGET"; case 'j': return "LONG_BINGET"; case 0x94: return "MEMOIZE";
    case 'c': return "GLOBAL"; case 0x93: return "STACK_GLOBAL"; case 'R': return "REDUCE";
    case 'b': return "BUILD"; case 0x81: return "NEWOBJ"; case 0x92: return "NEWOBJ_EX";
    case 'o': return "OBJ"; case 'i': return "INST"; case 'Q': return "BINPERSID";
    case 'P': return "PERSID"; case 0x82: return "EXT1"; case 0x83: return "EXT2";
    case 0x84: return "EXT4"; case 0x97: return "NEXT_BUFFER"; case 0x98: return "READONLY_BUFFER";
    case 'I': return "INT"; case 'L': return "LONG"; case 'F': return "FLOAT"; case 'S': return "STRING";
    case 'V': return "UNICODE"; case 'g': return "GET"; case 'p': return "PUT";
    default: return NULL;
    }
}

static vct_status bad(vm *v, const char *what) {
    int op = v->p[v->op_pos];
    const char *nm = op_name(op);
    return vct_fail(v->err, VCT_STATUS_FORMAT, "%s (opcode %s at byte %zu)", what, nm ? nm : "?",
                    v->op_pos);
}

/* ---- reading the stream -------------------------------------------------------------------- */

static int need(vm *v, size_t n) {
    if (v->len - v->pos >= n) return 0;
    const char *nm = op_name(v->p[v->op_pos]);
    vct_fail(v->err, VCT_STATUS_FORMAT,
             "truncated pickle: opcode %s at byte %zu needs %zu bytes, %zu left", nm ? nm : "?",
             v->op_pos, n, v->len - v->pos);
    return -1;
}

static uint64_t rd_le(const unsigned char *p, int n) {
    uint64_t x = 0;
    for (int i = n - 1; i >= 0; i--) x = (x << 8) | p[i];
    return x;
}

/* ---- the stack ----------------------------------------------------------------------------- */

static int64_t frame_base(const vm *v) { return v->nmarks ? v->marks[v->nmarks - 1] : 0; }

static int push(vm *v, pickle_value *x) {
    if (!x) return -1;
    if (v->sn == v->scap && vm_grow(v, (void **)&v->stack, &v->scap, v->sn + 1, sizeof *v->stack))
        return -1;
    v->stack[v->sn++] = x;
    return 0;
}

static pickle_value *pop(vm *v) {
    if (v->sn <= frame_base(v)) {
        bad(v, "pickle stack underflow");
        return NULL;
    }
    return v->stack[--v->sn];
}

static pickle_value *top(vm *v) {
    if (v->sn <= frame_base(v)) {
        bad(v, "pickle stack underflow");
        return NULL;
    }
    return v->stack[v->sn - 1];
}

/* Pop to the last mark: *items points at the frame (valid until the next push), *n its length. */
static int pop_mark(vm *v, pickle_value ***items, int64_t *n) {
    if (v->nmarks == 0) {
        bad(v, "pickle stack underflow: no MARK");
        return -1;
    }
    int64_t b = v->marks[--v->nmarks];
    *items = v->stack + b;
    *n = v->sn - b;
    v->sn = b;
    return 0;
}

/* ---- globals ------------------------------------------------------------------------------- */

static const struct {
    const char *module, *name;
    pickle_global id;
    vct_dtype dtype;
} allowed[] = {
    {"torch._utils", "_rebuild_tensor_v2", PG_REBUILD_TENSOR_V2, VCT_DTYPE_F32},
    {"torch._utils", "_rebuild_tensor", PG_REBUILD_TENSOR, VCT_DTYPE_F32},
    {"torch._utils", "_rebuild_parameter", PG_REBUILD_PARAMETER, VCT_DTYPE_F32},
    {"collections", "OrderedDict", PG_ORDERED_DICT, VCT_DTYPE_F32},
    {"collections", "Counter", PG_COUNTER, VCT_DTYPE_F32},
    {"torch", "FloatStorage", PG_STORAGE_TYPE, VCT_DTYPE_F32},
    {"torch", "DoubleStorage", PG_STORAGE_TYPE, VCT_DTYPE_F64},
    {"torch", "HalfStorage", PG_STORAGE_TYPE, VCT_DTYPE_F16},
    {"torch", "BFloat16Storage", PG_STORAGE_TYPE, VCT_DTYPE_BF16},
    {"torch", "LongStorage", PG_STORAGE_TYPE, VCT_DTYPE_I64},
    {"torch", "IntStorage", PG_STORAGE_TYPE, VCT_DTYPE_I32},
    {"torch", "ShortStorage", PG_STORAGE_TYPE, VCT_DTYPE_I16},
    {"torch", "CharStorage", PG_STORAGE_TYPE, VCT_DTYPE_I8},
    {"torch", "ByteStorage", PG_STORAGE_TYPE, VCT_DTYPE_U8},
    {"torch", "BoolStorage", PG_STORAGE_TYPE, VCT_DTYPE_BOOL},
    {"numpy.core.multiarray", "_reconstruct", PG_NP_RECONSTRUCT, VCT_DTYPE_F32},
    {"numpy._core.multiarray", "_reconstruct", PG_NP_RECONSTRUCT, VCT_DTYPE_F32},
    {"numpy", "ndarray", PG_NP_NDARRAY, VCT_DTYPE_F32},
    {"numpy", "dtype", PG_NP_DTYPE, VCT_DTYPE_F32},
    {"numpy.core.multiarray", "scalar", PG_NP_SCALAR, VCT_DTYPE_F32},
    {"numpy._core.multiarray", "scalar", PG_NP_SCALAR, VCT_DTYPE_F32},
    {"numpy.core.numeric", "_frombuffer", PG_NP_FROMBUFFER, VCT_DTYPE_F32},
    {"numpy._core.numeric", "_frombuffer", PG_NP_FROMBUFFER, VCT_DTYPE_F32},
    {"_codecs", "encode", PG_CODECS_ENCODE, VCT_DTYPE_F32},
    {"torch.storage", "_load_from_bytes", PG_LOAD_FROM_BYTES, VCT_DTYPE_F32},
};

static pickle_value *resolve_global(vm *v, const unsigned char *mod, size_t mlen,
                                    const unsigned char *name, size_t nlen) {
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strlen(allowed[i].module) == mlen && memcmp(allowed[i].module, mod, mlen) == 0 &&
            strlen(allowed[i].name) == nlen && memcmp(allowed[i].name, name, nlen) == 0) {
            pickle_value *x = new_value(v, PK_GLOBAL);
            char *full = vm_alloc(v, mlen + nlen + 2);
            if (!x || !full) return NULL;
            memcpy(full, mod, mlen);
            full[mlen] = '.';
            memcpy(full + mlen + 1, name, nlen);
            full[mlen + 1 + nlen] = 0;
            x->u.g.id = allowed[i].id;
            x->u.g.dtype = allowed[i].dtype;
            x->u.g.name = full;
            return x;
        }
    }
    char m[128], n[128];
    clean_text(m, sizeof m, mod, mlen);
    clean_text(n, sizeof n, name, nlen);
    vct_fail(v->err, VCT_STATUS_FORMAT, "global '%s.%s' is not allowed (byte %zu)", m, n, v->op_pos);
    return NULL;
}

static const char *describe(const pickle_value *x, char *buf, size_t cap) {
    if (x->kind == PK_GLOBAL) {
        snprintf(buf, cap, "%s", x->u.g.name);
        return buf;
    }
    snprintf(buf, cap, "a %s", pickle_kind_name(x->kind));
    return buf;
}

/* ---- allow-listed callables ---------------------------------------------------------------- */

static int get_int(const pickle_value *x, int64_t *out) {
    if (!x || (x->kind != PK_INT && x->kind != PK_BOOL)) return -1;
    *out = x->u.i;
    return 0;
}

/* a tuple/list of at most VCT_MAX_DIMS non-negative ints */
static int get_dims(const pickle_value *x, int *nd, int64_t *d) {
    if (!x || (x->kind != PK_TUPLE && x->kind != PK_LIST)) return -1;
    if (x->u.seq.n > VCT_MAX_DIMS) return -1;
    *nd = (int)x->u.seq.n;
    for (int i = 0; i < *nd; i++)
        if (get_int(x->u.seq.items[i], &d[i]) || d[i] < 0) return -1;
    return 0;
}

static pickle_value *rebuild_tensor(vm *v, pickle_value *const *a, int64_t n) {
    if (n < 4 || n > 7 || a[0]->kind != PK_STORAGE) {
        bad(v, "_rebuild_tensor: expected (storage, offset, size, stride, ...)");
        return NULL;
    }
    pickle_value *t = new_value(v, PK_TENSOR);
    if (!t) return NULL;
    int nd2 = 0;
    int64_t stride[VCT_MAX_DIMS];
    if (get_int(a[1], &t->u.tensor.offset) || t->u.tensor.offset < 0 ||
        get_dims(a[2], &t->u.tensor.ndim, t->u.tensor.size) || get_dims(a[3], &nd2, stride) ||
        nd2 != t->u.tensor.ndim) {
        bad(v, "_rebuild_tensor: bad offset, size or stride (negative, non-integer, mismatched, or "
               "more than 8 dimensions)");
        return NULL;
    }
    memcpy(t->u.tensor.stride, stride, sizeof stride);
    t->u.tensor.storage = a[0];
    return t;
}

static pickle_value *make_dict(vm *v, pickle_value *const *a, int64_t n) {
    pickle_value *d = new_value(v, PK_DICT);
    if (!d) return NULL;
    if (n == 0) return d;
    if (n != 1) {
        bad(v, "OrderedDict/Counter: expected at most one argument");
        return NULL;
    }
    const pickle_value *src = a[0];
    if (src->kind == PK_DICT) {
        if (seq_append(v, d, src->u.seq.items, src->u.seq.n)) return NULL;
        return d;
    }
    if (src->kind == PK_LIST || src->kind == PK_TUPLE) {
        for (int64_t i = 0; i < src->u.seq.n; i++) {
            const pickle_value *pr = src->u.seq.items[i];
            if ((pr->kind != PK_TUPLE && pr->kind != PK_LIST) || pr->u.seq.n != 2) {
                bad(v, "OrderedDict: items must be (key, value) pairs");
                return NULL;
            }
            if (seq_append(v, d, pr->u.seq.items, 2)) return NULL;
        }
        return d;
    }
    bad(v, "OrderedDict/Counter: argument must be a dict or a list of pairs");
    return NULL;
}

/* numpy type string ("f4", "<i8", "|b1") -> dtype value */
static pickle_value *np_dtype(vm *v, pickle_value *const *a, int64_t n) {
    if (n < 1 || (a[0]->kind != PK_STR && a[0]->kind != PK_BYTES)) {
        bad(v, "numpy.dtype: expected a type string");
        return NULL;
    }
    pickle_value *d = new_value(v, PK_DTYPE);
    if (!d) return NULL;
    const unsigned char *s = a[0]->u.s.data;
    size_t len = a[0]->u.s.len;
    clean_text(d->u.dt.descr, sizeof d->u.dt.descr, s, len);
    char bo = '|';
    if (len > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
        bo = (char)s[0];
        s++;
        len--;
    }
    static const struct { const char *s; vct_dtype dt; } map[] = {
        {"f4", VCT_DTYPE_F32}, {"f8", VCT_DTYPE_F64}, {"f2", VCT_DTYPE_F16}, {"i8", VCT_DTYPE_I64},
        {"i4", VCT_DTYPE_I32}, {"i2", VCT_DTYPE_I16}, {"i1", VCT_DTYPE_I8}, {"u1", VCT_DTYPE_U8},
        {"u2", VCT_DTYPE_U16}, {"u4", VCT_DTYPE_U32}, {"u8", VCT_DTYPE_U64}, {"b1", VCT_DTYPE_BOOL},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (len == 2 && memcmp(s, map[i].s, 2) == 0) {
            d->u.dt.dtype = map[i].dt;
            d->u.dt.known = !(bo == '>' && dtype_size(map[i].dt) > 1);
        }
    return d;
}

static int nd_set_strides(pickle_value *x, int fortran) {
    int nd = x->u.nd.ndim;
    int64_t s = 1;
    for (int k = 0; k < nd; k++) {
        int i = fortran ? k : nd - 1 - k;
        x->u.nd.stride[i] = s;
        if (x->u.nd.shape[i] > 0 && s > INT64_MAX / 16 / x->u.nd.shape[i]) return -1;
        s *= x->u.nd.shape[i];
    }
    return 0;
}

/* attach raw data of the right length to an ndarray */
static int nd_attach(vm *v, pickle_value *x, const pickle_value *dt, int fortran,
                     const pickle_value *raw, const char *who) {
    char msg[200];
    if (!dt || dt->kind != PK_DTYPE || !dt->u.dt.known) {
        snprintf(msg, sizeof msg, "%s: unsupported numpy dtype '%s'", who,
                 dt && dt->kind == PK_DTYPE ? dt->u.dt.descr : "?");
        bad(v, msg);
        return -1;
    }
    x->u.nd.dtype = dt->u.dt.dtype;
    if (nd_set_strides(x, fortran)) {
        snprintf(msg, sizeof msg, "%s: array size overflows", who);
        bad(v, msg);
        return -1;
    }
    if (!raw || (raw->kind != PK_BYTES && raw->kind != PK_STR)) {
        snprintf(msg, sizeof msg, "%s: array data must be bytes (object arrays are not supported)", who);
        bad(v, msg);
        return -1;
    }
    int64_t numel = shape_numel(x->u.nd.ndim, x->u.nd.shape);
    uint64_t want = (uint64_t)numel * dtype_size(x->u.nd.dtype);
    if (raw->u.s.len != want) {
        snprintf(msg, sizeof msg, "%s: array data is %zu bytes, the shape needs %llu", who,
                 raw->u.s.len, (unsigned long long)want);
        bad(v, msg);
        return -1;
    }
    x->u.nd.data = raw->u.s.data;
    x->u.nd.has_data = 1;
    return 0;
}

static pickle_value *np_reconstruct(vm *v, pickle_value *const *a, int64_t n) {
    if (n != 3 || a[0]->kind != PK_GLOBAL || a[0]->u.g.id != PG_NP_NDARRAY) {
        bad(v, "numpy _reconstruct: only numpy.ndarray can be reconstructed");
        return NULL;
    }
    return new_value(v, PK_NDARRAY); /* shape and data come with BUILD */
}

static pickle_value *np_frombuffer(vm *v, pickle_value *const *a, int64_t n) {
    pickle_value *x = new_value(v, PK_NDARRAY);
    if (!x) return NULL;
    if (n != 4 || get_dims(a[2], &x->u.nd.ndim, x->u.nd.shape) ||
        !(str_is(a[3], "C") || str_is(a[3], "F"))) {
        bad(v, "numpy _frombuffer: expected (bytes, dtype, shape, order)");
        return NULL;
    }
    if (nd_attach(v, x, a[1], str_is(a[3], "F"), a[0], "numpy _frombuffer")) return NULL;
    return x;
}

static pickle_value *np_scalar(vm *v, pickle_value *const *a, int64_t n) {
    if (n != 2 || a[0]->kind != PK_DTYPE || !a[0]->u.dt.known ||
        (a[1]->kind != PK_BYTES && a[1]->kind != PK_STR) ||
        a[1]->u.s.len != dtype_size(a[0]->u.dt.dtype)) {
        bad(v, "numpy scalar: expected (dtype, bytes) of a supported numeric dtype");
        return NULL;
    }
    vct_dtype dt = a[0]->u.dt.dtype;
    const unsigned char *p = a[1]->u.s.data;
    switch (dt) {
    case VCT_DTYPE_F32: case VCT_DTYPE_F64: case VCT_DTYPE_F16: case VCT_DTYPE_BF16:
        return new_float(v, dtype_get_f64(p, dt, 0));
    case VCT_DTYPE_BOOL: {
        pickle_value *b = new_value(v, PK_BOOL);
        if (b) b->u.i = p[0] != 0;
        return b;
    }
    case VCT_DTYPE_U64: {
        uint64_t u = rd_le(p, 8);
        if (u > (uint64_t)INT64_MAX) {
            bad(v, "numpy scalar: uint64 value too large");
            return NULL;
        }
        return new_int(v, (int64_t)u);
    }
    case VCT_DTYPE_I64: return new_int(v, (int64_t)rd_le(p, 8));
    default: return new_int(v, (int64_t)dtype_get_f64(p, dt, 0)); /* exact for <= 32-bit ints */
    }
}

/* _codecs.encode(str, "latin1"): UTF-8 text whose code points are < 256 -> bytes */
static pickle_value *codecs_encode(vm *v, pickle_value *const *a, int64_t n) {
    if (n != 2 || a[0]->kind != PK_STR || !(str_is(a[1], "latin1") || str_is(a[1], "latin-1"))) {
        bad(v, "_codecs.encode: only (str, 'latin1') is supported");
        return NULL;
    }
    const unsigned char *s = a[0]->u.s.data;
    size_t len = a[0]->u.s.len, j = 0;
    unsigned char *out = vm_alloc(v, len + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) out[j++] = s[i];
        else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < len && (s[i + 1] & 0xc0) == 0x80) {
            out[j++] = (unsigned char)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3f));
            i++;
        } else {
            bad(v, "_codecs.encode: text is not latin-1");
            return NULL;
        }
    }
    out[j] = 0;
    pickle_value *x = new_value(v, PK_BYTES);
    if (!x) return NULL;
    x->u.s.data = out;
    x->u.s.len = j;
    return x;
}

/* torch.storage._load_from_bytes(b): b is a legacy torch.save of one storage,
 * read by pth_legacy.c one level down within what is left of this VM's budget
 * (charged here); the storage's data points into b, which this VM owns. */
static pickle_value *load_from_bytes(vm *v, pickle_value *const *a, int64_t n) {
    pickle_result *r = v->r;
    size_t used = 0, left = r->used < r->max ? r->max - r->used : 0;
    pickle_options sub = {PICKLE_PERSID_LEGACY, left ? left : 1, v->opt->nesting + 1};
    pickle_value *s = new_value(v, PK_STORAGE);
    if (!s) return NULL;
    if (n != 1 || a[0]->kind != PK_BYTES) {
        char msg[128];
        snprintf(msg, sizeof msg, "torch.storage._load_from_bytes: argument must be bytes, not %s",
                 n == 1 ? pickle_kind_name(a[0]->kind) : "several arguments");
        return bad(v, msg), NULL;
    }
    if (pth_legacy_load_storage(a[0]->u.s.data, a[0]->u.s.len, &sub, s, &used, v->err) != VCT_STATUS_OK) {
        vct_error_wrap(v->err, "torch.storage._load_from_bytes (byte %zu)", v->op_pos);
        return NULL;
    }
    r->used += used; /* at most sub.max_bytes */
    return s;
}

static pickle_value *call(vm *v, const pickle_value *fn, const pickle_value *args, const char *how) {
    char msg[200], d[96];
    if (fn->kind != PK_GLOBAL) {
        snprintf(msg, sizeof msg, "%s on %s is not allowed", how, describe(fn, d, sizeof d));
        bad(v, msg);
        return NULL;
    }
    if (args->kind != PK_TUPLE) {
        snprintf(msg, sizeof msg, "%s: arguments must be a tuple, not a %s", how,
                 pickle_kind_name(args->kind));
        bad(v, msg);
        return NULL;
    }
    pickle_value *const *a = args->u.seq.items;
    int64_t n = args->u.seq.n;
    switch (fn->u.g.id) {
    case PG_REBUILD_TENSOR_V2:
    case PG_REBUILD_TENSOR: return rebuild_tensor(v, a, n);
    case PG_REBUILD_PARAMETER:
        if (n < 1 || n > 4 || a[0]->kind != PK_TENSOR) {
            bad(v, "_rebuild_parameter: expected (tensor, requires_grad, hooks)");
            return NULL;
        }
        return a[0];
    case PG_ORDERED_DICT:
    case PG_COUNTER: return make_dict(v, a, n);
    case PG_NP_RECONSTRUCT: return np_reconstruct(v, a, n);
    case PG_NP_DTYPE: return np_dtype(v, a, n);
    case PG_NP_SCALAR: return np_scalar(v, a, n);
    case PG_NP_FROMBUFFER: return np_frombuffer(v, a, n);
    case PG_CODECS_ENCODE: return codecs_encode(v, a, n);
    case PG_LOAD_FROM_BYTES: return load_from_bytes(v, a, n);
    case PG_STORAGE_TYPE:
    case PG_NP_NDARRAY: break;
    }
    snprintf(msg, sizeof msg, "%s on %s is not allowed", how, describe(fn, d, sizeof d));
    bad(v, msg);
    return NULL;
}

static int build(vm *v, pickle_value *obj, const pickle_value *state) {
    char msg[200], d[96];
    if (obj->kind == PK_DICT && (state->kind == PK_DICT || state->kind == PK_NONE))
        return 0; /* OrderedDict attributes (state_dict._metadata): not needed, ignored */
    if (obj->kind == PK_NDARRAY && !obj->u.nd.has_data && state->kind == PK_TUPLE &&
        (state->u.seq.n == 5 || state->u.seq.n == 4)) {
        pickle_value *const *s = state->u.seq.items + (state->u.seq.n == 5);
        int64_t fortran;
        if (get_dims(s[0], &obj->u.nd.ndim, obj->u.nd.shape) || get_int(s[2], &fortran)) {
            bad(v, "numpy array state: bad shape (negative, non-integer or more than 8 dimensions)");
            return -1;
        }
        return nd_attach(v, obj, s[1], fortran != 0, s[3], "numpy array state");
    }
    if (obj->kind == PK_DTYPE && state->kind == PK_TUPLE && state->u.seq.n >= 2) {
        const pickle_value *bo = state->u.seq.items[1];
        if (str_is(bo, ">") && dtype_size(obj->u.dt.dtype) > 1) obj->u.dt.known = 0;
        for (int64_t i = 2; i < state->u.seq.n && i < 5; i++) /* subarray, names, fields */
            if (state->u.seq.items[i]->kind != PK_NONE) obj->u.dt.known = 0;
        return 0;
    }
    snprintf(msg, sizeof msg, "BUILD on %s with a %s state is not allowed", describe(obj, d, sizeof d),
             pickle_kind_name(state->kind));
    bad(v, msg);
    return -1;
}

static pickle_value *persistent_load(vm *v, const pickle_value *pid) {
    int mode = v->opt->allow_persistent_id, legacy = mode == PICKLE_PERSID_LEGACY;
    if (mode != PICKLE_PERSID_ZIP && !legacy) {
        bad(v, "persistent id outside a torch checkpoint");
        return NULL;
    }
    if (pid->kind != PK_TUPLE || pid->u.seq.n != 5 + legacy || !str_is(pid->u.seq.items[0], "storage")) {
        bad(v, legacy ? "persistent id must be ('storage', type, key, location, numel, view_metadata)"
                      : "persistent id must be ('storage', type, key, location, numel)");
        return NULL;
    }
    pickle_value *const *a = pid->u.seq.items;
    if (legacy && a[5]->kind != PK_NONE) {
        bad(v, "persistent id: storage views (view_metadata, torch < 1.0) are not supported");
        return NULL;
    }
    if (a[1]->kind != PK_GLOBAL || a[1]->u.g.id != PG_STORAGE_TYPE) {
        bad(v, "persistent id: storage type must be one of torch.<Float|Double|Half|BFloat16|Long|"
               "Int|Short|Char|Byte|Bool>Storage");
        return NULL;
    }
    int64_t numel;
    if (get_int(a[4], &numel) || numel < 0) {
        bad(v, "persistent id: bad storage size");
        return NULL;
    }
    const pickle_value *key = a[2];
    int ok = key->kind == PK_STR && key->u.s.len > 0 && key->u.s.len < 64;
    for (size_t i = 0; ok && i < key->u.s.len; i++) {
        unsigned char c = key->u.s.data[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }
    if (!ok) {
        bad(v, "persistent id: bad storage key (want 1-63 characters of [A-Za-z0-9_])");
        return NULL;
    }
    pickle_value *s = new_value(v, PK_STORAGE);
    if (!s) return NULL;
    s->u.storage.dtype = a[1]->u.g.dtype;
    s->u.storage.numel = numel;
    memcpy(s->u.storage.key, key->u.s.data, key->u.s.len);
    s->u.storage.key[key->u.s.len] = 0;
    pickle_result *r = v->r;
    if (r->nstorages == r->capstorages &&
        vm_grow(v, (void **)&r->storages, &r->capstorages, r->nstorages + 1, sizeof *r->storages))
        return NULL;
    r->storages[r->nstorages++] = s;
    return s;
}

/* ---- memo ---------------------------------------------------------------------------------- */

static int memo_put(vm *v, uint64_t idx) {
    pickle_value *x = top(v);
    if (!x) return -1;
    if (idx >= PICKLE_MAX_MEMO) {
        bad(v, "memo index too large");
        return -1;
    }
    if ((int64_t)idx >= v->mcap &&
        vm_grow(v, (void **)&v->memo, &v->mcap, (int64_t)idx + 1, sizeof *v->memo))
        return -1;
    if (!v->memo[idx]) v->mcount++;
    v->memo[idx] = x;
    return 0;
}

static int memo_get(vm *v, uint64_t idx) {
    if (idx >= (uint64_t)v->mcap || !v->memo[idx]) {
        char msg[80];
        snprintf(msg, sizeof msg, "bad memo index %llu (never stored)", (unsigned long long)idx);
        bad(v, msg);
        return -1;
    }
    return push(v, v->memo[idx]);
}

/* ---- the loop ------------------------------------------------------------------------------ */

static int load_string(vm *v, int op, int lenbytes, pickle_kind k) {
    if (need(v, (size_t)lenbytes)) return -1;
    uint64_t n = rd_le(v->p + v->pos, lenbytes);
    v->pos += (size_t)lenbytes;
    if (op == 'T' && n > 0x7fffffffu) return bad(v, "negative string length"), -1;
    if (n > v->len - v->pos) {
        vct_fail(v->err, VCT_STATUS_FORMAT,
                 "truncated pickle: opcode %s at byte %zu wants %llu bytes, %zu left", op_name(op),
                 v->op_pos, (unsigned long long)n, v->len - v->pos);
        return -1;
    }
    pickle_value *x = new_bytes(v, k, v->p + v->pos, (size_t)n);
    v->pos += (size_t)n;
    return push(v, x);
}

static int step(vm *v, int *done) {
    v->op_pos = v->pos;
    if (v->pos >= v->len) {
        vct_fail(v->err, VCT_STATUS_FORMAT, "truncated pickle: ended at byte %zu without STOP", v->pos);
        return -1;
    }
    int op = v->p[v->pos++];
    pickle_value *x, *y, **items;
    int64_t n;
    switch (op) {
    case 0x80: /* PROTO */
        if (need(v, 1)) return -1;
        v->proto = v->p[v->pos++];
        if (v->proto > 5) return bad(v, "unsupported pickle protocol"), -1;
        return 0;
    case 0x95: /* FRAME: framing is only a read-ahead hint */
        if (need(v, 8)) return -1;
        v->pos += 8;
        return 0;
    case '.': /* STOP */
        if (!top(v)) return -1;
        *done = 1;
        return 0;
    case '(':
        if (v->nmarks >= PICKLE_MAX_MARKS) return bad(v, "MARKs nested too deeply"), -1;
        v->marks[v->nmarks++] = v->sn;
        return 0;
    case '0': /* POP: an empty frame pops its mark */
        if (v->sn > frame_base(v)) v->sn--;
        else if (v->nmarks) v->nmarks--;
        else return bad(v, "pickle stack underflow"), -1;
        return 0;
    case '1': return pop_mark(v, &items, &n);
    case '2': return (x = top(v)) ? push(v, x) : -1;
    case 'N': return push(v, v->none);
    case 0x88: return push(v, v->true_);
    case 0x89: return push(v, v->false_);
    case 'J':
        if (need(v, 4)) return -1;
        x = new_int(v, (int32_t)(uint32_t)rd_le(v->p + v->pos, 4));
        v->pos += 4;
        return push(v, x);
    case 'K':
        if (need(v, 1)) return -1;
        return push(v, new_int(v, v->p[v->pos++]));
    case 'M':
        if (need(v, 2)) return -1;
        x = new_int(v, (int64_t)rd_le(v->p + v->pos, 2));
        v->pos += 2;
        return push(v, x);
    case 0x8a: /* LONG1 */
    case 0x8b: { /* LONG4 */
        int lb = op == 0x8a ? 1 : 4;
        if (need(v, (size_t)lb)) return -1;
        uint64_t nb = rd_le(v->p + v->pos, lb);
        v->pos += (size_t)lb;
        if (nb > 8) return bad(v, "integer wider than 64 bits"), -1;
        if (need(v, (size_t)nb)) return -1;
        uint64_t u = nb ? rd_le(v->p + v->pos, (int)nb) : 0;
        if (nb > 0 && nb < 8 && (v->p[v->pos + nb - 1] & 0x80)) u |= ~0ull << (8 * nb); /* sign */
        v->pos += (size_t)nb;
        return push(v, new_int(v, (int64_t)u));
    }
    case 'G': {
        if (need(v, 8)) return -1;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++) u = (u << 8) | v->p[v->pos + (size_t)i];
        v->pos += 8;
        double f;
        memcpy(&f, &u, 8);
        return push(v, new_float(v, f));
    }
    case 'X': return load_string(v, op, 4, PK_STR);
    case 0x8c: return load_string(v, op, 1, PK_STR);
    case 0x8d: return load_string(v, op, 8, PK_STR);
    case 'B': return load_string(v, op, 4, PK_BYTES);
    case 'C': return load_string(v, op, 1, PK_BYTES);
    case 0x8e: return load_string(v, op, 8, PK_BYTES);
    case 0x96: return load_string(v, op, 8, PK_BYTES);
    case 'T': return load_string(v, op, 4, PK_BYTES); /* Python 2 str */
    case 'U': return load_string(v, op, 1, PK_BYTES);
    case ')': return push(v, new_seq(v, PK_TUPLE, NULL, 0));
    case 't':
        if (pop_mark(v, &items, &n)) return -1;
        return push(v, new_seq(v, PK_TUPLE, items, n));
    case 0x85:
    case 0x86:
    case 0x87: {
        int k = op - 0x84;
        if (v->sn - frame_base(v) < k) return bad(v, "pickle stack underflow"), -1;
        v->sn -= k;
        return push(v, new_seq(v, PK_TUPLE, v->stack + v->sn, k));
    }
    case ']': return push(v, new_seq(v, PK_LIST, NULL, 0));
    case 0x8f: return push(v, new_seq(v, PK_LIST, NULL, 0)); /* EMPTY_SET */
    case 'l':
    case 0x91: /* FROZENSET */
        if (pop_mark(v, &items, &n)) return -1;
        return push(v, new_seq(v, PK_LIST, items, n));
    case 'a':
        if (!(y = pop(v)) || !(x = top(v))) return -1;
        if (x->kind != PK_LIST) return bad(v, "APPEND to something that is not a list"), -1;
        return seq_append(v, x, &y, 1);
    case 'e':
    case 0x90: /* ADDITEMS */
        if (pop_mark(v, &items, &n) || !(x = top(v))) return -1;
        if (x->kind != PK_LIST) return bad(v, "APPENDS to something that is not a list"), -1;
        return seq_append(v, x, items, n);
    case '}': return push(v, new_seq(v, PK_DICT, NULL, 0));
    case 'd':
        if (pop_mark(v, &items, &n)) return -1;
        if (n % 2) return bad(v, "DICT with an odd number of items"), -1;
        return push(v, new_seq(v, PK_DICT, items, n));
    case 's': {
        if (v->sn - frame_base(v) < 3) return bad(v, "pickle stack underflow"), -1;
        x = v->stack[v->sn - 3];
        if (x->kind != PK_DICT) return bad(v, "SETITEM on something that is not a dict"), -1;
        v->sn -= 2;
        return seq_append(v, x, v->stack + v->sn, 2);
    }
    case 'u':
        if (pop_mark(v, &items, &n) || !(x = top(v))) return -1;
        if (x->kind != PK_DICT) return bad(v, "SETITEMS on something that is not a dict"), -1;
        if (n % 2) return bad(v, "SETITEMS with an odd number of items"), -1;
        return seq_append(v, x, items, n);
    case 'q':
        if (need(v, 1)) return -1;
        return memo_put(v, v->p[v->pos++]);
    case 'r':
        if (need(v, 4)) return -1;
        v->pos += 4;
        return memo_put(v, rd_le(v->p + v->pos - 4, 4));
    case 0x94: return memo_put(v, (uint64_t)v->mcount);
    case 'h':
        if (need(v, 1)) return -1;
        return memo_get(v, v->p[v->pos++]);
    case 'j':
        if (need(v, 4)) return -1;
        v->pos += 4;
        return memo_get(v, rd_le(v->p + v->pos - 4, 4));
    case 'c': { /* GLOBAL "module\nname\n" */
        const unsigned char *s = v->p + v->pos, *nl1, *nl2;
        size_t left = v->len - v->pos, lim = left < 512 ? left : 512;
        nl1 = memchr(s, '\n', lim);
        nl2 = nl1 ? memchr(nl1 + 1, '\n', lim - (size_t)(nl1 + 1 - s)) : NULL;
        if (!nl2) {
            if (left < 512) return need(v, left + 1);
            return bad(v, "GLOBAL name too long"), -1;
        }
        v->pos += (size_t)(nl2 + 1 - s);
        return push(v, resolve_global(v, s, (size_t)(nl1 - s), nl1 + 1, (size_t)(nl2 - nl1 - 1)));
    }
    case 0x93: /* STACK_GLOBAL */
        if (!(y = pop(v)) || !(x = pop(v))) return -1;
        if (x->kind != PK_STR || y->kind != PK_STR)
            return bad(v, "STACK_GLOBAL needs two strings"), -1;
        return push(v, resolve_global(v, x->u.s.data, x->u.s.len, y->u.s.data, y->u.s.len));
    case 'R': /* REDUCE */
        if (!(y = pop(v)) || !(x = pop(v))) return -1;
        return push(v, call(v, x, y, "REDUCE"));
    case 0x81: /* NEWOBJ: cls.__new__(cls, *args); only the dict types */
        if (!(y = pop(v)) || !(x = pop(v))) return -1;
        if (x->kind != PK_GLOBAL || (x->u.g.id != PG_ORDERED_DICT && x->u.g.id != PG_COUNTER)) {
            char msg[160], d[96];
            snprintf(msg, sizeof msg, "NEWOBJ on %s is not allowed", describe(x, d, sizeof d));
            return bad(v, msg), -1;
        }
        return push(v, call(v, x, y, "NEWOBJ"));
    case 'b':
        if (!(y = pop(v)) || !(x = top(v))) return -1;
        return build(v, x, y);
    case 'Q':
        if (!(x = pop(v))) return -1;
        return push(v, persistent_load(v, x));
    case 0x92: return bad(v, "NEWOBJ_EX is not allowed"), -1;
    case 'o': return bad(v, "OBJ is not allowed (it instantiates a class)"), -1;
    case 'i': { /* INST: name the class in the message, refuse it either way */
        const unsigned char *s = v->p + v->pos, *nl1 = NULL, *nl2 = NULL;
        size_t left = v->len - v->pos, lim = left < 512 ? left : 512;
        nl1 = memchr(s, '\n', lim);
        if (nl1) nl2 = memchr(nl1 + 1, '\n', lim - (size_t)(nl1 + 1 - s));
        if (nl2) {
            char m[128], c[128];
            clean_text(m, sizeof m, s, (size_t)(nl1 - s));
            clean_text(c, sizeof c, nl1 + 1, (size_t)(nl2 - nl1 - 1));
            vct_fail(v->err, VCT_STATUS_FORMAT, "INST of '%s.%s' is not allowed (byte %zu)", m, c,
                     v->op_pos);
            return -1;
        }
        return bad(v, "INST is not allowed"), -1;
    }
    case 0x82: case 0x83: case 0x84: return bad(v, "extension registry codes are not allowed"), -1;
    case 0x97: case 0x98: return bad(v, "out-of-band buffers are not supported"), -1;
    case 'P': return bad(v, "text persistent ids are not supported"), -1;
    default: {
        const char *nm = op_name(op);
        char msg[120];
        if (nm)
            snprintf(msg, sizeof msg, "unsupported opcode %s (protocol 0/1 text opcodes are not "
                                      "supported)", nm);
        else
            snprintf(msg, sizeof msg, "unknown opcode 0x%02x", op);
        vct_fail(v->err, VCT_STATUS_FORMAT, "%s (byte %zu)", msg, v->op_pos);
        return -1;
    }
    }
}

vct_status pickle_load(const unsigned char *data, size_t len, const pickle_options *opt,
                       pickle_result **res, const pickle_value **root, vct_error *err) {
    size_t pos = 0;
    return pickle_load_at(data, len, &pos, opt, res, root, err);
}

vct_status pickle_load_at(const unsigned char *data, size_t len, size_t *pos, const pickle_options *opt,
                          pickle_result **res, const pickle_value **root, vct_error *err) {
    static const pickle_options defaults = {0, 0, 0};
    vct_error local;
    if (!err) err = &local;
    *res = NULL;
    *root = NULL;
    if (!opt) opt = &defaults;
    pickle_result *r = calloc(1, sizeof *r);
    if (!r) return vct_fail(err, VCT_STATUS_NO_MEMORY, "pickle: out of memory");
    r->max = opt->max_bytes;
    if (!r->max) r->max = (len > ((size_t)1 << 40) ? ((size_t)1 << 46) : 64 * len) + ((size_t)64 << 20);
    vm v;
    memset(&v, 0, sizeof v);
    v.r = r;
    v.p = data;
    v.len = len;
    v.pos = *pos <= len ? *pos : len;
    v.opt = opt;
    v.err = err;
    vct_status st = VCT_STATUS_OK;
    v.none = new_value(&v, PK_NONE);
    v.true_ = new_value(&v, PK_BOOL);
    v.false_ = new_value(&v, PK_BOOL);
    if (!v.none || !v.true_ || !v.false_) goto fail;
    v.true_->u.i = 1;
    int done = 0;
    while (!done)
        if (step(&v, &done)) goto fail;
    *root = v.stack[v.sn - 1];
    *pos = v.pos;
    free(v.stack);
    free(v.memo);
    *res = r;
    return VCT_STATUS_OK;
fail:
    st = err->status;
    if (st == VCT_STATUS_OK) st = vct_fail(err, VCT_STATUS_INTERNAL, "pickle: failed without a message");
    free(v.stack);
    free(v.memo);
    pickle_free(r);
    return st;
}

size_t pickle_used(const pickle_result *r) { return r ? r->used : 0; }

pickle_value *const *pickle_storages(pickle_result *r, int64_t *n) {
    *n = r ? r->nstorages : 0;
    return r ? r->storages : NULL;
}

void pickle_free(pickle_result *r) {
    if (!r) return;
    free(r->storages);
    blk *b = r->blocks;
    while (b) {
        blk *next = b->next;
        free(b);
        b = next;
    }
    free(r);
}
