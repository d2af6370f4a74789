# Mutations of src/ops/norm.c; each must make ops/test_norm fail.
# FILE|ORIGINAL_TEXT|MUTATED_TEXT|TEST_BINARY
src/ops/norm.c|return 1.0f / sqrtf(v + eps);|return 1.0f / sqrtf(v + 2.0f * eps);|ops/test_norm
src/ops/norm.c|dx[c] += (float)(rs * (g - sg - xh * sgx));|dx[c] += (float)(rs * (g - sg + xh * sgx));|ops/test_norm
src/ops/norm.c|aw[c - c0] += (double)dy[c] * ((x[c] - m) * rs);|aw[c - c0] += (double)dy[c] * ((x[c] + m) * rs);|ops/test_norm
src/ops/norm.c|float shift = -scale * mf + (bias ? bias[c] : 0.0f);|float shift = -scale * mf;|ops/test_norm
src/ops/norm.c|int64_t g = c / D;|int64_t g = c % G;|ops/test_norm
src/ops/norm.c|sg /= M;|sg /= (double)HW;|ops/test_norm
src/ops/norm.c|return weight[c] * (1.0f / sqrtf(running_var[c] + eps));|return weight[c] * (1.0f / sqrtf(running_var[c]));|ops/test_norm
src/ops/norm.c|for (int64_t i = 0; i < HW; i++) dx[i] += dy[i] * scale;|for (int64_t i = 0; i < HW; i++) dx[i] = dy[i] * scale;|ops/test_norm
