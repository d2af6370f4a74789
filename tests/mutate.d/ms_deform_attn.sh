# Mutations of src/ops/ms_deform_attn.c; each must make build/tests/ops/test_ms_deform_attn fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/ms_deform_attn.c|static inline float loc_to_grid(float x) { return 2.0f * x - 1.0f; }|static inline float loc_to_grid(float x) { return 2.0f * x - 0.999f; }|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|if (n < LANES) return row_sum_strided(x, 1, n);|if (n < 2 * LANES) return row_sum_strided(x, 1, n);|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|for (int k = 1; k < 4; k++) part[0] += part[k];|for (int k = 3; k > 0; k--) part[0] += part[k];|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|if (power < 4) power = 4;|if (power < 3) power = 3;|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|prod[lp] = s * aw[lp];|prod[lp] = s * aw[0];|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|const float *base = value + ((n * S + level_start[l]) * M + m) * D + d;|const float *base = value + ((n * S + level_start[0]) * M + m) * D + d;|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|int64_t l = lp / P, H = shapes[2 * l], W = shapes[2 * l + 1];|int64_t l = lp / P, H = shapes[2 * l + 1], W = shapes[2 * l];|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|dloc[(row * LP + lp) * 2] += gu * (float)W;|dloc[(row * LP + lp) * 2] += gu * (float)H;|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|if (dattw) gw += go[d] * bilinear_tap_sample|if (dattw) gw += go[0] * bilinear_tap_sample|build/tests/ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|bilinear_tap_scatter(dvalue + off + d, W * MD, MD, t, H, W, go[d] * aw[lp]);|bilinear_tap_scatter(dvalue + off + d, W * MD, MD, t, H, W, go[d]);|build/tests/ops/test_ms_deform_attn
