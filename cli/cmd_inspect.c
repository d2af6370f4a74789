/* cmd_inspect.c: `vct inspect FILE`: one line per tensor with its name, dtype,
 * shape, the sum of its values (double, in element order) and the FNV-1a 64
 * hash of its raw little-endian C-order bytes. tests/cli/test_inspect.sh checks
 * the listing against torch's, tensor by tensor. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "io/tensor_file.h"

static cli_opt opts[] = {
    {"all", 'a', 0, NULL, "for .pth/.pkl: every tensor in the object (optimizer state too), not only the state_dict", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"inspect", "FILE [options]",
                            "list every tensor: name, dtype, shape, sum (double) and FNV-1a 64 hash of the raw bytes",
                            1, 1, opts};

static uint64_t fnv1a64(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int cmd_inspect(int argc, char **argv) {
    const char *pos[1];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    vct_error err = {0};
    tensor_dict d;
    tensor_file_kind kind = TENSOR_FILE_UNKNOWN;
    if (tensor_file_read(pos[0], cli_flag(&cmd, "all"), &d, &kind, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct inspect: %s\n", err.msg);
        return 1;
    }
    printf("# %s: %s, %lld tensors\n# name\tdtype\tshape\tsum\tfnv1a64\n", pos[0], tensor_file_kind_name(kind),
           (long long)d.count);
    for (int64_t i = 0; i < d.count; i++) {
        const tensor *t = &d.items[i].t;
        double sum = 0;
        int64_t n = tensor_numel(t);
        for (int64_t k = 0; k < n; k++) sum += dtype_get_f64(t->data, t->dtype, k);
        char sh[256];
        printf("%s\t%s\t%s\t%.17g\t%016" PRIx64 "\n", d.items[i].name, dtype_name(t->dtype),
               shape_str(t->ndim, t->shape, sh, sizeof sh), sum, fnv1a64(t->data, tensor_nbytes(t)));
    }
    tensor_dict_free(&d);
    return 0;
}
