# Mutations of src/ops/ms_deform_attn.c; each must make build/tests/ops/test_ms_deform_attn fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/ms_deform_attn.c|static inline float loc_to_grid(float x) { return 2.0f * x - 1.0f; }|static inline float loc_to_grid(float x) { return 2.0f * x - 0.999f; }|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|if (n < LANES) return row_sum_strided(x, 1, n);|if (n < 2 * LANES) return row_sum_strided(x, 1, n);|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|for (int k = 1; k < 4; k++) part[0] += part[k];|for (int k = 3; k > 0; k--) part[0] += part[k];|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|if (power < 4) power = 4;|if (power < 3) power = 3;|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|prod[dd * LP] = acc * a;|prod[dd * LP] = acc;|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|const float *base = value + ((n * S + level_start[l]) * M + m) * D + d0;|const float *base = value + ((n * S + level_start[0]) * M + m) * D + d0;|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|int64_t l = lp / P, H = shapes[2 * l], W = shapes[2 * l + 1];|int64_t l = lp / P, H = shapes[2 * l + 1], W = shapes[2 * l];|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|dloc[(row * LP + lp) * 2] += gu * (float)W;|dloc[(row * LP + lp) * 2] += gu * (float)H;|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|sw_acc += go[d] * smp;|sw_acc += go[0] * smp;|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|if (iny1 && inx0) dbase[o2 + d] += sw * g;|if (iny1 && inx0) dbase[o2 + d] += se * g;|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|acc = fmaf(c2[dd], sw, acc);|acc = fmaf(c2[dd], sw * 0.999f, acc);|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|sv += ((v2 - v0) * t.e + (v3 - v1) * t.w) * g;|sv += ((v2 - v0) * t.e + (v3 - v1) * t.e) * g;|ops/test_ms_deform_attn
src/ops/ms_deform_attn.c|const float *c1 = iny0 && inx1 ? base + (t.y0 * W + x1) * MD : msda_zero_block;|const float *c1 = iny0 && x1 <= W ? base + (t.y0 * W + t.x0) * MD : msda_zero_block;|ops/test_ms_deform_attn
