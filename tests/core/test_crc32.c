/* test_crc32.c: crc32_str against Python's zlib.crc32(s.encode()); the expected
 * values were printed by /usr/bin/python3 -c "import zlib; print(zlib.crc32(b'...'))".
 * The optimizer case seeds its gradients with the CRC of "optim:<k>:<name>". */
#include "core/crc32.h"
#include "testlib.h"

int main(void) {
    static const struct {
        const char *s;
        uint32_t crc;
    } v[] = {{"", 0u},
             {"a", 3904355907u},
             {"optim:0:backbone.patch_embed.proj.weight", 1078506248u},
             {"optim:3:criterion.logit_scale", 1131323383u},
             {"0:sem_seg_head.predictor.query_feat.weight", 4027272525u}};
    int bad = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) bad += crc32_str(v[i].s) != v[i].crc;
    tl_expect(bad == 0, "crc32_str == zlib.crc32 on 5 strings", "%d differ", bad);
    uint32_t a = crc32_update(0, "optim:0:", 8);
    tl_expect(crc32_update(a, "backbone.patch_embed.proj.weight", 32) == 1078506248u,
              "crc32_update continues a running CRC", "differs");
    return tl_summary("test_crc32");
}
