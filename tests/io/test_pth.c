/* test_pth.c: the .pth / .pkl reader (src/io/pth.c, pickle.c, pth_legacy.c, zipfile.c).
 *
 *  1. fixtures: every file of tests/data/pth (made with torch by tests/ref/gen_pth.py:
 *     zip and legacy torch.save files, pickle.dump'ed torch tensors such as AVSBench's
 *     log-mel .pkl, numpy pickles) read with pth_read_all and pth_read_state_dict;
 *     names, order, dtypes, shapes and every byte compared with the torch.load /
 *     pickle.load values in pth_fixtures.safetensors.
 *  2. the conformance checkpoint: keys, shapes, dtypes and a CRC-32 of every tensor
 *     against torch.load (gen_pth.py), plus a few tensors' values.
 *  3. the hostile corpus tests/data/bad (make_bad.py): each file must fail with a
 *     FORMAT error whose message names the file and the problem, leave the output
 *     empty, and never run its payload (no /tmp/vct_pwned_<file> marker).
 *  4. robustness: the conformance data.pkl truncated at many offsets (must fail)
 *     and with random bytes flipped (must fail or succeed, never crash), through
 *     the pickle VM; a fixture's data.pkl likewise through the whole reader (a
 *     stored zip rebuilt around it), and the fixture file itself damaged; legacy and
 *     pickle.dump fixtures truncated (must fail) and bit-flipped; a truncated legacy
 *     header (format error) and a big-endian legacy file (unsupported).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/testlib.h"
#include "io/pickle.h"
#include "io/pth.h"
#include "io/zipfile.h"

#define PTH_DIR "tests/data/pth"
#define BAD_DIR "tests/data/bad"
#define CONF_PTH "../shared/conformance/cases/ss-reduced-1f/model_best.pth"

/* ---- helpers ------------------------------------------------------------------------------- */

/* split s at '\n' into a malloc'ed array of malloc'ed strings; returns the count */
static int split_lines(const char *s, char ***out) {
    int n = 0, cap = 16;
    char **v = malloc((size_t)cap * sizeof *v);
    if (s && *s) {
        const char *p = s;
        for (;;) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (n == cap) v = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            v[n] = malloc(len + 1);
            memcpy(v[n], p, len);
            v[n][len] = 0;
            n++;
            if (!e) break;
            p = e + 1;
        }
    }
    *out = v;
    return n;
}

