/* test_yaml.c: the detectron2-config YAML subset: the shared case's config.yaml
 * (values cross-checked with the conformance README) and malformed documents. */
#include <string.h>

#include "io/yaml.h"
#include "testlib.h"

#define CASE_CONFIG "../shared/conformance/cases/ss-reduced-1f/config.yaml"

static void check_fails(const char *name, const char *text, const char *needle) {
    cJSON *root = NULL;
    vct_error err = {0};
    vct_status st = yaml_parse(text, "doc.yaml", &root, &err);
    tl_expect(st == VCT_STATUS_FORMAT && strstr(err.msg, "doc.yaml") && strstr(err.msg, needle), name,
              "status %d message '%s' (want a format error mentioning '%s')", st, err.msg, needle);
    cJSON_Delete(root);
}

int main(void) {
    cJSON *root = NULL;
    vct_error err = {0};
    if (yaml_read(CASE_CONFIG, &root, &err) != VCT_STATUS_OK) {
        tl_fail("config.yaml", "%s", err.msg);
        return tl_summary("test_yaml");
    }
    long v = 0, list[8];
    int n = 0;
    tl_expect(yaml_get_int(root, "MODEL.SWIN.EMBED_DIM", &v, &err) == VCT_STATUS_OK && v == 32,
              "SWIN.EMBED_DIM", "got %ld (%s)", v, err.msg);
    tl_expect(yaml_get_int_list(root, "MODEL.SWIN.DEPTHS", list, 8, &n, &err) == VCT_STATUS_OK && n == 4 &&
                  list[0] == 2 && list[3] == 2,
              "SWIN.DEPTHS", "n %d (%s)", n, err.msg);
    tl_expect(yaml_get_int_list(root, "MODEL.SWIN.NUM_HEADS", list, 8, &n, &err) == VCT_STATUS_OK && n == 4 &&
                  list[0] == 1 && list[1] == 2 && list[2] == 4 && list[3] == 8,
              "SWIN.NUM_HEADS", "n %d", n);
    const char *s = NULL;
    tl_expect(yaml_get_str(root, "MODEL.WEIGHTS", &s, &err) == VCT_STATUS_OK && strcmp(s, "") == 0, "quoted empty",
              "got '%s'", s ? s : "(null)");
    const cJSON *q = yaml_get(root, "MODEL.SWIN.QK_SCALE");
    tl_expect(q && cJSON_IsNull(q), "null scalar", "QK_SCALE not null");
    const cJSON *ang = yaml_get(root, "MODEL.ANCHOR_GENERATOR.ANGLES");
    tl_expect(ang && cJSON_IsArray(ang) && cJSON_IsArray(ang->child) && cJSON_GetArraySize(ang->child) == 3 &&
                  cJSON_GetArrayItem(ang->child, 0)->valuedouble == -90,
              "nested '- - x' sequence", "ANGLES not [[-90,0,90]]");
    tl_expect(yaml_get_int(root, "MODEL.NO_SUCH_KEY", &v, &err) == VCT_STATUS_FORMAT &&
                  strstr(err.msg, "MODEL.NO_SUCH_KEY"),
              "missing key named", "%s", err.msg);
    cJSON_Delete(root);

    check_fails("tab indentation", "A:\n\tB: 1\n", "line 2");
    check_fails("bad indentation", "A:\n  B: 1\n    C: 2\n", "line 3");
    check_fails("no colon", "A: 1\nB\n", "line 2");
    check_fails("unterminated quote", "A: 'x\n", "line 1");
    check_fails("mixed block", "A:\n- 1\n  B: 2\n", "line");
    check_fails("empty document", "# only a comment\n", "empty");
    return tl_summary("test_yaml");
}
