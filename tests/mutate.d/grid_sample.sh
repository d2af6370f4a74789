# Mutations of src/ops/grid_sample.{h,c}; each must make build/tests/ops/test_grid_sample fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/grid_sample.h|float u = fmaf(gx + 1.0f, (float)W / 2.0f, -0.5f);|float u = (gx + 1.0f) * ((float)W / 2.0f) - 0.5f;|ops/test_grid_sample
src/ops/grid_sample.h|t.valid = u >= -1.0f && u < (float)W|t.valid = u > -1.0f && u < (float)W|ops/test_grid_sample
src/ops/grid_sample.h|v[3] = iny1 && inx1 ? plane[y1 * rs + x1 * cs] : 0.0f;|v[3] = iny1 && inx1 ? plane[y1 * rs + x1 * cs] : 1.0f;|ops/test_grid_sample
src/ops/grid_sample.h|acc = fmaf(v[2], t.n * t.e, acc);|acc = fmaf(v[2], t.n * t.w, acc);|ops/test_grid_sample
src/ops/grid_sample.h|dplane[t.y0 * rs + x1 * cs] += t.s * t.w * g;|dplane[t.y0 * rs + x1 * cs] += t.s * t.e * g;|ops/test_grid_sample
src/ops/grid_sample.h|*gv += ((v[2] - v[0]) * t.e + (v[3] - v[1]) * t.w) * g;|*gv += ((v[2] - v[0]) * t.s + (v[3] - v[1]) * t.w) * g;|ops/test_grid_sample
src/ops/grid_sample.h|*gu += ((v[1] - v[0]) * t.s + (v[3] - v[2]) * t.n) * g;|*gu += ((v[1] - v[0]) * t.s + (v[3] - v[2]) * t.s) * g;|ops/test_grid_sample
src/ops/grid_sample.c|static inline float point_to_grid(float p) { return 2.0f * p - 1.0f; }|static inline float point_to_grid(float p) { return 2.0f * p - 0.9f; }|ops/test_grid_sample
src/ops/grid_sample.c|const float sx = (float)W / 2.0f * (points ? 2.0f : 1.0f);|const float sx = (float)W / 2.0f;|ops/test_grid_sample
src/ops/grid_sample.c|const float sy = (float)H / 2.0f * (points ? 2.0f : 1.0f);|const float sy = (float)W / 2.0f * (points ? 2.0f : 1.0f);|ops/test_grid_sample
