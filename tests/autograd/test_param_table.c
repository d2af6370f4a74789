/* test_param_table.c: the parameter table: one buffer, handles pointed into it,
 * loading with presence/shape/dtype checks whose messages name the tensor. */
#include <string.h>

#include "autograd/param_table.h"
#include "autograd/tape.h"
#include "testlib.h"

typedef struct toy {
    param_tensor fc_weight, fc_bias, norm_weight; /* [3,2], [3], [2] */
} toy;

static void toy_register(param_table *pt, toy *m, const char *prefix) {
    int64_t w[2] = {3, 2}, b[1] = {3}, n[1] = {2};
    param_add(pt, prefix, "fc.weight", 2, w, 1, PARAM_KIND_WEIGHT, &m->fc_weight);
    param_add(pt, prefix, "fc.bias", 1, b, 1, PARAM_KIND_WEIGHT, &m->fc_bias);
    param_add(pt, prefix, "norm.weight", 1, n, 0, PARAM_KIND_NORM, &m->norm_weight);
}

int main(void) {
    vct_error err = {0};
    param_table pt;
    param_table_init(&pt);
    toy m = {0};
    toy_register(&pt, &m, "head.");
    tl_expect(param_table_alloc(&pt, &err) == VCT_STATUS_OK && m.fc_weight.data && m.fc_bias.data && m.norm_weight.data,
              "alloc points every handle", "%s", err.msg);
    tl_expect(m.fc_bias.data - pt.data == 16 && m.norm_weight.data - pt.data == 32, "one buffer, 64-byte aligned tensors",
              "offsets %td %td", m.fc_bias.data - pt.data, m.norm_weight.data - pt.data);
    tl_expect(param_table_alloc_grads(&pt, &err) == VCT_STATUS_OK && m.fc_bias.grad == pt.grad + 16,
              "gradients share the layout", "%s", err.msg);
    tl_expect(m.fc_weight.grad == pt.grad && m.norm_weight.grad == NULL, "only trainable handles get a gradient",
              "fc %p norm %p", (void *)m.fc_weight.grad, (void *)m.norm_weight.grad);
    tl_expect(m.fc_weight.ndim == 2 && m.fc_weight.shape[0] == 3 && m.fc_weight.shape[1] == 2 &&
                  strcmp(m.fc_weight.name, "head.fc.weight") == 0 && m.fc_weight.trainable &&
                  m.norm_weight.kind == PARAM_KIND_NORM && !m.norm_weight.trainable,
              "registration fills the handle", "ndim %d name %s", m.fc_weight.ndim, m.fc_weight.name);
    /* iteration: registration order, kinds, offsets, sizes */
    tl_expect(param_table_count(&pt) == 3 && param_table_at(&pt, 3) == NULL && param_table_at(&pt, -1) == NULL,
              "count and bounds", "count %lld", (long long)param_table_count(&pt));
    const param_entry *e1 = param_table_at(&pt, 1), *e2 = param_table_at(&pt, 2);
    tl_expect(e1 && strcmp(e1->name, "head.fc.bias") == 0 && e1->offset == 16 && e1->numel == 3 && e1->trainable &&
                  e1->kind == PARAM_KIND_WEIGHT && e1->handle == &m.fc_bias,
              "entry 1", "%s", e1 ? e1->name : "NULL");
    tl_expect(e2 && e2->kind == PARAM_KIND_NORM && !e2->trainable && e2->offset == 32 && e2->numel == 2 &&
                  strcmp(param_kind_name(e2->kind), "norm") == 0,
              "entry 2", "%s", e2 ? e2->name : "NULL");

    /* ag_param: the table's shape over the table's memory; a gradient iff trainable */
    arena mem = {0};
    arena_init(&mem, 1 << 16, &err);
    ag_tape t;
    ag_tape_init(&t, &mem, NULL, 1, 16, &err);
    ag_var *pw = ag_param(&t, &m.fc_weight), *pn = ag_param(&t, &m.norm_weight);
    tl_expect(pw && pw->data == m.fc_weight.data && pw->grad == m.fc_weight.grad && pw->requires_grad &&
                  pw->ndim == 2 && pw->shape[0] == 3 && pw->shape[1] == 2,
              "ag_param: a trainable leaf of the table's shape", "%s", t.err.msg);
    tl_expect(pn && !pn->requires_grad && pn->grad == NULL && pn->ndim == 1 && pn->shape[0] == 2,
              "ag_param: a frozen parameter wants no gradient", "%s", t.err.msg);
    param_tensor absent = {0};
    tl_expect(ag_param(&t, &absent) == NULL && t.status == VCT_STATUS_OK, "ag_param: an unregistered handle is NULL",
              "%s", t.err.msg);
    ag_tape_free(&t);
    ag_tape_init(&t, &mem, NULL, 0, 0, &err);
    pw = ag_param(&t, &m.fc_weight);
    tl_expect(pw && !pw->requires_grad, "ag_param: no gradient in inference mode", "%s", t.err.msg);
    param_tensor unalloc = m.fc_bias;
    unalloc.data = NULL;
    tl_expect(ag_param(&t, &unalloc) == NULL && t.status == VCT_STATUS_INTERNAL && strstr(t.err.msg, "head.fc.bias"),
              "ag_param: an unallocated parameter fails the tape, named", "'%s'", t.err.msg);
    ag_tape_free(&t);
    arena_free(&mem);

    tensor_dict sd;
    tensor_dict_init(&sd);
    float w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {7, 8, 9}, n[2] = {10, 11};
    int64_t sw[2] = {3, 2}, sb[1] = {3};
    tensor_dict_add(&sd, "head.fc.weight", VCT_DTYPE_F32, 2, sw, w, NULL, &err);
    tensor_dict_add(&sd, "head.fc.bias", VCT_DTYPE_F32, 1, sb, b, NULL, &err);
    tensor_dict_add(&sd, "criterion.empty_weight", VCT_DTYPE_F32, 1, sb, b, NULL, &err); /* extra: ignored */
    int64_t unused = -1;
    vct_status st = param_table_load(&pt, &sd, "m.pth", &unused, &err);
    tl_expect(st == VCT_STATUS_FORMAT && strcmp(err.msg, "m.pth: tensor 'head.norm.weight' is missing") == 0,
              "missing tensor named", "'%s'", err.msg);
    int64_t bad[1] = {3};
    tensor_dict_add(&sd, "head.norm.weight", VCT_DTYPE_F32, 1, bad, b, NULL, &err);
    st = param_table_load(&pt, &sd, "m.pth", &unused, &err);
    tl_expect(st == VCT_STATUS_SHAPE && strcmp(err.msg, "m.pth: tensor 'head.norm.weight': shape [3], expected [2]") == 0,
              "wrong shape named, got before expected", "'%s'", err.msg);
    sd.items[sd.count - 1].t.shape[0] = 2;
    st = param_table_load(&pt, &sd, "m.pth", &unused, &err);
    tl_expect(st == VCT_STATUS_OK && unused == 1 && m.fc_weight.data[5] == 6 && m.fc_bias.data[2] == 9 && m.norm_weight.data[1] == 8,
              "load copies values, counts unused keys", "st %d unused %lld (%s)", st, (long long)unused, err.msg);
    (void)n; /* the right-shaped norm weight is the first two of b, above */
    tensor_dict_free(&sd);
    param_table_free(&pt);

    param_table_init(&pt);
    toy_register(&pt, &m, "a.");
    toy_register(&pt, &m, "a.");
    tl_expect(param_table_alloc(&pt, &err) == VCT_STATUS_INTERNAL && strstr(err.msg, "registered twice"),
              "duplicate registration refused", "'%s'", err.msg);
    param_table_free(&pt);
    return tl_summary("test_param_table");
}
