# Mutations of src/ops/attention.c; each must make build/tests/ops/test_attention fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/attention.c|static float scale_divisor(int64_t D) { return (float)sqrt((double)D); }|static float scale_divisor(int64_t D) { return (float)D; }|ops/test_attention
src/ops/attention.c|if (block_mask[mi + i]) S[i] = -INFINITY;|if (block_mask[mi + i]) S[i] = -100.0f;|ops/test_attention
src/ops/attention.c|int64_t mi = (b / mask_group) * Lq * Lk;|int64_t mi = (b % mask_group) * Lq * Lk;|ops/test_attention
src/ops/attention.c|for (int64_t i = 0; i < Lq * Lk; i++) S[i] += add_mask[mi + i];|for (int64_t i = 0; i < Lq * Lk; i++) S[i] -= add_mask[mi + i];|ops/test_attention
src/ops/attention.c|if (j == Lk && Lk > 0) {|if (j >= Lk - 1 && Lk > 0) {|ops/test_attention
src/ops/attention.c|for (int64_t j = 0; j < Lk; j++) g[j] = p[j] * (g[j] - fd);|for (int64_t j = 0; j < Lk; j++) g[j] = p[j] * (g[j] - 0.0f * fd);|ops/test_attention
src/ops/attention.c|st = gemm(0, 0, Lq, D, Lk, 1.0f / c, dS, Lk, kb, D, 1.0f, dq + b * Lq * D, D, err);|st = gemm(0, 0, Lq, D, Lk, 1.0f, dS, Lk, kb, D, 1.0f, dq + b * Lq * D, D, err);|ops/test_attention
src/ops/attention.c|for (int64_t i = 0; i < Lq * D; i++) qs[i] = qb[i] / c;|for (int64_t i = 0; i < Lq * D; i++) qs[i] = qb[i];|ops/test_attention
src/ops/attention.c|st = gemm(1, 0, Lk, Dv, Lq, 1.0f, P, Lk, go, Dv, 1.0f, dv + b * Lk * Dv, Dv, err);|st = gemm(1, 0, Lk, Dv, Lq, 1.0f, P, Lk, go, Dv, 0.0f, dv + b * Lk * Dv, Dv, err);|ops/test_attention