static void free_lines(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static uint32_t crc32_bytes(const void *data, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    const unsigned char *p = data;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void shape_csv(const tensor *t, char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    for (int j = 0; j < t->ndim && k < cap; j++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", j ? "," : "", (long long)t->shape[j]);
}

/* got must have dtype `want_dt` (a name), shape `want_shape` ("2,3"; NULL: want's shape)
 * and want's values: bytewise when the ref has the same dtype, else exactly after
 * conversion to double */
static int same_tensor(const char *label, const tensor *got, const tensor *want, const char *want_dt,
                       const char *want_shape) {
    char a[256], b[256];
    if (strcmp(dtype_name(got->dtype), want_dt) != 0) {
        tl_fail(label, "dtype %s, expected %s", dtype_name(got->dtype), want_dt);
        return 0;
    }
    shape_csv(got, a, sizeof a);
    if (!want_shape) shape_csv(want, b, sizeof b);
    if (strcmp(a, want_shape ? want_shape : b) != 0 || tensor_numel(got) != tensor_numel(want)) {
        tl_fail(label, "shape [%s], expected [%s]", a, want_shape ? want_shape : b);
        return 0;
    }
    int64_t n = tensor_numel(got);
    size_t es = dtype_size(got->dtype);
    for (int64_t i = 0; i < n; i++) {
        int ok;
        if (got->dtype == want->dtype) {
            ok = memcmp((const char *)got->data + i * (int64_t)es, (const char *)want->data + i * (int64_t)es,
                        es) == 0;
        } else {
            double x = dtype_get_f64(got->data, got->dtype, i), y = dtype_get_f64(want->data, want->dtype, i);
            ok = x == y || (x != x && y != y);
        }
        if (!ok) {
            tl_fail(label, "element %lld: got %.9g, expected %.9g", (long long)i,
                    dtype_get_f64(got->data, got->dtype, i), dtype_get_f64(want->data, want->dtype, i));
            return 0;
        }
    }
    return 1;
}

/* ---- 1. fixtures --------------------------------------------------------------------------- */

static void test_fixture(const tensor_dict *ref, const char *file) {
    char path[512], key[512], label[600];
    snprintf(path, sizeof path, PTH_DIR "/%s", file);
    char **names, **dts, **sd, **metas, **shapes;
    snprintf(key, sizeof key, "all.%s", file);
    int nn = split_lines(tensor_dict_get_meta(ref, key), &names);
    snprintf(key, sizeof key, "shapes.%s", file);
    int nsh = split_lines(tensor_dict_get_meta(ref, key), &shapes);
    snprintf(key, sizeof key, "dtypes.%s", file);
    int nd = split_lines(tensor_dict_get_meta(ref, key), &dts);
    snprintf(key, sizeof key, "sd.%s", file);
    int ns = split_lines(tensor_dict_get_meta(ref, key), &sd);
    snprintf(key, sizeof key, "meta.%s", file);
    int nm = split_lines(tensor_dict_get_meta(ref, key), &metas);
    snprintf(key, sizeof key, "sdprefix.%s", file);
    const char *prefix = tensor_dict_get_meta(ref, key);
    if (nn == 0 || nd != nn || nsh != nn || ns == 0 || !prefix) {
        tl_fail(file, "reference metadata missing (run `make ref`)");
        goto done;
    }

    /* pth_read_all: every tensor, by path, in file order */
    tensor_dict all;
    vct_error err = {0};
    snprintf(label, sizeof label, "%s: pth_read_all", file);
    if (pth_read_all(path, &all, &err) != VCT_STATUS_OK) {
        tl_fail(label, "%s", err.msg);
    } else {
        int ok = tl_expect(all.count == nn, label, "%lld tensors, expected %d", (long long)all.count, nn);
        for (int i = 0; ok && i < nn; i++) {
            snprintf(label, sizeof label, "%s: all[%d] '%s'", file, i, names[i]);
            if (strcmp(all.items[i].name, names[i]) != 0) {
                tl_fail(label, "name '%s', expected '%s'", all.items[i].name, names[i]);
                ok = 0;
                break;
            }
            snprintf(key, sizeof key, "%s:%s", file, names[i]);
            const tensor *want = tl_ref_tensor(ref, key);
            ok = want && same_tensor(label, &all.items[i].t, want, dts[i], shapes[i]);
        }
        if (ok) tl_pass(label);
        for (int i = 0; i < nm; i++) {
            char *eq = strchr(metas[i], '=');
            if (!eq) continue;
            *eq = 0;
            const char *got = tensor_dict_get_meta(&all, metas[i]);
            snprintf(label, sizeof label, "%s: metadata '%s'", file, metas[i]);
            tl_expect(got && strcmp(got, eq + 1) == 0, label, "'%s', expected '%s'", got ? got : "(none)",
                      eq + 1);
            *eq = '=';
        }
        tensor_dict_free(&all);
    }

    /* pth_read_state_dict: the model's keys as in the file */
    tensor_dict sdd;
    snprintf(label, sizeof label, "%s: pth_read_state_dict", file);
    if (pth_read_state_dict(path, &sdd, &err) != VCT_STATUS_OK) {
        tl_fail(label, "%s", err.msg);
    } else {
        int ok = tl_expect(sdd.count == ns, label, "%lld tensors, expected %d", (long long)sdd.count, ns);
        for (int i = 0; ok && i < ns; i++) {
            if (strcmp(sdd.items[i].name, sd[i]) != 0) {
                tl_fail(label, "key %d '%s', expected '%s'", i, sdd.items[i].name, sd[i]);
                ok = 0;
                break;
            }
            snprintf(key, sizeof key, "%s:%s%s", file, prefix, sd[i]);
            int j = 0;
            while (j < nn && strcmp(names[j], key + strlen(file) + 1) != 0) j++;
            const tensor *want = tl_ref_tensor(ref, key);
            snprintf(label, sizeof label, "%s: state_dict '%s'", file, sd[i]);
            ok = want && j < nn && same_tensor(label, &sdd.items[i].t, want, dts[j], shapes[j]);
        }
        snprintf(label, sizeof label, "%s: pth_read_state_dict", file);
        if (ok) tl_pass(label);
        for (int i = 0; i < nm; i++) /* top-level scalars are the state_dict's metadata too */
            if (!strchr(metas[i], '.') && strchr(metas[i], '=')) {
                char *eq = strchr(metas[i], '=');
                *eq = 0;
                const char *got = tensor_dict_get_meta(&sdd, metas[i]);
                snprintf(label, sizeof label, "%s: state_dict metadata '%s'", file, metas[i]);
                tl_expect(got && strcmp(got, eq + 1) == 0, label, "'%s', expected '%s'",
                          got ? got : "(none)", eq + 1);
                *eq = '=';
            }
        tensor_dict_free(&sdd);
    }
done:
    free_lines(names, nn);
    free_lines(shapes, nsh);
    free_lines(dts, nd);
    free_lines(sd, ns);
    free_lines(metas, nm);
}

/* ---- 2. the conformance checkpoint --------------------------------------------------------- */

static void test_conformance(const tensor_dict *ref) {
    if (access(CONF_PTH, R_OK) != 0) {
        tl_skip("conformance checkpoint", "no " CONF_PTH);
        return;
    }
    char **keys, **shapes, **dts, **crcs;
    int nk = split_lines(tensor_dict_get_meta(ref, "conf.keys"), &keys);
    int nsh = split_lines(tensor_dict_get_meta(ref, "conf.shapes"), &shapes);
    int nd = split_lines(tensor_dict_get_meta(ref, "conf.dtypes"), &dts);
    int nc = split_lines(tensor_dict_get_meta(ref, "conf.crc32"), &crcs);
    const char *iter = tensor_dict_get_meta(ref, "conf.iteration");
    tensor_dict d;
    vct_error err = {0};
    if (nk == 0 || nsh != nk || nd != nk || nc != nk || !iter) {
        tl_fail("conformance checkpoint", "conf.* reference metadata missing (run `make ref`)");
        goto done;
    }
    if (pth_read_state_dict(CONF_PTH, &d, &err) != VCT_STATUS_OK) {
        tl_fail("conformance checkpoint", "%s", err.msg);
        goto done;
    }
    int bad = 0;
    tl_expect(d.count == nk, "conformance: tensor count", "%lld, expected %d", (long long)d.count, nk);
    for (int i = 0; i < nk && i < d.count && bad < 5; i++) {
        const tensor *t = &d.items[i].t;
        char sh[256], label[400];
        shape_csv(t, sh, sizeof sh);
        uint32_t crc = crc32_bytes(t->data, tensor_nbytes(t));
        snprintf(label, sizeof label, "conformance '%s'", keys[i]);
        if (strcmp(d.items[i].name, keys[i]) != 0) {
            tl_fail(label, "name '%s' at %d", d.items[i].name, i);
            bad++;
        } else if (strcmp(sh, shapes[i]) != 0 || strcmp(dtype_name(t->dtype), dts[i]) != 0) {
            tl_fail(label, "%s [%s], expected %s [%s]", dtype_name(t->dtype), sh, dts[i], shapes[i]);
            bad++;
        } else if (crc != (uint32_t)strtoul(crcs[i], NULL, 10)) {
            tl_fail(label, "CRC-32 of the data %u, torch.load's %s", crc, crcs[i]);
            bad++;
        }
    }
    if (!bad) tl_pass("conformance: names, order, shapes, dtypes and CRC-32 of every tensor");
    const char *it = tensor_dict_get_meta(&d, "iteration");
    tl_expect(it && strcmp(it, iter) == 0, "conformance: iteration metadata", "'%s', expected '%s'",
              it ? it : "(none)", iter);
    for (int64_t i = 0; i < ref->count; i++)
        if (strncmp(ref->items[i].name, "conf:", 5) == 0) {
            const char *name = ref->items[i].name + 5;
            const tensor *t = tensor_dict_find(&d, name);
            char label[400];
            snprintf(label, sizeof label, "conformance values '%s'", name);
            if (!t) tl_fail(label, "missing");
            else if (same_tensor(label, t, &ref->items[i].t, dtype_name(ref->items[i].t.dtype), NULL))
                tl_pass(label);
        }
    tensor_dict_free(&d);
    if (pth_read_all(CONF_PTH, &d, &err) != VCT_STATUS_OK) {
        tl_fail("conformance: pth_read_all", "%s", err.msg);
    } else {
        int ok = d.count == nk;
        for (int i = 0; ok && i < nk; i++)
            ok = strncmp(d.items[i].name, "model.", 6) == 0 && strcmp(d.items[i].name + 6, keys[i]) == 0;
        tl_expect(ok, "conformance: pth_read_all names 'model.<key>'", "count %lld, expected %d",
                  (long long)d.count, nk);
        tensor_dict_free(&d);
    }
done:
    free_lines(keys, nk);
    free_lines(shapes, nsh);
    free_lines(dts, nd);
    free_lines(crcs, nc);
}

/* ---- 3. the hostile corpus ----------------------------------------------------------------- */

static const struct {
    const char *file, *words; /* words: alternatives separated by '|'; one must be in the message */
} bad_files[] = {
    {"appends_without_mark.pth", "MARK"},
    {"bad_memo_index.pth", "memo index"},
    {"build_on_str.pth", "BUILD on a str"},
    {"build_on_tensor.pth", "BUILD on a tensor"},
    {"builtins_eval_global_p2.pkl", "global 'builtins.eval' is not allowed"},
    {"builtins_eval_global_p2.pth", "data.pkl: global 'builtins.eval' is not allowed"},
    {"builtins_eval_stack_global_p4.pkl", "global 'builtins.eval' is not allowed"},
    {"builtins_eval_stack_global_p4.pth", "data.pkl: global 'builtins.eval' is not allowed"},
    {"copyreg_reconstructor.pth", "global 'copy_reg._reconstructor' is not allowed"},
    {"cyclic_list.pth", "nested deeper|no state_dict"},
    {"deep_marks.pth", "nested too deeply"},
    {"deep_nesting.pth", "nested deeper|no state_dict"},
    {"empty.pth", "empty file"},
    {"exponential_dag.pth", "too large|no state_dict"},
    {"ext1_code.pth", "extension"},
    {"getattr_gadget.pth", "global 'builtins.getattr' is not allowed"},
    {"huge_binbytes8.pth", "truncated"},
    {"huge_binunicode.pth", "truncated"},
    {"inst_os_system.pth", "INST of 'os.system' is not allowed"},
    {"legacy_declared_not_listed.pth", "key list mismatch: storage '1' is declared in the pickle but not listed"},
    {"legacy_key_list_mismatch.pth", "key list mismatch: storage '1' is listed but the pickle declares no such"},
    {"legacy_pkl_key_list_empty.pkl", "key list mismatch"},
    {"legacy_pkl_key_list_other.pkl", "_load_from_bytes (byte 302): legacy torch.save: key list mismatch"},
    {"legacy_pkl_key_listed_twice.pkl", "storage '0' is listed twice"},
    {"legacy_pkl_nested_bomb.pkl", "nested deeper than 2 pickle streams"},
    {"legacy_pkl_not_a_storage.pkl", "holds a str, not a storage"},
    {"legacy_pkl_not_bytes.pkl", "_load_from_bytes: argument must be bytes, not str"},
    {"legacy_pkl_os_system_inside.pkl", "object pickle: global 'os.system' is not allowed"},
    {"legacy_pkl_protocol_1000.pkl", "protocol version 1000, expected 1001"},
    {"legacy_pkl_size_bomb.pkl", "excessive size|memory"},
    {"legacy_pkl_storage_short.pkl", "holds 4 elements, the pickle declares 6: storage too short"},
    {"legacy_pkl_stray_bytes.pkl", "4 stray bytes after the last storage"},
    {"legacy_pkl_tensor_beyond_storage.pkl", "needs element 15 of a storage of 6 elements"},
    {"legacy_pkl_truncated.pkl", "legacy torch.save: truncated: storage '0'"},
    {"legacy_pkl_truncated_header.pkl", "legacy torch.save: sys info pickle: truncated"},
    {"legacy_pkl_wrong_magic.pkl", "_load_from_bytes (byte 302): legacy torch.save: wrong magic number"},
    {"legacy_storage_short.pth", "holds 2 elements, the pickle declares 6: storage too short"},
    {"legacy_storage_view.pth", "storage views"},
    {"legacy_tensor_beyond_storage.pth", "needs element 7 of a storage of 6 elements"},
    {"legacy_truncated.pth", "legacy torch.save: truncated"},
    {"legacy_wrong_magic.pth", "legacy torch.save: wrong magic number 0x1950a86a20f9469cfc6d"},
    {"legacy_zip_persid.pth", "persistent id must be ('storage', type, key, location, numel, view_metadata)"},
    {"long1_too_wide.pth", "64 bits"},
    {"long_binget_huge.pth", "memo index"},
    {"long_binput_huge.pth", "memo index"},
    {"memo_over_budget.pth", "memory"},
    {"missing_data_pkl.pth", "no data.pkl"},
    {"missing_storage_entry.pth", "missing zip entry"},
    {"newobj_ex.pth", "NEWOBJ_EX is not allowed"},
    {"newobj_storage_type.pth", "NEWOBJ on torch.FloatStorage is not allowed"},
    {"not_a_zip_random.pth", "not a zip"},
    {"numpy_object_array.pkl", "unsupported numpy dtype"},
    {"numpy_reconstruct_not_ndarray.pkl", "only numpy.ndarray"},
    {"numpy_size_mismatch.pkl", "the shape needs"},
    {"obj_ordered_dict.pth", "OBJ is not allowed"},
    {"os_system_global_p2.pkl", "global 'os.system' is not allowed"},
    {"os_system_global_p2.pth", "data.pkl: global 'os.system' is not allowed"},
    {"os_system_stack_global_p4.pkl", "global 'os.system' is not allowed"},
    {"os_system_stack_global_p4.pth", "data.pkl: global 'os.system' is not allowed"},
    {"persid_bad_key.pth", "bad storage key"},
    {"persid_bad_type.pth", "storage type"},
    {"persid_in_plain.pkl", "persistent id"},
    {"pickle_without_stop.pth", "without STOP"},
    {"posix_system_nested.pth", "global 'posix.system' is not allowed"},
    {"protocol_9.pth", "protocol"},
    {"reduce_on_str.pth", "REDUCE on a str is not allowed"},
    {"reduce_storage_type.pth", "REDUCE on torch.FloatStorage is not allowed"},
    {"stack_underflow_across_mark.pth", "underflow"},
    {"stack_underflow_setitem.pth", "underflow"},
    {"stack_underflow_tuple2.pth", "underflow"},
    {"stop_on_empty_stack.pth", "underflow"},
    {"storage_numel_huge.pth", "too large"},
    {"storage_too_short.pth", "too short"},
    {"tensor_beyond_storage.pth", "too short"},
    {"tensor_huge_expand.pth", "excessive size"},
    {"tensor_negative_size.pth", "negative"},
    {"tensor_nine_dims.pth", "8 dimensions"},
    {"tensor_offset_beyond_storage.pth", "too short"},
    {"tensor_size_overflow.pth", "overflow"},
    {"tensor_strides_beyond_storage.pth", "too short"},
    {"text_opcode.pth", "opcode INT"},
    {"truncated_pickle.pth", "truncated pickle"},
    {"truncated_zip.pth", "not a zip"},
    {"truncated_zip_tail.pth", "not a zip|truncated"},
    {"unknown_opcode.pth", "unknown opcode"},
    {"zip_crc_mismatch.pth", "CRC"},
    {"zip_deflate_corrupt.pth", "CRC|corrupt"},
};
#define N_BAD ((int)(sizeof bad_files / sizeof bad_files[0]))

static int has_any_word(const char *msg, const char *words) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", words);
    for (char *w = strtok(buf, "|"); w; w = strtok(NULL, "|"))
        if (strstr(msg, w)) return 1;
    return 0;
}

static void test_bad_corpus(void) {
    char path[512], marker[512], label[600];
    for (int i = 0; i < N_BAD; i++) {
        snprintf(marker, sizeof marker, "/tmp/vct_pwned_%s", bad_files[i].file);
        unlink(marker);
    }
    for (int i = 0; i < N_BAD; i++) {
        snprintf(path, sizeof path, BAD_DIR "/%s", bad_files[i].file);
        for (int all = 0; all < 2; all++) {
            tensor_dict d;
            vct_error err = {0};
            vct_status st = all ? pth_read_all(path, &d, &err) : pth_read_state_dict(path, &d, &err);
            snprintf(label, sizeof label, "bad %s (%s)", bad_files[i].file,
                     all ? "pth_read_all" : "pth_read_state_dict");
            if (st == VCT_STATUS_OK) {
                tl_fail(label, "was accepted (%lld tensors)", (long long)d.count);
                tensor_dict_free(&d);
                continue;
            }
            int ok = tl_expect(st == VCT_STATUS_FORMAT, label, "status '%s', expected a format error: %s",
                               vct_status_name(st), err.msg) &&
                     tl_expect(strstr(err.msg, path) == err.msg, label, "message does not start with the path: %s",
                               err.msg) &&
                     tl_expect(has_any_word(err.msg, bad_files[i].words), label,
                               "message lacks '%s': %s", bad_files[i].words, err.msg) &&
                     tl_expect(d.count == 0 && d.items == NULL, label, "output not empty after failure");
            if (ok && all) printf("  %s\n", err.msg);
        }
    }
    /* every file of the directory is in the table, and the reverse */
    DIR *dir = opendir(BAD_DIR);
    int seen = 0;
    if (!dir) {
        tl_fail("bad corpus", "cannot open " BAD_DIR);
    } else {
        struct dirent *e;
        while ((e = readdir(dir))) {
            size_t len = strlen(e->d_name);
            if (e->d_name[0] == '.' || (len > 3 && strcmp(e->d_name + len - 3, ".py") == 0)) continue;
            int found = 0;
            for (int i = 0; i < N_BAD; i++) found |= strcmp(e->d_name, bad_files[i].file) == 0;
            tl_expect(found, "bad corpus table", "%s/%s has no expectation in test_pth.c", BAD_DIR, e->d_name);
            seen += found;
        }
        closedir(dir);
        tl_expect(seen == N_BAD, "bad corpus files", "%d of the %d listed files exist (run make_bad.py)", seen,
                  N_BAD);
    }
    /* the payloads (os.system, eval) never ran */
    int pwned = 0;
    for (int i = 0; i < N_BAD; i++) {
        snprintf(marker, sizeof marker, "/tmp/vct_pwned_%s", bad_files[i].file);
        if (access(marker, F_OK) == 0) {
            tl_fail("no side effects", "%s exists: the payload of %s ran", marker, bad_files[i].file);
            pwned++;
        }
    }
    if (!pwned) tl_pass("no side effects: no /tmp/vct_pwned_* marker");
}

/* ---- 4. robustness ------------------------------------------------------------------------- */

/* touch every reachable value (ASan sees any dangling pointer); depth-capped */
static int64_t touch(const pickle_value *x, int depth) {
    if (depth > PICKLE_MAX_DEPTH) return 0;
    int64_t h = x->kind;
    switch (x->kind) {
    case PK_STR:
    case PK_BYTES:
        for (size_t i = 0; i <= x->u.s.len; i++) h += x->u.s.data[i];
        break;
    case PK_TUPLE:
    case PK_LIST:
    case PK_DICT:
        for (int64_t i = 0; i < x->u.seq.n; i++) h += touch(x->u.seq.items[i], depth + 1);
        break;
    case PK_GLOBAL: h += (int64_t)strlen(x->u.g.name); break;
    case PK_STORAGE: h += (int64_t)strlen(x->u.storage.key) + x->u.storage.numel; break;
    case PK_TENSOR: h += touch(x->u.tensor.storage, depth + 1) + x->u.tensor.ndim; break;
    case PK_NDARRAY:
        if (x->u.nd.has_data) {
            int64_t n = shape_numel(x->u.nd.ndim, x->u.nd.shape) * (int64_t)dtype_size(x->u.nd.dtype);
            for (int64_t i = 0; i < n; i++) h += x->u.nd.data[i];
        }
        break;
    default: break;
    }
    return h;
}

static int pickle_try(const unsigned char *p, size_t n, vct_status *st) {
    pickle_options opt = {PICKLE_PERSID_ZIP, 0, 0};
    pickle_result *res;
    const pickle_value *root;
    vct_error err = {0};
    *st = pickle_load(p, n, &opt, &res, &root, &err);
    if (*st == VCT_STATUS_OK) {
        volatile int64_t h = touch(root, 0);
        (void)h;
        pickle_free(res);
    }
    return *st == VCT_STATUS_OK || *st == VCT_STATUS_FORMAT;
}

static void fuzz_pickle(const unsigned char *pkl, size_t len, const char *what) {
    char label[300];
    unsigned char *buf = malloc(len);
    vct_status st;
    /* the intact pickle loads */
    snprintf(label, sizeof label, "fuzz %s: intact", what);
    pickle_try(pkl, len, &st);
    tl_expect(st == VCT_STATUS_OK, label, "status %s", vct_status_name(st));
    /* every truncation fails (STOP is the last byte) */
    int64_t n_trunc = 0, bad = 0;
    size_t step = len / 1500 + 1;
    for (size_t cut = 0; cut < len; cut += (cut + 64 >= len ? 1 : step)) {
        memcpy(buf, pkl, cut);
        pickle_try(buf, cut, &st);
        if (st != VCT_STATUS_FORMAT && bad++ < 3)
            printf("  truncated at %zu: status %s\n", cut, vct_status_name(st));
        n_trunc++;
    }
    snprintf(label, sizeof label, "fuzz %s: %lld truncations all fail with a format error", what,
             (long long)n_trunc);
    tl_expect(bad == 0, label, "%lld did not", (long long)bad);
    /* random flips: fail or succeed, never crash */
    int64_t ok = 0, fmt = 0, other = 0;
    for (int it = 0; it < 600; it++) {
        memcpy(buf, pkl, len);
        int k = 1 + (int)(rnd() % 3);
        for (int j = 0; j < k; j++) buf[rnd() % len] ^= (unsigned char)(1u << (rnd() % 8));
        pickle_try(buf, len, &st);
        if (st == VCT_STATUS_OK) ok++;
        else if (st == VCT_STATUS_FORMAT) fmt++;
        else other++;
    }
    snprintf(label, sizeof label, "fuzz %s: 600 random bit flips (%lld ok, %lld refused)", what,
             (long long)ok, (long long)fmt);
    tl_expect(other == 0, label, "%lld other statuses", (long long)other);
    free(buf);
}

/* a stored (uncompressed) zip of the given entries */
static void put16(FILE *f, unsigned v) { fputc((int)(v & 0xff), f), fputc((int)((v >> 8) & 0xff), f); }
static void put32(FILE *f, uint32_t v) { put16(f, v & 0xffff), put16(f, v >> 16); }

static int write_zip(const char *path, int n, char **names, unsigned char **data, size_t *lens) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    uint32_t *off = malloc((size_t)n * sizeof *off), *crc = malloc((size_t)n * sizeof *crc);
    for (int i = 0; i < n; i++) {
        off[i] = (uint32_t)ftell(f);
        crc[i] = crc32_bytes(data[i], lens[i]);
        put32(f, 0x04034b50), put16(f, 20), put16(f, 0), put16(f, 0), put16(f, 0), put16(f, 0x21);
        put32(f, crc[i]), put32(f, (uint32_t)lens[i]), put32(f, (uint32_t)lens[i]);
        put16(f, (unsigned)strlen(names[i])), put16(f, 0);
        fwrite(names[i], 1, strlen(names[i]), f);
        fwrite(data[i], 1, lens[i], f);
    }
    uint32_t cd = (uint32_t)ftell(f);
    for (int i = 0; i < n; i++) {
        put32(f, 0x02014b50), put16(f, 20), put16(f, 20), put16(f, 0), put16(f, 0), put16(f, 0);
        put16(f, 0x21), put32(f, crc[i]), put32(f, (uint32_t)lens[i]), put32(f, (uint32_t)lens[i]);
        put16(f, (unsigned)strlen(names[i])), put16(f, 0), put16(f, 0), put16(f, 0), put16(f, 0);
        put32(f, 0), put32(f, off[i]);
        fwrite(names[i], 1, strlen(names[i]), f);
    }
    uint32_t end = (uint32_t)ftell(f);
    put32(f, 0x06054b50), put16(f, 0), put16(f, 0), put16(f, (unsigned)n), put16(f, (unsigned)n);
    put32(f, end - cd), put32(f, cd), put16(f, 0);
    free(off);
    free(crc);
    return fclose(f);
}

/* both readers: OK, or a format error (unsupported too if allowed) with an empty output */
static int reader_try_x(const char *path, vct_status *st, int allow_unsupported) {
    tensor_dict d;
    vct_error err = {0};
    for (int all = 0; all < 2; all++) {
        *st = all ? pth_read_all(path, &d, &err) : pth_read_state_dict(path, &d, &err);
        if (*st == VCT_STATUS_OK) tensor_dict_free(&d);
        else if ((*st != VCT_STATUS_FORMAT && !(allow_unsupported && *st == VCT_STATUS_UNSUPPORTED)) || d.count != 0)
            return 0;
    }
    return 1;
}

static int reader_try(const char *path, vct_status *st) { return reader_try_x(path, st, 0); }

/* data.pkl of a fixture damaged inside an otherwise valid zip, and the file itself damaged */
static void fuzz_reader(const char *fixture, const char *tmpdir) {
    char src[512], dst[600], label[700];
    snprintf(src, sizeof src, PTH_DIR "/%s", fixture);
    snprintf(dst, sizeof dst, "%s/fuzz.pth", tmpdir);
    zipfile *z;
    vct_error err = {0};
    if (zipfile_open(src, &z, &err) != VCT_STATUS_OK) {
        tl_fail("fuzz reader", "%s", err.msg);
        return;
    }
    int n = (int)zipfile_count(z), ipkl = -1;
    char **names = calloc((size_t)n, sizeof *names);
    unsigned char **data = calloc((size_t)n, sizeof *data);
    size_t *lens = calloc((size_t)n, sizeof *lens);
    for (int i = 0; i < n; i++) {
        const char *nm = zipfile_name(z, i);
        names[i] = malloc(strlen(nm) + 1);
        strcpy(names[i], nm);
        if (zipfile_read(z, i, 1 << 24, &data[i], &lens[i], &err) != VCT_STATUS_OK) tl_fail("fuzz reader", "%s", err.msg);
        if (strstr(nm, "data.pkl")) ipkl = i;
    }
    zipfile_close(z);
    unsigned char *orig = malloc(lens[ipkl]);
    memcpy(orig, data[ipkl], lens[ipkl]);
    size_t len = lens[ipkl];
    vct_status st;
    int64_t good = 0, refused = 0, other = 0;
    write_zip(dst, n, names, data, lens);
    snprintf(label, sizeof label, "fuzz reader %s: rebuilt zip reads", fixture);
    reader_try(dst, &st);
    tl_expect(st == VCT_STATUS_OK, label, "status %s", vct_status_name(st));
    for (int it = 0; it < 300; it++) {
        memcpy(data[ipkl], orig, len);
        lens[ipkl] = len;
        if (it % 3 == 0) lens[ipkl] = rnd() % len; /* truncate */
        else
            for (int j = 0, k = 1 + (int)(rnd() % 3); j < k; j++)
                data[ipkl][rnd() % len] ^= (unsigned char)(1u << (rnd() % 8));
        write_zip(dst, n, names, data, lens);
        if (!reader_try(dst, &st)) other++;
        else if (st == VCT_STATUS_OK) good++;
        else refused++;
    }
    snprintf(label, sizeof label, "fuzz reader %s: 300 damaged data.pkl (%lld ok, %lld refused)", fixture,
             (long long)good, (long long)refused);
    tl_expect(other == 0, label, "%lld gave another status or a non-empty output", (long long)other);
    /* the whole file: truncations and flips of the container */
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    size_t flen = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *file = malloc(flen), *buf = malloc(flen);
    if (fread(file, 1, flen, f) != flen) tl_fail("fuzz reader", "cannot read %s", src);
    fclose(f);
    good = refused = other = 0;
    for (int it = 0; it < 300; it++) {
        size_t l = flen;
        memcpy(buf, file, flen);
        if (it % 2 == 0) l = rnd() % flen;
        else
            for (int j = 0, k = 1 + (int)(rnd() % 4); j < k; j++) buf[rnd() % flen] ^= (unsigned char)(1u << (rnd() % 8));
        FILE *o = fopen(dst, "wb");
        fwrite(buf, 1, l, o);
        fclose(o);
        if (!reader_try(dst, &st)) other++;
        else if (st == VCT_STATUS_OK) good++;
        else refused++;
    }
    snprintf(label, sizeof label, "fuzz reader %s: 300 damaged files (%lld ok, %lld refused)", fixture,
             (long long)good, (long long)refused);
    tl_expect(other == 0, label, "%lld gave another status or a non-empty output", (long long)other);
    unlink(dst);
    free(file);
    free(buf);
    free(orig);
    for (int i = 0; i < n; i++) free(names[i]), free(data[i]);
    free(names);
    free(data);
    free(lens);
}

/* a plain file (legacy torch.save, pickle.dump of tensors) damaged: every
 * truncation fails with a format error; bit flips fail or succeed, never crash */
static void fuzz_file(const char *fixture, const char *tmpdir) {
    char src[512], dst[600], label[700];
    snprintf(src, sizeof src, PTH_DIR "/%s", fixture);
    snprintf(dst, sizeof dst, "%s/fuzz_%s", tmpdir, fixture);
    FILE *f = fopen(src, "rb");
    if (!f) {
        tl_fail("fuzz file", "cannot open %s", src);
        return;
    }
    fseek(f, 0, SEEK_END);
    size_t flen = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *file = malloc(flen), *buf = malloc(flen);
    if (fread(file, 1, flen, f) != flen) tl_fail("fuzz file", "cannot read %s", src);
    fclose(f);
    int64_t trunc_ok = 0, good = 0, refused = 0, other = 0;
    vct_status st;
    for (int it = 0; it < 400; it++) {
        size_t l = flen;
        memcpy(buf, file, flen);
        if (it % 2 == 0) l = it < 40 ? flen - 1 - (size_t)it / 2 : rnd() % flen; /* the tail, then anywhere */
        else
            for (int j = 0, k = 1 + (int)(rnd() % 3); j < k; j++) buf[rnd() % flen] ^= (unsigned char)(1u << (rnd() % 8));
        FILE *o = fopen(dst, "wb");
        fwrite(buf, 1, l, o);
        fclose(o);
        if (!reader_try_x(dst, &st, 1)) { /* a flipped little_endian flag: unsupported (big-endian) */
            if (other++ < 3) printf("  %s: status %s\n", fixture, vct_status_name(st));
        } else if (st == VCT_STATUS_OK) {
            good++;
            trunc_ok += l < flen;
        } else {
            refused++;
        }
    }
    snprintf(label, sizeof label, "fuzz file %s: 200 truncations refused, 200 bit flips (%lld ok, %lld refused)",
             fixture, (long long)good, (long long)refused);
    tl_expect(other == 0 && trunc_ok == 0, label, "%lld gave another status or a non-empty output, %lld truncations read",
              (long long)other, (long long)trunc_ok);
    unlink(dst);
    free(file);
    free(buf);
}

static void test_robustness(void) {
    /* the conformance pickle (or, without the case, a fixture's) through the VM */
    zipfile *z;
    vct_error err = {0};
    const char *src = access(CONF_PTH, R_OK) == 0 ? CONF_PTH : PTH_DIR "/d2_adamw.pth";
    if (src != (const char *)CONF_PTH) tl_skip("fuzz conformance pickle", "no " CONF_PTH "; using a fixture");
    if (zipfile_open(src, &z, &err) == VCT_STATUS_OK) {
        for (int64_t i = 0; i < zipfile_count(z); i++) {
            const char *nm = zipfile_name(z, i);
            if (!strstr(nm, "data.pkl")) continue;
            unsigned char *pkl;
            size_t len;
            if (zipfile_read(z, i, 1 << 26, &pkl, &len, &err) == VCT_STATUS_OK) {
                fuzz_pickle(pkl, len, nm);
                free(pkl);
            } else {
                tl_fail("fuzz pickle", "%s", err.msg);
            }
        }
        zipfile_close(z);
    } else {
        tl_fail("fuzz pickle", "%s", err.msg);
    }
    char tmpdir[] = "/tmp/vct_test_pth_XXXXXX";
    if (!mkdtemp(tmpdir)) {
        tl_fail("fuzz reader", "mkdtemp failed");
        return;
    }
    fuzz_reader("d2_adamw.pth", tmpdir);
    fuzz_reader("views.pth", tmpdir);
    fuzz_file("legacy_views_dtypes.pth", tmpdir);
    fuzz_file("noncontiguous_p4.pkl", tmpdir);
    fuzz_file("tensors_p2.pkl", tmpdir);
    /* a truncated legacy (pre-1.6) header is named as such, not called garbage */
    char legacy[600];
    snprintf(legacy, sizeof legacy, "%s/legacy.pth", tmpdir);
    static const unsigned char magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                          0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02, 0x4d};
    FILE *f = fopen(legacy, "wb");
    fwrite(magic, 1, sizeof magic, f);
    fclose(f);
    tensor_dict d;
    vct_error err2 = {0};
    vct_status st = pth_read_state_dict(legacy, &d, &err2);
    tl_expect(st == VCT_STATUS_FORMAT && strstr(err2.msg, "legacy torch.save") && strstr(err2.msg, "truncated") &&
                  strstr(err2.msg, legacy) == err2.msg,
              "truncated legacy torch header", "status %s: %s", vct_status_name(st), err2.msg);
    unlink(legacy);
    /* a legacy file whose sys info says big-endian: unsupported, said so */
    FILE *g = fopen(PTH_DIR "/legacy_views_dtypes.pth", "rb");
    unsigned char lb[4096];
    size_t ll = g ? fread(lb, 1, sizeof lb, g) : 0, at = 0;
    if (g) fclose(g);
    for (size_t i = 0; i + 20 < ll && !at; i++)
        if (memcmp(lb + i, "little_endian", 13) == 0)
            for (size_t j = i + 13; j < i + 18 && !at; j++)
                if (lb[j] == 0x88) at = j;
    if (!at || ll == sizeof lb) {
        tl_fail("big-endian legacy file", "no little_endian flag found in legacy_views_dtypes.pth");
    } else {
        lb[at] = 0x89; /* NEWFALSE */
        f = fopen(legacy, "wb");
        fwrite(lb, 1, ll, f);
        fclose(f);
        st = pth_read_all(legacy, &d, &err2);
        tl_expect(st == VCT_STATUS_UNSUPPORTED && strstr(err2.msg, "big-endian") && strstr(err2.msg, legacy) == err2.msg,
                  "big-endian legacy file: unsupported", "status %s: %s", vct_status_name(st), err2.msg);
        unlink(legacy);
    }
    rmdir(tmpdir);
}

int main(void) {
    tensor_dict ref;
    if (tl_ref_open("pth_fixtures", &ref) == 0) {
        char **files;
        int nf = split_lines(tensor_dict_get_meta(&ref, "files"), &files);
        tl_expect(nf > 0, "fixture list", "no 'files' metadata (run `make ref`)");
        for (int i = 0; i < nf; i++) test_fixture(&ref, files[i]);
        free_lines(files, nf);
        test_conformance(&ref);
        tensor_dict_free(&ref);
    }
    test_bad_corpus();
    test_robustness();
    return tl_summary("pth");
}
